/* The JSON Lines hit, as -f jsonl writes it and --merge and --state read
 * it back: one table of keys (name, type, where the value lives) serves
 * the writer and the reader, so the two cannot drift apart. One object a
 * line; string, number, boolean and null values, arrays of strings
 * (rule_fields, tags) and an object of strings (fields). Keys the reader does not know
 * are skipped; the derived ones (datetime, timestamp_desc, message, for
 * Timesketch) are written and not read. */
#ifndef EVTXHUNT_JSONL_H
#define EVTXHUNT_JSONL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evtxhunt/event.h"
#include "evtxhunt/timeline.h"
#include "evtxhunt/util.h"

/* A hit's keys other than its fields. Read back, the strings and tags
 * are owned by it (eh_jsonl_hit_release); NULL: the key was absent or
 * null. */
struct eh_jsonl_hit {
	int64_t time;
	char *file;
	uint64_t record_id;
	char *computer, *channel, *provider;
	uint64_t event_id;
	char *rule_id, *rule_title, *level;
	char *category, *product, *service; /* the rule's logsource */
	char **rule_fields; /* the fields the rule tests */
	size_t nrule_fields;
	char **tags;
	size_t ntags;
	bool recovered;
};

/* Appends hit H as one JSON line, newline included. */
void eh_jsonl_write_hit(struct buf *out, const struct eh_hit *h);

struct eh_jsonl_reader; /* scratch space, reused line to line */
struct eh_jsonl_reader *eh_jsonl_reader_new(void);
void eh_jsonl_reader_free(struct eh_jsonl_reader *r);

/* Reads one line into H (released first) and EV (reset, then finished
 * with the fields and the System values). False when it is not an
 * evtxhunt hit, with *ERR (static text) and the 1-based *COLUMN. */
bool eh_jsonl_read_hit(struct eh_jsonl_reader *r, const char *line, size_t len, struct eh_jsonl_hit *h,
		       struct eh_event *ev, const char **err, size_t *column);
void eh_jsonl_hit_release(struct eh_jsonl_hit *h);

#endif
