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
	__u64 quiet = flags & (GH_T_GATE | GH_T_PRIVILEGED) ? GH_BIT_QUIET : 0;

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

static __always_inline void gh_header(struct gh_event_header *h, struct task_struct *task, __u16 type)
{
	h->ts = bpf_ktime_get_ns();
	h->start = gh_task_start(task);
	h->pid = gh_task_vtgid(task);
	h->tid = gh_task_vtid(task);
	h->type = type;
	h->flags = 0;
	h->size = 0;
}

/* Send @size bytes of @buf; wake the helper only once enough data is waiting. Returns 0, or
 * nonzero when the record was lost (and counted as such). */
static __always_inline long gh_emit(void *buf, __u64 size, __u32 type)
{
	__u64 flags = BPF_RB_NO_WAKEUP;
	long err;

	if (size > GH_SCRATCH_SIZE)
		size = GH_SCRATCH_SIZE;
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + size >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	err = bpf_ringbuf_output(&events, buf, size, flags);
	if (err)
		gh_count_lost(type);
	return err;
}

/* An event like @key was already sent: count this one under its rid and return true. Else try
 * to claim a rid for the event about to be sent (0 when the table is full or another thread of
 * the process claimed it first: that event is then sent without one, counted by itself). When
 * the event that claimed a rid is lost, its repeats are still counted under it: the controller,
 * which never saw that rid, counts them as lost too. */
static __always_inline bool gh_repeated(struct gh_repeat_key *key, __u64 *rid)
{
	struct gh_repeat *r = bpf_map_lookup_elem(&repeats, key);
	struct gh_repeat fresh = {};

	*rid = 0;
	if (r) {
		__sync_fetch_and_add(&r->n, 1);
		return true;
	}
	fresh.id = __sync_fetch_and_add(&last_rid, 1) + 1;
	if (!bpf_map_update_elem(&repeats, key, &fresh, BPF_NOEXIST))
		*rid = fresh.id;
	return false;
}

extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym;

/* The struct file behind @fd in @task's table, or NULL. @task is the current task as a trusted
 * BTF pointer (bpf_get_current_task_btf): direct (CO-RE relocated) loads, and one probe read
 * for the fd table slot, which the verifier cannot index. */
static __always_inline struct file *gh_fd_file(struct task_struct *task, __u64 fd)
{
	struct fdtable *fdt = task->files->fdt;
	struct file *file = NULL;

	if (fd >= fdt->max_fds)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fdt->fd[fd]);
	return file;
}

/* Start a repeat key: the process (@task as in gh_fd_file) and what kind of event. */
static __always_inline void gh_repeat_key_init(struct gh_repeat_key *key, struct task_struct *task, __u32 kind)
{
	key->start = task->group_leader->start_time;
	key->tgid = task->tgid;
	key->kind = kind;
}

#endif /* GLASSHOUSE_TASK_BPF_H */
