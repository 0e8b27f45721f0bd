#pragma once

/*
 * The life of one ticket: attempt budget, minimum failure delay, idle expiry, session state.
 * Pure: every time is uint64_t milliseconds from a monotonic clock the caller passes in.
 */

#include <stdbool.h>
#include <stdint.h>

#define TICKET_POLICY_DEFAULT_MAX_FAILURES     10
#define TICKET_POLICY_DEFAULT_FAILURE_DELAY_MS 1000
#define TICKET_POLICY_DEFAULT_EXPIRE_MS        (30 * 60 * 1000)
#define TICKET_POLICY_NEVER                    UINT64_MAX

struct ticket_policy_config {
	unsigned max_failures; /* failures that revoke the ticket; default 10; 0 is taken as 1 */
	uint64_t failure_delay_ms; /* minimum time from attempt start to failure reply; default 1000
				    */
	uint64_t expire_ms; /* idle time that expires the ticket; default 30 min; 0 = never */
};

void ticket_policy_config_defaults(struct ticket_policy_config *cfg);

enum ticket_state {
	TICKET_STATE_ACTIVE,  /* waiting for the helpdesk; attempts allowed */
	TICKET_STATE_IN_USE,  /* a session is connected */
	TICKET_STATE_REVOKED, /* too many failures; terminal */
	TICKET_STATE_EXPIRED, /* unused for too long; terminal */
	TICKET_STATE_ENDED,   /* the end user ended Remote Connection; terminal */
};

struct ticket_policy {
	struct ticket_policy_config cfg;
	enum ticket_state state;
	unsigned failures;
	uint64_t idle_since_ms; /* creation or last disconnect */
};

/* Fresh ticket: ACTIVE, 0 failures, idle timer starts now. */
void ticket_policy_init(struct ticket_policy *p, const struct ticket_policy_config *cfg,
			uint64_t now_ms);

/*
 * Update time-based state (expiry) and return the state. ACTIVE = may attempt. Expiry: unused
 * (no session connected) for expire_ms since creation or since the last disconnect. Never
 * expires while IN_USE.
 */
enum ticket_state ticket_policy_state(struct ticket_policy *p, uint64_t now_ms);

/* State is ACTIVE at now_ms. */
bool ticket_policy_may_attempt(struct ticket_policy *p, uint64_t now_ms);

/*
 * A failed attempt that started at attempt_start_ms. Returns the time (ms, same clock) until
 * which the caller must hold the reply (attempt_start + failure_delay, saturating), and revokes
 * once failures reach max_failures (from ACTIVE or IN_USE; a terminal state stays as it is).
 */
uint64_t ticket_policy_failure(struct ticket_policy *p, uint64_t attempt_start_ms, uint64_t now_ms);

unsigned ticket_policy_failures(const struct ticket_policy *p);

/* Failures left before revocation; 0 once revoked by failures. */
unsigned ticket_policy_remaining(const struct ticket_policy *p);

/* Success: ACTIVE -> IN_USE (no effect in any other state). Failures are NOT reset. */
void ticket_policy_connected(struct ticket_policy *p, uint64_t now_ms);

/* IN_USE -> ACTIVE (reconnect with the same ticket allowed); the idle timer restarts. */
void ticket_policy_disconnected(struct ticket_policy *p, uint64_t now_ms);

/* The end user ended Remote Connection: ENDED, nothing accepted any more. */
void ticket_policy_end(struct ticket_policy *p);

/*
 * When an ACTIVE ticket will expire (absolute ms, same clock), so the caller can arm a timer;
 * TICKET_POLICY_NEVER when expiry is off or the ticket is not ACTIVE.
 */
uint64_t ticket_policy_expiry_deadline(const struct ticket_policy *p);

/* "active", "in-use", "revoked", "expired", "ended"; "unknown" for anything else */
const char *ticket_state_name(enum ticket_state s);
