/*
 * lifeline-server: Remote Connection. Shares the console with the one RDP client that
 * presents the ticket, and tells the console UI what happens over the control socket.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <winpr/ssl.h>

#include "lifeline-config.h"

#include "address.h"
#include "announce.h"
#include "capture.h"
#include "cert.h"
#include "conninfo.h"
#include "control.h"
#include "injector.h"
#include "input.h"
#include "log.h"
#include "options.h"
#include "private-file.h"
#include "rdp-clipboard.h"
#include "rdp-subsystem.h"
#include "rdp.h"
#include "reverse.h"
#include "session.h"

#define MAX_ADDRESSES  32
#define SUGGESTED_USER "helpdesk"
#define PASTE_TIMEOUT_MS 5000

struct app {
	struct server_options opt;
	struct capture *capture;
	struct injector *injector;
	struct input *input;
	struct session *session;
	struct control *control;
	struct rdp_server *rdp;
	struct announce *announce; /* NULL without --announce-url */
	/* Its last report (announce_lock), also in the state event for a UI that attaches late */
	pthread_mutex_t announce_lock;
	struct json_object *announce_status;
	/* The reverse connection (NULL without --reverse) and its last report (announce_lock) */
	struct reverse *reverse;
	struct json_object *reverse_status;
	char *reverse_pubkey;
	struct rdp_subsystem_config subsystem;
	struct ticket_address addrs[MAX_ADDRESSES];
	size_t n_addrs;
	struct cert_info cert;
	char *cert_path, *key_path, *info_path, *control_path;
	char hostname[256];
	uint16_t port;
	bool usage_error; /* a bad --capture/--injector spec: exit 2 like other bad options */
	/* The helpdesk's clipboard channel (clip_lock), and the paste being answered
	 * (paste_lock). Two locks: an answer may arrive while a command holds clip_lock. */
	pthread_mutex_t clip_lock, paste_lock;
	struct rdp_clipboard *clip;
	bool paste_pending;
	uint64_t paste_deadline_ms;
};

static uint64_t mono_ms(void *userdata)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_until(void *userdata, uint64_t until_ms)
{
	uint64_t now = mono_ms(NULL);
	struct timespec ts;

	if (until_ms <= now) {
		return;
	}
	ts.tv_sec = (time_t)((until_ms - now) / 1000);
	ts.tv_nsec = (long)((until_ms - now) % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

/* From the capture thread, once per change: say why the helpdesk sees no new picture. */
static void on_capture_error(void *userdata, int err, const char *message)
{
	if (err < 0) {
		log_warn("screen capture failed: %s", message && *message ? message : strerror(-err));
	} else {
		log_info("screen capture works again");
	}
}

static void on_session_event(void *userdata, struct json_object *ev)
{
	struct app *app = userdata;

	control_broadcast(app->control, ev);
	/* The state may have moved (a disconnect restarts the expiry clock): let the main loop
	 * recompute its timer. Every thread blocks SIGUSR1; only sigtimedwait takes it. */
	kill(getpid(), SIGUSR1);
}

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* The displays the capture knows, so that the helpdesk can tell which one it sees. */
static void add_monitors(struct app *app, struct json_object *info)
{
	struct capture_monitor mons[16];
	struct json_object *arr;
	size_t n = 0;

	if (capture_list_monitors(app->capture, mons, 16, &n) < 0 || n == 0) {
		return;
	}
	arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *m = json_object_new_object();

		json_object_object_add(m, "index", json_object_new_int((int)mons[i].index));
		json_object_object_add(m, "name", json_object_new_string(mons[i].name));
		json_object_object_add(m, "connected", json_object_new_boolean(mons[i].connected));
		json_object_object_add(m, "shared", json_object_new_boolean(mons[i].shared));
		json_object_object_add(m, "width", json_object_new_int((int)mons[i].width));
		json_object_object_add(m, "height", json_object_new_int((int)mons[i].height));
		json_object_array_add(arr, m);
	}
	json_object_object_add(info, "monitors", arr);
}

/*
 * The hand-off files beside connection.json, for lifeline-handoff to copy to a USB stick:
 * connection.rdp (mstsc, Remmina; no password in it) and connection-xfreerdp.txt (the command
 * line, with the ticket), for the best address. None when there is no address.
 */
static const char *const handoff_files[] = { "connection.rdp", "connection-xfreerdp.txt" };

static void write_handoff_files(struct app *app, const struct ticket_conninfo *ci)
{
	const char *const *names = handoff_files;

	for (size_t i = 0; i < 2; i++) {
		char *path = NULL, *body = NULL, *line = NULL;
		int r = -ENOMEM;

		if (asprintf(&path, "%s/%s", app->opt.state_dir, names[i]) < 0) {
			path = NULL;
			goto next;
		}
		if (ci->n_addresses == 0) {
			unlink(path);
			r = 0;
			goto next;
		}
		body = i == 0 ? ticket_conninfo_rdp(ci, 0) : ticket_conninfo_xfreerdp(ci, 0);
		if (body && asprintf(&line, "%s%s", body, i == 0 ? "" : "\n") >= 0) {
			r = private_file_write(path, line, strlen(line), 0600);
			free_secret(line);
		}
	next:
		if (r < 0) {
			log_warn("cannot write %s: %s", path ? path : names[i], strerror(-r));
		}
		free_secret(body);
		free(path);
	}
}

/* Render the connection info for the current ticket: file, control event, stdout. */
static int publish_info(struct app *app)
{
	char ticket_text[TICKET_TEXT_SIZE];
	struct ticket_conninfo ci = {
		.ticket_text = ticket_text,
		.port = app->port,
		.addresses = app->addrs,
		.n_addresses = app->n_addrs,
		.security = app->opt.security == SERVER_SECURITY_NLA ? "nla" : "tls",
		.user = SUGGESTED_USER,
		.sha256_fingerprint = app->cert.sha256,
		.sha1_thumbprint = app->cert.sha1_thumbprint,
		.hostname = app->hostname,
	};
	struct json_object *info;
	char *json, *text;
	int r;

	session_ticket_text(app->session, ticket_text);
	json = ticket_conninfo_json(&ci);
	text = app->opt.info_json ? NULL : ticket_conninfo_text(&ci);
	write_handoff_files(app, &ci);
	explicit_bzero(ticket_text, sizeof(ticket_text));
	if (!json || (!app->opt.info_json && !text)) {
		free_secret(json);
		free_secret(text);
		return -ENOMEM;
	}
	info = json_tokener_parse(json);
	if (!info) {
		free_secret(json);
		free_secret(text);
		return -EINVAL;
	}
	add_monitors(app, info);
	free_secret(json);
	json = strdup(json_object_to_json_string_ext(info, JSON_C_TO_STRING_PLAIN));
	if (!json) {
		json_object_put(info);
		free_secret(text);
		return -ENOMEM;
	}
	{
		char *line;

		if (asprintf(&line, "%s\n", json) < 0) {
			r = -ENOMEM;
		} else {
			/* Readable only by us: it holds the ticket. */
			r = private_file_write(app->info_path, line, strlen(line), 0600);
			free_secret(line);
		}
	}
	if (r < 0) {
		log_error("cannot write %s: %s", app->info_path, strerror(-r));
	} else {
		session_set_info(app->session, info);
		printf("%s\n", app->opt.info_json ? json : text);
		fflush(stdout);
		if (app->announce && announce_post(app->announce, json) < 0) {
			log_warn("cannot hand the connection info to the announce thread");
		}
	}
	json_object_put(info);
	free_secret(json);
	free_secret(text);
	return r;
}

/* From the announce thread: the state of the HTTPS hand-off, on the control socket. */
static void on_announce(void *userdata, enum announce_state state, long http_status,
			const char *reason, uint64_t retry_in_ms)
{
	static const char *const names[] = { "posting", "sent", "failed" };
	struct app *app = userdata;
	struct json_object *ev = json_object_new_object();
	static unsigned attempts;

	if (state == ANNOUNCE_SENT) {
		log_info("connection info sent to the announce URL (HTTP %ld)", http_status);
	} else if (state == ANNOUNCE_FAILED) {
		log_warn("connection info not sent to the announce URL: %s; next try in %llu s",
			 reason, (unsigned long long)(retry_in_ms / 1000));
	}
	if (!ev) {
		return;
	}
	attempts += state == ANNOUNCE_POSTING; /* only this thread counts */
	json_object_object_add(ev, "event", json_object_new_string("announce"));
	json_object_object_add(ev, "state", json_object_new_string(names[state]));
	json_object_object_add(ev, "http_status", json_object_new_int((int)http_status));
	json_object_object_add(ev, "reason", reason ? json_object_new_string(reason) : NULL);
	json_object_object_add(ev, "retry_in_ms", json_object_new_int64((int64_t)retry_in_ms));
	json_object_object_add(ev, "attempts", json_object_new_int((int)attempts));
	pthread_mutex_lock(&app->announce_lock);
	json_object_put(app->announce_status);
	app->announce_status = json_object_get(ev);
	pthread_mutex_unlock(&app->announce_lock);
	control_broadcast(app->control, ev);
	json_object_put(ev);
}

/* From the reverse thread: the tunnel through the bastion, on the control socket. */
static void on_reverse(void *userdata, enum reverse_state state, unsigned remote_port,
		       const char *reason, uint64_t retry_in_ms)
{
	static const char *const names[] = { "connecting", "up", "down" };
	struct app *app = userdata;
	struct json_object *ev = json_object_new_object();

	if (state == REVERSE_UP) {
		log_info("reverse connection up: %s port %u leads here", app->opt.reverse,
			 remote_port);
	} else if (state == REVERSE_DOWN) {
		log_warn("reverse connection to %s down: %s; next try in %llu s", app->opt.reverse,
			 reason, (unsigned long long)(retry_in_ms / 1000));
	}
	if (!ev) {
		return;
	}
	json_object_object_add(ev, "event", json_object_new_string("reverse"));
	json_object_object_add(ev, "state", json_object_new_string(names[state]));
	json_object_object_add(ev, "bastion", json_object_new_string(app->opt.reverse));
	json_object_object_add(ev, "port", json_object_new_int((int)remote_port));
	json_object_object_add(ev, "reason", reason ? json_object_new_string(reason) : NULL);
	json_object_object_add(ev, "retry_in_ms", json_object_new_int64((int64_t)retry_in_ms));
	json_object_object_add(ev, "machine_key",
			       app->reverse_pubkey ? json_object_new_string(app->reverse_pubkey)
						   : NULL);
	pthread_mutex_lock(&app->announce_lock);
	json_object_put(app->reverse_status);
	app->reverse_status = json_object_get(ev);
	pthread_mutex_unlock(&app->announce_lock);
	control_broadcast(app->control, ev);
	json_object_put(ev);
}

/* ---- the clipboard: "paste" and "copy" (docs/control-protocol.md) ---- */

static void on_clipboard_attached(void *userdata, struct rdp_clipboard *clip, bool closing)
{
	struct app *app = userdata;

	pthread_mutex_lock(&app->clip_lock);
	if (!closing) {
		app->clip = clip;
	} else if (app->clip == clip) {
		app->clip = NULL;
	}
	pthread_mutex_unlock(&app->clip_lock);
}

static const char *paste_error_name(int err)
{
	switch (err) {
	case -ENODATA:
		return "empty";
	case -EFBIG:
		return "too-large";
	case -ETIMEDOUT:
		return "timeout";
	case -ENOTCONN:
		return "no-channel";
	case -EPERM:
		return "view-only";
	default:
		return "no-text"; /* -ENOMSG, or the client failed to give text (-EIO) */
	}
}

/* Answers the outstanding paste, once: the first of the client's answer and the timeout wins. */
static void paste_done(struct app *app, int err, const char *text, size_t len)
{
	struct json_object *ev;
	bool pending;

	pthread_mutex_lock(&app->paste_lock);
	pending = app->paste_pending;
	app->paste_pending = false;
	pthread_mutex_unlock(&app->paste_lock);
	if (!pending) {
		return;
	}
	ev = json_object_new_object();
	json_object_object_add(ev, "event", json_object_new_string("clipboard"));
	if (err == 0) {
		json_object_object_add(ev, "text", json_object_new_string_len(text, (int)len));
		/* Escapes can make the line longer than the text: keep within the line bound. */
		if (strlen(json_object_to_json_string_ext(ev, JSON_C_TO_STRING_PLAIN)) + 1 >
		    CONTROL_MAX_TEXT_LINE) {
			json_object_object_del(ev, "text");
			err = -EFBIG;
		}
	}
	if (err < 0) {
		json_object_object_add(ev, "error", json_object_new_string(paste_error_name(err)));
		log_info("paste from the helpdesk: no text (%s)", paste_error_name(err));
	} else {
		log_info("paste from the helpdesk: %zu bytes", len);
	}
	control_broadcast(app->control, ev);
	json_object_put(ev);
}

static void on_clipboard_text(void *userdata, int err, const char *text, size_t len)
{
	paste_done(userdata, err, text, len);
}

static int command_paste(struct app *app)
{
	int r = -ENOTCONN;

	pthread_mutex_lock(&app->paste_lock);
	if (app->paste_pending) {
		pthread_mutex_unlock(&app->paste_lock);
		return 0; /* the answer on its way answers this one too */
	}
	app->paste_pending = true;
	app->paste_deadline_ms = mono_ms(NULL) + PASTE_TIMEOUT_MS;
	pthread_mutex_unlock(&app->paste_lock);
	kill(getpid(), SIGUSR1); /* the main loop's timer now includes the deadline */

	if (session_view_only(app->session)) {
		paste_done(app, -EPERM, NULL, 0);
		return 0;
	}
	pthread_mutex_lock(&app->clip_lock);
	if (app->clip) {
		r = rdp_clipboard_request_text(app->clip);
	}
	pthread_mutex_unlock(&app->clip_lock);
	if (r < 0) {
		paste_done(app, r, NULL, 0);
	}
	return 0;
}

static int command_copy(struct app *app, struct json_object *args, char *err, size_t errlen)
{
	struct json_object *v;
	size_t len;
	int r = -ENOTCONN;

	if (!json_object_object_get_ex(args, "text", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "copy needs \"text\": a string");
		return -EINVAL;
	}
	len = (size_t)json_object_get_string_len(v);
	if (len > app->opt.max_paste) {
		snprintf(err, errlen, "text too large (%zu bytes; --max-paste is %u)", len,
			 app->opt.max_paste);
		return -EFBIG;
	}
	pthread_mutex_lock(&app->clip_lock);
	if (app->clip) {
		r = rdp_clipboard_offer_text(app->clip, json_object_get_string(v), len);
	}
	pthread_mutex_unlock(&app->clip_lock);
	if (r == -ENOTCONN) {
		snprintf(err, errlen, "no helpdesk client with a clipboard channel");
	} else if (r < 0) {
		snprintf(err, errlen, "cannot offer the text: %s", strerror(-r));
	} else {
		log_info("copy to the helpdesk: %zu bytes", len);
	}
	return r;
}

/* The outstanding paste's timeout: ms until it, or UINT64_MAX if none. */
static uint64_t paste_tick(struct app *app)
{
	uint64_t now = mono_ms(NULL), wait = UINT64_MAX;
	bool expired = false;

	pthread_mutex_lock(&app->paste_lock);
	if (app->paste_pending) {
		expired = now >= app->paste_deadline_ms;
		wait = expired ? UINT64_MAX : app->paste_deadline_ms - now;
	}
	pthread_mutex_unlock(&app->paste_lock);
	if (expired) {
		paste_done(app, -ETIMEDOUT, NULL, 0);
	}
	return wait;
}

/* The last report of a helper thread, as a member of the state event. */
static void add_status_copy(struct json_object *ev, const char *key, struct json_object *status)
{
	struct json_object *copy = NULL;

	if (status && json_object_deep_copy(status, &copy, NULL) == 0) {
		json_object_object_del(copy, "event");
		json_object_object_add(ev, key, copy);
	}
}

/* The state event, with the options in force (which boot options reached us). */
static struct json_object *state_event(struct app *app)
{
	struct json_object *ev = session_state_event(app->session);

	if (ev) {
		json_object_object_add(ev, "options", server_options_to_json(&app->opt));
		pthread_mutex_lock(&app->announce_lock);
		add_status_copy(ev, "announce", app->announce_status);
		add_status_copy(ev, "reverse", app->reverse_status);
		pthread_mutex_unlock(&app->announce_lock);
	}
	return ev;
}

static int on_command(void *userdata, const char *command, struct json_object *args, char *err,
		      size_t errlen)
{
	struct app *app = userdata;
	struct json_object *v;

	if (strcmp(command, "end-session") == 0) {
		log_info("end-session requested on the control socket");
		session_end(app->session);
		input_release_all(app->input);
		rdp_server_disconnect_all(app->rdp);
		return 0;
	}
	if (strcmp(command, "new-ticket") == 0) {
		int r = session_new_ticket(app->session, ticket_random_getrandom, NULL);

		if (r < 0) {
			snprintf(err, errlen, "cannot make a ticket: %s", strerror(-r));
			return r;
		}
		log_info("new ticket made on request; the previous one no longer works");
		input_release_all(app->input);
		rdp_server_disconnect_all(app->rdp);
		r = publish_info(app);
		if (r < 0) {
			snprintf(err, errlen, "cannot publish the connection info: %s",
				 strerror(-r));
		}
		return r;
	}
	if (strcmp(command, "view-only") == 0) {
		if (!json_object_object_get_ex(args, "enabled", &v) ||
		    !json_object_is_type(v, json_type_boolean)) {
			snprintf(err, errlen, "view-only needs \"enabled\": true or false");
			return -EINVAL;
		}
		input_set_enabled(app->input, !json_object_get_boolean(v));
		session_set_view_only(app->session, json_object_get_boolean(v));
		return 0;
	}
	if (strcmp(command, "paste") == 0) {
		return command_paste(app);
	}
	if (strcmp(command, "copy") == 0) {
		return command_copy(app, args, err, errlen);
	}
	if (strcmp(command, "status") == 0) {
		struct json_object *ev = state_event(app);

		control_broadcast(app->control, ev);
		json_object_put(ev);
		return 0;
	}
	snprintf(err, errlen,
		 "unknown command '%s' (known: end-session, new-ticket, view-only, status, paste, "
		 "copy)",
		 command);
	return -EINVAL;
}

static struct json_object *greeting(void *userdata)
{
	return state_event(userdata);
}

/* The state directory holds the key and the ticket: ours alone, and never a symlink. */
static int prepare_state_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		return -errno;
	}
	if (lstat(dir, &st) < 0) {
		return -errno;
	}
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
		return -EPERM;
	}
	if ((st.st_mode & 0777) != 0700 && chmod(dir, 0700) < 0) {
		return -errno;
	}
	return 0;
}

static int setup(struct app *app)
{
	struct ticket_policy_config policy;
	char err[512] = "";
	int r, r2;

	r = prepare_state_dir(app->opt.state_dir);
	if (r < 0) {
		log_error("state directory %s: %s", app->opt.state_dir,
			  r == -EPERM ? "not a directory owned by us" : strerror(-r));
		return r;
	}
	if (asprintf(&app->info_path, "%s/connection.json", app->opt.state_dir) < 0 ||
	    (app->opt.control_path
		     ? !(app->control_path = strdup(app->opt.control_path))
		     : asprintf(&app->control_path, "%s/control.sock", app->opt.state_dir) < 0)) {
		return -ENOMEM;
	}

	/* Both backends check their spec before they touch a device (a bad spec is -EINVAL), so
	 * try both and report a bad spec as such even when the other backend has no device. */
	r = capture_create(app->opt.capture, &app->capture, err, sizeof(err));
	if (r < 0) {
		log_error("--capture=%s: %s", app->opt.capture, err);
		app->usage_error = r == -EINVAL;
	}
	r2 = injector_create(app->opt.injector, &app->injector, err, sizeof(err));
	if (r2 < 0) {
		log_error("--injector=%s: %s", app->opt.injector, err);
		app->usage_error |= r2 == -EINVAL;
	}
	if (r < 0 || r2 < 0) {
		return r < 0 ? r : r2;
	}
	r = input_new(app->injector, &app->input);
	if (r < 0) {
		log_error("cannot set up input: %s", strerror(-r));
		return r;
	}
	input_set_enabled(app->input, !app->opt.view_only);

	ticket_policy_config_defaults(&policy);
	policy.max_failures = app->opt.max_failures;
	policy.failure_delay_ms = app->opt.failure_delay_ms;
	policy.expire_ms = app->opt.expire_ms;
	r = session_new(&policy,
			&(struct session_callbacks){ .userdata = app,
						     .event = on_session_event,
						     .now_ms = mono_ms,
						     .sleep_until = sleep_until },
			app->opt.view_only, &app->session);
	if (r < 0) {
		return r;
	}
	r = session_new_ticket(app->session, ticket_random_getrandom, NULL);
	if (r < 0) {
		log_error("cannot make a ticket: %s", strerror(-r));
		return r;
	}

	if (gethostname(app->hostname, sizeof(app->hostname) - 1) < 0 || !app->hostname[0]) {
		snprintf(app->hostname, sizeof(app->hostname), "lifeline");
	}
	r = ticket_addresses_collect(app->addrs, MAX_ADDRESSES, &app->n_addrs);
	if (r < 0) {
		log_warn("cannot list the network addresses: %s", strerror(-r));
		app->n_addrs = 0;
	}
	if (app->n_addrs == 0) {
		log_warn("this machine has no network address: the helpdesk cannot reach it");
	}

	r = rdp_cert_paths(app->opt.state_dir, &app->cert_path, &app->key_path);
	if (r < 0) {
		log_error("cannot prepare the certificate directory: %s", strerror(-r));
		return r;
	}
	r = cert_generate(app->cert_path, app->key_path, app->hostname, app->addrs, app->n_addrs,
			  &app->cert, err, sizeof(err));
	if (r < 0) {
		log_error("certificate: %s", err);
		return r;
	}

	app->subsystem = (struct rdp_subsystem_config){ .capture = app->capture,
							.input = app->input,
							.max_fps = app->opt.max_fps,
							.idle_fps = app->opt.idle_fps,
							.no_gfx = !app->opt.gfx };
	app->subsystem.hooks.capture_error = on_capture_error;
	app->subsystem.max_paste = app->opt.max_paste;
	app->subsystem.hooks.clipboard = (struct rdp_clipboard_hooks){
		.userdata = app, .attached = on_clipboard_attached, .text = on_clipboard_text
	};
	r = rdp_server_start(
		&(struct rdp_server_config){ .state_dir = app->opt.state_dir,
					     .bind = app->opt.bind,
					     .port_lo = app->opt.port_lo,
					     .port_hi = app->opt.port_hi,
					     .rnd = ticket_random_getrandom,
					     .security = app->opt.security,
					     .handshake_timeout_ms = app->opt.handshake_timeout_ms,
					     .session = app->session,
					     .subsystem = &app->subsystem },
		&app->rdp, &app->port, err, sizeof(err));
	if (r < 0) {
		log_error("%s", err);
		return r;
	}

	if (app->opt.announce_url) {
		struct announce_config ac = { .url = app->opt.announce_url,
					      .pin = app->opt.announce_pin,
					      .ca_file = app->opt.announce_ca };

		r = announce_config_check(&ac, err, sizeof(err));
		if (r < 0) {
			log_error("%s", err);
			app->usage_error = true;
			return r;
		}
		r = announce_new(&ac, on_announce, app, &app->announce);
		if (r < 0) {
			log_error("cannot set up the announce URL: %s", strerror(-r));
			return r;
		}
	}

	/* The info first: a console UI that attaches at once is greeted with it, not null. */
	r = publish_info(app);
	if (r < 0) {
		return r;
	}
	r = control_new(app->control_path, on_command, greeting, app, &app->control, err,
			sizeof(err));
	if (r < 0) {
		log_error("%s", err);
		return r;
	}
	/* The tunnel, once the port is known and the control socket can report on it. */
	if (app->opt.reverse) {
		r = reverse_start(&(struct reverse_config){ .target = app->opt.reverse,
							    .host_key = app->opt.reverse_host_key,
							    .identity = app->opt.reverse_key,
							    .state_dir = app->opt.state_dir,
							    .local_port = app->port },
				  on_reverse, app, &app->reverse, &app->reverse_pubkey, err,
				  sizeof(err));
		if (r < 0) {
			log_error("%s", err);
			app->usage_error = r == -EINVAL;
			return r;
		}
		if (app->reverse_pubkey) {
			log_info("reverse connection: authorise this machine's key on %s: %s",
				 app->opt.reverse, app->reverse_pubkey);
		}
	}
	/* Posting starts once the control socket can tell the console how it goes. */
	if (app->announce) {
		r = announce_run(app->announce);
		if (r < 0) {
			log_error("cannot start the announce thread: %s", strerror(-r));
			return r;
		}
	}
	log_info("ready: listening on port %u (%s), %zu address%s, control socket %s", app->port,
		 app->opt.security == SERVER_SECURITY_NLA ? "NLA" : "TLS", app->n_addrs,
		 app->n_addrs == 1 ? "" : "es", app->control_path);
	return 0;
}

static void teardown(struct app *app)
{
	announce_stop(app->announce);
	json_object_put(app->announce_status);
	reverse_stop(app->reverse);
	json_object_put(app->reverse_status);
	free(app->reverse_pubkey);
	rdp_server_stop(app->rdp);
	control_destroy(app->control);
	input_destroy(app->input);
	injector_destroy(app->injector);
	capture_destroy(app->capture);
	session_destroy(app->session);
	/* The ticket and the key are for this run only. */
	if (app->info_path) {
		unlink(app->info_path);
		/* the hand-off files beside it (write_handoff_files) */
		for (size_t i = 0; i < 2; i++) {
			char *path;

			if (asprintf(&path, "%s/%s", app->opt.state_dir, handoff_files[i]) >= 0) {
				unlink(path);
				free(path);
			}
		}
	}
	if (app->key_path) {
		unlink(app->key_path);
	}
	if (app->cert_path) {
		unlink(app->cert_path);
	}
	free(app->info_path);
	free(app->control_path);
	free(app->cert_path);
	free(app->key_path);
	server_options_finish(&app->opt);
}

int main(int argc, char **argv)
{
	struct app app = { 0 };
	char err[512] = "";
	sigset_t sigs;
	int r, sig = 0;

	server_options_init(&app.opt);
	pthread_mutex_init(&app.clip_lock, NULL);
	pthread_mutex_init(&app.paste_lock, NULL);
	pthread_mutex_init(&app.announce_lock, NULL);
	r = server_options_parse(&app.opt, argc, argv, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "lifeline-server: %s\nTry 'lifeline-server --help'.\n", err);
		server_options_finish(&app.opt);
		return 2;
	}
	if (app.opt.show_help) {
		server_options_print_help("lifeline-server");
		server_options_finish(&app.opt);
		return 0;
	}
	if (app.opt.show_version) {
		printf("lifeline-server %s\n", LIFELINE_VERSION);
		server_options_finish(&app.opt);
		return 0;
	}

	/* Before any thread exists, so every thread inherits the mask and only sigwait sees
	 * these. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	rdp_log_init();
	if (app.opt.kernel_cmdline_path) {
		log_info("boot options from %s: %s", app.opt.kernel_cmdline_path,
			 app.opt.from_kernel_cmdline ? app.opt.from_kernel_cmdline : "none");
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* MD4 (the NT hash) lives in OpenSSL 3's legacy provider, which this loads. */
	winpr_InitializeSSL(WINPR_SSL_INIT_DEFAULT);

	r = setup(&app);
	if (r < 0) {
		bool usage = app.usage_error;

		teardown(&app);
		return usage ? 2 : 1;
	}
	for (;;) {
		uint64_t wait = session_tick(app.session), paste_wait = paste_tick(&app);
		struct timespec ts = { .tv_sec = 3600 };

		wait = paste_wait < wait ? paste_wait : wait;

		if (wait != UINT64_MAX) {
			ts.tv_sec = (time_t)(wait / 1000);
			ts.tv_nsec = (long)(wait % 1000) * 1000000L;
		}
		sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP) {
			break;
		}
	}
	log_info("stopping on signal %s", strsignal(sig));
	teardown(&app);
	log_info("stopped");
	return 0;
}
