/* --state: what earlier sweeps scanned and reported, in an SQLite file, so
 * a nightly run over a growing log share scans only chunks that are new or
 * changed and reports only hits not reported before.
 *
 * Per input log (by path) it keeps the file's identity (size, times, a
 * hash of its header) and, per chunk, a 64-bit fingerprint of its bytes
 * and the rule set it was scanned with; every hit reported is kept by
 * rule and event (computer, channel, record id, time), so the archive copy
 * of a rotated log reports nothing twice (and its chunks, found by
 * fingerprint under the old name, are not even scanned). A file whose identity is unchanged and whose
 * chunks were all scanned with rules covering today's is skipped without
 * reading its chunks; otherwise each chunk whose fingerprint is unchanged
 * is skipped, the others scanned (a log that wrapped, was cleared or
 * replaced gets its overwritten chunks rescanned). A rule set that gained
 * a rule, or a rule that changed, makes the chunks scanned without it due
 * again; one that only lost rules does not.
 *
 * A run commits what it learnt every few seconds (checkpoints), its new
 * hits kept as their JSON lines, marked undelivered; once its report is
 * written it marks them delivered. A run killed at any point loses only
 * the work since its last checkpoint, which the next run redoes, and the
 * next run also delivers the hits the killed one found but never reported:
 * nothing is lost, nothing doubled. The window left is between the report
 * being named and the last commit (a duplicate, not a loss, if the run
 * dies in it). A second run on the same state file is
 * refused with a message while the first holds it. */
#ifndef EVTXHUNT_STATE_H
#define EVTXHUNT_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "evtxhunt/chunk.h"
#include "evtxhunt/event.h"
#include "evtxhunt/sigma.h"

struct eh_state;

/* Opens (creating) the state at PATH for a run with RULES; NULL with
 * *CAUSE set (caller frees) when it cannot, or another run holds it.
 * CHECKPOINT_EVERY: chunks between checkpoints (for tests); 0: every few
 * seconds. */
struct eh_state *eh_state_open(const char *path, const struct eh_ruleset *rules, uint64_t checkpoint_every,
			       char **cause);
/* The run filters events (--from, --to, --computer): its hits are kept,
 * but what it scanned is not recorded as covered, so a later run without
 * the filters still scans it. */
void eh_state_partial(struct eh_state *st);
/* Commits what the run learnt; -1 with *CAUSE on failure. */
int eh_state_commit(struct eh_state *st, uint64_t hits_reported, char **cause);
/* Closes; what was not committed is dropped. */
void eh_state_close(struct eh_state *st);

/* Starts a log: returns its id; *UNCHANGED when the whole file can be
 * skipped (same identity, scanned with rules covering the run's);
 * *KNOWN_CHUNKS, how many of its chunks the state holds. The returned id
 * goes with the file's chunks and hits; -1 on a database error. */
int64_t eh_state_log(struct eh_state *st, const char *path, const struct eh_file_identity *id, bool *unchanged,
		     uint64_t *known_chunks);
/* Records the file as scanned to its end with the run's rules. */
void eh_state_log_done(struct eh_state *st, int64_t log, const struct eh_file_identity *id);

/* Fingerprint of a chunk's bytes. */
uint64_t eh_state_chunk_fingerprint(const uint8_t *chunk);
/* Whether chunk INDEX of LOG, or any chunk with these bytes, was scanned
 * by rules covering the run's. */
bool eh_state_chunk_known(struct eh_state *st, int64_t log, uint64_t index, uint64_t fingerprint);
void eh_state_chunk_scanned(struct eh_state *st, int64_t log, uint64_t index, uint64_t fingerprint);

/* Whether a hit is new; a new one is recorded (reported by this run). */
bool eh_state_hit_is_new(struct eh_state *st, int64_t log, const struct eh_rule *rule, const struct eh_event *ev,
			 const char *file);
/* After each chunk: commits what was learnt every few seconds, so a run
 * killed late redoes little. */
void eh_state_checkpoint(struct eh_state *st);
/* Hits found by earlier runs that died before their report was written
 * (after a checkpoint): each as its JSON line, for this run to deliver.
 * Returns how many. */
size_t eh_state_pending(struct eh_state *st, void (*fn)(const char *line, size_t len, void *user), void *user);

/* Correlation (issue 14): the hits of rules correlations refer to are
 * kept as JSON lines for a while (the correlations' horizon), so the next
 * run correlates its hits with them. eh_state_context calls FN with each,
 * in time order, and returns how many; eh_state_context_add keeps one of
 * this run's (committed with the run); eh_state_context_prune forgets, per
 * computer, those more than HORIZON (FILETIME ticks) before its latest. */
size_t eh_state_context(struct eh_state *st, void (*fn)(const char *line, size_t len, void *user), void *user);
void eh_state_context_add(struct eh_state *st, const char *computer, int64_t time, const char *line, size_t len);
void eh_state_context_prune(struct eh_state *st, int64_t horizon);

/* --state-report: logs, runs and hits per rule per day. Returns 0, or -1
 * with a message on OUT's error stream. */
int eh_state_report(const char *path, FILE *out, FILE *err);

#endif
