/* The UI state driven by synthetic keys, clicks and control events: no devices, no sockets. */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "shell-test.h"

#define NOW 1700000000

static struct shell_key key(uint32_t sym, enum shell_source src)
{
	return (struct shell_key){ .keysym = sym, .source = src };
}

static struct shell_actions press(struct shell_state *st, uint32_t sym, enum shell_source src)
{
	struct shell_actions acts = { 0 };
	struct shell_key k = key(sym, src);

	shell_state_key(st, &k, &acts);
	return acts;
}

static struct shell_actions click(struct shell_state *st, enum shell_target_kind kind, int index,
				  enum shell_source src)
{
	struct shell_actions acts = { 0 };

	shell_state_click(st, (struct shell_target){ kind, index }, src, &acts);
	return acts;
}

static void control(struct shell_state *st, const char *line)
{
	struct shell_control_event ev = test_event(line);

	shell_state_control(st, &ev, NOW);
}

/* A state with the Shell pane open (id 1), as after start-up. */
static void started(struct shell_state *st)
{
	struct shell_actions acts = { 0 };

	test_state_init(st);
	shell_state_start(st, &acts);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_eq(acts.a[0].kind, SHELL_ACTION_OPEN_PANE);
	ck_assert_int_eq((int)acts.a[0].tool, test_tool("shell"));
	ck_assert_int_eq(shell_state_pane_added(st, 1, acts.a[0].tool), 0);
	shell_state_take_damage(st);
}

/* Remote Connection opened locally and the server attached with a waiting ticket. */
static void waiting(struct shell_state *st)
{
	struct shell_actions acts;

	started(st);
	acts = click(st, SHELL_TARGET_TOOL, test_tool("remote"), SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_eq(acts.a[0].kind, SHELL_ACTION_REMOTE_START);
	ck_assert_int_eq(st->phase, SHELL_REMOTE_STARTING);
	control(st, "{\"event\":\"state\",\"state\":\"active\"," TEST_INFO
		    ",\"view_only\":false,\"failures\":0}");
	ck_assert_int_eq(st->phase, SHELL_REMOTE_WAITING);
}

static void in_session(struct shell_state *st)
{
	waiting(st);
	control(st, "{\"event\":\"connected\",\"peer\":\"10.0.2.2\",\"user\":\"helpdesk\","
		    "\"view_only\":false}");
	ck_assert(shell_state_in_session(st));
}

START_TEST(tool_list_has_the_issue_tools)
{
	static const char *ids[] = { "remote", "shell", "network", "sysinfo", "locksmith", "fsck",
				     "bootrepair", "fstab", "services", "logs", "packages",
				     "restore", "files", "disks", "systems", "keyboard", "power",
				     /* not listed: the Remote Connection panel's button */
				     "handoff" };
	const char *dir = getenv("SHELL_TOOLS_DIR");
	char path[1024];
	size_t n;
	const struct shell_tool *t = shell_tools_builtin(&n);
	struct shell_state st;

	ck_assert_uint_eq(n, sizeof(ids) / sizeof(ids[0]));
	ck_assert_ptr_nonnull(dir);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(t[i].id, ids[i]);
		ck_assert_int_eq(t[i].kind, i == 0 ? SHELL_TOOL_REMOTE : SHELL_TOOL_PROGRAM);
		/* each program is there, named after its id (recovery-shell/tools/) */
		snprintf(path, sizeof(path), "%s/%s", dir, t[i].id);
		ck_assert_msg(i == 0 || access(path, X_OK) == 0, "no program %s", path);
		ck_assert_int_eq(!!(t[i].flags & SHELL_TOOL_UNLISTED), i == n - 1);
	}
	/* the list stays as it was: 17 rows, the unlisted entry after them */
	test_state_init(&st);
	ck_assert_uint_eq(st.n_tools, n - 1);
	ck_assert_uint_eq(st.n_all_tools, n);
	ck_assert(t[test_tool("shell")].flags & SHELL_TOOL_RESPAWN);
	ck_assert(t[test_tool("keyboard")].flags & SHELL_TOOL_SETS_KEYMAP);
	ck_assert_int_lt(test_tool("nonesuch"), 0);
}
END_TEST

START_TEST(keyboard_navigates_the_list)
{
	struct shell_state st;
	struct shell_actions acts;

	started(&st);
	ck_assert_int_eq(st.focus, SHELL_FOCUS_LIST);
	ck_assert_uint_eq(st.selected, 0);
	press(&st, SHELL_KEY_UP, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(st.selected, st.n_tools - 1);
	ck_assert(shell_state_take_damage(&st) & SHELL_DAMAGE_LIST);
	press(&st, SHELL_KEY_HOME, SHELL_SOURCE_LOCAL);
	press(&st, SHELL_KEY_DOWN, SHELL_SOURCE_LOCAL);
	press(&st, SHELL_KEY_DOWN, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(st.selected, (size_t)test_tool("network"));
	acts = press(&st, SHELL_KEY_RETURN, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_eq(acts.a[0].kind, SHELL_ACTION_OPEN_PANE);
	ck_assert_uint_eq(acts.a[0].tool, (size_t)test_tool("network"));
	ck_assert_int_eq(st.focus, SHELL_FOCUS_MAIN);
	/* digits open tools directly from the list */
	press(&st, SHELL_KEY_F1, SHELL_SOURCE_LOCAL);
	acts = press(&st, '4', SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_uint_eq(acts.a[0].tool, 3);
}
END_TEST

START_TEST(keys_go_to_the_focused_pane)
{
	struct shell_state st;
	struct shell_actions acts;

	started(&st);
	/* in the list, letters do not reach the pane */
	acts = press(&st, 'l', SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 0);
	press(&st, SHELL_KEY_ESCAPE, SHELL_SOURCE_LOCAL);
	ck_assert_int_eq(st.focus, SHELL_FOCUS_MAIN);
	acts = press(&st, 'l', SHELL_SOURCE_REMOTE);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_eq(acts.a[0].kind, SHELL_ACTION_PANE_KEY);
	ck_assert_uint_eq(acts.a[0].pane_id, 1);
	ck_assert_uint_eq(acts.a[0].key.keysym, 'l');
	/* Return goes to the program too */
	acts = press(&st, SHELL_KEY_RETURN, SHELL_SOURCE_LOCAL);
	ck_assert_int_eq(acts.a[0].kind, SHELL_ACTION_PANE_KEY);
}
END_TEST

START_TEST(single_tools_reuse_their_pane)
{
	struct shell_state st;
	struct shell_actions acts;
	int net = test_tool("network");

	started(&st);
	acts = click(&st, SHELL_TARGET_TOOL, net, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 1);
	shell_state_pane_added(&st, 2, (size_t)net);
	ck_assert_uint_eq(st.n_panes, 2);
	click(&st, SHELL_TARGET_TAB, 0, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(shell_state_active_pane(&st)->id, 1);
	acts = click(&st, SHELL_TARGET_TOOL, net, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 0);
	ck_assert_uint_eq(shell_state_active_pane(&st)->id, 2);
	/* the Shell is not single: a second one opens */
	acts = click(&st, SHELL_TARGET_TOOL, test_tool("shell"), SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 1);
}
END_TEST

START_TEST(several_panes_and_cycling)
{
	struct shell_state st;

	started(&st);
	shell_state_pane_added(&st, 2, (size_t)test_tool("sysinfo"));
	shell_state_pane_added(&st, 3, (size_t)test_tool("network"));
	ck_assert_uint_eq(shell_state_active_pane(&st)->id, 3);
	press(&st, SHELL_KEY_F2, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(shell_state_active_pane(&st)->id, 1);
	press(&st, SHELL_KEY_F2, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(shell_state_active_pane(&st)->id, 2);
	{
		struct shell_key k = { .keysym = SHELL_KEY_F2, .mods = SHELL_MOD_SHIFT };
		struct shell_actions acts = { 0 };

		shell_state_key(&st, &k, &acts);
	}
	ck_assert_uint_eq(shell_state_active_pane(&st)->id, 1);
	/* with Remote Connection open, it joins the cycle */
	click(&st, SHELL_TARGET_TOOL, test_tool("remote"), SHELL_SOURCE_REMOTE);
	ck_assert_int_eq(st.view, SHELL_VIEW_REMOTE);
	ck_assert_ptr_null(shell_state_active_pane(&st));
	press(&st, SHELL_KEY_F2, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(shell_state_active_pane(&st)->id, 1);
}
END_TEST

START_TEST(shell_is_always_there)
{
	struct shell_state st;
	struct shell_actions acts = { 0 };

	started(&st);
	shell_state_pane_exited(&st, 1, 0, &acts);
	ck_assert_uint_eq(st.n_panes, 0);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_eq(acts.a[0].kind, SHELL_ACTION_OPEN_PANE);
	ck_assert_uint_eq(acts.a[0].tool, (size_t)test_tool("shell"));
}
END_TEST

START_TEST(finished_tool_stays_until_closed)
{
	struct shell_state st;
	struct shell_actions acts = { 0 };

	started(&st);
	shell_state_pane_added(&st, 2, (size_t)test_tool("sysinfo"));
	press(&st, SHELL_KEY_ESCAPE, SHELL_SOURCE_LOCAL);
	shell_state_pane_exited(&st, 2, 3, &acts);
	ck_assert_uint_eq(acts.n, 0);
	ck_assert(shell_state_active_pane(&st)->exited);
	ck_assert_int_eq(shell_state_active_pane(&st)->exit_status, 3);
	/* typing does not reach a dead program; Enter closes the pane */
	acts = press(&st, 'x', SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 0);
	press(&st, SHELL_KEY_RETURN, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(st.n_panes, 1);
	ck_assert_int_lt(shell_state_pane_index(&st, 2), 0);
	/* reopening an exited single tool replaces it */
	shell_state_pane_added(&st, 3, (size_t)test_tool("sysinfo"));
	shell_state_pane_exited(&st, 3, 0, &acts);
	acts = click(&st, SHELL_TARGET_TOOL, test_tool("sysinfo"), SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_lt(shell_state_pane_index(&st, 3), 0);
}
END_TEST

START_TEST(asks_for_the_keyboard_layout_at_start)
{
	struct shell_state st;
	struct shell_actions acts = { 0 };

	started(&st);
	shell_state_ask_keymap(&st, &acts);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_eq(acts.a[0].kind, SHELL_ACTION_OPEN_PANE);
	ck_assert_int_eq((int)acts.a[0].tool, test_tool("keyboard"));
	ck_assert_int_eq(shell_state_pane_added(&st, 2, acts.a[0].tool), 0);
	/* the question is in front, and what the person types goes to it */
	ck_assert_int_eq(st.focus, SHELL_FOCUS_MAIN);
	ck_assert_uint_eq(shell_state_active_pane(&st)->id, 2);
	/* answered (Enter keeps the layout: the tool exits), Enter closes it; the Shell stays */
	acts = (struct shell_actions){ 0 };
	shell_state_pane_exited(&st, 2, 0, &acts);
	press(&st, SHELL_KEY_RETURN, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(st.n_panes, 1);
	ck_assert_int_eq((int)shell_state_active_pane(&st)->tool, test_tool("shell"));
}
END_TEST

START_TEST(remote_connection_start_and_ticket)
{
	struct shell_state st;

	waiting(&st);
	ck_assert_int_eq(st.view, SHELL_VIEW_REMOTE);
	ck_assert(st.remote_tab);
	ck_assert(st.have_info);
	ck_assert_str_eq(st.info.ticket, "482-915-307");
	ck_assert_uint_eq(st.info.port, 51234);
	ck_assert_uint_eq(st.info.n_addresses, 2);
	ck_assert(shell_state_take_damage(&st) & SHELL_DAMAGE_HEADER);
	ck_assert(!shell_state_in_session(&st));
}
END_TEST

START_TEST(remote_cannot_start_remote_connection)
{
	struct shell_state st;
	struct shell_actions acts;

	started(&st);
	acts = click(&st, SHELL_TARGET_TOOL, test_tool("remote"), SHELL_SOURCE_REMOTE);
	ck_assert_uint_eq(acts.n, 0);
	ck_assert_int_eq(st.phase, SHELL_REMOTE_OFF);
	ck_assert_int_eq(st.view, SHELL_VIEW_REMOTE);
	acts = click(&st, SHELL_TARGET_BUTTON_NEW_TICKET, 0, SHELL_SOURCE_REMOTE);
	ck_assert_uint_eq(acts.n, 0);
	ck_assert(st.notice[0]);
	acts = click(&st, SHELL_TARGET_BUTTON_NEW_TICKET, 0, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_eq(acts.a[0].kind, SHELL_ACTION_REMOTE_START);
	ck_assert(!st.notice[0]);
}
END_TEST

START_TEST(failed_attempts_show_as_they_happen)
{
	struct shell_state st;

	waiting(&st);
	control(&st, "{\"event\":\"auth-failed\",\"peer\":\"10.0.0.9\",\"user\":\"x\","
		     "\"reason\":\"wrong ticket\",\"failures\":1,\"remaining\":9}");
	control(&st, "{\"event\":\"auth-failed\",\"peer\":\"10.0.0.9\",\"user\":\"x\","
		     "\"reason\":\"wrong ticket\",\"failures\":2,\"remaining\":8}");
	ck_assert_int_eq(st.failures, 2);
	ck_assert_uint_eq(st.n_log, 2);
	ck_assert_ptr_nonnull(strstr(st.log[1].text, "10.0.0.9"));
	ck_assert_ptr_nonnull(strstr(st.log[1].text, "8 more"));
	ck_assert_int_eq(st.phase, SHELL_REMOTE_WAITING);
	/* the log keeps the newest few */
	for (int i = 0; i < 20; i++) {
		control(&st, "{\"event\":\"refused\",\"peer\":\"10.0.0.7\",\"reason\":\"busy\"}");
	}
	ck_assert_uint_eq(st.n_log, SHELL_REMOTE_LOG);
}
END_TEST

START_TEST(revoked_and_expired_offer_new_ticket)
{
	struct shell_state st;
	struct shell_actions acts;

	waiting(&st);
	control(&st, "{\"event\":\"revoked\",\"failures\":10}");
	ck_assert_int_eq(st.phase, SHELL_REMOTE_REVOKED);
	acts = press(&st, 'n', SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_eq(acts.a[0].kind, SHELL_ACTION_REMOTE_COMMAND);
	ck_assert_int_eq(acts.a[0].command, SHELL_COMMAND_NEW_TICKET);
	control(&st, "{\"event\":\"ready\"," TEST_INFO "}");
	ck_assert_int_eq(st.phase, SHELL_REMOTE_WAITING);
	ck_assert_int_eq(st.failures, 0);
	ck_assert_uint_eq(st.n_log, 0);
	control(&st, "{\"event\":\"expired\"}");
	ck_assert_int_eq(st.phase, SHELL_REMOTE_EXPIRED);
	acts = click(&st, SHELL_TARGET_BUTTON_NEW_TICKET, 0, SHELL_SOURCE_LOCAL);
	ck_assert_int_eq(acts.a[0].command, SHELL_COMMAND_NEW_TICKET);
}
END_TEST

START_TEST(session_banner_and_local_end)
{
	struct shell_state st;
	struct shell_actions acts;

	in_session(&st);
	ck_assert_str_eq(st.peer, "10.0.2.2");
	ck_assert_int_eq(st.since, NOW);
	ck_assert_uint_eq(shell_state_take_damage(&st) & SHELL_DAMAGE_ALL, SHELL_DAMAGE_ALL);
	/* the same key from the helpdesk does nothing but explain */
	acts = press(&st, SHELL_KEY_END_SESSION, SHELL_SOURCE_REMOTE);
	ck_assert_uint_eq(acts.n, 0);
	ck_assert_ptr_nonnull(strstr(st.notice, "only from this computer"));
	acts = click(&st, SHELL_TARGET_BUTTON_END_SESSION, 0, SHELL_SOURCE_REMOTE);
	ck_assert_uint_eq(acts.n, 0);
	/* from the local keyboard it ends the session, whatever has the focus */
	press(&st, SHELL_KEY_ESCAPE, SHELL_SOURCE_LOCAL);
	acts = press(&st, SHELL_KEY_END_SESSION, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_eq(acts.a[0].kind, SHELL_ACTION_REMOTE_COMMAND);
	ck_assert_int_eq(acts.a[0].command, SHELL_COMMAND_END_SESSION);
	ck_assert(!st.notice[0]);
	control(&st, "{\"reply\":\"ok\"}");
	control(&st, "{\"event\":\"disconnected\",\"peer\":\"10.0.2.2\"}");
	control(&st, "{\"event\":\"ended\"}");
	ck_assert(!shell_state_in_session(&st));
	ck_assert_int_eq(st.phase, SHELL_REMOTE_ENDED);
	/* choosing Remote Connection again asks for a fresh ticket */
	acts = click(&st, SHELL_TARGET_TOOL, test_tool("remote"), SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_eq(acts.a[0].command, SHELL_COMMAND_NEW_TICKET);
}
END_TEST

START_TEST(end_key_works_from_a_pane)
{
	struct shell_state st;
	struct shell_actions acts;

	in_session(&st);
	click(&st, SHELL_TARGET_TAB, 0, SHELL_SOURCE_LOCAL);
	ck_assert_int_eq(st.view, SHELL_VIEW_PANE);
	ck_assert_int_eq(st.focus, SHELL_FOCUS_MAIN);
	acts = press(&st, SHELL_KEY_END_SESSION, SHELL_SOURCE_REMOTE);
	ck_assert_uint_eq(acts.n, 0); /* neither ends nor reaches the terminal */
	acts = press(&st, SHELL_KEY_END_SESSION, SHELL_SOURCE_LOCAL);
	ck_assert_int_eq(acts.a[0].command, SHELL_COMMAND_END_SESSION);
	/* the banner's own button */
	acts = click(&st, SHELL_TARGET_BUTTON_END_SESSION, 0, SHELL_SOURCE_LOCAL);
	ck_assert_int_eq(acts.a[0].command, SHELL_COMMAND_END_SESSION);
}
END_TEST

START_TEST(view_only_local_only)
{
	struct shell_state st;
	struct shell_actions acts;

	in_session(&st);
	acts = press(&st, SHELL_KEY_VIEW_ONLY, SHELL_SOURCE_REMOTE);
	ck_assert_uint_eq(acts.n, 0);
	acts = click(&st, SHELL_TARGET_BUTTON_VIEW_ONLY, 0, SHELL_SOURCE_REMOTE);
	ck_assert_uint_eq(acts.n, 0);
	acts = press(&st, SHELL_KEY_VIEW_ONLY, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_eq(acts.a[0].command, SHELL_COMMAND_VIEW_ONLY);
	ck_assert(acts.a[0].enabled);
	control(&st, "{\"event\":\"view-only\",\"enabled\":true}");
	ck_assert(st.view_only);
	acts = click(&st, SHELL_TARGET_BUTTON_VIEW_ONLY, 0, SHELL_SOURCE_LOCAL);
	ck_assert(!acts.a[0].enabled);
}
END_TEST

/* S (or the button) on the panel: lifeline-handoff in a pane, from either keyboard. */
START_TEST(handoff_opens_a_pane)
{
	struct shell_state st;
	struct shell_actions acts;
	size_t handoff = (size_t)test_tool("handoff");

	/* no ticket yet: nothing to save, and the panel says so */
	started(&st);
	acts = click(&st, SHELL_TARGET_BUTTON_HANDOFF, 0, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 0);
	ck_assert_ptr_nonnull(strstr(st.notice, "No ticket"));

	waiting(&st);
	ck_assert_int_eq(st.view, SHELL_VIEW_REMOTE);
	ck_assert_int_eq(st.focus, SHELL_FOCUS_MAIN);
	/* with Ctrl it is no command; in the list it is no command either */
	acts = (struct shell_actions){ 0 };
	shell_state_key(&st,
			&(struct shell_key){ .keysym = 's',
					     .mods = SHELL_MOD_CTRL,
					     .source = SHELL_SOURCE_LOCAL },
			&acts);
	ck_assert_uint_eq(acts.n, 0);
	acts = press(&st, 's', SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_eq(acts.a[0].kind, SHELL_ACTION_OPEN_PANE);
	ck_assert_uint_eq(acts.a[0].tool, handoff);
	ck_assert_int_eq(shell_state_pane_added(&st, 2, handoff), 0);
	ck_assert_ptr_eq(shell_state_active_pane(&st), &st.panes[1]);
	/* the list's selection stays on Remote Connection (the pane is no list entry) */
	ck_assert_uint_eq(st.selected, (size_t)test_tool("remote"));
	/* its keys go to the program (the stick's number) */
	acts = press(&st, '1', SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_int_eq(acts.a[0].kind, SHELL_ACTION_PANE_KEY);
	ck_assert_uint_eq(acts.a[0].pane_id, 2);

	/* the helpdesk's S and click open it too: the running pane comes to the front */
	click(&st, SHELL_TARGET_TAB, -1, SHELL_SOURCE_REMOTE);
	ck_assert_int_eq(st.view, SHELL_VIEW_REMOTE);
	acts = press(&st, 'S', SHELL_SOURCE_REMOTE);
	ck_assert_uint_eq(acts.n, 0);
	ck_assert_ptr_eq(shell_state_active_pane(&st), &st.panes[1]);
	click(&st, SHELL_TARGET_TAB, -1, SHELL_SOURCE_REMOTE);
	acts = click(&st, SHELL_TARGET_BUTTON_HANDOFF, 0, SHELL_SOURCE_REMOTE);
	ck_assert_uint_eq(acts.n, 0);
	ck_assert_ptr_eq(shell_state_active_pane(&st), &st.panes[1]);
	ck_assert_str_eq(st.notice, "");

	/* it finished; Enter closes the pane and the panel is back */
	acts = (struct shell_actions){ 0 };
	shell_state_pane_exited(&st, 2, 0, &acts);
	ck_assert_uint_eq(acts.n, 0);
	press(&st, SHELL_KEY_RETURN, SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(st.n_panes, 1);
	ck_assert_int_eq(st.view, SHELL_VIEW_REMOTE);

	/* again from the helpdesk, in a session: a new pane */
	control(&st, "{\"event\":\"connected\",\"peer\":\"10.0.2.2\",\"user\":\"helpdesk\","
		     "\"view_only\":false}");
	acts = click(&st, SHELL_TARGET_BUTTON_HANDOFF, 0, SHELL_SOURCE_REMOTE);
	ck_assert_uint_eq(acts.n, 1);
	ck_assert_uint_eq(acts.a[0].tool, handoff);

	/* after the session ended the old ticket is gone: nothing to save */
	control(&st, "{\"event\":\"ended\"}");
	acts = press(&st, 's', SHELL_SOURCE_LOCAL);
	ck_assert_uint_eq(acts.n, 0);
}
END_TEST

START_TEST(attach_mid_session)
{
	struct shell_state st;

	/* a restarted shell attaches to a session already on */
	started(&st);
	control(&st, "{\"event\":\"state\",\"state\":\"in-use\",\"peer\":\"10.0.2.2\"," TEST_INFO
		     ",\"view_only\":true,\"failures\":0}");
	ck_assert(shell_state_in_session(&st));
	ck_assert(st.view_only);
	ck_assert_str_eq(st.peer, "10.0.2.2");
	ck_assert_int_eq(st.since, NOW);
}
END_TEST

START_TEST(lost_server)
{
	struct shell_state st;
	struct shell_control_event ev = { .kind = SHELL_CONTROL_LOST };
	struct shell_actions acts;

	in_session(&st);
	shell_state_control(&st, &ev, NOW);
	ck_assert_int_eq(st.phase, SHELL_REMOTE_FAILED);
	ck_assert(!shell_state_in_session(&st));
	acts = click(&st, SHELL_TARGET_TOOL, test_tool("remote"), SHELL_SOURCE_LOCAL);
	ck_assert_int_eq(acts.a[0].kind, SHELL_ACTION_REMOTE_START);
}
END_TEST

START_TEST(clock_damages_header_once_a_minute)
{
	struct shell_state st;

	test_state_init(&st);
	shell_state_set_time(&st, 120, 0);
	shell_state_take_damage(&st);
	shell_state_set_time(&st, 150, 0);
	ck_assert_uint_eq(shell_state_take_damage(&st), 0);
	shell_state_set_time(&st, 180, 0);
	ck_assert_uint_eq(shell_state_take_damage(&st), SHELL_DAMAGE_HEADER);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("shell-state");
	TCase *tc = tcase_create("state");

	tcase_add_test(tc, tool_list_has_the_issue_tools);
	tcase_add_test(tc, keyboard_navigates_the_list);
	tcase_add_test(tc, keys_go_to_the_focused_pane);
	tcase_add_test(tc, single_tools_reuse_their_pane);
	tcase_add_test(tc, several_panes_and_cycling);
	tcase_add_test(tc, shell_is_always_there);
	tcase_add_test(tc, finished_tool_stays_until_closed);
	tcase_add_test(tc, asks_for_the_keyboard_layout_at_start);
	tcase_add_test(tc, remote_connection_start_and_ticket);
	tcase_add_test(tc, remote_cannot_start_remote_connection);
	tcase_add_test(tc, failed_attempts_show_as_they_happen);
	tcase_add_test(tc, revoked_and_expired_offer_new_ticket);
	tcase_add_test(tc, session_banner_and_local_end);
	tcase_add_test(tc, end_key_works_from_a_pane);
	tcase_add_test(tc, view_only_local_only);
	tcase_add_test(tc, handoff_opens_a_pane);
	tcase_add_test(tc, attach_mid_session);
	tcase_add_test(tc, lost_server);
	tcase_add_test(tc, clock_damages_header_once_a_minute);
	suite_add_tcase(s, tc);
	return s;
}
