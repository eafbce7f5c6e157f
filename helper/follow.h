/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The stdin line protocol (PROTOCOL.md) and the check of which process may be followed. */
#ifndef GLASSHOUSE_FOLLOW_H
#define GLASSHOUSE_FOLLOW_H

#include <stddef.h>
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

/* 0 when @pid may be followed: a child of our parent, with our real uid. Otherwise -1 and
 * a reason in @why. */
int gh_follow_check(pid_t pid, char *why, size_t why_len);

#endif
