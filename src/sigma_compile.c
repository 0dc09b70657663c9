/* Sigma compiler: one YAML document to a read-only rule. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/logsource.h"
#include "evtxhunt/sigma_internal.h"
#include "evtxhunt/util.h"

/* The compile context: where errors point. */
struct cc {
	const char *file;
	struct eh_rule_error *err;
	bool failed;
};

static void _fail(struct cc *cc, const struct ynode *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void _fail(struct cc *cc, const struct ynode *at, const char *fmt, ...)
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
	MOD_UNSUPPORTED = 1 << 30,
};
#define MOD_POSITION (MOD_CONTAINS | MOD_STARTSWITH | MOD_ENDSWITH)

static const struct modifier {
	const char *name;
	unsigned flag;
} modifiers[] = {
	{ "contains", MOD_CONTAINS },
	{ "startswith", MOD_STARTSWITH },
	{ "endswith", MOD_ENDSWITH },
	{ "all", MOD_ALL },
	{ "cased", MOD_CASED },
	{ "exists", MOD_EXISTS },
	{ "windash", MOD_WINDASH },
	/* Sigma modifiers not implemented yet: named so the error says so. */
	{ "re", MOD_UNSUPPORTED },
	{ "i", MOD_UNSUPPORTED },
	{ "m", MOD_UNSUPPORTED },
	{ "s", MOD_UNSUPPORTED },
	{ "base64", MOD_UNSUPPORTED },
	{ "base64offset", MOD_UNSUPPORTED },
	{ "utf16le", MOD_UNSUPPORTED },
	{ "utf16be", MOD_UNSUPPORTED },
	{ "utf16", MOD_UNSUPPORTED },
	{ "wide", MOD_UNSUPPORTED },
	{ "cidr", MOD_UNSUPPORTED },
	{ "fieldref", MOD_UNSUPPORTED },
	{ "gt", MOD_UNSUPPORTED },
	{ "gte", MOD_UNSUPPORTED },
	{ "lt", MOD_UNSUPPORTED },
	{ "lte", MOD_UNSUPPORTED },
	{ "expand", MOD_UNSUPPORTED },
};

static const struct modifier *_modifier(const char *name, size_t len)
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

static void _tok_add(struct tokens *tk, uint16_t t)
{
	if (tk->n == tk->cap) {
		tk->cap = tk->cap ? tk->cap * 2 : 32;
		tk->t = xreallocarray(tk->t, tk->cap, sizeof *tk->t);
	}
	tk->t[tk->n++] = t;
}

/* Sigma escaping: \* and \? are a literal star and question mark, \\ is
 * one backslash, and any other backslash is itself. */
static void _tokenize(const char *s, size_t len, struct tokens *tk)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\' && i + 1 < len && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
			_tok_add(tk, (unsigned char)s[++i]);
		} else if (c == '*') {
			_tok_add(tk, GLOB_STAR);
		} else if (c == '?') {
			_tok_add(tk, GLOB_ONE);
		} else {
			_tok_add(tk, c);
		}
	}
}

static bool _is_word(uint16_t t)
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
static size_t _windash_places(const struct tokens *tk, size_t *places)
{
	size_t n = 0;
	for (size_t i = 0; i < tk->n && n < MAX_WINDASH_PLACES; i++) {
		if (tk->t[i] != '-' && tk->t[i] != '/')
			continue;
		bool before = i == 0 || !_is_word(tk->t[i - 1]);
		bool after = i + 1 < tk->n && _is_word(tk->t[i + 1]);
		if (before && after)
			places[n++] = i;
	}
	return n;
}

static void _fold(struct tokens *tk)
{
	for (size_t i = 0; i < tk->n; i++)
		if (tk->t[i] < 0x80)
			tk->t[i] = ascii_lower((unsigned char)tk->t[i]);
}

/* Turns the tokens of one value alternative into a compiled value. */
static void _make_value(struct sigma_value *v, struct tokens *tk, unsigned mods)
{
	memset(v, 0, sizeof *v);
	v->cased = (mods & MOD_CASED) != 0;
	if (!v->cased)
		_fold(tk);
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

static void _push_value(struct sigma_test *t, struct tokens *tk, unsigned mods)
{
	t->values = xreallocarray(t->values, t->nvalues + 1, sizeof *t->values);
	_make_value(&t->values[t->nvalues++], tk, mods);
}

/* Expands windash alternatives of one value: 5^k for k dash places. */
static void _push_windash(struct sigma_test *t, const struct tokens *src, unsigned mods)
{
	size_t places[MAX_WINDASH_PLACES];
	size_t k = _windash_places(src, places);
	size_t combos = 1;
	for (size_t i = 0; i < k; i++)
		combos *= NWINDASH;
	for (size_t c = 0; c < combos; c++) {
		struct tokens tk = { 0 };
		size_t code = c, p = 0;
		for (size_t i = 0; i < src->n; i++) {
			if (p < k && places[p] == i) {
				const char *d = windashes[code % NWINDASH];
				code /= NWINDASH;
				p++;
				for (; *d; d++)
					_tok_add(&tk, (unsigned char)*d);
			} else {
				_tok_add(&tk, src->t[i]);
			}
		}
		_push_value(t, &tk, mods);
		free(tk.t);
	}
}

static void _compile_scalar(struct cc *cc, struct sigma_test *t, const struct ynode *n, unsigned mods)
{
	if (n->type != Y_SCALAR) {
		_fail(cc, n, "a value must be a string, number, boolean or null");
		return;
	}
	if (mods & MOD_EXISTS) {
		bool yes = strcmp(n->text, "true") == 0 || strcmp(n->text, "True") == 0;
		bool no = strcmp(n->text, "false") == 0 || strcmp(n->text, "False") == 0;
		if (!n->plain || (!yes && !no)) {
			_fail(cc, n, "'exists' takes true or false");
			return;
		}
		t->values = xreallocarray(t->values, t->nvalues + 1, sizeof *t->values);
		memset(&t->values[t->nvalues], 0, sizeof t->values[0]);
		t->values[t->nvalues].kind = SV_EXISTS;
		t->values[t->nvalues++].exists = yes;
		return;
	}
	if (ytree_is_null(n)) {
		t->values = xreallocarray(t->values, t->nvalues + 1, sizeof *t->values);
		memset(&t->values[t->nvalues], 0, sizeof t->values[0]);
		t->values[t->nvalues++].kind = SV_NULL;
		return;
	}
	struct tokens tk = { 0 };
	_tokenize(n->text, n->len, &tk);
	if (mods & MOD_WINDASH)
		_push_windash(t, &tk, mods);
	else
		_push_value(t, &tk, mods);
	free(tk.t);
}

/* "Field|mod|mod" to a test with its field and modifier flags. */
static unsigned _parse_key(struct cc *cc, const struct ynode *key, struct sigma_test *t)
{
	const char *s = key->text;
	const char *bar = strchr(s, '|');
	size_t flen = bar ? (size_t)(bar - s) : strlen(s);
	t->field = flen ? xstrndup(s, flen) : NULL;
	unsigned mods = 0;
	while (bar) {
		const char *name = bar + 1;
		bar = strchr(name, '|');
		size_t len = bar ? (size_t)(bar - name) : strlen(name);
		const struct modifier *m = _modifier(name, len);
		if (m == NULL) {
			_fail(cc, key, "unknown modifier '%.*s'", (int)len, name);
			return 0;
		}
		if (m->flag == MOD_UNSUPPORTED) {
			_fail(cc, key, "modifier '%s' is not supported yet", m->name);
			return 0;
		}
		if (mods & m->flag) {
			_fail(cc, key, "modifier '%s' given twice", m->name);
			return 0;
		}
		if ((m->flag & MOD_POSITION) && (mods & MOD_POSITION)) {
			_fail(cc, key, "modifier '%s' conflicts with another of contains/startswith/endswith", m->name);
			return 0;
		}
		mods |= m->flag;
	}
	if ((mods & MOD_EXISTS) && (mods & ~(MOD_EXISTS)) != 0) {
		_fail(cc, key, "'exists' cannot be combined with other modifiers");
		return 0;
	}
	if ((mods & MOD_EXISTS) && t->field == NULL) {
		_fail(cc, key, "'exists' needs a field name");
		return 0;
	}
	return mods;
}

static void _compile_test(struct cc *cc, struct sigma_test *t, const struct ynode *key, const struct ynode *val)
{
	if (key->type != Y_SCALAR) {
		_fail(cc, key, "a field name must be a string");
		return;
	}
	unsigned mods = _parse_key(cc, key, t);
	if (cc->failed)
		return;
	t->all = (mods & MOD_ALL) != 0;
	if (val->type == Y_SEQ) {
		if (val->n == 0) {
			_fail(cc, val, "an empty list of values");
			return;
		}
		for (size_t i = 0; i < val->n && !cc->failed; i++)
			_compile_scalar(cc, t, val->items[i], mods);
	} else {
		_compile_scalar(cc, t, val, mods);
	}
}

static void _compile_map(struct cc *cc, struct sigma_map *m, const struct ynode *map)
{
	m->ntests = map->n / 2;
	m->tests = xcalloc(m->ntests ? m->ntests : 1, sizeof *m->tests);
	for (size_t i = 0; i < m->ntests && !cc->failed; i++)
		_compile_test(cc, &m->tests[i], map->items[2 * i], map->items[2 * i + 1]);
}

/* A keyword selection: a list of strings searched in every field. */
static void _compile_keywords(struct cc *cc, struct sigma_map *m, const struct ynode *list)
{
	m->ntests = 1;
	m->tests = xcalloc(1, sizeof *m->tests);
	if (list->type == Y_SEQ)
		for (size_t i = 0; i < list->n && !cc->failed; i++)
			_compile_scalar(cc, &m->tests[0], list->items[i], MOD_CONTAINS);
	else
		_compile_scalar(cc, &m->tests[0], list, MOD_CONTAINS);
}

static void _compile_selection(struct cc *cc, struct sigma_selection *sel, const struct ynode *key,
			       const struct ynode *val)
{
	sel->name = xstrdup(key->text);
	if (val->type == Y_MAP) {
		sel->nmaps = 1;
		sel->maps = xcalloc(1, sizeof *sel->maps);
		_compile_map(cc, &sel->maps[0], val);
		return;
	}
	if (val->type == Y_SCALAR) {
		sel->nmaps = 1;
		sel->maps = xcalloc(1, sizeof *sel->maps);
		_compile_keywords(cc, &sel->maps[0], val);
		return;
	}
	if (val->n == 0) {
		_fail(cc, val, "selection '%s' is empty", sel->name);
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
		_compile_keywords(cc, &sel->maps[0], val);
		return;
	}
	if (maps != val->n) {
		_fail(cc, val, "selection '%s' mixes maps with other items", sel->name);
		return;
	}
	sel->nmaps = val->n;
	sel->maps = xcalloc(val->n, sizeof *sel->maps);
	for (size_t i = 0; i < val->n && !cc->failed; i++)
		_compile_map(cc, &sel->maps[i], val->items[i]);
}

/* ---- conditions ----------------------------------------------------- */

struct cparser {
	struct cc *cc;
	const struct ynode *at; /* the condition scalar, for error positions */
	const char *s, *p;
	const struct sigma_rule_body *body;
};

static void _skip_space(struct cparser *cp)
{
	while (*cp->p == ' ' || *cp->p == '\t' || *cp->p == '\n' || *cp->p == '\r')
		cp->p++;
}

/* The next word (identifier, with '*' wildcards) or a one-character
 * token; does not consume it. */
static size_t _peek(struct cparser *cp, const char **tok)
{
	_skip_space(cp);
	*tok = cp->p;
	if (*cp->p == '(' || *cp->p == ')' || *cp->p == '|')
		return 1;
	size_t n = 0;
	while (cp->p[n] && (isalnum((unsigned char)cp->p[n]) || strchr("_-*.", cp->p[n])))
		n++;
	return n;
}

static bool _word_is(const char *tok, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(tok, w, n) == 0;
}

static struct sigma_cond *_cnode(enum cond_op op)
{
	struct sigma_cond *c = xcalloc(1, sizeof *c);
	c->op = op;
	return c;
}

static void _cond_free(struct sigma_cond *c)
{
	if (c == NULL)
		return;
	_cond_free(c->a);
	_cond_free(c->b);
	free(c->sels);
	free(c);
}

static void _cfail(struct cparser *cp, const char *fmt, const char *tok, size_t n)
{
	/* condition errors point at the condition, with the column in it */
	struct ynode at = *cp->at;
	if (at.line == cp->at->line && cp->at->plain)
		at.column += (int)(cp->p - cp->s);
	char *what = xasprintf(fmt, (int)n, tok);
	_fail(cp->cc, &at, "condition: %s", what);
	free(what);
}

static bool _name_match(const char *pat, size_t plen, const char *name)
{
	/* selection name patterns: '*' is the only wildcard */
	size_t i = 0;
	for (; i < plen; i++, name++) {
		if (pat[i] == '*') {
			for (const char *s = name;; s++) {
				if (_name_match(pat + i + 1, plen - i - 1, s))
					return true;
				if (*s == '\0')
					return false;
			}
		}
		if (*name != pat[i])
			return false;
	}
	return *name == '\0';
}

static struct sigma_cond *_parse_or(struct cparser *cp);

static struct sigma_cond *_parse_primary(struct cparser *cp)
{
	const char *tok;
	size_t n = _peek(cp, &tok);
	if (n == 0) {
		_cfail(cp, *tok ? "unexpected '%.1s'" : "unexpected end%.*s", tok, *tok ? 1 : 0);
		return NULL;
	}
	if (*tok == '|') {
		_cfail(cp, "aggregation ('|%.*s') is not supported", tok + 1, strcspn(tok + 1, "\n"));
		return NULL;
	}
	if (*tok == '(') {
		cp->p++;
		struct sigma_cond *c = _parse_or(cp);
		if (c == NULL)
			return NULL;
		n = _peek(cp, &tok);
		if (*tok != ')') {
			_cfail(cp, "expected ')'%.*s", tok, 0);
			_cond_free(c);
			return NULL;
		}
		cp->p++;
		return c;
	}
	if (*tok == ')') {
		_cfail(cp, "unexpected '%.*s'", tok, 1);
		return NULL;
	}
	bool one = _word_is(tok, n, "1") || _word_is(tok, n, "any");
	bool all = _word_is(tok, n, "all");
	if (one || all) {
		cp->p += n;
		const char *of;
		size_t m = _peek(cp, &of);
		if (!_word_is(of, m, "of")) {
			_cfail(cp, "expected 'of' after '%.*s'", tok, n);
			return NULL;
		}
		cp->p += m;
		const char *pat;
		size_t plen = _peek(cp, &pat);
		if (plen == 0 || *pat == '(' || *pat == ')' || *pat == '|') {
			_cfail(cp, "expected a selection pattern or 'them' after 'of'%.*s", pat, 0);
			return NULL;
		}
		cp->p += plen;
		struct sigma_cond *c = _cnode(one ? C_ONE_OF : C_ALL_OF);
		bool them = _word_is(pat, plen, "them");
		c->sels = xcalloc(cp->body->nsels ? cp->body->nsels : 1, sizeof *c->sels);
		for (size_t i = 0; i < cp->body->nsels; i++) {
			const char *name = cp->body->sels[i].name;
			/* 'them' means every selection except those named _*, by convention */
			if ((them && name[0] != '_') || (!them && _name_match(pat, plen, name)))
				c->sels[c->nsels++] = i;
		}
		if (c->nsels == 0) {
			_cfail(cp, "no selection matches '%.*s'", pat, plen);
			_cond_free(c);
			return NULL;
		}
		return c;
	}
	if (_word_is(tok, n, "and") || _word_is(tok, n, "or") || _word_is(tok, n, "of") || _word_is(tok, n, "not")) {
		_cfail(cp, "unexpected '%.*s'", tok, n);
		return NULL;
	}
	for (size_t i = 0; i < cp->body->nsels; i++) {
		if (strlen(cp->body->sels[i].name) == n && strncmp(cp->body->sels[i].name, tok, n) == 0) {
			cp->p += n;
			struct sigma_cond *c = _cnode(C_SEL);
			c->sels = xmalloc(sizeof *c->sels);
			c->sels[0] = i;
			c->nsels = 1;
			return c;
		}
	}
	_cfail(cp, "unknown selection '%.*s'", tok, n);
	return NULL;
}

static struct sigma_cond *_parse_not(struct cparser *cp)
{
	const char *tok;
	size_t n = _peek(cp, &tok);
	if (_word_is(tok, n, "not")) {
		cp->p += n;
		struct sigma_cond *a = _parse_not(cp);
		if (a == NULL)
			return NULL;
		struct sigma_cond *c = _cnode(C_NOT);
		c->a = a;
		return c;
	}
	return _parse_primary(cp);
}

static struct sigma_cond *_parse_binary(struct cparser *cp, const char *word, enum cond_op op,
					struct sigma_cond *(*operand)(struct cparser *))
{
	struct sigma_cond *left = operand(cp);
	while (left) {
		const char *tok;
		size_t n = _peek(cp, &tok);
		if (!_word_is(tok, n, word))
			break;
		cp->p += n;
		struct sigma_cond *right = operand(cp);
		if (right == NULL) {
			_cond_free(left);
			return NULL;
		}
		struct sigma_cond *c = _cnode(op);
		c->a = left;
		c->b = right;
		left = c;
	}
	return left;
}

static struct sigma_cond *_parse_and(struct cparser *cp)
{
	return _parse_binary(cp, "and", C_AND, _parse_not);
}

static struct sigma_cond *_parse_or(struct cparser *cp)
{
	return _parse_binary(cp, "or", C_OR, _parse_and);
}

static struct sigma_cond *_compile_condition(struct cc *cc, const struct ynode *n, const struct sigma_rule_body *body)
{
	if (n->type == Y_SEQ) {
		/* a list of conditions: any of them */
		struct sigma_cond *all = NULL;
		for (size_t i = 0; i < n->n; i++) {
			struct sigma_cond *c = _compile_condition(cc, n->items[i], body);
			if (c == NULL) {
				_cond_free(all);
				return NULL;
			}
			if (all == NULL) {
				all = c;
			} else {
				struct sigma_cond *o = _cnode(C_OR);
				o->a = all;
				o->b = c;
				all = o;
			}
		}
		if (all == NULL)
			_fail(cc, n, "the condition list is empty");
		return all;
	}
	if (n->type != Y_SCALAR) {
		_fail(cc, n, "the condition must be a string");
		return NULL;
	}
	struct cparser cp = { cc, n, n->text, n->text, body };
	struct sigma_cond *c = _parse_or(&cp);
	if (c == NULL)
		return NULL;
	const char *tok;
	size_t len = _peek(&cp, &tok);
	if (*tok == '|') {
		_cfail(&cp, "aggregation ('|%.*s') is not supported", tok + 1, strcspn(tok + 1, "\n"));
		_cond_free(c);
		return NULL;
	}
	if (*tok) {
		_cfail(&cp, "unexpected '%.*s'", tok, len ? len : 1);
		_cond_free(c);
		return NULL;
	}
	return c;
}

/* ---- rules ------------------------------------------------------------- */

static char *_meta(const struct ynode *doc, const char *key)
{
	const struct ynode *n = ytree_get(doc, key);
	return n && n->type == Y_SCALAR && !ytree_is_null(n) ? xstrdup(n->text) : NULL;
}

bool sigma_looks_like_rule(const struct ynode *doc)
{
	return doc && doc->type == Y_MAP && (ytree_get(doc, "detection") || ytree_get(doc, "correlation")) &&
	       ytree_get(doc, "title");
}

static void _body_free(struct sigma_rule_body *b)
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
	_cond_free(b->cond);
	free(b);
}

void sigma_rule_free(struct eh_rule *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->title);
	free(r->level);
	free(r->status);
	free(r->description);
	for (size_t i = 0; i < r->ntags; i++)
		free(r->tags[i]);
	free(r->tags);
	free(r->file);
	_body_free(r->body);
	free(r);
}

int sigma_compile(const struct ynode *doc, const char *file, struct eh_rule **out, struct eh_rule_error *err)
{
	struct cc cc = { file, err, false };
	struct eh_rule *r = xcalloc(1, sizeof *r);
	*out = NULL;
	memset(err, 0, sizeof *err);

	if (ytree_get(doc, "correlation")) {
		_fail(&cc, ytree_get(doc, "correlation"), "correlation rules are not supported");
		goto fail;
	}
	r->title = _meta(doc, "title");
	r->id = _meta(doc, "id");
	r->level = _meta(doc, "level");
	r->status = _meta(doc, "status");
	r->description = _meta(doc, "description");
	r->file = xstrdup(file);
	if (r->title == NULL) {
		_fail(&cc, doc, "the rule has no title");
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
		_fail(&cc, ls ? ls : doc, "the rule has no logsource map");
		goto fail;
	}
	char *category = _meta(ls, "category"), *product = _meta(ls, "product"), *service = _meta(ls, "service");
	r->sources = eh_logsource_select(category, product, service);
	free(category);
	free(product);
	free(service);

	const struct ynode *det = ytree_get(doc, "detection");
	if (det == NULL || det->type != Y_MAP) {
		_fail(&cc, det ? det : doc, "the rule has no detection map");
		goto fail;
	}
	const struct ynode *cond = NULL;
	r->body = xcalloc(1, sizeof *r->body);
	r->body->sels = xcalloc(det->n / 2 + 1, sizeof *r->body->sels);
	for (size_t i = 0; i + 1 < det->n && !cc.failed; i += 2) {
		const struct ynode *key = det->items[i], *val = det->items[i + 1];
		if (key->type != Y_SCALAR) {
			_fail(&cc, key, "a selection name must be a string");
			break;
		}
		if (strcmp(key->text, "condition") == 0) {
			cond = val;
			continue;
		}
		if (strcmp(key->text, "timeframe") == 0) {
			_fail(&cc, key, "'timeframe' (a correlation feature) is not supported");
			break;
		}
		_compile_selection(&cc, &r->body->sels[r->body->nsels++], key, val);
	}
	if (cc.failed)
		goto fail;
	if (cond == NULL) {
		_fail(&cc, det, "the detection has no condition");
		goto fail;
	}
	r->body->cond = _compile_condition(&cc, cond, r->body);
	if (r->body->cond == NULL)
		goto fail;
	*out = r;
	return 0;
fail:
	sigma_rule_free(r);
	return -1;
}
