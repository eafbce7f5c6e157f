// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * At most GH_SLOTS_PER_UID helpers per caller uid and GH_SLOTS_TOTAL on the machine, kept
 * without root: see slots.h for what a slot is.
 *
 * Counting. The kernel lists the listening unix sockets with their names and owners
 * (sock_diag, as `ss -xl` does; no connection is made, so a full backlog can neither hide a
 * slot nor fake one). A slot is valid when it listens, its name parses, and the socket's owner
 * (the creator's uid, which only CAP_CHOWN could change) is the uid in its name. Each uid
 * counts for at most GH_SLOTS_PER_UID towards the total, so no single user can fill it.
 *
 * No race. A helper first listens on its own slot, then counts, and starts only when both
 * counts, its own slot included, are within the limits. Of any set of helpers running at once,
 * the one that listened last counted all the others, so there are never more than the limits.
 * When two start together with one slot left, the one whose name is older starts: the newer
 * sees enough older slots and gives up; the older one, having counted a newer slot that may
 * be just such a loser, lets its slot go and tries again with a new name (for up to 2 s).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "privilege.h"
#include "slots.h"

#define SLOT_PREFIX   "glasshouse-helper/"
#define SLOT_BACKLOG  64
#define SLOT_PATIENCE_NS 2000000000ull /* how long to try again when a newer slot was counted */
#define SLOT_DUMPS    2    /* a socket the kernel skips in one listing is in the other */
#define SERVE_BATCH   64
#define PIDS_SHOWN    8

struct slot {
	uint64_t t, r;  /* CLOCK_BOOTTIME at the start, and a random number: the name, and the order */
	uint32_t uid;
	uint32_t ino;   /* the socket's inode: the same socket in two listings */
};

struct census {
	struct slot *v;
	size_t n, cap;
};

/* Verdict of one count. */
struct tally {
	size_t uid_all, uid_older;      /* the caller's valid slots, this one included; older ones */
	size_t total_all, total_older;  /* the same over all uids, each uid counting at most the limit */
};

static int slot_name(char *buf, size_t len, const struct slot *s)
{
	return snprintf(buf, len, SLOT_PREFIX "%u/%016llx-%016llx", s->uid, (unsigned long long)s->t,
			(unsigned long long)s->r);
}

static bool parse_hex16(const char *p, uint64_t *out)
{
	*out = 0;
	for (int i = 0; i < 16; i++) {
		char c = p[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;

		if (d == 16)
			return false;
		*out = *out << 4 | d;
	}
	return true;
}

/* "glasshouse-helper/<uid>/<16 hex>-<16 hex>", exactly (@len bytes, no NUL). */
static bool parse_name(const char *p, size_t len, struct slot *s)
{
	const size_t plen = sizeof(SLOT_PREFIX) - 1;
	uint64_t uid = 0;
	size_t i = plen, digits = 0;

	if (len < plen || memcmp(p, SLOT_PREFIX, plen))
		return false;
	for (; i < len && p[i] >= '0' && p[i] <= '9' && digits < 10; i++, digits++)
		uid = uid * 10 + (uint64_t)(p[i] - '0');
	if (!digits || uid > UINT32_MAX || len - i != 1 + 16 + 1 + 16 || p[i] != '/' || p[i + 17] != '-')
		return false;
	s->uid = (uint32_t)uid;
	return parse_hex16(p + i + 1, &s->t) && parse_hex16(p + i + 18, &s->r);
}

static socklen_t slot_addr(struct sockaddr_un *sa, const struct slot *s)
{
	char name[sizeof(sa->sun_path)];
	int n = slot_name(name, sizeof(name), s);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path + 1, name, n); /* abstract: a leading NUL, no trailing one */
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

/*
 * Listen on @s as the caller's real uid: in setuid mode the effective uid is root's until the
 * privilege drop, and the slot must be the caller's (the socket's owner, and the credentials
 * SO_PEERCRED reports, are taken at socket() and listen()). Returns the fd or -errno.
 */
static int listen_as_caller(const struct slot *s)
{
	struct sockaddr_un sa;
	socklen_t len = slot_addr(&sa, s);
	uid_t ruid, euid, suid;
	int fd, err = 0;

	if (getresuid(&ruid, &euid, &suid))
		return -errno;
	if (euid != ruid && setresuid(-1, ruid, -1))
		return -errno;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) || listen(fd, SLOT_BACKLOG))
		err = -errno;
	if (euid != ruid && setresuid(-1, euid, -1))
		err = -EPERM; /* cannot happen (the saved uid is root's); never go on half-privileged */
	if (err && fd >= 0)
		close(fd);
	return err ? err : fd;
}

static int census_add(struct census *c, const struct slot *s)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct slot *v = reallocarray(c->v, cap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *s;
	return 0;
}

/* One sock_diag message: a listening unix socket. Added when it is a valid slot. */
static int census_msg(struct census *c, const struct nlmsghdr *nlh)
{
	const struct unix_diag_msg *m = NLMSG_DATA(nlh);
	const struct rtattr *a = (const struct rtattr *)(m + 1);
	int alen = (int)nlh->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	const char *name = NULL;
	size_t name_len = 0;
	bool has_uid = false;
	uint32_t owner = 0;
	struct slot s;

	if (alen < 0 || m->udiag_state != TCP_LISTEN)
		return 0;
	for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		if (a->rta_type == UNIX_DIAG_NAME) {
			name = RTA_DATA(a);
			name_len = RTA_PAYLOAD(a);
		} else if (a->rta_type == UNIX_DIAG_UID && RTA_PAYLOAD(a) >= sizeof(owner)) {
			memcpy(&owner, RTA_DATA(a), sizeof(owner));
			has_uid = true;
		}
	}
	if (!name || name_len < 2 || name[0] != '\0' || !parse_name(name + 1, name_len - 1, &s))
		return 0;
	if (!has_uid || owner != s.uid || s.uid == 0)
		return 0; /* someone else's socket under that uid's name; root takes no slot */
	s.ino = m->udiag_ino;
	return census_add(c, &s);
}

/* Handle one datagram of the dump; returns 1 at its end, 0 for more, or -errno. */
static int census_datagram(struct census *c, const void *buf, int n)
{
	for (const struct nlmsghdr *nlh = buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
		if (nlh->nlmsg_type == NLMSG_DONE) {
			int err = 0;

			if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
				memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
			return err < 0 ? err : 1;
		}
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nlh);

			return nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error ? e->error : -EIO;
		}
		if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY && nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct unix_diag_msg))) {
			int err = census_msg(c, nlh);

			if (err)
				return err;
		}
	}
	return 0;
}

/* Ask the kernel for every listening unix socket of this network namespace. */
static int census_dump(struct census *c)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} q = {
		.nlh = { .nlmsg_len = sizeof(q), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.req = { .sdiag_family = AF_UNIX, .udiag_states = 1u << TCP_LISTEN,
			 .udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_UID },
	};
	static uint32_t buf[16384]; /* 64 KiB: more than the kernel puts in one datagram (32 KiB) */
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int fd, err = 0;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (sendto(fd, &q, sizeof(q), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		err = -errno;
	while (!err) {
		struct sockaddr_nl from = {};
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &mh, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		else if (mh.msg_flags & MSG_TRUNC)
			err = -EMSGSIZE;
		else if (from.nl_pid == 0) /* only the kernel speaks here */
			err = census_datagram(c, buf, (int)n);
	}
	close(fd);
	return err < 0 ? err : 0;
}

static int by_ino(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return (x->ino > y->ino) - (x->ino < y->ino);
}

static int by_uid(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;

	return (x->uid > y->uid) - (x->uid < y->uid);
}

/* Every valid slot, each once (the union of SLOT_DUMPS listings). */
static int census_take(struct census *c)
{
	size_t kept = 0;

	c->n = 0;
	for (int i = 0; i < SLOT_DUMPS; i++) {
		int err = census_dump(c);

		if (err)
			return err;
	}
	qsort(c->v, c->n, sizeof(*c->v), by_ino);
	for (size_t i = 0; i < c->n; i++)
		if (!kept || c->v[kept - 1].ino != c->v[i].ino)
			c->v[kept++] = c->v[i];
	c->n = kept;
	qsort(c->v, c->n, sizeof(*c->v), by_uid);
	return 0;
}

static bool older(const struct slot *a, const struct slot *b)
{
	if (a->t != b->t)
		return a->t < b->t;
	if (a->r != b->r)
		return a->r < b->r;
	return a->uid < b->uid;
}

static size_t at_most(size_t n, size_t limit)
{
	return n < limit ? n : limit;
}

/* Count @c (sorted by uid) as seen from @me. Returns false when @me is not in it. */
static bool tally(const struct census *c, const struct slot *me, struct tally *t)
{
	bool seen = false;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < c->n;) {
		size_t all = 0, old = 0, j = i;

		for (; j < c->n && c->v[j].uid == c->v[i].uid; j++) {
			all++;
			old += older(&c->v[j], me);
			seen |= c->v[j].ino == me->ino;
		}
		if (c->v[i].uid == me->uid) {
			t->uid_all = all;
			t->uid_older = old;
		}
		t->total_all += at_most(all, GH_SLOTS_PER_UID);
		t->total_older += at_most(old, GH_SLOTS_PER_UID);
		i = j;
	}
	return seen;
}

/* The pid listening on @s, as its SO_PEERCRED says (0 when it cannot be asked). */
static pid_t holder_pid(const struct slot *s)
{
	struct sockaddr_un sa;
	socklen_t len = slot_addr(&sa, s);
	struct ucred cred = {};
	socklen_t clen = sizeof(cred);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	pid_t pid = 0;

	if (fd < 0)
		return 0;
	if (!connect(fd, (struct sockaddr *)&sa, len) &&
	    !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) && cred.uid == s->uid)
		pid = cred.pid;
	close(fd);
	return pid;
}

/* " (pids 1, 2, 3)" for the caller's other slots, or "" when none answers. */
static void holder_pids(const struct census *c, const struct slot *me, char *buf, size_t len)
{
	size_t off = 0, shown = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->n && off < len; i++) {
		pid_t pid;

		if (c->v[i].uid != me->uid || c->v[i].ino == me->ino)
			continue;
		if (shown == PIDS_SHOWN) {
			off += snprintf(buf + off, len - off, ", ...");
			break;
		}
		pid = holder_pid(&c->v[i]);
		if (pid > 0)
			off += snprintf(buf + off, len - off, "%s%d", shown++ ? ", " : " (pids ", pid);
	}
	if (shown && off < len)
		snprintf(buf + off, len - off, ")");
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void new_slot(struct slot *s)
{
	s->uid = getuid();
	s->t = boottime_ns();
	if (getrandom(&s->r, sizeof(s->r), GRND_NONBLOCK) != sizeof(s->r))
		s->r = s->t ^ ((uint64_t)getpid() << 32); /* a name someone took first is just skipped */
	s->ino = 0;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)ms * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

enum verdict { ADMIT, REFUSE, AGAIN };

/* Count with our slot @me listening on @fd; on REFUSE the reason is in @why. */
static enum verdict judge(struct census *c, struct slot *me, int fd, char *why, size_t len)
{
	struct tally t;
	struct stat sb;
	char pids[160];
	int err;

	err = fstat(fd, &sb) ? -errno : census_take(c);
	if (err) {
		snprintf(why, len, "cannot count the running helpers (sock_diag): %s", strerror(-err));
		return REFUSE;
	}
	me->ino = sb.st_ino;
	if (!tally(c, me, &t)) {
		snprintf(why, len, "cannot count the running helpers: the kernel did not list this helper's own slot");
		return AGAIN;
	}
	if (t.uid_all <= GH_SLOTS_PER_UID && t.total_all <= GH_SLOTS_TOTAL)
		return ADMIT;
	if (t.uid_all > GH_SLOTS_PER_UID) {
		holder_pids(c, me, pids, sizeof(pids));
		snprintf(why, len, "%zu glasshouse helpers of uid %u are already running%s; one user may run at most %d at once",
			 t.uid_all - 1, me->uid, pids, GH_SLOTS_PER_UID);
		return t.uid_older >= GH_SLOTS_PER_UID ? REFUSE : AGAIN;
	}
	snprintf(why, len, "%d glasshouse helpers are running on this machine; at most %d may run at once (%d per user)",
		 GH_SLOTS_TOTAL, GH_SLOTS_TOTAL, GH_SLOTS_PER_UID);
	return t.total_older >= GH_SLOTS_TOTAL ? REFUSE : AGAIN;
}

int gh_slot_take(int *fd, char *why, size_t len)
{
	struct census c = {};
	enum verdict v = AGAIN;
	struct slot me;
	uint64_t since = boottime_ns();

	*fd = -1;
	why[0] = '\0';
	if (getuid() == 0 || !gh_privilege_is_elevated())
		return 0; /* root can load BPF without us; a helper without privilege loads nothing */
	while (v == AGAIN && boottime_ns() - since < SLOT_PATIENCE_NS) {
		new_slot(&me);
		*fd = listen_as_caller(&me);
		if (*fd == -EADDRINUSE)
			continue; /* someone took this name first: take another */
		if (*fd < 0) {
			snprintf(why, len, "cannot create this helper's slot (an abstract unix socket): %s", strerror(-*fd));
			v = REFUSE;
			break;
		}
		v = judge(&c, &me, *fd, why, len);
		if (v == ADMIT)
			break;
		close(*fd);
		if (v == AGAIN)
			pause_ms(5 + me.r % 20); /* let a slot being given up go, then come back as the newest */
	}
	free(c.v);
	if (v == ADMIT)
		return 0;
	*fd = -1;
	if (!why[0])
		snprintf(why, len, "no name for this helper's slot was free");
	return -1;
}

void gh_slot_serve(int fd)
{
	for (int i = 0; i < SERVE_BATCH; i++) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			return;
		close(c);
	}
}
