#include "capture-fbdev.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "spec.h"

#define DEFAULT_DEVICE "/dev/fb0"

struct capture_fbdev {
	struct capture base;
	char *device;
	int fd; /* -1 while closed */
	uint8_t *map;
	size_t map_len;
	unsigned long smem_start; /* what map shows, to notice a new framebuffer memory */
	_Atomic uint64_t size;    /* width << 32 | height of the latest picture */
	char error[192];
};

static const struct capture_impl capture_fbdev_impl;

static bool channel_is(const struct fb_bitfield *b, uint32_t offset, uint32_t length)
{
	return b->offset == offset && b->length == length && b->msb_right == 0;
}

int capture_fbdev_format(const struct fb_var_screeninfo *var, const struct fb_fix_screeninfo *fix,
			 enum capture_format *ret)
{
	if (fix->type != FB_TYPE_PACKED_PIXELS ||
	    (fix->visual != FB_VISUAL_TRUECOLOR && fix->visual != FB_VISUAL_DIRECTCOLOR) ||
	    var->nonstd != 0 || var->grayscale > 1) {
		return -EOPNOTSUPP;
	}
	if (var->bits_per_pixel == 32 && channel_is(&var->red, 16, 8) &&
	    channel_is(&var->green, 8, 8) && channel_is(&var->blue, 0, 8)) {
		/* Whatever the transp field says, a scanned-out framebuffer has no alpha. */
		*ret = CAPTURE_FORMAT_XRGB8888;
		return 0;
	}
	if (var->bits_per_pixel == 16 && channel_is(&var->red, 11, 5) &&
	    channel_is(&var->green, 5, 6) && channel_is(&var->blue, 0, 5)) {
		*ret = CAPTURE_FORMAT_RGB565;
		return 0;
	}
	return -EOPNOTSUPP;
}

int capture_fbdev_layout(const struct fb_var_screeninfo *var, const struct fb_fix_screeninfo *fix,
			 struct capture_fbdev_layout *ret)
{
	enum capture_format format;
	uint64_t bpp, end;
	int r;

	r = capture_fbdev_format(var, fix, &format);
	if (r < 0) {
		return r;
	}
	bpp = capture_format_bpp(format);
	if (var->xres == 0 || var->yres == 0 || fix->line_length == 0) {
		return -EINVAL;
	}
	if (((uint64_t)var->xoffset + var->xres) * bpp > fix->line_length) {
		return -EINVAL;
	}
	/* Last byte of the last visible row, panning included. */
	end = ((uint64_t)var->yoffset + var->yres - 1) * fix->line_length +
	      ((uint64_t)var->xoffset + var->xres) * bpp;
	if (end > fix->smem_len) {
		return -EINVAL;
	}
	*ret = (struct capture_fbdev_layout){
		.format = format,
		.data_offset = (size_t)((uint64_t)var->yoffset * fix->line_length +
					(uint64_t)var->xoffset * bpp),
		.width = var->xres,
		.height = var->yres,
		.stride = fix->line_length,
	};
	return 0;
}

static struct capture_fbdev *capture_fbdev_from(struct capture *c)
{
	assert(c->impl == &capture_fbdev_impl);
	return (struct capture_fbdev *)c;
}

static void close_device(struct capture_fbdev *cf)
{
	if (cf->map) {
		munmap(cf->map, cf->map_len);
		cf->map = NULL;
		cf->map_len = 0;
	}
	if (cf->fd >= 0) {
		close(cf->fd);
		cf->fd = -1;
	}
}

static int open_device(struct capture_fbdev *cf)
{
	cf->fd = open(cf->device, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (cf->fd < 0) {
		int r = -errno;

		snprintf(cf->error, sizeof(cf->error), "cannot open %s: %s", cf->device,
			 strerror(-r));
		return r == -ENOENT ? -ENODEV : r;
	}
	return 0;
}

/* Read the screen info and map the memory if it is new. */
static int read_layout(struct capture_fbdev *cf, struct capture_fbdev_layout *ret)
{
	struct fb_fix_screeninfo fix;
	struct fb_var_screeninfo var;
	void *p;
	int r;

	if (ioctl(cf->fd, FBIOGET_FSCREENINFO, &fix) < 0 ||
	    ioctl(cf->fd, FBIOGET_VSCREENINFO, &var) < 0) {
		r = -errno;
		snprintf(cf->error, sizeof(cf->error), "%s: cannot read the screen info: %s",
			 cf->device, strerror(-r));
		return r;
	}
	r = capture_fbdev_layout(&var, &fix, ret);
	if (r == -EOPNOTSUPP) {
		snprintf(
			cf->error, sizeof(cf->error),
			"%s: %u bits per pixel with red %u/%u, green %u/%u, blue %u/%u (visual %u) "
			"is not XRGB8888 or RGB565",
			cf->device, var.bits_per_pixel, var.red.offset, var.red.length,
			var.green.offset, var.green.length, var.blue.offset, var.blue.length,
			fix.visual);
		return r;
	}
	if (r < 0) {
		snprintf(cf->error, sizeof(cf->error),
			 "%s: the screen %ux%u+%u+%u does not fit in %u bytes of %u per line",
			 cf->device, var.xres, var.yres, var.xoffset, var.yoffset, fix.smem_len,
			 fix.line_length);
		return r;
	}
	if (cf->map && cf->smem_start == fix.smem_start && cf->map_len == fix.smem_len) {
		return 0;
	}
	if (cf->map) {
		munmap(cf->map, cf->map_len);
		cf->map = NULL;
	}
	p = mmap(NULL, fix.smem_len, PROT_READ, MAP_SHARED, cf->fd, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		snprintf(cf->error, sizeof(cf->error), "%s: cannot map %u bytes: %s", cf->device,
			 fix.smem_len, strerror(-r));
		return r;
	}
	cf->map = p;
	cf->map_len = fix.smem_len;
	cf->smem_start = fix.smem_start;
	return 0;
}

static int capture_fbdev_grab(struct capture *c, struct capture_frame *ret_frame)
{
	struct capture_fbdev *cf = capture_fbdev_from(c);
	struct capture_fbdev_layout layout;
	int r;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (cf->fd < 0) {
			r = open_device(cf);
			if (r < 0) {
				return r;
			}
		}
		r = read_layout(cf, &layout);
		/* The framebuffer was unregistered (a KMS driver took over): open the path
		 * again, it may name the new one. */
		if (r != -ENODEV) {
			break;
		}
		close_device(cf);
	}
	if (r < 0) {
		return r;
	}
	cf->error[0] = '\0';
	atomic_store(&cf->size, (uint64_t)layout.width << 32 | layout.height);
	*ret_frame = (struct capture_frame){
		.width = layout.width,
		.height = layout.height,
		.stride = layout.stride,
		.format = layout.format,
		.data = cf->map + layout.data_offset,
	};
	return 0;
}

static int capture_fbdev_get_size(struct capture *c, uint32_t *ret_w, uint32_t *ret_h)
{
	uint64_t size = atomic_load(&capture_fbdev_from(c)->size);

	*ret_w = (uint32_t)(size >> 32);
	*ret_h = (uint32_t)size;
	return 0;
}

static void capture_fbdev_release(struct capture *c)
{
	close_device(capture_fbdev_from(c));
}

static const char *capture_fbdev_last_error(struct capture *c)
{
	return capture_fbdev_from(c)->error;
}

static void capture_fbdev_destroy(struct capture *c)
{
	struct capture_fbdev *cf = capture_fbdev_from(c);

	close_device(cf);
	free(cf->device);
	free(cf);
}

static const struct capture_impl capture_fbdev_impl = {
	.name = "fbdev",
	.get_size = capture_fbdev_get_size,
	.grab = capture_fbdev_grab,
	.destroy = capture_fbdev_destroy,
	.release = capture_fbdev_release,
	.last_error = capture_fbdev_last_error,
};

int capture_fbdev_new(const struct capture_fbdev_options *opts, struct capture **ret, char *errbuf,
		      size_t errlen)
{
	struct capture_fbdev *cf;
	struct capture_frame frame;
	int r;

	cf = calloc(1, sizeof(*cf));
	if (!cf) {
		return shadow_error(errbuf, errlen, -ENOMEM, "out of memory");
	}
	cf->base.impl = &capture_fbdev_impl;
	cf->fd = -1;
	cf->device = strdup(opts->device ? opts->device : DEFAULT_DEVICE);
	if (!cf->device) {
		free(cf);
		return shadow_error(errbuf, errlen, -ENOMEM, "out of memory");
	}
	r = capture_fbdev_grab(&cf->base, &frame);
	if (r < 0) {
		r = shadow_error(errbuf, errlen, r, "capture 'fbdev': %s", cf->error);
		capture_fbdev_destroy(&cf->base);
		return r;
	}
	/* Hold nothing until somebody watches. */
	close_device(cf);
	*ret = &cf->base;
	return 0;
}

int capture_fbdev_create(struct shadow_spec *spec, struct capture **ret, char *errbuf,
			 size_t errlen)
{
	struct capture_fbdev_options opts = { .device = shadow_spec_get(spec, "device") };
	int r;

	if (opts.device && !*opts.device) {
		return shadow_error(errbuf, errlen, -EINVAL,
				    "capture 'fbdev': device= needs a path");
	}
	r = shadow_spec_check_unused(spec, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	return capture_fbdev_new(&opts, ret, errbuf, errlen);
}
