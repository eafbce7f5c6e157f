/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Which BTF libbpf makes the CO-RE relocations against (see core_btf.c). */
#ifndef GLASSHOUSE_CORE_BTF_H
#define GLASSHOUSE_CORE_BTF_H

#include <stdint.h>

struct gh_core_btf {
	int fd;                  /* memfd holding the minimal BTF, or -1: the kernel's own BTF */
	char path[32];           /* "/proc/self/fd/<fd>", for bpf_object_open_opts.btf_custom_path */
	uint32_t id_task_struct; /* the kernel's BTF ids, for bpf_rdonly_cast() (0 with the */
	uint32_t id_file;        /* kernel's own BTF: CO-RE finds them) */
	const char *why;         /* why the kernel's own BTF is used */
};

/* The minimal BTF recorded at build time when the running kernel's BTF is, byte for byte, the
 * one it was made from; else the kernel's own (c->fd -1, c->why). */
void gh_core_btf_choose(struct gh_core_btf *c);
void gh_core_btf_close(struct gh_core_btf *c);

#endif
