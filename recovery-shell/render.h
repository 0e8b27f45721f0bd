#pragma once

/*
 * Draws the UI state with cairo and pango into an XRGB8888 image held in memory, region by
 * region as the state's damage bits ask, plus a software pointer. The image is what the display
 * backends copy to the screen.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"
#include "state.h"

struct shell_render;
struct shell_term;

/* How the renderer finds the terminal of a pane (main.c owns them). */
typedef struct shell_term *(*shell_render_term_fn)(void *data, unsigned pane_id);

int shell_render_create(int width, int height, struct shell_render **ret);
void shell_render_destroy(struct shell_render *r);

void shell_render_set_term_lookup(struct shell_render *r, shell_render_term_fn fn, void *data);

/* The image: XRGB8888, `*ret_stride` bytes per row. */
const uint8_t *shell_render_pixels(const struct shell_render *r, size_t *ret_stride);

/* Terminal cell size in pixels for a layout (the monospaced face at the layout's size). */
void shell_render_cell_size(struct shell_render *r, const struct shell_layout *l, int *ret_w,
			    int *ret_h);

/* Terminal size in cells that fits the layout's content area. */
void shell_render_term_grid(struct shell_render *r, const struct shell_layout *l,
			    unsigned *ret_cols, unsigned *ret_rows);

/* Pointer position and visibility (drawn on top; moving it damages only its two spots). */
void shell_render_set_pointer(struct shell_render *r, int x, int y, bool visible);

/*
 * Redraws the regions in `damage` (SHELL_DAMAGE_*) and the pointer if it moved, and writes
 * the changed rectangles to `out` (at most `max`). Returns how many.
 */
size_t shell_render_frame(struct shell_render *r, const struct shell_state *st,
			  const struct shell_layout *l, unsigned damage, struct shell_rect *out,
			  size_t max);

/* Writes the image as a PNG (tests, screenshots). 0 or a negative errno. */
int shell_render_write_png(const struct shell_render *r, const char *path);

/* "482-915-307" -> "482 915 307" style groups for display; short fingerprint "AB:CD … EF:01". */
void shell_render_group_ticket(const char *ticket, char *out, size_t size);
void shell_render_short_fingerprint(const char *fp, char *out, size_t size);
/* "aabbccdd..." (40 hex) -> "aabbccdd eeff0011 ..." in groups of eight, as mstsc's dialog
 * shows a thumbprint in one piece: easy to compare by eye. */
void shell_render_group_thumbprint(const char *hex, char *out, size_t size);

struct shell_conninfo;
struct shell_reverse_info;
/*
 * What the QR code on the Remote Connection panel carries: the server's xfreerdp command line
 * (ticket, port, the best address, /cert pinning the SHA-256 fingerprint), the other addresses
 * on a comment line, and, when the tunnel through the helpdesk's server is up (rv may be NULL),
 * its host and port on another. Length, or -ENODATA (no command), -ENOSPC (too long).
 */
int shell_render_qr_text(const struct shell_conninfo *ci, const struct shell_reverse_info *rv,
			 char *out, size_t size);
