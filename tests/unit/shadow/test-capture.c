/* The capture factory and the "test" backend's picture, decoded the way an integration test
 * would: from the contract in capture-test.h, not from the renderer's code. */

#include <stdint.h>

#include "capture-test.h"
#include "capture.h"
#include "shadow-test.h"

static uint64_t fake_now;

static uint64_t fake_clock(void *data)
{
	return *(uint64_t *)data;
}

static struct capture *make(const char *spec)
{
	struct capture *c = NULL;
	char err[256] = "";

	ck_assert_msg(capture_create(spec, &c, err, sizeof(err)) == 0, "%s: %s", spec, err);
	ck_assert_ptr_nonnull(c);
	capture_test_set_clock(c, fake_clock, &fake_now);
	return c;
}

static const struct capture_frame *grab_at(struct capture *c, uint64_t t, struct capture_frame *f)
{
	fake_now = t;
	ck_assert_int_eq(capture_grab(c, f), 0);
	ck_assert_int_eq(f->format, CAPTURE_FORMAT_XRGB8888);
	ck_assert_uint_ge(f->stride, f->width * 4);
	return f;
}

static uint32_t px(const struct capture_frame *f, uint32_t x, uint32_t y)
{
	uint32_t v;

	ck_assert_uint_lt(x, f->width);
	ck_assert_uint_lt(y, f->height);
	memcpy(&v, f->data + (size_t)y * f->stride + (size_t)x * 4, 4);
	return v & 0xFFFFFF;
}

/* Reads the 16 counter squares at their centres. */
static uint32_t decode_counter(const struct capture_frame *f)
{
	uint32_t n = 0, y = f->height / 4 + 32;

	for (uint32_t k = 0; k < 16; k++) {
		uint32_t v = px(f, 16 + k * 40 + 16, y);

		ck_assert_msg(v == 0xFFFFFF || v == 0x000000, "square %u is %06x", k, v);
		n = n << 1 | (v == 0xFFFFFF);
	}
	return n;
}

/* The slot whose 64×64 cell at y = H/2 is orange. */
static int decode_block(const struct capture_frame *f)
{
	int found = -1;

	for (uint32_t s = 0; s < f->width / 64; s++) {
		if (px(f, s * 64 + 32, f->height / 2 + 32) == 0xFF8000) {
			ck_assert_int_eq(found, -1);
			found = (int)s;
		}
	}
	return found;
}

/* ---- spec parsing ---- */

START_TEST(test_backend_names)
{
	const char *const *names = capture_backend_names();
	bool found = false;

	for (size_t i = 0; names[i]; i++) {
		found |= strcmp(names[i], "test") == 0;
	}
	ck_assert(found);
}
END_TEST

START_TEST(test_good_specs)
{
	static const struct {
		const char *spec;
		uint32_t w, h;
	} good[] = {
		{ "test", 1024, 768 },
		{ "test:size=1920x1080,mode=bench,change=10,fps=30", 1920, 1080 },
		{ "test:mode=static", 1024, 768 },
		{ "test:mode=animated,size=800x600", 800, 600 },
		{ "test:size=64x64", 64, 64 },
		{ "test:size=8192x64", 8192, 64 },
		{ "test:size=64x8192", 64, 8192 },
		{ "test:mode=bench,change=0,fps=1", 1024, 768 },
		{ "test:mode=bench,change=100,fps=1000", 1024, 768 },
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct capture *c = make(good[i].spec);
		uint32_t w = 0, h = 0;
		struct capture_frame f;

		ck_assert(capture_is_test(c));
		ck_assert_str_eq(c->impl->name, "test");
		ck_assert_int_eq(capture_get_size(c, &w, &h), 0);
		ck_assert_uint_eq(w, good[i].w);
		ck_assert_uint_eq(h, good[i].h);
		grab_at(c, 0, &f);
		ck_assert_uint_eq(f.width, w);
		ck_assert_uint_eq(f.height, h);
		capture_destroy(c);
	}
	capture_destroy(NULL);
}
END_TEST

START_TEST(test_bad_specs)
{
	static const char *const bad[] = {
		"",
		"drmm",
		"unknown:size=100x100",
		":size=100x100",
		"test:",
		"test:size",
		"test:=1",
		"test:size=0x0",
		"test:size=abc",
		"test:size=63x100",
		"test:size=100x63",
		"test:size=8193x100",
		"test:size=100x8193",
		"test:size=100",
		"test:size=100x",
		"test:size=x100",
		"test:size=-100x100",
		"test:size=+100x100",
		"test:size=100x100x100",
		"test:size= 100x100",
		"test:size=99999999999x100",
		"test:size=1024X768",
		"test:foo=1",
		"test:size=100x100,foo=1",
		"test:mode=fast",
		"test:mode=",
		"test:change=101",
		"test:change=-1",
		"test:change=ten",
		"test:fps=0",
		"test:fps=1001",
		"test:size=100x100,size=100x100",
		"test:mode=static,,fps=1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct capture *c = (struct capture *)0x1;
		char err[256] = "";

		ck_assert_msg(capture_create(bad[i], &c, err, sizeof(err)) == -EINVAL,
			      "'%s' accepted", bad[i]);
		ck_assert_msg(err[0] != '\0', "'%s': no message", bad[i]);
		ck_assert_ptr_eq(c, (struct capture *)0x1);
	}
}
END_TEST

START_TEST(test_error_messages)
{
	struct capture *c = NULL;
	char err[256] = "";

	ck_assert_int_eq(capture_create("drmm", &c, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "drmm"));
	ck_assert_int_eq(capture_create("test:size=0x0", &c, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "size"));
	ck_assert_int_eq(capture_create("test:colour=red", &c, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "colour"));
	/* a tiny buffer truncates but stays terminated; NULL is fine too */
	ck_assert_int_eq(capture_create("drmm", &c, err, 4), -EINVAL);
	ck_assert_uint_eq(strlen(err), 3);
	ck_assert_int_eq(capture_create("drmm", &c, NULL, 0), -EINVAL);
}
END_TEST

/* ---- the picture ---- */

START_TEST(test_background_and_bars)
{
	static const uint32_t colours[8] = { 0xFFFFFF, 0xFFFF00, 0x00FFFF, 0x00FF00,
					     0xFF00FF, 0xFF0000, 0x0000FF, 0x000000 };
	struct capture *c = make("test:size=1000x600");
	struct capture_frame f;

	grab_at(c, 0, &f);
	for (uint32_t i = 0; i < 8; i++) {
		uint32_t x0 = i * 1000 / 8, x1 = (i + 1) * 1000 / 8 - 1;

		ck_assert_uint_eq(px(&f, x0, 0), colours[i]);
		ck_assert_uint_eq(px(&f, x1, 0), colours[i]);
		ck_assert_uint_eq(px(&f, (x0 + x1) / 2, 600 / 4 - 1), colours[i]);
	}
	/* just below the bars, and places no area covers */
	ck_assert_uint_eq(px(&f, 500, 150), 0x404040);
	ck_assert_uint_eq(px(&f, 999, 300), 0x404040);
	ck_assert_uint_eq(px(&f, 700, 150 + 20), 0x404040);         /* right of the counter */
	ck_assert_uint_eq(px(&f, 16 + 32 + 4, 150 + 20), 0x404040); /* between squares */
	ck_assert_uint_eq(px(&f, 5, 150 + 20), 0x404040);           /* left of square 0 */
	ck_assert_uint_eq(px(&f, 100, 449), 0x404040);              /* just above gradient */
	capture_destroy(c);
}
END_TEST

START_TEST(test_counter)
{
	struct capture *c = make("test:size=1024x768");
	struct capture_frame f;

	/* n = 12345 = 0b0011000000111001 */
	grab_at(c, 1234567, &f);
	ck_assert_uint_eq(decode_counter(&f), 12345);
	ck_assert_uint_eq(px(&f, 16, 192 + 16), 0x000000);          /* bit 15: 0, top-left */
	ck_assert_uint_eq(px(&f, 16 + 2 * 40, 192 + 16), 0xFFFFFF); /* bit 13: 1 */
	ck_assert_uint_eq(px(&f, 16 + 2 * 40 + 31, 192 + 47), 0xFFFFFF);
	ck_assert_uint_eq(px(&f, 16 + 2 * 40 + 32, 192 + 20), 0x404040);
	ck_assert_uint_eq(px(&f, 16 + 2 * 40, 192 + 48), 0x404040);
	ck_assert_uint_eq(px(&f, 16 + 2 * 40, 192 + 15), 0x404040);
	ck_assert_uint_eq(px(&f, 16 + 15 * 40 + 16, 192 + 30), 0xFFFFFF); /* bit 0: 1 */

	grab_at(c, 0, &f);
	ck_assert_uint_eq(decode_counter(&f), 0);
	grab_at(c, 99, &f);
	ck_assert_uint_eq(decode_counter(&f), 0);
	grab_at(c, 100, &f);
	ck_assert_uint_eq(decode_counter(&f), 1);
	grab_at(c, 6553599, &f);
	ck_assert_uint_eq(decode_counter(&f), 65535);
	grab_at(c, 6553600, &f); /* wraps */
	ck_assert_uint_eq(decode_counter(&f), 0);
	grab_at(c, 6553600 + 4200, &f);
	ck_assert_uint_eq(decode_counter(&f), 42);
	capture_destroy(c);
}
END_TEST

START_TEST(test_counter_narrow)
{
	/* W = 100: squares 0 (16..47) and 1 (56..87) fit, square 2 (96..127) does not */
	struct capture *c = make("test:size=100x200");
	struct capture_frame f;

	grab_at(c, 0xC000 * 100, &f); /* bits 15 and 14 set */
	ck_assert_uint_eq(px(&f, 30, 50 + 30), 0xFFFFFF);
	ck_assert_uint_eq(px(&f, 70, 50 + 30), 0xFFFFFF);
	ck_assert_uint_eq(px(&f, 97, 50 + 30), 0x404040);
	grab_at(c, 0, &f);
	ck_assert_uint_eq(px(&f, 30, 50 + 30), 0x000000);
	ck_assert_uint_eq(px(&f, 97, 50 + 30), 0x404040);
	capture_destroy(c);
}
END_TEST

START_TEST(test_block)
{
	struct capture *c = make("test:size=1024x768");
	struct capture_frame f;

	grab_at(c, 0, &f);
	ck_assert_int_eq(decode_block(&f), 0);
	ck_assert_uint_eq(px(&f, 0, 384), 0xFF8000);
	ck_assert_uint_eq(px(&f, 63, 447), 0xFF8000);
	ck_assert_uint_eq(px(&f, 64, 400), 0x404040);
	ck_assert_uint_eq(px(&f, 10, 383), 0x404040);
	ck_assert_uint_eq(px(&f, 10, 448), 0x404040);
	grab_at(c, 999, &f);
	ck_assert_int_eq(decode_block(&f), 0);
	grab_at(c, 1000, &f);
	ck_assert_int_eq(decode_block(&f), 1);
	ck_assert_uint_eq(px(&f, 64, 384), 0xFF8000);
	ck_assert_uint_eq(px(&f, 63, 384), 0x404040); /* the old place is background again */
	grab_at(c, 15999, &f);
	ck_assert_int_eq(decode_block(&f), 15);
	grab_at(c, 16000, &f); /* 16 slots: wraps */
	ck_assert_int_eq(decode_block(&f), 0);
	grab_at(c, 16000 * 1000 + 7000, &f);
	ck_assert_int_eq(decode_block(&f), 7);
	capture_destroy(c);

	/* W = 1000: 15 slots (the last 40 columns never show the block) */
	c = make("test:size=1000x600");
	grab_at(c, 15000, &f);
	ck_assert_int_eq(decode_block(&f), 0);
	grab_at(c, 14000, &f);
	ck_assert_int_eq(decode_block(&f), 14);
	ck_assert_uint_eq(px(&f, 14 * 64 + 63, 300), 0xFF8000);
	ck_assert_uint_eq(px(&f, 960, 300), 0x404040);
	capture_destroy(c);
}
END_TEST

static uint32_t gradient(uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	uint32_t top = 3 * h / 4;
	uint32_t span = h - top - 1 > 1 ? h - top - 1 : 1;

	return (x * 255 / (w - 1)) << 16 | ((y - top) * 255 / span) << 8 | 0x80;
}

START_TEST(test_gradient)
{
	struct capture *c = make("test:size=1000x600");
	struct capture_frame f;

	grab_at(c, 777, &f);
	ck_assert_uint_eq(px(&f, 0, 450), 0x000080);
	ck_assert_uint_eq(px(&f, 999, 450), 0xFF0080);
	ck_assert_uint_eq(px(&f, 0, 599), 0x00FF80);
	ck_assert_uint_eq(px(&f, 999, 599), 0xFFFF80);
	for (uint32_t y = 450; y < 600; y += 7) {
		for (uint32_t x = 0; x < 1000; x += 13) {
			ck_assert_uint_eq(px(&f, x, y), gradient(x, y, 1000, 600));
		}
	}
	/* x = 500 → R = 127, y = 525 → G = 75 * 255 / 149 = 128 */
	ck_assert_uint_eq(px(&f, 500, 525), 0x7F8080);
	capture_destroy(c);
}
END_TEST

START_TEST(test_static)
{
	struct capture *c = make("test:mode=static,size=672x480");
	struct capture_frame f;
	uint8_t *first;
	size_t len;

	grab_at(c, 0, &f);
	len = (size_t)f.stride * f.height;
	first = malloc(len);
	ck_assert_ptr_nonnull(first);
	memcpy(first, f.data, len);
	ck_assert_uint_eq(decode_counter(&f), 0);
	ck_assert_int_eq(decode_block(&f), 0);

	for (uint64_t t = 1; t < 100000000; t = t * 7 + 3) {
		grab_at(c, t, &f);
		ck_assert_msg(memcmp(first, f.data, len) == 0, "static picture moved at %llu",
			      (unsigned long long)t);
	}
	free(first);
	capture_destroy(c);
}
END_TEST

static size_t count_diff(const uint8_t *a, const struct capture_frame *f, uint32_t *ret_y0,
			 uint32_t *ret_y1)
{
	size_t n = 0;

	*ret_y0 = UINT32_MAX;
	*ret_y1 = 0;
	for (uint32_t y = 0; y < f->height; y++) {
		for (uint32_t x = 0; x < f->width; x++) {
			size_t off = (size_t)y * f->stride + (size_t)x * 4;

			if (memcmp(a + off, f->data + off, 3) != 0) {
				n++;
				*ret_y0 = y < *ret_y0 ? y : *ret_y0;
				*ret_y1 = y + 1;
			}
		}
	}
	return n;
}

START_TEST(test_bench_change)
{
	static const uint32_t percents[] = { 10, 25, 1 };
	for (size_t p = 0; p < sizeof(percents) / sizeof(percents[0]); p++) {
		char spec[96];
		struct capture *c;
		struct capture_frame f;
		uint8_t *prev;
		size_t len, diff, area = 1024 * 768;
		uint32_t y0, y1;

		snprintf(spec, sizeof(spec), "test:size=1024x768,mode=bench,change=%u,fps=30",
			 percents[p]);
		c = make(spec);
		/* t = 1000 and 1034 ms: frames 30 and 31, same counter (10) and block slot (1) */
		grab_at(c, 1000, &f);
		len = (size_t)f.stride * f.height;
		prev = malloc(len);
		ck_assert_ptr_nonnull(prev);
		memcpy(prev, f.data, len);
		grab_at(c, 1034, &f);
		ck_assert_uint_eq(decode_counter(&f), 10);
		diff = count_diff(prev, &f, &y0, &y1);
		/* full-width rows from H/4+64, H*change/100 of them: every pixel there changed */
		ck_assert_uint_eq(y0, 768 / 4 + 64);
		ck_assert_uint_eq(y1, 768 / 4 + 64 + 768 * percents[p] / 100);
		ck_assert_uint_eq(diff, (size_t)1024 * (768 * percents[p] / 100));
		ck_assert_msg(diff * 100 >= area * (percents[p] - 1) &&
				      diff * 100 <= area * percents[p],
			      "%zu of %zu pixels changed for change=%u", diff, area, percents[p]);

		/* the same frame number again changes nothing */
		memcpy(prev, f.data, len);
		grab_at(c, 1050, &f);
		ck_assert_uint_eq(count_diff(prev, &f, &y0, &y1), 0);
		free(prev);
		capture_destroy(c);
	}
}
END_TEST

START_TEST(test_bench_clipped)
{
	/* change=100 is clipped to the rows above the gradient */
	struct capture *c = make("test:size=672x480,mode=bench,change=100,fps=10");
	struct capture_frame f;
	uint8_t *prev;
	size_t len;
	uint32_t y0, y1;

	grab_at(c, 0, &f);
	len = (size_t)f.stride * f.height;
	prev = malloc(len);
	ck_assert_ptr_nonnull(prev);
	memcpy(prev, f.data, len);
	grab_at(c, 100, &f); /* frame 1; the counter moves from 0 to 1 as well */
	count_diff(prev, &f, &y0, &y1);
	ck_assert_uint_eq(y1, 480 * 3 / 4);
	ck_assert_uint_eq(px(&f, 0, 360), 0x000080); /* gradient untouched */
	/* the bench rows cover the block here; the counter is still readable */
	ck_assert_uint_eq(decode_counter(&f), 1);
	free(prev);
	capture_destroy(c);
}
END_TEST

/* A grab redraws only what moved; it must always equal a full render at the same time. */
START_TEST(test_incremental_equals_full)
{
	static const char *const specs[] = {
		"test:size=1024x768",
		"test:size=640x480,mode=bench,change=50,fps=60",
		"test:size=100x64,mode=bench,change=100,fps=7",
		"test:size=64x300,mode=static",
	};
	static const uint64_t times[] = { 0,     1,     99,      100,       250,  999,
					  1000,  1001,  1016,    1017,      2500, 2500,
					  15999, 16000, 6553600, 123456789, 5,    70000 };

	for (size_t s = 0; s < sizeof(specs) / sizeof(specs[0]); s++) {
		struct capture *c = make(specs[s]);
		struct capture_test_options o = { 0 };
		struct capture_frame f;
		uint8_t *ref;

		grab_at(c, 0, &f);
		o.width = f.width;
		o.height = f.height;
		o.mode = strstr(specs[s], "bench")    ? CAPTURE_TEST_MODE_BENCH
			 : strstr(specs[s], "static") ? CAPTURE_TEST_MODE_STATIC
						      : CAPTURE_TEST_MODE_ANIMATED;
		o.change_percent = strstr(specs[s], "change=50") ? 50 : 100;
		o.fps = strstr(specs[s], "fps=60") ? 60 : 7;
		ref = malloc((size_t)f.stride * f.height);
		ck_assert_ptr_nonnull(ref);
		for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
			grab_at(c, times[i], &f);
			capture_test_render(ref, f.stride, &o, times[i]);
			ck_assert_msg(memcmp(ref, f.data, (size_t)f.stride * f.height) == 0,
				      "%s differs from a full render at t=%llu", specs[s],
				      (unsigned long long)times[i]);
		}
		free(ref);
		capture_destroy(c);
	}
}
END_TEST

START_TEST(test_default_clock)
{
	struct capture *c = NULL;
	struct capture_frame f;
	char err[128];

	/* the monotonic clock starts at 0 when the backend is created: counter and block are at
	 * their first positions for the first 100 ms */
	ck_assert_int_eq(capture_create("test", &c, err, sizeof(err)), 0);
	ck_assert_int_eq(capture_grab(c, &f), 0);
	ck_assert_uint_lt(decode_counter(&f), 100); /* well under 10 s since creation */
	ck_assert_int_eq(decode_block(&f), 0);
	capture_test_set_clock(c, NULL, NULL); /* back to the default clock */
	ck_assert_int_eq(capture_grab(c, &f), 0);
	ck_assert_uint_lt(decode_counter(&f), 100);
	capture_destroy(c);
}
END_TEST

static Suite *capture_suite(void)
{
	Suite *s = suite_create("capture");
	TCase *spec = tcase_create("spec");
	TCase *pic = tcase_create("picture");

	tcase_add_test(spec, test_backend_names);
	tcase_add_test(spec, test_good_specs);
	tcase_add_test(spec, test_bad_specs);
	tcase_add_test(spec, test_error_messages);
	suite_add_tcase(s, spec);

	tcase_add_test(pic, test_background_and_bars);
	tcase_add_test(pic, test_counter);
	tcase_add_test(pic, test_counter_narrow);
	tcase_add_test(pic, test_block);
	tcase_add_test(pic, test_gradient);
	tcase_add_test(pic, test_static);
	tcase_add_test(pic, test_bench_change);
	tcase_add_test(pic, test_bench_clipped);
	tcase_add_test(pic, test_incremental_equals_full);
	tcase_add_test(pic, test_default_clock);
	suite_add_tcase(s, pic);
	return s;
}

int main(void)
{
	return shadow_test_run(capture_suite());
}
