#pragma once

/*
 * Where the shell's frames go: a KMS output, the firmware framebuffer, or memory (tests). The
 * shell renders into its own XRGB8888 image and hands each backend the changed rectangles.
 * Chosen by name ("kms", "fbdev", "headless"; option --display or LIFELINE_SHELL_DISPLAY); an
 * unknown name is an error.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

struct shell_display;

struct shell_display_options {
	/* Backend name; NULL = "kms", falling back to "fbdev" when no DRM device works. */
	const char *backend;
	/* Device path (kms: /dev/dri/cardN; fbdev: /dev/fbN); NULL = the first that works. */
	const char *device;
	/* headless: output size (default 1024x768). */
	int width, height;
	/* kms: how long to retry becoming DRM master while another opener holds it (ms). */
	int master_timeout_ms;
};

/* Creates the display. 0 or a negative errno; -EINVAL for an unknown backend name. */
int shell_display_create(const struct shell_display_options *opts, struct shell_display **ret);
void shell_display_destroy(struct shell_display *d);

const char *shell_display_name(const struct shell_display *d);
void shell_display_get_size(const struct shell_display *d, int *width, int *height);

/*
 * Shows the frame `image` (XRGB8888, `stride` bytes per row, the display's size) of which only
 * `damage` changed since the previous call. -EBUSY while the previous frame is still being
 * flipped: call again after dispatch() reports it done.
 */
int shell_display_present(struct shell_display *d, const uint8_t *image, size_t stride,
			  const struct shell_rect *damage, size_t n_damage);

/* True when present() would not return -EBUSY. */
bool shell_display_ready(const struct shell_display *d);

/* An fd to poll for backend events (page flip done), or -1. */
int shell_display_get_fd(const struct shell_display *d);

/* Handles what made the fd readable. */
int shell_display_dispatch(struct shell_display *d);

/* headless only: the last presented frame (NULL for other backends). */
const uint8_t *shell_display_headless_pixels(const struct shell_display *d, size_t *ret_stride);
