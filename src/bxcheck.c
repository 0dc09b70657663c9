/* What libevtx will make of a record (see bxcheck.h).
 *
 * Each walk_* function mirrors one libfwevt_xml_document_read_* function
 * of libevtx 20181227: the same tokens, the same offsets, the same checks
 * that make libfwevt give up. Where libfwevt gives up, the walk stops and
 * the record is let through: libfwevt fails on it after doing what was
 * counted. Where this file is not sure libfwevt gives up, it goes on
 * counting, so that it can only overestimate what libfwevt does. */
#include "config.h"

#include <string.h>

#include "evtxhunt/bxcheck.h"
#include "evtxhunt/chunk.h"
#include "evtxhunt/evtx_format.h"
#include "evtxhunt/util.h"

/* Measured over the 300 logs of ../shared/samples (2026-12-02, with
 * bench/bxcheck_stats): 26,647 live records, at most 11 levels, 708 nodes
 * and 23.5 KB of names and values; 13,394 carving candidates, at most 7
 * levels, 175 nodes and 1.07 MB. The limits leave a wide margin and keep
 * one record's parse, at about 1.2 KB of libfwevt memory per node (810,000
 * nodes took 1 GB), under 50 MB. */
const struct eh_bx_limits eh_bx_default_limits = {
	.depth = 96,
	.nodes = 40000,
	.bytes = 16u << 20,
};

/* libfwevt's read flag that says elements carry a dependency id; libevtx
 * sets it (and "data offsets", always on here) for a record, and
 * libfwevt clears it for an element held in a binary-XML value. */
enum { WITH_DEPENDENCY_IDS = 1 };

/* Value slots of the template instances being read at once. An instance
 * nested in a value lies inside its parent's values, so one record (64 KiB
 * at most, 4 bytes a value) cannot need more. */
#define VALUE_SLOTS (EH_CHUNK_SIZE / EH_TV_DESCRIPTOR_SIZE)

struct value_slot {
	uint32_t at;      /* chunk offset of the value */
	uint32_t entries; /* of an array value, plus one; 0 until counted */
};

struct values {
	uint32_t count;
	const uint8_t *desc;     /* COUNT descriptors: u16 size, u8 type, u8 */
	struct value_slot *slot; /* COUNT */
};

enum walk_state { GOING, STOPPED, REFUSED };

struct walk {
	const uint8_t *chunk;
	const struct eh_bx_limits *lim;
	uint32_t record_end;
	bool check_ids;
	uint32_t depth;
	enum walk_state state;
	struct eh_bx_verdict *v;
	struct eh_bx_cache *cache;
	/* while a record's outer template body is walked: whether every value
	 * it substitutes is plain, and which */
	struct {
		bool active, plain;
		uint32_t n;
		uint16_t index[EH_BX_CACHED_SUBSTITUTIONS];
		uint64_t value_bytes;
	} rec;
	uint32_t slots_used;
	struct value_slot slots[VALUE_SLOTS];
};

/* Array values substituted in one element's content, or one attribute's:
 * libfwevt reads the element again for each entry (one offset into the
 * arrays, shared by every substitution of the element). */
struct arrays {
	uint32_t count;   /* array substitutions met in one read */
	uint64_t entries; /* of the only one, exactly */
	uint64_t bound;   /* of several: the fewest entries any could give */
};

static bool going(const struct walk *w)
{
	return w->state == GOING;
}

/* libfwevt gives up here. */
static void stop(struct walk *w)
{
	if (w->state == GOING)
		w->state = STOPPED;
}

static void refuse(struct walk *w, const char *reason, uint32_t at)
{
	if (w->state == REFUSED)
		return;
	w->state = REFUSED;
	w->v->refused = true;
	w->v->reason = reason;
	w->v->at = at;
}

static void refuse_over_limit(struct walk *w, const char *reason, uint32_t at)
{
	if (w->state != REFUSED)
		w->v->over_limit = true;
	refuse(w, reason, at);
}

/* N bytes at chunk offset AT are there (and are read). */
static bool have(struct walk *w, uint64_t at, uint64_t n)
{
	if (at > EH_CHUNK_SIZE || n > EH_CHUNK_SIZE - at)
		return false;
	if (at + n > w->v->reach)
		w->v->reach = (uint32_t)(at + n);
	return true;
}

static bool is_token(uint8_t t)
{
	switch (t) {
	case 0x00: case 0x01: case 0x41: case 0x02: case 0x03: case 0x04:
	case 0x05: case 0x45: case 0x06: case 0x46: case 0x07: case 0x47:
	case 0x08: case 0x48: case 0x09: case 0x49: case 0x0a: case 0x0b:
	case 0x0c: case 0x0d: case 0x0e: case 0x0f:
		return true;
	default:
		return false;
	}
}

/* The token at AT, or -1 (and the walk stopped) where libfwevt's token
 * reader fails. */
static int token_at(struct walk *w, uint64_t at)
{
	if (!have(w, at, 1) || !is_token(w->chunk[at])) {
		stop(w);
		return -1;
	}
	return w->chunk[at];
}

static void charge(struct walk *w, uint64_t nodes, uint64_t bytes, uint32_t at)
{
	w->v->nodes += nodes;
	w->v->bytes += bytes;
	if (w->v->nodes > w->lim->nodes)
		refuse_over_limit(w, "its binary XML expands past the node limit", at);
	else if (w->v->bytes > w->lim->bytes)
		refuse_over_limit(w, "its binary XML expands past the byte limit", at);
}

/* What one read (NODES, BYTES since it began) costs when libfwevt repeats
 * it TIMES in all. */
static void repeat(struct walk *w, uint64_t times, uint64_t nodes0, uint64_t bytes0, uint32_t at)
{
	if (times <= 1 || !going(w))
		return;
	uint64_t nodes = w->v->nodes - nodes0, bytes = w->v->bytes - bytes0;
	uint64_t more = times - 1;
	if ((nodes && more > (w->lim->nodes + 1) / nodes) || (bytes && more > (w->lim->bytes + 1) / bytes)) {
		w->v->nodes = w->lim->nodes + 1;
		refuse_over_limit(w, "an array value repeats its element past the node limit", at);
		return;
	}
	charge(w, nodes * more, bytes * more, at);
}

static bool enter(struct walk *w, uint32_t at)
{
	if (++w->depth > w->v->depth)
		w->v->depth = w->depth;
	if (w->depth > w->lim->depth) {
		refuse_over_limit(w, "its binary XML nests past the depth limit (a value substituting itself?)", at);
		return false;
	}
	return true;
}

static void leave(struct walk *w)
{
	w->depth--;
}

/* libfwevt_xml_document_read_name: the bytes the name takes right here
 * (0 when it is defined elsewhere). CUR is where the name would be inline;
 * a name defined further on is refused by libfwevt. */
static uint32_t walk_name(struct walk *w, uint32_t name_at, uint64_t cur)
{
	if (name_at > cur || !have(w, name_at, EH_NAME_CHARS)) {
		stop(w);
		return 0;
	}
	uint32_t size = (le16(w->chunk + name_at + EH_NAME_LENGTH) + 1u) * 2u;
	if (!have(w, (uint64_t)name_at + EH_NAME_CHARS, size)) {
		stop(w);
		return 0;
	}
	charge(w, 0, size, name_at);
	return name_at == cur ? EH_NAME_CHARS + size : 0;
}

/* A counted UTF-16 string after a header of HEADER bytes whose last two
 * hold its length: value text (4), CDATA (3), PI data (3). */
static uint32_t walk_text(struct walk *w, uint32_t at, uint32_t header)
{
	if (!have(w, at, header)) {
		stop(w);
		return 0;
	}
	uint32_t size = 2u * le16(w->chunk + at + header - 2);
	if (!have(w, (uint64_t)at + header, size)) {
		stop(w);
		return 0;
	}
	charge(w, 1, size, at);
	return header + size;
}

static uint32_t walk_value_text(struct walk *w, uint32_t at)
{
	if (!have(w, at, 4) || w->chunk[at + 1] != EH_VALUE_STRING) {
		stop(w);
		return 0;
	}
	return walk_text(w, at, 4);
}

/* An entity reference or a PI target: a token and a name offset. */
static uint32_t walk_named(struct walk *w, uint32_t at)
{
	if (!have(w, at, 5)) {
		stop(w);
		return 0;
	}
	uint32_t n = 5 + walk_name(w, le32(w->chunk + at + 1), (uint64_t)at + 5);
	charge(w, 1, 0, at);
	return n;
}

static uint32_t walk_pi(struct walk *w, uint32_t at)
{
	uint32_t n = walk_named(w, at);
	if (!going(w) || token_at(w, (uint64_t)at + n) != EH_TOK_PI_DATA) {
		stop(w);
		return 0;
	}
	return n + walk_text(w, at + n, 3);
}

/* Bytes of one entry of an array of TYPE; strings are 0 (as long as
 * up to their NUL), unknown types 1 (libfwevt refuses them; counting
 * them byte by byte can only overestimate). */
static uint32_t array_entry_size(uint8_t type)
{
	switch (type & 0x7f) {
	case 0x03: case 0x04: return 1;
	case 0x05: case 0x06: return 2;
	case 0x07: case 0x08: case 0x0b: case 0x14: return 4;
	case 0x09: case 0x0a: case 0x0c: case 0x11: case 0x15: return 8;
	case 0x0f: case 0x12: return 16;
	case 0x01: case 0x02: return 0;
	default: return 1;
	}
}

/* How many entries libfwevt reads from an array value of TYPE, SIZE bytes
 * at AT: strings end at a NUL (UTF-16 or byte), the rest are fixed. */
static uint64_t array_entries(const uint8_t *p, uint8_t type, uint32_t size)
{
	uint32_t fixed = array_entry_size(type);
	if (fixed)
		return (size + fixed - 1) / fixed;
	uint32_t unit = (type & 0x7f) == 0x01 ? 2 : 1;
	uint64_t n = 0;
	for (uint32_t i = 0; i < size; n++) {
		while (i + unit <= size && (p[i] || (unit == 2 && p[i + 1])))
			i += unit;
		i += unit; /* the NUL, or past the end */
	}
	return n;
}

static uint64_t array_passes(const struct arrays *a)
{
	if (a->count == 0)
		return 1;
	uint64_t n = a->count == 1 ? a->entries : a->bound;
	return n ? n : 1;
}

/* A substitution of a plain value costs one node and the value's bytes:
 * a template walked with only such values costs the same with others. */
enum { NORMAL_BIT = 0x8000 };

static bool plain_type(uint8_t type)
{
	return type != EH_VALUE_BINXML && !(type & EH_VALUE_ARRAY);
}

static void note_substitution(struct walk *w, bool normal, uint16_t index, uint8_t type, uint16_t size)
{
	if (!plain_type(type) || index >= NORMAL_BIT || w->rec.n == EH_BX_CACHED_SUBSTITUTIONS) {
		w->rec.plain = false;
		return;
	}
	w->rec.index[w->rec.n++] = (uint16_t)(index | (normal ? NORMAL_BIT : 0));
	if (type != EH_VALUE_NULL)
		w->rec.value_bytes += size;
}

void eh_bx_cache_reset(struct eh_bx_cache *cache)
{
	memset(cache, 0, sizeof *cache);
}

static struct eh_bx_template_cost *cached_cost(struct walk *w, uint32_t def, unsigned flags)
{
	for (uint32_t i = 0; i < EH_BX_CACHED_TEMPLATES; i++)
		if (w->cache->t[i].def == def && w->cache->t[i].flags == flags)
			return &w->cache->t[i];
	return NULL;
}

/* Charges what a cached template costs with the values VALS; false (and
 * nothing charged) when they are not all plain: then it must be walked. */
static bool replay_cost(struct walk *w, const struct eh_bx_template_cost *c, const struct values *vals, uint32_t at)
{
	uint64_t bytes = c->bytes;
	for (uint32_t i = 0; i < c->substitutions; i++) {
		uint16_t index = c->index[i] & ~NORMAL_BIT;
		if (index >= vals->count)
			return false;
		const uint8_t *desc = vals->desc + (size_t)EH_TV_DESCRIPTOR_SIZE * index;
		uint8_t type = desc[EH_TV_TYPE];
		if (!plain_type(type) || (type == EH_VALUE_NULL && (c->index[i] & NORMAL_BIT)))
			return false;
		if (type != EH_VALUE_NULL)
			bytes += le16(desc);
	}
	if (w->depth + c->depth > w->lim->depth)
		return false;
	if (w->depth + c->depth > w->v->depth)
		w->v->depth = w->depth + c->depth;
	charge(w, c->nodes, bytes, at);
	return true;
}

static void remember_cost(struct walk *w, uint32_t def, unsigned flags, uint32_t body_size, uint32_t depth,
			  uint64_t nodes, uint64_t bytes)
{
	struct eh_bx_template_cost *c = &w->cache->t[w->cache->next];
	w->cache->next = (w->cache->next + 1) % EH_BX_CACHED_TEMPLATES;
	c->def = def;
	c->flags = flags;
	c->body_size = body_size;
	c->depth = depth;
	c->nodes = nodes;
	c->bytes = bytes - w->rec.value_bytes;
	c->substitutions = w->rec.n;
	memcpy(c->index, w->rec.index, w->rec.n * sizeof *c->index);
}

static uint32_t walk_element(struct walk *w, uint32_t at, unsigned flags, const struct values *vals);
static uint32_t walk_fragment(struct walk *w, uint32_t at, unsigned flags, const struct values *vals);
static uint32_t walk_instance(struct walk *w, uint32_t at, unsigned flags, uint64_t end);

/* libfwevt_xml_document_substitute_template_value, for a substitution
 * token at AT. */
static uint32_t walk_substitution(struct walk *w, uint32_t at, unsigned flags, const struct values *vals,
				  struct arrays *arr)
{
	if (!have(w, at, 4) || vals == NULL) { /* no values outside a template */
		stop(w);
		return 0;
	}
	uint16_t index = le16(w->chunk + at + 1);
	if (index >= vals->count) {
		stop(w);
		return 0;
	}
	const uint8_t *desc = vals->desc + (size_t)EH_TV_DESCRIPTOR_SIZE * index;
	uint16_t size = le16(desc);
	uint8_t type = desc[EH_TV_TYPE];
	struct value_slot *slot = &vals->slot[index];
	uint32_t value_at = slot->at;
	if (w->rec.active)
		note_substitution(w, w->chunk[at] == EH_TOK_NORMAL_SUBSTITUTION, index, type, size);
	/* one node for every substitution, even of nothing: so that no walk
	 * repeats work that it does not count */
	charge(w, 1, 0, at);
	if (type == EH_VALUE_NULL) { /* a null value: optional leaves nothing, normal fails */
		if (w->chunk[at] == EH_TOK_NORMAL_SUBSTITUTION)
			stop(w);
		return 4;
	}
	if (type == EH_VALUE_BINXML) {
		if (!enter(w, at))
			return 0;
		int t = token_at(w, value_at);
		if (t >= 0) {
			switch (eh_binxml_token_base((unsigned)t)) {
			case EH_TOK_OPEN_START_ELEMENT:
				walk_element(w, value_at, flags & ~(unsigned)WITH_DEPENDENCY_IDS, vals);
				break;
			case EH_TOK_FRAGMENT_HEADER:
				walk_fragment(w, value_at, flags, NULL);
				break;
			case EH_TOK_TEMPLATE_INSTANCE:
				walk_instance(w, value_at, flags, (uint64_t)value_at + size);
				break;
			default:
				stop(w);
			}
		}
		leave(w);
		return 4;
	}
	if (type & EH_VALUE_ARRAY) {
		if (slot->entries == 0) /* counted once: the value may be read many times */
			slot->entries = (uint32_t)array_entries(w->chunk + value_at, type, size) + 1;
		uint64_t entries = slot->entries - 1;
		uint32_t unit = array_entry_size(type);
		uint64_t bound = size == 0 ? 0 : (size + (unit ? unit : 1) - 1) / (unit ? unit : 1);
		if (arr->count == 0 || bound < arr->bound)
			arr->bound = bound;
		arr->entries = entries;
		arr->count++;
		/* each read takes one entry: over all reads, the whole value */
		charge(w, 0, entries ? size / entries : 0, at);
	} else {
		charge(w, 0, size, at);
	}
	return 4;
}

/* libfwevt_xml_document_read_attribute: a name and one content token,
 * read again while an array value has entries left. */
static uint32_t walk_attribute(struct walk *w, uint32_t at, unsigned flags, const struct values *vals)
{
	if (!have(w, at, 5)) {
		stop(w);
		return 0;
	}
	uint64_t nodes0 = w->v->nodes, bytes0 = w->v->bytes;
	struct arrays arr = { 0 };
	uint32_t off = 5;
	charge(w, 1, 0, at);
	off += walk_name(w, le32(w->chunk + at + 1), (uint64_t)at + off);
	int t = going(w) ? token_at(w, (uint64_t)at + off) : -1;
	if (t < 0)
		return 0;
	switch (eh_binxml_token_base((unsigned)t)) {
	case EH_TOK_VALUE_TEXT:
		off += walk_value_text(w, at + off);
		break;
	case EH_TOK_NORMAL_SUBSTITUTION:
	case EH_TOK_OPTIONAL_SUBSTITUTION:
		off += walk_substitution(w, at + off, flags, vals, &arr);
		break;
	default:
		stop(w);
	}
	repeat(w, array_passes(&arr), nodes0, bytes0, at);
	return off;
}

/* The content of an element after its start tag, up to its end tag or
 * until SIZE (what the element's size field leaves) runs out. */
static uint32_t walk_content(struct walk *w, uint32_t at, uint32_t size, unsigned flags, const struct values *vals,
			     struct arrays *arr)
{
	uint32_t off = 0;
	while (size > 0 && going(w)) {
		int t = token_at(w, (uint64_t)at + off);
		if (t < 0)
			break;
		uint32_t n = 0;
		switch (eh_binxml_token_base((unsigned)t)) {
		case EH_TOK_OPEN_START_ELEMENT:
			n = walk_element(w, at + off, flags, vals);
			break;
		case EH_TOK_CLOSE_EMPTY_ELEMENT:
		case EH_TOK_END_ELEMENT:
			n = 1;
			break;
		case EH_TOK_CDATA:
			if (t != EH_TOK_CDATA) /* libfwevt's reader wants the plain token */
				stop(w);
			else
				n = walk_text(w, at + off, 3);
			break;
		case EH_TOK_PI_TARGET:
			n = walk_pi(w, at + off);
			break;
		case EH_TOK_CHAR_REF: /* libfwevt's reader checks for an entity reference: it always fails */
			stop(w);
			break;
		case EH_TOK_ENTITY_REF:
			n = walk_named(w, at + off);
			break;
		case EH_TOK_VALUE_TEXT:
			n = walk_value_text(w, at + off);
			break;
		case EH_TOK_NORMAL_SUBSTITUTION:
		case EH_TOK_OPTIONAL_SUBSTITUTION:
			n = walk_substitution(w, at + off, flags, vals, arr);
			break;
		default:
			stop(w);
		}
		if (!going(w))
			break;
		off += n;
		if (size < n) {
			stop(w);
			break;
		}
		size -= n;
		if (t == EH_TOK_CLOSE_EMPTY_ELEMENT || t == EH_TOK_END_ELEMENT)
			break;
	}
	return off;
}

/* libfwevt_xml_document_read_element: the element at AT, read again while
 * an array value substituted in its content has entries left. */
static uint32_t walk_element(struct walk *w, uint32_t at, unsigned flags, const struct values *vals)
{
	uint32_t head = (flags & WITH_DEPENDENCY_IDS) ? 3 : 1; /* token, dependency id */
	if (!enter(w, at))
		return 0;
	uint32_t off = 0;
	if (!have(w, at, head + 8)) {
		stop(w);
		goto out;
	}
	uint64_t nodes0 = w->v->nodes, bytes0 = w->v->bytes;
	uint8_t type = w->chunk[at];
	uint32_t size = le32(w->chunk + at + head); /* wraps as libfwevt's does */
	uint32_t name_at = le32(w->chunk + at + head + 4);
	off = head + 8;
	size -= 4;
	charge(w, 1, 0, at);
	uint32_t inline_name = walk_name(w, name_at, (uint64_t)at + off);
	off += inline_name;
	size -= inline_name;
	if (going(w) && (type & EH_TOK_MORE)) {
		if (!have(w, (uint64_t)at + off, 4)) {
			stop(w);
			goto out;
		}
		uint32_t list = le32(w->chunk + at + off);
		off += 4;
		size -= 4;
		while (list > 0 && going(w)) {
			int t = token_at(w, (uint64_t)at + off);
			if (t < 0 || eh_binxml_token_base((unsigned)t) != EH_TOK_ATTRIBUTE) {
				stop(w);
				break;
			}
			uint32_t n = walk_attribute(w, at + off, flags, vals);
			off += n;
			size -= n;
			if (list < n) {
				stop(w);
				break;
			}
			list -= n;
		}
	}
	int close = going(w) ? token_at(w, (uint64_t)at + off) : -1;
	if (close != EH_TOK_CLOSE_START_ELEMENT && close != EH_TOK_CLOSE_EMPTY_ELEMENT) {
		stop(w);
		goto out;
	}
	off += 1;
	size -= 1;
	struct arrays arr = { 0 };
	if (close == EH_TOK_CLOSE_START_ELEMENT)
		off += walk_content(w, at + off, size, flags, vals, &arr);
	repeat(w, array_passes(&arr), nodes0, bytes0, at);
out:
	leave(w);
	return off;
}

/* libfwevt_xml_document_read_fragment: a fragment header, then an element
 * or a template instance. */
static uint32_t walk_fragment(struct walk *w, uint32_t at, unsigned flags, const struct values *vals)
{
	if (!have(w, at, EH_FRAGMENT_HEADER_SIZE)) {
		stop(w);
		return 0;
	}
	uint32_t cur = at + EH_FRAGMENT_HEADER_SIZE;
	int t = token_at(w, cur);
	if (t < 0)
		return 0;
	switch (eh_binxml_token_base((unsigned)t)) {
	case EH_TOK_OPEN_START_ELEMENT:
		return EH_FRAGMENT_HEADER_SIZE + walk_element(w, cur, flags, vals);
	case EH_TOK_TEMPLATE_INSTANCE:
		return EH_FRAGMENT_HEADER_SIZE + walk_instance(w, cur, flags, w->record_end);
	default:
		stop(w);
		return 0;
	}
}

/* libfwevt_xml_document_read_template_instance: its values, then its
 * template's body read with them. The instance and its values must lie
 * within END (the record, or the value holding the instance): past it,
 * libevtx reads other records' bytes as values (fuzzing found a value
 * count there that made it allocate 8 GiB). */
static uint32_t walk_instance(struct walk *w, uint32_t at, unsigned flags, uint64_t end)
{
	if (!enter(w, at))
		return 0;
	uint32_t consumed = 0;
	if ((uint64_t)at + EH_TI_SIZE > end || !have(w, at, EH_TI_SIZE + 1)) {
		refuse(w, "a template instance runs past the record", at);
		goto out;
	}
	uint64_t def = le32(w->chunk + at + EH_TI_DEFINITION), cur = (uint64_t)at + EH_TI_SIZE;
	if (def < EH_CHUNK_HEADER_SIZE || def > EH_CHUNK_SIZE - EH_TD_HEADER_SIZE) {
		refuse(w, "its template lies outside the chunk", at);
		goto out;
	}
	have(w, def, EH_TD_HEADER_SIZE); /* in the chunk: checked above */
	if (w->check_ids && le32(w->chunk + def + EH_TD_GUID) != le32(w->chunk + at + EH_TI_TEMPLATE_ID)) {
		refuse(w, "its template instance names another template", at);
		goto out;
	}
	if (def > cur) { /* libfwevt: a definition further on is out of bounds */
		stop(w);
		goto out;
	}
	uint64_t p = cur;
	if (def == cur) /* the definition follows inline */
		p += EH_TD_HEADER_SIZE + (uint64_t)le32(w->chunk + def + EH_TD_DATA_SIZE);
	if (p + EH_TI_VALUE_COUNT_SIZE > end) {
		refuse(w, "its template values run past the record", at);
		goto out;
	}
	uint64_t count = le32(w->chunk + p);
	p += EH_TI_VALUE_COUNT_SIZE;
	if (count * EH_TV_DESCRIPTOR_SIZE > end - p) {
		refuse(w, "its template values run past the record", at);
		goto out;
	}
	if (count > VALUE_SLOTS - w->slots_used) {
		refuse(w, "too many template values at once", at);
		goto out;
	}
	struct value_slot *slot = w->slots + w->slots_used;
	uint64_t value_at = p + count * EH_TV_DESCRIPTOR_SIZE;
	for (uint64_t i = 0; i < count; i++) {
		slot[i] = (struct value_slot){ (uint32_t)value_at, 0 };
		value_at += le16(w->chunk + p + EH_TV_DESCRIPTOR_SIZE * i);
	}
	if (value_at > end) {
		refuse(w, "its template values run past the record", at);
		goto out;
	}
	w->slots_used += (uint32_t)count;
	struct values vals = { (uint32_t)count, w->chunk + p, slot };
	charge(w, count, 0, at); /* libfwevt makes a value object each */
	uint64_t body = def + EH_TD_HEADER_SIZE;
	uint64_t body_end = body;
	/* a record's own template (not one nested in a value) may be known */
	bool outer = w->cache != NULL && w->depth == 1;
	const struct eh_bx_template_cost *known = outer ? cached_cost(w, (uint32_t)def, flags) : NULL;
	if (going(w) && known && replay_cost(w, known, &vals, at)) {
		body_end = body + known->body_size;
	} else if (going(w) && token_at(w, body) == EH_TOK_FRAGMENT_HEADER &&
		   have(w, body, EH_FRAGMENT_HEADER_SIZE + 1)) {
		uint32_t el = (uint32_t)body + EH_FRAGMENT_HEADER_SIZE;
		uint64_t nodes0 = w->v->nodes, bytes0 = w->v->bytes;
		if (eh_binxml_token_base(w->chunk[el]) == EH_TOK_OPEN_START_ELEMENT) {
			if (outer) /* only the outer body records: nested ones are not plain */
				w->rec.active = true, w->rec.plain = true, w->rec.n = 0, w->rec.value_bytes = 0;
			body_end = el + walk_element(w, el, flags, &vals) + 1; /* and end of stream */
			if (outer)
				w->rec.active = false;
			if (outer && w->rec.plain && going(w))
				remember_cost(w, (uint32_t)def, flags, (uint32_t)(body_end - body), w->v->depth - w->depth,
					      w->v->nodes - nodes0, w->v->bytes - bytes0);
		} else {
			stop(w);
		}
	} else {
		stop(w);
	}
	w->slots_used -= (uint32_t)count;
	consumed = (uint32_t)(value_at - at);
	if (def == at + EH_TI_SIZE) /* libfwevt counts the inline body as read */
		consumed = (uint32_t)(EH_TI_SIZE + (value_at - p + EH_TI_VALUE_COUNT_SIZE) + (body_end - def));
out:
	leave(w);
	return consumed;
}

/* libfwevt_xml_document_read_with_template_values: fragments up to an end
 * of stream token. */
static void walk_document(struct walk *w, uint32_t at)
{
	while (going(w) && at < EH_CHUNK_SIZE) {
		int t = token_at(w, at);
		if (t < 0)
			return;
		uint32_t n;
		if (eh_binxml_token_base((unsigned)t) == EH_TOK_END_OF_STREAM) {
			if (t == EH_TOK_END_OF_STREAM)
				return;
			n = 1;
		} else if (t == EH_TOK_FRAGMENT_HEADER) {
			n = walk_fragment(w, at, WITH_DEPENDENCY_IDS, NULL);
		} else {
			stop(w);
			return;
		}
		if (n == 0)
			return;
		at += n;
	}
}

bool eh_bx_check_record(const uint8_t *chunk, uint32_t pos, uint32_t size, const struct eh_bx_limits *lim,
			bool check_ids, struct eh_bx_cache *cache, struct eh_bx_verdict *v)
{
	memset(v, 0, sizeof *v);
	if (size < EH_RECORD_MIN_SIZE || pos > EH_CHUNK_SIZE || size > EH_CHUNK_SIZE - pos) {
		v->refused = true;
		v->reason = "the record runs past the chunk";
		v->at = pos;
		return false;
	}
	/* per thread, not on the stack: its value slots take 128 KiB */
	static _Thread_local struct walk walk;
	struct walk *w = &walk;
	w->chunk = chunk;
	w->lim = lim;
	w->record_end = pos + size - EH_RECORD_COPY_SIZE;
	w->check_ids = check_ids;
	w->depth = 0;
	w->state = GOING;
	w->v = v;
	w->cache = cache;
	w->rec.active = false;
	w->slots_used = 0;
	v->reach = pos + size; /* a record's bytes are all read */
	walk_document(w, pos + EH_REC_BINXML);
	v->libfwevt_fails = w->state == STOPPED;
	return !v->refused;
}
