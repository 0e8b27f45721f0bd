#include "sha256.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int sha256_init(struct sha256 *s)
{
	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || !EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL)) {
		sha256_drop(s);
		return -ENOMEM;
	}
	return 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	EVP_DigestUpdate(s->ctx, data, len);
}

void sha256_hex(struct sha256 *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(s->ctx, md, &n);
	for (unsigned int i = 0; i < 32; i++) {
		snprintf(out + 2 * i, 3, "%02x", i < n ? md[i] : 0);
	}
	out[64] = '\0';
	sha256_drop(s);
}

void sha256_drop(struct sha256 *s)
{
	EVP_MD_CTX_free(s->ctx);
	s->ctx = NULL;
}

int sha256_fd(int fd, char out[65])
{
	uint8_t buf[65536];
	struct sha256 h;
	int e = sha256_init(&h);
	if (e < 0) {
		return e;
	}
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			e = -errno;
			sha256_drop(&h);
			return e;
		}
		if (n == 0) {
			break;
		}
		sha256_update(&h, buf, (size_t)n);
	}
	sha256_hex(&h, out);
	return 0;
}
