/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Who the helper works for and what it must protect: read once at start, before the BPF
 * programs are loaded (they are rodata there). */
#ifndef GLASSHOUSE_CALLER_H
#define GLASSHOUSE_CALLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct gh_caller {
	uint32_t uid, gid;         /* the caller's real ids (ours) */
	uint64_t cap_prm, cap_eff; /* the caller's (our parent's) permitted and effective capabilities */
	bool sees_all;             /* the caller holds CAP_SYS_PTRACE: ptrace would let it trace anything */
	pid_t controller, controller_pgid; /* our parent, and its process group */
	pid_t helper, helper_pgid;
	uint64_t pipe_dev;         /* kernel dev_t of our pipes' file system (pipefs) */
	uint64_t pipe_ino[3];      /* stdin, stdout, stderr when they are pipes; else 0 */
};

/* 0, or -1 with a reason in @why. */
int gh_caller_read(struct gh_caller *c, char *why, size_t why_len);

#endif
