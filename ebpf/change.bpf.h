/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Changes to names and metadata on disk, reported at sys_exit, successful or not, one event per
 * call (they are rare next to opens and reads): unlink, rmdir, mkdir, mknod, rename, link,
 * symlink, chmod, chown, truncate in all their forms. A path is sent as requested, with the
 * directory it is relative to (cwd or dirfd) when it is relative, like a failed open: the file
 * itself is not resolved (after an unlink or a rename there is nothing left to resolve). The f*
 * forms name an open file: its path is walked from the fd, like a successful open's.
 */
#ifndef GLASSHOUSE_CHANGE_BPF_H
#define GLASSHOUSE_CHANGE_BPF_H

#include "path.bpf.h"

#if defined(__TARGET_ARCH_x86)
#define GH_NR_TRUNCATE   76
#define GH_NR_FTRUNCATE  77
#define GH_NR_RENAME     82
#define GH_NR_MKDIR      83
#define GH_NR_RMDIR      84
#define GH_NR_LINK       86
#define GH_NR_UNLINK     87
#define GH_NR_SYMLINK    88
#define GH_NR_CHMOD      90
#define GH_NR_FCHMOD     91
#define GH_NR_CHOWN      92
#define GH_NR_FCHOWN     93
#define GH_NR_LCHOWN     94
#define GH_NR_MKNOD      133
#define GH_NR_MKDIRAT    258
#define GH_NR_MKNODAT    259
#define GH_NR_FCHOWNAT   260
#define GH_NR_UNLINKAT   263
#define GH_NR_RENAMEAT   264
#define GH_NR_LINKAT     265
#define GH_NR_SYMLINKAT  266
#define GH_NR_FCHMODAT   268
#define GH_NR_RENAMEAT2  316
#define GH_NR_FCHMODAT2  452
#define GH_NR_BIND       49
#endif

#define GH_AF_UNIX       1
#define GH_S_IFSOCK      0140000
#define GH_SUN_PATH_MAX  108     /* sizeof(sockaddr_un.sun_path) */
#define GH_AT_REMOVEDIR  0x200
#define GH_AT_EMPTY_PATH 0x1000

/* Where a call's pieces are: a path string (user pointer) and its dirfd, or an fd. */
struct gh_change_call {
	__u64 path, path2;   /* user pointers; 0 for none */
	__s64 dirfd, dirfd2; /* AT_FDCWD_GH for the cwd */
	__s64 fd;            /* f* forms */
	__s64 arg, arg2;
	__u32 at_flags;
	__u32 max;           /* bytes the path may take, when less than GH_PATH_MAX (bind: addrlen) */
	__u16 op;
	__u16 how;           /* GH_CH_FD, GH_CH_PATH2_TEXT */
};

/* Decode syscall @nr's arguments (@in); 0 for a syscall that is not a change. A global function:
 * inlined, each case's constants made the verifier check the rest of gh_exit_change once per
 * syscall; from here, what it decoded is just numbers. */
__noinline int gh_change_decode(__u32 nr, struct gh_inflight *in, struct gh_change_call *c)
{
	const __u64 *a;

	if (!in || !c)
		return 0;
	a = in->args;
	c->dirfd = AT_FDCWD_GH;
	c->dirfd2 = AT_FDCWD_GH;
	switch (nr) {
	case GH_NR_UNLINK:    c->op = GH_CH_DELETE; c->path = a[0]; break;
	case GH_NR_RMDIR:     c->op = GH_CH_RMDIR;  c->path = a[0]; break;
	case GH_NR_UNLINKAT:
		c->op = a[2] & GH_AT_REMOVEDIR ? GH_CH_RMDIR : GH_CH_DELETE;
		c->dirfd = (__s32)a[0]; c->path = a[1]; c->at_flags = a[2];
		break;
	case GH_NR_MKDIR:     c->op = GH_CH_MKDIR; c->path = a[0]; c->arg = (__u32)a[1]; break;
	case GH_NR_MKDIRAT:   c->op = GH_CH_MKDIR; c->dirfd = (__s32)a[0]; c->path = a[1]; c->arg = (__u32)a[2]; break;
	case GH_NR_MKNOD:     c->op = GH_CH_MKNOD; c->path = a[0]; c->arg = (__u32)a[1]; c->arg2 = (__u32)a[2]; break;
	case GH_NR_MKNODAT:
		c->op = GH_CH_MKNOD; c->dirfd = (__s32)a[0]; c->path = a[1]; c->arg = (__u32)a[2]; c->arg2 = (__u32)a[3];
		break;
	case GH_NR_RENAME:    c->op = GH_CH_RENAME; c->path = a[0]; c->path2 = a[1]; break;
	case GH_NR_RENAMEAT:
	case GH_NR_RENAMEAT2:
		c->op = GH_CH_RENAME;
		c->dirfd = (__s32)a[0]; c->path = a[1]; c->dirfd2 = (__s32)a[2]; c->path2 = a[3];
		if (nr == GH_NR_RENAMEAT2)
			c->at_flags = a[4];
		break;
	/* a link is reported under its new name; path2 is the file linked to */
	case GH_NR_LINK:      c->op = GH_CH_LINK; c->path = a[1]; c->path2 = a[0]; break;
	case GH_NR_LINKAT:
		c->op = GH_CH_LINK;
		c->dirfd2 = (__s32)a[0]; c->path2 = a[1]; c->dirfd = (__s32)a[2]; c->path = a[3]; c->at_flags = a[4];
		break;
	case GH_NR_SYMLINK:   c->op = GH_CH_SYMLINK; c->path = a[1]; c->path2 = a[0]; c->how = GH_CH_PATH2_TEXT; break;
	case GH_NR_SYMLINKAT:
		c->op = GH_CH_SYMLINK; c->path2 = a[0]; c->dirfd = (__s32)a[1]; c->path = a[2]; c->how = GH_CH_PATH2_TEXT;
		break;
	case GH_NR_CHMOD:     c->op = GH_CH_CHMOD; c->path = a[0]; c->arg = (__u32)a[1]; break;
	case GH_NR_FCHMOD:    c->op = GH_CH_CHMOD; c->fd = (__s32)a[0]; c->how = GH_CH_FD; c->arg = (__u32)a[1]; break;
	case GH_NR_FCHMODAT:
	case GH_NR_FCHMODAT2:
		c->op = GH_CH_CHMOD; c->dirfd = (__s32)a[0]; c->path = a[1]; c->arg = (__u32)a[2];
		if (nr == GH_NR_FCHMODAT2)
			c->at_flags = a[3];
		break;
	case GH_NR_CHOWN:
	case GH_NR_LCHOWN:
		c->op = GH_CH_CHOWN; c->path = a[0]; c->arg = (__s32)a[1]; c->arg2 = (__s32)a[2];
		break;
	case GH_NR_FCHOWN:
		c->op = GH_CH_CHOWN; c->fd = (__s32)a[0]; c->how = GH_CH_FD; c->arg = (__s32)a[1]; c->arg2 = (__s32)a[2];
		break;
	case GH_NR_FCHOWNAT:
		c->op = GH_CH_CHOWN; c->dirfd = (__s32)a[0]; c->path = a[1];
		c->arg = (__s32)a[2]; c->arg2 = (__s32)a[3]; c->at_flags = a[4];
		break;
	case GH_NR_TRUNCATE:  c->op = GH_CH_TRUNCATE; c->path = a[0]; c->arg = a[1]; break;
	case GH_NR_FTRUNCATE: c->op = GH_CH_TRUNCATE; c->fd = (__s32)a[0]; c->how = GH_CH_FD; c->arg = a[1]; break;
	/* bind of a unix socket to a path makes a socket file there: a mknod (mode set below) */
	case GH_NR_BIND:      c->op = GH_CH_MKNOD; c->path = a[1] + 2 /* sun_path */; c->max = a[2] - 2; break;
	default:
		return 0;
	}
	return 1;
}

/* The file behind @fd, or the cwd for AT_FDCWD: walked into the scratch at @off as a path blob
 * (GH_CH_PATH_FILE); 0 bytes and no @file_bit when the fd names no file. */
static __always_inline __u32 gh_change_file(__u32 off, struct task_struct *task, __s64 fd, __u16 *flags, __u16 *how,
					    __u16 file_bit)
{
	struct file *file;

	if (fd == AT_FDCWD_GH) {
		*how |= file_bit;
		return gh_walk_path(off, BPF_CORE_READ(task, fs, pwd.dentry), BPF_CORE_READ(task, fs, pwd.mnt), task, flags,
				    GH_F_FOREIGN_PATH);
	}
	file = gh_fd_file(fd);
	if (!file)
		return 0;
	*how |= file_bit;
	return gh_walk_file(off, file, task, flags, GH_F_FOREIGN_PATH);
}

/* One path piece of a change, built by gh_change_piece. */
struct gh_piece {
	__u64 uptr;     /* the path as requested (user pointer) */
	__s64 dirfd;    /* what it is relative to; with fd_only, the fd whose file it is */
	__u32 off;      /* in: where in the scratch; out: just after the piece */
	__u32 max;      /* bytes the path may take (0: GH_PATH_MAX) */
	__u32 plen;     /* out: path bytes */
	__u32 blen;     /* out: base bytes */
	__u16 flags;    /* out: GH_F_* of the path and its base */
	__u16 how;      /* out: file_bit when the path is a file's path blob */
	__u16 file_bit; /* GH_CH_PATH_FILE or GH_CH_PATH2_FILE */
	__u8  empty_ok; /* AT_EMPTY_PATH: "" names the file behind dirfd */
	__u8  fd_only;  /* an f* form: the file behind dirfd, no path string */
};

/* One path as requested, into the scratch at p->off: the string, then the directory a relative
 * one is against (or the root an absolute one is under, when that is not gh-run's); with
 * AT_EMPTY_PATH and "", or for an f* form, the file behind the fd instead. A global function:
 * checked once by the verifier, however many pieces a change has. */
__noinline int gh_change_piece(struct gh_piece *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct gh_scratch *s = gh_scratch_get();
	__u32 at, off, max;
	long n;

	if (!p || !s)
		return 0;
	at = p->off & GH_HEAD_MASK;
	p->plen = 0;
	p->blen = 0;
	if (p->fd_only) {
		p->plen = gh_change_file(at, task, p->dirfd, &p->flags, &p->how, p->file_bit);
		p->off = (at + p->plen) & GH_HEAD_MASK;
		return 0;
	}
	max = ((p->max - 1) & (GH_PATH_MAX - 1)) + 1; /* 1 .. GH_PATH_MAX; 0 (no bound given) is GH_PATH_MAX */
	n = bpf_probe_read_user_str(s->buf + at, max, (void *)p->uptr);
	p->off = at;
	if (n <= 0)
		return 0;
	if (n == 1 && p->empty_ok) {
		p->plen = gh_change_file(at, task, p->dirfd, &p->flags, &p->how, p->file_bit);
		p->off = (at + p->plen) & GH_HEAD_MASK;
		return 0;
	}
	p->plen = n;
	off = (at + n) & GH_HEAD_MASK;
	if (s->buf[at] != '/') {
		p->blen = gh_walk_base(off, task, p->dirfd == AT_FDCWD_GH ? NULL : gh_fd_file(p->dirfd),
				       p->dirfd == AT_FDCWD_GH, &p->flags);
		off = (off + p->blen) & GH_HEAD_MASK;
	} else if (n > 1 && gh_task_rooted_elsewhere(task)) {
		p->blen = gh_walk_root(off, task, &p->flags);
		off = (off + p->blen) & GH_HEAD_MASK;
	}
	p->off = off;
	return 0;
}

/* Report change syscall @nr of the current task, with its saved arguments and result. A global
 * function: checked once by the verifier. */
__noinline int gh_exit_change(struct gh_inflight *in, __u32 nr, __s64 ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct gh_change_call c = {};
	struct gh_change_event *e;
	struct gh_piece p = {};
	struct gh_scratch *s;
	__u32 off;

	if (!in || !gh_change_decode(nr, in, &c) || !gh_traceable(task))
		return 0;
	if (nr == GH_NR_BIND) {
		/* only a unix socket bound to a path (not abstract, not autobind) makes a file */
		__u16 family = 0;
		char first = 0;

		if (in->args[2] <= 2 || in->args[2] > 2 + GH_SUN_PATH_MAX ||
		    bpf_probe_read_user(&family, sizeof(family), (void *)in->args[1]) || family != GH_AF_UNIX ||
		    bpf_probe_read_user(&first, 1, (void *)c.path) || !first)
			return 0;
		c.max += 1; /* sun_path need not end in a NUL: at most addrlen - 2 bytes of it */
		c.arg = GH_S_IFSOCK | (0777 & ~BPF_CORE_READ(task, fs, umask));
	}
	s = gh_scratch_get();
	if (!s)
		return 0;
	e = (void *)s->buf;
	gh_header(&e->h, task, GH_EV_CHANGE);
	e->ret = ret;
	e->arg = c.arg;
	e->arg2 = c.arg2;
	e->nr = nr;
	e->at_flags = c.at_flags;
	e->fd = c.how & GH_CH_FD ? c.fd : -1;
	e->op = c.op;
	e->flags2 = 0;
	e->how = c.how;
	e->__pad0 = 0;
	e->__pad1 = 0;
	e->path2_len = 0;
	e->base2_len = 0;

	p.uptr = c.path;
	p.dirfd = c.how & GH_CH_FD ? c.fd : c.dirfd;
	p.off = sizeof(*e);
	p.max = c.max;
	p.file_bit = GH_CH_PATH_FILE;
	p.empty_ok = c.op != GH_CH_LINK && (c.at_flags & GH_AT_EMPTY_PATH);
	p.fd_only = !!(c.how & GH_CH_FD);
	gh_change_piece(&p);
	e->path_len = p.plen;
	e->base_len = p.blen;
	e->h.flags |= p.flags;
	e->how |= p.how;
	off = p.off;
	if (c.how & GH_CH_PATH2_TEXT) {
		long n = bpf_probe_read_user_str(s->buf + (off & GH_HEAD_MASK), GH_PATH_MAX, (void *)c.path2);

		e->path2_len = n > 0 ? n : 0;
		off = (off + e->path2_len) & GH_HEAD_MASK;
	} else if (c.path2) {
		/* linkat's AT_EMPTY_PATH is about the file linked to, its first path */
		__builtin_memset(&p, 0, sizeof(p));
		p.uptr = c.path2;
		p.dirfd = c.dirfd2;
		p.off = off;
		p.file_bit = GH_CH_PATH2_FILE;
		p.empty_ok = c.op == GH_CH_LINK && (c.at_flags & GH_AT_EMPTY_PATH);
		gh_change_piece(&p);
		e->path2_len = p.plen;
		e->base2_len = p.blen;
		e->flags2 = p.flags;
		e->how |= p.how;
		off = p.off;
	}
	e->h.size = off;
	gh_emit(e, off, GH_EV_CHANGE);
	return 0;
}

#endif /* GLASSHOUSE_CHANGE_BPF_H */
