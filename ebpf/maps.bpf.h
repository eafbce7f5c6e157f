/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Maps and load-time settings shared by every program file. Exactly one file (process.bpf.c)
 * defines them (GH_DEFINE_MAPS); the others see extern declarations that the BPF linker
 * (bpftool gen object) resolves into one set of maps.
 */
#ifndef GLASSHOUSE_MAPS_BPF_H
#define GLASSHOUSE_MAPS_BPF_H

#include "events.h"

#ifdef GH_DEFINE_MAPS
#define GH_SHARED
#define GH_INIT(v) = v
#else
#define GH_SHARED extern
#define GH_INIT(v)
#endif

/* Scratch space for building one variable-length record: fixed part + pieces, argv last.
 * Pieces before argv stay below GH_SCRATCH_HEAD; argv reads may span 2 * GH_ARGV_MAX because
 * the verifier does not relate a read's offset to its size. */
#define GH_SCRATCH_HEAD  32768
#define GH_SCRATCH_SIZE  (GH_SCRATCH_HEAD + 2 * GH_ARGV_MAX)

struct gh_scratch {
	__u8 buf[GH_SCRATCH_SIZE];
};

/* A syscall of interest at sys_exit: which one, and its arguments. */
struct gh_inflight {
	__u64 args[6];
	__u32 call;      /* enum gh_call */
	__u32 __pad0;
};

/* Settings fixed before load by the helper. */
GH_SHARED const volatile __u64 ns_dev GH_INIT(0);        /* dev/ino of the helper's pid namespace */
GH_SHARED const volatile __u64 ns_ino GH_INIT(0);
GH_SHARED const volatile __u32 capture_argv GH_INIT(1);
GH_SHARED const volatile __u64 wakeup_bytes GH_INIT(262144); /* wake the helper past this much data */

/* Who the caller is (the helper's real ids, and its parent's capabilities), for the ptrace rule
 * (task.bpf.h: gh_traceable). caller_sees_all: the caller holds CAP_SYS_PTRACE in the initial
 * user namespace, so ptrace would let it trace anything: nothing is withheld. */
GH_SHARED const volatile __u32 caller_uid GH_INIT(0);
GH_SHARED const volatile __u32 caller_gid GH_INIT(0);
GH_SHARED const volatile __u64 caller_cap_prm GH_INIT(0);
GH_SHARED const volatile __u64 caller_cap_eff GH_INIT(0);
GH_SHARED const volatile __u32 caller_sees_all GH_INIT(0);

/* The kernel's BTF ids of the types cast to with bpf_rdonly_cast(), set by the helper when it
 * relocates against a minimal BTF (helper/core_btf.c): CO-RE would give that BTF's own ids,
 * not the kernel's (and the verifier drops that branch). 0: CO-RE, against the kernel's own
 * BTF, gives them (GH_VMLINUX_ID). */
GH_SHARED const volatile __u32 vmlinux_id_task_struct GH_INIT(0);
GH_SHARED const volatile __u32 vmlinux_id_file GH_INIT(0);
#define GH_VMLINUX_ID(id, type) ((id) ? (id) : bpf_core_type_id_kernel(type))

/* The two processes the followed tree must leave alone (pids and process groups in the helper's
 * pid namespace), and the helper's own stdin/stdout/stderr pipes (device and inode numbers). */
GH_SHARED const volatile __u32 controller_vpid GH_INIT(0);
GH_SHARED const volatile __u32 controller_pgid GH_INIT(0);
GH_SHARED const volatile __u32 helper_vpid GH_INIT(0);
GH_SHARED const volatile __u32 helper_pgid GH_INIT(0);
GH_SHARED const volatile __u64 pipe_dev GH_INIT(0);
GH_SHARED const volatile __u64 pipe_ino0 GH_INIT(0);
GH_SHARED const volatile __u64 pipe_ino1 GH_INIT(0);
GH_SHARED const volatile __u64 pipe_ino2 GH_INIT(0);

/* The follow request, written by the helper after load (pending_vpid last: it arms the rest):
 * the pid (in the helper's namespace) to adopt as the tree's root, and what identifies the one
 * process the helper checked: its pidfs inode number (0 on kernels without pidfs), its start
 * time in clock ticks since boot as /proc/<pid>/stat gave it, and the helper's time-namespace
 * boot-time offset that /proc added. The first syscall made under that pid claims the request
 * (it is cleared at once): the process is adopted if it is that one, and refused otherwise. */
GH_SHARED volatile __u64 pending_vpid GH_INIT(0);
GH_SHARED volatile __u64 pending_ino GH_INIT(0);
GH_SHARED volatile __u64 pending_ticks GH_INIT(0);
GH_SHARED volatile __s64 pending_boot_off GH_INIT(0);
/* Level of the helper's pid namespace, found in the kernel when the root is adopted (/proc's
 * NSpid cannot tell it: it only lists levels from /proc's own namespace down). */
GH_SHARED volatile __u32 ns_level GH_INIT(0);
/* Taken from the root at adoption (it runs as gh-run left it): gh-run's root directory and
 * mount namespace, which paths are named against, and the caller's user namespace. */
GH_SHARED volatile __u64 root_dentry GH_INIT(0);
GH_SHARED volatile __u64 root_mnt GH_INIT(0);
GH_SHARED volatile __u64 root_mnt_ns GH_INIT(0);
GH_SHARED volatile __u64 caller_userns GH_INIT(0);

/* The hot-path filter: two bits per global tgid (GH_BIT_*), 32 tgids per word, covering
 * PID_MAX_LIMIT (4194304) in 1 MiB. An array lookup is inlined by the verifier, so a task
 * outside the tree costs one load and a bit test per syscall, not a hash lookup. */
#define GH_PID_LIMIT   4194304
#define GH_BIT_FOLLOWED 1ull  /* the process is in the tree */
#define GH_BIT_QUIET    2ull  /* count and stage nothing: the gate before its exec */

GH_SHARED struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, GH_PID_LIMIT / 32);
	__type(key, __u32);
	__type(value, __u64);
} follow_bits SEC(".maps");

/* Processes followed, by global tgid: identity and flags, for the (rare) lifecycle events.
 * Bounded: a tree larger than this loses forks (counted). */
GH_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct gh_tracked);
} tracked SEC(".maps");

/* execve/execveat in progress, by (global) thread id: which of the two (for sched_process_exec:
 * the registers it could be read from no longer say), and what the caller passed that the new
 * image may not show: how many arguments, and argv[0] (a #! script's is replaced by its
 * interpreter's). Only execs are staged: every other call is read at sys_exit from the
 * registers saved at entry. */
struct gh_exec_stage {
	__u32 call;       /* enum gh_call */
	__u32 argc;       /* GH_ARGC_UNKNOWN when the pointers could not be read */
	__u32 argv0_len;  /* incl. NUL; 0 for none */
	__u32 flags;      /* GH_F_ARGV_TRUNC when argv[0] was longer than GH_ARGV0_MAX */
	char argv0[GH_ARGV0_MAX];
};

GH_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct gh_exec_stage);
} exec_call SEC(".maps");

/* Events already sent once, by what makes them the same in the receipt (struct gh_repeat_key
 * in events.h): repeats are counted here, not sent. A plain hash, never LRU: an entry is never
 * evicted, so no count is ever dropped; when it is full, events are simply sent each time. */
#define GH_REPEATS_MAX 65536
GH_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GH_REPEATS_MAX);
	__type(key, struct gh_repeat_key);
	__type(value, struct gh_repeat);
} repeats SEC(".maps");

/* Last repeat id handed out. */
GH_SHARED volatile __u64 last_rid GH_INIT(0);

/* A path walk in progress (path.bpf.h). Its state lives in a per-CPU map, not on the stack:
 * the verifier then knows nothing of its values and checks a step once, not once per
 * combination of known values. */
#define GH_REMAP_CANDS  4   /* mounts of gh-run's namespace kept per file system */
struct gh_walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *root_dentry;  /* stop here: gh-run's root */
	struct vfsmount *root_mnt;
	struct mnt_namespace *ns;    /* gh-run's mount namespace (NULL: treat every mount as ours) */
	struct dentry *save_dentry;  /* where a remap began, to go back to when it fails */
	struct mount *cursor;        /* COLLECT: the next mount of the file system */
	struct dentry *cand_root[GH_REMAP_CANDS];
	struct mount *cand_mnt[GH_REMAP_CANDS];
	__u32 base;   /* where in scratch the blob starts */
	__u32 off;    /* bytes written */
	__u32 save_off;
	__u32 scan;   /* COLLECT: mounts looked at */
	__u16 mode;   /* enum gh_walk_mode */
	__u16 ncand;
	__u16 flags;  /* GH_F_PATH_* found on the way */
	__u16 done;   /* reached the root (or the end of a file with no path) */
	__u16 no_remap;    /* this mount: no counterpart found */
	__u16 never_remap; /* the path as the task's own mount namespace sees it */
	__u16 __pad0[2];
};

GH_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gh_walk);
} walks SEC(".maps");

/* Indexed by CPU id; max_entries set to the number of possible CPUs before load. */
GH_SHARED struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gh_scratch);
} scratch SEC(".maps");

/* Syscall counts of followed processes, by syscall number. */
GH_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GH_MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

/* Records that could not be delivered, by enum gh_event_type. */
GH_SHARED struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GH_EV_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Size set by the helper before load (bounded there). */
GH_SHARED struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024);
} events SEC(".maps");

#endif /* GLASSHOUSE_MAPS_BPF_H */
