/* Small helpers shared by every module: allocation that aborts on
 * out-of-memory (removes half the error branches, as in tmux), a growable
 * byte buffer, CRC-32, and little-endian readers. */
#ifndef EVTXHUNT_UTIL_H
#define EVTXHUNT_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* A growable byte buffer, always NUL-terminated after its data. */
struct buf {
	char *data;
	size_t len;
	size_t cap;
};
void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_reserve(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (who frees it) and empties the buffer. */
char *buf_steal(struct buf *b);

uint32_t eh_crc32(uint32_t crc, const void *data, size_t len);

static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }
static inline void put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void put_le64(uint8_t *p, uint64_t v) { put_le32(p, (uint32_t)v); put_le32(p + 4, (uint32_t)(v >> 32)); }

/* ASCII case folding: Sigma compares case-insensitively. */
static inline unsigned char ascii_lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* Appends code point CP as UTF-8. */
void buf_add_utf8(struct buf *b, uint32_t cp);

/* Seconds on the monotonic clock, for durations and rates. */
double eh_monotonic(void);

/* FNV-1a, 64 bits, from SEED (for fingerprints, not security). */
uint64_t eh_hash64(const void *data, size_t len, uint64_t seed);

/* A set of strings, each copied once and numbered in the order added
 * (interning: file and computer names). Zeroed is empty. */
struct eh_strset {
	char **strings; /* owned; stable pointers */
	size_t n, cap;
	size_t *slots; /* open addressing over STRINGS, +1; 0: free */
};
/* The number of S in SET, added (a copy) if new; *ADDED (or NULL) says. */
size_t eh_strset_add(struct eh_strset *set, const char *s, bool *added);
void eh_strset_free(struct eh_strset *set);

#endif
