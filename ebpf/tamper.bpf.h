/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Attempts of the followed tree on the two processes that write its receipt: gh-run (the
 * controller, the helper's parent) and the helper. Both run with the caller's uid, so the
 * command may signal them, ptrace them, read or write their memory, or take their file
 * descriptors. Each attempt is reported (GH_EV_TAMPER), whether it worked or not and whoever
 * made it (a task whose other activity is withheld too), and wakes the helper at once.
 */
#ifndef GLASSHOUSE_TAMPER_BPF_H
#define GLASSHOUSE_TAMPER_BPF_H

#include "path.bpf.h"

#if defined(__TARGET_ARCH_x86)
#define GH_NR_PTRACE             101
#define GH_NR_KILL               62
#define GH_NR_RT_SIGQUEUEINFO    129
#define GH_NR_TKILL              200
#define GH_NR_TGKILL             234
#define GH_NR_RT_TGSIGQUEUEINFO  297
#define GH_NR_PROCESS_VM_READV   310
#define GH_NR_PROCESS_VM_WRITEV  311
#define GH_NR_PIDFD_SEND_SIGNAL  424
#define GH_NR_PIDFD_GETFD        438
#endif

#define GH_PROC_SUPER_MAGIC  0x9fa0
#define GH_PIDFS_MAGIC       0x50494446
#define GH_ANON_INODE_MAGIC  0x09041934
#define GH_TAMPER_PATH_MAX   256

/* GH_WHO_* of a pid, or of a process group, in the helper's pid namespace. */
static __always_inline __u16 gh_who_pid(__u32 vpid)
{
	return (vpid && vpid == controller_vpid ? GH_WHO_CONTROLLER : 0) | (vpid && vpid == helper_vpid ? GH_WHO_HELPER : 0);
}

static __always_inline __u16 gh_who_pgid(__u32 pgid)
{
	return (pgid && pgid == controller_pgid ? GH_WHO_CONTROLLER : 0) | (pgid && pgid == helper_pgid ? GH_WHO_HELPER : 0);
}

/* Whether pid numbers @task passes mean what they mean to the helper (same pid namespace). */
static __always_inline bool gh_same_pidns(struct task_struct *task)
{
	return BPF_CORE_READ(task, thread_pid, level) == ns_level;
}

/* The thread-group id, in the helper's namespace, of the process @pid names (a thread's pid
 * names its process). */
static __always_inline __u32 gh_pid_vtgid(struct pid *pid)
{
	struct hlist_node *first = BPF_CORE_READ(pid, tasks[PIDTYPE_PID].first);

	if (first)
		return gh_task_vtgid((void *)first - bpf_core_field_offset(struct task_struct, pid_links));
	return gh_pid_nr(pid);
}

/* The struct pid a pidfd (or a /proc/<pid> directory fd, which pidfd_send_signal takes too)
 * refers to; NULL for any other file. */
static __always_inline struct pid *gh_file_pid(struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);
	unsigned long magic = BPF_CORE_READ(inode, i_sb, s_magic);
	char name[8] = {};

	if (magic == GH_PROC_SUPER_MAGIC)
		return BPF_CORE_READ((struct proc_inode *)((void *)inode - bpf_core_field_offset(struct proc_inode, vfs_inode)), pid);
	if (magic == GH_PIDFS_MAGIC) /* pidfs (Linux 6.9 on): the inode holds it */
		return BPF_CORE_READ(inode, i_private);
	if (magic == GH_ANON_INODE_MAGIC) { /* pidfds before pidfs (Linux 6.9) */
		bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
		if (name[0] == '[' && name[1] == 'p' && name[2] == 'i' && name[3] == 'd' && name[4] == 'f' &&
		    name[5] == 'd' && name[6] == ']')
			return BPF_CORE_READ(file, private_data);
	}
	return NULL;
}

static __always_inline __u16 gh_who_pidfd(__u64 fd)
{
	struct file *file = gh_fd_file(fd);
	struct pid *pid = file ? gh_file_pid(file) : NULL;

	return pid ? gh_who_pid(gh_pid_vtgid(pid)) : 0;
}

static __always_inline void gh_tamper_emit(struct task_struct *task, __u16 kind, __u16 who, __u32 nr,
					   __s64 ret, __s64 arg, __u32 target, const char *upath)
{
	struct gh_scratch *s = gh_scratch_get();
	struct gh_tamper_event *e;
	long n = 0;

	if (!s)
		return;
	e = (void *)s->buf;
	gh_header(&e->h, task, GH_EV_TAMPER);
	e->ret = ret;
	e->arg = arg;
	e->target = target;
	e->nr = nr;
	e->kind = kind;
	e->who = who;
	if (upath) {
		n = bpf_probe_read_user_str(e->data, GH_TAMPER_PATH_MAX, upath);
		if (n < 0)
			n = 0;
	}
	e->path_len = n;
	e->h.size = sizeof(*e) + (n & (GH_TAMPER_PATH_MAX * 2 - 1));
	gh_emit_wake(e, e->h.size, GH_EV_TAMPER, true);
}

/* At sys_exit of syscall @nr with arguments @a and result @ret: an attempt on our processes? */
static __always_inline void gh_tamper_call(struct task_struct *task, __u32 nr, __u64 *a, __s64 ret)
{
	bool ours = gh_same_pidns(task);
	__s32 pid = a[0];
	__u16 who = 0, kind = GH_TAMPER_SIGNAL;
	__s64 arg = 0;

	switch (nr) {
	case GH_NR_KILL:
		arg = (__s32)a[1];
		if (!ours || !arg)
			return; /* signal 0 only asks whether the process exists */
		if (pid > 0)
			who = gh_who_pid(pid);
		else if (pid == -1)
			who = GH_WHO_CONTROLLER | GH_WHO_HELPER;
		else if (pid == 0)
			who = gh_who_pgid(gh_pid_nr(BPF_CORE_READ(task, signal, pids[PIDTYPE_PGID])));
		else
			who = gh_who_pgid(-pid);
		break;
	case GH_NR_TKILL: /* a thread id: only main threads' (whose ids are the pids) are recognised */
	case GH_NR_RT_SIGQUEUEINFO:
	case GH_NR_TGKILL:
	case GH_NR_RT_TGSIGQUEUEINFO:
		/* (tid or tgid, sig) or (tgid, tid, sig) */
		arg = (nr == GH_NR_TGKILL || nr == GH_NR_RT_TGSIGQUEUEINFO) ? (__s32)a[2] : (__s32)a[1];
		if (ours && arg)
			who = gh_who_pid(pid);
		break;
	case GH_NR_PIDFD_SEND_SIGNAL:
		arg = (__s32)a[1];
		if (arg)
			who = gh_who_pidfd(a[0]);
		pid = a[0]; /* the pidfd (the helper knows from nr) */
		break;
	case GH_NR_PIDFD_GETFD:
		kind = GH_TAMPER_GETFD;
		arg = (__s32)a[1];
		who = gh_who_pidfd(a[0]);
		pid = a[0];
		break;
	case GH_NR_PTRACE:
		kind = GH_TAMPER_PTRACE;
		arg = (__s64)a[0];
		pid = a[1];
		if (ours && arg != 0 /* PTRACE_TRACEME names no one */)
			who = gh_who_pid(pid);
		break;
	case GH_NR_PROCESS_VM_READV:
	case GH_NR_PROCESS_VM_WRITEV:
		kind = GH_TAMPER_VM;
		if (ours)
			who = gh_who_pid(pid);
		break;
	default:
		return;
	}
	if (who)
		gh_tamper_emit(task, kind, who, nr, ret, arg, pid, NULL);
}

/* "/proc/<pid>/mem" or "/proc/<pid>/fd/..." of one of our processes, as the path was written
 * (absolute, in gh-run's own namespaces). Returns GH_WHO_* of the pid. */
struct gh_proc_path {
	char p[32];  /* the path as written */
	__u32 end;   /* index of the first byte after the pid's digits */
	__u32 v;     /* the pid */
};

/* One digit of the pid in "/proc/<pid>/", from p[6] on. */
static long gh_proc_pid_step(__u32 k, void *vctx)
{
	struct gh_proc_path *d = vctx;
	char c = d->p[(6 + k) & 31];

	if (c < '0' || c > '9')
		return 1;
	d->v = d->v * 10 + (c - '0');
	d->end = 6 + k + 1;
	return 0;
}

static __always_inline __u16 gh_tamper_proc_path(struct task_struct *task, const char *upath)
{
	struct gh_proc_path d = { .end = 6 };
	__u64 head = 0;
	__u32 i;

	/* every open pays this: 8 bytes first, the rest only for "/proc/..." */
	if (bpf_probe_read_user(&head, sizeof(head), upath) || (head & 0xffffffffffffull) != 0x2f636f72702full)
		return 0;
	if (bpf_probe_read_user_str(d.p, sizeof(d.p), upath) < 8)
		return 0;
	if (!gh_same_pidns(task) || gh_task_mnt_ns(task))
		return 0;
	/* at most 11 digits, one per bpf_loop() step: as a loop, the verifier followed the rest
	 * once for each place the digits could end */
	bpf_loop(11, gh_proc_pid_step, &d, 0);
	i = d.end;
	if (i == 6 || d.p[i & 31] != '/')
		return 0;
	i++;
	if (d.p[i & 31] == 'm' && d.p[(i + 1) & 31] == 'e' && d.p[(i + 2) & 31] == 'm' && d.p[(i + 3) & 31] == '\0')
		return gh_who_pid(d.v);
	if (d.p[i & 31] == 'f' && d.p[(i + 1) & 31] == 'd' && d.p[(i + 2) & 31] == '/' && d.p[(i + 3) & 31] != '\0')
		return gh_who_pid(d.v);
	return 0;
}

/* An open (at sys_exit, @file the new file when it worked): of our /proc/<pid>/{mem,fd/...} as
 * written, or, by whatever path, of one of our processes' memory or of the helper's pipes. */
static __always_inline void gh_tamper_open(struct task_struct *task, __u32 nr, const char *upath,
					   struct file *file, __s64 ret)
{
	struct inode *inode;
	__u64 ino, dev;
	__u16 who = gh_tamper_proc_path(task, upath);
	char name[4] = {};

	if (who) {
		gh_tamper_emit(task, GH_TAMPER_PROC, who, nr, ret, 0, 0, upath);
		return;
	}
	if (!file)
		return;
	/* direct (CO-RE relocated) loads: this too runs for every successful open */
	inode = ((struct file *)bpf_rdonly_cast(file, GH_VMLINUX_ID(vmlinux_id_file, struct file)))->f_inode;
	if (inode->i_sb->s_magic == GH_PROC_SUPER_MAGIC) {
		bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(file, f_path.dentry, d_name.name));
		if (name[0] == 'm' && name[1] == 'e' && name[2] == 'm') {
			struct pid *pid = gh_file_pid(file);

			who = pid ? gh_who_pid(gh_pid_vtgid(pid)) : 0;
			if (who)
				gh_tamper_emit(task, GH_TAMPER_PROC, who, nr, ret, 0, 0, upath);
		}
		return;
	}
	if (!pipe_dev) /* the helper's stdio are not pipes (gh-run gives it socket pairs) */
		return;
	ino = inode->i_ino;
	dev = inode->i_sb->s_dev;
	if (dev == pipe_dev && ino && (ino == pipe_ino0 || ino == pipe_ino1 || ino == pipe_ino2))
		gh_tamper_emit(task, GH_TAMPER_PIPE, GH_WHO_HELPER, nr, ret, 0, 0, upath);
}

#endif /* GLASSHOUSE_TAMPER_BPF_H */
