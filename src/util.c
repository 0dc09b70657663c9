/* Allocation, buffers and CRC-32 used across evtxhunt. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evtxhunt/util.h"

static void oom(size_t size)
{
	fprintf(stderr, "evtxhunt: out of memory (%zu bytes)\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (p == NULL)
		oom(size);
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (p == NULL)
		oom(nmemb * size);
	return p;
}

void *xrealloc(void *ptr, size_t size)
{
	void *p = realloc(ptr, size ? size : 1);
	if (p == NULL)
		oom(size);
	return p;
}

void *xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		oom(SIZE_MAX);
	return xrealloc(ptr, nmemb * size);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list aq;
	va_copy(aq, ap);
	int n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		oom(0);
	char *p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_reserve(struct buf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buf_add(struct buf *b, const void *data, size_t len)
{
	buf_reserve(b, len);
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	/* formatted in place: most fit the room there is, and only the rest
	 * are formatted twice */
	buf_reserve(b, 64);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	if ((size_t)n >= b->cap - b->len) {
		buf_reserve(b, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

char *buf_steal(struct buf *b)
{
	char *p = b->data ? b->data : xstrdup("");
	buf_init(b);
	return p;
}

/* CRC-32 (IEEE 802.3, reflected), as EVTX headers and chunks use it,
 * slicing by 8 bytes. The tables are built once, before any thread starts
 * (eh_crc32_init is called from a constructor). */
static uint32_t crc_tables[8][256];

__attribute__((constructor)) static void crc32_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_tables[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tables[t][i] = (crc_tables[t - 1][i] >> 8) ^ crc_tables[0][crc_tables[t - 1][i] & 0xff];
}

uint32_t eh_crc32(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	crc = ~crc;
	while (len >= 8) {
		uint32_t a = crc ^ le32(p), b = le32(p + 4);
		crc = crc_tables[7][a & 0xff] ^ crc_tables[6][(a >> 8) & 0xff] ^ crc_tables[5][(a >> 16) & 0xff] ^
		      crc_tables[4][a >> 24] ^ crc_tables[3][b & 0xff] ^ crc_tables[2][(b >> 8) & 0xff] ^
		      crc_tables[1][(b >> 16) & 0xff] ^ crc_tables[0][b >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = crc_tables[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint64_t eh_hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = UINT64_C(0xcbf29ce484222325) ^ seed;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT64_C(0x100000001b3);
	return h;
}

void buf_add_utf8(struct buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	buf_add(b, u, n);
}

double eh_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

size_t eh_strset_add(struct eh_strset *set, const char *s, bool *added)
{
	if (2 * (set->n + 1) > set->cap) { /* grow: at most half full */
		free(set->slots);
		set->cap = set->cap ? set->cap * 2 : 64;
		set->slots = xcalloc(set->cap, sizeof *set->slots);
		for (size_t i = 0; i < set->n; i++) {
			size_t k = eh_hash64(set->strings[i], strlen(set->strings[i]), 0) % set->cap;
			while (set->slots[k])
				k = (k + 1) % set->cap;
			set->slots[k] = i + 1;
		}
		set->strings = xreallocarray(set->strings, set->cap, sizeof *set->strings);
	}
	size_t k = eh_hash64(s, strlen(s), 0) % set->cap;
	for (; set->slots[k]; k = (k + 1) % set->cap)
		if (strcmp(set->strings[set->slots[k] - 1], s) == 0) {
			if (added)
				*added = false;
			return set->slots[k] - 1;
		}
	set->strings[set->n] = xstrdup(s);
	set->slots[k] = ++set->n;
	if (added)
		*added = true;
	return set->n - 1;
}

void eh_strset_free(struct eh_strset *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->strings[i]);
	free(set->strings);
	free(set->slots);
	memset(set, 0, sizeof *set);
}
