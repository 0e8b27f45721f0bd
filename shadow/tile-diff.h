#pragma once

/*
 * Change detection by 64×64 tiles against a shadow copy of the screen.
 *
 * The shadow copy is XRGB8888 with a tight stride (width * 4). Sources are converted to it:
 * XRGB8888 is copied as it is (the X byte is not looked at by RDP, and not masking it keeps the
 * no-change compare a plain memcmp), ARGB8888 has its alpha byte cleared to 0, RGB565 is widened
 * by bit replication (0x1F → 0xFF) with the X byte 0. Source stride padding is never read as
 * pixels.
 *
 * Rects: changed tiles, with horizontally adjacent changed tiles of one tile row merged into one
 * rect. Tiles in the last column/row are narrower/shorter when the size is not a multiple of 64.
 * Overflow rule: when the rects would not fit in max, *ret_n = 1 and rects[0] is the bounding
 * rect of every changed tile. The first update after new or invalidate copies the whole frame
 * and reports it as one rect {0, 0, width, height}.
 *
 * Not thread-safe; one tile_diff per capture loop.
 */

#include <stddef.h>
#include <stdint.h>

#include "capture.h"

#define TILE_SIZE 64

struct tile_rect {
	uint32_t x, y, width, height;
};

struct tile_diff;

/* width, height in 1..16384. */
int tile_diff_new(uint32_t width, uint32_t height, struct tile_diff **ret);
void tile_diff_destroy(struct tile_diff *td);

/* Compare frame with the shadow copy; copy the changed tiles (converted to XRGB8888) into it;
 * write the changed rects to rects (see above). 0 rects when nothing changed. -EINVAL if the
 * frame size differs from td's, the format is unknown, the stride is too small or max is 0. */
int tile_diff_update(struct tile_diff *td, const struct capture_frame *frame,
		     struct tile_rect *rects, size_t max, size_t *ret_n);

/* The XRGB8888 shadow copy, valid until destroy. */
const uint8_t *tile_diff_data(const struct tile_diff *td, uint32_t *ret_stride);

/* Forget the shadow copy's content: the next update reports the whole frame. */
void tile_diff_invalidate(struct tile_diff *td);

/* How many rects the worst case needs (every other tile changed), to size the rects array. */
size_t tile_diff_max_rects(const struct tile_diff *td);
