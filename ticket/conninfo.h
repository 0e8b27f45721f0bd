#pragma once

/*
 * Renderings of the connection info for a Remote Connection: the text the end user reads aloud,
 * the JSON file for automation, a .rdp file and an xfreerdp command line.
 *
 * All return malloc'd NUL-terminated strings, or NULL with errno set (ENOMEM; EINVAL for a
 * bad argument). They contain the ticket: the caller should explicit_bzero() before free().
 */

#include <stddef.h>
#include <stdint.h>

#include "address.h"

#define TICKET_CONNINFO_DEFAULT_USER "helpdesk"

struct ticket_conninfo {
	const char *ticket_text; /* "482-915-307" */
	uint16_t port;
	const struct ticket_address *addresses; /* best first (ticket_addresses_sort) */
	size_t n_addresses;
	const char *security;           /* "nla" or "tls"; NULL means "nla" */
	const char *user;               /* name to suggest (any is accepted); NULL: "helpdesk" */
	const char *sha256_fingerprint; /* "AA:BB:..." uppercase colon hex; NULL: unknown */
	const char *sha1_thumbprint;    /* "aabb..." lowercase hex, as mstsc shows; NULL: unknown */
	const char *hostname;           /* NULL: unknown */
};

/*
 * What the end user reads aloud: ticket, port, every address, the start of the certificate
 * fingerprints, and how to connect. With no address it says so and points to the Network tool.
 */
char *ticket_conninfo_text(const struct ticket_conninfo *ci);

/*
 * One JSON object on one line (json-c), keys: "ticket", "port", "addresses" (array of strings),
 * "security", "user", "sha256_fingerprint", "sha1_thumbprint", "hostname" (null when unknown),
 * "xfreerdp" (command for the first address, null if there is none).
 */
char *ticket_conninfo_json(const struct ticket_conninfo *ci);

/*
 * A .rdp file for mstsc/Remmina (CRLF lines): full address:s:ADDR:PORT (IPv6 in brackets),
 * username:s:, authentication level:i:2, enablecredsspsupport:i:1 for nla / 0 for tls, prompt
 * for credentials:i:1, ... No password in the file. EINVAL when address_index is out of range.
 */
char *ticket_conninfo_rdp(const struct ticket_conninfo *ci, size_t address_index);

/*
 * One line: xfreerdp /v:ADDR:PORT (IPv6 as [addr], zone kept) /u:USER /p:TICKET /sec:nla|tls
 * /cert:deny,fingerprint:sha256:FP. Words that a POSIX shell (or zsh, whose failed globs are
 * errors) would change are single-quoted. EINVAL when address_index is out of range.
 */
char *ticket_conninfo_xfreerdp(const struct ticket_conninfo *ci, size_t address_index);
