/* Sigma matcher: compiled rules against a prepared event. Field names
 * are interned at load, so a test finds its field by index; each value is
 * folded once per event (eh_utf8_fold: ASCII, Latin-1, Latin Extended-A,
 * Greek, Cyrillic; lengths kept), so caseless comparisons are
 * memcmp/memmem. Each worker owns a matcher (eh_matcher_new): after its
 * first events it allocates nothing. */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/logsource.h"
#include "evtxhunt/sigma_internal.h"
#include "evtxhunt/utf.h"
#include "evtxhunt/util.h"

/* Where literal N occurs in H, or NULL. Event values are mostly short,
 * where glibc's memmem spends more setting up (its shift table) than
 * searching: 380 instructions a call over the attack samples. Up to
 * SHORT_HAYSTACK bytes, candidates are the places of N's first byte that
 * also hold its last; longer values (attacker-sized ones included) keep
 * memmem, whose time is linear. */
#define SHORT_HAYSTACK 256
static const char *find_literal(const char *h, size_t hlen, const char *n, size_t nlen)
{
	if (nlen > hlen)
		return NULL;
	if (hlen > SHORT_HAYSTACK || nlen < 2)
		return memmem(h, hlen, n, nlen);
	const char *end = h + (hlen - nlen + 1); /* candidate starts: [h, end) */
	for (const char *p = h; (p = memchr(p, n[0], (size_t)(end - p))) != NULL; p++)
		if (p[nlen - 1] == n[nlen - 1] && memcmp(p, n, nlen) == 0)
			return p;
	return NULL;
}

/* Length of the UTF-8 character at S (1 for a stray byte). */
static size_t utf8_char_len(const char *s, size_t left)
{
	uint32_t cp;
	size_t n = eh_utf8_decode((const unsigned char *)s, left, &cp);
	return n ? n : 1;
}

/* Glob match with backtracking to the last star only: linear in practice,
 * never exponential. '?' takes one UTF-8 character. S is already folded
 * when the pattern is caseless, so bytes compare as they are. */
static bool sigma_match_glob(const uint16_t *g, size_t gn, const char *s, size_t len)
{
	size_t gi = 0, si = 0, star_g = (size_t)-1, star_s = 0;
	while (si < len) {
		if (gi < gn && g[gi] == GLOB_STAR) {
			star_g = gi++;
			star_s = si;
		} else if (gi < gn && g[gi] == GLOB_ONE) {
			gi++;
			si += utf8_char_len(s + si, len - si);
		} else if (gi < gn && g[gi] == (unsigned char)s[si]) {
			gi++;
			si++;
		} else if (star_g != (size_t)-1) {
			gi = star_g + 1;
			si = ++star_s;
		} else {
			return false;
		}
	}
	while (gi < gn && g[gi] == GLOB_STAR)
		gi++;
	return gi == gn;
}

/* The match limit bounds a pattern that backtracks catastrophically
 * (PCRE2's default lets one test run for seconds); a test it stops counts
 * as no match and is counted, never silent. A legitimate rule's pattern
 * over a 32 KiB command line stays far below it. */
#define RE_MATCH_LIMIT 1000000u
#define RE_DEPTH_LIMIT 10000u

static bool sigma_match_re(struct eh_matcher *m, const pcre2_code *re, const char *s, size_t len)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, m->match_data, m->match_context);
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
	    rc == PCRE2_ERROR_JIT_STACKLIMIT)
		m->regex_limit_hits++;
	return rc >= 0;
}

uint64_t eh_matcher_take_regex_limit_hits(struct eh_matcher *m)
{
	uint64_t n = m->regex_limit_hits;
	m->regex_limit_hits = 0;
	return n;
}

static bool sigma_match_cidr(const struct sigma_value *v, const char *s, size_t len)
{
	char text[64];
	uint8_t addr[16];
	if (len == 0 || len >= sizeof text)
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	if (inet_pton(v->family, text, addr) != 1)
		return false;
	unsigned full = v->prefix / 8, rest = v->prefix % 8;
	if (memcmp(addr, v->net, full) != 0)
		return false;
	return rest == 0 || ((addr[full] ^ v->net[full]) & (0xff << (8 - rest))) == 0;
}

static bool sigma_match_compare(const struct sigma_value *v, const char *s, size_t len)
{
	char text[64], *end;
	if (len == 0 || len >= sizeof text)
		return false;
	memcpy(text, s, len);
	text[len] = '\0';
	double d = strtod(text, &end);
	if (end == text || *end)
		return false;
	switch (v->compare) {
	case CMP_GT:
		return d > v->number;
	case CMP_GTE:
		return d >= v->number;
	case CMP_LT:
		return d < v->number;
	case CMP_LTE:
		return d <= v->number;
	}
	return false;
}

/* The text a value compares with: as logged when cased, else folded. */
static inline const char *sigma_match_text(const struct sigma_view *view, int32_t i, bool cased)
{
	return cased ? view->fields[i].value : view->folded[i];
}

/* Field I compared with the field the value names, from the same event:
 * with any of its values when the name is repeated. */
static bool sigma_match_fieldref(const struct sigma_value *v, const struct sigma_view *view, int32_t i)
{
	const char *s = sigma_match_text(view, i, v->cased);
	size_t len = view->fields[i].len;
	for (int32_t r = v->ref_id >= 0 ? view->slot[v->ref_id] : -1; r >= 0; r = view->next[r]) {
		const char *ref = sigma_match_text(view, r, v->cased);
		size_t rlen = view->fields[r].len;
		bool ok = false;
		switch (v->position) {
		case POS_EQ:
			ok = len == rlen && memcmp(s, ref, len) == 0;
			break;
		case POS_STARTSWITH:
			ok = rlen <= len && memcmp(s, ref, rlen) == 0;
			break;
		case POS_ENDSWITH:
			ok = rlen <= len && memcmp(s + len - rlen, ref, rlen) == 0;
			break;
		case POS_CONTAINS:
			ok = rlen == 0 || find_literal(s, len, ref, rlen) != NULL;
			break;
		}
		if (ok)
			return true;
	}
	return false;
}

/* Value V against field I of the prepared event. */
static bool value_match(const struct sigma_value *v, const struct sigma_view *view, int32_t i)
{
	const char *s;
	size_t len = view->fields[i].len;
	switch (v->kind) {
	case SV_EQ:
		s = sigma_match_text(view, i, v->cased);
		return len == v->len && memcmp(s, v->lit, len) == 0;
	case SV_CONTAINS:
		s = sigma_match_text(view, i, v->cased);
		return v->len == 0 || find_literal(s, len, v->lit, v->len) != NULL;
	case SV_STARTSWITH:
		s = sigma_match_text(view, i, v->cased);
		return len >= v->len && memcmp(s, v->lit, v->len) == 0;
	case SV_ENDSWITH:
		s = sigma_match_text(view, i, v->cased);
		return len >= v->len && memcmp(s + len - v->len, v->lit, v->len) == 0;
	case SV_GLOB:
		return sigma_match_glob(v->glob, v->glen, sigma_match_text(view, i, v->cased), len);
	case SV_NULL:
		return len == 0;
	case SV_EXISTS:
		return v->exists;
	case SV_RE:
		return sigma_match_re(view->m, v->re, view->fields[i].value, len);
	case SV_CIDR:
		return sigma_match_cidr(v, view->fields[i].value, len);
	case SV_FIELDREF:
		return sigma_match_fieldref(v, view, i);
	case SV_COMPARE:
		return sigma_match_compare(v, view->fields[i].value, len);
	}
	return false;
}

/* One value against the event: a field's values (it holds when it holds
 * for one of them: a name can be repeated, as unnamed Data is), or
 * (keywords) every value of the event, System fields included. */
static bool value_holds(const struct sigma_test *t, const struct sigma_value *v, const struct sigma_view *view)
{
	if (t->field == NULL) {
		/* one search over all folded values instead of one per field
		 * (a list of 50,000 keywords took 17 s over a few thousand
		 * events): each value ends in a NUL, so a literal without one is
		 * found in the buffer only where one value contains it */
		if (v->kind == SV_CONTAINS && !v->cased && v->len > 0 && !v->has_nul)
			return memmem(view->folded_all, view->folded_all_len, v->lit, v->len) != NULL;
		for (size_t i = 0; i < view->nfields; i++)
			if (value_match(v, view, (int32_t)i))
				return true;
		return false;
	}
	int32_t i = view->slot[t->field_id];
	if (i < 0) /* absent: only 'null' and 'exists: false' hold */
		return v->kind == SV_NULL || (v->kind == SV_EXISTS && !v->exists);
	for (; i >= 0; i = view->next[i])
		if (value_match(v, view, i))
			return true;
	return false;
}

static bool test_holds(const struct sigma_test *t, const struct sigma_view *view)
{
	for (size_t i = 0; i < t->nvalues; i++) {
		bool ok = value_holds(t, &t->values[i], view);
		if (t->all && !ok)
			return false;
		if (!t->all && ok)
			return true;
	}
	return t->all;
}

static bool selection_holds(const struct sigma_selection *sel, const struct sigma_view *view)
{
	for (size_t i = 0; i < sel->nmaps; i++) {
		const struct sigma_map *m = &sel->maps[i];
		size_t j = 0;
		while (j < m->ntests && test_holds(&m->tests[j], view))
			j++;
		if (j == m->ntests)
			return true;
	}
	return false;
}

static bool eval(const struct sigma_rule_body *b, const struct sigma_cond *c, const struct sigma_view *view)
{
	switch (c->op) {
	case C_AND:
		return eval(b, c->a, view) && eval(b, c->b, view);
	case C_OR:
		return eval(b, c->a, view) || eval(b, c->b, view);
	case C_NOT:
		return !eval(b, c->a, view);
	case C_SEL:
		return selection_holds(&b->sels[c->sels[0]], view);
	case C_ONE_OF:
		for (size_t i = 0; i < c->nsels; i++)
			if (selection_holds(&b->sels[c->sels[i]], view))
				return true;
		return false;
	case C_ALL_OF:
		for (size_t i = 0; i < c->nsels; i++)
			if (!selection_holds(&b->sels[c->sels[i]], view))
				return false;
		return true;
	}
	return false;
}

bool sigma_rule_match(const struct eh_rule *rule, const struct sigma_view *view)
{
	return sigma_eventid_admits(rule->body, view) && eval(rule->body, rule->body->cond, view);
}

/* ---- prepared events --------------------------------------------------------- */

struct eh_matcher *eh_matcher_new(const struct eh_ruleset *rs)
{
	struct eh_matcher *m = xcalloc(1, sizeof *m);
	m->rs = rs;
	/* a single pair is enough to tell a match from none, whatever the
	 * pattern's groups */
	m->match_data = pcre2_match_data_create(1, NULL);
	m->match_context = pcre2_match_context_create(NULL);
	if (m->match_data == NULL || m->match_context == NULL)
		abort(); /* only fails for want of memory */
	pcre2_set_match_limit(m->match_context, RE_MATCH_LIMIT);
	pcre2_set_depth_limit(m->match_context, RE_DEPTH_LIMIT);
	buf_init(&m->folded);
	return m;
}

void eh_matcher_free(struct eh_matcher *m)
{
	if (m == NULL)
		return;
	pcre2_match_data_free(m->match_data);
	pcre2_match_context_free(m->match_context);
	free(m->slot);
	free(m->tail);
	free(m->fields);
	free(m->next);
	buf_free(&m->folded);
	free(m->folded_at);
	free(m->folded_off);
	free(m->touched);
	free(m);
}

size_t eh_matcher_match(struct eh_matcher *m, const struct eh_event *ev, const uint64_t *candidates,
			eh_hit_fn on_hit, void *user)
{
	const struct eh_ruleset *rs = m->rs;
	/* routing is the caller's (eh_ruleset_route); without CANDIDATES,
	 * the rules whose log source holds for EV as it is */
	uint64_t *routed = NULL;
	if (candidates == NULL) {
		uint64_t *rows = xcalloc(eh_logsource_words(), sizeof *rows);
		routed = xcalloc(eh_ruleset_words(rs), sizeof *routed);
		eh_logsource_rows_of(ev, rows);
		eh_ruleset_route(rs, rows, eh_ruleset_guard_id(rs, ev), NULL, NULL, routed);
		free(rows);
		candidates = routed;
	}
	size_t hits = 0;
	struct sigma_view view;
	sigma_view_prepare(m, ev, &view);
	/* the candidates' set bits, in rule order: a few of thousands */
	for (size_t w = 0; w * 64 < rs->nrules; w++) {
		for (uint64_t bits = candidates[w]; bits; bits &= bits - 1) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(bits);
			if (i >= rs->nrules)
				break;
			const struct eh_rule *r = rs->rules[i];
			if (sigma_rule_match(r, &view)) {
				hits++;
				if (on_hit)
					on_hit(r, ev, user);
			}
		}
	}
	sigma_view_done(&view);
	free(routed);
	return hits;
}

static uint32_t sigma_match_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

int sigma_field_id(const struct eh_ruleset *rs, const char *name)
{
	if (rs->field_table_cap == 0)
		return -1;
	for (size_t k = sigma_match_hash(name) % rs->field_table_cap;; k = (k + 1) % rs->field_table_cap) {
		int id = rs->field_table[k];
		if (id < 0)
			return -1;
		if (strcmp(rs->field_names[id], name) == 0)
			return id;
	}
}

static int intern(struct eh_ruleset *rs, const char *name)
{
	int id = sigma_field_id(rs, name);
	if (id >= 0)
		return id;
	if (2 * (rs->nfield_names + 1) > rs->field_table_cap) {
		size_t cap = rs->field_table_cap ? rs->field_table_cap * 2 : 256;
		free(rs->field_table);
		rs->field_table = xmalloc(cap * sizeof *rs->field_table);
		for (size_t k = 0; k < cap; k++)
			rs->field_table[k] = -1;
		rs->field_table_cap = cap;
		for (size_t i = 0; i < rs->nfield_names; i++) {
			size_t k = sigma_match_hash(rs->field_names[i]) % cap;
			while (rs->field_table[k] >= 0)
				k = (k + 1) % cap;
			rs->field_table[k] = (int)i;
		}
	}
	rs->field_names = xreallocarray(rs->field_names, rs->nfield_names + 1, sizeof *rs->field_names);
	rs->field_names[rs->nfield_names] = xstrdup(name);
	size_t k = sigma_match_hash(name) % rs->field_table_cap;
	while (rs->field_table[k] >= 0)
		k = (k + 1) % rs->field_table_cap;
	rs->field_table[k] = (int)rs->nfield_names;
	return (int)rs->nfield_names++;
}

void sigma_intern_rule(struct eh_ruleset *rs, struct eh_rule *rule)
{
	struct sigma_rule_body *b = rule->body;
	for (size_t s = 0; s < b->nsels; s++)
		for (size_t m = 0; m < b->sels[s].nmaps; m++)
			for (size_t t = 0; t < b->sels[s].maps[m].ntests; t++) {
				struct sigma_test *test = &b->sels[s].maps[m].tests[t];
				test->field_id = test->field ? intern(rs, test->field) : -1;
				for (size_t v = 0; v < test->nvalues; v++)
					if (test->values[v].kind == SV_FIELDREF)
						test->values[v].ref_id = intern(rs, test->values[v].ref);
			}
}

void sigma_view_prepare(struct eh_matcher *m, const struct eh_event *ev, struct sigma_view *view)
{
	const struct eh_ruleset *rs = m->rs;
	if (m->nslot < rs->nfield_names) {
		m->slot = xreallocarray(m->slot, rs->nfield_names, sizeof *m->slot);
		m->tail = xreallocarray(m->tail, rs->nfield_names, sizeof *m->tail);
		for (size_t i = m->nslot; i < rs->nfield_names; i++)
			m->slot[i] = -1;
		m->nslot = rs->nfield_names;
	}
	/* the payload's fields, then the System fields: one list to match */
	size_t n = ev->nfields + ev->nsystem;
	if (m->cap < n) {
		m->cap = n;
		m->fields = xreallocarray(m->fields, m->cap, sizeof *m->fields);
		m->next = xreallocarray(m->next, m->cap, sizeof *m->next);
		m->folded_at = xreallocarray(m->folded_at, m->cap, sizeof *m->folded_at);
		m->folded_off = xreallocarray(m->folded_off, m->cap, sizeof *m->folded_off);
		m->touched = xreallocarray(m->touched, m->cap, sizeof *m->touched);
	}
	if (ev->nfields)
		memcpy(m->fields, ev->fields, ev->nfields * sizeof *m->fields);
	if (ev->nsystem)
		memcpy(m->fields + ev->nfields, ev->system, ev->nsystem * sizeof *m->fields);
	m->ntouched = 0;
	buf_reset(&m->folded);
	for (size_t i = 0; i < n; i++) {
		const struct eh_field *f = &m->fields[i];
		int id = sigma_field_id(rs, f->name);
		m->next[i] = -1;
		if (id >= 0) { /* a repeated name: its values chained in order */
			if (m->slot[id] < 0) {
				m->slot[id] = (int32_t)i;
				m->touched[m->ntouched++] = id;
				m->tail[id] = (int32_t)i;
			} else if (i < ev->nfields) {
				m->next[m->tail[id]] = (int32_t)i;
				m->tail[id] = (int32_t)i;
			}
			/* else a System field the payload names too (System 104's
			 * UserData Channel, the log cleared): the field is the
			 * payload's, as the rules on it mean, not both (the System
			 * Channel "System" would match every 104) */
		}
		m->folded_off[i] = m->folded.len;
		buf_reserve(&m->folded, f->len);
		eh_utf8_fold(f->value, f->len, m->folded.data + m->folded.len);
		m->folded.len += f->len;
		buf_addc(&m->folded, '\0');
	}
	/* places only now: the buffer may have moved while growing */
	for (size_t i = 0; i < n; i++)
		m->folded_at[i] = m->folded.data + m->folded_off[i];
	/* the EventID values the rules' conditions read, for their guards */
	view->nevent_ids = 0;
	view->event_ids_unknown = false;
	int eid = sigma_field_id(rs, "EventID");
	for (int32_t i = eid >= 0 ? m->slot[eid] : -1; i >= 0; i = m->next[i]) {
		if (view->nevent_ids == SIGMA_VIEW_EVENT_IDS ||
		    !sigma_eventid_parse(m->fields[i].value, m->fields[i].len, &view->event_ids[view->nevent_ids])) {
			view->event_ids_unknown = true;
			break;
		}
		view->nevent_ids++;
	}
	view->m = m;
	view->ev = ev;
	view->fields = m->fields;
	view->nfields = n;
	view->slot = m->slot;
	view->next = m->next;
	view->folded = m->folded_at;
	view->folded_all = m->folded.data ? m->folded.data : "";
	view->folded_all_len = m->folded.len;
}

void sigma_view_done(struct sigma_view *view)
{
	struct eh_matcher *m = view->m;
	for (size_t i = 0; i < m->ntouched; i++)
		m->slot[m->touched[i]] = -1;
	m->ntouched = 0;
}
