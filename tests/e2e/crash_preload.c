/* LD_PRELOAD shim for the isolation tests: makes libevtx misbehave on one
 * record, as crafted records do. It wraps the libevtx call that parses a
 * live record; when the record parsed has the id CRASH_RECORD, it does
 * (or any id, when CRASH_RECORD is "all") what CRASH_HOW says instead of
 * returning:
 *   segv      writes through a null pointer
 *   overflow  recurses until the stack overflows
 *   spin      loops for ever
 *   alloc     allocates (and touches) memory without bound (up to 1.5 GB,
 *             then it spins: a test of a broken watchdog must not take the
 *             machine's memory)
 * It cannot tell one log from another (libevtx sees one chunk in memory):
 * the tests choose an id that only the misbehaving log holds. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct libevtx_file libevtx_file_t;
typedef struct libevtx_record libevtx_record_t;
typedef struct libevtx_error libevtx_error_t;

static volatile int sink;

static int __attribute__((noinline)) recurse(int depth)
{
	volatile char frame[1024];
	frame[depth % sizeof frame] = (char)depth;
	return recurse(depth + 1) + frame[0];
}

static void misbehave(const char *how)
{
	if (strcmp(how, "segv") == 0) {
		*(volatile int *)(uintptr_t)sink = 1;
	} else if (strcmp(how, "overflow") == 0) {
		sink = recurse(0);
	} else if (strcmp(how, "spin") == 0) {
		for (;;)
			sink++;
	} else if (strcmp(how, "alloc") == 0) {
		for (int mb = 0; mb < 1536; mb++) {
			char *p = malloc(1 << 20);
			if (p)
				memset(p, 1, 1 << 20);
			sink += p != NULL;
		}
		for (;;)
			sink++;
	}
}

int libevtx_file_get_record_by_index(libevtx_file_t *file, int index, libevtx_record_t **record,
				     libevtx_error_t **error)
{
	static int (*real)(libevtx_file_t *, int, libevtx_record_t **, libevtx_error_t **);
	static int (*identifier)(libevtx_record_t *, uint64_t *, libevtx_error_t **);
	if (real == NULL) {
		real = (int (*)(libevtx_file_t *, int, libevtx_record_t **, libevtx_error_t **))dlsym(
			RTLD_NEXT, "libevtx_file_get_record_by_index");
		identifier = (int (*)(libevtx_record_t *, uint64_t *, libevtx_error_t **))dlsym(
			RTLD_NEXT, "libevtx_record_get_identifier");
	}
	int ok = real(file, index, record, error);
	const char *want = getenv("CRASH_RECORD"), *how = getenv("CRASH_HOW");
	uint64_t id = 0;
	if (ok == 1 && want && how && identifier && identifier(*record, &id, NULL) == 1 &&
	    (strcmp(want, "all") == 0 || id == strtoull(want, NULL, 10)))
		misbehave(how);
	return ok;
}
