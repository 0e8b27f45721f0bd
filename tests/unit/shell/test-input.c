/* Local versus remote devices, keyboard layout names, and the kernel command line. */

#include <errno.h>

#include "host.h"
#include "input.h"
#include "shell-test.h"

START_TEST(classify_devices)
{
	/* the helpdesk's uinput devices */
	ck_assert_int_eq(shell_input_classify("Lifeline remote keyboard",
					      "/sys/devices/virtual/input/input7", false),
			 SHELL_SOURCE_REMOTE);
	ck_assert_int_eq(shell_input_classify("Lifeline remote pointer",
					      "/sys/devices/virtual/input/input8", true),
			 SHELL_SOURCE_REMOTE);
	/* even if someone trusts virtual devices, or the name shows up elsewhere */
	ck_assert_int_eq(
		shell_input_classify("Lifeline remote keyboard", "/sys/devices/pci0/usb1", true),
		SHELL_SOURCE_REMOTE);
	/* real keyboards and mice */
	ck_assert_int_eq(shell_input_classify("AT Translated Set 2 keyboard",
					      "/sys/devices/platform/i8042/serio0/input/input1",
					      false),
			 SHELL_SOURCE_LOCAL);
	ck_assert_int_eq(shell_input_classify("QEMU QEMU USB Tablet",
					      "/sys/devices/pci0000:00/0000:00:01.2/usb1/1-1/"
					      "1-1:1.0/0003:0627:0001.0001/input/input4",
					      false),
			 SHELL_SOURCE_LOCAL);
	/* another uinput device made from a remote root shell does not count as local... */
	ck_assert_int_eq(shell_input_classify("AT Translated Set 2 keyboard",
					      "/sys/devices/virtual/input/input9", false),
			 SHELL_SOURCE_REMOTE);
	/* ...unless the image says virtual devices are trusted */
	ck_assert_int_eq(shell_input_classify("AT Translated Set 2 keyboard",
					      "/sys/devices/virtual/input/input9", true),
			 SHELL_SOURCE_LOCAL);
	ck_assert_int_eq(shell_input_classify(NULL, NULL, false), SHELL_SOURCE_LOCAL);
}
END_TEST

START_TEST(parse_layouts)
{
	char l[16], v[32];

	ck_assert_int_eq(shell_input_parse_layout("de", l, sizeof(l), v, sizeof(v)), 0);
	ck_assert_str_eq(l, "de");
	ck_assert_str_eq(v, "");
	ck_assert_int_eq(shell_input_parse_layout("de:nodeadkeys", l, sizeof(l), v, sizeof(v)), 0);
	ck_assert_str_eq(l, "de");
	ck_assert_str_eq(v, "nodeadkeys");
	ck_assert_int_eq(shell_input_parse_layout("fr(bepo)", l, sizeof(l), v, sizeof(v)), 0);
	ck_assert_str_eq(l, "fr");
	ck_assert_str_eq(v, "bepo");
	static const char *bad[] = { "",      ":x",   "de:",
				     "de(x",  "de()", "d e",
				     "us;rm", "../x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(shell_input_parse_layout(bad[i], l, sizeof(l), v, sizeof(v)) ==
				      -EINVAL,
			      "%s", bad[i]);
	}
}
END_TEST

START_TEST(parse_cmdline)
{
	struct shell_cmdline c;

	shell_cmdline_parse("BOOT_IMAGE=/vmlinuz quiet lifeline.keymap=de:nodeadkeys "
			    "lifeline.remote=auto console=ttyS0\n",
			    &c);
	ck_assert_str_eq(c.keymap, "de:nodeadkeys");
	ck_assert(c.remote_auto);
	shell_cmdline_parse("lifeline.remote=autox xlifeline.keymap=fr", &c);
	ck_assert_str_eq(c.keymap, "");
	ck_assert(!c.remote_auto);
	shell_cmdline_parse("", &c);
	ck_assert(!c.remote_auto);
	shell_cmdline_parse("console=ttyS0 lifeline.announce=/dev/ttyS0", &c);
	ck_assert_str_eq(c.announce, "/dev/ttyS0");
	/* never a file */
	shell_cmdline_parse("lifeline.announce=/etc/passwd", &c);
	ck_assert_str_eq(c.announce, "");
	shell_cmdline_parse("lifeline.announce=/dev/tty/../../etc/x", &c);
	ck_assert_str_eq(c.announce, "");
	/* the test aid: a number of milliseconds up to 10 s, anything else is ignored */
	shell_cmdline_parse("quiet lifeline.debug-stall=1500 x", &c);
	ck_assert_uint_eq(c.debug_stall_ms, 1500);
	shell_cmdline_parse("lifeline.debug-stall=10001", &c);
	ck_assert_uint_eq(c.debug_stall_ms, 0);
	shell_cmdline_parse("lifeline.debug-stall=15x", &c);
	ck_assert_uint_eq(c.debug_stall_ms, 0);
	shell_cmdline_parse("lifeline.debug-stall=", &c);
	ck_assert_uint_eq(c.debug_stall_ms, 0);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("shell-input");
	TCase *tc = tcase_create("input");

	tcase_add_test(tc, classify_devices);
	tcase_add_test(tc, parse_layouts);
	tcase_add_test(tc, parse_cmdline);
	suite_add_tcase(s, tc);
	return s;
}
