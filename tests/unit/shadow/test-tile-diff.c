/* Tile change detection and format conversion. */

#include <stdint.h>

#include "shadow-test.h"
#include "tile-diff.h"

struct image {
	uint32_t w, h, stride;
	enum capture_format format;
	uint8_t *data;
};

static struct image image_new(uint32_t w, uint32_t h, uint32_t stride, enum capture_format fmt)
{
	struct image im = { w, h, stride, fmt, calloc(h, stride) };

	ck_assert_ptr_nonnull(im.data);
	return im;
}

static struct capture_frame frame_of(const struct image *im)
{
	return (struct capture_frame){ im->w, im->h, im->stride, im->format, im->data };
}

static void put32(struct image *im, uint32_t x, uint32_t y, uint32_t v)
{
	memcpy(im->data + (size_t)y * im->stride + (size_t)x * 4, &v, 4);
}

static void put16(struct image *im, uint32_t x, uint32_t y, uint16_t v)
{
	memcpy(im->data + (size_t)y * im->stride + (size_t)x * 2, &v, 2);
}

static uint32_t shadow_px(const struct tile_diff *td, uint32_t x, uint32_t y)
{
	uint32_t stride, v;
	const uint8_t *d = tile_diff_data(td, &stride);

	memcpy(&v, d + (size_t)y * stride + (size_t)x * 4, 4);
	return v;
}

static size_t update(struct tile_diff *td, const struct image *im, struct tile_rect *rects,
		     size_t max)
{
	struct capture_frame f = frame_of(im);
	size_t n = 999;

	ck_assert_int_eq(tile_diff_update(td, &f, rects, max, &n), 0);
	ck_assert_uint_le(n, max);
	return n;
}

static void assert_rect(const struct tile_rect *r, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	ck_assert_msg(r->x == x && r->y == y && r->width == w && r->height == h,
		      "rect %u,%u %ux%u, want %u,%u %ux%u", r->x, r->y, r->width, r->height, x, y,
		      w, h);
}

START_TEST(test_new_bad_sizes)
{
	struct tile_diff *td = NULL;

	ck_assert_int_eq(tile_diff_new(0, 10, &td), -EINVAL);
	ck_assert_int_eq(tile_diff_new(10, 0, &td), -EINVAL);
	ck_assert_int_eq(tile_diff_new(16385, 10, &td), -EINVAL);
	ck_assert_ptr_null(td);
	tile_diff_destroy(NULL);
}
END_TEST

START_TEST(test_first_full_then_nothing)
{
	struct image im = image_new(256, 192, 256 * 4, CAPTURE_FORMAT_XRGB8888);
	struct tile_rect rects[16];
	struct tile_diff *td;
	uint32_t stride = 0;

	put32(&im, 255, 191, 0x123456);
	ck_assert_int_eq(tile_diff_new(256, 192, &td), 0);
	ck_assert_uint_eq(update(td, &im, rects, 16), 1);
	assert_rect(&rects[0], 0, 0, 256, 192);
	ck_assert_ptr_nonnull(tile_diff_data(td, &stride));
	ck_assert_uint_eq(stride, 256 * 4);
	ck_assert_uint_eq(shadow_px(td, 255, 191), 0x123456);
	ck_assert_uint_eq(update(td, &im, rects, 16), 0);
	ck_assert_uint_eq(update(td, &im, rects, 16), 0);
	tile_diff_destroy(td);
	free(im.data);
}
END_TEST

START_TEST(test_one_pixel)
{
	struct image im = image_new(256, 192, 256 * 4, CAPTURE_FORMAT_XRGB8888);
	struct tile_rect rects[16];
	struct tile_diff *td;

	ck_assert_int_eq(tile_diff_new(256, 192, &td), 0);
	update(td, &im, rects, 16);

	put32(&im, 100, 70, 0xABCDEF);
	ck_assert_uint_eq(update(td, &im, rects, 16), 1);
	assert_rect(&rects[0], 64, 64, 64, 64);
	ck_assert_uint_eq(shadow_px(td, 100, 70), 0xABCDEF);
	ck_assert_uint_eq(update(td, &im, rects, 16), 0);

	/* tile corners belong to their tile */
	put32(&im, 127, 127, 1);
	ck_assert_uint_eq(update(td, &im, rects, 16), 1);
	assert_rect(&rects[0], 64, 64, 64, 64);
	put32(&im, 128, 128, 1);
	ck_assert_uint_eq(update(td, &im, rects, 16), 1);
	assert_rect(&rects[0], 128, 128, 64, 64);
	put32(&im, 0, 0, 1);
	ck_assert_uint_eq(update(td, &im, rects, 16), 1);
	assert_rect(&rects[0], 0, 0, 64, 64);
	tile_diff_destroy(td);
	free(im.data);
}
END_TEST

START_TEST(test_edge_tiles)
{
	/* 150x100: tiles are 64, 64, 22 wide and 64, 36 high */
	struct image im = image_new(150, 100, 150 * 4, CAPTURE_FORMAT_XRGB8888);
	struct tile_rect rects[16];
	struct tile_diff *td;

	ck_assert_int_eq(tile_diff_new(150, 100, &td), 0);
	update(td, &im, rects, 16);
	put32(&im, 149, 99, 7);
	ck_assert_uint_eq(update(td, &im, rects, 16), 1);
	assert_rect(&rects[0], 128, 64, 22, 36);
	ck_assert_uint_eq(shadow_px(td, 149, 99), 7);

	put32(&im, 0, 99, 7);
	put32(&im, 149, 0, 7);
	ck_assert_uint_eq(update(td, &im, rects, 16), 2);
	assert_rect(&rects[0], 128, 0, 22, 64);
	assert_rect(&rects[1], 0, 64, 64, 36);

	/* a whole bottom row changes: one merged rect of the full width */
	for (uint32_t x = 0; x < 150; x++) {
		put32(&im, x, 80, 9);
	}
	ck_assert_uint_eq(update(td, &im, rects, 16), 1);
	assert_rect(&rects[0], 0, 64, 150, 36);
	tile_diff_destroy(td);
	free(im.data);
}
END_TEST

START_TEST(test_small_frame)
{
	/* smaller than one tile */
	struct image im = image_new(10, 3, 40, CAPTURE_FORMAT_XRGB8888);
	struct tile_rect rects[4];
	struct tile_diff *td;

	ck_assert_int_eq(tile_diff_new(10, 3, &td), 0);
	update(td, &im, rects, 4);
	put32(&im, 9, 2, 5);
	ck_assert_uint_eq(update(td, &im, rects, 4), 1);
	assert_rect(&rects[0], 0, 0, 10, 3);
	tile_diff_destroy(td);
	free(im.data);
}
END_TEST

START_TEST(test_merge_and_overflow)
{
	struct image im = image_new(320, 128, 320 * 4, CAPTURE_FORMAT_XRGB8888);
	struct tile_rect rects[8];
	struct tile_diff *td;

	ck_assert_int_eq(tile_diff_new(320, 128, &td), 0);
	ck_assert_uint_eq(tile_diff_max_rects(td), 2 * 3);
	update(td, &im, rects, 8);

	/* row 0: tiles 0, 1 and 3; row 1: tile 4 */
	put32(&im, 5, 5, 1);
	put32(&im, 70, 60, 1);
	put32(&im, 200, 0, 1);
	put32(&im, 319, 127, 1);
	ck_assert_uint_eq(update(td, &im, rects, 8), 3);
	assert_rect(&rects[0], 0, 0, 128, 64);
	assert_rect(&rects[1], 192, 0, 64, 64);
	assert_rect(&rects[2], 256, 64, 64, 64);

	/* the same change with room for 2 rects: one bounding rect */
	put32(&im, 5, 5, 2);
	put32(&im, 70, 60, 2);
	put32(&im, 200, 0, 2);
	put32(&im, 319, 127, 2);
	ck_assert_uint_eq(update(td, &im, rects, 2), 1);
	assert_rect(&rects[0], 0, 0, 320, 128);
	/* every changed tile was still copied */
	ck_assert_uint_eq(shadow_px(td, 319, 127), 2);
	ck_assert_uint_eq(shadow_px(td, 200, 0), 2);
	ck_assert_uint_eq(update(td, &im, rects, 8), 0);

	/* bounding rect of a change that does not touch the origin */
	put32(&im, 70, 70, 3);
	put32(&im, 200, 70, 3);
	ck_assert_uint_eq(update(td, &im, rects, 1), 1);
	assert_rect(&rects[0], 64, 64, 192, 64);
	tile_diff_destroy(td);
	free(im.data);
}
END_TEST

START_TEST(test_stride_padding_ignored)
{
	struct image im = image_new(100, 70, 100 * 4 + 52, CAPTURE_FORMAT_XRGB8888);
	struct tile_rect rects[8];
	struct tile_diff *td;
	uint32_t stride;

	ck_assert_int_eq(tile_diff_new(100, 70, &td), 0);
	memset(im.data, 0xEE, (size_t)im.stride * im.h);
	update(td, &im, rects, 8);
	ck_assert_uint_eq(shadow_px(td, 99, 69), 0xEEEEEEEE);
	tile_diff_data(td, &stride);
	ck_assert_uint_eq(stride, 400);

	/* only the padding changes */
	for (uint32_t y = 0; y < 70; y++) {
		memset(im.data + (size_t)y * im.stride + 400, y, 52);
	}
	ck_assert_uint_eq(update(td, &im, rects, 8), 0);

	put32(&im, 99, 69, 0x11);
	ck_assert_uint_eq(update(td, &im, rects, 8), 1);
	assert_rect(&rects[0], 64, 64, 36, 6);
	ck_assert_uint_eq(shadow_px(td, 99, 69), 0x11);
	tile_diff_destroy(td);
	free(im.data);
}
END_TEST

START_TEST(test_rgb565)
{
	static const struct {
		uint16_t in;
		uint32_t out;
	} cases[] = {
		{ 0xF800, 0xFF0000 }, { 0x07E0, 0x00FF00 }, { 0x001F, 0x0000FF },
		{ 0xFFFF, 0xFFFFFF }, { 0x0000, 0x000000 }, { 0x8410, 0x848284 },
		{ 0x0821, 0x080408 }, { 0x7BEF, 0x7B7D7B },
	};
	const uint32_t n = sizeof(cases) / sizeof(cases[0]);
	/* odd width and a stride with padding */
	struct image im = image_new(n + 1, 65, (n + 1) * 2 + 6, CAPTURE_FORMAT_RGB565);
	struct tile_rect rects[4];
	struct tile_diff *td;

	ck_assert_int_eq(tile_diff_new(n + 1, 65, &td), 0);
	for (uint32_t i = 0; i < n; i++) {
		put16(&im, i, 64, cases[i].in);
	}
	update(td, &im, rects, 4);
	for (uint32_t i = 0; i < n; i++) {
		ck_assert_msg(shadow_px(td, i, 64) == cases[i].out, "%04x → %08x, want %08x",
			      cases[i].in, shadow_px(td, i, 64), cases[i].out);
	}
	ck_assert_uint_eq(update(td, &im, rects, 4), 0);
	put16(&im, 0, 0, 0x0001);
	ck_assert_uint_eq(update(td, &im, rects, 4), 1);
	assert_rect(&rects[0], 0, 0, n + 1, 64);
	ck_assert_uint_eq(shadow_px(td, 0, 0), 0x000008);
	tile_diff_destroy(td);
	free(im.data);
}
END_TEST

START_TEST(test_argb)
{
	struct image im = image_new(128, 64, 128 * 4, CAPTURE_FORMAT_ARGB8888);
	struct tile_rect rects[4];
	struct tile_diff *td;

	ck_assert_int_eq(tile_diff_new(128, 64, &td), 0);
	put32(&im, 3, 3, 0xFF123456);
	put32(&im, 100, 10, 0x80ABCDEF);
	update(td, &im, rects, 4);
	ck_assert_uint_eq(shadow_px(td, 3, 3), 0x00123456);
	ck_assert_uint_eq(shadow_px(td, 100, 10), 0x00ABCDEF);
	/* alpha alone is not a change */
	put32(&im, 3, 3, 0x00123456);
	ck_assert_uint_eq(update(td, &im, rects, 4), 0);
	put32(&im, 100, 10, 0x80ABCDEE);
	ck_assert_uint_eq(update(td, &im, rects, 4), 1);
	assert_rect(&rects[0], 64, 0, 64, 64);
	ck_assert_uint_eq(shadow_px(td, 100, 10), 0x00ABCDEE);
	tile_diff_destroy(td);
	free(im.data);
}
END_TEST

START_TEST(test_bad_frames)
{
	struct image im = image_new(128, 64, 128 * 4, CAPTURE_FORMAT_XRGB8888);
	struct tile_rect rects[4];
	struct tile_diff *td;
	struct capture_frame f;
	size_t n = 77;

	ck_assert_int_eq(tile_diff_new(128, 64, &td), 0);
	f = frame_of(&im);
	f.width = 127;
	ck_assert_int_eq(tile_diff_update(td, &f, rects, 4, &n), -EINVAL);
	f = frame_of(&im);
	f.height = 65;
	ck_assert_int_eq(tile_diff_update(td, &f, rects, 4, &n), -EINVAL);
	f = frame_of(&im);
	f.stride = 128 * 4 - 1;
	ck_assert_int_eq(tile_diff_update(td, &f, rects, 4, &n), -EINVAL);
	f = frame_of(&im);
	f.format = (enum capture_format)42;
	ck_assert_int_eq(tile_diff_update(td, &f, rects, 4, &n), -EINVAL);
	f = frame_of(&im);
	ck_assert_int_eq(tile_diff_update(td, &f, rects, 0, &n), -EINVAL);
	f.data = NULL;
	ck_assert_int_eq(tile_diff_update(td, &f, rects, 4, &n), -EINVAL);
	ck_assert_uint_eq(n, 77);
	/* the failures did not count as the first update */
	f = frame_of(&im);
	ck_assert_int_eq(tile_diff_update(td, &f, rects, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	assert_rect(&rects[0], 0, 0, 128, 64);
	tile_diff_destroy(td);
	free(im.data);
}
END_TEST

START_TEST(test_invalidate)
{
	struct image im = image_new(200, 100, 200 * 4, CAPTURE_FORMAT_XRGB8888);
	struct tile_rect rects[8];
	struct tile_diff *td;

	ck_assert_int_eq(tile_diff_new(200, 100, &td), 0);
	update(td, &im, rects, 8);
	ck_assert_uint_eq(update(td, &im, rects, 8), 0);
	tile_diff_invalidate(td);
	ck_assert_uint_eq(update(td, &im, rects, 8), 1);
	assert_rect(&rects[0], 0, 0, 200, 100);
	ck_assert_uint_eq(update(td, &im, rects, 8), 0);
	tile_diff_destroy(td);
	free(im.data);
}
END_TEST

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random scribbles: afterwards the shadow equals the frame, and every changed pixel lies in a
 * reported rect. */
START_TEST(test_random)
{
	const uint32_t w = 333, h = 211;
	struct image im = image_new(w, h, w * 4 + 12, CAPTURE_FORMAT_XRGB8888);
	uint32_t *before = malloc((size_t)w * h * 4);
	struct tile_rect rects[64];
	struct tile_diff *td;
	uint32_t seed = 0x12345678;

	ck_assert_ptr_nonnull(before);
	ck_assert_int_eq(tile_diff_new(w, h, &td), 0);
	update(td, &im, rects, 64);
	for (int round = 0; round < 200; round++) {
		int changes = (int)(xorshift(&seed) % 6);
		size_t n;

		for (uint32_t y = 0; y < h; y++) {
			for (uint32_t x = 0; x < w; x++) {
				before[y * w + x] = shadow_px(td, x, y);
			}
		}
		for (int i = 0; i < changes; i++) {
			put32(&im, xorshift(&seed) % w, xorshift(&seed) % h, xorshift(&seed));
		}
		n = update(td, &im, rects, round % 2 ? 64 : 2);
		for (uint32_t y = 0; y < h; y++) {
			for (uint32_t x = 0; x < w; x++) {
				uint32_t now;
				bool covered = false;

				/* plain ifs: every ck_assert is a message to the parent in CK_FORK
				 */
				memcpy(&now, im.data + (size_t)y * im.stride + x * 4, 4);
				if (shadow_px(td, x, y) != now) {
					ck_abort_msg("round %d: shadow wrong at %u,%u", round, x,
						     y);
				}
				if (before[y * w + x] == now) {
					continue;
				}
				for (size_t r = 0; r < n; r++) {
					covered |= x >= rects[r].x &&
						   x < rects[r].x + rects[r].width &&
						   y >= rects[r].y &&
						   y < rects[r].y + rects[r].height;
				}
				if (!covered) {
					ck_abort_msg("round %d: change at %u,%u not reported",
						     round, x, y);
				}
			}
		}
		for (size_t r = 0; r < n; r++) {
			ck_assert_uint_le(rects[r].x + rects[r].width, w);
			ck_assert_uint_le(rects[r].y + rects[r].height, h);
			ck_assert_uint_gt(rects[r].width, 0);
			ck_assert_uint_gt(rects[r].height, 0);
		}
	}
	tile_diff_destroy(td);
	free(before);
	free(im.data);
}
END_TEST

static Suite *tile_diff_suite(void)
{
	Suite *s = suite_create("tile-diff");
	TCase *tc = tcase_create("tile-diff");

	tcase_add_test(tc, test_new_bad_sizes);
	tcase_add_test(tc, test_first_full_then_nothing);
	tcase_add_test(tc, test_one_pixel);
	tcase_add_test(tc, test_edge_tiles);
	tcase_add_test(tc, test_small_frame);
	tcase_add_test(tc, test_merge_and_overflow);
	tcase_add_test(tc, test_stride_padding_ignored);
	tcase_add_test(tc, test_rgb565);
	tcase_add_test(tc, test_argb);
	tcase_add_test(tc, test_bad_frames);
	tcase_add_test(tc, test_invalidate);
	tcase_add_test(tc, test_random);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return shadow_test_run(tile_diff_suite());
}
