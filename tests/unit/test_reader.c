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

/* evtxhunt finds libevtx's carving candidates where libevtx finds them:
 * as many, in its order (the record id of each), in every chunk of every
 * fixture log (a chunk without its signature is carved whole), and in a
 * chunk whose last records were moved into slack, at offsets 8 apart from
 * where libevtx's walk of the live records stops. */
static void same_candidates(struct eh_reader *r, const uint8_t *chunk, const char *what, size_t *total)
{
	static struct eh_record_place places[EH_CHUNK_SIZE / EH_RECORD_MIN_SIZE];
	char *cause = NULL;
	size_t n = eh_chunk_recovery_places(chunk, places, sizeof places / sizeof *places);
	if (eh_reader_open_chunk(r, chunk, &cause) != 0) {
		free(cause);
		return;
	}
	cr_assert_eq(n, (size_t)eh_reader_recovered_count(r), "%s: %zu candidates, libevtx has %d", what, n,
		     eh_reader_recovered_count(r));
	for (size_t i = 0; i < n; i++) {
		struct eh_record rec;
		if (eh_reader_load(r, (int)i, true, &rec, &cause) != 0) {
			free(cause);
			continue;
		}
		cr_assert_eq(rec.record_id, places[i].id, "%s: candidate %zu", what, i);
	}
	*total += n;
	eh_reader_close_chunk(r);
}

Test(reader, carving_candidates_as_libevtx_finds_them)
{
	static const char *const logs[] = { "mixed.evtx", "damaged_chunk_header.evtx", "damaged_chunk_magic.evtx",
					    "damaged_record_garbage.evtx", "damaged_template_record.evtx",
					    "damaged_record_size.evtx", "truncated.evtx", "hostile_values.evtx" };
	struct eh_reader *r = eh_reader_new();
	uint8_t *chunk = malloc(EH_CHUNK_SIZE);
	size_t total = 0;
	for (size_t l = 0; l < sizeof logs / sizeof *logs; l++) {
		struct eh_evtx_file *f = open_fixture(logs[l]);
		for (uint64_t i = 0; i < eh_evtx_chunk_slots(f); i++) {
			struct eh_chunk_info info;
			char *cause = NULL;
			eh_evtx_read_chunk(f, i, chunk, &info, &cause);
			free(cause);
			char what[128];
			snprintf(what, sizeof what, "%s chunk %llu", logs[l], (unsigned long long)i);
			same_candidates(r, chunk, what, &total);
		}
		eh_evtx_close(f);
	}
	cr_assert_gt(total, 100, "the carved chunk's records are candidates (%zu)", total);

	/* the last three records of mixed.evtx's first chunk, moved into slack */
	struct eh_evtx_file *f = open_fixture("mixed.evtx");
	struct eh_chunk_info info;
	char *cause = NULL;
	eh_evtx_read_chunk(f, 0, chunk, &info, &cause);
	eh_evtx_close(f);
	static struct eh_record_place live[EH_CHUNK_SIZE / EH_RECORD_MIN_SIZE];
	size_t n = eh_chunk_records(chunk, live, sizeof live / sizeof *live);
	cr_assert_gt(n, 4);
	chunk[EH_CH_LAST_RECORD_OFFSET] = (uint8_t)live[n - 4].offset;
	chunk[EH_CH_LAST_RECORD_OFFSET + 1] = (uint8_t)(live[n - 4].offset >> 8);
	eh_chunk_set_free_space(chunk, live[n - 3].offset);
	static struct eh_record_place carved[EH_CHUNK_SIZE / EH_RECORD_MIN_SIZE];
	size_t k = eh_chunk_recovery_places(chunk, carved, sizeof carved / sizeof *carved);
	cr_assert_eq(k, 3);
	for (size_t i = 0; i < 3; i++)
		cr_assert_eq(carved[i].offset, live[n - 3 + i].offset);
	total = 0;
	same_candidates(r, chunk, "mixed.evtx chunk 0, three records in slack", &total);
	cr_assert_eq(total, 3);
	free(chunk);
	eh_reader_free(r);
}
