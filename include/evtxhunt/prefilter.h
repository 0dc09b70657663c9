/* Prefilter: skip what cannot match before libevtx parses it. Each rule
 * yields a necessary condition, a set of literals of which at least one
 * occurs (UTF-16LE, case folded as the matcher folds) in any record that
 * can hold a hit; one pass over a chunk finds them all. Records without
 * any are never parsed, and a record is matched only against the rules
 * whose literals it holds (and the rules that have none). */
#ifndef EVTXHUNT_PREFILTER_H
#define EVTXHUNT_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evtxhunt/sigma.h"

struct eh_prefilter;
struct eh_prefilter_scan;

/* The multi-literal search: Hyperscan when built with it, or the portable
 * one (memmem per literal). Both find the same literals. */
enum eh_pf_engine {
	EH_PF_DEFAULT,   /* Hyperscan if built with it, else portable */
	EH_PF_HYPERSCAN, /* portable if built without it */
	EH_PF_PORTABLE,
};

/* Built once from the loaded rules; read-only afterwards (its search is
 * compiled at the first scan, or when its engine is asked for). */
struct eh_prefilter *eh_prefilter_build(const struct eh_ruleset *rs);
struct eh_prefilter *eh_prefilter_build_with(const struct eh_ruleset *rs, enum eh_pf_engine engine);
void eh_prefilter_free(struct eh_prefilter *pf);

/* Literals in the scan, and rules that have none (always candidates). */
size_t eh_prefilter_literals(const struct eh_prefilter *pf);
size_t eh_prefilter_rules_without_literals(const struct eh_prefilter *pf);
/* Those rules, as a bit set over rule indices. */
const uint64_t *eh_prefilter_always(const struct eh_prefilter *pf);
/* For each rule index, its number of literals (0 for those without). */
const size_t *eh_prefilter_literal_counts(const struct eh_prefilter *pf);
/* A literal: LEN bytes of UTF-8 (folded), NULs among them possibly. */
struct eh_prefilter_literal {
	const char *text;
	size_t len;
};
/* The *N literals of rule I, for tests; valid while PF is. */
const struct eh_prefilter_literal *eh_prefilter_rule_literals(const struct eh_prefilter *pf, size_t i, size_t *n,
								bool *always);
/* Compiles PF's search now, if it was not yet (else its first scan does,
 * on whichever thread makes it). */
void eh_prefilter_compile(const struct eh_prefilter *pf);
/* Which multi-literal search PF uses ("hyperscan" or "portable"). */
const char *eh_prefilter_engine(const struct eh_prefilter *pf);
/* Whether this build has Hyperscan. */
bool eh_prefilter_have_hyperscan(void);

/* Per-thread scan state. */
struct eh_prefilter_scan *eh_prefilter_scan_new(const struct eh_prefilter *pf);
void eh_prefilter_scan_free(struct eh_prefilter_scan *sc);

/* Scans LEN bytes of DATA (a chunk from its first record on). Returns
 * whether any record in it can match: some literal occurs, or some rule
 * has none. */
bool eh_prefilter_scan_chunk(struct eh_prefilter_scan *sc, const uint8_t *data, size_t len);

/* After a scan: the rules a record occupying [START, END) of DATA can
 * match, as a bit set over rule indices, or NULL if none can. The set is
 * valid until the next call. */
const uint64_t *eh_prefilter_record_rules(struct eh_prefilter_scan *sc, size_t start, size_t end);
/* After a scan: the rules anything in the chunk can match (for records
 * whose place is not known, such as recovered ones), or NULL. Kept in
 * its own storage: a record's set does not overwrite it. */
const uint64_t *eh_prefilter_chunk_rules(struct eh_prefilter_scan *sc);

#endif
