#include "dest.h"

#include "run.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool name_char(char c, const char *extra)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr(extra, c));
}

/*
 * Copies the LEN bytes at S into OUT if every one is allowed and it does not start with '-' (it
 * becomes an argument of ssh-keyscan or sshfs); false otherwise.
 */
static bool take(const char *s, size_t len, const char *extra, char *out, size_t size)
{
	if (len == 0 || len >= size || s[0] == '-') {
		return false;
	}
	for (size_t i = 0; i < len; i++) {
		if (!name_char(s[i], extra)) {
			return false;
		}
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return true;
}

/* A path inside a share: no control characters, no "." or ".." parts. */
static bool clean_path(const char *p)
{
	for (const unsigned char *c = (const unsigned char *)p; *c; c++) {
		if (*c < 0x20 || *c == 0x7f || *c == '\\') {
			return false;
		}
	}
	for (const char *part = p; *part;) {
		size_t n = strcspn(part, "/");
		if ((n == 1 && part[0] == '.') || (n == 2 && part[0] == '.' && part[1] == '.')) {
			return false;
		}
		part += n;
		part += *part == '/';
	}
	return true;
}

int dest_parse(const char *s, struct dest *ret, char *why, size_t why_size)
{
	struct dest d = { 0 };
	const char *sep = strstr(s, "://");
	if (!*s) {
		snprintf(why, why_size, "the destination is empty");
		return -EINVAL;
	}
	if (!sep) {
		if (strlen(s) >= sizeof(d.path)) {
			snprintf(why, why_size, "the destination path is too long");
			return -ENAMETOOLONG;
		}
		snprintf(d.path, sizeof(d.path), "%s", s);
		*ret = d;
		return 0;
	}
	size_t slen = (size_t)(sep - s);
	if (slen == 3 && strncmp(s, "smb", 3) == 0) {
		d.kind = DEST_SMB;
	} else if (slen == 3 && strncmp(s, "nfs", 3) == 0) {
		d.kind = DEST_NFS;
	} else if (slen == 4 && strncmp(s, "sftp", 4) == 0) {
		d.kind = DEST_SFTP;
	} else {
		snprintf(why, why_size, "unknown kind of destination (smb://, nfs://, sftp://)");
		return -EINVAL;
	}
	const char *p = sep + 3;
	const char *slash = strchr(p, '/');
	const char *auth_end = slash ? slash : p + strlen(p);
	const char *at = memchr(p, '@', (size_t)(auth_end - p));
	if (at) {
		if (d.kind == DEST_NFS || !take(p, (size_t)(at - p), "._-$", d.user, sizeof(d.user))) {
			snprintf(why, why_size, "the user name in the destination is not valid");
			return -EINVAL;
		}
		p = at + 1;
	} else if (d.kind == DEST_SFTP) {
		snprintf(why, why_size, "sftp:// needs a user: sftp://user@host/path");
		return -EINVAL;
	}
	const char *colon = memchr(p, ':', (size_t)(auth_end - p));
	const char *host_end = colon ? colon : auth_end;
	if (!take(p, (size_t)(host_end - p), ".-", d.host, sizeof(d.host))) {
		snprintf(why, why_size, "the host name in the destination is not valid");
		return -EINVAL;
	}
	if (colon) {
		char *end;
		errno = 0;
		unsigned long port = strtoul(colon + 1, &end, 10);
		if (end != auth_end || colon + 1 == auth_end || errno || port == 0 || port > 65535 ||
		    colon[1] == '-' || colon[1] == '+') {
			snprintf(why, why_size, "the port in the destination is not valid");
			return -EINVAL;
		}
		d.port = (unsigned)port;
	}
	const char *rest = slash ? slash : "";
	if (strlen(rest) >= sizeof(d.path) || !clean_path(rest)) {
		snprintf(why, why_size, "the path in the destination is not valid");
		return -EINVAL;
	}
	if (d.kind == DEST_SMB) {
		rest += *rest == '/';
		size_t n = strcspn(rest, "/");
		if (!take(rest, n, " ._-$", d.share, sizeof(d.share))) {
			snprintf(why, why_size, "smb:// needs a share: smb://[user@]host/share/path");
			return -EINVAL;
		}
		rest += n;
	}
	snprintf(d.path, sizeof(d.path), "%s", rest);
	if (d.kind == DEST_NFS && !d.path[0]) {
		snprintf(why, why_size, "nfs:// needs the export: nfs://host/export/path");
		return -EINVAL;
	}
	*ret = d;
	return 0;
}

void dest_describe(const struct dest *d, char *buf, size_t size)
{
	static const char *const scheme[] = { "", "smb", "nfs", "sftp" };
	char raw[2048], port[16] = "";
	if (d->kind == DEST_LOCAL) {
		util_sanitize(buf, size, d->path);
		return;
	}
	if (d->port) {
		snprintf(port, sizeof(port), ":%u", d->port);
	}
	snprintf(raw, sizeof(raw), "%s://%s%s%s%s%s%s%s", scheme[d->kind], d->user,
		 d->user[0] ? "@" : "", d->host, port, d->share[0] ? "/" : "", d->share, d->path);
	util_sanitize(buf, size, raw);
}

/* Runs ARGV with INPUT on stdin; 0, or -EIO with the last line of its error output in WHY. */
static int run_tool(const char *const *argv, const char *input, char *why, size_t why_size)
{
	struct run_spec spec = { .argv = argv, .input = input, .input_len = input ? strlen(input) : 0,
				 .capture = true, .merge = true };
	struct run_result r;
	int e = run(&spec, &r);
	if (e < 0) {
		snprintf(why, why_size, "cannot run %s: %s", argv[0], strerror(-e));
		run_result_clear(&r);
		return e;
	}
	if (r.status != 0) {
		char *text = r.out ? util_strip(r.out) : "";
		char *last = strrchr(text, '\n');
		char shown[300];
		util_sanitize(shown, sizeof(shown), last ? last + 1 : text);
		snprintf(why, why_size, "%s failed (status %d): %s", argv[0], r.status, shown);
		e = -EIO;
	}
	run_result_clear(&r);
	return e;
}

int dest_host_keys(const struct dest *d, const char *known_hosts, char *fingerprints,
		   size_t fp_size, char *why, size_t why_size)
{
	char port[16];
	snprintf(port, sizeof(port), "%u", d->port ? d->port : 22);
	const char *scan[] = { "ssh-keyscan", "-T", "15", "-p", port, d->host, NULL };
	struct run_result r;
	int e = run_capture(scan, &r);
	if (e < 0 || r.status != 0 || !r.out || !r.out[0]) {
		snprintf(why, why_size, "no host key from %s port %s (ssh-keyscan)", d->host, port);
		run_result_clear(&r);
		return e < 0 ? e : -EHOSTUNREACH;
	}
	/* written inside its own folder: util_write_in_root() does not cross into /run from / */
	char dir[300];
	const char *slash = strrchr(known_hosts, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - known_hosts) : 1,
		 slash ? known_hosts : ".");
	e = util_write_in_root(dir, slash ? slash + 1 : known_hosts, r.out, r.out_len, 0600);
	run_result_clear(&r);
	if (e < 0) {
		snprintf(why, why_size, "cannot write %s: %s", known_hosts, strerror(-e));
		return e;
	}
	const char *fp[] = { "ssh-keygen", "-l", "-f", known_hosts, NULL };
	e = run_capture(fp, &r);
	if (e < 0 || r.status != 0 || !r.out) {
		snprintf(why, why_size, "cannot read the host keys of %s (ssh-keygen)", d->host);
		run_result_clear(&r);
		return e < 0 ? e : -EINVAL;
	}
	util_sanitize(fingerprints, fp_size, util_strip(r.out));
	run_result_clear(&r);
	return 0;
}

/* SMB: user and password in a 0600 file that only lives for the mount. */
static int mount_smb(const struct dest *d, const char *dir, const char *password, char *why,
		     size_t why_size)
{
	char src[600], opts[400], cdir[] = "/run/lifeline/cred-XXXXXX", cfile[64];
	snprintf(src, sizeof(src), "//%s/%s", d->host, d->share);
	int e = util_mkdir_p("/run/lifeline", 0700);
	if (e < 0 || !mkdtemp(cdir)) {
		e = e < 0 ? e : -errno;
		snprintf(why, why_size, "cannot create a credentials folder: %s", strerror(-e));
		return e;
	}
	snprintf(cfile, sizeof(cfile), "%s/smb", cdir);
	/* mfsymlinks: symlinks as Minshall+French link files, which SMB servers without the POSIX
	   extensions (Windows, Samba by default) can hold */
	int n = 0;
	if (d->user[0] || password) {
		char *cred = NULL;
		size_t len = (size_t)asprintf(&cred, "username=%s\npassword=%s\n",
					      d->user[0] ? d->user : "guest", password ? password : "");
		e = cred ? util_write_in_root(cdir, "smb", cred, len, 0600) : -ENOMEM;
		if (cred) {
			explicit_bzero(cred, len);
			free(cred);
		}
		if (e < 0) {
			snprintf(why, why_size, "cannot write the credentials file: %s", strerror(-e));
			rmdir(cdir);
			return e;
		}
		n = snprintf(opts, sizeof(opts), "mfsymlinks,credentials=%s", cfile);
	} else {
		n = snprintf(opts, sizeof(opts), "mfsymlinks,guest");
	}
	if (d->port) {
		snprintf(opts + n, sizeof(opts) - (size_t)n, ",port=%u", d->port);
	}
	const char *argv[] = { "mount", "-t", "cifs", src, dir, "-o", opts, NULL };
	e = run_tool(argv, NULL, why, why_size);
	unlink(cfile);
	rmdir(cdir);
	return e;
}

int dest_mount(const struct dest *d, const char *dir, const char *password,
	       const char *known_hosts, char *why, size_t why_size)
{
	char src[1400], opts[600];
	switch (d->kind) {
	case DEST_SMB:
		return mount_smb(d, dir, password, why, why_size);
	case DEST_NFS: {
		snprintf(src, sizeof(src), "%s:%s", d->host, d->path);
		snprintf(opts, sizeof(opts), "rw");
		if (d->port) {
			snprintf(opts, sizeof(opts), "rw,port=%u", d->port);
		}
		const char *argv[] = { "mount", "-t", "nfs", src, dir, "-o", opts, NULL };
		return run_tool(argv, NULL, why, why_size);
	}
	case DEST_SFTP: {
		snprintf(src, sizeof(src), "%s@%s:%s", d->user, d->host, d->path);
		int n = snprintf(opts, sizeof(opts),
				 "port=%u,UserKnownHostsFile=%s,StrictHostKeyChecking=yes",
				 d->port ? d->port : 22, known_hosts);
		char *input = NULL;
		if (password) {
			snprintf(opts + n, sizeof(opts) - (size_t)n, ",password_stdin");
			if (asprintf(&input, "%s\n", password) < 0) {
				return -ENOMEM;
			}
		}
		const char *argv[] = { "sshfs", src, dir, "-o", opts, NULL };
		int e = run_tool(argv, input, why, why_size);
		if (input) {
			explicit_bzero(input, strlen(input));
			free(input);
		}
		return e;
	}
	case DEST_LOCAL:
		break;
	}
	snprintf(why, why_size, "not a network destination");
	return -EINVAL;
}
