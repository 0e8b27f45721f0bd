#include "session.h"

#include <errno.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyboard-layout.h"
#include "log.h"

struct session {
	pthread_mutex_t lock;
	struct session_callbacks cb;
	struct ticket_policy_config cfg;
	struct ticket ticket;
	bool have_ticket;
	struct ticket_policy policy;
	enum ticket_state reported; /* last state announced, to send revoked/expired once */
	const void *controller;     /* the connected client, or NULL */
	char controller_peer[64];
	char controller_user[64];
	int64_t controller_since; /* wall clock, seconds since the epoch */
	bool view_only;
	struct json_object *info;
};

/* Send and put @ev; NULL is nothing to send. */
static void emit(struct session *s, struct json_object *ev)
{
	if (!ev) {
		return;
	}
	if (s->cb.event) {
		s->cb.event(s->cb.userdata, ev);
	}
	json_object_put(ev);
}

static struct json_object *event_new(const char *name)
{
	struct json_object *ev = json_object_new_object();

	json_object_object_add(ev, "event", json_object_new_string(name));
	return ev;
}

static void add_str(struct json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value ? value : ""));
}

int session_new(const struct ticket_policy_config *cfg, const struct session_callbacks *cb,
		bool view_only, struct session **ret)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s) {
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	s->cb = *cb;
	s->cfg = *cfg;
	s->view_only = view_only;
	*ret = s;
	return 0;
}

void session_destroy(struct session *s)
{
	if (!s) {
		return;
	}
	ticket_wipe(&s->ticket);
	json_object_put(s->info);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int session_new_ticket(struct session *s, ticket_random_fn rnd, void *rnd_userdata)
{
	struct ticket t;
	int r;

	r = ticket_generate(&t, rnd, rnd_userdata);
	if (r < 0) {
		return r;
	}
	pthread_mutex_lock(&s->lock);
	ticket_wipe(&s->ticket);
	s->ticket = t;
	s->have_ticket = true;
	ticket_policy_init(&s->policy, &s->cfg, s->cb.now_ms(s->cb.userdata));
	s->reported = TICKET_STATE_ACTIVE;
	pthread_mutex_unlock(&s->lock);
	ticket_wipe(&t);
	return 0;
}

void session_ticket_text(struct session *s, char out[TICKET_TEXT_SIZE])
{
	pthread_mutex_lock(&s->lock);
	ticket_format(&s->ticket, out);
	pthread_mutex_unlock(&s->lock);
}

void session_set_info(struct session *s, struct json_object *info)
{
	struct json_object *ev;

	pthread_mutex_lock(&s->lock);
	json_object_put(s->info);
	s->info = json_object_get(info);
	pthread_mutex_unlock(&s->lock);

	ev = event_new("ready");
	json_object_object_add(ev, "info", json_object_get(info));
	emit(s, ev);
}

/* Called with the lock held: advance the policy clock and announce a new terminal state once. */
static enum ticket_state update_locked(struct session *s, struct json_object **ret_ev)
{
	enum ticket_state st;

	*ret_ev = NULL;
	if (!s->have_ticket) {
		return TICKET_STATE_ENDED;
	}
	st = ticket_policy_state(&s->policy, s->cb.now_ms(s->cb.userdata));
	if (st != s->reported) {
		s->reported = st;
		if (st == TICKET_STATE_REVOKED) {
			*ret_ev = event_new("revoked");
			json_object_object_add(
				*ret_ev, "failures",
				json_object_new_int((int)ticket_policy_failures(&s->policy)));
			log_warn("ticket revoked after %u failed attempts; make a new ticket",
				 ticket_policy_failures(&s->policy));
		} else if (st == TICKET_STATE_EXPIRED) {
			*ret_ev = event_new("expired");
			log_info("ticket expired unused; make a new ticket");
		} else if (st == TICKET_STATE_ENDED) {
			*ret_ev = event_new("ended");
			log_info("Remote Connection ended");
		}
	}
	return st;
}

static void emit_refused(struct session *s, const char *peer, const char *reason)
{
	struct json_object *ev = event_new("refused");

	add_str(ev, "peer", peer);
	add_str(ev, "reason", reason);
	log_info("refused %s: %s", peer, reason);
	emit(s, ev);
}

static const char *refusal_reason(enum ticket_state st)
{
	switch (st) {
	case TICKET_STATE_REVOKED:
		return "ticket revoked after too many failed attempts";
	case TICKET_STATE_EXPIRED:
		return "ticket expired";
	case TICKET_STATE_ENDED:
		return "Remote Connection ended";
	case TICKET_STATE_IN_USE:
		return "another helpdesk session is active";
	case TICKET_STATE_ACTIVE:
		break;
	}
	return "refused";
}

/*
 * Called with the lock held, after update_locked: release the lock, then send @state_ev (may be
 * NULL) and, if @refusal is set, refuse @peer with that reason. Events go out unlocked, so that
 * the callback may call back into the session.
 */
static void unlock_and_emit(struct session *s, struct json_object *state_ev, const char *peer,
			    const char *refusal)
{
	pthread_mutex_unlock(&s->lock);
	emit(s, state_ev);
	if (refusal) {
		emit_refused(s, peer, refusal);
	}
}

bool session_may_accept(struct session *s, const char *peer)
{
	struct json_object *ev;
	enum ticket_state st;

	pthread_mutex_lock(&s->lock);
	st = update_locked(s, &ev);
	if (st == TICKET_STATE_ACTIVE && s->controller) {
		st = TICKET_STATE_IN_USE;
	}
	unlock_and_emit(s, ev, peer, st == TICKET_STATE_ACTIVE ? NULL : refusal_reason(st));
	return st == TICKET_STATE_ACTIVE;
}

void session_handshake_timeout(struct session *s, const char *peer)
{
	emit_refused(s, peer, "did not log in within the handshake timeout");
}

int session_authenticate(struct session *s, const char *peer, const char *user,
			 session_check_fn check, void *userdata)
{
	struct json_object *ev, *state_ev, *rev;
	enum ticket_state st;
	uint64_t start, until;
	bool ok;

	pthread_mutex_lock(&s->lock);
	start = s->cb.now_ms(s->cb.userdata);
	st = update_locked(s, &state_ev);
	if (st != TICKET_STATE_ACTIVE || s->controller) {
		unlock_and_emit(s, state_ev, peer,
				refusal_reason(s->controller ? TICKET_STATE_IN_USE : st));
		return -EPERM;
	}
	ok = check(&s->ticket, userdata);
	if (ok) {
		unlock_and_emit(s, state_ev, NULL, NULL);
		log_info("%s logged in with the ticket as user '%s'", peer, user ? user : "");
		return 0;
	}
	until = ticket_policy_failure(&s->policy, start, s->cb.now_ms(s->cb.userdata));
	ev = event_new("auth-failed");
	add_str(ev, "peer", peer);
	add_str(ev, "user", user);
	add_str(ev, "reason", "wrong ticket");
	json_object_object_add(ev, "failures",
			       json_object_new_int((int)ticket_policy_failures(&s->policy)));
	json_object_object_add(ev, "remaining",
			       json_object_new_int((int)ticket_policy_remaining(&s->policy)));
	log_warn("%s (user '%s') gave a wrong ticket: failure %u, %u left", peer, user ? user : "",
		 ticket_policy_failures(&s->policy), ticket_policy_remaining(&s->policy));
	/* This failure may have used up the budget: "revoked" follows "auth-failed". */
	update_locked(s, &rev);
	unlock_and_emit(s, state_ev, NULL, NULL);
	emit(s, ev);
	emit(s, rev);
	/* Outside the lock: a slow failure must not hold up the other threads. */
	if (s->cb.sleep_until) {
		s->cb.sleep_until(s->cb.userdata, until);
	}
	return -EACCES;
}

int session_connected(struct session *s, const void *client, const char *peer, const char *user,
		      uint32_t keyboard_layout_id)
{
	struct json_object *ev, *state_ev;
	enum ticket_state st;
	bool view_only;
	const char *layout = "", *variant = "";

	pthread_mutex_lock(&s->lock);
	st = update_locked(s, &state_ev);
	if (s->controller && s->controller != client) {
		unlock_and_emit(s, state_ev, peer, refusal_reason(TICKET_STATE_IN_USE));
		return -EBUSY;
	}
	if (st != TICKET_STATE_ACTIVE) {
		unlock_and_emit(s, state_ev, peer, refusal_reason(st));
		return -EPERM;
	}
	s->controller = client;
	snprintf(s->controller_peer, sizeof(s->controller_peer), "%s", peer);
	snprintf(s->controller_user, sizeof(s->controller_user), "%s", user ? user : "");
	s->controller_since = (int64_t)time(NULL);
	ticket_policy_connected(&s->policy, s->cb.now_ms(s->cb.userdata));
	s->reported = TICKET_STATE_IN_USE;
	view_only = s->view_only;
	pthread_mutex_unlock(&s->lock);

	ev = event_new("connected");
	add_str(ev, "peer", peer);
	add_str(ev, "user", user);
	json_object_object_add(ev, "since", json_object_new_int64(s->controller_since));
	json_object_object_add(ev, "view_only", json_object_new_boolean(view_only));
	/* Unknown: "" - the console reads the keys with its own layout, as before. */
	keyboard_layout_from_id(keyboard_layout_id, &layout, &variant);
	json_object_object_add(ev, "keyboard_layout_id", json_object_new_int64(keyboard_layout_id));
	add_str(ev, "keyboard_layout", layout);
	add_str(ev, "keyboard_variant", variant);
	log_info("helpdesk connected from %s as '%s'%s, keyboard 0x%08x (%s%s%s)", peer,
		 user ? user : "", view_only ? " (view only)" : "", keyboard_layout_id,
		 layout[0] ? layout : "unknown", variant[0] ? ":" : "", variant);
	emit(s, ev);
	return 0;
}

int session_typed_text(struct session *s, const void *client, const char *utf8)
{
	struct json_object *ev;
	bool ok;

	if (!utf8 || !utf8[0] || strlen(utf8) > 16) {
		return -EINVAL;
	}
	pthread_mutex_lock(&s->lock);
	ok = client && s->controller == client && !s->view_only;
	pthread_mutex_unlock(&s->lock);
	if (!ok) {
		return -EPERM;
	}
	ev = event_new("text");
	add_str(ev, "text", utf8);
	emit(s, ev);
	return 0;
}

void session_disconnected(struct session *s, const void *client)
{
	struct json_object *ev;
	char peer[64];

	pthread_mutex_lock(&s->lock);
	if (!client || s->controller != client) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	s->controller = NULL;
	memcpy(peer, s->controller_peer, sizeof(peer));
	if (s->have_ticket &&
	    ticket_policy_state(&s->policy, s->cb.now_ms(s->cb.userdata)) == TICKET_STATE_IN_USE) {
		ticket_policy_disconnected(&s->policy, s->cb.now_ms(s->cb.userdata));
		s->reported = TICKET_STATE_ACTIVE;
	}
	pthread_mutex_unlock(&s->lock);

	ev = event_new("disconnected");
	add_str(ev, "peer", peer);
	log_info("helpdesk at %s disconnected", peer);
	emit(s, ev);
}

bool session_is_controller(struct session *s, const void *client)
{
	bool r;

	pthread_mutex_lock(&s->lock);
	r = client && s->controller == client;
	pthread_mutex_unlock(&s->lock);
	return r;
}

void session_end(struct session *s)
{
	struct json_object *ev;

	pthread_mutex_lock(&s->lock);
	if (s->have_ticket) {
		ticket_policy_end(&s->policy);
	}
	update_locked(s, &ev);
	unlock_and_emit(s, ev, NULL, NULL);
}

void session_set_view_only(struct session *s, bool view_only)
{
	struct json_object *ev;
	bool changed;

	pthread_mutex_lock(&s->lock);
	changed = s->view_only != view_only;
	s->view_only = view_only;
	pthread_mutex_unlock(&s->lock);
	if (!changed) {
		return;
	}
	log_info("view-only %s", view_only ? "on" : "off");
	ev = event_new("view-only");
	json_object_object_add(ev, "enabled", json_object_new_boolean(view_only));
	emit(s, ev);
}

bool session_view_only(struct session *s)
{
	bool r;

	pthread_mutex_lock(&s->lock);
	r = s->view_only;
	pthread_mutex_unlock(&s->lock);
	return r;
}

uint64_t session_tick(struct session *s)
{
	struct json_object *ev;
	uint64_t left = UINT64_MAX;

	pthread_mutex_lock(&s->lock);
	if (update_locked(s, &ev) == TICKET_STATE_ACTIVE) {
		uint64_t deadline = ticket_policy_expiry_deadline(&s->policy);
		uint64_t now = s->cb.now_ms(s->cb.userdata);

		if (deadline != TICKET_POLICY_NEVER) {
			left = deadline > now ? deadline - now : 0;
		}
	}
	unlock_and_emit(s, ev, NULL, NULL);
	return left;
}

enum ticket_state session_state(struct session *s)
{
	struct json_object *ev;
	enum ticket_state st;

	pthread_mutex_lock(&s->lock);
	st = update_locked(s, &ev);
	unlock_and_emit(s, ev, NULL, NULL);
	return st;
}

struct json_object *session_state_event(struct session *s)
{
	struct json_object *ev = event_new("state");
	enum ticket_state st = session_state(s);

	pthread_mutex_lock(&s->lock);
	add_str(ev, "state", ticket_state_name(st));
	json_object_object_add(ev, "info", json_object_get(s->info));
	json_object_object_add(ev, "view_only", json_object_new_boolean(s->view_only));
	json_object_object_add(
		ev, "failures",
		json_object_new_int(s->have_ticket ? (int)ticket_policy_failures(&s->policy) : 0));
	if (s->controller) {
		add_str(ev, "peer", s->controller_peer);
		add_str(ev, "user", s->controller_user);
		json_object_object_add(ev, "since", json_object_new_int64(s->controller_since));
	}
	pthread_mutex_unlock(&s->lock);
	return ev;
}
