#include "policy.h"
#include "test-common.h"

#define MIN_MS (60 * 1000ull)

static struct ticket_policy policy_with(unsigned max_failures, uint64_t delay_ms,
                                        uint64_t expire_ms, uint64_t now)
{
	struct ticket_policy_config cfg = {
	                .max_failures = max_failures,
	                .failure_delay_ms = delay_ms,
	                .expire_ms = expire_ms,
	};
	struct ticket_policy p;

	ticket_policy_init(&p, &cfg, now);
	return p;
}

START_TEST(defaults)
{
	struct ticket_policy_config cfg;
	struct ticket_policy p;

	memset(&cfg, 0xff, sizeof(cfg));
	ticket_policy_config_defaults(&cfg);
	ck_assert_uint_eq(cfg.max_failures, 10);
	ck_assert_uint_eq(cfg.failure_delay_ms, 1000);
	ck_assert_uint_eq(cfg.expire_ms, 30 * MIN_MS);

	ticket_policy_init(&p, &cfg, 5000);
	ck_assert_int_eq(ticket_policy_state(&p, 5000), TICKET_STATE_ACTIVE);
	ck_assert(ticket_policy_may_attempt(&p, 5000));
	ck_assert_uint_eq(ticket_policy_failures(&p), 0);
	ck_assert_uint_eq(ticket_policy_remaining(&p), 10);
}
END_TEST

START_TEST(budget_exhausts_then_revoked)
{
	struct ticket_policy p = policy_with(10, 1000, 30 * MIN_MS, 0);
	uint64_t now = 100;

	for (unsigned i = 1; i <= 9; i++) {
		ck_assert(ticket_policy_may_attempt(&p, now));
		ticket_policy_failure(&p, now, now + 5);
		ck_assert_uint_eq(ticket_policy_failures(&p), i);
		ck_assert_uint_eq(ticket_policy_remaining(&p), 10 - i);
		ck_assert_int_eq(ticket_policy_state(&p, now), TICKET_STATE_ACTIVE);
		now += 1000;
	}
	ticket_policy_failure(&p, now, now);
	ck_assert_uint_eq(ticket_policy_failures(&p), 10);
	ck_assert_uint_eq(ticket_policy_remaining(&p), 0);
	ck_assert_int_eq(ticket_policy_state(&p, now), TICKET_STATE_REVOKED);
	/* the caller asks may_attempt before checking the ticket: even the right one is refused */
	ck_assert(!ticket_policy_may_attempt(&p, now));
	ck_assert(!ticket_policy_may_attempt(&p, now + 60 * MIN_MS));
	/* a success reported anyway changes nothing */
	ticket_policy_connected(&p, now);
	ck_assert_int_eq(ticket_policy_state(&p, now), TICKET_STATE_REVOKED);
	ticket_policy_disconnected(&p, now);
	ck_assert_int_eq(ticket_policy_state(&p, now), TICKET_STATE_REVOKED);
	/* further failures keep counting but never underflow remaining */
	ticket_policy_failure(&p, now, now);
	ck_assert_uint_eq(ticket_policy_failures(&p), 11);
	ck_assert_uint_eq(ticket_policy_remaining(&p), 0);
}
END_TEST

START_TEST(failure_returns_hold_time)
{
	struct ticket_policy p = policy_with(10, 1000, 0, 0);

	ck_assert_uint_eq(ticket_policy_failure(&p, 5000, 5200), 6000);
	/* a slow attempt already past its minimum: the deadline is in the past, not moved */
	ck_assert_uint_eq(ticket_policy_failure(&p, 7000, 9000), 8000);

	p = policy_with(10, 250, 0, 0);
	ck_assert_uint_eq(ticket_policy_failure(&p, 42, 42), 292);

	p = policy_with(10, UINT64_MAX, 0, 0);
	ck_assert_uint_eq(ticket_policy_failure(&p, 10, 10), UINT64_MAX); /* saturates */
}
END_TEST

START_TEST(max_failures_zero_is_one)
{
	struct ticket_policy p = policy_with(0, 1000, 0, 0);

	ck_assert(ticket_policy_may_attempt(&p, 0));
	ck_assert_uint_eq(ticket_policy_remaining(&p), 1);
	ticket_policy_failure(&p, 0, 0);
	ck_assert_int_eq(ticket_policy_state(&p, 0), TICKET_STATE_REVOKED);
}
END_TEST

START_TEST(success_keeps_failures)
{
	struct ticket_policy p = policy_with(3, 1000, 30 * MIN_MS, 0);

	ticket_policy_failure(&p, 0, 0);
	ticket_policy_failure(&p, 1000, 1000);
	ticket_policy_connected(&p, 2000);
	ck_assert_int_eq(ticket_policy_state(&p, 2000), TICKET_STATE_IN_USE);
	ck_assert_uint_eq(ticket_policy_failures(&p), 2);
	ticket_policy_disconnected(&p, 3000);
	ck_assert_int_eq(ticket_policy_state(&p, 3000), TICKET_STATE_ACTIVE);
	ck_assert_uint_eq(ticket_policy_remaining(&p), 1);
	ticket_policy_failure(&p, 4000, 4000);
	ck_assert_int_eq(ticket_policy_state(&p, 4000), TICKET_STATE_REVOKED);
}
END_TEST

START_TEST(failures_while_in_use_revoke)
{
	/* someone guessing while the helpdesk is connected still burns the budget */
	struct ticket_policy p = policy_with(2, 1000, 30 * MIN_MS, 0);

	ticket_policy_connected(&p, 10);
	ck_assert(!ticket_policy_may_attempt(&p, 20)); /* one session at a time */
	ticket_policy_failure(&p, 20, 20);
	ck_assert_int_eq(ticket_policy_state(&p, 30), TICKET_STATE_IN_USE);
	ticket_policy_failure(&p, 30, 30);
	ck_assert_int_eq(ticket_policy_state(&p, 40), TICKET_STATE_REVOKED);
	ticket_policy_disconnected(&p, 50);
	ck_assert_int_eq(ticket_policy_state(&p, 50), TICKET_STATE_REVOKED);
}
END_TEST

START_TEST(expires_when_idle_since_creation)
{
	struct ticket_policy p = policy_with(10, 1000, 30 * MIN_MS, 1000);

	ck_assert_uint_eq(ticket_policy_expiry_deadline(&p), 1000 + 30 * MIN_MS);
	ck_assert(ticket_policy_may_attempt(&p, 1000 + 30 * MIN_MS - 1));
	ck_assert_int_eq(ticket_policy_state(&p, 1000 + 30 * MIN_MS), TICKET_STATE_EXPIRED);
	ck_assert(!ticket_policy_may_attempt(&p, 1000 + 30 * MIN_MS));
	/* expiry is terminal: it does not come back, even with a clock that went backwards */
	ck_assert_int_eq(ticket_policy_state(&p, 0), TICKET_STATE_EXPIRED);
	ck_assert_uint_eq(ticket_policy_expiry_deadline(&p), TICKET_POLICY_NEVER);
	ticket_policy_connected(&p, 0);
	ck_assert_int_eq(ticket_policy_state(&p, 0), TICKET_STATE_EXPIRED);
}
END_TEST

START_TEST(failures_do_not_extend_idle)
{
	struct ticket_policy p = policy_with(100, 1000, 10 * MIN_MS, 0);

	for (uint64_t t = 0; t < 10 * MIN_MS; t += MIN_MS) {
		ticket_policy_failure(&p, t, t);
	}
	ck_assert_int_eq(ticket_policy_state(&p, 10 * MIN_MS), TICKET_STATE_EXPIRED);
}
END_TEST

START_TEST(never_expires_in_use)
{
	struct ticket_policy p = policy_with(10, 1000, 30 * MIN_MS, 0);

	ticket_policy_connected(&p, 29 * MIN_MS);
	ck_assert_uint_eq(ticket_policy_expiry_deadline(&p), TICKET_POLICY_NEVER);
	ck_assert_int_eq(ticket_policy_state(&p, 600 * MIN_MS), TICKET_STATE_IN_USE);
}
END_TEST

START_TEST(expires_after_disconnect)
{
	struct ticket_policy p = policy_with(10, 1000, 30 * MIN_MS, 0);

	ticket_policy_connected(&p, 1 * MIN_MS);
	ticket_policy_disconnected(&p, 100 * MIN_MS);
	/* idle timer restarted at the disconnect, not at creation */
	ck_assert_int_eq(ticket_policy_state(&p, 100 * MIN_MS), TICKET_STATE_ACTIVE);
	ck_assert_uint_eq(ticket_policy_expiry_deadline(&p), 130 * MIN_MS);
	/* reconnect with the same ticket */
	ck_assert(ticket_policy_may_attempt(&p, 129 * MIN_MS));
	ticket_policy_connected(&p, 129 * MIN_MS);
	ticket_policy_disconnected(&p, 140 * MIN_MS);
	ck_assert(ticket_policy_may_attempt(&p, 169 * MIN_MS));
	ck_assert_int_eq(ticket_policy_state(&p, 170 * MIN_MS), TICKET_STATE_EXPIRED);
}
END_TEST

START_TEST(expire_zero_is_never)
{
	struct ticket_policy p = policy_with(10, 1000, 0, 0);

	ck_assert_uint_eq(ticket_policy_expiry_deadline(&p), TICKET_POLICY_NEVER);
	ck_assert(ticket_policy_may_attempt(&p, UINT64_MAX - 1));
	ck_assert(ticket_policy_may_attempt(&p, UINT64_MAX));
}
END_TEST

START_TEST(expiry_deadline_saturates)
{
	struct ticket_policy p = policy_with(10, 1000, 30 * MIN_MS, UINT64_MAX - 10);

	ck_assert_uint_eq(ticket_policy_expiry_deadline(&p), UINT64_MAX);
	ck_assert(ticket_policy_may_attempt(&p, UINT64_MAX - 1));
}
END_TEST

START_TEST(end_refuses_everything)
{
	struct ticket_policy p = policy_with(10, 1000, 30 * MIN_MS, 0);

	ticket_policy_connected(&p, 10);
	ticket_policy_end(&p);
	ck_assert_int_eq(ticket_policy_state(&p, 20), TICKET_STATE_ENDED);
	ticket_policy_disconnected(&p, 30);
	ck_assert_int_eq(ticket_policy_state(&p, 30), TICKET_STATE_ENDED);
	ck_assert(!ticket_policy_may_attempt(&p, 40));
	ticket_policy_connected(&p, 50);
	ck_assert_int_eq(ticket_policy_state(&p, 50), TICKET_STATE_ENDED);
	/* failures after the end are counted but the state stays ENDED, not REVOKED */
	for (int i = 0; i < 20; i++) {
		ticket_policy_failure(&p, 60, 60);
	}
	ck_assert_int_eq(ticket_policy_state(&p, 60), TICKET_STATE_ENDED);
	ck_assert_int_eq(ticket_policy_state(&p, 600 * MIN_MS), TICKET_STATE_ENDED);
}
END_TEST

START_TEST(state_names)
{
	ck_assert_str_eq(ticket_state_name(TICKET_STATE_ACTIVE), "active");
	ck_assert_str_eq(ticket_state_name(TICKET_STATE_IN_USE), "in-use");
	ck_assert_str_eq(ticket_state_name(TICKET_STATE_REVOKED), "revoked");
	ck_assert_str_eq(ticket_state_name(TICKET_STATE_EXPIRED), "expired");
	ck_assert_str_eq(ticket_state_name(TICKET_STATE_ENDED), "ended");
	ck_assert_str_eq(ticket_state_name((enum ticket_state)42), "unknown");
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("ticket-policy");
	TCase *tc;

	tc = tcase_create("budget");
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, budget_exhausts_then_revoked);
	tcase_add_test(tc, failure_returns_hold_time);
	tcase_add_test(tc, max_failures_zero_is_one);
	tcase_add_test(tc, success_keeps_failures);
	tcase_add_test(tc, failures_while_in_use_revoke);
	suite_add_tcase(s, tc);

	tc = tcase_create("expiry");
	tcase_add_test(tc, expires_when_idle_since_creation);
	tcase_add_test(tc, failures_do_not_extend_idle);
	tcase_add_test(tc, never_expires_in_use);
	tcase_add_test(tc, expires_after_disconnect);
	tcase_add_test(tc, expire_zero_is_never);
	tcase_add_test(tc, expiry_deadline_saturates);
	suite_add_tcase(s, tc);

	tc = tcase_create("end");
	tcase_add_test(tc, end_refuses_everything);
	tcase_add_test(tc, state_names);
	suite_add_tcase(s, tc);

	return s;
}
