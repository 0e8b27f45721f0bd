#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packages.h"
#include "toolset-test.h"

START_TEST(verify_lines)
{
	static const char out[] = "??5??????   /usr/bin/login\n"
				  "missing     /sbin/agetty\n"
				  "??5?????? c /etc/issue\n"
				  "missing   c /etc/gone.conf\n"
				  "garbage\n"
				  "??5?????? x /bad/attr\n"
				  "??5??????   /with\x1b[31mescape\n"
				  "??5??????   relative/path\n"
				  "??5??????   /trunc";
	struct packages_verify v = { 0 };
	ck_assert_int_eq(packages_verify_parse(&v, out, NULL), 0);
	ck_assert_uint_eq(v.n, 6);
	ck_assert_uint_eq(v.dropped, 3);
	ck_assert_str_eq(v.f[0].path, "/usr/bin/login");
	ck_assert(!v.f[0].missing && !v.f[0].conffile);
	ck_assert_str_eq(v.f[0].flags, "??5??????");
	ck_assert(v.f[1].missing && !v.f[1].conffile);
	ck_assert(v.f[2].conffile && !v.f[2].missing);
	ck_assert(v.f[3].conffile && v.f[3].missing);
	ck_assert_ptr_null(strchr(v.f[4].path, '\x1b'));
	ck_assert_str_eq(v.f[5].path, "/trunc");

	packages_search_parse(&v, "login: /usr/bin/login\n"
				  "diversion by foo from: /sbin/agetty\n"
				  "util-linux, other: /sbin/agetty\n"
				  "base-files:amd64: /etc/issue\n"
				  "BAD NAME: /etc/gone.conf\n"
				  "no separator here\n");
	ck_assert_str_eq(v.f[0].package, "login");
	ck_assert_str_eq(v.f[1].package, "util-linux");
	ck_assert_str_eq(v.f[2].package, "base-files");
	ck_assert_str_eq(v.f[3].package, "");
	packages_verify_free(&v);
}
END_TEST

START_TEST(verify_huge)
{
	/* more files than kept, and a path longer than a field */
	size_t n = PACKAGES_FILES_MAX + 10;
	char *big = malloc(n * 24 + 2000);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		k += (size_t)sprintf(big + k, "missing     /f/%zu\n", i);
	}
	k += (size_t)sprintf(big + k, "missing     /");
	memset(big + k, 'a', 1500);
	big[k + 1500] = '\0';
	struct packages_verify v = { 0 };
	ck_assert_int_eq(packages_verify_parse(&v, big, NULL), 0);
	ck_assert_uint_eq(v.n, PACKAGES_FILES_MAX);
	ck_assert_uint_eq(v.dropped, 11);
	packages_verify_free(&v);
	free(big);
	ck_assert_int_eq(packages_verify_parse(&v, NULL, NULL), 0);
	ck_assert_uint_eq(v.n, 0);
}
END_TEST

static const char history[] =
	"\n"
	"Start-Date: 2026-12-01  10:00:00\n"
	"Commandline: apt-get install -y lifeline-demo=1.0\n"
	"Install: lifeline-demo:amd64 (1.0)\n"
	"End-Date: 2026-12-01  10:00:01\n"
	"\n"
	"Start-Date: 2026-12-02  11:00:00\n"
	"Commandline: apt-get install -y lifeline-demo lifeline-extra\n"
	"Requested-By: alice (1000)\n"
	"Install: lifeline-extra:amd64 (1.0), libfoo1:amd64 (1:2.3-1, automatic)\n"
	"Upgrade: lifeline-demo:amd64 (1.0, 2.0)\n"
	"Remove: oldpkg:amd64 (0.9)\n"
	"Downgrade: x11-common (1:7.7+24, 1:7.7+23)\n"
	"End-Date: 2026-12-02  11:00:02\n";

START_TEST(verify_filters)
{
	static const char cfg[] = "# mmdebstrap\n"
				  "path-exclude=/usr/share/doc/*\n"
				  "path-include=/usr/share/doc/*/copyright\n"
				  "path-exclude /usr/share/man/*\n"
				  "path-exclude=relative/*\n"
				  "force-unsafe-io\n";
	struct packages_filters *f = calloc(1, sizeof(*f));
	packages_filters_parse(f, cfg);
	ck_assert_uint_eq(f->n, 3);
	ck_assert(packages_filters_excluded(f, "/usr/share/doc/login/NEWS.gz"));
	ck_assert(!packages_filters_excluded(f, "/usr/share/doc/login/copyright"));
	ck_assert(packages_filters_excluded(f, "/usr/share/man/man1/login.1.gz"));
	ck_assert(!packages_filters_excluded(f, "/usr/bin/login"));
	static const char out[] = "missing     /usr/share/doc/login/NEWS.gz\n"
				  "missing     /usr/share/doc/login/copyright\n"
				  "??5??????   /usr/share/doc/login/changelog.gz\n"
				  "missing     /sbin/agetty\n";
	struct packages_verify v = { 0 };
	ck_assert_int_eq(packages_verify_parse(&v, out, f), 0);
	ck_assert_uint_eq(v.excluded, 1);
	ck_assert_uint_eq(v.n, 3); /* a changed file is damage even where nothing was wanted */
	ck_assert_str_eq(v.f[0].path, "/usr/share/doc/login/copyright");
	packages_verify_free(&v);
	/* more rules than kept: bounded */
	char *many = malloc(PACKAGES_FILTERS_MAX * 40 + 100);
	size_t k = 0;
	for (int i = 0; i < PACKAGES_FILTERS_MAX + 10; i++) {
		k += (size_t)sprintf(many + k, "path-exclude=/x/%d/*\n", i);
	}
	packages_filters_parse(f, many);
	ck_assert_uint_eq(f->n, PACKAGES_FILTERS_MAX);
	free(many);
	free(f);
}
END_TEST

START_TEST(history_parse)
{
	struct packages_history h = { 0 };
	ck_assert_int_eq(packages_history_parse(&h, history, strlen(history)), 0);
	packages_history_number(&h);
	ck_assert_uint_eq(h.n, 2);
	const struct packages_transaction *last = packages_history_find(&h, 1);
	ck_assert_str_eq(last->start, "2026-12-02  11:00:00");
	ck_assert_str_eq(last->commandline, "apt-get install -y lifeline-demo lifeline-extra");
	ck_assert_str_eq(last->requested_by, "alice (1000)");
	ck_assert_uint_eq(last->n, 5);
	ck_assert_uint_eq(last->dropped, 0);
	ck_assert_int_eq(last->ch[0].action, PACKAGES_INSTALL);
	ck_assert_str_eq(last->ch[0].name, "lifeline-extra");
	ck_assert_str_eq(last->ch[0].arch, "amd64");
	ck_assert_str_eq(last->ch[1].version, "1:2.3-1");
	ck_assert(last->ch[1].automatic);
	ck_assert_int_eq(last->ch[2].action, PACKAGES_UPGRADE);
	ck_assert_str_eq(last->ch[2].old_version, "1.0");
	ck_assert_str_eq(last->ch[2].version, "2.0");
	ck_assert_int_eq(last->ch[3].action, PACKAGES_REMOVE);
	ck_assert_str_eq(last->ch[3].version, "0.9");
	ck_assert_int_eq(last->ch[4].action, PACKAGES_DOWNGRADE);
	ck_assert_str_eq(last->ch[4].arch, "");
	ck_assert_str_eq(last->ch[4].old_version, "1:7.7+24");
	const struct packages_transaction *first = packages_history_find(&h, 2);
	ck_assert_str_eq(first->ch[0].name, "lifeline-demo");
	ck_assert_ptr_null(packages_history_find(&h, 3));
	/* a rotated (older) file parsed after counts as older when fed first; here: appended */
	packages_history_free(&h);
}
END_TEST

START_TEST(history_hostile)
{
	static const char bad[] =
		"Install: orphan:amd64 (1.0)\n" /* before any Start-Date: ignored */
		"Start-Date: 2026\x01-12-03\n"
		"Commandline: apt-get \x1b[2Jinstall \xff\xfe\n"
		"Install: ok-pkg:amd64 (1.0), -o:amd64 (1.0), evil;rm:amd64 (1), nov:amd64 (), "
		"two:amd64 (1, 2, 3), Upper:amd64 (1), ver:amd64 (--opt), unterminated:amd64 (1.0\n"
		"Upgrade: onlyone:amd64 (1.0)\n"
		"Error: Sub-process /usr/bin/dpkg returned an error code (1)\n";
	struct packages_history h = { 0 };
	ck_assert_int_eq(packages_history_parse(&h, bad, strlen(bad)), 0);
	packages_history_number(&h);
	ck_assert_uint_eq(h.n, 1);
	const struct packages_transaction *t = &h.t[0];
	ck_assert_uint_eq(t->n, 1);
	ck_assert_str_eq(t->ch[0].name, "ok-pkg");
	ck_assert_uint_eq(t->dropped, 8);
	ck_assert(t->error);
	ck_assert_str_eq(t->end, "");
	for (const char *p = t->commandline; *p; p++) {
		ck_assert((unsigned char)*p >= 0x20 && *p != 0x7f);
	}
	ck_assert_ptr_null(strchr(t->start, '\x01'));
	packages_history_free(&h);
}
END_TEST

START_TEST(history_huge)
{
	/* one Install line of 10000 packages (megabytes without a newline), cut at the maximum */
	size_t n = 10000;
	char *big = malloc(n * 40 + 200);
	size_t k = (size_t)sprintf(big, "Start-Date: x\nInstall: ");
	for (size_t i = 0; i < n; i++) {
		k += (size_t)sprintf(big + k, "pkg%zu:amd64 (1.%zu), ", i, i);
	}
	k += (size_t)sprintf(big + k, "last:amd64 (1)\nEnd-Date: y");
	struct packages_history h = { 0 };
	ck_assert_int_eq(packages_history_parse(&h, big, k), 0);
	ck_assert_uint_eq(h.n, 1);
	ck_assert_uint_eq(h.t[0].n, PACKAGES_CHANGES_MAX);
	ck_assert_uint_eq(h.t[0].dropped, n + 1 - PACKAGES_CHANGES_MAX);
	ck_assert_str_eq(h.t[0].ch[4095].name, "pkg4095");
	ck_assert_str_eq(h.t[0].end, "y");
	packages_history_free(&h);
	/* more transactions than kept: the newest stay */
	h = (struct packages_history){ 0 };
	for (int i = 0; i < PACKAGES_TRANSACTIONS_MAX + 5; i++) {
		char one[100];
		int l = snprintf(one, sizeof(one), "Start-Date: %d\nInstall: p%d:amd64 (1)\n", i,
				 i);
		ck_assert_int_eq(packages_history_parse(&h, one, (size_t)l), 0);
	}
	packages_history_number(&h);
	ck_assert_uint_eq(h.n, PACKAGES_TRANSACTIONS_MAX);
	char want[16];
	snprintf(want, sizeof(want), "%d", PACKAGES_TRANSACTIONS_MAX + 4);
	ck_assert_str_eq(packages_history_find(&h, 1)->start, want);
	packages_history_free(&h);
	free(big);
}
END_TEST

START_TEST(names)
{
	char buf[256];
	packages_deb_name(buf, sizeof(buf), "login", "1:4.13+dfsg1-1+b1", "amd64");
	ck_assert_str_eq(buf, "login_1%3a4.13+dfsg1-1+b1_amd64.deb");
	ck_assert(packages_valid_name("util-linux"));
	ck_assert(!packages_valid_name("-o"));
	ck_assert(!packages_valid_name("a"));
	ck_assert(!packages_valid_name("../x"));
	ck_assert(packages_valid_version("2.38.1-5+deb12u1"));
	ck_assert(!packages_valid_version("--allow"));
	ck_assert(!packages_valid_version("1 2"));
	ck_assert(packages_valid_arch("amd64"));
	ck_assert(!packages_valid_arch("amd64/../"));
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("packages");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, verify_lines);
	tcase_add_test(tc, verify_huge);
	tcase_add_test(tc, verify_filters);
	tcase_add_test(tc, history_parse);
	tcase_add_test(tc, history_hostile);
	tcase_add_test(tc, history_huge);
	tcase_add_test(tc, names);
	suite_add_tcase(s, tc);
	return s;
}
