#include "cert.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "address.h"
#include "private-file.h"

static int set_err(char *err, size_t errlen, int r, const char *what)
{
	unsigned long e = ERR_get_error();

	if (e) {
		snprintf(err, errlen, "%s: %s", what, ERR_reason_error_string(e));
	} else if (r != -ENOMEM && r != -EIO) {
		snprintf(err, errlen, "%s: %s", what, strerror(-r));
	} else {
		snprintf(err, errlen, "%s", what);
	}
	ERR_clear_error();
	return r;
}

/* Render @cert, or else @key, as PEM into memory that is wiped when freed; write it with @mode. */
static int write_pem(const char *path, mode_t mode, X509 *cert, EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *pem;
	long len;
	int ok, r;

	if (!bio) {
		return -ENOMEM;
	}
	if (cert) {
		ok = PEM_write_bio_X509(bio, cert);
	} else {
		ok = PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	}
	len = BIO_get_mem_data(bio, &pem);
	if (!ok || len <= 0) {
		r = -EIO;
	} else {
		r = private_file_write(path, pem, (size_t)len, mode);
	}
	BIO_free(bio);
	return r;
}

static void hex(const unsigned char *md, unsigned len, bool upper_colons, char *out)
{
	static const char lo[] = "0123456789abcdef", up[] = "0123456789ABCDEF";
	const char *digits = upper_colons ? up : lo;
	char *p = out;

	for (unsigned i = 0; i < len; i++) {
		if (upper_colons && i) {
			*p++ = ':';
		}
		*p++ = digits[md[i] >> 4];
		*p++ = digits[md[i] & 15];
	}
	*p = '\0';
}

static int add_san(X509 *x, const char *hostname, const struct ticket_address *addrs, size_t n)
{
	char san[4096];
	size_t len = 0;
	X509_EXTENSION *ext;
	X509V3_CTX ctx;

	len += (size_t)snprintf(san + len, sizeof(san) - len, "DNS:%s", hostname);
	for (size_t i = 0; i < n && len < sizeof(san) - 64; i++) {
		/* Zone ids (fe80::1%eth0) are not part of an IP SAN. */
		char ip[INET6_ADDRSTRLEN + 1];
		size_t l = strcspn(addrs[i].text, "%");

		if (l >= sizeof(ip)) {
			continue;
		}
		memcpy(ip, addrs[i].text, l);
		ip[l] = '\0';
		len += (size_t)snprintf(san + len, sizeof(san) - len, ",IP:%s", ip);
	}
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
	if (!ext) {
		return -EINVAL;
	}
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);

	/* TLS server authentication: some clients check the extended key usage. */
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_ext_key_usage, "serverAuth");
	if (!ext) {
		return -EINVAL;
	}
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return 0;
}

int cert_generate(const char *cert_path, const char *key_path, const char *hostname,
		  const struct ticket_address *addrs, size_t n_addrs, struct cert_info *ret_info,
		  char *err, size_t errlen)
{
	unsigned char serial[16], md[EVP_MAX_MD_SIZE];
	unsigned md_len;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	BIGNUM *bn = NULL;
	int r;

	key = EVP_RSA_gen(2048);
	if (!key) {
		return set_err(err, errlen, -EIO, "cannot generate an RSA key");
	}
	x = X509_new();
	if (!x) {
		r = set_err(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	X509_set_version(x, 2);
	if (RAND_bytes(serial, sizeof(serial)) != 1) {
		r = set_err(err, errlen, -EIO, "no random serial");
		goto out;
	}
	serial[0] &= 0x7f; /* positive */
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) {
		r = set_err(err, errlen, -ENOMEM, "cannot set the serial number");
		goto out;
	}
	/* A day of slack for machines whose clock is off: a recovery system often boots with a
	 * wrong RTC. */
	X509_gmtime_adj(X509_getm_notBefore(x), -24L * 3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Lifeline", -1,
				   -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)hostname, -1,
				   -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	if (add_san(x, hostname, addrs, n_addrs) < 0) {
		r = set_err(err, errlen, -EINVAL, "cannot add the subject alternative names");
		goto out;
	}
	if (!X509_sign(x, key, EVP_sha256())) {
		r = set_err(err, errlen, -EIO, "cannot sign the certificate");
		goto out;
	}

	r = write_pem(key_path, 0600, NULL, key);
	if (r < 0) {
		snprintf(err, errlen, "cannot write key %s: %s", key_path, strerror(-r));
		goto out;
	}
	r = write_pem(cert_path, 0644, x, NULL);
	if (r < 0) {
		snprintf(err, errlen, "cannot write certificate %s: %s", cert_path, strerror(-r));
		goto out;
	}

	if (!X509_digest(x, EVP_sha256(), md, &md_len)) {
		r = set_err(err, errlen, -EIO, "cannot hash the certificate");
		goto out;
	}
	hex(md, md_len, true, ret_info->sha256);
	if (!X509_digest(x, EVP_sha1(), md, &md_len)) {
		r = set_err(err, errlen, -EIO, "cannot hash the certificate");
		goto out;
	}
	hex(md, md_len, false, ret_info->sha1_thumbprint);
	r = 0;
out:
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(key);
	return r;
}
