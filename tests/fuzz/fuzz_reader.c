/* libFuzzer harness for the path through libevtx: framing repair, the
 * defuse step, then libevtx on every live and recovered record, the XML
 * rendering and the field mapper. It found a libevtx crash (values that
 * overrun their record: tests/fuzz/crash-libevtx-values-overrun) that
 * eh_chunk_defuse now keeps away from libevtx. Not part of make check:
 *   clang -g -O1 -fsanitize=fuzzer,address -I. -Iinclude \
 *     $(pkg-config --cflags libxml-2.0 libevtx libbfio) tests/fuzz/fuzz_reader.c \
 *     src/chunk.c src/reader.c src/fieldmap.c src/event.c src/util.c \
 *     $(pkg-config --libs libxml-2.0 libevtx libbfio) -o fuzz_reader
 *   ./fuzz_reader -detect_leaks=0 -max_total_time=300 CORPUS
 * (-detect_leaks=0: libevtx leaks ~384 bytes when a chunk fails to open.) */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evtxhunt/chunk.h"
#include "evtxhunt/fieldmap.h"
#include "evtxhunt/reader.h"
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t chunk[EH_CHUNK_SIZE];
	static struct eh_reader *r;
	static struct eh_fieldmap *fm;
	static struct eh_event ev;
	if (r == NULL) { r = eh_reader_new(); fm = eh_fieldmap_new(); eh_event_init(&ev); }
	memset(chunk, 0, sizeof chunk);
	memcpy(chunk, data, size < sizeof chunk ? size : sizeof chunk);
	struct eh_framing_repair rep[16];
	eh_chunk_repair_framing(chunk, rep, 16);
	size_t a, b2; uint32_t at[16];
	eh_chunk_defuse(chunk, &a, &b2, at, 16);
	char *cause = NULL;
	if (eh_reader_open_chunk(r, chunk, &cause) != 0) { free(cause); return 0; }
	for (int rec = 0; rec < 2; rec++) {
		int n = rec ? eh_reader_recovered_count(r) : eh_reader_live_count(r);
		for (int i = 0; i < n && i < 50; i++) {
			struct eh_record er; const char *xml; size_t len;
			if (eh_reader_load(r, i, rec, &er, &cause) != 0) { free(cause); continue; }
			if (eh_reader_xml(r, &xml, &len, &cause) != 0) { free(cause); continue; }
			if (eh_fieldmap_parse(fm, xml, len, &ev, &cause) != 0) free(cause);
		}
	}
	eh_reader_close_chunk(r);
	return 0;
}
