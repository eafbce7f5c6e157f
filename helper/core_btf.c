// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libbpf 1.1 spends ~20 ms of the helper's start on CO-RE: for each of the ~30 kernel types
 * the programs read, it searches all ~127k types of /sys/kernel/btf/vmlinux for candidates. The
 * build records a minimal BTF with just what our relocations need (bpftool gen min_core_btf) and
 * a fingerprint of the kernel BTF it was made from. It is used only when the running kernel's
 * BTF has that size and fingerprint: a minimal BTF of another kernel would relocate fields to
 * wrong offsets without any error. On any other kernel libbpf relocates against the kernel's
 * own BTF, as it always did.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btf_sum.h"
#include "core_btf.h"
#include "core_btf_data.h"

#define GH_VMLINUX_BTF "/sys/kernel/btf/vmlinux"

static int memfd_with(const void *data, size_t len)
{
	int fd = memfd_create("glasshouse-min-btf", MFD_CLOEXEC);
	size_t off = 0;

	while (fd >= 0 && off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += n;
	}
	return fd;
}

void gh_core_btf_choose(struct gh_core_btf *c)
{
	unsigned char *btf;
	struct stat sb;
	size_t len = 0;
	uint64_t sum;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	/* the size first: the BTF of another kernel is not read twice (libbpf reads it too) */
	if (stat(GH_VMLINUX_BTF, &sb) || (uint64_t)sb.st_size != GH_VMLINUX_BTF_SIZE) {
		c->why = "the running kernel's BTF is not the one the helper was built on";
		return;
	}
	btf = gh_btf_read(GH_VMLINUX_BTF, GH_VMLINUX_BTF_SIZE, &len);
	if (!btf) {
		c->why = "the running kernel's BTF could not be read";
		return;
	}
	sum = gh_btf_sum(btf, len);
	free(btf);
	if (len != GH_VMLINUX_BTF_SIZE || sum != GH_VMLINUX_BTF_SUM) {
		c->why = "the running kernel's BTF is not the one the helper was built on";
		return;
	}
	c->fd = memfd_with(gh_min_btf, sizeof(gh_min_btf));
	if (c->fd < 0) {
		c->why = "no memfd for the minimal BTF";
		return;
	}
	snprintf(c->path, sizeof(c->path), "/proc/self/fd/%d", c->fd);
	c->id_task_struct = GH_VMLINUX_ID_TASK_STRUCT;
	c->id_file = GH_VMLINUX_ID_FILE;
}

void gh_core_btf_close(struct gh_core_btf *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
