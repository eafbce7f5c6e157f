// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * What moved over each socket of the followed tree, counted where every read, write, send*,
 * recv*, sendfile and splice into a socket meets: the socket layer's sendmsg and recvmsg
 * (tracepoints sock_send_length and sock_recv_length). Nothing is counted per call in the
 * sys_exit program, so a read or write of a file that is no socket costs nothing more.
 * The totals leave the kernel once per socket: when a TCP socket is destroyed, when the memory
 * of a socket is reused by another, or at the end (the helper walks the map).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#define GH_DEFINE_SOCKETS
#include "sock.bpf.h"

static __always_inline void gh_sock_emit(struct gh_sock *v)
{
	struct gh_socket_event e = {};

	if (!v->sent && !v->received && !v->connect)
		return; /* nothing to add to its entry: not sent (a server's idle connections) */
	e.h.ts = bpf_ktime_get_ns();
	e.h.start = v->start;
	e.h.pid = v->pid;
	e.h.tid = v->pid;
	e.h.type = GH_EV_SOCKET;
	e.h.size = sizeof(e);
	__builtin_memcpy(&e.s, v, sizeof(e.s));
	gh_emit(&e, sizeof(e), GH_EV_SOCKET);
}

/* A new entry for the socket @sk (inode @ino) first used by the current task. */
static __always_inline void gh_sock_fresh(struct gh_sock *v, struct sock *sk, __u64 ino)
{
	struct task_struct *task = bpf_get_current_task_btf();

	v->ino = ino;
	v->start = gh_task_start(task);
	v->pid = gh_task_vtgid(task);
	v->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	v->type = BPF_CORE_READ(sk, sk_type);
	v->protocol = BPF_CORE_READ(sk, sk_protocol);
	v->dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	if (v->family == GH_AF_INET)
		bpf_core_read(v->daddr, 4, &sk->__sk_common.skc_daddr);
	else if (v->family == GH_AF_INET6)
		bpf_core_read(v->daddr, 16, &sk->__sk_common.skc_v6_daddr);
}

/* The entry of the socket at @skp with inode @ino, made if need be. An entry of the same
 * address with another inode is a socket that is gone: it is sent first. NULL when full. */
static __always_inline struct gh_sock *gh_sock_get(__u64 skp, __u64 ino)
{
	struct gh_sock *v = bpf_map_lookup_elem(&sockets, &skp);
	struct gh_sock fresh = {};

	if (v && v->ino == ino)
		return v;
	if (v)
		gh_sock_emit(v);
	gh_sock_fresh(&fresh, (struct sock *)skp, ino);
	if (bpf_map_update_elem(&sockets, &skp, &fresh, v ? BPF_EXIST : BPF_NOEXIST) &&
	    bpf_map_update_elem(&sockets, &skp, &fresh, BPF_NOEXIST)) {
		/* another CPU made it first (then use its entry), or the table is full */
		v = bpf_map_lookup_elem(&sockets, &skp);
		if (v && v->ino == ino)
			return v;
		gh_count_lost(GH_EV_SOCKET);
		return NULL;
	}
	return bpf_map_lookup_elem(&sockets, &skp);
}

/* The outcome of a non-blocking connect, from the state the socket went to (or is in). A
 * socket closed by its owner before it connected has no outcome: it stays connecting. */
static __always_inline void gh_sock_settle(struct gh_sock *v, struct sock *sk, int state)
{
	__s32 outcome = 0;

	if (state == GH_TCP_SYN_SENT)
		return;
	if (state == GH_TCP_CLOSE) {
		outcome = -(__s32)BPF_CORE_READ(sk, sk_err);
		if (!outcome)
			return;
	}
	if (__sync_val_compare_and_swap(&v->connect, GH_SK_CONNECTING, GH_SK_CONNECTED) == GH_SK_CONNECTING)
		v->outcome = outcome;
}

__noinline int gh_sock_home(__u64 skp, __u64 ino, __u64 rid, __u32 connecting)
{
	struct gh_sock *v;

	if (!skp || !ino)
		return 0;
	v = gh_sock_get(skp, ino);
	if (!v)
		return 0;
	v->rid = rid;
	if (!connecting)
		return 0;
	v->connect = GH_SK_CONNECTING;
	/* it may have connected (or failed) before the entry said to watch it */
	gh_sock_settle(v, (struct sock *)skp, BPF_CORE_READ((struct sock *)skp, __sk_common.skc_state));
	return 0;
}

/* Note a call that may carry a DNS message, for sys_exit to copy: on a socket whose peer is
 * port 53, or an unconnected datagram socket (its peer is in the call's arguments). */
static __always_inline void gh_dns_note(__u64 skp, struct gh_sock *v)
{
	struct sock *sk = (struct sock *)skp;
	struct gh_dns_mark m = {};
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if ((v->family != GH_AF_INET && v->family != GH_AF_INET6) ||
	    (v->protocol != GH_IPPROTO_UDP && v->protocol != GH_IPPROTO_TCP))
		return;
	m.dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	if (m.dport != GH_DNS_PORT_BE && (m.dport || v->type != GH_SOCK_DGRAM))
		return;
	m.sk = skp;
	m.ino = v->ino;
	m.family = v->family;
	m.protocol = v->protocol;
	if (m.dport && v->family == GH_AF_INET)
		bpf_core_read(m.daddr, 4, &sk->__sk_common.skc_daddr);
	else if (m.dport)
		bpf_core_read(m.daddr, 16, &sk->__sk_common.skc_v6_daddr);
	if (!bpf_map_update_elem(&dns_mark, &tid, &m, BPF_NOEXIST))
		__sync_fetch_and_add(&dns_marked, 1);
}

/* @skp moved @ret bytes for the current task (followed, and the caller's to trace). Inlined:
 * @skp is the tracepoint's pointer, which a global function may not take. */
static __always_inline int gh_sock_moved(__u64 skp, __s64 ret, __u32 in)
{
	struct sock *sk = (struct sock *)skp;
	struct socket *so;
	struct gh_sock *v;
	__u64 ino;

	if (!sk)
		return 0;
	so = BPF_CORE_READ(sk, sk_socket);
	ino = BPF_CORE_READ(so, file, f_inode, i_ino);
	if (!so || !ino)
		return 0; /* a kernel socket, or one being closed */
	v = gh_sock_get(skp, ino);
	if (!v)
		return 0;
	if (in) {
		__sync_fetch_and_add(&v->received, ret);
		__sync_fetch_and_add(&v->recvs, 1);
	} else {
		__sync_fetch_and_add(&v->sent, ret);
		__sync_fetch_and_add(&v->sends, 1);
	}
	gh_dns_note(skp, v);
	return 0;
}

__noinline int gh_exit_splice(__u64 fd, __s64 ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct gh_sock *v;
	struct sock *sk;
	__u64 ino;

	if (ret <= 0)
		return 0;
	sk = gh_fd_sock(fd, &ino);
	if (!sk || !ino)
		return 0;
	/* the others (UDP, unix datagram) splice through read_iter: the tracepoint counted them */
	if (BPF_CORE_READ(sk, sk_protocol) != GH_IPPROTO_TCP &&
	    (BPF_CORE_READ(sk, __sk_common.skc_family) != GH_AF_UNIX || BPF_CORE_READ(sk, sk_type) != GH_SOCK_STREAM))
		return 0;
	if (!gh_traceable(task))
		return 0;
	v = gh_sock_get((__u64)sk, ino);
	if (v) {
		__sync_fetch_and_add(&v->received, ret);
		__sync_fetch_and_add(&v->recvs, 1);
	}
	return 0;
}

static __always_inline int gh_sock_length(struct sock *sk, int ret, int flags, __u32 in)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 bits = gh_follow_bits(tgid);

	if (!bits || (bits & GH_BIT_QUIET) || ret <= 0)
		return 0;
	if (in && (flags & GH_MSG_PEEK))
		return 0; /* the bytes stay there, to be read (and counted) again */
	if (!caller_sees_all && !gh_current_traceable())
		return 0;
	return gh_sock_moved((__u64)sk, ret, in);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(handle_sock_send, struct sock *sk, int ret, int flags)
{
	return gh_sock_length(sk, ret, flags, 0);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(handle_sock_recv, struct sock *sk, int ret, int flags)
{
	return gh_sock_length(sk, ret, flags, 1);
}

/* A TCP socket leaves: send what it moved now, not at the end (a run may make many). */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(handle_tcp_destroy, struct sock *sk)
{
	__u64 skp = (__u64)sk;
	struct gh_sock *v = bpf_map_lookup_elem(&sockets, &skp);

	if (!v)
		return 0;
	gh_sock_emit(v);
	bpf_map_delete_elem(&sockets, &skp);
	return 0;
}

/* A TCP socket left SYN_SENT: the outcome of a non-blocking connect being watched. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(handle_inet_state, const struct sock *sk, const int oldstate, const int newstate)
{
	__u64 skp = (__u64)sk;
	struct gh_sock *v;

	if (oldstate != GH_TCP_SYN_SENT)
		return 0;
	v = bpf_map_lookup_elem(&sockets, &skp);
	if (v && v->connect == GH_SK_CONNECTING)
		gh_sock_settle(v, (struct sock *)sk, newstate);
	return 0;
}

/* One DNS message of a call, for gh_dns_msg. */
struct gh_dns_call {
	struct gh_dns_mark m;
	__u64 buf;      /* the one buffer of the call, or 0: then the iovec array */
	__u64 iov;
	__u64 iovlen;
	__u64 name;     /* the sockaddr the call named (unconnected sockets) */
	__u64 namelen;
	__u64 size;     /* bytes the call (or message) moved */
	__u64 room;     /* bytes the buffer holds (a datagram cut by MSG_TRUNC is longer) */
	__u32 dir;      /* 0: sent, 1: received */
	__u32 __pad0;
};

struct gh_iovec {
	__u64 base;
	__u64 len;
};

/* Copy the first bytes of the message of @c, if its peer is port 53. A global function. */
__noinline int gh_dns_msg(struct gh_dns_call *c)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct gh_scratch *s = gh_scratch_get();
	struct gh_dns_event *e;
	__u64 want, off = 0, n;
	__u8 sa[28] = {};

	if (!c || !s || !c->size)
		return 0;
	e = (void *)s->buf;
	if (c->m.dport) {
		e->family = c->m.family;
		e->port = bpf_ntohs(c->m.dport);
		__builtin_memcpy(e->addr, c->m.daddr, 16);
	} else {
		if (!c->name || c->namelen < 16)
			return 0;
		if (bpf_probe_read_user(sa, c->namelen >= 28 ? 28 : 16, (void *)c->name))
			return 0;
		if (*(__u16 *)&sa[2] != GH_DNS_PORT_BE)
			return 0;
		e->family = *(__u16 *)sa;
		e->port = 53;
		__builtin_memset(e->addr, 0, 16);
		if (e->family == GH_AF_INET)
			__builtin_memcpy(e->addr, &sa[4], 4);
		else if (e->family == GH_AF_INET6 && c->namelen >= 28)
			__builtin_memcpy(e->addr, &sa[8], 16);
		else
			return 0;
	}
	gh_header(&e->h, task, GH_EV_DNS);
	e->h.size = sizeof(*e);
	e->ino = c->m.ino;
	e->size = c->size;
	e->dir = c->dir;
	e->protocol = c->m.protocol;
	want = c->size < c->room ? c->size : c->room;
	if (want > GH_DNS_MAX)
		want = GH_DNS_MAX;
	if (c->buf) {
		if (want && !bpf_probe_read_user(e->data, ((want - 1) & (GH_DNS_MAX - 1)) + 1, (void *)c->buf))
			off = want;
	} else {
		for (int i = 0; i < 4; i++) {
			struct gh_iovec iv = {};

			if (i >= c->iovlen || off >= want)
				break;
			if (bpf_probe_read_user(&iv, sizeof(iv), (void *)(c->iov + i * sizeof(iv))))
				break;
			n = iv.len < want - off ? iv.len : want - off;
			if (!n)
				continue;
			if (bpf_probe_read_user(&e->data[off & (GH_DNS_MAX - 1)], ((n - 1) & (GH_DNS_MAX - 1)) + 1, (void *)iv.base))
				break;
			off += n;
		}
	}
	e->data_len = off;
	gh_emit(e, sizeof(*e), GH_EV_DNS);
	return 0;
}

struct gh_mmsghdr {
	struct user_msghdr hdr;
	__u32 len;
	__u32 __pad0;
};

#define GH_DNS_MMSG_MAX 8 /* messages of one sendmmsg/recvmmsg looked at */

__noinline int gh_exit_dns(struct gh_inflight *in, __u32 nr, __s64 ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct gh_dns_mark *m = bpf_map_lookup_elem(&dns_mark, &tid);
	struct gh_dns_call c = {};
	struct user_msghdr msg = {};
	__u64 ino, sk;
	__u32 namelen = 0;

	if (!m)
		return 0;
	c.m = *m;
	if (!bpf_map_delete_elem(&dns_mark, &tid))
		__sync_fetch_and_add(&dns_marked, -1);
	if (!in || ret <= 0)
		return 0;
	/* only the socket that was noted (a mark left by a call that ended elsewhere is stale) */
	sk = (__u64)gh_fd_sock(in->args[0], &ino);
	if (!sk || sk != c.m.sk)
		return 0;
	c.dir = nr == GH_NR_READ || nr == GH_NR_READV || nr == GH_NR_RECVFROM || nr == GH_NR_RECVMSG ||
		nr == GH_NR_RECVMMSG;
	c.size = ret;
	c.room = ret;
	switch (nr) {
	case GH_NR_READV:
	case GH_NR_WRITEV:
		c.iov = in->args[1];
		c.iovlen = in->args[2];
		break;
	case GH_NR_RECVFROM:
		c.room = in->args[2];
		c.name = in->args[4];
		if (in->args[5] && !bpf_probe_read_user(&namelen, sizeof(namelen), (void *)in->args[5]))
			c.namelen = namelen;
		c.buf = in->args[1];
		break;
	case GH_NR_SENDTO:
		c.name = in->args[4];
		c.namelen = in->args[5];
		c.buf = in->args[1];
		break;
	case GH_NR_SENDMSG:
	case GH_NR_RECVMSG:
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)in->args[1]))
			return 0;
		c.iov = (__u64)msg.msg_iov;
		c.iovlen = msg.msg_iovlen;
		c.name = (__u64)msg.msg_name;
		c.namelen = msg.msg_namelen;
		break;
	case GH_NR_SENDMMSG:
	case GH_NR_RECVMMSG:
		for (int i = 0; i < GH_DNS_MMSG_MAX; i++) {
			struct gh_mmsghdr mm = {};

			if (i >= ret)
				break;
			if (bpf_probe_read_user(&mm, sizeof(mm), (void *)(in->args[1] + i * sizeof(mm))))
				break;
			c.iov = (__u64)mm.hdr.msg_iov;
			c.iovlen = mm.hdr.msg_iovlen;
			c.name = (__u64)mm.hdr.msg_name;
			c.namelen = mm.hdr.msg_namelen;
			c.size = mm.len;
			c.room = mm.len;
			gh_dns_msg(&c);
		}
		return 0;
	default: /* read, write */
		c.buf = in->args[1];
		break;
	}
	gh_dns_msg(&c);
	return 0;
}
