/* glasshouse bench: what changes on disk.
 * usage: changestorm DIR N
 * In DIR (which must not exist): makes 100 directories, creates N empty files across them,
 * renames every file (to another directory for every other one), chmods every tenth, and
 * leaves the tree for `rm -rf` to delete (run by the bench after this program). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIRS 100

int main(int argc, char **argv)
{
	char a[4096], b[4096];
	long n, i;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: changestorm DIR N\n");
		return 2;
	}
	if (mkdir(argv[1], 0755) < 0) {
		perror(argv[1]);
		return 1;
	}
	for (i = 0; i < DIRS; i++) {
		snprintf(a, sizeof(a), "%s/d%ld", argv[1], i);
		if (mkdir(a, 0755) < 0) {
			perror(a);
			return 1;
		}
	}
	for (i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "%s/d%ld/f%ld", argv[1], i % DIRS, i);
		int fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0) {
			perror(a);
			return 1;
		}
		close(fd);
	}
	for (i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "%s/d%ld/f%ld", argv[1], i % DIRS, i);
		snprintf(b, sizeof(b), "%s/d%ld/g%ld", argv[1], (i + (i & 1)) % DIRS, i);
		if (rename(a, b) < 0) {
			perror(b);
			return 1;
		}
		if (i % 10 == 0 && chmod(b, 0600) < 0) {
			perror(b);
			return 1;
		}
	}
	printf("%ld files created, renamed; %ld chmods\n", n, (n + 9) / 10);
	return 0;
}
