/* Binary XML token and value-type bytes, as the EVTX format (libevtx's
 * documentation) defines them: one list for binxml.c, which renders
 * template-less records, and bxcheck.c, which walks records as libevtx will.
 * Byte offsets of headers live in chunk.h. */
#ifndef EVTXHUNT_EVTX_FORMAT_H
#define EVTXHUNT_EVTX_FORMAT_H

enum eh_binxml_token {
	EH_TOK_END_OF_STREAM = 0x00,
	EH_TOK_OPEN_START_ELEMENT = 0x01,
	EH_TOK_CLOSE_START_ELEMENT = 0x02,
	EH_TOK_CLOSE_EMPTY_ELEMENT = 0x03,
	EH_TOK_END_ELEMENT = 0x04,
	EH_TOK_VALUE_TEXT = 0x05,
	EH_TOK_ATTRIBUTE = 0x06,
	EH_TOK_CDATA = 0x07,
	EH_TOK_CHAR_REF = 0x08,
	EH_TOK_ENTITY_REF = 0x09,
	EH_TOK_PI_TARGET = 0x0a,
	EH_TOK_PI_DATA = 0x0b,
	EH_TOK_TEMPLATE_INSTANCE = 0x0c,
	EH_TOK_NORMAL_SUBSTITUTION = 0x0d,
	EH_TOK_OPTIONAL_SUBSTITUTION = 0x0e,
	EH_TOK_FRAGMENT_HEADER = 0x0f,
	/* or-ed into a token: an element with attributes, an attribute with
	 * another after it, text with more after it */
	EH_TOK_MORE = 0x40,
};

/* The token without its EH_TOK_MORE flag. */
static inline unsigned eh_binxml_token_base(unsigned t)
{
	return t & (unsigned)~EH_TOK_MORE & 0xffu;
}

enum eh_binxml_value_type {
	EH_VALUE_NULL = 0x00,   /* no value: an optional substitution leaves nothing */
	EH_VALUE_STRING = 0x01, /* UTF-16LE */
	EH_VALUE_BINXML = 0x21, /* a substitution value that is binary XML itself */
	EH_VALUE_ARRAY = 0x80,  /* or-ed into a type: an array of such values */
};

#endif
