#pragma once

/* Shared by the ticket unit tests: a scripted random source and the runner entry point. */

#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Each test file defines its suite; test-main.c runs it. */
Suite *test_suite(void);

/*
 * Hands out `bytes` in order; once they run out, every further byte is `fill`. With `err` set,
 * every call fails with it.
 */
struct fake_random {
	const uint8_t *bytes;
	size_t len;
	size_t pos;
	uint8_t fill;
	int err;
	unsigned calls;
};

static inline int fake_random_fn(void *buf, size_t len, void *userdata)
{
	struct fake_random *fr = userdata;
	uint8_t *out = buf;

	fr->calls++;
	if (fr->err) {
		return fr->err;
	}
	for (size_t i = 0; i < len; i++) {
		out[i] = fr->pos < fr->len ? fr->bytes[fr->pos++] : fr->fill;
	}
	return 0;
}
