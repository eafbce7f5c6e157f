/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Resolve a struct path to its absolute name in the kernel, as d_path() would, but named in
 * gh-run's own mount namespace and against gh-run's root (not the task's chroot): walk dentries
 * up to the mount root, cross to the parent mount, stop at gh-run's root.
 *
 * A task in another mount namespace (unshare -m) walks that namespace's mounts. At each such
 * mount the walk looks for a mount of the same file system in gh-run's namespace whose root is
 * the file's directory or one above it, and goes on from there: a file reached through a bind
 * mount or a copied mount tree gets its real name. A mount with no counterpart (a tmpfs made in
 * that namespace) is crossed as that namespace sees it, and the event says so
 * (GH_F_FOREIGN_*): such a path means nothing in gh-run's namespace without h.mnt_ns.
 *
 * Bounded by GH_PATH_MAX bytes (a path up to that is always whole; a longer one is cut, its tail
 * kept, GH_F_PATH_TRUNC) and by GH_WALK_STEPS steps; one step per bpf_loop() iteration, so
 * the verifier checks the step once. Output: components leaf first, each NUL-terminated,
 * written into the CPU's scratch buffer at a given offset; the helper reverses them.
 */
#ifndef GLASSHOUSE_PATH_BPF_H
#define GLASSHOUSE_PATH_BPF_H

#include "task.bpf.h"

#define GH_HEAD_MASK    (GH_SCRATCH_HEAD - 1)
#define GH_REMAP_SCAN   32  /* mounts of one file system looked at */
#define GH_WALK_STEPS   (GH_PATH_DEPTH + GH_MOUNTS_DEPTH + GH_REMAP_SCAN + 2)

enum gh_walk_mode { GH_WALK_UP = 0, GH_WALK_COLLECT = 1, GH_WALK_REMAP = 2 };

/* The walk itself: a global function (process.bpf.c defines it, the other program files link to
 * it), so the verifier checks it once, not at every place a path is walked. Returns the bytes
 * written at scratch offset @base, and GH_WALK_* bits above them. */
#define GH_WALK_TRUNC   (1 << 16)
#define GH_WALK_ANON    (1 << 17)
#define GH_WALK_FOREIGN (1 << 18)

#ifdef GH_DEFINE_MAPS
static __always_inline struct gh_walk *gh_walk_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&walks, &zero);
}

/* Write one component, the name of @dentry; false when the path would be over GH_PATH_MAX
 * bytes (it is then left out: the blob is the tail of the path). A blob's room is GH_PATH_MAX +
 * GH_NAME_MAX: a name is read first and kept only if it fits. */
static __always_inline bool gh_walk_name(struct gh_walk *w, struct dentry *dentry)
{
	struct gh_scratch *s;
	__u32 off = w->off;
	long n;

	if (off >= GH_PATH_MAX)
		return false;
	s = gh_scratch_get();
	if (!s)
		return false;
	n = bpf_probe_read_kernel_str(s->buf + (w->base & GH_HEAD_MASK) + (off & (GH_PATH_MAX - 1)),
				      GH_NAME_MAX, BPF_CORE_READ(dentry, d_name.name));
	if (n <= 0 || off + n > GH_PATH_MAX)
		return false;
	w->off = off + n;
	return true;
}

#define GH_PIPEFS_MAGIC   0x50495045
#define GH_SOCKFS_MAGIC   0x534F434B
#define GH_ANON_FS_MAGIC  0x09041934
#define GH_PIDFS_FS_MAGIC 0x50494446

/* A file with no path (it is not in any directory): its name as /proc/<pid>/fd gives it,
 * written as the one component of the blob: pipe:[ino], socket:[ino], anon_inode:[eventfd],
 * and for a memfd (or any other unlinked shmem file) its name, memfd:<name>. */
static __always_inline bool gh_walk_anon(struct gh_walk *w, struct dentry *dentry)
{
	static const char pipe_fmt[] = "pipe:[%lu]";
	static const char sock_fmt[] = "socket:[%lu]";
	static const char anon_fmt[] = "anon_inode:%s";
	static const char pidfd_name[] = "anon_inode:[pidfd]";
	struct inode *inode = BPF_CORE_READ(dentry, d_inode);
	unsigned long magic = BPF_CORE_READ(inode, i_sb, s_magic);
	__u64 args[1] = { BPF_CORE_READ(inode, i_ino) };
	char name[GH_NAME_MAX - 16] = {};
	struct gh_scratch *s = gh_scratch_get();
	char *dst;
	long n;

	if (!s)
		return false;
	dst = (char *)s->buf + (w->base & GH_HEAD_MASK);
	if (magic == GH_PIPEFS_MAGIC)
		n = bpf_snprintf(dst, GH_NAME_MAX, pipe_fmt, args, sizeof(args));
	else if (magic == GH_SOCKFS_MAGIC)
		n = bpf_snprintf(dst, GH_NAME_MAX, sock_fmt, args, sizeof(args));
	else if (magic == GH_PIDFS_FS_MAGIC)
		n = bpf_snprintf(dst, GH_NAME_MAX, pidfd_name, NULL, 0);
	else if (magic == GH_ANON_FS_MAGIC) {
		bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(dentry, d_name.name));
		args[0] = (__u64)name;
		n = bpf_snprintf(dst, GH_NAME_MAX, anon_fmt, args, sizeof(args));
	} else {
		n = bpf_probe_read_kernel_str(dst, GH_NAME_MAX, BPF_CORE_READ(dentry, d_name.name));
	}
	if (n <= 0)
		return false;
	w->off = n > GH_NAME_MAX ? GH_NAME_MAX : n;
	return true;
}

/* UP: one component, or one mount crossing. */
static __always_inline long gh_walk_up(struct gh_walk *w)
{
	struct dentry *dentry = w->dentry, *parent;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;

	if (dentry == w->root_dentry && vfsmnt == w->root_mnt)
		goto done;
	if (dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
		bool foreign = w->ns && BPF_CORE_READ(mnt, mnt_ns) != w->ns;

		if (foreign && !w->no_remap && !w->never_remap && bpf_core_field_exists(struct mount, mnt_next_for_sb)) {
			/* another namespace's mount: look for this file system in ours */
			w->mode = GH_WALK_COLLECT;
			w->cursor = BPF_CORE_READ(vfsmnt, mnt_sb, s_mounts);
			w->ncand = 0;
			w->scan = 0;
			w->save_dentry = dentry;
			w->save_off = w->off;
			return 0;
		}
		if (foreign)
			w->flags |= GH_F_FOREIGN_PATH;
		if (up == mnt)
			goto done; /* the root of a mount tree */
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->vfsmnt = &up->mnt;
		w->no_remap = 0;
		return 0;
	}
	parent = BPF_CORE_READ(dentry, d_parent);
	if (!parent)
		goto done;
	if (parent == dentry) {
		/* a file with no path (memfd, pipe, socket): its name is all there is */
		if (w->off == 0 && gh_walk_anon(w, dentry))
			w->flags |= GH_F_PATH_ANON;
		goto done;
	}
	if (!gh_walk_name(w, dentry))
		return 1; /* too long: not done */
	w->dentry = parent;
	return 0;
done:
	w->done = 1;
	return 1;
}

/* COLLECT: the next mount of the file system; keep those of gh-run's namespace. */
static __always_inline long gh_walk_collect(struct gh_walk *w)
{
	struct mount *m = w->cursor;
	__u16 n = w->ncand;

	if (!m || w->scan >= GH_REMAP_SCAN) {
		w->mode = n ? GH_WALK_REMAP : GH_WALK_UP;
		w->no_remap = !n;
		return 0;
	}
	if (BPF_CORE_READ(m, mnt_ns) == w->ns && n < GH_REMAP_CANDS) {
		w->cand_mnt[n & (GH_REMAP_CANDS - 1)] = m;
		w->cand_root[n & (GH_REMAP_CANDS - 1)] = BPF_CORE_READ(m, mnt.mnt_root);
		w->ncand = n + 1;
	}
	w->cursor = BPF_CORE_READ(m, mnt_next_for_sb);
	w->scan++;
	return 0;
}

/* REMAP: up the file system's dentries until the root of one of our mounts of it. */
static __always_inline long gh_walk_remap(struct gh_walk *w)
{
	struct dentry *dentry = w->dentry, *parent;

	for (int k = 0; k < GH_REMAP_CANDS; k++) {
		if (k < w->ncand && dentry == w->cand_root[k]) {
			w->mnt = w->cand_mnt[k];
			w->vfsmnt = &w->cand_mnt[k]->mnt;
			w->mode = GH_WALK_UP;
			return 0;
		}
	}
	parent = BPF_CORE_READ(dentry, d_parent);
	if (!parent || parent == dentry) {
		/* none of our mounts shows this part of the file system: back to the other namespace */
		w->dentry = w->save_dentry;
		w->off = w->save_off;
		w->no_remap = 1;
		w->mode = GH_WALK_UP;
		return 0;
	}
	if (!gh_walk_name(w, dentry))
		return 1;
	w->dentry = parent;
	return 0;
}

static long gh_walk_step(__u32 i, void *unused)
{
	struct gh_walk *w = gh_walk_get();

	if (!w)
		return 1;

	if (w->mode == GH_WALK_COLLECT)
		return gh_walk_collect(w);
	if (w->mode == GH_WALK_REMAP)
		return gh_walk_remap(w);
	return gh_walk_up(w);
}

__noinline int gh_walk(__u32 base, __u64 dentry, __u64 vfsmnt, int as_seen)
{
	struct gh_walk *w = gh_walk_get();
	struct task_struct *task;
	int out;

	if (!dentry || !vfsmnt || !w)
		return GH_WALK_TRUNC;
	__builtin_memset(w, 0, sizeof(*w));
	w->dentry = (void *)dentry;
	w->vfsmnt = (void *)vfsmnt;
	w->mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt);
	if (root_dentry) {
		w->root_dentry = (void *)root_dentry;
		w->root_mnt = (void *)root_mnt;
		w->ns = (void *)root_mnt_ns;
	} else {
		/* before the root is adopted (never for a reported event): the task's own root */
		task = bpf_get_current_task_btf();
		w->root_dentry = BPF_CORE_READ(task, fs, root.dentry);
		w->root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	}
	w->base = base;
	w->never_remap = as_seen != 0;
	bpf_loop(GH_WALK_STEPS, gh_walk_step, NULL, 0);
	out = w->off & (GH_PATH_MAX * 2 - 1);
	if (!w->done)
		out |= GH_WALK_TRUNC;
	if (w->flags & GH_F_PATH_ANON)
		out |= GH_WALK_ANON;
	if (w->flags & GH_F_FOREIGN_PATH)
		out |= GH_WALK_FOREIGN;
	return out;
}
#else
extern int gh_walk(__u32 base, __u64 dentry, __u64 vfsmnt, int as_seen);
#endif

/* The cut-short flag of a path's role, named by its GH_F_FOREIGN_* flag. */
static __always_inline __u16 gh_trunc_bit(__u16 foreign)
{
	return foreign == GH_F_FOREIGN_CWD ? GH_F_TRUNC_CWD : foreign == GH_F_FOREIGN_BASE ? GH_F_TRUNC_BASE : GH_F_PATH_TRUNC;
}

/* Walk a path into the scratch buffer at @base; returns its length. Sets GH_F_PATH_TRUNC in
 * *@flags when the walk was cut short, GH_F_PATH_ANON for a file with no path, and @foreign when
 * the path is only meaningful in the task's mount namespace. @as_seen: name it as the task's
 * mount namespace sees it (the base of a path the task asked for and that does not exist, which
 * only that namespace can resolve), never by a mount of gh-run's. */
static __always_inline __u32 gh_walk_path_as(__u32 base, struct dentry *dentry, struct vfsmount *vfsmnt,
					     __u16 *flags, __u16 foreign, int as_seen)
{
	int out = gh_walk(base, (__u64)dentry, (__u64)vfsmnt, as_seen);

	if (out & GH_WALK_TRUNC)
		*flags |= gh_trunc_bit(foreign);
	if (out & GH_WALK_ANON)
		*flags |= GH_F_PATH_ANON;
	if (out & GH_WALK_FOREIGN)
		*flags |= foreign;
	return out & (GH_PATH_MAX * 2 - 1);
}

static __always_inline __u32 gh_walk_path(__u32 base, struct dentry *dentry, struct vfsmount *vfsmnt,
					  struct task_struct *task, __u16 *flags, __u16 foreign)
{
	return gh_walk_path_as(base, dentry, vfsmnt, flags, foreign, 0);
}

static __always_inline __u32 gh_walk_file(__u32 base, struct file *file, struct task_struct *task,
					  __u16 *flags, __u16 foreign)
{
	if (!file) {
		*flags |= gh_trunc_bit(foreign);
		return 0;
	}
	return gh_walk_path(base, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt),
			    task, flags, foreign);
}

static __always_inline __u32 gh_walk_cwd(__u32 base, struct task_struct *task, __u16 *flags)
{
	return gh_walk_path(base, BPF_CORE_READ(task, fs, pwd.dentry), BPF_CORE_READ(task, fs, pwd.mnt),
			    task, flags, GH_F_FOREIGN_CWD);
}

/* Whether an absolute path @task names is not a path of gh-run's: its root is elsewhere (a
 * chroot), or it lives in another mount namespace. */
static __always_inline bool gh_task_rooted_elsewhere(struct task_struct *task)
{
	return root_dentry && ((__u64)BPF_CORE_READ(task, fs, root.dentry) != root_dentry ||
			       (__u64)BPF_CORE_READ(task, fs, root.mnt) != root_mnt || gh_task_mnt_ns(task));
}

/* The task's root, as a base for an absolute path it named (GH_F_BASE_ROOT), as its own mount
 * namespace sees it. */
static __always_inline __u32 gh_walk_root(__u32 base, struct task_struct *task, __u16 *flags)
{
	*flags |= GH_F_BASE_ROOT;
	return gh_walk_path_as(base, BPF_CORE_READ(task, fs, root.dentry), BPF_CORE_READ(task, fs, root.mnt),
			       flags, GH_F_FOREIGN_BASE, gh_task_mnt_ns(task) != 0);
}

/* The base a relative path asked for resolves against: the cwd, or the file behind @dirfd;
 * as the task's own mount namespace sees it (the path may cross mounts only that one has). */
static __always_inline __u32 gh_walk_base(__u32 base, struct task_struct *task, struct file *dirfile,
					  bool at_cwd, __u16 *flags)
{
	int as_seen = gh_task_mnt_ns(task) != 0;

	*flags |= GH_F_BASE;
	if (at_cwd)
		return gh_walk_path_as(base, BPF_CORE_READ(task, fs, pwd.dentry), BPF_CORE_READ(task, fs, pwd.mnt),
				       flags, GH_F_FOREIGN_BASE, as_seen);
	if (!dirfile) {
		*flags |= GH_F_TRUNC_BASE;
		return 0;
	}
	return gh_walk_path_as(base, BPF_CORE_READ(dirfile, f_path.dentry), BPF_CORE_READ(dirfile, f_path.mnt),
			       flags, GH_F_FOREIGN_BASE, as_seen);
}

#endif /* GLASSHOUSE_PATH_BPF_H */
