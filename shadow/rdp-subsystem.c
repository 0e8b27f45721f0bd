/*
 * The only file of shadow/ that sees FreeRDP's subsystem API. It translates FreeRDP's
 * threads, BOOLs, scancodes and pointer flags into calls on our plain-C capture, tile diff,
 * keymap and input router.
 */
#include "rdp-subsystem.h"

#include <errno.h>
#include <linux/input-event-codes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <freerdp/codec/region.h>
#include <freerdp/input.h>
#include <freerdp/server/shadow.h>
#include <winpr/collections.h>
#include <winpr/interlocked.h>
#include <winpr/synch.h>
#include <winpr/sysinfo.h>
#include <winpr/thread.h>

#include "capture.h"
#include "clip-text.h"
#include "rdp-clipboard.h"
#include "frame-pacer.h"
#include "input.h"
#include "keymap.h"
#include "tile-diff.h"

#define MAX_RECTS 256
/* Pressed after each text handed to the shell (docs/control-protocol.md): the shell types the
 * text when it reads this key, so the text keeps its place among the helpdesk's keys. */
#define TEXT_MARKER_KEY KEY_UNKNOWN

struct lifeline_subsystem {
	rdpShadowSubsystem base; /* must be first: FreeRDP casts */
	const struct rdp_subsystem_config *cfg;
	HANDLE thread;
	HANDLE wake; /* set when a client connects, so the idle loop starts polling */
	struct tile_diff *diff;
	uint32_t width, height;
	volatile LONG active_clients;
	pthread_mutex_t key_lock; /* guards keys and connected[] */
	rdpShadowClient *connected[8];
	struct rdp_clipboard *clips[8]; /* connected[i]'s clipboard channel, or NULL */
	struct keymap_state keys;
	uint16_t high_surrogate; /* of a Unicode pair whose second half is still to come */
	struct tile_rect rects[MAX_RECTS];
	int last_err;             /* of the last grab, reported once per change */
	char last_msg[256];
	uint64_t cursor_serial;   /* of the pointer image last sent; 0 = none sent */
	bool cursor_visible;
	int32_t cursor_x, cursor_y;
	bool watched;             /* a client was connected at the last poll */
	volatile LONG resend_cursor; /* set when a client connects or asks for a refresh */
	struct frame_pacer pacer;    /* the capture thread's own */
	volatile LONG kicked;        /* input arrived: set by the client threads */
};

static const struct rdp_subsystem_config *registered_config;

static struct lifeline_subsystem *to_sub(rdpShadowSubsystem *base)
{
	return (struct lifeline_subsystem *)base;
}

static UINT32 enum_monitors(MONITOR_DEF *monitors, UINT32 max)
{
	uint32_t w, h;

	if (max < 1 || !registered_config ||
	    capture_get_size(registered_config->capture, &w, &h) < 0) {
		return 0;
	}
	/* right/bottom are exclusive, as FreeRDP's own subsystems fill them */
	monitors[0] = (MONITOR_DEF){
		.left = 0, .top = 0, .right = (INT32)w, .bottom = (INT32)h, .flags = 1
	};
	return 1;
}

static const char *peer_name(rdpShadowClient *client)
{
	freerdp_peer *peer = client ? client->context.peer : NULL;

	return peer && peer->hostname[0] ? peer->hostname : "unknown";
}

/* Copy the changed rects from the tile diff's shadow copy into the shared surface and publish
 * them. FreeRDP's publish blocks until every client thread has taken the frame, and those
 * threads lock the surface to encode, so the lock must be free while publishing. */
static void publish(struct lifeline_subsystem *sub, size_t n, bool full)
{
	rdpShadowSurface *surface = sub->base.server->surface;
	const uint8_t *src;
	uint32_t stride;

	if (!surface || (n == 0 && !full)) {
		return;
	}
	src = tile_diff_data(sub->diff, &stride);
	EnterCriticalSection(&surface->lock);
	for (size_t i = 0; i < n; i++) {
		const struct tile_rect *r = &sub->rects[i];
		RECTANGLE_16 rect = { .left = (UINT16)r->x,
				      .top = (UINT16)r->y,
				      .right = (UINT16)(r->x + r->width),
				      .bottom = (UINT16)(r->y + r->height) };

		for (uint32_t y = r->y; y < r->y + r->height; y++) {
			memcpy(surface->data + (size_t)y * surface->scanline + (size_t)r->x * 4,
			       src + (size_t)y * stride + (size_t)r->x * 4, (size_t)r->width * 4);
		}
		region16_union_rect(&surface->invalidRegion, &surface->invalidRegion, &rect);
	}
	if (full) {
		RECTANGLE_16 all = { 0, 0, (UINT16)surface->width, (UINT16)surface->height };

		region16_union_rect(&surface->invalidRegion, &surface->invalidRegion, &all);
	}
	LeaveCriticalSection(&surface->lock);

	shadow_subsystem_frame_update(&sub->base);

	EnterCriticalSection(&surface->lock);
	region16_clear(&surface->invalidRegion);
	LeaveCriticalSection(&surface->lock);
}

static int resize(struct lifeline_subsystem *sub, uint32_t w, uint32_t h)
{
	struct tile_diff *diff;
	int r;

	r = tile_diff_new(w, h, &diff);
	if (r < 0) {
		return r;
	}
	tile_diff_destroy(sub->diff);
	sub->diff = diff;
	sub->width = w;
	sub->height = h;
	sub->base.numMonitors = (int)enum_monitors(sub->base.monitors, 16);
	sub->base.virtualScreen = sub->base.monitors[0];
	input_set_screen(sub->cfg->input, w, h);
	if (sub->base.server->screen) {
		shadow_screen_resize(sub->base.server->screen);
	}
	return 0;
}

/* Tell the hook once when grabbing starts failing, changes why, or works again. */
static void report_grab(struct lifeline_subsystem *sub, int r)
{
	const struct rdp_subsystem_hooks *h = &sub->cfg->hooks;
	const char *msg = r < 0 ? capture_last_error(sub->cfg->capture) : "";

	/* -EAGAIN: nothing on screen for a moment (a KMS program just left); not news */
	if (r == -EAGAIN || (r == sub->last_err && strcmp(msg, sub->last_msg) == 0)) {
		return;
	}
	sub->last_err = r;
	snprintf(sub->last_msg, sizeof(sub->last_msg), "%s", msg);
	if (h->capture_error) {
		h->capture_error(h->userdata, r, msg);
	}
}

static void free_pointer_msg(UINT32 id, SHADOW_MSG_OUT *msg)
{
	if (id == SHADOW_MSG_OUT_POINTER_ALPHA_UPDATE_ID) {
		SHADOW_MSG_OUT_POINTER_ALPHA_UPDATE *m = (SHADOW_MSG_OUT_POINTER_ALPHA_UPDATE *)msg;

		free(m->xorMaskData);
		free(m->andMaskData);
	}
	free(msg);
}

/* The hardware cursor (virtio-gpu, qxl) as the RDP pointer: its image when it changes, its
 * hotspot position when it moves. Displays without a cursor plane draw the cursor into the
 * picture, and capture_get_cursor() says -EOPNOTSUPP. */
/* Returns whether the client was sent anything (a new image, a position). */
static bool publish_cursor(struct lifeline_subsystem *sub)
{
	rdpShadowServer *server = sub->base.server;
	struct capture_cursor cur;
	bool sent = false, resend;
	int32_t x, y;

	if (capture_get_cursor(sub->cfg->capture, &cur) < 0) {
		return false;
	}
	resend = InterlockedExchange(&sub->resend_cursor, 0) != 0;
	if (resend) {
		sub->cursor_serial = 0; /* the client may not have the pointer: send it again */
	}
	if (!cur.visible) {
		/* a fully transparent 1x1 pointer hides the client's own */
		static const uint8_t clear[4] = { 0 };

		if (!sub->cursor_visible) {
			return false;
		}
		cur = (struct capture_cursor){ .visible = true, .x = sub->cursor_x,
					       .y = sub->cursor_y, .width = 1, .height = 1,
					       .pixels = clear, .serial = UINT64_MAX };
	}
	x = cur.x + (int32_t)cur.hot_x;
	y = cur.y + (int32_t)cur.hot_y;
	if (cur.serial != sub->cursor_serial) {
		SHADOW_MSG_OUT_POINTER_ALPHA_UPDATE *m = calloc(1, sizeof(*m));

		if (!m) {
			return false;
		}
		m->xHot = cur.hot_x;
		m->yHot = cur.hot_y;
		m->width = cur.width;
		m->height = cur.height;
		m->common.Free = free_pointer_msg;
		if (shadow_subsystem_pointer_convert_alpha_pointer_data((BYTE *)cur.pixels, TRUE,
									cur.width, cur.height,
									m) < 0) {
			free_pointer_msg(SHADOW_MSG_OUT_POINTER_ALPHA_UPDATE_ID, &m->common);
			return false;
		}
		shadow_client_boardcast_msg(server, NULL, SHADOW_MSG_OUT_POINTER_ALPHA_UPDATE_ID,
					    &m->common, NULL);
		sub->cursor_serial = cur.serial;
		sent = true;
	}
	sub->cursor_visible = cur.serial != UINT64_MAX;
	if (resend || x != sub->cursor_x || y != sub->cursor_y) {
		SHADOW_MSG_OUT_POINTER_POSITION_UPDATE *m = calloc(1, sizeof(*m));

		if (!m) {
			return sent;
		}
		m->xPos = (UINT32)(x < 0 ? 0 : x);
		m->yPos = (UINT32)(y < 0 ? 0 : y);
		m->common.Free = free_pointer_msg;
		shadow_client_boardcast_msg(server, NULL, SHADOW_MSG_OUT_POINTER_POSITION_UPDATE_ID,
					    &m->common, NULL);
		sub->cursor_x = x;
		sub->cursor_y = y;
		sent = true;
	}
	return sent;
}

/* Returns whether anything changed (picture or pointer): the frame pacer's measure. */
static bool grab_and_publish(struct lifeline_subsystem *sub, bool full)
{
	struct capture_frame frame;
	bool cursor_changed;
	size_t n = 0;
	int r;

	r = capture_grab(sub->cfg->capture, &frame);
	report_grab(sub, r);
	if (r < 0) {
		return false;
	}
	cursor_changed = publish_cursor(sub);
	if (frame.width != sub->width || frame.height != sub->height) {
		if (resize(sub, frame.width, frame.height) < 0) {
			return false;
		}
		full = true;
	}
	if (full) {
		tile_diff_invalidate(sub->diff);
	}
	if (tile_diff_update(sub->diff, &frame, sub->rects, MAX_RECTS, &n) < 0) {
		return cursor_changed;
	}
	publish(sub, n, full);
	return cursor_changed || full || n > 0;
}

/* From the client threads: input is about to change the screen; poll at the full rate. */
static void kick(struct lifeline_subsystem *sub)
{
	InterlockedExchange(&sub->kicked, 1);
	SetEvent(sub->wake);
}

static DWORD WINAPI subsystem_thread(LPVOID arg)
{
	struct lifeline_subsystem *sub = arg;
	wMessagePipe *pipe = sub->base.MsgPipe;
	HANDLE events[2] = { MessageQueue_Event(pipe->In), sub->wake };

	frame_pacer_init(&sub->pacer, sub->cfg->max_fps, sub->cfg->idle_fps, GetTickCount64());

	for (;;) {
		bool refresh = false;
		DWORD timeout = INFINITE;
		UINT64 now;
		wMessage msg;

		/* Nobody connected: sleep until a message or a client arrives. */
		if (InterlockedCompareExchange(&sub->active_clients, 0, 0) > 0) {
			timeout = frame_pacer_wait_ms(&sub->pacer, GetTickCount64());
		}
		WaitForMultipleObjects(2, events, FALSE, timeout);
		ResetEvent(sub->wake);

		while (MessageQueue_Peek(pipe->In, &msg, TRUE)) {
			if (msg.id == WMQ_QUIT) {
				return 0;
			}
			if (msg.id == SHADOW_MSG_IN_REFRESH_REQUEST_ID) {
				/* Also what a client asks for when it is activated again after a
				 * desktop resize; FreeRDP dropped any pointer update meanwhile. */
				refresh = true;
				InterlockedExchange(&sub->resend_cursor, 1);
			}
			if (msg.Free) {
				msg.Free(&msg);
			}
		}

		now = GetTickCount64();
		if (InterlockedCompareExchange(&sub->active_clients, 0, 0) <= 0 && !refresh) {
			/* Nobody watches: hold no device, so that the console can come back by
			 * itself when a KMS program exits. */
			if (sub->watched) {
				capture_release(sub->cfg->capture);
				sub->watched = false;
				sub->cursor_serial = 0;
			}
			/* the next client is shown at once */
			frame_pacer_init(&sub->pacer, sub->cfg->max_fps, sub->cfg->idle_fps, now);
			InterlockedExchange(&sub->kicked, 0);
			continue;
		}
		sub->watched = true;
		if (InterlockedExchange(&sub->kicked, 0)) {
			frame_pacer_kick(&sub->pacer, now);
		}
		if (refresh || frame_pacer_wait_ms(&sub->pacer, now) == 0) {
			frame_pacer_polled(&sub->pacer, now, grab_and_publish(sub, refresh));
		}
	}
}

static int sub_init(rdpShadowSubsystem *base)
{
	struct lifeline_subsystem *sub = to_sub(base);
	uint32_t w, h;

	if (capture_get_size(sub->cfg->capture, &w, &h) < 0) {
		return -1;
	}
	sub->base.captureFrameRate = (int)sub->cfg->max_fps;
	return resize(sub, w, h) < 0 ? -1 : 1;
}

static int sub_uninit(rdpShadowSubsystem *base)
{
	struct lifeline_subsystem *sub = to_sub(base);

	tile_diff_destroy(sub->diff);
	sub->diff = NULL;
	return 1;
}

static int sub_start(rdpShadowSubsystem *base)
{
	struct lifeline_subsystem *sub = to_sub(base);

	sub->thread = CreateThread(NULL, 0, subsystem_thread, sub, 0, NULL);
	return sub->thread ? 1 : -1;
}

static int sub_stop(rdpShadowSubsystem *base)
{
	struct lifeline_subsystem *sub = to_sub(base);

	if (sub->thread) {
		if (MessageQueue_PostQuit(sub->base.MsgPipe->In, 0)) {
			WaitForSingleObject(sub->thread, INFINITE);
		}
		CloseHandle(sub->thread);
		sub->thread = NULL;
	}
	return 1;
}

static bool may_interact(struct lifeline_subsystem *sub, rdpShadowClient *client)
{
	const struct rdp_subsystem_hooks *h = &sub->cfg->hooks;

	/* Our own gate, not client->mayInteract: a client may raise that through encomsp. */
	return h->may_interact && h->may_interact(h->userdata, client);
}

static BOOL on_synchronize(rdpShadowSubsystem *base, rdpShadowClient *client, UINT32 flags)
{
	struct lifeline_subsystem *sub = to_sub(base);

	/* KBD_SYNC_SCROLL_LOCK/NUM_LOCK/CAPS_LOCK are INJECTOR_LOCK_SCROLL/NUM/CAPS */
	if (may_interact(sub, client)) {
		input_sync_locks(sub->cfg->input, flags & 0x7);
	}
	return TRUE;
}

static BOOL on_keyboard(rdpShadowSubsystem *base, rdpShadowClient *client, UINT16 flags,
			UINT16 code)
{
	struct lifeline_subsystem *sub = to_sub(base);
	bool down = !(flags & KBD_FLAGS_RELEASE);
	uint16_t evcode;
	int r;

	if (!may_interact(sub, client)) {
		return TRUE;
	}
	pthread_mutex_lock(&sub->key_lock);
	r = keymap_translate(&sub->keys, (uint8_t)(code & 0xff), flags & KBD_FLAGS_EXTENDED,
			     flags & KBD_FLAGS_EXTENDED1, down, &evcode);
	pthread_mutex_unlock(&sub->key_lock);
	/* The marker is the text path's alone (on_unicode). */
	if (r == 1 && evcode != TEXT_MARKER_KEY) {
		input_key(sub->cfg->input, evcode, down);
		kick(sub);
	}
	return TRUE;
}

/* Characters the client sends as text (xfreerdp +unicode, on-screen keyboards, IMEs): the
 * shell types them, in their place among the keys thanks to the marker key. */
static BOOL on_unicode(rdpShadowSubsystem *base, rdpShadowClient *client, UINT16 flags, UINT16 code)
{
	struct lifeline_subsystem *sub = to_sub(base);
	const struct rdp_subsystem_hooks *h = &sub->cfg->hooks;
	uint32_t cp = code;
	char utf8[5];

	if ((flags & KBD_FLAGS_RELEASE) || !may_interact(sub, client) || !h->text) {
		return TRUE;
	}
	pthread_mutex_lock(&sub->key_lock);
	if (code >= 0xd800 && code <= 0xdbff) {
		sub->high_surrogate = code;
		pthread_mutex_unlock(&sub->key_lock);
		return TRUE;
	}
	if (code >= 0xdc00 && code <= 0xdfff) {
		cp = sub->high_surrogate
			     ? 0x10000 + (((uint32_t)sub->high_surrogate - 0xd800) << 10) +
				       (code - 0xdc00)
			     : 0;
	}
	sub->high_surrogate = 0;
	pthread_mutex_unlock(&sub->key_lock);
	/* A lone or unpaired surrogate half, or NUL, is not a character. */
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff)) {
		return TRUE;
	}
	utf8[clip_text_utf8_encode(cp, utf8)] = '\0';
	if (!h->text(h->userdata, client, utf8)) {
		return TRUE;
	}
	input_key(sub->cfg->input, TEXT_MARKER_KEY, true);
	input_key(sub->cfg->input, TEXT_MARKER_KEY, false);
	kick(sub);
	return TRUE;
}

static int32_t wheel_rotation(UINT16 flags)
{
	int32_t rot = flags & WheelRotationMask;

	/* 9-bit two's complement; PTR_FLAGS_WHEEL_NEGATIVE is its sign bit */
	if (flags & PTR_FLAGS_WHEEL_NEGATIVE) {
		rot -= 0x200;
	}
	return rot;
}

static BOOL on_mouse(rdpShadowSubsystem *base, rdpShadowClient *client, UINT16 flags, UINT16 x,
		     UINT16 y)
{
	static const struct {
		UINT16 flag;
		uint16_t button;
	} buttons[] = {
		{ PTR_FLAGS_BUTTON1, BTN_LEFT },
		{ PTR_FLAGS_BUTTON2, BTN_RIGHT },
		{ PTR_FLAGS_BUTTON3, BTN_MIDDLE },
	};
	struct lifeline_subsystem *sub = to_sub(base);
	struct input *in = sub->cfg->input;

	if (!may_interact(sub, client)) {
		return TRUE;
	}
	kick(sub);
	/* Wheel events carry x = y = 0: they must not move the pointer. */
	if (flags & PTR_FLAGS_WHEEL) {
		input_wheel(in, wheel_rotation(flags), 0);
		return TRUE;
	}
	if (flags & PTR_FLAGS_HWHEEL) {
		input_wheel(in, 0, wheel_rotation(flags));
		return TRUE;
	}
	input_move(in, x, y);
	/* FreeRDP drops moves to the position it believes current; keep it told. */
	sub->base.pointerX = x;
	sub->base.pointerY = y;
	for (size_t i = 0; i < sizeof(buttons) / sizeof(buttons[0]); i++) {
		if (flags & buttons[i].flag) {
			input_key(in, buttons[i].button, flags & PTR_FLAGS_DOWN);
		}
	}
	return TRUE;
}

static BOOL on_extended_mouse(rdpShadowSubsystem *base, rdpShadowClient *client, UINT16 flags,
			      UINT16 x, UINT16 y)
{
	struct lifeline_subsystem *sub = to_sub(base);
	struct input *in = sub->cfg->input;

	if (!may_interact(sub, client)) {
		return TRUE;
	}
	kick(sub);
	input_move(in, x, y);
	if (flags & PTR_XFLAGS_BUTTON1) {
		input_key(in, BTN_SIDE, flags & PTR_XFLAGS_DOWN);
	}
	if (flags & PTR_XFLAGS_BUTTON2) {
		input_key(in, BTN_EXTRA, flags & PTR_XFLAGS_DOWN);
	}
	return TRUE;
}

static int on_authenticate(rdpShadowSubsystem *base, rdpShadowClient *client, const char *user,
			   const char *domain, const char *password)
{
	const struct rdp_subsystem_hooks *h = &to_sub(base)->cfg->hooks;

	if (!h->authenticate) {
		return -1;
	}
	return h->authenticate(h->userdata, client, peer_name(client), user, password) ? 1 : -1;
}

/* The client's clipboard, when it joined the channel (xfreerdp does unless -clipboard). Called
 * on the client's thread, as is stop_clipboard, so the two never race for one client. */
static void start_clipboard(struct lifeline_subsystem *sub, rdpShadowClient *client)
{
	const struct rdp_clipboard_hooks *ch = &sub->cfg->hooks.clipboard;
	struct rdp_clipboard *clip;
	bool kept = false;

	if (!ch->attached || !WTSVirtualChannelManagerIsChannelJoined(client->vcm, "cliprdr") ||
	    rdp_clipboard_start(client->vcm, &client->context, sub->cfg->max_paste, ch, &clip) < 0) {
		return;
	}
	pthread_mutex_lock(&sub->key_lock);
	for (size_t i = 0; i < sizeof(sub->connected) / sizeof(sub->connected[0]); i++) {
		if (sub->connected[i] == client && !sub->clips[i]) {
			sub->clips[i] = clip;
			kept = true;
			break;
		}
	}
	pthread_mutex_unlock(&sub->key_lock);
	if (!kept) {
		rdp_clipboard_stop(clip);
		return;
	}
	ch->attached(ch->userdata, clip, false);
}

static void stop_clipboard(struct lifeline_subsystem *sub, rdpShadowClient *client)
{
	const struct rdp_clipboard_hooks *ch = &sub->cfg->hooks.clipboard;
	struct rdp_clipboard *clip = NULL;

	pthread_mutex_lock(&sub->key_lock);
	for (size_t i = 0; i < sizeof(sub->connected) / sizeof(sub->connected[0]); i++) {
		if (sub->connected[i] == client && sub->clips[i]) {
			clip = sub->clips[i];
			sub->clips[i] = NULL;
		}
	}
	pthread_mutex_unlock(&sub->key_lock);
	if (clip) {
		ch->attached(ch->userdata, clip, true);
		rdp_clipboard_stop(clip);
	}
}

static BOOL on_client_connect(rdpShadowSubsystem *base, rdpShadowClient *client)
{
	struct lifeline_subsystem *sub = to_sub(base);
	const struct rdp_subsystem_hooks *h = &sub->cfg->hooks;
	rdpSettings *settings = client->context.settings;
	bool ok;

	/* xfreerdp repeats the password in its logon info even with NLA; do not keep it. */
	if (settings->Password) {
		explicit_bzero(settings->Password, strlen(settings->Password));
	}
	ok = !h->client_connect || h->client_connect(h->userdata, client, peer_name(client),
						     settings->Username, settings->KeyboardLayout);
	if (!ok) {
		return FALSE;
	}
	/* FreeRDP 2.11 has no switch for it; ClientConnect runs before the client thread opens
	 * the graphics channel, so clearing it here keeps this client on RemoteFX/planar. */
	if (sub->cfg->no_gfx) {
		settings->SupportGraphicsPipeline = FALSE;
	}
	pthread_mutex_lock(&sub->key_lock);
	for (size_t i = 0; i < sizeof(sub->connected) / sizeof(sub->connected[0]); i++) {
		if (!sub->connected[i]) {
			sub->connected[i] = client;
			InterlockedIncrement(&sub->active_clients);
			break;
		}
	}
	pthread_mutex_unlock(&sub->key_lock);
	InterlockedExchange(&sub->resend_cursor, 1);
	SetEvent(sub->wake);
	start_clipboard(sub, client);
	return TRUE;
}

static void on_client_disconnect(rdpShadowSubsystem *base, rdpShadowClient *client)
{
	struct lifeline_subsystem *sub = to_sub(base);
	const struct rdp_subsystem_hooks *h = &sub->cfg->hooks;

	if (may_interact(sub, client)) {
		input_release_all(sub->cfg->input);
		pthread_mutex_lock(&sub->key_lock);
		sub->keys = (struct keymap_state){ 0 };
		sub->high_surrogate = 0;
		pthread_mutex_unlock(&sub->key_lock);
	}
	if (h->client_disconnect) {
		h->client_disconnect(h->userdata, client);
	}
	stop_clipboard(sub, client);
	/* Count only clients that on_client_connect let in: FreeRDP may also report refused
	 * ones here. */
	pthread_mutex_lock(&sub->key_lock);
	for (size_t i = 0; i < sizeof(sub->connected) / sizeof(sub->connected[0]); i++) {
		if (sub->connected[i] == client) {
			sub->connected[i] = NULL;
			InterlockedDecrement(&sub->active_clients);
		}
	}
	pthread_mutex_unlock(&sub->key_lock);
}

static rdpShadowSubsystem *sub_new(void)
{
	struct lifeline_subsystem *sub;

	if (!registered_config) {
		return NULL;
	}
	sub = calloc(1, sizeof(*sub));
	if (!sub) {
		return NULL;
	}
	sub->cfg = registered_config;
	/* winpr has no auto-reset events: reset by hand after each wait */
	sub->wake = CreateEvent(NULL, TRUE, FALSE, NULL);
	if (!sub->wake) {
		free(sub);
		return NULL;
	}
	pthread_mutex_init(&sub->key_lock, NULL);
	sub->base.SynchronizeEvent = on_synchronize;
	sub->base.KeyboardEvent = on_keyboard;
	sub->base.UnicodeKeyboardEvent = on_unicode;
	sub->base.MouseEvent = on_mouse;
	sub->base.ExtendedMouseEvent = on_extended_mouse;
	sub->base.Authenticate = on_authenticate;
	sub->base.ClientConnect = on_client_connect;
	sub->base.ClientDisconnect = on_client_disconnect;
	return &sub->base;
}

static void sub_free(rdpShadowSubsystem *base)
{
	struct lifeline_subsystem *sub = to_sub(base);

	if (!sub) {
		return;
	}
	CloseHandle(sub->wake);
	pthread_mutex_destroy(&sub->key_lock);
	free(sub);
}

static int sub_entry(RDP_SHADOW_ENTRY_POINTS *ep)
{
	ep->New = sub_new;
	ep->Free = sub_free;
	ep->Init = sub_init;
	ep->Uninit = sub_uninit;
	ep->Start = sub_start;
	ep->Stop = sub_stop;
	ep->EnumMonitors = enum_monitors;
	return 1;
}

void rdp_subsystem_register(const struct rdp_subsystem_config *cfg)
{
	registered_config = cfg;
	shadow_subsystem_set_entry(sub_entry);
}
