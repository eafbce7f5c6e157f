/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The stdin line protocol (PROTOCOL.md) and the check of which process may be followed. */
#ifndef GLASSHOUSE_FOLLOW_H
#define GLASSHOUSE_FOLLOW_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define GH_LINE_MAX 64

enum gh_cmd_kind { GH_CMD_NONE, GH_CMD_FOLLOW, GH_CMD_STOP, GH_CMD_BAD };

struct gh_cmd {
	enum gh_cmd_kind kind;
	pid_t pid;
	const char *why;  /* for GH_CMD_BAD */
};

struct gh_line_reader {
	char buf[GH_LINE_MAX];
	size_t len;
};

/* Feed bytes read from stdin; returns the first complete command (consuming it), or
 * GH_CMD_NONE when more input is needed. */
struct gh_cmd gh_line_next(struct gh_line_reader *r, const char **data, size_t *len);

/* What identifies the one process a follow was checked for, for the kernel side to compare
 * at adoption (maps.bpf.h: pending_*). */
struct gh_follow_id {
	uint64_t ino;      /* pidfs inode number; 0 on kernels without pidfs */
	uint64_t ticks;    /* start time, clock ticks since boot, as /proc/<pid>/stat gives it */
	int64_t boot_off;  /* our time namespace's boot-time offset, which /proc added */
	pid_t vpid;
};

/* 0 when @pid may be followed: a live process (not a thread id, not a zombie), a child of our
 * parent, running with exactly our real uid and gid as its real, effective, saved and fs ids;
 * @id then identifies it. Otherwise -1 and a reason in @why. */
int gh_follow_check(pid_t pid, struct gh_follow_id *id, char *why, size_t why_len);

#endif
