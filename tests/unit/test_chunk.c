/* Chunk source: classification, checksums, framing repair, opening. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evtxhunt/chunk.h"
#include "evtxhunt/util.h"

/* A chunk with records of the given sizes and valid checksums. */
static uint8_t *make_chunk(const uint32_t *sizes, int n)
{
	uint8_t *c = calloc(1, EH_CHUNK_SIZE);
	memcpy(c, "ElfChnk", 8);
	uint32_t pos = EH_CHUNK_HEADER_SIZE;
	for (int i = 0; i < n; i++) {
		put_le32(c + pos, 0x00002a2a);
		put_le32(c + pos + 4, sizes[i]);
		put_le64(c + pos + 8, 100 + (uint64_t)i);
		memset(c + pos + 24, 0x41 + i, sizes[i] - 28);
		put_le32(c + pos + sizes[i] - 4, sizes[i]);
		pos += sizes[i];
	}
	put_le64(c + 24, 100);
	put_le64(c + 32, 100 + (uint64_t)n - 1);
	put_le32(c + 48, pos);
	put_le32(c + 52, eh_crc32(0, c + EH_CHUNK_HEADER_SIZE, pos - EH_CHUNK_HEADER_SIZE));
	put_le32(c + 124, eh_crc32(eh_crc32(0, c, 120), c + 128, EH_CHUNK_HEADER_SIZE - 128));
	return c;
}

Test(crc32, known_value)
{
	cr_assert_eq(eh_crc32(0, "123456789", 9), 0xCBF43926u);
	cr_assert_eq(eh_crc32(eh_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u, "incremental");
}

Test(inspect, good_chunk)
{
	uint32_t sizes[] = { 64, 128 };
	uint8_t *c = make_chunk(sizes, 2);
	struct eh_chunk_info info;
	eh_chunk_inspect(c, EH_CHUNK_SIZE, &info);
	cr_assert_eq(info.state, EH_CHUNK_OK);
	cr_assert(info.header_crc_ok);
	eh_chunk_check_data(c, &info);
	cr_assert(info.data_crc_ok);
	cr_assert_eq(info.first_record_id, 100);
	cr_assert_eq(info.last_record_id, 101);
	free(c);
}

Test(inspect, checksum_damage_is_seen)
{
	uint32_t sizes[] = { 64 };
	uint8_t *c = make_chunk(sizes, 1);
	struct eh_chunk_info info;
	c[EH_CHUNK_HEADER_SIZE + 30] ^= 1; /* data */
	eh_chunk_inspect(c, EH_CHUNK_SIZE, &info);
	eh_chunk_check_data(c, &info);
	cr_assert(info.header_crc_ok);
	cr_assert_not(info.data_crc_ok);
	c[20] ^= 1; /* header */
	eh_chunk_inspect(c, EH_CHUNK_SIZE, &info);
	cr_assert_not(info.header_crc_ok);
	free(c);
}

Test(inspect, empty_bad_magic_truncated)
{
	uint8_t *c = calloc(1, EH_CHUNK_SIZE);
	struct eh_chunk_info info;
	eh_chunk_inspect(c, EH_CHUNK_SIZE, &info);
	cr_assert_eq(info.state, EH_CHUNK_EMPTY, "preallocated zeros are not damage");
	c[100] = 1;
	eh_chunk_inspect(c, EH_CHUNK_SIZE, &info);
	cr_assert_eq(info.state, EH_CHUNK_BAD_MAGIC);
	eh_chunk_inspect(c, 1000, &info);
	cr_assert_eq(info.state, EH_CHUNK_TRUNCATED);
	free(c);
}

Test(one_chunk_header, is_valid_and_clean)
{
	uint8_t hdr[EH_FILE_HEADER_SIZE];
	eh_make_one_chunk_header(hdr, 41);
	cr_assert_eq(memcmp(hdr, "ElfFile", 8), 0);
	cr_assert_eq(le64(hdr + 24), 42, "next record id");
	cr_assert_eq(le16(hdr + 42), 1, "one chunk");
	cr_assert_eq(le32(hdr + 120), 0, "clean");
	cr_assert_eq(le32(hdr + 124), eh_crc32(0, hdr, 120));
}

Test(framing, intact_chain_is_left_alone)
{
	uint32_t sizes[] = { 64, 128, 96 };
	uint8_t *c = make_chunk(sizes, 3);
	uint8_t *copy = malloc(EH_CHUNK_SIZE);
	memcpy(copy, c, EH_CHUNK_SIZE);
	struct eh_framing_repair rep[4];
	cr_assert_eq(eh_chunk_repair_framing(c, rep, 4), 0);
	cr_assert_eq(memcmp(c, copy, EH_CHUNK_SIZE), 0);
	cr_assert_eq(eh_chunk_record_id(c, 2), 102);
	cr_assert_eq(eh_chunk_record_id(c, 3), 0);
	free(c);
	free(copy);
}

Test(framing, damaged_size_spans_to_next_record)
{
	uint32_t sizes[] = { 64, 128, 96 };
	uint8_t *c = make_chunk(sizes, 3);
	put_le32(c + EH_CHUNK_HEADER_SIZE + 64 + 4, 0xfffff000u);
	struct eh_framing_repair rep[4];
	cr_assert_eq(eh_chunk_repair_framing(c, rep, 4), 1);
	cr_assert_eq(rep[0].offset, EH_CHUNK_HEADER_SIZE + 64);
	cr_assert_eq(rep[0].span, 128);
	cr_assert_eq(rep[0].old_size, 0xfffff000u);
	cr_assert_not(rep[0].bad_magic);
	cr_assert_eq(eh_chunk_record_id(c, 2), 102, "the record behind the damage is reachable");
	free(c);
}

Test(framing, damaged_magic_of_last_record)
{
	uint32_t sizes[] = { 64, 128 };
	uint8_t *c = make_chunk(sizes, 2);
	put_le32(c + EH_CHUNK_HEADER_SIZE + 64, 0x41414141u);
	struct eh_framing_repair rep[4];
	cr_assert_eq(eh_chunk_repair_framing(c, rep, 4), 1);
	cr_assert(rep[0].bad_magic);
	cr_assert_eq(rep[0].span, 128);
	free(c);
}

Test(open, refuses_what_is_not_evtx)
{
	char path[] = "/tmp/evtxhunt-test-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, "hello, not a log\n", 17), 17);
	close(fd);
	char *cause = NULL;
	cr_assert_null(eh_evtx_open(path, &cause));
	cr_assert(strstr(cause, "not an EVTX file") != NULL, "%s", cause);
	free(cause);
	unlink(path);
	cause = NULL;
	cr_assert_null(eh_evtx_open("/nonexistent/x.evtx", &cause));
	cr_assert(strstr(cause, "No such file") != NULL, "%s", cause);
	free(cause);
}

Test(inspect, signature_alone_damaged_is_restored)
{
	uint32_t sizes[] = { 64 };
	uint8_t *c = make_chunk(sizes, 1);
	memcpy(c, "BadChnk", 8);
	struct eh_chunk_info info;
	eh_chunk_inspect(c, EH_CHUNK_SIZE, &info);
	cr_assert_eq(info.state, EH_CHUNK_OK, "the header checksum vouches for the rest");
	cr_assert(info.signature_restored);
	cr_assert(info.header_crc_ok);
	c[20] ^= 1; /* and now more than the signature is damaged */
	eh_chunk_inspect(c, EH_CHUNK_SIZE, &info);
	cr_assert_eq(info.state, EH_CHUNK_BAD_MAGIC);
	cr_assert(info.holds_records, "its records can still be carved");
	free(c);
}

Test(framing, wrong_size_copy_keeps_the_size)
{
	uint32_t sizes[] = { 64, 128, 96 };
	uint8_t *c = make_chunk(sizes, 3);
	put_le32(c + EH_CHUNK_HEADER_SIZE + 64 + 128 - 4, 7);
	struct eh_framing_repair rep[4];
	cr_assert_eq(eh_chunk_repair_framing(c, rep, 4), 1);
	cr_assert(rep[0].bad_copy);
	cr_assert_eq(rep[0].span, 128);
	cr_assert_eq(eh_chunk_record_id(c, 2), 102);
	free(c);
}

/* A record whose template instance declares more value bytes than it
 * holds made libevtx read past it (fuzzing). It is defused in our copy. */
Test(defuse, values_that_overrun_the_record)
{
	uint32_t sizes[] = { 64, 128 };
	uint8_t *c = make_chunk(sizes, 2);
	uint32_t at = EH_CHUNK_HEADER_SIZE + 64; /* the second record */
	uint8_t *x = c + at + 24;
	x[0] = 0x0f, x[1] = 1, x[2] = 1, x[3] = 0;          /* fragment header */
	x[4] = 0x0c, x[5] = 1;                               /* template instance */
	put_le32(x + 6, 0x1234);                             /* template id */
	put_le32(x + 10, EH_CHUNK_HEADER_SIZE);              /* definition elsewhere */
	put_le32(x + 14, 2);                                 /* two values */
	put_le16(x + 18, 8), put_le16(x + 22, 60000);        /* ...of 60008 bytes */
	size_t live, slack;
	struct eh_defused where[4];
	eh_chunk_defuse(c, &live, &slack, where, 4);
	cr_assert_eq(live, 1);
	cr_assert_eq(where[0].offset, at);
	cr_assert_not(where[0].why.over_limit, "refused for its shape");
	cr_assert_eq(c[at + 24], 0x00, "an end-of-stream token where its XML starts");
	cr_assert_eq(eh_chunk_record_id(c, 1), 101, "its framing is kept");
	put_le16(x + 22, 10); /* values that fit: left alone */
	x[0] = 0x0f;
	eh_chunk_defuse(c, &live, &slack, where, 4);
	cr_assert_eq(live, 0);
	free(c);
}

/* libevtx carves records at any byte offset from where the chain of live
 * records breaks, even before the free space offset; one with a huge value
 * count made it allocate 8 GiB (fuzz_chunk). It must be defused too. */
Test(defuse, an_unaligned_carving_inside_the_used_area)
{
	uint32_t sizes[] = { 64, 128, 128 };
	uint8_t *c = make_chunk(sizes, 3);
	uint32_t second = EH_CHUNK_HEADER_SIZE + 64;
	put_le32(c + second, 0);         /* the chain breaks at the second record */
	uint32_t at = second + 3;        /* a record header at an odd offset */
	put_le32(c + at, 0x00002a2a);
	put_le32(c + at + 4, 120);
	put_le32(c + at + 116, 120);
	uint8_t *x = c + at + 24;
	x[0] = 0x0f, x[1] = 1, x[2] = 1, x[3] = 0;
	x[4] = 0x0c, x[5] = 1;
	put_le32(x + 6, 0x1234);
	put_le32(x + 10, EH_CHUNK_HEADER_SIZE);
	put_le32(x + 14, 0x40000020u);   /* a billion values */
	size_t live, slack;
	struct eh_defused where[4];
	eh_chunk_defuse(c, &live, &slack, where, 4);
	cr_assert_eq(live, 0);
	cr_assert_eq(slack, 1);
	cr_assert_eq(le32(c + at), 0, "its signature is wiped in our copy");
	free(c);
}

/* A carved record whose nested template instance (inside a binary XML
 * value, with no fragment header of its own) names a template that was
 * overwritten since: libevtx would render it under another's names. */
Test(templates, a_nested_instance_must_name_its_template)
{
	uint32_t sizes[] = { 1536, 256 }; /* the templates inside the first record */
	uint8_t *c = make_chunk(sizes, 2);
	uint32_t def_outer = 1000, def_inner = 1500;
	memset(c + def_outer, 0, 1000);
	put_le32(c + def_outer + 4, 0xaaaa0001u); /* GUIDs: first 32 bits */
	/* the outer template's body, <E>%0</E>: what makes libevtx read value 0 */
	static const uint8_t body[] = { 0x0f, 1, 1, 0,                       /* fragment header */
					0x01, 0xff, 0xff, 22, 0, 0, 0,           /* <E, its size */
					0x0f, 0x04, 0, 0,                        /* name offset 1039: inline */
					0, 0, 0, 0, 0, 0, 1, 0, 'E', 0, 0, 0,    /* the name */
					0x02, 0x0d, 0, 0, 0x21, 0x04, 0x00 };    /* >%0</E>, end */
	memcpy(c + def_outer + 24, body, sizeof body);
	put_le32(c + def_outer + 20, sizeof body);
	put_le32(c + def_inner + 4, 0xbbbb0002u);
	uint8_t *x = c + EH_CHUNK_HEADER_SIZE + 1536 + 24;
	memset(x, 0, 200);
	x[0] = 0x0f, x[1] = 1, x[2] = 1, x[3] = 0;
	x[4] = 0x0c, x[5] = 1;
	put_le32(x + 6, 0xaaaa0001u);
	put_le32(x + 10, def_outer);
	put_le32(x + 14, 1);                      /* one value: */
	put_le16(x + 18, 14), x[20] = 0x21;       /* binary XML, 14 bytes */
	uint8_t *v = x + 22;
	v[0] = 0x0c, v[1] = 1;                    /* a nested instance */
	put_le32(v + 2, 0xbbbb0002u);
	put_le32(v + 6, def_inner);
	put_le32(v + 10, 0); /* its value count */
	cr_assert(eh_chunk_record_templates_intact(c, 101));
	put_le32(c + def_inner + 4, 0xcccc0003u); /* the inner template overwritten */
	cr_assert_not(eh_chunk_record_templates_intact(c, 101));
	cr_assert(eh_chunk_record_templates_intact(c, 999), "no such record: nothing to contradict");
	free(c);
}
