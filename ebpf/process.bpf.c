// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Process lifecycle of the followed tree: fork adds a child, exec reports the new image, the
 * exit of a process's last thread reports its status and stops following it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define GH_DEFINE_MAPS
#include "exec.bpf.h"
#include "sock.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sched_process_fork")
int BPF_PROG(handle_sched_process_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct gh_tracked ct = {};
	struct gh_fork_event *e;
	struct gh_scratch *s;
	__u32 len;

	if (BPF_CORE_READ(child, pid) != ctgid)
		return 0; /* a thread: it belongs to its process */
	if (!bpf_map_lookup_elem(&tracked, &ptgid))
		return 0;
	ct.start = BPF_CORE_READ(child, start_time);
	ct.vpid = gh_task_vtgid(child);
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
	len = 0;
	if (gh_traceable_process(child))
		len = gh_walk_cwd(sizeof(*e), child, &e->h.flags);
	else
		e->h.flags |= GH_F_WITHHELD;
	e->cwd_len = len;
	len = (sizeof(*e) + len) & (GH_SCRATCH_HEAD - 1);
	e->h.size = len;
	gh_emit(e, len, GH_EV_FORK);
	/* born into a mount namespace of its own (clone with CLONE_NEWNS): describe it */
	if (e->h.mnt_ns && BPF_CORE_READ(child, nsproxy, mnt_ns) != BPF_CORE_READ(parent, nsproxy, mnt_ns) &&
	    gh_traceable_process(child)) {
		struct gh_mount_event m = {};

		gh_header(&m.h, child, GH_EV_MOUNT);
		m.h.tid = m.h.pid;
		m.h.size = sizeof(m);
		m.nr = 56; /* clone */
		gh_emit_wake(&m, sizeof(m), GH_EV_MOUNT, true);
	}
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(handle_sched_process_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u32 old_tid = old_pid;
	struct gh_exec_stage *staged;
	struct gh_tracked *t;

	t = bpf_map_lookup_elem(&tracked, &tgid);
	if (!t)
		return 0;
	/* the gate becomes the command; what a process the caller may not trace does (a setuid
	 * exec, say) is withheld per syscall, from its credentials then (gh_traceable) */
	t->flags &= ~GH_T_GATE;
	gh_follow_sync(tgid, t->flags);
	staged = bpf_map_lookup_elem(&exec_call, &old_tid);
	gh_exec_emit_success(task, bprm, staged);
	if (staged)
		bpf_map_delete_elem(&exec_call, &old_tid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(handle_sched_process_exit, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct signal_struct *sig;
	struct gh_exit_event e = {};
	struct gh_tracked *t = bpf_map_lookup_elem(&tracked, &tgid);

	if (!t)
		return 0;
	sig = BPF_CORE_READ(task, signal);
	if (BPF_CORE_READ(sig, live.counter) != 0)
		return 0; /* other threads of the process still run */
	gh_header(&e.h, task, GH_EV_EXIT);
	e.h.size = sizeof(e);
	e.withheld = t->withheld;
	if (BPF_CORE_READ(sig, flags) & GH_SIGNAL_GROUP_EXIT)
		e.status = BPF_CORE_READ(sig, group_exit_code);
	else
		e.status = BPF_CORE_READ(task, group_leader, exit_code);
	gh_emit(&e, sizeof(e), GH_EV_EXIT);
	bpf_map_delete_elem(&tracked, &tgid);
	gh_follow_set(tgid, 0, GH_BIT_FOLLOWED | GH_BIT_QUIET);
	return 0;
}
