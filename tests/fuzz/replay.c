/* Runs a libFuzzer target's LLVMFuzzerTestOneInput on files, without
 * libFuzzer: make check replays every kept crasher this way, so a fixed
 * bug stays fixed in every build (and under ASan in CI). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
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
		LLVMFuzzerTestOneInput(copy, n);
		free(copy);
		printf("replayed %s (%zu bytes)\n", argv[i], n);
	}
	return 0;
}
