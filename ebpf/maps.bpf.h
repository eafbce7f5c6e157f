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

/* Written by the helper after load: the pid (in its namespace) to adopt as the tree's root. */
GH_SHARED volatile __u32 pending_vpid GH_INIT(0);
/* Level of the helper's pid namespace, found in the kernel when the root is adopted (/proc's
 * NSpid cannot tell it: it only lists levels from /proc's own namespace down). */
GH_SHARED volatile __u32 ns_level GH_INIT(0);

/* The hot-path filter: two bits per global tgid (GH_BIT_*), 32 tgids per word, covering
 * PID_MAX_LIMIT (4194304) in 1 MiB. An array lookup is inlined by the verifier, so a task
 * outside the tree costs one load and a bit test per syscall, not a hash lookup. */
#define GH_PID_LIMIT   4194304
#define GH_BIT_FOLLOWED 1ull  /* the process is in the tree */
#define GH_BIT_QUIET    2ull  /* count and stage nothing: the gate before its exec, or privileged */

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

/* execve/execveat in progress, by (global) thread id: which of the two, for sched_process_exec
 * (the registers it could be read from no longer say). Only execs are staged: every other call
 * is read at sys_exit from the registers saved at entry. */
GH_SHARED struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u32);
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
