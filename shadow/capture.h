#pragma once

/*
 * Screen capture backends behind one interface.
 *
 * A backend is chosen by a spec string NAME[:KEY=VALUE[,KEY=VALUE...]], e.g. "test" or
 * "test:size=1920x1080,mode=bench,change=10,fps=30". Callers use one capture from one thread at
 * a time.
 */

#include <stdbool.h>
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

/* A hardware cursor (a cursor plane) as the display shows it over the captured picture. */
struct capture_cursor {
	bool visible;          /* false: no cursor on screen now; the members below are unset */
	int32_t x, y;          /* top-left of the image on the captured screen; may be negative */
	uint32_t hot_x, hot_y; /* hotspot inside the image; 0,0 when the display does not say */
	uint32_t width, height;
	/* ARGB8888 (bytes B,G,R,A), premultiplied alpha as KMS defines it, stride width * 4.
	 * Valid until the next get_cursor, grab, release or destroy. */
	const uint8_t *pixels;
	uint64_t serial; /* changes whenever the image or hotspot changes; never 0 when visible */
};

/* One monitor (a display connector) the capture could share. */
struct capture_monitor {
	uint32_t index;         /* what the backend's monitor=N option selects */
	char name[32];          /* e.g. "Virtual-1", "HDMI-A-1" */
	bool connected;         /* something is plugged in */
	bool active;            /* a picture is scanned out to it now */
	bool shared;            /* the one this capture shows */
	uint32_t width, height; /* current mode; 0x0 when not active */
};

struct capture;

/*
 * Errors of grab that callers should tell apart:
 *   -EAGAIN      nothing is on screen right now (blanked, or a KMS program just exited and the
 *                backend let the console come back); keep the last picture, retry next poll.
 *   -EOPNOTSUPP  the picture cannot be read (tiled or compressed buffer, or a pixel format
 *                that is not one of enum capture_format).
 *   -EACCES      the process lacks the privilege the backend needs (CAP_SYS_ADMIN for drm).
 * capture_last_error() has a sentence for the log. Library code does not log: the caller logs
 * once when the error (code or sentence) changes, and once when grabs succeed again.
 *
 * Every member but get_size is called from one thread at a time; get_size may be called from
 * any thread.
 */
struct capture_impl {
	const char *name;
	/* Current mode size in pixels; 0 or a negative errno. */
	int (*get_size)(struct capture *c, uint32_t *ret_w, uint32_t *ret_h);
	/* Latest picture; ret_frame->data stays valid until the next grab, release or destroy. */
	int (*grab)(struct capture *c, struct capture_frame *ret_frame);
	/* Frees the backend and everything it holds. */
	void (*destroy)(struct capture *c);

	/* Optional. The hardware cursor now: 0 (ret->visible may be false), -EOPNOTSUPP when the
	 * display has no cursor plane (the cursor, if any, is part of the picture). */
	int (*get_cursor)(struct capture *c, struct capture_cursor *ret);
	/* Optional. The monitors: fills up to max entries, *ret_n = how many exist. */
	int (*list_monitors)(struct capture *c, struct capture_monitor *ret, size_t max,
			     size_t *ret_n);
	/* Optional. Nobody watches for a while: drop device handles and mappings so that the
	 * console is not held (the next grab reopens). */
	void (*release)(struct capture *c);
	/* Optional. A sentence about why the last grab failed; "" after a good one. */
	const char *(*last_error)(struct capture *c);
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
/* Dispatchers for the optional members: -EOPNOTSUPP (get_cursor); one monitor of get_size's
 * size named "screen" (list_monitors); nothing (release); "" (last_error) when absent. */
int capture_get_cursor(struct capture *c, struct capture_cursor *ret);
int capture_list_monitors(struct capture *c, struct capture_monitor *ret, size_t max,
			  size_t *ret_n);
void capture_release(struct capture *c);
const char *capture_last_error(struct capture *c);

/* Bytes per pixel of format, 0 for an unknown value. */
uint32_t capture_format_bpp(enum capture_format format);
