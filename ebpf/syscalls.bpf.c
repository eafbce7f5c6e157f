// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The two hot programs. For every syscall on the machine they do one map lookup and return at
 * once unless the task belongs to the followed tree. For followed tasks, sys_enter counts the
 * syscall in a per-CPU array (read by the helper at the end, never streamed) and sys_exit
 * reports the few syscalls we report, with their result.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "exec.bpf.h"
#include "file.bpf.h"
#include "net.bpf.h"

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
	default:             return 0;
	}
}

/* The level at which @task's pid lives in the namespace (ns_dev, ns_ino); -1 when it has none. */
static __always_inline int gh_find_ns_level(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int top = BPF_CORE_READ(pid, level);

	for (int l = 0; l <= 32; l++) { /* MAX_PID_NS_LEVEL */
		struct upid up = {};

		if (l > top)
			break;
		bpf_core_read(&up, sizeof(up), &pid->numbers[l]);
		if (BPF_CORE_READ(up.ns, ns.inum) == ns_ino)
			return l;
	}
	return -1;
}

/* The root of the tree is named by the helper as a pid of its own namespace; the first time
 * that process enters or leaves a syscall, follow it under its global tgid. Returns its bits. */
static __noinline __u64 gh_adopt(__u32 tgid)
{
	struct bpf_pidns_info ns = {};
	struct task_struct *task;
	struct gh_tracked t = {};
	__u32 want = pending_vpid;
	int level;

	if (!want || bpf_get_ns_current_pid_tgid(ns_dev, ns_ino, &ns, sizeof(ns)))
		return 0;
	if (ns.tgid != want)
		return 0;
	task = bpf_get_current_task_btf();
	level = gh_find_ns_level(task);
	if (level < 0)
		return 0;
	ns_level = level;
	t.start = gh_task_start(task);
	t.vpid = want;
	t.flags = GH_T_GATE;
	if (bpf_map_update_elem(&tracked, &tgid, &t, BPF_NOEXIST))
		return 0;
	pending_vpid = 0;
	gh_follow_sync(tgid, t.flags);
	return GH_BIT_FOLLOWED | GH_BIT_QUIET;
}

/* Whether syscall @nr of a GH_BIT_QUIET process is looked at: only the gate's exec. The gate's
 * own work before it is not the command's, and a privileged process is withheld entirely. */
static __always_inline bool gh_quiet_passes(__u32 tgid, long nr)
{
	struct gh_tracked *t = bpf_map_lookup_elem(&tracked, &tgid);

	return t && !(t->flags & GH_T_PRIVILEGED) && (nr == GH_NR_EXECVE || nr == GH_NR_EXECVEAT);
}

/* The GH_BIT_* bits of the current process: the one check every syscall on the machine pays. */
static __always_inline __u64 gh_current_bits(__u32 tgid)
{
	__u64 bits = gh_follow_bits(tgid);

	if (!bits && pending_vpid)
		bits = gh_adopt(tgid);
	return bits;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = pid_tgid, nr = id, call;
	__u64 bits = gh_current_bits(tgid);
	__u64 *count;

	if (!bits)
		return 0;
	if ((bits & GH_BIT_QUIET) && !gh_quiet_passes(tgid, nr))
		return 0;
	if (nr < GH_MAX_SYSCALLS) {
		count = bpf_map_lookup_elem(&counts, &nr);
		if (count)
			*count += 1;
	}
	if (nr == GH_NR_EXECVE || nr == GH_NR_EXECVEAT) {
		call = gh_call_of(nr);
		bpf_map_update_elem(&exec_call, &tid, &call, BPF_ANY);
	}
	return 0;
}

/* The arguments are read at exit from the registers saved at entry, which these syscalls leave
 * as they were (a successful exec replaces them, and is reported by sched_process_exec). */
SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32, tid = pid_tgid;
	struct gh_inflight in = {};
	struct task_struct *task;
	__u64 bits = gh_current_bits(tgid);

	if (!bits)
		return 0;
	in.call = gh_call_of(GH_NR(regs));
	if (!in.call)
		return 0;
	if ((bits & GH_BIT_QUIET) && !gh_quiet_passes(tgid, GH_NR(regs)))
		return 0;
	GH_ARGS(regs, in.args);
	task = bpf_get_current_task_btf();
	switch (in.call) {
	case GH_CALL_EXECVE:
	case GH_CALL_EXECVEAT:
		bpf_map_delete_elem(&exec_call, &tid);
		if (ret < 0)
			gh_exec_emit_failure(task, &in, ret);
		break;
	case GH_CALL_CONNECT:
	case GH_CALL_SENDTO:
	case GH_CALL_SENDMSG:
		gh_net_emit(task, &in, ret);
		break;
	default:
		gh_open_emit(task, &in, ret);
		break;
	}
	return 0;
}
