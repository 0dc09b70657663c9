/* What libevtx will make of a record, known before it sees it.
 *
 * libevtx's binary XML reader (libfwevt 20181227) has no bound on how much
 * one record can expand into: a binary-XML value that substitutes itself
 * recurses until the stack overflows, template instances nested in values
 * re-read their template once per substitution (K children, D levels: K^D
 * nodes), an element is read again for every entry of an array value it
 * substitutes, and every element may name one long name elsewhere in the
 * chunk. The check walks a record's binary XML the way libfwevt reads it,
 * following substitutions into binary-XML values and template instances,
 * and counts the nodes, bytes and nesting the read would produce, stopping
 * as soon as a limit is passed (so the check itself costs at most its
 * limits). Where libfwevt would give up on malformed input, the check
 * stops too: what libfwevt reads up to there was counted.
 *
 * The same limits bound evtxhunt's own renderer (binxml.c). */
#ifndef EVTXHUNT_BXCHECK_H
#define EVTXHUNT_BXCHECK_H

#include <stdbool.h>
#include <stdint.h>

struct eh_bx_limits {
	uint32_t depth;  /* nested elements, substitutions and instances */
	uint64_t nodes;  /* elements, attributes, values, as libfwevt makes them */
	uint64_t bytes;  /* names and values they hold, a measure of the XML text */
};

/* Chosen from the samples (see bxcheck.c for the figures). */
extern const struct eh_bx_limits eh_bx_default_limits;

struct eh_bx_verdict {
	bool refused;
	bool over_limit;    /* refused for what it expands into, not its shape */
	const char *reason; /* static text, when refused */
	uint32_t at;        /* chunk offset the reason is about */
	uint64_t nodes, bytes; /* counted (up to where the walk stopped) */
	uint32_t depth;        /* deepest nesting met */
	uint32_t reach;        /* the chunk offset below which all it read lies */
	bool libfwevt_fails;   /* not refused, but libfwevt gives up on its shape:
				* libevtx cannot read the record */
};

/* What the walk learnt about the templates of one chunk: most records of
 * a chunk share a few templates, and a template substituted with plain
 * values (no binary XML, no arrays, no nulls) costs the same each time
 * but for the values' sizes. Valid for one chunk's bytes as they are:
 * reset it when they change. */
#define EH_BX_CACHED_TEMPLATES 32
#define EH_BX_CACHED_SUBSTITUTIONS 96
struct eh_bx_template_cost {
	uint32_t def;        /* chunk offset of the definition; 0: free */
	uint32_t flags;
	uint32_t body_size;  /* bytes libfwevt reads of the body */
	uint32_t depth;      /* below the instance */
	uint64_t nodes, bytes; /* without the values' bytes */
	uint32_t substitutions;
	uint16_t index[EH_BX_CACHED_SUBSTITUTIONS];
};
struct eh_bx_cache {
	struct eh_bx_template_cost t[EH_BX_CACHED_TEMPLATES];
	uint32_t next; /* the slot to fill next, round robin */
};

void eh_bx_cache_reset(struct eh_bx_cache *cache);

/* Checks the record at chunk offset POS (SIZE bytes, header included) of
 * CHUNK (EH_CHUNK_SIZE bytes). Refuses, besides the limits, a template
 * instance whose definition lies outside the chunk or whose values run
 * past the record, and, with CHECK_IDS, one that names a template whose
 * GUID does not start with the instance's template id. CACHE (or NULL)
 * holds what earlier records of the same chunk bytes taught. Returns
 * !v->refused. */
bool eh_bx_check_record(const uint8_t *chunk, uint32_t pos, uint32_t size, const struct eh_bx_limits *lim,
			bool check_ids, struct eh_bx_cache *cache, struct eh_bx_verdict *v);

#endif
