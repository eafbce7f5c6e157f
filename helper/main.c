// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * glasshouse-helper: the only privileged part of glasshouse.
 *
 * It loads the embedded BPF programs, attaches them, drops every privilege, then follows the
 * one process its parent names on stdin (and that process's descendants) and streams what
 * they do as msgpack frames on stdout. See PROTOCOL.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "../ebpf/events.h"
#include "caller.h"
#include "core_btf.h"
#include "follow.h"
#include "frames.h"
#include "mounts.h"
#include "privilege.h"
#include "slots.h"
#include "gh.skel.h"

#define GH_RINGBUF_MB_DEFAULT 16
#define GH_RINGBUF_MB_MAX     64
#define GH_RINGBUF_MB_USER    16  /* the most for a caller who is not root */
#define GH_POLL_MS            50
#define GH_STATS_NS           500000000ull
#define GH_FLUSH_BYTES        (256u * 1024)
#define GH_ADOPT_WAIT_NS      5000000000ull /* a follow not adopted by then expires */

static volatile sig_atomic_t exiting;

static struct {
	struct gh_bpf *skel;
	struct ring_buffer *rb;
	struct mp_buf out;
	struct gh_counters ctr;
	int ncpu;
	bool verbose;
	bool broken_pipe;
	pid_t parent;
	uint32_t armed_pid;   /* a follow request is in the kernel, not yet decided */
	uint64_t armed_at;
	bool followed;        /* the root was adopted */
	int status;           /* exit status when a follow fails at adoption */
} st;

/* libbpf's warnings while the programs load are held: when the load fails for want of
 * privilege, they only restate it in five lines before the one that says how to fix it. Any
 * other failure (a verifier rejection) or --verbose shows them. */
static struct {
	bool on;
	size_t len;
	char text[8192];
} held;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	int n;

	if (level == LIBBPF_DEBUG && !st.verbose)
		return 0;
	if (level == LIBBPF_INFO && !st.verbose)
		return 0;
	if (!held.on || st.verbose)
		return vfprintf(stderr, fmt, args);
	n = vsnprintf(held.text + held.len, sizeof(held.text) - held.len, fmt, args);
	if (n > 0)
		held.len += (size_t)n < sizeof(held.text) - held.len ? (size_t)n : sizeof(held.text) - held.len - 1;
	return n;
}

/* Stop holding libbpf's lines: say them (keep) or drop them. */
static void held_release(bool keep)
{
	if (keep && held.len > 0)
		fputs(held.text, stderr);
	held.on = false;
	held.len = 0;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Write out everything buffered. stdout carries frames and nothing else. */
static void flush_out(void)
{
	size_t off = 0;

	if (st.out.oom) {
		fprintf(stderr, "glasshouse-helper: out of memory building frames\n");
		st.broken_pipe = true;
		exiting = 1;
	}
	while (!st.broken_pipe && off < st.out.len) {
		ssize_t n = write(STDOUT_FILENO, st.out.data + off, st.out.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			st.broken_pipe = true; /* the controller went away */
			exiting = 1;
			break;
		}
		off += n;
	}
	st.out.len = 0;
}

static void fatal_frame(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "glasshouse-helper: %s\n", msg);
	gh_frame_error(&st.out, msg, true);
	flush_out();
}

/* The kernel decided the follow request: `following`, or the end (nothing was adopted). */
static void on_adopt(const struct gh_adopt_event *e)
{
	char why[256] = "";

	st.armed_pid = 0;
	if (!e->result) {
		st.followed = true;
		gh_frame_following(&st.out, e->h.pid, e->h.start);
		return;
	}
	snprintf(why, sizeof(why), "follow %u: refused when it ran:%s%s%s%s%s%s", e->h.pid,
		 e->result & GH_ADOPT_NS ? " not in the helper's pid namespace;" : "",
		 e->result & GH_ADOPT_IDENTITY ? " another process than the one checked;" : "",
		 e->result & GH_ADOPT_START ? " another start time than the one checked;" : "",
		 e->result & GH_ADOPT_PARENT ? " not a child of the helper's parent;" : "",
		 e->result & GH_ADOPT_CREDS ? " not running as the caller;" : "",
		 e->result & GH_ADOPT_FULL ? " the table of followed processes is full;" : "");
	fatal_frame("%s", why);
	st.status = 2;
	exiting = 1;
}

static int on_record(void *ctx, void *data, size_t size)
{
	const struct gh_event_header *h = data;

	(void)ctx;
	if (size >= sizeof(*h))
		gh_mounts_seen(h);
	if (size >= sizeof(struct gh_adopt_event) && h->type == GH_EV_ADOPT) {
		on_adopt(data);
		flush_out();
		return 0;
	}
	if (size >= sizeof(struct gh_mount_event) && h->type == GH_EV_MOUNT) {
		gh_frame_mounts(&st.out, data);
		st.ctr.events++;
		return 0;
	}
	if (gh_frame_event(&st.out, data, size))
		st.ctr.events++;
	else
		st.ctr.bad_records++;
	if (st.out.len >= GH_FLUSH_BYTES)
		flush_out();
	return 0;
}

/* Read keys [0, n) of a per-CPU u64 array map into @vals (n rows of st.ncpu values) with
 * BPF_MAP_LOOKUP_BATCH: one system call for the whole map, where one lookup per key cost
 * ~1,000 of them at the end of every run. Returns the keys read (they come in order), or -1
 * when the kernel refused the command (it is Linux 5.6, older than what the programs need, but
 * an LSM may deny it). */
static long read_percpu_batch(int fd, uint32_t *keys, uint64_t *vals, uint32_t n)
{
	uint32_t done = 0, token = 0;

	while (done < n) {
		uint32_t count = n - done;
		int err = bpf_map_lookup_batch(fd, done ? &token : NULL, &token, keys + done,
					       vals + (size_t)done * st.ncpu, &count, NULL);

		if (err && err != -ENOENT) /* ENOENT: the end of the map, with the last count read */
			return -1;
		done += count;
		if (err || !count)
			break;
	}
	return done;
}

/* Sum a per-CPU u64 array map into @out[0..n): keys missing from the map (or unreadable)
 * count 0. */
static void read_percpu(int fd, uint64_t *out, uint32_t n)
{
	uint32_t *keys = calloc(n, sizeof(*keys));
	uint64_t *vals = calloc((size_t)n * st.ncpu, sizeof(*vals));
	long got = keys && vals ? read_percpu_batch(fd, keys, vals, n) : 0;

	memset(out, 0, n * sizeof(*out));
	for (long i = 0; i < got; i++) {
		if (keys[i] >= n)
			continue;
		for (int c = 0; c < st.ncpu; c++)
			out[keys[i]] += vals[(size_t)i * st.ncpu + c];
	}
	/* the batch refused: one lookup per key */
	for (uint32_t k = 0; got < 0 && k < n; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < st.ncpu; c++)
			out[k] += vals[c];
	}
	free(keys);
	free(vals);
}

/* The repeats the kernel counted instead of sending (struct gh_repeat), as `repeats` frames of
 * (rid, n) pairs; entries whose n is still 0 say nothing. */
static void send_repeats(int fd)
{
	uint64_t pairs[GH_REPEATS_PER_FRAME * 2];
	struct gh_repeat_key key, next;
	struct gh_repeat r;
	size_t npairs = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &r) || !r.n)
			continue;
		pairs[npairs * 2] = r.id;
		pairs[npairs * 2 + 1] = r.n;
		if (++npairs == GH_REPEATS_PER_FRAME) {
			gh_frame_repeats(&st.out, pairs, npairs);
			flush_out();
			npairs = 0;
		}
	}
	if (npairs)
		gh_frame_repeats(&st.out, pairs, npairs);
}

/* What moved over the sockets still in the kernel's table (struct gh_sock), one `socket`
 * frame each. */
static void send_sockets(int fd)
{
	uint64_t key, next, ts = now_ns(CLOCK_MONOTONIC);
	struct gh_sock s;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &s) || (!s.sent && !s.received && !s.connect))
			continue; /* nothing moved, no connect to decide: nothing to say */
		gh_frame_socket(&st.out, ts, &s);
		st.ctr.events++;
		if (st.out.len >= GH_FLUSH_BYTES)
			flush_out();
	}
}

/* Our pid namespace, so that the kernel side reports pids as our caller sees them (its level
 * is found in the kernel at adoption: /proc's NSpid depends on which /proc is mounted). */
static int read_pidns(uint64_t *dev, uint64_t *ino)
{
	struct stat sb;

	if (stat("/proc/self/ns/pid", &sb))
		return -errno;
	*dev = sb.st_dev;
	*ino = sb.st_ino;
	return 0;
}

/* The embedded object, or (only for a caller that is really root, or a helper without any
 * privilege) one from GLASSHOUSE_BPF_DIR; its CO-RE relocations against @btf_path, or the
 * kernel's own BTF when NULL. */
static struct gh_bpf *open_skel(const char *bpf_dir, const char *btf_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path);
	struct gh_bpf *skel = calloc(1, sizeof(*skel));
	static char *image;
	int err;

	if (!skel)
		return NULL;
	err = gh_bpf__create_skeleton(skel);
	if (err)
		goto fail;
	if (bpf_dir) {
		char path[4096];
		FILE *f;
		long n;

		snprintf(path, sizeof(path), "%s/glasshouse.bpf.o", bpf_dir);
		f = fopen(path, "re");
		if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) ||
		    !(image = malloc(n)) || fread(image, 1, n, f) != (size_t)n) {
			fprintf(stderr, "glasshouse-helper: cannot read %s: %s\n", path, strerror(errno));
			if (f)
				fclose(f);
			err = -ENOENT;
			goto fail;
		}
		fclose(f);
		fprintf(stderr, "glasshouse-helper: loading BPF programs from %s\n", path);
		skel->skeleton->data = image;
		skel->skeleton->data_sz = n;
	}
	err = bpf_object__open_skeleton(skel->skeleton, &opts);
	if (err)
		goto fail;
	return skel;
fail:
	gh_bpf__destroy(skel);
	errno = -err;
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: glasshouse-helper [--no-argv] [--ringbuf-mb N] [--verbose]\n"
		   "  Loads glasshouse's BPF programs, drops privilege, follows the pid named on stdin\n"
		   "  ('follow <pid>', then 'stop') and writes msgpack frames on stdout.\n"
		   "  --ringbuf-mb N  ring buffer size in MiB, a power of two from 1 to %d (default %d);\n"
		   "                  up to %d for a caller who is root\n"
		   "  Refuses to start when %d helpers of the caller's uid, or %d in all, are running\n"
		   "  (a root caller is exempt).\n",
		GH_RINGBUF_MB_USER, GH_RINGBUF_MB_DEFAULT, GH_RINGBUF_MB_MAX, GH_SLOTS_PER_UID, GH_SLOTS_TOTAL);
}

/* Put a checked follow request into the kernel (pending_vpid last: it arms the rest). */
static void arm(const struct gh_follow_id *id)
{
	st.skel->bss->pending_ino = id->ino;
	st.skel->bss->pending_ticks = id->ticks;
	st.skel->bss->pending_boot_off = id->boot_off;
	__atomic_store_n(&st.skel->bss->pending_vpid, (uint64_t)id->vpid, __ATOMIC_RELEASE);
	st.armed_pid = id->vpid;
	st.armed_at = now_ns(CLOCK_MONOTONIC);
	gh_frame_armed(&st.out, id->vpid);
}

/* A follow request the process never claimed (it made no syscall) expires: nothing is followed. */
static void expire(uint64_t now)
{
	uint64_t want = st.armed_pid;

	if (!st.armed_pid || now - st.armed_at < GH_ADOPT_WAIT_NS)
		return;
	if (__atomic_compare_exchange_n(&st.skel->bss->pending_vpid, &want, 0, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE) ||
	    now - st.armed_at >= 2 * GH_ADOPT_WAIT_NS) {
		fatal_frame("follow %u: the process made no syscall within %llu s; nothing is followed", st.armed_pid,
			    (unsigned long long)(GH_ADOPT_WAIT_NS / 1000000000ull));
		st.armed_pid = 0;
		st.status = 2;
		exiting = 1;
	}
	/* else the kernel claimed it just now: its decision is on the way */
}

/* Handle stdin commands; returns 1 to stop. A refused follow ends the helper (status 2): a
 * caller probing which pids it may follow learns one answer per helper. */
static int handle_stdin(struct gh_line_reader *lr, bool *asked)
{
	struct gh_follow_id id;
	char buf[256], why[256];
	const char *p = buf;
	size_t len;
	ssize_t n;

	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (n == 0)
		return 1; /* EOF: the controller is done or gone */
	len = n;
	for (;;) {
		struct gh_cmd c = gh_line_next(lr, &p, &len);

		switch (c.kind) {
		case GH_CMD_NONE:
			return 0;
		case GH_CMD_STOP:
			return 1;
		case GH_CMD_BAD:
			fatal_frame("protocol error: %s", c.why);
			exit(2);
		case GH_CMD_FOLLOW:
			if (*asked) {
				fatal_frame("protocol error: only one follow per run");
				exit(2);
			}
			*asked = true;
			if (gh_follow_check(c.pid, &id, why, sizeof(why))) {
				fatal_frame("%s", why);
				exit(2);
			}
			arm(&id);
			break;
		}
		flush_out();
	}
}

/* Block every signal and take them from a signalfd: the helper stops only when its parent
 * asks (stdin, or SIGTERM from it); a signal from anyone else is reported and ignored. SIGKILL
 * and SIGSTOP cannot be blocked: the first kills the helper (the controller sees a helper that
 * died), the second stops it (the kernel side counts what it could not deliver). */
static int signals_take(void)
{
	sigset_t all;

	sigfillset(&all);
	sigdelset(&all, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &all, NULL))
		return -1;
	return signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Returns 1 to stop. */
static int handle_signals(int fd)
{
	struct signalfd_siginfo si;
	int stop = 0;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if ((pid_t)si.ssi_pid == st.parent && si.ssi_signo == SIGTERM) {
			stop = 1;
			continue;
		}
		if ((pid_t)si.ssi_pid == getpid() || si.ssi_code == SI_KERNEL || (pid_t)si.ssi_pid == st.parent)
			continue;
		fprintf(stderr, "glasshouse-helper: ignored signal %d from pid %u (uid %u)\n", (int)si.ssi_signo,
			si.ssi_pid, si.ssi_uid);
		gh_frame_signal(&st.out, now_ns(CLOCK_MONOTONIC), si.ssi_signo, si.ssi_pid, si.ssi_uid);
	}
	return stop;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-argv", no_argument, NULL, 'A' },
		{ "ringbuf-mb", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *bpf_dir = getenv("GLASSHOUSE_BPF_DIR");
	struct gh_line_reader lr = {};
	struct gh_hello hello = {};
	struct gh_caller caller;
	struct gh_core_btf core_btf = { .fd = -1 };
	struct utsname uts;
	uint64_t counts[GH_MAX_SYSCALLS], last_stats;
	uint32_t ringbuf_mb = GH_RINGBUF_MB_DEFAULT;
	uint64_t ns_dev = 0, ns_ino = 0;
	bool capture_argv = true, asked = false, stdin_open = true;
	const char *reason = "stop";
	int opt, err, status = 1, sigfd, slot_fd = -1;
	char *end, why[256], slot_why[256];

	/* 1. Trust nothing inherited; let no one of the caller's uid read or steer us (ptrace,
	 * /proc/<pid>/mem, /proc/<pid>/fd: the kernel refuses them for a non-dumpable process). */
	if (gh_privilege_sanitize())
		return 2;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (bpf_dir && gh_privilege_is_elevated()) {
		fprintf(stderr, "glasshouse-helper: warning: GLASSHOUSE_BPF_DIR ignored: this helper runs with "
				"privilege it did not get from root; using the embedded programs\n");
		bpf_dir = NULL;
	}
	signal(SIGPIPE, SIG_IGN);
	sigfd = signals_take();
	if (sigfd < 0) {
		fatal_frame("cannot take signals: %s", strerror(errno));
		return 1;
	}
	st.parent = getppid();

	/* 2. Options. */
	while ((opt = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (opt) {
		case 'A':
			capture_argv = false;
			break;
		case 'r':
			ringbuf_mb = strtoul(optarg, &end, 10);
			if (*end || ringbuf_mb < 1 || ringbuf_mb > GH_RINGBUF_MB_MAX || (ringbuf_mb & (ringbuf_mb - 1))) {
				fprintf(stderr, "glasshouse-helper: --ringbuf-mb must be a power of two from 1 to %d\n",
					GH_RINGBUF_MB_MAX);
				return 2;
			}
			if (ringbuf_mb > GH_RINGBUF_MB_USER && getuid() != 0) {
				fprintf(stderr, "glasshouse-helper: --ringbuf-mb above %d needs a root caller: the ring buffer is kernel memory\n",
					GH_RINGBUF_MB_USER);
				return 2;
			}
			break;
		case 'v':
			st.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	held.on = true;
	libbpf_set_print(libbpf_print);

	/* A slot among the helpers running (slots.h), before anything costs the kernel memory. */
	if (gh_slot_take(&slot_fd, slot_why, sizeof(slot_why))) {
		fatal_frame("%s", slot_why);
		return 1;
	}

	/* 3. Open, configure, load, attach. */
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		fatal_frame("this kernel has no BTF (/sys/kernel/btf/vmlinux): BPF programs cannot be loaded");
		return 1;
	}
	err = read_pidns(&ns_dev, &ns_ino);
	if (err) {
		fatal_frame("cannot read the pid namespace: %s", strerror(-err));
		return 1;
	}
	if (gh_caller_read(&caller, why, sizeof(why))) {
		fatal_frame("%s", why);
		return 1;
	}
	/* the build's minimal BTF only for the embedded programs it was made for, on the kernel it
	 * was made from (core_btf.c) */
	if (bpf_dir)
		core_btf.why = "the programs are not the embedded ones";
	else
		gh_core_btf_choose(&core_btf);
	if (st.verbose)
		fprintf(stderr, "glasshouse-helper: CO-RE relocations against %s%s\n",
			core_btf.fd >= 0 ? "the minimal BTF made at build time from this kernel's BTF"
					 : "/sys/kernel/btf/vmlinux: ",
			core_btf.fd >= 0 ? "" : core_btf.why);
	st.ncpu = libbpf_num_possible_cpus();
	st.skel = open_skel(bpf_dir, core_btf.fd >= 0 ? core_btf.path : NULL);
	if (!st.skel || st.ncpu <= 0) {
		held_release(true);
		fatal_frame("cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	st.skel->rodata->ns_dev = ns_dev;
	st.skel->rodata->ns_ino = ns_ino;
	st.skel->rodata->capture_argv = capture_argv;
	st.skel->rodata->wakeup_bytes = (uint64_t)ringbuf_mb * 1024 * 1024 / 8;
	st.skel->rodata->caller_uid = caller.uid;
	st.skel->rodata->caller_gid = caller.gid;
	st.skel->rodata->caller_cap_prm = caller.cap_prm;
	st.skel->rodata->caller_cap_eff = caller.cap_eff;
	st.skel->rodata->caller_sees_all = caller.sees_all;
	st.skel->rodata->controller_vpid = caller.controller;
	st.skel->rodata->controller_pgid = caller.controller_pgid;
	st.skel->rodata->helper_vpid = caller.helper;
	st.skel->rodata->helper_pgid = caller.helper_pgid;
	st.skel->rodata->pipe_dev = caller.pipe_dev;
	st.skel->rodata->pipe_ino0 = caller.pipe_ino[0];
	st.skel->rodata->pipe_ino1 = caller.pipe_ino[1];
	st.skel->rodata->pipe_ino2 = caller.pipe_ino[2];
	st.skel->rodata->vmlinux_id_task_struct = core_btf.id_task_struct;
	st.skel->rodata->vmlinux_id_file = core_btf.id_file;
	bpf_map__set_max_entries(st.skel->maps.scratch, st.ncpu);
	bpf_map__set_max_entries(st.skel->maps.events, ringbuf_mb * 1024 * 1024);

	err = gh_bpf__load(st.skel);
	held_release(err != -EPERM && err != -EACCES);
	if (err) {
		fatal_frame("cannot load the BPF programs: %s%s", strerror(-err),
			    err == -EPERM || err == -EACCES ? " (needs CAP_BPF and CAP_PERFMON, or root)"
			    : core_btf.fd >= 0 ? " (relocated against the minimal BTF recorded at build time)" : "");
		goto cleanup;
	}
	gh_core_btf_close(&core_btf); /* relocated: libbpf is done with it */
	err = gh_bpf__attach(st.skel);
	if (err) {
		fatal_frame("cannot attach the BPF programs: %s", strerror(-err));
		goto cleanup;
	}

	/* 4. Drop every privilege before doing anything on the caller's behalf. */
	hello.privilege = gh_privilege_mode();
	err = gh_privilege_drop();
	if (err) {
		fatal_frame("cannot drop privilege: %s", strerror(-err));
		goto cleanup;
	}

	st.rb = ring_buffer__new(bpf_map__fd(st.skel->maps.events), on_record, NULL, NULL);
	if (!st.rb) {
		fatal_frame("cannot open the ring buffer: %s", strerror(errno));
		goto cleanup;
	}

	uname(&uts);
	hello.arch = uts.machine;
	hello.mono_ns = now_ns(CLOCK_MONOTONIC);
	hello.real_ns = now_ns(CLOCK_REALTIME);
	hello.argv = capture_argv;
	hello.ringbuf = ringbuf_mb * 1024 * 1024;
	hello.pid = getpid();
	gh_frame_hello(&st.out, &hello);
	flush_out();

	/* 5. Follow, stream, stop. */
	last_stats = now_ns(CLOCK_MONOTONIC);
	while (!exiting) {
		struct pollfd fds[4] = {
			{ .fd = ring_buffer__epoll_fd(st.rb), .events = POLLIN },
			{ .fd = sigfd, .events = POLLIN },
			{ .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = slot_fd, .events = POLLIN }, /* -1 (ignored) without a slot */
		};
		int n = poll(fds, 4, GH_POLL_MS);
		uint64_t now;

		if (n < 0 && errno != EINTR)
			break;
		ring_buffer__consume(st.rb);
		if (n > 0 && (fds[1].revents & POLLIN) && handle_signals(sigfd)) {
			reason = "signal";
			break;
		}
		if (n > 0 && (fds[3].revents & POLLIN))
			gh_slot_serve(slot_fd);
		if (n > 0 && stdin_open && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (handle_stdin(&lr, &asked)) {
				reason = "stop";
				break;
			}
		}
		now = now_ns(CLOCK_MONOTONIC);
		expire(now);
		if (now - last_stats >= GH_STATS_NS) {
			read_percpu(bpf_map__fd(st.skel->maps.lost), st.ctr.lost, GH_EV_MAX);
			gh_frame_stats(&st.out, now, &st.ctr);
			last_stats = now;
		}
		flush_out();
	}
	if (st.status) { /* the follow failed when it ran: the fatal error said so */
		flush_out();
		status = st.status;
		goto cleanup;
	}

	/* Drain what the kernel already produced, then the totals. */
	ring_buffer__consume(st.rb);
	read_percpu(bpf_map__fd(st.skel->maps.lost), st.ctr.lost, GH_EV_MAX);
	read_percpu(bpf_map__fd(st.skel->maps.counts), counts, GH_MAX_SYSCALLS);
	send_sockets(bpf_map__fd(st.skel->maps.sockets));
	send_repeats(bpf_map__fd(st.skel->maps.repeats));
	gh_frame_end(&st.out, now_ns(CLOCK_MONOTONIC), &st.ctr, counts, GH_MAX_SYSCALLS, reason);
	flush_out();
	if (st.ctr.bad_records)
		fprintf(stderr, "glasshouse-helper: %llu malformed records dropped\n",
			(unsigned long long)st.ctr.bad_records);
	status = st.broken_pipe ? 1 : 0;

cleanup:
	gh_core_btf_close(&core_btf);
	held_release(true);
	ring_buffer__free(st.rb);
	gh_bpf__destroy(st.skel);
	free(st.out.data);
	return status;
}
