/* UTF-8 decoding, UTF-16 encoding, simple case folding. */
#include "config.h"

#include "evtxhunt/utf.h"

size_t eh_utf8_decode(const unsigned char *s, size_t left, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;
	*cp = EH_UTF_REPLACEMENT;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		n = 2, v = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, v = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

static void put_unit(struct buf *out, uint16_t u, bool big_endian)
{
	char b[2] = { (char)(big_endian ? u >> 8 : u), (char)(big_endian ? u : u >> 8) };
	buf_add(out, b, 2);
}

void eh_utf16_put(struct buf *out, uint32_t cp, bool big_endian)
{
	if (cp >= 0x10000) {
		put_unit(out, (uint16_t)(0xd800 + ((cp - 0x10000) >> 10)), big_endian);
		put_unit(out, (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff)), big_endian);
	} else {
		put_unit(out, (uint16_t)cp, big_endian);
	}
}

void eh_utf8_to_utf16(const char *s, size_t len, bool big_endian, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = eh_utf8_decode(p + i, len - i, &cp);
		eh_utf16_put(out, cp, big_endian);
		i += n ? n : 1;
	}
}

/* Where upper and lower case alternate (U+0100 A-macron, U+0101 a-macron,
 * ...): the upper case is the one with the parity of FIRST. */
static bool alternating(uint32_t cp, uint32_t first, uint32_t last)
{
	return cp >= first && cp <= last && (cp - first) % 2 == 0;
}

uint32_t eh_fold(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
	if (cp < 0x100) { /* Latin-1 */
		if (cp == 0xb5)
			return 0x3bc; /* micro sign: Greek mu */
		return cp >= 0xc0 && cp <= 0xde && cp != 0xd7 ? cp + 32 : cp;
	}
	if (cp < 0x180) { /* Latin Extended-A; U+0130, U+0131, U+0138, U+0149
			   * have no simple folding, U+017F is left alone */
		if (alternating(cp, 0x100, 0x12e) || alternating(cp, 0x132, 0x136) || alternating(cp, 0x139, 0x147) ||
		    alternating(cp, 0x14a, 0x176) || alternating(cp, 0x179, 0x17d))
			return cp + 1;
		return cp == 0x178 ? 0xff : cp;
	}
	if (cp == 0x345)
		return 0x3b9; /* combining ypogegrammeni: iota */
	if (cp >= 0x370 && cp < 0x400) { /* Greek */
		if ((cp >= 0x391 && cp <= 0x3a1) || (cp >= 0x3a3 && cp <= 0x3ab))
			return cp + 32;
		if (alternating(cp, 0x370, 0x372) || cp == 0x376 || alternating(cp, 0x3d8, 0x3ee) || cp == 0x3f7 ||
		    cp == 0x3fa)
			return cp + 1;
		if (cp >= 0x3fd)
			return cp - 0x3fd + 0x37b;
		switch (cp) {
		case 0x37f: return 0x3f3;
		case 0x386: return 0x3ac;
		case 0x388: return 0x3ad;
		case 0x389: return 0x3ae;
		case 0x38a: return 0x3af;
		case 0x38c: return 0x3cc;
		case 0x38e: return 0x3cd;
		case 0x38f: return 0x3ce;
		case 0x3c2: return 0x3c3; /* final sigma */
		case 0x3cf: return 0x3d7;
		case 0x3d0: return 0x3b2;
		case 0x3d1: return 0x3b8;
		case 0x3d5: return 0x3c6;
		case 0x3d6: return 0x3c0;
		case 0x3f0: return 0x3ba;
		case 0x3f1: return 0x3c1;
		case 0x3f4: return 0x3b8;
		case 0x3f5: return 0x3b5;
		case 0x3f9: return 0x3f2;
		}
		return cp;
	}
	if (cp >= 0x400 && cp < 0x530) { /* Cyrillic and its Supplement */
		if (cp < 0x410)
			return cp + 80;
		if (cp < 0x430)
			return cp + 32;
		if (alternating(cp, 0x460, 0x480) || alternating(cp, 0x48a, 0x4be) || alternating(cp, 0x4c1, 0x4cd) ||
		    alternating(cp, 0x4d0, 0x52e))
			return cp + 1;
		return cp == 0x4c0 ? 0x4cf : cp;
	}
	return cp;
}

void eh_utf8_fold(const char *s, size_t len, char *dst)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		unsigned char c = p[i];
		if (c < 0x80) { /* the common case */
			dst[i++] = (char)ascii_lower(c);
			continue;
		}
		uint32_t cp;
		size_t n = eh_utf8_decode(p + i, len - i, &cp);
		if (n == 2) { /* every folding in eh_fold is from and to U+0080-U+07FF */
			uint32_t f = eh_fold(cp);
			dst[i] = (char)(0xc0 | f >> 6);
			dst[i + 1] = (char)(0x80 | (f & 0x3f));
		} else {
			n = n ? n : 1;
			for (size_t k = 0; k < n; k++)
				dst[i + k] = (char)p[i + k];
		}
		i += n;
	}
}
