/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Sockets: what moved over each one (the sockets map, filled by the socket layer's
 * sock_send_length / sock_recv_length tracepoints in sockets.bpf.c), the outcome of a
 * non-blocking connect, and which calls moved a DNS message (dns_mark). The global functions
 * are defined in sockets.bpf.c; syscalls.bpf.c links to them.
 */
#ifndef GLASSHOUSE_SOCK_BPF_H
#define GLASSHOUSE_SOCK_BPF_H

#include "task.bpf.h"

#define GH_AF_UNIX        1
#define GH_AF_INET        2
#define GH_AF_INET6       10
#define GH_SOCK_STREAM    1
#define GH_SOCK_DGRAM     2
#define GH_IPPROTO_TCP    6
#define GH_IPPROTO_UDP    17
#define GH_MSG_PEEK       2
#define GH_EINPROGRESS    115
#define GH_TCP_ESTABLISHED 1
#define GH_TCP_SYN_SENT    2
#define GH_TCP_CLOSE       7
#define GH_DNS_PORT_BE    0x3500 /* htons(53) */

/* The socket calls besides connect, sendto and sendmsg (task.bpf.h) */
#if defined(__TARGET_ARCH_x86)
#define GH_NR_READ        0
#define GH_NR_WRITE       1
#define GH_NR_READV       19
#define GH_NR_WRITEV      20
#define GH_NR_SENDFILE    40
#define GH_NR_ACCEPT      43
#define GH_NR_RECVFROM    45
#define GH_NR_RECVMSG     47
#define GH_NR_LISTEN      50
#define GH_NR_SPLICE      275
#define GH_NR_ACCEPT4     288
#define GH_NR_RECVMMSG    299
#define GH_NR_SENDMMSG    307
#endif

/* Sockets seen, by the address of their struct sock. A plain hash, never LRU: an entry leaves
 * only when it is sent (its TCP socket destroyed, its memory reused by another socket, or the
 * run's end); when the table is full, the socket is counted as a lost GH_EV_SOCKET. */
#define GH_SOCKETS_MAX 16384
GH_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GH_SOCKETS_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct gh_sock);
} sockets SEC(".maps");

/* A DNS message moved by the current call of a thread: set by the socket tracepoints (the
 * socket's peer is port 53, or it is an unconnected datagram socket whose peer the call names),
 * taken at sys_exit, which finds the bytes in the call's arguments. */
struct gh_dns_mark {
	__u64 sk;
	__u64 ino;
	__u8  daddr[16];  /* the peer of a connected socket */
	__u16 dport;      /* network order; 0: unconnected, the call names the peer */
	__u16 family;
	__u16 protocol;
	__u16 __pad0;
};
GH_SHARED struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct gh_dns_mark);
} dns_mark SEC(".maps");

/* Entries in dns_mark: sys_exit of a read or write looks there only when it is not 0. */
GH_SHARED volatile __s64 dns_marked GH_INIT(0);

/* The socket behind @fd of the current task and its inode number, or NULL. */
static __always_inline struct sock *gh_fd_sock(__u64 fd, __u64 *ino)
{
	struct file *file = gh_fd_file(fd);
	struct socket *sock;

	*ino = 0;
	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & 0170000) != 0140000 /* S_ISSOCK */)
		return NULL;
	*ino = BPF_CORE_READ(file, f_inode, i_ino);
	sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
}

#ifdef GH_DEFINE_SOCKETS
#define GH_SOCK_FN __noinline int
#else
#define GH_SOCK_FN extern int
#endif

/* The socket at @skp (inode @ino) was connected (@connecting: a non-blocking TCP connect that
 * returned EINPROGRESS) or accepted by the current task, by the net event with repeat id @rid. */
GH_SOCK_FN gh_sock_home(__u64 skp, __u64 ino, __u64 rid, __u32 connecting);
/* splice or sendfile out of a socket moved @ret bytes: TCP and unix stream sockets read them
 * with their own splice_read, which the socket layer's recvmsg tracepoint does not see. */
GH_SOCK_FN gh_exit_splice(__u64 fd, __s64 ret);
/* A read or write call of the current task (args in @in, result @ret) may have moved a DNS
 * message that dns_mark noted: copy its first bytes. */
GH_SOCK_FN gh_exit_dns(struct gh_inflight *in, __u32 nr, __s64 ret);

#endif /* GLASSHOUSE_SOCK_BPF_H */
