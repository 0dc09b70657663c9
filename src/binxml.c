/* Template-less binary XML to XML text. */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "evtxhunt/binxml.h"
#include "evtxhunt/bxcheck.h"
#include "evtxhunt/chunk.h"
#include "evtxhunt/evtx_format.h"

struct bx {
	const uint8_t *chunk;
	uint32_t pos, end; /* chunk offsets */
	struct buf *out;
	const char *error;
};

static bool binxml_need(struct bx *b, uint32_t n)
{
	if (b->error == NULL && (b->end < b->pos || b->end - b->pos < n))
		b->error = "record ends inside a token";
	return b->error == NULL;
}

static uint8_t binxml_u8(struct bx *b)
{
	return binxml_need(b, 1) ? b->chunk[b->pos++] : 0;
}

static uint16_t binxml_u16(struct bx *b)
{
	if (!binxml_need(b, 2))
		return 0;
	b->pos += 2;
	return le16(b->chunk + b->pos - 2);
}

static uint32_t binxml_u32(struct bx *b)
{
	if (!binxml_need(b, 4))
		return 0;
	b->pos += 4;
	return le32(b->chunk + b->pos - 4);
}

/* UTF-16LE text to UTF-8, escaped for XML when ESCAPE. */
static void binxml_utf16(struct bx *b, const uint8_t *p, size_t units, bool escape)
{
	for (size_t i = 0; i < units; i++) {
		uint32_t c = le16(p + 2 * i);
		if (c >= 0xd800 && c < 0xdc00 && i + 1 < units) {
			uint32_t lo = le16(p + 2 * i + 2);
			if (lo >= 0xdc00 && lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			}
		}
		if (c >= 0xd800 && c < 0xe000)
			c = 0xfffd; /* a lone surrogate */
		if (escape && (c == '<' || c == '>' || c == '&' || c == '"')) {
			buf_adds(b->out, c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : "&quot;");
		} else {
			buf_add_utf8(b->out, c);
		}
	}
}

/* A name: by chunk offset; defined inline when the offset is right here. */
static void binxml_name(struct bx *b)
{
	uint32_t at = binxml_u32(b);
	if (b->error)
		return;
	/* bounds written so they cannot wrap: AT comes from the log */
	if (at < EH_CHUNK_HEADER_SIZE || at > EH_CHUNK_SIZE - EH_NAME_CHARS) {
		b->error = "name offset outside the chunk";
		return;
	}
	uint16_t n = le16(b->chunk + at + EH_NAME_LENGTH);
	if (2u * n + 2 > EH_CHUNK_SIZE - EH_NAME_CHARS - at) {
		b->error = "name runs past the chunk";
		return;
	}
	binxml_utf16(b, b->chunk + at + EH_NAME_CHARS, n, false);
	/* names are offsets: thousands of elements may name one long name */
	if (b->out->len > eh_bx_default_limits.bytes) {
		b->error = "the XML expands past the byte limit (names repeated by offset)";
		return;
	}
	if (at == b->pos) /* inline: skip the header, the characters and the NUL */
		b->pos += EH_NAME_CHARS + 2u * n + 2;
}

/* A value text token's content: a type byte, then a counted string. */
static void value_text(struct bx *b, bool escape)
{
	uint8_t type = binxml_u8(b);
	if (type != EH_VALUE_STRING) {
		if (b->error == NULL)
			b->error = "value text of a type other than string";
		return;
	}
	uint16_t n = binxml_u16(b);
	if (!binxml_need(b, 2u * n))
		return;
	binxml_utf16(b, b->chunk + b->pos, n, escape);
	b->pos += 2u * n;
}

/* Text after an attribute name or inside an element, up to a token that
 * is not text. Returns that token (not consumed). */
static uint8_t binxml_content(struct bx *b)
{
	for (;;) {
		if (!binxml_need(b, 1))
			return 0;
		uint8_t t = b->chunk[b->pos];
		switch (eh_binxml_token_base(t)) {
		case EH_TOK_VALUE_TEXT:
			b->pos++;
			value_text(b, true);
			break;
		case EH_TOK_CDATA: {
			b->pos++;
			uint16_t n = binxml_u16(b);
			if (!binxml_need(b, 2u * n))
				return 0;
			binxml_utf16(b, b->chunk + b->pos, n, true);
			b->pos += 2u * n;
			break;
		}
		case EH_TOK_CHAR_REF:
			b->pos++;
			buf_addf(b->out, "&#%u;", binxml_u16(b));
			break;
		case EH_TOK_ENTITY_REF:
			b->pos++;
			buf_addc(b->out, '&');
			binxml_name(b);
			buf_addc(b->out, ';');
			break;
		default:
			return t;
		}
		if (b->error)
			return 0;
	}
}

static void binxml_element(struct bx *b, int depth)
{
	if ((uint32_t)depth >= eh_bx_default_limits.depth) {
		b->error = "elements nested too deeply";
		return;
	}
	uint8_t t = binxml_u8(b);
	/* no dependency id: that belongs to elements of template definitions */
	binxml_u32(b); /* data size */
	buf_addc(b->out, '<');
	size_t name_at = b->out->len;
	binxml_name(b);
	char *name = xstrndup(b->out->data + name_at, b->out->len - name_at);
	if (t & EH_TOK_MORE) { /* attributes follow */
		binxml_u32(b); /* attribute list size */
		for (;;) {
			if (!binxml_need(b, 1))
				goto out;
			uint8_t a = b->chunk[b->pos];
			if (eh_binxml_token_base(a) != EH_TOK_ATTRIBUTE)
				break;
			b->pos++;
			buf_addc(b->out, ' ');
			binxml_name(b);
			buf_adds(b->out, "=\"");
			binxml_content(b);
			buf_addc(b->out, '"');
			if (b->error || !(a & EH_TOK_MORE))
				break;
		}
	}
	uint8_t close = binxml_u8(b);
	if (close == EH_TOK_CLOSE_EMPTY_ELEMENT) {
		buf_adds(b->out, "/>");
		goto out;
	}
	if (close != EH_TOK_CLOSE_START_ELEMENT) {
		if (b->error == NULL)
			b->error = "expected the end of a start tag";
		goto out;
	}
	buf_addc(b->out, '>');
	for (;;) {
		uint8_t next = binxml_content(b);
		if (b->error)
			goto out;
		if (eh_binxml_token_base(next) == EH_TOK_OPEN_START_ELEMENT) {
			binxml_element(b, depth + 1);
		} else if (next == EH_TOK_END_ELEMENT) {
			b->pos++;
			buf_addf(b->out, "</%s>", name);
			break;
		} else {
			b->error = next == EH_TOK_TEMPLATE_INSTANCE ? "a template instance (libevtx's to render)"
				   : next == EH_TOK_NORMAL_SUBSTITUTION || next == EH_TOK_OPTIONAL_SUBSTITUTION
					   ? "a substitution outside a template"
								    : "an unexpected token";
			goto out;
		}
		if (b->error)
			goto out;
	}
out:
	free(name);
}

int eh_binxml_render(const uint8_t *chunk, uint32_t offset, uint32_t size, struct buf *xml, char **cause)
{
	struct bx b = { chunk, offset + EH_REC_BINXML, offset + size - EH_RECORD_COPY_SIZE, xml, NULL };
	buf_reset(xml);
	if (size < EH_RECORD_MIN_SIZE || offset > EH_CHUNK_SIZE || size > EH_CHUNK_SIZE - offset) {
		*cause = xstrdup("record outside the chunk");
		return -1;
	}
	if (binxml_u8(&b) == EH_TOK_FRAGMENT_HEADER)
		b.pos += EH_FRAGMENT_HEADER_SIZE - 1;
	else
		b.pos--;
	if (binxml_need(&b, 1) && eh_binxml_token_base(chunk[b.pos]) == EH_TOK_OPEN_START_ELEMENT)
		binxml_element(&b, 0);
	else if (b.error == NULL)
		b.error = chunk[b.pos] == EH_TOK_TEMPLATE_INSTANCE ? "a template instance (libevtx's to render)" : "no element to render";
	if (b.error) {
		*cause = xasprintf("binary XML at record offset %u: %s", b.pos - offset, b.error);
		return -1;
	}
	return 0;
}
