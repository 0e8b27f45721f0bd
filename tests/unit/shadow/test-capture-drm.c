/* The drm capture backend's pure decisions (format, modifier, layout, plane, monitor and cache
 * choice), the factory's option handling, and the optional capture members' defaults. The
 * backend against a real KMS device is tested in the VM tier (tests/console). */

#include <drm_fourcc.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <xf86drmMode.h>

#include "capture-drm.h"
#include "capture.h"
#include "shadow-test.h"

/* ---- formats and modifiers ---- */

START_TEST(test_formats)
{
	enum capture_format f;

	ck_assert_int_eq(capture_drm_format(DRM_FORMAT_XRGB8888, &f), 0);
	ck_assert_int_eq(f, CAPTURE_FORMAT_XRGB8888);
	ck_assert_int_eq(capture_drm_format(DRM_FORMAT_ARGB8888, &f), 0);
	ck_assert_int_eq(f, CAPTURE_FORMAT_ARGB8888);
	ck_assert_int_eq(capture_drm_format(DRM_FORMAT_RGB565, &f), 0);
	ck_assert_int_eq(f, CAPTURE_FORMAT_RGB565);

	/* byte orders the tile diff does not convert, and YUV */
	ck_assert_int_eq(capture_drm_format(DRM_FORMAT_XBGR8888, &f), -EOPNOTSUPP);
	ck_assert_int_eq(capture_drm_format(DRM_FORMAT_BGRX8888, &f), -EOPNOTSUPP);
	ck_assert_int_eq(capture_drm_format(DRM_FORMAT_RGB888, &f), -EOPNOTSUPP);
	ck_assert_int_eq(capture_drm_format(DRM_FORMAT_XRGB2101010, &f), -EOPNOTSUPP);
	ck_assert_int_eq(capture_drm_format(DRM_FORMAT_NV12, &f), -EOPNOTSUPP);
	ck_assert_int_eq(capture_drm_format(0, &f), -EOPNOTSUPP);
}
END_TEST

START_TEST(test_modifiers)
{
	/* no DRM_MODE_FB_MODIFIERS (virtio_gpu, legacy GETFB): linear whatever the field says */
	ck_assert(capture_drm_modifier_is_linear(0, 0));
	ck_assert(capture_drm_modifier_is_linear(0, I915_FORMAT_MOD_X_TILED));
	ck_assert(capture_drm_modifier_is_linear(DRM_MODE_FB_MODIFIERS, DRM_FORMAT_MOD_LINEAR));
	ck_assert(capture_drm_modifier_is_linear(DRM_MODE_FB_MODIFIERS, DRM_FORMAT_MOD_INVALID));
	ck_assert(!capture_drm_modifier_is_linear(DRM_MODE_FB_MODIFIERS, I915_FORMAT_MOD_X_TILED));
	ck_assert(!capture_drm_modifier_is_linear(DRM_MODE_FB_MODIFIERS,
						  I915_FORMAT_MOD_Y_TILED_CCS));
	ck_assert(!capture_drm_modifier_is_linear(DRM_MODE_FB_MODIFIERS,
						  AMD_FMT_MOD | AMD_FMT_MOD_SET(DCC, 1)));
	ck_assert(!capture_drm_modifier_is_linear(
		DRM_MODE_FB_MODIFIERS, DRM_FORMAT_MOD_NVIDIA_BLOCK_LINEAR_2D(0, 0, 0, 0, 0)));
}
END_TEST

/* ---- layout ---- */

static struct capture_drm_fb_desc fb_desc(uint32_t w, uint32_t h, uint32_t fourcc, uint32_t pitch)
{
	return (struct capture_drm_fb_desc){
		.width = w,
		.height = h,
		.fourcc = fourcc,
		.flags = DRM_MODE_FB_MODIFIERS,
		.modifier = DRM_FORMAT_MOD_LINEAR,
		.pitch = pitch,
	};
}

START_TEST(test_layout_console)
{
	/* bochs fbcon: 1024x768 XR24, tight pitch, whole FB shown */
	struct capture_drm_fb_desc fb = fb_desc(1024, 768, DRM_FORMAT_XRGB8888, 4096);
	struct capture_drm_view view = { 0, 0, 1024, 768 };
	struct capture_drm_layout l;

	ck_assert_int_eq(capture_drm_layout(&fb, &view, &l), 0);
	ck_assert_int_eq(l.format, CAPTURE_FORMAT_XRGB8888);
	ck_assert_uint_eq(l.width, 1024);
	ck_assert_uint_eq(l.height, 768);
	ck_assert_uint_eq(l.stride, 4096);
	ck_assert_uint_eq(l.data_offset, 0);
	ck_assert_uint_eq(l.map_size, 4096u * 768);
}
END_TEST

START_TEST(test_layout_padded_rgb565)
{
	/* cirrus fbcon is RGB565; a padded pitch is never read past width*2 on the last row */
	struct capture_drm_fb_desc fb = fb_desc(1000, 700, DRM_FORMAT_RGB565, 2048);
	struct capture_drm_view view = { 0, 0, 1000, 700 };
	struct capture_drm_layout l;

	ck_assert_int_eq(capture_drm_layout(&fb, &view, &l), 0);
	ck_assert_int_eq(l.format, CAPTURE_FORMAT_RGB565);
	ck_assert_uint_eq(l.stride, 2048);
	ck_assert_uint_eq(l.map_size, 699u * 2048 + 2000);
}
END_TEST

START_TEST(test_layout_panned_and_offset)
{
	/* an over-allocated fbdev buffer panned down by one screen, plane 0 at a byte offset */
	struct capture_drm_fb_desc fb = fb_desc(1024, 1536, DRM_FORMAT_ARGB8888, 4096);
	struct capture_drm_view view = { 16, 768, 1008, 768 };
	struct capture_drm_layout l;

	fb.offset = 8192;
	ck_assert_int_eq(capture_drm_layout(&fb, &view, &l), 0);
	ck_assert_int_eq(l.format, CAPTURE_FORMAT_ARGB8888);
	ck_assert_uint_eq(l.data_offset, 8192u + 768u * 4096 + 16u * 4);
	ck_assert_uint_eq(l.width, 1008);
	ck_assert_uint_eq(l.height, 768);
	ck_assert_uint_eq(l.map_size, 8192u + 1535u * 4096 + 4096);
}
END_TEST

START_TEST(test_layout_clips_view)
{
	/* a mode larger than the FB, and a view running off its right and bottom edges */
	struct capture_drm_fb_desc fb = fb_desc(800, 600, DRM_FORMAT_XRGB8888, 3200);
	struct capture_drm_view big = { 0, 0, 1024, 768 };
	struct capture_drm_view off = { 700, 500, 200, 200 };
	struct capture_drm_view huge = { UINT32_MAX - 1, 0, 10, 10 };
	struct capture_drm_layout l;

	ck_assert_int_eq(capture_drm_layout(&fb, &big, &l), 0);
	ck_assert_uint_eq(l.width, 800);
	ck_assert_uint_eq(l.height, 600);
	ck_assert_int_eq(capture_drm_layout(&fb, &off, &l), 0);
	ck_assert_uint_eq(l.width, 100);
	ck_assert_uint_eq(l.height, 100);
	ck_assert_int_eq(capture_drm_layout(&fb, &huge, &l), -EINVAL);
}
END_TEST

START_TEST(test_layout_rejects)
{
	struct capture_drm_view view = { 0, 0, 1024, 768 };
	struct capture_drm_view outside = { 1024, 0, 10, 10 };
	struct capture_drm_view empty = { 0, 0, 0, 768 };
	struct capture_drm_fb_desc fb;
	struct capture_drm_layout l;

	fb = fb_desc(1024, 768, DRM_FORMAT_XRGB8888, 4096);
	fb.modifier = I915_FORMAT_MOD_Y_TILED;
	ck_assert_int_eq(capture_drm_layout(&fb, &view, &l), -EOPNOTSUPP);
	fb = fb_desc(1024, 768, DRM_FORMAT_XBGR8888, 4096);
	ck_assert_int_eq(capture_drm_layout(&fb, &view, &l), -EOPNOTSUPP);
	fb = fb_desc(1024, 768, DRM_FORMAT_XRGB8888, 4092);
	ck_assert_int_eq(capture_drm_layout(&fb, &view, &l), -EINVAL);
	fb = fb_desc(0, 768, DRM_FORMAT_XRGB8888, 4096);
	ck_assert_int_eq(capture_drm_layout(&fb, &view, &l), -EINVAL);
	fb = fb_desc(1024, 768, DRM_FORMAT_XRGB8888, 4096);
	ck_assert_int_eq(capture_drm_layout(&fb, &outside, &l), -EINVAL);
	ck_assert_int_eq(capture_drm_layout(&fb, &empty, &l), -EINVAL);
}
END_TEST

/* ---- plane, monitor and cache choice ---- */

START_TEST(test_pick_planes_single_head)
{
	/* virtio: one CRTC (id 35), primary 31 showing fb 40, cursor 33 hidden */
	const struct capture_drm_plane_desc planes[] = {
		{ .id = 31,
		  .type = DRM_PLANE_TYPE_PRIMARY,
		  .crtc_id = 35,
		  .fb_id = 40,
		  .possible_crtcs = 1 },
		{ .id = 33, .type = DRM_PLANE_TYPE_CURSOR, .possible_crtcs = 1 },
	};
	size_t primary, cursor;

	ck_assert_int_eq(capture_drm_pick_planes(planes, 2, 35, 0, &primary, &cursor), 0);
	ck_assert_uint_eq(primary, 0);
	ck_assert_uint_eq(cursor, 1);
}
END_TEST

START_TEST(test_pick_planes_multi_head)
{
	/* qxl-like: 2 CRTCs (ids 50, 51), planes listed cursor first, overlay in between */
	const struct capture_drm_plane_desc planes[] = {
		{ .id = 1,
		  .type = DRM_PLANE_TYPE_CURSOR,
		  .crtc_id = 50,
		  .fb_id = 9,
		  .possible_crtcs = 1 },
		{ .id = 2,
		  .type = DRM_PLANE_TYPE_PRIMARY,
		  .crtc_id = 50,
		  .fb_id = 7,
		  .possible_crtcs = 1 },
		{ .id = 3,
		  .type = DRM_PLANE_TYPE_OVERLAY,
		  .crtc_id = 51,
		  .fb_id = 8,
		  .possible_crtcs = 3 },
		{ .id = 4, .type = DRM_PLANE_TYPE_CURSOR, .possible_crtcs = 2 },
		{ .id = 5, .type = DRM_PLANE_TYPE_PRIMARY, .possible_crtcs = 2 },
		{ .id = 6,
		  .type = DRM_PLANE_TYPE_PRIMARY,
		  .crtc_id = 51,
		  .fb_id = 11,
		  .possible_crtcs = 2 },
	};
	size_t primary, cursor;

	ck_assert_int_eq(capture_drm_pick_planes(planes, 6, 50, 0, &primary, &cursor), 0);
	ck_assert_uint_eq(planes[primary].id, 2);
	ck_assert_uint_eq(planes[cursor].id, 1);
	/* bound beats possible, the overlay never counts */
	ck_assert_int_eq(capture_drm_pick_planes(planes, 6, 51, 1, &primary, &cursor), 0);
	ck_assert_uint_eq(planes[primary].id, 6);
	ck_assert_uint_eq(planes[cursor].id, 4);
}
END_TEST

START_TEST(test_pick_planes_none)
{
	const struct capture_drm_plane_desc planes[] = {
		{ .id = 1, .type = DRM_PLANE_TYPE_PRIMARY, .crtc_id = 50, .possible_crtcs = 1 },
		{ .id = 2, .type = DRM_PLANE_TYPE_OVERLAY, .possible_crtcs = 2 },
	};
	size_t primary, cursor;

	/* CRTC index 1: the only primary is bound elsewhere and cannot drive it */
	ck_assert_int_eq(capture_drm_pick_planes(planes, 2, 51, 1, &primary, &cursor), -ENOENT);
	ck_assert_int_eq(capture_drm_pick_planes(planes, 0, 50, 0, &primary, &cursor), -ENOENT);
	/* a primary without a cursor plane (bochs, cirrus) */
	ck_assert_int_eq(capture_drm_pick_planes(planes, 2, 50, 0, &primary, &cursor), 0);
	ck_assert_uint_eq(primary, 0);
	ck_assert_uint_eq(cursor, SIZE_MAX);
}
END_TEST

START_TEST(test_pick_connector)
{
	const struct capture_drm_connector_desc conns[] = {
		{ .connected = false },
		{ .connected = true },
		{ .connected = true },
	};
	const struct capture_drm_connector_desc dark[] = { { false }, { false } };
	size_t i = 99;

	ck_assert_int_eq(capture_drm_pick_connector(conns, 3, -1, &i), 0);
	ck_assert_uint_eq(i, 1);
	ck_assert_int_eq(capture_drm_pick_connector(conns, 3, 0, &i), 0);
	ck_assert_uint_eq(i, 0);
	ck_assert_int_eq(capture_drm_pick_connector(conns, 3, 2, &i), 0);
	ck_assert_uint_eq(i, 2);
	ck_assert_int_eq(capture_drm_pick_connector(conns, 3, 3, &i), -ENODEV);
	ck_assert_int_eq(capture_drm_pick_connector(dark, 2, -1, &i), 0);
	ck_assert_uint_eq(i, 0);
	ck_assert_int_eq(capture_drm_pick_connector(conns, 0, -1, &i), -ENODEV);
}
END_TEST

START_TEST(test_cache_slot)
{
	uint64_t keys[4] = { 0 };
	uint64_t used[4] = { 0 };
	size_t slot;

	/* empty cache: first slot, never a hit for key 0 */
	ck_assert(!capture_drm_cache_slot(keys, used, 4, 0, &slot));
	ck_assert(!capture_drm_cache_slot(keys, used, 4, 0x1000, &slot));
	ck_assert_uint_eq(slot, 0);

	/* a page-flipping program: two buffers alternate and both stay cached */
	keys[0] = 0x1000, used[0] = 1;
	keys[1] = 0x2000, used[1] = 2;
	ck_assert(capture_drm_cache_slot(keys, used, 4, 0x1000, &slot));
	ck_assert_uint_eq(slot, 0);
	ck_assert(capture_drm_cache_slot(keys, used, 4, 0x2000, &slot));
	ck_assert_uint_eq(slot, 1);
	ck_assert(!capture_drm_cache_slot(keys, used, 4, 0x3000, &slot));
	ck_assert_uint_eq(slot, 2);

	/* full: the least recently used goes */
	keys[2] = 0x3000, used[2] = 7;
	keys[3] = 0x4000, used[3] = 5;
	used[0] = 6;
	ck_assert(!capture_drm_cache_slot(keys, used, 4, 0x5000, &slot));
	ck_assert_uint_eq(slot, 1);
}
END_TEST

/* ---- the factory ---- */

static int create(const char *spec, char *err, size_t len)
{
	struct capture *c = NULL;
	int r;

	err[0] = '\0';
	r = capture_create(spec, &c, err, len);
	if (r == 0) {
		capture_destroy(c);
	} else {
		ck_assert_msg(c == NULL, "%s: failed but returned a capture", spec);
		ck_assert_msg(err[0] != '\0', "%s: failed without a message", spec);
	}
	return r;
}

START_TEST(test_backend_names)
{
	const char *const *names = capture_backend_names();
	int found = 0;

	for (size_t i = 0; names[i]; i++) {
		found += strcmp(names[i], "auto") == 0 || strcmp(names[i], "drm") == 0 ||
			 strcmp(names[i], "fbdev") == 0;
	}
	ck_assert_int_eq(found, 3);
}
END_TEST

START_TEST(test_bad_options)
{
	static const char *const specs[] = {
		"drm:monitor=x",   "drm:monitor=-1", "drm:monitor=64",  "drm:card=",
		"drm:colour=blue", "auto:monitor=",  "auto:size=10x10", "fbdev:device=",
		"fbdev:monitor=1", "drm:device=/x",  "drm:vt=",         "auto:vt=",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		ck_assert_msg(create(specs[i], err, sizeof(err)) == -EINVAL, "%s", specs[i]);
	}
}
END_TEST

START_TEST(test_missing_card)
{
	char err[256];

	ck_assert_int_eq(create("drm:card=/nonexistent/card0", err, sizeof(err)), -ENODEV);
	ck_assert_msg(strstr(err, "/nonexistent/card0"), "%s", err);
	/* an explicit card never falls back to fbdev */
	ck_assert_int_eq(
		create("auto:card=/nonexistent/card0,device=/nonexistent/fb0", err, sizeof(err)),
		-ENODEV);
	ck_assert_msg(strstr(err, "/nonexistent/card0"), "%s", err);
}
END_TEST

START_TEST(test_not_a_card)
{
	char err[256];
	int r;

	/* /dev/null opens but answers no DRM ioctl */
	r = create("drm:card=/dev/null", err, sizeof(err));
	ck_assert_int_lt(r, 0);
	ck_assert_msg(strstr(err, "/dev/null"), "%s", err);
}
END_TEST

START_TEST(test_auto_nothing)
{
	struct stat st;
	char err[256];

	if (stat("/dev/dri", &st) == 0) {
		return; /* this machine has DRM devices; the VM tier covers auto's choice */
	}
	ck_assert_int_eq(create("auto:device=/nonexistent/fb0", err, sizeof(err)), -ENODEV);
	ck_assert_msg(strstr(err, "/dev/dri") && strstr(err, "/nonexistent/fb0"), "%s", err);
}
END_TEST

START_TEST(test_optional_members_default)
{
	struct capture_monitor mons[2];
	struct capture_cursor cursor;
	struct capture *c = NULL;
	char err[256];
	size_t n = 0;

	ck_assert_int_eq(capture_create("test:size=640x480", &c, err, sizeof(err)), 0);
	ck_assert_int_eq(capture_get_cursor(c, &cursor), -EOPNOTSUPP);
	ck_assert_int_eq(capture_list_monitors(c, mons, 2, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(mons[0].name, "screen");
	ck_assert(mons[0].shared && mons[0].active && mons[0].connected);
	ck_assert_uint_eq(mons[0].width, 640);
	ck_assert_uint_eq(mons[0].height, 480);
	ck_assert_int_eq(capture_list_monitors(c, mons, 0, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(capture_last_error(c), "");
	capture_release(c);
	capture_release(NULL);
	capture_destroy(c);
}
END_TEST

static Suite *capture_drm_suite(void)
{
	Suite *s = suite_create("capture-drm");
	TCase *pure = tcase_create("pure");
	TCase *factory = tcase_create("factory");

	tcase_add_test(pure, test_formats);
	tcase_add_test(pure, test_modifiers);
	tcase_add_test(pure, test_layout_console);
	tcase_add_test(pure, test_layout_padded_rgb565);
	tcase_add_test(pure, test_layout_panned_and_offset);
	tcase_add_test(pure, test_layout_clips_view);
	tcase_add_test(pure, test_layout_rejects);
	tcase_add_test(pure, test_pick_planes_single_head);
	tcase_add_test(pure, test_pick_planes_multi_head);
	tcase_add_test(pure, test_pick_planes_none);
	tcase_add_test(pure, test_pick_connector);
	tcase_add_test(pure, test_cache_slot);
	suite_add_tcase(s, pure);

	tcase_add_test(factory, test_backend_names);
	tcase_add_test(factory, test_bad_options);
	tcase_add_test(factory, test_missing_card);
	tcase_add_test(factory, test_not_a_card);
	tcase_add_test(factory, test_auto_nothing);
	tcase_add_test(factory, test_optional_members_default);
	suite_add_tcase(s, factory);
	return s;
}

int main(void)
{
	return shadow_test_run(capture_drm_suite());
}
