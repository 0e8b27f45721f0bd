/* Terminal panes: libtsm on a real pty, keys in, output out, and the OSC request channel. */

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "shell-test.h"
#include "term.h"

/* Reads output until `needle` is on screen or the program closes the pty (bounded). */
static char *wait_text(struct shell_term *t, const char *needle)
{
	for (int i = 0; i < 500; i++) {
		struct pollfd pfd = { .fd = shell_term_get_fd(t), .events = POLLIN };
		char *text = shell_term_text(t);

		if (text && needle && strstr(text, needle)) {
			return text;
		}
		free(text);
		if (pfd.fd < 0 || poll(&pfd, 1, 20) < 0) {
			break;
		}
		if (pfd.revents && shell_term_dispatch(t) == -EIO) {
			break;
		}
	}
	return shell_term_text(t);
}

START_TEST(virtual_feed)
{
	struct shell_term *t;
	char *text;

	ck_assert_int_eq(shell_term_new_virtual(20, 4, &t), 0);
	shell_term_feed(t, "hello\r\n\033[1mbold\033[0m wörld", 27);
	text = shell_term_text(t);
	ck_assert_str_eq(text, "hello\nbold wörld\n\n\n");
	free(text);
	ck_assert_int_eq(shell_term_resize(t, 10, 2), 0);
	unsigned c, r;
	shell_term_get_size(t, &c, &r);
	ck_assert_uint_eq(c, 10);
	ck_assert_uint_eq(r, 2);
	ck_assert_int_eq(shell_term_get_fd(t), -1);
	shell_term_destroy(t);
	shell_term_destroy(NULL);
}
END_TEST

struct request {
	int calls;
	char key[32], value[64];
};

static void on_request(void *data, struct shell_term *t, const char *key, const char *value)
{
	struct request *r = data;

	r->calls++;
	snprintf(r->key, sizeof(r->key), "%s", key);
	snprintf(r->value, sizeof(r->value), "%s", value);
}

START_TEST(osc_requests)
{
	struct shell_term *t;
	struct request req = { 0 };
	const char *ok = "\033]777;lifeline;keymap=de:nodeadkeys\007";
	const char *other = "\033]0;window title\007\033]777;notify;x=y\007";

	ck_assert_int_eq(shell_term_new_virtual(20, 4, &t), 0);
	shell_term_set_request_handler(t, on_request, &req);
	shell_term_feed(t, other, strlen(other));
	ck_assert_int_eq(req.calls, 0);
	shell_term_feed(t, ok, strlen(ok));
	ck_assert_int_eq(req.calls, 1);
	ck_assert_str_eq(req.key, "keymap");
	ck_assert_str_eq(req.value, "de:nodeadkeys");
	shell_term_destroy(t);
}
END_TEST

START_TEST(program_on_pty)
{
	const char *argv[] = { "/bin/sh", "-c",
			       "printf 'hello %s\\n' \"$LIFELINE_TOOL\"; stty size", NULL };
	const char *env[] = { "LIFELINE_TOOL=test", NULL };
	struct shell_term *t;
	char *text;
	int status;

	ck_assert_int_eq(shell_term_spawn(argv, env, 70, 20, &t), 0);
	ck_assert_int_ge(shell_term_get_fd(t), 0);
	text = wait_text(t, "20 70");
	ck_assert_ptr_nonnull(strstr(text, "hello test"));
	ck_assert_ptr_nonnull(strstr(text, "20 70"));
	free(text);
	ck_assert_int_eq(waitpid(shell_term_get_pid(t), &status, 0), shell_term_get_pid(t));
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	shell_term_destroy(t);
}
END_TEST

START_TEST(keys_reach_program)
{
	const char *argv[] = { "/bin/sh", "-c", "read -r line; echo \"got:$line\"; sleep 5", NULL };
	struct shell_term *t;
	char *text;

	ck_assert_int_eq(shell_term_spawn(argv, NULL, 40, 10, &t), 0);
	shell_term_key(t, 'a', 'a', 'a', 0);
	shell_term_key(t, 'B', 'b', 'B', 1);
	shell_term_key(t, 0xff0d, 0xff0d, '\r', 0);
	text = wait_text(t, "got:aB");
	ck_assert_ptr_nonnull(strstr(text, "got:aB"));
	free(text);
	/* destroying the pane hangs the program up */
	pid_t pid = shell_term_get_pid(t);
	int status;

	shell_term_destroy(t);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
}
END_TEST

START_TEST(missing_program_exits_127)
{
	const char *argv[] = { "/nonexistent/tool", NULL };
	struct shell_term *t;
	int status;

	ck_assert_int_eq(shell_term_spawn(argv, NULL, 40, 10, &t), 0);
	free(wait_text(t, NULL));
	ck_assert_int_eq(waitpid(shell_term_get_pid(t), &status, 0), shell_term_get_pid(t));
	ck_assert_int_eq(WEXITSTATUS(status), 127);
	shell_term_destroy(t);
}
END_TEST

/* Pasted text is typed made safe, bracketed when the program asked for it. */
START_TEST(paste_reaches_program)
{
	const char *argv[] = { "/bin/sh", "-c",
			       "printf 'plain>\\n'; read -r a; printf 'got[%s]\\n' \"$a\"; "
			       "printf '\\033[?2004hbracketed>\\n'; stty -echo; cat -v",
			       NULL };
	const char *env[] = { NULL };
	struct shell_term *t;
	char *text;

	ck_assert_int_eq(shell_term_spawn(argv, env, 60, 10, &t), 0);
	free(wait_text(t, "plain>"));
	ck_assert(!shell_term_bracketed_paste(t));
	/* ^C would interrupt the shell: it must not get through */
	ck_assert_int_eq(shell_term_paste(t, "echo \003hi\n", 9), 0);
	text = wait_text(t, "got[");
	ck_assert_msg(strstr(text, "got[echo hi]"), "screen: %s", text);
	free(text);
	text = wait_text(t, "bracketed>");
	free(text);
	ck_assert(shell_term_bracketed_paste(t));
	ck_assert_int_eq(shell_term_paste(t, "one\033[201~two\n", 13), 0);
	text = wait_text(t, "onetwo");
	ck_assert_msg(strstr(text, "^[[200~onetwo"), "screen: %s", text);
	free(text);
	shell_term_destroy(t);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("shell-term");
	TCase *tc = tcase_create("term");

	tcase_add_test(tc, virtual_feed);
	tcase_add_test(tc, osc_requests);
	tcase_add_test(tc, program_on_pty);
	tcase_add_test(tc, keys_reach_program);
	tcase_add_test(tc, missing_program_exits_127);
	tcase_add_test(tc, paste_reaches_program);
	suite_add_tcase(s, tc);
	return s;
}
