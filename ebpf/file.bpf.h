/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * open, openat, openat2, creat, reported at sys_exit: a success carries the path of the file
 * actually opened (walked from the new fd, so symlinks and ".." are resolved by the kernel);
 * a failure carries the path as requested plus, when it is relative, the directory it was
 * relative to (cwd or dirfd).
 */
#ifndef GLASSHOUSE_FILE_BPF_H
#define GLASSHOUSE_FILE_BPF_H

#include "path.bpf.h"

struct gh_open_how { /* struct open_how, user ABI */
	__u64 flags;
	__u64 mode;
	__u64 resolve;
};

static __always_inline void gh_open_emit(struct task_struct *task, struct gh_inflight *in, __s64 ret)
{
	struct gh_scratch *s = gh_scratch_get();
	struct gh_open_event *e;
	__u64 pathname, off;
	__s64 dirfd = AT_FDCWD_GH;
	__u32 flags = 0;
	long n;

	if (!s)
		return;
	switch (in->call) {
	case GH_CALL_OPEN:
		pathname = in->args[0];
		flags = in->args[1];
		break;
	case GH_CALL_CREAT:
		pathname = in->args[0];
		flags = GH_O_CREAT | GH_O_TRUNC | 1 /* O_WRONLY */;
		break;
	case GH_CALL_OPENAT2: {
		struct gh_open_how how = {};

		dirfd = (__s32)in->args[0];
		pathname = in->args[1];
		bpf_probe_read_user(&how, sizeof(how), (void *)in->args[2]);
		flags = how.flags;
		break;
	}
	default: /* openat */
		dirfd = (__s32)in->args[0];
		pathname = in->args[1];
		flags = in->args[2];
		break;
	}

	e = (void *)s->buf;
	gh_header(&e->h, task, GH_EV_OPEN);
	e->ret = ret;
	e->flags = flags;
	e->call = in->call;
	e->__pad0 = 0;
	e->base_len = 0;
	off = sizeof(*e);
	if (ret >= 0) {
		e->path_len = gh_walk_file(off, gh_fd_file(task, ret), task, &e->h.flags);
		off += e->path_len & (GH_PATH_MAX * 2 - 1);
	} else {
		n = bpf_probe_read_user_str(s->buf + off, GH_PATH_MAX, (void *)pathname);
		if (n < 0)
			n = 0;
		e->path_len = n;
		off = (off + n) & GH_HEAD_MASK;
		if (n > 0 && s->buf[sizeof(*e)] != '/') {
			if (dirfd == AT_FDCWD_GH)
				e->base_len = gh_walk_cwd(off, task, &e->h.flags);
			else
				e->base_len = gh_walk_file(off, gh_fd_file(task, dirfd), task, &e->h.flags);
			off = (off + e->base_len) & GH_HEAD_MASK;
		}
	}
	e->h.size = off;
	gh_emit(e, off, GH_EV_OPEN);
}

#endif /* GLASSHOUSE_FILE_BPF_H */
