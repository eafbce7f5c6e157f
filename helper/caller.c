// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "caller.h"

#define GH_CAP_SYS_PTRACE 19

/* The capabilities of process @pid (capget works on any process). */
static int caps_of(pid_t pid, uint64_t *prm, uint64_t *eff)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = pid };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	*prm = data[0].permitted | (uint64_t)data[1].permitted << 32;
	*eff = data[0].effective | (uint64_t)data[1].effective << 32;
	return 0;
}

int gh_caller_read(struct gh_caller *c, char *why, size_t why_len)
{
	pid_t parent = getppid();
	struct stat sb;
	int err;

	memset(c, 0, sizeof(*c));
	c->uid = getuid();
	c->gid = getgid();
	c->controller = parent;
	c->controller_pgid = getpgid(parent);
	c->helper = getpid();
	c->helper_pgid = getpgrp();
	err = caps_of(parent, &c->cap_prm, &c->cap_eff);
	if (err || c->controller_pgid < 0 || parent <= 1 || getppid() != parent) {
		/* our parent is the caller: one we cannot read (or that is gone) is one we cannot serve */
		snprintf(why, why_len, "cannot read the caller (pid %d): %s", (int)parent,
			 err ? strerror(-err) : "it has gone");
		return -1;
	}
	c->sees_all = c->cap_eff & (1ull << GH_CAP_SYS_PTRACE);
	for (int fd = 0; fd < 3; fd++) {
		if (fstat(fd, &sb) || !S_ISFIFO(sb.st_mode))
			continue;
		/* the kernel's own dev_t encoding (MINORBITS 20), as the BPF side reads s_dev */
		c->pipe_dev = (uint64_t)major(sb.st_dev) << 20 | minor(sb.st_dev);
		c->pipe_ino[fd] = sb.st_ino;
	}
	return 0;
}
