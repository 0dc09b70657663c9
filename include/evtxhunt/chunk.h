/* Chunk source: an EVTX file seen as a 4 KiB header followed by 64 KiB
 * chunks found by position, never by the header's chunk count (dirty files
 * hold chunks the header does not count yet, and libevtx 20181227 counts
 * chunks in 16 bits). Files are opened read-only and never written. */
#ifndef EVTXHUNT_CHUNK_H
#define EVTXHUNT_CHUNK_H

#include <stdbool.h>
#include <stdint.h>

#include "evtxhunt/bxcheck.h"
#include "evtxhunt/util.h"

#define EH_FILE_HEADER_SIZE 4096u
#define EH_CHUNK_SIZE 65536u
#define EH_CHUNK_HEADER_SIZE 512u

/* ---- the byte layout: every offset evtxhunt reads or writes is here ---- */

/* File header (little-endian throughout). */
enum eh_file_header_field {
	EH_FH_SIGNATURE = 0,      /* "ElfFile\0" */
	EH_FH_FIRST_CHUNK = 8,    /* u64 */
	EH_FH_LAST_CHUNK = 16,    /* u64 */
	EH_FH_NEXT_RECORD_ID = 24, /* u64 */
	EH_FH_HEADER_SIZE = 32,   /* u32: 128 */
	EH_FH_MINOR_VERSION = 36, /* u16 */
	EH_FH_MAJOR_VERSION = 38, /* u16 */
	EH_FH_BLOCK_SIZE = 40,    /* u16: 4096 */
	EH_FH_CHUNK_COUNT = 42,   /* u16 */
	EH_FH_FLAGS = 120,        /* u32: 0x1 dirty; the checksum covers what is before */
	EH_FH_CRC = 124,          /* u32: CRC-32 of bytes 0..119 */
	EH_FH_MIN_SIZE = 128,     /* bytes read to know the header */
};

/* Chunk header. Its checksum covers bytes 0..119 and 128..511. */
enum eh_chunk_header_field {
	EH_CH_SIGNATURE = 0,          /* "ElfChnk\0" */
	EH_CH_FIRST_RECORD_ID = 24,   /* u64 */
	EH_CH_LAST_RECORD_ID = 32,    /* u64 */
	EH_CH_HEADER_SIZE = 40,       /* u32: 128 */
	EH_CH_LAST_RECORD_OFFSET = 44, /* u32 */
	EH_CH_FREE_SPACE = 48,        /* u32: where used space ends */
	EH_CH_DATA_CRC = 52,          /* u32: CRC-32 of the records */
	EH_CH_CRC_GAP = 120,          /* bytes 120..127 are outside the checksum */
	EH_CH_HEADER_CRC = 124,       /* u32 */
	EH_CH_CRC_RESUME = 128,
};

/* Record header, at a record's offset in its chunk; the record ends with
 * a copy of its size. */
enum eh_record_field {
	EH_REC_SIGNATURE = 0,    /* u32 EH_RECORD_MAGIC */
	EH_REC_SIZE = 4,         /* u32, header and size copy included */
	EH_REC_ID = 8,           /* u64 */
	EH_REC_WRITTEN_TIME = 16, /* u64 FILETIME */
	EH_REC_BINXML = 24,      /* the event's binary XML starts here */
};
#define EH_RECORD_MAGIC 0x00002a2au /* "**\0\0" */
#define EH_RECORD_HEADER_SIZE 24u
#define EH_RECORD_COPY_SIZE 4u /* the u32 copy of the size that ends a record */
#define EH_RECORD_MIN_SIZE (EH_RECORD_HEADER_SIZE + EH_RECORD_COPY_SIZE)

/* Template instance token: token byte, a byte, the template id and the
 * chunk offset of its definition; then, when the definition is inline,
 * the definition; then the value count and that many value descriptors
 * (size, type, a byte), then the values. */
enum eh_template_instance_field {
	EH_TI_TEMPLATE_ID = 2,   /* u32 */
	EH_TI_DEFINITION = 6,    /* u32 chunk offset */
	EH_TI_SIZE = 10,         /* what follows starts here */
	EH_TD_GUID = 4,          /* in the definition: its GUID (16 bytes) */
	EH_TD_DATA_SIZE = 20,    /* u32: bytes of binary XML after the header */
	EH_TD_HEADER_SIZE = 24,
	EH_TV_DESCRIPTOR_SIZE = 4, /* u16 size, u8 type, u8 unused */
	EH_TV_TYPE = 2,
	EH_TI_VALUE_COUNT_SIZE = 4, /* u32 */
};
#define EH_FRAGMENT_HEADER_SIZE 4u /* token, major, minor, flags */

/* A name of binary XML (element, attribute, entity), at a chunk offset:
 * UTF-16LE characters and a NUL after the header. */
enum eh_name_field {
	EH_NAME_NEXT = 0,   /* u32: the next name of its hash bucket */
	EH_NAME_HASH = 4,   /* u16 */
	EH_NAME_LENGTH = 6, /* u16: characters, NUL excluded */
	EH_NAME_CHARS = 8,
};

static inline uint64_t eh_chunk_first_record_id(const uint8_t *chunk) { return le64(chunk + EH_CH_FIRST_RECORD_ID); }
static inline uint64_t eh_chunk_last_record_id(const uint8_t *chunk) { return le64(chunk + EH_CH_LAST_RECORD_ID); }
static inline uint32_t eh_chunk_free_space(const uint8_t *chunk) { return le32(chunk + EH_CH_FREE_SPACE); }
static inline void eh_chunk_set_free_space(uint8_t *chunk, uint32_t offset) { put_le32(chunk + EH_CH_FREE_SPACE, offset); }
/* Fields of the record header at chunk offset POS. */
static inline uint32_t eh_record_magic(const uint8_t *chunk, uint32_t pos) { return le32(chunk + pos + EH_REC_SIGNATURE); }
static inline uint32_t eh_record_size(const uint8_t *chunk, uint32_t pos) { return le32(chunk + pos + EH_REC_SIZE); }
static inline uint64_t eh_record_id(const uint8_t *chunk, uint32_t pos) { return le64(chunk + pos + EH_REC_ID); }
static inline uint64_t eh_record_written_time(const uint8_t *chunk, uint32_t pos)
{
	return le64(chunk + pos + EH_REC_WRITTEN_TIME);
}

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

/* Where libevtx 20181227 finds the records it carves from a chunk, in the
 * order it lists them (libevtx_chunk_read): from the end of its own walk
 * of the live records (from offset 0 in a chunk without its signature),
 * every 4 bytes, a record header it accepts whose binary XML starts with a
 * processing instruction or a fragment header; after one, the search goes
 * on behind it. Fills up to MAX PLACES and returns how many there are
 * (more than MAX: the rest not filled). The caller compares the count with
 * libevtx's before taking index I of one for index I of the other. */
size_t eh_chunk_recovery_places(const uint8_t *chunk, struct eh_record_place *places, size_t max);

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

/* A record kept from libevtx, and why. */
struct eh_defused {
	uint32_t offset;  /* in the chunk */
	bool slack;       /* a carving candidate, not a live record */
	struct eh_bx_verdict why;
};

/* What libevtx 20181227 would do with a record is known before it sees it
 * (bxcheck.h): records whose binary XML would expand past the limits or
 * recurse (crafted ones crash libevtx or make it take gigabytes), or whose
 * template instance lies outside the chunk or overruns the record (libevtx
 * reads past it, or allocates what a value count says) are defused in the
 * caller's copy of the chunk. Checked: the chain of live records, and
 * every record signature in the slack behind it, at any byte offset (where
 * libevtx carves). A live record keeps its framing and gets an
 * end-of-stream token where its binary XML starts (the caller must count
 * it unreadable: libevtx then reads it as empty); one in slack loses its
 * signature, so libevtx does not carve it. Counts go to *LIVE and *SLACK;
 * OUT receives up to MAX of them, live ones first, each in chunk order. */
void eh_chunk_defuse(uint8_t *chunk, size_t *live, size_t *slack, struct eh_defused *out, size_t max);

/* Fills CHUNK (EH_CHUNK_SIZE bytes) with an empty chunk, header checksum
 * right, that libevtx opens (to warm its lazy globals up). */
void eh_make_empty_chunk(uint8_t *chunk);

/* Fills HDR (EH_FILE_HEADER_SIZE bytes) with a clean file header that
 * announces one chunk whose last record id is LAST_RECORD_ID: with the
 * chunk after it, a valid EVTX file libevtx can open from memory. */
void eh_make_one_chunk_header(uint8_t *hdr, uint64_t last_record_id);

#endif
