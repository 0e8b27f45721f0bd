#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"
#include "ticket.h"

struct json_object;

/*
 * The Remote Connection session: the current ticket, its policy (budget, delay, expiry), the
 * single-controller gate and view-only. Thread-safe: RDP client threads authenticate and
 * connect while the main thread runs commands and timers. Knows nothing of FreeRDP.
 */
struct session;

struct session_callbacks {
	void *userdata;
	/* An event for the control socket, e.g. {"event":"auth-failed",...}. Borrowed. */
	void (*event)(void *userdata, struct json_object *ev);
	/* Monotonic milliseconds. */
	uint64_t (*now_ms)(void *userdata);
	/* Wait until @until_ms (same clock): the minimum time of a failed attempt. */
	void (*sleep_until)(void *userdata, uint64_t until_ms);
};

/* Checks a presented credential against the ticket; true if it matches. */
typedef bool (*session_check_fn)(const struct ticket *t, void *userdata);

int session_new(const struct ticket_policy_config *cfg, const struct session_callbacks *cb,
		bool view_only, struct session **ret);
void session_destroy(struct session *s);

/* Replace the ticket with a fresh one and reset its policy; the old one stops working. */
int session_new_ticket(struct session *s, ticket_random_fn rnd, void *rnd_userdata);
void session_ticket_text(struct session *s, char out[TICKET_TEXT_SIZE]);
/* The connection info (a JSON object) shown in "state" and "ready" events; takes a ref. */
void session_set_info(struct session *s, struct json_object *info);

/* May a new TCP peer start a handshake? false (and a "refused" event) while another client
 * is connected or the ticket is not usable. */
bool session_may_accept(struct session *s, const char *peer);
/* A peer was cut off before it logged in (handshake timeout). */
void session_handshake_timeout(struct session *s, const char *peer);

/*
 * One login attempt from @peer as @user. @check compares the ticket with what was presented.
 * 0 if accepted; -EACCES if the ticket was wrong (counted, after the minimum delay);
 * -EPERM if no ticket is usable now (revoked, expired, ended).
 */
int session_authenticate(struct session *s, const char *peer, const char *user,
			 session_check_fn check, void *userdata);

/* A client finished connecting after it authenticated. -EBUSY if another one holds the
 * session, -EPERM if the ticket went away meanwhile. */
int session_connected(struct session *s, const void *client, const char *peer, const char *user,
		      uint32_t keyboard_layout_id);
/* The controller typed UTF8 as Unicode keyboard events: a "text" event, sent before this
 * returns. -EPERM from anyone else or while view-only; -EINVAL for empty or overlong text.
 * The text is never logged (it may be a password). */
int session_typed_text(struct session *s, const void *client, const char *utf8);
void session_disconnected(struct session *s, const void *client);
bool session_is_controller(struct session *s, const void *client);

/* The end user ended Remote Connection: nothing is accepted until a new ticket. */
void session_end(struct session *s);
void session_set_view_only(struct session *s, bool view_only);
bool session_view_only(struct session *s);

/* Run timers (expiry). Returns milliseconds until the next deadline, or UINT64_MAX. */
uint64_t session_tick(struct session *s);
enum ticket_state session_state(struct session *s);

/* {"event":"state",...} for a control client that just connected or asked. Caller puts it. */
struct json_object *session_state_event(struct session *s);
