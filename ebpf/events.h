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
#define GH_PATH_MAX      4096    /* bytes of one path blob: a longer path is cut (its tail kept) */
#define GH_NAME_MAX      256     /* bytes of one path component incl. NUL */
#define GH_PATH_DEPTH    (GH_PATH_MAX / 2) /* components: as many as GH_PATH_MAX bytes can hold */
#define GH_MOUNTS_DEPTH  64      /* mount crossings walked per path */
#define GH_ARGV_MAX      65536   /* bytes of argv strings per exec; more is cut */
#define GH_ARGC_MAX      16384   /* argv pointers read per failed exec */
#define GH_SOCKADDR_MAX  128     /* bytes of sockaddr copied (sockaddr_un is 110) */
#define GH_MAX_SYSCALLS  1024    /* syscall numbers counted (x86_64 tops out under 512) */

enum gh_event_type {
	GH_EV_EXEC     = 1,
	GH_EV_FORK     = 2,
	GH_EV_EXIT     = 3,
	GH_EV_OPEN     = 4,
	GH_EV_NET      = 5,
	GH_EV_ADOPT    = 6, /* the follow request was decided: adopted, or refused */
	GH_EV_TAMPER   = 7, /* a followed task went for the controller or the helper */
	GH_EV_WITHHELD = 8, /* a followed process's activity is withheld from here on */
	GH_EV_MOUNT    = 9, /* a followed task changed or entered a mount namespace */
	GH_EV_CHANGE   = 10, /* a change to names or metadata on disk (unlink, rename, chmod, ...) */
	GH_EV_SOCKET   = 11, /* what moved over one socket (sent when it is flushed) */
	GH_EV_DNS      = 12, /* the first bytes of a DNS message sent or received */
	GH_EV_MAX      = 13, /* number of slots in the lost[] counters */
};

/* header flags */
#define GH_F_PATH_TRUNC   (1u << 0) /* the path (open) or exe (exec) was cut short (over
				     * GH_PATH_MAX bytes): the blob is its tail; _CWD, _BASE below */
#define GH_F_ARGV_TRUNC   (1u << 1) /* argv cut at GH_ARGV_MAX / GH_ARGC_MAX */
#define GH_F_ARGV_MISSING (1u << 2) /* argv not captured (off, or unreadable) */
#define GH_F_PRIVILEGED   (1u << 3) /* the exec gained privilege (the kernel's AT_SECURE) */
#define GH_F_FOREIGN_PATH (1u << 4) /* the path (open) or exe (exec) crossed a mount of another
				     * mount namespace with no counterpart in gh-run's: it is as
				     * seen in h.mnt_ns; _CWD and _BASE say the same of those */
#define GH_F_PATH_ANON    (1u << 5) /* the file has no path (memfd, pipe, socket): the blob is one
				     * component, its name as /proc/<pid>/fd gives it */
#define GH_F_BASE_ROOT    (1u << 6) /* base is the task's root (chroot), for an absolute path */
#define GH_F_WITHHELD     (1u << 7) /* the task is not the caller's to trace: cwd withheld */
#define GH_F_FOREIGN_CWD  (1u << 8)
#define GH_F_FOREIGN_BASE (1u << 9)
#define GH_F_TRUNC_CWD    (1u << 10) /* GH_F_PATH_TRUNC of the cwd */
#define GH_F_TRUNC_BASE   (1u << 11) /* GH_F_PATH_TRUNC of the base */
#define GH_F_EMPTY_PATH   (1u << 12) /* execveat(fd, "", AT_EMPTY_PATH): the base is the file run */
#define GH_F_SCRIPT       (1u << 13) /* the image is an interpreter a #! (or binfmt_misc) named */
#define GH_F_BASE         (1u << 14) /* a base was walked for a relative path (cwd or dirfd): an
				     * empty base blob is "/", not "no base" */

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
	GH_CALL_LISTEN   = 10,
	GH_CALL_ACCEPT   = 11,
	GH_CALL_ACCEPT4  = 12,
	GH_CALL_SENDMMSG = 13, /* one event per message that names a destination */
};

/* Why a follow request was refused at adoption (struct gh_adopt_event.result bits). */
#define GH_ADOPT_NS       (1u << 0) /* not in the helper's pid namespace */
#define GH_ADOPT_IDENTITY (1u << 1) /* another process than the one checked (pidfs inode) */
#define GH_ADOPT_START    (1u << 2) /* another start time than the one checked */
#define GH_ADOPT_PARENT   (1u << 3) /* not a child of the helper's parent */
#define GH_ADOPT_CREDS    (1u << 4) /* not running with exactly the caller's uids and gids */
#define GH_ADOPT_FULL     (1u << 5) /* the table of followed processes is full */

/* What a tamper event says was attempted on the controller or the helper. */
enum gh_tamper_kind {
	GH_TAMPER_SIGNAL = 1, /* kill, tkill, tgkill, rt_(tg)sigqueueinfo, pidfd_send_signal: arg = signal */
	GH_TAMPER_PTRACE = 2, /* ptrace: arg = request */
	GH_TAMPER_VM     = 3, /* process_vm_readv / process_vm_writev */
	GH_TAMPER_GETFD  = 4, /* pidfd_getfd: arg = the target's fd */
	GH_TAMPER_PROC   = 5, /* open of /proc/<pid>/mem or /proc/<pid>/fd/...: data = path as requested */
	GH_TAMPER_PIPE   = 6, /* an open that reached one of the helper's own pipes */
};
#define GH_WHO_CONTROLLER (1u << 0)
#define GH_WHO_HELPER     (1u << 1)

struct gh_event_header {
	__u64 ts;     /* bpf_ktime_get_ns() */
	__u64 start;  /* start time of the thread-group leader: (pid, start) names a process */
	__u32 pid;    /* tgid in the helper's pid namespace */
	__u32 tid;    /* thread id in the helper's pid namespace */
	__u32 size;   /* bytes of the whole record */
	__u32 mnt_ns; /* inode of the task's mount namespace when it is not gh-run's; else 0 */
	__u16 type;   /* enum gh_event_type */
	__u16 flags;  /* GH_F_* */
	__u32 __pad0;
};
_Static_assert(sizeof(struct gh_event_header) == 40, "gh_event_header layout");

/* GH_EV_EXEC: data = path | exe | cwd | base | argv0 | argv (NUL-separated strings).
 * A successful exec's argv is read from the new image, where binfmt_script (and binfmt_misc)
 * have put the interpreter in place of argv[0]: argv0 (staged at sys_enter, as the caller
 * passed it) and argc (how many it passed) let the helper tell the two apart (GH_F_SCRIPT). */
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
	__u32 argc;       /* success: the argc the caller passed (staged); GH_ARGC_UNKNOWN if not */
	__u32 argv0_len;  /* success: argv[0] as passed, incl. NUL; 0 when not staged */
	__u16 call;       /* GH_CALL_EXECVE / GH_CALL_EXECVEAT */
	__u16 __pad0;
	__u32 __pad1;
	__u8  data[];
};
_Static_assert(sizeof(struct gh_exec_event) == 40 + 56, "gh_exec_event layout");
#define GH_ARGC_UNKNOWN 0xffffffffu
#define GH_ARGV0_MAX    512   /* bytes of argv[0] staged per exec */

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
_Static_assert(sizeof(struct gh_fork_event) == 40 + 24, "gh_fork_event layout");

/* GH_EV_EXIT */
struct gh_exit_event {
	struct gh_event_header h;
	__u64 withheld;   /* syscalls of the process withheld (not the caller's to trace) */
	__u32 status;     /* wait(2) status: code << 8 | signal | 0x80 for a core dump */
	__u32 __pad0;
};
_Static_assert(sizeof(struct gh_exit_event) == 40 + 16, "gh_exit_event layout");

/* GH_EV_ADOPT: h.pid is the pid asked for, h.start the start time of the process that made the
 * first syscall under it */
struct gh_adopt_event {
	struct gh_event_header h;
	__u32 result;     /* 0: adopted; else GH_ADOPT_* bits */
	__u32 __pad0;
};
_Static_assert(sizeof(struct gh_adopt_event) == 40 + 8, "gh_adopt_event layout");

/* GH_EV_TAMPER: data = the path as requested (GH_TAMPER_PROC) */
struct gh_tamper_event {
	struct gh_event_header h;
	__s64 ret;        /* the call's result: 0 (or a fd) or -errno */
	__s64 arg;        /* signal, ptrace request or fd, by kind */
	__u32 target;     /* the pid (or -pgid, or -1) named, as the caller named it */
	__u32 nr;         /* syscall number */
	__u32 path_len;
	__u16 kind;       /* enum gh_tamper_kind */
	__u16 who;        /* GH_WHO_* hit */
	__u8  data[];
};
_Static_assert(sizeof(struct gh_tamper_event) == 40 + 32, "gh_tamper_event layout");

/* GH_EV_WITHHELD: the credentials the task had when its activity stopped being reported */
struct gh_withheld_event {
	struct gh_event_header h;
	__u32 uid;
	__u32 euid;
	__u32 gid;
	__u32 egid;
};
_Static_assert(sizeof(struct gh_withheld_event) == 40 + 16, "gh_withheld_event layout");

/* GH_EV_MOUNT: h.mnt_ns is the namespace whose mounts changed (or that the task entered) */
struct gh_mount_event {
	struct gh_event_header h;
	__u32 nr;         /* the syscall that did it */
	__u32 __pad0;
};
_Static_assert(sizeof(struct gh_mount_event) == 40 + 8, "gh_mount_event layout");

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
	__u16 made;       /* GH_OPEN_* of a successful open */
	__u8  data[];
};
_Static_assert(sizeof(struct gh_open_event) == 40 + 32, "gh_open_event layout");

/* GH_EV_OPEN's `made` bits: what a successful open did to the file */
#define GH_OPEN_CREATED   (1u << 0) /* the open created it (FMODE_CREATED) */
#define GH_OPEN_TRUNCATED (1u << 1) /* O_TRUNC on an existing regular file */

/* GH_EV_CHANGE: what was changed */
enum gh_change_op {
	GH_CH_DELETE   = 1, /* unlink, unlinkat */
	GH_CH_RMDIR    = 2, /* rmdir, unlinkat(AT_REMOVEDIR) */
	GH_CH_MKDIR    = 3, /* mkdir, mkdirat: arg = mode */
	GH_CH_MKNOD    = 4, /* mknod, mknodat: arg = mode, arg2 = dev */
	GH_CH_RENAME   = 5, /* rename, renameat, renameat2: path -> path2; at_flags = RENAME_* */
	GH_CH_LINK     = 6, /* link, linkat: path (new) -> path2 (the existing file) */
	GH_CH_SYMLINK  = 7, /* symlink, symlinkat: path (the link); path2 = target as written */
	GH_CH_CHMOD    = 8, /* chmod, fchmod, fchmodat, fchmodat2: arg = mode */
	GH_CH_CHOWN    = 9, /* chown, fchown, lchown, fchownat: arg = uid, arg2 = gid */
	GH_CH_TRUNCATE = 10, /* truncate, ftruncate: arg = length */
};

/* GH_EV_CHANGE `how` bits: what each path piece is */
#define GH_CH_PATH_FILE  (1u << 0) /* path is the path blob of a file (an fd: f* forms, AT_EMPTY_PATH) */
#define GH_CH_PATH2_FILE (1u << 1) /* path2 likewise (linkat with AT_EMPTY_PATH) */
#define GH_CH_PATH2_TEXT (1u << 2) /* path2 is text, not a path (a symlink's target as written) */
#define GH_CH_FD         (1u << 3) /* fd holds the fd of an f* form */

/* GH_EV_CHANGE: data = path | base | path2 | base2. A path piece is the string as requested
 * (relative ones against their base: the cwd or the dirfd, or the task's root for an absolute
 * one under another root, as for a failed open), or a path blob (GH_CH_PATH_FILE). h.flags are
 * the GH_F_* of path and base; flags2 those of path2 and base2. */
struct gh_change_event {
	struct gh_event_header h;
	__s64 ret;        /* 0 or -errno */
	__s64 arg;        /* mode, uid, or length, by op */
	__s64 arg2;       /* gid, or mknod's dev */
	__u32 nr;         /* syscall number */
	__u32 at_flags;   /* the call's flags argument, 0 when it has none */
	__s32 fd;         /* the fd of an f* form (GH_CH_FD) */
	__u32 path_len;
	__u32 base_len;
	__u32 path2_len;
	__u32 base2_len;
	__u16 op;         /* enum gh_change_op */
	__u16 flags2;     /* GH_F_* of path2 and base2 */
	__u16 how;        /* GH_CH_PATH_FILE ... */
	__u16 __pad0;
	__u32 __pad1;
	__u8  data[];
};
_Static_assert(sizeof(struct gh_change_event) == 40 + 64, "gh_change_event layout");

/* GH_EV_NET. addr: the sockaddr the call named (connect, sendto, sendmsg, a sendmmsg message),
 * or one built from the socket: listen, the address bound; accept, the peer. */
struct gh_net_event {
	struct gh_event_header h;
	__s64 ret;        /* 0 or -errno; sendto/sendmsg/sendmmsg: bytes sent or -errno */
	__u64 rid;        /* repeat id, 0 for none */
	__u64 ino;        /* inode number of the socket (accept: the new one); 0 when unknown */
	__u32 addr_len;   /* sockaddr bytes copied */
	__u32 more;       /* sendmmsg: messages sent past those looked at (on the last one) */
	__u16 call;       /* GH_CALL_CONNECT .. GH_CALL_SENDMMSG */
	__u16 sk_type;    /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 sk_protocol;/* IPPROTO_TCP, ... */
	__u16 __pad0;
	__u8  addr[GH_SOCKADDR_MAX];
};
_Static_assert(sizeof(struct gh_net_event) == 40 + 40 + GH_SOCKADDR_MAX, "gh_net_event layout");

/* What moved over one socket: the value of the sockets map (key: the struct sock's address),
 * and the body of GH_EV_SOCKET. Bytes are what the socket layer's sendmsg/recvmsg returned. */
#define GH_SK_CONNECTING 1 /* a non-blocking connect returned EINPROGRESS: outcome to come */
#define GH_SK_CONNECTED  2 /* ... and its outcome is known: `outcome` */
struct gh_sock {
	__u64 ino;        /* inode number of the socket */
	__u64 sent;
	__u64 received;   /* MSG_PEEK reads are not counted */
	__u64 sends;      /* calls that moved bytes */
	__u64 recvs;
	__u64 rid;        /* repeat id of the net event that named its peer (0: none, or see ino) */
	__u64 start;      /* the first followed process that used it: (pid, start) */
	__u64 connect;    /* GH_SK_* (64 bits: it is compared and swapped) */
	__u32 pid;
	__s32 outcome;    /* GH_SK_CONNECTED: 0 or -errno */
	__u16 family;
	__u16 type;
	__u16 protocol;
	__u16 dport;      /* the peer when first seen (network order), inet/inet6 */
	__u8  daddr[16];
};
_Static_assert(sizeof(struct gh_sock) == 96, "gh_sock layout");

/* GH_EV_SOCKET: h.pid/h.start are those of the socket's first user, not of the current task */
struct gh_socket_event {
	struct gh_event_header h;
	struct gh_sock s;
};
_Static_assert(sizeof(struct gh_socket_event) == 40 + 96, "gh_socket_event layout");

/* GH_EV_DNS: one message to or from port 53, its first GH_DNS_MAX bytes */
#define GH_DNS_MAX 512
struct gh_dns_event {
	struct gh_event_header h;
	__u64 ino;        /* the socket */
	__u32 size;       /* bytes the call (or the mmsg message) moved */
	__u32 data_len;   /* bytes copied into data */
	__u16 dir;        /* 0: sent, 1: received */
	__u16 family;     /* AF_INET / AF_INET6: of addr */
	__u16 port;       /* the server's port, host order */
	__u16 protocol;   /* IPPROTO_UDP / IPPROTO_TCP */
	__u8  addr[16];   /* the server */
	__u8  data[GH_DNS_MAX];
};
_Static_assert(sizeof(struct gh_dns_event) == 40 + 40 + GH_DNS_MAX, "gh_dns_event layout");

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
#define GH_T_WITHHELD   (1u << 1) /* a GH_EV_WITHHELD was sent for it */

struct gh_tracked {
	__u64 start;      /* leader start time when tracking began */
	__u64 withheld;   /* syscalls withheld: the process was not the caller's to trace */
	__u32 vpid;       /* tgid in the helper's pid namespace */
	__u32 flags;      /* GH_T_* */
};

#endif /* GLASSHOUSE_EVENTS_H */
