/* Chunk scan: the work on one chunk, done by a worker thread. A worker
 * owns its libevtx reader, XML parser and prefilter scratch; what it finds
 * (counters, messages, hits) goes into the job, which the driver (scan.c)
 * retires in input order, so output never depends on thread timing. */
#ifndef EVTXHUNT_CHUNKSCAN_H
#define EVTXHUNT_CHUNKSCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "evtxhunt/chunk.h"
#include "evtxhunt/filter.h"
#include "evtxhunt/prefilter.h"
#include "evtxhunt/scan.h"
#include "evtxhunt/sigma.h"
#include "evtxhunt/supervise.h"
#include "evtxhunt/util.h"

struct job_hit {
	const struct eh_rule *rule;
	struct eh_event *event; /* owned: handed to the timeline */
};

/* One unit of ordered output: a chunk to scan, or messages of the driver. */
struct job {
	/* input */
	uint8_t *chunk; /* EH_CHUNK_SIZE bytes */
	struct eh_chunk_info info;
	bool carve;    /* no signature: carve records from it */
	bool is_chunk; /* false: messages only */
	const char *file;
	int64_t log;          /* --state: the file's id there */
	uint64_t fingerprint; /* --state: of the chunk's bytes as read */
	/* output */
	struct eh_stats stats;
	struct buf messages;
	bool keep_damage;  /* record the damage for eh_scan_options.on_damage */
	struct buf damage; /* "file\0what\0" per piece of damage */
	struct job_hit *hits;
	size_t nhits, caphits;
};

/* What every worker shares, read-only. */
struct chunkscan_shared {
	const struct eh_ruleset *rules;
	const struct eh_prefilter *prefilter; /* NULL: parse every record */
	const struct eh_filter *filter;       /* NULL: every event */
	bool diag;                            /* keep messages */
	eh_event_fn every_event;
	bool no_decode; /* every record through libevtx (bxdecode.h) */
	void *user;
	struct eh_watch *watch;                   /* isolation: a slot per worker; NULL: none */
	const struct eh_quarantine *quarantine;   /* records and chunks kept from libevtx */
};

struct worker;

struct worker *worker_new(const struct chunkscan_shared *shared);
void worker_free(struct worker *w);

/* Scans the job's chunk. */
void worker_scan(struct worker *w, struct job *job);

/* Appends "evtxhunt: KIND: PATH: message" to the job's messages, with
 * path and message escaped for the terminal, and counts it. DAMAGE: it is
 * about the log's contents, kept for on_damage too if the job keeps them. */
void job_report(struct job *job, bool diag, bool damage, const char *kind, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
void job_reset(struct job *job);

#endif
