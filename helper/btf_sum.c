// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btf_sum.h"

unsigned char *gh_btf_read(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char *buf = fd >= 0 ? malloc(max + 1) : NULL;
	size_t n = 0;
	ssize_t r = 0;

	/* read to the end (sysfs hands the BTF out a page at a time); one byte of room more than
	 * @max tells a longer file apart */
	while (buf && n <= max && (r = read(fd, buf + n, max + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += r;
	}
	if (fd >= 0)
		close(fd);
	if (!buf || r < 0 || n > max) {
		free(buf);
		if (n > max)
			errno = EFBIG;
		return NULL;
	}
	*len = n;
	return buf;
}

uint64_t gh_btf_sum(const unsigned char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 1099511628211ull;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}
