/* UTF-8 and UTF-16: the one decoder, encoder and case folding that the
 * rule compiler, the matcher, the prefilter and the output share. */
#ifndef EVTXHUNT_UTF_H
#define EVTXHUNT_UTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evtxhunt/util.h"

#define EH_UTF_REPLACEMENT 0xfffdu

/* Decodes the UTF-8 character at S (LEFT >= 1 bytes): returns its length
 * and sets *CP. Bytes that are not valid UTF-8 (a stray or truncated
 * sequence, overlong, a surrogate, beyond U+10FFFF) return 0 with *CP set
 * to U+FFFD: the caller takes one byte as invalid and goes on. */
size_t eh_utf8_decode(const unsigned char *s, size_t left, uint32_t *cp);

/* Appends CP to OUT as UTF-16 code units (a pair beyond the BMP),
 * little-endian unless BIG_ENDIAN. */
void eh_utf16_put(struct buf *out, uint32_t cp, bool big_endian);
/* LEN bytes of UTF-8 appended to OUT as UTF-16; each invalid byte becomes
 * U+FFFD (as Windows converts it). */
void eh_utf8_to_utf16(const char *s, size_t len, bool big_endian, struct buf *out);

/* Unicode simple case folding (CaseFolding.txt, status C and S) of
 * Latin-1, Latin Extended-A, Greek and Cyrillic: an upper-case letter
 * to its lower case, final sigma to sigma; anything else unchanged.
 * Folding never changes a character's UTF-8 length: U+017F (long s,
 * which folds to ASCII 's') is left alone, so folded text has the
 * length of its original. Also folds UTF-16 code units (surrogates stay). */
uint32_t eh_fold(uint32_t cp);
/* Folds LEN bytes of UTF-8 at S into DST (LEN bytes; may be S). ASCII
 * costs one table look-up; invalid bytes are copied as they are. */
void eh_utf8_fold(const char *s, size_t len, char *dst);

#endif
