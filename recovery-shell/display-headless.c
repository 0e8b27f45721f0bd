/* The headless display: frames go to memory (tests, benchmarks, screenshots). */

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "display-impl.h"

struct display_headless {
	struct shell_display base;
	uint8_t *pixels;
	size_t stride;
};

static struct display_headless *headless_from(const struct shell_display *d)
{
	assert(d->impl == &shell_display_headless_impl);
	return (struct display_headless *)d;
}

static int headless_create(const struct shell_display_options *opts, struct shell_display **ret)
{
	struct display_headless *h = calloc(1, sizeof(*h));
	int w = opts->width > 0 ? opts->width : 1024, hh = opts->height > 0 ? opts->height : 768;

	if (!h) {
		return -ENOMEM;
	}
	if (w > 8192 || hh > 8192) {
		free(h);
		return -EINVAL;
	}
	h->base.impl = &shell_display_headless_impl;
	h->base.width = w;
	h->base.height = hh;
	h->stride = (size_t)w * 4;
	h->pixels = calloc((size_t)hh, h->stride);
	if (!h->pixels) {
		free(h);
		return -ENOMEM;
	}
	*ret = &h->base;
	return 0;
}

static void headless_destroy(struct shell_display *d)
{
	struct display_headless *h = headless_from(d);

	free(h->pixels);
	free(h);
}

static int headless_present(struct shell_display *d, const uint8_t *image, size_t stride,
			    const struct shell_rect *damage, size_t n_damage)
{
	struct display_headless *h = headless_from(d);

	for (size_t i = 0; i < n_damage; i++) {
		struct shell_rect rc;

		if (!shell_display_clip(d, &damage[i], &rc)) {
			continue;
		}
		for (int y = rc.y; y < rc.y + rc.h; y++) {
			memcpy(h->pixels + (size_t)y * h->stride + (size_t)rc.x * 4,
			       image + (size_t)y * stride + (size_t)rc.x * 4, (size_t)rc.w * 4);
		}
	}
	return 0;
}

const uint8_t *shell_display_headless_pixels(const struct shell_display *d, size_t *ret_stride)
{
	if (d->impl != &shell_display_headless_impl) {
		return NULL;
	}
	*ret_stride = headless_from(d)->stride;
	return headless_from(d)->pixels;
}

const struct shell_display_impl shell_display_headless_impl = {
	.name = "headless",
	.create = headless_create,
	.destroy = headless_destroy,
	.present = headless_present,
};
