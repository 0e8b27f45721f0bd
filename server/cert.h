#pragma once

#include <stddef.h>

struct ticket_address;

/* Fingerprints of the certificate, in the forms clients show them. */
struct cert_info {
	char sha256[32 * 3]; /* "AA:BB:...", what xfreerdp /cert:deny,fingerprint:sha256: takes */
	char sha1_thumbprint[41]; /* "aabb..." lowercase, what mstsc's certificate dialog shows */
};

/*
 * Make a fresh self-signed RSA certificate and key (key written 0600, never world-readable),
 * valid from a day ago for 30 days, subject CN = hostname, subjectAltName = hostname and every
 * address. Files are replaced atomically. 0, or -errno; a message in err.
 */
int cert_generate(const char *cert_path, const char *key_path, const char *hostname,
		  const struct ticket_address *addrs, size_t n_addrs, struct cert_info *ret_info,
		  char *err, size_t errlen);
