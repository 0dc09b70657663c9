/* Sigma rules: loaded from YAML (libyaml), compiled once into a read-only
 * rule set, then matched against normalized events without allocating.
 * A rule that cannot be used is kept as an error with file, line, column
 * and reason; it is never dropped silently. */
#ifndef EVTXHUNT_SIGMA_H
#define EVTXHUNT_SIGMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evtxhunt/event.h"

struct eh_ruleset;

struct eh_rule {
	char *id, *title, *level, *status, *description;
	char *name; /* Sigma's 'name': what correlation rules may refer to it by */
	bool correlated; /* a correlation kept by the filters refers to it: kept too */
	char *category, *product, *service; /* the logsource as written; NULL: absent */
	char **tags;
	size_t ntags;
	char *file;
	const uint64_t *sources; /* the logsource table's rows (eh_logsource_select);
				  * empty or NULL: unmapped */
	uint64_t content_hash; /* of its YAML text and place in it: a rule that
				* changes in any way is another rule (--state) */
	struct sigma_rule_body *body;
};

struct eh_rule_error {
	char *file;
	int line, column; /* 1-based; 0 when the file could not be read */
	char *reason;
};

/* Placeholder values for the 'expand' modifier (--placeholders): a YAML
 * map of name to a list of values, as pySigma's placeholder pipeline takes
 * them. Set before rules are loaded; without them 'expand' is refused.
 * Returns 0, or -1 with *cause (FILE:LINE:COLUMN: reason). */
int eh_placeholders_load(const char *path, char **cause);
void eh_placeholders_clear(void);

struct eh_ruleset *eh_ruleset_new(void);
void eh_ruleset_free(struct eh_ruleset *rs);

/* Loads a rule file, or every .yml/.yaml below a directory (sorted, so
 * the order is stable). Problems become entries of the error list.
 * Returns the number of rules loaded from PATH. */
size_t eh_ruleset_load_path(struct eh_ruleset *rs, const char *path);
/* Loads rules from YAML text; NAME is used in messages. */
size_t eh_ruleset_load_text(struct eh_ruleset *rs, const char *name, const char *text, size_t len);
/* Loads N NUL-terminated YAML TEXTS (NAMES in messages) as one call of
 * eh_ruleset_load_text after the other would, parsing them on threads. */
size_t eh_ruleset_load_texts(struct eh_ruleset *rs, const char *const *names, const char *const *texts, size_t n);
/* Threads that parse a directory's rule files (0, the default: one per
 * core; 1: none but the caller's). The result does not depend on it. */
void eh_ruleset_set_threads(struct eh_ruleset *rs, int threads);

size_t eh_ruleset_count(const struct eh_ruleset *rs);
const struct eh_rule *eh_ruleset_rule(const struct eh_ruleset *rs, size_t i);
/* Frees RULE and all it owns, for rules made outside the loader too
 * (merge.c builds them from JSON lines); NULL fields are fine; NULL: no-op. */
void eh_rule_free(struct eh_rule *rule);
size_t eh_ruleset_error_count(const struct eh_ruleset *rs);
const struct eh_rule_error *eh_ruleset_error(const struct eh_ruleset *rs, size_t i);
/* Loaded rules whose log source has no mapping yet (they never fire). */
size_t eh_ruleset_unmapped(const struct eh_ruleset *rs);
/* YAML documents skipped because they are not Sigma rules, and the file
 * of the I-th. */
size_t eh_ruleset_not_rules(const struct eh_ruleset *rs);
const char *eh_ruleset_not_rule_file(const struct eh_ruleset *rs, size_t i);

/* Keeps only rules of at least level MIN_LEVEL (a rank from
 * eh_level_rank; -1: any) whose status is in STATUSES (comma-separated;
 * NULL: any). Returns how many rules were set aside. */
size_t eh_ruleset_filter(struct eh_ruleset *rs, int min_level, const char *statuses);
/* Keeps only the rules KEEP says yes to (called once per rule, in load
 * order, with USER); the others are freed. Returns how many were set
 * aside. The selection of ruleselect.h is made of it. */
typedef bool (*eh_rule_keep_fn)(const struct eh_rule *rule, void *user);
size_t eh_ruleset_keep_if(struct eh_ruleset *rs, eh_rule_keep_fn keep, void *user);

/* Whether a loaded rule may want an event with EVENT_ID: asked before a
 * record is rendered, so other records cost almost nothing. A superset:
 * the channel is not known yet (PROVIDER is not used), and a rule of a
 * whole channel or of product windows alone wants every id. */
bool eh_ruleset_wants(const struct eh_ruleset *rs, const char *provider, uint32_t event_id);
/* Whether a rule wants one of ROWS (the rows an event belongs to). */
bool eh_ruleset_wants_rows(const struct eh_ruleset *rs, const uint64_t *rows);
/* What the event-id guards of RS's rules see of event EV: its EventID, or
 * one of these (ANY too when no rule of RS has a guard). */
#define EH_GUARD_ANY (-1)  /* not a plain number, or several: no rule left out */
#define EH_GUARD_NONE (-2) /* no EventID, not even its number: every guarded rule left out */
struct eh_event;
int64_t eh_ruleset_guard_id(const struct eh_ruleset *rs, const struct eh_event *ev);
/* Fills OUT (a bit per rule) with the rules of PREFILTER (a bit per rule;
 * NULL: all) not in TAKEN that select one of ROWS and whose event-id guard
 * admits GUARD_ID, and adds those that select one of ROWS to TAKEN (NULL:
 * none taken). Returns how many are in OUT. Routing: the rules an event is
 * matched against. */
size_t eh_ruleset_route(const struct eh_ruleset *rs, const uint64_t *rows, int64_t guard_id, const uint64_t *prefilter,
			uint64_t *taken, uint64_t *out);
/* Words of a set with a bit per rule of RS. */
size_t eh_ruleset_words(const struct eh_ruleset *rs);

/* A matcher of RS: the storage matching reuses (the prepared event,
 * PCRE2's match data) and its counts. One per worker, used by one thread
 * at a time; RS must outlive it. */
struct eh_matcher;
struct eh_matcher *eh_matcher_new(const struct eh_ruleset *rs);
void eh_matcher_free(struct eh_matcher *m);

typedef void (*eh_hit_fn)(const struct eh_rule *rule, const struct eh_event *ev, void *user);
/* Calls ON_HIT for every rule EV matches, in load order; returns how many.
 * CANDIDATES, when not NULL, is a bit set over rule indices: only those
 * rules are evaluated (the prefilter proved the others cannot match). */
size_t eh_matcher_match(struct eh_matcher *m, const struct eh_event *ev, const uint64_t *candidates,
			eh_hit_fn on_hit, void *user);

/* Regular-expression tests M stopped at the match limit (a
 * catastrophically backtracking pattern) since the last call; they count
 * as no match. */
uint64_t eh_matcher_take_regex_limit_hits(struct eh_matcher *m);

/* Level names in order of severity; -1 for an unknown name. */
int eh_level_rank(const char *level);

#endif
