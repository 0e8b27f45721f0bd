/*
 * lifeline-shell: the recovery console. Draws the tool list, terminal panes and the Remote
 * Connection panel on KMS (or fbdev, or in memory), reads the keyboard and mouse through
 * libinput, and drives lifeline-server through its control socket.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/input-event-codes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xkbcommon/xkbcommon.h>

#include "lifeline-config.h"

#include "changes.h"
#include "display.h"
#include "host.h"
#include "input.h"
#include "last-input.h"
#include "layout.h"
#include "paste.h"
#include "remote.h"
#include "render.h"
#include "state.h"
#include "term.h"
#include "tools.h"
#include "vt.h"

#ifndef LIFELINE_TOOLS_DIR
#define LIFELINE_TOOLS_DIR "/usr/libexec/lifeline/tools"
#endif
#ifndef LIFELINE_SERVER_PATH
#define LIFELINE_SERVER_PATH "/usr/bin/lifeline-server"
#endif

#define MAX_SERVER_ARGS    32
#define START_TIMEOUT_MS   60000
#define RETRY_INTERVAL_MS  100
#define ATTACH_INTERVAL_MS 500
/* Text the helpdesk typed as Unicode: how many texts may wait for their marker, and how long
 * a marker waits for its text before the keys behind it go on. */
#define MAX_PENDING_TEXTS 256
#define TEXT_WAIT_MS      2000
#define PASTE_WAIT_MS     5000
#define RUN_DIR           "/run/lifeline"

enum tag {
	TAG_SIGNAL = 1,
	TAG_DISPLAY,
	TAG_INPUT,
	TAG_REMOTE,
	TAG_RETRY,
	TAG_CLOCK,
	TAG_NET,
	TAG_PANE,
	TAG_TEXT,
	TAG_PASTE,
	TAG_CHANGES,
};

struct pane_term {
	unsigned id;
	struct shell_term *term;
	size_t tool;
};

struct options {
	const char *display;
	const char *device;
	int width, height;
	const char *vt;
	bool no_vt;
	bool no_input;
	bool trust_virtual;
	const char *keymap;
	const char *cmdline_path;
	const char *socket_path;
	const char *server_argv[MAX_SERVER_ARGS + 3];
	char kernel_cmdline_arg[PATH_MAX + 20];
	size_t n_server_args;
	const char *server_log;
	const char *tools_dir;
	const char *run_dir;
	const char *announce;
	const char *screenshot;
	bool exit_after_frame;
	const char *open_tool;
	const char *hostname;
	const char *addresses[SHELL_HOST_MAX_ADDRS];
	size_t n_addresses;
	long long clock;
	int tz_offset_min;
	bool tz_fixed;
};

struct app {
	struct options opt;
	struct shell_state st;
	struct shell_layout layout;
	bool layout_valid;
	struct shell_render *render;
	struct shell_display *display;
	struct shell_input *input;
	struct shell_remote *remote;
	int epfd, sigfd, clockfd, retryfd, netfd, changesfd;
	int remote_fd_registered;
	struct pane_term panes[SHELL_MAX_PANES];
	size_t n_panes;
	unsigned next_pane_id;
	unsigned pending_damage;
	bool pointer_dirty;
	int ptr_x, ptr_y;
	bool ptr_visible;
	bool running;
	int exit_code;
	FILE *announce;
	bool first_frame;
	struct timespec t0;
	/* Starting the server: deadline for its socket (monotonic ms), 0 when not starting. */
	long long start_deadline;
	bool attach_retry;
	enum shell_remote_phase announced_phase;
	/* The tunnel through the bastion as last announced (state, port, reason, machine key). */
	struct shell_reverse_info announced_reverse;
	unsigned debug_stall_ms;
	bool keymap_given; /* by --keymap or lifeline.keymap: no question at start */
	bool remote_auto;  /* lifeline.remote=auto: the ticket goes in front once attached */
	bool ticket_announced;
	unsigned grid_cols, grid_rows;
	/* Texts from the server's "text" events, oldest first, each typed at its marker. */
	char *texts[MAX_PENDING_TEXTS];
	size_t texts_head, texts_n;
	bool awaiting_text; /* a marker came first: input is held until its text (textfd) */
	int textfd;
	/* The clipboard: a paste waiting for the server's clipboard event (input held, pastefd),
	 * and a mouse selection being dragged in a pane. */
	bool paste_pending;
	unsigned paste_pane;
	int pastefd;
	bool selecting, selection_moved;
	unsigned sel_pane, sel_col, sel_row;
	/* Who typed or clicked last, for the tools' audit lines; failures are logged once. */
	struct shell_last_input last_input;
	bool last_input_failed;
	char changes_path[512];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("lifeline-shell: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Marker lines for the serial console (tests, helpdesk scripts): --announce=FILE. */
static void announce(struct app *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void announce(struct app *a, const char *fmt, ...)
{
	va_list ap;

	if (!a->announce) {
		return;
	}
	fputs("lifeline-shell: ", a->announce);
	va_start(ap, fmt);
	vfprintf(a->announce, fmt, ap);
	va_end(ap);
	fputs("\n", a->announce);
	fflush(a->announce);
}

static double since_start(const struct app *a)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)(ts.tv_sec - a->t0.tv_sec) + (ts.tv_nsec - a->t0.tv_nsec) / 1e9;
}

static int ep_add(struct app *a, int fd, enum tag tag, unsigned idx)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ((uint64_t)tag << 32) | idx };

	return epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void arm_timer(int fd, long long first_ms, long long interval_ms)
{
	struct itimerspec its = {
		.it_value = { first_ms / 1000, (first_ms % 1000) * 1000000L },
		.it_interval = { interval_ms / 1000, (interval_ms % 1000) * 1000000L },
	};

	timerfd_settime(fd, 0, &its, NULL);
}

static void drain_timer(int fd)
{
	uint64_t n;

	while (read(fd, &n, sizeof(n)) == sizeof(n)) {
	}
}

/* ---- panes ---- */

static void term_copy(void *data, struct shell_term *t, const char *text, size_t len);
static bool remote_blocked(const struct app *a, enum shell_source src);

static struct pane_term *find_pane(struct app *a, unsigned id)
{
	for (size_t i = 0; i < a->n_panes; i++) {
		if (a->panes[i].id == id) {
			return &a->panes[i];
		}
	}
	return NULL;
}

static struct shell_term *term_lookup(void *data, unsigned pane_id)
{
	struct pane_term *p = find_pane(data, pane_id);

	return p ? p->term : NULL;
}

static void drop_pane(struct app *a, unsigned id)
{
	for (size_t i = 0; i < a->n_panes; i++) {
		if (a->panes[i].id == id) {
			shell_term_destroy(a->panes[i].term);
			a->panes[i] = a->panes[--a->n_panes];
			return;
		}
	}
}

/* Panes the state no longer knows (closed by the user) are freed. */
static void sync_panes(struct app *a)
{
	for (size_t i = 0; i < a->n_panes;) {
		if (shell_state_pane_index(&a->st, a->panes[i].id) < 0) {
			drop_pane(a, a->panes[i].id);
		} else {
			i++;
		}
	}
}

static void handle_actions(struct app *a, struct shell_actions *acts);

static void term_request(void *data, struct shell_term *t, const char *key, const char *value)
{
	struct app *a = data;
	struct pane_term *p = NULL;
	char layout[64], variant[64], name[132];

	for (size_t i = 0; i < a->n_panes; i++) {
		if (a->panes[i].term == t) {
			p = &a->panes[i];
		}
	}
	/* Only tools flagged for it may switch the layout. */
	if (!p || !(a->st.tools[p->tool].flags & SHELL_TOOL_SETS_KEYMAP) ||
	    strcmp(key, "keymap") != 0) {
		return;
	}
	if (shell_input_parse_layout(value, layout, sizeof(layout), variant, sizeof(variant)) < 0 ||
	    (a->input && shell_input_set_layout(a->input, layout, variant) < 0)) {
		shell_state_set_notice(&a->st, "That keyboard layout is not known.");
		return;
	}
	snprintf(name, sizeof(name), "%s%s%s", layout, variant[0] ? ":" : "", variant);
	shell_state_set_keymap(&a->st, name);
	announce(a, "keymap %s", name);
}

static void open_pane(struct app *a, size_t tool)
{
	const struct shell_tool *t = &a->st.tools[tool];
	char path[512], env_tool[96], env_sock[512];
	const char *argv[] = { path, NULL };
	/* LIFELINE_PANE: the tool runs on this console; its audit lines take who typed last from
	 * last-input (toolset/audit.c). */
	char env_announce[300] = "LIFELINE_ANNOUNCE=";
	const char *env[] = { env_tool, env_sock, "LIFELINE_PANE=1", env_announce, NULL };
	struct pane_term *p;
	int r;

	if (a->n_panes >= SHELL_MAX_PANES) {
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", a->opt.tools_dir, t->id);
	snprintf(env_tool, sizeof(env_tool), "LIFELINE_TOOL=%s", t->id);
	/* the toolset's dialogs announce themselves on the same channel (toolset/tui.c) */
	if (a->opt.announce) {
		snprintf(env_announce, sizeof(env_announce), "LIFELINE_ANNOUNCE=%s", a->opt.announce);
	}
	snprintf(env_sock, sizeof(env_sock), "LIFELINE_CONTROL_SOCKET=%s",
		 a->opt.socket_path ? a->opt.socket_path : "/run/lifeline/control.sock");
	p = &a->panes[a->n_panes];
	r = shell_term_spawn(argv, env, a->grid_cols ? a->grid_cols : 80,
			     a->grid_rows ? a->grid_rows : 24, &p->term);
	if (r < 0) {
		log_msg("cannot start %s: %s", path, strerror(-r));
		shell_state_set_notice(&a->st, "The tool could not be started.");
		return;
	}
	p->id = ++a->next_pane_id;
	p->tool = tool;
	a->n_panes++;
	shell_term_set_request_handler(p->term, term_request, a);
	shell_term_set_copy_handler(p->term, term_copy, a);
	ep_add(a, shell_term_get_fd(p->term), TAG_PANE, p->id);
	shell_state_pane_added(&a->st, p->id, tool);
	announce(a, "pane %s", t->id);
}

/* ---- Remote Connection ---- */

static void remote_event(void *data, struct shell_control_event *ev);
static void text_arrived(struct app *a, struct shell_control_event *ev);
static void drop_texts(struct app *a);
static void paste_arrived(struct app *a, const struct shell_control_event *ev);
static void end_paste_wait(struct app *a);

/* The shell itself picks a tool, as the person would on the local keyboard. -ENOENT if the
 * tool list has no such tool. */
static int open_tool_locally(struct app *a, const char *id)
{
	int idx = shell_tools_find(a->st.tools, a->st.n_tools, id);
	struct shell_actions acts = { 0 };

	if (idx < 0) {
		return idx;
	}
	shell_state_click(&a->st, (struct shell_target){ SHELL_TARGET_TOOL, idx },
			  SHELL_SOURCE_LOCAL, &acts);
	handle_actions(a, &acts);
	return 0;
}

static void remote_attached(struct app *a)
{
	a->start_deadline = 0;
	a->attach_retry = false;
	arm_timer(a->retryfd, 0, 0);
	ep_add(a, shell_remote_get_fd(a->remote), TAG_REMOTE, 0);
	log_msg("attached to lifeline-server");
}

static void remote_start(struct app *a)
{
	struct shell_control_event ev = { .kind = SHELL_CONTROL_START_FAILED };
	pid_t pid;

	if (shell_remote_connect(a->remote) == 0) {
		remote_attached(a);
		return;
	}
	if (shell_remote_server_pid(a->remote) <= 0) {
		pid = shell_remote_spawn(a->remote);
		if (pid < 0) {
			snprintf(ev.reason, sizeof(ev.reason),
				 "Could not start lifeline-server: %s", strerror((int)-pid));
			shell_state_control(&a->st, &ev, a->st.now);
			return;
		}
		log_msg("started lifeline-server (pid %d)", (int)pid);
	}
	a->start_deadline = now_ms() + START_TIMEOUT_MS;
	arm_timer(a->retryfd, RETRY_INTERVAL_MS, RETRY_INTERVAL_MS);
}

static void remote_retry(struct app *a)
{
	drain_timer(a->retryfd);
	if (shell_remote_connected(a->remote)) {
		arm_timer(a->retryfd, 0, 0);
		return;
	}
	if (shell_remote_connect(a->remote) == 0) {
		remote_attached(a);
		return;
	}
	if (a->start_deadline && now_ms() > a->start_deadline) {
		struct shell_control_event ev = { .kind = SHELL_CONTROL_START_FAILED };

		snprintf(ev.reason, sizeof(ev.reason),
			 "lifeline-server did not come up; see its log.");
		a->start_deadline = 0;
		arm_timer(a->retryfd, 0, 0);
		shell_state_control(&a->st, &ev, a->st.now);
	}
}

static void remote_send(struct app *a, enum shell_command cmd, bool enabled)
{
	int r = shell_remote_send(a->remote, cmd, enabled);

	if (r < 0) {
		shell_state_set_notice(&a->st, "Could not reach lifeline-server.");
		log_msg("control command failed: %s", strerror(-r));
	}
}

static void announce_remote(struct app *a)
{
	const struct shell_state *st = &a->st;

	if (st->phase == a->announced_phase) {
		return;
	}
	a->announced_phase = st->phase;
	a->ticket_announced = false;
	if (st->phase == SHELL_REMOTE_WAITING && st->have_info) {
		char addrs[600] = "";
		size_t o = 0;

		for (size_t i = 0; i < st->info.n_addresses && o < sizeof(addrs) - 1; i++) {
			int n = snprintf(addrs + o, sizeof(addrs) - o, "%s%s", i ? "," : "",
					 st->info.addresses[i]);

			o += n > 0 ? (size_t)n : 0;
		}
		announce(a, "remote waiting ticket=%s port=%u addresses=%s sha256=%s",
			 st->info.ticket, st->info.port, addrs, st->info.sha256_fingerprint);
	} else if (st->phase == SHELL_REMOTE_IN_USE) {
		announce(a, "remote in-use peer=%s view_only=%d", st->peer, st->view_only);
	} else {
		announce(a, "remote %s", shell_state_phase_text(st->phase));
	}
}

/* The tunnel through the helpdesk's bastion, as the panel shows it, when it changes: where the
 * helpdesk connects (up), or why not and the machine key to authorise there. */
static void announce_reverse(struct app *a)
{
	const struct shell_reverse_info *rv = &a->st.reverse, *was = &a->announced_reverse;

	if (!rv->state[0] || (strcmp(rv->state, was->state) == 0 && rv->port == was->port &&
			      strcmp(rv->reason, was->reason) == 0 &&
			      strcmp(rv->machine_key, was->machine_key) == 0)) {
		return;
	}
	announce(a, "reverse state=%s bastion=%s port=%u retry=%u reason=%s", rv->state,
		 rv->bastion, rv->port, rv->retry_s, rv->reason);
	if (rv->machine_key[0] && strcmp(rv->machine_key, was->machine_key) != 0) {
		announce(a, "reverse machine-key=%s", rv->machine_key);
	}
	a->announced_reverse = *rv;
}

static void remote_event(void *data, struct shell_control_event *ev)
{
	struct app *a = data;
	bool view_only = a->st.view_only;

	if (ev->kind == SHELL_CONTROL_LOST) {
		log_msg("lost the control socket");
	}
	if (ev->kind == SHELL_CONTROL_TEXT) {
		text_arrived(a, ev);
		return;
	}
	if (ev->kind == SHELL_CONTROL_CLIPBOARD) {
		paste_arrived(a, ev);
		return;
	}
	if (ev->kind == SHELL_CONTROL_LOST && a->paste_pending) {
		end_paste_wait(a);
	}
	if (ev->kind == SHELL_CONTROL_CONNECTED && a->input) {
		int r = shell_input_set_remote_layout(a->input, ev->keyboard_layout,
						      ev->keyboard_variant);

		announce(a, "remote keyboard layout=%s variant=%s%s",
			 ev->keyboard_layout[0] ? ev->keyboard_layout : "console",
			 ev->keyboard_variant, r < 0 ? " (unknown: the console's applies)" : "");
	}
	if ((ev->kind == SHELL_CONTROL_DISCONNECTED || ev->kind == SHELL_CONTROL_LOST) &&
	    a->input) {
		shell_input_set_remote_layout(a->input, NULL, NULL);
		drop_texts(a);
	}
	if (ev->kind == SHELL_CONTROL_READY && a->st.phase == SHELL_REMOTE_WAITING) {
		/* A fresh ticket while waiting: announce it too. */
		a->announced_phase = SHELL_REMOTE_OFF;
	}
	shell_state_control(&a->st, ev, a->st.now);
	if (view_only != a->st.view_only) {
		announce(a, "view-only %s", a->st.view_only ? "on" : "off");
	}
	if (ev->kind == SHELL_CONTROL_AUTH_FAILED) {
		announce(a, "auth-failed peer=%s failures=%d", ev->peer, ev->failures);
	} else if (ev->kind == SHELL_CONTROL_ANNOUNCE) {
		announce(a, "handoff-post %s retry=%u reason=%s", a->st.announce_state,
			 a->st.announce_retry_s, a->st.announce_reason);
	}
	announce_remote(a);
	announce_reverse(a);
	/* Remote Connection at boot: whoever is at the screen must see the ticket first. */
	if (a->remote_auto &&
	    (a->st.phase == SHELL_REMOTE_WAITING || a->st.phase == SHELL_REMOTE_IN_USE)) {
		a->remote_auto = false;
		if (open_tool_locally(a, "remote") == 0) {
			announce(a, "view remote");
		}
	}
}

/* ---- the clipboard (docs/control-protocol.md) ---- */

/* Ctrl+Shift+V and Shift+Insert paste the helpdesk's clipboard into a terminal pane. */
static bool is_paste_key(const struct shell_key *k)
{
	unsigned mods = k->mods & (SHELL_MOD_SHIFT | SHELL_MOD_CTRL | SHELL_MOD_ALT | SHELL_MOD_LOGO);

	return (mods == (SHELL_MOD_SHIFT | SHELL_MOD_CTRL) &&
		(k->base_keysym == XKB_KEY_v || k->keysym == XKB_KEY_V || k->keysym == XKB_KEY_v)) ||
	       (mods == SHELL_MOD_SHIFT && k->keysym == XKB_KEY_Insert);
}

/* The helpdesk's keys typed after the paste key waited (shell_input_hold) for the paste. */
static void end_paste_wait(struct app *a)
{
	a->paste_pending = false;
	arm_timer(a->pastefd, 0, 0);
	/* Holds count: a text marker waiting too keeps its own. */
	if (a->input) {
		shell_input_hold(a->input, false);
	}
}

static void start_paste(struct app *a, struct pane_term *p)
{
	int r;

	if (a->st.view_only) {
		shell_state_set_notice(&a->st, "Nothing is pasted while the helpdesk may only watch.");
		announce(a, "paste error=view-only (shell)");
		return;
	}
	if (a->paste_pending) {
		return;
	}
	r = a->remote ? shell_remote_send(a->remote, SHELL_COMMAND_PASTE, false) : -ENOTCONN;
	if (r < 0) {
		shell_state_set_notice(&a->st, "Paste takes the helpdesk's clipboard: nobody is "
					       "connected.");
		announce(a, "paste error=%s", strerror(-r));
		return;
	}
	a->paste_pending = true;
	a->paste_pane = p->id;
	arm_timer(a->pastefd, PASTE_WAIT_MS, 0);
	if (a->input) {
		shell_input_hold(a->input, true);
	}
}

static void paste_arrived(struct app *a, const struct shell_control_event *ev)
{
	struct pane_term *p = find_pane(a, a->paste_pane);
	int r;

	if (!a->paste_pending) {
		return;
	}
	if (ev->text && p && !a->st.view_only) {
		/* before the held keys go on: Enter after the paste key comes after the text */
		r = shell_term_paste(p->term, ev->text, ev->text_len);
		announce(a, "paste bytes=%zu%s", ev->text_len, r < 0 ? " (cut short)" : "");
		if (r < 0) {
			log_msg("paste into the pane: %s", strerror(-r));
		}
	} else {
		const char *why = a->st.view_only ? "view-only" : ev->reason[0] ? ev->reason : "no-pane";

		announce(a, "paste error=%s", why);
		shell_state_set_notice(&a->st, strcmp(why, "empty") == 0 || strcmp(why, "no-text") == 0
						       ? "The helpdesk's clipboard holds no text."
						       : "Nothing was pasted.");
	}
	end_paste_wait(a);
}

static void paste_timeout(struct app *a)
{
	if (a->paste_pending) {
		log_msg("no clipboard text within %d ms", PASTE_WAIT_MS);
		announce(a, "paste error=timeout (shell)");
		end_paste_wait(a);
	}
}

/* Text for the helpdesk's clipboard: a mouse selection or a program's OSC 52. */
static void copy_to_helpdesk(struct app *a, const char *text, size_t len, const char *how)
{
	int r = a->remote ? shell_remote_send_copy(a->remote, text, len) : -ENOTCONN;

	announce(a, "copy %s bytes=%zu%s", how, len, r < 0 ? " (not sent)" : "");
	if (r < 0) {
		log_msg("copy to the helpdesk: %s", strerror(-r));
	}
}

static void term_copy(void *data, struct shell_term *t, const char *text, size_t len)
{
	copy_to_helpdesk(data, text, len, "osc52");
}

/* The cell of the active pane under (x, y); false outside its text. */
static bool cell_at(struct app *a, int x, int y, struct pane_term **ret_p, unsigned *col,
		    unsigned *row)
{
	const struct shell_pane *sp = shell_state_active_pane(&a->st);
	struct pane_term *p = sp ? find_pane(a, sp->id) : NULL;
	int pad = a->layout.unit / 2, cw, ch, cx, cy;
	unsigned cols, rows;

	if (!p || !a->layout_valid || !a->render ||
	    !shell_rect_contains(&a->layout.content, x, y)) {
		return false;
	}
	shell_render_cell_size(a->render, &a->layout, &cw, &ch);
	shell_term_get_size(p->term, &cols, &rows);
	if (cw <= 0 || ch <= 0 || cols == 0 || rows == 0) {
		return false;
	}
	cx = (x - a->layout.content.x - pad) / cw;
	cy = (y - a->layout.content.y - pad) / ch;
	*col = cx < 0 ? 0 : (unsigned)cx >= cols ? cols - 1 : (unsigned)cx;
	*row = cy < 0 ? 0 : (unsigned)cy >= rows ? rows - 1 : (unsigned)cy;
	*ret_p = p;
	return true;
}

/* Left-drag in a terminal pane selects; letting go copies the selection to the helpdesk. */
static void select_button(struct app *a, int x, int y, uint32_t button, bool pressed,
			  enum shell_source source)
{
	struct pane_term *p;
	unsigned col, row;
	char *text;
	size_t len;

	if (button != BTN_LEFT || remote_blocked(a, source)) {
		return;
	}
	if (pressed) {
		if (!cell_at(a, x, y, &p, &col, &row)) {
			return;
		}
		shell_term_select_clear(p->term);
		shell_term_select_start(p->term, col, row);
		a->selecting = true;
		a->selection_moved = false;
		a->sel_pane = p->id;
		a->sel_col = col;
		a->sel_row = row;
		a->pending_damage |= SHELL_DAMAGE_MAIN;
		return;
	}
	if (!a->selecting) {
		return;
	}
	a->selecting = false;
	p = find_pane(a, a->sel_pane);
	if (!p) {
		return;
	}
	if (!a->selection_moved) {
		shell_term_select_clear(p->term); /* a click, not a selection */
	} else if (shell_term_select_copy(p->term, &text, &len) == 0) {
		copy_to_helpdesk(a, text, len, "selection");
		explicit_bzero(text, len);
		free(text);
	}
	a->pending_damage |= SHELL_DAMAGE_MAIN;
}

static void select_motion(struct app *a, int x, int y)
{
	struct pane_term *p;
	unsigned col, row;

	if (!a->selecting || !cell_at(a, x, y, &p, &col, &row) || p->id != a->sel_pane) {
		return;
	}
	if (col != a->sel_col || row != a->sel_row) {
		a->selection_moved = true;
	}
	shell_term_select_to(p->term, col, row);
	a->pending_damage |= SHELL_DAMAGE_MAIN;
}

/* ---- actions and input ---- */

static void handle_actions(struct app *a, struct shell_actions *acts)
{
	for (size_t i = 0; i < acts->n; i++) {
		struct shell_action *act = &acts->a[i];
		struct pane_term *p;

		switch (act->kind) {
		case SHELL_ACTION_OPEN_PANE:
			open_pane(a, act->tool);
			break;
		case SHELL_ACTION_PANE_KEY:
			p = find_pane(a, act->pane_id);
			if (p && is_paste_key(&act->key)) {
				start_paste(a, p);
			} else if (p) {
				shell_term_key(p->term, act->key.keysym, act->key.base_keysym,
					       act->key.unicode, act->key.mods);
			}
			break;
		case SHELL_ACTION_REMOTE_START:
			remote_start(a);
			break;
		case SHELL_ACTION_REMOTE_COMMAND:
			remote_send(a, act->command, act->enabled);
			break;
		}
	}
	sync_panes(a);
}

/* In view-only mode the helpdesk's devices do nothing here either (the server already stops
 * injecting; this is the second lock). */
static bool remote_blocked(const struct app *a, enum shell_source src)
{
	return src == SHELL_SOURCE_REMOTE && a->st.view_only;
}

/* Before the input goes anywhere: a tool acting on this key must read who pressed it. */
static void note_input(struct app *a, enum shell_source source)
{
	int r = shell_last_input_note(&a->last_input, source);

	if (r < 0 && !a->last_input_failed) {
		log_msg("cannot write %s/%s: %s", a->last_input.dir, SHELL_LAST_INPUT_FILE,
			strerror(-r));
	}
	a->last_input_failed = r < 0;
}

static void on_key(void *data, const struct shell_key *key)
{
	struct app *a = data;
	struct shell_actions acts = { 0 };
	enum shell_view view = a->st.view;

	if (remote_blocked(a, key->source)) {
		return;
	}
	note_input(a, key->source);
	if (key->source == SHELL_SOURCE_REMOTE &&
	    (key->keysym == SHELL_KEY_END_SESSION || key->keysym == SHELL_KEY_VIEW_ONLY)) {
		announce(a, "remote key %s ignored: local only",
			 key->keysym == SHELL_KEY_END_SESSION ? "end-session" : "view-only");
	}
	shell_state_key(&a->st, key, &acts);
	handle_actions(a, &acts);
	if (view != a->st.view && a->st.view == SHELL_VIEW_REMOTE) {
		announce(a, "view remote");
	}
}

/* ---- text the helpdesk typed as Unicode (docs/control-protocol.md) ---- */

/* Types TEXT as if the helpdesk had pressed one key per character. */
static void type_text(struct app *a, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len;

	while (p < end) {
		uint32_t cp;
		int n = shell_utf8_decode(p, (size_t)(end - p), &cp);

		if (n < 0) {
			p++;
			continue;
		}
		p += n;
		/* Control characters come as keys (Enter, Tab) from any sane client. */
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp > 0x10ffff) {
			continue;
		}
		struct shell_key k = { .keysym = xkb_utf32_to_keysym(cp),
				       .unicode = cp,
				       .source = SHELL_SOURCE_REMOTE };

		k.base_keysym = k.keysym;
		if (k.keysym != XKB_KEY_NoSymbol) {
			on_key(a, &k);
		}
	}
}

static char *pop_text(struct app *a)
{
	char *t;

	if (a->texts_n == 0) {
		return NULL;
	}
	t = a->texts[a->texts_head];
	a->texts_head = (a->texts_head + 1) % MAX_PENDING_TEXTS;
	a->texts_n--;
	return t;
}

static void type_and_free(struct app *a, char *t)
{
	size_t len = strlen(t);

	type_text(a, t, len);
	explicit_bzero(t, len);
	free(t);
}

static void drop_texts(struct app *a)
{
	char *t;

	while ((t = pop_text(a))) {
		explicit_bzero(t, strlen(t));
		free(t);
	}
	if (a->awaiting_text) {
		a->awaiting_text = false;
		arm_timer(a->textfd, 0, 0);
		shell_input_hold(a->input, false);
	}
}

static void text_arrived(struct app *a, struct shell_control_event *ev)
{
	if (a->texts_n == MAX_PENDING_TEXTS) {
		log_msg("too many texts without their key; dropping the oldest");
		type_and_free(a, pop_text(a));
	}
	a->texts[(a->texts_head + a->texts_n) % MAX_PENDING_TEXTS] = ev->text;
	a->texts_n++;
	ev->text = NULL; /* ours now */
	ev->text_len = 0;
	if (a->awaiting_text) {
		/* The marker was first; its keys wait behind it in the input module. */
		a->awaiting_text = false;
		arm_timer(a->textfd, 0, 0);
		type_and_free(a, pop_text(a));
		shell_input_hold(a->input, false);
	}
}

/* The helpdesk's marker key: its text goes in here, before the keys that follow it. */
static void on_text_marker(void *data)
{
	struct app *a = data;
	char *t = pop_text(a);

	if (t) {
		type_and_free(a, t);
		return;
	}
	if (!a->awaiting_text) {
		a->awaiting_text = true;
		arm_timer(a->textfd, TEXT_WAIT_MS, 0);
		shell_input_hold(a->input, true);
	}
}

static void text_timeout(struct app *a)
{
	if (a->awaiting_text) {
		log_msg("a typed text did not arrive within %d ms", TEXT_WAIT_MS);
		a->awaiting_text = false;
		shell_input_hold(a->input, false);
	}
}

static void on_motion(void *data, int x, int y, enum shell_source source)
{
	struct app *a = data;

	if (remote_blocked(a, source)) {
		return;
	}
	a->ptr_x = x;
	a->ptr_y = y;
	a->ptr_visible = true;
	a->pointer_dirty = true;
	select_motion(a, x, y);
}

static void on_button(void *data, int x, int y, uint32_t button, bool pressed,
		      enum shell_source source)
{
	struct app *a = data;
	struct shell_actions acts = { 0 };
	struct shell_target target;

	if (pressed && !remote_blocked(a, source)) {
		note_input(a, source);
	}
	select_button(a, x, y, button, pressed, source);
	if (remote_blocked(a, source) || !pressed || button != BTN_LEFT || !a->layout_valid) {
		return;
	}
	target = shell_layout_hit(&a->layout, &a->st, x, y);
	shell_state_click(&a->st, target, source, &acts);
	handle_actions(a, &acts);
	if (target.kind == SHELL_TARGET_TOOL) {
		announce(a, "clicked %s (%s)", a->st.tools[target.index].id,
			 source == SHELL_SOURCE_LOCAL ? "local" : "remote");
	}
}

static void on_scroll(void *data, double notches, enum shell_source source)
{
	struct app *a = data;
	const struct shell_pane *sp = shell_state_active_pane(&a->st);
	struct pane_term *p;

	if (remote_blocked(a, source) || !sp) {
		return;
	}
	p = find_pane(a, sp->id);
	if (p) {
		shell_term_scroll(p->term, (int)(-3 * notches));
		a->pending_damage |= SHELL_DAMAGE_MAIN;
	}
}

static const struct shell_input_listener input_listener = {
	.key = on_key,
	.motion = on_motion,
	.button = on_button,
	.scroll = on_scroll,
	.text_marker = on_text_marker,
};

/* ---- clock, host ---- */

static void update_clock(struct app *a)
{
	time_t t = a->opt.clock ? (time_t)a->opt.clock : time(NULL);
	int tz = a->opt.tz_offset_min;

	if (!a->opt.tz_fixed) {
		struct tm tm;

		localtime_r(&t, &tm);
		tz = (int)(tm.tm_gmtoff / 60);
	}
	shell_state_set_time(&a->st, t, tz);
	if (a->clockfd >= 0 && !a->opt.clock) {
		struct itimerspec its = { .it_value = { (t / 60 + 1) * 60, 0 } };

		timerfd_settime(a->clockfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its,
				NULL);
	}
}

static void update_host(struct app *a)
{
	struct shell_host_info h;
	const char *addrs[SHELL_HOST_MAX_ADDRS];

	shell_host_read(&h);
	if (a->opt.hostname) {
		snprintf(h.hostname, sizeof(h.hostname), "%s", a->opt.hostname);
	}
	if (a->opt.n_addresses) {
		h.n_addrs = a->opt.n_addresses;
		for (size_t i = 0; i < h.n_addrs; i++) {
			snprintf(h.addrs[i], sizeof(h.addrs[i]), "%s", a->opt.addresses[i]);
		}
	}
	for (size_t i = 0; i < h.n_addrs; i++) {
		addrs[i] = h.addrs[i];
	}
	shell_state_set_host(&a->st, h.hostname, addrs, h.n_addrs);
}

/* ---- changes made with the tools (the audit log) ---- */

static void update_changes(struct app *a)
{
	char lines[SHELL_CHANGES_LINES][SHELL_CHANGE_TEXT];
	size_t n = 0;
	int r = shell_changes_read(a->changes_path, lines, SHELL_CHANGES_LINES, &n);

	if (r < 0) {
		log_msg("cannot read %s: %s", a->changes_path, strerror(-r));
		return;
	}
	if (shell_state_set_changes(&a->st, (const char(*)[SHELL_CHANGE_TEXT])lines, n)) {
		announce(a, "changes lines=%zu last=%s", n, n ? lines[n - 1] : "");
	}
}

/* The audit log's directory, watched: a tool's new line shows at once, without polling. */
static void watch_changes(struct app *a)
{
	a->changesfd = shell_changes_watch_open(a->opt.run_dir);
	if (a->changesfd < 0) {
		log_msg("not watching %s: %s", a->opt.run_dir, strerror(-a->changesfd));
		return;
	}
	ep_add(a, a->changesfd, TAG_CHANGES, 0);
}

static void changes_event(struct app *a)
{
	bool lost;

	if (!shell_changes_watch_drain(a->changesfd, SHELL_CHANGES_FILE, &lost)) {
		return;
	}
	if (lost) {
		close(a->changesfd); /* leaves the epoll set with it */
		watch_changes(a);
	}
	update_changes(a);
}

/* ---- frames ---- */

static void relayout(struct app *a)
{
	int w, h;
	unsigned cols, rows;

	shell_display_get_size(a->display, &w, &h);
	shell_layout_compute(&a->layout, w, h, &a->st);
	a->layout_valid = true;
	shell_render_term_grid(a->render, &a->layout, &cols, &rows);
	if (cols != a->grid_cols || rows != a->grid_rows) {
		a->grid_cols = cols;
		a->grid_rows = rows;
		for (size_t i = 0; i < a->n_panes; i++) {
			shell_term_resize(a->panes[i].term, cols, rows);
		}
	}
}

static void frame(struct app *a)
{
	struct shell_rect rects[16];
	size_t n, stride;
	const uint8_t *px;
	unsigned damage;
	int r;

	a->pending_damage |= shell_state_take_damage(&a->st);
	if (!a->pending_damage && !a->pointer_dirty) {
		return;
	}
	if (!shell_display_ready(a->display)) {
		return;
	}
	damage = a->pending_damage;
	a->pending_damage = 0;
	a->pointer_dirty = false;
	if ((damage & SHELL_DAMAGE_ALL) == SHELL_DAMAGE_ALL || !a->layout_valid) {
		relayout(a);
		damage = SHELL_DAMAGE_ALL;
	}
	shell_render_set_pointer(a->render, a->ptr_x, a->ptr_y, a->ptr_visible);
	n = shell_render_frame(a->render, &a->st, &a->layout, damage, rects, 16);
	if (n == 0) {
		return;
	}
	px = shell_render_pixels(a->render, &stride);
	r = shell_display_present(a->display, px, stride, rects, n);
	if (r == -EBUSY) {
		a->pending_damage |= damage;
		return;
	}
	if (r < 0) {
		log_msg("present failed: %s", strerror(-r));
	}
	if (!a->first_frame) {
		int w, h;

		a->first_frame = true;
		shell_display_get_size(a->display, &w, &h);
		announce(a, "on screen (%s %dx%d) %.3f s after start",
			 shell_display_name(a->display), w, h, since_start(a));
		if (a->opt.screenshot && !a->opt.open_tool) {
			shell_render_write_png(a->render, a->opt.screenshot);
		}
		if (a->opt.exit_after_frame && !a->opt.open_tool) {
			a->running = false;
		}
	}
	if (!a->ticket_announced && a->st.view == SHELL_VIEW_REMOTE &&
	    a->st.phase == SHELL_REMOTE_WAITING && a->st.have_info) {
		a->ticket_announced = true;
		announce(a, "ticket on screen %.3f s after start", since_start(a));
		if (a->opt.screenshot && a->opt.open_tool) {
			shell_render_write_png(a->render, a->opt.screenshot);
		}
		if (a->opt.exit_after_frame && a->opt.open_tool) {
			a->running = false;
		}
	}
}

/* ---- signals ---- */

static void reap(struct app *a)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		int code;

		if (pid <= 0) {
			return;
		}
		code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (pid == shell_remote_server_pid(a->remote)) {
			shell_remote_server_gone(a->remote);
			log_msg("lifeline-server exited (status %d)", code);
			if (a->start_deadline) {
				struct shell_control_event ev = {
					.kind = SHELL_CONTROL_START_FAILED
				};

				snprintf(ev.reason, sizeof(ev.reason),
					 "lifeline-server stopped at start (status %d); see its "
					 "log.",
					 code);
				a->start_deadline = 0;
				arm_timer(a->retryfd, 0, 0);
				shell_state_control(&a->st, &ev, a->st.now);
				announce_remote(a);
			}
			continue;
		}
		for (size_t i = 0; i < a->n_panes; i++) {
			if (shell_term_get_pid(a->panes[i].term) == pid) {
				struct shell_actions acts = { 0 };

				shell_state_pane_exited(&a->st, a->panes[i].id, code, &acts);
				announce(a, "pane %s exited %d", a->st.tools[a->panes[i].tool].id,
					 code);
				handle_actions(a, &acts);
				break;
			}
		}
	}
}

static void handle_signal(struct app *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(a);
			break;
		case SIGTERM:
		case SIGINT:
			a->running = false;
			break;
		default:
			break;
		}
	}
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: lifeline-shell [OPTION]...\n"
		"The Lifeline recovery console.\n\n"
		"  --display=kms|fbdev|headless  output (default: $LIFELINE_SHELL_DISPLAY, else "
		"kms,\n"
		"                                falling back to fbdev)\n"
		"  --device=PATH          DRM card or framebuffer device\n"
		"  --size=WxH             headless output size (default 1024x768)\n"
		"  --vt=PATH              the VT to put in graphics mode (default: stdin's, else "
		"the\n"
		"                         active one); --no-vt leaves the VT alone\n"
		"  --no-input             do not read input devices\n"
		"  --trust-virtual-input  count virtual input devices (other than the helpdesk's) "
		"as\n"
		"                         local\n"
		"  --keymap=LAYOUT[:VARIANT]  keyboard layout (default: lifeline.keymap= on the\n"
		"                         kernel command line; without either, the Keyboard\n"
		"                         layout tool asks at start, Enter keeps us; not with\n"
		"                         lifeline.remote=auto, where the ticket comes first)\n"
		"  --cmdline=FILE         read the kernel command line from FILE\n"
		"  --socket=PATH          lifeline-server control socket\n"
		"                         (default /run/lifeline/control.sock)\n"
		"  --server=PATH          the server program (default " LIFELINE_SERVER_PATH ")\n"
		"  --server-arg=ARG       an argument for the server (repeat; replaces the "
		"default\n"
		"                         --state-dir=/run/lifeline). The server always gets\n"
		"                         --kernel-cmdline=FILE too (/proc/cmdline or --cmdline):\n"
		"                         the lifeline.* boot options reach it (lifeline-server\n"
		"                         --help lists them); --server-arg values win over them\n"
		"  --server-log=FILE      the started server's output (default "
		"/run/lifeline-server.log)\n"
		"  --tools-dir=DIR        where the tool programs are (default " LIFELINE_TOOLS_DIR
		")\n"
		"  --run-dir=DIR          where last-input (who typed last) is written and the\n"
		"                         tools' audit.log is read (default " RUN_DIR ")\n"
		"  --announce=FILE        write progress and connection-info lines to FILE (e.g. "
		"the\n"
		"                         serial console; default: lifeline.announce=DEV on the\n"
		"                         kernel command line)\n"
		"  --open=TOOL            open a tool at start, as if chosen on the local "
		"keyboard\n"
		"                         (instead of asking for the keyboard layout)\n"
		"  --screenshot=PNG       write the first frame (or, with --open=remote, the "
		"first\n"
		"                         frame with the ticket) as PNG\n"
		"  --exit-after-frame     exit after that frame\n"
		"  --hostname=NAME, --address=ADDR (repeat), --clock=EPOCH, --tz-offset=MIN\n"
		"                         fixed header values (tests)\n"
		"  --restore-vt[=PATH]    put the VT back in text mode and exit (for supervisors)\n"
		"  -h, --help, -V, --version\n\n"
		"Keys: F1 the tool list; F12 ends the helpdesk's session and F11 switches\n"
		"view-only (this computer's keyboard only). On the Remote Connection panel N asks\n"
		"for a new ticket, F shows the whole fingerprint and S saves the connection info\n"
		"to a USB stick (lifeline-handoff in a pane). In a terminal pane Ctrl+Shift+V or\n"
		"Shift+Insert pastes the helpdesk's clipboard text; a mouse selection (or OSC 52\n"
		"from the program) goes to the helpdesk's clipboard. The helpdesk's keys are read\n"
		"with the layout its client announces, and never repeated here.\n");
}

static int parse_size(const char *s, int *w, int *h)
{
	char *end;
	long lw = strtol(s, &end, 10), lh;

	if (*end != 'x') {
		return -EINVAL;
	}
	lh = strtol(end + 1, &end, 10);
	if (*end || lw < 320 || lh < 240 || lw > 8192 || lh > 8192) {
		return -EINVAL;
	}
	*w = (int)lw;
	*h = (int)lh;
	return 0;
}

enum {
	OPT_DISPLAY = 256,
	OPT_DEVICE,
	OPT_SIZE,
	OPT_VT,
	OPT_NO_VT,
	OPT_NO_INPUT,
	OPT_TRUST_VIRTUAL,
	OPT_KEYMAP,
	OPT_CMDLINE,
	OPT_SOCKET,
	OPT_SERVER,
	OPT_SERVER_ARG,
	OPT_SERVER_LOG,
	OPT_TOOLS_DIR,
	OPT_RUN_DIR,
	OPT_ANNOUNCE,
	OPT_OPEN,
	OPT_SCREENSHOT,
	OPT_EXIT_AFTER_FRAME,
	OPT_HOSTNAME,
	OPT_ADDRESS,
	OPT_CLOCK,
	OPT_TZ_OFFSET,
	OPT_RESTORE_VT,
};

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "display", required_argument, NULL, OPT_DISPLAY },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "vt", required_argument, NULL, OPT_VT },
		{ "no-vt", no_argument, NULL, OPT_NO_VT },
		{ "no-input", no_argument, NULL, OPT_NO_INPUT },
		{ "trust-virtual-input", no_argument, NULL, OPT_TRUST_VIRTUAL },
		{ "keymap", required_argument, NULL, OPT_KEYMAP },
		{ "cmdline", required_argument, NULL, OPT_CMDLINE },
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "server", required_argument, NULL, OPT_SERVER },
		{ "server-arg", required_argument, NULL, OPT_SERVER_ARG },
		{ "server-log", required_argument, NULL, OPT_SERVER_LOG },
		{ "tools-dir", required_argument, NULL, OPT_TOOLS_DIR },
		{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
		{ "announce", required_argument, NULL, OPT_ANNOUNCE },
		{ "open", required_argument, NULL, OPT_OPEN },
		{ "screenshot", required_argument, NULL, OPT_SCREENSHOT },
		{ "exit-after-frame", no_argument, NULL, OPT_EXIT_AFTER_FRAME },
		{ "hostname", required_argument, NULL, OPT_HOSTNAME },
		{ "address", required_argument, NULL, OPT_ADDRESS },
		{ "clock", required_argument, NULL, OPT_CLOCK },
		{ "tz-offset", required_argument, NULL, OPT_TZ_OFFSET },
		{ "restore-vt", optional_argument, NULL, OPT_RESTORE_VT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *server = LIFELINE_SERVER_PATH;
	const char *extra[MAX_SERVER_ARGS];
	size_t n_extra = 0;
	int c;

	o->display = getenv("LIFELINE_SHELL_DISPLAY");
	o->tools_dir = LIFELINE_TOOLS_DIR;
	o->run_dir = RUN_DIR;
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DISPLAY:
			o->display = optarg;
			break;
		case OPT_DEVICE:
			o->device = optarg;
			break;
		case OPT_SIZE:
			if (parse_size(optarg, &o->width, &o->height) < 0) {
				fprintf(stderr, "lifeline-shell: bad --size '%s' (WxH)\n", optarg);
				return -EINVAL;
			}
			break;
		case OPT_VT:
			o->vt = optarg;
			break;
		case OPT_NO_VT:
			o->no_vt = true;
			break;
		case OPT_NO_INPUT:
			o->no_input = true;
			break;
		case OPT_TRUST_VIRTUAL:
			o->trust_virtual = true;
			break;
		case OPT_KEYMAP:
			o->keymap = optarg;
			break;
		case OPT_CMDLINE:
			o->cmdline_path = optarg;
			break;
		case OPT_SOCKET:
			o->socket_path = optarg;
			break;
		case OPT_SERVER:
			server = optarg;
			break;
		case OPT_SERVER_ARG:
			if (n_extra == MAX_SERVER_ARGS) {
				fprintf(stderr, "lifeline-shell: too many --server-arg\n");
				return -EINVAL;
			}
			extra[n_extra++] = optarg;
			break;
		case OPT_SERVER_LOG:
			o->server_log = optarg;
			break;
		case OPT_TOOLS_DIR:
			o->tools_dir = optarg;
			break;
		case OPT_RUN_DIR:
			o->run_dir = optarg;
			break;
		case OPT_ANNOUNCE:
			o->announce = optarg;
			break;
		case OPT_OPEN:
			o->open_tool = optarg;
			break;
		case OPT_SCREENSHOT:
			o->screenshot = optarg;
			break;
		case OPT_EXIT_AFTER_FRAME:
			o->exit_after_frame = true;
			break;
		case OPT_HOSTNAME:
			o->hostname = optarg;
			break;
		case OPT_ADDRESS:
			if (o->n_addresses < SHELL_HOST_MAX_ADDRS) {
				o->addresses[o->n_addresses++] = optarg;
			}
			break;
		case OPT_CLOCK:
			o->clock = strtoll(optarg, NULL, 10);
			break;
		case OPT_TZ_OFFSET:
			o->tz_offset_min = atoi(optarg);
			o->tz_fixed = true;
			break;
		case OPT_RESTORE_VT:
			/* A supervisor's clean-up after a crash the handlers could not catch. */
			if (shell_vt_take(optarg) == 0) {
				shell_vt_restore();
				exit(0);
			}
			exit(1);
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("lifeline-shell %s\n", LIFELINE_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lifeline-shell: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	o->server_argv[o->n_server_args++] = server;
	/*
	 * The boot options (lifeline.port-range= and the rest) reach the server however Remote
	 * Connection starts: it reads them from the same kernel command line as we do. Our own
	 * arguments win over them, so the default ones are only those the boot line may not set.
	 */
	snprintf(o->kernel_cmdline_arg, sizeof(o->kernel_cmdline_arg), "--kernel-cmdline=%s",
		 o->cmdline_path ? o->cmdline_path : "/proc/cmdline");
	o->server_argv[o->n_server_args++] = o->kernel_cmdline_arg;
	if (n_extra == 0) {
		o->server_argv[o->n_server_args++] = "--state-dir=/run/lifeline";
	}
	for (size_t i = 0; i < n_extra; i++) {
		o->server_argv[o->n_server_args++] = extra[i];
	}
	o->server_argv[o->n_server_args] = NULL;
	return 0;
}

/* ---- main ---- */

static int setup(struct app *a)
{
	struct shell_display_options dopts = { .backend = a->opt.display,
					       .device = a->opt.device,
					       .width = a->opt.width,
					       .height = a->opt.height };
	struct shell_remote_options ropts = { .socket_path = a->opt.socket_path,
					      .server_argv = a->opt.server_argv,
					      .server_log = a->opt.server_log };
	struct shell_cmdline cmdline = { 0 };
	char layout[64] = "us", variant[64] = "";
	const struct shell_tool *tools;
	size_t n_tools;
	sigset_t mask;
	int w, h, r;

	shell_cmdline_read(a->opt.cmdline_path, &cmdline);
	a->keymap_given = a->opt.keymap || cmdline.keymap[0];
	if (a->keymap_given) {
		const char *spec = a->opt.keymap ? a->opt.keymap : cmdline.keymap;

		if (shell_input_parse_layout(spec, layout, sizeof(layout), variant,
					     sizeof(variant)) < 0) {
			log_msg("ignoring bad keymap '%s'", spec);
			snprintf(layout, sizeof(layout), "us");
			variant[0] = '\0';
		}
	}
	a->attach_retry = cmdline.remote_auto;
	a->debug_stall_ms = cmdline.debug_stall_ms;
	a->remote_auto = cmdline.remote_auto;

	tools = shell_tools_builtin(&n_tools);
	shell_state_init(&a->st, tools, n_tools);

	r = shell_display_create(&dopts, &a->display);
	if (r == -EINVAL && a->opt.display) {
		log_msg("unknown display backend '%s' (kms, fbdev, headless)", a->opt.display);
		return r;
	}
	if (r < 0) {
		log_msg("no display: %s", strerror(-r));
		return r;
	}
	shell_display_get_size(a->display, &w, &h);
	log_msg("display %s %dx%d", shell_display_name(a->display), w, h);
	if (strcmp(shell_display_name(a->display), "headless") != 0 && !a->opt.no_vt) {
		r = shell_vt_take(a->opt.vt);
		if (r < 0) {
			log_msg("cannot switch the VT to graphics mode: %s", strerror(-r));
		}
	}
	r = shell_render_create(w, h, &a->render);
	if (r < 0) {
		return r;
	}
	shell_render_set_term_lookup(a->render, term_lookup, a);

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	a->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	a->retryfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	a->clockfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	a->textfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	a->pastefd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (a->sigfd < 0 || a->epfd < 0 || a->retryfd < 0 || a->clockfd < 0 || a->textfd < 0 ||
	    a->pastefd < 0) {
		return -errno;
	}
	ep_add(a, a->textfd, TAG_TEXT, 0);
	ep_add(a, a->pastefd, TAG_PASTE, 0);
	ep_add(a, a->sigfd, TAG_SIGNAL, 0);
	ep_add(a, a->retryfd, TAG_RETRY, 0);
	ep_add(a, a->clockfd, TAG_CLOCK, 0);
	if (shell_display_get_fd(a->display) >= 0) {
		ep_add(a, shell_display_get_fd(a->display), TAG_DISPLAY, 0);
	}
	a->netfd = shell_host_watch_open();
	if (a->netfd >= 0 && !a->opt.n_addresses) {
		ep_add(a, a->netfd, TAG_NET, 0);
	}

	shell_state_set_keymap(&a->st, variant[0] ? variant : layout);
	{
		char name[132];

		snprintf(name, sizeof(name), "%s%s%s", layout, variant[0] ? ":" : "", variant);
		shell_state_set_keymap(&a->st, name);
	}
	if (!a->opt.no_input) {
		struct shell_input_options iopts = { .trust_virtual = a->opt.trust_virtual,
						     .layout = layout,
						     .variant = variant };

		r = shell_input_create(&iopts, &input_listener, a, &a->input);
		if (r < 0) {
			log_msg("no input devices: %s", strerror(-r));
		} else {
			shell_input_set_screen(a->input, w, h);
			ep_add(a, shell_input_get_fd(a->input), TAG_INPUT, 0);
		}
	}

	r = shell_remote_create(&ropts, &a->remote);
	if (r < 0) {
		return r;
	}
	shell_last_input_init(&a->last_input, a->opt.run_dir);
	snprintf(a->changes_path, sizeof(a->changes_path), "%s/%s", a->opt.run_dir,
		 SHELL_CHANGES_FILE);
	watch_changes(a);
	update_changes(a);
	update_clock(a);
	update_host(a);
	relayout(a);
	return 0;
}

static void startup(struct app *a)
{
	struct shell_actions acts = { 0 };

	shell_state_start(&a->st, &acts);
	handle_actions(a, &acts);
	if (!a->keymap_given && !a->opt.open_tool && !a->remote_auto) {
		struct shell_actions ask = { 0 };

		shell_state_ask_keymap(&a->st, &ask);
		handle_actions(a, &ask);
	}
	/* A server already running (started at boot, or before this shell restarted): attach. */
	if (shell_remote_connect(a->remote) == 0) {
		remote_attached(a);
	} else if (a->attach_retry) {
		arm_timer(a->retryfd, ATTACH_INTERVAL_MS, ATTACH_INTERVAL_MS);
	}
	if (a->opt.open_tool && open_tool_locally(a, a->opt.open_tool) < 0) {
		log_msg("no tool '%s'", a->opt.open_tool);
	}
}

static void loop(struct app *a)
{
	while (a->running) {
		struct epoll_event evs[16];
		int n;

		frame(a);
		if (!a->running) {
			break;
		}
		if (a->debug_stall_ms) {
			struct timespec ts = { a->debug_stall_ms / 1000,
					       (long)(a->debug_stall_ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
		n = epoll_wait(a->epfd, evs, 16, -1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			log_msg("epoll: %s", strerror(errno));
			a->exit_code = 1;
			return;
		}
		for (int i = 0; i < n; i++) {
			enum tag tag = (enum tag)(evs[i].data.u64 >> 32);
			unsigned idx = (unsigned)evs[i].data.u64;
			struct pane_term *p;
			int r;

			switch (tag) {
			case TAG_SIGNAL:
				handle_signal(a);
				break;
			case TAG_DISPLAY:
				shell_display_dispatch(a->display);
				break;
			case TAG_INPUT:
				shell_input_dispatch(a->input);
				break;
			case TAG_REMOTE:
				shell_remote_dispatch(a->remote, remote_event, a);
				break;
			case TAG_RETRY:
				remote_retry(a);
				break;
			case TAG_CLOCK:
				drain_timer(a->clockfd);
				update_clock(a);
				break;
			case TAG_TEXT:
				drain_timer(a->textfd);
				text_timeout(a);
				break;
			case TAG_PASTE:
				drain_timer(a->pastefd);
				paste_timeout(a);
				break;
			case TAG_NET:
				shell_host_watch_drain(a->netfd);
				update_host(a);
				break;
			case TAG_CHANGES:
				changes_event(a);
				break;
			case TAG_PANE:
				p = find_pane(a, idx);
				if (!p) {
					break;
				}
				r = shell_term_dispatch(p->term);
				if (r > 0) {
					const struct shell_pane *sp =
						shell_state_active_pane(&a->st);

					if (sp && sp->id == idx) {
						a->pending_damage |= SHELL_DAMAGE_MAIN;
					}
				}
				break;
			}
		}
		/* Events a hold kept back, now free to go (no fd says so). */
		if (a->input && shell_input_pending(a->input)) {
			shell_input_dispatch(a->input);
		}
	}
}

int main(int argc, char **argv)
{
	struct app a = {
		.epfd = -1, .sigfd = -1, .clockfd = -1, .retryfd = -1, .netfd = -1, .textfd = -1,
		.pastefd = -1, .changesfd = -1
	};
	int r;

	clock_gettime(CLOCK_MONOTONIC, &a.t0);
	if (parse_options(argc, argv, &a.opt) < 0) {
		return 2;
	}
	if (!a.opt.announce) {
		struct shell_cmdline c = { 0 };

		shell_cmdline_read(a.opt.cmdline_path, &c);
		if (c.announce[0]) {
			a.opt.announce = strdup(c.announce);
		}
	}
	if (a.opt.announce) {
		int fd = open(a.opt.announce, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
			      0600);

		a.announce = fd >= 0 ? fdopen(fd, "a") : NULL;
		if (!a.announce) {
			log_msg("cannot open %s: %s", a.opt.announce, strerror(errno));
		}
	}
	shell_vt_install_crash_handlers();
	r = setup(&a);
	if (r < 0) {
		a.exit_code = r == -EINVAL ? 2 : 1;
		goto out;
	}
	a.running = true;
	startup(&a);
	loop(&a);
out:
	for (size_t i = 0; i < a.n_panes; i++) {
		shell_term_destroy(a.panes[i].term);
	}
	shell_remote_destroy(a.remote);
	shell_input_destroy(a.input);
	drop_texts(&a);
	shell_render_destroy(a.render);
	shell_display_destroy(a.display);
	shell_vt_restore();
	shell_state_fini(&a.st);
	if (a.announce) {
		fclose(a.announce);
	}
	return a.exit_code;
}
