/* Records read straight from their binary XML (see bxdecode.h).
 *
 * The walk follows bxcheck.c, which mirrors libfwevt's read functions:
 * where libfwevt would fail, or where its rendering read back by libxml2
 * would give other text than the value itself, the decoder gives up and
 * the record goes to libevtx. Giving up is always safe; guessing is not. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/bxdecode.h"
#include "evtxhunt/chunk.h"
#include "evtxhunt/evtx_format.h"
#include "evtxhunt/fieldmap.h"
#include "evtxhunt/util.h"

/* libfwevt's read flag: elements of a record carry a dependency id, those
 * held in a binary-XML value do not (as bxcheck.c). */
enum { WITH_DEPENDENCY_IDS = 1 };

#define MAX_DEPTH 64
#define MAX_ATTRS 32
#define VALUE_SLOTS (EH_CHUNK_SIZE / EH_TV_DESCRIPTOR_SIZE)
#define NAME_CACHE 512 /* a power of two */

/* Value types of the substitution array (libfwevt's LIBFWEVT_VALUE_TYPE_*). */
enum {
	VT_STRING = 0x01, VT_ANSI = 0x02, VT_INT8 = 0x03, VT_UINT8 = 0x04, VT_INT16 = 0x05, VT_UINT16 = 0x06,
	VT_INT32 = 0x07, VT_UINT32 = 0x08, VT_INT64 = 0x09, VT_UINT64 = 0x0a, VT_BOOL = 0x0d, VT_BINARY = 0x0e,
	VT_GUID = 0x0f, VT_SIZE = 0x10, VT_FILETIME = 0x11, VT_SYSTEMTIME = 0x12, VT_SID = 0x13, VT_HEX32 = 0x14,
	VT_HEX64 = 0x15,
};

struct values {
	uint32_t count;
	const uint8_t *desc; /* COUNT descriptors: u16 size, u8 type, u8 */
	const uint32_t *at;  /* COUNT chunk offsets */
};

struct eh_bxdecode {
	struct eh_evbuild build;
	const uint8_t *chunk;
	uint32_t record_end;
	const char *why; /* set: left to libevtx */
	int depth;        /* elements and template instances being read */
	int open_elements; /* elements being read: 1 is the root */
	uint32_t roots;
	int in_value;     /* binary-XML values being read */
	struct buf text;  /* one piece of an element's text */
	struct buf attrs; /* an element's name, attribute names and values */
	/* names of the current chunk already read: chunk offset -> UTF-8 in
	 * names (names repeat in every record of a template) */
	struct {
		uint32_t at; /* 0: empty */
		uint32_t off, len;
	} name_cache[NAME_CACHE];
	struct buf names;
	uint32_t slots_used;
	uint32_t slots[VALUE_SLOTS];
};

struct eh_bxdecode *eh_bxdecode_new(void)
{
	struct eh_bxdecode *d = xcalloc(1, sizeof *d);
	eh_evbuild_init(&d->build);
	buf_init(&d->text);
	buf_init(&d->attrs);
	buf_init(&d->names);
	return d;
}

void eh_bxdecode_free(struct eh_bxdecode *d)
{
	if (d == NULL)
		return;
	eh_evbuild_release(&d->build);
	buf_free(&d->text);
	buf_free(&d->attrs);
	buf_free(&d->names);
	free(d);
}

void eh_bxdecode_new_chunk(struct eh_bxdecode *d)
{
	memset(d->name_cache, 0, sizeof d->name_cache);
	buf_reset(&d->names);
}

static bool ok(const struct eh_bxdecode *d)
{
	return d->why == NULL;
}

static bool give_up(struct eh_bxdecode *d, const char *why)
{
	if (d->why == NULL)
		d->why = why;
	return false;
}

/* N bytes at chunk offset AT are in the chunk. */
static bool have(struct eh_bxdecode *d, uint64_t at, uint64_t n)
{
	if (at > EH_CHUNK_SIZE || n > EH_CHUNK_SIZE - at)
		return give_up(d, "binary XML runs past the chunk");
	return true;
}

/* How text reaches the event through libevtx and libxml2. */
enum text_mode {
	IN_CONTENT, /* element text: libevtx escapes <, >, &; control characters survive (fieldmap.c) */
	IN_ATTRIBUTE, /* attribute values: libxml2 normalizes white space, " is not escaped */
	IN_NAME,      /* element and attribute names: plain XML names only */
};

/* UNITS UTF-16LE code units at P, appended to OUT as UTF-8. A NUL ends
 * the string when only NULs follow it (a terminator); anything libxml2
 * would not give back as it is makes the decoder give up. Written
 * straight into OUT's storage: this is the decoder's inner loop. */
static bool utf16(struct eh_bxdecode *d, const uint8_t *p, size_t units, enum text_mode mode, struct buf *out)
{
	buf_reserve(out, 3 * units); /* a unit takes at most 3 bytes (a pair 4 for 2) */
	unsigned char *o = (unsigned char *)out->data + out->len;
	for (size_t i = 0; i < units; i++) {
		uint32_t c = (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
		if (c >= 0x20 && c < 0x80 && c != '"') { /* the usual case */
			if (mode == IN_NAME && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
						 (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == ':'))
				break;
			*o++ = (unsigned char)c;
			continue;
		}
		if (c == 0) {
			for (size_t j = i + 1; j < units; j++)
				if (le16(p + 2 * j) != 0)
					return give_up(d, "a NUL inside a string");
			break;
		}
		if (mode == IN_NAME)
			break;
		if (c >= 0xd800 && c < 0xdc00 && i + 1 < units) {
			uint32_t lo = le16(p + 2 * i + 2);
			if (lo >= 0xdc00 && lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			}
		}
		if ((c >= 0xd800 && c < 0xe000) || c == 0xfffe || c == 0xffff)
			return give_up(d, "a character XML cannot hold");
		if (c >= 0xf780 && c < 0xf7a0) /* fieldmap.c's stand-ins for control characters */
			return give_up(d, "a private-use character the field mapper reserves");
		if (mode != IN_CONTENT && (c < 0x20 || c == '"'))
			return give_up(d, "a control character or quote in an attribute or name");
		if (c < 0x80) {
			*o++ = (unsigned char)c;
		} else if (c < 0x800) {
			*o++ = (unsigned char)(0xc0 | c >> 6);
			*o++ = (unsigned char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			*o++ = (unsigned char)(0xe0 | c >> 12);
			*o++ = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
			*o++ = (unsigned char)(0x80 | (c & 0x3f));
		} else {
			*o++ = (unsigned char)(0xf0 | c >> 18);
			*o++ = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
			*o++ = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
			*o++ = (unsigned char)(0x80 | (c & 0x3f));
		}
	}
	size_t written = (size_t)(o - (unsigned char *)out->data) - out->len;
	out->len += written;
	out->data[out->len] = '\0';
	if (mode == IN_NAME && written < units && le16(p + 2 * written) != 0)
		return give_up(d, "a name that is not plain ASCII");
	return true;
}

/* An unsigned number in decimal, as libfvalue writes it (and printf). */
static void add_decimal(struct buf *out, uint64_t v, bool negative)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_reserve(out, (size_t)n + 1);
	if (negative)
		out->data[out->len++] = '-';
	while (n)
		out->data[out->len++] = tmp[--n];
	out->data[out->len] = '\0';
}

static void add_signed(struct buf *out, int64_t v)
{
	add_decimal(out, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0);
}

/* The low DIGITS hex digits of V, zero padded, in the case of TABLE. */
static void add_hex_digits(struct buf *out, uint64_t v, int digits, const char table[16])
{
	buf_reserve(out, (size_t)digits);
	for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4)
		out->data[out->len++] = table[(v >> shift) & 15];
	out->data[out->len] = '\0';
}

/* "0x" and BITS/4 lower-case digits, as libfvalue pads hex integers. */
static void add_hex(struct buf *out, uint64_t v, int bits)
{
	buf_adds(out, "0x");
	add_hex_digits(out, v, bits / 4, "0123456789abcdef");
}

/* libfwevt_xml_document_read_name: the name at NAME_AT as UTF-8 in OUT;
 * returns the bytes it takes right here (0 when defined elsewhere). */
static uint32_t read_name(struct eh_bxdecode *d, uint32_t name_at, uint64_t cur, struct buf *out)
{
	if (name_at > cur) { /* libfwevt refuses a name defined further on */
		give_up(d, "a name defined further on");
		return 0;
	}
	if (!have(d, name_at, EH_NAME_CHARS))
		return 0;
	uint32_t units = le16(d->chunk + name_at + EH_NAME_LENGTH);
	if (!have(d, (uint64_t)name_at + EH_NAME_CHARS, 2u * units + 2u))
		return 0;
	uint32_t size = name_at == cur ? EH_NAME_CHARS + 2u * units + 2u : 0;
	if (units == 0) {
		give_up(d, "an empty name");
		return size;
	}
	uint32_t h = (name_at * 2654435761u) >> 23 & (NAME_CACHE - 1);
	for (uint32_t probe = 0; probe < NAME_CACHE; probe++, h = (h + 1) & (NAME_CACHE - 1)) {
		if (d->name_cache[h].at == name_at) {
			buf_add(out, d->names.data + d->name_cache[h].off, d->name_cache[h].len);
			return size;
		}
		if (d->name_cache[h].at == 0)
			break;
	}
	size_t start = out->len;
	if (utf16(d, d->chunk + name_at + EH_NAME_CHARS, units, IN_NAME, out) && d->name_cache[h].at == 0) {
		d->name_cache[h].at = name_at; /* a name offset is never 0: it lies past the chunk header */
		d->name_cache[h].off = (uint32_t)d->names.len;
		d->name_cache[h].len = (uint32_t)(out->len - start);
		buf_add(&d->names, out->data + start, out->len - start);
	}
	return size;
}

static const char hex_upper[] = "0123456789ABCDEF";


/* libfdatetime's ISO 8601 form of a FILETIME with nanoseconds. */
static bool format_filetime(struct eh_bxdecode *d, uint64_t ticks, struct buf *out)
{
	char when[48];
	eh_time_format((int64_t)(ticks & INT64_MAX), when); /* YYYY-MM-DDTHH:MM:SS.fffffffZ */
	if (ticks > (uint64_t)INT64_MAX || strlen(when) != 28 || when[4] != '-')
		return give_up(d, "a FILETIME past year 9999");
	buf_add(out, when, 27);
	buf_adds(out, "00Z"); /* nanoseconds: 100 ns is a FILETIME's finest */
	return true;
}

static int days_in_month(unsigned y, unsigned m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

static bool format_systemtime(struct eh_bxdecode *d, const uint8_t *p, struct buf *out)
{
	unsigned y = le16(p), mo = le16(p + 2), day = le16(p + 6), h = le16(p + 8), mi = le16(p + 10),
		 s = le16(p + 12), ms = le16(p + 14);
	if (y > 9999 || mo < 1 || mo > 12 || day < 1 || (int)day > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 ||
	    ms > 999)
		return give_up(d, "a SYSTEMTIME libfdatetime would refuse");
	buf_addf(out, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", y, mo, day, h, mi, s, ms);
	return true;
}

static bool format_sid(struct eh_bxdecode *d, const uint8_t *p, uint16_t size, struct buf *out)
{
	if (size < 8 || p[1] > 15 || size != 8u + 4u * p[1])
		return give_up(d, "a SID whose size does not fit its count");
	uint64_t authority = 0;
	for (int i = 2; i < 8; i++)
		authority = authority << 8 | p[i];
	if (authority > UINT32_MAX)
		return give_up(d, "a SID authority libfwnt writes in hex");
	/* by hand: a SID is in nearly every record, and printf's machinery
	 * cost 2,000 instructions a part */
	buf_adds(out, "S-");
	add_decimal(out, p[0], false);
	buf_addc(out, '-');
	add_decimal(out, authority, false);
	for (unsigned i = 0; i < p[1]; i++) {
		buf_addc(out, '-');
		add_decimal(out, le32(p + 8 + 4 * i), false);
	}
	return true;
}

/* A substitution value of TYPE, SIZE bytes at P, as libevtx writes it. */
static bool render_value(struct eh_bxdecode *d, uint8_t type, const uint8_t *p, uint16_t size, struct buf *out,
			 enum text_mode mode)
{
	static const uint8_t fixed[0x16] = {
		[VT_INT8] = 1, [VT_UINT8] = 1, [VT_INT16] = 2, [VT_UINT16] = 2, [VT_INT32] = 4, [VT_UINT32] = 4,
		[VT_INT64] = 8, [VT_UINT64] = 8, [VT_BOOL] = 4, [VT_GUID] = 16, [VT_FILETIME] = 8, [VT_SYSTEMTIME] = 16,
		[VT_HEX32] = 4, [VT_HEX64] = 8,
	};
	if (type < sizeof fixed && fixed[type] && size != fixed[type])
		return give_up(d, "a value whose size does not fit its type");
	switch (type) {
	case VT_STRING:
		if (size % 2)
			return give_up(d, "a UTF-16 value of an odd size");
		return utf16(d, p, size / 2, mode, out);
	case VT_ANSI:
		for (uint16_t i = 0; i < size; i++) {
			if (p[i] == 0) {
				for (uint16_t j = i; j < size; j++)
					if (p[j])
						return give_up(d, "a NUL inside a string");
				return true;
			}
			/* libevtx converts byte strings from its code page and
			 * copies them into the XML unescaped: a < or & there breaks
			 * the XML libxml2 reads (the rest of the record's fields
			 * with it). Read here, they are what the log holds.
			 * Outside ASCII, the code page is libevtx's to apply. */
			if (p[i] < 0x20 || p[i] >= 0x7f || (mode != IN_CONTENT && p[i] == '"'))
				return give_up(d, "a byte string outside printable ASCII");
			buf_addc(out, (char)p[i]);
		}
		return true;
	case VT_INT8:
		/* libfvalue writes a negative 8-bit integer wrongly (-1 as
		 * -127); the one reading of a value is libevtx's */
		if (p[0] & 0x80)
			return give_up(d, "a negative 8-bit integer");
		add_decimal(out, p[0], false);
		return true;
	case VT_UINT8: add_decimal(out, p[0], false); return true;
	case VT_INT16: add_signed(out, (int16_t)le16(p)); return true;
	case VT_UINT16: add_decimal(out, le16(p), false); return true;
	case VT_INT32: add_signed(out, (int32_t)le32(p)); return true;
	case VT_UINT32: add_decimal(out, le32(p), false); return true;
	case VT_INT64: add_signed(out, (int64_t)le64(p)); return true;
	case VT_UINT64: add_decimal(out, le64(p), false); return true;
	case VT_HEX32: add_hex(out, le32(p), 32); return true;
	case VT_HEX64: add_hex(out, le64(p), 64); return true;
	case VT_BOOL: buf_adds(out, le32(p) ? "true" : "false"); return true;
	case VT_SIZE:
		if (size == 4)
			add_decimal(out, le32(p), false);
		else if (size == 8)
			add_decimal(out, le64(p), false);
		else
			return give_up(d, "a size value of neither 4 nor 8 bytes");
		return true;
	case VT_BINARY:
		for (uint16_t i = 0; i < size; i++) {
			buf_addc(out, hex_upper[p[i] >> 4]);
			buf_addc(out, hex_upper[p[i] & 15]);
		}
		return true;
	case VT_GUID:
		buf_addc(out, '{');
		add_hex_digits(out, le32(p), 8, hex_upper);
		buf_addc(out, '-');
		add_hex_digits(out, le16(p + 4), 4, hex_upper);
		buf_addc(out, '-');
		add_hex_digits(out, le16(p + 6), 4, hex_upper);
		buf_addc(out, '-');
		for (int i = 8; i < 16; i++) {
			if (i == 10)
				buf_addc(out, '-');
			buf_addc(out, hex_upper[p[i] >> 4]);
			buf_addc(out, hex_upper[p[i] & 15]);
		}
		buf_addc(out, '}');
		return true;
	case VT_FILETIME: return format_filetime(d, le64(p), out);
	case VT_SYSTEMTIME: return format_systemtime(d, p, out);
	case VT_SID: return format_sid(d, p, size, out);
	default:
		return give_up(d, "a value type left to libevtx (floating point, array, unknown)");
	}
}

static uint32_t decode_element(struct eh_bxdecode *d, uint32_t at, unsigned flags, const struct values *vals);
static uint32_t decode_fragment(struct eh_bxdecode *d, uint32_t at, unsigned flags);
static uint32_t decode_instance(struct eh_bxdecode *d, uint32_t at, unsigned flags, uint64_t end);

/* What a substitution token at AT stands for. Text goes to OUT (PIECES
 * counted), binary XML is read as elements (CHILDREN counted). Returns
 * false for an optional substitution of nothing. */
static bool substitute(struct eh_bxdecode *d, uint32_t at, unsigned flags, const struct values *vals,
		       enum text_mode mode, struct buf *out, int *children)
{
	if (!have(d, at, 4))
		return false;
	if (vals == NULL)
		return give_up(d, "a substitution outside a template");
	uint16_t index = le16(d->chunk + at + 1);
	if (index >= vals->count)
		return give_up(d, "a substitution of a value the template instance lacks");
	const uint8_t *desc = vals->desc + (size_t)EH_TV_DESCRIPTOR_SIZE * index;
	uint16_t size = le16(desc);
	uint8_t type = desc[EH_TV_TYPE];
	uint32_t value_at = vals->at[index];
	if (type == EH_VALUE_NULL) {
		if (d->chunk[at] == EH_TOK_NORMAL_SUBSTITUTION) /* libfwevt fails on it */
			return give_up(d, "a normal substitution of a null value");
		return false;
	}
	if (type == EH_VALUE_BINXML) {
		if (mode != IN_CONTENT || children == NULL)
			return give_up(d, "binary XML in an attribute");
		if (!have(d, value_at, 1))
			return false;
		(*children)++;
		d->in_value++;
		switch (eh_binxml_token_base(d->chunk[value_at])) {
		case EH_TOK_OPEN_START_ELEMENT:
			decode_element(d, value_at, flags & ~(unsigned)WITH_DEPENDENCY_IDS, vals);
			break;
		case EH_TOK_FRAGMENT_HEADER:
			decode_fragment(d, value_at, flags);
			break;
		case EH_TOK_TEMPLATE_INSTANCE:
			decode_instance(d, value_at, flags, (uint64_t)value_at + size);
			break;
		default:
			give_up(d, "binary XML of an unexpected token");
		}
		d->in_value--;
		return false;
	}
	if (!have(d, value_at, size))
		return false;
	return render_value(d, type, d->chunk + value_at, size, out, mode);
}

/* A value text token at AT (a string type, a count, the characters):
 * returns its size. */
static uint32_t value_text(struct eh_bxdecode *d, uint32_t at, enum text_mode mode, struct buf *out)
{
	if (!have(d, at, 4))
		return 0;
	if (d->chunk[at + 1] != EH_VALUE_STRING) {
		give_up(d, "value text of a type other than string");
		return 0;
	}
	uint32_t units = le16(d->chunk + at + 2);
	if (!have(d, (uint64_t)at + 4, 2u * units))
		return 0;
	utf16(d, d->chunk + at + 4, units, mode, out);
	return 4 + 2 * units;
}

/* libfwevt_xml_document_read_attribute: a name and one content token.
 * The name and value are appended to d->attrs at *NAME_OFF and *VALUE_OFF;
 * returns the bytes taken, *PRESENT false when an optional substitution of
 * nothing leaves the attribute out (as libfwevt does). */
static uint32_t read_attribute(struct eh_bxdecode *d, uint32_t at, unsigned flags, const struct values *vals,
			       size_t *name_off, size_t *value_off, bool *present)
{
	*present = false;
	if (!have(d, at, 5))
		return 0;
	uint32_t off = 5;
	*name_off = d->attrs.len;
	off += read_name(d, le32(d->chunk + at + 1), (uint64_t)at + off, &d->attrs);
	buf_addc(&d->attrs, '\0');
	*value_off = d->attrs.len;
	if (!ok(d) || !have(d, (uint64_t)at + off, 1))
		return 0;
	uint8_t t = d->chunk[at + off];
	switch (eh_binxml_token_base(t)) {
	case EH_TOK_VALUE_TEXT:
		off += value_text(d, at + off, IN_ATTRIBUTE, &d->attrs);
		*present = true;
		break;
	case EH_TOK_NORMAL_SUBSTITUTION:
	case EH_TOK_OPTIONAL_SUBSTITUTION:
		if (t & EH_TOK_MORE)
			give_up(d, "a substitution token libfwevt does not know");
		*present = substitute(d, at + off, flags, vals, IN_ATTRIBUTE, &d->attrs, NULL);
		off += 4;
		break;
	default:
		give_up(d, "an attribute of other content than text or one substitution");
	}
	buf_addc(&d->attrs, '\0');
	return off;
}

/* The content of an element after its start tag, up to its end tag or
 * until SIZE runs out (as bxcheck.c's walk_content). */
static uint32_t decode_content(struct eh_bxdecode *d, uint32_t at, uint32_t size, unsigned flags,
			       const struct values *vals, int *pieces, int *children)
{
	uint32_t off = 0;
	while (size > 0 && ok(d)) {
		if (!have(d, (uint64_t)at + off, 1))
			break;
		uint8_t t = d->chunk[at + off];
		uint32_t n = 0;
		bool piece = false;
		buf_reset(&d->text);
		switch (eh_binxml_token_base(t)) {
		case EH_TOK_OPEN_START_ELEMENT:
			(*children)++;
			n = decode_element(d, at + off, flags, vals);
			break;
		case EH_TOK_CLOSE_EMPTY_ELEMENT:
		case EH_TOK_END_ELEMENT:
			if (t & EH_TOK_MORE)
				give_up(d, "an end token libfwevt does not know");
			n = 1;
			break;
		case EH_TOK_VALUE_TEXT:
			n = value_text(d, at + off, IN_CONTENT, &d->text);
			piece = true;
			break;
		case EH_TOK_NORMAL_SUBSTITUTION:
		case EH_TOK_OPTIONAL_SUBSTITUTION:
			if (t & EH_TOK_MORE)
				give_up(d, "a substitution token libfwevt does not know");
			piece = substitute(d, at + off, flags, vals, IN_CONTENT, &d->text, children);
			n = 4;
			break;
		default: /* CDATA, character and entity references, PIs */
			give_up(d, "content left to libevtx (CDATA, a reference or a processing instruction)");
		}
		if (!ok(d))
			break;
		if (piece && d->text.len && strspn(d->text.data, " \t\n") == d->text.len)
			give_up(d, "a value of only white space (the field mapper reads it as empty)");
		if (piece && ok(d)) {
			(*pieces)++;
			eh_evbuild_text(&d->build, d->text.data, d->text.len);
		}
		off += n;
		if (size < n)
			return give_up(d, "an element's content runs past its size"), off;
		size -= n;
		if (t == EH_TOK_CLOSE_EMPTY_ELEMENT || t == EH_TOK_END_ELEMENT)
			break;
	}
	return off;
}

/* libfwevt_xml_document_read_element: the element at AT to the builder. */
static uint32_t decode_element(struct eh_bxdecode *d, uint32_t at, unsigned flags, const struct values *vals)
{
	uint32_t head = (flags & WITH_DEPENDENCY_IDS) ? 3 : 1; /* token, dependency id */
	uint32_t off = 0;
	if (++d->depth > MAX_DEPTH) {
		give_up(d, "elements nested too deeply");
		goto out;
	}
	if (++d->open_elements == 1 && ++d->roots > 1) {
		give_up(d, "more than one root element");
		goto out;
	}
	if (!have(d, at, head + 8))
		goto out;
	uint8_t type = d->chunk[at];
	uint32_t size = le32(d->chunk + at + head);
	uint32_t name_at = le32(d->chunk + at + head + 4);
	off = head + 8;
	size -= 4;
	buf_reset(&d->attrs);
	uint32_t inline_name = read_name(d, name_at, (uint64_t)at + off, &d->attrs);
	buf_addc(&d->attrs, '\0');
	off += inline_name;
	size -= inline_name;
	size_t offs[MAX_ATTRS][2];
	size_t nattrs = 0;
	if (ok(d) && (type & EH_TOK_MORE)) {
		if (!have(d, (uint64_t)at + off, 4))
			goto out;
		uint32_t list = le32(d->chunk + at + off);
		off += 4;
		size -= 4;
		while (list > 0 && ok(d)) {
			if (!have(d, (uint64_t)at + off, 1))
				goto out;
			if (eh_binxml_token_base(d->chunk[at + off]) != EH_TOK_ATTRIBUTE) {
				give_up(d, "an attribute list holds another token");
				goto out;
			}
			if (nattrs == MAX_ATTRS) {
				give_up(d, "too many attributes");
				goto out;
			}
			bool present;
			uint32_t n = read_attribute(d, at + off, flags, vals, &offs[nattrs][0], &offs[nattrs][1], &present);
			if (present)
				nattrs++;
			off += n;
			size -= n;
			if (list < n) {
				give_up(d, "an attribute runs past the attribute list");
				goto out;
			}
			list -= n;
		}
	}
	if (!ok(d) || !have(d, (uint64_t)at + off, 1))
		goto out;
	uint8_t close = d->chunk[at + off];
	if (close != EH_TOK_CLOSE_START_ELEMENT && close != EH_TOK_CLOSE_EMPTY_ELEMENT) {
		give_up(d, "a start tag without its end");
		goto out;
	}
	/* attribute values read as libxml2 gives them: tabs and line ends as
	 * spaces (none get this far: utf16() gives up on them) */
	struct eh_xattr attrs[MAX_ATTRS];
	for (size_t i = 0; i < nattrs; i++)
		attrs[i] = (struct eh_xattr){ d->attrs.data + offs[i][0], d->attrs.data + offs[i][1],
					      strlen(d->attrs.data + offs[i][1]) };
	eh_evbuild_start(&d->build, d->attrs.data, attrs, nattrs);
	off += 1;
	size -= 1;
	int pieces = 0, children = 0;
	if (close == EH_TOK_CLOSE_START_ELEMENT)
		off += decode_content(d, at + off, size, flags, vals, &pieces, &children);
	/* libevtx writes an element's value before its child elements, and
	 * joins several values by its own rules: left to it */
	if (pieces > 1 || (pieces && children))
		give_up(d, "an element of mixed or several pieces of content");
	/* libevtx leaves out an empty element of a binary-XML value (the
	 * <Data/> before <Binary> of EventLog 6005/6006) */
	if (d->in_value && pieces == 0 && children == 0 && nattrs == 0)
		give_up(d, "an empty element in a binary-XML value");
	eh_evbuild_end(&d->build);
out:
	d->open_elements--;
	d->depth--;
	return off;
}

static uint32_t decode_fragment(struct eh_bxdecode *d, uint32_t at, unsigned flags)
{
	if (!have(d, at, EH_FRAGMENT_HEADER_SIZE + 1))
		return 0;
	uint32_t cur = at + EH_FRAGMENT_HEADER_SIZE;
	switch (eh_binxml_token_base(d->chunk[cur])) {
	case EH_TOK_OPEN_START_ELEMENT:
		return EH_FRAGMENT_HEADER_SIZE + decode_element(d, cur, flags, NULL);
	case EH_TOK_TEMPLATE_INSTANCE:
		return EH_FRAGMENT_HEADER_SIZE + decode_instance(d, cur, flags, d->record_end);
	default:
		give_up(d, "a fragment of an unexpected token");
		return 0;
	}
}

/* libfwevt_xml_document_read_template_instance (as bxcheck.c's
 * walk_instance): its values, then its template's body read with them. */
static uint32_t decode_instance(struct eh_bxdecode *d, uint32_t at, unsigned flags, uint64_t end)
{
	if (++d->depth > MAX_DEPTH) {
		give_up(d, "template instances nested too deeply");
		d->depth--;
		return 0;
	}
	uint32_t consumed = 0;
	if ((uint64_t)at + EH_TI_SIZE > end || !have(d, at, EH_TI_SIZE + 1)) {
		give_up(d, "a template instance runs past the record");
		goto out;
	}
	uint64_t def = le32(d->chunk + at + EH_TI_DEFINITION), cur = (uint64_t)at + EH_TI_SIZE;
	if (def < EH_CHUNK_HEADER_SIZE || def > EH_CHUNK_SIZE - EH_TD_HEADER_SIZE || def > cur) {
		give_up(d, "a template outside the chunk or further on");
		goto out;
	}
	uint64_t p = cur;
	if (def == cur) /* the definition follows inline */
		p += EH_TD_HEADER_SIZE + (uint64_t)le32(d->chunk + def + EH_TD_DATA_SIZE);
	if (p + EH_TI_VALUE_COUNT_SIZE > end) {
		give_up(d, "template values run past the record");
		goto out;
	}
	uint64_t count = le32(d->chunk + p);
	p += EH_TI_VALUE_COUNT_SIZE;
	if (count * EH_TV_DESCRIPTOR_SIZE > end - p || count > VALUE_SLOTS - d->slots_used) {
		give_up(d, "template values run past the record");
		goto out;
	}
	uint32_t *slot = d->slots + d->slots_used;
	uint64_t value_at = p + count * EH_TV_DESCRIPTOR_SIZE;
	for (uint64_t i = 0; i < count; i++) {
		slot[i] = (uint32_t)value_at;
		value_at += le16(d->chunk + p + EH_TV_DESCRIPTOR_SIZE * i);
	}
	if (value_at > end) {
		give_up(d, "template values run past the record");
		goto out;
	}
	d->slots_used += (uint32_t)count;
	struct values vals = { (uint32_t)count, d->chunk + p, slot };
	uint64_t body = def + EH_TD_HEADER_SIZE;
	if (have(d, body, EH_FRAGMENT_HEADER_SIZE + 1) && d->chunk[body] == EH_TOK_FRAGMENT_HEADER &&
	    eh_binxml_token_base(d->chunk[body + EH_FRAGMENT_HEADER_SIZE]) == EH_TOK_OPEN_START_ELEMENT)
		decode_element(d, (uint32_t)body + EH_FRAGMENT_HEADER_SIZE, flags, &vals);
	else
		give_up(d, "a template body that is not one element");
	d->slots_used -= (uint32_t)count;
	consumed = (uint32_t)(value_at - at);
out:
	d->depth--;
	return consumed;
}

int eh_bxdecode_record(struct eh_bxdecode *d, const uint8_t *chunk, uint32_t pos, uint32_t size, struct eh_event *ev,
		       const char **why)
{
	d->why = NULL;
	if (size < EH_RECORD_MIN_SIZE || pos > EH_CHUNK_SIZE || size > EH_CHUNK_SIZE - pos) {
		*why = "the record runs past the chunk";
		return -1;
	}
	d->chunk = chunk;
	d->record_end = pos + size - EH_RECORD_COPY_SIZE;
	d->depth = 0;
	d->open_elements = 0;
	d->roots = 0;
	d->in_value = 0;
	d->slots_used = 0;
	eh_evbuild_begin(&d->build, ev);
	uint32_t at = pos + EH_REC_BINXML;
	/* libfwevt_xml_document_read_with_template_values: fragments up to an
	 * end of stream */
	while (ok(d)) {
		if (at >= d->record_end) {
			give_up(d, "no end of stream in the record");
			break;
		}
		uint8_t t = chunk[at];
		if (t == EH_TOK_END_OF_STREAM)
			break;
		if (t != EH_TOK_FRAGMENT_HEADER) {
			give_up(d, "a record of other tokens than fragments");
			break;
		}
		uint32_t n = decode_fragment(d, at, WITH_DEPENDENCY_IDS);
		if (n == 0)
			give_up(d, "an empty fragment");
		at += n;
	}
	if (ok(d) && d->roots != 1)
		give_up(d, "a record without an element");
	if (!ok(d)) {
		*why = d->why;
		return -1;
	}
	eh_evbuild_finish(&d->build);
	return 0;
}
