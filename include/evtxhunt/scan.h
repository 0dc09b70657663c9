/* Scan: walks the inputs and runs each chunk through reader, field mapper
 * and matcher, collecting hits into a timeline and counting everything
 * that was read, skipped or unreadable. */
#ifndef EVTXHUNT_SCAN_H
#define EVTXHUNT_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "evtxhunt/state.h"
#include "evtxhunt/supervise.h"
#include <stdio.h>

#include "evtxhunt/sigma.h"
#include "evtxhunt/timeline.h"

struct eh_stats {
	uint64_t files;
	uint64_t files_failed;
	uint64_t files_other_shards; /* --shard: logs left to the other shards */
	uint64_t files_unchanged;    /* --state: as at the last run: not read */
	uint64_t chunks_unchanged;   /* --state: as at the last run: not scanned */
	uint64_t hits_known;         /* --state: reported by an earlier run */
	uint64_t bytes;
	uint64_t chunks;
	uint64_t chunks_skipped;
	uint64_t chunks_empty;
	uint64_t chunks_checksum_bad;
	uint64_t chunks_truncated; /* the file ends inside them: read up to the cut */
	uint64_t record_headers_repaired;
	uint64_t chunks_prefiltered;  /* no rule literal in them: not parsed */
	uint64_t records_prefiltered; /* counted by header, not parsed */
	uint64_t chunks_filtered;     /* no record in the --from/--to range: not parsed */
	uint64_t records_filtered;    /* outside --from/--to/--computer: not matched */
	uint64_t records;
	uint64_t records_unreadable;
	uint64_t records_rendered_by_evtxhunt; /* template-less: libevtx cannot */
	uint64_t records_decoded;         /* live records read straight from binary XML */
	uint64_t records_left_to_libevtx; /* live records the decoder left to libevtx */
	uint64_t records_recovered;
	uint64_t recovered_duplicates;
	uint64_t recovered_unparsable; /* carving candidates libevtx cannot parse */
	uint64_t events_matched;
	uint64_t hits;
	uint64_t regex_limit_hits; /* evaluations stopped by PCRE2's match limit */
	uint64_t warnings;
	uint64_t errors; /* inputs that could not be opened or read */
};

/* Called with every readable record's event, wanted by a rule or not. */
typedef void (*eh_event_fn)(const struct eh_event *ev, const char *file, void *user);
/* Called, in the order of the input, with every piece of damage the
 * reader met in FILE (a chunk or record skipped, a header it read past):
 * WHAT says where and why, unescaped. Not called for inputs that are not
 * logs (a directory entry that cannot be read). */
typedef void (*eh_damage_fn)(const char *file, const char *what, void *user);

struct eh_scan_options {
	FILE *diag;      /* where warnings go (stderr); NULL: nowhere */
	bool no_prefilter;
	int threads;
	eh_event_fn every_event; /* NULL: only events rules want are mapped */
	bool no_decode;          /* every record through libevtx, none decoded by evtxhunt */
	const struct eh_filter *filter; /* NULL: every event */
	struct eh_state *state;         /* --state; NULL: none */
	bool progress;                  /* a progress line on DIAG (a terminal) */
	unsigned shard, shards;         /* read only input logs of shard SHARD (0-based) of
					 * SHARDS, split by path; shards <= 1: all */
	FILE *progress_out;             /* where the progress line goes; NULL: DIAG */
	struct eh_watch *watch;         /* isolation: the slots the parent watches; NULL: none */
	const struct eh_quarantine *quarantine; /* isolation: records kept from libevtx */
	void *user;
	eh_damage_fn on_damage; /* NULL: none */
	void *damage_user;
};

struct eh_scanner;

struct eh_scanner *eh_scanner_new(const struct eh_ruleset *rules, const struct eh_scan_options *opt,
				  struct eh_timeline *tl);
void eh_scanner_free(struct eh_scanner *s);

/* With the progress option: walks PATH first, without reading, for the
 * totals the progress line shows. Call for every PATH before scanning. */
void eh_scan_plan(struct eh_scanner *s, const char *path);

/* Scans PATH: a file (read whatever its name), or a directory walked
 * recursively for files named *.evtx in any case. */
void eh_scan_path(struct eh_scanner *s, const char *path);

/* Waits for every queued chunk and hands its results over: call before
 * reading the timeline. */
void eh_scanner_finish(struct eh_scanner *s);

/* The run's counters (finishing the scan first). */
const struct eh_stats *eh_scanner_stats(struct eh_scanner *s);

#endif
