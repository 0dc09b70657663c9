/* Event-id guards: the EventID values a rule's condition needs one of.
 * Most Security and System rules test an EventID and numbers, with no
 * literal for the prefilter: without a guard each is evaluated on every
 * event of its channel (166 rules a record in a Security log). A guard is
 * a necessary condition read off the compiled condition, checked before
 * it against the values the condition itself reads (the view's EventID
 * field, the payload's when it names one), so a rule is skipped only when
 * its condition could not hold. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "evtxhunt/event.h"
#include "evtxhunt/sigma_internal.h"
#include "evtxhunt/util.h"

/* A set of ids, or (!known) nothing known. */
struct idset {
	bool known;
	uint32_t *ids;
	size_t n;
};

static struct idset unknown(void)
{
	return (struct idset){ .known = false };
}

static void idset_free(struct idset *s)
{
	free(s->ids);
	*s = unknown();
}

/* Whether the N bytes of S are a number as Windows writes an EventID:
 * decimal digits, no sign, no leading zero, within 32 bits. Equal texts of
 * that form are equal numbers and the other way round, so comparing the
 * numbers decides what comparing the texts would. */
bool sigma_eventid_parse(const char *s, size_t n, uint32_t *out)
{
	if (n == 0 || n > 10 || (s[0] == '0' && n > 1))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* The first of the N sorted IDS not below ID (N when none is). */
static size_t lower_bound(const uint32_t *ids, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int cmp_id(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* OR: an id of either; nothing known if either side knows nothing. */
static struct idset id_union(struct idset a, struct idset b)
{
	if (!a.known || !b.known) {
		idset_free(&a);
		idset_free(&b);
		return unknown();
	}
	a.ids = xreallocarray(a.ids, a.n + b.n, sizeof *a.ids);
	memcpy(a.ids + a.n, b.ids, b.n * sizeof *b.ids);
	a.n += b.n;
	idset_free(&b);
	return a;
}

/* AND: both sides' conditions hold; keep the narrower. Not their
 * intersection: a repeated EventID field (a payload may name two) can
 * meet one side with one value and the other with another. */
static struct idset id_best(struct idset a, struct idset b)
{
	if (!a.known || (b.known && b.n < a.n)) {
		idset_free(&a);
		return b;
	}
	idset_free(&b);
	return a;
}

/* A test that holds only when its field is EventID and one value of it
 * equals one of plain numbers. */
static struct idset test_ids(const struct sigma_test *t)
{
	if (t->field == NULL || strcmp(t->field, "EventID") != 0 || t->nvalues == 0)
		return unknown();
	size_t n = t->all ? 1 : t->nvalues; /* all: the first alone is needed */
	struct idset s = { .known = true, .ids = xcalloc(n, sizeof *s.ids), .n = n };
	for (size_t i = 0; i < n; i++) {
		const struct sigma_value *v = &t->values[i];
		if (v->kind != SV_EQ || !sigma_eventid_parse(v->lit, v->len, &s.ids[i])) {
			idset_free(&s);
			return unknown();
		}
	}
	return s;
}

static struct idset selection_ids(const struct sigma_selection *sel)
{
	struct idset s = unknown();
	for (size_t i = 0; i < sel->nmaps; i++) {
		const struct sigma_map *m = &sel->maps[i];
		struct idset ms = unknown();
		for (size_t k = 0; k < m->ntests; k++)
			ms = id_best(ms, test_ids(&m->tests[k]));
		if (i == 0) {
			s = ms;
		} else {
			s = id_union(s, ms);
		}
	}
	return s;
}

static struct idset cond_ids(const struct sigma_rule_body *b, const struct sigma_cond *c)
{
	struct idset s;
	switch (c->op) {
	case C_AND:
		return id_best(cond_ids(b, c->a), cond_ids(b, c->b));
	case C_OR:
		return id_union(cond_ids(b, c->a), cond_ids(b, c->b));
	case C_NOT:
		return unknown();
	case C_SEL:
		return selection_ids(&b->sels[c->sels[0]]);
	case C_ONE_OF:
	case C_ALL_OF:
		s = selection_ids(&b->sels[c->sels[0]]);
		for (size_t i = 1; i < c->nsels; i++) {
			struct idset x = selection_ids(&b->sels[c->sels[i]]);
			s = c->op == C_ONE_OF ? id_union(s, x) : id_best(s, x);
		}
		return s;
	}
	return unknown();
}

void sigma_eventid_guard(struct sigma_rule_body *b)
{
	free(b->event_ids);
	b->event_ids = NULL;
	b->nevent_ids = 0;
	b->event_ids_known = false;
	if (b->cond == NULL || b->nsels == 0)
		return;
	struct idset s = cond_ids(b, b->cond);
	if (!s.known)
		return;
	qsort(s.ids, s.n, sizeof *s.ids, cmp_id);
	size_t n = 0; /* distinct */
	for (size_t i = 0; i < s.n; i++)
		if (n == 0 || s.ids[n - 1] != s.ids[i])
			s.ids[n++] = s.ids[i];
	b->event_ids = s.ids;
	b->nevent_ids = n;
	b->event_ids_known = true;
}

bool sigma_eventid_admits(const struct sigma_rule_body *b, const struct sigma_view *view)
{
	if (!b->event_ids_known || view->event_ids_unknown)
		return true;
	for (size_t i = 0; i < view->nevent_ids; i++) {
		size_t k = lower_bound(b->event_ids, b->nevent_ids, view->event_ids[i]);
		if (k < b->nevent_ids && b->event_ids[k] == view->event_ids[i])
			return true;
	}
	return false;
}

/* ---- rules by guard: routing leaves out what the guards rule out ---------- */

/* Where ID is or goes in RS's sorted GUARD_IDS. */
static size_t guard_slot(const struct eh_ruleset *rs, uint32_t id)
{
	return lower_bound(rs->guard_ids, rs->nguard_ids, id);
}

static void set_bit(uint64_t *set, size_t i)
{
	set[i / 64] |= UINT64_C(1) << (i % 64);
}

void sigma_guards_add(struct eh_ruleset *rs, const struct eh_rule *r, size_t index)
{
	const struct sigma_rule_body *b = r->body;
	if (!b->event_ids_known) {
		set_bit(rs->unguarded, index);
		return;
	}
	for (size_t i = 0; i < b->nevent_ids; i++) {
		uint32_t id = b->event_ids[i];
		size_t k = guard_slot(rs, id);
		if (k == rs->nguard_ids || rs->guard_ids[k] != id) {
			rs->guard_ids = xreallocarray(rs->guard_ids, rs->nguard_ids + 1, sizeof *rs->guard_ids);
			rs->guard_rules = xreallocarray(rs->guard_rules, rs->nguard_ids + 1, sizeof *rs->guard_rules);
			memmove(rs->guard_ids + k + 1, rs->guard_ids + k, (rs->nguard_ids - k) * sizeof *rs->guard_ids);
			memmove(rs->guard_rules + k + 1, rs->guard_rules + k, (rs->nguard_ids - k) * sizeof *rs->guard_rules);
			rs->guard_ids[k] = id;
			rs->guard_rules[k] = xcalloc(rs->row_rules_words, sizeof **rs->guard_rules);
			rs->nguard_ids++;
		}
		set_bit(rs->guard_rules[k], index);
	}
}

void sigma_guards_clear(struct eh_ruleset *rs)
{
	if (rs->unguarded)
		memset(rs->unguarded, 0, rs->row_rules_words * sizeof *rs->unguarded);
	for (size_t k = 0; k < rs->nguard_ids; k++)
		memset(rs->guard_rules[k], 0, rs->row_rules_words * sizeof **rs->guard_rules);
}

static uint64_t *grow_set(uint64_t *set, size_t old_words, size_t new_words)
{
	set = xreallocarray(set, new_words, sizeof *set);
	memset(set + old_words, 0, (new_words - old_words) * sizeof *set);
	return set;
}

void sigma_guards_grow(struct eh_ruleset *rs, size_t old_words, size_t new_words)
{
	rs->unguarded = grow_set(old_words ? rs->unguarded : NULL, old_words, new_words);
	for (size_t k = 0; k < rs->nguard_ids; k++)
		rs->guard_rules[k] = grow_set(rs->guard_rules[k], old_words, new_words);
}

void sigma_guards_free(struct eh_ruleset *rs)
{
	for (size_t k = 0; k < rs->nguard_ids; k++)
		free(rs->guard_rules[k]);
	free(rs->guard_rules);
	free(rs->guard_ids);
	free(rs->unguarded);
	rs->guard_rules = NULL;
	rs->guard_ids = NULL;
	rs->unguarded = NULL;
	rs->nguard_ids = 0;
}

int64_t eh_ruleset_guard_id(const struct eh_ruleset *rs, const struct eh_event *ev)
{
	if (rs->nguard_ids == 0) /* no rule has a guard: nothing to read */
		return EH_GUARD_ANY;
	/* as sigma_view_prepare reads EventID: the payload's when it names
	 * one (each of its values), else the System one */
	const char *value = NULL;
	size_t len = 0, named = 0;
	for (size_t i = 0; i < ev->nfields; i++)
		if (strcmp(ev->fields[i].name, "EventID") == 0 && named++ == 0) {
			value = ev->fields[i].value;
			len = ev->fields[i].len;
		}
	if (named > 1)
		return EH_GUARD_ANY;
	if (named == 0)
		value = eh_event_get_system(ev, "EventID", &len);
	uint32_t id;
	if (value == NULL) /* renaming (eh_logsource_normalize) makes the text of the number */
		return ev->event_id != 0 ? EH_GUARD_ANY : EH_GUARD_NONE;
	return sigma_eventid_parse(value, len, &id) ? (int64_t)id : EH_GUARD_ANY;
}

const uint64_t *sigma_guards_of(const struct eh_ruleset *rs, int64_t id)
{
	if (id < 0 || id > UINT32_MAX)
		return NULL;
	size_t k = guard_slot(rs, (uint32_t)id);
	return k < rs->nguard_ids && rs->guard_ids[k] == (uint32_t)id ? rs->guard_rules[k] : NULL;
}
