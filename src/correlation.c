/* Sigma correlation rules: parsing, resolution and evaluation
 * (correlation.h says what a window, a burst and a hit are). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evtxhunt/correlation.h"
#include "evtxhunt/report.h"
#include "evtxhunt/sigma_internal.h"
#include "evtxhunt/util.h"

#define TICKS_PER_SECOND INT64_C(10000000)

enum corr_type { CT_EVENT_COUNT, CT_VALUE_COUNT, CT_TEMPORAL, CT_TEMPORAL_ORDERED };

static const char *const type_names[] = { "event_count", "value_count", "temporal", "temporal_ordered" };
#define NTYPES (sizeof type_names / sizeof type_names[0])

/* Condition operators; a condition ANDs those it gives. */
enum corr_op { OP_GT, OP_GTE, OP_LT, OP_LTE, OP_EQ, OP_NEQ, NOPS };
static const char *const op_names[NOPS] = { "gt", "gte", "lt", "lte", "eq", "neq" };

/* Timespan units: the spec's four, lowercase. */
static const struct unit {
	char letter;
	int64_t seconds;
} units[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };

/* A referred rule, as written and as resolved. */
struct corr_ref {
	char *text;
	int line, column;
	const struct eh_rule *rule;   /* a base rule, or */
	struct corr *corr;            /* a correlation */
};

struct corr_alias_map {
	char *rule_key; /* a referred rule's name or id */
	char *field;
	int line, column;
};

struct corr_alias {
	char *name;
	int line, column;
	struct corr_alias_map *maps;
	size_t nmaps;
};

struct corr_group;

struct corr {
	struct eh_rule *rule; /* title, id, level, file: what its hits show */
	char *name;
	int line, column; /* of the correlation section */
	enum corr_type type;
	struct corr_ref *refs;
	size_t nrefs;
	char **group_by;
	size_t ngroup;
	struct corr_alias *aliases;
	size_t naliases;
	char *field; /* value_count */
	int64_t timespan; /* ticks */
	bool has_op[NOPS];
	uint64_t op_value[NOPS];
	bool generate;
	/* resolution */
	bool usable, resolving, resolved;
	int depth; /* 1 + the deepest referred correlation; base rules are 0 */
	const char **fields; /* [ref * ngroup + g]: the field group-by g reads in ref's events */
	/* evaluation */
	struct corr_group **buckets;
	size_t nbuckets, ngroups;
	uint64_t fed, hits, skipped_group, skipped_value;
	uint64_t known; /* hits started by an earlier run's events: reported then */
};

struct eh_corrset {
	struct corr **corrs;
	size_t n;
	char **broken; /* ids and names of correlations that could not be parsed */
	size_t nbroken;
};

struct eh_corrset *eh_corrset_new(void)
{
	return xcalloc(1, sizeof(struct eh_corrset));
}

static void group_free(struct corr *c, struct corr_group *g);

static void corr_free(struct corr *c)
{
	if (c == NULL)
		return;
	eh_rule_free(c->rule);
	free(c->name);
	for (size_t i = 0; i < c->nrefs; i++)
		free(c->refs[i].text);
	free(c->refs);
	for (size_t i = 0; i < c->ngroup; i++)
		free(c->group_by[i]);
	free(c->group_by);
	for (size_t i = 0; i < c->naliases; i++) {
		for (size_t k = 0; k < c->aliases[i].nmaps; k++) {
			free(c->aliases[i].maps[k].rule_key);
			free(c->aliases[i].maps[k].field);
		}
		free(c->aliases[i].maps);
		free(c->aliases[i].name);
	}
	free(c->aliases);
	free(c->field);
	free(c->fields);
	for (size_t b = 0; b < c->nbuckets; b++)
		while (c->buckets[b]) {
			struct corr_group *g = c->buckets[b];
			c->buckets[b] = *(struct corr_group **)g; /* next is the first member */
			group_free(c, g);
		}
	free(c->buckets);
	free(c);
}

void eh_corrset_free(struct eh_corrset *cs)
{
	if (cs == NULL)
		return;
	for (size_t i = 0; i < cs->n; i++)
		corr_free(cs->corrs[i]);
	free(cs->corrs);
	for (size_t i = 0; i < cs->nbroken; i++)
		free(cs->broken[i]);
	free(cs->broken);
	free(cs);
}

/* ---- parsing --------------------------------------------------------------------- */

struct pc {
	struct eh_rule_error *err;
	bool failed;
};

static void __attribute__((format(printf, 3, 4))) pc_fail(struct pc *pc, const struct ynode *at, const char *fmt, ...)
{
	if (pc->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	pc->err->line = at ? at->line : 0;
	pc->err->column = at ? at->column : 0;
	pc->err->reason = xvasprintf(fmt, ap);
	va_end(ap);
	pc->failed = true;
}

static char *scalar(const struct ynode *n)
{
	return n && n->type == Y_SCALAR && !ytree_is_null(n) ? xstrdup(n->text) : NULL;
}

/* "NUMBER UNIT" (5m) to ticks; -1 if not one. */
static int64_t parse_timespan(const char *s)
{
	char *end;
	errno = 0;
	if (*s < '0' || *s > '9')
		return -1;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno || end[0] == '\0' || end[1] != '\0' || n == 0)
		return -1;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (units[i].letter == end[0]) {
			if (n > (unsigned long long)(INT64_MAX / TICKS_PER_SECOND / units[i].seconds))
				return -1;
			return (int64_t)n * units[i].seconds * TICKS_PER_SECOND;
		}
	return -1;
}

static void parse_condition(struct pc *pc, struct corr *c, const struct ynode *cond)
{
	if (cond->type != Y_MAP) {
		pc_fail(pc, cond, "the condition must be a map of operators (gt, gte, lt, lte, eq, neq) to counts");
		return;
	}
	if (cond->n == 0)
		pc_fail(pc, cond, "the condition is empty");
	for (size_t i = 0; i + 1 < cond->n && !pc->failed; i += 2) {
		const struct ynode *k = cond->items[i], *v = cond->items[i + 1];
		if (k->type != Y_SCALAR) {
			pc_fail(pc, k, "a condition key must be a string");
			break;
		}
		if (strcmp(k->text, "field") == 0) {
			if (c->field || (c->field = scalar(v)) == NULL)
				pc_fail(pc, v, "'field' must name one field");
			continue;
		}
		size_t op = 0;
		while (op < NOPS && strcmp(op_names[op], k->text) != 0)
			op++;
		if (op == NOPS) {
			pc_fail(pc, k, "unknown condition operator '%s' (gt, gte, lt, lte, eq, neq)", k->text);
			break;
		}
		if (c->has_op[op]) {
			pc_fail(pc, k, "condition operator '%s' given twice", k->text);
			break;
		}
		char *end = NULL;
		unsigned long long n = 0;
		bool digits = v->type == Y_SCALAR && v->plain && v->text[0] >= '0' && v->text[0] <= '9';
		errno = 0;
		if (digits)
			n = strtoull(v->text, &end, 10);
		if (!digits || errno || *end) {
			pc_fail(pc, v, "'%s' takes a whole number of at least 0", k->text);
			break;
		}
		c->has_op[op] = true;
		c->op_value[op] = n;
	}
}

/* A list of strings (or one string) into *OUT. */
static void parse_names(struct pc *pc, const struct ynode *n, const char *what, char ***out, size_t *nout,
			struct corr_ref **refs)
{
	const struct ynode *const *items = n->type == Y_SEQ ? (const struct ynode *const *)n->items : &n;
	size_t count = n->type == Y_SEQ ? n->n : 1;
	if (n->type == Y_MAP) {
		pc_fail(pc, n, "'%s' must be a list of names", what);
		return;
	}
	for (size_t i = 0; i < count && !pc->failed; i++) {
		char *s = scalar(items[i]);
		if (s == NULL || *s == '\0') {
			free(s);
			pc_fail(pc, items[i], "an item of '%s' must be a name", what);
			return;
		}
		if (refs) {
			*refs = xreallocarray(*refs, *nout + 1, sizeof **refs);
			(*refs)[(*nout)++] = (struct corr_ref){ s, items[i]->line, items[i]->column, NULL, NULL };
		} else {
			*out = xreallocarray(*out, *nout + 1, sizeof **out);
			(*out)[(*nout)++] = s;
		}
	}
}

static void parse_aliases(struct pc *pc, struct corr *c, const struct ynode *al)
{
	if (al->type != Y_MAP) {
		pc_fail(pc, al, "'aliases' must map each alias to a map of rule name to field");
		return;
	}
	for (size_t i = 0; i + 1 < al->n && !pc->failed; i += 2) {
		const struct ynode *k = al->items[i], *v = al->items[i + 1];
		if (k->type != Y_SCALAR || v->type != Y_MAP) {
			pc_fail(pc, k->type != Y_SCALAR ? k : v, "an alias maps its name to a map of rule name to field");
			return;
		}
		c->aliases = xreallocarray(c->aliases, c->naliases + 1, sizeof *c->aliases);
		struct corr_alias *a = &c->aliases[c->naliases++];
		*a = (struct corr_alias){ xstrdup(k->text), k->line, k->column, NULL, 0 };
		for (size_t j = 0; j + 1 < v->n; j += 2) {
			const struct ynode *rk = v->items[j], *f = v->items[j + 1];
			char *field = scalar(f);
			if (rk->type != Y_SCALAR || field == NULL) {
				free(field);
				pc_fail(pc, field ? rk : f, "alias '%s': each rule name must map to one field", a->name);
				return;
			}
			a->maps = xreallocarray(a->maps, a->nmaps + 1, sizeof *a->maps);
			a->maps[a->nmaps++] = (struct corr_alias_map){ xstrdup(rk->text), field, rk->line, rk->column };
		}
	}
}

static bool parse_bool(const struct ynode *n, bool *out)
{
	if (n->type != Y_SCALAR || !n->plain)
		return false;
	if (strcmp(n->text, "true") == 0 || strcmp(n->text, "True") == 0 || strcmp(n->text, "TRUE") == 0)
		*out = true;
	else if (strcmp(n->text, "false") == 0 || strcmp(n->text, "False") == 0 || strcmp(n->text, "FALSE") == 0)
		*out = false;
	else
		return false;
	return true;
}

static bool has_any_op(const struct corr *c)
{
	for (int op = 0; op < NOPS; op++)
		if (c->has_op[op])
			return true;
	return false;
}

static void parse_section(struct pc *pc, struct corr *c, const struct ynode *doc, const struct ynode *sec)
{
	if (sec->type != Y_MAP) {
		pc_fail(pc, sec, "'correlation' must be a map");
		return;
	}
	c->line = sec->line;
	c->column = sec->column;
	/* known keys only: a misspelt 'group_by' would otherwise be one group */
	static const char *const keys[] = { "type", "rules", "group-by", "timespan", "timeframe", "condition", "aliases",
					    "generate" };
	for (size_t i = 0; i + 1 < sec->n; i += 2) {
		const struct ynode *k = sec->items[i];
		size_t j = 0;
		while (j < sizeof keys / sizeof keys[0] && (k->type != Y_SCALAR || strcmp(keys[j], k->text) != 0))
			j++;
		if (j == sizeof keys / sizeof keys[0]) {
			pc_fail(pc, k, "unknown key '%s' in the correlation section", k->type == Y_SCALAR ? k->text : "?");
			return;
		}
	}
	const struct ynode *type = ytree_get(sec, "type");
	if (type == NULL) {
		pc_fail(pc, sec, "the correlation has no type (event_count, value_count, temporal, temporal_ordered)");
		return;
	}
	size_t t = 0;
	while (t < NTYPES && (type->type != Y_SCALAR || strcmp(type_names[t], type->text) != 0))
		t++;
	if (t == NTYPES) {
		pc_fail(pc, type, "unknown correlation type '%s' (event_count, value_count, temporal, temporal_ordered)",
			type->type == Y_SCALAR ? type->text : "?");
		return;
	}
	c->type = (enum corr_type)t;

	const struct ynode *rules = ytree_get(sec, "rules");
	if (rules == NULL || ytree_is_null(rules) || (rules->type == Y_SEQ && rules->n == 0)) {
		pc_fail(pc, rules ? rules : sec, "the correlation names no rules");
		return;
	}
	parse_names(pc, rules, "rules", NULL, &c->nrefs, &c->refs);
	for (size_t i = 0; i < c->nrefs && !pc->failed && c->type != CT_TEMPORAL_ORDERED; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(c->refs[i].text, c->refs[j].text) == 0) {
				struct ynode at = { .line = c->refs[i].line, .column = c->refs[i].column };
				pc_fail(pc, &at, "rule '%s' is named twice", c->refs[i].text);
				break;
			}
	if ((c->type == CT_TEMPORAL || c->type == CT_TEMPORAL_ORDERED) && c->nrefs < 2 && !pc->failed)
		pc_fail(pc, rules, "a %s correlation needs at least two rules", type_names[c->type]);

	const struct ynode *gb = ytree_get(sec, "group-by");
	if (gb && !ytree_is_null(gb) && !pc->failed)
		parse_names(pc, gb, "group-by", &c->group_by, &c->ngroup, NULL);

	const struct ynode *ts = ytree_get(sec, "timespan");
	if (ts == NULL)
		ts = ytree_get(sec, "timeframe"); /* the spec's name before 2.0 */
	if (pc->failed)
		return;
	if (ts == NULL) {
		pc_fail(pc, sec, "the correlation has no timespan (e.g. 5m: Xs, Xm, Xh or Xd)");
		return;
	}
	if (ts->type != Y_SCALAR || (c->timespan = parse_timespan(ts->text)) < 0) {
		pc_fail(pc, ts, "timespan '%s' is not a number and a unit s, m, h or d (e.g. 90m)",
			ts->type == Y_SCALAR ? ts->text : "?");
		return;
	}

	const struct ynode *cond = ytree_get(sec, "condition");
	if (cond && !ytree_is_null(cond))
		parse_condition(pc, c, cond);
	if (pc->failed)
		return;
	switch (c->type) {
	case CT_EVENT_COUNT:
	case CT_VALUE_COUNT:
		if (!has_any_op(c)) {
			pc_fail(pc, cond ? cond : sec, "a %s correlation needs a condition (e.g. gte: 10)", type_names[c->type]);
			return;
		}
		if (c->type == CT_VALUE_COUNT && c->field == NULL) {
			pc_fail(pc, cond, "a value_count correlation needs 'field' in its condition");
			return;
		}
		if (c->type == CT_EVENT_COUNT && c->field) {
			pc_fail(pc, cond, "'field' is for value_count; an event_count counts events");
			return;
		}
		break;
	case CT_TEMPORAL:
		if (c->field) {
			pc_fail(pc, cond, "'field' is for value_count");
			return;
		}
		if (!has_any_op(c)) { /* the spec: every rule within the timespan */
			c->has_op[OP_GTE] = true;
			c->op_value[OP_GTE] = c->nrefs;
		}
		break;
	case CT_TEMPORAL_ORDERED:
		/* all of them in their order: a count of rules would not say which */
		if (cond && !ytree_is_null(cond)) {
			pc_fail(pc, cond, "a temporal_ordered correlation takes no condition (every rule, in order)");
			return;
		}
		c->has_op[OP_GTE] = true;
		c->op_value[OP_GTE] = c->nrefs;
		break;
	}
	const struct ynode *al = ytree_get(sec, "aliases");
	if (al && !ytree_is_null(al))
		parse_aliases(pc, c, al);
	const struct ynode *gen = ytree_get(sec, "generate");
	if (gen == NULL)
		gen = ytree_get(doc, "generate"); /* the spec lists it beside level */
	if (gen && !pc->failed && !parse_bool(gen, &c->generate))
		pc_fail(pc, gen, "'generate' must be true or false");
}

void eh_corrset_note_broken(struct eh_corrset *cs, const struct ynode *doc)
{
	static const char *const keys[] = { "id", "name" };
	for (size_t i = 0; i < 2; i++) {
		char *key = scalar(ytree_get(doc, keys[i]));
		if (key == NULL)
			continue;
		cs->broken = xreallocarray(cs->broken, cs->nbroken + 1, sizeof *cs->broken);
		cs->broken[cs->nbroken++] = key;
	}
}

int eh_corrset_parse(struct eh_corrset *cs, const struct ynode *doc, const char *file, struct eh_rule_error *err)
{
	struct pc pc = { err, false };
	memset(err, 0, sizeof *err);
	struct corr *c = xcalloc(1, sizeof *c);
	c->rule = xcalloc(1, sizeof *c->rule);
	c->rule->title = scalar(ytree_get(doc, "title"));
	c->rule->id = scalar(ytree_get(doc, "id"));
	c->rule->level = scalar(ytree_get(doc, "level"));
	c->rule->status = scalar(ytree_get(doc, "status"));
	c->rule->description = scalar(ytree_get(doc, "description"));
	c->rule->file = xstrdup(file);
	c->name = scalar(ytree_get(doc, "name"));
	c->rule->name = c->name ? xstrdup(c->name) : NULL;
	const struct ynode *tags = ytree_get(doc, "tags");
	if (tags && tags->type == Y_SEQ) {
		c->rule->tags = xcalloc(tags->n ? tags->n : 1, sizeof *c->rule->tags);
		for (size_t i = 0; i < tags->n; i++)
			if (tags->items[i]->type == Y_SCALAR)
				c->rule->tags[c->rule->ntags++] = xstrdup(tags->items[i]->text);
	}
	if (doc->type != Y_MAP)
		pc_fail(&pc, doc, "a correlation rule must be a map");
	else if (c->rule->title == NULL)
		pc_fail(&pc, doc, "the correlation rule has no title");
	else if (c->rule->level && eh_level_rank(c->rule->level) < 0)
		pc_fail(&pc, ytree_get(doc, "level"), "unknown level '%s'", c->rule->level);
	else
		parse_section(&pc, c, doc, ytree_get(doc, "correlation"));
	if (pc.failed) {
		eh_corrset_note_broken(cs, doc);
		corr_free(c);
		return -1;
	}
	cs->corrs = xreallocarray(cs->corrs, cs->n + 1, sizeof *cs->corrs);
	cs->corrs[cs->n++] = c;
	return 0;
}

/* ---- the filters ----------------------------------------------------------------- */

static bool names(const char *key, const char *id, const char *name);

size_t eh_correlations_filter(struct eh_ruleset *rs, int min_level, const char *statuses)
{
	struct eh_corrset *cs = rs->corr;
	if (cs == NULL)
		return 0;
	bool *keep = xcalloc(cs->n + 1, sizeof *keep);
	for (size_t i = 0; i < cs->n; i++) {
		const struct eh_rule *r = cs->corrs[i]->rule;
		keep[i] = sigma_rule_passes(r, min_level, statuses);
	}
	/* a kept chain keeps the correlations it refers to */
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t i = 0; i < cs->n; i++)
			for (size_t r = 0; keep[i] && r < cs->corrs[i]->nrefs; r++)
				for (size_t j = 0; j < cs->n; j++)
					if (!keep[j] && names(cs->corrs[i]->refs[r].text, cs->corrs[j]->rule->id, cs->corrs[j]->name))
						keep[j] = grew = true;
	}
	size_t kept = 0, removed = 0;
	for (size_t i = 0; i < cs->n; i++) {
		struct corr *c = cs->corrs[i];
		if (!keep[i]) {
			corr_free(c);
			removed++;
			continue;
		}
		for (size_t r = 0; r < c->nrefs; r++)
			for (size_t k = 0; k < rs->nrules; k++)
				if (names(c->refs[r].text, rs->rules[k]->id, rs->rules[k]->name))
					rs->rules[k]->correlated = true;
		cs->corrs[kept++] = c;
	}
	cs->n = kept;
	free(keep);
	return removed;
}

/* ---- resolution ------------------------------------------------------------------ */

static bool names(const char *key, const char *id, const char *name)
{
	return (id && strcmp(key, id) == 0) || (name && strcmp(key, name) == 0);
}

static void resolve_fail(struct eh_ruleset *rs, struct corr *c, int line, int column, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void resolve_fail(struct eh_ruleset *rs, struct corr *c, int line, int column, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *why = xvasprintf(fmt, ap);
	va_end(ap);
	sigma_add_error(rs, c->rule->file, line, column, xasprintf("correlation '%s': %s", c->rule->title, why));
	free(why);
	c->usable = false;
}

/* Finds what REF names, among the base rules and the correlations. */
static bool resolve_ref(struct eh_ruleset *rs, struct corr *c, struct corr_ref *ref)
{
	struct eh_corrset *cs = rs->corr;
	size_t found = 0;
	for (size_t i = 0; i < rs->nrules; i++)
		if (names(ref->text, rs->rules[i]->id, rs->rules[i]->name)) {
			ref->rule = rs->rules[i];
			found++;
		}
	for (size_t i = 0; i < cs->n; i++)
		if (names(ref->text, cs->corrs[i]->rule->id, cs->corrs[i]->name)) {
			ref->corr = cs->corrs[i];
			found++;
		}
	if (found == 1)
		return true;
	if (found > 1) {
		resolve_fail(rs, c, ref->line, ref->column, "'%s' is ambiguous: %zu rules have that id or name", ref->text,
			     found);
		return false;
	}
	for (size_t i = 0; i < cs->nbroken; i++)
		if (strcmp(cs->broken[i], ref->text) == 0) {
			resolve_fail(rs, c, ref->line, ref->column, "refers to '%s', a rule that cannot be used (see its error)",
				     ref->text);
			return false;
		}
	resolve_fail(rs, c, ref->line, ref->column,
		     "no rule has the id or name '%s' (rules set aside by --min-level or --status count as absent)",
		     ref->text);
	return false;
}

/* Whether alias key KEY names referred rule REF. */
static bool alias_names(const struct corr_ref *ref, const char *key)
{
	if (strcmp(ref->text, key) == 0)
		return true;
	return ref->rule ? names(key, ref->rule->id, ref->rule->name) : names(key, ref->corr->rule->id, ref->corr->name);
}

/* The field each group-by name reads in each referred rule's events. */
static bool resolve_fields(struct eh_ruleset *rs, struct corr *c)
{
	c->fields = xcalloc(c->nrefs * c->ngroup + 1, sizeof *c->fields);
	for (size_t a = 0; a < c->naliases; a++) {
		struct corr_alias *al = &c->aliases[a];
		for (size_t m = 0; m < al->nmaps; m++) {
			size_t r = 0;
			while (r < c->nrefs && !alias_names(&c->refs[r], al->maps[m].rule_key))
				r++;
			if (r == c->nrefs) {
				resolve_fail(rs, c, al->maps[m].line, al->maps[m].column,
					     "alias '%s' names rule '%s', which the correlation does not refer to", al->name,
					     al->maps[m].rule_key);
				return false;
			}
		}
	}
	for (size_t g = 0; g < c->ngroup; g++) {
		const struct corr_alias *al = NULL;
		for (size_t a = 0; a < c->naliases; a++)
			if (strcmp(c->aliases[a].name, c->group_by[g]) == 0)
				al = &c->aliases[a];
		for (size_t r = 0; r < c->nrefs; r++) {
			const char *f = c->group_by[g];
			if (al) {
				f = NULL;
				for (size_t m = 0; m < al->nmaps; m++)
					if (alias_names(&c->refs[r], al->maps[m].rule_key))
						f = al->maps[m].field;
				if (f == NULL) {
					resolve_fail(rs, c, al->line, al->column, "alias '%s' gives no field for rule '%s'",
						     al->name, c->refs[r].text);
					return false;
				}
			}
			c->fields[r * c->ngroup + g] = f;
		}
	}
	return true;
}

/* Depth-first: a correlation is usable when all it refers to is. */
static bool resolve_corr(struct eh_ruleset *rs, struct corr *c)
{
	if (c->resolved)
		return c->usable;
	if (c->resolving) {
		resolve_fail(rs, c, c->line, c->column, "it refers to itself through a chain of correlations (a cycle)");
		return false;
	}
	c->resolving = true;
	c->usable = true;
	c->depth = 1;
	for (size_t i = 0; i < c->nrefs && c->usable; i++) {
		struct corr_ref *ref = &c->refs[i];
		if (!resolve_ref(rs, c, ref))
			break;
		if (ref->corr) {
			if (!resolve_corr(rs, ref->corr)) {
				if (c->usable) /* a cycle already said so */
					resolve_fail(rs, c, ref->line, ref->column,
						     "refers to '%s', a correlation that cannot be used", ref->text);
				break;
			}
			if (ref->corr->depth + 1 > c->depth)
				c->depth = ref->corr->depth + 1;
		}
	}
	if (c->usable)
		c->usable = resolve_fields(rs, c);
	c->resolving = false;
	c->resolved = true;
	return c->usable;
}

size_t eh_correlations_resolve(struct eh_ruleset *rs)
{
	struct eh_corrset *cs = rs->corr;
	size_t n = 0;
	for (size_t i = 0; cs && i < cs->n; i++) {
		struct corr *c = cs->corrs[i];
		free(c->fields);
		c->fields = NULL;
		c->resolved = c->resolving = false;
		for (size_t r = 0; r < c->nrefs; r++)
			c->refs[r].rule = NULL, c->refs[r].corr = NULL;
	}
	for (size_t i = 0; cs && i < cs->n; i++)
		n += resolve_corr(rs, cs->corrs[i]);
	return n;
}

size_t eh_correlations_usable(const struct eh_ruleset *rs)
{
	size_t n = 0;
	for (size_t i = 0; rs->corr && i < rs->corr->n; i++)
		n += rs->corr->corrs[i]->usable;
	return n;
}

size_t eh_correlations_count(const struct eh_ruleset *rs)
{
	return rs->corr ? rs->corr->n : 0;
}

const struct eh_rule *eh_correlation_rule(const struct eh_ruleset *rs, size_t i)
{
	return rs->corr->corrs[i]->rule;
}

uint64_t eh_correlation_hits(const struct eh_ruleset *rs, size_t i)
{
	return rs->corr->corrs[i]->hits;
}

uint64_t eh_correlation_skipped(const struct eh_ruleset *rs, size_t i)
{
	return rs->corr->corrs[i]->skipped_group + rs->corr->corrs[i]->skipped_value;
}

/* ---- evaluation: per group, a window and a burst ------------------------------------- */

/* An event in a window: what the hit lists of it, and what it counts. */
struct item {
	int64_t time;
	const char *file;     /* interned (struct engine) */
	const char *computer; /* interned */
	uint64_t record;
	uint32_t ref;         /* which referred rule it is a hit of */
	char *value;          /* value_count: the field's value */
};

/* A distinct value of a value_count window (a copy), and how many of the
 * window's items hold it; a value gone from the window keeps its slot at
 * 0 until the table is rebuilt (no deletion in open addressing). */
struct vslot {
	char *value; /* NULL: free */
	uint32_t n;
};

/* value_count: distinct values a hit names (its count says how many). */
#define VALUES_SHOWN 20

/* The hit a burst is: being built until the burst ends. */
struct burst {
	int64_t trigger, first, last;
	uint64_t peak, events;
	const char *file, *computer;
	bool mixed_computers;
	uint64_t record;
	struct buf list; /* "file#record,record; file#record" of the first EH_CORR_LIST_MAX */
	struct buf sample;
	const char *list_file, *sample_file; /* of their last entries */
	char **values; /* value_count: distinct values seen, the first VALUES_SHOWN */
	size_t nvalues;
	bool more_values; /* and others past them */
};

struct corr_group {
	struct corr_group *next; /* first: corr_free walks the chain by it */
	uint64_t hash;
	char **vals; /* the group-by values */
	size_t *lens;
	struct item *win; /* a ring: the window's events, oldest first */
	size_t head, n, cap;
	struct vslot *slots; /* value_count: open addressing over the window's values */
	size_t cap_slots, distinct, used_slots;
	int64_t *seen; /* temporal: the latest time of each referred rule; ordered: see feed_ordered */
	int64_t last;  /* the latest event */
	bool open;
	bool context; /* the open burst started at an earlier run's event */
	struct burst b;
};

/* A correlation hit, kept until every level is evaluated; or a hit of an
 * earlier run (--state), fed as context (CORR NULL). */
struct chit {
	struct corr *corr;
	const struct eh_rule *rule;
	struct eh_event *ev;
	const char *file;
	uint64_t seq;
	bool context; /* an earlier run's, or started by one: fed, never shown */
};

struct engine {
	struct eh_ruleset *rs;
	int level; /* correlations of this depth are fed */
	struct eh_strset names; /* interned file and computer names */
	struct chit *hits; /* of the levels done, in time order */
	size_t nhits;
	struct chit *fresh; /* of the level being evaluated */
	size_t nfresh, capfresh;
	size_t next; /* merging HITS into the stream: the next to feed */
	struct chit *ctx; /* --state: earlier runs' hits, in time order */
	size_t nctx, next_ctx;
	uint64_t seq;
	/* which correlations each rule feeds: open addressing by rule */
	struct feed_slot {
		const struct eh_rule *rule;
		struct corr **corrs;
		uint32_t *refs;
		size_t n;
	} *feeds;
	size_t capfeeds;
	struct eh_timeline *out;
	bool by_id; /* rules known by id (eh_correlate_merged) */
};

static const char *intern(struct engine *e, const char *s)
{
	size_t i = eh_strset_add(&e->names, s ? s : "", NULL); /* first: it may move STRINGS */
	return e->names.strings[i];
}

/* Rules are known by address; by id for hits --merge read back, whose
 * rules are rebuilt from JSON lines (one per id). */
static bool same_rule(const struct engine *e, const struct eh_rule *a, const struct eh_rule *b)
{
	return a == b || (e->by_id && a->id && b->id && strcmp(a->id, b->id) == 0);
}

static size_t feed_slot_of(const struct engine *e, const struct eh_rule *rule)
{
	uint64_t h = e->by_id && rule->id ? eh_hash64(rule->id, strlen(rule->id), 7)
					  : ((uintptr_t)rule >> 4) * UINT64_C(0x9E3779B97F4A7C15);
	size_t k = h % e->capfeeds;
	while (e->feeds[k].rule && !same_rule(e, e->feeds[k].rule, rule))
		k = (k + 1) % e->capfeeds;
	return k;
}

static void feeds_build(struct engine *e)
{
	struct eh_corrset *cs = e->rs->corr;
	size_t nrefs = 0;
	for (size_t i = 0; i < cs->n; i++)
		nrefs += cs->corrs[i]->nrefs;
	e->capfeeds = 2 * nrefs + 2;
	e->feeds = xcalloc(e->capfeeds, sizeof *e->feeds);
	for (size_t i = 0; i < cs->n; i++) {
		struct corr *c = cs->corrs[i];
		if (!c->usable)
			continue;
		for (size_t r = 0; r < c->nrefs; r++) {
			const struct eh_rule *rule = c->refs[r].rule ? c->refs[r].rule : c->refs[r].corr->rule;
			struct feed_slot *f = &e->feeds[feed_slot_of(e, rule)];
			f->rule = rule;
			f->corrs = xreallocarray(f->corrs, f->n + 1, sizeof *f->corrs);
			f->refs = xreallocarray(f->refs, f->n + 1, sizeof *f->refs);
			f->corrs[f->n] = c;
			f->refs[f->n++] = (uint32_t)r;
		}
	}
}

/* Whether the reports hold back RULE's own hits: every usable correlation
 * referring to it leaves 'generate' false. */
static bool held_back(const struct engine *e, const struct eh_rule *rule)
{
	const struct feed_slot *f = &e->feeds[feed_slot_of(e, rule)];
	if (f->rule == NULL)
		return false;
	for (size_t i = 0; i < f->n; i++)
		if (f->corrs[i]->generate)
			return false;
	return true;
}

static bool condition_holds(const struct corr *c, uint64_t v)
{
	static const struct {
		enum corr_op op;
		int lt, eq, gt; /* whether V less than, equal to, greater than the operand passes */
	} truth[] = {
		{ OP_GT, 0, 0, 1 }, { OP_GTE, 0, 1, 1 }, { OP_LT, 1, 0, 0 },
		{ OP_LTE, 1, 1, 0 }, { OP_EQ, 0, 1, 0 }, { OP_NEQ, 1, 0, 1 },
	};
	for (size_t i = 0; i < sizeof truth / sizeof truth[0]; i++) {
		if (!c->has_op[truth[i].op])
			continue;
		uint64_t x = c->op_value[truth[i].op];
		if (!(v < x ? truth[i].lt : v == x ? truth[i].eq : truth[i].gt))
			return false;
	}
	return true;
}

/* The value of NAME in EV: a payload field, else a System one (Computer,
 * EventID, ...). NULL: absent. */
static const char *event_value(const struct eh_event *ev, const char *name, size_t *len)
{
	const char *v = eh_event_get(ev, name, len);
	return v ? v : eh_event_get_system(ev, name, len);
}

/* ---- value_count: distinct values of the window ---- */

static size_t vslot_find(const struct vslot *slots, size_t cap, const char *value)
{
	size_t k = eh_hash64(value, strlen(value), 1) % cap;
	while (slots[k].value && strcmp(slots[k].value, value) != 0)
		k = (k + 1) % cap;
	return k;
}

static void vslots_free(struct corr_group *g)
{
	for (size_t i = 0; i < g->cap_slots; i++)
		free(g->slots[i].value);
	free(g->slots);
	g->slots = NULL;
	g->cap_slots = g->distinct = g->used_slots = 0;
}

static void vslot_count(struct corr_group *g, const char *value)
{
	size_t k = vslot_find(g->slots, g->cap_slots, value);
	if (g->slots[k].value == NULL) {
		g->slots[k].value = xstrdup(value);
		g->used_slots++;
	}
	if (g->slots[k].n++ == 0)
		g->distinct++;
}

/* From the window's items, room for as many again. */
static void vslots_rebuild(struct corr_group *g)
{
	vslots_free(g);
	g->cap_slots = 16;
	while (g->cap_slots < 4 * (g->n + 1))
		g->cap_slots *= 2;
	g->slots = xcalloc(g->cap_slots, sizeof *g->slots);
	for (size_t i = 0; i < g->n; i++)
		vslot_count(g, g->win[(g->head + i) % g->cap].value);
}

/* VALUE joins the window (called before it is pushed). */
static void value_add(struct corr_group *g, const char *value)
{
	if (g->slots == NULL || 2 * (g->used_slots + 1) > g->cap_slots)
		vslots_rebuild(g);
	vslot_count(g, value);
}

static void value_remove(struct corr_group *g, const char *value)
{
	size_t k = vslot_find(g->slots, g->cap_slots, value);
	if (g->slots[k].value && g->slots[k].n && --g->slots[k].n == 0)
		g->distinct--;
}

/* ---- groups ---- */

static void burst_reset(struct burst *b)
{
	buf_free(&b->list);
	buf_free(&b->sample);
	for (size_t i = 0; i < b->nvalues; i++)
		free(b->values[i]);
	free(b->values);
	memset(b, 0, sizeof *b);
}

static void group_free(struct corr *c, struct corr_group *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->win[(g->head + i) % g->cap].value);
	free(g->win);
	vslots_free(g);
	free(g->seen);
	for (size_t i = 0; i < c->ngroup; i++)
		free(g->vals[i]);
	free(g->vals);
	free(g->lens);
	burst_reset(&g->b);
	free(g);
}

static uint64_t group_hash(const char **vals, const size_t *lens, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	for (size_t i = 0; i < n; i++)
		h = eh_hash64(vals[i], lens[i], h ^ (i + 1)); /* the lengths keep ("ab","c") from ("a","bc") */
	return h;
}

static struct corr_group *group_get(struct corr *c, const char **vals, const size_t *lens)
{
	uint64_t h = group_hash(vals, lens, c->ngroup);
	if (c->nbuckets == 0) {
		c->nbuckets = 64;
		c->buckets = xcalloc(c->nbuckets, sizeof *c->buckets);
	}
	for (struct corr_group *g = c->buckets[h % c->nbuckets]; g; g = g->next) {
		if (g->hash != h)
			continue;
		size_t i = 0;
		while (i < c->ngroup && g->lens[i] == lens[i] && memcmp(g->vals[i], vals[i], lens[i]) == 0)
			i++;
		if (i == c->ngroup)
			return g;
	}
	if (c->ngroups + 1 > 2 * c->nbuckets) {
		size_t nb = c->nbuckets * 4;
		struct corr_group **b = xcalloc(nb, sizeof *b);
		for (size_t i = 0; i < c->nbuckets; i++)
			while (c->buckets[i]) {
				struct corr_group *g = c->buckets[i];
				c->buckets[i] = g->next;
				g->next = b[g->hash % nb];
				b[g->hash % nb] = g;
			}
		free(c->buckets);
		c->buckets = b;
		c->nbuckets = nb;
	}
	struct corr_group *g = xcalloc(1, sizeof *g);
	g->hash = h;
	g->vals = xcalloc(c->ngroup + 1, sizeof *g->vals);
	g->lens = xcalloc(c->ngroup + 1, sizeof *g->lens);
	for (size_t i = 0; i < c->ngroup; i++) {
		g->vals[i] = xstrndup(vals[i], lens[i]);
		g->lens[i] = lens[i];
	}
	if (c->type == CT_TEMPORAL || c->type == CT_TEMPORAL_ORDERED) {
		g->seen = xcalloc(c->nrefs, sizeof *g->seen);
		for (size_t i = 0; i < c->nrefs; i++)
			g->seen[i] = INT64_MIN;
	}
	g->next = c->buckets[h % c->nbuckets];
	c->buckets[h % c->nbuckets] = g;
	c->ngroups++;
	return g;
}

/* ---- bursts ---- */

/* Appends IT as FILE#RECORD, or as ",RECORD" after an entry of the same
 * file (interned: one pointer), so a burst costs a few bytes an event. */
static void list_add(struct buf *b, const char **last_file, const struct item *it)
{
	if (*last_file == it->file)
		buf_addf(b, ",%" PRIu64, it->record);
	else
		buf_addf(b, "%s%s#%" PRIu64, b->len ? "; " : "", it->file, it->record);
	*last_file = it->file;
}

static void burst_add(struct burst *b, const struct item *it, const struct corr *c)
{
	if (b->events == 0) {
		b->first = it->time;
		b->file = it->file;
		b->record = it->record;
		b->computer = it->computer;
	} else if (b->computer != it->computer) {
		b->mixed_computers = true;
	}
	if (it->time > b->last || b->events == 0)
		b->last = it->time;
	if (b->events < EH_CORR_LIST_MAX)
		list_add(&b->list, &b->list_file, it);
	if (b->events < EH_CORR_SAMPLE)
		list_add(&b->sample, &b->sample_file, it);
	b->events++;
	if (c->type == CT_VALUE_COUNT) {
		for (size_t i = 0; i < b->nvalues; i++)
			if (strcmp(b->values[i], it->value) == 0)
				return;
		if (b->nvalues == VALUES_SHOWN) {
			b->more_values = true;
			return;
		}
		b->values = xreallocarray(b->values, b->nvalues + 1, sizeof *b->values);
		b->values[b->nvalues++] = xstrdup(it->value);
	}
}

/* The burst of G as a hit of C. */
static void burst_close(struct engine *e, struct corr *c, struct corr_group *g)
{
	struct burst *b = &g->b;
	struct eh_event *ev = xcalloc(1, sizeof *ev);
	char when[48];
	struct buf t;
	buf_init(&t);
	eh_event_init(ev);
	eh_event_reset(ev);
	ev->time = b->trigger;
	ev->record_id = b->record;
	for (size_t i = 0; i < c->ngroup; i++)
		eh_event_add_field(ev, c->group_by[i], strlen(c->group_by[i]), g->vals[i], g->lens[i]);
	eh_event_add_field(ev, "correlation_type", 16, type_names[c->type], strlen(type_names[c->type]));
	buf_addf(&t, "%" PRIu64, b->peak);
	eh_event_add_field(ev, "count", 5, t.data, t.len);
	if (c->type == CT_VALUE_COUNT) {
		buf_reset(&t);
		for (size_t i = 0; i < b->nvalues; i++)
			buf_addf(&t, "%s%s", i ? ", " : "", b->values[i]);
		if (b->more_values)
			buf_adds(&t, ", \xe2\x80\xa6"); /* … */
		eh_event_add_field(ev, "values", 6, t.data ? t.data : "", t.len);
	}
	eh_time_format(b->first, when);
	eh_event_add_field(ev, "first_event", 11, when, strlen(when));
	eh_time_format(b->last, when);
	eh_event_add_field(ev, "last_event", 10, when, strlen(when));
	buf_reset(&t);
	buf_addf(&t, "%" PRIu64, b->events);
	eh_event_add_field(ev, "events", 6, t.data, t.len);
	eh_event_add_field(ev, "sample", 6, b->sample.data ? b->sample.data : "", b->sample.len);
	if (b->events > EH_CORR_LIST_MAX)
		buf_addf(&b->list, "; \xe2\x80\xa6 %" PRIu64 " more", b->events - EH_CORR_LIST_MAX);
	eh_event_add_field(ev, EH_CORR_FIELD_ALL, strlen(EH_CORR_FIELD_ALL), b->list.data ? b->list.data : "",
			   b->list.len);
	const char *computer = b->mixed_computers ? "" : b->computer;
	eh_event_set_system(ev, EH_SYS_COMPUTER, computer, strlen(computer));
	eh_event_finish(ev);
	buf_free(&t);
	if (e->nfresh == e->capfresh) {
		e->capfresh = e->capfresh ? 2 * e->capfresh : 16;
		e->fresh = xreallocarray(e->fresh, e->capfresh, sizeof *e->fresh);
	}
	e->fresh[e->nfresh++] = (struct chit){ c, c->rule, ev, b->file, e->seq++, g->context };
	if (g->context)
		c->known++;
	else
		c->hits++;
	g->open = false;
	burst_reset(b);
}

static void window_trim(struct corr *c, struct corr_group *g, int64_t now)
{
	while (g->n && now - g->win[g->head].time > c->timespan) {
		struct item *it = &g->win[g->head];
		if (c->type == CT_VALUE_COUNT)
			value_remove(g, it->value);
		free(it->value);
		it->value = NULL;
		g->head = (g->head + 1) % g->cap;
		g->n--;
	}
	if (c->type == CT_VALUE_COUNT && g->slots && g->used_slots > 2 * g->distinct + 16)
		vslots_rebuild(g);
}

static void window_push(struct corr_group *g, const struct item *it)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 8;
		struct item *w = xcalloc(cap, sizeof *w);
		for (size_t i = 0; i < g->n; i++)
			w[i] = g->win[(g->head + i) % g->cap];
		free(g->win);
		g->win = w;
		g->head = 0;
		g->cap = cap;
	}
	g->win[(g->head + g->n++) % g->cap] = *it;
}

/* What the condition counts in G's window ending at NOW. */
static uint64_t measure(const struct corr *c, const struct corr_group *g, int64_t now)
{
	uint64_t n = 0;
	switch (c->type) {
	case CT_EVENT_COUNT:
		return g->n;
	case CT_VALUE_COUNT:
		return g->distinct;
	case CT_TEMPORAL:
		for (size_t r = 0; r < c->nrefs; r++)
			n += g->seen[r] != INT64_MIN && now - g->seen[r] <= c->timespan;
		return n;
	case CT_TEMPORAL_ORDERED:
		/* seen[k]: the latest start of the rules 0..k in order; all of
		 * them in the window when that start is in it */
		return g->seen[c->nrefs - 1] != INT64_MIN && now - g->seen[c->nrefs - 1] <= c->timespan ? c->nrefs : 0;
	}
	return 0;
}

/* Frees the groups whose windows are empty from NOW on (nothing they
 * hold can count again), closing their bursts: per group, only what the
 * window needs. */
static void groups_sweep(struct engine *e, struct corr *c, int64_t now, bool all)
{
	for (size_t b = 0; b < c->nbuckets; b++) {
		struct corr_group **p = &c->buckets[b];
		while (*p) {
			struct corr_group *g = *p;
			if (!all && now - g->last <= c->timespan) {
				p = &g->next;
				continue;
			}
			if (g->open)
				burst_close(e, c, g);
			*p = g->next;
			group_free(c, g);
			c->ngroups--;
		}
	}
}

static void feed(struct engine *e, struct corr *c, uint32_t ref, const struct eh_event *ev, const char *file,
		 bool context)
{
	const char *vals[c->ngroup + 1];
	size_t lens[c->ngroup + 1];
	for (size_t i = 0; i < c->ngroup; i++) {
		vals[i] = event_value(ev, c->fields[ref * c->ngroup + i], &lens[i]);
		if (vals[i] == NULL) {
			c->skipped_group++;
			return;
		}
	}
	struct item it = { ev->time, intern(e, file), intern(e, ev->computer), ev->record_id, ref, NULL };
	if (c->type == CT_VALUE_COUNT) {
		size_t len;
		const char *v = event_value(ev, c->field, &len);
		if (v == NULL) {
			c->skipped_value++;
			return;
		}
		it.value = xstrndup(v, len);
	}
	if (++c->fed % 4096 == 0)
		groups_sweep(e, c, ev->time, false);
	struct corr_group *g = group_get(c, vals, lens);
	if (g->open && ev->time - g->b.last > c->timespan)
		burst_close(e, c, g); /* its windows and the next share nothing */
	g->last = ev->time;
	window_trim(c, g, ev->time);
	if (c->type == CT_VALUE_COUNT)
		value_add(g, it.value);
	window_push(g, &it);
	if (c->type == CT_TEMPORAL)
		g->seen[ref] = ev->time;
	else if (c->type == CT_TEMPORAL_ORDERED) {
		/* this event as rule REF extends the chains of the rules before it */
		if (ref == 0)
			g->seen[0] = ev->time;
		else if (g->seen[ref - 1] != INT64_MIN && g->seen[ref - 1] > g->seen[ref])
			g->seen[ref] = g->seen[ref - 1];
	}
	uint64_t m = measure(c, g, ev->time);
	if (!condition_holds(c, m)) {
		if (g->open)
			burst_close(e, c, g);
		return;
	}
	struct item *last = &g->win[(g->head + g->n - 1) % g->cap];
	if (!g->open) { /* the window so far is the start of the burst */
		g->open = true;
		g->context = context; /* an earlier run reported it, or could have */
		g->b.trigger = ev->time;
		for (size_t i = 0; i < g->n; i++)
			burst_add(&g->b, &g->win[(g->head + i) % g->cap], c);
	} else {
		burst_add(&g->b, last, c);
	}
	if (m > g->b.peak)
		g->b.peak = m;
}

/* One hit of the stream: fed to each correlation of this level that
 * refers to its rule. A rule listed twice by a temporal_ordered
 * correlation feeds the later place first, so one event is not both. */
static void feed_hit(struct engine *e, const struct eh_rule *rule, const struct eh_event *ev, const char *file,
		     bool context)
{
	const struct feed_slot *f = &e->feeds[feed_slot_of(e, rule)];
	for (size_t i = f->n; i-- > 0;)
		if (f->corrs[i]->depth == e->level)
			feed(e, f->corrs[i], f->refs[i], ev, file, context);
}

static int chit_cmp(const void *pa, const void *pb)
{
	const struct chit *a = pa, *b = pb;
	if (a->ev->time != b->ev->time)
		return a->ev->time < b->ev->time ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Before a base hit at TIME: the correlation hits of earlier levels that
 * come before it (at the same time, the base hit goes first). */
static void feed_earlier(struct engine *e, int64_t time, bool all)
{
	/* earlier runs' hits first: at one time, they came before */
	while (e->next_ctx < e->nctx && (all || e->ctx[e->next_ctx].ev->time <= time)) {
		const struct chit *h = &e->ctx[e->next_ctx++];
		feed_hit(e, h->rule, h->ev, h->file, true);
	}
	while (e->next < e->nhits && (all || e->hits[e->next].ev->time < time)) {
		const struct chit *h = &e->hits[e->next++];
		feed_hit(e, h->rule, h->ev, h->file, h->context);
	}
}

static void level_hit(const struct eh_hit *hit, void *user)
{
	struct engine *e = user;
	feed_earlier(e, hit->event->time, false);
	feed_hit(e, hit->rule, hit->event, hit->file, false);
}

/* An earlier run's hit, kept (its event copied) to be fed at its time. */
static void context_hit(const struct eh_hit *hit, void *user)
{
	struct engine *e = user;
	e->ctx = xreallocarray(e->ctx, e->nctx + 1, sizeof *e->ctx);
	e->ctx[e->nctx] = (struct chit){ NULL, hit->rule, eh_event_clone(hit->event), intern(e, hit->file), e->nctx, true };
	e->nctx++;
}

static void copy_hit(const struct eh_hit *hit, void *user)
{
	struct engine *e = user;
	if (!held_back(e, hit->rule))
		eh_timeline_add(e->out, hit->rule, hit->event, eh_timeline_file(e->out, hit->file));
}

static int correlate(struct eh_ruleset *rs, struct eh_timeline *in, struct eh_timeline *context, struct eh_timeline *out,
		     bool by_id)
{
	struct eh_corrset *cs = rs->corr;
	struct engine e = { .rs = rs, .out = out, .by_id = by_id };
	int depth = 0, rc = 0;
	if (context)
		rc = eh_timeline_each(context, context_hit, &e);
	for (size_t i = 0; cs && i < cs->n; i++) {
		struct corr *c = cs->corrs[i];
		c->hits = c->fed = c->skipped_group = c->skipped_value = c->known = 0;
		if (c->usable && c->depth > depth)
			depth = c->depth;
	}
	if (cs)
		feeds_build(&e);
	/* a pass per level: a chain reads the hits of the levels below it,
	 * complete, in time order */
	for (e.level = 1; e.level <= depth && rc == 0; e.level++) {
		e.next = e.next_ctx = 0;
		rc = eh_timeline_each(in, level_hit, &e);
		feed_earlier(&e, 0, true);
		for (size_t i = 0; i < cs->n; i++)
			if (cs->corrs[i]->usable && cs->corrs[i]->depth == e.level)
				groups_sweep(&e, cs->corrs[i], 0, true);
		if (e.nfresh) { /* none: e.fresh may be NULL, which qsort and memcpy must not see */
			qsort(e.fresh, e.nfresh, sizeof *e.fresh, chit_cmp);
			e.hits = xreallocarray(e.hits, e.nhits + e.nfresh + 1, sizeof *e.hits);
			memcpy(e.hits + e.nhits, e.fresh, e.nfresh * sizeof *e.fresh);
			e.nhits += e.nfresh;
			e.nfresh = 0;
			qsort(e.hits, e.nhits, sizeof *e.hits, chit_cmp);
		}
	}
	if (rc == 0 && cs)
		rc = eh_timeline_each(in, copy_hit, &e);
	for (size_t i = 0; i < e.nhits; i++) {
		struct chit *h = &e.hits[i];
		if (rc == 0 && !h->context && !held_back(&e, h->corr->rule))
			eh_timeline_add_owned(out, h->corr->rule, h->ev, eh_timeline_file(out, h->file));
		else
			eh_event_free(h->ev);
	}
	for (size_t i = 0; i < e.nctx; i++)
		eh_event_free(e.ctx[i].ev);
	free(e.ctx);
	free(e.hits);
	free(e.fresh);
	for (size_t i = 0; i < e.capfeeds; i++) {
		free(e.feeds[i].corrs);
		free(e.feeds[i].refs);
	}
	free(e.feeds);
	eh_strset_free(&e.names);
	return rc;
}

int eh_correlate(struct eh_ruleset *rs, struct eh_timeline *in, struct eh_timeline *out)
{
	return correlate(rs, in, NULL, out, false);
}

int eh_correlate_merged(struct eh_ruleset *rs, struct eh_timeline *in, struct eh_timeline *out)
{
	return correlate(rs, in, NULL, out, true);
}

int eh_correlate_context(struct eh_ruleset *rs, struct eh_timeline *in, struct eh_timeline *context,
			 struct eh_timeline *out)
{
	return correlate(rs, in, context, out, true);
}

bool eh_correlations_refer(const struct eh_ruleset *rs, const struct eh_rule *rule)
{
	for (size_t i = 0; rs->corr && i < rs->corr->n; i++) {
		const struct corr *c = rs->corr->corrs[i];
		for (size_t r = 0; c->usable && r < c->nrefs; r++) {
			const struct eh_rule *ref = c->refs[r].rule;
			if (ref && (ref == rule || (ref->id && rule->id && strcmp(ref->id, rule->id) == 0)))
				return true;
		}
	}
	return false;
}

int64_t eh_correlations_horizon(const struct eh_ruleset *rs)
{
	int64_t span = 0;
	int depth = 0;
	for (size_t i = 0; rs->corr && i < rs->corr->n; i++) {
		const struct corr *c = rs->corr->corrs[i];
		if (!c->usable)
			continue;
		if (c->timespan > span)
			span = c->timespan;
		if (c->depth > depth)
			depth = c->depth;
	}
	/* a chain of DEPTH levels reaches back DEPTH windows */
	return span > INT64_MAX / (depth + 1) ? INT64_MAX : span * depth;
}

uint64_t eh_correlation_known(const struct eh_ruleset *rs, size_t i)
{
	return rs->corr->corrs[i]->known;
}

void eh_correlations_summary(FILE *out, const struct eh_ruleset *rs, bool quiet)
{
	if (!quiet && eh_correlations_usable(rs))
		fprintf(out, "evtxhunt: hits per correlation rule:\n");
	for (size_t i = 0; rs->corr && i < rs->corr->n; i++) {
		const struct corr *c = rs->corr->corrs[i];
		if (!c->usable)
			continue;
		if (!quiet)
			eh_report_count(out, c->hits, c->rule->title);
		if (!quiet && c->known)
			fprintf(out, "evtxhunt: correlation '%s': %" PRIu64 " hits started in an earlier run (--state): not again\n",
				c->rule->title, c->known);
		if (c->skipped_group)
			fprintf(out, "evtxhunt: correlation '%s': %" PRIu64 " events of its rules lack a group-by field; not counted\n",
				c->rule->title, c->skipped_group);
		if (c->skipped_value)
			fprintf(out, "evtxhunt: correlation '%s': %" PRIu64 " events of its rules lack field '%s'; not counted\n",
				c->rule->title, c->skipped_value, c->field);
	}
}
