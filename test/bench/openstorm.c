/* glasshouse bench: open storm.
 * usage: openstorm FILE N [DIR]
 * Opens FILE N times (open + close), then opens every regular file under DIR once. */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static long opened;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st; (void)ftw;
	if (type != FTW_F)
		return 0;
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	close(fd);
	opened++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: openstorm FILE N [DIR]\n");
		return 2;
	}
	long n = atol(argv[2]);
	for (long i = 0; i < n; i++) {
		int fd = open(argv[1], O_RDONLY);
		if (fd < 0) {
			perror(argv[1]);
			return 1;
		}
		close(fd);
	}
	if (argc > 3 && nftw(argv[3], visit, 64, FTW_PHYS) != 0)
		return 1;
	return 0;
}
