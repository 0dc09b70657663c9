/* Log metrics and integrity findings (--metrics): fed every event a scan
 * reads (eh_scan_options.every_event), it keeps per input log its
 * channels, records, time span, computers and events per event id, and
 * per computer its logs and time coverage; when the scan is done it lists
 * the facts that bear on whether the logs can be trusted: a log cleared,
 * the event log service stopping or starting, record ids missing, time
 * going backwards, records recovered from slack with no live copy. A
 * finding is a fact with its place (file, record ids, times), not a
 * verdict. Values in it come from the logs: escape them where they go. */
#ifndef EVTXHUNT_METRICS_H
#define EVTXHUNT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "evtxhunt/event.h"
#include "evtxhunt/util.h"

/* Time going backwards by more than this between consecutive records is
 * a finding (FILETIME ticks: one minute). */
#define EH_METRICS_BACKWARDS (INT64_C(60) * 10000000)
/* Events of one computer in one log less than this apart are one stretch
 * of coverage (one hour). */
#define EH_METRICS_COVERAGE_JOIN (INT64_C(3600) * 10000000)

enum eh_finding_kind {
	EH_FINDING_CLEARED,         /* Security 1102, System 104 */
	EH_FINDING_SERVICE_STOP,    /* Security 1100, System 6006 */
	EH_FINDING_SERVICE_START,   /* System 6005 */
	EH_FINDING_RECORD_GAP,      /* record ids missing between two read */
	EH_FINDING_TIME_BACKWARDS,  /* a record older than the one before it */
	EH_FINDING_RECOVERED_ONLY,  /* recovered from slack, no live copy */
	EH_FINDING_DAMAGE,          /* what the reader skipped or read past (no record id) */
	EH_FINDING_KINDS,
};

struct eh_finding {
	enum eh_finding_kind kind;
	const char *file;
	uint64_t record, record2; /* a gap: the records read on either side */
	int64_t time, time2;
	char *what; /* the sentence, raw (log values in it) */
	size_t seq; /* order of arrival: damage keeps the order of the log */
};

struct eh_count_id {
	uint32_t event_id;
	uint64_t n;
};

struct eh_span {
	int64_t first, last;
};

struct eh_metrics_computer {
	char *name;
	uint64_t records;
	int64_t first, last;
	struct eh_span *spans; /* coverage, sorted, joined */
	size_t nspans, capspans;
	size_t *logs; /* indexes of the logs holding it */
	size_t nlogs;
};

struct eh_metrics_log {
	char *file;
	uint64_t records, recovered;
	int64_t first, last; /* -1: no event */
	char **channels;
	size_t nchannels;
	struct eh_metrics_computer *computers; /* this log's share of each computer */
	size_t ncomputers;
	struct eh_count_id *ids; /* most first, then by id (after finish) */
	size_t nids;
	/* scratch while reading */
	size_t capids, *id_slots, capslots;
	struct eh_span *live; /* ranges of live record ids */
	size_t nlive, caplive;
	int64_t *live_time; /* times of each range's first and last record */
	uint64_t prev_id;
	int64_t prev_time;
	bool have_prev;
	struct { uint64_t id; int64_t time; } *recovered_ids;
	size_t nrecovered, caprecovered;
};

struct eh_metrics {
	struct eh_metrics_log *logs;
	size_t nlogs;
	struct eh_metrics_computer *computers; /* over all logs, by name (after finish) */
	size_t ncomputers;
	struct eh_finding *findings; /* by file, then record (after finish) */
	size_t nfindings, capfindings;
	bool partial; /* --from/--to/--computer/--state left records out: no gap
		       * or recovered-only findings (the live records are not all known) */
	bool finished;
};

void eh_metrics_init(struct eh_metrics *m);
void eh_metrics_release(struct eh_metrics *m);
/* An eh_event_fn: USER is the metrics. */
void eh_metrics_event(const struct eh_event *ev, const char *file, void *user);
/* An eh_damage_fn: USER is the metrics. */
void eh_metrics_damage(const char *file, const char *what, void *user);
/* Whether a finding of KIND has a record id and a time. */
bool eh_finding_has_record(enum eh_finding_kind kind);
/* Sorts, joins and derives the findings; call once, after the scan. */
void eh_metrics_finish(struct eh_metrics *m);

/* Name of a finding's kind ("log-cleared", "record-gap", ...). */
const char *eh_finding_kind_name(enum eh_finding_kind kind);

/* The metrics and the findings as lines for the summary on stderr
 * ("evtxhunt: metrics: ..." and "evtxhunt: finding: FILE: ..."), escaped;
 * at most TOP event ids per log. */
void eh_metrics_summary(FILE *out, const struct eh_metrics *m, size_t top);
/* The same as one JSON object (valid UTF-8, not yet escaped for HTML). */
void eh_metrics_json(struct buf *b, const struct eh_metrics *m, size_t top);

#endif
