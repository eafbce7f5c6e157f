// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * glasshouse-init: the init's work for `glasshouse run --guest` (or glasshouse as PID 1).
 *
 *   glasshouse-init [--mount] -- <program> [args...]
 *
 * Why a separate C program: Node cannot reap processes it did not spawn (libuv waits only for
 * its own children) and cannot exec, so a Node PID 1 would collect zombies from every orphan of
 * the command. The privileged helper is not the place either: it holds privilege only until its
 * BPF programs are attached, must stay small enough to audit, and runs beside the command, not
 * above it. So this small unprivileged program sits between PID 1 and the controller:
 *
 *  - it becomes a child subreaper, so every orphan of the tree below it is reparented to it,
 *    PID 1 or not, and it reaps them all (no zombie remains, however many there are);
 *  - with --mount it prepares a bare guest: proc on /proc, sysfs on /sys, bpf on /sys/fs/bpf when
 *    missing, RLIMIT_MEMLOCK raised (older kernels charge BPF memory to it). What it mounted and
 *    what failed goes to the child in GLASSHOUSE_GUEST_MOUNTED ("fs:target,...") and
 *    GLASSHOUSE_GUEST_ERRORS (one failure per line); failures are not fatal;
 *  - it forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 to its child;
 *  - when the child exits it reaps what is left for a short while, then exits with the child's
 *    status (its exit code, or 128+N after signal N).
 *
 * No BPF and no privilege of its own: mounting only works when its caller is root.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

#define PREFIX "glasshouse-init: "
/* how long to keep reaping leftovers after the command's root has exited */
#define LINGER_NS (200 * 1000000L)

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

/* ---- guest preparation (--mount) ------------------------------------------------------- */

struct report {
	char mounted[256];  /* "proc:/proc,sysfs:/sys" */
	char errors[2048];  /* "mount bpf on /sys/fs/bpf: Operation not permitted\n..." */
};

static void append(char *buf, size_t size, const char *sep, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t size, const char *sep, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len > 0 && len < size)
		len += snprintf(buf + len, size - len, "%s", sep);
	if (len >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

static int exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static int is_fs(const char *path, long magic)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (long)sf.f_type == magic;
}

/* mkdir -p for an absolute path (mount points of a bare root). */
static int make_dirs(const char *path)
{
	char buf[256];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(buf, 0555) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

static void mount_fs(struct report *r, const char *fs, const char *target)
{
	int err = make_dirs(target);

	if (err == 0 && mount(fs, target, fs, MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		err = -errno;
	if (err == 0) {
		append(r->mounted, sizeof(r->mounted), ",", "%s:%s", fs, target);
		return;
	}
	append(r->errors, sizeof(r->errors), "\n", "mount %s on %s: %s", fs, target, strerror(-err));
}

static void prepare_guest(struct report *r)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

	if (!exists("/proc/self"))
		mount_fs(r, "proc", "/proc");
	if (!exists("/sys/kernel"))
		mount_fs(r, "sysfs", "/sys");
	if (!is_fs("/sys/fs/bpf", BPF_FS_MAGIC))
		mount_fs(r, "bpf", "/sys/fs/bpf");
	/* kernels before 5.11 charge BPF maps to RLIMIT_MEMLOCK; newer ones ignore it. Not being
	 * allowed to raise it is not worth an error: the helper says so if loading fails. */
	if (setrlimit(RLIMIT_MEMLOCK, &unlimited) < 0) {
		struct rlimit cur;

		if (getrlimit(RLIMIT_MEMLOCK, &cur) == 0 && cur.rlim_cur < cur.rlim_max) {
			cur.rlim_cur = cur.rlim_max;
			setrlimit(RLIMIT_MEMLOCK, &cur);
		}
	}
}

/* ---- the child and its status ------------------------------------------------------------ */

static int status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static pid_t start_child(char **argv, const sigset_t *old_mask)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* the child gets the signal mask we had; dispositions were never changed */
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	execvp(argv[0], argv);
	fprintf(stderr, PREFIX "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Reap every child that has exited; remembers the status of @child. Returns the number of
 * children left to wait for: 0 when there are none at all (ECHILD), else 1. */
static int reap(pid_t child, int *child_status, int *child_done)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);

		if (pid > 0) {
			if (pid == child) {
				*child_status = status;
				*child_done = 1;
			}
			continue;
		}
		if (pid == 0)
			return 1;
		if (errno == EINTR)
			continue;
		if (errno != ECHILD)
			fprintf(stderr, PREFIX "waitpid: %s\n", strerror(errno));
		return 0;
	}
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: glasshouse-init [--mount] -- <program> [args...]\n");
}

int main(int argc, char **argv)
{
	struct report report = { "", "" };
	int mount = 0, i, child_status = 0, child_done = 0;
	sigset_t set, old_mask;
	long long deadline = 0;
	pid_t child;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--mount") == 0) {
			mount = 1;
		} else {
			fprintf(stderr, PREFIX "unknown option %s\n", argv[i]);
			usage();
			return 2;
		}
	}
	if (i + 1 >= argc) {
		usage();
		return 2;
	}

	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		fprintf(stderr, PREFIX "cannot become a subreaper (%s): orphans may stay zombies\n", strerror(errno));
	if (mount) {
		prepare_guest(&report);
		if (setenv("GLASSHOUSE_GUEST_MOUNTED", report.mounted, 1) < 0 ||
		    setenv("GLASSHOUSE_GUEST_ERRORS", report.errors, 1) < 0) {
			fprintf(stderr, PREFIX "setenv: %s\n", strerror(errno));
			return 1;
		}
	} else {
		unsetenv("GLASSHOUSE_GUEST_MOUNTED");
		unsetenv("GLASSHOUSE_GUEST_ERRORS");
	}

	/* Every signal we act on is blocked and taken synchronously with sigtimedwait: no handler
	 * races, no EINTR in the middle of our own work. Blocked before the fork, so a signal sent
	 * to us while the child starts is pending, not lost, and goes to the child once it exists. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t k = 0; k < NFORWARDED; k++)
		sigaddset(&set, forwarded[k]);
	if (sigprocmask(SIG_BLOCK, &set, &old_mask) < 0) {
		fprintf(stderr, PREFIX "sigprocmask: %s\n", strerror(errno));
		return 1;
	}
	child = start_child(argv + i + 1, &old_mask);
	if (child < 0) {
		fprintf(stderr, PREFIX "fork: %s\n", strerror(errno));
		return 1;
	}

	for (;;) {
		struct timespec wait = { 1, 0 }, *timeout = NULL;
		int sig, left = reap(child, &child_status, &child_done);

		if (child_done) {
			long long rest;

			if (!left)
				break;
			if (deadline == 0)
				deadline = now_ns() + LINGER_NS;
			rest = deadline - now_ns();
			if (rest <= 0)
				break;
			wait.tv_sec = rest / 1000000000LL;
			wait.tv_nsec = rest % 1000000000LL;
			timeout = &wait;
		} else if (!left) {
			/* our child is gone but was not seen: cannot happen; do not spin */
			fprintf(stderr, PREFIX "lost track of pid %d\n", (int)child);
			return 1;
		}
		sig = timeout ? sigtimedwait(&set, NULL, timeout) : sigwaitinfo(&set, NULL);
		if (sig < 0) {
			if (errno != EINTR && errno != EAGAIN) {
				fprintf(stderr, PREFIX "sigwait: %s\n", strerror(errno));
				return 1;
			}
			continue;
		}
		if (sig != SIGCHLD && !child_done && kill(child, sig) < 0 && errno != ESRCH)
			fprintf(stderr, PREFIX "cannot forward signal %d to pid %d: %s\n", sig, (int)child, strerror(errno));
	}
	return status_code(child_status);
}
