/* The shared UTF helpers: decoding, UTF-16 encoding, case folding. */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "evtxhunt/utf.h"

static uint32_t decode(const char *s, size_t *n)
{
	uint32_t cp = 0;
	*n = eh_utf8_decode((const unsigned char *)s, strlen(s), &cp);
	return cp;
}

Test(utf8, decodes_valid_characters)
{
	size_t n;
	cr_assert_eq(decode("A", &n), 'A');
	cr_assert_eq(n, 1);
	cr_assert_eq(decode("\xc3\xa9", &n), 0xe9);
	cr_assert_eq(n, 2);
	cr_assert_eq(decode("\xe2\x80\x94", &n), 0x2014);
	cr_assert_eq(n, 3);
	cr_assert_eq(decode("\xf0\x9f\x98\x80", &n), 0x1f600);
	cr_assert_eq(n, 4);
}

Test(utf8, invalid_input_is_zero_and_the_replacement_character)
{
	const char *bad[] = {
		"\x80",             /* stray continuation */
		"\xc3",             /* truncated */
		"\xc3(",            /* not a continuation */
		"\xc0\xaf",         /* overlong '/' */
		"\xe0\x80\xaf",     /* overlong */
		"\xed\xa0\x80",     /* surrogate U+D800 */
		"\xf4\x90\x80\x80", /* beyond U+10FFFF */
		"\xff",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		size_t n;
		cr_assert_eq(decode(bad[i], &n), EH_UTF_REPLACEMENT, "case %zu", i);
		cr_assert_eq(n, 0, "case %zu", i);
	}
}

static void utf16(const char *s, size_t len, bool be, const char *want, size_t wlen)
{
	struct buf b;
	buf_init(&b);
	eh_utf8_to_utf16(s, len, be, &b);
	cr_assert_eq(b.len, wlen);
	cr_assert(memcmp(b.data, want, wlen) == 0);
	buf_free(&b);
}

Test(utf16, encodes_bmp_pairs_and_invalid_bytes)
{
	utf16("Az", 2, false, "A\0z\0", 4);
	utf16("Az", 2, true, "\0A\0z", 4);
	utf16("\xd0\x9f", 2, false, "\x1f\x04", 2);
	utf16("\xf0\x9f\x98\x80", 4, false, "\x3d\xd8\x00\xde", 4);
	/* each invalid byte is one U+FFFD, the next character survives */
	utf16("\xc3(", 2, false, "\xfd\xff(\0", 4);
	utf16("\xe2\x80", 2, false, "\xfd\xff\xfd\xff", 4);
}

static const char *fold(const char *s)
{
	static char out[256];
	size_t len = strlen(s);
	eh_utf8_fold(s, len, out);
	out[len] = '\0';
	return out;
}

Test(fold, letters_of_latin1_latin_extended_a_greek_cyrillic)
{
	cr_assert_str_eq(fold("\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2"), /* ПРИВЕТ */
			 "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");       /* привет */
	cr_assert_str_eq(fold("\xd0\x81\xd0\x89"), "\xd1\x91\xd1\x99");             /* Ё Љ -> ё љ */
	cr_assert_str_eq(fold("\xc3\x89T\xc3\x89"), "\xc3\xa9t\xc3\xa9");           /* ÉTÉ */
	cr_assert_str_eq(fold("\xc5\x81\xc3\x93" "D\xc5\xb9"), "\xc5\x82\xc3\xb3""d\xc5\xba"); /* ŁÓDŹ */
	cr_assert_str_eq(fold("\xc5\xb8"), "\xc3\xbf");                             /* Ÿ -> ÿ */
	/* Σ and final ς both fold to σ */
	cr_assert_str_eq(fold("\xce\xa3"), "\xcf\x83");
	cr_assert_str_eq(fold("\xcf\x82"), "\xcf\x83");
	cr_assert_str_eq(fold("\xcf\x83"), "\xcf\x83");
	cr_assert_str_eq(fold("\xc2\xb5"), "\xce\xbc"); /* micro sign: mu */
}

Test(fold, leaves_non_letters_and_invalid_bytes)
{
	const char *same[] = {
		"0-9 _\\/:*?",
		"\xc3\x97\xc3\xb7",     /* × ÷ */
		"\xc3\x9f",             /* ß: no simple folding */
		"\xc4\xb0\xc4\xb1",     /* İ ı: none either */
		"\xc5\xbf",             /* ſ: left alone (folds to 1 byte) */
		"\xe2\x82\xac",         /* € */
		"\xe2\x84\xaa",         /* Kelvin sign: outside the blocks */
		"\xc3",                 /* truncated */
		"\x80\xff",
	};
	for (size_t i = 0; i < sizeof same / sizeof *same; i++)
		cr_assert_str_eq(fold(same[i]), same[i], "case %zu", i);
}

/* What the matcher and the prefilter rely on: folding is idempotent and
 * keeps every character's UTF-8 length, for every code point. */
Test(fold, idempotent_and_length_preserving_everywhere)
{
	for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		uint32_t f = eh_fold(cp);
		cr_assert_eq(eh_fold(f), f, "U+%04X", cp);
		size_t len = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		size_t flen = f < 0x80 ? 1 : f < 0x800 ? 2 : f < 0x10000 ? 3 : 4;
		cr_assert_eq(len, flen, "U+%04X", cp);
	}
	cr_assert_eq(eh_fold(0xd800), 0xd800, "a UTF-16 surrogate unit stays");
}
