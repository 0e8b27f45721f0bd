/* The input router, observed through the recording injector. */

#include <limits.h>
#include <linux/input-event-codes.h>
#include <pthread.h>

#include "injector.h"
#include "input.h"
#include "shadow-test.h"

static char *path;
static struct injector *inj;
static struct input *in;

static void setup(void)
{
	char spec[PATH_MAX + 32];
	char err[256] = "";

	path = shadow_test_tmpfile();
	snprintf(spec, sizeof(spec), "recording:path=%s", path);
	ck_assert_msg(injector_create(spec, &inj, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(input_new(inj, &in), 0);
}

static void teardown(void)
{
	input_destroy(in);
	injector_destroy(inj);
	unlink(path);
	free(path);
	in = NULL;
	inj = NULL;
	path = NULL;
}

START_TEST(test_press_repeat_release)
{
	ck_assert_int_eq(input_key(in, KEY_A, true), 0);
	ck_assert(input_is_held(in, KEY_A));
	ck_assert_int_eq(input_key(in, KEY_A, true), 0);
	ck_assert_int_eq(input_key(in, KEY_A, true), 0);
	ck_assert_int_eq(input_key(in, KEY_A, false), 0);
	ck_assert(!input_is_held(in, KEY_A));
	/* a second up is dropped */
	ck_assert_int_eq(input_key(in, KEY_A, false), 0);
	/* and the next down is a press again, not a repeat */
	ck_assert_int_eq(input_key(in, KEY_A, true), 0);
	ck_assert_int_eq(input_key(in, KEY_A, false), 0);
	shadow_test_assert_file(path,
				"key 30 1\nkey 30 2\nkey 30 2\nkey 30 0\nkey 30 1\nkey 30 0\n");
}
END_TEST

START_TEST(test_up_without_down)
{
	ck_assert_int_eq(input_key(in, KEY_B, false), 0);
	ck_assert_int_eq(input_key(in, BTN_LEFT, false), 0);
	shadow_test_assert_file(path, "");
}
END_TEST

START_TEST(test_bad_codes)
{
	ck_assert_int_eq(input_key(in, 0, true), -EINVAL);
	ck_assert_int_eq(input_key(in, KEY_MAX + 1, true), -EINVAL);
	ck_assert_int_eq(input_key(in, UINT16_MAX, false), -EINVAL);
	ck_assert_int_eq(input_key(in, KEY_MAX, true), 0);
	shadow_test_assert_file(path, "key 767 1\n");
}
END_TEST

START_TEST(test_release_all_exactly_held)
{
	ck_assert_int_eq(input_key(in, KEY_LEFTSHIFT, true), 0);
	ck_assert_int_eq(input_key(in, BTN_LEFT, true), 0);
	ck_assert_int_eq(input_key(in, KEY_A, true), 0);
	ck_assert_int_eq(input_key(in, KEY_B, true), 0);
	ck_assert_int_eq(input_key(in, KEY_B, false), 0);
	ck_assert_int_eq(input_key(in, KEY_MAX, true), 0);
	shadow_test_truncate(path);

	ck_assert_int_eq(input_release_all(in), 0);
	/* ascending code order, only what was held */
	shadow_test_assert_file(path, "key 30 0\nkey 42 0\nkey 272 0\nkey 767 0\n");
	ck_assert(!input_is_held(in, KEY_A));
	ck_assert(!input_is_held(in, BTN_LEFT));

	/* nothing held → nothing written */
	shadow_test_truncate(path);
	ck_assert_int_eq(input_release_all(in), 0);
	shadow_test_assert_file(path, "");
	/* a key up after release_all is dropped */
	ck_assert_int_eq(input_key(in, KEY_A, false), 0);
	shadow_test_assert_file(path, "");
}
END_TEST

START_TEST(test_view_only)
{
	input_set_screen(in, 800, 600);
	ck_assert(input_enabled(in));
	ck_assert_int_eq(input_key(in, KEY_LEFTCTRL, true), 0);
	ck_assert_int_eq(input_key(in, BTN_RIGHT, true), 0);
	shadow_test_truncate(path);

	input_set_enabled(in, false);
	ck_assert(!input_enabled(in));
	shadow_test_assert_file(path, "key 29 0\nkey 273 0\n");
	shadow_test_truncate(path);

	/* everything is dropped while view-only */
	ck_assert_int_eq(input_key(in, KEY_A, true), 0);
	ck_assert_int_eq(input_key(in, KEY_A, false), 0);
	ck_assert_int_eq(input_key(in, KEY_LEFTCTRL, false), 0);
	ck_assert_int_eq(input_move(in, 10, 10), 0);
	ck_assert_int_eq(input_wheel(in, 120, 0), 0);
	ck_assert(!input_is_held(in, KEY_A));
	/* disabling twice is harmless */
	input_set_enabled(in, false);
	shadow_test_assert_file(path, "");

	input_set_enabled(in, true);
	ck_assert(input_enabled(in));
	ck_assert_int_eq(input_key(in, KEY_A, true), 0);
	ck_assert_int_eq(input_move(in, 10, 10), 0);
	shadow_test_assert_file(path, "key 30 1\nabs 10 10\n");
}
END_TEST

START_TEST(test_move_clamped)
{
	ck_assert_int_eq(input_move(in, 1, 1), -EINVAL); /* no screen yet */
	input_set_screen(in, 1024, 768);
	ck_assert_int_eq(input_move(in, 0, 0), 0);
	ck_assert_int_eq(input_move(in, 1023, 767), 0);
	ck_assert_int_eq(input_move(in, 1024, 768), 0);
	ck_assert_int_eq(input_move(in, UINT32_MAX, 5), 0);
	ck_assert_int_eq(input_move(in, 5, UINT32_MAX), 0);
	input_set_screen(in, 640, 480);
	ck_assert_int_eq(input_move(in, 700, 100), 0);
	shadow_test_assert_file(path, "abs 0 0\nabs 1023 767\nabs 1023 767\nabs 1023 5\n"
				      "abs 5 767\nabs 639 100\n");
}
END_TEST

START_TEST(test_wheel)
{
	ck_assert_int_eq(input_wheel(in, 120, 0), 0);
	ck_assert_int_eq(input_wheel(in, -120, 0), 0);
	ck_assert_int_eq(input_wheel(in, 0, 240), 0);
	ck_assert_int_eq(input_wheel(in, 0, 0), 0);
	ck_assert_int_eq(input_wheel(in, 15, -15), 0);
	shadow_test_assert_file(path, "wheel 120 0\nwheel -120 0\nwheel 0 240\nwheel 15 -15\n");
}
END_TEST

START_TEST(test_destroy_releases)
{
	ck_assert_int_eq(input_key(in, KEY_LEFTALT, true), 0);
	ck_assert_int_eq(input_key(in, BTN_MIDDLE, true), 0);
	shadow_test_truncate(path);
	input_destroy(in);
	in = NULL;
	shadow_test_assert_file(path, "key 56 0\nkey 274 0\n");
	input_destroy(NULL);
}
END_TEST

START_TEST(test_new_needs_injector)
{
	struct input *other = NULL;

	ck_assert_int_eq(input_new(NULL, &other), -EINVAL);
	ck_assert_ptr_null(other);
}
END_TEST

/* Client threads type while the control thread toggles view-only. Afterwards the log must be a
 * valid key history per code: 1 only from up, 2 and 0 only from down, and all up at the end. */
#define N_TYPISTS 4
#define N_ROUNDS  300

static void *typist(void *data)
{
	uint16_t base = (uint16_t)(uintptr_t)data;

	for (int i = 0; i < N_ROUNDS; i++) {
		uint16_t code = (uint16_t)(base + (i % 3));

		input_key(in, code, true);
		if (i % 2) {
			input_key(in, code, true);
		}
		input_move(in, (uint32_t)i, (uint32_t)i);
		input_key(in, code, false);
		input_key(in, code, i % 5 == 0);
	}
	return NULL;
}

static void *toggler(void *data)
{
	(void)data;
	for (int i = 0; i < N_ROUNDS; i++) {
		input_set_enabled(in, i % 2);
	}
	input_set_enabled(in, true);
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t t[N_TYPISTS + 1];
	int state[KEY_CNT] = { 0 };
	char *log, *line, *save = NULL;
	size_t keys = 0;

	input_set_screen(in, 320, 200);
	for (uintptr_t i = 0; i < N_TYPISTS; i++) {
		ck_assert_int_eq(pthread_create(&t[i], NULL, typist, (void *)(KEY_Q + i * 3)), 0);
	}
	ck_assert_int_eq(pthread_create(&t[N_TYPISTS], NULL, toggler, NULL), 0);
	for (int i = 0; i <= N_TYPISTS; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	}
	ck_assert_int_eq(input_release_all(in), 0);

	log = shadow_test_slurp(path);
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned int code, x, y;
		int value;

		if (sscanf(line, "key %u %d", &code, &value) == 2) {
			ck_assert_uint_lt(code, KEY_CNT);
			if (value == 1) {
				ck_assert_msg(state[code] == 0, "press of held %u", code);
			} else {
				ck_assert_msg(state[code] == 1, "'%s' while %u is up", line, code);
			}
			state[code] = value != 0;
			keys++;
		} else {
			ck_assert_msg(sscanf(line, "abs %u %u", &x, &y) == 2, "bad line '%s'",
				      line);
			ck_assert_uint_lt(x, 320);
			ck_assert_uint_lt(y, 200);
		}
	}
	for (size_t c = 0; c < KEY_CNT; c++) {
		ck_assert_msg(state[c] == 0, "%zu left down", c);
	}
	ck_assert_uint_gt(keys, 0);
	free(log);
}
END_TEST

static Suite *input_suite(void)
{
	Suite *s = suite_create("input");
	TCase *tc = tcase_create("router");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_press_repeat_release);
	tcase_add_test(tc, test_up_without_down);
	tcase_add_test(tc, test_bad_codes);
	tcase_add_test(tc, test_release_all_exactly_held);
	tcase_add_test(tc, test_view_only);
	tcase_add_test(tc, test_move_clamped);
	tcase_add_test(tc, test_wheel);
	tcase_add_test(tc, test_destroy_releases);
	tcase_add_test(tc, test_new_needs_injector);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return shadow_test_run(input_suite());
}
