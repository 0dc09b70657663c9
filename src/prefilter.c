/* Prefilter: rule literals, and one multi-literal pass per chunk. */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_HYPERSCAN
#include <hs.h>
#endif

#include "evtxhunt/logsource.h"
#include "evtxhunt/prefilter.h"
#include "evtxhunt/sigma_internal.h"
#include "evtxhunt/utf.h"
#include "evtxhunt/util.h"

/* ---- literal sets ------------------------------------------------------ */

/* A literal: LEN bytes of UTF-8, NULs included (rule values may hold
 * them: lengths, never strlen). */
struct lit {
	char *text;
	size_t len;
};

/* A necessary condition: one of LIT occurs. ANY: no condition is known.
 * Neither ANY nor any literal (n == 0): the condition can never hold.
 * Distinct literals only, found by a hash table of indexes into LIT once
 * the set is not small (IOC lists hold 100,000s of values: comparing each
 * with every earlier one was quadratic). */
struct litset {
	bool any;
	struct lit *lit;
	size_t n, cap;
	uint32_t *slot;  /* index + 1 into LIT, 0 empty; NULL while small */
	size_t nslot;    /* a power of two */
	size_t minlen;   /* the shortest literal's length */
};

#define LITSET_SMALL 8 /* up to this many, a linear search is cheaper */
/* The prefilter needs a literal to occur, not all of it: a value's first
 * 64 bytes are as necessary as the value and keep every pattern short (a
 * 16 MiB value made a 128 MB Hyperscan pattern). */
#define MAX_LITERAL_BYTES 64

static struct litset prefilter_any(void)
{
	return (struct litset){ .any = true };
}

static struct litset prefilter_never(void)
{
	return (struct litset){ .any = false };
}

static void ls_free(struct litset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->lit[i].text);
	free(s->lit);
	free(s->slot);
	*s = prefilter_never();
}

/* FNV-1a, its bits mixed (murmur3's finalizer): the table takes the low
 * ones, which FNV leaves alike for keys alike (ioc000001, ioc000002). */
static uint64_t lit_hash(const char *text, size_t len)
{
	uint64_t h = eh_hash64(text, len, UINT64_C(0x9e3779b97f4a7c15));
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	return h ^ (h >> 33);
}

static bool lit_equal(const struct lit *l, const char *text, size_t len)
{
	return l->len == len && memcmp(l->text, text, len) == 0;
}

/* The slot where TEXT is, or the empty one where it would go. */
static size_t ls_slot(const struct litset *s, const char *text, size_t len)
{
	size_t mask = s->nslot - 1, i = (size_t)lit_hash(text, len) & mask;
	while (s->slot[i] && !lit_equal(&s->lit[s->slot[i] - 1], text, len))
		i = (i + 1) & mask;
	return i;
}

static void ls_rehash(struct litset *s, size_t nslot)
{
	free(s->slot);
	s->nslot = nslot;
	s->slot = xcalloc(nslot, sizeof *s->slot);
	for (size_t k = 0; k < s->n; k++)
		s->slot[ls_slot(s, s->lit[k].text, s->lit[k].len)] = (uint32_t)(k + 1);
}

/* The index of TEXT in S, or SIZE_MAX. */
static size_t ls_find(const struct litset *s, const char *text, size_t len)
{
	if (s->slot == NULL) {
		for (size_t i = 0; i < s->n; i++)
			if (lit_equal(&s->lit[i], text, len))
				return i;
		return SIZE_MAX;
	}
	uint32_t at = s->slot[ls_slot(s, text, len)];
	return at ? at - 1 : SIZE_MAX;
}

/* Adds LEN bytes of LIT unless S has them; returns their index. An empty
 * literal occurs everywhere: S then knows nothing (ANY). */
static size_t ls_add(struct litset *s, const char *lit, size_t len)
{
	if (s->any)
		return SIZE_MAX;
	if (len == 0) {
		ls_free(s);
		*s = prefilter_any();
		return SIZE_MAX;
	}
	size_t at = ls_find(s, lit, len);
	if (at != SIZE_MAX)
		return at;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 4;
		s->lit = xreallocarray(s->lit, s->cap, sizeof *s->lit);
	}
	char *copy = xmalloc(len + 1);
	memcpy(copy, lit, len);
	copy[len] = '\0';
	s->lit[s->n] = (struct lit){ copy, len };
	s->minlen = s->n == 0 || len < s->minlen ? len : s->minlen;
	s->n++;
	if (s->n > LITSET_SMALL && 2 * s->n > s->nslot)
		ls_rehash(s, s->nslot ? 2 * s->nslot : 4 * LITSET_SMALL);
	else if (s->slot)
		s->slot[ls_slot(s, copy, len)] = (uint32_t)s->n;
	return s->n - 1;
}

/* OR: any of both; nothing known if either side knows nothing. */
static struct litset ls_union(struct litset a, struct litset b)
{
	if (a.any || b.any) {
		ls_free(&a);
		ls_free(&b);
		return prefilter_any();
	}
	if (b.n > a.n) { /* the smaller into the larger: linear in all */
		struct litset t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < b.n; i++)
		ls_add(&a, b.lit[i].text, b.lit[i].len);
	ls_free(&b);
	return a;
}

/* How selective a set is: its shortest literal (longer is rarer). */
static size_t ls_score(const struct litset *s)
{
	return s->any || s->n == 0 ? 0 : s->minlen;
}

static bool ls_never(const struct litset *s)
{
	return !s->any && s->n == 0;
}

/* AND: either side's condition holds; keep the more selective one. */
static struct litset ls_best(struct litset a, struct litset b)
{
	if (ls_never(&a) || ls_never(&b)) { /* one side never holds: nor does AND */
		ls_free(&a);
		ls_free(&b);
		return prefilter_never();
	}
	if (a.any) {
		ls_free(&a);
		return b;
	}
	if (b.any) {
		ls_free(&b);
		return a;
	}
	size_t sa = ls_score(&a), sb = ls_score(&b);
	if (sb > sa || (sb == sa && b.n < a.n)) {
		ls_free(&a);
		return b;
	}
	ls_free(&b);
	return a;
}

/* Whether S is UTF-8 throughout: only then is its UTF-16 form known (the
 * bytes of an invalid sequence may sit inside a valid character). */
static bool valid_utf8(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = eh_utf8_decode((const unsigned char *)s + i, len - i, &cp);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* How much of valid UTF-8 S (LEN bytes) to keep for at most MAX bytes:
 * whole characters only. */
static size_t utf8_prefix(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--; /* S[MAX] continues a character: cut before it */
	return max;
}

/* A value's literal: the text every matching field value contains. */
static struct litset value_literals(const struct sigma_value *v)
{
	struct litset s = prefilter_never();
	switch (v->kind) {
	case SV_EQ:
	case SV_CONTAINS:
	case SV_STARTSWITH:
	case SV_ENDSWITH:
		if (v->len == 0 || !valid_utf8(v->lit, v->len))
			return prefilter_any();
		ls_add(&s, v->lit, utf8_prefix(v->lit, v->len, MAX_LITERAL_BYTES));
		return s;
	case SV_GLOB: {
		/* the longest run between wildcards */
		size_t best = 0, best_at = 0, run = 0;
		for (size_t i = 0; i <= v->glen; i++) {
			if (i < v->glen && v->glob[i] < 0x100) {
				run++;
				continue;
			}
			if (run > best) {
				best = run;
				best_at = i - run;
			}
			run = 0;
		}
		if (best == 0)
			return prefilter_any();
		char *lit = xmalloc(best + 1);
		for (size_t i = 0; i < best; i++)
			lit[i] = (char)v->glob[best_at + i];
		if (valid_utf8(lit, best))
			ls_add(&s, lit, utf8_prefix(lit, best, MAX_LITERAL_BYTES));
		else
			s = prefilter_any();
		free(lit);
		return s;
	}
	default:
		return prefilter_any(); /* regexes, numbers, networks, references, null */
	}
}

static struct litset test_literals(const struct sigma_test *t, int row)
{
	if (t->field && !eh_logsource_may_have_field(row, t->field)) {
		/* an absent field satisfies only null and exists: false */
		for (size_t i = 0; i < t->nvalues; i++)
			if (t->values[i].kind == SV_NULL || (t->values[i].kind == SV_EXISTS && !t->values[i].exists))
				return prefilter_any();
		return prefilter_never();
	}
	/* keywords search every field, binary ones included; and only fields
	 * stored as text in the record can give literals */
	if (t->field == NULL || !eh_logsource_is_text_field(row, t->field) || t->nvalues == 0)
		return prefilter_any();
	struct litset s = value_literals(&t->values[0]);
	for (size_t i = 1; i < t->nvalues; i++) {
		struct litset v = value_literals(&t->values[i]);
		s = t->all ? ls_best(s, v) : ls_union(s, v);
	}
	return s;
}

static struct litset selection_literals(const struct sigma_selection *sel, int row)
{
	struct litset s = prefilter_any();
	for (size_t i = 0; i < sel->nmaps; i++) {
		const struct sigma_map *m = &sel->maps[i];
		struct litset ms = prefilter_any();
		for (size_t k = 0; k < m->ntests; k++)
			ms = ls_best(ms, test_literals(&m->tests[k], row));
		if (i == 0) {
			ls_free(&s);
			s = ms;
		} else {
			s = ls_union(s, ms);
		}
	}
	return s;
}

static struct litset cond_literals(const struct sigma_rule_body *b, const struct sigma_cond *c, int row)
{
	struct litset s;
	switch (c->op) {
	case C_AND:
		return ls_best(cond_literals(b, c->a, row), cond_literals(b, c->b, row));
	case C_OR:
		return ls_union(cond_literals(b, c->a, row), cond_literals(b, c->b, row));
	case C_NOT:
		return prefilter_any();
	case C_SEL:
		return selection_literals(&b->sels[c->sels[0]], row);
	case C_ONE_OF:
	case C_ALL_OF:
		s = selection_literals(&b->sels[c->sels[0]], row);
		for (size_t i = 1; i < c->nsels; i++) {
			struct litset x = selection_literals(&b->sels[c->sels[i]], row);
			s = c->op == C_ONE_OF ? ls_union(s, x) : ls_best(s, x);
		}
		return s;
	}
	return prefilter_any();
}

/* A rule's condition over every log source it applies to. */
static struct litset rule_literals(const struct eh_rule *r)
{
	struct litset s = prefilter_never();
	bool first = true;
	for (size_t row = 0; row < eh_logsource_rows; row++) {
		if (!eh_rowset_has(r->sources, row))
			continue;
		struct litset x = cond_literals(r->body, r->body->cond, (int)row);
		if (first) {
			s = x;
			first = false;
		} else {
			s = ls_union(s, x);
		}
	}
	return s;
}

/* ---- the compiled prefilter -------------------------------------------- */

struct literal {
	char *text;     /* UTF-8, as the rule has it: folded unless cased */
	size_t len;     /* its bytes: NULs may be among them */
	uint8_t *utf16; /* what is searched: the folded text as UTF-16LE */
	uint8_t *lowered16; /* portable engine: UTF16's bytes ASCII lowered */
	size_t len16;
	bool beyond_ascii; /* a unit that a non-ASCII unit folds to */
	size_t *rules;
	size_t nrules;
};

struct eh_prefilter {
	size_t nrules, words;
	struct literal *lit;
	size_t nlit;
	uint64_t *always; /* rules without literals */
	size_t nalways;
	struct eh_prefilter_literal **rule_lits; /* per rule, for tests */
	size_t *nrule_lits;
	bool *rule_always;
	enum eh_pf_engine engine; /* HYPERSCAN or PORTABLE: the one in use */
	bool beyond_ascii;        /* some literal has a lit->beyond_ascii */
	/* The search is compiled on first use (ensure_compiled), by whichever
	 * thread needs it first, under LOCK: a run whose events never need
	 * it (a Security log under every Windows rule: see chunkscan.c's
	 * narrowing) does not pay for it, 0.65 G instructions with SigmaHQ's
	 * Windows rules. Until COMPILED, ENGINE is the one asked for. */
	pthread_mutex_t lock;
	bool compiled; /* atomic: set, with release, once the rest is */
#ifdef HAVE_HYPERSCAN
	hs_database_t *db;         /* literals of ASCII-caseless units */
	hs_database_t *db_classes; /* the others, as patterns */
#endif
};

struct match {
	uint32_t start;
	uint32_t lit;
};

struct eh_prefilter_scan {
	const struct eh_prefilter *pf;
	struct match *m;
	size_t n, cap;
	uint64_t *record_set; /* the last record's rules */
	uint64_t *chunk_set;  /* the whole chunk's rules: kept apart, as both
			       * are in use at once */
	uint8_t *lowered;     /* portable engine: the chunk's bytes lowered */
	uint8_t *folded[2];   /* and its units folded, at even and odd offsets */
	size_t folded_cap;
#ifdef HAVE_HYPERSCAN
	hs_scratch_t *scratch;
#endif
};

/* The UTF-16 units that fold to U (U among them); at most 8. */
static size_t unit_preimages(uint16_t u, uint16_t *out)
{
	size_t n = 0;
	out[n++] = u;
	if (u >= 'a' && u <= 'z')
		out[n++] = (uint16_t)(u - 32);
	else if (u >= 0x80 && u < 0x530) /* eh_fold maps U+0080-U+052F into itself */
		for (uint32_t v = 0x80; v < 0x530 && n < 8; v++)
			if (v != u && eh_fold(v) == u)
				out[n++] = (uint16_t)v;
	return n;
}

/* L's text folded as the matcher folds (a cased literal too: a caseless
 * search finds a superset), as UTF-16LE. A chunk's UTF-16 unit u stands
 * where the literal has unit f when eh_fold(u) == f: the matcher folds
 * the same characters the same way, so the search is sound. */
static void encode_literal(struct literal *l)
{
	size_t n = l->len;
	char *folded = xmalloc(n + 1);
	eh_utf8_fold(l->text, n, folded);
	struct buf b;
	buf_init(&b);
	eh_utf8_to_utf16(folded, n, false, &b);
	free(folded);
	l->len16 = b.len;
	l->utf16 = (uint8_t *)buf_steal(&b);
	l->lowered16 = xmalloc(l->len16 + 1);
	for (size_t i = 0; i < l->len16; i++)
		l->lowered16[i] = ascii_lower(l->utf16[i]);
	for (size_t i = 0; i + 1 < l->len16; i += 2) {
		uint16_t pre[8];
		size_t npre = unit_preimages((uint16_t)(l->utf16[i] | l->utf16[i + 1] << 8), pre);
		for (size_t k = 1; k < npre; k++)
			l->beyond_ascii = l->beyond_ascii || pre[k] >= 0x80;
	}
}

#ifdef HAVE_HYPERSCAN
/* L as a Hyperscan pattern: each UTF-16 unit a class of the units that
 * fold to it. Hyperscan's caseless flag is ASCII only, and spelling out
 * the case variants of a literal as literals grows as 2^letters; a class
 * per unit stays one pattern of the literal's length, whose exact parts
 * Hyperscan still finds as literals. Fixed width: a match starts LEN16
 * bytes before its end. */
static char *unit_pattern(const struct literal *l)
{
	struct buf p;
	buf_init(&p);
	for (size_t i = 0; i + 1 < l->len16; i += 2) {
		uint16_t pre[8];
		size_t n = unit_preimages((uint16_t)(l->utf16[i] | l->utf16[i + 1] << 8), pre);
		bool one_high = true;
		for (size_t k = 1; k < n; k++)
			one_high = one_high && pre[k] >> 8 == pre[0] >> 8;
		if (n == 1) {
			buf_addf(&p, "\\x%02x\\x%02x", pre[0] & 0xff, pre[0] >> 8);
		} else if (one_high) {
			buf_adds(&p, "[");
			for (size_t k = 0; k < n; k++)
				buf_addf(&p, "\\x%02x", pre[k] & 0xff);
			buf_addf(&p, "]\\x%02x", pre[0] >> 8);
		} else {
			buf_adds(&p, "(?:");
			for (size_t k = 0; k < n; k++)
				buf_addf(&p, "%s\\x%02x\\x%02x", k ? "|" : "", pre[k] & 0xff, pre[k] >> 8);
			buf_adds(&p, ")");
		}
	}
	buf_addc(&p, '\0');
	return buf_steal(&p);
}
#endif

#ifdef HAVE_HYPERSCAN
/* The literals with (BEYOND) or without a unit that a non-ASCII unit
 * folds to, as one database, or NULL when there are none. Without (most
 * literals): hs_compile_lit_multi with Hyperscan's ASCII caseless flag on
 * the UTF-16LE bytes, which finds every unit that folds to a literal's
 * (and a few more: a byte 0x41-0x5A inside another unit; sound), and
 * compiles faster than patterns (start-up with SigmaHQ's 3,006 Windows
 * rules: 0.22 s of CPU instead of 0.32 s). With: patterns of unit classes
 * (unit_pattern). Sets *FAILED when Hyperscan refuses them. */
static hs_database_t *compile_literals(const struct eh_prefilter *pf, bool beyond, bool *failed)
{
	size_t n = 0;
	for (size_t i = 0; i < pf->nlit; i++)
		n += pf->lit[i].beyond_ascii == beyond;
	if (n == 0)
		return NULL;
	char **exprs = xcalloc(n, sizeof *exprs);
	size_t *lens = xcalloc(n, sizeof *lens);
	unsigned *flags = xcalloc(n, sizeof *flags), *ids = xcalloc(n, sizeof *ids);
	for (size_t i = 0, k = 0; i < pf->nlit; i++) {
		const struct literal *l = &pf->lit[i];
		if (l->beyond_ascii != beyond)
			continue;
		ids[k] = (unsigned)i;
		exprs[k] = beyond ? unit_pattern(l) : (char *)l->utf16;
		lens[k] = l->len16;
		flags[k] = beyond ? 0 : HS_FLAG_CASELESS;
		k++;
	}
	hs_database_t *db = NULL;
	hs_compile_error_t *err = NULL;
	hs_error_t rc = beyond ? hs_compile_multi((const char *const *)exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK,
						  NULL, &db, &err)
			       : hs_compile_lit_multi((const char *const *)exprs, flags, ids, lens, (unsigned)n,
						      HS_MODE_BLOCK, NULL, &db, &err);
	if (rc != HS_SUCCESS) {
		hs_free_compile_error(err);
		db = NULL;
		*failed = true;
	}
	for (size_t k = 0; beyond && k < n; k++)
		free(exprs[k]);
	free(exprs);
	free(lens);
	free(flags);
	free(ids);
	return db;
}
#endif

struct eh_prefilter *eh_prefilter_build(const struct eh_ruleset *rs)
{
	return eh_prefilter_build_with(rs, EH_PF_DEFAULT);
}

/* Hyperscan's compile time grows with the literals (an IOC list of
 * 200,000 took 5 s); past this many distinct ones, every literal is cut
 * to the longest length that keeps them within it: a literal's start
 * occurs wherever it does, so the prefilter stays sound, only less
 * selective. SigmaHQ's Windows rules give 9,008. */
#define MAX_LITERALS 50000

/* S with each literal cut to its first CUT bytes (whole characters). */
static struct litset cut_literals(const struct litset *s, size_t cut)
{
	struct litset c = s->any ? prefilter_any() : prefilter_never();
	for (size_t k = 0; k < s->n; k++)
		ls_add(&c, s->lit[k].text, utf8_prefix(s->lit[k].text, s->lit[k].len, cut));
	return c;
}

/* How many distinct literals the N SETS hold, each cut to CUT bytes. */
static size_t distinct_literals(const struct litset *sets, size_t n, size_t cut)
{
	struct litset all = prefilter_never();
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sets[i].n; k++)
			ls_add(&all, sets[i].lit[k].text, utf8_prefix(sets[i].lit[k].text, sets[i].lit[k].len, cut));
	size_t count = all.n;
	ls_free(&all);
	return count;
}

/* Past this many distinct literals, each is cut to MANY_LITERALS_CUT
 * bytes: Hyperscan's literal matcher confirms every candidate place
 * against the literals that share its bucket, which grows with their
 * number and length, while the matcher's work grows only a little as
 * literals get shorter. Measured (callgrind, -j1) with SigmaHQ's 3,006
 * Windows rules (9,008 literals) over 16 MB of the attack samples: the
 * scan 1.02 G instructions at 64 bytes, 0.76 G at 12, 0.62 G at 10 and
 * 0.52 G at 8, the matcher 0.56, 0.59, 0.62 and 1.00 G; the whole run
 * 5.41, 4.96, 4.79 and 4.98 G. Small rule sets keep whole literals (the
 * seed rule alone: 25% more instructions when cut). */
#define MANY_LITERALS 1000
#define MANY_LITERALS_CUT 10

/* The longest cut (at most MAX_LITERAL_BYTES, MANY_LITERALS_CUT for many
 * literals) that leaves the N SETS at most MAX_LITERALS distinct literals
 * (1 if none does). */
static size_t literal_cut(const struct litset *sets, size_t n)
{
	size_t distinct = distinct_literals(sets, n, MAX_LITERAL_BYTES);
	if (distinct > MANY_LITERALS && distinct_literals(sets, n, MANY_LITERALS_CUT) <= MAX_LITERALS)
		return MANY_LITERALS_CUT;
	if (distinct <= MAX_LITERALS)
		return MAX_LITERAL_BYTES;
	size_t lo = 1, hi = MAX_LITERAL_BYTES - 1; /* the answer is in [lo, hi] */
	while (lo < hi) {
		size_t mid = (lo + hi + 1) / 2;
		if (distinct_literals(sets, n, mid) <= MAX_LITERALS)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* Rule I (of literals S) in PF: an always-candidate, or its literals
 * added to ALL (each distinct literal once) with I among their rules. */
static void add_rule(struct eh_prefilter *pf, size_t i, struct litset *s, struct litset *all)
{
	if (s->any) {
		pf->always[i / 64] |= UINT64_C(1) << (i % 64);
		pf->rule_always[i] = true;
		pf->nalways++;
		return;
	}
	pf->rule_lits[i] = xcalloc(s->n + 1, sizeof *pf->rule_lits[i]);
	pf->nrule_lits[i] = s->n;
	for (size_t k = 0; k < s->n; k++) {
		size_t id = ls_add(all, s->lit[k].text, s->lit[k].len);
		if (id >= pf->nlit) { /* a new one */
			pf->lit = xreallocarray(pf->lit, all->cap, sizeof *pf->lit);
			memset(&pf->lit[id], 0, sizeof pf->lit[id]);
			pf->nlit = id + 1;
		}
		struct literal *l = &pf->lit[id];
		if ((l->nrules & (l->nrules - 1)) == 0) /* 0, 1, 2, 4...: double */
			l->rules = xreallocarray(l->rules, l->nrules ? 2 * l->nrules : 1, sizeof *l->rules);
		l->rules[l->nrules++] = i;
		pf->rule_lits[i][k] = (struct eh_prefilter_literal){ all->lit[id].text, all->lit[id].len };
	}
}

/* Compiles PF's search if no thread has yet (PF is read-only but for
 * this, which it does once, under its lock). */
static void ensure_compiled(const struct eh_prefilter *cpf)
{
	if (__atomic_load_n(&cpf->compiled, __ATOMIC_ACQUIRE))
		return;
	struct eh_prefilter *pf = (struct eh_prefilter *)cpf; /* made by eh_prefilter_build_with */
	pthread_mutex_lock(&pf->lock);
	if (!pf->compiled) {
#ifdef HAVE_HYPERSCAN
		if (pf->engine == EH_PF_HYPERSCAN && pf->nlit) {
			bool failed = false;
			pf->db = compile_literals(pf, false, &failed);
			pf->db_classes = compile_literals(pf, true, &failed);
			if (failed) { /* the portable engine takes over */
				hs_free_database(pf->db);
				hs_free_database(pf->db_classes);
				pf->db = pf->db_classes = NULL;
				pf->engine = EH_PF_PORTABLE;
			}
		}
#endif
		__atomic_store_n(&pf->compiled, true, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&pf->lock);
}

struct eh_prefilter *eh_prefilter_build_with(const struct eh_ruleset *rs, enum eh_pf_engine engine)
{
	struct eh_prefilter *pf = xcalloc(1, sizeof *pf);
	pf->engine = engine == EH_PF_PORTABLE || !eh_prefilter_have_hyperscan() ? EH_PF_PORTABLE : EH_PF_HYPERSCAN;
	pf->nrules = eh_ruleset_count(rs);
	pf->words = (pf->nrules + 63) / 64 + 1;
	pf->always = xcalloc(pf->words, sizeof *pf->always);
	pf->rule_lits = xcalloc(pf->nrules + 1, sizeof *pf->rule_lits);
	pf->nrule_lits = xcalloc(pf->nrules + 1, sizeof *pf->nrule_lits);
	pf->rule_always = xcalloc(pf->nrules + 1, sizeof *pf->rule_always);
	struct litset *sets = xcalloc(pf->nrules + 1, sizeof *sets);
	for (size_t i = 0; i < pf->nrules; i++) /* unmapped: never fires */
		sets[i] = eh_rowset_empty(eh_ruleset_rule(rs, i)->sources) ? prefilter_never()
									 : rule_literals(eh_ruleset_rule(rs, i));
	size_t cut = literal_cut(sets, pf->nrules);
	/* every distinct literal once (ALL's index is its id), with the
	 * rules that need it */
	struct litset all = prefilter_never();
	for (size_t i = 0; i < pf->nrules; i++) {
		struct litset s = cut_literals(&sets[i], cut);
		if (!ls_never(&s)) /* else it cannot fire on any log source it names */
			add_rule(pf, i, &s, &all);
		ls_free(&s);
		ls_free(&sets[i]);
	}
	free(sets);
	for (size_t i = 0; i < pf->nlit; i++) {
		struct literal *l = &pf->lit[i];
		l->text = all.lit[i].text; /* taken over from ALL */
		l->len = all.lit[i].len;
		encode_literal(l);
		pf->beyond_ascii = pf->beyond_ascii || l->beyond_ascii;
	}
	free(all.lit);
	free(all.slot);
	pthread_mutex_init(&pf->lock, NULL);
	return pf;
}

void eh_prefilter_free(struct eh_prefilter *pf)
{
	if (pf == NULL)
		return;
	for (size_t i = 0; i < pf->nlit; i++) {
		free(pf->lit[i].text);
		free(pf->lit[i].utf16);
		free(pf->lit[i].lowered16);
		free(pf->lit[i].rules);
	}
	free(pf->lit);
	for (size_t i = 0; i < pf->nrules; i++)
		free(pf->rule_lits[i]); /* their text is the literals' */
	free(pf->rule_lits);
	free(pf->nrule_lits);
	free(pf->rule_always);
	free(pf->always);
#ifdef HAVE_HYPERSCAN
	hs_free_database(pf->db);
	hs_free_database(pf->db_classes);
#endif
	pthread_mutex_destroy(&pf->lock);
	free(pf);
}

size_t eh_prefilter_literals(const struct eh_prefilter *pf)
{
	return pf->nlit;
}

size_t eh_prefilter_rules_without_literals(const struct eh_prefilter *pf)
{
	return pf->nalways;
}

const uint64_t *eh_prefilter_always(const struct eh_prefilter *pf)
{
	return pf->always;
}

const size_t *eh_prefilter_literal_counts(const struct eh_prefilter *pf)
{
	return pf->nrule_lits;
}

const struct eh_prefilter_literal *eh_prefilter_rule_literals(const struct eh_prefilter *pf, size_t i, size_t *n,
								bool *always)
{
	*always = pf->rule_always[i];
	*n = pf->nrule_lits[i];
	return pf->rule_lits[i];
}

bool eh_prefilter_have_hyperscan(void)
{
#ifdef HAVE_HYPERSCAN
	return true;
#else
	return false;
#endif
}

void eh_prefilter_compile(const struct eh_prefilter *pf)
{
	ensure_compiled(pf);
}

const char *eh_prefilter_engine(const struct eh_prefilter *pf)
{
	ensure_compiled(pf); /* a failed compile leaves the portable one */
	return pf->engine == EH_PF_HYPERSCAN ? "hyperscan" : "portable";
}

/* ---- scanning ------------------------------------------------------------ */

struct eh_prefilter_scan *eh_prefilter_scan_new(const struct eh_prefilter *pf)
{
	struct eh_prefilter_scan *sc = xcalloc(1, sizeof *sc);
	sc->pf = pf;
	sc->record_set = xcalloc(pf->words, sizeof *sc->record_set);
	sc->chunk_set = xcalloc(pf->words, sizeof *sc->chunk_set);
	return sc; /* Hyperscan's scratch comes with the first scan */
}

void eh_prefilter_scan_free(struct eh_prefilter_scan *sc)
{
	if (sc == NULL)
		return;
#ifdef HAVE_HYPERSCAN
	hs_free_scratch(sc->scratch);
#endif
	free(sc->m);
	free(sc->record_set);
	free(sc->chunk_set);
	free(sc->lowered);
	free(sc->folded[0]);
	free(sc->folded[1]);
	free(sc);
}

static void add_match(struct eh_prefilter_scan *sc, size_t start, size_t lit)
{
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 256;
		sc->m = xreallocarray(sc->m, sc->cap, sizeof *sc->m);
	}
	sc->m[sc->n].start = (uint32_t)start;
	sc->m[sc->n].lit = (uint32_t)lit;
	sc->n++;
}

#ifdef HAVE_HYPERSCAN
static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *ctx)
{
	(void)from, (void)flags;
	struct eh_prefilter_scan *sc = ctx;
	add_match(sc, (size_t)to - sc->pf->lit[id].len16, id);
	return 0;
}
#endif

/* DATA's UTF-16 units from offset PARITY on, each folded (eh_fold) as
 * the matcher folds characters; the other bytes as they are. */
static void fold_units(const uint8_t *data, size_t len, size_t parity, uint8_t *out)
{
	memcpy(out, data, len);
	for (size_t j = parity; j + 1 < len; j += 2) {
		if (data[j + 1] == 0 && data[j] < 0x80) { /* ASCII: most of a chunk */
			out[j] = ascii_lower(data[j]);
			continue;
		}
		uint32_t f = eh_fold((uint32_t)data[j] | (uint32_t)data[j + 1] << 8);
		out[j] = (uint8_t)f;
		out[j + 1] = (uint8_t)(f >> 8);
	}
}

/* All places of L in BASE (LEN bytes) that start at an offset of PARITY
 * (0, 1; 2: any). */
static void find_literal(struct eh_prefilter_scan *sc, size_t k, const uint8_t *lit, const uint8_t *base, size_t len,
			 size_t parity)
{
	const uint8_t *p = base, *end = base + len;
	size_t n = sc->pf->lit[k].len16;
	while ((size_t)(end - p) >= n) {
		const uint8_t *hit = memmem(p, (size_t)(end - p), lit, n);
		if (hit == NULL)
			break;
		if (parity == 2 || (size_t)(hit - base) % 2 == parity)
			add_match(sc, (size_t)(hit - base), k);
		p = hit + 1;
	}
}

/* Without Hyperscan: memmem per literal in a folded copy of the chunk.
 * Most literals fold only ASCII letters: lowering every byte of the chunk
 * and of the literal finds them, at any offset (a few more places, never
 * fewer). A literal with a unit that non-ASCII units fold to (Cyrillic,
 * Greek, ...) needs the chunk's units folded, which depends on where a
 * unit starts: so two copies, folded at even and at odd offsets, made only
 * when such a literal exists, and a place counts at its copy's parity. */
static void scan_portable(struct eh_prefilter_scan *sc, const uint8_t *data, size_t len)
{
	const struct eh_prefilter *pf = sc->pf;
	if (sc->folded_cap < len) {
		sc->folded_cap = len;
		sc->lowered = xrealloc(sc->lowered, len);
		if (pf->beyond_ascii)
			for (int parity = 0; parity < 2; parity++)
				sc->folded[parity] = xrealloc(sc->folded[parity], len);
	}
	for (size_t i = 0; i < len; i++)
		sc->lowered[i] = ascii_lower(data[i]);
	if (pf->beyond_ascii)
		for (size_t parity = 0; parity < 2; parity++)
			fold_units(data, len, parity, sc->folded[parity]);
	for (size_t k = 0; k < pf->nlit; k++) {
		const struct literal *l = &pf->lit[k];
		if (!l->beyond_ascii) {
			find_literal(sc, k, l->lowered16, sc->lowered, len, 2);
			continue;
		}
		for (size_t parity = 0; parity < 2; parity++)
			find_literal(sc, k, l->utf16, sc->folded[parity], len, parity);
	}
}

static int cmp_match(const void *a, const void *b)
{
	const struct match *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

bool eh_prefilter_scan_chunk(struct eh_prefilter_scan *sc, const uint8_t *data, size_t len)
{
	sc->n = 0;
	ensure_compiled(sc->pf);
#ifdef HAVE_HYPERSCAN
	/* one scratch for both databases: the second call grows it to fit */
	if (sc->scratch == NULL &&
	    ((sc->pf->db && hs_alloc_scratch(sc->pf->db, &sc->scratch) != HS_SUCCESS) ||
	     (sc->pf->db_classes && hs_alloc_scratch(sc->pf->db_classes, &sc->scratch) != HS_SUCCESS)))
		abort(); /* only fails for want of memory */
	if (sc->pf->engine == EH_PF_HYPERSCAN) {
		if (sc->pf->db)
			hs_scan(sc->pf->db, (const char *)data, (unsigned)len, 0, sc->scratch, on_match, sc);
		if (sc->pf->db_classes)
			hs_scan(sc->pf->db_classes, (const char *)data, (unsigned)len, 0, sc->scratch, on_match, sc);
	} else
#endif
		scan_portable(sc, data, len);
	if (sc->n > 1)
		qsort(sc->m, sc->n, sizeof *sc->m, cmp_match);
	return sc->n > 0 || sc->pf->nalways > 0;
}

static const uint64_t *rules_of(struct eh_prefilter_scan *sc, uint64_t *set, size_t start, size_t end)
{
	const struct eh_prefilter *pf = sc->pf;
	memcpy(set, pf->always, pf->words * sizeof *set);
	bool any = pf->nalways > 0;
	/* first match at or after START */
	size_t lo = 0, hi = sc->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (sc->m[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < sc->n && sc->m[i].start < end; i++) {
		const struct literal *l = &pf->lit[sc->m[i].lit];
		if (sc->m[i].start + l->len16 > end)
			continue; /* runs past the record: not its value */
		for (size_t k = 0; k < l->nrules; k++)
			set[l->rules[k] / 64] |= UINT64_C(1) << (l->rules[k] % 64);
		any = true;
	}
	return any ? set : NULL;
}

const uint64_t *eh_prefilter_record_rules(struct eh_prefilter_scan *sc, size_t start, size_t end)
{
	return rules_of(sc, sc->record_set, start, end);
}

const uint64_t *eh_prefilter_chunk_rules(struct eh_prefilter_scan *sc)
{
	return rules_of(sc, sc->chunk_set, 0, SIZE_MAX);
}
