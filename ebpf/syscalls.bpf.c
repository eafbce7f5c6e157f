// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The two hot programs. For every syscall on the machine they do one map lookup and return at
 * once unless the task belongs to the followed tree. For followed tasks they count the syscall
 * in a per-CPU array (read by the helper at the end, never streamed), stage the arguments of
 * the few syscalls we report, and report them at exit with the result.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "exec.bpf.h"
#include "file.bpf.h"
#include "net.bpf.h"

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
#define GH_ARG(regs, i) ((i) == 0 ? BPF_CORE_READ(regs, di) : (i) == 1 ? BPF_CORE_READ(regs, si) : \
			 (i) == 2 ? BPF_CORE_READ(regs, dx) : (i) == 3 ? BPF_CORE_READ(regs, r10) : \
			 (i) == 4 ? BPF_CORE_READ(regs, r8) : BPF_CORE_READ(regs, r9))
#define GH_NR(regs) BPF_CORE_READ(regs, orig_ax)
#else
#error "glasshouse: syscall numbers are only defined for x86_64 so far"
#endif

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

/* The root of the tree is named by the helper as a pid of its own namespace; the first time
 * that process enters or leaves a syscall, follow it under its global tgid. */
static __noinline struct gh_tracked *gh_adopt(__u32 tgid)
{
	struct bpf_pidns_info ns = {};
	struct task_struct *task;
	struct gh_tracked t = {};
	__u32 want = pending_vpid;

	if (!want || bpf_get_ns_current_pid_tgid(ns_dev, ns_ino, &ns, sizeof(ns)))
		return NULL;
	if (ns.tgid != want)
		return NULL;
	task = bpf_get_current_task_btf();
	t.start = gh_task_start(task);
	t.vpid = want;
	t.flags = GH_T_GATE;
	if (bpf_map_update_elem(&tracked, &tgid, &t, BPF_NOEXIST) == 0)
		pending_vpid = 0;
	return bpf_map_lookup_elem(&tracked, &tgid);
}

static __always_inline struct gh_tracked *gh_followed(__u32 tgid)
{
	struct gh_tracked *t = bpf_map_lookup_elem(&tracked, &tgid);

	if (!t && pending_vpid)
		t = gh_adopt(tgid);
	return t;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(handle_sys_enter, struct pt_regs *regs, long id)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct gh_tracked *t = gh_followed(pid_tgid >> 32);
	struct gh_inflight in = {};
	__u32 tid = pid_tgid, nr = id;
	__u64 *count;

	if (!t)
		return 0;
	in.call = gh_call_of(id);
	if ((t->flags & GH_T_GATE) && in.call != GH_CALL_EXECVE && in.call != GH_CALL_EXECVEAT)
		return 0; /* the gate's own work before the command's exec */
	if (t->flags & GH_T_PRIVILEGED)
		return 0; /* withheld: the caller could not observe it either */
	if (nr < GH_MAX_SYSCALLS) {
		count = bpf_map_lookup_elem(&counts, &nr);
		if (count)
			*count += 1;
	}
	if (!in.call)
		return 0;
	in.args[0] = GH_ARG(regs, 0);
	in.args[1] = GH_ARG(regs, 1);
	in.args[2] = GH_ARG(regs, 2);
	in.args[3] = GH_ARG(regs, 3);
	in.args[4] = GH_ARG(regs, 4);
	in.args[5] = GH_ARG(regs, 5);
	bpf_map_update_elem(&inflight, &tid, &in, BPF_ANY);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(handle_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct gh_tracked *t = gh_followed(pid_tgid >> 32);
	struct gh_inflight *in;
	struct task_struct *task;
	__u32 tid = pid_tgid;

	if (!t || !gh_call_of(GH_NR(regs)))
		return 0;
	in = bpf_map_lookup_elem(&inflight, &tid);
	if (!in)
		return 0;
	task = bpf_get_current_task_btf();
	switch (in->call) {
	case GH_CALL_EXECVE:
	case GH_CALL_EXECVEAT:
		if (ret < 0)
			gh_exec_emit_failure(task, in, ret);
		break;
	case GH_CALL_CONNECT:
	case GH_CALL_SENDTO:
	case GH_CALL_SENDMSG:
		gh_net_emit(task, in, ret);
		break;
	default:
		gh_open_emit(task, in, ret);
		break;
	}
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}
