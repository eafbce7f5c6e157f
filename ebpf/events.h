/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Event records shared by the BPF programs (ebpf/ *.bpf.c) and the helper (helper/).
 *
 * Rules: only __u8..__u64 and fixed arrays, largest fields first, explicit padding, sizes
 * asserted. Every record starts with struct gh_event_header. Type numbers are never reused.
 * Variable-length data (paths, argv) follows the fixed part; the *_len fields say how many
 * bytes each piece takes, in the order they are listed.
 *
 * Paths are sent as the in-kernel walk produces them: path components leaf first, each
 * NUL-terminated (an empty blob is "/"). The helper turns them into "/a/b/c".
 */
#ifndef GLASSHOUSE_EVENTS_H
#define GLASSHOUSE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Bounds. Changing them changes the size of the per-CPU scratch buffer. */
#define GH_PATH_MAX      4096    /* bytes of one path blob */
#define GH_NAME_MAX      256     /* bytes of one path component incl. NUL */
#define GH_PATH_DEPTH    64      /* components (and mount crossings) walked per path */
#define GH_ARGV_MAX      65536   /* bytes of argv strings per exec; more is cut */
#define GH_ARGC_MAX      16384   /* argv pointers read per failed exec */
#define GH_SOCKADDR_MAX  128     /* bytes of sockaddr copied (sockaddr_un is 110) */
#define GH_MAX_SYSCALLS  1024    /* syscall numbers counted (x86_64 tops out under 512) */

enum gh_event_type {
	GH_EV_EXEC = 1,
	GH_EV_FORK = 2,
	GH_EV_EXIT = 3,
	GH_EV_OPEN = 4,
	GH_EV_NET  = 5,
	GH_EV_MAX  = 6, /* number of slots in the lost[] counters */
};

/* header flags */
#define GH_F_PATH_TRUNC   (1u << 0) /* a path walk hit GH_PATH_DEPTH / GH_PATH_MAX */
#define GH_F_ARGV_TRUNC   (1u << 1) /* argv cut at GH_ARGV_MAX / GH_ARGC_MAX */
#define GH_F_ARGV_MISSING (1u << 2) /* argv not captured (off, or unreadable) */
#define GH_F_PRIVILEGED   (1u << 3) /* process gained privilege through exec */

/* syscall selector, stable numbers (not the arch's syscall numbers) */
enum gh_call {
	GH_CALL_EXECVE   = 1,
	GH_CALL_EXECVEAT = 2,
	GH_CALL_OPEN     = 3,
	GH_CALL_OPENAT   = 4,
	GH_CALL_OPENAT2  = 5,
	GH_CALL_CREAT    = 6,
	GH_CALL_CONNECT  = 7,
	GH_CALL_SENDTO   = 8,
	GH_CALL_SENDMSG  = 9,
};

struct gh_event_header {
	__u64 ts;     /* bpf_ktime_get_ns() */
	__u64 start;  /* start time of the thread-group leader: (pid, start) names a process */
	__u32 pid;    /* tgid in the helper's pid namespace */
	__u32 tid;    /* thread id in the helper's pid namespace */
	__u32 size;   /* bytes of the whole record */
	__u16 type;   /* enum gh_event_type */
	__u16 flags;  /* GH_F_* */
};
_Static_assert(sizeof(struct gh_event_header) == 32, "gh_event_header layout");

/* GH_EV_EXEC: data = path | exe | cwd | base | argv (NUL-separated strings) */
struct gh_exec_event {
	struct gh_event_header h;
	__s64 ret;        /* 0 or -errno */
	__u32 ppid;
	__u32 uid;
	__u32 euid;
	__u32 path_len;   /* filename string incl. NUL */
	__u32 exe_len;    /* path blob; 0 for a failed exec */
	__u32 cwd_len;    /* path blob */
	__u32 base_len;   /* path blob; 0 unless the failed path is relative */
	__u32 argv_len;   /* bytes of NUL-terminated argv strings */
	__u16 call;       /* GH_CALL_EXECVE / GH_CALL_EXECVEAT */
	__u16 __pad0;
	__u32 __pad1;
	__u8  data[];
};
_Static_assert(sizeof(struct gh_exec_event) == 32 + 48, "gh_exec_event layout");

/* GH_EV_FORK: data = cwd */
struct gh_fork_event {
	struct gh_event_header h;  /* pid/start: the child */
	__u64 pstart;     /* parent's start */
	__u32 ppid;       /* parent's tgid (ns) */
	__u32 uid;
	__u32 cwd_len;
	__u32 __pad0;
	__u8  data[];
};
_Static_assert(sizeof(struct gh_fork_event) == 32 + 24, "gh_fork_event layout");

/* GH_EV_EXIT */
struct gh_exit_event {
	struct gh_event_header h;
	__u32 status;     /* wait(2) status: code << 8 | signal | 0x80 for a core dump */
	__u32 __pad0;
};
_Static_assert(sizeof(struct gh_exit_event) == 32 + 8, "gh_exit_event layout");

/* Repeats: the first successful open of a file (or the first connect/send to a peer with one
 * result) by a process carries a repeat id (rid, never 0); later identical ones are only counted
 * in the kernel, under that id, and sent once at the end (the helper's `repeats` frames). An event
 * that could not be folded (a failed open, a unix peer, the table full, a race) has rid 0. */

/* GH_EV_OPEN: data = path | base */
struct gh_open_event {
	struct gh_event_header h;
	__s64 ret;        /* fd or -errno */
	__u64 rid;        /* repeat id, 0 for none */
	__u32 flags;      /* open flags as passed */
	__u32 path_len;   /* success: path blob of the opened file; failure: requested string incl. NUL */
	__u32 base_len;   /* failure with a relative path: path blob of cwd or dirfd; else 0 */
	__u16 call;       /* GH_CALL_OPEN .. GH_CALL_CREAT */
	__u16 __pad0;
	__u8  data[];
};
_Static_assert(sizeof(struct gh_open_event) == 32 + 32, "gh_open_event layout");

/* GH_EV_NET */
struct gh_net_event {
	struct gh_event_header h;
	__s64 ret;        /* 0 or -errno */
	__u64 rid;        /* repeat id, 0 for none */
	__u32 addr_len;   /* sockaddr bytes copied */
	__u16 call;       /* GH_CALL_CONNECT / SENDTO / SENDMSG */
	__u16 sk_type;    /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 sk_protocol;/* IPPROTO_TCP, ... */
	__u16 __pad0;
	__u32 __pad1;
	__u8  addr[GH_SOCKADDR_MAX];
};
_Static_assert(sizeof(struct gh_net_event) == 32 + 32 + GH_SOCKADDR_MAX, "gh_net_event layout");

/* What makes two events the same for the receipt (key of the repeats map). open: a, b, c, d =
 * dentry, vfsmount, inode number, inode generation of the file opened; net: a, b = address
 * bytes, c = port | family << 16 | socket type << 32 | protocol << 48, d = the result. kind =
 * event type | call-specific class << 8 (open: access mode and O_PATH; net: the call). */
struct gh_repeat_key {
	__u64 start;      /* process identity: (tgid, start) */
	__u64 a, b, c, d;
	__u32 tgid;       /* global tgid */
	__u32 kind;
};
_Static_assert(sizeof(struct gh_repeat_key) == 48, "gh_repeat_key layout");

struct gh_repeat {
	__u64 id;         /* the rid of the event that was sent */
	__u64 n;          /* identical events since, counted and not sent */
};

/* tracked process flags (value of the tracked map) */
#define GH_T_GATE       (1u << 0) /* the gate, before its exec: counts nothing but the exec */
#define GH_T_PRIVILEGED (1u << 1) /* gained privilege through exec: details withheld */

struct gh_tracked {
	__u64 start;      /* leader start time when tracking began */
	__u32 vpid;       /* tgid in the helper's pid namespace */
	__u32 flags;      /* GH_T_* */
};

#endif /* GLASSHOUSE_EVENTS_H */
