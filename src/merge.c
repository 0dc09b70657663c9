/* Merge: evtxhunt's JSON Lines read back into a timeline (see merge.h).
 * The reader knows the shape evtxhunt writes: one object per line, string,
 * number, boolean and null values, an array of strings (tags) and an
 * object of strings (fields); keys it does not know are skipped. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/merge.h"
#include "evtxhunt/output.h"
#include "evtxhunt/report.h"
#include "evtxhunt/rule.h"
#include "evtxhunt/sigma.h"
#include "evtxhunt/util.h"

struct eh_merger {
	struct eh_rule **rules; /* interned by id, title and level */
	size_t nrules;
	size_t bad_lines;
	struct eh_event ev;
	struct buf key, str, name;
};

struct eh_merger *eh_merger_new(void)
{
	struct eh_merger *m = xcalloc(1, sizeof *m);
	eh_event_init(&m->ev);
	buf_init(&m->key);
	buf_init(&m->str);
	buf_init(&m->name);
	return m;
}

void eh_merger_free(struct eh_merger *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nrules; i++)
		eh_rule_free(m->rules[i]);
	free(m->rules);
	eh_event_release(&m->ev);
	buf_free(&m->key);
	buf_free(&m->str);
	buf_free(&m->name);
	free(m);
}

size_t eh_merger_bad_lines(const struct eh_merger *m)
{
	return m->bad_lines;
}

size_t eh_merger_rules(const struct eh_merger *m)
{
	return m->nrules;
}

const struct eh_rule *eh_merger_rule(const struct eh_merger *m, size_t i)
{
	return m->rules[i];
}

/* ---- a JSON reader for one line ------------------------------------------------ */

struct jp {
	const char *p, *end;
	const char *err;
};

static void _ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
		j->p++;
}

static bool _lit(struct jp *j, char c)
{
	_ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

static bool _hex4(struct jp *j, uint32_t *v)
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
static bool _string(struct jp *j, struct buf *out)
{
	buf_reset(out);
	if (!_lit(j, '"')) {
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
			if (!_hex4(j, &cp)) {
				j->err = "bad \\u escape";
				return false;
			}
			if (cp >= 0xd800 && cp < 0xdc00 && j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u') {
				j->p += 2;
				if (!_hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff) {
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

static bool _number(struct jp *j, uint64_t *v)
{
	_ws(j);
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

static bool _word(struct jp *j, const char *w)
{
	_ws(j);
	size_t n = strlen(w);
	if ((size_t)(j->end - j->p) >= n && memcmp(j->p, w, n) == 0) {
		j->p += n;
		return true;
	}
	return false;
}

static bool _skip(struct jp *j, struct buf *tmp, int depth)
{
	_ws(j);
	if (depth > 16 || j->p >= j->end) {
		j->err = "unexpected value";
		return false;
	}
	uint64_t n;
	if (*j->p == '"')
		return _string(j, tmp);
	if (_word(j, "true") || _word(j, "false") || _word(j, "null"))
		return true;
	if (*j->p == '[' || *j->p == '{') {
		char close = *j->p == '[' ? ']' : '}';
		bool obj = *j->p == '{';
		j->p++;
		if (_lit(j, close))
			return true;
		do {
			if (obj && (!_string(j, tmp) || !_lit(j, ':')))
				return false;
			if (!_skip(j, tmp, depth + 1))
				return false;
		} while (_lit(j, ','));
		if (!_lit(j, close)) {
			j->err = "unterminated array or object";
			return false;
		}
		return true;
	}
	if (*j->p == '-')
		j->p++;
	return _number(j, &n);
}

/* ---- one hit ------------------------------------------------------------------- */

struct hit_line {
	int64_t time;
	uint64_t record_id, event_id;
	bool recovered;
	char *file, *rule_id, *title, *level;
	char **tags;
	size_t ntags;
};

static void _hit_line_free(struct hit_line *h)
{
	free(h->file);
	free(h->rule_id);
	free(h->title);
	free(h->level);
	for (size_t i = 0; i < h->ntags; i++)
		free(h->tags[i]);
	free(h->tags);
	memset(h, 0, sizeof *h);
}

static const struct eh_rule *_intern_rule(struct eh_merger *m, struct hit_line *h)
{
	for (size_t i = 0; i < m->nrules; i++) {
		struct eh_rule *r = m->rules[i];
		if (strcmp(r->id, h->rule_id) == 0 && strcmp(r->title, h->title) == 0 &&
		    strcmp(r->level ? r->level : "", h->level ? h->level : "") == 0)
			return r;
	}
	struct eh_rule *r = xcalloc(1, sizeof *r);
	r->id = h->rule_id, h->rule_id = NULL;
	r->title = h->title, h->title = NULL;
	r->level = h->level, h->level = NULL;
	r->tags = h->tags, h->tags = NULL;
	r->ntags = h->ntags, h->ntags = 0;
	m->rules = xreallocarray(m->rules, m->nrules + 1, sizeof *m->rules);
	m->rules[m->nrules++] = r;
	return r;
}

/* Parses one line into M->ev and H; false with J->err set. */
static bool _parse_hit(struct eh_merger *m, struct jp *j, struct hit_line *h)
{
	struct eh_event *ev = &m->ev;
	eh_event_reset(ev);
	bool have_time = false, have_rule = false;
	if (!_lit(j, '{')) {
		j->err = "expected an object";
		return false;
	}
	do {
		if (!_string(j, &m->key) || !_lit(j, ':'))
			return false;
		const char *k = m->key.data;
		if (strcmp(k, "timestamp") == 0) {
			if (!_string(j, &m->str))
				return false;
			h->time = eh_time_parse(m->str.data);
			if (h->time < 0) {
				j->err = "bad timestamp";
				return false;
			}
			have_time = true;
		} else if (strcmp(k, "record_id") == 0 || strcmp(k, "event_id") == 0) {
			if (!_number(j, strcmp(k, "record_id") == 0 ? &h->record_id : &h->event_id))
				return false;
		} else if (strcmp(k, "recovered") == 0) {
			if (_word(j, "true"))
				h->recovered = true;
			else if (!_word(j, "false")) {
				j->err = "recovered: expected true or false";
				return false;
			}
		} else if (strcmp(k, "computer") == 0 || strcmp(k, "channel") == 0 || strcmp(k, "provider") == 0) {
			if (_word(j, "null"))
				continue;
			if (!_string(j, &m->str))
				return false;
			enum eh_system_slot slot = k[0] == 'c' && k[1] == 'o' ? EH_SYS_COMPUTER
						   : k[0] == 'c'		 ? EH_SYS_CHANNEL
										 : EH_SYS_PROVIDER;
			eh_event_set_system(ev, slot, m->str.data, m->str.len);
		} else if (strcmp(k, "file") == 0 || strcmp(k, "rule_id") == 0 || strcmp(k, "rule_title") == 0 ||
			   strcmp(k, "level") == 0) {
			char **to = k[0] == 'f' ? &h->file : strcmp(k, "rule_id") == 0 ? &h->rule_id
							: k[0] == 'r'			? &h->title
											: &h->level;
			if (_word(j, "null"))
				continue;
			if (!_string(j, &m->str))
				return false;
			free(*to);
			*to = xstrndup(m->str.data, m->str.len);
			have_rule |= to == &h->rule_id;
		} else if (strcmp(k, "tags") == 0) {
			if (!_lit(j, '[')) {
				j->err = "tags: expected an array";
				return false;
			}
			if (!_lit(j, ']')) {
				do {
					if (!_string(j, &m->str))
						return false;
					h->tags = xreallocarray(h->tags, h->ntags + 1, sizeof *h->tags);
					h->tags[h->ntags++] = xstrndup(m->str.data, m->str.len);
				} while (_lit(j, ','));
				if (!_lit(j, ']')) {
					j->err = "tags: unterminated";
					return false;
				}
			}
		} else if (strcmp(k, "fields") == 0) {
			if (!_lit(j, '{')) {
				j->err = "fields: expected an object";
				return false;
			}
			if (!_lit(j, '}')) {
				do {
					if (!_string(j, &m->name) || !_lit(j, ':') || !_string(j, &m->str))
						return false;
					eh_event_add_field(ev, m->name.data, m->name.len, m->str.data, m->str.len);
				} while (_lit(j, ','));
				if (!_lit(j, '}')) {
					j->err = "fields: unterminated";
					return false;
				}
			}
		} else if (!_skip(j, &m->str, 0)) { /* datetime, message, ...: derived */
			return false;
		}
	} while (_lit(j, ','));
	if (!_lit(j, '}')) {
		j->err = "expected ',' or '}'";
		return false;
	}
	_ws(j);
	if (j->p != j->end) {
		j->err = "text after the object";
		return false;
	}
	if (!have_time || !have_rule || h->file == NULL || h->title == NULL) {
		j->err = "not an evtxhunt hit (timestamp, file, rule_id or rule_title missing)";
		return false;
	}
	eh_event_finish(ev);
	ev->time = h->time;
	ev->record_id = h->record_id;
	ev->event_id = (uint32_t)h->event_id;
	ev->recovered = h->recovered;
	return true;
}

bool eh_merge_line(struct eh_merger *m, const char *line, size_t len, struct eh_timeline *tl, const char **err,
		   size_t *column)
{
	struct jp j = { line, line + len, NULL };
	struct hit_line h = { 0 };
	bool ok = _parse_hit(m, &j, &h);
	if (ok) {
		const struct eh_rule *rule = _intern_rule(m, &h);
		eh_timeline_add(tl, rule, &m->ev, eh_timeline_file(tl, h.file));
	} else {
		m->bad_lines++;
		*err = j.err ? j.err : "not JSON";
		*column = (size_t)(j.p - line) + 1;
	}
	_hit_line_free(&h);
	return ok;
}

long eh_merge_file(struct eh_merger *m, const char *path, struct eh_timeline *tl, FILE *diag)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	if (f == NULL) {
		eh_report_linef(diag, "error", path, "cannot open: %s", strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long added = 0, lineno = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		const char *err;
		size_t column;
		if (eh_merge_line(m, line, (size_t)n, tl, &err, &column))
			added++;
		else
			eh_report_linef(diag, "error", path, "line %ld, column %zu: %s; line skipped", lineno, column, err);
	}
	bool failed = ferror(f);
	free(line);
	if (f != stdin)
		fclose(f);
	if (failed) {
		eh_report_linef(diag, "error", path, "read error");
		return -1;
	}
	return added;
}
