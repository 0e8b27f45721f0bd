/* The firmware framebuffer (/dev/fbN): for machines without a DRM driver. Single-buffered. */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "display-impl.h"

struct display_fbdev {
	struct shell_display base;
	int fd;
	uint8_t *map;
	size_t map_len;
	size_t stride;
	unsigned bpp;
	struct fb_var_screeninfo var;
};

static struct display_fbdev *fbdev_from(const struct shell_display *d)
{
	assert(d->impl == &shell_display_fbdev_impl);
	return (struct display_fbdev *)d;
}

static int fbdev_create(const struct shell_display_options *opts, struct shell_display **ret)
{
	const char *path = opts->device && opts->backend ? opts->device : "/dev/fb0";
	struct fb_fix_screeninfo fix;
	struct display_fbdev *f;
	int r;

	f = calloc(1, sizeof(*f));
	if (!f) {
		return -ENOMEM;
	}
	f->base.impl = &shell_display_fbdev_impl;
	f->fd = open(path, O_RDWR | O_CLOEXEC);
	if (f->fd < 0) {
		r = -errno;
		goto err_free;
	}
	if (ioctl(f->fd, FBIOGET_VSCREENINFO, &f->var) < 0 ||
	    ioctl(f->fd, FBIOGET_FSCREENINFO, &fix) < 0) {
		r = -errno;
		goto err_close;
	}
	f->bpp = f->var.bits_per_pixel;
	if ((f->bpp != 32 && f->bpp != 16) || fix.type != FB_TYPE_PACKED_PIXELS) {
		r = -ENOTSUP;
		goto err_close;
	}
	f->base.width = (int)f->var.xres;
	f->base.height = (int)f->var.yres;
	f->stride = fix.line_length;
	f->map_len = fix.smem_len;
	f->map = mmap(NULL, f->map_len, PROT_WRITE | PROT_READ, MAP_SHARED, f->fd, 0);
	if (f->map == MAP_FAILED) {
		r = -errno;
		goto err_close;
	}
	/* Draw on the visible page. */
	f->map += (size_t)f->var.yoffset * f->stride + (size_t)f->var.xoffset * (f->bpp / 8);
	*ret = &f->base;
	return 0;

err_close:
	close(f->fd);
err_free:
	free(f);
	return r;
}

static void fbdev_destroy(struct shell_display *d)
{
	struct display_fbdev *f = fbdev_from(d);
	uint8_t *base =
		f->map - (size_t)f->var.yoffset * f->stride - (size_t)f->var.xoffset * (f->bpp / 8);

	munmap(base, f->map_len);
	close(f->fd);
	free(f);
}

static inline uint32_t to_native(const struct fb_var_screeninfo *v, uint32_t xrgb)
{
	uint32_t r = (xrgb >> 16) & 0xff, g = (xrgb >> 8) & 0xff, b = xrgb & 0xff;

	r >>= 8 - (v->red.length > 8 ? 8 : v->red.length);
	g >>= 8 - (v->green.length > 8 ? 8 : v->green.length);
	b >>= 8 - (v->blue.length > 8 ? 8 : v->blue.length);
	return (r << v->red.offset) | (g << v->green.offset) | (b << v->blue.offset);
}

static int fbdev_present(struct shell_display *d, const uint8_t *image, size_t stride,
			 const struct shell_rect *damage, size_t n_damage)
{
	struct display_fbdev *f = fbdev_from(d);
	bool plain = f->bpp == 32 && f->var.red.offset == 16 && f->var.green.offset == 8 &&
		     f->var.blue.offset == 0;

	for (size_t i = 0; i < n_damage; i++) {
		struct shell_rect rc;

		if (!shell_display_clip(d, &damage[i], &rc)) {
			continue;
		}
		for (int y = rc.y; y < rc.y + rc.h; y++) {
			const uint32_t *src = (const uint32_t *)(image + (size_t)y * stride) + rc.x;
			uint8_t *dst = f->map + (size_t)y * f->stride;

			if (plain) {
				memcpy(dst + (size_t)rc.x * 4, src, (size_t)rc.w * 4);
			} else if (f->bpp == 32) {
				uint32_t *d32 = (uint32_t *)dst + rc.x;

				for (int x = 0; x < rc.w; x++) {
					d32[x] = to_native(&f->var, src[x]);
				}
			} else {
				uint16_t *d16 = (uint16_t *)dst + rc.x;

				for (int x = 0; x < rc.w; x++) {
					d16[x] = (uint16_t)to_native(&f->var, src[x]);
				}
			}
		}
	}
	return 0;
}

const struct shell_display_impl shell_display_fbdev_impl = {
	.name = "fbdev",
	.create = fbdev_create,
	.destroy = fbdev_destroy,
	.present = fbdev_present,
};
