#pragma once

/*
 * The "uinput" injector: two virtual input devices made through /dev/uinput with libevdev,
 * both on BUS_VIRTUAL, named so that the console can tell remote input from local input:
 *
 *   INJECTOR_UINPUT_KEYBOARD_NAME  EV_KEY KEY_ESC..KEY_MICMUTE; EV_LED num, caps and scroll
 *                                  lock (the VT writes its lock state there, sync_locks reads
 *                                  it back). No EV_REP: the client's repeats arrive as a
 *                                  release and a fresh press (libinput ignores value 2).
 *   INJECTOR_UINPUT_POINTER_NAME   EV_ABS ABS_X, ABS_Y over 0..width-1, 0..height-1 of the
 *                                  screen; BTN_LEFT, RIGHT, MIDDLE, SIDE, EXTRA; EV_REL
 *                                  REL_WHEEL, REL_HWHEEL and their _HI_RES. No BTN_TOUCH,
 *                                  BTN_TOOL_* or INPUT_PROP_DIRECT, so udev and libinput see a
 *                                  mouse, not a tablet or touchscreen.
 *
 * libinput reads an absolute range only when a device appears, so a new screen size makes the
 * pointer again with the new range (the kernel releases its buttons as the old one goes).
 *
 * Options: device=PATH (default /dev/uinput), size=WxH the first screen size (default
 * 1024x768; each of W and H in 2..32768).
 */

#include <stddef.h>
#include <stdint.h>

struct injector;
struct shadow_spec;

#define INJECTOR_UINPUT_KEYBOARD_NAME "Lifeline remote keyboard"
#define INJECTOR_UINPUT_POINTER_NAME  "Lifeline remote pointer"

/* Factory hook for injector_create(). */
int injector_uinput_create(struct shadow_spec *spec, struct injector **ret, char *errbuf,
			   size_t errlen);

/*
 * Pure event mapping, public for the unit tests: each function writes the evdev events one
 * call of the injector sends (ending in SYN_REPORT) and returns how many, or a negative errno.
 */

enum injector_uinput_device {
	INJECTOR_UINPUT_KEYBOARD,
	INJECTOR_UINPUT_POINTER,
};

struct injector_uinput_event {
	enum injector_uinput_device device;
	uint16_t type, code;
	int32_t value;
};

/* Room every mapping function needs in its output array. */
#define INJECTOR_UINPUT_MAX_EVENTS 16

/* Which device has code: keys KEY_ESC..KEY_MICMUTE on the keyboard, BTN_LEFT..BTN_EXTRA on
 * the pointer; -EINVAL for any other code. */
int injector_uinput_device_of(uint16_t code, enum injector_uinput_device *ret);

/*
 * Pacing of key events: a burst of INJECTOR_UINPUT_KEY_BURST goes at once, then one every
 * INJECTOR_UINPUT_KEY_INTERVAL_US (far above any typist or client repeat), so that the console's
 * reader - which the kernel gives a buffer of 64 events - never loses a key. Pure: `tat_us` is
 * the caller's state (start 0), now_us a monotonic time; returns the µs to wait before writing
 * n_keys key events.
 */
#define INJECTOR_UINPUT_KEY_BURST       12u
#define INJECTOR_UINPUT_KEY_INTERVAL_US 1000u
uint64_t injector_uinput_pace(uint64_t *tat_us, uint64_t now_us, unsigned n_keys);

/* Key press (1), release (0) or repeat (2, written as release + press, each with its
 * SYN_REPORT). Buttons do not repeat: a repeat gives 0 events.
 * -EINVAL for a code neither device has or another value. */
int injector_uinput_map_key(uint16_t code, int value, struct injector_uinput_event *out);

/* Absolute move on a pointer whose range is 0..range_w-1, 0..range_h-1 (clamped into it). */
int injector_uinput_map_move(uint32_t x, uint32_t y, uint32_t range_w, uint32_t range_h,
			     struct injector_uinput_event *out);

/* What is left of a wheel turn short of a whole detent (120), per axis. */
struct injector_uinput_wheel_state {
	int32_t v_rest, h_rest;
};

/* Hi-res units go out as they come (REL_WHEEL_HI_RES, REL_HWHEEL_HI_RES); whole detents also
 * as REL_WHEEL/REL_HWHEEL once the turns in one direction add up to 120 (the rest resets
 * when the direction changes). Vertical > 0 is up, horizontal > 0 is right, as in evdev. */
int injector_uinput_map_wheel(struct injector_uinput_wheel_state *s, int32_t v120, int32_t h120,
			      struct injector_uinput_event *out);

/* Taps of the lock keys (press, SYN, release, SYN each) that make leds (bit LED_NUML,
 * LED_CAPSL, LED_SCROLLL set = on) match locks (INJECTOR_LOCK_* bits). */
int injector_uinput_map_locks(uint32_t leds, uint32_t locks, struct injector_uinput_event *out);
