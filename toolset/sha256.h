#pragma once

#include <stddef.h>

/*
 * SHA-256, incrementally, with OpenSSL's libcrypto: the checksums the tools print and compare
 * after restoring or copying a file.  Every sha256_init() that succeeded ends with
 * sha256_hex() or, on an error path, sha256_drop().
 */

struct evp_md_ctx_st;

struct sha256 {
	struct evp_md_ctx_st *ctx;
};

/* 0, or -ENOMEM. */
int sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Writes the digest as 64 lowercase hex digits and a NUL, and ends S. */
void sha256_hex(struct sha256 *s, char out[65]);
/* Ends S without a digest. */
void sha256_drop(struct sha256 *s);
/* The SHA-256 of what is left to read on FD: 0, or a negative errno. */
int sha256_fd(int fd, char out[65]);
