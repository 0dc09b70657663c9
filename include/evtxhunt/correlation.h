/* Sigma correlation rules (issue 14; sigma-specification 2.0.0): YAML
 * documents with a 'correlation' section, read from the tree the loader
 * builds, that refer to other rules by id or name and turn the time-ordered
 * stream of their matches into correlation hits.
 *
 * Types: event_count, value_count (field), temporal, temporal_ordered;
 * group-by, timespan (Xs, Xm, Xh, Xd), condition (gt, gte, lt, lte, eq,
 * neq; two of them are a range), aliases, generate, level, chains (a
 * correlation over correlations).
 *
 * Evaluation (README, "Correlation"): per group, a window slides over event
 * time and ends at each arriving event; it holds the group's events of the
 * last timespan, both ends included. The condition is tested at each
 * arrival. A burst is a maximal run of arrivals at which it holds; it ends
 * at the first arrival at which it does not, when the next event is more
 * than a timespan after the burst's last, or at the end of the stream. A
 * burst is one hit, timed at the arrival that started it (when an online
 * detector would have fired), listing every event of its windows. */
#ifndef EVTXHUNT_CORRELATION_H
#define EVTXHUNT_CORRELATION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "evtxhunt/sigma.h"
#include "evtxhunt/timeline.h"
#include "evtxhunt/yamltree.h"

/* The hit's field listing every contributing event: JSON Lines has it;
 * the table and CSV show the count and the first few ("sample") instead
 * (keyfields.c leaves it out). */
#define EH_CORR_FIELD_ALL "contributing_events"
/* Contributing events listed per hit at most (the count stays exact):
 * a burst of a million failed logons is one hit, not a million-line one. */
#define EH_CORR_LIST_MAX 10000
/* In "sample": the first few. */
#define EH_CORR_SAMPLE 5

struct eh_corrset;

struct eh_corrset *eh_corrset_new(void);
void eh_corrset_free(struct eh_corrset *cs);

/* Parses DOC (a document with a 'correlation' key) of FILE into CS.
 * Returns 0, or -1 with ERR filled (its file left to the caller, as
 * sigma_compile does). */
int eh_corrset_parse(struct eh_corrset *cs, const struct ynode *doc, const char *file, struct eh_rule_error *err);

/* Remembers the id and name of DOC, a rule or correlation that could not
 * be read, so that a correlation referring to it says so. */
void eh_corrset_note_broken(struct eh_corrset *cs, const struct ynode *doc);

/* For eh_ruleset_filter: sets aside the correlations below MIN_LEVEL (-1:
 * any) or without a status in STATUSES (NULL: any), as the filter does
 * rules, and marks 'correlated' every rule a kept correlation refers to,
 * directly or through a chain, so the filter keeps it (a brute-force rule
 * of level high needs its failed-logon rule of level low). Returns how
 * many were set aside. */
size_t eh_correlations_filter(struct eh_ruleset *rs, int min_level, const char *statuses);

/* Resolves the correlations of RS against its rules (call after loading
 * and after eh_ruleset_filter): referred rules by id or name, aliases,
 * cycles. Each correlation that cannot be used becomes an error of RS
 * (file:line:column: why). Returns how many can be used. */
size_t eh_correlations_resolve(struct eh_ruleset *rs);
/* Correlations of RS that can be used (after eh_correlations_resolve). */
size_t eh_correlations_usable(const struct eh_ruleset *rs);

/* Reads IN (every rule's hits, in timeline order) and fills OUT with what
 * the report shows: the correlation hits, and the hits of every rule not
 * held back (a rule referred to only by correlations without 'generate:
 * true' is held back). Returns 0, or -1 if IN's spilled hits could not be
 * read back (errno set). */
int eh_correlate(struct eh_ruleset *rs, struct eh_timeline *in, struct eh_timeline *out);
/* The same for hits --merge read back from JSON Lines: their rules are
 * rebuilt from the lines, and known by id. */
int eh_correlate_merged(struct eh_ruleset *rs, struct eh_timeline *in, struct eh_timeline *out);

/* --state: the same, with CONTEXT the hits of earlier runs (rules known by
 * id): fed before IN's at their times, never shown; a burst that starts
 * at one of them was an earlier run's to report, and is not again. */
int eh_correlate_context(struct eh_ruleset *rs, struct eh_timeline *in, struct eh_timeline *context,
			 struct eh_timeline *out);
/* Whether a usable correlation refers to RULE (by address or id): its hits
 * are context for the next --state run. */
bool eh_correlations_refer(const struct eh_ruleset *rs, const struct eh_rule *rule);
/* How far back the correlations reach: the longest timespan times the
 * deepest chain (FILETIME ticks); context older than that is dropped. */
int64_t eh_correlations_horizon(const struct eh_ruleset *rs);

/* After eh_correlate: a line per correlation with its hits (unless QUIET),
 * and one for each that had to pass over events (a group-by or value
 * field absent from them), always: nothing is dropped silently. */
void eh_correlations_summary(FILE *out, const struct eh_ruleset *rs, bool quiet);

/* Hits correlation I (in load order) produced; its rule. For tests. */
size_t eh_correlations_count(const struct eh_ruleset *rs);
const struct eh_rule *eh_correlation_rule(const struct eh_ruleset *rs, size_t i);
uint64_t eh_correlation_hits(const struct eh_ruleset *rs, size_t i);
/* Events correlation I passed over: a group-by field absent / the value
 * field absent. */
uint64_t eh_correlation_skipped(const struct eh_ruleset *rs, size_t i);
/* Hits correlation I did not report: started by an earlier run's event. */
uint64_t eh_correlation_known(const struct eh_ruleset *rs, size_t i);

#endif
