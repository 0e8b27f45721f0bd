#pragma once

/*
 * Screen capture backends behind one interface.
 *
 * A backend is chosen by a spec string NAME[:KEY=VALUE[,KEY=VALUE...]], e.g. "test" or
 * "test:size=1920x1080,mode=bench,change=10,fps=30". Callers use one capture from one thread at
 * a time.
 */

#include <stddef.h>
#include <stdint.h>

enum capture_format {
	CAPTURE_FORMAT_XRGB8888, /* 32-bit little-endian 0xXXRRGGBB (DRM_FORMAT_XRGB8888) */
	CAPTURE_FORMAT_ARGB8888, /* 32-bit little-endian 0xAARRGGBB (DRM_FORMAT_ARGB8888) */
	CAPTURE_FORMAT_RGB565,   /* 16-bit little-endian RRRRRGGGGGGBBBBB (DRM_FORMAT_RGB565) */
};

struct capture_frame {
	uint32_t width, height;
	uint32_t stride; /* bytes from one row to the next, >= width * bytes per pixel */
	enum capture_format format;
	const uint8_t *data;
};

struct capture;

struct capture_impl {
	const char *name;
	/* Current mode size in pixels; 0 or a negative errno. */
	int (*get_size)(struct capture *c, uint32_t *ret_w, uint32_t *ret_h);
	/* Latest picture; ret_frame->data stays valid until the next grab or destroy. */
	int (*grab)(struct capture *c, struct capture_frame *ret_frame);
	/* Frees the backend and everything it holds. */
	void (*destroy)(struct capture *c);
};

/* Embedded as the first member of every backend's own struct. */
struct capture {
	const struct capture_impl *impl;
};

/* Creates the backend spec names. Unknown backend, unknown option or bad value → -EINVAL with a
 * human message in errbuf (errbuf may be NULL). */
int capture_create(const char *spec, struct capture **ret, char *errbuf, size_t errlen);
/* NULL-terminated list of backend names, for --help. */
const char *const *capture_backend_names(void);

int capture_get_size(struct capture *c, uint32_t *ret_w, uint32_t *ret_h);
int capture_grab(struct capture *c, struct capture_frame *ret_frame);
void capture_destroy(struct capture *c);

/* Bytes per pixel of format, 0 for an unknown value. */
uint32_t capture_format_bpp(enum capture_format format);
