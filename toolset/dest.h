#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Where `lifeline copy` writes: a local folder or block device, or a network share given as a URL
 * (smb://, nfs://, sftp://) and mounted with the Debian tools (mount.cifs, mount.nfs, sshfs).
 * The password never goes on a command line: a 0600 credentials file in /run (removed right after
 * the mount) for SMB, sshfs's password_stdin for SFTP.  Library code: 0 or a negative errno, the
 * reason in WHY, no logging.
 */

enum dest_kind {
	DEST_LOCAL, /* a path: a mounted folder or a block device */
	DEST_SMB,
	DEST_NFS,
	DEST_SFTP,
};

struct dest {
	enum dest_kind kind;
	char user[64];   /* "" when none */
	char host[256];
	unsigned port;   /* 0: the protocol's default */
	char share[256]; /* SMB: the share */
	char path[1024]; /* SMB: the folder inside the share; NFS: the export path; SFTP: the path */
};

/* Parses DEST (a local path or a URL); checks every part a mount option could be built from. */
int dest_parse(const char *s, struct dest *ret, char *why, size_t why_size);

/* The URL again, for messages and the audit line (no password is ever part of it). */
void dest_describe(const struct dest *d, char *buf, size_t size);

/*
 * SFTP: the server's host keys (ssh-keyscan) written to KNOWN_HOSTS, and their fingerprints
 * (ssh-keygen -l) into FINGERPRINTS.
 */
int dest_host_keys(const struct dest *d, const char *known_hosts, char *fingerprints,
		   size_t fp_size, char *why, size_t why_size);

/*
 * Mounts the share of D (not DEST_LOCAL) on the existing folder DIR, read-write.  PASSWORD may be
 * NULL (SMB: guest access).  KNOWN_HOSTS: for SFTP, the file dest_host_keys() wrote.
 */
int dest_mount(const struct dest *d, const char *dir, const char *password,
	       const char *known_hosts, char *why, size_t why_size);
