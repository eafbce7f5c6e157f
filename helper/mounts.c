// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frames.h"
#include "mounts.h"

#define GH_MOUNT_LINES_MAX 4096
#define GH_MOUNT_BYTES_MAX (512u * 1024)
#define GH_NS_KEPT         16  /* namespaces remembered */
#define GH_NS_PIDS         8   /* processes remembered per namespace */

/* Processes last seen in each foreign mount namespace, newest first: when the one that changed
 * the mounts is gone by the time we read (a `mount` process lives a millisecond), another one
 * of the same namespace shows them. And /proc/<tid>/mountinfo of the first task seen there,
 * held open: the open file holds the namespace itself (proc(5): it lists the namespace's mounts
 * as they are at each read from the start), so the mounts can still be read when every task we
 * know of in it has exited by the time the helper gets to the event (a busy machine). */
static struct {
	uint32_t ns;
	int fd;
	uint32_t pids[GH_NS_PIDS];
} seen[GH_NS_KEPT];
static unsigned int seen_next;

/* The mount namespace inode of task @tid, or 0. */
static uint32_t ns_of(uint32_t tid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%u/ns/mnt", tid);
	return stat(path, &st) == 0 ? (uint32_t)st.st_ino : 0;
}

/* /proc/<tid>/mountinfo, opened while the task is in namespace @ns (checked before and after:
 * the pid may have been reused, or the task moved), or -1. */
static int hold_mountinfo(uint32_t tid, uint32_t ns)
{
	char path[64];
	int fd;

	if (ns_of(tid) != ns)
		return -1;
	snprintf(path, sizeof(path), "/proc/%u/mountinfo", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && ns_of(tid) != ns) {
		close(fd);
		fd = -1;
	}
	return fd;
}

void gh_mounts_seen(const struct gh_event_header *h)
{
	unsigned int i;

	if (!h->mnt_ns || !h->pid)
		return;
	for (i = 0; i < GH_NS_KEPT && seen[i].ns != h->mnt_ns; i++)
		;
	if (i == GH_NS_KEPT) {
		i = seen_next++ % GH_NS_KEPT;
		if (seen[i].ns && seen[i].fd >= 0)
			close(seen[i].fd);
		memset(&seen[i], 0, sizeof(seen[i]));
		seen[i].ns = h->mnt_ns;
		seen[i].fd = hold_mountinfo(h->tid, h->mnt_ns);
	}
	if (seen[i].pids[0] == h->pid)
		return;
	memmove(&seen[i].pids[1], &seen[i].pids[0], sizeof(seen[i].pids) - sizeof(seen[i].pids[0]));
	seen[i].pids[0] = h->pid;
}

/* Read the whole of a mountinfo file from its start (NUL-terminated, malloc'd), or NULL with
 * errno. */
static char *read_all(int fd, size_t *len, bool *truncated)
{
	char *buf, extra;
	size_t n = 0;
	ssize_t got;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return NULL;
	buf = malloc(GH_MOUNT_BYTES_MAX + 1);
	if (!buf)
		return NULL;
	while (n < GH_MOUNT_BYTES_MAX) {
		got = read(fd, buf + n, GH_MOUNT_BYTES_MAX - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(buf);
			return NULL;
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	*truncated = n == GH_MOUNT_BYTES_MAX && read(fd, &extra, 1) == 1;
	buf[n] = '\0';
	*len = n;
	return buf;
}

static char *read_mountinfo(uint32_t id, size_t *len, bool *truncated)
{
	char path[64], *buf;
	int fd, saved;

	snprintf(path, sizeof(path), "/proc/%u/mountinfo", id);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = read_all(fd, len, truncated);
	saved = errno;
	close(fd);
	errno = saved;
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

	/* the thread that did it, else its process (each only while still in that namespace: the
	 * pid may be reused by now), else the namespace's mountinfo held open since it was first
	 * seen, else another process last seen in it (a task entering another one says so:
	 * unshare, setns and clone are events) */
	uint32_t tries[2 + GH_NS_PIDS] = { e->h.tid, e->h.pid };
	unsigned int ntries = 2;
	int held = -1;

	for (unsigned int i = 0; i < GH_NS_KEPT; i++)
		if (seen[i].ns == e->h.mnt_ns) {
			held = seen[i].fd;
			for (unsigned int k = 0; k < GH_NS_PIDS && seen[i].pids[k]; k++)
				tries[ntries++] = seen[i].pids[k];
		}
	for (unsigned int k = 0; k < ntries && !text; k++) {
		if (k == 2 && held >= 0 && (text = read_all(held, &len, &truncated)))
			break;
		if (k > 0 && tries[k] == tries[k - 1])
			continue;
		if (ns_of(tries[k]) != e->h.mnt_ns) {
			errno = ESRCH;
			continue;
		}
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
