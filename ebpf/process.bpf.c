// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Process lifecycle of the followed tree: fork adds a child, exec reports the new image, the
 * exit of a process's last thread reports its status and stops following it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define GH_DEFINE_MAPS
#include "exec.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct gh_tracked *pt, ct = {};
	struct gh_fork_event *e;
	struct gh_scratch *s;
	__u32 len;

	if (BPF_CORE_READ(child, pid) != ctgid)
		return 0; /* a thread: it belongs to its process */
	pt = bpf_map_lookup_elem(&tracked, &ptgid);
	if (!pt)
		return 0;
	ct.start = BPF_CORE_READ(child, start_time);
	ct.vpid = gh_task_vtgid(child);
	ct.flags = pt->flags & GH_T_PRIVILEGED;
	if (bpf_map_update_elem(&tracked, &ctgid, &ct, BPF_ANY)) {
		gh_count_lost(GH_EV_FORK);
		return 0;
	}
	gh_follow_sync(ctgid, ct.flags);
	s = gh_scratch_get();
	if (!s)
		return 0;
	e = (void *)s->buf;
	gh_header(&e->h, child, GH_EV_FORK);
	e->h.tid = e->h.pid;
	e->pstart = gh_task_start(parent);
	e->ppid = gh_task_vtgid(parent);
	e->uid = BPF_CORE_READ(child, real_cred, uid.val);
	e->__pad0 = 0;
	len = gh_walk_cwd(sizeof(*e), child, &e->h.flags);
	e->cwd_len = len;
	len = (sizeof(*e) + len) & (GH_SCRATCH_HEAD - 1);
	e->h.size = len;
	gh_emit(e, len, GH_EV_FORK);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 old_tid = old_pid;
	__u32 *staged;
	struct gh_tracked *t;
	__u32 call = GH_CALL_EXECVE;

	t = bpf_map_lookup_elem(&tracked, &tgid);
	if (!t)
		return 0;
	t->flags &= ~GH_T_GATE;
	/* Privilege gained through exec (setuid/setgid, file caps: AT_SECURE): from here on this
	 * process's files, network and syscalls are withheld, as ptrace would withhold them. */
	if (BPF_CORE_READ_BITFIELD_PROBED(bprm, secureexec))
		t->flags |= GH_T_PRIVILEGED;
	gh_follow_sync(tgid, t->flags);
	staged = bpf_map_lookup_elem(&exec_call, &old_tid);
	if (staged) {
		call = *staged;
		bpf_map_delete_elem(&exec_call, &old_tid);
	}
	gh_exec_emit_success(task, bprm, call);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct signal_struct *sig;
	struct gh_exit_event e = {};

	if (!bpf_map_lookup_elem(&tracked, &tgid))
		return 0;
	sig = BPF_CORE_READ(task, signal);
	if (BPF_CORE_READ(sig, live.counter) != 0)
		return 0; /* other threads of the process still run */
	gh_header(&e.h, task, GH_EV_EXIT);
	e.h.size = sizeof(e);
	if (BPF_CORE_READ(sig, flags) & GH_SIGNAL_GROUP_EXIT)
		e.status = BPF_CORE_READ(sig, group_exit_code);
	else
		e.status = BPF_CORE_READ(task, group_leader, exit_code);
	gh_emit(&e, sizeof(e), GH_EV_EXIT);
	bpf_map_delete_elem(&tracked, &tgid);
	gh_follow_set(tgid, 0, GH_BIT_FOLLOWED | GH_BIT_QUIET);
	return 0;
}
