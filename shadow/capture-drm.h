#pragma once

/*
 * The "drm" capture backend: reads whatever a KMS device scans out (the kernel's text console
 * or a KMS program) without being DRM master, and "auto", which picks drm and falls back to
 * fbdev on machines without a KMS device.
 *
 * drm options: card=PATH (default: the first /dev/dri/cardN with a display connector),
 * monitor=N (connector index on that card as capture_list_monitors() numbers them; default the
 * first connected one), vt=PATH|none (the VT to wake when a KMS program leaves the screen dark;
 * default /dev/tty0, the foreground one). auto options: card=, monitor=, vt= (for drm) and
 * device= (for fbdev).
 *
 * Per grab: GETPLANE of the monitor's primary plane → GETCRTC (visible rect and mode) →
 * GETFB2 → MAP_DUMB → mmap of the card fd (PRIME dma-buf mmap as the fallback); mappings are
 * cached by the buffer object (MAP_DUMB offset, or the dma-buf inode) so page flips cost only
 * ioctls; every GEM handle GETFB2 hands out is closed again. DRM master is dropped right after
 * every open. When the monitor shows nothing (the KMS program that owned the screen exited),
 * every mapping is unmapped and the card is closed, so that the kernel's last close restores
 * the text console, the foreground VT (when in text mode) is switched to graphics and back so
 * that fbcon sets its mode and redraws even when the last close does not come or loses the
 * pixels, and grab returns -EAGAIN; the next grab reopens. release() closes everything the same
 * way (without touching the VT).
 *
 * Needs CAP_SYS_ADMIN (GETFB2 hides buffer handles from everybody else).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"

struct shadow_spec;

/* Mappings kept per capture: enough for a triple-buffered program plus the console's buffer. */
#define CAPTURE_DRM_MAX_MAPPINGS 4
/* Largest cursor image taken (the cursor planes of the virtual GPUs are 64x64). */
#define CAPTURE_DRM_MAX_CURSOR 256

struct capture_drm_options {
	const char *card; /* NULL: the first card with a display connector */
	int monitor;      /* connector index; -1: the first connected one */
	const char *vt;   /* NULL: /dev/tty0; "none": never touch a VT */
};

/* Opens the card to find the monitor and its size, then closes it again until the first grab.
 * -ENODEV when there is no KMS card (or no such monitor); other negative errnos as opening
 * fails. A message in errbuf either way. */
int capture_drm_new(const struct capture_drm_options *opts, struct capture **ret, char *errbuf,
		    size_t errlen);

/* Factory hooks for capture_create(). */
int capture_drm_create(struct shadow_spec *spec, struct capture **ret, char *errbuf, size_t errlen);
int capture_auto_create(struct shadow_spec *spec, struct capture **ret, char *errbuf,
			size_t errlen);

/* Whether c is a "drm" capture. */
bool capture_is_drm(const struct capture *c);

/*
 * Pure helpers, public for the unit tests.
 */

/* DRM fourcc → capture format: XRGB8888, ARGB8888, RGB565; -EOPNOTSUPP for anything else. */
int capture_drm_format(uint32_t fourcc, enum capture_format *ret);

/* Whether a framebuffer with these GETFB2 flags and modifier is laid out linearly (no
 * modifiers reported, LINEAR, or INVALID). */
bool capture_drm_modifier_is_linear(uint32_t fb_flags, uint64_t modifier);

struct capture_drm_fb_desc {
	uint32_t width, height;
	uint32_t fourcc;
	uint32_t flags; /* GETFB2 flags (DRM_MODE_FB_MODIFIERS) */
	uint64_t modifier;
	uint32_t pitch, offset; /* of plane 0 */
};

/* The part of the framebuffer the CRTC shows: (GETCRTC x, y) and the mode's size. */
struct capture_drm_view {
	uint32_t x, y, width, height;
};

struct capture_drm_layout {
	enum capture_format format;
	size_t map_size;    /* bytes to map from the start of the buffer object */
	size_t data_offset; /* first visible pixel, from the start of the mapping */
	uint32_t width, height, stride;
};

/* Where the visible picture lies in the buffer object. The view is clipped to the framebuffer.
 * -EOPNOTSUPP for an unsupported format or a tiled/compressed buffer; -EINVAL for an empty
 * view, a zero size or a pitch too small for the width. */
int capture_drm_layout(const struct capture_drm_fb_desc *fb, const struct capture_drm_view *view,
		       struct capture_drm_layout *ret);

struct capture_drm_plane_desc {
	uint32_t id;
	uint32_t type; /* DRM_PLANE_TYPE_OVERLAY 0, PRIMARY 1, CURSOR 2 */
	uint32_t crtc_id, fb_id;
	uint32_t possible_crtcs; /* bit i = the i-th CRTC of GETRESOURCES */
};

/* The primary and cursor plane of the CRTC crtc_id (the crtc_index-th one). A plane bound to
 * the CRTC wins over one that merely could be; among equals the first in the list. -ENOENT
 * when there is no primary plane for it; *ret_cursor = SIZE_MAX when there is no cursor. */
int capture_drm_pick_planes(const struct capture_drm_plane_desc *planes, size_t n, uint32_t crtc_id,
			    uint32_t crtc_index, size_t *ret_primary, size_t *ret_cursor);

struct capture_drm_connector_desc {
	bool connected;
};

/* The connector monitor (>= 0) names, or the first connected one (monitor < 0; the first of
 * all when none is connected). -ENODEV when there is no such connector. */
int capture_drm_pick_connector(const struct capture_drm_connector_desc *conns, size_t n,
			       int monitor, size_t *ret);

/* The mapping cache's choice for a buffer with this key: the slot that holds it (hit), or the
 * slot to (re)use: an empty one, else the least recently used. keys[i] == 0 means empty,
 * last_used[i] is a use counter. Returns true on a hit. */
bool capture_drm_cache_slot(const uint64_t *keys, const uint64_t *last_used, size_t n, uint64_t key,
			    size_t *ret_slot);
