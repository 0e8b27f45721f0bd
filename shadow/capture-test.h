#pragma once

/*
 * The "test" capture backend: a synthetic, decodable picture that ships in the product.
 *
 * Options: size=WxH (default 1024x768; each of W and H in 64..8192), mode=animated|static|bench
 * (default animated), change=PERCENT (bench; 0..100, default 10), fps=N (bench; 1..1000,
 * default 30). The clock is CLOCK_MONOTONIC in milliseconds since the backend was created, or
 * whatever capture_test_set_clock() installs.
 *
 * The picture is a CONTRACT that integration tests decode independently. Verbatim:
 *
 *   XRGB8888, 0x00RRGGBB.
 *   - background everywhere not listed: 0x404040.
 *   - bars: y in [0, H/4): 8 vertical bars, bar i covers x in [i*W/8, (i+1)*W/8) (integer
 *     division), colours in order FFFFFF, FFFF00, 00FFFF, 00FF00, FF00FF, FF0000, 0000FF, 000000.
 *   - counter: n = floor(t_ms / 100) mod 65536 (animated and bench modes), 0 in static mode. 16
 *     squares of 32×32 at y in [H/4+16, H/4+48), square k (k = 0..15) at x in
 *     [16+k*40, 16+k*40+32) shows bit (15-k) of n: 0xFFFFFF if set else 0x000000. (Only as many
 *     squares as fit in W; the size minimum makes sure all fit for W >= 672; for smaller W draw
 *     the ones that fit.)
 *   - moving block: s = floor(t_ms / 1000) (0 in static mode), slots = W/64; an orange 0xFF8000
 *     64×64 block at x in [64*(s mod slots), +64), y in [H/2, H/2+64).
 *   - gradient: y in [3H/4, H): pixel = R=(x*255)/(W-1), G=((y-3H/4)*255)/max(1,H-3H/4-1),
 *     B=0x80.
 *   - bench mode additionally: a region of change% of the screen area, full width rows starting
 *     at y = H/4+64, height = H*change/100 (clipped to the area above the gradient), filled each
 *     frame f = floor(t_ms*fps/1000) with a pattern that differs in every pixel between
 *     consecutive frames (e.g. ((x + y + f) * 2654435761) derived colour).
 *
 * Precisely, as implemented (all divisions are integer divisions, 3H/4 means (3*H)/4):
 *   - the bench pattern is ((x + y + f) * 2654435761) mod 2^32, low 24 bits (0x00RRGGBB).
 *     Consecutive f differ by adding 2654435761 mod 2^24 = 0x3779B1 != 0, so every pixel changes.
 *   - areas are drawn in the order listed (background, bars, counter, block, gradient, bench),
 *     later ones on top, everything clipped to the frame. At sizes >= 64x256 only the bench
 *     region can overlap another area (the block when change is large).
 *   - a "square that fits" is one with 16+k*40+32 <= W.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"

struct shadow_spec;

#define CAPTURE_TEST_BACKGROUND 0x404040u
#define CAPTURE_TEST_BLOCK      0xFF8000u
#define CAPTURE_TEST_MIN_SIZE   64u
#define CAPTURE_TEST_MAX_SIZE   8192u

enum capture_test_mode {
	CAPTURE_TEST_MODE_ANIMATED,
	CAPTURE_TEST_MODE_STATIC,
	CAPTURE_TEST_MODE_BENCH,
};

struct capture_test_options {
	uint32_t width, height;
	enum capture_test_mode mode;
	uint32_t change_percent; /* bench only */
	uint32_t fps;            /* bench only; >= 1 */
};

/* The colour of bar i (0..7). */
uint32_t capture_test_bar_colour(unsigned int i);
/* The counter value, slot and bench frame shown at t_ms. */
uint32_t capture_test_counter(const struct capture_test_options *o, uint64_t t_ms);
uint64_t capture_test_block_step(const struct capture_test_options *o, uint64_t t_ms);
uint64_t capture_test_bench_frame(const struct capture_test_options *o, uint64_t t_ms);
/* Rows [*ret_y0, *ret_y1) of the bench region (empty when not bench mode or change is 0). */
void capture_test_bench_rows(const struct capture_test_options *o, uint32_t *ret_y0,
			     uint32_t *ret_y1);

/* Draw the whole picture at t_ms into px (XRGB8888, stride in bytes >= width * 4). */
void capture_test_render(uint8_t *px, uint32_t stride, const struct capture_test_options *o,
			 uint64_t t_ms);
/* Same, rows [y0, y1) only (clipped to the height). */
void capture_test_render_rows(uint8_t *px, uint32_t stride, const struct capture_test_options *o,
			      uint64_t t_ms, uint32_t y0, uint32_t y1);

/* Replace the clock of a "test" capture (asserts c is one); now_ms(data) returns milliseconds. */
void capture_test_set_clock(struct capture *c, uint64_t (*now_ms)(void *data), void *data);
/* Whether c is a "test" capture. */
bool capture_is_test(const struct capture *c);

/* Factory hook for capture_create(). */
int capture_test_create(struct shadow_spec *spec, struct capture **ret, char *errbuf,
			size_t errlen);
