// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The two hot programs. For every syscall on the machine they do one map lookup and return at
 * once unless the task belongs to the followed tree. For followed tasks the caller may trace
 * (gh_traceable), sys_enter counts the syscall in a per-CPU array (read by the helper at the
 * end, never streamed) and sys_exit reports the few syscalls we report, with their result.
 * Attempts on the controller and the helper are reported for every followed task.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#define GH_DEFINE_TASK_FNS
#include "change.bpf.h"
#include "exec.bpf.h"
#include "file.bpf.h"
#include "net.bpf.h"
#include "tamper.bpf.h"

#if defined(__TARGET_ARCH_x86)
#define GH_NR_PIVOT_ROOT   155
#define GH_NR_MOUNT        165
#define GH_NR_UMOUNT2      166
#define GH_NR_UNSHARE      272
#define GH_NR_SETNS        308
#define GH_NR_MOVE_MOUNT   429
#define GH_NR_MOUNT_SETATTR 442
#endif
#define GH_USER_HZ_NS      10000000ull /* NSEC_PER_SEC / USER_HZ: /proc's clock ticks */

static __always_inline __u32 gh_call_of(long nr)
{
	switch (nr) {
	case GH_NR_EXECVE:   return GH_CALL_EXECVE;
	case GH_NR_EXECVEAT: return GH_CALL_EXECVEAT;
	case GH_NR_OPEN:     return GH_CALL_OPEN;
	case GH_NR_OPENAT:   return GH_CALL_OPENAT;
	case GH_NR_OPENAT2:  return GH_CALL_OPENAT2;
	case GH_NR_CREAT:    return GH_CALL_CREAT;
	case GH_NR_CONNECT:  return GH_CALL_CONNECT;
	case GH_NR_SENDTO:   return GH_CALL_SENDTO;
	case GH_NR_SENDMSG:  return GH_CALL_SENDMSG;
	case GH_NR_SENDMMSG: return GH_CALL_SENDMMSG;
	case GH_NR_LISTEN:   return GH_CALL_LISTEN;
	case GH_NR_ACCEPT:   return GH_CALL_ACCEPT;
	case GH_NR_ACCEPT4:  return GH_CALL_ACCEPT4;
	default:             return 0;
	}
}

struct gh_ns_find {
	struct pid *pid;
	__u32 top;    /* the pid's own level */
	__s32 level;  /* the level found, -1 while none */
};

static long gh_ns_level_step(__u32 l, void *vctx)
{
	struct gh_ns_find *f = vctx;
	struct pid *pid = f->pid;
	struct upid up = {};

	if (l > f->top)
		return 1;
	bpf_core_read(&up, sizeof(up), &pid->numbers[l]);
	if (BPF_CORE_READ(up.ns, ns.inum) == ns_ino) {
		f->level = l;
		return 1;
	}
	return 0;
}

/* The level at which @task's pid lives in the namespace (ns_dev, ns_ino); -1 when it has none.
 * One level per bpf_loop() step: as a loop, each level it could stop at was a constant the
 * verifier followed through the whole adoption check, 33 times over. */
static __always_inline int gh_find_ns_level(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	struct gh_ns_find f = { .pid = pid, .top = BPF_CORE_READ(pid, level), .level = -1 };

	bpf_loop(33 /* MAX_PID_NS_LEVEL + 1 */, gh_ns_level_step, &f, 0);
	return f.level;
}

/* Whether @leader is exactly the process the helper checked; GH_ADOPT_* bits of what is not. */
static __always_inline __u32 gh_adopt_check(struct task_struct *leader, int level)
{
	const struct cred *c = BPF_CORE_READ(leader, real_cred);
	struct task_struct *parent = BPF_CORE_READ(leader, real_parent);
	struct pid *ppid = BPF_CORE_READ(parent, group_leader, thread_pid);
	__u64 ticks = (BPF_CORE_READ(leader, start_boottime) + pending_boot_off) / GH_USER_HZ_NS;
	struct upid up = {};
	__u32 result = 0;

	if (level < 0)
		return GH_ADOPT_NS;
	if (bpf_core_field_exists(struct pid, ino) && pending_ino &&
	    BPF_CORE_READ(leader, thread_pid, ino) != pending_ino)
		result |= GH_ADOPT_IDENTITY;
	if (ticks != pending_ticks)
		result |= GH_ADOPT_START;
	if (BPF_CORE_READ(ppid, level) < level)
		result |= GH_ADOPT_PARENT;
	bpf_core_read(&up, sizeof(up), &ppid->numbers[level & 31]);
	if (up.nr != controller_vpid)
		result |= GH_ADOPT_PARENT;
	if (BPF_CORE_READ(c, uid.val) != caller_uid || BPF_CORE_READ(c, euid.val) != caller_uid ||
	    BPF_CORE_READ(c, suid.val) != caller_uid || BPF_CORE_READ(c, fsuid.val) != caller_uid ||
	    BPF_CORE_READ(c, gid.val) != caller_gid || BPF_CORE_READ(c, egid.val) != caller_gid ||
	    BPF_CORE_READ(c, sgid.val) != caller_gid || BPF_CORE_READ(c, fsgid.val) != caller_gid)
		result |= GH_ADOPT_CREDS;
	return result;
}

/*
 * The root of the tree is named by the helper as a pid of its own namespace, with what
 * identifies the process it checked. The first syscall made under that pid claims the request
 * (no later one can: it is cleared at once): if that process is the one checked, it is followed
 * under its global tgid; if not, nothing is, ever. Either way the helper hears of it at once.
 * Returns the new bits of the current process. A global function: checked once by the verifier.
 */
__noinline int gh_adopt(__u32 tgid)
{
	struct bpf_pidns_info ns = {};
	struct task_struct *task, *leader;
	struct gh_adopt_event e = {};
	struct gh_tracked t = {};
	__u64 want = pending_vpid;
	int level;

	if (!want || bpf_get_ns_current_pid_tgid(ns_dev, ns_ino, &ns, sizeof(ns)) || ns.tgid != want)
		return 0;
	if (__sync_val_compare_and_swap(&pending_vpid, want, 0) != want)
		return 0;
	task = bpf_get_current_task_btf();
	leader = BPF_CORE_READ(task, group_leader);
	level = gh_find_ns_level(task);
	e.result = gh_adopt_check(leader, level);
	if (!e.result) {
		ns_level = level;
		root_dentry = (__u64)BPF_CORE_READ(task, fs, root.dentry);
		root_mnt = (__u64)BPF_CORE_READ(task, fs, root.mnt);
		root_mnt_ns = (__u64)BPF_CORE_READ(task, nsproxy, mnt_ns);
		caller_userns = (__u64)BPF_CORE_READ(task, real_cred, user_ns);
		t.start = gh_task_start(task);
		t.vpid = want;
		t.flags = GH_T_GATE;
		if (bpf_map_update_elem(&tracked, &tgid, &t, BPF_NOEXIST))
			e.result = GH_ADOPT_FULL;
		else
			gh_follow_sync(tgid, t.flags);
	}
	e.h.ts = bpf_ktime_get_ns();
	e.h.start = gh_task_start(task);
	e.h.pid = want;
	e.h.tid = want;
	e.h.type = GH_EV_ADOPT;
	e.h.size = sizeof(e);
	gh_emit_wake(&e, sizeof(e), GH_EV_ADOPT, true);
	return e.result ? 0 : GH_BIT_FOLLOWED | GH_BIT_QUIET; /* a global function's result: int */
}

/* Whether syscall @nr of a GH_BIT_QUIET process (the gate before its exec: its own work is not
 * the command's) is looked at: only its exec. */
static __always_inline bool gh_quiet_passes(long nr)
{
	return nr == GH_NR_EXECVE || nr == GH_NR_EXECVEAT;
}

/* The GH_BIT_* bits of the current process: the one check every syscall on the machine pays. */
static __always_inline __u64 gh_current_bits(__u32 tgid)
{
	__u64 bits = gh_follow_bits(tgid);

	if (!bits && pending_vpid)
		bits = gh_adopt(tgid);
	return bits;
}

/* A followed process the caller may not trace made a syscall: count it, withheld; the first
 * time, say so (with the credentials that decided it). */
__noinline int gh_withhold(__u32 tgid)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct gh_tracked *t = bpf_map_lookup_elem(&tracked, &tgid);
	struct gh_withheld_event e = {};
	const struct cred *c;

	if (!t)
		return 0;
	__sync_fetch_and_add(&t->withheld, 1);
	if (t->flags & GH_T_WITHHELD)
		return 0;
	t->flags |= GH_T_WITHHELD; /* a race sends it twice at worst */
	c = BPF_CORE_READ(task, real_cred);
	gh_header(&e.h, task, GH_EV_WITHHELD);
	e.h.size = sizeof(e);
	e.uid = BPF_CORE_READ(c, uid.val);
	e.euid = BPF_CORE_READ(c, euid.val);
	e.gid = BPF_CORE_READ(c, gid.val);
	e.egid = BPF_CORE_READ(c, egid.val);
	gh_emit(&e, sizeof(e), GH_EV_WITHHELD);
	return 0;
}

struct gh_argc_ctx {
	__u64 argv;
	__u32 argc;
	__u32 done;
};

static long gh_argc_step(__u32 i, void *vctx)
{
	struct gh_argc_ctx *c = vctx;
	__u64 arg = 0;

	if (bpf_probe_read_user(&arg, sizeof(arg), (void *)(c->argv + (__u64)i * sizeof(arg))))
		return 1; /* unreadable: argc stays unknown */
	if (!arg) {
		c->done = 1;
		return 1;
	}
	c->argc = i + 1;
	return 0;
}

/* At the start of an exec, note what the caller passes that the new image may not show: how
 * many arguments and argv[0] (struct gh_exec_stage). A global function: checked once. */
__noinline int gh_exec_stage(__u32 tid, __u32 call, __u64 argv)
{
	struct gh_scratch *s = gh_scratch_get();
	struct gh_exec_stage *st;
	struct gh_argc_ctx c = { .argv = argv };
	__u64 arg0 = 0;
	long n;

	if (!s)
		return 0;
	st = (void *)s->buf; /* sys_enter builds no event of its own: the scratch is free */
	st->call = call;
	st->argc = GH_ARGC_UNKNOWN;
	st->argv0_len = 0;
	st->flags = 0;
	if (argv) {
		bpf_loop(GH_ARGC_MAX, gh_argc_step, &c, 0);
		if (c.done)
			st->argc = c.argc;
		if (c.argc && !bpf_probe_read_user(&arg0, sizeof(arg0), (void *)argv) && arg0) {
			n = bpf_probe_read_user_str(st->argv0, GH_ARGV0_MAX, (void *)arg0);
			if (n > 0) {
				st->argv0_len = n;
				if (n == GH_ARGV0_MAX)
					st->flags |= GH_F_ARGV_TRUNC; /* it may have gone on */
			}
		}
	} else {
		st->argc = 0; /* a NULL argv is an empty one */
	}
	bpf_map_update_elem(&exec_call, &tid, st, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = pid_tgid, nr = id;
	__u64 bits = gh_current_bits(tgid);
	__u64 *count;

	if (!bits)
		return 0;
	if ((bits & GH_BIT_QUIET) && !gh_quiet_passes(nr))
		return 0;
	/* (for a root caller the check is compiled out: caller_sees_all is rodata) */
	if (!caller_sees_all && !gh_current_traceable()) {
		gh_withhold(tgid);
		return 0;
	}
	if (nr < GH_MAX_SYSCALLS) {
		count = bpf_map_lookup_elem(&counts, &nr);
		if (count)
			*count += 1;
	}
	if (nr == GH_NR_EXECVE || nr == GH_NR_EXECVEAT)
		gh_exec_stage(tid, gh_call_of(nr), nr == GH_NR_EXECVE ? regs->si : regs->dx);
	return 0;
}

/* A mount namespace changed (or was entered): the helper describes its mounts. Only for
 * namespaces other than gh-run's, whose paths are what the receipt names. */
static __always_inline void gh_mount_changed(struct task_struct *task, __u32 nr, __s64 ret, __u64 *a)
{
	struct gh_mount_event e = {};

	if (ret < 0)
		return;
	if (nr == GH_NR_UNSHARE && !(a[0] & 0x00020000 /* CLONE_NEWNS */))
		return;
	gh_header(&e.h, task, GH_EV_MOUNT);
	if (!e.h.mnt_ns)
		return;
	e.h.size = sizeof(e);
	e.nr = nr;
	gh_emit_wake(&e, sizeof(e), GH_EV_MOUNT, true);
}

/*
 * What sys_exit does with each kind of syscall, as global functions: the verifier checks each
 * once, on its own, instead of once per path through the program that calls it (which made
 * loading several times slower). They take only scalars and the syscall's saved arguments, and
 * find the current task themselves.
 */
__noinline int gh_exit_tamper(__u32 nr, __u64 a0, __u64 a1, __u64 a2, __s64 ret)
{
	__u64 a[3] = { a0, a1, a2 };

	gh_tamper_call(bpf_get_current_task_btf(), nr, a, ret);
	return 0;
}

__noinline int gh_exit_mount(__u32 nr, __u64 a0, __s64 ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 a[1] = { a0 };

	if (gh_traceable(task))
		gh_mount_changed(task, nr, ret, a);
	return 0;
}

__noinline int gh_exit_exec(struct gh_inflight *in, __s64 ret)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (in && gh_traceable(task))
		gh_exec_emit_failure(task, in, ret);
	return 0;
}

__noinline int gh_exit_net(struct gh_inflight *in, __s64 ret)
{
	struct task_struct *task = bpf_get_current_task_btf();

	if (in && gh_traceable(task))
		gh_net_emit(task, in, ret);
	return 0;
}

__noinline int gh_exit_open(struct gh_inflight *in, __u32 nr, __s64 ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file *file = NULL;
	__u64 pathname = 0;
	__s64 dirfd;
	__u32 flags;

	if (!in)
		return 0;
	if (ret >= 0)
		file = gh_fd_file(ret);
	gh_open_args(in, &pathname, &dirfd, &flags);
	gh_tamper_open(task, nr, (const char *)pathname, file, ret);
	if (gh_traceable(task))
		gh_open_emit(task, in, ret, file, pathname, dirfd, flags);
	return 0;
}

/* The arguments are read at exit from the registers saved at entry, which these syscalls leave
 * as they were (a successful exec replaces them, and is reported by sched_process_exec). */
SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = pid_tgid, nr;
	struct gh_inflight in = {};
	__u64 bits = gh_current_bits(tgid);

	if (!bits)
		return 0;
	nr = GH_NR(regs);
	if ((bits & GH_BIT_QUIET) && !gh_quiet_passes(nr))
		return 0;
	in.call = gh_call_of(nr);
	if (!in.call) {
		/* most syscalls: nothing to report, and no arguments read */
		switch (nr) {
		case GH_NR_MOUNT:
		case GH_NR_UMOUNT2:
		case GH_NR_PIVOT_ROOT:
		case GH_NR_MOVE_MOUNT:
		case GH_NR_MOUNT_SETATTR:
		case GH_NR_UNSHARE:
		case GH_NR_SETNS:
			gh_exit_mount(nr, regs->di, ret);
			break;
		case GH_NR_KILL:
		case GH_NR_TKILL:
		case GH_NR_TGKILL:
		case GH_NR_RT_SIGQUEUEINFO:
		case GH_NR_RT_TGSIGQUEUEINFO:
		case GH_NR_PIDFD_SEND_SIGNAL:
		case GH_NR_PIDFD_GETFD:
		case GH_NR_PTRACE:
		case GH_NR_PROCESS_VM_READV:
		case GH_NR_PROCESS_VM_WRITEV:
			gh_exit_tamper(nr, regs->di, regs->si, regs->dx, ret);
			break;
		case GH_NR_UNLINK:
		case GH_NR_UNLINKAT:
		case GH_NR_RMDIR:
		case GH_NR_MKDIR:
		case GH_NR_MKDIRAT:
		case GH_NR_MKNOD:
		case GH_NR_MKNODAT:
		case GH_NR_RENAME:
		case GH_NR_RENAMEAT:
		case GH_NR_RENAMEAT2:
		case GH_NR_LINK:
		case GH_NR_LINKAT:
		case GH_NR_SYMLINK:
		case GH_NR_SYMLINKAT:
		case GH_NR_CHMOD:
		case GH_NR_FCHMOD:
		case GH_NR_FCHMODAT:
		case GH_NR_FCHMODAT2:
		case GH_NR_CHOWN:
		case GH_NR_FCHOWN:
		case GH_NR_LCHOWN:
		case GH_NR_FCHOWNAT:
		case GH_NR_TRUNCATE:
		case GH_NR_FTRUNCATE:
		case GH_NR_BIND:
			GH_ARGS(regs, in.args);
			gh_exit_change(&in, nr, ret);
			break;
		case GH_NR_SPLICE:
			gh_exit_splice(regs->di, ret);
			break;
		case GH_NR_SENDFILE:
			gh_exit_splice(regs->si, ret);
			break;
		case GH_NR_READ:
		case GH_NR_WRITE:
		case GH_NR_READV:
		case GH_NR_WRITEV:
		case GH_NR_RECVFROM:
		case GH_NR_RECVMSG:
		case GH_NR_RECVMMSG:
			/* a DNS message to copy? (one load of a global when none is waiting) */
			if (dns_marked) {
				GH_ARGS(regs, in.args);
				gh_exit_dns(&in, nr, ret);
			}
			break;
		}
		return 0;
	}
	GH_ARGS(regs, in.args);
	switch (in.call) {
	case GH_CALL_EXECVE:
	case GH_CALL_EXECVEAT:
		bpf_map_delete_elem(&exec_call, &tid);
		if (ret < 0) /* a success was reported by sched_process_exec */
			gh_exit_exec(&in, ret);
		break;
	case GH_CALL_CONNECT:
	case GH_CALL_LISTEN:
	case GH_CALL_ACCEPT:
	case GH_CALL_ACCEPT4:
		gh_exit_net(&in, ret);
		break;
	case GH_CALL_SENDTO:
	case GH_CALL_SENDMSG:
	case GH_CALL_SENDMMSG:
		gh_exit_net(&in, ret);
		if (dns_marked)
			gh_exit_dns(&in, nr, ret);
		break;
	default: /* the opens */
		gh_exit_open(&in, nr, ret);
		break;
	}
	return 0;
}
