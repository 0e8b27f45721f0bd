/* The audit log's last lines for the Remote Connection panel: the tail, the cleaning of hostile
 * text, reading the end of a large file, and the state redrawing only for new lines. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "changes.h"
#include "shell-test.h"

#define L1 "2026-12-07T06:50:01Z debian-11111111 fsck (keyboard): repaired /dev/sda2"
#define L2 "2026-12-07T06:54:50Z debian-11111111 locksmith (helpdesk): new password for root"
#define L3 "2026-12-07T06:55:12Z debian-11111111 locksmith (helpdesk): unlocked anna"
#define L4 "2026-12-07T06:58:40Z debian-11111111 bootrepair (helpdesk): GRUB reinstalled"

static size_t tail(const char *text, bool cut, char (*out)[SHELL_CHANGE_TEXT])
{
	return shell_changes_tail(text, strlen(text), cut, out, SHELL_CHANGES_LINES);
}

START_TEST(last_three_lines_oldest_first)
{
	char out[SHELL_CHANGES_LINES][SHELL_CHANGE_TEXT];

	ck_assert_uint_eq(tail(L1 "\n" L2 "\n" L3 "\n" L4 "\n", false, out), 3);
	ck_assert_str_eq(out[0], L2);
	ck_assert_str_eq(out[1], L3);
	ck_assert_str_eq(out[2], L4);
	/* fewer lines than asked for: all of them, at the front */
	ck_assert_uint_eq(tail(L1 "\n" L2 "\n", false, out), 2);
	ck_assert_str_eq(out[0], L1);
	ck_assert_str_eq(out[1], L2);
	/* empty lines are no changes; a last line without its newline is one */
	ck_assert_uint_eq(tail(L1 "\n\n\n" L2 "\n\n" L3, false, out), 3);
	ck_assert_str_eq(out[0], L1);
	ck_assert_str_eq(out[1], L2);
	ck_assert_str_eq(out[2], L3);
	ck_assert_uint_eq(tail("", false, out), 0);
	ck_assert_uint_eq(tail("\n\n", false, out), 0);
	/* read from an offset: the piece before the first newline is half a line */
	ck_assert_uint_eq(tail("password for root\n" L3 "\n", true, out), 1);
	ck_assert_str_eq(out[0], L3);
	ck_assert_uint_eq(tail("half a line", true, out), 0);
	ck_assert_uint_eq(
		shell_changes_tail(L1 "\n" L2 "\n", strlen(L1 "\n" L2 "\n"), false, out, 1), 1);
	ck_assert_str_eq(out[0], L2);
}
END_TEST

START_TEST(hostile_text_is_cleaned_and_cut)
{
	char out[SHELL_CHANGE_TEXT], small[16], line[600];

	/* escape sequences, C1 controls, bidi overrides, bad UTF-8, NUL; tabs become spaces */
	shell_changes_clean("a\033[2Jb\tc\xc2\x9b"
			    "d\xe2\x80\xae"
			    "e\xff"
			    "f",
			    17, out, sizeof(out));
	ck_assert_str_eq(out, "a?[2Jb c?d?e?f");
	shell_changes_clean("x\0y", 3, out, sizeof(out));
	ck_assert_str_eq(out, "x?y");
	/* text in other scripts stays */
	shell_changes_clean("Zoë ✓ 日本", strlen("Zoë ✓ 日本"), out, sizeof(out));
	ck_assert_str_eq(out, "Zoë ✓ 日本");
	/* cut at a character boundary with an ellipsis; what fits exactly is not cut */
	shell_changes_clean("0123456789abcdef", 16, small, sizeof(small));
	ck_assert_str_eq(small, "0123456789ab…");
	shell_changes_clean("0123456789abcde", 15, small, sizeof(small));
	ck_assert_str_eq(small, "0123456789abcde");
	shell_changes_clean("ééééééééé", strlen("ééééééééé"), small, sizeof(small));
	ck_assert_str_eq(small, "éééééé…");
	/* a long line in the log: one cut line */
	memset(line, 'x', sizeof(line) - 2);
	line[sizeof(line) - 2] = '\n';
	line[sizeof(line) - 1] = '\0';
	{
		char lines[SHELL_CHANGES_LINES][SHELL_CHANGE_TEXT];

		ck_assert_uint_eq(tail(line, false, lines), 1);
		ck_assert_uint_eq(strlen(lines[0]), SHELL_CHANGE_TEXT - 4 + 3);
		ck_assert_str_eq(lines[0] + strlen(lines[0]) - 3, "…");
	}
}
END_TEST

static void write_file(const char *path, const char *text, size_t pad)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	/* many old lines before, so that only the end of the file is read */
	for (size_t i = 0; i < pad; i++) {
		fprintf(f, "2026-12-07T05:00:00Z debian-11111111 logs (keyboard): old line %zu\n",
			i);
	}
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(reads_the_end_of_the_file)
{
	char dir[] = "/tmp/shell-changes-XXXXXX", path[128];
	char out[SHELL_CHANGES_LINES][SHELL_CHANGE_TEXT];
	size_t n = 99;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, SHELL_CHANGES_FILE);
	/* no log yet: no changes */
	ck_assert_int_eq(shell_changes_read(path, out, SHELL_CHANGES_LINES, &n), 0);
	ck_assert_uint_eq(n, 0);
	write_file(path, L1 "\n" L2 "\n" L3 "\n", 2000);
	ck_assert_int_eq(shell_changes_read(path, out, SHELL_CHANGES_LINES, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(out[0], L1);
	ck_assert_str_eq(out[2], L3);
	/* not a regular file */
	unlink(path);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_int_eq(shell_changes_read(path, out, SHELL_CHANGES_LINES, &n), -EINVAL);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(the_watch_sees_a_new_line)
{
	char dir[] = "/tmp/shell-changes-XXXXXX", sub[128], path[160], other[160];
	bool lost;
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* a missing directory is made */
	snprintf(sub, sizeof(sub), "%s/run", dir);
	fd = shell_changes_watch_open(sub);
	ck_assert_int_ge(fd, 0);
	ck_assert(!shell_changes_watch_drain(fd, SHELL_CHANGES_FILE, &lost));
	snprintf(other, sizeof(other), "%s/last-input", sub);
	write_file(other, "helpdesk\n", 0);
	ck_assert(!shell_changes_watch_drain(fd, SHELL_CHANGES_FILE, &lost));
	snprintf(path, sizeof(path), "%s/%s", sub, SHELL_CHANGES_FILE);
	write_file(path, L1 "\n", 0);
	ck_assert(shell_changes_watch_drain(fd, SHELL_CHANGES_FILE, &lost));
	ck_assert(!lost);
	/* the directory goes: the caller hears of it */
	unlink(path);
	unlink(other);
	ck_assert(shell_changes_watch_drain(fd, SHELL_CHANGES_FILE, &lost));
	ck_assert_int_eq(rmdir(sub), 0);
	ck_assert(shell_changes_watch_drain(fd, SHELL_CHANGES_FILE, &lost));
	ck_assert(lost);
	close(fd);
	rmdir(dir);
}
END_TEST

START_TEST(state_redraws_for_new_lines_only)
{
	struct shell_state st;
	char lines[SHELL_CHANGES_LINES + 1][SHELL_CHANGE_TEXT] = { L1, L2, L3, L4 };

	test_state_init(&st);
	shell_state_take_damage(&st);
	ck_assert(shell_state_set_changes(&st, (const char(*)[SHELL_CHANGE_TEXT])lines, 2));
	ck_assert(shell_state_take_damage(&st) & SHELL_DAMAGE_MAIN);
	ck_assert_uint_eq(st.n_changes, 2);
	ck_assert(!shell_state_set_changes(&st, (const char(*)[SHELL_CHANGE_TEXT])lines, 2));
	ck_assert_uint_eq(shell_state_take_damage(&st), 0);
	/* more than fit: the newest */
	shell_state_set_changes(&st, (const char(*)[SHELL_CHANGE_TEXT])lines, 4);
	ck_assert(shell_state_take_damage(&st) & SHELL_DAMAGE_MAIN);
	ck_assert_uint_eq(st.n_changes, 3);
	ck_assert_str_eq(st.changes[0], L2);
	ck_assert_str_eq(st.changes[2], L4);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("shell-changes");
	TCase *tc = tcase_create("changes");

	tcase_add_test(tc, last_three_lines_oldest_first);
	tcase_add_test(tc, hostile_text_is_cleaned_and_cut);
	tcase_add_test(tc, reads_the_end_of_the_file);
	tcase_add_test(tc, the_watch_sees_a_new_line);
	tcase_add_test(tc, state_redraws_for_new_lines_only);
	suite_add_tcase(s, tc);
	return s;
}
