#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"
#include "test-common.h"

struct fake {
	uint64_t now;
	uint64_t slept_until;
	struct json_object *events; /* array of every event, in order */
};

static uint64_t fake_now(void *ud)
{
	return ((struct fake *)ud)->now;
}

static void fake_sleep(void *ud, uint64_t until)
{
	struct fake *f = ud;

	f->slept_until = until;
	if (until > f->now) {
		f->now = until;
	}
}

static void fake_event(void *ud, struct json_object *ev)
{
	json_object_array_add(((struct fake *)ud)->events, json_object_get(ev));
}

/* bytes for the ticket: 9 digits 1..9 */
static int fixed_random(void *buf, size_t len, void *ud)
{
	unsigned char *b = buf;

	for (size_t i = 0; i < len; i++) {
		b[i] = (unsigned char)(i + 1);
	}
	return 0;
}

static struct session *make(struct fake *f, unsigned max_failures, uint64_t expire_ms)
{
	struct ticket_policy_config cfg;
	struct session *s;

	ticket_policy_config_defaults(&cfg);
	cfg.max_failures = max_failures;
	cfg.failure_delay_ms = 500;
	cfg.expire_ms = expire_ms;
	f->now = 1000;
	f->events = json_object_new_array();
	ck_assert_int_eq(session_new(&cfg,
				     &(struct session_callbacks){ .userdata = f,
								  .event = fake_event,
								  .now_ms = fake_now,
								  .sleep_until = fake_sleep },
				     false, &s),
			 0);
	ck_assert_int_eq(session_new_ticket(s, fixed_random, NULL), 0);
	return s;
}

static void done(struct fake *f, struct session *s)
{
	session_destroy(s);
	json_object_put(f->events);
}

/* The name of event i, and how many events carry that name. */
static const char *event_name(struct fake *f, size_t i)
{
	struct json_object *ev = json_object_array_get_idx(f->events, i), *name;

	ck_assert_ptr_nonnull(ev);
	ck_assert(json_object_object_get_ex(ev, "event", &name));
	return json_object_get_string(name);
}

static size_t count_events(struct fake *f, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < json_object_array_length(f->events); i++) {
		n += strcmp(event_name(f, i), name) == 0;
	}
	return n;
}

static int last_int(struct fake *f, const char *name, const char *key)
{
	for (size_t i = json_object_array_length(f->events); i-- > 0;) {
		struct json_object *v;

		if (strcmp(event_name(f, i), name) == 0) {
			ck_assert(json_object_object_get_ex(json_object_array_get_idx(f->events, i),
							    key, &v));
			return json_object_get_int(v);
		}
	}
	ck_abort_msg("no %s event", name);
	return -1;
}

static bool check_text(const struct ticket *t, void *ud)
{
	const char *presented = ud;

	return ticket_matches(t, presented, strlen(presented));
}

START_TEST(right_ticket_connects)
{
	struct fake f;
	struct session *s = make(&f, 10, 0);
	char text[TICKET_TEXT_SIZE];
	int client;

	session_ticket_text(s, text);
	ck_assert_int_eq(strlen(text), 11);
	ck_assert(session_may_accept(s, "10.0.0.9"));
	ck_assert_int_eq(session_authenticate(s, "10.0.0.9", "anyone", check_text, text), 0);
	ck_assert_int_eq(session_connected(s, &client, "10.0.0.9", "anyone", 0x409), 0);
	ck_assert(session_is_controller(s, &client));
	ck_assert_int_eq(session_state(s), TICKET_STATE_IN_USE);
	ck_assert_uint_eq(count_events(&f, "connected"), 1);
	ck_assert_uint_eq(count_events(&f, "auth-failed"), 0);
	done(&f, s);
}
END_TEST

/* The layout the client announced reaches the shell as XKB names; Unicode text only from the
 * controller, never while view-only. */
START_TEST(keyboard_layout_and_text)
{
	struct fake f;
	struct session *s = make(&f, 10, 0);
	char text[TICKET_TEXT_SIZE];
	int client, stranger;
	struct json_object *ev = NULL, *v;
	size_t n;

	session_ticket_text(s, text);
	ck_assert_int_eq(session_authenticate(s, "a", "u", check_text, text), 0);
	ck_assert_int_eq(session_connected(s, &client, "a", "u", 0x10407), 0);
	n = json_object_array_length(f.events);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(f.events, i);

		if (json_object_object_get_ex(e, "event", &v) &&
		    strcmp(json_object_get_string(v), "connected") == 0) {
			ev = e;
		}
	}
	ck_assert_ptr_nonnull(ev);
	ck_assert(json_object_object_get_ex(ev, "keyboard_layout", &v));
	ck_assert_str_eq(json_object_get_string(v), "de");
	ck_assert(json_object_object_get_ex(ev, "keyboard_layout_id", &v));
	ck_assert_int_eq(json_object_get_int64(v), 0x10407);

	ck_assert_int_eq(session_typed_text(s, &client, "\xc3\xa4"), 0);
	ck_assert_uint_eq(count_events(&f, "text"), 1);
	ev = json_object_array_get_idx(f.events, json_object_array_length(f.events) - 1);
	ck_assert(json_object_object_get_ex(ev, "text", &v));
	ck_assert_str_eq(json_object_get_string(v), "\xc3\xa4");
	ck_assert_int_eq(session_typed_text(s, &stranger, "x"), -EPERM);
	ck_assert_int_eq(session_typed_text(s, &client, ""), -EINVAL);
	ck_assert_int_eq(session_typed_text(s, &client, "0123456789abcdefg"), -EINVAL);
	session_set_view_only(s, true);
	ck_assert_int_eq(session_typed_text(s, &client, "x"), -EPERM);
	ck_assert_uint_eq(count_events(&f, "text"), 1);
	done(&f, s);
}
END_TEST

START_TEST(wrong_tickets_counted_then_revoked)
{
	struct fake f;
	struct session *s = make(&f, 3, 0);
	char text[TICKET_TEXT_SIZE];

	session_ticket_text(s, text);
	for (int i = 1; i <= 3; i++) {
		uint64_t before = f.now;

		ck_assert_int_eq(
			session_authenticate(s, "10.0.0.66", "x", check_text, "000-000-000"),
			-EACCES);
		/* every failure takes at least the minimum delay */
		ck_assert_uint_ge(f.slept_until, before + 500);
		ck_assert_int_eq(last_int(&f, "auth-failed", "failures"), i);
		ck_assert_int_eq(last_int(&f, "auth-failed", "remaining"), 3 - i);
	}
	ck_assert_uint_eq(count_events(&f, "revoked"), 1);
	ck_assert_int_eq(session_state(s), TICKET_STATE_REVOKED);
	/* now even the right ticket is refused, before any handshake */
	ck_assert(!session_may_accept(s, "10.0.0.9"));
	ck_assert_int_eq(session_authenticate(s, "10.0.0.9", "x", check_text, text), -EPERM);
	ck_assert_uint_eq(count_events(&f, "revoked"), 1);
	ck_assert_uint_ge(count_events(&f, "refused"), 2);
	/* a new ticket starts over */
	ck_assert_int_eq(session_new_ticket(s, fixed_random, NULL), 0);
	ck_assert(session_may_accept(s, "10.0.0.9"));
	done(&f, s);
}
END_TEST

START_TEST(second_client_refused)
{
	struct fake f;
	struct session *s = make(&f, 10, 0);
	char text[TICKET_TEXT_SIZE];
	int first, second;

	session_ticket_text(s, text);
	ck_assert_int_eq(session_authenticate(s, "a", "u", check_text, text), 0);
	ck_assert_int_eq(session_connected(s, &first, "a", "u", 0x409), 0);
	ck_assert(!session_may_accept(s, "b"));
	ck_assert_int_eq(session_authenticate(s, "b", "u", check_text, text), -EPERM);
	ck_assert_int_eq(session_connected(s, &second, "b", "u", 0x409), -EBUSY);
	ck_assert(session_is_controller(s, &first));
	ck_assert(!session_is_controller(s, &second));
	/* a refused client's disconnect does not end the first one's session */
	session_disconnected(s, &second);
	ck_assert(session_is_controller(s, &first));
	/* after the first leaves, the same ticket works again */
	session_disconnected(s, &first);
	ck_assert_uint_eq(count_events(&f, "disconnected"), 1);
	ck_assert(session_may_accept(s, "b"));
	ck_assert_int_eq(session_authenticate(s, "b", "u", check_text, text), 0);
	ck_assert_int_eq(session_connected(s, &second, "b", "u", 0x409), 0);
	done(&f, s);
}
END_TEST

START_TEST(expiry_when_unused)
{
	struct fake f;
	struct session *s = make(&f, 10, 60000);
	char text[TICKET_TEXT_SIZE];
	int client;

	session_ticket_text(s, text);
	/* the main loop sleeps exactly until the deadline */
	ck_assert_uint_eq(session_tick(s), 60000);
	f.now += 59000;
	ck_assert_uint_eq(session_tick(s), 1000);
	ck_assert_int_eq(session_state(s), TICKET_STATE_ACTIVE);
	ck_assert_int_eq(session_authenticate(s, "a", "u", check_text, text), 0);
	ck_assert_int_eq(session_connected(s, &client, "a", "u", 0x409), 0);
	/* never expires while in use */
	f.now += 3600000;
	ck_assert_uint_eq(session_tick(s), UINT64_MAX);
	ck_assert_int_eq(session_state(s), TICKET_STATE_IN_USE);
	/* the idle clock restarts at the disconnect */
	session_disconnected(s, &client);
	f.now += 59000;
	session_tick(s);
	ck_assert_int_eq(session_state(s), TICKET_STATE_ACTIVE);
	f.now += 2000;
	session_tick(s);
	ck_assert_int_eq(session_state(s), TICKET_STATE_EXPIRED);
	ck_assert_uint_eq(count_events(&f, "expired"), 1);
	ck_assert(!session_may_accept(s, "a"));
	session_tick(s);
	ck_assert_uint_eq(count_events(&f, "expired"), 1);
	done(&f, s);
}
END_TEST

START_TEST(end_session)
{
	struct fake f;
	struct session *s = make(&f, 10, 0);
	char text[TICKET_TEXT_SIZE];
	int client;

	session_ticket_text(s, text);
	ck_assert_int_eq(session_authenticate(s, "a", "u", check_text, text), 0);
	ck_assert_int_eq(session_connected(s, &client, "a", "u", 0x409), 0);
	session_end(s);
	ck_assert_uint_eq(count_events(&f, "ended"), 1);
	session_disconnected(s, &client);
	ck_assert_int_eq(session_state(s), TICKET_STATE_ENDED);
	ck_assert(!session_may_accept(s, "a"));
	ck_assert_int_eq(session_authenticate(s, "a", "u", check_text, text), -EPERM);
	done(&f, s);
}
END_TEST

START_TEST(view_only_and_state_event)
{
	struct fake f;
	struct session *s = make(&f, 10, 0);
	struct json_object *ev, *v;

	ck_assert(!session_view_only(s));
	session_set_view_only(s, true);
	session_set_view_only(s, true);
	ck_assert(session_view_only(s));
	ck_assert_uint_eq(count_events(&f, "view-only"), 1);

	ev = session_state_event(s);
	ck_assert(json_object_object_get_ex(ev, "state", &v));
	ck_assert_str_eq(json_object_get_string(v), "active");
	ck_assert(json_object_object_get_ex(ev, "view_only", &v));
	ck_assert(json_object_get_boolean(v));
	json_object_put(ev);
	done(&f, s);
}
END_TEST

/* The last event but @back (0 = the last). */
static struct json_object *event_from_end(struct fake *f, size_t back)
{
	size_t n = json_object_array_length(f->events);

	ck_assert_uint_gt(n, back);
	return json_object_array_get_idx(f->events, n - 1 - back);
}

static const char *str_of(struct json_object *ev, const char *key)
{
	struct json_object *v;

	ck_assert(json_object_object_get_ex(ev, key, &v));
	return json_object_get_string(v);
}

/* The ticket expires between the login and the end of the connection: the client is refused,
 * and "expired" goes out before the refusal. */
START_TEST(expired_before_connected)
{
	struct fake f;
	struct session *s = make(&f, 10, 60000);
	char text[TICKET_TEXT_SIZE];
	int client;

	session_ticket_text(s, text);
	ck_assert_int_eq(session_authenticate(s, "10.0.0.9", "u", check_text, text), 0);
	f.now += 61000;
	ck_assert_int_eq(session_connected(s, &client, "10.0.0.9", "u", 0x409), -EPERM);
	ck_assert(!session_is_controller(s, &client));
	ck_assert_str_eq(str_of(event_from_end(&f, 1), "event"), "expired");
	ck_assert_str_eq(str_of(event_from_end(&f, 0), "event"), "refused");
	ck_assert_str_eq(str_of(event_from_end(&f, 0), "peer"), "10.0.0.9");
	ck_assert_str_eq(str_of(event_from_end(&f, 0), "reason"), "ticket expired");
	ck_assert_uint_eq(count_events(&f, "connected"), 0);
	ck_assert_uint_eq(count_events(&f, "expired"), 1);
	done(&f, s);
}
END_TEST

/* The failure that uses up the budget is announced first, then the revocation. */
START_TEST(revoked_follows_last_failure)
{
	struct fake f;
	struct session *s = make(&f, 1, 0);

	ck_assert_int_eq(session_authenticate(s, "10.0.0.66", "x", check_text, "000-000-000"),
			 -EACCES);
	ck_assert_uint_eq(json_object_array_length(f.events), 2);
	ck_assert_str_eq(str_of(event_from_end(&f, 1), "event"), "auth-failed");
	ck_assert_str_eq(str_of(event_from_end(&f, 0), "event"), "revoked");
	ck_assert_int_eq(last_int(&f, "revoked", "failures"), 1);
	done(&f, s);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("server-session");
	TCase *tc = tcase_create("session");

	tcase_add_test(tc, right_ticket_connects);
	tcase_add_test(tc, keyboard_layout_and_text);
	tcase_add_test(tc, wrong_tickets_counted_then_revoked);
	tcase_add_test(tc, second_client_refused);
	tcase_add_test(tc, expiry_when_unused);
	tcase_add_test(tc, end_session);
	tcase_add_test(tc, view_only_and_state_event);
	tcase_add_test(tc, expired_before_connected);
	tcase_add_test(tc, revoked_follows_last_failure);
	suite_add_tcase(s, tc);
	return s;
}
