/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What a mount namespace other than gh-run's looks like: /proc/<tid>/mountinfo, as a frame. */
#ifndef GLASSHOUSE_MOUNTS_H
#define GLASSHOUSE_MOUNTS_H

#include "msgpack.h"
#include "../ebpf/events.h"

/* Note which process an event came from, in which mount namespace. */
void gh_mounts_seen(const struct gh_event_header *h);
/* A `mounts` frame for the namespace of the task in @e (PROTOCOL.md). */
void gh_frame_mounts(struct mp_buf *b, const struct gh_mount_event *e);

#endif
