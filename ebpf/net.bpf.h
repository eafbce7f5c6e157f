/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * connect, and sendto/sendmsg when they name a destination, reported at sys_exit with the
 * raw sockaddr (decoded by the helper) and the socket's type and protocol.
 */
#ifndef GLASSHOUSE_NET_BPF_H
#define GLASSHOUSE_NET_BPF_H

#include "task.bpf.h"

static __always_inline void gh_net_emit(struct task_struct *task, struct gh_inflight *in, __s64 ret)
{
	struct gh_net_event e = {};
	struct gh_repeat_key key = {};
	__u64 addr = 0, addrlen = 0;
	__u16 family;
	struct socket *sock;
	struct file *file;
	struct sock *sk;

	switch (in->call) {
	case GH_CALL_CONNECT:
		addr = in->args[1];
		addrlen = in->args[2];
		break;
	case GH_CALL_SENDTO:
		addr = in->args[4];
		addrlen = in->args[5];
		break;
	case GH_CALL_SENDMSG: {
		struct user_msghdr msg = {};

		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)in->args[1]))
			return;
		addr = (__u64)msg.msg_name;
		addrlen = msg.msg_namelen;
		break;
	}
	default:
		return;
	}
	if (!addr || addrlen < 2)
		return; /* no destination named: not a network attempt of its own */
	if (addrlen > GH_SOCKADDR_MAX)
		addrlen = GH_SOCKADDR_MAX;
	if (bpf_probe_read_user(e.addr, addrlen, (void *)addr))
		return;
	/* The rule of what a network attempt is: a peer of the inet, inet6 or unix families.
	 * AF_UNSPEC (a UDP socket's "disconnect"), netlink (a conversation with the kernel),
	 * packet, vsock and the rest are not reported; the syscall counts still have them. */
	family = *(__u16 *)e.addr;
	if (family != 2 /* AF_INET */ && family != 10 /* AF_INET6 */ && family != 1 /* AF_UNIX */)
		return;

	file = gh_fd_file(task, in->args[0]);
	if (file && (BPF_CORE_READ(file, f_inode, i_mode) & 0170000) == 0140000 /* S_ISSOCK */) {
		sock = BPF_CORE_READ(file, private_data);
		sk = BPF_CORE_READ(sock, sk);
		e.sk_type = BPF_CORE_READ(sk, sk_type);
		e.sk_protocol = BPF_CORE_READ(sk, sk_protocol);
	}
	/* the same peer reached the same way with the same result by the same process is counted;
	 * inet and inet6 only (a unix path does not fit the key) */
	if ((family == 2 /* AF_INET */ && addrlen >= 8) || (family == 10 /* AF_INET6 */ && addrlen >= 24)) {
		gh_repeat_key_init(&key, task, GH_EV_NET | in->call << 8);
		if (family == 2) {
			key.a = *(__u32 *)&e.addr[4];
		} else {
			key.a = *(__u64 *)&e.addr[8];
			key.b = *(__u64 *)&e.addr[16];
		}
		key.c = *(__u16 *)&e.addr[2] | (__u64)family << 16 | (__u64)e.sk_type << 32 | (__u64)e.sk_protocol << 48;
		key.d = ret;
		if (gh_repeated(&key, &e.rid))
			return;
	}
	gh_header(&e.h, task, GH_EV_NET);
	e.h.size = sizeof(e);
	e.ret = ret;
	e.addr_len = addrlen;
	e.call = in->call;
	gh_emit(&e, sizeof(e), GH_EV_NET);
}

#endif /* GLASSHOUSE_NET_BPF_H */
