#include "state.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void push_action(struct shell_actions *out, struct shell_action a)
{
	if (out->n < sizeof(out->a) / sizeof(out->a[0])) {
		out->a[out->n++] = a;
	}
}

static void push_command(struct shell_actions *out, enum shell_command cmd, bool enabled)
{
	push_action(out, (struct shell_action){ .kind = SHELL_ACTION_REMOTE_COMMAND,
						.command = cmd,
						.enabled = enabled });
}

void shell_state_init(struct shell_state *st, const struct shell_tool *tools, size_t n_tools)
{
	memset(st, 0, sizeof(*st));
	st->tools = tools;
	st->n_all_tools = n_tools;
	st->n_tools = 0;
	while (st->n_tools < n_tools && !(tools[st->n_tools].flags & SHELL_TOOL_UNLISTED)) {
		st->n_tools++;
	}
	st->focus = SHELL_FOCUS_LIST;
	st->view = SHELL_VIEW_PANE;
	st->phase = SHELL_REMOTE_OFF;
	st->remaining = -1;
	snprintf(st->keymap, sizeof(st->keymap), "us");
	st->damage = SHELL_DAMAGE_ALL;
}

void shell_state_fini(struct shell_state *st)
{
	if (!st) {
		return;
	}
	shell_conninfo_wipe(&st->info);
}

bool shell_state_in_session(const struct shell_state *st)
{
	return st->phase == SHELL_REMOTE_IN_USE;
}

const char *shell_state_phase_text(enum shell_remote_phase phase)
{
	switch (phase) {
	case SHELL_REMOTE_OFF:
		return "off";
	case SHELL_REMOTE_STARTING:
		return "starting";
	case SHELL_REMOTE_WAITING:
		return "waiting for the helpdesk";
	case SHELL_REMOTE_IN_USE:
		return "helpdesk connected";
	case SHELL_REMOTE_REVOKED:
		return "ticket revoked";
	case SHELL_REMOTE_EXPIRED:
		return "ticket expired";
	case SHELL_REMOTE_ENDED:
		return "ended";
	case SHELL_REMOTE_FAILED:
		return "failed";
	}
	return "?";
}

unsigned shell_state_take_damage(struct shell_state *st)
{
	unsigned d = st->damage;

	st->damage = 0;
	return d;
}

void shell_state_set_notice(struct shell_state *st, const char *notice)
{
	const char *n = notice ? notice : "";

	if (strcmp(st->notice, n) != 0) {
		snprintf(st->notice, sizeof(st->notice), "%s", n);
		st->damage |= SHELL_DAMAGE_MAIN;
	}
}

bool shell_state_set_changes(struct shell_state *st, const char (*lines)[SHELL_CHANGE_TEXT],
			     size_t n)
{
	bool same;

	if (n > SHELL_CHANGES_LINES) {
		lines += n - SHELL_CHANGES_LINES;
		n = SHELL_CHANGES_LINES;
	}
	same = n == st->n_changes;

	for (size_t i = 0; i < n && same; i++) {
		same = strcmp(st->changes[i], lines[i]) == 0;
	}
	if (same) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(st->changes[i], sizeof(st->changes[i]), "%s", lines[i]);
	}
	st->n_changes = n;
	st->damage |= SHELL_DAMAGE_MAIN;
	return true;
}

void shell_state_set_time(struct shell_state *st, time_t now, int tz_offset_min)
{
	if (now / 60 != st->now / 60 || tz_offset_min != st->tz_offset_min) {
		st->damage |= SHELL_DAMAGE_HEADER;
		if (shell_state_in_session(st)) {
			st->damage |= SHELL_DAMAGE_BANNER;
		}
	}
	st->now = now;
	st->tz_offset_min = tz_offset_min;
}

void shell_state_set_host(struct shell_state *st, const char *hostname, const char *const *addrs,
			  size_t n_addrs)
{
	snprintf(st->hostname, sizeof(st->hostname), "%s", hostname ? hostname : "");
	st->n_host_addrs = 0;
	for (size_t i = 0; i < n_addrs && i < SHELL_MAX_HOST_ADDRS; i++) {
		snprintf(st->host_addrs[st->n_host_addrs++], sizeof(st->host_addrs[0]), "%s",
			 addrs[i]);
	}
	st->damage |= SHELL_DAMAGE_HEADER;
}

void shell_state_set_keymap(struct shell_state *st, const char *name)
{
	snprintf(st->keymap, sizeof(st->keymap), "%s", name);
	st->damage |= SHELL_DAMAGE_HEADER;
}

int shell_state_pane_index(const struct shell_state *st, unsigned pane_id)
{
	for (size_t i = 0; i < st->n_panes; i++) {
		if (st->panes[i].id == pane_id) {
			return (int)i;
		}
	}
	return -ENOENT;
}

const struct shell_pane *shell_state_active_pane(const struct shell_state *st)
{
	if (st->view != SHELL_VIEW_PANE || st->n_panes == 0) {
		return NULL;
	}
	return &st->panes[st->active_pane];
}

static void show_pane(struct shell_state *st, size_t idx)
{
	st->view = SHELL_VIEW_PANE;
	st->active_pane = idx;
	st->damage |= SHELL_DAMAGE_MAIN;
}

static void show_remote(struct shell_state *st)
{
	if (!st->remote_tab) {
		st->remote_tab = true;
		st->damage |= SHELL_DAMAGE_ALL;
	}
	st->view = SHELL_VIEW_REMOTE;
	st->damage |= SHELL_DAMAGE_MAIN;
}

int shell_state_pane_added(struct shell_state *st, unsigned pane_id, size_t tool)
{
	if (st->n_panes >= SHELL_MAX_PANES) {
		return -ENOSPC;
	}
	st->panes[st->n_panes] = (struct shell_pane){ .id = pane_id, .tool = tool };
	show_pane(st, st->n_panes++);
	st->damage |= SHELL_DAMAGE_ALL;
	return 0;
}

void shell_state_pane_removed(struct shell_state *st, unsigned pane_id)
{
	int idx = shell_state_pane_index(st, pane_id);

	if (idx < 0) {
		return;
	}
	memmove(&st->panes[idx], &st->panes[idx + 1],
		(st->n_panes - (size_t)idx - 1) * sizeof(st->panes[0]));
	st->n_panes--;
	if (st->active_pane >= st->n_panes) {
		st->active_pane = st->n_panes ? st->n_panes - 1 : 0;
	}
	if (st->n_panes == 0 && st->remote_tab) {
		st->view = SHELL_VIEW_REMOTE;
	}
	st->damage |= SHELL_DAMAGE_ALL;
}

void shell_state_pane_exited(struct shell_state *st, unsigned pane_id, int status,
			     struct shell_actions *out)
{
	int idx = shell_state_pane_index(st, pane_id);
	struct shell_pane *p;

	if (idx < 0) {
		return;
	}
	p = &st->panes[idx];
	p->exited = true;
	p->exit_status = status;
	st->damage |= SHELL_DAMAGE_ALL;
	if (st->tools[p->tool].flags & SHELL_TOOL_RESPAWN) {
		size_t tool = p->tool;

		shell_state_pane_removed(st, pane_id);
		push_action(out,
			    (struct shell_action){ .kind = SHELL_ACTION_OPEN_PANE, .tool = tool });
	}
}

void shell_state_start(struct shell_state *st, struct shell_actions *out)
{
	for (size_t i = 0; i < st->n_tools; i++) {
		if (st->tools[i].kind == SHELL_TOOL_PROGRAM &&
		    (st->tools[i].flags & SHELL_TOOL_AT_START)) {
			push_action(out, (struct shell_action){ .kind = SHELL_ACTION_OPEN_PANE,
								.tool = i });
		}
	}
}

void shell_state_ask_keymap(struct shell_state *st, struct shell_actions *out)
{
	for (size_t i = 0; i < st->n_tools; i++) {
		if (st->tools[i].flags & SHELL_TOOL_SETS_KEYMAP) {
			shell_state_click(st, (struct shell_target){ SHELL_TARGET_TOOL, (int)i },
					  SHELL_SOURCE_LOCAL, out);
			return;
		}
	}
}

static void remote_start(struct shell_state *st, struct shell_actions *out)
{
	st->phase = SHELL_REMOTE_STARTING;
	shell_state_set_notice(st, "");
	st->damage |= SHELL_DAMAGE_HEADER | SHELL_DAMAGE_MAIN;
	push_action(out, (struct shell_action){ .kind = SHELL_ACTION_REMOTE_START });
}

static bool server_attached(const struct shell_state *st)
{
	return st->phase != SHELL_REMOTE_OFF && st->phase != SHELL_REMOTE_STARTING &&
	       st->phase != SHELL_REMOTE_FAILED;
}

static void refuse_remote(struct shell_state *st, const char *what)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s works only from this computer's own keyboard and mouse.",
		 what);
	shell_state_set_notice(st, msg);
}

static void do_new_ticket(struct shell_state *st, enum shell_source src, struct shell_actions *out)
{
	if (src != SHELL_SOURCE_LOCAL) {
		refuse_remote(st, "A new ticket");
		return;
	}
	show_remote(st);
	if (!server_attached(st)) {
		if (st->phase != SHELL_REMOTE_STARTING) {
			remote_start(st, out);
		}
		return;
	}
	shell_state_set_notice(st, "");
	push_command(out, SHELL_COMMAND_NEW_TICKET, false);
}

static void do_end_session(struct shell_state *st, enum shell_source src, struct shell_actions *out)
{
	if (src != SHELL_SOURCE_LOCAL) {
		refuse_remote(st, "Ending the session");
		return;
	}
	if (st->phase != SHELL_REMOTE_IN_USE && st->phase != SHELL_REMOTE_WAITING) {
		return;
	}
	shell_state_set_notice(st, "");
	push_command(out, SHELL_COMMAND_END_SESSION, false);
}

static void do_view_only(struct shell_state *st, enum shell_source src, struct shell_actions *out)
{
	if (src != SHELL_SOURCE_LOCAL) {
		refuse_remote(st, "Switching view-only");
		return;
	}
	if (!server_attached(st)) {
		return;
	}
	shell_state_set_notice(st, "");
	push_command(out, SHELL_COMMAND_VIEW_ONLY, !st->view_only);
}

/* A program in a pane: the one already running for a single tool, else a new pane. */
static void open_program(struct shell_state *st, size_t tool, struct shell_actions *out)
{
	const struct shell_tool *t = &st->tools[tool];

	st->focus = SHELL_FOCUS_MAIN;
	if (t->flags & SHELL_TOOL_SINGLE) {
		for (size_t i = 0; i < st->n_panes; i++) {
			if (st->panes[i].tool == tool && !st->panes[i].exited) {
				show_pane(st, i);
				return;
			}
		}
		/* An exited single pane is replaced by the new one. */
		for (size_t i = 0; i < st->n_panes; i++) {
			if (st->panes[i].tool == tool) {
				shell_state_pane_removed(st, st->panes[i].id);
				break;
			}
		}
	}
	if (st->n_panes >= SHELL_MAX_PANES) {
		shell_state_set_notice(st, "Too many panes are open; close one that has finished.");
		return;
	}
	push_action(out, (struct shell_action){ .kind = SHELL_ACTION_OPEN_PANE, .tool = tool });
}

/* Opening a tool from the list: a pane, or the Remote Connection panel. */
static void open_tool(struct shell_state *st, size_t tool, enum shell_source src,
		      struct shell_actions *out)
{
	st->selected = tool;
	st->damage |= SHELL_DAMAGE_LIST;
	st->focus = SHELL_FOCUS_MAIN;
	if (st->tools[tool].kind == SHELL_TOOL_REMOTE) {
		show_remote(st);
		/* Only the person at the machine starts Remote Connection or asks for a ticket. */
		if (src == SHELL_SOURCE_LOCAL) {
			if (st->phase == SHELL_REMOTE_OFF || st->phase == SHELL_REMOTE_FAILED) {
				remote_start(st, out);
			} else if (st->phase == SHELL_REMOTE_ENDED) {
				push_command(out, SHELL_COMMAND_NEW_TICKET, false);
			}
		}
		return;
	}
	open_program(st, tool, out);
}

/* Save to USB stick: the hand-off program (tools "handoff") in a pane, from either keyboard.
 * It copies the files of the running server, so there must be a ticket to save. */
static void do_handoff(struct shell_state *st, struct shell_actions *out)
{
	int tool = shell_tools_find(st->tools, st->n_all_tools, "handoff");

	if (tool < 0) {
		return;
	}
	if ((st->phase != SHELL_REMOTE_WAITING && st->phase != SHELL_REMOTE_IN_USE) ||
	    !st->have_info) {
		shell_state_set_notice(st, "No ticket to save yet: press N for one first.");
		return;
	}
	shell_state_set_notice(st, "");
	open_program(st, (size_t)tool, out);
}

static void cycle_view(struct shell_state *st, int dir)
{
	/* Views in tab order: Remote Connection (if open), then the panes. */
	int n = (int)st->n_panes + (st->remote_tab ? 1 : 0);
	int cur;

	if (n == 0) {
		return;
	}
	if (st->view == SHELL_VIEW_REMOTE) {
		cur = 0;
	} else {
		cur = (int)st->active_pane + (st->remote_tab ? 1 : 0);
	}
	cur = ((cur + dir) % n + n) % n;
	if (st->remote_tab && cur == 0) {
		show_remote(st);
	} else {
		show_pane(st, (size_t)(cur - (st->remote_tab ? 1 : 0)));
	}
	st->focus = SHELL_FOCUS_MAIN;
	st->damage |= SHELL_DAMAGE_LIST;
}

static void close_exited_pane(struct shell_state *st)
{
	const struct shell_pane *p = shell_state_active_pane(st);

	if (p && p->exited) {
		/* a program the panel opened gives the view back to the panel */
		bool to_panel = (st->tools[p->tool].flags & SHELL_TOOL_UNLISTED) && st->remote_tab;

		shell_state_pane_removed(st, p->id);
		if (to_panel) {
			show_remote(st);
		}
		if (st->n_panes == 0 && !st->remote_tab) {
			st->focus = SHELL_FOCUS_LIST;
		}
	}
}

void shell_state_key(struct shell_state *st, const struct shell_key *key, struct shell_actions *out)
{
	bool plain = (key->mods & (SHELL_MOD_CTRL | SHELL_MOD_ALT | SHELL_MOD_LOGO)) == 0;

	if (key->source == SHELL_SOURCE_LOCAL && st->notice[0]) {
		shell_state_set_notice(st, "");
	}
	/* Keys that work everywhere, whatever has the focus. */
	switch (key->keysym) {
	case SHELL_KEY_END_SESSION:
		do_end_session(st, key->source, out);
		return;
	case SHELL_KEY_VIEW_ONLY:
		do_view_only(st, key->source, out);
		return;
	case SHELL_KEY_F1:
		st->focus = SHELL_FOCUS_LIST;
		st->damage |= SHELL_DAMAGE_LIST | SHELL_DAMAGE_MAIN;
		return;
	case SHELL_KEY_F2:
		cycle_view(st, (key->mods & SHELL_MOD_SHIFT) ? -1 : 1);
		return;
	default:
		break;
	}

	if (st->focus == SHELL_FOCUS_LIST) {
		switch (key->keysym) {
		case SHELL_KEY_UP:
			st->selected = (st->selected + st->n_tools - 1) % st->n_tools;
			st->damage |= SHELL_DAMAGE_LIST;
			return;
		case SHELL_KEY_DOWN:
		case SHELL_KEY_TAB:
			st->selected = (st->selected + 1) % st->n_tools;
			st->damage |= SHELL_DAMAGE_LIST;
			return;
		case SHELL_KEY_ISO_LEFT_TAB:
			st->selected = (st->selected + st->n_tools - 1) % st->n_tools;
			st->damage |= SHELL_DAMAGE_LIST;
			return;
		case SHELL_KEY_HOME:
			st->selected = 0;
			st->damage |= SHELL_DAMAGE_LIST;
			return;
		case SHELL_KEY_END:
			st->selected = st->n_tools - 1;
			st->damage |= SHELL_DAMAGE_LIST;
			return;
		case SHELL_KEY_RETURN:
		case SHELL_KEY_KP_ENTER:
		case ' ':
			open_tool(st, st->selected, key->source, out);
			return;
		case SHELL_KEY_ESCAPE:
			if (st->n_panes || st->remote_tab) {
				st->focus = SHELL_FOCUS_MAIN;
				st->damage |= SHELL_DAMAGE_LIST | SHELL_DAMAGE_MAIN;
			}
			return;
		default:
			break;
		}
		if (plain && key->keysym >= '1' && key->keysym <= '9' &&
		    (size_t)(key->keysym - '1') < st->n_tools) {
			open_tool(st, key->keysym - '1', key->source, out);
		}
		return;
	}

	if (st->view == SHELL_VIEW_REMOTE) {
		switch (key->keysym) {
		case SHELL_KEY_ESCAPE:
			st->focus = SHELL_FOCUS_LIST;
			st->damage |= SHELL_DAMAGE_LIST | SHELL_DAMAGE_MAIN;
			return;
		case 'n':
		case 'N':
			if (plain) {
				do_new_ticket(st, key->source, out);
			}
			return;
		case 'f':
		case 'F':
			if (plain) {
				st->full_fingerprint = !st->full_fingerprint;
				st->damage |= SHELL_DAMAGE_MAIN;
			}
			return;
		case 's':
		case 'S':
			if (plain) {
				do_handoff(st, out);
			}
			return;
		default:
			return;
		}
	}

	const struct shell_pane *p = shell_state_active_pane(st);

	if (!p) {
		return;
	}
	if (p->exited) {
		/* A finished tool: Enter or Escape closes its pane. */
		if (key->keysym == SHELL_KEY_RETURN || key->keysym == SHELL_KEY_ESCAPE ||
		    key->keysym == SHELL_KEY_KP_ENTER) {
			close_exited_pane(st);
		}
		return;
	}
	push_action(out, (struct shell_action){
				 .kind = SHELL_ACTION_PANE_KEY, .pane_id = p->id, .key = *key });
}

void shell_state_click(struct shell_state *st, struct shell_target target, enum shell_source source,
		       struct shell_actions *out)
{
	if (source == SHELL_SOURCE_LOCAL && st->notice[0]) {
		shell_state_set_notice(st, "");
	}
	switch (target.kind) {
	case SHELL_TARGET_NONE:
		return;
	case SHELL_TARGET_TOOL:
		if (target.index >= 0 && (size_t)target.index < st->n_tools) {
			open_tool(st, (size_t)target.index, source, out);
		}
		return;
	case SHELL_TARGET_TAB:
		if (target.index < 0) {
			if (st->remote_tab) {
				show_remote(st);
			}
		} else if ((size_t)target.index < st->n_panes) {
			show_pane(st, (size_t)target.index);
		}
		st->focus = SHELL_FOCUS_MAIN;
		st->damage |= SHELL_DAMAGE_LIST;
		return;
	case SHELL_TARGET_CONTENT:
		if (st->focus != SHELL_FOCUS_MAIN) {
			st->focus = SHELL_FOCUS_MAIN;
			st->damage |= SHELL_DAMAGE_LIST | SHELL_DAMAGE_MAIN;
		}
		return;
	case SHELL_TARGET_BUTTON_NEW_TICKET:
		do_new_ticket(st, source, out);
		return;
	case SHELL_TARGET_BUTTON_VIEW_ONLY:
		do_view_only(st, source, out);
		return;
	case SHELL_TARGET_BUTTON_END_SESSION:
		do_end_session(st, source, out);
		return;
	case SHELL_TARGET_BUTTON_HANDOFF:
		do_handoff(st, out);
		return;
	}
}

static void remote_log(struct shell_state *st, time_t now, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void remote_log(struct shell_state *st, time_t now, const char *fmt, ...)
{
	va_list ap;

	if (st->n_log == SHELL_REMOTE_LOG) {
		memmove(&st->log[0], &st->log[1], (SHELL_REMOTE_LOG - 1) * sizeof(st->log[0]));
		st->n_log--;
	}
	st->log[st->n_log].when = now;
	va_start(ap, fmt);
	vsnprintf(st->log[st->n_log].text, sizeof(st->log[0].text), fmt, ap);
	va_end(ap);
	st->n_log++;
}

static void set_phase(struct shell_state *st, enum shell_remote_phase phase)
{
	bool was = shell_state_in_session(st);

	st->phase = phase;
	st->damage |= SHELL_DAMAGE_HEADER | SHELL_DAMAGE_MAIN;
	if (was != shell_state_in_session(st)) {
		/* The banner appears or goes: the layout changes. */
		st->damage |= SHELL_DAMAGE_ALL;
	}
}

static void set_info(struct shell_state *st, const struct shell_conninfo *info)
{
	shell_conninfo_wipe(&st->info);
	st->info = *info;
	st->have_info = true;
}

/* Copies text that may quote what the network sent: printable ASCII only. */
static void copy_printable(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
	for (char *p = dst; *p; p++) {
		if (*p < 0x20 || *p > 0x7e) {
			*p = '?';
		}
	}
}

/* The HTTPS hand-off's last report (an event, or the state event of a late attach). */
static void set_announce(struct shell_state *st, const struct shell_control_event *ev)
{
	if (!ev->announce_state[0]) {
		return;
	}
	copy_printable(st->announce_state, sizeof(st->announce_state), ev->announce_state);
	copy_printable(st->announce_reason, sizeof(st->announce_reason), ev->announce_reason);
	st->announce_retry_s = ev->announce_retry_s;
	st->damage |= SHELL_DAMAGE_MAIN;
}

/* The tunnel's last report (an event, or the state event of a late attach). */
static void set_reverse(struct shell_state *st, const struct shell_control_event *ev)
{
	struct shell_reverse_info *rv = &st->reverse;

	if (!ev->reverse.state[0]) {
		return;
	}
	*rv = ev->reverse;
	copy_printable(rv->state, sizeof(rv->state), ev->reverse.state);
	copy_printable(rv->bastion, sizeof(rv->bastion), ev->reverse.bastion);
	copy_printable(rv->reason, sizeof(rv->reason), ev->reverse.reason);
	copy_printable(rv->machine_key, sizeof(rv->machine_key), ev->reverse.machine_key);
	st->damage |= SHELL_DAMAGE_MAIN;
}

void shell_state_control(struct shell_state *st, const struct shell_control_event *ev, time_t now)
{
	switch (ev->kind) {
	case SHELL_CONTROL_STATE:
		if (ev->has_info) {
			set_info(st, &ev->info);
		}
		set_announce(st, ev);
		set_reverse(st, ev);
		st->view_only = ev->view_only;
		st->failures = ev->failures;
		if (ev->phase == SHELL_REMOTE_IN_USE) {
			snprintf(st->peer, sizeof(st->peer), "%s", ev->peer);
			if (st->phase != SHELL_REMOTE_IN_USE || ev->since) {
				st->since = ev->since ? ev->since : now;
			}
		}
		set_phase(st, ev->phase);
		return;
	case SHELL_CONTROL_READY:
		if (ev->has_info) {
			set_info(st, &ev->info);
		}
		st->failures = 0;
		st->remaining = -1;
		st->n_log = 0;
		st->peer[0] = '\0';
		set_phase(st, SHELL_REMOTE_WAITING);
		return;
	case SHELL_CONTROL_AUTH_FAILED:
		st->failures = ev->failures;
		st->remaining = ev->remaining;
		if (ev->remaining >= 0) {
			remote_log(st, now, "Wrong ticket from %s (%d more tries allowed)",
				   ev->peer, ev->remaining);
		} else {
			remote_log(st, now, "Wrong ticket from %s", ev->peer);
		}
		st->damage |= SHELL_DAMAGE_MAIN | SHELL_DAMAGE_HEADER;
		return;
	case SHELL_CONTROL_REFUSED:
		remote_log(st, now, "Turned away %s: %s", ev->peer, ev->reason);
		st->damage |= SHELL_DAMAGE_MAIN;
		return;
	case SHELL_CONTROL_CONNECTED:
		snprintf(st->peer, sizeof(st->peer), "%s", ev->peer);
		snprintf(st->peer_user, sizeof(st->peer_user), "%s", ev->user);
		st->view_only = ev->view_only;
		st->since = now;
		remote_log(st, now, "Helpdesk connected from %s", ev->peer);
		set_phase(st, SHELL_REMOTE_IN_USE);
		return;
	case SHELL_CONTROL_DISCONNECTED:
		remote_log(st, now, "Helpdesk at %s left", ev->peer);
		if (st->phase == SHELL_REMOTE_IN_USE) {
			set_phase(st, SHELL_REMOTE_WAITING);
		}
		return;
	case SHELL_CONTROL_REVOKED:
		st->failures = ev->failures;
		remote_log(st, now, "Ticket revoked after %d wrong tries", ev->failures);
		set_phase(st, SHELL_REMOTE_REVOKED);
		return;
	case SHELL_CONTROL_EXPIRED:
		remote_log(st, now, "Ticket expired unused");
		set_phase(st, SHELL_REMOTE_EXPIRED);
		return;
	case SHELL_CONTROL_ENDED:
		remote_log(st, now, "Remote Connection ended");
		set_phase(st, SHELL_REMOTE_ENDED);
		return;
	case SHELL_CONTROL_ANNOUNCE:
		set_announce(st, ev);
		return;
	case SHELL_CONTROL_REVERSE:
		set_reverse(st, ev);
		return;
	case SHELL_CONTROL_VIEW_ONLY:
		st->view_only = ev->view_only;
		st->damage |= SHELL_DAMAGE_MAIN | SHELL_DAMAGE_BANNER | SHELL_DAMAGE_HEADER;
		return;
	case SHELL_CONTROL_REPLY_ERROR:
		shell_state_set_notice(st, ev->reason);
		return;
	case SHELL_CONTROL_LOST:
		if (st->phase != SHELL_REMOTE_OFF) {
			shell_state_set_notice(st, "Lost the connection to lifeline-server.");
			set_phase(st, SHELL_REMOTE_FAILED);
		}
		return;
	case SHELL_CONTROL_START_FAILED:
		shell_state_set_notice(st, ev->reason[0] ? ev->reason
							 : "Could not start lifeline-server.");
		set_phase(st, SHELL_REMOTE_FAILED);
		return;
	case SHELL_CONTROL_REPLY_OK:
	case SHELL_CONTROL_TEXT:
	case SHELL_CONTROL_CLIPBOARD:
	case SHELL_CONTROL_UNKNOWN:
		return;
	}
}
