// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* ppid from /proc/<pid>/stat: the field after the last ')' and the state letter. */
static int read_ppid(pid_t pid, pid_t *ppid)
{
	char path[64], buf[1024], *p;
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
	if (!p || sscanf(p + 1, " %*c %d", &v) != 1)
		return -1;
	*ppid = v;
	return 0;
}

static int read_ruid(pid_t pid, uid_t *uid)
{
	char path[64], line[256];
	unsigned int v;
	int found = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u", &v) == 1) {
			*uid = v;
			found = 0;
			break;
		}
	fclose(f);
	return found;
}

int gh_follow_check(pid_t pid, char *why, size_t why_len)
{
	pid_t ppid;
	uid_t uid;

	if (read_ppid(pid, &ppid) || read_ruid(pid, &uid)) {
		snprintf(why, why_len, "follow %d: no such process", (int)pid);
		return -1;
	}
	if (ppid != getppid()) {
		snprintf(why, why_len, "follow %d: not a child of the helper's parent (%d)", (int)pid, (int)getppid());
		return -1;
	}
	if (uid != getuid()) {
		snprintf(why, why_len, "follow %d: real uid %u is not the caller's (%u)", (int)pid, uid, getuid());
		return -1;
	}
	return 0;
}
