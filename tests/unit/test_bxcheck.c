/* bxcheck: what libevtx would make of a record, counted before it sees it.
 * The records are built here token by token, as libfwevt reads them. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/bxcheck.h"
#include "evtxhunt/chunk.h"
#include "evtxhunt/evtx_format.h"
#include "evtxhunt/util.h"

/* A chunk being written: bytes go at AT. */
struct bb {
	uint8_t *c;
	uint32_t at;
};

static void u8(struct bb *b, uint8_t v) { b->c[b->at++] = v; }
static void u16(struct bb *b, uint16_t v) { put_le16(b->c + b->at, v), b->at += 2; }
static void u32(struct bb *b, uint32_t v) { put_le32(b->c + b->at, v), b->at += 4; }

/* A name: inline when NAME_AT is 0 (defined right here), else by offset.
 * Returns the name's offset. */
static uint32_t name(struct bb *b, const char *text, uint32_t name_at)
{
	if (name_at) {
		u32(b, name_at);
		return name_at;
	}
	uint32_t at = b->at + 4;
	u32(b, at);
	u32(b, 0);            /* next in bucket */
	u16(b, 0);            /* hash */
	u16(b, (uint16_t)strlen(text));
	for (const char *p = text; *p; p++)
		u16(b, (uint8_t)*p);
	u16(b, 0);
	return at;
}

/* Opens an element (dependency id with DEP); returns where its size goes. */
static uint32_t open_element(struct bb *b, const char *text, uint32_t name_at, bool dep)
{
	u8(b, EH_TOK_OPEN_START_ELEMENT);
	if (dep)
		u16(b, 0xffff);
	uint32_t size_at = b->at;
	u32(b, 0);
	name(b, text, name_at);
	u8(b, EH_TOK_CLOSE_START_ELEMENT);
	return size_at;
}

static void close_element(struct bb *b, uint32_t size_at)
{
	u8(b, EH_TOK_END_ELEMENT);
	put_le32(b->c + size_at, b->at - size_at - 4);
}

static void substitution(struct bb *b, uint16_t index, uint8_t type)
{
	u8(b, EH_TOK_NORMAL_SUBSTITUTION);
	u16(b, index);
	u8(b, type);
}

static void fragment_header(struct bb *b)
{
	u8(b, EH_TOK_FRAGMENT_HEADER), u8(b, 1), u8(b, 1), u8(b, 0);
}

/* A template definition's header (GUID starting with the template id
 * 0x1234); returns where its data size goes. */
static uint32_t definition_header(struct bb *b)
{
	u32(b, 0);      /* next */
	u32(b, 0x1234); /* GUID, first 32 bits: the template id */
	u32(b, 0), u32(b, 0), u32(b, 0);
	uint32_t data_size_at = b->at;
	u32(b, 0);
	return data_size_at;
}

/* An inline template definition whose body is <Event> holding CHILDREN
 * elements <D> each substituting value 0 (of TYPE). Returns its offset. */
static uint32_t inline_template(struct bb *b, int children, uint8_t type)
{
	uint32_t def = b->at;
	uint32_t data_size_at = definition_header(b);
	uint32_t body = b->at;
	fragment_header(b);
	uint32_t ev = open_element(b, "Event", 0, true);
	uint32_t d_name = 0;
	for (int i = 0; i < children; i++) {
		uint32_t d = b->at;
		uint32_t size_at = open_element(b, "D", d_name, true);
		if (d_name == 0)
			d_name = d + 7;
		substitution(b, 0, type);
		close_element(b, size_at);
	}
	close_element(b, ev);
	u8(b, EH_TOK_END_OF_STREAM);
	put_le32(b->c + data_size_at, b->at - body);
	return def;
}

/* A template instance of the definition at DEF (inline when DEF is where
 * the definition goes: the caller writes it), with one value of TYPE whose
 * bytes the caller writes next. Returns where the value's size goes. */
static uint32_t instance_header(struct bb *b, uint32_t def)
{
	u8(b, EH_TOK_TEMPLATE_INSTANCE), u8(b, 1);
	u32(b, 0x1234);
	u32(b, def);
	return b->at;
}

static uint32_t one_value(struct bb *b, uint8_t type)
{
	u32(b, 1);
	uint32_t size_at = b->at;
	u16(b, 0), u8(b, type), u8(b, 0);
	return size_at;
}

/* Frames the record that starts at REC and whose binary XML ended at b->at. */
static uint32_t end_record(struct bb *b, uint32_t rec)
{
	u8(b, EH_TOK_END_OF_STREAM);
	while ((b->at - rec + 4) % 8)
		u8(b, 0);
	uint32_t size = b->at - rec + 4;
	put_le32(b->c + rec, EH_RECORD_MAGIC);
	put_le32(b->c + rec + 4, size);
	put_le64(b->c + rec + 8, 7);
	u32(b, size);
	return size;
}

static uint8_t *new_chunk(void)
{
	uint8_t *c = calloc(1, EH_CHUNK_SIZE);
	eh_make_empty_chunk(c);
	return c;
}

static struct bb start_record(uint8_t *c)
{
	struct bb b = { c, EH_CHUNK_HEADER_SIZE + EH_REC_BINXML };
	fragment_header(&b);
	return b;
}

/* One value of binary XML: an element (no dependency id, as in a value)
 * holding substitution 0, which is the value itself. Returns its offset. */
static uint32_t self_value(struct bb *b)
{
	uint32_t size_at = one_value(b, EH_VALUE_BINXML);
	uint32_t value = b->at;
	uint32_t x = open_element(b, "X", 0, false);
	substitution(b, 0, EH_VALUE_BINXML);
	close_element(b, x);
	put_le16(b->c + size_at, (uint16_t)(b->at - value));
	return value;
}

/* A record at the chunk's first record offset: <Event><D>%0</D></Event>
 * with %0 the self-substituting value (*VALUE gets its offset). Returns
 * the record's size. */
static uint32_t self_substituting_record(uint8_t *c, uint32_t *value)
{
	struct bb b = start_record(c);
	instance_header(&b, b.at + EH_TI_SIZE);
	inline_template(&b, 1, EH_VALUE_BINXML);
	*value = self_value(&b);
	return end_record(&b, EH_CHUNK_HEADER_SIZE);
}

/* <Event><D>%0</D></Event>, %0 a string: the nodes libfwevt makes are
 * counted one by one (a value object, two elements, a substitution). */
Test(bxcheck, an_ordinary_record_is_counted_exactly)
{
	uint8_t *c = new_chunk();
	struct bb b = start_record(c);
	uint32_t def = b.at + EH_TI_SIZE;
	instance_header(&b, def);
	inline_template(&b, 1, EH_VALUE_STRING);
	uint32_t size_at = one_value(&b, EH_VALUE_STRING);
	put_le16(c + size_at, 6);
	u16(&b, 'a'), u16(&b, 'b'), u16(&b, 'c');
	uint32_t size = end_record(&b, EH_CHUNK_HEADER_SIZE);
	struct eh_bx_verdict v;
	cr_assert(eh_bx_check_record(c, EH_CHUNK_HEADER_SIZE, size, &eh_bx_default_limits, true, NULL, &v), "%s", v.reason);
	cr_assert_eq(v.nodes, 4, "nodes %lu", (unsigned long)v.nodes);
	cr_assert_eq(v.bytes, 2 * 6 + 2 * 2 + 6, "bytes %lu: the names with their NULs, the value",
		     (unsigned long)v.bytes);
	cr_assert_eq(v.depth, 3, "instance, Event, D");
	free(c);
}

/* self-substitution (../shared/findings): value 0 is an element holding
 * substitution 0, which libfwevt reads with the same values, for ever. */
Test(bxcheck, a_value_that_substitutes_itself_is_refused)
{
	uint8_t *c = new_chunk();
	uint32_t value;
	uint32_t size = self_substituting_record(c, &value);
	struct eh_bx_verdict v;
	cr_assert_not(eh_bx_check_record(c, EH_CHUNK_HEADER_SIZE, size, &eh_bx_default_limits, false, NULL, &v));
	cr_assert(strstr(v.reason, "depth") != NULL, "%s", v.reason);
	cr_assert(v.over_limit);

	/* with a dependency id, libfwevt misreads the element and gives up */
	c[value] = EH_TOK_END_OF_STREAM;
	cr_assert(eh_bx_check_record(c, EH_CHUNK_HEADER_SIZE, size, &eh_bx_default_limits, false, NULL, &v), "%s", v.reason);
	free(c);
}

/* template-expansion (../shared/findings): K children substitute value 0,
 * an instance of the same template, DEPTH levels: K^(DEPTH+1) nodes. */
static uint32_t nested_instances(uint8_t *c, int k, int depth)
{
	struct bb b = start_record(c);
	uint32_t def = b.at + EH_TI_SIZE;
	instance_header(&b, def);
	inline_template(&b, k, EH_VALUE_BINXML);
	uint32_t size_at[16];
	uint32_t value_at[16];
	for (int level = 0; level < depth; level++) {
		size_at[level] = one_value(&b, EH_VALUE_BINXML);
		value_at[level] = b.at;
		instance_header(&b, def); /* by offset: the definition above */
	}
	uint32_t last = one_value(&b, EH_VALUE_STRING);
	put_le16(c + last, 2);
	u16(&b, 'x');
	for (int level = depth - 1; level >= 0; level--)
		put_le16(c + size_at[level], (uint16_t)(b.at - value_at[level]));
	return end_record(&b, EH_CHUNK_HEADER_SIZE);
}

Test(bxcheck, exponential_template_expansion_is_refused)
{
	uint8_t *c = new_chunk();
	struct eh_bx_verdict v;
	uint32_t size = nested_instances(c, 30, 1); /* 30^2 substitutions: fine */
	cr_assert(eh_bx_check_record(c, EH_CHUNK_HEADER_SIZE, size, &eh_bx_default_limits, true, NULL, &v), "%s", v.reason);
	cr_assert_gt(v.nodes, 30 * 30);
	memset(c + EH_CHUNK_HEADER_SIZE, 0, EH_CHUNK_SIZE - EH_CHUNK_HEADER_SIZE);
	size = nested_instances(c, 30, 4); /* 30^5 */
	cr_assert_not(eh_bx_check_record(c, EH_CHUNK_HEADER_SIZE, size, &eh_bx_default_limits, true, NULL, &v));
	cr_assert(strstr(v.reason, "node limit") != NULL, "%s", v.reason);
	cr_assert_leq(v.nodes, eh_bx_default_limits.nodes + 1000, "the walk stops at the limit");
	free(c);
}

/* libfwevt reads an element again for every entry of an array value its
 * content substitutes; nested elements substituting the same array
 * multiply: 1,000 empty strings, three levels, 10^9 reads. */
Test(bxcheck, nested_array_repetition_is_refused)
{
	uint8_t *c = new_chunk();
	struct bb b = start_record(c);
	uint32_t def = b.at + EH_TI_SIZE;
	instance_header(&b, def);
	uint32_t def_at = b.at;
	uint32_t data_size_at = definition_header(&b);
	uint32_t body = b.at;
	fragment_header(&b);
	uint32_t e1 = open_element(&b, "A", 0, true);
	substitution(&b, 0, 0x81);
	uint32_t e2 = open_element(&b, "B", 0, true);
	substitution(&b, 0, 0x81);
	uint32_t e3 = open_element(&b, "C", 0, true);
	substitution(&b, 0, 0x81);
	close_element(&b, e3);
	close_element(&b, e2);
	close_element(&b, e1);
	u8(&b, EH_TOK_END_OF_STREAM);
	put_le32(c + data_size_at, b.at - body);
	cr_assert_eq(def_at, def);
	uint32_t size_at = one_value(&b, 0x81);
	put_le16(c + size_at, 2000);
	b.at += 2000; /* 1,000 empty UTF-16 strings */
	uint32_t size = end_record(&b, EH_CHUNK_HEADER_SIZE);
	struct eh_bx_verdict v;
	cr_assert_not(eh_bx_check_record(c, EH_CHUNK_HEADER_SIZE, size, &eh_bx_default_limits, false, NULL, &v));
	cr_assert(strstr(v.reason, "array") != NULL || strstr(v.reason, "limit") != NULL, "%s", v.reason);

	/* three strings, "a", "bc", "": three reads of each level, 27 in all */
	uint32_t value = size_at + 4;
	put_le16(c + size_at, 12);
	memset(c + value, 0, 2000);
	put_le16(c + value, 'a');
	put_le16(c + value + 4, 'b'), put_le16(c + value + 6, 'c');
	cr_assert(eh_bx_check_record(c, EH_CHUNK_HEADER_SIZE, size, &eh_bx_default_limits, false, NULL, &v), "%s", v.reason);
	/* A: 3 x (A, sub, B: 3 x (B, sub, C: 3 x (C, sub))) + the value */
	cr_assert_eq(v.nodes, 1 + 3 * (2 + 3 * (2 + 3 * 2)), "nodes %lu", (unsigned long)v.nodes);
	free(c);
}

/* Element names are offsets: thousands of elements can all name one long
 * name defined earlier, and libfwevt copies it into each. */
Test(bxcheck, many_references_to_a_long_name_are_refused)
{
	uint8_t *c = new_chunk();
	struct bb b = start_record(c);
	uint32_t outer = open_element(&b, "Event", 0, true);
	uint32_t long_name = b.at + 7 + 4;
	uint32_t first = open_element(&b, "", 0, true);
	/* make the first child's inline name 8,000 characters long */
	put_le16(c + long_name + EH_NAME_LENGTH, 8000);
	b.at = long_name + EH_NAME_CHARS + 16002;
	u8(&b, EH_TOK_CLOSE_START_ELEMENT);
	close_element(&b, first);
	while (b.at < EH_CHUNK_SIZE - 2000) {
		uint32_t e = open_element(&b, "", long_name, true);
		close_element(&b, e);
	}
	close_element(&b, outer);
	uint32_t size = end_record(&b, EH_CHUNK_HEADER_SIZE);
	struct eh_bx_verdict v;
	cr_assert_not(eh_bx_check_record(c, EH_CHUNK_HEADER_SIZE, size, &eh_bx_default_limits, false, NULL, &v));
	cr_assert(strstr(v.reason, "byte limit") != NULL, "%s", v.reason);
	free(c);
}

/* Where libfwevt gives up (a substitution with no template around it),
 * the walk stops and lets the record through: libevtx fails on it. */
Test(bxcheck, stops_where_libfwevt_gives_up)
{
	uint8_t *c = new_chunk();
	struct bb b = start_record(c);
	uint32_t e = open_element(&b, "Event", 0, true);
	for (int i = 0; i < 3000; i++)
		substitution(&b, 0, EH_VALUE_BINXML);
	close_element(&b, e);
	uint32_t size = end_record(&b, EH_CHUNK_HEADER_SIZE);
	struct eh_bx_verdict v;
	cr_assert(eh_bx_check_record(c, EH_CHUNK_HEADER_SIZE, size, &eh_bx_default_limits, false, NULL, &v));
	cr_assert_leq(v.nodes, 2);
	free(c);
}

/* The defuse step refuses the self-substituting record, live and in slack. */
Test(bxcheck, defuse_keeps_it_from_libevtx_live_and_in_slack)
{
	uint8_t *c = new_chunk();
	uint32_t value;
	uint32_t size = self_substituting_record(c, &value);
	uint8_t *copy = malloc(EH_CHUNK_SIZE);
	memcpy(copy, c, EH_CHUNK_SIZE);
	eh_chunk_set_free_space(c, EH_CHUNK_HEADER_SIZE + size);
	size_t live, slack;
	struct eh_defused where[4];
	eh_chunk_defuse(c, &live, &slack, where, 4);
	cr_assert_eq(live, 1);
	cr_assert_eq(where[0].offset, EH_CHUNK_HEADER_SIZE);
	cr_assert_eq(slack, 0);
	/* the same bytes as slack: no live record, free space at the start */
	eh_chunk_set_free_space(copy, EH_CHUNK_HEADER_SIZE);
	eh_chunk_defuse(copy, &live, &slack, where, 4);
	cr_assert_eq(live, 0);
	cr_assert_eq(slack, 1);
	cr_assert_eq(le32(copy + EH_CHUNK_HEADER_SIZE), 0, "its signature is wiped in our copy");
	free(copy);
	free(c);
}

/* Defusing writes zeros: a carving candidate's signature inside another
 * record's template turns "substitute value 0x2a2a" (past the values:
 * libfwevt gives up) into "substitute value 0", here a value that
 * substitutes itself. The record let through before the write must be
 * checked again. */
Test(bxcheck, a_zero_written_by_defusing_is_checked_again)
{
	uint8_t *c = new_chunk();
	struct bb b = start_record(c);
	uint32_t def = b.at + EH_TI_SIZE;
	instance_header(&b, def);
	uint32_t data_size_at = definition_header(&b);
	uint32_t body = b.at;
	fragment_header(&b);
	uint32_t ev = open_element(&b, "Event", 0, true);
	u8(&b, EH_TOK_NORMAL_SUBSTITUTION);
	uint32_t sig = b.at; /* "**\0\0": index 0x2a2a, type 0, and a 0 */
	u8(&b, 0x2a), u8(&b, 0x2a), u8(&b, 0), u8(&b, 0);
	u32(&b, 64); /* the candidate's size */
	b.at = sig + EH_REC_BINXML;
	fragment_header(&b); /* its template lies outside the chunk */
	u8(&b, EH_TOK_TEMPLATE_INSTANCE), u8(&b, 1), u32(&b, 0x1234), u32(&b, 0xfffffff0u);
	b.at = sig + 60;
	u32(&b, 64);
	close_element(&b, ev);
	u8(&b, EH_TOK_END_OF_STREAM);
	put_le32(c + data_size_at, b.at - body);
	self_value(&b);
	end_record(&b, EH_CHUNK_HEADER_SIZE);
	/* all of it slack: carving candidates */
	eh_chunk_set_free_space(c, EH_CHUNK_HEADER_SIZE);
	size_t live, slack;
	struct eh_defused where[4];
	eh_chunk_defuse(c, &live, &slack, where, 4);
	cr_assert_eq(slack, 2, "the candidate, then the record its zeros made a bomb (%zu)", slack);
	cr_assert_eq(where[0].offset, sig);
	cr_assert_eq(where[1].offset, EH_CHUNK_HEADER_SIZE);
	cr_assert(strstr(where[1].why.reason, "depth") != NULL, "%s", where[1].why.reason);
	free(c);
}
