/* Runs a libFuzzer target's LLVMFuzzerTestOneInput on files, without
 * libFuzzer: make check replays every kept crasher this way, so a fixed
 * bug stays fixed in every build (and under ASan in CI).
 *
 * As libFuzzer's -rss_limit_mb and -timeout do, a watchdog aborts the
 * replay of an input that takes more than REPLAY_RSS_LIMIT_MB of memory
 * (default 512: a 64 KiB chunk needs far less, ASan included) or
 * REPLAY_SECONDS (default 60): the crashers of issue 17 expand without
 * bound, and must fail fast, not take the machine. */
#define _POSIX_C_SOURCE 200809L /* nanosleep under -std=c11 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *volatile current;
static volatile time_t started;

static long rss_mb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;
	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024) / 1024;
}

static long env_long(const char *name, long fallback)
{
	const char *v = getenv(name);
	return v && *v ? strtol(v, NULL, 10) : fallback;
}

static void *watchdog(void *arg)
{
	(void)arg;
	long limit_mb = env_long("REPLAY_RSS_LIMIT_MB", 512), limit_s = env_long("REPLAY_SECONDS", 60);
	for (;;) {
		struct timespec tick = { 0, 20 * 1000 * 1000 };
		nanosleep(&tick, NULL);
		const char *input = current;
		if (input == NULL)
			continue;
		long mb = rss_mb();
		if (mb > limit_mb) {
			fprintf(stderr, "replay: %s: out of memory: %ld MB, over REPLAY_RSS_LIMIT_MB=%ld\n", input, mb,
				limit_mb);
			abort();
		}
		if (time(NULL) - started > limit_s) {
			fprintf(stderr, "replay: %s: timeout: over REPLAY_SECONDS=%ld s\n", input, limit_s);
			abort();
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	if (pthread_create(&t, NULL, watchdog, NULL) != 0) {
		perror("replay: watchdog");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (f == NULL) {
			perror(argv[i]);
			return 2;
		}
		static uint8_t data[1 << 20];
		size_t n = fread(data, 1, sizeof data, f);
		fclose(f);
		/* a copy of exactly the input's size, so ASan sees overreads */
		uint8_t *copy = malloc(n ? n : 1);
		for (size_t j = 0; j < n; j++)
			copy[j] = data[j];
		started = time(NULL);
		current = argv[i];
		LLVMFuzzerTestOneInput(copy, n);
		current = NULL;
		free(copy);
		printf("replayed %s (%zu bytes)\n", argv[i], n);
	}
	return 0;
}
