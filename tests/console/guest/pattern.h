#pragma once

/*
 * The picture lifeline-kmstest shows, shared with lifeline-capture-bench's check so that the
 * guest can verify a capture without the RDP path. Frame f of a width×height screen, 0x00RRGGBB:
 *   y < H/4:          8 vertical bars, bar i over x in [i*W/8, (i+1)*W/8): FFFFFF FFFF00
 *                     00FFFF 00FF00 FF00FF FF0000 0000FF 000000
 *   H/4 <= y < H/2:   16×16 checkerboard 202020 / E0E0E0
 *   H/2 <= y < 3H/4:  frame marker: background 004080, a 64-wide white (FFFFFF) column at
 *                     x in [64*(f mod (W/64)), +64) (only with W >= 64)
 *   y >= 3H/4:        gradient R = x*255/(W-1), G = (y-3H/4)*255/max(1, H-3H/4-1), B = 0x80
 *   --animate-all:    every pixel additionally XORed with (f * 0x010101) & 0xFFFFFF so that the
 *                     whole screen changes every frame.
 * Every colour is exactly representable in RGB565 once reduced (see pattern_565): the test
 * compares against the screen, not against this table, so RGB565 loses only precision.
 */

#include <stdbool.h>
#include <stdint.h>

static inline uint32_t pattern_pixel(uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint32_t f,
				     bool all)
{
	static const uint32_t bars[8] = { 0xFFFFFF, 0xFFFF00, 0x00FFFF, 0x00FF00,
					  0xFF00FF, 0xFF0000, 0x0000FF, 0x000000 };
	uint32_t v;

	if (y < h / 4) {
		v = bars[(x * 8) / w];
	} else if (y < h / 2) {
		v = ((x / 16) + (y / 16)) % 2 ? 0xE0E0E0 : 0x202020;
	} else if (y < 3 * h / 4) {
		uint32_t slots = w / 64;

		v = slots && x / 64 == f % slots ? 0xFFFFFF : 0x004080;
	} else {
		uint32_t y0 = 3 * h / 4;
		uint32_t gdiv = h - y0 - 1 > 0 ? h - y0 - 1 : 1;
		uint32_t r = x * 255 / (w > 1 ? w - 1 : 1);
		uint32_t g = (y - y0) * 255 / gdiv;

		v = r << 16 | g << 8 | 0x80;
	}
	if (all) {
		v ^= (f * 0x010101u) & 0xFFFFFF;
	}
	return v;
}

static inline uint16_t pattern_565(uint32_t v)
{
	return (uint16_t)(((v >> 19) & 0x1F) << 11 | ((v >> 10) & 0x3F) << 5 | ((v >> 3) & 0x1F));
}

/* The XRGB8888 value an RGB565 pixel widens to by bit replication (as the tile diff does). */
static inline uint32_t pattern_widen_565(uint16_t p)
{
	uint32_t r = (p >> 11) & 0x1F, g = (p >> 5) & 0x3F, b = p & 0x1F;

	return (r << 3 | r >> 2) << 16 | (g << 2 | g >> 4) << 8 | (b << 3 | b >> 2);
}
