/* The RDP scancode → evdev keymap, checked against a table written from the keyboard's point of
 * view (row by row, then the extra blocks), not copied from shadow/keymap.c. */

#include <linux/input-event-codes.h>
#include <stdbool.h>
#include <stdint.h>

#include "keymap.h"
#include "shadow-test.h"

struct expect {
	uint8_t scancode;
	bool extended;
	uint16_t code;
};

/* clang-format off */
static const struct expect expected[] = {
	/* Row 0: Esc, F-keys, PrintScreen / ScrollLock (Pause is a sequence, tested below) */
	{0x01, false, KEY_ESC},
	{0x3B, false, KEY_F1},
	{0x3C, false, KEY_F2},
	{0x3D, false, KEY_F3},
	{0x3E, false, KEY_F4},
	{0x3F, false, KEY_F5},
	{0x40, false, KEY_F6},
	{0x41, false, KEY_F7},
	{0x42, false, KEY_F8},
	{0x43, false, KEY_F9},
	{0x44, false, KEY_F10},
	{0x57, false, KEY_F11},
	{0x58, false, KEY_F12},
	{0x37, true, KEY_SYSRQ},
	{0x54, false, KEY_SYSRQ},
	{0x46, false, KEY_SCROLLLOCK},
	{0x46, true, KEY_PAUSE},
	/* Row 1: digits */
	{0x29, false, KEY_GRAVE},
	{0x02, false, KEY_1},
	{0x03, false, KEY_2},
	{0x04, false, KEY_3},
	{0x05, false, KEY_4},
	{0x06, false, KEY_5},
	{0x07, false, KEY_6},
	{0x08, false, KEY_7},
	{0x09, false, KEY_8},
	{0x0A, false, KEY_9},
	{0x0B, false, KEY_0},
	{0x0C, false, KEY_MINUS},
	{0x0D, false, KEY_EQUAL},
	{0x0E, false, KEY_BACKSPACE},
	/* Row 2: QWERTY */
	{0x0F, false, KEY_TAB},
	{0x10, false, KEY_Q},
	{0x11, false, KEY_W},
	{0x12, false, KEY_E},
	{0x13, false, KEY_R},
	{0x14, false, KEY_T},
	{0x15, false, KEY_Y},
	{0x16, false, KEY_U},
	{0x17, false, KEY_I},
	{0x18, false, KEY_O},
	{0x19, false, KEY_P},
	{0x1A, false, KEY_LEFTBRACE},
	{0x1B, false, KEY_RIGHTBRACE},
	{0x1C, false, KEY_ENTER},
	/* Row 3: home row */
	{0x3A, false, KEY_CAPSLOCK},
	{0x1E, false, KEY_A},
	{0x1F, false, KEY_S},
	{0x20, false, KEY_D},
	{0x21, false, KEY_F},
	{0x22, false, KEY_G},
	{0x23, false, KEY_H},
	{0x24, false, KEY_J},
	{0x25, false, KEY_K},
	{0x26, false, KEY_L},
	{0x27, false, KEY_SEMICOLON},
	{0x28, false, KEY_APOSTROPHE},
	{0x2B, false, KEY_BACKSLASH},
	/* Row 4: shift row with the ISO key */
	{0x2A, false, KEY_LEFTSHIFT},
	{0x56, false, KEY_102ND},
	{0x2C, false, KEY_Z},
	{0x2D, false, KEY_X},
	{0x2E, false, KEY_C},
	{0x2F, false, KEY_V},
	{0x30, false, KEY_B},
	{0x31, false, KEY_N},
	{0x32, false, KEY_M},
	{0x33, false, KEY_COMMA},
	{0x34, false, KEY_DOT},
	{0x35, false, KEY_SLASH},
	{0x36, false, KEY_RIGHTSHIFT},
	{0x36, true, KEY_RIGHTSHIFT},
	/* Row 5: modifiers and space */
	{0x1D, false, KEY_LEFTCTRL},
	{0x5B, true, KEY_LEFTMETA},
	{0x38, false, KEY_LEFTALT},
	{0x39, false, KEY_SPACE},
	{0x38, true, KEY_RIGHTALT},
	{0x5C, true, KEY_RIGHTMETA},
	{0x5D, true, KEY_COMPOSE},
	{0x1D, true, KEY_RIGHTCTRL},
	/* Navigation cluster (extended) */
	{0x52, true, KEY_INSERT},
	{0x47, true, KEY_HOME},
	{0x49, true, KEY_PAGEUP},
	{0x53, true, KEY_DELETE},
	{0x4F, true, KEY_END},
	{0x51, true, KEY_PAGEDOWN},
	{0x48, true, KEY_UP},
	{0x4B, true, KEY_LEFT},
	{0x50, true, KEY_DOWN},
	{0x4D, true, KEY_RIGHT},
	/* Keypad */
	{0x45, false, KEY_NUMLOCK},
	{0x45, true, KEY_NUMLOCK},
	{0x35, true, KEY_KPSLASH},
	{0x37, false, KEY_KPASTERISK},
	{0x4A, false, KEY_KPMINUS},
	{0x47, false, KEY_KP7},
	{0x48, false, KEY_KP8},
	{0x49, false, KEY_KP9},
	{0x4E, false, KEY_KPPLUS},
	{0x4B, false, KEY_KP4},
	{0x4C, false, KEY_KP5},
	{0x4D, false, KEY_KP6},
	{0x4F, false, KEY_KP1},
	{0x50, false, KEY_KP2},
	{0x51, false, KEY_KP3},
	{0x1C, true, KEY_KPENTER},
	{0x52, false, KEY_KP0},
	{0x53, false, KEY_KPDOT},
	{0x59, false, KEY_KPEQUAL},
	{0x7E, false, KEY_KPCOMMA},
	{0x5C, false, KEY_KPJPCOMMA},
	/* F13–F24 (F24 at both places clients use) */
	{0x64, false, KEY_F13},
	{0x65, false, KEY_F14},
	{0x66, false, KEY_F15},
	{0x67, false, KEY_F16},
	{0x68, false, KEY_F17},
	{0x69, false, KEY_F18},
	{0x6A, false, KEY_F19},
	{0x6B, false, KEY_F20},
	{0x6C, false, KEY_F21},
	{0x6D, false, KEY_F22},
	{0x6E, false, KEY_F23},
	{0x6F, false, KEY_F24},
	{0x76, false, KEY_F24},
	{0x63, false, KEY_HELP},
	/* Japanese and Korean keys */
	{0x70, false, KEY_KATAKANAHIRAGANA},
	{0x73, false, KEY_RO},
	{0x79, false, KEY_HENKAN},
	{0x7B, false, KEY_MUHENKAN},
	{0x7D, false, KEY_YEN},
	{0x71, false, KEY_HANJA},
	{0x72, false, KEY_HANGEUL},
	{0xF1, false, KEY_HANJA},
	{0xF2, false, KEY_HANGEUL},
	/* Power keys */
	{0x5E, true, KEY_POWER},
	{0x5F, true, KEY_SLEEP},
	{0x63, true, KEY_WAKEUP},
	/* Media and browser keys */
	{0x10, true, KEY_PREVIOUSSONG},
	{0x19, true, KEY_NEXTSONG},
	{0x20, true, KEY_MUTE},
	{0x22, true, KEY_PLAYPAUSE},
	{0x24, true, KEY_STOPCD},
	{0x2E, true, KEY_VOLUMEDOWN},
	{0x30, true, KEY_VOLUMEUP},
	{0x32, true, KEY_HOMEPAGE},
	{0x65, true, KEY_SEARCH},
	{0x66, true, KEY_BOOKMARKS},
	{0x67, true, KEY_REFRESH},
	{0x68, true, KEY_STOP},
	{0x69, true, KEY_FORWARD},
	{0x6A, true, KEY_BACK},
	{0x6B, true, KEY_COMPUTER},
	{0x6C, true, KEY_MAIL},
	{0x6D, true, KEY_MEDIA},
	{0x21, true, KEY_CALC},
};
/* clang-format on */

#define N_EXPECTED (sizeof(expected) / sizeof(expected[0]))

static uint16_t expected_code(uint8_t scancode, bool ext)
{
	for (size_t i = 0; i < N_EXPECTED; i++) {
		if (expected[i].scancode == scancode && expected[i].extended == ext) {
			return expected[i].code;
		}
	}
	return 0;
}

START_TEST(test_table_entry)
{
	const struct expect *e = &expected[_i];
	struct keymap_state st = { 0 };
	uint16_t code = 0;

	ck_assert_msg(keymap_rdp_to_evdev(e->scancode, e->extended) == e->code,
		      "%s0x%02X: got %u, want %u", e->extended ? "E0 " : "", e->scancode,
		      keymap_rdp_to_evdev(e->scancode, e->extended), e->code);
	ck_assert_int_eq(keymap_translate(&st, e->scancode, e->extended, false, true, &code), 1);
	ck_assert_uint_eq(code, e->code);
	ck_assert_int_eq(keymap_translate(&st, e->scancode, e->extended, false, false, &code), 1);
	ck_assert_uint_eq(code, e->code);
}
END_TEST

/* Every one of the 512 (scancode, extended) pairs: mapped exactly when the table above says so. */
START_TEST(test_every_pair)
{
	size_t mapped = 0;

	for (unsigned int sc = 0; sc < 256; sc++) {
		for (int ext = 0; ext < 2; ext++) {
			uint16_t got = keymap_rdp_to_evdev((uint8_t)sc, ext);
			uint16_t want = expected_code((uint8_t)sc, ext);

			ck_assert_msg(got == want, "%s0x%02X: got %u, want %u", ext ? "E0 " : "",
				      sc, got, want);
			mapped += got != 0;
		}
	}
	ck_assert_uint_eq(mapped, N_EXPECTED);
}
END_TEST

START_TEST(test_table_has_no_duplicates)
{
	for (size_t i = 0; i < N_EXPECTED; i++) {
		for (size_t j = i + 1; j < N_EXPECTED; j++) {
			ck_assert_msg(expected[i].scancode != expected[j].scancode ||
					      expected[i].extended != expected[j].extended,
				      "entry %zu repeats entry %zu", j, i);
		}
	}
}
END_TEST

/* A 105-key ISO keyboard has 105 keys; every one of them (Pause through the sequence) maps. */
START_TEST(test_iso105_count)
{
	static const struct {
		uint8_t sc;
		bool ext;
	} iso105[] = {
		{ 0x01, 0 }, { 0x3B, 0 }, { 0x3C, 0 }, { 0x3D, 0 }, { 0x3E, 0 }, { 0x3F, 0 },
		{ 0x40, 0 }, { 0x41, 0 }, { 0x42, 0 }, { 0x43, 0 }, { 0x44, 0 }, { 0x57, 0 },
		{ 0x58, 0 }, { 0x37, 1 }, { 0x46, 0 }, /* Pause separately */
		{ 0x29, 0 }, { 0x02, 0 }, { 0x03, 0 }, { 0x04, 0 }, { 0x05, 0 }, { 0x06, 0 },
		{ 0x07, 0 }, { 0x08, 0 }, { 0x09, 0 }, { 0x0A, 0 }, { 0x0B, 0 }, { 0x0C, 0 },
		{ 0x0D, 0 }, { 0x0E, 0 }, { 0x0F, 0 }, { 0x10, 0 }, { 0x11, 0 }, { 0x12, 0 },
		{ 0x13, 0 }, { 0x14, 0 }, { 0x15, 0 }, { 0x16, 0 }, { 0x17, 0 }, { 0x18, 0 },
		{ 0x19, 0 }, { 0x1A, 0 }, { 0x1B, 0 }, { 0x1C, 0 }, { 0x3A, 0 }, { 0x1E, 0 },
		{ 0x1F, 0 }, { 0x20, 0 }, { 0x21, 0 }, { 0x22, 0 }, { 0x23, 0 }, { 0x24, 0 },
		{ 0x25, 0 }, { 0x26, 0 }, { 0x27, 0 }, { 0x28, 0 }, { 0x2B, 0 }, { 0x2A, 0 },
		{ 0x56, 0 }, { 0x2C, 0 }, { 0x2D, 0 }, { 0x2E, 0 }, { 0x2F, 0 }, { 0x30, 0 },
		{ 0x31, 0 }, { 0x32, 0 }, { 0x33, 0 }, { 0x34, 0 }, { 0x35, 0 }, { 0x36, 0 },
		{ 0x1D, 0 }, { 0x5B, 1 }, { 0x38, 0 }, { 0x39, 0 }, { 0x38, 1 }, { 0x5C, 1 },
		{ 0x5D, 1 }, { 0x1D, 1 }, { 0x52, 1 }, { 0x47, 1 }, { 0x49, 1 }, { 0x53, 1 },
		{ 0x4F, 1 }, { 0x51, 1 }, { 0x48, 1 }, { 0x4B, 1 }, { 0x50, 1 }, { 0x4D, 1 },
		{ 0x45, 0 }, { 0x35, 1 }, { 0x37, 0 }, { 0x4A, 0 }, { 0x47, 0 }, { 0x48, 0 },
		{ 0x49, 0 }, { 0x4E, 0 }, { 0x4B, 0 }, { 0x4C, 0 }, { 0x4D, 0 }, { 0x4F, 0 },
		{ 0x50, 0 }, { 0x51, 0 }, { 0x1C, 1 }, { 0x52, 0 }, { 0x53, 0 },
	};
	uint16_t seen[105];

	ck_assert_uint_eq(sizeof(iso105) / sizeof(iso105[0]) + 1 /* Pause */, 105);
	for (size_t i = 0; i < sizeof(iso105) / sizeof(iso105[0]); i++) {
		seen[i] = keymap_rdp_to_evdev(iso105[i].sc, iso105[i].ext);
		ck_assert_msg(seen[i] != 0, "key %zu unmapped", i);
		for (size_t j = 0; j < i; j++) {
			ck_assert_msg(seen[j] != seen[i], "keys %zu and %zu both give %u", j, i,
				      seen[i]);
		}
	}
}
END_TEST

START_TEST(test_research_observations)
{
	/* §8 of the FreeRDP research: what xfreerdp sent and the KEY_* value that is right. */
	static const struct {
		uint8_t sc;
		bool ext;
		uint16_t code;
	} seen[] = {
		{ 0x1E, 0, 30 },  { 0x01, 0, 1 },   { 0x1C, 0, 28 },  { 0x1C, 1, 96 },
		{ 0x1D, 1, 97 },  { 0x38, 1, 100 }, { 0x5B, 1, 125 }, { 0x5D, 1, 127 },
		{ 0x4D, 1, 106 }, { 0x47, 1, 102 }, { 0x53, 1, 111 }, { 0x53, 0, 83 },
		{ 0x47, 0, 71 },  { 0x45, 0, 69 },  { 0x37, 1, 99 },  { 0x35, 1, 98 },
		{ 0x58, 0, 88 },
	};

	for (size_t i = 0; i < sizeof(seen) / sizeof(seen[0]); i++) {
		ck_assert_uint_eq(keymap_rdp_to_evdev(seen[i].sc, seen[i].ext), seen[i].code);
	}
}
END_TEST

START_TEST(test_pause_sequence)
{
	struct keymap_state st = { 0 };
	uint16_t code = 0;

	/* down: E1 1D, 45 */
	ck_assert_int_eq(keymap_translate(&st, 0x1D, false, true, true, &code), 1);
	ck_assert_uint_eq(code, KEY_PAUSE);
	ck_assert(st.pause_pending);
	code = 0;
	ck_assert_int_eq(keymap_translate(&st, 0x45, false, false, true, &code), 0);
	ck_assert_uint_eq(code, 0);
	ck_assert(!st.pause_pending);
	/* up: E1 1D, 45 */
	ck_assert_int_eq(keymap_translate(&st, 0x1D, false, true, false, &code), 1);
	ck_assert_uint_eq(code, KEY_PAUSE);
	code = 0;
	ck_assert_int_eq(keymap_translate(&st, 0x45, false, false, false, &code), 0);
	ck_assert_uint_eq(code, 0);

	/* A NumLock on its own afterwards is a NumLock again. */
	ck_assert_int_eq(keymap_translate(&st, 0x45, false, false, true, &code), 1);
	ck_assert_uint_eq(code, KEY_NUMLOCK);
	ck_assert_int_eq(keymap_translate(&st, 0x45, false, false, false, &code), 1);
	ck_assert_uint_eq(code, KEY_NUMLOCK);
}
END_TEST

START_TEST(test_pause_interrupted)
{
	struct keymap_state st = { 0 };
	uint16_t code = 0;

	ck_assert_int_eq(keymap_translate(&st, 0x1D, false, true, true, &code), 1);
	ck_assert_uint_eq(code, KEY_PAUSE);
	/* another key in between cancels the pending swallow */
	ck_assert_int_eq(keymap_translate(&st, 0x1E, false, false, true, &code), 1);
	ck_assert_uint_eq(code, KEY_A);
	ck_assert_int_eq(keymap_translate(&st, 0x45, false, false, true, &code), 1);
	ck_assert_uint_eq(code, KEY_NUMLOCK);

	/* a 0x45 in the other direction is not the Pause tail */
	ck_assert_int_eq(keymap_translate(&st, 0x1D, false, true, true, &code), 1);
	ck_assert_int_eq(keymap_translate(&st, 0x45, false, false, false, &code), 1);
	ck_assert_uint_eq(code, KEY_NUMLOCK);

	/* plain 0x1D without EXTENDED1 is still Left Ctrl */
	ck_assert_int_eq(keymap_translate(&st, 0x1D, false, false, true, &code), 1);
	ck_assert_uint_eq(code, KEY_LEFTCTRL);
}
END_TEST

START_TEST(test_unmapped)
{
	static const struct {
		uint8_t sc;
		bool ext;
		bool ext1;
	} unmapped[] = {
		{ 0x00, false, false }, { 0x55, false, false }, { 0x5A, false, false },
		{ 0x7F, false, false }, { 0x80, false, false }, { 0xFF, false, false },
		{ 0x2A, true, false }, /* fake shift */
		{ 0x00, true, false },  { 0x1E, true, false },  { 0xFF, true, false },
		{ 0x45, false, true }, /* EXTENDED1 with anything but 0x1D */
		{ 0x1E, false, true },
	};

	for (size_t i = 0; i < sizeof(unmapped) / sizeof(unmapped[0]); i++) {
		struct keymap_state st = { 0 };
		uint16_t code = 0xBEEF;

		ck_assert_int_eq(keymap_translate(&st, unmapped[i].sc, unmapped[i].ext,
						  unmapped[i].ext1, true, &code),
				 -ENOENT);
		ck_assert_uint_eq(code, 0xBEEF);
	}
}
END_TEST

static Suite *keymap_suite(void)
{
	Suite *s = suite_create("keymap");
	TCase *tc = tcase_create("keymap");

	tcase_add_loop_test(tc, test_table_entry, 0, (int)N_EXPECTED);
	tcase_add_test(tc, test_every_pair);
	tcase_add_test(tc, test_table_has_no_duplicates);
	tcase_add_test(tc, test_iso105_count);
	tcase_add_test(tc, test_research_observations);
	tcase_add_test(tc, test_pause_sequence);
	tcase_add_test(tc, test_pause_interrupted);
	tcase_add_test(tc, test_unmapped);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return shadow_test_run(keymap_suite());
}
