/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A minimal msgpack writer for length-prefixed frames (see PROTOCOL.md). */
#ifndef GLASSHOUSE_MSGPACK_H
#define GLASSHOUSE_MSGPACK_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct mp_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t frame_start; /* offset of the current frame's length prefix */
	bool oom;           /* an allocation failed: the buffer content is unusable */
};

void mp_frame_begin(struct mp_buf *b);
/* Returns false when the frame is too large (it is then dropped from the buffer). */
bool mp_frame_end(struct mp_buf *b);

void mp_map(struct mp_buf *b, uint32_t n);
void mp_array(struct mp_buf *b, uint32_t n);
void mp_str(struct mp_buf *b, const char *s, size_t len);
void mp_cstr(struct mp_buf *b, const char *s);  /* NULL writes nil */
void mp_bin(struct mp_buf *b, const void *p, size_t len);
void mp_uint(struct mp_buf *b, uint64_t v);
void mp_int(struct mp_buf *b, int64_t v);
void mp_nil(struct mp_buf *b);
void mp_bool(struct mp_buf *b, bool v);

/* key + value shorthands for maps */
#define mp_kv_uint(b, k, v) (mp_cstr(b, k), mp_uint(b, v))
#define mp_kv_int(b, k, v)  (mp_cstr(b, k), mp_int(b, v))
#define mp_kv_cstr(b, k, v) (mp_cstr(b, k), mp_cstr(b, v))
#define mp_kv_bool(b, k, v) (mp_cstr(b, k), mp_bool(b, v))

#define MP_FRAME_MAX (1u << 20)

#endif
