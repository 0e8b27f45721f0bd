#include "control-event.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	enum shell_control_kind kind;
} event_names[] = {
	{ "state", SHELL_CONTROL_STATE },
	{ "ready", SHELL_CONTROL_READY },
	{ "auth-failed", SHELL_CONTROL_AUTH_FAILED },
	{ "refused", SHELL_CONTROL_REFUSED },
	{ "connected", SHELL_CONTROL_CONNECTED },
	{ "disconnected", SHELL_CONTROL_DISCONNECTED },
	{ "revoked", SHELL_CONTROL_REVOKED },
	{ "expired", SHELL_CONTROL_EXPIRED },
	{ "ended", SHELL_CONTROL_ENDED },
	{ "view-only", SHELL_CONTROL_VIEW_ONLY },
	{ "text", SHELL_CONTROL_TEXT },
	{ "clipboard", SHELL_CONTROL_CLIPBOARD },
	{ "announce", SHELL_CONTROL_ANNOUNCE },
	{ "reverse", SHELL_CONTROL_REVERSE },
};

int shell_remote_phase_from_string(const char *s, enum shell_remote_phase *ret)
{
	static const struct {
		const char *name;
		enum shell_remote_phase phase;
	} phases[] = {
		{ "active", SHELL_REMOTE_WAITING },  { "in-use", SHELL_REMOTE_IN_USE },
		{ "revoked", SHELL_REMOTE_REVOKED }, { "expired", SHELL_REMOTE_EXPIRED },
		{ "ended", SHELL_REMOTE_ENDED },
	};

	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		if (strcmp(s, phases[i].name) == 0) {
			*ret = phases[i].phase;
			return 0;
		}
	}
	return -EINVAL;
}

static void copy_str(struct json_object *o, const char *key, char *dst, size_t size)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)) {
		snprintf(dst, size, "%s", json_object_get_string(v));
	}
}

/* A string field that must fit whole (a command cut short would be wrong): else empty. */
static void copy_whole(struct json_object *o, const char *key, char *dst, size_t size)
{
	struct json_object *v;

	dst[0] = '\0';
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
	    (size_t)json_object_get_string_len(v) < size &&
	    strlen(json_object_get_string(v)) == (size_t)json_object_get_string_len(v)) {
		memcpy(dst, json_object_get_string(v), (size_t)json_object_get_string_len(v) + 1);
	}
}

/* A string field as an owned copy; NUL inside is refused (the text would be cut short). */
static int dup_text(struct json_object *o, const char *key, char **ret, size_t *ret_len)
{
	struct json_object *v;
	const char *s;
	size_t len;
	char *copy;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)) {
		return 0;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', len)) {
		return -EINVAL;
	}
	copy = malloc(len + 1);
	if (!copy) {
		return -ENOMEM;
	}
	memcpy(copy, s, len + 1);
	*ret = copy;
	*ret_len = len;
	return 0;
}

static int get_int(struct json_object *o, const char *key, int def)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)) {
		return json_object_get_int(v);
	}
	return def;
}

static bool get_bool(struct json_object *o, const char *key, bool def)
{
	struct json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_boolean)) {
		return json_object_get_boolean(v);
	}
	return def;
}

static void parse_info(struct json_object *o, struct shell_control_event *ev)
{
	struct json_object *info, *addrs;
	struct shell_conninfo *ci = &ev->info;

	if (!json_object_object_get_ex(o, "info", &info) ||
	    !json_object_is_type(info, json_type_object)) {
		return;
	}
	ev->has_info = true;
	copy_str(info, "ticket", ci->ticket, sizeof(ci->ticket));
	ci->port = (unsigned)get_int(info, "port", 0);
	copy_str(info, "sha256_fingerprint", ci->sha256_fingerprint,
		 sizeof(ci->sha256_fingerprint));
	copy_whole(info, "sha1_thumbprint", ci->sha1_thumbprint, sizeof(ci->sha1_thumbprint));
	copy_whole(info, "xfreerdp", ci->xfreerdp, sizeof(ci->xfreerdp));
	copy_str(info, "security", ci->security, sizeof(ci->security));
	copy_str(info, "user", ci->user, sizeof(ci->user));
	copy_str(info, "hostname", ci->hostname, sizeof(ci->hostname));
	if (json_object_object_get_ex(info, "addresses", &addrs) &&
	    json_object_is_type(addrs, json_type_array)) {
		size_t n = json_object_array_length(addrs);

		for (size_t i = 0; i < n && ci->n_addresses < SHELL_MAX_ADDRESSES; i++) {
			struct json_object *a = json_object_array_get_idx(addrs, i);

			if (json_object_is_type(a, json_type_string)) {
				snprintf(ci->addresses[ci->n_addresses++], sizeof(ci->addresses[0]),
					 "%s", json_object_get_string(a));
			}
		}
	}
}

int shell_control_parse(const char *line, size_t len, struct shell_control_event *ret)
{
	struct json_tokener *tok;
	struct json_object *o, *v;
	struct shell_control_event ev = { 0 };
	int r = -EINVAL;

	tok = json_tokener_new();
	if (!tok) {
		return -ENOMEM;
	}
	o = json_tokener_parse_ex(tok, line, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object)) {
		goto out;
	}
	if (json_object_object_get_ex(o, "reply", &v) && json_object_is_type(v, json_type_string)) {
		if (strcmp(json_object_get_string(v), "ok") == 0) {
			ev.kind = SHELL_CONTROL_REPLY_OK;
		} else {
			ev.kind = SHELL_CONTROL_REPLY_ERROR;
			copy_str(o, "message", ev.reason, sizeof(ev.reason));
		}
		r = 0;
		goto out;
	}
	if (!json_object_object_get_ex(o, "event", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		goto out;
	}
	ev.kind = SHELL_CONTROL_UNKNOWN;
	for (size_t i = 0; i < sizeof(event_names) / sizeof(event_names[0]); i++) {
		if (strcmp(json_object_get_string(v), event_names[i].name) == 0) {
			ev.kind = event_names[i].kind;
		}
	}
	if (ev.kind == SHELL_CONTROL_STATE) {
		struct json_object *st;

		if (!json_object_object_get_ex(o, "state", &st) ||
		    !json_object_is_type(st, json_type_string) ||
		    shell_remote_phase_from_string(json_object_get_string(st), &ev.phase) < 0) {
			goto out;
		}
		ev.since = (time_t)get_int(o, "since", 0);
	}
	parse_info(o, &ev);
	copy_str(o, "peer", ev.peer, sizeof(ev.peer));
	copy_str(o, "user", ev.user, sizeof(ev.user));
	copy_str(o, ev.kind == SHELL_CONTROL_CLIPBOARD ? "error" : "reason", ev.reason,
		 sizeof(ev.reason));
	ev.failures = get_int(o, "failures", 0);
	ev.remaining = get_int(o, "remaining", -1);
	ev.view_only = get_bool(o, "view_only", get_bool(o, "enabled", false));
	copy_str(o, "keyboard_layout", ev.keyboard_layout, sizeof(ev.keyboard_layout));
	copy_str(o, "keyboard_variant", ev.keyboard_variant, sizeof(ev.keyboard_variant));
	if (ev.kind == SHELL_CONTROL_ANNOUNCE || ev.kind == SHELL_CONTROL_STATE) {
		struct json_object *an = o;

		if (ev.kind == SHELL_CONTROL_ANNOUNCE ||
		    (json_object_object_get_ex(o, "announce", &an) &&
		     json_object_is_type(an, json_type_object))) {
			int ms;

			copy_str(an, "state", ev.announce_state, sizeof(ev.announce_state));
			copy_str(an, "reason", ev.announce_reason, sizeof(ev.announce_reason));
			ms = get_int(an, "retry_in_ms", 0);

			ev.announce_retry_s = ms > 0 ? (unsigned)ms / 1000 : 0;
		}
	}
	if (ev.kind == SHELL_CONTROL_REVERSE || ev.kind == SHELL_CONTROL_STATE) {
		struct json_object *rv = o;

		if (ev.kind == SHELL_CONTROL_REVERSE ||
		    (json_object_object_get_ex(o, "reverse", &rv) &&
		     json_object_is_type(rv, json_type_object))) {
			int port = get_int(rv, "port", 0), ms = get_int(rv, "retry_in_ms", 0);

			copy_str(rv, "state", ev.reverse.state, sizeof(ev.reverse.state));
			copy_str(rv, "bastion", ev.reverse.bastion, sizeof(ev.reverse.bastion));
			copy_str(rv, "reason", ev.reverse.reason, sizeof(ev.reverse.reason));
			copy_whole(rv, "machine_key", ev.reverse.machine_key, sizeof(ev.reverse.machine_key));
			ev.reverse.port = port > 0 && port < 65536 ? (unsigned)port : 0;
			ev.reverse.retry_s = ms > 0 ? (unsigned)ms / 1000 : 0;
		}
	}
	r = dup_text(o, "text", &ev.text, &ev.text_len);
	if (r == 0 && ev.kind == SHELL_CONTROL_TEXT && !ev.text) {
		r = -EINVAL;
	}
out:
	if (r == 0) {
		*ret = ev;
	} else {
		free(ev.text);
	}
	shell_conninfo_wipe(&ev.info);
	json_object_put(o);
	json_tokener_free(tok);
	return r;
}

int shell_control_format(enum shell_command cmd, bool enabled, char *buf, size_t size)
{
	int n;

	switch (cmd) {
	case SHELL_COMMAND_END_SESSION:
		n = snprintf(buf, size, "{\"command\":\"end-session\"}\n");
		break;
	case SHELL_COMMAND_NEW_TICKET:
		n = snprintf(buf, size, "{\"command\":\"new-ticket\"}\n");
		break;
	case SHELL_COMMAND_VIEW_ONLY:
		n = snprintf(buf, size, "{\"command\":\"view-only\",\"enabled\":%s}\n",
			     enabled ? "true" : "false");
		break;
	case SHELL_COMMAND_STATUS:
		n = snprintf(buf, size, "{\"command\":\"status\"}\n");
		break;
	case SHELL_COMMAND_PASTE:
		n = snprintf(buf, size, "{\"command\":\"paste\"}\n");
		break;
	default:
		return -EINVAL;
	}
	if (n < 0 || (size_t)n >= size) {
		return -ENOSPC;
	}
	return n;
}

void shell_control_event_clear(struct shell_control_event *ev)
{
	if (ev->text) {
		explicit_bzero(ev->text, ev->text_len);
		free(ev->text);
	}
	ev->text = NULL;
	ev->text_len = 0;
	shell_conninfo_wipe(&ev->info);
}

void shell_conninfo_wipe(struct shell_conninfo *info)
{
	explicit_bzero(info->ticket, sizeof(info->ticket));
	explicit_bzero(info->xfreerdp, sizeof(info->xfreerdp));
}

int shell_control_format_copy(const char *text, size_t len, char **ret, size_t *ret_len)
{
	struct json_object *o = json_object_new_object();
	const char *s;
	char *line;
	size_t n;

	if (!o) {
		return -ENOMEM;
	}
	json_object_object_add(o, "command", json_object_new_string("copy"));
	json_object_object_add(o, "text", json_object_new_string_len(text, (int)len));
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	n = s ? strlen(s) : 0;
	line = s ? malloc(n + 2) : NULL;
	if (!line) {
		json_object_put(o);
		return -ENOMEM;
	}
	memcpy(line, s, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	json_object_put(o);
	*ret = line;
	*ret_len = n + 1;
	return 0;
}
