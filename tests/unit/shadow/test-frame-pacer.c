/* The poll schedule of a watched screen: full rate while it changes, slowing to the idle rate
 * while it is still, full rate again on a change or on the client's input. */

#include "frame-pacer.h"
#include "shadow-test.h"

/* Drive the pacer as the frame loop does: poll whenever due, with changed() deciding what
 * each poll finds; return how many polls ran in [start, end). */
static unsigned run_until(struct frame_pacer *p, uint64_t *now, uint64_t end,
			  bool (*changed)(uint64_t t))
{
	unsigned polls = 0;

	while (*now < end) {
		uint32_t w = frame_pacer_wait_ms(p, *now);

		if (w > 0) {
			*now += w;
			continue;
		}
		frame_pacer_polled(p, *now, changed(*now));
		polls++;
	}
	return polls;
}

static bool never(uint64_t t)
{
	return false;
}

static bool always(uint64_t t)
{
	return true;
}

/* fbcon's blinking text cursor: a change every 200 ms */
static bool blink(uint64_t t)
{
	return t % 200 < 10;
}

START_TEST(due_at_start)
{
	struct frame_pacer p;

	frame_pacer_init(&p, 30, 5, 1000);
	ck_assert_uint_eq(frame_pacer_wait_ms(&p, 1000), 0);
}
END_TEST

START_TEST(changing_screen_full_rate)
{
	struct frame_pacer p;
	uint64_t now = 0;

	frame_pacer_init(&p, 50, 5, now);
	/* 20 ms period: 50 polls a second, whatever the idle rate */
	ck_assert_uint_eq(run_until(&p, &now, 1000, always), 50);
}
END_TEST

START_TEST(still_screen_slows_to_idle_rate)
{
	struct frame_pacer p;
	uint64_t now = 0;
	unsigned first, later;

	frame_pacer_init(&p, 50, 5, now);
	/* intervals 20, 40, ..., 200 ms: ten polls to reach the idle period */
	first = run_until(&p, &now, 1100, never);
	ck_assert_uint_eq(first, 10);
	ck_assert_uint_eq(frame_pacer_wait_ms(&p, p.last), 200);
	/* then the idle rate: 5 a second */
	later = run_until(&p, &now, now + 10000, never);
	ck_assert_uint_le(later, 51);
	ck_assert_uint_ge(later, 49);
}
END_TEST

START_TEST(change_restores_full_rate)
{
	struct frame_pacer p;
	uint64_t now = 0;

	frame_pacer_init(&p, 50, 5, now);
	run_until(&p, &now, 5000, never);
	frame_pacer_polled(&p, now, true);
	ck_assert_uint_eq(frame_pacer_wait_ms(&p, now), 20);
}
END_TEST

START_TEST(kick_brings_the_next_poll_forward)
{
	struct frame_pacer p;
	uint64_t now = 0;

	frame_pacer_init(&p, 50, 5, now);
	run_until(&p, &now, 5000, never);
	/* idle: next poll 200 ms after the last; a key 5 ms after the last poll */
	ck_assert_uint_eq(frame_pacer_wait_ms(&p, p.last), 200);
	now = p.last + 5;
	frame_pacer_kick(&p, now);
	ck_assert_uint_eq(frame_pacer_wait_ms(&p, now), 15);
	/* a key long after the last full-rate period: at once */
	frame_pacer_polled(&p, now + 15, false);
	now = p.last + 150;
	frame_pacer_kick(&p, now);
	ck_assert_uint_eq(frame_pacer_wait_ms(&p, now), 0);
	/* and the full rate holds for the poll after it */
	frame_pacer_polled(&p, now, false);
	ck_assert_uint_eq(frame_pacer_wait_ms(&p, now), 40);
}
END_TEST

START_TEST(kick_never_delays)
{
	struct frame_pacer p;

	frame_pacer_init(&p, 30, 5, 0);
	frame_pacer_polled(&p, 0, true);
	ck_assert_uint_eq(frame_pacer_wait_ms(&p, 0), 33);
	frame_pacer_kick(&p, 1);
	ck_assert_uint_eq(frame_pacer_wait_ms(&p, 1), 32);
}
END_TEST

START_TEST(blinking_cursor_costs_less_than_full_rate)
{
	struct frame_pacer p;
	uint64_t now = 0;
	unsigned polls;

	frame_pacer_init(&p, 30, 5, now);
	polls = run_until(&p, &now, 60000, blink);
	/* 30 fps would be 1800 polls a minute */
	ck_assert_uint_lt(polls, 1800 / 2);
}
END_TEST

START_TEST(limits)
{
	struct frame_pacer p;
	uint64_t now = 0;

	/* no idle rate given: never slows down */
	frame_pacer_init(&p, 30, 0, now);
	ck_assert_uint_eq(run_until(&p, &now, 990, never), 30);
	/* idle above max: the same */
	frame_pacer_init(&p, 10, 20, 0);
	now = 0;
	ck_assert_uint_eq(run_until(&p, &now, 1000, never), 10);
	/* 0 fps means 30; above 1000 is 1000 */
	frame_pacer_init(&p, 0, 0, 0);
	ck_assert_uint_eq(p.fast_ms, 33);
	frame_pacer_init(&p, 5000, 0, 0);
	ck_assert_uint_eq(p.fast_ms, 1);
}
END_TEST

static Suite *frame_pacer_suite(void)
{
	Suite *s = suite_create("frame-pacer");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, due_at_start);
	tcase_add_test(tc, changing_screen_full_rate);
	tcase_add_test(tc, still_screen_slows_to_idle_rate);
	tcase_add_test(tc, change_restores_full_rate);
	tcase_add_test(tc, kick_brings_the_next_poll_forward);
	tcase_add_test(tc, kick_never_delays);
	tcase_add_test(tc, blinking_cursor_costs_less_than_full_rate);
	tcase_add_test(tc, limits);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return shadow_test_run(frame_pacer_suite());
}
