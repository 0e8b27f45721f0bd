#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "toolset-test.h"

static const char passwd[] =
	"root:x:0:0:root:/root:/bin/bash\n"
	"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	"alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
	"bob:x:1001:1001::/home/bob:/bin/sh\n"
	"evil name:x:1002:1002::/:/bin/sh\n"
	"trunc:x\n"
	"carol:x:notanumber:1003::/:/bin/sh\n";

/* today = 20000 days since 1970 */
static const char shadow[] =
	"root:!:19000:0:99999:7:::\n"
	"daemon:*:19000:0:99999:7:::\n"
	"alice:!$y$j9T$salt$hash:19000:0:99999:7::19500:\n"
	"bob:$6$salt$hash:0:0:99999:7:::\n";

static const char group[] =
	"root:x:0:\n"
	"sudo:x:27:bob\n"
	"alice:x:1000:\n";

START_TEST(parse_states)
{
	struct accounts *a = malloc(sizeof(*a));
	accounts_parse(a, passwd, shadow, group, 20000);
	ck_assert_uint_eq(a->n, 4); /* the bad lines are skipped */
	ck_assert_str_eq(a->admin_group, "sudo");

	const struct accounts_entry *root = accounts_find(a, "root");
	ck_assert_ptr_nonnull(root);
	ck_assert(root->locked && root->no_password && !root->expired);

	const struct accounts_entry *alice = accounts_find(a, "alice");
	ck_assert(alice->locked && !alice->no_password && alice->expired && !alice->admin);
	ck_assert_int_eq(alice->expire_day, 19500);

	const struct accounts_entry *bob = accounts_find(a, "bob");
	ck_assert(!bob->locked && bob->password_expired && bob->admin && bob->login);

	const struct accounts_entry *daemon = accounts_find(a, "daemon");
	ck_assert(!daemon->login && daemon->no_password);
	ck_assert_ptr_null(accounts_find(a, "evil name"));
	ck_assert_ptr_null(accounts_find(a, "carol"));
	free(a);
}
END_TEST

START_TEST(unlock_line)
{
	bool no_hash;
	char *out = accounts_unlock_shadow(shadow, "alice", 20000, false, &no_hash);
	ck_assert_ptr_nonnull(out);
	ck_assert(!no_hash);
	/* the lock and the expiry are gone; everything else is unchanged */
	ck_assert_str_eq(out, "root:!:19000:0:99999:7:::\n"
			      "daemon:*:19000:0:99999:7:::\n"
			      "alice:$y$j9T$salt$hash:19000:0:99999:7:::\n"
			      "bob:$6$salt$hash:0:0:99999:7:::\n");
	free(out);

	out = accounts_unlock_shadow(shadow, "bob", 20000, true, &no_hash);
	ck_assert_ptr_nonnull(strstr(out, "bob:$6$salt$hash:20000:0:99999:7:::\n"));
	free(out);

	out = accounts_unlock_shadow(shadow, "root", 20000, false, &no_hash);
	ck_assert(no_hash); /* "!" alone: unlocking needs a new password */
	free(out);

	ck_assert_ptr_null(accounts_unlock_shadow(shadow, "nobody", 20000, false, &no_hash));
}
END_TEST

START_TEST(names)
{
	ck_assert(accounts_valid_name("alice"));
	ck_assert(accounts_valid_name("machine$"));
	ck_assert(!accounts_valid_name(""));
	ck_assert(!accounts_valid_name("-rf"));
	ck_assert(!accounts_valid_name("a:b"));
	ck_assert(!accounts_valid_name("a\nb"));
	ck_assert(!accounts_valid_name("abcdefghijabcdefghijabcdefghijabc"));
}
END_TEST

START_TEST(windows_list)
{
	static const char out[] = "01f4:Administrator:1:8011:14\n"
				  "03e9:alice:1:10:0\n"
				  "03ea:b\x1b[2Job:0:210:14\n"
				  "zzzz:bad:0:10:14\n"
				  "03eb:toomany:0:10:14:99\n"
				  "03ec::0:10:14\n"
				  "03ed:big:0:123456789:14\n"
				  "03ee:short:0\n"
				  "sam_get_machine_sid: Machine SID not found in SAM\n"
				  "03ef:last:2:10:14";
	struct accounts_windows *a = malloc(sizeof(*a));
	accounts_windows_parse(a, out);
	ck_assert_uint_eq(a->n, 3);
	ck_assert_str_eq(a->e[0].name, "Administrator");
	ck_assert_uint_eq(a->e[0].rid, 0x1f4);
	ck_assert(a->e[0].admin);
	ck_assert_uint_eq(a->e[0].acb, 0x8011);
	ck_assert_uint_eq(a->e[1].hash_len, 0);
	ck_assert_ptr_null(strchr(a->e[2].name, '\x1b'));
	ck_assert_ptr_nonnull(accounts_windows_find(a, "ALICE"));
	ck_assert_ptr_null(accounts_windows_find(a, "last"));
	accounts_windows_parse(a, NULL);
	ck_assert_uint_eq(a->n, 0);
	/* a line longer than any field: skipped, no overflow */
	char *big = malloc(100000);
	memset(big, 'x', 99999);
	big[99999] = '\0';
	memcpy(big, "0001:", 5);
	accounts_windows_parse(a, big);
	ck_assert_uint_eq(a->n, 0);
	free(big);
	free(a);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("toolset-accounts");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parse_states);
	tcase_add_test(tc, unlock_line);
	tcase_add_test(tc, names);
	tcase_add_test(tc, windows_list);
	suite_add_tcase(s, tc);
	return s;
}
