#pragma once

/*
 * The shell's UI state: the tool list, the panes, the Remote Connection panel and the session
 * banner. Pure: it takes keys, clicks, control-socket events and the time as input and answers
 * with actions for main.c to carry out (open a pane, send a command, start the server). No
 * devices, no sockets, no clock of its own, so unit tests drive it with synthetic events.
 *
 * Local versus remote: every input carries its source. Ending the session, view-only, starting
 * Remote Connection and new tickets are honoured only from SHELL_SOURCE_LOCAL. Saving the
 * connection info to a USB stick is honoured from both: it hands out nothing a connected
 * helpdesk does not hold already, and the helpdesk's Shell pane can run lifeline-handoff anyway.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "changes.h"
#include "control-event.h"
#include "tools.h"

#define SHELL_MAX_PANES      12
#define SHELL_MAX_HOST_ADDRS 8
#define SHELL_REMOTE_LOG     6

/* Keys the state knows by name (X keysyms, so xkbcommon's values pass through unchanged). */
#define SHELL_KEY_RETURN       0xff0d
#define SHELL_KEY_KP_ENTER     0xff8d
#define SHELL_KEY_ESCAPE       0xff1b
#define SHELL_KEY_TAB          0xff09
#define SHELL_KEY_ISO_LEFT_TAB 0xfe20
#define SHELL_KEY_HOME         0xff50
#define SHELL_KEY_UP           0xff52
#define SHELL_KEY_DOWN         0xff54
#define SHELL_KEY_END          0xff57
#define SHELL_KEY_F1           0xffbe
#define SHELL_KEY_F2           0xffbf
#define SHELL_KEY_F11          0xffc8
#define SHELL_KEY_F12          0xffc9

/* The key that ends the session and the one that toggles view-only (local keyboard only). */
#define SHELL_KEY_END_SESSION SHELL_KEY_F12
#define SHELL_KEY_VIEW_ONLY   SHELL_KEY_F11

enum shell_source {
	SHELL_SOURCE_LOCAL,
	SHELL_SOURCE_REMOTE,
};

enum shell_mod {
	SHELL_MOD_SHIFT = 1 << 0,
	SHELL_MOD_CTRL = 1 << 1,
	SHELL_MOD_ALT = 1 << 2,
	SHELL_MOD_LOGO = 1 << 3,
};

/* A key press (or auto-repeat); releases are not events for the UI. */
struct shell_key {
	uint32_t keysym;
	/* The character it types, 0 if none. */
	uint32_t unicode;
	/* The key's symbol without modifiers, for Ctrl combinations in terminals. */
	uint32_t base_keysym;
	unsigned mods;
	enum shell_source source;
};

enum shell_focus {
	SHELL_FOCUS_LIST,
	SHELL_FOCUS_MAIN,
};

enum shell_view {
	SHELL_VIEW_REMOTE,
	SHELL_VIEW_PANE,
};

/* What a pointer press landed on (layout.c finds it). */
enum shell_target_kind {
	SHELL_TARGET_NONE,
	SHELL_TARGET_TOOL,
	/* index -1: the Remote Connection tab; else the pane index. */
	SHELL_TARGET_TAB,
	SHELL_TARGET_CONTENT,
	SHELL_TARGET_BUTTON_NEW_TICKET,
	SHELL_TARGET_BUTTON_VIEW_ONLY,
	SHELL_TARGET_BUTTON_END_SESSION,
	SHELL_TARGET_BUTTON_HANDOFF,
};

struct shell_target {
	enum shell_target_kind kind;
	int index;
};

enum shell_damage {
	SHELL_DAMAGE_HEADER = 1 << 0,
	SHELL_DAMAGE_LIST = 1 << 1,
	SHELL_DAMAGE_MAIN = 1 << 2,
	SHELL_DAMAGE_BANNER = 1 << 3,
	/* The geometry changed (banner shown or hidden, pane added): redraw everything. */
	SHELL_DAMAGE_ALL = 0xff,
};

enum shell_action_kind {
	/* Open a pane running tools[tool]; answer with shell_state_pane_added(). */
	SHELL_ACTION_OPEN_PANE,
	/* Give `key` to the terminal of pane `pane_id`. */
	SHELL_ACTION_PANE_KEY,
	/* Attach to the server, starting it if needed; answer with control events. */
	SHELL_ACTION_REMOTE_START,
	/* Send `command` (with `enabled` for view-only) on the control socket. */
	SHELL_ACTION_REMOTE_COMMAND,
};

struct shell_action {
	enum shell_action_kind kind;
	size_t tool;
	unsigned pane_id;
	struct shell_key key;
	enum shell_command command;
	bool enabled;
};

struct shell_actions {
	size_t n;
	struct shell_action a[4];
};

struct shell_pane {
	unsigned id;
	size_t tool;
	bool exited;
	int exit_status;
};

struct shell_remote_log_entry {
	time_t when;
	char text[160];
};

struct shell_state {
	const struct shell_tool *tools;
	/* The list shows tools[0..n_tools); tools[n_tools..n_all_tools) are SHELL_TOOL_UNLISTED. */
	size_t n_tools;
	size_t n_all_tools;
	size_t selected;
	enum shell_focus focus;
	enum shell_view view;
	/* The Remote Connection tab stays once opened. */
	bool remote_tab;

	struct shell_pane panes[SHELL_MAX_PANES];
	size_t n_panes;
	size_t active_pane;

	/* Header. */
	char hostname[64];
	char host_addrs[SHELL_MAX_HOST_ADDRS][64];
	size_t n_host_addrs;
	time_t now;
	int tz_offset_min;
	char keymap[48];

	/* Remote Connection. */
	enum shell_remote_phase phase;
	bool have_info;
	struct shell_conninfo info;
	/* The HTTPS hand-off (lifeline.announce-url): "" (none), "posting", "sent", "failed" */
	char announce_state[12];
	char announce_reason[160];
	unsigned announce_retry_s;
	/* The tunnel through the helpdesk's bastion (lifeline.reverse=), printable ASCII only */
	struct shell_reverse_info reverse;
	/* F on the panel: the SHA-256 fingerprint in full instead of its ends */
	bool full_fingerprint;
	bool view_only;
	int failures;
	int remaining;
	char peer[64];
	char peer_user[64];
	time_t since;
	struct shell_remote_log_entry log[SHELL_REMOTE_LOG];
	size_t n_log;
	/* The last lines of the tools' audit log, oldest first (changes.h). */
	char changes[SHELL_CHANGES_LINES][SHELL_CHANGE_TEXT];
	size_t n_changes;

	/* A one-line message in the main area (e.g. why a remote key was ignored). */
	char notice[160];

	unsigned damage;
};

/* tools[0..n_tools): the listed tools, then any flagged SHELL_TOOL_UNLISTED. */
void shell_state_init(struct shell_state *st, const struct shell_tool *tools, size_t n_tools);
void shell_state_fini(struct shell_state *st);

/* A key press. Appends what main.c must do to `out` (which it must have emptied). */
void shell_state_key(struct shell_state *st, const struct shell_key *key,
		     struct shell_actions *out);

/* A pointer press on `target` from `source`. */
void shell_state_click(struct shell_state *st, struct shell_target target, enum shell_source source,
		       struct shell_actions *out);

/* An event from the control socket (or LOST / START_FAILED from main.c), at time `now`. */
void shell_state_control(struct shell_state *st, const struct shell_control_event *ev, time_t now);

/* Opens the tools flagged SHELL_TOOL_AT_START. */
void shell_state_start(struct shell_state *st, struct shell_actions *out);

/* Asks for the keyboard layout, as DaRT does at start: opens the tool flagged
 * SHELL_TOOL_SETS_KEYMAP with the focus on it (call after shell_state_start, when neither the
 * command line nor an option named a layout). Enter alone there keeps the current one. */
void shell_state_ask_keymap(struct shell_state *st, struct shell_actions *out);

/* main.c made the pane that OPEN_PANE asked for; it becomes the active view. -ENOSPC if full. */
int shell_state_pane_added(struct shell_state *st, unsigned pane_id, size_t tool);

/*
 * The program in pane `pane_id` exited. Panes of respawning tools ask to be reopened (an
 * OPEN_PANE action); others stay until closed, showing the exit status.
 */
void shell_state_pane_exited(struct shell_state *st, unsigned pane_id, int status,
			     struct shell_actions *out);

/* Removes a pane (after the user closed an exited one). */
void shell_state_pane_removed(struct shell_state *st, unsigned pane_id);

/* Index of the pane with this id, or -ENOENT. */
int shell_state_pane_index(const struct shell_state *st, unsigned pane_id);

/* The pane shown in the main area, or NULL when the Remote Connection panel is shown. */
const struct shell_pane *shell_state_active_pane(const struct shell_state *st);

/* The clock (the header shows minutes; damages the header only when the minute changes). */
void shell_state_set_time(struct shell_state *st, time_t now, int tz_offset_min);
void shell_state_set_host(struct shell_state *st, const char *hostname, const char *const *addrs,
			  size_t n_addrs);
void shell_state_set_keymap(struct shell_state *st, const char *name);
void shell_state_set_notice(struct shell_state *st, const char *notice);
/* The audit log's last lines (at most SHELL_CHANGES_LINES, cleaned): the panel redraws only
 * when they differ from the ones it shows. True if they did. */
bool shell_state_set_changes(struct shell_state *st, const char (*lines)[SHELL_CHANGE_TEXT],
			     size_t n);

/* True while a helpdesk session is on (the banner shows). */
bool shell_state_in_session(const struct shell_state *st);

/* Short text for the header: "off", "waiting for the helpdesk", "connected: 10.0.0.5", ... */
const char *shell_state_phase_text(enum shell_remote_phase phase);

/* Returns and clears the damage bits. */
unsigned shell_state_take_damage(struct shell_state *st);
