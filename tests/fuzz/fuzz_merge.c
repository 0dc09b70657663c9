/* libFuzzer target: JSON Lines through the --merge reader (merge.c), the
 * timeline and every output format. Shard outputs are files like any
 * other: one that was cut, edited or forged must not crash the merge.
 *
 * Built by configure --enable-fuzzing; replayed on every kept crasher by
 * make check (tests/fuzz/replay.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/merge.h"
#include "evtxhunt/output.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	if (sink == NULL)
		sink = fopen("/dev/null", "w");
	struct eh_timeline tl;
	eh_timeline_init(&tl, 0);
	struct eh_merger *m = eh_merger_new();
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		const char *err;
		size_t column;
		eh_merge_line(m, p, len, &tl, &err, &column);
		p += len;
	}
	for (int format = EH_FORMAT_TABLE; format <= EH_FORMAT_JSONL; format++) {
		struct eh_output_options opt = { (enum eh_format)format, false, 80 };
		eh_output_timeline(sink, &opt, &tl);
	}
	eh_timeline_release(&tl);
	eh_merger_free(m);
	return 0;
}
