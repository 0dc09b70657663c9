/* How far real records go in what bxcheck.c counts: for every live record
 * and every carving candidate (a record signature anywhere in a chunk) of
 * the logs named, the deepest nesting, the most nodes and bytes, and how
 * many the default limits refuse. The limits in bxcheck.c come from its
 * run over ../shared/samples:
 *   make bench/bxcheck_stats && find ../shared/samples -name '*.evtx' -print0 |
 *     xargs -0 bench/bxcheck_stats */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "evtxhunt/bxcheck.h"
#include "evtxhunt/chunk.h"

struct most {
	uint64_t records, refused, refused_unbounded, cache_differs;
	uint64_t nodes, bytes;
	uint32_t depth;
};

static struct eh_bx_cache cache;

static void note(struct most *m, const uint8_t *chunk, uint32_t pos, uint32_t size, const char *path, uint64_t ci)
{
	static const struct eh_bx_limits unbounded = { 10000, UINT64_MAX / 2, UINT64_MAX / 2 };
	struct eh_bx_verdict v;
	m->records++;
	if (!eh_bx_check_record(chunk, pos, size, &unbounded, false, NULL, &v))
		m->refused_unbounded++; /* refused for its shape, not its size */
	if (v.nodes > m->nodes)
		m->nodes = v.nodes;
	if (v.bytes > m->bytes)
		m->bytes = v.bytes;
	if (v.depth > m->depth)
		m->depth = v.depth;
	/* what the template cache says must be what a full walk says */
	struct eh_bx_verdict cached;
	eh_bx_check_record(chunk, pos, size, &eh_bx_default_limits, false, &cache, &cached);
	if (!eh_bx_check_record(chunk, pos, size, &eh_bx_default_limits, false, NULL, &v) != cached.refused ||
	    cached.nodes != v.nodes || cached.bytes != v.bytes || cached.depth != v.depth) {
		m->cache_differs++;
		printf("cache differs: %s chunk %" PRIu64 " offset %" PRIu32 ": %d/%d %lu/%lu nodes %lu/%lu bytes %u/%u depth\n", path, ci, pos, cached.refused, v.refused, (unsigned long)cached.nodes, (unsigned long)v.nodes, (unsigned long)cached.bytes, (unsigned long)v.bytes, cached.depth, v.depth);
	}
	if (v.refused) {
		m->refused++;
		printf("refused: %s chunk %" PRIu64 " offset %" PRIu32 ": %s\n", path, ci, pos, v.reason);
	}
}

int main(int argc, char **argv)
{
	struct most live = { 0 }, slack = { 0 };
	static uint8_t chunk[EH_CHUNK_SIZE];
	for (int a = 1; a < argc; a++) {
		char *cause = NULL;
		struct eh_evtx_file *f = eh_evtx_open(argv[a], &cause);
		if (f == NULL) {
			free(cause);
			continue;
		}
		for (uint64_t i = 0; i < eh_evtx_chunk_slots(f); i++) {
			struct eh_chunk_info info;
			eh_evtx_read_chunk(f, i, chunk, &info, &cause);
			free(cause);
			cause = NULL;
			if (info.state != EH_CHUNK_OK)
				continue;
			eh_bx_cache_reset(&cache);
			struct eh_record_place places[2048];
			size_t n = eh_chunk_records(chunk, places, 2048);
			uint32_t end = EH_CHUNK_HEADER_SIZE;
			for (size_t r = 0; r < n; r++) {
				note(&live, chunk, places[r].offset, places[r].size, argv[a], i);
				end = places[r].offset + places[r].size;
			}
			for (uint32_t pos = end; pos + EH_RECORD_MIN_SIZE <= EH_CHUNK_SIZE; pos++) {
				uint32_t size = eh_record_size(chunk, pos);
				if (eh_record_magic(chunk, pos) == EH_RECORD_MAGIC && size >= EH_RECORD_MIN_SIZE &&
				    size <= EH_CHUNK_SIZE - pos)
					note(&slack, chunk, pos, size, argv[a], i);
			}
		}
		eh_evtx_close(f);
	}
	const struct most *m[2] = { &live, &slack };
	for (int k = 0; k < 2; k++)
		printf("%s: %" PRIu64 " records; most: depth %" PRIu32 ", %" PRIu64 " nodes, %" PRIu64
		       " bytes; refused by the limits %" PRIu64 ", for their shape %" PRIu64
		       "; the template cache differs on %" PRIu64 "\n",
		       k ? "slack" : "live", m[k]->records, m[k]->depth, m[k]->nodes, m[k]->bytes, m[k]->refused,
		       m[k]->refused_unbounded, m[k]->cache_differs);
	return 0;
}
