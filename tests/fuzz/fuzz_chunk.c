/* libFuzzer harness for evtxhunt's own code on hostile chunks: inspection,
 * framing repair, the record walk, the template-less binary XML renderer
 * and the field mapper on what it renders. Not part of make check:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. -Iinclude \
 *     $(pkg-config --cflags libxml-2.0) tests/fuzz/fuzz_chunk.c src/chunk.c \
 *     src/binxml.c src/fieldmap.c src/event.c src/util.c \
 *     $(pkg-config --libs libxml-2.0) -o fuzz_chunk
 *   ./fuzz_chunk -max_total_time=300 testdata/logs (a corpus of chunks) */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "evtxhunt/binxml.h"
#include "evtxhunt/chunk.h"
#include "evtxhunt/fieldmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t chunk[EH_CHUNK_SIZE];
	static struct eh_record_place places[EH_CHUNK_SIZE / 28];
	static struct eh_fieldmap *fm;
	static struct eh_event ev;
	if (fm == NULL) {
		fm = eh_fieldmap_new();
		eh_event_init(&ev);
	}
	memset(chunk, 0, sizeof chunk);
	memcpy(chunk, data, size < sizeof chunk ? size : sizeof chunk);
	struct eh_chunk_info info;
	eh_chunk_inspect(chunk, EH_CHUNK_SIZE, &info);
	eh_chunk_check_data(chunk, &info);
	struct eh_framing_repair rep[16];
	eh_chunk_repair_framing(chunk, rep, 16);
	size_t n = eh_chunk_records(chunk, places, sizeof places / sizeof places[0]);
	struct buf xml;
	buf_init(&xml);
	for (size_t i = 0; i < n; i++) {
		char *cause = NULL;
		if (eh_binxml_render(chunk, places[i].offset, places[i].size, &xml, &cause) == 0) {
			if (eh_fieldmap_parse(fm, xml.data, xml.len, &ev, &cause) != 0)
				free(cause);
		} else {
			free(cause);
		}
	}
	buf_free(&xml);
	return 0;
}
