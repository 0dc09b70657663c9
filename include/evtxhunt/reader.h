/* Record reader: libevtx over one chunk at a time. Each chunk is handed to
 * libevtx as a one-chunk EVTX file in memory (a synthesized clean header
 * followed by the chunk) through a libbfio memory range, so a corrupt
 * chunk spoils only itself. One reader per thread: libevtx has no locks. */
#ifndef EVTXHUNT_READER_H
#define EVTXHUNT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct eh_reader;

struct eh_record {
	uint64_t record_id;
	uint32_t event_id;
	uint64_t written_time; /* FILETIME of the record header; 0 if unknown */
	const char *provider;  /* UTF-8; "" when the record has none */
	bool recovered;        /* carved by libevtx from slack space */
};

struct eh_reader *eh_reader_new(void);
void eh_reader_free(struct eh_reader *r);

/* Isolation: the reader marks SLOT around each libevtx call that parses,
 * so the supervising parent knows what libevtx was on (supervise.h). */
struct eh_watch_slot;
void eh_reader_set_watch(struct eh_reader *r, struct eh_watch_slot *slot);

/* Opens CHUNK (EH_CHUNK_SIZE bytes, caller keeps it alive until
 * eh_reader_close_chunk). Returns 0, or -1 with *cause set. */
int eh_reader_open_chunk(struct eh_reader *r, const uint8_t *chunk, char **cause);
void eh_reader_close_chunk(struct eh_reader *r);

int eh_reader_live_count(const struct eh_reader *r);
int eh_reader_recovered_count(const struct eh_reader *r);

/* Loads record INDEX (live or recovered) and fills *rec, whose strings
 * stay valid until the next eh_reader_load. Returns 0, or -1 with *cause. */
int eh_reader_load(struct eh_reader *r, int index, bool recovered, struct eh_record *rec, char **cause);

/* Renders the loaded record as XML (UTF-8) into the reader's buffer,
 * valid until the next call. Returns 0, or -1 with *cause. */
int eh_reader_xml(struct eh_reader *r, const char **xml, size_t *len, char **cause);

#endif
