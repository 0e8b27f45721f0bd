#pragma once

/* What display backends implement (display-*.c); users include display.h. */

#include "display.h"

struct shell_display_impl {
	const char *name;
	/* Opens the output. 0 or a negative errno (-ENODEV: no such device here). */
	int (*create)(const struct shell_display_options *opts, struct shell_display **ret);
	/* Releases everything, restoring what it changed. NULL-safe wrapper in display.c. */
	void (*destroy)(struct shell_display *d);
	/* Copies the damaged rectangles of `image` to the screen; see shell_display_present(). */
	int (*present)(struct shell_display *d, const uint8_t *image, size_t stride,
		       const struct shell_rect *damage, size_t n_damage);
	/* May be NULL: no events (present() never returns -EBUSY). */
	int (*get_fd)(const struct shell_display *d);
	/* May be NULL. */
	int (*dispatch)(struct shell_display *d);
	/* May be NULL: always ready. */
	bool (*ready)(const struct shell_display *d);
};

/* Every backend embeds this first. */
struct shell_display {
	const struct shell_display_impl *impl;
	int width, height;
};

extern const struct shell_display_impl shell_display_kms_impl;
extern const struct shell_display_impl shell_display_fbdev_impl;
extern const struct shell_display_impl shell_display_headless_impl;

/* Clips r to the display; false if nothing is left. */
bool shell_display_clip(const struct shell_display *d, const struct shell_rect *r,
			struct shell_rect *ret);
