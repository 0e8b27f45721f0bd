/* RDP keyboard layout ids → XKB names: known ids, the language fallback, and that every name
 * the table can give is one xkeyboard-config really has (a typo would silently leave the
 * helpdesk on the console's layout). */

#include <stdint.h>
#include <xkbcommon/xkbcommon.h>

#include "keyboard-layout.h"
#include "shadow-test.h"

static void expect(uint32_t id, const char *layout, const char *variant)
{
	const char *l = NULL, *v = NULL;

	ck_assert_msg(keyboard_layout_from_id(id, &l, &v) == 0, "0x%08x not found", id);
	ck_assert_msg(strcmp(l, layout) == 0 && strcmp(v, variant) == 0,
		      "0x%08x: got %s(%s), want %s(%s)", id, l, v, layout, variant);
}

START_TEST(test_known)
{
	expect(0x00000409, "us", "");
	expect(0x00000407, "de", "");
	expect(0x0000040c, "fr", "");
	expect(0x00000809, "gb", "");
	expect(0x00000807, "ch", "");
	expect(0x0000100c, "ch", "fr");
	expect(0x00010409, "us", "dvorak");
	expect(0x00020409, "us", "intl");
}
END_TEST

START_TEST(test_fallback)
{
	const char *l = "x", *v = "x";

	/* German (Austria), French (Luxembourg): the language's main layout */
	expect(0x00000c07, "de", "");
	expect(0x0000140c, "fr", "");
	/* an unknown variant slot of a known layout */
	expect(0x00070407, "de", "");
	ck_assert_int_eq(keyboard_layout_from_id(0, &l, &v), -ENOENT);
	ck_assert_int_eq(keyboard_layout_from_id(0xffffffff, &l, &v), -ENOENT);
	ck_assert_int_eq(keyboard_layout_from_id(0x0000047f, &l, &v), -ENOENT);
	ck_assert_str_eq(l, "x"); /* untouched on failure */
}
END_TEST

START_TEST(test_every_name_compiles)
{
	struct xkb_context *ctx = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	const char *seen[256][2];
	size_t n_seen = 0, n_ids = 0;

	ck_assert_ptr_nonnull(ctx);
	for (uint32_t hi = 0; hi < 8; hi++) {
		for (uint32_t lo = 0; lo < 0x2000; lo++) {
			uint32_t id = hi << 16 | lo;
			const char *l, *v;
			bool dup = false;

			if (keyboard_layout_from_id(id, &l, &v) < 0) {
				continue;
			}
			n_ids++;
			for (size_t i = 0; i < n_seen; i++) {
				dup = dup || (seen[i][0] == l && seen[i][1] == v);
			}
			if (dup) {
				continue;
			}
			ck_assert_uint_lt(n_seen, 256);
			seen[n_seen][0] = l;
			seen[n_seen][1] = v;
			n_seen++;

			struct xkb_rule_names names = { .model = "pc105",
							.layout = l,
							.variant = v[0] ? v : NULL };
			struct xkb_keymap *km =
				xkb_keymap_new_from_names(ctx, &names, XKB_KEYMAP_COMPILE_NO_FLAGS);

			ck_assert_msg(km, "0x%08x: xkb has no layout %s(%s)", id, l, v);
			xkb_keymap_unref(km);
		}
	}
	ck_assert_uint_gt(n_seen, 40);
	ck_assert_uint_gt(n_ids, n_seen);
	xkb_context_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("keyboard-layout");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_known);
	tcase_add_test(tc, test_fallback);
	tcase_add_test(tc, test_every_name_compiles);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return shadow_test_run(s);
}
