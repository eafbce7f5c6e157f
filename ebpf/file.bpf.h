/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * open, openat, openat2, creat, reported at sys_exit: a success carries the path of the file
 * actually opened (walked from the new fd, so symlinks and ".." are resolved by the kernel);
 * a failure carries the path as requested plus, when it is relative, the directory it was
 * relative to (cwd or dirfd). A success that repeats one already sent (same process, same file,
 * same access mode) is only counted (gh_repeated).
 */
#ifndef GLASSHOUSE_FILE_BPF_H
#define GLASSHOUSE_FILE_BPF_H

#include "tamper.bpf.h"

struct gh_open_how { /* struct open_how, user ABI */
	__u64 flags;
	__u64 mode;
	__u64 resolve;
};

/* The pathname, dirfd and flags of an open call from its arguments. */
static __always_inline void gh_open_args(struct gh_inflight *in, __u64 *pathname, __s64 *dirfd, __u32 *flags)
{
	*dirfd = AT_FDCWD_GH;
	switch (in->call) {
	case GH_CALL_OPEN:
		*pathname = in->args[0];
		*flags = in->args[1];
		break;
	case GH_CALL_CREAT:
		*pathname = in->args[0];
		*flags = GH_O_CREAT | GH_O_TRUNC | 1 /* O_WRONLY */;
		break;
	case GH_CALL_OPENAT2: {
		struct gh_open_how how = {};

		*dirfd = (__s32)in->args[0];
		*pathname = in->args[1];
		bpf_probe_read_user(&how, sizeof(how), (void *)in->args[2]);
		*flags = how.flags;
		break;
	}
	default: /* openat */
		*dirfd = (__s32)in->args[0];
		*pathname = in->args[1];
		*flags = in->args[2];
		break;
	}
}

/* Report an open of a task the caller may trace: @pathname, @dirfd and @flags as gh_open_args
 * read them; @file the new file (NULL for a failure). */
static __always_inline void gh_open_emit(struct task_struct *task, struct gh_inflight *in, __s64 ret,
					 struct file *file, __u64 pathname, __s64 dirfd, __u32 flags)
{
	struct gh_repeat_key key = {};
	struct gh_open_event *e;
	struct gh_scratch *s;
	__u64 off, rid = 0;
	__u16 made = 0;
	long n;

	if (ret >= 0) {
		/* the same file opened the same way by the same process is counted, not walked again.
		 * This runs for every successful open: direct (CO-RE relocated) loads through BTF
		 * pointers, one probe read for the fd table slot. */
		if (file) {
			struct file *f = bpf_rdonly_cast(file, GH_VMLINUX_ID(vmlinux_id_file, struct file));
			struct inode *inode = f->f_inode;

			/* what the open did: the kernel marks a file it created (O_TMPFILE makes one
			 * without marking it); O_TRUNC truncates an existing regular file (whatever the
			 * access mode) */
			if ((f->f_mode & GH_FMODE_CREATED) || (flags & GH_O_TMPFILE) == GH_O_TMPFILE)
				made = GH_OPEN_CREATED;
			else if ((flags & GH_O_TRUNC) && (inode->i_mode & GH_S_IFMT) == GH_S_IFREG)
				made = GH_OPEN_TRUNCATED;
			gh_repeat_key_init(&key, task, GH_EV_OPEN | (flags & GH_O_ACCMODE) << 8 | (flags & GH_O_PATH ? 1 << 10 : 0) |
							       (__u32)made << 11);
			key.a = (__u64)f->f_path.dentry;
			key.b = (__u64)f->f_path.mnt;
			key.c = inode->i_ino;
			key.d = inode->i_generation;
			if (gh_repeated(&key, &rid, NULL))
				return;
		}
	}
	s = gh_scratch_get();
	if (!s)
		return;
	e = (void *)s->buf;
	gh_header(&e->h, task, GH_EV_OPEN);
	e->ret = ret;
	e->rid = rid;
	e->flags = flags;
	e->call = in->call;
	e->made = made;
	e->base_len = 0;
	off = sizeof(*e);
	if (ret >= 0) {
		e->path_len = gh_walk_file(off, file, task, &e->h.flags, GH_F_FOREIGN_PATH);
		off += e->path_len & (GH_PATH_MAX * 2 - 1);
	} else {
		n = bpf_probe_read_user_str(s->buf + off, GH_PATH_MAX, (void *)pathname);
		if (n < 0)
			n = 0;
		e->path_len = n;
		off = (off + n) & GH_HEAD_MASK;
		if (n > 0 && s->buf[sizeof(*e)] != '/') {
			e->base_len = gh_walk_base(off, task, dirfd == AT_FDCWD_GH ? NULL : gh_fd_file(dirfd),
						   dirfd == AT_FDCWD_GH, &e->h.flags);
			off = (off + e->base_len) & GH_HEAD_MASK;
		} else if (n > 1 && gh_task_rooted_elsewhere(task)) {
			/* an absolute path under a chroot, or in another mount namespace: of that root */
			e->base_len = gh_walk_root(off, task, &e->h.flags);
			off = (off + e->base_len) & GH_HEAD_MASK;
		}
	}
	e->h.size = off;
	gh_emit(e, off, GH_EV_OPEN);
}

#endif /* GLASSHOUSE_FILE_BPF_H */
