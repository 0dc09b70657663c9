/* Chunk source: an EVTX file seen as a 4 KiB header followed by 64 KiB
 * chunks found by position, never by the header's chunk count (dirty files
 * hold chunks the header does not count yet, and libevtx 20181227 counts
 * chunks in 16 bits). Files are opened read-only and never written. */
#ifndef EVTXHUNT_CHUNK_H
#define EVTXHUNT_CHUNK_H

#include <stdbool.h>
#include <stdint.h>

#define EH_FILE_HEADER_SIZE 4096u
#define EH_CHUNK_SIZE 65536u
#define EH_CHUNK_HEADER_SIZE 512u

struct eh_evtx_file;

enum eh_chunk_state {
	EH_CHUNK_OK,        /* signature right; see the CRC flags */
	EH_CHUNK_EMPTY,     /* all zeros: space Windows preallocated, not damage */
	EH_CHUNK_BAD_MAGIC, /* not a chunk: skipped */
	EH_CHUNK_TRUNCATED, /* eh_chunk_inspect: fewer than EH_CHUNK_SIZE bytes */
	EH_CHUNK_GONE,      /* the file shrank below this chunk while being read */
	EH_CHUNK_IO_ERROR,
};

struct eh_chunk_info {
	uint64_t index;  /* position in the file, from 0 */
	uint64_t offset; /* byte offset in the file */
	enum eh_chunk_state state;
	bool header_crc_ok;
	bool data_crc_ok; /* filled in by eh_chunk_check_data, on demand */
	bool signature_restored; /* only the signature was damaged: the header
				  * checksum holds with it restored (and it has
				  * been, in the buffer read) */
	bool holds_records;      /* BAD_MAGIC: record signatures inside */
	uint64_t first_record_id;
	uint64_t last_record_id;
	uint32_t free_space_offset;
	uint32_t bytes_read; /* < EH_CHUNK_SIZE: the file ends inside the chunk
			      * (the rest of the buffer is zeros) */
};

struct eh_file_header_info {
	bool signature_ok;
	bool crc_ok;
	bool dirty;          /* flag 0x1: the log was not closed cleanly */
	uint16_t chunk_count; /* as the header says; for reports only */
	uint16_t major, minor;
};

/* What tells a file from its earlier self, for --state: a change of any
 * of these means the file was written since. */
struct eh_file_identity {
	uint64_t size;
	int64_t mtime_ns, ctime_ns;
	uint64_t header_hash; /* of the bytes of the file header */
};

/* Opens PATH read-only. Returns NULL and sets *cause (caller frees) when
 * it cannot be opened or is not an EVTX file at all. */
struct eh_evtx_file *eh_evtx_open(const char *path, char **cause);
void eh_evtx_close(struct eh_evtx_file *f);

const struct eh_file_header_info *eh_evtx_header(const struct eh_evtx_file *f);
const struct eh_file_identity *eh_evtx_identity(const struct eh_evtx_file *f);
uint64_t eh_evtx_size(const struct eh_evtx_file *f);
/* Number of chunk positions in the file, a truncated last one included. */
uint64_t eh_evtx_chunk_slots(const struct eh_evtx_file *f);
/* The first chunk slot from INDEX on that is not wholly a hole of a sparse
 * file (holes read as zeros: empty chunks); INDEX when the file system
 * cannot tell. Lets a sparse 5 GiB file with a few chunks be read fast. */
uint64_t eh_evtx_skip_holes(const struct eh_evtx_file *f, uint64_t index);
/* The file's size now, to notice it grew or shrank while being read;
 * -1 when it cannot be known. */
int64_t eh_evtx_size_now(const struct eh_evtx_file *f);

/* Reads chunk slot INDEX into BUF (EH_CHUNK_SIZE bytes) and classifies it.
 * A chunk the file ends inside (as it was opened) is zero-filled and
 * classified like a whole one, its bytes_read telling where it was cut:
 * the records before the cut are worth reading. A chunk that was there
 * when the file was opened but is not any more is EH_CHUNK_GONE.
 * Safe to call from several threads on one file (pread). On
 * EH_CHUNK_IO_ERROR, *cause is set. */
void eh_evtx_read_chunk(const struct eh_evtx_file *f, uint64_t index, uint8_t *buf,
			struct eh_chunk_info *info, char **cause);

/* Classifies a chunk already in memory (used by the reader and tests).
 * The data checksum is left to eh_chunk_check_data: it covers up to 64 KiB
 * and matters only for chunks that are going to be parsed. */
void eh_chunk_inspect(const uint8_t *chunk, size_t len, struct eh_chunk_info *info);
/* Verifies the data checksum of an inspected chunk (sets data_crc_ok). */
void eh_chunk_check_data(const uint8_t *chunk, struct eh_chunk_info *info);

/* A place where a chunk's chain of record headers was broken. */
struct eh_framing_repair {
	uint32_t offset;   /* of the damaged record header in the chunk */
	uint32_t span;     /* bytes up to the next intact record */
	uint32_t old_size; /* what the header said */
	bool bad_magic;    /* the signature was damaged */
	bool bad_copy;     /* only the trailing size copy was wrong */
};

/* libevtx stops listing a chunk's records at the first damaged record
 * header and carves the rest as "recovered", or loses them. This rewrites,
 * in the caller's copy of the chunk, each damaged header to span to the
 * next intact record (signature, sane size, matching size copy), so every
 * record behind the damage is read as live and the damaged one is parsed
 * or counted. Returns the number of repairs, filling at most MAX. */
size_t eh_chunk_repair_framing(uint8_t *chunk, struct eh_framing_repair *out, size_t max);

/* One record of a chunk's chain of record headers. */
struct eh_record_place {
	uint32_t offset, size;
	uint64_t id;
};

/* Walks the chunk's chain of intact record headers (after framing repair
 * it is the whole chain) into PLACES; returns how many, at most MAX. */
size_t eh_chunk_records(const uint8_t *chunk, struct eh_record_place *places, size_t max);

/* The record id in the header of the INDEX-th record (from 0) of the
 * chunk's chain, for messages; 0 when the chain is shorter. */
uint64_t eh_chunk_record_id(const uint8_t *chunk, int index);

/* Whether a record with RECORD_ID lies in the chunk (8-byte aligned, as
 * Windows writes them) with every template instance in it naming its
 * template right: Windows makes an instance's template id the first 32
 * bits of the template's GUID (true of every live record measured). A
 * record carved from slack whose templates were overwritten since fails
 * this, and libevtx would render its values under another event's names.
 * True when no such record is found (nothing to contradict libevtx). */
bool eh_chunk_record_templates_intact(const uint8_t *chunk, uint64_t record_id);

/* libevtx 20181227 reads past a record when its template instance
 * declares more value bytes than the record holds (found by fuzzing: a
 * crash), and allocates whatever a value count says (8 GiB, fuzzing
 * again). This checks, in the caller's copy of the chunk, the chain of
 * live records and every record signature in the slack behind it, at any
 * byte offset (where libevtx carves): a template instance, outer or
 * nested, whose definition lies outside the chunk, or whose values overrun
 * the record, is defused. A live record keeps its framing and gets an
 * end-of-stream token where its binary XML starts (the caller must count
 * it unreadable: libevtx then reads it as empty); one in slack loses its
 * signature, so libevtx does not carve it. Counts go to *LIVE and *SLACK;
 * LIVE_AT receives the offsets of up to MAX live ones, in chain order. */
void eh_chunk_defuse(uint8_t *chunk, size_t *live, size_t *slack, uint32_t *live_at, size_t max);

/* Fills HDR (EH_FILE_HEADER_SIZE bytes) with a clean file header that
 * announces one chunk whose last record id is LAST_RECORD_ID: with the
 * chunk after it, a valid EVTX file libevtx can open from memory. */
void eh_make_one_chunk_header(uint8_t *hdr, uint64_t last_record_id);

#endif
