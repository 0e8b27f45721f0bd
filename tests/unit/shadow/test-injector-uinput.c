/* The uinput injector's event mapping (pure), its factory, and — only where /dev/uinput can be
 * written — the devices it makes. */

#include <linux/input.h>
#include <sys/stat.h>

#include "injector-uinput.h"
#include "injector.h"
#include "shadow-test.h"

#define K INJECTOR_UINPUT_KEYBOARD
#define P INJECTOR_UINPUT_POINTER

struct ev {
	int device, type, code, value;
};

/* Asserts that out[0..n) is exactly want[0..want_n). */
static void assert_events(const struct injector_uinput_event *out, int n, const struct ev *want,
			  int want_n)
{
	ck_assert_int_eq(n, want_n);
	for (int i = 0; i < n; i++) {
		ck_assert_msg((int)out[i].device == want[i].device && out[i].type == want[i].type &&
				      out[i].code == want[i].code && out[i].value == want[i].value,
			      "event %d is {%d %u %u %d}, want {%d %d %d %d}", i, out[i].device,
			      out[i].type, out[i].code, out[i].value, want[i].device, want[i].type,
			      want[i].code, want[i].value);
	}
}

#define ASSERT_EVENTS(out, n, ...)                                                         \
	do {                                                                               \
		const struct ev want_[] = { __VA_ARGS__ };                                 \
		assert_events((out), (n), want_, (int)(sizeof(want_) / sizeof(want_[0]))); \
	} while (0)

START_TEST(test_device_of)
{
	enum injector_uinput_device d;

	ck_assert_int_eq(injector_uinput_device_of(KEY_ESC, &d), 0);
	ck_assert_int_eq(d, K);
	ck_assert_int_eq(injector_uinput_device_of(KEY_PAUSE, &d), 0);
	ck_assert_int_eq(d, K);
	ck_assert_int_eq(injector_uinput_device_of(KEY_MICMUTE, &d), 0);
	ck_assert_int_eq(d, K);
	for (uint16_t b = BTN_LEFT; b <= BTN_EXTRA; b++) {
		ck_assert_int_eq(injector_uinput_device_of(b, &d), 0);
		ck_assert_int_eq(d, P);
	}
	ck_assert_int_eq(injector_uinput_device_of(0, &d), -EINVAL);
	ck_assert_int_eq(injector_uinput_device_of(KEY_MICMUTE + 1, &d), -EINVAL);
	/* nothing that makes a tablet or touchscreen out of the pointer */
	ck_assert_int_eq(injector_uinput_device_of(BTN_TOUCH, &d), -EINVAL);
	ck_assert_int_eq(injector_uinput_device_of(BTN_TOOL_PEN, &d), -EINVAL);
	ck_assert_int_eq(injector_uinput_device_of(BTN_FORWARD, &d), -EINVAL);
	ck_assert_int_eq(injector_uinput_device_of(KEY_MAX, &d), -EINVAL);
}
END_TEST

START_TEST(test_keys)
{
	struct injector_uinput_event out[INJECTOR_UINPUT_MAX_EVENTS];
	int n;

	n = injector_uinput_map_key(KEY_A, 1, out);
	ASSERT_EVENTS(out, n, { K, EV_KEY, KEY_A, 1 }, { K, EV_SYN, SYN_REPORT, 0 });
	n = injector_uinput_map_key(KEY_A, 2, out);
	ASSERT_EVENTS(out, n, { K, EV_KEY, KEY_A, 0 }, { K, EV_SYN, SYN_REPORT, 0 },
		      { K, EV_KEY, KEY_A, 1 }, { K, EV_SYN, SYN_REPORT, 0 });
	n = injector_uinput_map_key(KEY_A, 0, out);
	ASSERT_EVENTS(out, n, { K, EV_KEY, KEY_A, 0 }, { K, EV_SYN, SYN_REPORT, 0 });
	n = injector_uinput_map_key(KEY_PAUSE, 1, out);
	ASSERT_EVENTS(out, n, { K, EV_KEY, KEY_PAUSE, 1 }, { K, EV_SYN, SYN_REPORT, 0 });
}
END_TEST

/* Typing never waits; a burst beyond the allowance is spread at the interval; the allowance
 * comes back after a pause. */
START_TEST(test_pace)
{
	const uint64_t iv = INJECTOR_UINPUT_KEY_INTERVAL_US;
	uint64_t tat = 0, now = 5000000, waited = 0;

	/* 30 keys a second, press and release each: never a wait */
	for (int i = 0; i < 300; i++) {
		ck_assert_uint_eq(injector_uinput_pace(&tat, now, 1), 0);
		ck_assert_uint_eq(injector_uinput_pace(&tat, now + 5000, 1), 0);
		now += 33333;
	}
	/* 100 key events at the same instant: the first BURST free, then one per interval */
	now += 1000000;
	for (unsigned i = 0; i < 100; i++) {
		uint64_t w = injector_uinput_pace(&tat, now, 1);

		ck_assert_uint_eq(w, i < INJECTOR_UINPUT_KEY_BURST
					     ? 0
					     : (i + 1 - INJECTOR_UINPUT_KEY_BURST) * iv);
		waited = w;
	}
	ck_assert_uint_eq(waited, (100 - INJECTOR_UINPUT_KEY_BURST) * iv);
	/* a repeat is two key events at once */
	now += 10000000;
	ck_assert_uint_eq(injector_uinput_pace(&tat, now, 2), 0);
}
END_TEST

START_TEST(test_buttons)
{
	struct injector_uinput_event out[INJECTOR_UINPUT_MAX_EVENTS];
	int n;

	n = injector_uinput_map_key(BTN_LEFT, 1, out);
	ASSERT_EVENTS(out, n, { P, EV_KEY, BTN_LEFT, 1 }, { P, EV_SYN, SYN_REPORT, 0 });
	n = injector_uinput_map_key(BTN_EXTRA, 0, out);
	ASSERT_EVENTS(out, n, { P, EV_KEY, BTN_EXTRA, 0 }, { P, EV_SYN, SYN_REPORT, 0 });
	/* a held button does not repeat */
	ck_assert_int_eq(injector_uinput_map_key(BTN_RIGHT, 2, out), 0);
}
END_TEST

START_TEST(test_key_rejects)
{
	struct injector_uinput_event out[INJECTOR_UINPUT_MAX_EVENTS];

	ck_assert_int_eq(injector_uinput_map_key(KEY_A, 3, out), -EINVAL);
	ck_assert_int_eq(injector_uinput_map_key(KEY_A, -1, out), -EINVAL);
	ck_assert_int_eq(injector_uinput_map_key(0, 1, out), -EINVAL);
	ck_assert_int_eq(injector_uinput_map_key(BTN_TOUCH, 1, out), -EINVAL);
}
END_TEST

START_TEST(test_move)
{
	struct injector_uinput_event out[INJECTOR_UINPUT_MAX_EVENTS];
	int n;

	/* the range is the screen: positions go through unscaled */
	n = injector_uinput_map_move(0, 0, 1024, 768, out);
	ASSERT_EVENTS(out, n, { P, EV_ABS, ABS_X, 0 }, { P, EV_ABS, ABS_Y, 0 },
		      { P, EV_SYN, SYN_REPORT, 0 });
	n = injector_uinput_map_move(1023, 767, 1024, 768, out);
	ASSERT_EVENTS(out, n, { P, EV_ABS, ABS_X, 1023 }, { P, EV_ABS, ABS_Y, 767 },
		      { P, EV_SYN, SYN_REPORT, 0 });
	n = injector_uinput_map_move(5000, 900, 1920, 1080, out);
	ASSERT_EVENTS(out, n, { P, EV_ABS, ABS_X, 1919 }, { P, EV_ABS, ABS_Y, 900 },
		      { P, EV_SYN, SYN_REPORT, 0 });
	ck_assert_int_eq(injector_uinput_map_move(1, 1, 0, 768, out), -EINVAL);
}
END_TEST

START_TEST(test_wheel_detents)
{
	struct injector_uinput_wheel_state s = { 0 };
	struct injector_uinput_event out[INJECTOR_UINPUT_MAX_EVENTS];
	int n;

	n = injector_uinput_map_wheel(&s, 120, 0, out);
	ASSERT_EVENTS(out, n, { P, EV_REL, REL_WHEEL_HI_RES, 120 }, { P, EV_REL, REL_WHEEL, 1 },
		      { P, EV_SYN, SYN_REPORT, 0 });
	n = injector_uinput_map_wheel(&s, -360, 0, out);
	ASSERT_EVENTS(out, n, { P, EV_REL, REL_WHEEL_HI_RES, -360 }, { P, EV_REL, REL_WHEEL, -3 },
		      { P, EV_SYN, SYN_REPORT, 0 });
	n = injector_uinput_map_wheel(&s, 0, -120, out);
	ASSERT_EVENTS(out, n, { P, EV_REL, REL_HWHEEL_HI_RES, -120 }, { P, EV_REL, REL_HWHEEL, -1 },
		      { P, EV_SYN, SYN_REPORT, 0 });
	n = injector_uinput_map_wheel(&s, 120, 240, out);
	ASSERT_EVENTS(out, n, { P, EV_REL, REL_WHEEL_HI_RES, 120 }, { P, EV_REL, REL_WHEEL, 1 },
		      { P, EV_REL, REL_HWHEEL_HI_RES, 240 }, { P, EV_REL, REL_HWHEEL, 2 },
		      { P, EV_SYN, SYN_REPORT, 0 });
	ck_assert_int_eq(injector_uinput_map_wheel(&s, 0, 0, out), 0);
}
END_TEST

START_TEST(test_wheel_hi_res)
{
	struct injector_uinput_wheel_state s = { 0 };
	struct injector_uinput_event out[INJECTOR_UINPUT_MAX_EVENTS];
	int n;

	/* half detents: the second completes one */
	n = injector_uinput_map_wheel(&s, 60, 0, out);
	ASSERT_EVENTS(out, n, { P, EV_REL, REL_WHEEL_HI_RES, 60 }, { P, EV_SYN, SYN_REPORT, 0 });
	n = injector_uinput_map_wheel(&s, 60, 0, out);
	ASSERT_EVENTS(out, n, { P, EV_REL, REL_WHEEL_HI_RES, 60 }, { P, EV_REL, REL_WHEEL, 1 },
		      { P, EV_SYN, SYN_REPORT, 0 });
	ck_assert_int_eq(s.v_rest, 0);

	/* a turn back forgets the rest: 90 up then 60 down is no detent either way */
	n = injector_uinput_map_wheel(&s, 90, 0, out);
	ck_assert_int_eq(n, 2);
	n = injector_uinput_map_wheel(&s, -60, 0, out);
	ASSERT_EVENTS(out, n, { P, EV_REL, REL_WHEEL_HI_RES, -60 }, { P, EV_SYN, SYN_REPORT, 0 });
	ck_assert_int_eq(s.v_rest, -60);
	n = injector_uinput_map_wheel(&s, -60, 0, out);
	ASSERT_EVENTS(out, n, { P, EV_REL, REL_WHEEL_HI_RES, -60 }, { P, EV_REL, REL_WHEEL, -1 },
		      { P, EV_SYN, SYN_REPORT, 0 });

	/* 200 = one detent and 80 over */
	n = injector_uinput_map_wheel(&s, 0, 200, out);
	ASSERT_EVENTS(out, n, { P, EV_REL, REL_HWHEEL_HI_RES, 200 }, { P, EV_REL, REL_HWHEEL, 1 },
		      { P, EV_SYN, SYN_REPORT, 0 });
	ck_assert_int_eq(s.h_rest, 80);

	ck_assert_int_eq(injector_uinput_map_wheel(&s, INT32_MAX, 0, out), -EINVAL);
	ck_assert_int_eq(injector_uinput_map_wheel(&s, 0, INT32_MIN, out), -EINVAL);
}
END_TEST

START_TEST(test_locks)
{
	struct injector_uinput_event out[INJECTOR_UINPUT_MAX_EVENTS];
	int n;

	/* everything off, the client has num and caps on: tap both */
	n = injector_uinput_map_locks(0, INJECTOR_LOCK_NUM | INJECTOR_LOCK_CAPS, out);
	ASSERT_EVENTS(out, n, { K, EV_KEY, KEY_NUMLOCK, 1 }, { K, EV_SYN, SYN_REPORT, 0 },
		      { K, EV_KEY, KEY_NUMLOCK, 0 }, { K, EV_SYN, SYN_REPORT, 0 },
		      { K, EV_KEY, KEY_CAPSLOCK, 1 }, { K, EV_SYN, SYN_REPORT, 0 },
		      { K, EV_KEY, KEY_CAPSLOCK, 0 }, { K, EV_SYN, SYN_REPORT, 0 });
	/* in step already */
	n = injector_uinput_map_locks(1u << LED_NUML | 1u << LED_SCROLLL,
				      INJECTOR_LOCK_NUM | INJECTOR_LOCK_SCROLL, out);
	ck_assert_int_eq(n, 0);
	/* scroll lock on here, off there */
	n = injector_uinput_map_locks(1u << LED_SCROLLL | 1u << LED_NUML, INJECTOR_LOCK_NUM, out);
	ASSERT_EVENTS(out, n, { K, EV_KEY, KEY_SCROLLLOCK, 1 }, { K, EV_SYN, SYN_REPORT, 0 },
		      { K, EV_KEY, KEY_SCROLLLOCK, 0 }, { K, EV_SYN, SYN_REPORT, 0 });
	/* all three differ: still fits */
	n = injector_uinput_map_locks(0, 0x7, out);
	ck_assert_int_eq(n, 12);
	ck_assert_int_le(n, INJECTOR_UINPUT_MAX_EVENTS);
}
END_TEST

static int create(const char *spec, struct injector **ret, char *err, size_t len)
{
	err[0] = '\0';
	*ret = NULL;
	return injector_create(spec, ret, err, len);
}

START_TEST(test_factory_errors)
{
	static const char *const bad[] = {
		"uinput:size=1x768",    "uinput:size=1024", "uinput:size=axb",
		"uinput:size=40000x10", "uinput:device=",   "uinput:name=x",
	};
	struct injector *inj;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(create(bad[i], &inj, err, sizeof(err)) == -EINVAL, "%s", bad[i]);
		ck_assert_ptr_null(inj);
		ck_assert_msg(err[0], "%s: no message", bad[i]);
	}
	ck_assert_int_eq(create("uinput:device=/nonexistent/uinput", &inj, err, sizeof(err)),
			 -ENOENT);
	ck_assert_ptr_null(inj);
	ck_assert_msg(strstr(err, "/nonexistent/uinput") && strstr(err, "uinput module"), "%s",
		      err);
}
END_TEST

/* Reads /sys/class/input/inputN/name for every input device and counts those named name. */
static int count_input_devices(const char *name)
{
	int count = 0;

	for (int i = 0; i < 1024; i++) {
		char path[64], buf[128] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/sys/class/input/input%d/name", i);
		f = fopen(path, "re");
		if (!f) {
			continue;
		}
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = '\0';
			count += strcmp(buf, name) == 0;
		}
		fclose(f);
	}
	return count;
}

START_TEST(test_live_devices)
{
	struct injector *inj;
	char err[256];
	int before;

	if (access("/dev/uinput", W_OK) != 0) {
		return; /* no uinput here (as on the build host); the VM tier drives the real one */
	}
	before = count_input_devices(INJECTOR_UINPUT_POINTER_NAME);
	ck_assert_msg(create("uinput:size=800x600", &inj, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(count_input_devices(INJECTOR_UINPUT_KEYBOARD_NAME), before + 1);
	ck_assert_int_eq(count_input_devices(INJECTOR_UINPUT_POINTER_NAME), before + 1);
	ck_assert_int_eq(injector_key(inj, KEY_LEFTSHIFT, 1), 0);
	ck_assert_int_eq(injector_key(inj, KEY_LEFTSHIFT, 0), 0);
	ck_assert_int_eq(injector_move_abs(inj, 10, 10, 800, 600), 0);
	/* a new size makes the pointer again: still exactly one */
	ck_assert_int_eq(injector_move_abs(inj, 10, 10, 1024, 768), 0);
	ck_assert_int_eq(count_input_devices(INJECTOR_UINPUT_POINTER_NAME), before + 1);
	ck_assert_int_eq(injector_wheel(inj, 120, 0), 0);
	ck_assert_int_eq(injector_key(inj, BTN_TOUCH, 1), -EINVAL);
	ck_assert_int_eq(injector_sync_locks(inj, 0), 0);
	injector_destroy(inj);
	ck_assert_int_eq(count_input_devices(INJECTOR_UINPUT_POINTER_NAME), before);
}
END_TEST

START_TEST(test_optional_members_default)
{
	struct injector *inj;
	char err[256];
	char *path = shadow_test_tmpfile();
	char spec[300];

	snprintf(spec, sizeof(spec), "recording:path=%s", path);
	ck_assert_int_eq(create(spec, &inj, err, sizeof(err)), 0);
	ck_assert_int_eq(injector_set_screen(inj, 800, 600), -EOPNOTSUPP);
	ck_assert_int_eq(injector_sync_locks(inj, INJECTOR_LOCK_NUM), -EOPNOTSUPP);
	injector_destroy(inj);
	shadow_test_assert_file(path, "");
	unlink(path);
	free(path);
}
END_TEST

static Suite *injector_uinput_suite(void)
{
	Suite *s = suite_create("injector-uinput");
	TCase *map = tcase_create("mapping");
	TCase *backend = tcase_create("backend");

	tcase_add_test(map, test_device_of);
	tcase_add_test(map, test_keys);
	tcase_add_test(map, test_pace);
	tcase_add_test(map, test_buttons);
	tcase_add_test(map, test_key_rejects);
	tcase_add_test(map, test_move);
	tcase_add_test(map, test_wheel_detents);
	tcase_add_test(map, test_wheel_hi_res);
	tcase_add_test(map, test_locks);
	suite_add_tcase(s, map);

	tcase_add_test(backend, test_factory_errors);
	tcase_add_test(backend, test_live_devices);
	tcase_add_test(backend, test_optional_members_default);
	suite_add_tcase(s, backend);
	return s;
}

int main(void)
{
	return shadow_test_run(injector_uinput_suite());
}
