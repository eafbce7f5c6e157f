// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "frames.h"
#include "../ebpf/events.h"
#include "syscall_names.h"

static const char *const lost_names[GH_LOST_SLOTS] = {
	[GH_EV_EXEC] = "exec", [GH_EV_FORK] = "fork", [GH_EV_EXIT] = "exit",
	[GH_EV_OPEN] = "open", [GH_EV_NET] = "net", [GH_EV_ADOPT] = "adopt",
	[GH_EV_TAMPER] = "tamper", [GH_EV_WITHHELD] = "withheld", [GH_EV_MOUNT] = "mount",
	[GH_EV_CHANGE] = "change", [GH_EV_SOCKET] = "socket", [GH_EV_DNS] = "dns",
};

_Static_assert((int)GH_LOST_SLOTS == (int)GH_EV_MAX, "one lost counter per event type");

/* x86_64 syscalls newer than the <asm/unistd.h> this may be built with (Debian 12: Linux 6.1):
 * the kernel it runs on may have them (fchmodat2 is a change the receipt reports). */
static const char *const newer_names[] = {
	[452 - 452] = "fchmodat2", [453 - 452] = "map_shadow_stack", [454 - 452] = "futex_wake",
	[455 - 452] = "futex_wait", [456 - 452] = "futex_requeue", [457 - 452] = "statmount",
	[458 - 452] = "listmount", [459 - 452] = "lsm_get_self_attr", [460 - 452] = "lsm_set_self_attr",
	[461 - 452] = "lsm_list_modules", [462 - 452] = "mseal", [463 - 452] = "setxattrat",
	[464 - 452] = "getxattrat", [465 - 452] = "listxattrat", [466 - 452] = "removexattrat",
	[467 - 452] = "open_tree_attr",
};

const char *gh_syscall_name(uint32_t nr)
{
	static char buf[32];

	if (nr < GH_SYSCALL_NAMES_LEN && gh_syscall_names[nr])
		return gh_syscall_names[nr];
#if defined(__x86_64__)
	if (nr >= 452 && nr - 452 < sizeof(newer_names) / sizeof(newer_names[0]))
		return newer_names[nr - 452];
#endif
	snprintf(buf, sizeof(buf), "syscall_%u", nr);
	return buf;
}

static const char *call_name(uint16_t call)
{
	switch (call) {
	case GH_CALL_EXECVE:   return "execve";
	case GH_CALL_EXECVEAT: return "execveat";
	case GH_CALL_OPEN:     return "open";
	case GH_CALL_OPENAT:   return "openat";
	case GH_CALL_OPENAT2:  return "openat2";
	case GH_CALL_CREAT:    return "creat";
	case GH_CALL_CONNECT:  return "connect";
	case GH_CALL_SENDTO:   return "sendto";
	case GH_CALL_SENDMSG:  return "sendmsg";
	case GH_CALL_SENDMMSG: return "sendmsg"; /* each message, as the sendmsg it batches */
	case GH_CALL_LISTEN:   return "listen";
	case GH_CALL_ACCEPT:
	case GH_CALL_ACCEPT4:  return "accept";
	default:               return NULL;
	}
}

/* "ENOENT" for -2; nil for success */
static void put_err(struct mp_buf *b, int64_t ret)
{
	static char buf[32];
	const char *name;

	if (ret >= 0) {
		mp_nil(b);
		return;
	}
	name = strerrorname_np((int)-ret);
	if (!name) {
		snprintf(buf, sizeof(buf), "errno_%lld", (long long)-ret);
		name = buf;
	}
	mp_cstr(b, name);
}

/* A string piece: bytes up to the first NUL within @len. */
static void put_piece_str(struct mp_buf *b, const uint8_t *p, uint32_t len)
{
	mp_str(b, (const char *)p, strnlen((const char *)p, len));
}

#define GH_PATH_OUT  (4096 + 64)
#define GH_COMP_MAX  (4096 / 2 + 8)     /* components a blob of GH_PATH_MAX can hold */
#define GH_CUT_MARK  "\xe2\x80\xa6"     /* U+2026: a cut path starts with it, not with "/" */

/* What a path of an event is (which of its flags speak of it). */
enum path_role { ROLE_PATH, ROLE_CWD, ROLE_BASE };
static const uint16_t role_foreign[] = { GH_F_FOREIGN_PATH, GH_F_FOREIGN_CWD, GH_F_FOREIGN_BASE };
static const uint16_t role_trunc[] = { GH_F_PATH_TRUNC, GH_F_TRUNC_CWD, GH_F_TRUNC_BASE };

/* A path blob (components leaf first, NUL-terminated) as "/a/b/c" in @out (room for
 * GH_PATH_OUT); returns its length. */
static size_t path_string(const uint8_t *blob, uint32_t len, char *out)
{
	static const char *comp[GH_COMP_MAX];
	size_t n = 0, total = 0, pos = 0;

	while (pos < len && n < GH_COMP_MAX) {
		const char *c = (const char *)blob + pos;
		size_t l = strnlen(c, len - pos);

		comp[n++] = c;
		pos += l + 1;
	}
	if (n == 0) {
		out[0] = '/';
		return 1;
	}
	for (size_t i = n; i-- > 0;) {
		size_t l = strlen(comp[i]);

		if (total + 1 + l >= GH_PATH_OUT)
			break;
		out[total++] = '/';
		memcpy(out + total, comp[i], l);
		total += l;
	}
	return total;
}

/* The prefix a path of @role gets: "mnt:[<inode>]" when it is only meaningful in the task's own
 * mount namespace (it crossed a mount gh-run's does not have: no one can take it for a path
 * of gh-run's), then the cut mark when only its tail is known. Returns its length. */
static size_t path_prefix(const struct gh_event_header *h, enum path_role role, char *out)
{
	size_t n = 0;

	if ((h->flags & role_foreign[role]) && h->mnt_ns)
		n = snprintf(out, 32, "mnt:[%u]", h->mnt_ns);
	if (h->flags & role_trunc[role]) {
		memcpy(out + n, GH_CUT_MARK, sizeof(GH_CUT_MARK) - 1);
		n += sizeof(GH_CUT_MARK) - 1;
	}
	return n;
}

/* Whether the path of @role is a file with no path: its blob is the name /proc/<pid>/fd gives
 * (pipe:[ino], socket:[ino], anon_inode:[...], memfd:<name>). The exe, an open's file, or the
 * file an fexecve ran. */
static bool path_anon(const struct gh_event_header *h, enum path_role role)
{
	return (h->flags & GH_F_PATH_ANON) &&
	       (role == ROLE_PATH || (role == ROLE_BASE && (h->flags & GH_F_EMPTY_PATH)));
}

/* A path of the event's task, as the receipt names it (see path_prefix, path_anon). */
static void put_task_path(struct mp_buf *b, const struct gh_event_header *h, enum path_role role,
			  const uint8_t *blob, uint32_t len)
{
	char out[GH_PATH_OUT + 64];
	size_t n;

	if (path_anon(h, role)) {
		put_piece_str(b, blob, len);
		return;
	}
	n = path_prefix(h, role, out);
	n += path_string(blob, len, out + n);
	mp_str(b, out, n);
}

/* The base a relative path was walked against: an empty blob is "/"; none at all (a dirfd that
 * names no file: GH_F_TRUNC_BASE with nothing walked) is nil. */
static void put_base(struct mp_buf *b, const struct gh_event_header *h, const uint8_t *base, uint32_t len)
{
	if (len == 0 && (h->flags & GH_F_TRUNC_BASE))
		mp_nil(b);
	else
		put_task_path(b, h, ROLE_BASE, base, len);
}

/* An absolute path @p that a task under another root (a chroot, another mount namespace) named:
 * that root's path, then @p, as one path (GH_F_BASE_ROOT). */
static void put_rooted(struct mp_buf *b, const struct gh_event_header *h, const uint8_t *root, uint32_t root_len,
		       const uint8_t *p, uint32_t plen)
{
	char out[GH_PATH_OUT * 2 + 64];
	size_t n = path_prefix(h, ROLE_BASE, out), l = strnlen((const char *)p, plen), r;

	r = path_string(root, root_len, out + n);
	if (r > 1) /* a root of "/" adds nothing */
		n += r;
	memcpy(out + n, p, l);
	mp_str(b, out, n + l);
}

/* Keys every event frame has (t, ts, pid, start, and tid when @tid), and mnt_ns when the task
 * is in another mount namespace than gh-run's. */
static uint32_t common_keys(const struct gh_event_header *h, bool tid)
{
	return 4 + tid + (h->mnt_ns != 0);
}

static void put_signal(struct mp_buf *b, int64_t sig)
{
	const char *abbrev = sig > 0 && sig < 65 ? sigabbrev_np((int)sig) : NULL;
	char name[32];

	if (abbrev)
		snprintf(name, sizeof(name), "SIG%s", abbrev);
	else
		snprintf(name, sizeof(name), "SIG%lld", (long long)sig);
	mp_cstr(b, name);
}

static void put_common(struct mp_buf *b, const char *type, const struct gh_event_header *h, bool tid)
{
	mp_kv_cstr(b, "t", type);
	mp_kv_uint(b, "ts", h->ts);
	mp_kv_uint(b, "pid", h->pid);
	mp_kv_uint(b, "start", h->start);
	if (tid)
		mp_kv_uint(b, "tid", h->tid);
	if (h->mnt_ns)
		mp_kv_uint(b, "mnt_ns", h->mnt_ns);
}

/* NUL-terminated strings of @p: where each starts (at most @max); returns how many. A trailing
 * piece without NUL is dropped (and @truncated set). */
static uint32_t split_strings(const uint8_t *p, uint32_t len, const char **out, uint32_t max, bool *truncated)
{
	uint32_t n = 0, end = len;

	while (end > 0 && p[end - 1] != '\0')
		end--;
	if (end != len)
		*truncated = true;
	for (uint32_t pos = 0; pos < end && n < max; pos += strnlen((const char *)p + pos, end - pos) + 1)
		out[n++] = (const char *)p + pos;
	return n;
}

static void put_strings(struct mp_buf *b, const char *const *s, uint32_t n)
{
	mp_array(b, n);
	for (uint32_t i = 0; i < n; i++)
		mp_cstr(b, s[i]);
}

/* The argv of an exec as the caller passed it, and (for a script) what the kernel built for the
 * interpreter: the new image's argv begins with the interpreter, its argument, and the script,
 * in place of argv[0]; argv[1..] follow unchanged. With the argc and argv[0] staged at the
 * start of the exec, the two are told apart exactly; without them a script's argv is unknown
 * (nil), and the interpreter's list is the whole of the new argv. */
static void put_exec_argv(struct mp_buf *b, const struct gh_exec_event *e, const uint8_t *argv0,
			  const uint8_t *argv, bool *trunc, bool *has_interp, uint32_t *interp_n, const char ***interp)
{
	static const char *f[GH_ARGC_MAX];
	static const char *out[GH_ARGC_MAX + 1];
	uint32_t n = split_strings(argv, e->argv_len, f, GH_ARGC_MAX, trunc), argc = e->argc;
	bool staged = argc != GH_ARGC_UNKNOWN;

	*has_interp = false;
	if (!(e->h.flags & GH_F_SCRIPT)) {
		/* what the caller passed; an empty argv the kernel gave a "" (Linux 5.18 on) */
		put_strings(b, f, staged && argc == 0 && n == 1 && f[0][0] == '\0' ? 0 : n);
		return;
	}
	*has_interp = true;
	if (staged && argc == 0) {
		*interp = f;
		*interp_n = n;
		mp_array(b, 0);
		return;
	}
	if (staged && e->argv0_len && argc - 1 < n) {
		uint32_t k = n - (argc - 1); /* entries the kernel put in place of argv[0] */

		*interp = f;
		*interp_n = k;
		out[0] = (const char *)argv0;
		memcpy(out + 1, f + k, (n - k) * sizeof(*out));
		put_strings(b, out, n - k + 1);
		return;
	}
	*interp = f;
	*interp_n = n;
	mp_nil(b);
}

static bool frame_exec(struct mp_buf *b, const struct gh_exec_event *e, size_t size)
{
	const uint8_t *path = e->data, *exe, *cwd, *base, *argv0, *argv;
	bool trunc = e->h.flags & GH_F_ARGV_TRUNC, relative, rooted, anon = e->h.flags & GH_F_PATH_ANON;
	bool withheld = e->h.flags & GH_F_WITHHELD, empty = e->h.flags & GH_F_EMPTY_PATH, has_interp = false;
	bool cut = e->h.flags & (GH_F_PATH_TRUNC | GH_F_TRUNC_CWD | GH_F_TRUNC_BASE);
	const char **interp = NULL;
	uint32_t interp_n = 0;
	bool script_argv;

	if ((uint64_t)sizeof(*e) + e->path_len + e->exe_len + e->cwd_len + e->base_len + e->argv0_len + e->argv_len > size)
		return false;
	exe = path + e->path_len;
	cwd = exe + e->exe_len;
	base = cwd + e->cwd_len;
	argv0 = base + e->base_len;
	argv = argv0 + e->argv0_len;
	if (e->argv0_len && argv0[e->argv0_len - 1] != '\0')
		return false;
	relative = e->path_len > 0 && path[0] != '/';
	rooted = !relative && (e->h.flags & GH_F_BASE_ROOT); /* an empty base blob is "/" */

	has_interp = (e->h.flags & GH_F_SCRIPT) && !(e->h.flags & GH_F_ARGV_MISSING);
	mp_map(b, common_keys(&e->h, true) + 12 + has_interp + anon + withheld + cut);
	put_common(b, "exec", &e->h, true);
	mp_kv_uint(b, "ppid", e->ppid);
	mp_kv_uint(b, "uid", e->uid);
	mp_kv_uint(b, "euid", e->euid);
	mp_kv_cstr(b, "call", call_name(e->call));
	mp_cstr(b, "path");
	if (empty) /* fexecve: the file behind the fd */
		put_task_path(b, &e->h, ROLE_BASE, base, e->base_len);
	else if (rooted)
		put_rooted(b, &e->h, base, e->base_len, path, e->path_len);
	else
		put_piece_str(b, path, e->path_len);
	mp_cstr(b, "base");
	if (!relative || empty)
		mp_nil(b);
	else if (e->h.flags & GH_F_BASE) /* a dirfd's directory, or a cwd as its namespace sees it */
		put_base(b, &e->h, base, e->base_len);
	else if (!withheld)
		put_task_path(b, &e->h, ROLE_CWD, cwd, e->cwd_len); /* an empty blob is "/" */
	else
		mp_nil(b);
	mp_cstr(b, "err");
	put_err(b, e->ret);
	mp_cstr(b, "exe");
	if (e->ret != 0)
		mp_nil(b);
	else
		put_task_path(b, &e->h, ROLE_PATH, exe, e->exe_len);
	mp_cstr(b, "cwd");
	if (withheld)
		mp_nil(b);
	else
		put_task_path(b, &e->h, ROLE_CWD, cwd, e->cwd_len);
	mp_cstr(b, "argv");
	if (e->h.flags & GH_F_ARGV_MISSING)
		mp_nil(b);
	else
		put_exec_argv(b, e, argv0, argv, &trunc, &script_argv, &interp_n, &interp);
	mp_kv_bool(b, "argv_truncated", trunc);
	mp_kv_bool(b, "privileged", e->h.flags & GH_F_PRIVILEGED);
	if (has_interp) {
		mp_cstr(b, "interpreter");
		put_strings(b, interp, interp_n);
	}
	if (anon)
		mp_kv_bool(b, "exe_anon", true);
	if (withheld)
		mp_kv_bool(b, "withheld", true);
	if (cut)
		mp_kv_bool(b, "path_truncated", true);
	return true;
}

static bool frame_fork(struct mp_buf *b, const struct gh_fork_event *e, size_t size)
{
	if (sizeof(*e) + (uint64_t)e->cwd_len > size)
		return false;
	bool withheld = e->h.flags & GH_F_WITHHELD;

	mp_map(b, common_keys(&e->h, false) + 4 + withheld);
	put_common(b, "fork", &e->h, false);
	mp_kv_uint(b, "ppid", e->ppid);
	mp_kv_uint(b, "pstart", e->pstart);
	mp_kv_uint(b, "uid", e->uid);
	mp_cstr(b, "cwd");
	if (withheld)
		mp_nil(b);
	else
		put_task_path(b, &e->h, ROLE_CWD, e->data, e->cwd_len);
	if (withheld)
		mp_kv_bool(b, "withheld", true);
	return true;
}

static bool frame_exit(struct mp_buf *b, const struct gh_exit_event *e)
{
	int sig = e->status & 0x7f;

	mp_map(b, common_keys(&e->h, false) + 3 + (e->withheld != 0));
	put_common(b, "exit", &e->h, false);
	mp_cstr(b, "code");
	if (sig)
		mp_nil(b);
	else
		mp_uint(b, (e->status >> 8) & 0xff);
	mp_cstr(b, "sig");
	if (sig)
		put_signal(b, sig);
	else
		mp_nil(b);
	mp_kv_bool(b, "core", e->status & 0x80);
	if (e->withheld)
		mp_kv_uint(b, "withheld", e->withheld);
	return true;
}

static const char *open_mode(uint32_t flags)
{
	if (flags & O_PATH)
		return "path";
	switch (flags & O_ACCMODE) {
	case O_RDONLY: return "read";
	case O_WRONLY: return "write";
	default:       return "readwrite";
	}
}

static bool frame_open(struct mp_buf *b, const struct gh_open_event *e, size_t size)
{
	if ((uint64_t)sizeof(*e) + e->path_len + e->base_len > size)
		return false;
	bool rooted = e->ret < 0 && e->path_len && e->data[0] == '/' && (e->h.flags & GH_F_BASE_ROOT);

	mp_map(b, common_keys(&e->h, true) + 9 + (e->rid != 0));
	put_common(b, "open", &e->h, true);
	mp_kv_bool(b, "created", e->ret >= 0 && (e->made & GH_OPEN_CREATED));
	mp_kv_bool(b, "truncated", e->ret >= 0 && (e->made & GH_OPEN_TRUNCATED));
	if (e->rid)
		mp_kv_uint(b, "rid", e->rid);
	mp_kv_cstr(b, "call", call_name(e->call));
	mp_kv_uint(b, "flags", e->flags);
	mp_kv_cstr(b, "mode", open_mode(e->flags));
	mp_cstr(b, "err");
	put_err(b, e->ret);
	mp_cstr(b, "path");
	if (e->ret >= 0)
		put_task_path(b, &e->h, ROLE_PATH, e->data, e->path_len);
	else if (rooted)
		put_rooted(b, &e->h, e->data + e->path_len, e->base_len, e->data, e->path_len);
	else
		put_piece_str(b, e->data, e->path_len);
	mp_cstr(b, "base");
	if ((e->h.flags & GH_F_BASE) && !rooted)
		put_base(b, &e->h, e->data + e->path_len, e->base_len);
	else
		mp_nil(b);
	mp_kv_bool(b, "path_truncated", e->h.flags & (GH_F_PATH_TRUNC | GH_F_TRUNC_BASE));
	return true;
}

static const char *const change_ops[] = {
	[GH_CH_DELETE] = "delete", [GH_CH_RMDIR] = "rmdir", [GH_CH_MKDIR] = "mkdir", [GH_CH_MKNOD] = "mknod",
	[GH_CH_RENAME] = "rename", [GH_CH_LINK] = "link", [GH_CH_SYMLINK] = "symlink", [GH_CH_CHMOD] = "chmod",
	[GH_CH_CHOWN] = "chown", [GH_CH_TRUNCATE] = "truncate",
};

/* One path of a change as the controller makes it absolute: "path" (as requested, or the
 * file's path when @file) and "base" (what a relative one is against). @h carries the flags of
 * this path and its base. An empty base blob is "/"; a base that could not be walked (a dirfd
 * that names no file) is nil, and the path says it is cut. */
static void put_change_path(struct mp_buf *b, const struct gh_event_header *h, const char *key, const char *base_key,
			    const uint8_t *p, uint32_t plen, const uint8_t *base, uint32_t blen, bool file)
{
	bool relative = !file && plen > 1 && p[0] != '/';
	bool rooted = !file && plen > 1 && p[0] == '/' && (h->flags & GH_F_BASE_ROOT);

	mp_cstr(b, key);
	if (file)
		put_task_path(b, h, ROLE_PATH, p, plen);
	else if (plen == 0)
		mp_nil(b); /* unreadable: a bad pointer (EFAULT) */
	else if (rooted)
		put_rooted(b, h, base, blen, p, plen);
	else
		put_piece_str(b, p, plen);
	mp_cstr(b, base_key);
	if (relative)
		put_base(b, h, base, blen);
	else
		mp_nil(b);
}

/* @key: @v when @has, else nil (a key every frame of its type has). */
static void put_opt_int(struct mp_buf *b, const char *key, bool has, int64_t v)
{
	mp_cstr(b, key);
	if (has)
		mp_int(b, v);
	else
		mp_nil(b);
}

static bool frame_change(struct mp_buf *b, const struct gh_change_event *e, size_t size)
{
	const uint8_t *path = e->data, *base, *path2, *base2;
	struct gh_event_header h2 = e->h;
	uint16_t op = e->op;
	const uint16_t cut = GH_F_PATH_TRUNC | GH_F_TRUNC_BASE;

	if ((uint64_t)sizeof(*e) + e->path_len + e->base_len + e->path2_len + e->base2_len > size)
		return false;
	if (op == 0 || op >= sizeof(change_ops) / sizeof(change_ops[0]))
		return false;
	base = path + e->path_len;
	path2 = base + e->base_len;
	base2 = path2 + e->path2_len;
	h2.flags = e->flags2;

	mp_map(b, common_keys(&e->h, true) + 16);
	put_common(b, "change", &e->h, true);
	mp_kv_cstr(b, "call", gh_syscall_name(e->nr));
	mp_kv_cstr(b, "op", change_ops[op]);
	mp_cstr(b, "err");
	put_err(b, e->ret);
	if ((e->how & GH_CH_FD) && !(e->how & GH_CH_PATH_FILE)) {
		/* the fd named no file */
		mp_cstr(b, "path");
		mp_nil(b);
		mp_cstr(b, "base");
		mp_nil(b);
	} else {
		put_change_path(b, &e->h, "path", "base", path, e->path_len, base, e->base_len, e->how & GH_CH_PATH_FILE);
	}
	if (op == GH_CH_RENAME || op == GH_CH_LINK) {
		put_change_path(b, &h2, "to", "to_base", path2, e->path2_len, base2, e->base2_len, e->how & GH_CH_PATH2_FILE);
	} else {
		mp_cstr(b, "to");
		mp_nil(b);
		mp_cstr(b, "to_base");
		mp_nil(b);
	}
	mp_cstr(b, "target");
	if (op == GH_CH_SYMLINK && e->path2_len)
		put_piece_str(b, path2, e->path2_len);
	else
		mp_nil(b);
	put_opt_int(b, "mode", op == GH_CH_MKDIR || op == GH_CH_MKNOD || op == GH_CH_CHMOD, e->arg);
	put_opt_int(b, "uid", op == GH_CH_CHOWN, e->arg);
	put_opt_int(b, "gid", op == GH_CH_CHOWN, e->arg2);
	put_opt_int(b, "size", op == GH_CH_TRUNCATE, e->arg);
	put_opt_int(b, "dev", op == GH_CH_MKNOD, e->arg2);
	put_opt_int(b, "fd", e->how & GH_CH_FD, e->fd);
	mp_kv_uint(b, "flags", e->at_flags);
	mp_kv_bool(b, "path_truncated", (e->h.flags & cut) || (e->flags2 & cut));
	return true;
}

static const char *net_proto(int family, uint16_t type, uint16_t proto, char *buf, size_t n)
{
	if (family == AF_UNIX) {
		switch (type) {
		case SOCK_STREAM:    return "stream";
		case SOCK_DGRAM:     return "dgram";
		case SOCK_SEQPACKET: return "seqpacket";
		}
	} else {
		if (type == SOCK_RAW)
			return "raw";
		switch (proto) {
		case IPPROTO_TCP:    return "tcp";
		case IPPROTO_UDP:    return "udp";
		case IPPROTO_ICMP:
		case IPPROTO_ICMPV6: return "icmp";
		}
	}
	snprintf(buf, n, "type%u/proto%u", type, proto);
	return buf;
}

static bool frame_net(struct mp_buf *b, const struct gh_net_event *e)
{
	char addr[INET6_ADDRSTRLEN + 8 + sizeof(((struct sockaddr_un *)0)->sun_path)], proto[32];
	const char *family;
	int64_t port = -1;
	sa_family_t fam;
	uint32_t alen = e->addr_len > GH_SOCKADDR_MAX ? GH_SOCKADDR_MAX : e->addr_len;
	bool sends;

	if (alen < sizeof(sa_family_t) || !call_name(e->call))
		return false;
	memcpy(&fam, e->addr, sizeof(fam));
	if (fam == AF_INET && alen >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in sin;

		memcpy(&sin, e->addr, sizeof(sin));
		family = "inet";
		inet_ntop(AF_INET, &sin.sin_addr, addr, sizeof(addr));
		port = ntohs(sin.sin_port);
	} else if (fam == AF_INET6 && alen >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 sin6;

		memcpy(&sin6, e->addr, sizeof(sin6));
		family = "inet6";
		inet_ntop(AF_INET6, &sin6.sin6_addr, addr, sizeof(addr));
		port = ntohs(sin6.sin6_port);
	} else if (fam == AF_UNIX) {
		const char *p = (const char *)e->addr + offsetof(struct sockaddr_un, sun_path);
		size_t max = alen - offsetof(struct sockaddr_un, sun_path), l;

		family = "unix";
		if (max > 0 && p[0] == '\0') { /* abstract: length-delimited, NULs shown as '@' */
			addr[0] = '@';
			l = max - 1;
			for (size_t i = 0; i < l; i++)
				addr[1 + i] = p[1 + i] ? p[1 + i] : '@';
			addr[1 + l] = '\0';
		} else {
			l = strnlen(p, max);
			memcpy(addr, p, l);
			addr[l] = '\0';
		}
	} else {
		return false; /* AF_UNSPEC, netlink, ...: not a network peer */
	}

	sends = e->call == GH_CALL_SENDTO || e->call == GH_CALL_SENDMSG || e->call == GH_CALL_SENDMMSG;
	mp_map(b, common_keys(&e->h, true) + 6 + (e->rid != 0) + (e->ino != 0) + sends + (e->more != 0));
	put_common(b, "net", &e->h, true);
	if (e->rid)
		mp_kv_uint(b, "rid", e->rid);
	if (e->ino)
		mp_kv_uint(b, "ino", e->ino);
	if (sends)
		mp_kv_uint(b, "bytes", e->ret > 0 ? (uint64_t)e->ret : 0);
	if (e->more)
		mp_kv_uint(b, "more", e->more);
	mp_kv_cstr(b, "op", call_name(e->call));
	mp_kv_cstr(b, "family", family);
	mp_kv_cstr(b, "proto", net_proto(fam, e->sk_type, e->sk_protocol, proto, sizeof(proto)));
	mp_kv_cstr(b, "addr", addr);
	mp_cstr(b, "port");
	if (port < 0)
		mp_nil(b);
	else
		mp_uint(b, port);
	mp_cstr(b, "err");
	put_err(b, e->ret);
	return true;
}

static const char *sock_family(uint16_t family)
{
	switch (family) {
	case AF_INET:  return "inet";
	case AF_INET6: return "inet6";
	case AF_UNIX:  return "unix";
	default:       return "other";
	}
}

/* What moved over one socket: from a GH_EV_SOCKET record, or from the sockets map at the end
 * (gh_frame_socket). */
static void put_socket(struct mp_buf *b, uint64_t ts, const struct gh_sock *s)
{
	char addr[INET6_ADDRSTRLEN], proto[32];
	bool peer = (s->family == AF_INET || s->family == AF_INET6) && s->dport;

	mp_map(b, 11 + (s->rid != 0) + (s->connect != 0) + 2 * peer);
	mp_kv_cstr(b, "t", "socket");
	mp_kv_uint(b, "ts", ts);
	mp_kv_uint(b, "pid", s->pid);
	mp_kv_uint(b, "start", s->start);
	mp_kv_uint(b, "ino", s->ino);
	mp_kv_cstr(b, "family", sock_family(s->family));
	mp_kv_cstr(b, "proto", net_proto(s->family, s->type, s->protocol, proto, sizeof(proto)));
	mp_kv_uint(b, "sent", s->sent);
	mp_kv_uint(b, "received", s->received);
	mp_kv_uint(b, "sends", s->sends);
	mp_kv_uint(b, "recvs", s->recvs);
	if (s->rid)
		mp_kv_uint(b, "rid", s->rid);
	if (s->connect) {
		mp_cstr(b, "outcome");
		if (s->connect == GH_SK_CONNECTED)
			put_err(b, s->outcome);
		else
			mp_cstr(b, "EINPROGRESS");
	}
	if (peer) {
		inet_ntop(s->family, s->daddr, addr, sizeof(addr));
		mp_kv_cstr(b, "peer", addr);
		mp_kv_uint(b, "peer_port", ntohs(s->dport));
	}
}

void gh_frame_socket(struct mp_buf *b, uint64_t ts, const struct gh_sock *s)
{
	mp_frame_begin(b);
	put_socket(b, ts, s);
	mp_frame_end(b);
}

static bool frame_dns(struct mp_buf *b, const struct gh_dns_event *e)
{
	char addr[INET6_ADDRSTRLEN];

	if (e->data_len > GH_DNS_MAX || (e->family != AF_INET && e->family != AF_INET6) ||
	    !inet_ntop(e->family, e->addr, addr, sizeof(addr)))
		return false;
	mp_map(b, common_keys(&e->h, true) + 8);
	put_common(b, "dns", &e->h, true);
	mp_kv_uint(b, "ino", e->ino);
	mp_kv_cstr(b, "dir", e->dir ? "in" : "out");
	mp_kv_cstr(b, "proto", e->protocol == IPPROTO_TCP ? "tcp" : "udp");
	mp_kv_cstr(b, "family", e->family == AF_INET ? "inet" : "inet6");
	mp_kv_cstr(b, "addr", addr);
	mp_kv_uint(b, "port", e->port);
	mp_kv_uint(b, "size", e->size);
	mp_cstr(b, "data");
	mp_bin(b, e->data, e->data_len);
	return true;
}

static const char *const tamper_kinds[] = {
	[GH_TAMPER_SIGNAL] = "signal", [GH_TAMPER_PTRACE] = "ptrace", [GH_TAMPER_VM] = "memory",
	[GH_TAMPER_GETFD] = "getfd", [GH_TAMPER_PROC] = "proc", [GH_TAMPER_PIPE] = "pipe",
};

static bool frame_tamper(struct mp_buf *b, const struct gh_tamper_event *e, size_t size)
{
	const char *who = e->who == (GH_WHO_CONTROLLER | GH_WHO_HELPER) ? "both"
			  : e->who == GH_WHO_HELPER				 ? "helper"
										 : "controller";

	if (sizeof(*e) + (uint64_t)e->path_len > size || e->kind < GH_TAMPER_SIGNAL || e->kind > GH_TAMPER_PIPE)
		return false;
	mp_map(b, common_keys(&e->h, true) + 8);
	put_common(b, "tamper", &e->h, true);
	mp_kv_cstr(b, "call", gh_syscall_name(e->nr));
	mp_kv_cstr(b, "kind", tamper_kinds[e->kind]);
	mp_kv_cstr(b, "who", who);
	mp_kv_int(b, "target", (int32_t)e->target);
	mp_cstr(b, "sig");
	if (e->kind == GH_TAMPER_SIGNAL)
		put_signal(b, e->arg);
	else
		mp_nil(b);
	mp_kv_int(b, "arg", e->arg);
	mp_cstr(b, "err");
	put_err(b, e->ret);
	mp_cstr(b, "path");
	if (e->path_len)
		put_piece_str(b, e->data, e->path_len);
	else
		mp_nil(b);
	return true;
}

static bool frame_withheld(struct mp_buf *b, const struct gh_withheld_event *e)
{
	mp_map(b, common_keys(&e->h, true) + 4);
	put_common(b, "withheld", &e->h, true);
	mp_kv_uint(b, "uid", e->uid);
	mp_kv_uint(b, "euid", e->euid);
	mp_kv_uint(b, "gid", e->gid);
	mp_kv_uint(b, "egid", e->egid);
	return true;
}

bool gh_frame_event(struct mp_buf *b, const void *data, size_t size)
{
	const struct gh_event_header *h = data;
	bool ok = false;

	if (size < sizeof(*h) || h->size > size)
		return false;
	mp_frame_begin(b);
	switch (h->type) {
	case GH_EV_EXEC:
		ok = size >= sizeof(struct gh_exec_event) && frame_exec(b, data, size);
		break;
	case GH_EV_FORK:
		ok = size >= sizeof(struct gh_fork_event) && frame_fork(b, data, size);
		break;
	case GH_EV_EXIT:
		ok = size >= sizeof(struct gh_exit_event) && frame_exit(b, data);
		break;
	case GH_EV_OPEN:
		ok = size >= sizeof(struct gh_open_event) && frame_open(b, data, size);
		break;
	case GH_EV_NET:
		ok = size >= sizeof(struct gh_net_event) && frame_net(b, data);
		break;
	case GH_EV_TAMPER:
		ok = size >= sizeof(struct gh_tamper_event) && frame_tamper(b, data, size);
		break;
	case GH_EV_WITHHELD:
		ok = size >= sizeof(struct gh_withheld_event) && frame_withheld(b, data);
		break;
	case GH_EV_CHANGE:
		ok = size >= sizeof(struct gh_change_event) && frame_change(b, data, size);
		break;
	case GH_EV_SOCKET:
		ok = size >= sizeof(struct gh_socket_event);
		if (ok)
			put_socket(b, h->ts, &((const struct gh_socket_event *)data)->s);
		break;
	case GH_EV_DNS:
		ok = size >= sizeof(struct gh_dns_event) && frame_dns(b, data);
		break;
	}
	if (!ok) {
		b->len = b->frame_start;
		return false;
	}
	return mp_frame_end(b);
}

void gh_frame_hello(struct mp_buf *b, const struct gh_hello *h)
{
	mp_frame_begin(b);
	mp_map(b, 10);
	mp_kv_cstr(b, "t", "hello");
	mp_kv_uint(b, "proto", GH_PROTO_VERSION);
	mp_kv_cstr(b, "version", GH_HELPER_VERSION);
	mp_kv_cstr(b, "arch", h->arch);
	mp_kv_uint(b, "mono_ns", h->mono_ns);
	mp_kv_uint(b, "real_ns", h->real_ns);
	mp_kv_bool(b, "argv", h->argv);
	mp_kv_uint(b, "ringbuf", h->ringbuf);
	mp_kv_cstr(b, "privilege", h->privilege);
	mp_kv_uint(b, "pid", h->pid);
	mp_frame_end(b);
}

void gh_frame_armed(struct mp_buf *b, uint32_t pid)
{
	mp_frame_begin(b);
	mp_map(b, 2);
	mp_kv_cstr(b, "t", "armed");
	mp_kv_uint(b, "pid", pid);
	mp_frame_end(b);
}

void gh_frame_following(struct mp_buf *b, uint32_t pid, uint64_t start)
{
	mp_frame_begin(b);
	mp_map(b, 3);
	mp_kv_cstr(b, "t", "following");
	mp_kv_uint(b, "pid", pid);
	mp_kv_uint(b, "start", start);
	mp_frame_end(b);
}

void gh_frame_signal(struct mp_buf *b, uint64_t ts, int sig, uint32_t pid, uint32_t uid)
{
	mp_frame_begin(b);
	mp_map(b, 5);
	mp_kv_cstr(b, "t", "signal");
	mp_kv_uint(b, "ts", ts);
	mp_cstr(b, "sig");
	put_signal(b, sig);
	mp_kv_uint(b, "pid", pid);
	mp_kv_uint(b, "uid", uid);
	mp_frame_end(b);
}

void gh_frame_error(struct mp_buf *b, const char *msg, bool fatal)
{
	mp_frame_begin(b);
	mp_map(b, 3);
	mp_kv_cstr(b, "t", "error");
	mp_kv_cstr(b, "msg", msg);
	mp_kv_bool(b, "fatal", fatal);
	mp_frame_end(b);
}

/* Events the kernel could not deliver, by type, and records the helper could not make into a
 * frame ("malformed"): lost as well, never only a line on stderr. */
static void put_lost(struct mp_buf *b, const struct gh_counters *c)
{
	uint64_t total = c->bad_records;
	uint32_t n = 1;

	for (int i = 0; i < GH_LOST_SLOTS; i++) {
		total += c->lost[i];
		n += lost_names[i] != NULL;
	}
	mp_kv_uint(b, "lost", total);
	mp_cstr(b, "lost_by_type");
	mp_map(b, n);
	for (int i = 0; i < GH_LOST_SLOTS; i++)
		if (lost_names[i])
			mp_kv_uint(b, lost_names[i], c->lost[i]);
	mp_kv_uint(b, "malformed", c->bad_records);
}

void gh_frame_stats(struct mp_buf *b, uint64_t ts, const struct gh_counters *c)
{
	mp_frame_begin(b);
	mp_map(b, 5);
	mp_kv_cstr(b, "t", "stats");
	mp_kv_uint(b, "ts", ts);
	mp_kv_uint(b, "events", c->events);
	put_lost(b, c);
	mp_frame_end(b);
}

void gh_frame_repeats(struct mp_buf *b, const uint64_t *pairs, size_t npairs)
{
	mp_frame_begin(b);
	mp_map(b, 2);
	mp_kv_cstr(b, "t", "repeats");
	mp_cstr(b, "counts");
	mp_array(b, npairs * 2);
	for (size_t i = 0; i < npairs * 2; i++)
		mp_uint(b, pairs[i]);
	mp_frame_end(b);
}

void gh_frame_end(struct mp_buf *b, uint64_t ts, const struct gh_counters *c, const uint64_t *counts,
		  size_t n, const char *reason)
{
	uint32_t used = 0;

	mp_frame_begin(b);
	mp_map(b, 7);
	mp_kv_cstr(b, "t", "end");
	mp_kv_uint(b, "ts", ts);
	mp_kv_uint(b, "events", c->events);
	put_lost(b, c);
	mp_cstr(b, "syscalls");
	for (size_t i = 0; i < n; i++)
		used += counts[i] != 0;
	mp_map(b, used);
	for (size_t i = 0; i < n; i++)
		if (counts[i])
			mp_kv_uint(b, gh_syscall_name(i), counts[i]);
	mp_kv_cstr(b, "reason", reason);
	mp_frame_end(b);
}
