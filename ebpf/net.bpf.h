/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Network attempts, reported at sys_exit: connect, and sendto/sendmsg/sendmmsg when they name
 * a destination, with the raw sockaddr (decoded by the helper); listen, with the address the
 * socket is bound to; accept, with the peer of the new socket. Each names its socket (inode
 * number); a connect or accept also tells the sockets map which event the socket's bytes
 * belong to (sock.bpf.h), and a non-blocking connect is watched until it succeeds or fails.
 */
#ifndef GLASSHOUSE_NET_BPF_H
#define GLASSHOUSE_NET_BPF_H

#include "sock.bpf.h"

/* What gh_net_report is to report. */
struct gh_net_req {
	__u64 fd;
	__u64 addr;       /* user sockaddr named by the call; 0 for listen and accept */
	__u64 addrlen;
	__s64 ret;
	__u32 call;
	__u32 more;
};

/* A sockaddr for @sk into @out: its peer (@peer), or the address it is bound to. Returns its
 * length, 0 for a family that is no network peer. */
static __always_inline __u32 gh_sk_sockaddr(struct sock *sk, __u8 *out, bool peer)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	*(__u16 *)out = family;
	if (family == GH_AF_INET || family == GH_AF_INET6) {
		/* sockaddr_in: port at 2, address at 4; sockaddr_in6: port at 2, address at 8 */
		*(__u16 *)&out[2] = peer ? BPF_CORE_READ(sk, __sk_common.skc_dport)
					 : bpf_htons(BPF_CORE_READ(sk, __sk_common.skc_num));
		if (family == GH_AF_INET)
			bpf_core_read(&out[4], 4, peer ? &sk->__sk_common.skc_daddr : &sk->__sk_common.skc_rcv_saddr);
		else
			bpf_core_read(&out[8], 16, peer ? &sk->__sk_common.skc_v6_daddr : &sk->__sk_common.skc_v6_rcv_saddr);
		return family == GH_AF_INET ? 16 : 28;
	}
	if (family == GH_AF_UNIX) {
		struct unix_sock *u = (struct unix_sock *)sk;
		struct unix_address *a;
		int len;

		if (peer)
			u = (struct unix_sock *)BPF_CORE_READ(u, peer);
		a = BPF_CORE_READ(u, addr);
		len = a ? BPF_CORE_READ(a, len) : 0;
		if (len <= 2 || len > 110)
			return 2; /* unnamed */
		if (bpf_probe_read_kernel(out, ((len - 1) & 127) + 1, __builtin_preserve_access_index(&a->name)))
			return 2;
		return len;
	}
	return 0;
}

/* Report one network attempt (a global function: checked once). */
__noinline int gh_net_report(struct gh_net_req *q)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct gh_net_event e = {};
	struct gh_repeat_key key = {};
	__u64 addrlen, home = 0, ino = 0;
	struct sock *sk;
	__u16 family;

	if (!q)
		return 0;
	sk = gh_fd_sock(q->call == GH_CALL_ACCEPT || q->call == GH_CALL_ACCEPT4 ? q->ret : q->fd, &ino);
	if (q->addr) {
		addrlen = q->addrlen;
		if (addrlen < 2)
			return 0; /* no destination named: not a network attempt of its own */
		if (addrlen > GH_SOCKADDR_MAX)
			addrlen = GH_SOCKADDR_MAX;
		if (bpf_probe_read_user(e.addr, addrlen, (void *)q->addr))
			return 0;
	} else {
		if (!sk)
			return 0;
		addrlen = gh_sk_sockaddr(sk, e.addr, q->call != GH_CALL_LISTEN);
	}
	/* The rule of what a network attempt is: a peer of the inet, inet6 or unix families.
	 * AF_UNSPEC (a UDP socket's "disconnect"), netlink (a conversation with the kernel),
	 * packet, vsock and the rest are not reported; the syscall counts still have them. */
	family = *(__u16 *)e.addr;
	if (family != GH_AF_INET && family != GH_AF_INET6 && family != GH_AF_UNIX)
		return 0;
	if (sk) {
		e.sk_type = BPF_CORE_READ(sk, sk_type);
		e.sk_protocol = BPF_CORE_READ(sk, sk_protocol);
	}
	/* the same peer reached the same way with the same result by the same process is counted;
	 * inet and inet6 connects and sends only (a unix path does not fit the key; an accepted
	 * peer or a listening address is one of a kind; the sendmmsg message that says how many
	 * came after it must be sent, not counted) */
	if (q->call != GH_CALL_LISTEN && q->call != GH_CALL_ACCEPT && q->call != GH_CALL_ACCEPT4 && !q->more &&
	    ((family == GH_AF_INET && addrlen >= 8) || (family == GH_AF_INET6 && addrlen >= 24))) {
		gh_repeat_key_init(&key, task, GH_EV_NET | q->call << 8);
		if (family == GH_AF_INET) {
			key.a = *(__u32 *)&e.addr[4];
		} else {
			key.a = *(__u64 *)&e.addr[8];
			key.b = *(__u64 *)&e.addr[16];
		}
		key.c = *(__u16 *)&e.addr[2] | (__u64)family << 16 | (__u64)e.sk_type << 32 | (__u64)e.sk_protocol << 48;
		key.d = q->ret;
		if (gh_repeated(&key, &e.rid, &home))
			goto homed;
	}
	gh_header(&e.h, task, GH_EV_NET);
	e.h.size = sizeof(e);
	e.ret = q->ret;
	e.ino = ino;
	e.addr_len = addrlen;
	e.more = q->more;
	e.call = q->call;
	gh_emit(&e, sizeof(e), GH_EV_NET);
homed:
	/* the socket's bytes belong to the event that gave it its peer */
	if (sk && (q->call == GH_CALL_ACCEPT || q->call == GH_CALL_ACCEPT4 ||
		   (q->call == GH_CALL_CONNECT && (q->ret == 0 || q->ret == -GH_EINPROGRESS))))
		gh_sock_home((__u64)sk, ino, home,
			     q->ret == -GH_EINPROGRESS && e.sk_protocol == GH_IPPROTO_TCP);
	return 0;
}

struct gh_mmsg_ctx {
	struct gh_net_req q;
	__u64 vec;       /* the struct mmsghdr array */
	__u64 sent;      /* messages sent (the call's result) */
};

#define GH_MMSG_MAX 64 /* messages of one sendmmsg looked at for their destination */

static long gh_mmsg_step(__u32 i, void *vctx)
{
	struct gh_mmsg_ctx *c = vctx;
	struct user_msghdr hdr = {};
	__u32 len = 0;
	__u64 at = c->vec + (__u64)i * 64; /* sizeof(struct mmsghdr) */

	if (i >= c->sent)
		return 1;
	if (bpf_probe_read_user(&hdr, sizeof(hdr), (void *)at) ||
	    bpf_probe_read_user(&len, sizeof(len), (void *)(at + sizeof(hdr))))
		return 1;
	c->q.addr = (__u64)hdr.msg_name;
	c->q.addrlen = hdr.msg_namelen;
	c->q.ret = len;
	c->q.more = i + 1 == GH_MMSG_MAX && c->sent > GH_MMSG_MAX ? c->sent - GH_MMSG_MAX : 0;
	if (c->q.addr)
		gh_net_report(&c->q);
	return 0;
}

static __always_inline void gh_net_emit(struct task_struct *task, struct gh_inflight *in, __s64 ret)
{
	struct gh_mmsg_ctx c = {};
	struct user_msghdr msg = {};

	c.q.fd = in->args[0];
	c.q.ret = ret;
	c.q.call = in->call;
	switch (in->call) {
	case GH_CALL_CONNECT:
		c.q.addr = in->args[1];
		c.q.addrlen = in->args[2];
		break;
	case GH_CALL_SENDTO:
		c.q.addr = in->args[4];
		c.q.addrlen = in->args[5];
		break;
	case GH_CALL_SENDMSG:
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)in->args[1]))
			return;
		c.q.addr = (__u64)msg.msg_name;
		c.q.addrlen = msg.msg_namelen;
		break;
	case GH_CALL_SENDMMSG:
		if (ret <= 0)
			return; /* a failure names no message sent */
		c.vec = in->args[1];
		c.sent = ret;
		bpf_loop(GH_MMSG_MAX, gh_mmsg_step, &c, 0);
		return;
	case GH_CALL_LISTEN:
		break;
	case GH_CALL_ACCEPT:
	case GH_CALL_ACCEPT4:
		if (ret < 0)
			return; /* a failed accept (EAGAIN above all) names no peer */
		break;
	default:
		return;
	}
	if (!c.q.addr && in->call != GH_CALL_LISTEN && in->call != GH_CALL_ACCEPT && in->call != GH_CALL_ACCEPT4)
		return;
	gh_net_report(&c.q);
}

#endif /* GLASSHOUSE_NET_BPF_H */
