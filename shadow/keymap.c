#include "keymap.h"

#include <errno.h>
#include <linux/input-event-codes.h>

/* Without the E0 prefix. Most of 0x01..0x58 equal their KEY_* value by design, but the table
 * spells every entry out so that a reader can check each one. */
/* clang-format off */
static const uint16_t normal[256] = {
	[0x01] = KEY_ESC,
	[0x02] = KEY_1,
	[0x03] = KEY_2,
	[0x04] = KEY_3,
	[0x05] = KEY_4,
	[0x06] = KEY_5,
	[0x07] = KEY_6,
	[0x08] = KEY_7,
	[0x09] = KEY_8,
	[0x0A] = KEY_9,
	[0x0B] = KEY_0,
	[0x0C] = KEY_MINUS,
	[0x0D] = KEY_EQUAL,
	[0x0E] = KEY_BACKSPACE,
	[0x0F] = KEY_TAB,
	[0x10] = KEY_Q,
	[0x11] = KEY_W,
	[0x12] = KEY_E,
	[0x13] = KEY_R,
	[0x14] = KEY_T,
	[0x15] = KEY_Y,
	[0x16] = KEY_U,
	[0x17] = KEY_I,
	[0x18] = KEY_O,
	[0x19] = KEY_P,
	[0x1A] = KEY_LEFTBRACE,
	[0x1B] = KEY_RIGHTBRACE,
	[0x1C] = KEY_ENTER,
	[0x1D] = KEY_LEFTCTRL,
	[0x1E] = KEY_A,
	[0x1F] = KEY_S,
	[0x20] = KEY_D,
	[0x21] = KEY_F,
	[0x22] = KEY_G,
	[0x23] = KEY_H,
	[0x24] = KEY_J,
	[0x25] = KEY_K,
	[0x26] = KEY_L,
	[0x27] = KEY_SEMICOLON,
	[0x28] = KEY_APOSTROPHE,
	[0x29] = KEY_GRAVE, /* also Zenkaku/Hankaku on JP keyboards; the console keymap decides */
	[0x2A] = KEY_LEFTSHIFT,
	[0x2B] = KEY_BACKSLASH,
	[0x2C] = KEY_Z,
	[0x2D] = KEY_X,
	[0x2E] = KEY_C,
	[0x2F] = KEY_V,
	[0x30] = KEY_B,
	[0x31] = KEY_N,
	[0x32] = KEY_M,
	[0x33] = KEY_COMMA,
	[0x34] = KEY_DOT,
	[0x35] = KEY_SLASH,
	[0x36] = KEY_RIGHTSHIFT,
	[0x37] = KEY_KPASTERISK,
	[0x38] = KEY_LEFTALT,
	[0x39] = KEY_SPACE,
	[0x3A] = KEY_CAPSLOCK,
	[0x3B] = KEY_F1,
	[0x3C] = KEY_F2,
	[0x3D] = KEY_F3,
	[0x3E] = KEY_F4,
	[0x3F] = KEY_F5,
	[0x40] = KEY_F6,
	[0x41] = KEY_F7,
	[0x42] = KEY_F8,
	[0x43] = KEY_F9,
	[0x44] = KEY_F10,
	[0x45] = KEY_NUMLOCK,
	[0x46] = KEY_SCROLLLOCK,
	[0x47] = KEY_KP7,
	[0x48] = KEY_KP8,
	[0x49] = KEY_KP9,
	[0x4A] = KEY_KPMINUS,
	[0x4B] = KEY_KP4,
	[0x4C] = KEY_KP5,
	[0x4D] = KEY_KP6,
	[0x4E] = KEY_KPPLUS,
	[0x4F] = KEY_KP1,
	[0x50] = KEY_KP2,
	[0x51] = KEY_KP3,
	[0x52] = KEY_KP0,
	[0x53] = KEY_KPDOT,
	[0x54] = KEY_SYSRQ, /* Alt+PrintScreen */
	[0x56] = KEY_102ND, /* the ISO key left of Z */
	[0x57] = KEY_F11,
	[0x58] = KEY_F12,
	[0x59] = KEY_KPEQUAL,
	[0x5C] = KEY_KPJPCOMMA, /* International 6 */
	[0x63] = KEY_HELP,      /* VK_HELP */
	[0x64] = KEY_F13,
	[0x65] = KEY_F14,
	[0x66] = KEY_F15,
	[0x67] = KEY_F16,
	[0x68] = KEY_F17,
	[0x69] = KEY_F18,
	[0x6A] = KEY_F19,
	[0x6B] = KEY_F20,
	[0x6C] = KEY_F21,
	[0x6D] = KEY_F22,
	[0x6E] = KEY_F23,
	[0x6F] = KEY_F24, /* where FreeRDP's own table puts F24 */
	[0x70] = KEY_KATAKANAHIRAGANA,
	[0x71] = KEY_HANJA,   /* FreeRDP's spelling of LANG2 */
	[0x72] = KEY_HANGEUL, /* FreeRDP's spelling of LANG1 */
	[0x73] = KEY_RO,      /* JIS \_ and Brazilian ABNT C1 (/?) */
	[0x76] = KEY_F24,     /* where Windows (kbd type 4) puts F24 */
	[0x79] = KEY_HENKAN,
	[0x7B] = KEY_MUHENKAN,
	[0x7D] = KEY_YEN,
	[0x7E] = KEY_KPCOMMA, /* Brazilian ABNT C2, keypad '.' */
	[0xF1] = KEY_HANJA,   /* LANG2, sent without a release */
	[0xF2] = KEY_HANGEUL, /* LANG1, sent without a release */
};

/* With the E0 prefix (KBD_FLAGS_EXTENDED). */
static const uint16_t extended[256] = {
	[0x10] = KEY_PREVIOUSSONG,
	[0x19] = KEY_NEXTSONG,
	[0x1C] = KEY_KPENTER,
	[0x1D] = KEY_RIGHTCTRL,
	[0x20] = KEY_MUTE,
	[0x21] = KEY_CALC, /* VK_LAUNCH_APP2 */
	[0x22] = KEY_PLAYPAUSE,
	[0x24] = KEY_STOPCD,
	[0x2E] = KEY_VOLUMEDOWN,
	[0x30] = KEY_VOLUMEUP,
	[0x32] = KEY_HOMEPAGE,
	[0x35] = KEY_KPSLASH,
	[0x36] = KEY_RIGHTSHIFT, /* some clients flag RShift as extended */
	[0x37] = KEY_SYSRQ,      /* PrintScreen */
	[0x38] = KEY_RIGHTALT,   /* AltGr */
	[0x45] = KEY_NUMLOCK,    /* what a Windows low-level hook reports for NumLock */
	[0x46] = KEY_PAUSE,      /* Ctrl+Break */
	[0x47] = KEY_HOME,
	[0x48] = KEY_UP,
	[0x49] = KEY_PAGEUP,
	[0x4B] = KEY_LEFT,
	[0x4D] = KEY_RIGHT,
	[0x4F] = KEY_END,
	[0x50] = KEY_DOWN,
	[0x51] = KEY_PAGEDOWN,
	[0x52] = KEY_INSERT,
	[0x53] = KEY_DELETE,
	[0x5B] = KEY_LEFTMETA,
	[0x5C] = KEY_RIGHTMETA,
	[0x5D] = KEY_COMPOSE, /* Menu / Application */
	[0x5E] = KEY_POWER,
	[0x5F] = KEY_SLEEP,
	[0x63] = KEY_WAKEUP,
	[0x65] = KEY_SEARCH,
	[0x66] = KEY_BOOKMARKS,
	[0x67] = KEY_REFRESH,
	[0x68] = KEY_STOP,
	[0x69] = KEY_FORWARD,
	[0x6A] = KEY_BACK,
	[0x6B] = KEY_COMPUTER, /* VK_LAUNCH_APP1, "My Computer" */
	[0x6C] = KEY_MAIL,
	[0x6D] = KEY_MEDIA,
	/* E0 2A and E0 AA are the fake shifts PC keyboards wrap around some keys; unmapped. */
};
/* clang-format on */

uint16_t keymap_rdp_to_evdev(uint8_t scancode, bool ext)
{
	return ext ? extended[scancode] : normal[scancode];
}

int keymap_translate(struct keymap_state *s, uint8_t scancode, bool ext, bool extended1, bool down,
		     uint16_t *ret_code)
{
	uint16_t code;

	if (extended1) {
		s->pause_pending = false;
		if (scancode != 0x1D) {
			return -ENOENT;
		}
		s->pause_pending = true;
		s->pause_down = down;
		*ret_code = KEY_PAUSE;
		return 1;
	}
	if (s->pause_pending) {
		s->pause_pending = false;
		if (scancode == 0x45 && !ext && s->pause_down == down) {
			return 0;
		}
	}
	code = keymap_rdp_to_evdev(scancode, ext);
	if (code == 0) {
		return -ENOENT;
	}
	*ret_code = code;
	return 1;
}
