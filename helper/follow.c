// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "follow.h"

static struct gh_cmd parse_line(const char *line)
{
	struct gh_cmd c = { .kind = GH_CMD_BAD, .why = "unknown command" };
	char *end;
	long pid;

	if (strcmp(line, "stop") == 0) {
		c.kind = GH_CMD_STOP;
		return c;
	}
	if (strncmp(line, "follow ", 7) == 0) {
		const char *p = line + 7;

		if (!isdigit((unsigned char)*p)) {
			c.why = "follow: pid must be a decimal number";
			return c;
		}
		pid = strtol(p, &end, 10);
		if (*end != '\0' || pid <= 0 || pid > 4194304) {
			c.why = "follow: bad pid";
			return c;
		}
		c.kind = GH_CMD_FOLLOW;
		c.pid = (pid_t)pid;
	}
	return c;
}

struct gh_cmd gh_line_next(struct gh_line_reader *r, const char **data, size_t *len)
{
	struct gh_cmd none = { .kind = GH_CMD_NONE };

	while (*len > 0) {
		char ch = **data;

		(*data)++;
		(*len)--;
		if (ch == '\n') {
			struct gh_cmd c;

			r->buf[r->len] = '\0';
			c = parse_line(r->buf);
			r->len = 0;
			return c;
		}
		if (ch == '\0' || r->len + 1 >= GH_LINE_MAX) {
			struct gh_cmd c = { .kind = GH_CMD_BAD, .why = ch ? "line too long" : "NUL byte in input" };

			r->len = 0;
			return c;
		}
		r->buf[r->len++] = ch;
	}
	return none;
}

/* state, ppid and start time (clock ticks since boot) from /proc/<pid>/stat: the fields after
 * the last ')' (the command name may hold anything). */
static int read_stat(pid_t pid, char *state, pid_t *ppid, unsigned long long *start)
{
	char path[64], buf[2048], *p;
	FILE *f;
	size_t n;
	int v;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
			 state, &v, start) != 3)
		return -1;
	*ppid = v;
	return 0;
}

/* The four uids or gids ("Uid:" / "Gid:" line) of /proc/<pid>/status: real, effective, saved, fs. */
static int read_ids(pid_t pid, const char *key, unsigned int ids[4])
{
	char path[64], line[256];
	size_t klen = strlen(key);
	int found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0) {
			if (sscanf(line + klen, " %u %u %u %u", &ids[0], &ids[1], &ids[2], &ids[3]) == 4)
				found = 0;
			break;
		}
	fclose(f);
	return found;
}

/* The boot-time offset of our time namespace, which /proc adds to start times. */
static int64_t boot_offset_ns(void)
{
	char line[128];
	long long sec, nsec;
	int64_t off = 0;
	FILE *f = fopen("/proc/self/timens_offsets", "re");

	if (!f)
		return 0; /* no time namespaces on this kernel */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "boottime %lld %lld", &sec, &nsec) == 2)
			off = (int64_t)sec * 1000000000 + nsec;
	fclose(f);
	return off;
}

#define GH_PIDFS_MAGIC 0x50494446

/* Whether @pid is the id of a thread that does not lead its process (/proc lists those too). */
static bool is_thread(pid_t pid)
{
	char path[64], line[256];
	bool thread = false;
	int tgid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1) {
			thread = tgid != pid;
			break;
		}
	fclose(f);
	return thread;
}

int gh_follow_check(pid_t pid, struct gh_follow_id *id, char *why, size_t why_len)
{
	unsigned long long start;
	unsigned int uids[4], gids[4];
	struct statfs sfs;
	struct stat sb;
	char state;
	pid_t ppid;
	int fd, err = -1;

	/* 1. Pin the process: a pidfd names one process, not a number (and refuses thread ids). */
	fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		int err = errno;

		if (is_thread(pid))
			snprintf(why, why_len, "follow %d: a thread id, not a process", (int)pid);
		else if (err == ESRCH || err == ENOENT)
			snprintf(why, why_len, "follow %d: no such process", (int)pid);
		else
			snprintf(why, why_len, "follow %d: cannot open it: %s", (int)pid, strerror(err));
		return -1;
	}
	memset(id, 0, sizeof(*id));
	if (fstatfs(fd, &sfs) == 0 && sfs.f_type == GH_PIDFS_MAGIC && fstat(fd, &sb) == 0)
		id->ino = sb.st_ino; /* unique for the boot: what the kernel side compares */

	/* 2. Check it through /proc. */
	if (read_stat(pid, &state, &ppid, &start) || read_ids(pid, "Uid:", uids) || read_ids(pid, "Gid:", gids)) {
		snprintf(why, why_len, "follow %d: no such process", (int)pid);
		goto out;
	}
	if (state == 'Z' || state == 'X') {
		snprintf(why, why_len, "follow %d: the process has exited (a zombie)", (int)pid);
		goto out;
	}
	if (ppid != getppid()) {
		snprintf(why, why_len, "follow %d: not a child of the helper's parent (%d)", (int)pid, (int)getppid());
		goto out;
	}
	for (int i = 0; i < 4; i++)
		if (uids[i] != getuid() || gids[i] != getgid()) {
			snprintf(why, why_len, "follow %d: it runs as uid %u/%u/%u/%u gid %u/%u/%u/%u, not as the caller (%u, %u)",
				 (int)pid, uids[0], uids[1], uids[2], uids[3], gids[0], gids[1], gids[2], gids[3],
				 getuid(), getgid());
			goto out;
		}

	/* 3. Still not reaped, so its pid could not have been reused: what /proc said was about it. */
	if (syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0)) {
		snprintf(why, why_len, "follow %d: the process exited while it was checked", (int)pid);
		goto out;
	}
	id->vpid = pid;
	id->ticks = start;
	id->boot_off = boot_offset_ns();
	err = 0;
out:
	close(fd);
	return err;
}
