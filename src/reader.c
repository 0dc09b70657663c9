/* Record reader: libevtx over a one-chunk memory file. */
#include "config.h"

#include <libbfio.h>
#include <libevtx.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/chunk.h"
#include "evtxhunt/reader.h"
#include "evtxhunt/supervise.h"
#include "evtxhunt/util.h"

struct eh_reader {
	uint8_t *image; /* file header + one chunk */
	bool shifted_supplementary; /* this libevtx has the surrogate bug */
	libbfio_handle_t *io;
	libevtx_file_t *file;
	libevtx_record_t *record;
	int live, recovered;
	int loaded_index; /* of the record loaded, for the watch */
	bool loaded_recovered;
	struct eh_watch_slot *watch; /* isolation: what this thread has in libevtx; NULL: none */
	char provider[256];
	struct buf xml;
};

/* libevtx's error chain, one line, the innermost reason last. */
static char *reader_cause(libevtx_error_t *error, const char *what)
{
	char text[2048] = "";
	if (error != NULL) {
		libevtx_error_sprint(error, text, sizeof text);
		libevtx_error_free(&error);
	}
	for (char *p = text; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	size_t n = strlen(text);
	while (n && (text[n - 1] == ' ' || text[n - 1] == '.'))
		text[--n] = '\0';
	/* "libevtx_file_get_record_by_index: unable to ...: 15": keep the reason */
	char *reason = text;
	if (strncmp(reason, "libevtx_", 8) == 0 && strstr(reason, ": "))
		reason = strstr(reason, ": ") + 2;
	char *colon = strrchr(reason, ':');
	if (colon && colon[1] == ' ' && strspn(colon + 2, "0123456789") == strlen(colon + 2))
		*colon = '\0';
	return *reason ? xasprintf("%s (%s)", what, reason) : xstrdup(what);
}

/* libevtx 20181227 (Debian 12's) decodes a UTF-16 surrogate pair to the
 * code point 0x3FF too low: U+1F600 comes out as U+1F201 (python-evtx and
 * the raw bytes agree on U+1F600). Where the result is still beyond the
 * BMP, that is undone here; U+10000..U+103FE land inside the BMP, where
 * they cannot be told from real characters, and are left as they are. */
#define SURROGATE_SHIFT 0x3FF

static void unshift_supplementary(char *s, size_t len)
{
	unsigned char *p = (unsigned char *)s;
	for (size_t i = 0; i + 3 < len; i++) {
		if (p[i] < 0xf0 || p[i] > 0xf4)
			continue;
		if ((p[i + 1] & 0xc0) != 0x80 || (p[i + 2] & 0xc0) != 0x80 || (p[i + 3] & 0xc0) != 0x80)
			continue;
		uint32_t cp = (uint32_t)(p[i] & 0x07) << 18 | (uint32_t)(p[i + 1] & 0x3f) << 12 |
			      (uint32_t)(p[i + 2] & 0x3f) << 6 | (p[i + 3] & 0x3f);
		if (cp < 0x10000 || cp + SURROGATE_SHIFT > 0x10ffff)
			continue;
		cp += SURROGATE_SHIFT;
		p[i] = (unsigned char)(0xf0 | cp >> 18);
		p[i + 1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		p[i + 2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		p[i + 3] = (unsigned char)(0x80 | (cp & 0x3f));
		i += 3;
	}
}

struct eh_reader *eh_reader_new(void)
{
	struct eh_reader *r = xcalloc(1, sizeof *r);
	r->shifted_supplementary = strcmp(libevtx_get_version(), "20181227") == 0;
	r->image = xmalloc(EH_FILE_HEADER_SIZE + EH_CHUNK_SIZE);
	buf_init(&r->xml);
	buf_reserve(&r->xml, 16384);
	return r;
}

void eh_reader_free(struct eh_reader *r)
{
	if (r == NULL)
		return;
	eh_reader_close_chunk(r);
	buf_free(&r->xml);
	free(r->image);
	free(r);
}

void eh_reader_close_chunk(struct eh_reader *r)
{
	/* freeing walks what parsing built: a crash here is the chunk's */
	if (r->record || r->file)
		eh_watch_enter(r->watch, EH_WATCH_OPEN, -1, false);
	if (r->record)
		libevtx_record_free(&r->record, NULL);
	if (r->file) {
		libevtx_file_close(r->file, NULL);
		libevtx_file_free(&r->file, NULL);
	}
	eh_watch_leave(r->watch);
	if (r->io)
		libbfio_handle_free(&r->io, NULL);
	r->live = r->recovered = 0;
}

void eh_reader_set_watch(struct eh_reader *r, struct eh_watch_slot *slot)
{
	r->watch = slot;
}

int eh_reader_open_chunk(struct eh_reader *r, const uint8_t *chunk, char **cause)
{
	libevtx_error_t *error = NULL;
	eh_reader_close_chunk(r);
	eh_make_one_chunk_header(r->image, eh_chunk_last_record_id(chunk));
	memcpy(r->image + EH_FILE_HEADER_SIZE, chunk, EH_CHUNK_SIZE);
	if (libbfio_memory_range_initialize(&r->io, NULL) != 1 ||
	    libbfio_memory_range_set(r->io, r->image, EH_FILE_HEADER_SIZE + EH_CHUNK_SIZE, NULL) != 1) {
		*cause = xstrdup("cannot set up a libbfio memory range");
		goto fail;
	}
	if (libevtx_file_initialize(&r->file, NULL) != 1) {
		*cause = xstrdup("cannot initialise libevtx");
		goto fail;
	}
	/* opening reads the chunk's records and scans its slack */
	eh_watch_enter(r->watch, EH_WATCH_OPEN, -1, false);
	if (libevtx_file_open_file_io_handle(r->file, r->io, LIBEVTX_OPEN_READ, &error) != 1) {
		eh_watch_leave(r->watch);
		*cause = reader_cause(error, "libevtx cannot open the chunk");
		libevtx_file_free(&r->file, NULL);
		goto fail;
	}
	if (libevtx_file_get_number_of_records(r->file, &r->live, NULL) != 1)
		r->live = 0;
	if (libevtx_file_get_number_of_recovered_records(r->file, &r->recovered, NULL) != 1)
		r->recovered = 0;
	eh_watch_leave(r->watch);
	return 0;
fail:
	eh_reader_close_chunk(r);
	return -1;
}

int eh_reader_live_count(const struct eh_reader *r)
{
	return r->live;
}

int eh_reader_recovered_count(const struct eh_reader *r)
{
	return r->recovered;
}

int eh_reader_load(struct eh_reader *r, int index, bool recovered, struct eh_record *rec, char **cause)
{
	libevtx_error_t *error = NULL;
	int ok;
	/* the record's binary XML is parsed here and, lazily, by the getters below */
	eh_watch_enter(r->watch, EH_WATCH_PARSE, index, recovered);
	r->loaded_index = index;
	r->loaded_recovered = recovered;
	if (r->record)
		libevtx_record_free(&r->record, NULL);
	if (recovered)
		ok = libevtx_file_get_recovered_record_by_index(r->file, index, &r->record, &error);
	else
		ok = libevtx_file_get_record_by_index(r->file, index, &r->record, &error);
	if (ok != 1) {
		eh_watch_leave(r->watch);
		r->record = NULL;
		*cause = reader_cause(error, "libevtx cannot parse it");
		return -1;
	}
	memset(rec, 0, sizeof *rec);
	rec->recovered = recovered;
	libevtx_record_get_identifier(r->record, &rec->record_id, NULL);
	libevtx_record_get_event_identifier(r->record, &rec->event_id, NULL);
	libevtx_record_get_written_time(r->record, &rec->written_time, NULL);
	r->provider[0] = '\0';
	if (libevtx_record_get_utf8_source_name(r->record, (uint8_t *)r->provider, sizeof r->provider, NULL) != 1)
		r->provider[0] = '\0';
	rec->provider = r->provider;
	if (r->watch) /* now known for sure, also of a carved record */
		r->watch->record_id = rec->record_id;
	eh_watch_leave(r->watch);
	return 0;
}

/* The loaded record's XML into the reusable buffer: straight in, asking
 * for the size only when it is too small, because the size call renders
 * the string again. Returns 0, or -1 with *error. */
static int reader_render(struct eh_reader *r, libevtx_error_t **error)
{
	if (libevtx_record_get_utf8_xml_string(r->record, (uint8_t *)r->xml.data, r->xml.cap, NULL) == 1)
		return 0;
	size_t size = 0;
	if (libevtx_record_get_utf8_xml_string_size(r->record, &size, error) != 1 || size == 0)
		return -1;
	buf_reserve(&r->xml, size);
	return libevtx_record_get_utf8_xml_string(r->record, (uint8_t *)r->xml.data, r->xml.cap, error) == 1 ? 0 : -1;
}

int eh_reader_xml(struct eh_reader *r, const char **xml, size_t *len, char **cause)
{
	libevtx_error_t *error = NULL;
	eh_watch_enter(r->watch, EH_WATCH_RENDER, r->loaded_index, r->loaded_recovered);
	int ok = reader_render(r, &error);
	eh_watch_leave(r->watch);
	if (ok != 0) {
		*cause = reader_cause(error, "libevtx cannot render the record as XML");
		return -1;
	}
	r->xml.data[r->xml.cap - 1] = '\0';
	r->xml.len = strlen(r->xml.data);
	if (r->shifted_supplementary)
		unshift_supplementary(r->xml.data, r->xml.len);
	*xml = r->xml.data;
	*len = r->xml.len;
	return 0;
}
