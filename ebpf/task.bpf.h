/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Helpers about tasks, pid namespaces, file descriptors and emitting records. */
#ifndef GLASSHOUSE_TASK_BPF_H
#define GLASSHOUSE_TASK_BPF_H

#include "maps.bpf.h"

#define GH_SIGNAL_GROUP_EXIT 0x00000004 /* include/linux/sched/signal.h */
#define AT_FDCWD_GH          (-100)      /* AT_FDCWD */
#define GH_O_ACCMODE         00000003
#define GH_O_CREAT           00000100
#define GH_O_TRUNC           00001000
#define GH_O_PATH            010000000
#define GH_O_TMPFILE         (020000000 | 0200000) /* __O_TMPFILE | O_DIRECTORY */
#define GH_FMODE_CREATED     0x100000    /* include/linux/fs.h: the open created the file */
#define GH_S_IFMT            00170000
#define GH_S_IFREG           0100000

/* Syscall numbers of the calls we report, and where the saved registers hold them. */
#if defined(__TARGET_ARCH_x86)
#define GH_NR_OPEN      2
#define GH_NR_CONNECT   42
#define GH_NR_SENDTO    44
#define GH_NR_SENDMSG   46
#define GH_NR_EXECVE    59
#define GH_NR_CREAT     85
#define GH_NR_OPENAT    257
#define GH_NR_EXECVEAT  322
#define GH_NR_OPENAT2   437
/* regs is a trusted tp_btf argument: direct (CO-RE relocated) loads, no probe-read helper */
#define GH_ARGS(regs, a) do { (a)[0] = (regs)->di; (a)[1] = (regs)->si; (a)[2] = (regs)->dx; \
			      (a)[3] = (regs)->r10; (a)[4] = (regs)->r8; (a)[5] = (regs)->r9; } while (0)
#define GH_NR(regs) ((regs)->orig_ax)
#else
#error "glasshouse: syscall numbers are only defined for x86_64 so far"
#endif

/* pid number of @pid in the helper's pid namespace; 0 when not visible there. */
static __always_inline __u32 gh_pid_nr(struct pid *pid)
{
	struct upid up = {};
	__u32 level = ns_level;

	if (!pid || BPF_CORE_READ(pid, level) < level)
		return 0;
	bpf_core_read(&up, sizeof(up), &pid->numbers[level]);
	return up.nr;
}

static __always_inline __u32 gh_task_vtgid(struct task_struct *task)
{
	return gh_pid_nr(BPF_CORE_READ(task, group_leader, thread_pid));
}

static __always_inline __u32 gh_task_vtid(struct task_struct *task)
{
	return gh_pid_nr(BPF_CORE_READ(task, thread_pid));
}

static __always_inline __u64 gh_task_start(struct task_struct *task)
{
	return BPF_CORE_READ(task, group_leader, start_time);
}

/*
 * The kfunc is used by syscalls.bpf.c alone (GH_DEFINE_TASK_FNS): bpftool's linker (libbpf
 * before 1.5) fails on objects that each declare the same kfunc. The global functions that need
 * it are defined there; the other program files link to them.
 */
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym;

/*
 * @task as a read-only (untrusted) pointer, for direct loads. The verifier checks every pointer
 * loaded through a trusted one against its lists of fields that stay trusted, which it finds by
 * name in the kernel's BTF: a linear search of all its types, up to four per load, each time it
 * walks such a load. That was most of the time these programs took to load. Through this
 * pointer it does not search; the price is that a load from the task itself is a probe-mem
 * load, guarded by the JIT with an address check (a few instructions, no call), as the loads
 * further down (through task->real_cred, task->files, ...) already were. Nothing here passes
 * such a pointer to a helper that wants a trusted one.
 */
#define gh_task_ro(task) ((struct task_struct *)bpf_rdonly_cast((void *)(task), \
							GH_VMLINUX_ID(vmlinux_id_task_struct, struct task_struct)))

/* The GH_BIT_* bits of @tgid (0 when not followed). */
static __always_inline __u64 gh_follow_bits(__u32 tgid)
{
	__u32 word = tgid / 32;
	__u64 *w;

	if (tgid >= GH_PID_LIMIT)
		return 0;
	w = bpf_map_lookup_elem(&follow_bits, &word);
	return w ? (*w >> ((tgid % 32) * 2)) & 3 : 0;
}

/* Set then clear bits of @tgid, atomically with respect to the other tgids in its word. */
static __always_inline void gh_follow_set(__u32 tgid, __u64 set, __u64 clear)
{
	__u32 word = tgid / 32, shift = (tgid % 32) * 2;
	__u64 *w;

	if (tgid >= GH_PID_LIMIT)
		return;
	w = bpf_map_lookup_elem(&follow_bits, &word);
	if (!w)
		return;
	if (clear)
		__sync_fetch_and_and(w, ~(clear << shift));
	if (set)
		__sync_fetch_and_or(w, set << shift);
}

/* Keep the fast filter in step with a tracked entry's flags. */
static __always_inline void gh_follow_sync(__u32 tgid, __u32 flags)
{
	__u64 quiet = flags & GH_T_GATE ? GH_BIT_QUIET : 0;

	gh_follow_set(tgid, GH_BIT_FOLLOWED | quiet, quiet ? 0 : GH_BIT_QUIET);
}

static __always_inline struct gh_scratch *gh_scratch_get(void)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&scratch, &cpu);
}

static __always_inline void gh_count_lost(__u32 type)
{
	__u64 *n = bpf_map_lookup_elem(&lost, &type);

	if (n)
		*n += 1;
}

/* Inode number of @task's mount namespace when it is not gh-run's (0 when it is, or before the
 * root is adopted). */
static __always_inline __u32 gh_task_mnt_ns(struct task_struct *task)
{
	struct mnt_namespace *ns = BPF_CORE_READ(task, nsproxy, mnt_ns);

	if (!root_mnt_ns || !ns || (__u64)ns == root_mnt_ns)
		return 0;
	return BPF_CORE_READ(ns, ns.inum);
}

static __always_inline void gh_header(struct gh_event_header *h, struct task_struct *task, __u16 type)
{
	h->ts = bpf_ktime_get_ns();
	h->start = gh_task_start(task);
	h->pid = gh_task_vtgid(task);
	h->tid = gh_task_vtid(task);
	h->mnt_ns = gh_task_mnt_ns(task);
	h->type = type;
	h->flags = 0;
	h->size = 0;
	h->__pad0 = 0;
}

/* Send @size bytes of @buf; wake the helper only once enough data is waiting (or at once with
 * @now). Returns 0, or nonzero when the record was lost (and counted as such). */
static __always_inline long gh_emit_wake(void *buf, __u64 size, __u32 type, bool now)
{
	__u64 flags = BPF_RB_NO_WAKEUP;
	long err;

	if (size > GH_SCRATCH_SIZE)
		size = GH_SCRATCH_SIZE;
	if (now || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + size >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	err = bpf_ringbuf_output(&events, buf, size, flags);
	if (err)
		gh_count_lost(type);
	return err;
}

static __always_inline long gh_emit(void *buf, __u64 size, __u32 type)
{
	return gh_emit_wake(buf, size, type, false);
}

/*
 * Whether the caller may trace @task, decided from the task's credentials now, the way the
 * kernel's ptrace_may_access() decides (PTRACE_MODE_READ_REALCREDS): its real, effective, saved
 * (and here also fs) uids and gids are the caller's, it holds no capability the caller lacks
 * (or lives in a user namespace the caller owns), and it is dumpable (a process that gained
 * privilege stays non-dumpable until it execs again, even after dropping it). A caller with
 * CAP_SYS_PTRACE (root) may trace everything.
 */
#define GH_CAP_SYS_PTRACE 19
#define GH_SUID_DUMP_USER 1
#define GH_USERNS_DEPTH   33 /* MAX_USER_NS_LEVEL + 1 */

struct gh_userns_walk {
	struct user_namespace *ns;   /* where the walk is */
	struct user_namespace *mine; /* the caller's */
	__u32 mylevel;
	__u32 yes;
};

static long gh_userns_step(__u32 i, void *vctx)
{
	struct gh_userns_walk *w = vctx;
	struct user_namespace *ns = w->ns, *parent;

	if (!ns)
		return 1;
	if (ns == w->mine) {
		w->yes = !!(caller_cap_eff & (1ull << GH_CAP_SYS_PTRACE));
		return 1;
	}
	if ((__u32)BPF_CORE_READ(ns, level) <= w->mylevel)
		return 1;
	parent = BPF_CORE_READ(ns, parent);
	if (parent == w->mine && BPF_CORE_READ(ns, owner.val) == caller_uid) {
		w->yes = 1;
		return 1;
	}
	w->ns = parent;
	return 0;
}

/* cap_capable(caller, @ns, CAP_SYS_PTRACE): the caller holds it in its own user namespace, or
 * owns a namespace on the way down to @ns (the owner has every capability in what it created). */
static __always_inline bool gh_caller_ptrace_cap(struct user_namespace *ns)
{
	struct user_namespace *mine = (void *)caller_userns;
	struct gh_userns_walk w = { .ns = ns, .mine = mine };

	if (!mine || !ns)
		return false;
	w.mylevel = BPF_CORE_READ(mine, level);
	bpf_loop(GH_USERNS_DEPTH, gh_userns_step, &w, 0);
	return w.yes;
}

/* kernel_cap_t and mm->flags changed shape across kernels: flavours for CO-RE to pick from. */
struct kernel_cap_struct___u64 {
	__u64 val;
} __attribute__((preserve_access_index));
struct cred___caps {
	struct kernel_cap_struct___u64 cap_permitted;
} __attribute__((preserve_access_index));
struct mm_flags___bitmap {
	unsigned long __mm_flags[1];
} __attribute__((preserve_access_index));
struct mm_struct___bitmap {
	struct mm_flags___bitmap flags;
} __attribute__((preserve_access_index));
struct mm_struct___long {
	unsigned long flags;
} __attribute__((preserve_access_index));

/* Direct loads through BTF pointers (no helper call): this runs at every syscall of a followed
 * task when the caller is not root, so it must cost little. @task is read-only (gh_task_ro). */
static __always_inline bool gh_task_traceable(struct task_struct *task)
{
	const struct cred *c;
	struct user_namespace *ns;
	struct mm_struct *mm;
	__u64 prm, mmflags;
	bool ids;

	if (caller_sees_all)
		return true;
	if (!task)
		return false;
	c = task->real_cred;
	ids = c->uid.val == caller_uid && c->euid.val == caller_uid && c->suid.val == caller_uid &&
	      c->fsuid.val == caller_uid && c->gid.val == caller_gid && c->egid.val == caller_gid &&
	      c->sgid.val == caller_gid && c->fsgid.val == caller_gid;
	ns = c->user_ns;
	if (bpf_core_field_exists(((struct cred___caps *)c)->cap_permitted.val))
		prm = ((struct cred___caps *)c)->cap_permitted.val;
	else
		bpf_core_read(&prm, sizeof(prm), &c->cap_permitted); /* u32 cap[2]: the same bits */
	/* the ids, then the capabilities: in the caller's namespace a subset of its own; in any
	 * other, only with CAP_SYS_PTRACE over it (cap_ptrace_access_check) */
	if ((!ids || ns != (void *)caller_userns || (prm & ~caller_cap_prm)) && !gh_caller_ptrace_cap(ns))
		return false;
	mm = task->mm;
	if (mm) {
		if (bpf_core_field_exists(((struct mm_struct___bitmap *)mm)->flags.__mm_flags))
			mmflags = ((struct mm_struct___bitmap *)mm)->flags.__mm_flags[0];
		else
			mmflags = ((struct mm_struct___long *)mm)->flags;
		if ((mmflags & 3) != GH_SUID_DUMP_USER && !gh_caller_ptrace_cap(mm->user_ns))
			return false;
	}
	return true;
}

/* The check as a global function of the task's address (syscalls.bpf.c defines it, the other
 * program files link to it): the verifier checks it once, not at every place that asks. */
#ifdef GH_DEFINE_TASK_FNS
__noinline int gh_may_trace(__u64 task)
{
	return gh_task_traceable(gh_task_ro(task));
}
#else
extern int gh_may_trace(__u64 task);
#endif

static __always_inline int gh_current_traceable(void)
{
	return gh_may_trace(bpf_get_current_task());
}

/* Whether the caller may trace the current task (@task). */
static __always_inline bool gh_traceable(struct task_struct *task)
{
	return caller_sees_all || gh_current_traceable();
}

/* Whether the caller may trace @task, a new process (at fork). A global function takes no BTF
 * pointer, and the verifier lets none pass as a number: the address is read, as a number, as the
 * one of the process's group leader, which is the process itself. */
static __always_inline bool gh_traceable_process(struct task_struct *task)
{
	return caller_sees_all || gh_may_trace((__u64)BPF_CORE_READ(task, group_leader));
}

/* An event like @key was already sent: count this one under its rid and return true. Else try
 * to claim a rid for the event about to be sent (0 when the table is full or another thread of
 * the process claimed it first: that event is then sent without one, counted by itself). When
 * the event that claimed a rid is lost, its repeats are still counted under it: the controller,
 * which never saw that rid, counts them as lost too. @id (NULL: not wanted) gets the rid the
 * event counts under either way: the one claimed, or the one of the event already sent. */
static __always_inline bool gh_repeated(struct gh_repeat_key *key, __u64 *rid, __u64 *id)
{
	struct gh_repeat *r = bpf_map_lookup_elem(&repeats, key);
	struct gh_repeat fresh = {};

	*rid = 0;
	if (r) {
		__sync_fetch_and_add(&r->n, 1);
		if (id)
			*id = r->id;
		return true;
	}
	fresh.id = __sync_fetch_and_add(&last_rid, 1) + 1;
	if (!bpf_map_update_elem(&repeats, key, &fresh, BPF_NOEXIST))
		*rid = fresh.id;
	if (id)
		*id = *rid;
	return false;
}

/* The struct file behind @fd in the current task's table, or 0: direct (CO-RE relocated) loads,
 * and one probe read for the fd table slot, which the verifier cannot index. A global function
 * (syscalls.bpf.c defines it), so that it is checked once; its result is an address to read
 * through (BPF_CORE_READ, or bpf_rdonly_cast for direct loads). */
#ifdef GH_DEFINE_TASK_FNS
__noinline __u64 gh_fd_file_addr(__u64 fd)
{
	struct fdtable *fdt = gh_task_ro(bpf_get_current_task_btf())->files->fdt;
	__u64 file = 0;

	if (fd >= fdt->max_fds)
		return 0;
	bpf_probe_read_kernel(&file, sizeof(file), &fdt->fd[fd]);
	return file;
}
#else
extern __u64 gh_fd_file_addr(__u64 fd);
#endif

static __always_inline struct file *gh_fd_file(__u64 fd)
{
	return (struct file *)gh_fd_file_addr(fd);
}

/* Start a repeat key: the process (@task) and what kind of event (used by syscalls.bpf.c). */
static __always_inline void gh_repeat_key_init(struct gh_repeat_key *key, struct task_struct *task, __u32 kind)
{
	task = gh_task_ro(task);
	key->start = task->group_leader->start_time;
	key->tgid = task->tgid;
	key->kind = kind;
}

#endif /* GLASSHOUSE_TASK_BPF_H */
