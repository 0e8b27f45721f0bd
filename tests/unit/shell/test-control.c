/* The control protocol: every event the server sends, commands, and malformed lines. */

#include <errno.h>

#include "shell-test.h"

START_TEST(parse_state_active)
{
	struct shell_control_event ev = test_event(
		"{\"event\":\"state\",\"state\":\"active\"," TEST_INFO ",\"view_only\":false,"
		"\"failures\":2}");

	ck_assert_int_eq(ev.kind, SHELL_CONTROL_STATE);
	ck_assert_int_eq(ev.phase, SHELL_REMOTE_WAITING);
	ck_assert(ev.has_info);
	ck_assert_str_eq(ev.info.ticket, "482-915-307");
	ck_assert_uint_eq(ev.info.port, 51234);
	ck_assert_uint_eq(ev.info.n_addresses, 2);
	ck_assert_str_eq(ev.info.addresses[1], "fd00::20");
	ck_assert_str_eq(ev.info.hostname, "recovery-pc");
	ck_assert_int_eq(ev.failures, 2);
	ck_assert(!ev.view_only);
}
END_TEST

START_TEST(parse_state_in_use)
{
	struct shell_control_event ev = test_event(
		"{\"event\":\"state\",\"state\":\"in-use\",\"peer\":\"10.0.2.2\"," TEST_INFO
		",\"view_only\":true,\"failures\":0,\"since\":1700000000}");

	ck_assert_int_eq(ev.phase, SHELL_REMOTE_IN_USE);
	ck_assert_str_eq(ev.peer, "10.0.2.2");
	ck_assert(ev.view_only);
	ck_assert_int_eq(ev.since, 1700000000);
}
END_TEST

START_TEST(parse_events)
{
	struct shell_control_event ev;

	ev = test_event("{\"event\":\"auth-failed\",\"peer\":\"10.0.0.9\",\"user\":\"x\","
			"\"reason\":\"wrong ticket\",\"failures\":3,\"remaining\":7}");
	ck_assert_int_eq(ev.kind, SHELL_CONTROL_AUTH_FAILED);
	ck_assert_str_eq(ev.peer, "10.0.0.9");
	ck_assert_int_eq(ev.failures, 3);
	ck_assert_int_eq(ev.remaining, 7);
	ev = test_event("{\"event\":\"refused\",\"peer\":\"10.0.0.9\",\"reason\":\"busy\"}");
	ck_assert_int_eq(ev.kind, SHELL_CONTROL_REFUSED);
	ck_assert_str_eq(ev.reason, "busy");
	ev = test_event("{\"event\":\"connected\",\"peer\":\"10.0.2.2\",\"user\":\"helpdesk\","
			"\"view_only\":false}");
	ck_assert_int_eq(ev.kind, SHELL_CONTROL_CONNECTED);
	ck_assert_str_eq(ev.user, "helpdesk");
	ev = test_event("{\"event\":\"disconnected\",\"peer\":\"10.0.2.2\"}");
	ck_assert_int_eq(ev.kind, SHELL_CONTROL_DISCONNECTED);
	ev = test_event("{\"event\":\"revoked\",\"failures\":10}");
	ck_assert_int_eq(ev.kind, SHELL_CONTROL_REVOKED);
	ck_assert_int_eq(ev.failures, 10);
	ck_assert_int_eq(test_event("{\"event\":\"expired\"}").kind, SHELL_CONTROL_EXPIRED);
	ck_assert_int_eq(test_event("{\"event\":\"ended\"}").kind, SHELL_CONTROL_ENDED);
	ev = test_event("{\"event\":\"view-only\",\"enabled\":true}");
	ck_assert_int_eq(ev.kind, SHELL_CONTROL_VIEW_ONLY);
	ck_assert(ev.view_only);
	ev = test_event("{\"event\":\"ready\"," TEST_INFO "}");
	ck_assert_int_eq(ev.kind, SHELL_CONTROL_READY);
	ck_assert_str_eq(ev.info.ticket, "482-915-307");
	ck_assert_int_eq(test_event("{\"reply\":\"ok\"}").kind, SHELL_CONTROL_REPLY_OK);
	ev = test_event("{\"reply\":\"error\",\"message\":\"no session\"}");
	ck_assert_int_eq(ev.kind, SHELL_CONTROL_REPLY_ERROR);
	ck_assert_str_eq(ev.reason, "no session");
	ck_assert_int_eq(test_event("{\"event\":\"future-thing\"}").kind, SHELL_CONTROL_UNKNOWN);
}
END_TEST

START_TEST(parse_rejects_garbage)
{
	static const char *bad[] = {
		"",
		"not json",
		"[1,2]",
		"{\"event\":5}",
		"{\"nothing\":1}",
		"{\"event\":\"state\",\"state\":\"bogus\"}",
		"{\"event\":\"state\"}",
		"{\"event\":\"ready\"",
	};
	struct shell_control_event ev;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(shell_control_parse(bad[i], strlen(bad[i]), &ev) == -EINVAL, "%s",
			      bad[i]);
	}
}
END_TEST

START_TEST(parse_bounds_long_fields)
{
	char line[2048];
	struct shell_control_event ev;

	memset(line, 0, sizeof(line));
	strcpy(line, "{\"event\":\"refused\",\"peer\":\"");
	memset(line + strlen(line), 'a', 1000);
	strcat(line, "\",\"reason\":\"r\"}");
	ck_assert_int_eq(shell_control_parse(line, strlen(line), &ev), 0);
	ck_assert_uint_eq(strlen(ev.peer), sizeof(ev.peer) - 1);
}
END_TEST

START_TEST(parse_text_and_keyboard)
{
	const char *conn = "{\"event\":\"connected\",\"peer\":\"p\",\"user\":\"u\","
			   "\"keyboard_layout_id\":1031,\"keyboard_layout\":\"de\","
			   "\"keyboard_variant\":\"nodeadkeys\"}";
	const char *text = "{\"event\":\"text\",\"text\":\"\\u00e4\"}";
	const char *nul = "{\"event\":\"text\",\"text\":\"a\\u0000b\"}";
	const char *none = "{\"event\":\"text\"}";
	struct shell_control_event ev;

	ck_assert_int_eq(shell_control_parse(conn, strlen(conn), &ev), 0);
	ck_assert_int_eq(ev.kind, SHELL_CONTROL_CONNECTED);
	ck_assert_str_eq(ev.keyboard_layout, "de");
	ck_assert_str_eq(ev.keyboard_variant, "nodeadkeys");
	ck_assert_ptr_null(ev.text);
	shell_control_event_clear(&ev);

	ck_assert_int_eq(shell_control_parse(text, strlen(text), &ev), 0);
	ck_assert_int_eq(ev.kind, SHELL_CONTROL_TEXT);
	ck_assert_uint_eq(ev.text_len, 2);
	ck_assert_str_eq(ev.text, "\xc3\xa4");
	shell_control_event_clear(&ev);
	ck_assert_ptr_null(ev.text);

	/* a NUL would cut the text short without anyone noticing; a text event needs text */
	ck_assert_int_eq(shell_control_parse(nul, strlen(nul), &ev), -EINVAL);
	ck_assert_int_eq(shell_control_parse(none, strlen(none), &ev), -EINVAL);
}
END_TEST

START_TEST(format_commands)
{
	char buf[128];

	ck_assert_int_gt(shell_control_format(SHELL_COMMAND_END_SESSION, false, buf, sizeof(buf)),
			 0);
	ck_assert_str_eq(buf, "{\"command\":\"end-session\"}\n");
	shell_control_format(SHELL_COMMAND_NEW_TICKET, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "{\"command\":\"new-ticket\"}\n");
	shell_control_format(SHELL_COMMAND_VIEW_ONLY, true, buf, sizeof(buf));
	ck_assert_str_eq(buf, "{\"command\":\"view-only\",\"enabled\":true}\n");
	shell_control_format(SHELL_COMMAND_VIEW_ONLY, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "{\"command\":\"view-only\",\"enabled\":false}\n");
	shell_control_format(SHELL_COMMAND_STATUS, false, buf, sizeof(buf));
	ck_assert_str_eq(buf, "{\"command\":\"status\"}\n");
	ck_assert_int_eq(shell_control_format(SHELL_COMMAND_STATUS, false, buf, 5), -ENOSPC);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("shell-control");
	TCase *tc = tcase_create("control");

	tcase_add_test(tc, parse_state_active);
	tcase_add_test(tc, parse_state_in_use);
	tcase_add_test(tc, parse_events);
	tcase_add_test(tc, parse_rejects_garbage);
	tcase_add_test(tc, parse_bounds_long_fields);
	tcase_add_test(tc, parse_text_and_keyboard);
	tcase_add_test(tc, format_commands);
	suite_add_tcase(s, tc);
	return s;
}
