#pragma once

#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "port.h"

struct session;
struct rdp_subsystem_config;

/*
 * lifeline-server's FreeRDP side: the shadow server with our subsystem, the ticket check in
 * NLA (or TLS), the single-session gate at accept time and the handshake watchdog.
 */
struct rdp_server;

struct rdp_server_config {
	const char *state_dir; /* FreeRDP reads <state_dir>/shadow/shadow.{crt,key} */
	const char *bind;      /* comma list, NULL = all */
	uint16_t port_lo, port_hi;
	ticket_random_fn rnd;
	enum server_security security;
	uint64_t handshake_timeout_ms;
	struct session *session;
	struct rdp_subsystem_config *subsystem;
};

/* Send FreeRDP's own log lines to our log (warnings and worse, or $WLOG_LEVEL). */
void rdp_log_init(void);

/* Where FreeRDP expects the certificate and key for @state_dir. Caller frees. */
int rdp_cert_paths(const char *state_dir, char **ret_cert, char **ret_key);

/* Start listening on a random free port of the range. -EADDRINUSE if none could be bound. */
int rdp_server_start(const struct rdp_server_config *cfg, struct rdp_server **ret,
		     uint16_t *ret_port, char *err, size_t errlen);
/* Cut every client off (connected or still in its handshake). */
void rdp_server_disconnect_all(struct rdp_server *srv);
/* Stop and free; bounded even while a client stalls in its handshake. */
void rdp_server_stop(struct rdp_server *srv);
