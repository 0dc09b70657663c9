/* Isolation's child side: the reader marks its watch slot around libevtx
 * calls, and the quarantine finds what it holds and nothing else. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/chunk.h"
#include "evtxhunt/reader.h"
#include "evtxhunt/supervise.h"

Test(supervise, reader_marks_its_slot_and_leaves_it_idle)
{
	const char *dir = getenv("TESTDATA");
	cr_assert_not_null(dir, "TESTDATA is set by make check");
	char path[4096], *cause = NULL;
	snprintf(path, sizeof path, "%s/logs/security_4688.evtx", dir);
	struct eh_evtx_file *f = eh_evtx_open(path, &cause);
	cr_assert_not_null(f, "%s: %s", path, cause ? cause : "");
	uint8_t *chunk = malloc(EH_CHUNK_SIZE);
	struct eh_chunk_info info;
	eh_evtx_read_chunk(f, 0, chunk, &info, &cause);
	struct eh_watch_slot slot;
	memset(&slot, 0, sizeof slot);
	struct eh_reader *r = eh_reader_new();
	eh_reader_set_watch(r, &slot);
	eh_watch_set_chunk(&slot, "security_4688.evtx", 0);
	cr_assert_eq(eh_reader_open_chunk(r, chunk, &cause), 0);
	cr_assert_eq(slot.phase, EH_WATCH_IDLE, "idle after opening");
	cr_assert_eq(slot.index, -1, "opening is the chunk's");
	uint64_t before = slot.seq;
	struct eh_record rec;
	cr_assert_eq(eh_reader_load(r, 1, false, &rec, &cause), 0);
	cr_assert_eq(slot.phase, EH_WATCH_IDLE, "idle after loading");
	cr_assert_eq(slot.seq, before + 1, "one call marked");
	cr_assert_eq(slot.index, 1);
	cr_assert(!slot.recovered);
	cr_assert_eq(slot.record_id, 9002, "the record id, once parsed");
	const char *xml;
	size_t len;
	cr_assert_eq(eh_reader_xml(r, &xml, &len, &cause), 0);
	cr_assert_eq(slot.seq, before + 2, "rendering marked too");
	cr_assert_eq(slot.index, 1, "rendering is the loaded record's");
	cr_assert_str_eq(slot.file, "security_4688.evtx");
	eh_reader_free(r);
	free(chunk);
	eh_evtx_close(f);
}

Test(supervise, quarantine_finds_only_what_it_holds)
{
	struct eh_quarantined items[] = {
		{ "a.evtx", 3, 7, false, 1205, "libevtx crashed on it (SIGSEGV) in an earlier attempt" },
		{ "a.evtx", 4, -1, false, 0, "libevtx took over 5 s on it in an earlier attempt" },
	};
	struct eh_quarantine q = { items, 2 };
	cr_assert_eq(eh_quarantine_find(&q, "a.evtx", 3, 7, false), &items[0]);
	cr_assert_eq(eh_quarantine_find(&q, "a.evtx", 4, -1, false), &items[1], "a whole chunk");
	cr_assert_null(eh_quarantine_find(&q, "a.evtx", 3, 7, true), "the carved list is another list");
	cr_assert_null(eh_quarantine_find(&q, "b.evtx", 3, 7, false), "another file");
	cr_assert_null(eh_quarantine_find(&q, "a.evtx", 3, 8, false), "another record");
	cr_assert_null(eh_quarantine_find(&q, "a.evtx", 4, 0, false), "a record of a quarantined chunk is not itself");
	cr_assert_null(eh_quarantine_find(NULL, "a.evtx", 3, 7, false), "no quarantine: nothing");
}
