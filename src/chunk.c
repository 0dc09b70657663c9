/* Chunk source: find and check EVTX chunks by position. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evtxhunt/bxcheck.h"
#include "evtxhunt/chunk.h"
#include "evtxhunt/evtx_format.h"
#include "evtxhunt/util.h"

static const char file_magic[8] = "ElfFile";
static const char chunk_magic[8] = "ElfChnk";

struct eh_evtx_file {
	int fd;
	uint64_t size;
	struct eh_file_header_info header;
	struct eh_file_identity identity;
};

/* O_NOATIME keeps evidence access times as found; it is refused for files
 * we do not own, so fall back to a plain read-only open. O_NONBLOCK: a
 * FIFO must not hang the run waiting for a writer (it is refused next). */
static int open_readonly(const char *path)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
#ifdef O_NOATIME
	int fd = open(path, flags | O_NOATIME);
	if (fd >= 0 || errno != EPERM)
		return fd;
#endif
	return open(path, flags);
}

static bool all_zero(const uint8_t *p, size_t len)
{
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

static const char *file_kind(mode_t mode)
{
	return S_ISDIR(mode)    ? "is a directory"
	       : S_ISFIFO(mode) ? "not a regular file (a FIFO)"
	       : S_ISCHR(mode)  ? "not a regular file (a character device)"
	       : S_ISBLK(mode)  ? "not a regular file (a block device)"
	       : S_ISSOCK(mode) ? "not a regular file (a socket)"
				: "not a regular file";
}

static int pread_full(int fd, uint8_t *buf, size_t len, uint64_t off, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t n = pread(fd, buf + *got, len - *got, (off_t)(off + *got));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

struct eh_evtx_file *eh_evtx_open(const char *path, char **cause)
{
	struct stat st;
	uint8_t hdr[EH_FILE_HEADER_SIZE];
	size_t got;
	int fd = open_readonly(path);
	if (fd < 0) {
		*cause = xasprintf("cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		*cause = xasprintf("cannot stat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) { /* a device could be endless, a FIFO read once */
		*cause = xstrdup(file_kind(st.st_mode));
		goto fail;
	}
	if (pread_full(fd, hdr, sizeof hdr, 0, &got) != 0) {
		*cause = xasprintf("cannot read: %s", strerror(errno));
		goto fail;
	}
	struct eh_evtx_file *f = xcalloc(1, sizeof *f);
	f->fd = fd;
	f->size = (uint64_t)st.st_size;
	f->identity.size = f->size;
	f->identity.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	f->identity.ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
	f->identity.header_hash = eh_hash64(hdr, got, 0);
	if (got >= EH_FH_MIN_SIZE && memcmp(hdr + EH_FH_SIGNATURE, file_magic, 8) == 0) {
		f->header.signature_ok = true;
		f->header.crc_ok = eh_crc32(0, hdr, EH_FH_FLAGS) == le32(hdr + EH_FH_CRC);
		f->header.minor = le16(hdr + EH_FH_MINOR_VERSION);
		f->header.major = le16(hdr + EH_FH_MAJOR_VERSION);
		f->header.chunk_count = le16(hdr + EH_FH_CHUNK_COUNT);
		f->header.dirty = (le32(hdr + EH_FH_FLAGS) & 1) != 0;
	}
	if (f->header.signature_ok)
		return f;

	/* A damaged file header does not hide the chunks behind it: accept
	 * the file if the first chunk position holds a chunk. */
	uint8_t magic[8];
	if (pread_full(fd, magic, 8, EH_FILE_HEADER_SIZE, &got) == 0 && got == 8 &&
	    memcmp(magic, chunk_magic, 8) == 0)
		return f;
	free(f);
	*cause = xstrdup(got == 0 && st.st_size < (off_t)EH_FILE_HEADER_SIZE
				 ? "not an EVTX file (too short for a file header)"
				 : "not an EVTX file (no ElfFile header, no chunk at offset 4096)");
fail:
	close(fd);
	return NULL;
}

void eh_evtx_close(struct eh_evtx_file *f)
{
	if (f == NULL)
		return;
	close(f->fd);
	free(f);
}

const struct eh_file_header_info *eh_evtx_header(const struct eh_evtx_file *f)
{
	return &f->header;
}

const struct eh_file_identity *eh_evtx_identity(const struct eh_evtx_file *f)
{
	return &f->identity;
}

uint64_t eh_evtx_size(const struct eh_evtx_file *f)
{
	return f->size;
}

uint64_t eh_evtx_chunk_slots(const struct eh_evtx_file *f)
{
	if (f->size <= EH_FILE_HEADER_SIZE)
		return 0;
	return (f->size - EH_FILE_HEADER_SIZE + EH_CHUNK_SIZE - 1) / EH_CHUNK_SIZE;
}

static uint32_t header_crc(const uint8_t *chunk, const char *magic)
{
	uint32_t crc = eh_crc32(0, magic ? (const uint8_t *)magic : chunk, 8);
	crc = eh_crc32(crc, chunk + 8, EH_CH_CRC_GAP - 8);
	return eh_crc32(crc, chunk + EH_CH_CRC_RESUME, EH_CHUNK_HEADER_SIZE - EH_CH_CRC_RESUME);
}

static bool holds_record_signature(const uint8_t *chunk)
{
	for (uint32_t pos = EH_CHUNK_HEADER_SIZE; pos + EH_RECORD_HEADER_SIZE <= EH_CHUNK_SIZE; pos += 8)
		if (eh_record_magic(chunk, pos) == EH_RECORD_MAGIC)
			return true;
	return false;
}

void eh_chunk_inspect(const uint8_t *chunk, size_t len, struct eh_chunk_info *info)
{
	info->header_crc_ok = info->data_crc_ok = false;
	info->signature_restored = info->holds_records = false;
	info->first_record_id = info->last_record_id = 0;
	info->free_space_offset = 0;
	info->bytes_read = len < EH_CHUNK_SIZE ? (uint32_t)len : EH_CHUNK_SIZE;
	if (len < EH_CHUNK_SIZE) {
		info->state = EH_CHUNK_TRUNCATED;
		return;
	}
	if (memcmp(chunk, chunk_magic, 8) != 0) {
		if (all_zero(chunk, EH_CHUNK_SIZE)) {
			info->state = EH_CHUNK_EMPTY;
			return;
		}
		if (header_crc(chunk, chunk_magic) != le32(chunk + EH_CH_HEADER_CRC)) {
			info->state = EH_CHUNK_BAD_MAGIC;
			info->holds_records = holds_record_signature(chunk);
			return;
		}
		info->signature_restored = true; /* the checksum vouches for the rest */
	}
	info->state = EH_CHUNK_OK;
	info->first_record_id = eh_chunk_first_record_id(chunk);
	info->last_record_id = eh_chunk_last_record_id(chunk);
	info->free_space_offset = eh_chunk_free_space(chunk);
	info->header_crc_ok = header_crc(chunk, chunk_magic) == le32(chunk + EH_CH_HEADER_CRC);
}

void eh_chunk_check_data(const uint8_t *chunk, struct eh_chunk_info *info)
{
	uint32_t end = info->free_space_offset;
	info->data_crc_ok = end >= EH_CHUNK_HEADER_SIZE && end <= EH_CHUNK_SIZE &&
			    eh_crc32(0, chunk + EH_CHUNK_HEADER_SIZE, end - EH_CHUNK_HEADER_SIZE) == le32(chunk + EH_CH_DATA_CRC);
}

uint64_t eh_evtx_skip_holes(const struct eh_evtx_file *f, uint64_t index)
{
#ifdef SEEK_DATA
	uint64_t offset = EH_FILE_HEADER_SIZE + index * EH_CHUNK_SIZE;
	off_t data = lseek(f->fd, (off_t)offset, SEEK_DATA);
	if (data < 0)
		return errno == ENXIO ? eh_evtx_chunk_slots(f) : index; /* ENXIO: holes to the end */
	if ((uint64_t)data >= offset + EH_CHUNK_SIZE)
		return ((uint64_t)data - EH_FILE_HEADER_SIZE) / EH_CHUNK_SIZE;
#endif
	return index;
}

int64_t eh_evtx_size_now(const struct eh_evtx_file *f)
{
	struct stat st;
	return fstat(f->fd, &st) == 0 ? (int64_t)st.st_size : -1;
}

void eh_evtx_read_chunk(const struct eh_evtx_file *f, uint64_t index, uint8_t *buf,
			struct eh_chunk_info *info, char **cause)
{
	size_t got;
	info->index = index;
	info->offset = EH_FILE_HEADER_SIZE + index * EH_CHUNK_SIZE;
	if (pread_full(f->fd, buf, EH_CHUNK_SIZE, info->offset, &got) != 0) {
		info->state = EH_CHUNK_IO_ERROR;
		*cause = xasprintf("read error at offset %llu: %s", (unsigned long long)info->offset,
				   strerror(errno));
		return;
	}
	uint64_t expected = f->size > info->offset ? f->size - info->offset : 0;
	if (expected > EH_CHUNK_SIZE)
		expected = EH_CHUNK_SIZE;
	if (got < expected) { /* less than the file held when it was opened */
		info->state = EH_CHUNK_GONE;
		info->bytes_read = (uint32_t)got;
		return;
	}
	/* the records before a cut are intact: read the chunk as zero-filled */
	memset(buf + got, 0, EH_CHUNK_SIZE - got);
	eh_chunk_inspect(buf, EH_CHUNK_SIZE, info);
	info->bytes_read = (uint32_t)got;
	if (info->signature_restored)
		memcpy(buf, chunk_magic, 8);
}

void eh_make_one_chunk_header(uint8_t *hdr, uint64_t last_record_id)
{
	memset(hdr, 0, EH_FILE_HEADER_SIZE);
	memcpy(hdr + EH_FH_SIGNATURE, file_magic, 8);
	put_le64(hdr + EH_FH_FIRST_CHUNK, 0);
	put_le64(hdr + EH_FH_LAST_CHUNK, 0);
	put_le64(hdr + EH_FH_NEXT_RECORD_ID, last_record_id + 1);
	put_le32(hdr + EH_FH_HEADER_SIZE, EH_FH_MIN_SIZE);
	put_le16(hdr + EH_FH_MINOR_VERSION, 1);
	put_le16(hdr + EH_FH_MAJOR_VERSION, 3);
	put_le16(hdr + EH_FH_BLOCK_SIZE, EH_FILE_HEADER_SIZE);
	put_le16(hdr + EH_FH_CHUNK_COUNT, 1);
	put_le32(hdr + EH_FH_FLAGS, 0); /* clean */
	put_le32(hdr + EH_FH_CRC, eh_crc32(0, hdr, EH_FH_FLAGS));
}

void eh_make_empty_chunk(uint8_t *chunk)
{
	memset(chunk, 0, EH_CHUNK_SIZE);
	memcpy(chunk + EH_CH_SIGNATURE, chunk_magic, 8);
	put_le32(chunk + EH_CH_HEADER_SIZE, EH_CH_CRC_RESUME);
	put_le32(chunk + EH_CH_LAST_RECORD_OFFSET, EH_CHUNK_HEADER_SIZE);
	eh_chunk_set_free_space(chunk, EH_CHUNK_HEADER_SIZE);
	put_le32(chunk + EH_CH_HEADER_CRC, header_crc(chunk, NULL));
}


static bool record_intact(const uint8_t *chunk, uint32_t pos, uint32_t end)
{
	if (pos + EH_RECORD_HEADER_SIZE > end || eh_record_magic(chunk, pos) != EH_RECORD_MAGIC)
		return false;
	uint32_t size = eh_record_size(chunk, pos);
	return size >= EH_RECORD_MIN_SIZE && size <= end - pos && le32(chunk + pos + size - EH_RECORD_COPY_SIZE) == size;
}

size_t eh_chunk_repair_framing(uint8_t *chunk, struct eh_framing_repair *out, size_t max)
{
	uint32_t end = eh_chunk_free_space(chunk);
	size_t n = 0;
	if (end < EH_CHUNK_HEADER_SIZE || end > EH_CHUNK_SIZE)
		return 0; /* no trustworthy end: leave the chunk as it is */
	uint32_t pos = EH_CHUNK_HEADER_SIZE;
	while (pos + EH_RECORD_HEADER_SIZE <= end) {
		if (record_intact(chunk, pos, end)) {
			pos += eh_record_size(chunk, pos);
			continue;
		}
		uint32_t size = eh_record_size(chunk, pos);
		if (eh_record_magic(chunk, pos) == EH_RECORD_MAGIC && size >= EH_RECORD_MIN_SIZE && size <= end - pos) {
			/* signature and size sane, only the trailing copy is wrong:
			 * trust the size rather than swallow what follows */
			if (n < max) {
				out[n].offset = pos;
				out[n].span = size;
				out[n].old_size = size;
				out[n].bad_magic = false;
				out[n].bad_copy = true;
			}
			n++;
			put_le32(chunk + pos + size - EH_RECORD_COPY_SIZE, size);
			pos += size;
			continue;
		}
		uint32_t next = pos + 1;
		while (next + EH_RECORD_HEADER_SIZE <= end && !record_intact(chunk, next, end))
			next++;
		if (next + EH_RECORD_HEADER_SIZE > end)
			next = end;
		if (next - pos < EH_RECORD_MIN_SIZE)
			break; /* too short to frame: the records end here */
		if (n < max) {
			out[n].offset = pos;
			out[n].span = next - pos;
			out[n].old_size = eh_record_size(chunk, pos);
			out[n].bad_magic = eh_record_magic(chunk, pos) != EH_RECORD_MAGIC;
			out[n].bad_copy = false;
		}
		n++;
		put_le32(chunk + pos + EH_REC_SIGNATURE, EH_RECORD_MAGIC);
		put_le32(chunk + pos + EH_REC_SIZE, next - pos);
		put_le32(chunk + next - EH_RECORD_COPY_SIZE, next - pos);
		pos = next;
	}
	return n;
}

uint64_t eh_chunk_record_id(const uint8_t *chunk, int index)
{
	uint32_t end = eh_chunk_free_space(chunk), pos = EH_CHUNK_HEADER_SIZE;
	if (end > EH_CHUNK_SIZE)
		end = EH_CHUNK_SIZE;
	for (int i = 0; record_intact(chunk, pos, end); i++) {
		if (i == index)
			return eh_record_id(chunk, pos);
		pos += eh_record_size(chunk, pos);
	}
	return 0;
}

size_t eh_chunk_records(const uint8_t *chunk, struct eh_record_place *places, size_t max)
{
	uint32_t end = eh_chunk_free_space(chunk), pos = EH_CHUNK_HEADER_SIZE;
	size_t n = 0;
	if (end > EH_CHUNK_SIZE)
		end = EH_CHUNK_SIZE;
	while (n < max && record_intact(chunk, pos, end)) {
		places[n].offset = pos;
		places[n].size = eh_record_size(chunk, pos);
		places[n].id = eh_record_id(chunk, pos);
		pos += places[n++].size;
	}
	return n;
}

/* libevtx_record_values_read_header: 1 a record header it takes, 0 a
 * zero-filled one, -1 one it refuses. */
static int libevtx_header(const uint8_t *chunk, uint32_t pos)
{
	if (pos >= EH_CHUNK_SIZE || EH_CHUNK_SIZE - pos < EH_RECORD_MIN_SIZE)
		return -1;
	bool zero = true;
	for (uint32_t i = 0; i < EH_RECORD_HEADER_SIZE && zero; i++)
		zero = chunk[pos + i] == 0;
	if (zero)
		return 0;
	uint32_t size = eh_record_size(chunk, pos);
	if (eh_record_magic(chunk, pos) != EH_RECORD_MAGIC || size < EH_RECORD_HEADER_SIZE ||
	    size > EH_CHUNK_SIZE - pos - EH_RECORD_COPY_SIZE || le32(chunk + pos + size - EH_RECORD_COPY_SIZE) != size)
		return -1;
	return 1;
}

size_t eh_chunk_recovery_places(const uint8_t *chunk, struct eh_record_place *places, size_t max)
{
	bool zero = true;
	for (uint32_t i = 0; i < EH_CHUNK_SIZE && zero; i++)
		zero = chunk[i] == 0;
	if (zero)
		return 0; /* libevtx reads nothing of an all-zero chunk */
	uint32_t pos = 0;
	if (memcmp(chunk + EH_CH_SIGNATURE, "ElfChnk", 8) == 0) {
		uint32_t last = le32(chunk + EH_CH_LAST_RECORD_OFFSET);
		for (pos = EH_CHUNK_HEADER_SIZE; pos <= last && libevtx_header(chunk, pos) == 1;)
			pos += eh_record_size(chunk, pos);
	}
	size_t n = 0;
	for (; pos < EH_CHUNK_SIZE; pos += 4) {
		if (EH_CHUNK_SIZE - pos < 4 || eh_record_magic(chunk, pos) != EH_RECORD_MAGIC || libevtx_header(chunk, pos) != 1)
			continue;
		uint32_t size = eh_record_size(chunk, pos), xml = pos + EH_RECORD_HEADER_SIZE;
		uint32_t xml_size = size > EH_RECORD_MIN_SIZE ? size - EH_RECORD_MIN_SIZE : 0;
		bool pi = xml_size >= 5 && chunk[xml] == EH_TOK_PI_TARGET;
		bool fragment = xml_size >= 4 && memcmp(chunk + xml, "\x0f\x01\x01\x00", 4) == 0;
		if (!pi && !fragment)
			continue;
		if (n < max)
			places[n] = (struct eh_record_place){ pos, size, eh_record_id(chunk, pos) };
		n++;
		pos += size - 4;
	}
	return n;
}

bool eh_chunk_record_templates_intact(const uint8_t *chunk, uint64_t record_id)
{
	bool found = false;
	for (uint32_t pos = EH_CHUNK_HEADER_SIZE; pos + EH_RECORD_MIN_SIZE <= EH_CHUNK_SIZE; pos += 8) {
		if (eh_record_magic(chunk, pos) != EH_RECORD_MAGIC || eh_record_id(chunk, pos) != record_id)
			continue;
		uint32_t size = eh_record_size(chunk, pos);
		if (size < EH_RECORD_MIN_SIZE || size > EH_CHUNK_SIZE - pos)
			continue;
		found = true;
		struct eh_bx_verdict v;
		if (eh_bx_check_record(chunk, pos, size, &eh_bx_default_limits, true, NULL, &v))
			return true;
	}
	return !found;
}

/* What one pass of eh_chunk_defuse has seen: the records let through
 * and all walked read nothing at or above these offsets. */
struct defuse_pass {
	uint32_t passed_reach, walked_reach;
	bool again; /* a zero was written below what a passed record read */
};

static bool defuse_check(uint8_t *chunk, uint32_t pos, uint32_t size, struct eh_bx_cache *cache,
			 struct defuse_pass *p, struct eh_bx_verdict *v)
{
	bool ok = eh_bx_check_record(chunk, pos, size, &eh_bx_default_limits, false, cache, v);
	if (v->reach > p->walked_reach)
		p->walked_reach = v->reach;
	if (ok && v->reach > p->passed_reach)
		p->passed_reach = v->reach;
	return ok;
}

/* Zeros are about to be written at AT: a record let through that read
 * them must be checked again, and costs learnt from them forgotten. */
static void defuse_write(struct defuse_pass *p, struct eh_bx_cache *cache, uint32_t at)
{
	if (at < p->passed_reach)
		p->again = true;
	if (at < p->walked_reach)
		eh_bx_cache_reset(cache);
}

/* One pass of eh_chunk_defuse: true when it must be run again. */
static bool defuse_pass(uint8_t *chunk, size_t *live, size_t *slack, struct eh_defused *out, size_t max,
			size_t *n, struct eh_bx_cache *cache)
{
	uint32_t end = eh_chunk_free_space(chunk), pos = EH_CHUNK_HEADER_SIZE;
	if (end > EH_CHUNK_SIZE)
		end = EH_CHUNK_SIZE;
	struct defuse_pass p = { 0, 0, false };
	struct eh_bx_verdict v;
	/* live records: along the chain, exactly where libevtx reads them */
	while (record_intact(chunk, pos, end)) {
		uint32_t size = eh_record_size(chunk, pos);
		if (chunk[pos + EH_REC_BINXML] != EH_TOK_END_OF_STREAM && !defuse_check(chunk, pos, size, cache, &p, &v)) {
			defuse_write(&p, cache, pos + EH_REC_BINXML);
			chunk[pos + EH_REC_BINXML] = EH_TOK_END_OF_STREAM; /* nothing to read */
			if (*n < max)
				out[(*n)++] = (struct eh_defused){ pos, false, v };
			(*live)++;
		}
		pos += size;
	}
	/* slack: wherever libevtx may carve a record, which is at any byte
	 * offset from where the chain of live records stops (fuzzing found an
	 * unaligned one that made it allocate 8 GiB for a value count) */
	for (; pos + EH_RECORD_MIN_SIZE <= EH_CHUNK_SIZE; pos++) {
		/* memchr for the '*', then the rest: slack holds few, and memmem
		 * set itself up again at each of them */
		const uint8_t *hit = memchr(chunk + pos, 0x2a, EH_CHUNK_SIZE - EH_RECORD_MIN_SIZE + 1 - pos);
		if (hit == NULL)
			break;
		pos = (uint32_t)(hit - chunk);
		if (eh_record_magic(chunk, pos) != EH_RECORD_MAGIC)
			continue;
		uint32_t size = eh_record_size(chunk, pos);
		if (size >= EH_RECORD_MIN_SIZE && size <= EH_CHUNK_SIZE - pos && !defuse_check(chunk, pos, size, cache, &p, &v)) {
			defuse_write(&p, cache, pos);
			put_le32(chunk + pos + EH_REC_SIGNATURE, 0);
			if (*n < max)
				out[(*n)++] = (struct eh_defused){ pos, true, v };
			(*slack)++;
		}
	}
	return p.again;
}

void eh_chunk_defuse(uint8_t *chunk, size_t *live, size_t *slack, struct eh_defused *out, size_t max)
{
	static _Thread_local struct eh_bx_cache cache;
	size_t n = 0;
	*live = *slack = 0;
	/* Defusing writes zeros into the chunk, where a record already let
	 * through may have read (a crafted chunk can point a template
	 * anywhere): then everything is checked again, until a pass writes
	 * nothing below what its passed records read. Each pass that goes on
	 * has zeroed a signature or a token, so this ends. */
	do
		eh_bx_cache_reset(&cache);
	while (defuse_pass(chunk, live, slack, out, max, &n, &cache));
}
