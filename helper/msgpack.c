// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "msgpack.h"

static uint8_t *mp_room(struct mp_buf *b, size_t n)
{
	if (b->oom)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			b->oom = true;
			return NULL;
		}
		b->data = p;
		b->cap = cap;
	}
	b->len += n;
	return b->data + b->len - n;
}

static void mp_put(struct mp_buf *b, const void *src, size_t n)
{
	uint8_t *p = mp_room(b, n);

	if (p && n)
		memcpy(p, src, n);
}

static void mp_be(struct mp_buf *b, uint8_t tag, uint64_t v, int bytes)
{
	uint8_t *p = mp_room(b, 1 + bytes);

	if (!p)
		return;
	*p++ = tag;
	for (int i = bytes - 1; i >= 0; i--)
		*p++ = (uint8_t)(v >> (8 * i));
}

void mp_frame_begin(struct mp_buf *b)
{
	b->frame_start = b->len;
	mp_room(b, 4);
}

bool mp_frame_end(struct mp_buf *b)
{
	size_t n;

	if (b->oom)
		return false;
	n = b->len - b->frame_start - 4;
	if (n == 0 || n > MP_FRAME_MAX) {
		b->len = b->frame_start;
		return false;
	}
	b->data[b->frame_start + 0] = (uint8_t)(n >> 24);
	b->data[b->frame_start + 1] = (uint8_t)(n >> 16);
	b->data[b->frame_start + 2] = (uint8_t)(n >> 8);
	b->data[b->frame_start + 3] = (uint8_t)n;
	return true;
}

void mp_map(struct mp_buf *b, uint32_t n)
{
	if (n < 16) {
		uint8_t t = 0x80 | n;
		mp_put(b, &t, 1);
	} else if (n <= 0xffff) {
		mp_be(b, 0xde, n, 2);
	} else {
		mp_be(b, 0xdf, n, 4);
	}
}

void mp_array(struct mp_buf *b, uint32_t n)
{
	if (n < 16) {
		uint8_t t = 0x90 | n;
		mp_put(b, &t, 1);
	} else if (n <= 0xffff) {
		mp_be(b, 0xdc, n, 2);
	} else {
		mp_be(b, 0xdd, n, 4);
	}
}

void mp_str(struct mp_buf *b, const char *s, size_t len)
{
	if (len < 32) {
		uint8_t t = 0xa0 | (uint8_t)len;
		mp_put(b, &t, 1);
	} else if (len <= 0xff) {
		mp_be(b, 0xd9, len, 1);
	} else if (len <= 0xffff) {
		mp_be(b, 0xda, len, 2);
	} else {
		mp_be(b, 0xdb, len, 4);
	}
	mp_put(b, s, len);
}

void mp_cstr(struct mp_buf *b, const char *s)
{
	if (!s)
		mp_nil(b);
	else
		mp_str(b, s, strlen(s));
}

void mp_bin(struct mp_buf *b, const void *p, size_t len)
{
	if (len <= 0xff)
		mp_be(b, 0xc4, len, 1);
	else if (len <= 0xffff)
		mp_be(b, 0xc5, len, 2);
	else
		mp_be(b, 0xc6, len, 4);
	mp_put(b, p, len);
}

void mp_uint(struct mp_buf *b, uint64_t v)
{
	if (v < 128) {
		uint8_t t = (uint8_t)v;
		mp_put(b, &t, 1);
	} else if (v <= 0xff) {
		mp_be(b, 0xcc, v, 1);
	} else if (v <= 0xffff) {
		mp_be(b, 0xcd, v, 2);
	} else if (v <= 0xffffffffu) {
		mp_be(b, 0xce, v, 4);
	} else {
		mp_be(b, 0xcf, v, 8);
	}
}

void mp_int(struct mp_buf *b, int64_t v)
{
	if (v >= 0) {
		mp_uint(b, (uint64_t)v);
	} else if (v >= -32) {
		uint8_t t = (uint8_t)(int8_t)v;
		mp_put(b, &t, 1);
	} else if (v >= INT8_MIN) {
		mp_be(b, 0xd0, (uint8_t)(int8_t)v, 1);
	} else if (v >= INT16_MIN) {
		mp_be(b, 0xd1, (uint16_t)(int16_t)v, 2);
	} else if (v >= INT32_MIN) {
		mp_be(b, 0xd2, (uint32_t)(int32_t)v, 4);
	} else {
		mp_be(b, 0xd3, (uint64_t)v, 8);
	}
}

void mp_nil(struct mp_buf *b)
{
	uint8_t t = 0xc0;
	mp_put(b, &t, 1);
}

void mp_bool(struct mp_buf *b, bool v)
{
	uint8_t t = v ? 0xc3 : 0xc2;
	mp_put(b, &t, 1);
}
