#pragma once

/*
 * Reverse connection through the helpdesk's OpenSSH server (a bastion): `ssh -N -R 0:...` to
 * user@bastion with a remote forward to our RDP port, so that a helpdesk connects to the
 * bastion when it cannot reach this machine (NAT, home routers, guest Wi-Fi). OpenSSH is the
 * engine: no shell, no command on the bastion (-N), the bastion's host key pinned
 * (StrictHostKeyChecking=yes against a known_hosts file of that one key), no config files read,
 * keepalives (ServerAliveInterval) and ExitOnForwardFailure. The bastion picks the port; ssh
 * reports it and we publish it. When ssh exits it is started again after 2 s, doubling to 60 s
 * (back to 2 s after a connection that lasted a minute). The ticket still gates the session.
 */

#include <stddef.h>
#include <stdint.h>

struct reverse;

struct reverse_config {
	const char *target;    /* user@host[:port] */
	const char *host_key;  /* the bastion's public host key: "TYPE BASE64" (or TYPE:BASE64) */
	const char *identity;  /* a private key baked into the image, or NULL: a per-boot key */
	const char *state_dir; /* private (0700): the per-boot key and known_hosts go here */
	uint16_t local_port;   /* our RDP port */
	const char *ssh_path;  /* NULL: "ssh" from PATH */
};

enum reverse_state { REVERSE_CONNECTING, REVERSE_UP, REVERSE_DOWN };

/* From the reverse thread: the state, the bastion-side port (UP), why it went down (DOWN), and
 * the delay before the next try (DOWN). */
typedef void (*reverse_status_fn)(void *data, enum reverse_state state, unsigned remote_port,
				  const char *reason, uint64_t retry_in_ms);

/* Checks target and host key: 0, or -EINVAL with a message. */
int reverse_config_check(const struct reverse_config *cfg, char *err, size_t errlen);

/*
 * Writes the known_hosts file and, without an identity, makes the per-boot key (ssh-keygen);
 * then starts the thread. ret_pubkey: the public key to authorise on the bastion (caller frees).
 */
int reverse_start(const struct reverse_config *cfg, reverse_status_fn fn, void *data,
		  struct reverse **ret, char **ret_pubkey, char *err, size_t errlen);

/* Stops ssh and the thread. NULL is fine. */
void reverse_stop(struct reverse *r);
