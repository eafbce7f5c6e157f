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
#include "follow.h"
#include "frames.h"
#include "privilege.h"
#include "slots.h"
#include "gh.skel.h"

#define GH_RINGBUF_MB_DEFAULT 16
#define GH_RINGBUF_MB_MAX     64
#define GH_RINGBUF_MB_USER    16  /* the most for a caller who is not root */
#define GH_POLL_MS            50
#define GH_STATS_NS           500000000ull
#define GH_FLUSH_BYTES        (256u * 1024)

static volatile sig_atomic_t exiting;

static struct {
	struct gh_bpf *skel;
	struct ring_buffer *rb;
	struct mp_buf out;
	struct gh_counters ctr;
	int ncpu;
	bool verbose;
	bool broken_pipe;
} st;

static void on_signal(int sig)
{
	(void)sig;
	exiting = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !st.verbose)
		return 0;
	if (level == LIBBPF_INFO && !st.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
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

static int on_record(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (gh_frame_event(&st.out, data, size))
		st.ctr.events++;
	else
		st.ctr.bad_records++;
	if (st.out.len >= GH_FLUSH_BYTES)
		flush_out();
	return 0;
}

/* Sum a per-CPU u64 array map into @out[0..n). */
static void read_percpu(int fd, uint64_t *out, uint32_t n)
{
	uint64_t *vals = calloc(st.ncpu, sizeof(uint64_t));

	for (uint32_t k = 0; vals && k < n; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < st.ncpu; c++)
			out[k] += vals[c];
	}
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
 * privilege) one from GLASSHOUSE_BPF_DIR. */
static struct gh_bpf *open_skel(const char *bpf_dir)
{
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
	err = bpf_object__open_skeleton(skel->skeleton, NULL);
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

/* Handle stdin commands; returns 1 to stop. */
static int handle_stdin(struct gh_line_reader *lr, bool *followed)
{
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
			if (*followed) {
				fatal_frame("protocol error: only one follow per run");
				exit(2);
			}
			if (gh_follow_check(c.pid, why, sizeof(why))) {
				fprintf(stderr, "glasshouse-helper: refused: %s\n", why);
				gh_frame_error(&st.out, why, false);
				break;
			}
			st.skel->bss->pending_vpid = c.pid;
			*followed = true;
			gh_frame_following(&st.out, c.pid);
			break;
		}
		flush_out();
	}
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
	struct utsname uts;
	uint64_t counts[GH_MAX_SYSCALLS], last_stats;
	uint32_t ringbuf_mb = GH_RINGBUF_MB_DEFAULT;
	uint64_t ns_dev = 0, ns_ino = 0;
	bool capture_argv = true, followed = false, stdin_open = true;
	const char *reason = "stop";
	int opt, err, status = 1, slot_fd = -1;
	char *end, slot_why[256];

	/* 1. Trust nothing inherited. */
	if (gh_privilege_sanitize())
		return 2;
	if (bpf_dir && gh_privilege_is_elevated()) {
		fprintf(stderr, "glasshouse-helper: warning: GLASSHOUSE_BPF_DIR ignored: this helper runs with "
				"privilege it did not get from root; using the embedded programs\n");
		bpf_dir = NULL;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);  /* a terminal ^C is for the command; the controller stops us */
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, on_signal);

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
	st.ncpu = libbpf_num_possible_cpus();
	st.skel = open_skel(bpf_dir);
	if (!st.skel || st.ncpu <= 0) {
		fatal_frame("cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	st.skel->rodata->ns_dev = ns_dev;
	st.skel->rodata->ns_ino = ns_ino;
	st.skel->rodata->capture_argv = capture_argv;
	st.skel->rodata->wakeup_bytes = (uint64_t)ringbuf_mb * 1024 * 1024 / 8;
	bpf_map__set_max_entries(st.skel->maps.scratch, st.ncpu);
	bpf_map__set_max_entries(st.skel->maps.events, ringbuf_mb * 1024 * 1024);

	err = gh_bpf__load(st.skel);
	if (err) {
		fatal_frame("cannot load the BPF programs: %s%s", strerror(-err),
			    err == -EPERM || err == -EACCES
				    ? " (needs CAP_BPF and CAP_PERFMON: run 'sudo make setcap', or run as root)"
				    : "");
		goto cleanup;
	}
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
	gh_frame_hello(&st.out, &hello);
	flush_out();

	/* 5. Follow, stream, stop. */
	last_stats = now_ns(CLOCK_MONOTONIC);
	while (!exiting) {
		struct pollfd fds[3] = {
			{ .fd = ring_buffer__epoll_fd(st.rb), .events = POLLIN },
			{ .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = slot_fd, .events = POLLIN }, /* -1 (ignored) without a slot */
		};
		int n = poll(fds, 3, GH_POLL_MS);
		uint64_t now;

		if (n < 0 && errno != EINTR)
			break;
		ring_buffer__consume(st.rb);
		if (n > 0 && (fds[2].revents & POLLIN))
			gh_slot_serve(slot_fd);
		if (n > 0 && stdin_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (handle_stdin(&lr, &followed)) {
				reason = "stop";
				break;
			}
		}
		now = now_ns(CLOCK_MONOTONIC);
		if (now - last_stats >= GH_STATS_NS) {
			read_percpu(bpf_map__fd(st.skel->maps.lost), st.ctr.lost, GH_EV_MAX);
			gh_frame_stats(&st.out, now, &st.ctr);
			last_stats = now;
		}
		flush_out();
	}
	if (exiting && !st.broken_pipe)
		reason = "signal";

	/* Drain what the kernel already produced, then the totals. */
	ring_buffer__consume(st.rb);
	read_percpu(bpf_map__fd(st.skel->maps.lost), st.ctr.lost, GH_EV_MAX);
	read_percpu(bpf_map__fd(st.skel->maps.counts), counts, GH_MAX_SYSCALLS);
	send_repeats(bpf_map__fd(st.skel->maps.repeats));
	gh_frame_end(&st.out, now_ns(CLOCK_MONOTONIC), &st.ctr, counts, GH_MAX_SYSCALLS, reason);
	flush_out();
	if (st.ctr.bad_records)
		fprintf(stderr, "glasshouse-helper: %llu malformed records dropped\n",
			(unsigned long long)st.ctr.bad_records);
	status = st.broken_pipe ? 1 : 0;

cleanup:
	ring_buffer__free(st.rb);
	gh_bpf__destroy(st.skel);
	free(st.out.data);
	return status;
}
