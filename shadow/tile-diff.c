#include "tile-diff.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TILE_DIFF_MAX_SIZE 16384u

struct tile_diff {
	uint32_t width, height;
	uint32_t stride;
	uint32_t tiles_x, tiles_y;
	bool valid;
	uint8_t *shadow;
	uint8_t *scratch; /* one converted source row */
	uint8_t *changed; /* per tile of the current tile row */
};

int tile_diff_new(uint32_t width, uint32_t height, struct tile_diff **ret)
{
	struct tile_diff *td;

	if (width == 0 || height == 0 || width > TILE_DIFF_MAX_SIZE ||
	    height > TILE_DIFF_MAX_SIZE) {
		return -EINVAL;
	}
	td = calloc(1, sizeof(*td));
	if (!td) {
		return -ENOMEM;
	}
	td->width = width;
	td->height = height;
	td->stride = width * 4;
	td->tiles_x = (width + TILE_SIZE - 1) / TILE_SIZE;
	td->tiles_y = (height + TILE_SIZE - 1) / TILE_SIZE;
	td->shadow = calloc(height, td->stride);
	td->scratch = malloc(td->stride);
	td->changed = malloc(td->tiles_x);
	if (!td->shadow || !td->scratch || !td->changed) {
		tile_diff_destroy(td);
		return -ENOMEM;
	}
	*ret = td;
	return 0;
}

void tile_diff_destroy(struct tile_diff *td)
{
	if (!td) {
		return;
	}
	free(td->shadow);
	free(td->scratch);
	free(td->changed);
	free(td);
}

const uint8_t *tile_diff_data(const struct tile_diff *td, uint32_t *ret_stride)
{
	if (ret_stride) {
		*ret_stride = td->stride;
	}
	return td->shadow;
}

void tile_diff_invalidate(struct tile_diff *td)
{
	td->valid = false;
}

size_t tile_diff_max_rects(const struct tile_diff *td)
{
	return (size_t)td->tiles_y * ((td->tiles_x + 1) / 2);
}

static void convert_argb8888(uint8_t *dst, const uint8_t *src, uint32_t width)
{
	for (uint32_t x = 0; x < width; x++) {
		uint32_t p;

		memcpy(&p, src + (size_t)x * 4, 4);
		p &= 0x00FFFFFF;
		memcpy(dst + (size_t)x * 4, &p, 4);
	}
}

static void convert_rgb565(uint8_t *dst, const uint8_t *src, uint32_t width)
{
	for (uint32_t x = 0; x < width; x++) {
		uint16_t p;
		uint32_t r, g, b, out;

		memcpy(&p, src + (size_t)x * 2, 2);
		r = p >> 11;
		g = (p >> 5) & 0x3F;
		b = p & 0x1F;
		r = r << 3 | r >> 2;
		g = g << 2 | g >> 4;
		b = b << 3 | b >> 2;
		out = r << 16 | g << 8 | b;
		memcpy(dst + (size_t)x * 4, &out, 4);
	}
}

/* Row y of the frame as XRGB8888: the frame itself when it already is, else converted. */
static const uint8_t *source_row(struct tile_diff *td, const struct capture_frame *frame,
				 uint32_t y)
{
	const uint8_t *src = frame->data + (size_t)y * frame->stride;

	switch (frame->format) {
	case CAPTURE_FORMAT_XRGB8888:
		return src;
	case CAPTURE_FORMAT_ARGB8888:
		convert_argb8888(td->scratch, src, td->width);
		return td->scratch;
	case CAPTURE_FORMAT_RGB565:
		convert_rgb565(td->scratch, src, td->width);
		return td->scratch;
	}
	return src;
}

struct rect_sink {
	struct tile_rect *rects;
	size_t max, n;
	bool overflow;
	uint32_t x0, y0, x1, y1; /* bounding box of everything added */
};

static void sink_add(struct rect_sink *sink, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	if (sink->n == 0 && !sink->overflow) {
		sink->x0 = x;
		sink->y0 = y;
		sink->x1 = x + w;
		sink->y1 = y + h;
	} else {
		sink->x0 = x < sink->x0 ? x : sink->x0;
		sink->y0 = y < sink->y0 ? y : sink->y0;
		sink->x1 = x + w > sink->x1 ? x + w : sink->x1;
		sink->y1 = y + h > sink->y1 ? y + h : sink->y1;
	}
	if (sink->n < sink->max) {
		sink->rects[sink->n++] = (struct tile_rect){ x, y, w, h };
	} else {
		sink->overflow = true;
	}
}

static void full_copy(struct tile_diff *td, const struct capture_frame *frame)
{
	for (uint32_t y = 0; y < td->height; y++) {
		memcpy(td->shadow + (size_t)y * td->stride, source_row(td, frame, y), td->stride);
	}
}

int tile_diff_update(struct tile_diff *td, const struct capture_frame *frame,
		     struct tile_rect *rects, size_t max, size_t *ret_n)
{
	struct rect_sink sink = { .rects = rects, .max = max };
	uint32_t bpp = capture_format_bpp(frame->format);

	if (frame->width != td->width || frame->height != td->height || bpp == 0 ||
	    frame->stride < td->width * bpp || !frame->data || !rects || max == 0) {
		return -EINVAL;
	}

	if (!td->valid) {
		full_copy(td, frame);
		td->valid = true;
		rects[0] = (struct tile_rect){ 0, 0, td->width, td->height };
		*ret_n = 1;
		return 0;
	}

	for (uint32_t ty = 0; ty < td->tiles_y; ty++) {
		uint32_t y0 = ty * TILE_SIZE;
		uint32_t th = td->height - y0 < TILE_SIZE ? td->height - y0 : TILE_SIZE;
		uint32_t n_changed = 0;

		memset(td->changed, 0, td->tiles_x);
		for (uint32_t y = y0; y < y0 + th; y++) {
			const uint8_t *src = source_row(td, frame, y);
			uint8_t *dst = td->shadow + (size_t)y * td->stride;

			/* The common case, an unchanged row, costs one memcmp. Rows that are equal
			 * need no copy even inside a changed tile. */
			if (memcmp(src, dst, td->stride) == 0) {
				continue;
			}
			/* Every tile of this band already changed: one copy of the row. */
			if (n_changed == td->tiles_x) {
				memcpy(dst, src, td->stride);
				continue;
			}
			for (uint32_t tx = 0; tx < td->tiles_x; tx++) {
				size_t off = (size_t)tx * TILE_SIZE * 4;
				size_t len = td->stride - off < TILE_SIZE * 4 ? td->stride - off
									      : TILE_SIZE * 4;

				if (!td->changed[tx]) {
					if (memcmp(src + off, dst + off, len) == 0) {
						continue;
					}
					td->changed[tx] = 1;
					n_changed++;
				}
				memcpy(dst + off, src + off, len);
			}
		}
		if (n_changed == 0) {
			continue;
		}
		for (uint32_t tx = 0; tx < td->tiles_x;) {
			uint32_t start;

			if (!td->changed[tx]) {
				tx++;
				continue;
			}
			start = tx;
			while (tx < td->tiles_x && td->changed[tx]) {
				tx++;
			}
			{
				uint32_t x = start * TILE_SIZE;
				uint32_t x_end =
					tx * TILE_SIZE < td->width ? tx * TILE_SIZE : td->width;

				sink_add(&sink, x, y0, x_end - x, th);
			}
		}
	}

	if (sink.overflow) {
		rects[0] = (struct tile_rect){ sink.x0, sink.y0, sink.x1 - sink.x0,
					       sink.y1 - sink.y0 };
		*ret_n = 1;
	} else {
		*ret_n = sink.n;
	}
	return 0;
}
