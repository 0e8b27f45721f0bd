#pragma once

/*
 * RDP keyboard scancodes (PC set 1, as Windows reports them: 8 bits plus the EXTENDED (E0) and
 * EXTENDED1 (E1) flags) to Linux evdev KEY_* codes.
 *
 * Scancodes name physical keys; the console's own keymap turns them into characters, so the
 * table is layout-free. Covers a 105-key ISO keyboard with keypad, F13–F24, the ISO key (0x56),
 * the Japanese, Korean and Brazilian extra keys, Windows/Menu keys and the extended
 * media/browser/power keys. Pure: no state but what the caller passes.
 */

#include <stdbool.h>
#include <stdint.h>

/* The evdev code of one scancode; 0 = unmapped. */
uint16_t keymap_rdp_to_evdev(uint8_t scancode, bool extended);

struct keymap_state {
	bool pause_pending; /* EXTENDED1 0x1D seen; the next 0x45 in the same direction is eaten */
	bool pause_down;    /* direction of that 0x1D */
};

/*
 * Feed one RDP key event. Pause arrives as EXTENDED1 0x1D then 0x45 (both down, then both up):
 * the first gives KEY_PAUSE, the following 0x45 is swallowed. Returns 1 and *ret_code when an
 * evdev key should be emitted, 0 when swallowed, -ENOENT when unmapped.
 */
int keymap_translate(struct keymap_state *s, uint8_t scancode, bool extended, bool extended1,
		     bool down, uint16_t *ret_code);
