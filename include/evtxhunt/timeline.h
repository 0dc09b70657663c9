/* Timeline: the hits of a run, sorted by event time, then file, then
 * record id (then arrival). Memory stays bounded: past a limit the hits in
 * memory are sorted and spilled as a run to an unlinked temporary file,
 * and the runs are merged in order when the timeline is read. */
#ifndef EVTXHUNT_TIMELINE_H
#define EVTXHUNT_TIMELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "evtxhunt/event.h"
#include "evtxhunt/sigma.h"
#include "evtxhunt/util.h"

struct eh_hit {
	const struct eh_rule *rule;
	struct eh_event *event; /* owned by the timeline */
	const char *file;       /* owned by the timeline */
	uint64_t seq;           /* arrival order: keeps the sort stable */
};

struct spill_run;
struct rule_count;
struct computer_count {
	const char *name; /* owned by the timeline's computer_names */
	uint64_t n;
};

struct eh_timeline {
	struct eh_hit *hits; /* in memory, not yet spilled */
	size_t n, cap;
	size_t bytes, limit; /* memory held by HITS, and where spilling starts */
	uint64_t total;      /* every hit, spilled or not */
	char **files;
	size_t nfiles;
	FILE *spill; /* NULL until the first run is written */
	const char *spill_dir; /* where it is made (NULL: /tmp); not owned */
	struct spill_run *runs;
	size_t nruns;
	struct rule_count *counts; /* hits per rule (open addressing) */
	size_t ncounts, capcounts;
	struct computer_count *computers; /* hits per computer, in order seen */
	size_t ncomputers;
	struct eh_strset computer_names; /* COMPUTERS[i].name is its string i */
};

/* LIMIT: bytes of hits kept in memory before spilling (0: the default,
 * 32 MiB). The library reads no environment: the program passes
 * $EVTXHUNT_SPILL_LIMIT and $TMPDIR in. */
void eh_timeline_init(struct eh_timeline *tl, size_t limit);
/* The directory spill files are made in (DIR is not copied; NULL or "":
 * /tmp). Call before the first hit. */
void eh_timeline_set_spill_dir(struct eh_timeline *tl, const char *dir);
void eh_timeline_release(struct eh_timeline *tl);
/* Remembers FILE for the hits that follow (copied once per file). */
const char *eh_timeline_file(struct eh_timeline *tl, const char *file);
/* Adds a hit with a copy of EV; FILE comes from eh_timeline_file. */
void eh_timeline_add(struct eh_timeline *tl, const struct eh_rule *rule, const struct eh_event *ev, const char *file);
/* Adds a hit whose event the timeline takes over (no copy). */
void eh_timeline_add_owned(struct eh_timeline *tl, const struct eh_rule *rule, struct eh_event *ev, const char *file);

/* Calls FN with every hit in timeline order. Returns 0, or -1 if the
 * spill file could not be read back (errno set). */
int eh_timeline_each(struct eh_timeline *tl, void (*fn)(const struct eh_hit *hit, void *user), void *user);

/* Hits of RULE so far. */
uint64_t eh_timeline_rule_hits(const struct eh_timeline *tl, const struct eh_rule *rule);
/* Sorted runs written to the spill file so far. */
size_t eh_timeline_spilled_runs(const struct eh_timeline *tl);
/* Hits per computer: the I-th computer met, and its count. */
size_t eh_timeline_computers(const struct eh_timeline *tl);
const struct computer_count *eh_timeline_computer(const struct eh_timeline *tl, size_t i);

#endif
