/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Turning kernel records and helper facts into protocol frames (see PROTOCOL.md). */
#ifndef GLASSHOUSE_FRAMES_H
#define GLASSHOUSE_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "msgpack.h"

#define GH_PROTO_VERSION 5
#define GH_HELPER_VERSION "0.3.0"

enum { GH_LOST_SLOTS = 13 }; /* GH_EV_MAX */

struct gh_counters {
	uint64_t events;                  /* event frames written */
	uint64_t lost[GH_LOST_SLOTS];     /* by enum gh_event_type, read from the kernel */
	uint64_t bad_records;             /* records the helper could not decode */
};

struct gh_hello {
	const char *arch;
	uint64_t mono_ns, real_ns;
	bool argv;
	uint32_t ringbuf;
	const char *privilege;
	uint32_t pid;
};

/* Decode one ring-buffer record into a frame. Returns false (and writes nothing) for a record
 * that is malformed or not reportable. */
bool gh_frame_event(struct mp_buf *b, const void *data, size_t size);

void gh_frame_hello(struct mp_buf *b, const struct gh_hello *h);
void gh_frame_armed(struct mp_buf *b, uint32_t pid);
void gh_frame_following(struct mp_buf *b, uint32_t pid, uint64_t start);
/* A signal the helper received from someone other than its parent (it ignores it). */
void gh_frame_signal(struct mp_buf *b, uint64_t ts, int sig, uint32_t pid, uint32_t uid);
/* "openat" for a syscall number of this architecture, "syscall_N" when unknown. */
const char *gh_syscall_name(uint32_t nr);
void gh_frame_error(struct mp_buf *b, const char *msg, bool fatal);
/* One `repeats` frame: @npairs (rid, n) pairs from @pairs (rid0, n0, rid1, n1, ...). */
#define GH_REPEATS_PER_FRAME 4096
void gh_frame_repeats(struct mp_buf *b, const uint64_t *pairs, size_t npairs);
struct gh_sock;
/* One `socket` frame from an entry of the sockets map (at the end). */
void gh_frame_socket(struct mp_buf *b, uint64_t ts, const struct gh_sock *s);
void gh_frame_stats(struct mp_buf *b, uint64_t ts, const struct gh_counters *c);
/* @counts[nr] for nr < n */
void gh_frame_end(struct mp_buf *b, uint64_t ts, const struct gh_counters *c, const uint64_t *counts,
		  size_t n, const char *reason);

#endif
