/* The JSON Lines hit: one table of keys for the writer and the reader
 * (see jsonl.h). */
#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/jsonl.h"
#include "evtxhunt/keyfields.h"
#include "evtxhunt/output.h"

enum key_type {
	KEY_TIME,    /* an ISO-8601 UTC string */
	KEY_STRING,  /* a string or null */
	KEY_NUMBER,  /* an unsigned integer */
	KEY_BOOL,
	KEY_STRINGS, /* an array of strings; COUNT: where their number lives */
	KEY_FIELDS,  /* an object of strings: the event's named fields */
	KEY_DESC,    /* the constant "Event Time" (derived: not read) */
	KEY_MESSAGE, /* a line for people (derived: not read) */
};

/* The keys in the order they are written. SLOT: the member of struct
 * eh_jsonl_hit it is (for TIME, STRING, NUMBER, BOOL). REQUIRED: a line
 * without a value for it is not an evtxhunt hit. */
static const struct key {
	const char *name;
	enum key_type type;
	size_t slot;
	size_t count;
	bool derived; /* written for other tools, never read */
	bool required;
} keys[] = {
	{ "timestamp", KEY_TIME, offsetof(struct eh_jsonl_hit, time), 0, false, true },
	/* Timesketch's three required keys, so the file imports as it is */
	{ "datetime", KEY_TIME, offsetof(struct eh_jsonl_hit, time), 0, true, false },
	{ "timestamp_desc", KEY_DESC, 0, 0, true, false },
	{ "message", KEY_MESSAGE, 0, 0, true, false },
	{ "file", KEY_STRING, offsetof(struct eh_jsonl_hit, file), 0, false, true },
	{ "record_id", KEY_NUMBER, offsetof(struct eh_jsonl_hit, record_id), 0, false, false },
	{ "computer", KEY_STRING, offsetof(struct eh_jsonl_hit, computer), 0, false, false },
	{ "channel", KEY_STRING, offsetof(struct eh_jsonl_hit, channel), 0, false, false },
	{ "provider", KEY_STRING, offsetof(struct eh_jsonl_hit, provider), 0, false, false },
	{ "event_id", KEY_NUMBER, offsetof(struct eh_jsonl_hit, event_id), 0, false, false },
	{ "rule_id", KEY_STRING, offsetof(struct eh_jsonl_hit, rule_id), 0, false, true },
	{ "rule_title", KEY_STRING, offsetof(struct eh_jsonl_hit, rule_title), 0, false, true },
	{ "level", KEY_STRING, offsetof(struct eh_jsonl_hit, level), 0, false, false },
	/* the rule's logsource as written and the fields it tests: what the
	 * output of its hits is made from, kept for --merge and --state */
	{ "rule_category", KEY_STRING, offsetof(struct eh_jsonl_hit, category), 0, false, false },
	{ "rule_product", KEY_STRING, offsetof(struct eh_jsonl_hit, product), 0, false, false },
	{ "rule_service", KEY_STRING, offsetof(struct eh_jsonl_hit, service), 0, false, false },
	{ "rule_fields", KEY_STRINGS, offsetof(struct eh_jsonl_hit, rule_fields), offsetof(struct eh_jsonl_hit, nrule_fields),
	  false, false },
	{ "tags", KEY_STRINGS, offsetof(struct eh_jsonl_hit, tags), offsetof(struct eh_jsonl_hit, ntags), false, false },
	{ "recovered", KEY_BOOL, offsetof(struct eh_jsonl_hit, recovered), 0, false, false },
	{ "fields", KEY_FIELDS, 0, 0, false, false },
};
#define NKEYS (sizeof keys / sizeof keys[0])

#define SLOT(h, k, type) ((type *)((char *)(h) + (k)->slot))

/* ---- writing --------------------------------------------------------------------- */

static void json_key(struct buf *out, const char *key, bool first)
{
	if (!first)
		buf_addc(out, ',');
	eh_escape_json(out, key, strlen(key));
	buf_addc(out, ':');
}

static void json_str(struct buf *out, const char *value)
{
	if (value)
		eh_escape_json(out, value, strlen(value));
	else
		buf_adds(out, "null");
}

void eh_jsonl_write_hit(struct buf *out, const struct eh_hit *h)
{
	const struct eh_event *ev = h->event;
	const struct eh_rule *rule = h->rule;
	/* the hit as the table sees it; its strings are only read here */
	const char *tested[EH_KEYFIELDS_MAX];
	size_t ntested = eh_rule_tested_fields(rule, tested, EH_KEYFIELDS_MAX);
	struct eh_jsonl_hit v = {
		.time = ev->time, .file = (char *)h->file, .record_id = ev->record_id,
		.computer = (char *)ev->computer, .channel = (char *)ev->channel, .provider = (char *)ev->provider,
		.event_id = ev->event_id, .rule_id = rule->id, .rule_title = rule->title, .level = rule->level,
		.category = rule->category, .product = rule->product, .service = rule->service,
		.rule_fields = (char **)tested, .nrule_fields = ntested,
		.tags = rule->tags, .ntags = rule->ntags, .recovered = ev->recovered,
	};
	char when[48];
	eh_time_format(ev->time, when);
	buf_addc(out, '{');
	for (size_t k = 0; k < NKEYS; k++) {
		const struct key *key = &keys[k];
		json_key(out, key->name, k == 0);
		switch (key->type) {
		case KEY_TIME:
			json_str(out, when);
			break;
		case KEY_STRING:
			json_str(out, *SLOT(&v, key, char *));
			break;
		case KEY_NUMBER:
			buf_addf(out, "%" PRIu64, *SLOT(&v, key, uint64_t));
			break;
		case KEY_BOOL:
			buf_adds(out, *SLOT(&v, key, bool) ? "true" : "false");
			break;
		case KEY_DESC:
			json_str(out, "Event Time");
			break;
		case KEY_MESSAGE: {
			/* Title [level] on COMPUTER: the key fields of its log source */
			struct buf msg;
			struct eh_keyfields kf;
			buf_init(&msg);
			eh_keyfields_of(rule, ev, &kf);
			buf_addf(&msg, "%s [%s] on %s", v.rule_title, v.level ? v.level : "-", v.computer ? v.computer : "-");
			if (kf.n) {
				buf_adds(&msg, ": ");
				eh_keyfields_details(&msg, ev, &kf, 0);
			}
			eh_escape_json(out, msg.data, msg.len);
			buf_free(&msg);
			break;
		}
		case KEY_STRINGS: {
			char **s = *SLOT(&v, key, char **);
			size_t n = *(size_t *)((char *)&v + key->count);
			buf_addc(out, '[');
			for (size_t i = 0; i < n; i++) {
				if (i)
					buf_addc(out, ',');
				eh_escape_json(out, s[i], strlen(s[i]));
			}
			buf_addc(out, ']');
			break;
		}
		case KEY_FIELDS:
			buf_addc(out, '{');
			for (size_t i = 0; i < ev->nfields; i++) {
				/* a name given twice keeps its first value, as the matcher sees it */
				if (eh_event_get(ev, ev->fields[i].name, NULL) != ev->fields[i].value)
					continue;
				json_key(out, ev->fields[i].name, i == 0);
				eh_escape_json(out, ev->fields[i].value, ev->fields[i].len);
			}
			buf_addc(out, '}');
			break;
		}
	}
	buf_adds(out, "}\n");
}

/* ---- a JSON reader for one line ------------------------------------------------ */

struct jp {
	const char *p, *end;
	const char *err;
};

static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static bool jsonl_lit(struct jp *j, char c)
{
	ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

static bool hex4(struct jp *j, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++, j->p++) {
		if (j->p >= j->end)
			return false;
		char c = *j->p;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return false;
		*v = *v << 4 | (uint32_t)d;
	}
	return true;
}

/* A string into OUT (not NUL-terminated in the middle: values may hold NUL). */
static bool jsonl_string(struct jp *j, struct buf *out)
{
	buf_reset(out);
	if (!jsonl_lit(j, '"')) {
		j->err = "expected a string";
		return false;
	}
	while (j->p < j->end && *j->p != '"') {
		if (*j->p != '\\') {
			buf_addc(out, *j->p++);
			continue;
		}
		if (++j->p >= j->end)
			break;
		char c = *j->p++;
		switch (c) {
		case '"': case '\\': case '/': buf_addc(out, c); break;
		case 'b': buf_addc(out, '\b'); break;
		case 'f': buf_addc(out, '\f'); break;
		case 'n': buf_addc(out, '\n'); break;
		case 'r': buf_addc(out, '\r'); break;
		case 't': buf_addc(out, '\t'); break;
		case 'u': {
			uint32_t cp, lo;
			if (!hex4(j, &cp)) {
				j->err = "bad \\u escape";
				return false;
			}
			if (cp >= 0xd800 && cp < 0xdc00 && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
				j->p += 2;
				if (!hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff) {
					j->err = "bad surrogate pair";
					return false;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			buf_add_utf8(out, cp);
			break;
		}
		default:
			j->err = "bad escape";
			return false;
		}
	}
	if (j->p >= j->end) {
		j->err = "unterminated string";
		return false;
	}
	j->p++;
	buf_addc(out, '\0'); /* terminated for C, the length excludes it */
	out->len--;
	return true;
}

static bool jsonl_number(struct jp *j, uint64_t *v)
{
	ws(j);
	const char *s = j->p;
	*v = 0;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
		if (*v > (UINT64_MAX - 9) / 10) {
			j->err = "number too large";
			return false;
		}
		*v = *v * 10 + (uint64_t)(*j->p++ - '0');
	}
	if (j->p == s) {
		j->err = "expected a number";
		return false;
	}
	return true;
}

static bool jsonl_word(struct jp *j, const char *w)
{
	ws(j);
	size_t n = strlen(w);
	if ((size_t)(j->end - j->p) >= n && memcmp(j->p, w, n) == 0) {
		j->p += n;
		return true;
	}
	return false;
}

static bool jsonl_skip(struct jp *j, struct buf *tmp, int depth)
{
	ws(j);
	if (depth > 16 || j->p >= j->end) {
		j->err = "unexpected value";
		return false;
	}
	uint64_t n;
	if (*j->p == '"')
		return jsonl_string(j, tmp);
	if (jsonl_word(j, "true") || jsonl_word(j, "false") || jsonl_word(j, "null"))
		return true;
	if (*j->p == '[' || *j->p == '{') {
		char close = *j->p == '[' ? ']' : '}';
		bool obj = *j->p == '{';
		j->p++;
		if (jsonl_lit(j, close))
			return true;
		do {
			if (obj && (!jsonl_string(j, tmp) || !jsonl_lit(j, ':')))
				return false;
			if (!jsonl_skip(j, tmp, depth + 1))
				return false;
		} while (jsonl_lit(j, ','));
		if (!jsonl_lit(j, close)) {
			j->err = "unterminated array or object";
			return false;
		}
		return true;
	}
	if (*j->p == '-')
		j->p++;
	return jsonl_number(j, &n);
}

/* ---- reading one hit --------------------------------------------------------------- */

struct eh_jsonl_reader {
	struct buf key, str, name;
};

struct eh_jsonl_reader *eh_jsonl_reader_new(void)
{
	struct eh_jsonl_reader *r = xcalloc(1, sizeof *r);
	buf_init(&r->key);
	buf_init(&r->str);
	buf_init(&r->name);
	return r;
}

void eh_jsonl_reader_free(struct eh_jsonl_reader *r)
{
	if (r == NULL)
		return;
	buf_free(&r->key);
	buf_free(&r->str);
	buf_free(&r->name);
	free(r);
}

void eh_jsonl_hit_release(struct eh_jsonl_hit *h)
{
	for (size_t k = 0; k < NKEYS; k++)
		if (keys[k].type == KEY_STRING)
			free(*SLOT(h, &keys[k], char *));
	for (size_t k = 0; k < NKEYS; k++) {
		if (keys[k].type != KEY_STRINGS)
			continue;
		char **s = *SLOT(h, &keys[k], char **);
		size_t n = *(size_t *)((char *)h + keys[k].count);
		for (size_t i = 0; i < n; i++)
			free(s[i]);
		free(s);
	}
	memset(h, 0, sizeof *h);
}

static const struct key *jsonl_key(const char *name)
{
	for (size_t k = 0; k < NKEYS; k++)
		if (strcmp(keys[k].name, name) == 0)
			return &keys[k];
	return NULL;
}

/* Reads the value of KEY into H or EV; false with J->err set. SEEN: the
 * key had a value (not null). */
static bool read_value(struct eh_jsonl_reader *r, struct jp *j, const struct key *key, struct eh_jsonl_hit *h,
			struct eh_event *ev, bool *seen)
{
	switch (key->type) {
	case KEY_TIME:
		if (!jsonl_string(j, &r->str))
			return false;
		*SLOT(h, key, int64_t) = eh_time_parse(r->str.data);
		if (*SLOT(h, key, int64_t) < 0) {
			j->err = "bad timestamp";
			return false;
		}
		break;
	case KEY_STRING: {
		if (jsonl_word(j, "null")) /* an earlier value, if any, stands */
			return true;
		if (!jsonl_string(j, &r->str))
			return false;
		char **to = SLOT(h, key, char *);
		free(*to);
		*to = xstrndup(r->str.data, r->str.len);
		break;
	}
	case KEY_NUMBER:
		if (!jsonl_number(j, SLOT(h, key, uint64_t)))
			return false;
		break;
	case KEY_BOOL:
		if (jsonl_word(j, "true")) {
			*SLOT(h, key, bool) = true;
		} else if (!jsonl_word(j, "false")) {
			j->err = "recovered: expected true or false";
			return false;
		}
		break;
	case KEY_STRINGS: /* an array of strings */
	case KEY_FIELDS: { /* an object of strings */
		bool object = key->type == KEY_FIELDS;
		char close = object ? '}' : ']';
		if (!jsonl_lit(j, object ? '{' : '[')) {
			j->err = object ? "fields: expected an object" : "expected an array of strings";
			return false;
		}
		if (jsonl_lit(j, close))
			break;
		do {
			if ((object && (!jsonl_string(j, &r->name) || !jsonl_lit(j, ':'))) || !jsonl_string(j, &r->str))
				return false;
			if (object) {
				eh_event_add_field(ev, r->name.data, r->name.len, r->str.data, r->str.len);
			} else {
				char ***to = SLOT(h, key, char **);
				size_t *n = (size_t *)((char *)h + key->count);
				*to = xreallocarray(*to, *n + 1, sizeof **to);
				(*to)[(*n)++] = xstrndup(r->str.data, r->str.len);
			}
		} while (jsonl_lit(j, ','));
		if (!jsonl_lit(j, close)) {
			j->err = object ? "fields: unterminated" : "array unterminated";
			return false;
		}
		break;
	}
	case KEY_DESC:
	case KEY_MESSAGE:
		return jsonl_skip(j, &r->str, 0);
	}
	*seen = true;
	return true;
}

static bool jsonl_parse(struct eh_jsonl_reader *r, struct jp *j, struct eh_jsonl_hit *h, struct eh_event *ev)
{
	bool seen[NKEYS] = { false };
	if (!jsonl_lit(j, '{')) {
		j->err = "expected an object";
		return false;
	}
	do {
		if (!jsonl_string(j, &r->key) || !jsonl_lit(j, ':'))
			return false;
		const struct key *key = jsonl_key(r->key.data);
		if (key == NULL || key->derived) { /* not ours, or ours for other tools */
			if (!jsonl_skip(j, &r->str, 0))
				return false;
		} else if (!read_value(r, j, key, h, ev, &seen[key - keys])) {
			return false;
		}
	} while (jsonl_lit(j, ','));
	if (!jsonl_lit(j, '}')) {
		j->err = "expected ',' or '}'";
		return false;
	}
	ws(j);
	if (j->p != j->end) {
		j->err = "text after the object";
		return false;
	}
	for (size_t k = 0; k < NKEYS; k++)
		if (keys[k].required && !seen[k]) {
			j->err = "not an evtxhunt hit (timestamp, file, rule_id or rule_title missing)";
			return false;
		}
	return true;
}

bool eh_jsonl_read_hit(struct eh_jsonl_reader *r, const char *line, size_t len, struct eh_jsonl_hit *h,
		       struct eh_event *ev, const char **err, size_t *column)
{
	struct jp j = { line, line + len, NULL };
	eh_jsonl_hit_release(h);
	eh_event_reset(ev);
	if (!jsonl_parse(r, &j, h, ev)) {
		*err = j.err ? j.err : "not JSON";
		*column = (size_t)(j.p - line) + 1;
		return false;
	}
	static const struct {
		size_t slot;
		enum eh_system_slot sys;
	} system[] = {
		{ offsetof(struct eh_jsonl_hit, computer), EH_SYS_COMPUTER },
		{ offsetof(struct eh_jsonl_hit, channel), EH_SYS_CHANNEL },
		{ offsetof(struct eh_jsonl_hit, provider), EH_SYS_PROVIDER },
	};
	for (size_t i = 0; i < sizeof system / sizeof system[0]; i++) {
		const char *v = *(char *const *)((const char *)h + system[i].slot);
		if (v)
			eh_event_set_system(ev, system[i].sys, v, strlen(v));
	}
	eh_event_finish(ev);
	ev->time = h->time;
	ev->record_id = h->record_id;
	ev->event_id = (uint32_t)h->event_id;
	ev->recovered = h->recovered;
	return true;
}
