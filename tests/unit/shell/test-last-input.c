/* last-input: who typed or clicked last, for the tools' audit lines. Written in a directory
 * of the test's own. */

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "last-input.h"
#include "shell-test.h"

static void read_word(const char *dir, char *buf, size_t size)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, SHELL_LAST_INPUT_FILE);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "no %s", path);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

START_TEST(written_when_the_source_changes)
{
	char dir[] = "/tmp/shell-last-input-XXXXXX", run[128], path[160], buf[32];
	struct shell_last_input li;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* the directory may be missing */
	snprintf(run, sizeof(run), "%s/lifeline", dir);
	snprintf(path, sizeof(path), "%s/%s", run, SHELL_LAST_INPUT_FILE);
	shell_last_input_init(&li, run);
	umask(077);
	ck_assert_int_eq(shell_last_input_note(&li, SHELL_SOURCE_LOCAL), 1);
	read_word(run, buf, sizeof(buf));
	ck_assert_str_eq(buf, "keyboard\n");
	/* readable by the tools whatever the umask */
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	/* the same source again: not written (the file removed behind our back stays away) */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(shell_last_input_note(&li, SHELL_SOURCE_LOCAL), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* the helpdesk's key */
	ck_assert_int_eq(shell_last_input_note(&li, SHELL_SOURCE_REMOTE), 1);
	read_word(run, buf, sizeof(buf));
	ck_assert_str_eq(buf, "helpdesk\n");
	ck_assert_int_eq(shell_last_input_note(&li, SHELL_SOURCE_REMOTE), 0);
	ck_assert_int_eq(shell_last_input_note(&li, SHELL_SOURCE_LOCAL), 1);
	read_word(run, buf, sizeof(buf));
	ck_assert_str_eq(buf, "keyboard\n");
	/* no temporary file left behind */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rmdir(run), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(an_unwritable_place_is_an_error_tried_again)
{
	char dir[] = "/tmp/shell-last-input-XXXXXX", path[160];
	struct shell_last_input li;
	int r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* a file where the directory should be: no root can help that */
	snprintf(path, sizeof(path), "%s/file", dir);
	fclose(fopen(path, "w"));
	shell_last_input_init(&li, path);
	r = shell_last_input_note(&li, SHELL_SOURCE_REMOTE);
	ck_assert_int_lt(r, 0);
	/* not taken as written: the next input tries again */
	unlink(path);
	ck_assert_int_eq(shell_last_input_note(&li, SHELL_SOURCE_REMOTE), 1);
	snprintf(path, sizeof(path), "%s/file/%s", dir, SHELL_LAST_INPUT_FILE);
	unlink(path);
	snprintf(path, sizeof(path), "%s/file", dir);
	rmdir(path);
	rmdir(dir);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("shell-last-input");
	TCase *tc = tcase_create("last-input");

	tcase_add_test(tc, written_when_the_source_changes);
	tcase_add_test(tc, an_unwritable_place_is_an_error_tried_again);
	suite_add_tcase(s, tc);
	return s;
}
