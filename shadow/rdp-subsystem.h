#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rdp-clipboard.h"

/*
 * Lifeline's FreeRDP shadow subsystem: serves a struct capture to RDP clients and feeds their
 * keyboard and mouse to a struct input. This header is FreeRDP-free; the FreeRDP types stay
 * in rdp-subsystem.c.
 */
struct capture;
struct input;

struct rdp_subsystem_hooks {
	void *userdata;
	/* TLS security only: the password from the client's logon info. true = accept. */
	bool (*authenticate)(void *userdata, void *client, const char *peer, const char *user,
			     const char *password);
	/* The client finished connecting and logged in; keyboard_layout_id is the layout it
	 * announced (a Windows KLID, 0 if none). false = disconnect it. */
	bool (*client_connect)(void *userdata, void *client, const char *peer, const char *user,
			       uint32_t keyboard_layout_id);
	/* The controlling client typed text as Unicode keyboard events (UTF-8, one character or
	 * a surrogate pair at a time). Must hand the text on before it returns: the text marker
	 * key is injected right after (docs/control-protocol.md). false = not taken (no marker). */
	bool (*text)(void *userdata, void *client, const char *utf8);
	void (*client_disconnect)(void *userdata, void *client);
	/* May this client's input reach the machine (it is the controller, not view-only)? */
	bool (*may_interact)(void *userdata, void *client);
	/* Grabbing the screen started failing (err < 0, message = capture_last_error()) or works
	 * again (err 0, message ""); called once per change, from the capture thread. */
	void (*capture_error)(void *userdata, int err, const char *message);
	/* Each client's clipboard channel, when it joined one (userdata of its own). */
	struct rdp_clipboard_hooks clipboard;
};

struct rdp_subsystem_config {
	struct capture *capture;
	struct input *input;
	unsigned max_fps;
	unsigned idle_fps; /* polls per second of a still screen (shadow/frame-pacer.h) */
	bool no_gfx; /* keep clients off the graphics pipeline (H.264) */
	size_t max_paste; /* bytes of clipboard text (UTF-8) either way */
	struct rdp_subsystem_hooks hooks;
};

/*
 * Register the subsystem with FreeRDP; call before shadow_server_init. The config must stay
 * valid until the server is freed. FreeRDP's entry point takes no context, so there can be
 * one subsystem per process.
 */
void rdp_subsystem_register(const struct rdp_subsystem_config *cfg);
