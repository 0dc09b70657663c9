/* Chunk source: find and check EVTX chunks by position. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evtxhunt/chunk.h"
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
static int _open_readonly(const char *path)
{
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
#ifdef O_NOATIME
	int fd = open(path, flags | O_NOATIME);
	if (fd >= 0 || errno != EPERM)
		return fd;
#endif
	return open(path, flags);
}

static bool _all_zero(const uint8_t *p, size_t len)
{
	return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

static const char *_file_kind(mode_t mode)
{
	return S_ISDIR(mode)    ? "is a directory"
	       : S_ISFIFO(mode) ? "not a regular file (a FIFO)"
	       : S_ISCHR(mode)  ? "not a regular file (a character device)"
	       : S_ISBLK(mode)  ? "not a regular file (a block device)"
	       : S_ISSOCK(mode) ? "not a regular file (a socket)"
				: "not a regular file";
}

static int _pread_full(int fd, uint8_t *buf, size_t len, uint64_t off, size_t *got)
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
	int fd = _open_readonly(path);
	if (fd < 0) {
		*cause = xasprintf("cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		*cause = xasprintf("cannot stat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) { /* a device could be endless, a FIFO read once */
		*cause = xstrdup(_file_kind(st.st_mode));
		goto fail;
	}
	if (_pread_full(fd, hdr, sizeof hdr, 0, &got) != 0) {
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
	if (got >= 128 && memcmp(hdr, file_magic, 8) == 0) {
		f->header.signature_ok = true;
		f->header.crc_ok = eh_crc32(0, hdr, 120) == le32(hdr + 124);
		f->header.minor = le16(hdr + 36);
		f->header.major = le16(hdr + 38);
		f->header.chunk_count = le16(hdr + 42);
		f->header.dirty = (le32(hdr + 120) & 1) != 0;
	}
	if (f->header.signature_ok)
		return f;

	/* A damaged file header does not hide the chunks behind it: accept
	 * the file if the first chunk position holds a chunk. */
	uint8_t magic[8];
	if (_pread_full(fd, magic, 8, EH_FILE_HEADER_SIZE, &got) == 0 && got == 8 &&
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

static uint32_t _header_crc(const uint8_t *chunk, const char *magic)
{
	uint32_t crc = eh_crc32(0, magic ? (const uint8_t *)magic : chunk, 8);
	crc = eh_crc32(crc, chunk + 8, 112);
	return eh_crc32(crc, chunk + 128, EH_CHUNK_HEADER_SIZE - 128);
}

static bool _holds_record_signature(const uint8_t *chunk)
{
	for (uint32_t pos = EH_CHUNK_HEADER_SIZE; pos + 24 <= EH_CHUNK_SIZE; pos += 8)
		if (le32(chunk + pos) == 0x00002a2au)
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
		if (_all_zero(chunk, EH_CHUNK_SIZE)) {
			info->state = EH_CHUNK_EMPTY;
			return;
		}
		if (_header_crc(chunk, chunk_magic) != le32(chunk + 124)) {
			info->state = EH_CHUNK_BAD_MAGIC;
			info->holds_records = _holds_record_signature(chunk);
			return;
		}
		info->signature_restored = true; /* the checksum vouches for the rest */
	}
	info->state = EH_CHUNK_OK;
	info->first_record_id = le64(chunk + 24);
	info->last_record_id = le64(chunk + 32);
	info->free_space_offset = le32(chunk + 48);
	info->header_crc_ok = _header_crc(chunk, chunk_magic) == le32(chunk + 124);
}

void eh_chunk_check_data(const uint8_t *chunk, struct eh_chunk_info *info)
{
	uint32_t end = info->free_space_offset;
	info->data_crc_ok = end >= EH_CHUNK_HEADER_SIZE && end <= EH_CHUNK_SIZE &&
			    eh_crc32(0, chunk + EH_CHUNK_HEADER_SIZE, end - EH_CHUNK_HEADER_SIZE) == le32(chunk + 52);
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
	if (_pread_full(f->fd, buf, EH_CHUNK_SIZE, info->offset, &got) != 0) {
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
	memcpy(hdr, file_magic, 8);
	put_le64(hdr + 8, 0);                  /* first chunk */
	put_le64(hdr + 16, 0);                 /* last chunk */
	put_le64(hdr + 24, last_record_id + 1); /* next record id */
	put_le32(hdr + 32, 128);               /* header size */
	put_le16(hdr + 36, 1);                 /* minor version */
	put_le16(hdr + 38, 3);                 /* major version */
	put_le16(hdr + 40, EH_FILE_HEADER_SIZE);
	put_le16(hdr + 42, 1);                 /* number of chunks */
	put_le32(hdr + 120, 0);                /* flags: clean */
	put_le32(hdr + 124, eh_crc32(0, hdr, 120));
}

#define RECORD_MAGIC 0x00002a2au
#define BINXML_VALUE 0x21 /* a substitution value that is binary XML itself */
#define RECORD_MIN_SIZE 28u /* header 24 + size copy 4 */

static bool _record_intact(const uint8_t *chunk, uint32_t pos, uint32_t end)
{
	if (pos + 24 > end || le32(chunk + pos) != RECORD_MAGIC)
		return false;
	uint32_t size = le32(chunk + pos + 4);
	return size >= RECORD_MIN_SIZE && size <= end - pos && le32(chunk + pos + size - 4) == size;
}

size_t eh_chunk_repair_framing(uint8_t *chunk, struct eh_framing_repair *out, size_t max)
{
	uint32_t end = le32(chunk + 48); /* free space offset */
	size_t n = 0;
	if (end < EH_CHUNK_HEADER_SIZE || end > EH_CHUNK_SIZE)
		return 0; /* no trustworthy end: leave the chunk as it is */
	uint32_t pos = EH_CHUNK_HEADER_SIZE;
	while (pos + 24 <= end) {
		if (_record_intact(chunk, pos, end)) {
			pos += le32(chunk + pos + 4);
			continue;
		}
		uint32_t size = le32(chunk + pos + 4);
		if (le32(chunk + pos) == RECORD_MAGIC && size >= RECORD_MIN_SIZE && size <= end - pos) {
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
			put_le32(chunk + pos + size - 4, size);
			pos += size;
			continue;
		}
		uint32_t next = pos + 1;
		while (next + 24 <= end && !_record_intact(chunk, next, end))
			next++;
		if (next + 24 > end)
			next = end;
		if (next - pos < RECORD_MIN_SIZE)
			break; /* too short to frame: the records end here */
		if (n < max) {
			out[n].offset = pos;
			out[n].span = next - pos;
			out[n].old_size = le32(chunk + pos + 4);
			out[n].bad_magic = le32(chunk + pos) != RECORD_MAGIC;
			out[n].bad_copy = false;
		}
		n++;
		put_le32(chunk + pos, RECORD_MAGIC);
		put_le32(chunk + pos + 4, next - pos);
		put_le32(chunk + next - 4, next - pos);
		pos = next;
	}
	return n;
}

uint64_t eh_chunk_record_id(const uint8_t *chunk, int index)
{
	uint32_t end = le32(chunk + 48), pos = EH_CHUNK_HEADER_SIZE;
	if (end > EH_CHUNK_SIZE)
		end = EH_CHUNK_SIZE;
	for (int i = 0; _record_intact(chunk, pos, end); i++) {
		if (i == index)
			return le64(chunk + pos + 8);
		pos += le32(chunk + pos + 4);
	}
	return 0;
}

size_t eh_chunk_records(const uint8_t *chunk, struct eh_record_place *places, size_t max)
{
	uint32_t end = le32(chunk + 48), pos = EH_CHUNK_HEADER_SIZE;
	size_t n = 0;
	if (end > EH_CHUNK_SIZE)
		end = EH_CHUNK_SIZE;
	while (n < max && _record_intact(chunk, pos, end)) {
		places[n].offset = pos;
		places[n].size = le32(chunk + pos + 4);
		places[n].id = le64(chunk + pos + 8);
		pos += places[n++].size;
	}
	return n;
}

/* Walks the template instance at B (a fragment header is optional) and
 * those nested in its binary XML values (which start without one): true
 * when every instance, its inline definition and its values stay within
 * END and the chunk, and, with CHECK_IDS, when each names a template whose
 * GUID starts with the instance's template id (measured: all 52,261
 * instances of the live records in the samples do). */
static bool _walk_instances(const uint8_t *chunk, uint64_t b, uint64_t end, int depth, bool check_ids)
{
	if (depth > 8)
		return false;
	if (b < end && chunk[b] == 0x0f)
		b += 4;
	if (b >= end || chunk[b] != 0x0c)
		return true; /* no template instance: libevtx or binxml.c decide */
	if (b + 10 > end)
		return false;
	uint64_t id = le32(chunk + b + 2), def = le32(chunk + b + 6), p = b + 10;
	if (def < EH_CHUNK_HEADER_SIZE || def > EH_CHUNK_SIZE - 24)
		return false;
	if (check_ids && le32(chunk + def + 4) != id)
		return false;
	if (def == p) { /* the definition follows inline: skip it */
		if (p + 24 > end)
			return false;
		p += 24 + (uint64_t)le32(chunk + p + 20);
	}
	if (p + 4 > end)
		return false;
	uint64_t count = le32(chunk + p);
	p += 4;
	if (count * 4 > end - p)
		return false;
	uint64_t values = p + count * 4, bytes = 0;
	for (uint64_t i = 0; i < count; i++)
		bytes += le16(chunk + p + 4 * i);
	if (bytes > end - values)
		return false;
	for (uint64_t i = 0, at = values; i < count; i++) {
		uint16_t size = le16(chunk + p + 4 * i);
		if (chunk[p + 4 * i + 2] == BINXML_VALUE && !_walk_instances(chunk, at, at + size, depth + 1, check_ids))
			return false;
		at += size;
	}
	return true;
}

bool eh_chunk_record_templates_intact(const uint8_t *chunk, uint64_t record_id)
{
	bool found = false;
	for (uint32_t pos = EH_CHUNK_HEADER_SIZE; pos + 28 <= EH_CHUNK_SIZE; pos += 8) {
		if (le32(chunk + pos) != RECORD_MAGIC || le64(chunk + pos + 8) != record_id)
			continue;
		uint32_t size = le32(chunk + pos + 4);
		if (size < RECORD_MIN_SIZE || size > EH_CHUNK_SIZE - pos)
			continue;
		found = true;
		if (_walk_instances(chunk, pos + 24, (uint64_t)pos + size - 4, 0, true))
			return true;
	}
	return !found;
}

/* Whether the template instances of the record at POS (SIZE bytes) stay
 * inside the record and the chunk. */
static bool _values_sane(const uint8_t *chunk, uint32_t pos, uint32_t size)
{
	return _walk_instances(chunk, pos + 24, (uint64_t)pos + size - 4, 0, false);
}

void eh_chunk_defuse(uint8_t *chunk, size_t *live, size_t *slack, uint32_t *live_at, size_t max)
{
	uint32_t end = le32(chunk + 48), pos = EH_CHUNK_HEADER_SIZE;
	if (end > EH_CHUNK_SIZE)
		end = EH_CHUNK_SIZE;
	*live = *slack = 0;
	/* live records: along the chain, exactly where libevtx reads them */
	while (_record_intact(chunk, pos, end)) {
		uint32_t size = le32(chunk + pos + 4);
		if (!_values_sane(chunk, pos, size)) {
			chunk[pos + 24] = 0x00; /* end of stream: nothing to read */
			if (*live < max)
				live_at[*live] = pos;
			(*live)++;
		}
		pos += size;
	}
	/* slack: wherever libevtx may carve a record, which is at any byte
	 * offset from where the chain of live records stops (fuzzing found an
	 * unaligned one that made it allocate 8 GiB for a value count) */
	static const uint8_t magic[4] = { 0x2a, 0x2a, 0x00, 0x00 };
	for (; pos + RECORD_MIN_SIZE <= EH_CHUNK_SIZE; pos++) {
		const uint8_t *hit = memmem(chunk + pos, EH_CHUNK_SIZE - pos, magic, sizeof magic);
		if (hit == NULL)
			break;
		pos = (uint32_t)(hit - chunk);
		if (pos + RECORD_MIN_SIZE > EH_CHUNK_SIZE)
			break;
		uint32_t size = le32(chunk + pos + 4);
		if (size >= RECORD_MIN_SIZE && size <= EH_CHUNK_SIZE - pos && !_values_sane(chunk, pos, size)) {
			put_le32(chunk + pos, 0);
			(*slack)++;
		}
	}
}
