#pragma once

/*
 * Keyboard and pointer through libinput (udev, seat0) and xkbcommon. Each device is local or
 * remote: the helpdesk's uinput devices ("Lifeline remote keyboard", "Lifeline remote pointer")
 * and, unless trusted, any other virtual (uinput) device count as remote. Local and remote keys
 * have separate xkb states, so a modifier the helpdesk holds never changes what local keys do.
 */

#include <stdbool.h>
#include <stdint.h>

#include "state.h"

#define SHELL_REMOTE_DEVICE_PREFIX "Lifeline remote"
/* The key lifeline-server presses on its keyboard after it sent a "text" event, so that the
 * text keeps its place among the helpdesk's keys (docs/control-protocol.md). */
#define SHELL_TEXT_MARKER_KEY 240 /* KEY_UNKNOWN */

struct shell_input;

struct shell_input_listener {
	/* A key press or auto-repeat. */
	void (*key)(void *data, const struct shell_key *key);
	/* The pointer moved to (x, y) in screen pixels. */
	void (*motion)(void *data, int x, int y, enum shell_source source);
	/* A button (BTN_LEFT, ...) went down or up at the pointer position. */
	void (*button)(void *data, int x, int y, uint32_t button, bool pressed,
		       enum shell_source source);
	/* Wheel: positive = towards the user (scroll down), in notches. */
	void (*scroll)(void *data, double notches, enum shell_source source);
	/* The helpdesk's text marker (SHELL_TEXT_MARKER_KEY pressed on a remote keyboard): the
	 * oldest text the server sent on the control socket goes in here. May be NULL. */
	void (*text_marker)(void *data);
};

struct shell_input_options {
	const char *seat;
	/* Count virtual (uinput) devices other than the helpdesk's as local. */
	bool trust_virtual;
	/* xkb layout and variant ("us", "de" + "nodeadkeys"). */
	const char *layout;
	const char *variant;
};

int shell_input_create(const struct shell_input_options *opts,
		       const struct shell_input_listener *listener, void *data,
		       struct shell_input **ret);
void shell_input_destroy(struct shell_input *in);

/*
 * Keys from local keyboards repeat here (after 400 ms, every 40 ms) while held. Keys from the
 * helpdesk never do: its client sends its own repeats (as fresh presses, see
 * shadow/injector-uinput.c), and a late key-up from a slow link must not become a run of
 * invented characters.
 *
 * Devices are read (and keys repeated) on a thread of the module's own, so that a busy main
 * loop loses nothing: the kernel keeps only 64 events per reader. The listener is called on
 * the main loop's thread from shell_input_dispatch, when the fd is readable.
 */
int shell_input_get_fd(const struct shell_input *in);
int shell_input_dispatch(struct shell_input *in);

/*
 * While held, shell_input_dispatch() delivers nothing; events keep their order and wait (e.g.
 * for text the helpdesk pasted, so that the Enter typed after it comes after it). Holding
 * twice needs releasing once. After releasing, call shell_input_dispatch(): events already
 * taken from the fd are not signalled again (shell_input_pending() says whether there are).
 */
void shell_input_hold(struct shell_input *in, bool hold);
bool shell_input_pending(const struct shell_input *in);

/* The screen size, for absolute pointers and for clamping. */
void shell_input_set_screen(struct shell_input *in, int width, int height);

/* Switches the console's keyboard layout. -EINVAL if xkb does not know it (the old one stays).
 * The helpdesk's keys follow it unless shell_input_set_remote_layout() chose another. */
int shell_input_set_layout(struct shell_input *in, const char *layout, const char *variant);

/* The layout of the helpdesk's keyboard (what its client says it has); NULL or "" = follow
 * the console's. -EINVAL if xkb does not know it (then the console's applies). */
int shell_input_set_remote_layout(struct shell_input *in, const char *layout, const char *variant);

/* Whether a device called `name` at `syspath` is the helpdesk's (pure; tests use it). */
enum shell_source shell_input_classify(const char *name, const char *syspath, bool trust_virtual);

/*
 * Splits "de", "de:nodeadkeys" or "de(nodeadkeys)" into layout and variant. Only letters,
 * digits, '_' and '-' are allowed. 0 or -EINVAL.
 */
int shell_input_parse_layout(const char *spec, char *layout, size_t layout_size, char *variant,
			     size_t variant_size);
