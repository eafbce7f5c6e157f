/* glasshouse bench: failed-open storm.
 * usage: failstorm N PREFIX
 * Tries to open N distinct paths that do not exist, PREFIX/dNNN/fNNNNNNN (open fails with ENOENT
 * at PREFIX), so that every one is a distinct entry of the receipt's filesystem.failed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	char path[4096];

	if (argc != 3) {
		fprintf(stderr, "usage: failstorm N PREFIX\n");
		return 2;
	}
	long n = atol(argv[1]);
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/d%03ld/f%07ld", argv[2], i % 1000, i);
		if (open(path, O_RDONLY) >= 0 || errno != ENOENT) {
			fprintf(stderr, "failstorm: %s: expected ENOENT\n", path);
			return 1;
		}
	}
	return 0;
}
