/* Record reader over the committed fixtures (written by evtxgen). */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/chunk.h"
#include "evtxhunt/reader.h"

static struct eh_evtx_file *open_fixture(const char *name)
{
	const char *dir = getenv("TESTDATA");
	cr_assert_not_null(dir, "TESTDATA is set by make check");
	char path[4096];
	snprintf(path, sizeof path, "%s/logs/%s", dir, name);
	char *cause = NULL;
	struct eh_evtx_file *f = eh_evtx_open(path, &cause);
	cr_assert_not_null(f, "%s: %s", path, cause ? cause : "");
	return f;
}

Test(reader, reads_every_record_of_every_chunk)
{
	struct eh_evtx_file *f = open_fixture("mixed.evtx");
	struct eh_reader *r = eh_reader_new();
	uint8_t *chunk = malloc(EH_CHUNK_SIZE);
	uint64_t records = 0, expected_id = 1;
	for (uint64_t i = 0; i < eh_evtx_chunk_slots(f); i++) {
		struct eh_chunk_info info;
		char *cause = NULL;
		eh_evtx_read_chunk(f, i, chunk, &info, &cause);
		cr_assert_eq(info.state, EH_CHUNK_OK);
		eh_chunk_check_data(chunk, &info);
		cr_assert(info.header_crc_ok && info.data_crc_ok);
		cr_assert_eq(eh_reader_open_chunk(r, chunk, &cause), 0);
		for (int k = 0; k < eh_reader_live_count(r); k++) {
			struct eh_record rec;
			cr_assert_eq(eh_reader_load(r, k, false, &rec, &cause), 0);
			cr_assert_eq(rec.record_id, expected_id++, "records in order");
			cr_assert_str_eq(rec.provider, "Microsoft-Windows-Sysmon");
			cr_assert_eq(rec.event_id, 1);
			records++;
		}
		eh_reader_close_chunk(r);
	}
	cr_assert_eq(records, 1807);
	free(chunk);
	eh_reader_free(r);
	eh_evtx_close(f);
}

Test(reader, renders_xml_with_the_values)
{
	struct eh_evtx_file *f = open_fixture("mixed.evtx");
	struct eh_reader *r = eh_reader_new();
	uint8_t *chunk = malloc(EH_CHUNK_SIZE);
	struct eh_chunk_info info;
	char *cause = NULL;
	eh_evtx_read_chunk(f, 0, chunk, &info, &cause);
	cr_assert_eq(eh_reader_open_chunk(r, chunk, &cause), 0);
	struct eh_record rec;
	cr_assert_eq(eh_reader_load(r, 0, false, &rec, &cause), 0);
	const char *xml;
	size_t len;
	cr_assert_eq(eh_reader_xml(r, &xml, &len, &cause), 0);
	cr_assert_eq(strlen(xml), len);
	cr_assert(strstr(xml, "regsvr32.exe /s C:\\ProgramData\\drop1.dll") != NULL, "%s", xml);
	cr_assert(strstr(xml, "<Computer>HOST-0</Computer>") != NULL);
	free(chunk);
	eh_reader_free(r);
	eh_evtx_close(f);
}

Test(reader, a_garbage_record_fails_alone)
{
	struct eh_evtx_file *f = open_fixture("damaged_record_garbage.evtx");
	struct eh_reader *r = eh_reader_new();
	uint8_t *chunk = malloc(EH_CHUNK_SIZE);
	int failed = 0, read = 0;
	for (uint64_t i = 0; i < eh_evtx_chunk_slots(f); i++) {
		struct eh_chunk_info info;
		char *cause = NULL;
		eh_evtx_read_chunk(f, i, chunk, &info, &cause);
		cr_assert_eq(eh_reader_open_chunk(r, chunk, &cause), 0);
		for (int k = 0; k < eh_reader_live_count(r); k++) {
			struct eh_record rec;
			if (eh_reader_load(r, k, false, &rec, &cause) != 0) {
				cr_assert_eq(eh_chunk_record_id(chunk, k), 605);
				free(cause);
				failed++;
			} else {
				read++;
			}
		}
	}
	cr_assert_eq(failed, 1);
	cr_assert_eq(read, 1806);
	free(chunk);
	eh_reader_free(r);
	eh_evtx_close(f);
}

/* Characters beyond the BMP come through as written (libevtx 20181227
 * shifts them; the reader undoes it). The fixture holds U+1F600. */
Test(reader, supplementary_characters_survive)
{
	struct eh_evtx_file *f = open_fixture("hostile_values.evtx");
	struct eh_reader *r = eh_reader_new();
	uint8_t *chunk = malloc(EH_CHUNK_SIZE);
	struct eh_chunk_info info;
	char *cause = NULL;
	bool found = false;
	for (uint64_t i = 0; i < eh_evtx_chunk_slots(f) && !found; i++) {
		eh_evtx_read_chunk(f, i, chunk, &info, &cause);
		cr_assert_eq(eh_reader_open_chunk(r, chunk, &cause), 0);
		for (int k = 0; k < eh_reader_live_count(r); k++) {
			struct eh_record rec;
			const char *xml;
			size_t len;
			cr_assert_eq(eh_reader_load(r, k, false, &rec, &cause), 0);
			cr_assert_eq(eh_reader_xml(r, &xml, &len, &cause), 0);
			if (strstr(xml, "C:\\x\\\xf0\x9f\x98\x80\\"))
				found = true;
			cr_assert_null(strstr(xml, "\xf0\x9f\x88\x81"), "U+1F201: libevtx's shift leaked");
		}
	}
	cr_assert(found, "U+1F600 not found in the rendered XML");
	free(chunk);
	eh_reader_free(r);
	eh_evtx_close(f);
}
