/* SHA-256 (FIPS 180-4), for the report: the inputs' digests an analyst
 * compares with the acquisition's, and the hashes of the report's own
 * inline script and style that its Content-Security-Policy allows. */
#ifndef EVTXHUNT_SHA256_H
#define EVTXHUNT_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct eh_sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes so far */
	uint8_t block[64];
	size_t used;
};

void eh_sha256_init(struct eh_sha256 *c);
void eh_sha256_update(struct eh_sha256 *c, const void *data, size_t len);
void eh_sha256_final(struct eh_sha256 *c, uint8_t digest[32]);

/* DIGEST as 64 lowercase hex digits and a NUL. */
void eh_sha256_hex(const uint8_t digest[32], char out[65]);
/* The digest of DATA in base64 (44 characters and a NUL), as CSP's
 * 'sha256-...' sources write it. */
void eh_sha256_base64(const void *data, size_t len, char out[45]);
/* The digest of the file at PATH, read without changing its access time.
 * Returns 0, or -1 with errno set. */
int eh_sha256_file(const char *path, uint8_t digest[32]);

#endif
