#include <stdlib.h>
#include <string.h>

#include "systems.h"
#include "toolset-test.h"

START_TEST(os_release)
{
	const char text[] = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
			    "NAME='Debian'\n"
			    "VERSION_ID=12  \n"
			    "  ID=debian\n"
			    "HOME_URL=\"https://x/\\\"q\\\"\"\n";
	char v[64];
	ck_assert(systems_os_release_value(text, "PRETTY_NAME", v, sizeof(v)));
	ck_assert_str_eq(v, "Debian GNU/Linux 12 (bookworm)");
	ck_assert(systems_os_release_value(text, "NAME", v, sizeof(v)));
	ck_assert_str_eq(v, "Debian");
	ck_assert(systems_os_release_value(text, "VERSION_ID", v, sizeof(v)));
	ck_assert_str_eq(v, "12");
	ck_assert(systems_os_release_value(text, "ID", v, sizeof(v)));
	ck_assert_str_eq(v, "debian");
	ck_assert(systems_os_release_value(text, "HOME_URL", v, sizeof(v)));
	ck_assert_str_eq(v, "https://x/\"q\"");
	ck_assert(!systems_os_release_value(text, "VERSION", v, sizeof(v)));
	/* bounded: a long value is cut, not overflowed */
	char small[5];
	ck_assert(systems_os_release_value(text, "PRETTY_NAME", small, sizeof(small)));
	ck_assert_str_eq(small, "Debi");
}
END_TEST

START_TEST(find_source)
{
	struct systems_dev devs[3] = {
		{ .path = "/dev/vda1", .uuid = "1111-AAAA", .label = "root", .partuuid = "abc-01" },
		{ .path = "/dev/vda2", .uuid = "2222", .partlabel = "data" },
		{ .path = "/dev/mapper/vg-lv", .uuid = "3333" },
	};
	struct systems s = { .devs = devs, .n_devs = 3 };
	ck_assert_int_eq(systems_find_source(&s, "UUID=1111-aaaa"), 0); /* FAT ids: any case */
	ck_assert_int_eq(systems_find_source(&s, "UUID=\"2222\""), 1);
	ck_assert_int_eq(systems_find_source(&s, "LABEL=root"), 0);
	ck_assert_int_eq(systems_find_source(&s, "PARTUUID=abc-01"), 0);
	ck_assert_int_eq(systems_find_source(&s, "PARTLABEL=data"), 1);
	ck_assert_int_eq(systems_find_source(&s, "/dev/mapper/vg-lv"), 2);
	ck_assert_int_lt(systems_find_source(&s, "UUID=9999"), 0);
	ck_assert_int_lt(systems_find_source(&s, "LABEL="), 0);
	ck_assert_int_lt(systems_find_source(&s, "server:/export"), 0);
}
END_TEST

START_TEST(select_system)
{
	struct systems_dev devs[2] = { { .path = "/dev/vda1" }, { .path = "/dev/vdb1" } };
	struct systems_system sys[2] = { { .id = "debian-11112222", .root = 0 },
					 { .id = "debian-11113333", .root = 1 } };
	struct systems s = { .devs = devs, .n_devs = 2, .sys = sys, .n_sys = 2 };
	const struct systems_system *y;
	char why[256];
	ck_assert_int_lt(systems_select(&s, NULL, &y, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "--system"));
	ck_assert_int_eq(systems_select(&s, "debian-11113", &y, why, sizeof(why)), 0);
	ck_assert_ptr_eq(y, &sys[1]);
	ck_assert_int_eq(systems_select(&s, "/dev/vda1", &y, why, sizeof(why)), 0);
	ck_assert_ptr_eq(y, &sys[0]);
	ck_assert_int_lt(systems_select(&s, "debian-1111", &y, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "more than one"));
	ck_assert_int_lt(systems_select(&s, "fedora", &y, why, sizeof(why)), 0);
	s.n_sys = 1;
	ck_assert_int_eq(systems_select(&s, NULL, &y, why, sizeof(why)), 0);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("toolset-systems");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, os_release);
	tcase_add_test(tc, find_source);
	tcase_add_test(tc, select_system);
	suite_add_tcase(s, tc);
	return s;
}
