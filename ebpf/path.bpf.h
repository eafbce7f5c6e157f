/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Resolve a struct path to its absolute name in the kernel, as d_path() would: walk dentries up
 * to the mount root, cross to the parent mount, stop at the task's root. Bounded by
 * GH_PATH_DEPTH steps and GH_PATH_MAX bytes; one step per bpf_loop() iteration so the verifier
 * checks the step once. Output: components leaf first, each NUL-terminated, written into the
 * CPU's scratch buffer at a given offset; the helper reverses them.
 */
#ifndef GLASSHOUSE_PATH_BPF_H
#define GLASSHOUSE_PATH_BPF_H

#include "task.bpf.h"

#define GH_HEAD_MASK (GH_SCRATCH_HEAD - 1)

struct gh_walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct mount *mnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	__u32 base;   /* where in scratch the blob starts */
	__u32 off;    /* bytes written */
	__u32 done;   /* reached the root */
	__u32 __pad0;
};

static long gh_walk_step(__u32 i, void *vctx)
{
	struct gh_walk *w = vctx;
	struct dentry *dentry = w->dentry, *parent;
	struct vfsmount *vfsmnt = w->vfsmnt;
	struct mount *mnt = w->mnt;
	const unsigned char *name;
	struct gh_scratch *s;
	__u32 off = w->off;
	long n;

	if (dentry == w->root_dentry && vfsmnt == w->root_mnt)
		goto done;
	if (dentry == BPF_CORE_READ(vfsmnt, mnt_root)) {
		struct mount *up = BPF_CORE_READ(mnt, mnt_parent);

		if (up == mnt)
			goto done; /* the root of the mount tree */
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = up;
		w->vfsmnt = &up->mnt;
		return 0;
	}
	parent = BPF_CORE_READ(dentry, d_parent);
	if (!parent || parent == dentry)
		goto done;
	if (off > GH_PATH_MAX - GH_NAME_MAX)
		return 1; /* too long: not done */
	s = gh_scratch_get();
	if (!s)
		return 1;
	name = BPF_CORE_READ(dentry, d_name.name);
	n = bpf_probe_read_kernel_str(s->buf + (w->base & GH_HEAD_MASK) + (off & (GH_PATH_MAX - 1)),
				      GH_NAME_MAX, name);
	if (n <= 0)
		return 1;
	w->off = off + n;
	w->dentry = parent;
	return 0;
done:
	w->done = 1;
	return 1;
}

/* Returns the number of bytes written at scratch offset @base; sets GH_F_PATH_TRUNC in *@flags
 * when the walk was cut short. */
static __always_inline __u32 gh_walk_path(__u32 base, struct dentry *dentry, struct vfsmount *vfsmnt,
					  struct task_struct *task, __u16 *flags)
{
	struct gh_walk w = {};

	if (!dentry || !vfsmnt) {
		*flags |= GH_F_PATH_TRUNC;
		return 0;
	}
	w.dentry = dentry;
	w.vfsmnt = vfsmnt;
	w.mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt);
	w.root_dentry = BPF_CORE_READ(task, fs, root.dentry);
	w.root_mnt = BPF_CORE_READ(task, fs, root.mnt);
	w.base = base;
	bpf_loop(GH_PATH_DEPTH, gh_walk_step, &w, 0);
	if (!w.done)
		*flags |= GH_F_PATH_TRUNC;
	return w.off & (GH_PATH_MAX - 1);
}

static __always_inline __u32 gh_walk_file(__u32 base, struct file *file, struct task_struct *task,
					  __u16 *flags)
{
	if (!file) {
		*flags |= GH_F_PATH_TRUNC;
		return 0;
	}
	return gh_walk_path(base, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt),
			    task, flags);
}

static __always_inline __u32 gh_walk_cwd(__u32 base, struct task_struct *task, __u16 *flags)
{
	return gh_walk_path(base, BPF_CORE_READ(task, fs, pwd.dentry), BPF_CORE_READ(task, fs, pwd.mnt),
			    task, flags);
}

#endif /* GLASSHOUSE_PATH_BPF_H */
