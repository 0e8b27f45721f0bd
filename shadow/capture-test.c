#include "capture-test.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spec.h"

struct capture_test {
	struct capture base;
	struct capture_test_options opts;
	uint32_t stride;
	uint8_t *pixels;

	uint64_t (*now_ms)(void *data);
	void *now_data;
	uint64_t start_ms;

	/* What the buffer shows, so a grab redraws only the bands whose content moved on. */
	bool rendered;
	uint32_t shown_counter;
	uint64_t shown_slot;
	uint64_t shown_frame;
};

static const struct capture_impl capture_test_impl;

static const uint32_t bar_colours[8] = {
	0xFFFFFF, 0xFFFF00, 0x00FFFF, 0x00FF00, 0xFF00FF, 0xFF0000, 0x0000FF, 0x000000,
};

uint32_t capture_test_bar_colour(unsigned int i)
{
	return i < 8 ? bar_colours[i] : CAPTURE_TEST_BACKGROUND;
}

uint32_t capture_test_counter(const struct capture_test_options *o, uint64_t t_ms)
{
	if (o->mode == CAPTURE_TEST_MODE_STATIC) {
		return 0;
	}
	return (uint32_t)((t_ms / 100) % 65536);
}

uint64_t capture_test_block_step(const struct capture_test_options *o, uint64_t t_ms)
{
	if (o->mode == CAPTURE_TEST_MODE_STATIC) {
		return 0;
	}
	return t_ms / 1000;
}

uint64_t capture_test_bench_frame(const struct capture_test_options *o, uint64_t t_ms)
{
	if (o->mode != CAPTURE_TEST_MODE_BENCH) {
		return 0;
	}
	return t_ms * o->fps / 1000;
}

void capture_test_bench_rows(const struct capture_test_options *o, uint32_t *ret_y0,
			     uint32_t *ret_y1)
{
	uint32_t h = o->height;
	uint32_t y0 = h / 4 + 64, limit = 3 * h / 4, y1;

	if (o->mode != CAPTURE_TEST_MODE_BENCH || y0 >= limit) {
		*ret_y0 = *ret_y1 = 0;
		return;
	}
	y1 = y0 + (uint32_t)((uint64_t)h * o->change_percent / 100);
	if (y1 > limit) {
		y1 = limit;
	}
	*ret_y0 = y0;
	*ret_y1 = y1;
}

static void fill(uint32_t *row, uint32_t x0, uint32_t x1, uint32_t colour)
{
	for (uint32_t x = x0; x < x1; x++) {
		row[x] = colour;
	}
}

static void render_row(uint32_t *row, uint32_t y, const struct capture_test_options *o,
		       uint32_t counter, uint64_t slot, uint64_t frame, uint32_t bench_y0,
		       uint32_t bench_y1)
{
	const uint32_t w = o->width, h = o->height;
	const uint32_t grad_y0 = 3 * h / 4;

	if (y < h / 4) {
		for (uint32_t i = 0; i < 8; i++) {
			fill(row, i * w / 8, (i + 1) * w / 8, bar_colours[i]);
		}
	} else {
		fill(row, 0, w, CAPTURE_TEST_BACKGROUND);
	}

	if (y >= h / 4 + 16 && y < h / 4 + 48) {
		for (uint32_t k = 0; k < 16 && 16 + k * 40 + 32 <= w; k++) {
			bool set = counter & (1u << (15 - k));

			fill(row, 16 + k * 40, 16 + k * 40 + 32, set ? 0xFFFFFF : 0x000000);
		}
	}

	if (y >= h / 2 && y < h / 2 + 64 && w >= 64) {
		uint32_t x0 = 64 * (uint32_t)(slot % (w / 64));

		fill(row, x0, x0 + 64, CAPTURE_TEST_BLOCK);
	}

	if (y >= grad_y0) {
		uint32_t gdiv = h - grad_y0 - 1 > 0 ? h - grad_y0 - 1 : 1;
		uint32_t rdiv = w > 1 ? w - 1 : 1;
		uint32_t g = (y - grad_y0) * 255 / gdiv;

		for (uint32_t x = 0; x < w; x++) {
			uint32_t r = x * 255 / rdiv;

			row[x] = r << 16 | g << 8 | 0x80;
		}
	}

	if (y >= bench_y0 && y < bench_y1) {
		/* Unsigned arithmetic wraps mod 2^32 by definition. */
		uint32_t v = (uint32_t)(y + frame) * 2654435761u;

		for (uint32_t x = 0; x < w; x++) {
			row[x] = v & 0xFFFFFF;
			v += 2654435761u;
		}
	}
}

void capture_test_render_rows(uint8_t *px, uint32_t stride, const struct capture_test_options *o,
			      uint64_t t_ms, uint32_t y0, uint32_t y1)
{
	uint32_t counter = capture_test_counter(o, t_ms);
	uint64_t slot = capture_test_block_step(o, t_ms);
	uint64_t frame = capture_test_bench_frame(o, t_ms);
	uint32_t bench_y0, bench_y1;

	capture_test_bench_rows(o, &bench_y0, &bench_y1);
	if (y1 > o->height) {
		y1 = o->height;
	}
	for (uint32_t y = y0; y < y1; y++) {
		uint32_t *row = (uint32_t *)(void *)(px + (size_t)y * stride);

		render_row(row, y, o, counter, slot, frame, bench_y0, bench_y1);
	}
}

void capture_test_render(uint8_t *px, uint32_t stride, const struct capture_test_options *o,
			 uint64_t t_ms)
{
	capture_test_render_rows(px, stride, o, t_ms, 0, o->height);
}

static struct capture_test *capture_test_from(struct capture *c)
{
	assert(c->impl == &capture_test_impl);
	return (struct capture_test *)c;
}

bool capture_is_test(const struct capture *c)
{
	return c && c->impl == &capture_test_impl;
}

static uint64_t monotonic_ms(void *data)
{
	struct timespec ts;

	(void)data;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t test_now(struct capture_test *ct)
{
	uint64_t now = ct->now_ms(ct->now_data);

	if (ct->now_ms == monotonic_ms) {
		return now - ct->start_ms;
	}
	return now;
}

void capture_test_set_clock(struct capture *c, uint64_t (*now_ms)(void *data), void *data)
{
	struct capture_test *ct = capture_test_from(c);

	ct->now_ms = now_ms ? now_ms : monotonic_ms;
	ct->now_data = now_ms ? data : NULL;
	ct->start_ms = monotonic_ms(NULL);
	ct->rendered = false;
}

static int capture_test_get_size(struct capture *c, uint32_t *ret_w, uint32_t *ret_h)
{
	struct capture_test *ct = capture_test_from(c);

	*ret_w = ct->opts.width;
	*ret_h = ct->opts.height;
	return 0;
}

static int capture_test_grab(struct capture *c, struct capture_frame *ret_frame)
{
	struct capture_test *ct = capture_test_from(c);
	const struct capture_test_options *o = &ct->opts;
	uint64_t t = test_now(ct);
	uint32_t counter = capture_test_counter(o, t);
	uint64_t slot = capture_test_block_step(o, t) % (o->width / 64);
	uint64_t frame = capture_test_bench_frame(o, t);

	if (!ct->rendered) {
		capture_test_render(ct->pixels, ct->stride, o, t);
		ct->rendered = true;
	} else {
		/* Every row that shows the counter, the block or the bench region lies inside that
		 * area's band, so redrawing the bands of what changed equals a full render at t. */
		if (counter != ct->shown_counter) {
			capture_test_render_rows(ct->pixels, ct->stride, o, t, o->height / 4 + 16,
						 o->height / 4 + 48);
		}
		if (slot != ct->shown_slot) {
			capture_test_render_rows(ct->pixels, ct->stride, o, t, o->height / 2,
						 o->height / 2 + 64);
		}
		if (frame != ct->shown_frame) {
			uint32_t y0, y1;

			capture_test_bench_rows(o, &y0, &y1);
			capture_test_render_rows(ct->pixels, ct->stride, o, t, y0, y1);
		}
	}
	ct->shown_counter = counter;
	ct->shown_slot = slot;
	ct->shown_frame = frame;

	*ret_frame = (struct capture_frame){
		.width = o->width,
		.height = o->height,
		.stride = ct->stride,
		.format = CAPTURE_FORMAT_XRGB8888,
		.data = ct->pixels,
	};
	return 0;
}

static void capture_test_destroy(struct capture *c)
{
	struct capture_test *ct = capture_test_from(c);

	free(ct->pixels);
	free(ct);
}

static const struct capture_impl capture_test_impl = {
	.name = "test",
	.get_size = capture_test_get_size,
	.grab = capture_test_grab,
	.destroy = capture_test_destroy,
};

static int parse_size(struct shadow_spec *spec, uint32_t *ret_w, uint32_t *ret_h, char *errbuf,
		      size_t errlen)
{
	const char *value = shadow_spec_get(spec, "size");
	char buf[32];
	size_t len;
	char *x;
	uint32_t w, h;

	if (!value) {
		*ret_w = 1024;
		*ret_h = 768;
		return 0;
	}
	len = strlen(value);
	if (len >= sizeof(buf)) {
		goto bad;
	}
	memcpy(buf, value, len + 1);
	x = strchr(buf, 'x');
	if (!x) {
		goto bad;
	}
	*x = '\0';
	if (shadow_parse_u32(buf, &w) < 0 || shadow_parse_u32(x + 1, &h) < 0) {
		goto bad;
	}
	if (w < CAPTURE_TEST_MIN_SIZE || w > CAPTURE_TEST_MAX_SIZE || h < CAPTURE_TEST_MIN_SIZE ||
	    h > CAPTURE_TEST_MAX_SIZE) {
		goto bad;
	}
	*ret_w = w;
	*ret_h = h;
	return 0;

bad:
	return shadow_error(errbuf, errlen, -EINVAL,
			    "capture 'test': size=%s is not WxH with each of W and H in %u..%u",
			    value, CAPTURE_TEST_MIN_SIZE, CAPTURE_TEST_MAX_SIZE);
}

int capture_test_create(struct shadow_spec *spec, struct capture **ret, char *errbuf, size_t errlen)
{
	struct capture_test_options o = { 0 };
	struct capture_test *ct;
	const char *mode;
	int r;

	r = parse_size(spec, &o.width, &o.height, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	mode = shadow_spec_get(spec, "mode");
	if (!mode || strcmp(mode, "animated") == 0) {
		o.mode = CAPTURE_TEST_MODE_ANIMATED;
	} else if (strcmp(mode, "static") == 0) {
		o.mode = CAPTURE_TEST_MODE_STATIC;
	} else if (strcmp(mode, "bench") == 0) {
		o.mode = CAPTURE_TEST_MODE_BENCH;
	} else {
		return shadow_error(errbuf, errlen, -EINVAL,
				    "capture 'test': mode=%s is not animated, static or bench",
				    mode);
	}
	r = shadow_spec_get_u32(spec, "change", 10, 0, 100, &o.change_percent, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	r = shadow_spec_get_u32(spec, "fps", 30, 1, 1000, &o.fps, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	r = shadow_spec_check_unused(spec, errbuf, errlen);
	if (r < 0) {
		return r;
	}

	ct = calloc(1, sizeof(*ct));
	if (!ct) {
		return shadow_error(errbuf, errlen, -ENOMEM, "out of memory");
	}
	ct->base.impl = &capture_test_impl;
	ct->opts = o;
	ct->stride = o.width * 4;
	ct->pixels = malloc((size_t)ct->stride * o.height);
	if (!ct->pixels) {
		free(ct);
		return shadow_error(errbuf, errlen, -ENOMEM, "out of memory");
	}
	ct->now_ms = monotonic_ms;
	ct->start_ms = monotonic_ms(NULL);
	*ret = &ct->base;
	return 0;
}
