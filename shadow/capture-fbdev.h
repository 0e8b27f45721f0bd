#pragma once

/*
 * The "fbdev" capture backend: reads a framebuffer device (/dev/fb0), for machines whose GPU
 * has no KMS driver in the image and that only have a firmware framebuffer (efifb, vesafb).
 *
 * Option device=PATH (default /dev/fb0). The device is mapped read-only; every grab re-reads
 * the variable screen info, so mode changes and panning are followed. Formats: 32 bits per
 * pixel with red, green, blue at bits 16, 8, 0 (XRGB8888) and 16 bits with R5 G6 B5 at
 * bits 11, 5, 0 (RGB565), packed pixels, true or direct colour, any line length. When the
 * device goes away under us (a KMS driver replaced the firmware framebuffer) the next grab
 * opens the path again.
 */

#include <stddef.h>
#include <stdint.h>

#include "capture.h"

struct fb_fix_screeninfo;
struct fb_var_screeninfo;
struct shadow_spec;

struct capture_fbdev_options {
	const char *device; /* NULL: /dev/fb0 */
};

/* -ENODEV when the device does not exist; other negative errnos as opening or mapping fails,
 * -EOPNOTSUPP for a pixel layout we cannot read. A message in errbuf either way. */
int capture_fbdev_new(const struct capture_fbdev_options *opts, struct capture **ret, char *errbuf,
		      size_t errlen);

/* Factory hook for capture_create(). */
int capture_fbdev_create(struct shadow_spec *spec, struct capture **ret, char *errbuf,
			 size_t errlen);

/*
 * Pure helpers, public for the unit tests.
 */

struct capture_fbdev_layout {
	enum capture_format format;
	size_t data_offset; /* first visible pixel (after panning) from the start of the mapping */
	uint32_t width, height, stride;
};

/* The capture format of this screen info: -EOPNOTSUPP when not one we read. */
int capture_fbdev_format(const struct fb_var_screeninfo *var, const struct fb_fix_screeninfo *fix,
			 enum capture_format *ret);

/* Where the visible screen lies in a mapping of fix->smem_len bytes. -EOPNOTSUPP as above,
 * -EINVAL when the visible area does not fit in the memory or a size is 0. */
int capture_fbdev_layout(const struct fb_var_screeninfo *var, const struct fb_fix_screeninfo *fix,
			 struct capture_fbdev_layout *ret);
