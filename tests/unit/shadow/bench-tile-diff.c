/*
 * Not a test: how long tile_diff_update takes per frame compared with a plain memcpy of the
 * frame, at 1024x768 and 1920x1080, with no change, 10% of the rows changed (a full-width band)
 * and every pixel changed. Each iteration alternates between two frames so that the change is real
 * every time.
 *
 *   bench-tile-diff [iterations]
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tile-diff.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void fill_random(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1664525u + 1013904223u;
		p[i] = (uint8_t)(seed >> 24);
	}
}

/* Frame b: a copy of a with percent of the rows changed, full width from H/4 down (as the test
 * capture's bench mode does), or everything for 100. */
static void make_changed(uint8_t *b, const uint8_t *a, uint32_t w, uint32_t h, uint32_t percent)
{
	size_t stride = (size_t)w * 4;
	uint32_t y0 = percent == 100 ? 0 : h / 4;
	uint32_t y1 = y0 + h * percent / 100;

	memcpy(b, a, stride * h);
	for (uint32_t y = y0; y < y1 && y < h; y++) {
		for (size_t i = 0; i < stride; i++) {
			b[(size_t)y * stride + i] ^= 0x5A;
		}
	}
}

static volatile uint8_t sink;

static void run(uint32_t w, uint32_t h, int iterations)
{
	static const struct {
		const char *name;
		uint32_t percent;
	} cases[] = { { "no change", 0 }, { "10% change", 10 }, { "full change", 100 } };
	size_t len = (size_t)w * h * 4;
	uint8_t *a = malloc(len), *b = malloc(len), *dst = malloc(len);
	struct tile_diff *td;
	struct tile_rect rects[4096];
	double memcpy_ms;
	int r;

	if (!a || !b || !dst) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	fill_random(a, len, w * h);

	/* memcpy of a frame: the floor any capture path pays at least once per frame */
	memcpy(dst, a, len);
	{
		double t0 = now_ms();

		for (int i = 0; i < iterations; i++) {
			memcpy(dst, i % 2 ? a : b, len);
			sink = dst[(size_t)i % len];
		}
		memcpy_ms = (now_ms() - t0) / iterations;
	}
	printf("%ux%u  memcpy of the frame            %8.3f ms/frame\n", w, h, memcpy_ms);

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct capture_frame fa = { w, h, w * 4, CAPTURE_FORMAT_XRGB8888, a };
		struct capture_frame fb = { w, h, w * 4, CAPTURE_FORMAT_XRGB8888, b };
		size_t n = 0, total = 0;
		double t0, ms;

		make_changed(b, a, w, h, cases[c].percent);
		r = tile_diff_new(w, h, &td);
		if (r < 0) {
			fprintf(stderr, "tile_diff_new: %s\n", strerror(-r));
			exit(1);
		}
		tile_diff_update(td, &fa, rects, 4096, &n);
		t0 = now_ms();
		for (int i = 0; i < iterations; i++) {
			tile_diff_update(td, i % 2 ? &fa : &fb, rects, 4096, &n);
			total += n;
		}
		ms = (now_ms() - t0) / iterations;
		printf("%ux%u  tile_diff_update %-13s %8.3f ms/frame  %5.2fx memcpy  (%zu "
		       "rects/frame)\n",
		       w, h, cases[c].name, ms, ms / memcpy_ms, total / (size_t)iterations);
		tile_diff_destroy(td);
	}
	free(a);
	free(b);
	free(dst);
}

int main(int argc, char **argv)
{
	int iterations = argc > 1 ? atoi(argv[1]) : 200;

	if (iterations < 1) {
		fprintf(stderr, "usage: %s [iterations]\n", argv[0]);
		return 1;
	}
	run(1024, 768, iterations);
	run(1920, 1080, iterations);
	return 0;
}
