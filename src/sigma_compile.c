/* Sigma compiler: one YAML document to a read-only rule. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/logsource.h"
#include "evtxhunt/sigma_internal.h"
#include "evtxhunt/utf.h"
#include "evtxhunt/util.h"

/* The compile context: where errors point, and what the rule has made
 * so far against its bounds. */
struct cc {
	const char *file;
	struct eh_rule_error *err;
	bool failed;
	const struct sigma_budget *set_left; /* what the rule set has left */
	size_t written;                      /* values as written in the YAML */
	size_t values;                       /* values after modifier expansion */
	size_t bytes;                        /* their text */
};

static void sigma_compile_fail(struct cc *cc, const struct ynode *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void sigma_compile_fail(struct cc *cc, const struct ynode *at, const char *fmt, ...)
{
	if (cc->failed)
		return; /* the first error is the one to fix */
	va_list ap;
	va_start(ap, fmt);
	cc->err->reason = xvasprintf(fmt, ap);
	va_end(ap);
	cc->err->line = at ? at->line : 0;
	cc->err->column = at ? at->column : 0;
	cc->failed = true;
}

/* ---- modifiers ------------------------------------------------------ */

enum {
	MOD_CONTAINS = 1 << 0,
	MOD_STARTSWITH = 1 << 1,
	MOD_ENDSWITH = 1 << 2,
	MOD_ALL = 1 << 3,
	MOD_CASED = 1 << 4,
	MOD_EXISTS = 1 << 5,
	MOD_WINDASH = 1 << 6,
	MOD_RE = 1 << 7,
	MOD_RE_I = 1 << 8,
	MOD_RE_M = 1 << 9,
	MOD_RE_S = 1 << 10,
	MOD_BASE64 = 1 << 11,
	MOD_BASE64OFFSET = 1 << 12,
	MOD_UTF16LE = 1 << 13,
	MOD_UTF16BE = 1 << 14,
	MOD_UTF16 = 1 << 15,
	MOD_WIDE = 1 << 16,
	MOD_CIDR = 1 << 17,
	MOD_FIELDREF = 1 << 18,
	MOD_GT = 1 << 19,
	MOD_GTE = 1 << 20,
	MOD_LT = 1 << 21,
	MOD_LTE = 1 << 22,
	MOD_EXPAND = 1 << 23,
};
#define MOD_POSITION (MOD_CONTAINS | MOD_STARTSWITH | MOD_ENDSWITH)
#define MOD_RE_FLAGS (MOD_RE_I | MOD_RE_M | MOD_RE_S)
#define MOD_ENCODING (MOD_UTF16LE | MOD_UTF16BE | MOD_UTF16 | MOD_WIDE)
#define MOD_BASE64_ANY (MOD_BASE64 | MOD_BASE64OFFSET)
#define MOD_COMPARE (MOD_GT | MOD_GTE | MOD_LT | MOD_LTE)

/* Each modifier with the others it may be chained with (any order). */
static const struct modifier {
	const char *name;
	unsigned flag;
	unsigned allowed; /* modifiers it combines with */
} modifiers[] = {
	{ "contains", MOD_CONTAINS, MOD_ALL | MOD_CASED | MOD_WINDASH | MOD_BASE64_ANY | MOD_ENCODING | MOD_FIELDREF | MOD_EXPAND },
	{ "startswith", MOD_STARTSWITH, MOD_ALL | MOD_CASED | MOD_WINDASH | MOD_BASE64_ANY | MOD_ENCODING | MOD_FIELDREF | MOD_EXPAND },
	{ "endswith", MOD_ENDSWITH, MOD_ALL | MOD_CASED | MOD_WINDASH | MOD_BASE64_ANY | MOD_ENCODING | MOD_FIELDREF | MOD_EXPAND },
	{ "all", MOD_ALL, ~0u },
	{ "cased", MOD_CASED, MOD_POSITION | MOD_ALL | MOD_WINDASH | MOD_FIELDREF | MOD_EXPAND },
	{ "exists", MOD_EXISTS, 0 },
	{ "windash", MOD_WINDASH, MOD_POSITION | MOD_ALL | MOD_CASED | MOD_EXPAND },
	{ "re", MOD_RE, MOD_RE_FLAGS | MOD_ALL | MOD_EXPAND },
	{ "i", MOD_RE_I, MOD_RE | MOD_RE_FLAGS | MOD_ALL | MOD_EXPAND },
	{ "m", MOD_RE_M, MOD_RE | MOD_RE_FLAGS | MOD_ALL | MOD_EXPAND },
	{ "s", MOD_RE_S, MOD_RE | MOD_RE_FLAGS | MOD_ALL | MOD_EXPAND },
	{ "base64", MOD_BASE64, MOD_POSITION | MOD_ALL | MOD_ENCODING | MOD_EXPAND },
	{ "base64offset", MOD_BASE64OFFSET, MOD_POSITION | MOD_ALL | MOD_ENCODING | MOD_EXPAND },
	{ "utf16le", MOD_UTF16LE, MOD_POSITION | MOD_ALL | MOD_BASE64_ANY | MOD_EXPAND },
	{ "utf16be", MOD_UTF16BE, MOD_POSITION | MOD_ALL | MOD_BASE64_ANY | MOD_EXPAND },
	{ "utf16", MOD_UTF16, MOD_POSITION | MOD_ALL | MOD_BASE64_ANY | MOD_EXPAND },
	{ "wide", MOD_WIDE, MOD_POSITION | MOD_ALL | MOD_BASE64_ANY | MOD_EXPAND },
	{ "cidr", MOD_CIDR, MOD_ALL | MOD_EXPAND },
	{ "fieldref", MOD_FIELDREF, MOD_POSITION | MOD_ALL | MOD_CASED | MOD_EXPAND },
	{ "gt", MOD_GT, MOD_ALL | MOD_EXPAND },
	{ "gte", MOD_GTE, MOD_ALL | MOD_EXPAND },
	{ "lt", MOD_LT, MOD_ALL | MOD_EXPAND },
	{ "lte", MOD_LTE, MOD_ALL | MOD_EXPAND },
	{ "expand", MOD_EXPAND, ~0u },
};

static const struct modifier *sigma_compile_modifier(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof modifiers / sizeof modifiers[0]; i++)
		if (strlen(modifiers[i].name) == len && strncmp(modifiers[i].name, name, len) == 0)
			return &modifiers[i];
	return NULL;
}

/* ---- values ----------------------------------------------------------- */

struct tokens {
	uint16_t *t;
	size_t n, cap;
};

static void tok_add(struct tokens *tk, uint16_t t)
{
	if (tk->n == tk->cap) {
		tk->cap = tk->cap ? tk->cap * 2 : 32;
		tk->t = xreallocarray(tk->t, tk->cap, sizeof *tk->t);
	}
	tk->t[tk->n++] = t;
}

/* Sigma escaping: \* and \? are a literal star and question mark, \\ is
 * one backslash, and any other backslash is itself. */
static void tokenize(const char *s, size_t len, struct tokens *tk)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\' && i + 1 < len && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
			tok_add(tk, (unsigned char)s[++i]);
		} else if (c == '*') {
			tok_add(tk, GLOB_STAR);
		} else if (c == '?') {
			tok_add(tk, GLOB_ONE);
		} else {
			tok_add(tk, c);
		}
	}
}

static bool is_word(uint16_t t)
{
	return t < 0x80 && (isalnum(t) || t == '_');
}

/* The dash variants a Windows command line accepts where '-' or '/' starts
 * an option: '-', '/', en dash, em dash, horizontal bar (UTF-8). */
static const char *const windashes[] = { "-", "/", "\xe2\x80\x93", "\xe2\x80\x94", "\xe2\x80\x95" };
#define NWINDASH 5
#define MAX_WINDASH_PLACES 4

/* Positions where windash applies: a '-' or '/' that follows a non-word
 * character (or starts the value) and precedes a word character. */
static size_t windash_places(const struct tokens *tk, size_t *places)
{
	size_t n = 0;
	for (size_t i = 0; i < tk->n && n < MAX_WINDASH_PLACES; i++) {
		if (tk->t[i] != '-' && tk->t[i] != '/')
			continue;
		bool before = i == 0 || !is_word(tk->t[i - 1]);
		bool after = i + 1 < tk->n && is_word(tk->t[i + 1]);
		if (before && after)
			places[n++] = i;
	}
	return n;
}

/* Folds the text as the matcher folds event values (eh_utf8_fold keeps
 * lengths, so every token keeps its place; a wildcard stands in as NUL). */
static void sigma_compile_fold(struct tokens *tk)
{
	char *text = xmalloc(tk->n + 1);
	for (size_t i = 0; i < tk->n; i++)
		text[i] = tk->t[i] < 0x100 ? (char)tk->t[i] : '\0';
	eh_utf8_fold(text, tk->n, text);
	for (size_t i = 0; i < tk->n; i++)
		if (tk->t[i] < 0x100)
			tk->t[i] = (unsigned char)text[i];
	free(text);
}

/* ---- bounds on what one rule expands into --------------------------- */

/* windash makes up to 5^4 = 625 values of one, base64offset 3 (each of
 * them up to 2.7 times as long with wide), expand one per combination of
 * placeholder values: a few kilobytes of YAML became gigabytes and
 * minutes of Hyperscan compilation. Every value costs the matcher and the
 * prefilter (at most one literal of at most 64 bytes each: literals and
 * pattern size follow from the values), so a rule's values are bounded,
 * and what modifiers add beyond the values written more tightly.
 * Measured over SigmaHQ's rules/windows, rules-threat-hunting/windows and
 * rules-emerging-threats (3,006 rules, 42,419 values in all): at most
 * 4,432 values (driver_load_win_vuln_drivers.yml, a hash list), 219,165
 * bytes of them, and 156 added by modifiers in one rule (psexec flags,
 * windash). The limits leave a margin of over 100x (320x for what
 * modifiers add) and admit IOC lists of 100,000s of values. */
#define MAX_RULE_VALUES 500000
#define MAX_RULE_EXPANDED 50000
#define MAX_RULE_BYTES (64u << 20)

/* Whether COUNT more values of BYTES in all fit the rule and the rule
 * set; if not, the rule fails at N, naming the limit. */
static bool values_fit(struct cc *cc, const struct ynode *n, size_t count, size_t bytes)
{
	size_t values = cc->values + count, expanded = values > cc->written ? values - cc->written : 0;
	if (cc->failed)
		return false;
	if (expanded > MAX_RULE_EXPANDED)
		sigma_compile_fail(cc, n, "windash, base64offset and expand make more than %d values of the %zu written "
				   "(the limit for one rule)", MAX_RULE_EXPANDED, cc->written);
	else if (values > MAX_RULE_VALUES)
		sigma_compile_fail(cc, n, "more than %d values after modifiers (the limit for one rule)", MAX_RULE_VALUES);
	else if (cc->bytes + bytes > MAX_RULE_BYTES)
		sigma_compile_fail(cc, n, "more than %u bytes of values after modifiers (the limit for one rule)",
				   MAX_RULE_BYTES);
	else if (cc->set_left && (values > cc->set_left->values || cc->bytes + bytes > cc->set_left->bytes))
		sigma_compile_fail(cc, n, "the rules loaded take more than %d values or %u bytes of values after modifiers "
				   "(the limit for all rules together, which bounds the time to compile them)",
				   SIGMA_SET_MAX_VALUES, SIGMA_SET_MAX_BYTES);
	if (cc->failed)
		return false;
	cc->values = values;
	cc->bytes += bytes;
	return true;
}

static struct sigma_value *new_value(struct sigma_test *t)
{
	if ((t->nvalues & (t->nvalues - 1)) == 0) /* 0, 1, 2, 4...: double */
		t->values = xreallocarray(t->values, t->nvalues ? 2 * t->nvalues : 1, sizeof *t->values);
	struct sigma_value *v = &t->values[t->nvalues++];
	memset(v, 0, sizeof *v);
	return v;
}

/* Turns the tokens of one value alternative into a compiled value. */
static void make_value(struct sigma_value *v, struct tokens *tk, unsigned mods)
{
	v->cased = (mods & MOD_CASED) != 0;
	if (!v->cased)
		sigma_compile_fold(tk);
	bool lead = (mods & (MOD_CONTAINS | MOD_ENDSWITH)) != 0;
	bool trail = (mods & (MOD_CONTAINS | MOD_STARTSWITH)) != 0;
	bool inner = false;
	for (size_t i = 0; i < tk->n; i++)
		if (tk->t[i] >= 0x100)
			inner = true;
	if (!inner) {
		v->kind = lead && trail ? SV_CONTAINS : lead ? SV_ENDSWITH : trail ? SV_STARTSWITH : SV_EQ;
		v->lit = xmalloc(tk->n + 1);
		for (size_t i = 0; i < tk->n; i++)
			v->lit[i] = (char)tk->t[i];
		v->lit[tk->n] = '\0';
		v->len = tk->n;
		v->has_nul = memchr(v->lit, '\0', v->len) != NULL;
		return;
	}
	v->kind = SV_GLOB;
	v->glob = xreallocarray(NULL, tk->n + 2, sizeof *v->glob);
	if (lead)
		v->glob[v->glen++] = GLOB_STAR;
	for (size_t i = 0; i < tk->n; i++)
		if (!(tk->t[i] == GLOB_STAR && v->glen && v->glob[v->glen - 1] == GLOB_STAR))
			v->glob[v->glen++] = tk->t[i];
	if (trail && !(v->glen && v->glob[v->glen - 1] == GLOB_STAR))
		v->glob[v->glen++] = GLOB_STAR;
}

/* Expands windash alternatives of one value (N): 5^k for k dash places. */
static void push_windash(struct cc *cc, struct sigma_test *t, const struct ynode *n, const struct tokens *src,
			 unsigned mods)
{
	size_t places[MAX_WINDASH_PLACES];
	size_t k = windash_places(src, places);
	size_t combos = 1;
	for (size_t i = 0; i < k; i++)
		combos *= NWINDASH;
	if (!values_fit(cc, n, combos, combos * (src->n + 2 * k))) /* a dash is up to 3 bytes */
		return;
	for (size_t c = 0; c < combos; c++) {
		struct tokens tk = { 0 };
		size_t code = c, p = 0;
		for (size_t i = 0; i < src->n; i++) {
			if (p < k && places[p] == i) {
				const char *d = windashes[code % NWINDASH];
				code /= NWINDASH;
				p++;
				for (; *d; d++)
					tok_add(&tk, (unsigned char)*d);
			} else {
				tok_add(&tk, src->t[i]);
			}
		}
		make_value(new_value(t), &tk, mods);
		free(tk.t);
	}
}

/* UTF-8 text to UTF-16 bytes (utf16le/wide, utf16be, or utf16 with a BOM). */
static void encode_utf16(const char *s, size_t len, unsigned mods, struct buf *out)
{
	if (mods & MOD_UTF16)
		buf_add(out, "\xff\xfe", 2);
	eh_utf8_to_utf16(s, len, (mods & MOD_UTF16BE) != 0, out);
}

static void sigma_compile_base64(const unsigned char *in, size_t len, struct buf *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < len ? in[i + 2] : 0);
		buf_addc(out, alphabet[v >> 18 & 63]);
		buf_addc(out, alphabet[v >> 12 & 63]);
		buf_addc(out, i + 1 < len ? alphabet[v >> 6 & 63] : '=');
		buf_addc(out, i + 2 < len ? alphabet[v & 63] : '=');
	}
}

/* A literal (no wildcards) value alternative, e.g. a base64 encoding:
 * base64 text is case-sensitive, so it is matched cased. */
static void push_literal(struct sigma_test *t, const char *s, size_t len, unsigned mods)
{
	struct tokens tk = { 0 };
	for (size_t i = 0; i < len; i++)
		tok_add(&tk, (unsigned char)s[i]);
	make_value(new_value(t), &tk, mods | MOD_CASED);
	free(tk.t);
}

/* base64 / base64offset, after the optional UTF-16 encoding. base64offset
 * gives the three encodings of the value at byte offsets 0, 1 and 2 of the
 * encoded stream, without the characters that depend on its neighbours. */
static void push_base64(struct cc *cc, struct sigma_test *t, const struct ynode *n, unsigned mods)
{
	const char *s = n->text;
	size_t len = n->len;
	/* base64 of UTF-16 is at most 4/3 x 2 x 2 bytes a byte (+ padding) */
	size_t each = ((mods & MOD_ENCODING) ? 4 * len + 2 : len) / 3 * 4 + 4;
	if (!values_fit(cc, n, mods & MOD_BASE64 ? 1 : 3, (mods & MOD_BASE64 ? 1 : 3) * each))
		return;
	struct buf raw, enc;
	buf_init(&raw);
	buf_init(&enc);
	if (mods & MOD_ENCODING)
		encode_utf16(s, len, mods, &raw);
	else
		buf_add(&raw, s, len);
	if (mods & MOD_BASE64) {
		sigma_compile_base64((const unsigned char *)raw.data, raw.len, &enc);
		/* padding depends on what follows in the stream: leave it out
		 * unless the value must match exactly */
		while ((mods & MOD_POSITION) && enc.len && enc.data[enc.len - 1] == '=')
			enc.len--;
		push_literal(t, enc.data, enc.len, mods);
	} else {
		static const size_t start[3] = { 0, 2, 3 };
		static const size_t trim[3] = { 0, 3, 2 };
		for (size_t i = 0; i < 3; i++) {
			struct buf shifted;
			buf_init(&shifted);
			buf_add(&shifted, "\0\0", i);
			buf_add(&shifted, raw.data, raw.len);
			buf_reset(&enc);
			sigma_compile_base64((const unsigned char *)shifted.data, shifted.len, &enc);
			size_t end = enc.len - trim[(raw.len + i) % 3];
			if (end > start[i])
				push_literal(t, enc.data + start[i], end - start[i], mods | MOD_CONTAINS);
			buf_free(&shifted);
		}
	}
	buf_free(&raw);
	buf_free(&enc);
}

static void compile_re(struct cc *cc, struct sigma_test *t, const struct ynode *n, unsigned mods)
{
	int err;
	PCRE2_SIZE off;
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	if (mods & MOD_RE_I)
		opts |= PCRE2_CASELESS;
	if (mods & MOD_RE_M)
		opts |= PCRE2_MULTILINE;
	if (mods & MOD_RE_S)
		opts |= PCRE2_DOTALL;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)n->text, n->len, opts, &err, &off, NULL);
	if (re == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof msg);
		sigma_compile_fail(cc, n, "regular expression: %s at offset %zu", (char *)msg, (size_t)off);
		return;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	struct sigma_value *v = new_value(t);
	v->kind = SV_RE;
	v->re = re;
}

static bool parse_cidr(const char *s, struct sigma_value *v)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof addr)
		return false;
	memcpy(addr, s, n);
	addr[n] = '\0';
	v->family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(v->family, addr, v->net) != 1)
		return false;
	unsigned max = v->family == AF_INET ? 32 : 128;
	v->prefix = max;
	if (slash) {
		char *end;
		unsigned long p = strtoul(slash + 1, &end, 10);
		if (*end || end == slash + 1 || p > max)
			return false;
		v->prefix = (unsigned)p;
	}
	return true;
}

/* ---- expand: placeholder values ------------------------------------- */

/* The placeholders file, kept as its YAML tree: loading is single-threaded
 * and happens before any rule. */
static struct {
	struct ydoc_list docs;
	const struct ynode *map;
} placeholders;

void eh_placeholders_clear(void)
{
	ytree_free_docs(&placeholders.docs);
	memset(&placeholders, 0, sizeof placeholders);
}

int eh_placeholders_load(const char *path, char **cause)
{
	eh_placeholders_clear();
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	struct buf text;
	buf_init(&text);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&text, chunk, n);
	bool bad = ferror(f) != 0;
	fclose(f);
	if (bad) {
		buf_free(&text);
		*cause = xasprintf("%s: cannot read it", path);
		return -1;
	}
	int line = 0, column = 0;
	char *why = NULL;
	struct ydoc_list docs = { 0 };
	int rc = ytree_parse(text.data ? text.data : "", text.len, &docs, &line, &column, &why);
	buf_free(&text);
	if (rc != 0) {
		*cause = xasprintf("%s:%d:%d: %s", path, line, column, why);
		free(why);
		return -1;
	}
	const struct ynode *map = docs.n ? docs.docs[0] : NULL;
	if (map == NULL || map->type != Y_MAP) {
		*cause = xasprintf("%s:%d:%d: a map of placeholder names to lists of values is expected", path,
				   map ? map->line : 1, map ? map->column : 1);
		ytree_free_docs(&docs);
		return -1;
	}
	for (size_t i = 0; i + 1 < map->n; i += 2) {
		const struct ynode *k = map->items[i], *v = map->items[i + 1];
		bool ok = k->type == Y_SCALAR && (v->type == Y_SCALAR || v->type == Y_SEQ);
		for (size_t j = 0; ok && v->type == Y_SEQ && j < v->n; j++)
			ok = v->items[j]->type == Y_SCALAR;
		if (!ok) {
			*cause = xasprintf("%s:%d:%d: placeholder '%s' must be a value or a list of values", path, v->line,
					   v->column, k->type == Y_SCALAR ? k->text : "?");
			ytree_free_docs(&docs);
			return -1;
		}
	}
	placeholders.docs = docs;
	placeholders.map = map;
	return 0;
}

static const struct ynode *placeholder_values(const char *name, size_t len)
{
	const struct ynode *map = placeholders.map;
	for (size_t i = 0; map && i + 1 < map->n; i += 2)
		if (map->items[i]->len == len && memcmp(map->items[i]->text, name, len) == 0)
			return map->items[i + 1];
	return NULL;
}

static void compile_scalar(struct cc *cc, struct sigma_test *t, const struct ynode *n, unsigned mods);

/* N with its first %name% replaced by each of the placeholder's values
 * (PREFIX holds what came before it), the rest expanded in turn: every
 * combination is one more value of the test (OR), compiled with the other
 * modifiers. */
static void expand_from(struct cc *cc, struct sigma_test *t, const struct ynode *n, unsigned mods, struct buf *prefix,
			const char *rest, int depth)
{
	const char *open = strchr(rest, '%');
	const char *close = open ? strchr(open + 1, '%') : NULL;
	if (close == NULL || depth > 8) {
		size_t at = prefix->len;
		buf_adds(prefix, rest);
		struct ynode v = *n;
		v.text = prefix->data;
		v.len = prefix->len;
		compile_scalar(cc, t, &v, mods & ~MOD_EXPAND);
		prefix->len = at;
		prefix->data[at] = '\0';
		return;
	}
	const struct ynode *values = placeholder_values(open + 1, (size_t)(close - open - 1));
	if (values == NULL) {
		sigma_compile_fail(cc, n, "placeholder '%.*s' is not in the placeholders file", (int)(close - open - 1),
				   open + 1);
		return;
	}
	size_t count = values->type == Y_SEQ ? values->n : 1;
	for (size_t i = 0; i < count && !cc->failed; i++) {
		const struct ynode *v = values->type == Y_SEQ ? values->items[i] : values;
		size_t at = prefix->len;
		buf_add(prefix, rest, (size_t)(open - rest));
		buf_add(prefix, v->text, v->len);
		expand_from(cc, t, n, mods, prefix, close + 1, depth + 1);
		prefix->len = at;
		prefix->data[at] = '\0';
	}
}

static void compile_expand(struct cc *cc, struct sigma_test *t, const struct ynode *n, unsigned mods)
{
	struct buf prefix;
	buf_init(&prefix);
	buf_reserve(&prefix, 1);
	prefix.data[0] = '\0';
	expand_from(cc, t, n, mods, &prefix, n->text, 0);
	buf_free(&prefix);
}

static void compile_scalar(struct cc *cc, struct sigma_test *t, const struct ynode *n, unsigned mods)
{
	if (n->type != Y_SCALAR) {
		sigma_compile_fail(cc, n, "a value must be a string, number, boolean or null");
		return;
	}
	if (mods & MOD_EXPAND) {
		compile_expand(cc, t, n, mods);
		return;
	}
	if (mods & MOD_EXISTS) {
		bool yes = strcmp(n->text, "true") == 0 || strcmp(n->text, "True") == 0;
		bool no = strcmp(n->text, "false") == 0 || strcmp(n->text, "False") == 0;
		if (!n->plain || (!yes && !no)) {
			sigma_compile_fail(cc, n, "'exists' takes true or false");
			return;
		}
		if (!values_fit(cc, n, 1, 0))
			return;
		struct sigma_value *v = new_value(t);
		v->kind = SV_EXISTS;
		v->exists = yes;
		return;
	}
	if (ytree_is_null(n)) {
		if (mods & ~(MOD_ALL | MOD_CASED)) {
			sigma_compile_fail(cc, n, "null cannot take modifiers");
			return;
		}
		if (values_fit(cc, n, 1, 0))
			new_value(t)->kind = SV_NULL;
		return;
	}
	if ((mods & (MOD_RE | MOD_CIDR | MOD_FIELDREF | MOD_COMPARE)) && !values_fit(cc, n, 1, n->len))
		return; /* a regex, network, reference or number: one value */
	if (mods & MOD_RE) {
		compile_re(cc, t, n, mods);
	} else if (mods & MOD_BASE64_ANY) {
		push_base64(cc, t, n, mods);
	} else if (mods & MOD_CIDR) {
		struct sigma_value *v = new_value(t);
		v->kind = SV_CIDR;
		if (!parse_cidr(n->text, v))
			sigma_compile_fail(cc, n, "'%s' is not an IPv4 or IPv6 network", n->text);
	} else if (mods & MOD_FIELDREF) {
		struct sigma_value *v = new_value(t);
		v->kind = SV_FIELDREF;
		v->ref = xstrdup(n->text);
		v->cased = (mods & MOD_CASED) != 0;
		v->position = mods & MOD_CONTAINS ? POS_CONTAINS : mods & MOD_STARTSWITH ? POS_STARTSWITH
			      : mods & MOD_ENDSWITH ? POS_ENDSWITH : POS_EQ;
	} else if (mods & MOD_COMPARE) {
		char *end;
		double d = strtod(n->text, &end);
		if (end == n->text || *end) {
			sigma_compile_fail(cc, n, "'%s' is not a number", n->text);
			return;
		}
		struct sigma_value *v = new_value(t);
		v->kind = SV_COMPARE;
		v->number = d;
		v->compare = mods & MOD_GT ? CMP_GT : mods & MOD_GTE ? CMP_GTE : mods & MOD_LT ? CMP_LT : CMP_LTE;
	} else {
		struct tokens tk = { 0 };
		tokenize(n->text, n->len, &tk);
		if (mods & MOD_WINDASH)
			push_windash(cc, t, n, &tk, mods);
		else if (values_fit(cc, n, 1, tk.n))
			make_value(new_value(t), &tk, mods);
		free(tk.t);
	}
}

/* A value as the YAML has it (before modifiers make more of it). */
static void compile_written(struct cc *cc, struct sigma_test *t, const struct ynode *n, unsigned mods)
{
	cc->written++;
	compile_scalar(cc, t, n, mods);
}

/* "Field|mod|mod" to a test with its field and modifier flags. */
static unsigned parse_key(struct cc *cc, const struct ynode *key, struct sigma_test *t)
{
	const char *s = key->text;
	const char *bar = strchr(s, '|');
	size_t flen = bar ? (size_t)(bar - s) : strlen(s);
	t->field = flen ? xstrndup(s, flen) : NULL;
	unsigned mods = 0;
	const struct modifier *seen[32];
	size_t nseen = 0;
	while (bar) {
		const char *name = bar + 1;
		bar = strchr(name, '|');
		size_t len = bar ? (size_t)(bar - name) : strlen(name);
		const struct modifier *m = sigma_compile_modifier(name, len);
		if (m == NULL) {
			sigma_compile_fail(cc, key, "unknown modifier '%.*s'", (int)len, name);
			return 0;
		}
		if (m->flag == MOD_EXPAND && placeholders.docs.n == 0) {
			sigma_compile_fail(cc, key, "modifier 'expand' needs placeholder values: give them with --placeholders FILE");
			return 0;
		}
		if (mods & m->flag) {
			sigma_compile_fail(cc, key, "modifier '%s' given twice", m->name);
			return 0;
		}
		for (size_t i = 0; i < nseen; i++)
			if (!(seen[i]->allowed & m->flag) || !(m->allowed & seen[i]->flag)) {
				sigma_compile_fail(cc, key, "modifier '%s' cannot be combined with '%s'", m->name, seen[i]->name);
				return 0;
			}
		if (nseen < 32)
			seen[nseen++] = m;
		mods |= m->flag;
	}
	if ((mods & MOD_RE_FLAGS) && !(mods & MOD_RE)) {
		sigma_compile_fail(cc, key, "modifiers 'i', 'm' and 's' belong to 're'");
		return 0;
	}
	if ((mods & MOD_ENCODING) && !(mods & MOD_BASE64_ANY)) {
		sigma_compile_fail(cc, key, "'utf16le', 'utf16be', 'utf16' and 'wide' need 'base64' or 'base64offset'");
		return 0;
	}
	if ((mods & MOD_ENCODING) & ((mods & MOD_ENCODING) - 1)) {
		sigma_compile_fail(cc, key, "more than one of 'utf16le', 'utf16be', 'utf16' and 'wide'");
		return 0;
	}
	if (t->field == NULL && (mods & (MOD_EXISTS | MOD_FIELDREF | MOD_CIDR | MOD_COMPARE))) {
		sigma_compile_fail(cc, key, "this modifier needs a field name");
		return 0;
	}
	return mods;
}

static void compile_test(struct cc *cc, struct sigma_test *t, const struct ynode *key, const struct ynode *val)
{
	if (key->type != Y_SCALAR) {
		sigma_compile_fail(cc, key, "a field name must be a string");
		return;
	}
	unsigned mods = parse_key(cc, key, t);
	if (cc->failed)
		return;
	t->all = (mods & MOD_ALL) != 0;
	if (val->type == Y_SEQ) {
		if (val->n == 0) {
			sigma_compile_fail(cc, val, "an empty list of values");
			return;
		}
		for (size_t i = 0; i < val->n && !cc->failed; i++)
			compile_written(cc, t, val->items[i], mods);
	} else {
		compile_written(cc, t, val, mods);
	}
}

static void compile_map(struct cc *cc, struct sigma_map *m, const struct ynode *map)
{
	m->ntests = map->n / 2;
	m->tests = xcalloc(m->ntests ? m->ntests : 1, sizeof *m->tests);
	for (size_t i = 0; i < m->ntests && !cc->failed; i++)
		compile_test(cc, &m->tests[i], map->items[2 * i], map->items[2 * i + 1]);
}

/* A keyword selection: a list of strings searched in every field. */
static void compile_keywords(struct cc *cc, struct sigma_map *m, const struct ynode *list)
{
	m->ntests = 1;
	m->tests = xcalloc(1, sizeof *m->tests);
	if (list->type == Y_SEQ)
		for (size_t i = 0; i < list->n && !cc->failed; i++)
			compile_written(cc, &m->tests[0], list->items[i], MOD_CONTAINS);
	else
		compile_written(cc, &m->tests[0], list, MOD_CONTAINS);
}

static void compile_selection(struct cc *cc, struct sigma_selection *sel, const struct ynode *key,
			       const struct ynode *val)
{
	sel->name = xstrdup(key->text);
	if (val->type == Y_MAP) {
		sel->nmaps = 1;
		sel->maps = xcalloc(1, sizeof *sel->maps);
		compile_map(cc, &sel->maps[0], val);
		return;
	}
	if (val->type == Y_SCALAR) {
		sel->nmaps = 1;
		sel->maps = xcalloc(1, sizeof *sel->maps);
		compile_keywords(cc, &sel->maps[0], val);
		return;
	}
	if (val->n == 0) {
		sigma_compile_fail(cc, val, "selection '%s' is empty", sel->name);
		return;
	}
	size_t maps = 0, scalars = 0;
	for (size_t i = 0; i < val->n; i++) {
		maps += val->items[i]->type == Y_MAP;
		scalars += val->items[i]->type == Y_SCALAR;
	}
	if (scalars == val->n) {
		sel->nmaps = 1;
		sel->maps = xcalloc(1, sizeof *sel->maps);
		compile_keywords(cc, &sel->maps[0], val);
		return;
	}
	if (maps != val->n) {
		sigma_compile_fail(cc, val, "selection '%s' mixes maps with other items", sel->name);
		return;
	}
	sel->nmaps = val->n;
	sel->maps = xcalloc(val->n, sizeof *sel->maps);
	for (size_t i = 0; i < val->n && !cc->failed; i++)
		compile_map(cc, &sel->maps[i], val->items[i]);
}

/* ---- conditions ----------------------------------------------------- */

/* Bounds on a condition: parsing and evaluation recurse along its nesting,
 * and a rule file must not be able to overflow the stack (a condition of
 * 100,000 parentheses did). Real rules stay far below both. */
#define MAX_COND_DEPTH 64
#define MAX_COND_OPERANDS 1000

struct cparser {
	struct cc *cc;
	const struct ynode *at; /* the condition scalar, for error positions */
	const char *s, *p;
	const struct sigma_rule_body *body;
	int depth, operands;
};

static void skip_space(struct cparser *cp)
{
	while (*cp->p == ' ' || *cp->p == '\t' || *cp->p == '\n' || *cp->p == '\r')
		cp->p++;
}

/* The next word (identifier, with '*' wildcards) or a one-character
 * token; does not consume it. */
static size_t peek(struct cparser *cp, const char **tok)
{
	skip_space(cp);
	*tok = cp->p;
	if (*cp->p == '(' || *cp->p == ')' || *cp->p == '|')
		return 1;
	size_t n = 0;
	while (cp->p[n] && (isalnum((unsigned char)cp->p[n]) || strchr("_-*.", cp->p[n])))
		n++;
	return n;
}

static bool word_is(const char *tok, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(tok, w, n) == 0;
}

static struct sigma_cond *cnode(enum cond_op op)
{
	struct sigma_cond *c = xcalloc(1, sizeof *c);
	c->op = op;
	return c;
}

static void cond_free(struct sigma_cond *c)
{
	if (c == NULL)
		return;
	cond_free(c->a);
	cond_free(c->b);
	free(c->sels);
	free(c);
}

static void cfail(struct cparser *cp, const char *fmt, const char *tok, size_t n)
{
	/* condition errors point at the condition, with the column in it */
	struct ynode at = *cp->at;
	if (at.line == cp->at->line && cp->at->plain)
		at.column += (int)(cp->p - cp->s);
	char *what = xasprintf(fmt, (int)n, tok);
	sigma_compile_fail(cp->cc, &at, "condition: %s", what);
	free(what);
}

/* Selection name patterns: '*' is the only wildcard. Greedy with one
 * backtrack point, so O(pattern x name) whatever the stars (the recursive
 * version was exponential in them: fuzz_rule found a rule that hung it). */
static bool name_match(const char *pat, size_t plen, const char *name)
{
	size_t p = 0, star = SIZE_MAX;
	const char *n = name, *resume = NULL;
	while (*n) {
		if (p < plen && pat[p] == '*') {
			star = p++;
			resume = n;
		} else if (p < plen && pat[p] == *n) {
			p++;
			n++;
		} else if (star != SIZE_MAX) {
			p = star + 1;
			n = ++resume;
		} else {
			return false;
		}
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}

static struct sigma_cond *parse_or(struct cparser *cp);

static struct sigma_cond *parse_primary(struct cparser *cp)
{
	const char *tok;
	size_t n = peek(cp, &tok);
	if (n == 0) {
		cfail(cp, *tok ? "unexpected '%.*s'" : "unexpected end%.*s", tok, *tok ? 1 : 0);
		return NULL;
	}
	if (*tok == '|') {
		cfail(cp, "aggregation ('|%.*s') is not supported", tok + 1, strcspn(tok + 1, "\n"));
		return NULL;
	}
	if (*tok == '(') {
		cp->p++;
		struct sigma_cond *c = parse_or(cp);
		if (c == NULL)
			return NULL;
		n = peek(cp, &tok);
		if (*tok != ')') {
			cfail(cp, "expected ')'%.*s", tok, 0);
			cond_free(c);
			return NULL;
		}
		cp->p++;
		return c;
	}
	if (*tok == ')') {
		cfail(cp, "unexpected '%.*s'", tok, 1);
		return NULL;
	}
	bool one = word_is(tok, n, "1") || word_is(tok, n, "any");
	bool all = word_is(tok, n, "all");
	if (one || all) {
		cp->p += n;
		const char *of;
		size_t m = peek(cp, &of);
		if (!word_is(of, m, "of")) {
			cfail(cp, "expected 'of' after '%.*s'", tok, n);
			return NULL;
		}
		cp->p += m;
		const char *pat;
		size_t plen = peek(cp, &pat);
		if (plen == 0 || *pat == '(' || *pat == ')' || *pat == '|') {
			cfail(cp, "expected a selection pattern or 'them' after 'of'%.*s", pat, 0);
			return NULL;
		}
		cp->p += plen;
		struct sigma_cond *c = cnode(one ? C_ONE_OF : C_ALL_OF);
		bool them = word_is(pat, plen, "them");
		c->sels = xcalloc(cp->body->nsels ? cp->body->nsels : 1, sizeof *c->sels);
		for (size_t i = 0; i < cp->body->nsels; i++) {
			const char *name = cp->body->sels[i].name;
			/* 'them' means every selection except those named _*, by convention */
			if ((them && name[0] != '_') || (!them && name_match(pat, plen, name)))
				c->sels[c->nsels++] = i;
		}
		if (c->nsels == 0) {
			cfail(cp, "no selection matches '%.*s'", pat, plen);
			cond_free(c);
			return NULL;
		}
		return c;
	}
	if (word_is(tok, n, "and") || word_is(tok, n, "or") || word_is(tok, n, "of") || word_is(tok, n, "not")) {
		cfail(cp, "unexpected '%.*s'", tok, n);
		return NULL;
	}
	for (size_t i = 0; i < cp->body->nsels; i++) {
		if (strlen(cp->body->sels[i].name) == n && strncmp(cp->body->sels[i].name, tok, n) == 0) {
			cp->p += n;
			struct sigma_cond *c = cnode(C_SEL);
			c->sels = xmalloc(sizeof *c->sels);
			c->sels[0] = i;
			c->nsels = 1;
			return c;
		}
	}
	cfail(cp, "unknown selection '%.*s'", tok, n);
	return NULL;
}

static struct sigma_cond *parse_not(struct cparser *cp)
{
	const char *tok;
	size_t n = peek(cp, &tok);
	if (cp->depth >= MAX_COND_DEPTH || ++cp->operands > MAX_COND_OPERANDS) {
		cfail(cp, cp->depth >= MAX_COND_DEPTH ? "nested too deeply%.*s" : "too long%.*s", tok, 0);
		return NULL;
	}
	cp->depth++;
	struct sigma_cond *c;
	if (word_is(tok, n, "not")) {
		cp->p += n;
		struct sigma_cond *a = parse_not(cp);
		c = a ? cnode(C_NOT) : NULL;
		if (c)
			c->a = a;
	} else {
		c = parse_primary(cp);
	}
	cp->depth--;
	return c;
}

static struct sigma_cond *parse_binary(struct cparser *cp, const char *word, enum cond_op op,
					struct sigma_cond *(*operand)(struct cparser *))
{
	struct sigma_cond *left = operand(cp);
	while (left) {
		const char *tok;
		size_t n = peek(cp, &tok);
		if (!word_is(tok, n, word))
			break;
		cp->p += n;
		struct sigma_cond *right = operand(cp);
		if (right == NULL) {
			cond_free(left);
			return NULL;
		}
		struct sigma_cond *c = cnode(op);
		c->a = left;
		c->b = right;
		left = c;
	}
	return left;
}

static struct sigma_cond *parse_and(struct cparser *cp)
{
	return parse_binary(cp, "and", C_AND, parse_not);
}

static struct sigma_cond *parse_or(struct cparser *cp)
{
	return parse_binary(cp, "or", C_OR, parse_and);
}

static struct sigma_cond *compile_condition(struct cc *cc, const struct ynode *n, const struct sigma_rule_body *body)
{
	if (n->type == Y_SEQ) {
		/* a list of conditions: any of them */
		struct sigma_cond *all = NULL;
		for (size_t i = 0; i < n->n; i++) {
			struct sigma_cond *c = compile_condition(cc, n->items[i], body);
			if (c == NULL) {
				cond_free(all);
				return NULL;
			}
			if (all == NULL) {
				all = c;
			} else {
				struct sigma_cond *o = cnode(C_OR);
				o->a = all;
				o->b = c;
				all = o;
			}
		}
		if (all == NULL)
			sigma_compile_fail(cc, n, "the condition list is empty");
		return all;
	}
	if (n->type != Y_SCALAR) {
		sigma_compile_fail(cc, n, "the condition must be a string");
		return NULL;
	}
	struct cparser cp = { .cc = cc, .at = n, .s = n->text, .p = n->text, .body = body };
	struct sigma_cond *c = parse_or(&cp);
	if (c == NULL)
		return NULL;
	const char *tok;
	size_t len = peek(&cp, &tok);
	if (*tok == '|') {
		cfail(&cp, "aggregation ('|%.*s') is not supported", tok + 1, strcspn(tok + 1, "\n"));
		cond_free(c);
		return NULL;
	}
	if (*tok) {
		cfail(&cp, "unexpected '%.*s'", tok, len ? len : 1);
		cond_free(c);
		return NULL;
	}
	return c;
}

/* ---- rules ------------------------------------------------------------- */

static char *sigma_compile_meta(const struct ynode *doc, const char *key)
{
	const struct ynode *n = ytree_get(doc, key);
	return n && n->type == Y_SCALAR && !ytree_is_null(n) ? xstrdup(n->text) : NULL;
}

bool sigma_looks_like_rule(const struct ynode *doc)
{
	return doc && doc->type == Y_MAP && (ytree_get(doc, "detection") || ytree_get(doc, "correlation")) &&
	       ytree_get(doc, "title");
}

static void body_free(struct sigma_rule_body *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < b->nsels; i++) {
		struct sigma_selection *s = &b->sels[i];
		for (size_t j = 0; j < s->nmaps; j++) {
			struct sigma_map *m = &s->maps[j];
			for (size_t k = 0; k < m->ntests; k++) {
				struct sigma_test *t = &m->tests[k];
				for (size_t v = 0; v < t->nvalues; v++) {
					free(t->values[v].lit);
					free(t->values[v].glob);
					free(t->values[v].ref);
					pcre2_code_free(t->values[v].re);
				}
				free(t->values);
				free(t->field);
			}
			free(m->tests);
		}
		free(s->maps);
		free(s->name);
	}
	free(b->sels);
	cond_free(b->cond);
	free(b->event_ids);
	free(b);
}

void eh_rule_free(struct eh_rule *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->name);
	free(r->title);
	free(r->level);
	free(r->status);
	free(r->description);
	free(r->category);
	free(r->product);
	free(r->service);
	for (size_t i = 0; i < r->ntags; i++)
		free(r->tags[i]);
	free(r->tags);
	free(r->file);
	body_free(r->body);
	free(r);
}

int sigma_compile(const struct ynode *doc, const char *file, const struct sigma_budget *left, struct eh_rule **out,
		  struct eh_rule_error *err, struct sigma_budget *used)
{
	struct cc cc = { .file = file, .err = err, .set_left = left };
	struct eh_rule *r = xcalloc(1, sizeof *r);
	*out = NULL;
	memset(err, 0, sizeof *err);

	if (ytree_get(doc, "correlation")) { /* the loader gives them to correlation.c */
		sigma_compile_fail(&cc, ytree_get(doc, "correlation"), "a correlation rule is not a detection rule");
		goto fail;
	}
	r->title = sigma_compile_meta(doc, "title");
	r->id = sigma_compile_meta(doc, "id");
	r->name = sigma_compile_meta(doc, "name");
	r->level = sigma_compile_meta(doc, "level");
	r->status = sigma_compile_meta(doc, "status");
	r->description = sigma_compile_meta(doc, "description");
	r->file = xstrdup(file);
	if (r->title == NULL) {
		sigma_compile_fail(&cc, doc, "the rule has no title");
		goto fail;
	}
	const struct ynode *tags = ytree_get(doc, "tags");
	if (tags && tags->type == Y_SEQ) {
		r->tags = xcalloc(tags->n ? tags->n : 1, sizeof *r->tags);
		for (size_t i = 0; i < tags->n; i++)
			if (tags->items[i]->type == Y_SCALAR)
				r->tags[r->ntags++] = xstrdup(tags->items[i]->text);
	}

	const struct ynode *ls = ytree_get(doc, "logsource");
	if (ls == NULL || ls->type != Y_MAP) {
		sigma_compile_fail(&cc, ls ? ls : doc, "the rule has no logsource map");
		goto fail;
	}
	r->category = sigma_compile_meta(ls, "category");
	r->product = sigma_compile_meta(ls, "product");
	r->service = sigma_compile_meta(ls, "service");
	r->sources = eh_logsource_select(r->category, r->product, r->service);

	const struct ynode *det = ytree_get(doc, "detection");
	if (det == NULL || det->type != Y_MAP) {
		sigma_compile_fail(&cc, det ? det : doc, "the rule has no detection map");
		goto fail;
	}
	const struct ynode *cond = NULL;
	r->body = xcalloc(1, sizeof *r->body);
	r->body->sels = xcalloc(det->n / 2 + 1, sizeof *r->body->sels);
	for (size_t i = 0; i + 1 < det->n && !cc.failed; i += 2) {
		const struct ynode *key = det->items[i], *val = det->items[i + 1];
		if (key->type != Y_SCALAR) {
			sigma_compile_fail(&cc, key, "a selection name must be a string");
			break;
		}
		if (strcmp(key->text, "condition") == 0) {
			cond = val;
			continue;
		}
		if (strcmp(key->text, "timeframe") == 0) {
			sigma_compile_fail(&cc, key, "'timeframe' (a correlation feature) is not supported");
			break;
		}
		compile_selection(&cc, &r->body->sels[r->body->nsels++], key, val);
	}
	if (cc.failed)
		goto fail;
	if (cond == NULL) {
		sigma_compile_fail(&cc, det, "the detection has no condition");
		goto fail;
	}
	r->body->cond = compile_condition(&cc, cond, r->body);
	if (r->body->cond == NULL)
		goto fail;
	sigma_eventid_guard(r->body);
	*out = r;
	if (used)
		*used = (struct sigma_budget){ cc.values, cc.bytes };
	return 0;
fail:
	eh_rule_free(r);
	return -1;
}
