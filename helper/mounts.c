// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "mounts.h"

#define GH_MOUNT_LINES_MAX 4096
#define GH_MOUNT_BYTES_MAX (512u * 1024)
#define GH_NS_KEPT         16  /* namespaces remembered */
#define GH_NS_PIDS         8   /* processes remembered per namespace */

/* Processes last seen in each foreign mount namespace, newest first: when the one that changed
 * the mounts is gone by the time we read (a `mount` process lives a millisecond), another one
 * of the same namespace shows them. */
static struct {
	uint32_t ns;
	uint32_t pids[GH_NS_PIDS];
} seen[GH_NS_KEPT];
static unsigned int seen_next;

void gh_mounts_seen(const struct gh_event_header *h)
{
	unsigned int i;

	if (!h->mnt_ns || !h->pid)
		return;
	for (i = 0; i < GH_NS_KEPT && seen[i].ns != h->mnt_ns; i++)
		;
	if (i == GH_NS_KEPT) {
		i = seen_next++ % GH_NS_KEPT;
		memset(&seen[i], 0, sizeof(seen[i]));
		seen[i].ns = h->mnt_ns;
	}
	if (seen[i].pids[0] == h->pid)
		return;
	memmove(&seen[i].pids[1], &seen[i].pids[0], sizeof(seen[i].pids) - sizeof(seen[i].pids[0]));
	seen[i].pids[0] = h->pid;
}

/* Read the whole of /proc/<id>/mountinfo (NUL-terminated, malloc'd), or NULL with errno. */
static char *read_mountinfo(uint32_t id, size_t *len, bool *truncated)
{
	char path[64], *buf;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/mountinfo", id);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	buf = malloc(GH_MOUNT_BYTES_MAX + 1);
	if (buf) {
		n = fread(buf, 1, GH_MOUNT_BYTES_MAX, f);
		*truncated = n == GH_MOUNT_BYTES_MAX && fgetc(f) != EOF;
		buf[n] = '\0';
	}
	fclose(f);
	*len = n;
	return buf;
}

/* One `mounts` frame: the first @lines lines of @text (NUL-terminated; cut up here), or nil
 * lines with @err. False when it was over the frame bound (and nothing was written). */
static bool put_mounts(struct mp_buf *b, const struct gh_mount_event *e, char *text, uint32_t lines,
		       bool truncated, const char *err)
{
	char *line, *save = NULL;

	mp_frame_begin(b);
	mp_map(b, 10);
	mp_kv_cstr(b, "t", "mounts");
	mp_kv_uint(b, "ts", e->h.ts);
	mp_kv_uint(b, "pid", e->h.pid);
	mp_kv_uint(b, "start", e->h.start);
	mp_kv_uint(b, "tid", e->h.tid);
	mp_kv_uint(b, "mnt_ns", e->h.mnt_ns);
	mp_kv_cstr(b, "call", gh_syscall_name(e->nr));
	mp_cstr(b, "lines");
	if (text) {
		mp_array(b, lines);
		line = strtok_r(text, "\n", &save);
		for (uint32_t k = 0; k < lines; k++) {
			mp_cstr(b, line ? line : "");
			line = strtok_r(NULL, "\n", &save);
		}
	} else {
		mp_nil(b);
	}
	mp_kv_bool(b, "truncated", truncated);
	mp_kv_cstr(b, "err", err);
	return mp_frame_end(b);
}

void gh_frame_mounts(struct mp_buf *b, const struct gh_mount_event *e)
{
	bool truncated = false;
	char *text = NULL;
	size_t len = 0;
	uint32_t lines = 0;
	int err = 0;

	/* the thread that did it, else its process, else another process last seen in the
	 * namespace (a task entering another one says so: unshare, setns and clone are events) */
	uint32_t tries[2 + GH_NS_PIDS] = { e->h.tid, e->h.pid };
	unsigned int ntries = 2;

	for (unsigned int i = 0; i < GH_NS_KEPT; i++)
		if (seen[i].ns == e->h.mnt_ns)
			for (unsigned int k = 0; k < GH_NS_PIDS && seen[i].pids[k]; k++)
				tries[ntries++] = seen[i].pids[k];
	for (unsigned int k = 0; k < ntries && !text; k++) {
		if (k > 0 && tries[k] == tries[k - 1])
			continue;
		text = read_mountinfo(tries[k], &len, &truncated);
	}
	if (!text)
		err = errno ? errno : ENOENT;
	for (size_t i = 0; text && i < len; i++)
		lines += text[i] == '\n';
	if (lines > GH_MOUNT_LINES_MAX) {
		lines = GH_MOUNT_LINES_MAX;
		truncated = true;
	}

	/* over the frame bound (1 MiB): say so rather than send half */
	if (!put_mounts(b, e, text, lines, truncated, err ? strerrorname_np(err) : NULL))
		put_mounts(b, e, NULL, 0, true, "E2BIG");
	free(text);
}
