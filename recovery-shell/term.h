#pragma once

/*
 * A terminal pane: a program on a pseudo-terminal, emulated by libtsm. Also a "virtual" pane
 * without a program, fed by hand, for rendering tests.
 */

#include <cairo.h>
#include <pango/pangocairo.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct shell_term;

/* An OSC 777 "lifeline;KEY=VALUE" request from the program (e.g. keymap=de). */
typedef void (*shell_term_request_fn)(void *data, struct shell_term *t, const char *key,
				      const char *value);

/*
 * Starts argv[0] (a path) on a new pty of cols x rows, with `env` ("NAME=value", NULL-ended)
 * added to the environment, in its own session. 0 or a negative errno.
 */
int shell_term_spawn(const char *const *argv, const char *const *env, unsigned cols, unsigned rows,
		     struct shell_term **ret);

/* A pane with no program: shell_term_feed() gives it output. */
int shell_term_new_virtual(unsigned cols, unsigned rows, struct shell_term **ret);

/* Hangs up the pty (SIGHUP to the program) and frees everything; NULL-safe. */
void shell_term_destroy(struct shell_term *t);

/* The pty master to poll for output, or -1 (virtual, or after the program closed the pty). */
int shell_term_get_fd(const struct shell_term *t);
pid_t shell_term_get_pid(const struct shell_term *t);

/* Reads the program's output. 1 if the screen changed, 0 if not, -EIO once the pty is closed. */
int shell_term_dispatch(struct shell_term *t);

/* Feeds bytes as if the program wrote them. */
void shell_term_feed(struct shell_term *t, const char *buf, size_t len);

/* A key press for the program (keysym/unicode/mods as in struct shell_key). */
void shell_term_key(struct shell_term *t, uint32_t keysym, uint32_t base_keysym, uint32_t unicode,
		    unsigned mods);

/* Scrolls the view through the scrollback (positive: back in history); 0 returns to the end. */
void shell_term_scroll(struct shell_term *t, int lines);

int shell_term_resize(struct shell_term *t, unsigned cols, unsigned rows);
void shell_term_get_size(const struct shell_term *t, unsigned *cols, unsigned *rows);

void shell_term_set_request_handler(struct shell_term *t, shell_term_request_fn fn, void *data);

/* The most a program may copy with OSC 52 (the server's --max-paste limit). */
#define SHELL_TERM_MAX_COPY 524288

/* Text the program copied to the clipboard (OSC 52): UTF-8 without NUL, valid only during the
 * call. */
typedef void (*shell_term_copy_fn)(void *data, struct shell_term *t, const char *text,
				   size_t len);
void shell_term_set_copy_handler(struct shell_term *t, shell_term_copy_fn fn, void *data);

/* Did the program ask for bracketed paste (DECSET 2004)? */
bool shell_term_bracketed_paste(const struct shell_term *t);

/*
 * Types pasted text into the program: made safe (paste.h: line ends as CR, control characters
 * dropped) and wrapped in ESC[200~ ... ESC[201~ when the program asked for bracketed paste.
 * Waits up to 2 s for a program that reads slowly. 0, -EAGAIN (it did not read it all in
 * time), -EIO (no program), -ENOMEM.
 */
int shell_term_paste(struct shell_term *t, const char *text, size_t len);

/* Mouse selection in screen cells (libtsm draws it inverted). */
void shell_term_select_start(struct shell_term *t, unsigned col, unsigned row);
void shell_term_select_to(struct shell_term *t, unsigned col, unsigned row);
void shell_term_select_clear(struct shell_term *t);
/* The selected text (caller frees), or -ENODATA when nothing is selected. */
int shell_term_select_copy(struct shell_term *t, char **ret, size_t *ret_len);

/*
 * Draws the screen at (x, y) with cells of cw x ch pixels in `font` (a monospaced face); the
 * cursor is a block when `focused`, an outline otherwise.
 */
void shell_term_draw(struct shell_term *t, cairo_t *cr, PangoLayout *layout, int x, int y, int cw,
		     int ch, bool focused);

/* The screen's text, rows separated by '\n', trailing blanks trimmed (tests). Caller frees. */
char *shell_term_text(struct shell_term *t);
