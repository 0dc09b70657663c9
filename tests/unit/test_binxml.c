/* The fallback renderer: binary XML without a template. */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/binxml.h"
#include "evtxhunt/bxcheck.h"
#include "evtxhunt/chunk.h"
#include "evtxhunt/fieldmap.h"

static uint8_t chunk[EH_CHUNK_SIZE];
static uint32_t pos;

static void u8(uint8_t v) { chunk[pos++] = v; }
static void u16(uint16_t v) { put_le16(chunk + pos, v); pos += 2; }
static void u32(uint32_t v) { put_le32(chunk + pos, v); pos += 4; }

/* A name defined inline, where its offset points. */
static void name(const char *s)
{
	u32(pos + 4);
	u32(0);
	u16(0);
	u16((uint16_t)strlen(s));
	for (; *s; s++)
		u16((unsigned char)*s);
	u16(0);
}

static void text(const char *s)
{
	u8(0x05);
	u8(0x01);
	u16((uint16_t)strlen(s));
	for (; *s; s++)
		u16((unsigned char)*s);
}

/* An empty chunk with a record header at the first record offset and a
 * fragment header: the record's binary XML goes on at POS. Returns the
 * record's offset. */
static uint32_t begin_record(void)
{
	memset(chunk, 0, sizeof chunk);
	uint32_t start = pos = EH_CHUNK_HEADER_SIZE;
	u32(0x00002a2a);
	u32(0); /* size, when the record ends */
	u32(1), u32(0), u32(0), u32(0);
	u8(0x0f), u8(1), u8(1), u8(0);
	return start;
}

static void open_element(const char *n, bool attrs)
{
	u8(attrs ? 0x41 : 0x01);
	u32(0); /* data size: not needed to render */
	name(n);
	if (attrs)
		u32(0);
}

/* <Event><System><Provider Name="P"/><EventID>7</EventID></System>
 * <EventData><Data Name="A">x&amp;y&#65;</Data></EventData></Event> */
static uint32_t build(void)
{
	uint32_t start = begin_record();
	open_element("Event", false);
	u8(0x02);
	open_element("System", false);
	u8(0x02);
	open_element("Provider", true);
	u8(0x06);
	name("Name");
	text("P");
	u8(0x03);
	open_element("EventID", false);
	u8(0x02);
	text("7");
	u8(0x04);
	u8(0x04);
	open_element("EventData", false);
	u8(0x02);
	open_element("Data", true);
	u8(0x06);
	name("Name");
	text("A");
	u8(0x02);
	text("x&y");
	u8(0x08);
	u16('A');
	u8(0x04);
	u8(0x04);
	u8(0x04);
	u8(0x00);
	u32(pos - start + 4);
	put_le32(chunk + start + 4, pos - start);
	return pos - start;
}

Test(binxml, renders_template_less_records)
{
	uint32_t size = build();
	struct buf xml;
	buf_init(&xml);
	char *cause = NULL;
	cr_assert_eq(eh_binxml_render(chunk, EH_CHUNK_HEADER_SIZE, size, &xml, &cause), 0, "%s", cause);
	cr_assert_str_eq(xml.data, "<Event><System><Provider Name=\"P\"/><EventID>7</EventID></System>"
				   "<EventData><Data Name=\"A\">x&amp;y&#65;</Data></EventData></Event>");
	buf_free(&xml);
}

Test(binxml, refuses_templates_and_truncation)
{
	uint32_t size = build();
	struct buf xml;
	buf_init(&xml);
	char *cause = NULL;
	chunk[EH_CHUNK_HEADER_SIZE + 28] = 0x0c; /* a template instance instead */
	cr_assert_eq(eh_binxml_render(chunk, EH_CHUNK_HEADER_SIZE, size, &xml, &cause), -1);
	cr_assert(strstr(cause, "template instance") != NULL, "%s", cause);
	free(cause);
	build();
	cr_assert_eq(eh_binxml_render(chunk, EH_CHUNK_HEADER_SIZE, 60, &xml, &cause), -1, "cut short");
	free(cause);
	buf_free(&xml);
}

/* Found by tests/fuzz/fuzz_chunk.c: a name offset near 2^32 wrapped the
 * bounds check (kept as tests/fuzz/crash-binxml-name-offset-wrap). */
Test(binxml, name_offsets_near_the_top_do_not_wrap)
{
	uint32_t size = build();
	struct buf xml;
	buf_init(&xml);
	char *cause = NULL;
	/* the Event element's name offset: record + 24 + 4 (fragment) + 1 + 4 */
	put_le32(chunk + EH_CHUNK_HEADER_SIZE + 33, 0xfffffff8u);
	cr_assert_eq(eh_binxml_render(chunk, EH_CHUNK_HEADER_SIZE, size, &xml, &cause), -1);
	cr_assert(strstr(cause, "name offset outside the chunk") != NULL, "%s", cause);
	free(cause);
	buf_free(&xml);
}

/* <NAME>VALUE</NAME> */
static void leaf(const char *n, const char *value)
{
	open_element(n, false);
	u8(0x02);
	text(value);
	u8(0x04);
}

/* A Security 1102 written without a template (System, then UserData), or
 * with two unnamed Data when UNNAMED. */
static uint32_t build_payload(bool unnamed)
{
	uint32_t start = begin_record();
	open_element("Event", false);
	u8(0x02);
	open_element("System", false);
	u8(0x02);
	open_element("Provider", true);
	u8(0x06);
	name("Name");
	text("Microsoft-Windows-Eventlog");
	u8(0x03);
	leaf("EventID", "1102");
	leaf("Level", "4");
	leaf("Keywords", "0x4020000000000000");
	leaf("Computer", "PC01");
	u8(0x04);
	if (unnamed) {
		open_element("EventData", false);
		u8(0x02);
		leaf("Data", "first");
		leaf("Data", "second");
		u8(0x04);
	} else {
		open_element("UserData", false);
		u8(0x02);
		open_element("LogFileCleared", false);
		u8(0x02);
		leaf("SubjectUserName", "user01");
		leaf("SubjectLogonId", "0x0000000000017dad");
		u8(0x04);
		u8(0x04);
	}
	u8(0x04);
	u8(0x00);
	u32(pos - start + 4);
	put_le32(chunk + start + 4, pos - start);
	return pos - start;
}

/* Records evtxhunt renders itself give the fields libevtx's give: the
 * System fields, UserData leaves, unnamed Data, hex as Windows writes it. */
Test(binxml, rendered_records_have_every_field)
{
	struct eh_fieldmap *fm = eh_fieldmap_new();
	struct eh_event ev;
	eh_event_init(&ev);
	struct buf xml;
	buf_init(&xml);
	char *cause = NULL;
	uint32_t size = build_payload(false);
	cr_assert_eq(eh_binxml_render(chunk, EH_CHUNK_HEADER_SIZE, size, &xml, &cause), 0, "%s", cause);
	cr_assert_eq(eh_fieldmap_parse(fm, xml.data, xml.len, &ev, &cause), 0);
	cr_assert_str_eq(eh_event_get_system(&ev, "EventID", NULL), "1102");
	cr_assert_str_eq(eh_event_get_system(&ev, "Provider_Name", NULL), "Microsoft-Windows-Eventlog");
	cr_assert_str_eq(eh_event_get_system(&ev, "Level", NULL), "4");
	cr_assert_str_eq(eh_event_get_system(&ev, "Keywords", NULL), "0x4020000000000000");
	cr_assert_str_eq(eh_event_get_system(&ev, "Computer", NULL), "PC01");
	cr_assert_str_eq(eh_event_get(&ev, "SubjectUserName", NULL), "user01");
	cr_assert_str_eq(eh_event_get(&ev, "SubjectLogonId", NULL), "0x17dad");
	size = build_payload(true);
	cr_assert_eq(eh_binxml_render(chunk, EH_CHUNK_HEADER_SIZE, size, &xml, &cause), 0, "%s", cause);
	cr_assert_eq(eh_fieldmap_parse(fm, xml.data, xml.len, &ev, &cause), 0);
	cr_assert_eq(ev.nfields, 2);
	cr_assert_str_eq(ev.fields[0].name, "Data");
	cr_assert_str_eq(ev.fields[1].name, "Data");
	cr_assert_str_eq(ev.fields[1].value, "second");
	buf_free(&xml);
	eh_event_release(&ev);
	eh_fieldmap_free(fm);
}

/* Names are offsets: 4,000 elements naming one 8,000-character name would
 * render 64 MB of XML out of a 64 KiB record. The renderer stops at the
 * byte limit that bounds libevtx too (bxcheck.h). */
Test(binxml, names_repeated_by_offset_are_bounded)
{
	uint32_t start = begin_record();
	open_element("Event", false);
	u8(0x02);
	u8(0x01);
	u32(0);
	uint32_t long_name = pos + 4;
	u32(long_name); /* an inline name of 8,000 characters */
	u32(0), u16(0), u16(8000);
	for (int i = 0; i < 8000; i++)
		u16('n');
	u16(0);
	u8(0x03);
	while (pos < EH_CHUNK_SIZE - 64) {
		u8(0x01);
		u32(0);
		u32(long_name);
		u8(0x03);
	}
	u8(0x04);
	u8(0x00);
	u32(pos - start + 4);
	put_le32(chunk + start + 4, pos - start);
	struct buf xml;
	buf_init(&xml);
	char *cause = NULL;
	cr_assert_eq(eh_binxml_render(chunk, start, pos - start, &xml, &cause), -1);
	cr_assert(strstr(cause, "byte limit") != NULL, "%s", cause);
	cr_assert_lt(xml.len, 2 * eh_bx_default_limits.bytes);
	free(cause);
	buf_free(&xml);
}
