#pragma once

/*
 * The keyboard layout an RDP client announces (a Windows keyboard layout id, KLID, in the core
 * client data) as XKB layout and variant names, so that the console reads the helpdesk's keys
 * with the helpdesk's layout. Pure data; no FreeRDP.
 */

#include <stdint.h>

/*
 * Looks up a layout id (e.g. 0x00000407 German, 0x00010409 US Dvorak). An id not in the table
 * falls back to its language's main layout (the low 10 bits: 0x0c07 → German). 0 and
 * layout/variant set (variant "" for none), or -ENOENT.
 */
int keyboard_layout_from_id(uint32_t id, const char **ret_layout, const char **ret_variant);
