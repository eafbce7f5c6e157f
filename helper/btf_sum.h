/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A fingerprint of the kernel's BTF: which kernel a minimal BTF was made from (core_btf.h). */
#ifndef GLASSHOUSE_BTF_SUM_H
#define GLASSHOUSE_BTF_SUM_H

#include <stddef.h>
#include <stdint.h>

/* Read all of @path (at most @max bytes) into a new buffer; its length in *@len. NULL with
 * errno set when it cannot be read or is longer. */
unsigned char *gh_btf_read(const char *path, size_t max, size_t *len);

/* FNV-1a over the 8-byte words of @p (then the last bytes): computed by the build
 * (btf_record.c) and by the helper with this same code. */
uint64_t gh_btf_sum(const unsigned char *p, size_t n);

#endif
