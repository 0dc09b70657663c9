/* LD_PRELOAD shim for the damaged-input and evidence tests: makes a file
 * shrink or grow, or the run die, at a chosen moment, deterministically.
 * When a pread of the file named by RESIZE_PATH first reaches offset
 * RESIZE_AT or beyond, the file is truncated (or extended with zeros) to
 * RESIZE_TO bytes, then the read goes ahead; RESIZE_TO=kill, term or stop
 * sends the process SIGKILL, SIGTERM or SIGSTOP instead. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static int done;

static void maybe_resize(int fd, off_t offset)
{
	const char *path = getenv("RESIZE_PATH"), *at = getenv("RESIZE_AT"), *to = getenv("RESIZE_TO");
	struct stat a, b;
	if (done || !path || !at || !to || offset < (off_t)strtoll(at, NULL, 10))
		return;
	if (fstat(fd, &a) != 0 || stat(path, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return;
	done = 1;
	if (strcmp(to, "kill") == 0 || strcmp(to, "term") == 0 || strcmp(to, "stop") == 0) {
		kill(getpid(), to[0] == 'k' ? SIGKILL : to[0] == 't' ? SIGTERM : SIGSTOP);
		return;
	}
	char *end;
	long long size = strtoll(to, &end, 10);
	if (*to == '\0' || *end != '\0' || truncate(path, (off_t)size) != 0)
		abort();
}

ssize_t pread64(int fd, void *buf, size_t n, off_t offset)
{
	static ssize_t (*real)(int, void *, size_t, off_t);
	if (real == NULL)
		real = (ssize_t(*)(int, void *, size_t, off_t))dlsym(RTLD_NEXT, "pread64");
	maybe_resize(fd, offset);
	return real(fd, buf, n, offset);
}

ssize_t pread(int fd, void *buf, size_t n, off_t offset)
{
	return pread64(fd, buf, n, offset);
}
