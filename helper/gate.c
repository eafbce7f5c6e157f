// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * glasshouse-gate: starts the command only once the helper follows it.
 *
 *   glasshouse-gate <command> [args...]      (fd 3: a socket to the controller)
 *
 * It blocks reading bytes from fd 3: 'w' wakes it and it waits again (the controller's nudge
 * once the helper is armed to follow it), 'g' starts the command. It then looks the command up
 * in PATH (without exec attempts for names that are not there, so the receipt shows the one
 * exec that matters) and execs it once, with fd 3 closed on exec: the controller then reads
 * EOF. A file the kernel will not run (ENOEXEC: a script without `#!`) runs with /bin/sh, as
 * execvp does; "sh" and a newline on fd 3 say so first. If the exec fails it writes the errno name and a newline to fd 3 and exits as
 * a shell would: 127 when the command is not found, 126 when it cannot be executed. On EOF or
 * anything else before 'g' it exits 125. The command is killed (SIGKILL, PR_SET_PDEATHSIG) if
 * gh-run dies before it: the kernel clears that for a setuid/setgid/file-capability exec.
 * No privilege, no BPF: just an unprivileged, race-free starting line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define CTL_FD 3

static void report(int err)
{
	const char *name = strerrorname_np(err);
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%s\n", name ? name : "EIO");

	if (write(CTL_FD, buf, n) < 0) {
		/* the controller is gone; nothing more to tell */
	}
}

/* execvp's search order, but only exec a candidate that exists. */
static const char *resolve(const char *file, char *buf, size_t len, int *err)
{
	const char *path = getenv("PATH");
	const char *p;

	if (strchr(file, '/'))
		return file;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	*err = ENOENT;
	for (p = path;; p = strchr(p, ':') + 1) {
		const char *end = strchrnul(p, ':');
		size_t dlen = end - p;
		struct stat sb;

		if (dlen == 0)
			snprintf(buf, len, "%s", file);
		else
			snprintf(buf, len, "%.*s/%s", (int)dlen, p, file);
		if (stat(buf, &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (access(buf, X_OK) == 0)
				return buf;
			*err = EACCES; /* remember, as execvp does, and keep looking */
		}
		if (*end == '\0')
			break;
	}
	return NULL;
}

/* The command's stdout and stderr, when they are pipes, are the controller's relay pipes (a
 * terminal is handed over as it is, never a pipe of the user's): 1 MiB instead of 64 KiB lets the
 * relay read 16 times as much per read() (2 GiB relayed: 2.7 s -> 2.35 s here). The command
 * can see it (F_GETPIPE_SZ; a writer blocks later). The unprivileged limit is
 * fs.pipe-max-size (1 MiB by default); a failure leaves the pipe as it was. */
static void enlarge_pipe(int fd)
{
	struct stat sb;

	if (fstat(fd, &sb) == 0 && S_ISFIFO(sb.st_mode))
		(void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
}

int main(int argc, char **argv)
{
	char go = 0, buf[PATH_MAX];
	pid_t parent = getppid();
	const char *prog;
	ssize_t n;
	int err = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: glasshouse-gate <command> [args...]  (fd 3 from the controller)\n");
		return 2;
	}
	/* before the helper follows us: not the command's doing, not in its receipt */
	enlarge_pipe(STDOUT_FILENO);
	enlarge_pipe(STDERR_FILENO);
	/* 'w' only wakes us: the syscall it ends is where the helper's kernel side adopts us (a
	 * follow is decided at the first syscall made under the pid it names). 'g' is the start. */
	do
		n = read(CTL_FD, &go, 1);
	while ((n < 0 && errno == EINTR) || (n == 1 && go == 'w'));
	if (n != 1 || go != 'g')
		return 125;
	/* gh-run's death kills the command: it must not run on unobserved. The parent could die
	 * before the prctl takes effect: then we are an orphan already, and stop. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		return 125;
	if (fcntl(CTL_FD, F_SETFD, FD_CLOEXEC) < 0)
		return 125;
	prog = resolve(argv[1], buf, sizeof(buf), &err);
	if (prog) {
		execv(prog, argv + 1);
		err = errno;
		if (err == ENOEXEC) {
			/* execvp's fallback: the file is a shell script without #!. argv[0] (the
			 * controller passed the command's argv[1..] after it) becomes the script's path,
			 * preceded by the shell; argv[] has room: argv[0] was our own name. */
			argv[0] = "/bin/sh";
			argv[1] = (char *)prog;
			/* the controller notes it: the receipt says the command ran as a shell script */
			if (write(CTL_FD, "sh\n", 3) < 0) {
				/* the controller is gone; the command runs all the same */
			}
			execv("/bin/sh", argv);
			err = errno;
		}
	}
	report(err);
	return err == ENOENT ? 127 : 126;
}
