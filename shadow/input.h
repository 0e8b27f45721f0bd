#pragma once

/*
 * The input router between the RDP subsystem and an injector.
 *
 * Tracks which keys and buttons are held, so that auto-repeat becomes value 2, stray releases
 * are dropped and everything held can be released when a client goes or view-only starts.
 * Thread-safe: client threads feed events while the control thread toggles view-only.
 */

#include <stdbool.h>
#include <stdint.h>

struct injector;
struct input;

/* Does not take ownership of inj, which must outlive the router. Starts enabled, screen 0x0. */
int input_new(struct injector *inj, struct input **ret);
/* Releases everything held first, then frees. Accepts NULL. */
void input_destroy(struct input *in);

/* The screen size that input_move() clamps to and passes to the injector; the injector hears
 * of it at once (injector_set_screen) when it cares. */
void input_set_screen(struct input *in, uint32_t w, uint32_t h);

/* Make the machine's lock keys match locks (INJECTOR_LOCK_* bits) when input is enabled;
 * 0 also when the injector cannot (-EOPNOTSUPP is not an error here). */
int input_sync_locks(struct input *in, uint32_t locks);

/* Key or button (evdev KEY_* or BTN_*, 1..KEY_MAX) down or up. Down on an already held code →
 * value 2 (repeat). Up on a code that is not held → dropped (returns 0). Disabled → dropped.
 * Out-of-range code → -EINVAL. Otherwise the injector's result; a press it failed is not
 * recorded as held, a release it failed stays held so that input_release_all() retries it. */
int input_key(struct input *in, uint16_t code, bool down);
/* Absolute move, clamped to the screen. -EINVAL while the screen size is 0. */
int input_move(struct input *in, uint32_t x, uint32_t y);
/* Wheel in 120ths of a detent; both 0 → nothing sent. */
int input_wheel(struct input *in, int32_t v120, int32_t h120);
/* Releases held keys and buttons (value 0 each, ascending code). Returns the first injector
 * error but tries every code. */
int input_release_all(struct input *in);

/* false = view-only: drop everything; switching to false releases all held first. */
void input_set_enabled(struct input *in, bool enabled);
bool input_enabled(struct input *in);

/* Whether code is held (for tests and diagnostics). */
bool input_is_held(struct input *in, uint16_t code);
