/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * exec reporting. A successful exec is reported from sched_process_exec, where the new image,
 * its resolved path and its argv (read from the new mm, exactly as the kernel copied it) are at
 * hand. A failed exec is reported at sys_exit, where the caller's memory still holds the
 * filename and argv it passed.
 */
#ifndef GLASSHOUSE_EXEC_BPF_H
#define GLASSHOUSE_EXEC_BPF_H

#include "path.bpf.h"

struct gh_argv_ctx {
	__u64 argv;   /* user pointer to the argv pointer array */
	__u32 base;   /* offset in scratch where argv strings start */
	__u32 pos;    /* bytes written so far */
	__u32 done;   /* saw the terminating NULL */
	__u16 flags;
	__u16 __pad0;
};

static long gh_argv_step(__u32 i, void *vctx)
{
	struct gh_argv_ctx *c = vctx;
	struct gh_scratch *s = gh_scratch_get();
	const char *arg = NULL;
	__u32 pos = c->pos, room;
	long n;

	if (!s)
		return 1;
	if (bpf_probe_read_user(&arg, sizeof(arg), (void *)(c->argv + (__u64)i * sizeof(arg)))) {
		c->flags |= GH_F_ARGV_MISSING;
		return 1;
	}
	if (!arg) {
		c->done = 1;
		return 1;
	}
	if (pos >= GH_ARGV_MAX) {
		c->flags |= GH_F_ARGV_TRUNC;
		return 1;
	}
	room = GH_ARGV_MAX - pos;
	n = bpf_probe_read_user_str(s->buf + (c->base & GH_HEAD_MASK) + (pos & (GH_ARGV_MAX - 1)), room, arg);
	if (n <= 0) {
		c->flags |= GH_F_ARGV_MISSING;
		return 1;
	}
	c->pos = pos + n;
	if (n == room) { /* it filled the room: it may have gone on (E2BIG-sized argv) */
		c->flags |= GH_F_ARGV_TRUNC;
		return 1;
	}
	return 0;
}

/* Fill the fixed part shared by both outcomes. */
static __always_inline void gh_exec_fixed(struct gh_exec_event *e, struct task_struct *task, __u32 call, __s64 ret)
{
	gh_header(&e->h, task, GH_EV_EXEC);
	e->ret = ret;
	e->ppid = gh_task_vtgid(BPF_CORE_READ(task, real_parent));
	e->uid = BPF_CORE_READ(task, cred, uid.val);
	e->euid = BPF_CORE_READ(task, cred, euid.val);
	e->call = call;
	e->__pad0 = 0;
	e->__pad1 = 0;
	e->exe_len = 0;
	e->cwd_len = 0;
	e->base_len = 0;
	e->argv_len = 0;
	e->argc = GH_ARGC_UNKNOWN;
	e->argv0_len = 0;
}

/* A successful exec, from sched_process_exec; @staged: what sys_enter noted of it (or NULL). */
static __always_inline void gh_exec_emit_success(struct task_struct *task, struct linux_binprm *bprm,
						 struct gh_exec_stage *staged)
{
	struct gh_scratch *s = gh_scratch_get();
	struct gh_exec_event *e;
	struct mm_struct *mm;
	__u64 off, arg_start, len;
	long n;

	if (!s)
		return;
	e = (void *)s->buf;
	gh_exec_fixed(e, task, staged ? staged->call : GH_CALL_EXECVE, 0);
	if (BPF_CORE_READ_BITFIELD_PROBED(bprm, secureexec))
		e->h.flags |= GH_F_PRIVILEGED;
	/* a #! script or a binfmt_misc handler: the interpreter runs, and the argv of the new image
	 * begins with what the kernel put in place of argv[0] */
	if (BPF_CORE_READ(bprm, interp) != BPF_CORE_READ(bprm, filename))
		e->h.flags |= GH_F_SCRIPT;

	off = sizeof(*e);
	n = bpf_probe_read_kernel_str(s->buf + off, GH_PATH_MAX, BPF_CORE_READ(bprm, filename));
	if (n < 0)
		n = 0;
	e->path_len = n;
	off = (off + n) & GH_HEAD_MASK;

	e->exe_len = gh_walk_file(off, BPF_CORE_READ(bprm, file), task, &e->h.flags, GH_F_FOREIGN_PATH);
	off = (off + e->exe_len) & GH_HEAD_MASK;

	/* the exec itself is always reported; where a process the caller may not trace runs is not */
	if (gh_traceable(task))
		e->cwd_len = gh_walk_cwd(off, task, &e->h.flags);
	else
		e->h.flags |= GH_F_WITHHELD;
	off = (off + e->cwd_len) & GH_HEAD_MASK;

	if (e->path_len > 1 && s->buf[sizeof(*e)] == '/' && gh_task_rooted_elsewhere(task)) {
		e->base_len = gh_walk_root(off, task, &e->h.flags);
		off = (off + e->base_len) & GH_HEAD_MASK;
	}

	if (capture_argv && staged) {
		e->argc = staged->argc;
		e->h.flags |= staged->flags & GH_F_ARGV_TRUNC;
		len = staged->argv0_len;
		if (len > GH_ARGV0_MAX)
			len = GH_ARGV0_MAX;
		if (len && !bpf_probe_read_kernel(s->buf + off, len, staged->argv0))
			e->argv0_len = len;
		off = (off + e->argv0_len) & GH_HEAD_MASK;
	}

	if (!capture_argv) {
		e->h.flags |= GH_F_ARGV_MISSING;
	} else {
		mm = BPF_CORE_READ(task, mm);
		arg_start = BPF_CORE_READ(mm, arg_start);
		len = BPF_CORE_READ(mm, arg_end) - arg_start;
		if (len > GH_ARGV_MAX) {
			len = GH_ARGV_MAX;
			e->h.flags |= GH_F_ARGV_TRUNC;
		}
		if (bpf_probe_read_user(s->buf + off, len, (void *)arg_start)) {
			e->h.flags |= GH_F_ARGV_MISSING;
			len = 0;
		}
		e->argv_len = len;
		off += len;
	}
	e->h.size = off;
	gh_emit(e, off, GH_EV_EXEC);
}

/* A failed execve/execveat of a task the caller may trace: @args are the syscall's arguments. */
static __always_inline void gh_exec_emit_failure(struct task_struct *task, struct gh_inflight *in, __s64 ret)
{
	struct gh_scratch *s = gh_scratch_get();
	struct gh_argv_ctx ctx = {};
	struct gh_exec_event *e;
	__u64 filename, argv, off;
	__s64 dirfd = AT_FDCWD_GH;
	long n;

	if (!s)
		return;
	if (in->call == GH_CALL_EXECVEAT) {
		dirfd = (__s32)in->args[0];
		filename = in->args[1];
		argv = in->args[2];
	} else {
		filename = in->args[0];
		argv = in->args[1];
	}
	e = (void *)s->buf;
	gh_exec_fixed(e, task, in->call, ret);

	off = sizeof(*e);
	n = bpf_probe_read_user_str(s->buf + off, GH_PATH_MAX, (void *)filename);
	if (n < 0)
		n = 0;
	e->path_len = n;
	off = (off + n) & GH_HEAD_MASK;

	e->cwd_len = gh_walk_cwd(off, task, &e->h.flags);
	off = (off + e->cwd_len) & GH_HEAD_MASK;

	if (n == 1 && in->call == GH_CALL_EXECVEAT && (in->args[4] & 0x1000 /* AT_EMPTY_PATH */)) {
		/* fexecve: the file behind the fd is what was run, not the cwd */
		e->h.flags |= GH_F_EMPTY_PATH;
		e->base_len = gh_walk_file(off, gh_fd_file(dirfd), task, &e->h.flags, GH_F_FOREIGN_BASE);
		off = (off + e->base_len) & GH_HEAD_MASK;
	} else if (n > 0 && s->buf[sizeof(*e)] != '/' && (dirfd != AT_FDCWD_GH || gh_task_mnt_ns(task))) {
		/* relative to a dirfd, or to the cwd of a task in another mount namespace (as it
		 * sees it: the helper uses the event's cwd, named in gh-run's, otherwise) */
		e->base_len = gh_walk_base(off, task, dirfd == AT_FDCWD_GH ? NULL : gh_fd_file(dirfd),
					   dirfd == AT_FDCWD_GH, &e->h.flags);
		off = (off + e->base_len) & GH_HEAD_MASK;
	} else if (n > 1 && s->buf[sizeof(*e)] == '/' && gh_task_rooted_elsewhere(task)) {
		e->base_len = gh_walk_root(off, task, &e->h.flags);
		off = (off + e->base_len) & GH_HEAD_MASK;
	}

	if (!capture_argv) {
		e->h.flags |= GH_F_ARGV_MISSING;
	} else if (!argv) {
		e->argv_len = 0; /* a NULL argv is an empty one */
	} else {
		ctx.argv = argv;
		ctx.base = off;
		bpf_loop(GH_ARGC_MAX, gh_argv_step, &ctx, 0);
		if (!ctx.done && !(ctx.flags & GH_F_ARGV_MISSING))
			ctx.flags |= GH_F_ARGV_TRUNC;
		e->h.flags |= ctx.flags;
		e->argv_len = ctx.pos & (GH_ARGV_MAX * 2 - 1);
		off += e->argv_len;
	}
	e->h.size = off;
	gh_emit(e, off, GH_EV_EXEC);
}

#endif /* GLASSHOUSE_EXEC_BPF_H */
