/* The fbdev capture backend: screen info → format and layout decisions, and the factory. */

#include <linux/fb.h>
#include <stdint.h>

#include "capture-fbdev.h"
#include "capture.h"
#include "shadow-test.h"

static struct fb_bitfield bits(uint32_t offset, uint32_t length)
{
	return (struct fb_bitfield){ .offset = offset, .length = length };
}

/* efifb under OVMF: 32 bpp, x8r8g8b8 with the reserved byte reported as transp */
static void efifb(struct fb_var_screeninfo *var, struct fb_fix_screeninfo *fix, uint32_t w,
		  uint32_t h)
{
	*var = (struct fb_var_screeninfo){
		.xres = w,
		.yres = h,
		.xres_virtual = w,
		.yres_virtual = h,
		.bits_per_pixel = 32,
		.red = bits(16, 8),
		.green = bits(8, 8),
		.blue = bits(0, 8),
		.transp = bits(24, 8),
	};
	*fix = (struct fb_fix_screeninfo){
		.smem_len = w * h * 4,
		.type = FB_TYPE_PACKED_PIXELS,
		.visual = FB_VISUAL_TRUECOLOR,
		.line_length = w * 4,
	};
}

START_TEST(test_format_32)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	enum capture_format f;

	efifb(&var, &fix, 1280, 800);
	ck_assert_int_eq(capture_fbdev_format(&var, &fix, &f), 0);
	ck_assert_int_eq(f, CAPTURE_FORMAT_XRGB8888);
	/* vesafb leaves transp empty; direct colour is read the same way */
	var.transp = bits(0, 0);
	fix.visual = FB_VISUAL_DIRECTCOLOR;
	ck_assert_int_eq(capture_fbdev_format(&var, &fix, &f), 0);
	ck_assert_int_eq(f, CAPTURE_FORMAT_XRGB8888);
}
END_TEST

START_TEST(test_format_16)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	enum capture_format f;

	efifb(&var, &fix, 1024, 768);
	var.bits_per_pixel = 16;
	var.red = bits(11, 5);
	var.green = bits(5, 6);
	var.blue = bits(0, 5);
	var.transp = bits(0, 0);
	ck_assert_int_eq(capture_fbdev_format(&var, &fix, &f), 0);
	ck_assert_int_eq(f, CAPTURE_FORMAT_RGB565);
	/* 15-bit x1r5g5b5 is not RGB565 */
	var.red = bits(10, 5);
	var.green = bits(5, 5);
	ck_assert_int_eq(capture_fbdev_format(&var, &fix, &f), -EOPNOTSUPP);
}
END_TEST

START_TEST(test_format_rejects)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	enum capture_format f;

	efifb(&var, &fix, 800, 600);
	var.red = bits(0, 8); /* BGR order */
	var.blue = bits(16, 8);
	ck_assert_int_eq(capture_fbdev_format(&var, &fix, &f), -EOPNOTSUPP);

	efifb(&var, &fix, 800, 600);
	var.bits_per_pixel = 24;
	ck_assert_int_eq(capture_fbdev_format(&var, &fix, &f), -EOPNOTSUPP);

	efifb(&var, &fix, 800, 600);
	var.bits_per_pixel = 8;
	fix.visual = FB_VISUAL_PSEUDOCOLOR;
	ck_assert_int_eq(capture_fbdev_format(&var, &fix, &f), -EOPNOTSUPP);

	efifb(&var, &fix, 800, 600);
	fix.type = FB_TYPE_PLANES;
	ck_assert_int_eq(capture_fbdev_format(&var, &fix, &f), -EOPNOTSUPP);

	efifb(&var, &fix, 800, 600);
	var.green.msb_right = 1;
	ck_assert_int_eq(capture_fbdev_format(&var, &fix, &f), -EOPNOTSUPP);

	efifb(&var, &fix, 800, 600);
	var.nonstd = 1;
	ck_assert_int_eq(capture_fbdev_format(&var, &fix, &f), -EOPNOTSUPP);

	efifb(&var, &fix, 800, 600);
	var.grayscale = 1;
	ck_assert_int_eq(capture_fbdev_format(&var, &fix, &f), 0);
	var.grayscale = 0x36314752; /* a fourcc: the FOURCC interface, not RGB fields */
	ck_assert_int_eq(capture_fbdev_format(&var, &fix, &f), -EOPNOTSUPP);
}
END_TEST

START_TEST(test_layout_plain)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	struct capture_fbdev_layout l;

	efifb(&var, &fix, 1280, 800);
	ck_assert_int_eq(capture_fbdev_layout(&var, &fix, &l), 0);
	ck_assert_int_eq(l.format, CAPTURE_FORMAT_XRGB8888);
	ck_assert_uint_eq(l.width, 1280);
	ck_assert_uint_eq(l.height, 800);
	ck_assert_uint_eq(l.stride, 5120);
	ck_assert_uint_eq(l.data_offset, 0);
}
END_TEST

START_TEST(test_layout_padded_and_panned)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	struct capture_fbdev_layout l;

	/* a DRM fbdev emulation: double height for panning, lines padded to 8192 bytes */
	efifb(&var, &fix, 1920, 1080);
	var.yres_virtual = 2160;
	var.yoffset = 1080;
	var.xoffset = 8;
	fix.line_length = 8192;
	fix.smem_len = 8192 * 2160;
	ck_assert_int_eq(capture_fbdev_layout(&var, &fix, &l), 0);
	ck_assert_uint_eq(l.stride, 8192);
	ck_assert_uint_eq(l.data_offset, 1080u * 8192 + 8 * 4);
	ck_assert_uint_eq(l.width, 1920);
	ck_assert_uint_eq(l.height, 1080);
}
END_TEST

START_TEST(test_layout_rejects)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	struct capture_fbdev_layout l;

	efifb(&var, &fix, 1024, 768);
	fix.smem_len -= 1; /* last pixel outside the memory */
	ck_assert_int_eq(capture_fbdev_layout(&var, &fix, &l), -EINVAL);

	efifb(&var, &fix, 1024, 768);
	var.yoffset = 1; /* panned past the end */
	ck_assert_int_eq(capture_fbdev_layout(&var, &fix, &l), -EINVAL);

	efifb(&var, &fix, 1024, 768);
	var.xoffset = 1; /* wider than a line */
	ck_assert_int_eq(capture_fbdev_layout(&var, &fix, &l), -EINVAL);

	efifb(&var, &fix, 1024, 768);
	fix.line_length = 0;
	ck_assert_int_eq(capture_fbdev_layout(&var, &fix, &l), -EINVAL);

	efifb(&var, &fix, 1024, 768);
	var.xres = 0;
	ck_assert_int_eq(capture_fbdev_layout(&var, &fix, &l), -EINVAL);

	efifb(&var, &fix, 1024, 768);
	var.bits_per_pixel = 24;
	ck_assert_int_eq(capture_fbdev_layout(&var, &fix, &l), -EOPNOTSUPP);
}
END_TEST

START_TEST(test_factory)
{
	struct capture *c = NULL;
	char err[256] = "";
	char *path;
	char spec[300];

	ck_assert_int_eq(capture_create("fbdev:device=/nonexistent/fb0", &c, err, sizeof(err)),
			 -ENODEV);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "/nonexistent/fb0"), "%s", err);

	/* a file that is not a framebuffer */
	path = shadow_test_tmpfile();
	snprintf(spec, sizeof(spec), "fbdev:device=%s", path);
	ck_assert_int_eq(capture_create(spec, &c, err, sizeof(err)), -ENOTTY);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "screen info"), "%s", err);
	unlink(path);
	free(path);
}
END_TEST

static Suite *capture_fbdev_suite(void)
{
	Suite *s = suite_create("capture-fbdev");
	TCase *tc = tcase_create("fbdev");

	tcase_add_test(tc, test_format_32);
	tcase_add_test(tc, test_format_16);
	tcase_add_test(tc, test_format_rejects);
	tcase_add_test(tc, test_layout_plain);
	tcase_add_test(tc, test_layout_padded_and_panned);
	tcase_add_test(tc, test_layout_rejects);
	tcase_add_test(tc, test_factory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return shadow_test_run(capture_fbdev_suite());
}
