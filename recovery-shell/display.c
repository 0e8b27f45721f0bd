#include "display-impl.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct shell_display_impl *const impls[] = {
	&shell_display_kms_impl,
	&shell_display_fbdev_impl,
	&shell_display_headless_impl,
};

int shell_display_create(const struct shell_display_options *opts, struct shell_display **ret)
{
	const char *name = opts->backend;
	int r;

	if (!name || !*name) {
		/* Automatic: KMS, else the firmware framebuffer. */
		r = shell_display_kms_impl.create(opts, ret);
		if (r >= 0) {
			return r;
		}
		return shell_display_fbdev_impl.create(opts, ret);
	}
	for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
		if (strcmp(impls[i]->name, name) == 0) {
			return impls[i]->create(opts, ret);
		}
	}
	return -EINVAL;
}

void shell_display_destroy(struct shell_display *d)
{
	if (!d) {
		return;
	}
	assert(d->impl);
	d->impl->destroy(d);
}

const char *shell_display_name(const struct shell_display *d)
{
	return d->impl->name;
}

void shell_display_get_size(const struct shell_display *d, int *width, int *height)
{
	*width = d->width;
	*height = d->height;
}

int shell_display_present(struct shell_display *d, const uint8_t *image, size_t stride,
			  const struct shell_rect *damage, size_t n_damage)
{
	return d->impl->present(d, image, stride, damage, n_damage);
}

bool shell_display_ready(const struct shell_display *d)
{
	return d->impl->ready ? d->impl->ready(d) : true;
}

int shell_display_get_fd(const struct shell_display *d)
{
	return d->impl->get_fd ? d->impl->get_fd(d) : -1;
}

int shell_display_dispatch(struct shell_display *d)
{
	return d->impl->dispatch ? d->impl->dispatch(d) : 0;
}

bool shell_display_clip(const struct shell_display *d, const struct shell_rect *r,
			struct shell_rect *ret)
{
	int x0 = r->x < 0 ? 0 : r->x, y0 = r->y < 0 ? 0 : r->y;
	int x1 = r->x + r->w > d->width ? d->width : r->x + r->w;
	int y1 = r->y + r->h > d->height ? d->height : r->y + r->h;

	if (x1 <= x0 || y1 <= y0) {
		return false;
	}
	*ret = (struct shell_rect){ x0, y0, x1 - x0, y1 - y0 };
	return true;
}
