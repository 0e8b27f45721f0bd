#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <libinput.h>
#include <libudev.h>
#include <linux/input-event-codes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <xkbcommon/xkbcommon.h>

#define REPEAT_DELAY_MS 400
#define REPEAT_RATE_MS  40

struct source_kbd {
	struct xkb_keymap *keymap; /* a reference: the console's, or the helpdesk's own */
	struct xkb_state *state;
};

/*
 * Devices are read on a thread of their own. The kernel keeps only 64 events per evdev reader
 * (8 typed characters with Shift): a main loop busy for a moment - a redraw under load, a tool
 * starting - would otherwise lose what the helpdesk or the person typed (SYN_DROPPED). The
 * thread turns device events into listener calls queued through a pipe, which the main loop
 * replays (shell_input_dispatch). `lock` guards the xkb and pointer state the main loop changes
 * (layout, screen size).
 */
enum queued_type { Q_KEY, Q_MOTION, Q_BUTTON, Q_SCROLL, Q_TEXT_MARKER };

struct queued {
	enum queued_type type;
	enum shell_source source;
	union {
		struct shell_key key;
		struct {
			int x, y;
			uint32_t button;
			bool pressed;
		} ptr;
		double notches;
	};
};

struct shell_input {
	pthread_t thread;
	bool thread_running;
	pthread_mutex_t lock;
	int queue[2]; /* read end: the main loop's; write end: the reader thread's */
	int stop_fd;
	struct udev *udev;
	struct libinput *li;
	struct xkb_context *xkb;
	struct xkb_keymap *keymap; /* the console's */
	struct source_kbd kbd[2];
	bool remote_own_keymap; /* the helpdesk's keys use a layout of their own */
	bool trust_virtual;
	const struct shell_input_listener *listener;
	void *data;
	int width, height;
	double px, py;
	int repeat_fd;
	uint32_t repeat_key;
	enum shell_source repeat_source;
	bool repeating;
	/* The main loop's: events read from the queue but not yet delivered (held). */
	unsigned hold;
	struct queued carry[64];
	size_t carry_n, carry_i;
};

enum shell_source shell_input_classify(const char *name, const char *syspath, bool trust_virtual)
{
	if (name &&
	    strncmp(name, SHELL_REMOTE_DEVICE_PREFIX, strlen(SHELL_REMOTE_DEVICE_PREFIX)) == 0) {
		return SHELL_SOURCE_REMOTE;
	}
	/* uinput devices live under /sys/devices/virtual: anyone with a root shell - the
	 * helpdesk too - can make one, so they are not trusted to act for the person. */
	if (!trust_virtual && syspath && strncmp(syspath, "/sys/devices/virtual/", 21) == 0) {
		return SHELL_SOURCE_REMOTE;
	}
	return SHELL_SOURCE_LOCAL;
}

static bool layout_chars_ok(const char *s)
{
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-')) {
			return false;
		}
	}
	return true;
}

int shell_input_parse_layout(const char *spec, char *layout, size_t layout_size, char *variant,
			     size_t variant_size)
{
	const char *sep = strpbrk(spec, ":(");
	size_t ll = sep ? (size_t)(sep - spec) : strlen(spec);
	char l[64], v[64] = "";

	if (ll == 0 || ll >= sizeof(l) || ll >= layout_size) {
		return -EINVAL;
	}
	memcpy(l, spec, ll);
	l[ll] = '\0';
	if (sep) {
		size_t vl = strlen(sep + 1);

		if (*sep == '(') {
			if (vl == 0 || sep[vl] != ')') {
				return -EINVAL;
			}
			vl--;
		}
		if (vl == 0 || vl >= sizeof(v) || vl >= variant_size) {
			return -EINVAL;
		}
		memcpy(v, sep + 1, vl);
		v[vl] = '\0';
	}
	if (!layout_chars_ok(l) || !layout_chars_ok(v)) {
		return -EINVAL;
	}
	snprintf(layout, layout_size, "%s", l);
	snprintf(variant, variant_size, "%s", v);
	return 0;
}

static int open_restricted(const char *path, int flags, void *user_data)
{
	int fd = open(path, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static void close_restricted(int fd, void *user_data)
{
	close(fd);
}

static const struct libinput_interface li_iface = {
	.open_restricted = open_restricted,
	.close_restricted = close_restricted,
};

static int set_layout_locked(struct shell_input *in, const char *layout, const char *variant)
{
	struct xkb_rule_names names = { .rules = NULL,
					.model = "pc105",
					.layout = layout,
					.variant = variant && *variant ? variant : NULL };
	struct xkb_keymap *km =
		xkb_keymap_new_from_names(in->xkb, &names, XKB_KEYMAP_COMPILE_NO_FLAGS);
	struct xkb_state *s0, *s1;

	if (!km) {
		return -EINVAL;
	}
	s0 = xkb_state_new(km);
	s1 = xkb_state_new(km);
	if (!s0 || !s1) {
		xkb_state_unref(s0);
		xkb_state_unref(s1);
		xkb_keymap_unref(km);
		return -ENOMEM;
	}
	xkb_state_unref(in->kbd[SHELL_SOURCE_LOCAL].state);
	xkb_keymap_unref(in->kbd[SHELL_SOURCE_LOCAL].keymap);
	in->kbd[SHELL_SOURCE_LOCAL].keymap = xkb_keymap_ref(km);
	in->kbd[SHELL_SOURCE_LOCAL].state = s0;
	if (!in->remote_own_keymap) {
		xkb_state_unref(in->kbd[SHELL_SOURCE_REMOTE].state);
		xkb_keymap_unref(in->kbd[SHELL_SOURCE_REMOTE].keymap);
		in->kbd[SHELL_SOURCE_REMOTE].keymap = xkb_keymap_ref(km);
		in->kbd[SHELL_SOURCE_REMOTE].state = s1;
	} else {
		xkb_state_unref(s1);
	}
	xkb_keymap_unref(in->keymap);
	in->keymap = km;
	in->repeating = false;
	return 0;
}

/* NULL or "" layout: the helpdesk's keys follow the console's layout again. */
static int set_remote_layout_locked(struct shell_input *in, const char *layout,
				    const char *variant)
{
	struct xkb_rule_names names = { .rules = NULL,
					.model = "pc105",
					.layout = layout,
					.variant = variant && *variant ? variant : NULL };
	struct xkb_keymap *km = NULL;
	struct xkb_state *st;
	bool own = layout && *layout;
	int r = 0;

	if (own) {
		km = xkb_keymap_new_from_names(in->xkb, &names, XKB_KEYMAP_COMPILE_NO_FLAGS);
		if (!km) {
			r = -EINVAL;
			own = false;
		}
	}
	if (!km) {
		km = xkb_keymap_ref(in->keymap);
	}
	st = xkb_state_new(km);
	if (!st) {
		xkb_keymap_unref(km);
		return -ENOMEM;
	}
	xkb_state_unref(in->kbd[SHELL_SOURCE_REMOTE].state);
	xkb_keymap_unref(in->kbd[SHELL_SOURCE_REMOTE].keymap);
	in->kbd[SHELL_SOURCE_REMOTE].keymap = km;
	in->kbd[SHELL_SOURCE_REMOTE].state = st;
	in->remote_own_keymap = own;
	return r;
}

static void stop_repeat(struct shell_input *in)
{
	struct itimerspec its = { 0 };

	in->repeating = false;
	timerfd_settime(in->repeat_fd, 0, &its, NULL);
}

static void start_repeat(struct shell_input *in, uint32_t key, enum shell_source src)
{
	struct itimerspec its = {
		.it_value = { 0, REPEAT_DELAY_MS * 1000000L },
		.it_interval = { 0, REPEAT_RATE_MS * 1000000L },
	};

	in->repeat_key = key;
	in->repeat_source = src;
	in->repeating = true;
	timerfd_settime(in->repeat_fd, 0, &its, NULL);
}

static unsigned mods_of(struct xkb_state *s)
{
	unsigned m = 0;

	if (xkb_state_mod_name_is_active(s, XKB_MOD_NAME_SHIFT, XKB_STATE_MODS_EFFECTIVE) > 0) {
		m |= SHELL_MOD_SHIFT;
	}
	if (xkb_state_mod_name_is_active(s, XKB_MOD_NAME_CTRL, XKB_STATE_MODS_EFFECTIVE) > 0) {
		m |= SHELL_MOD_CTRL;
	}
	if (xkb_state_mod_name_is_active(s, XKB_MOD_NAME_ALT, XKB_STATE_MODS_EFFECTIVE) > 0) {
		m |= SHELL_MOD_ALT;
	}
	if (xkb_state_mod_name_is_active(s, XKB_MOD_NAME_LOGO, XKB_STATE_MODS_EFFECTIVE) > 0) {
		m |= SHELL_MOD_LOGO;
	}
	return m;
}

/* On the reader thread. A full queue (the main loop stuck for thousands of events) blocks the
 * reader, as a slow reader would without the thread. */
static void queue_push(struct shell_input *in, const struct queued *q)
{
	/* One write of less than PIPE_BUF bytes: all or nothing. A full queue means the main
	 * loop has been stuck for tens of thousands of events; then the event is dropped, and
	 * the reader (which holds the lock) never waits for the main loop. */
	while (write(in->queue[1], q, sizeof(*q)) < 0 && errno == EINTR) {
	}
}

static void queue_motion(struct shell_input *in, enum shell_source src)
{
	queue_push(in, &(struct queued){ .type = Q_MOTION,
					 .source = src,
					 .ptr = { .x = (int)in->px, .y = (int)in->py } });
}

static void emit_key(struct shell_input *in, uint32_t key, enum shell_source src)
{
	struct xkb_state *s = in->kbd[src].state;
	struct xkb_keymap *km = in->kbd[src].keymap;
	xkb_keycode_t kc = key + 8;
	const xkb_keysym_t *syms;
	struct shell_key k = { .source = src };
	xkb_layout_index_t layout = xkb_state_key_get_layout(s, kc);

	k.keysym = xkb_state_key_get_one_sym(s, kc);
	if (k.keysym == XKB_KEY_NoSymbol) {
		return;
	}
	k.unicode = xkb_state_key_get_utf32(s, kc);
	k.mods = mods_of(s);
	if (layout != XKB_LAYOUT_INVALID &&
	    xkb_keymap_key_get_syms_by_level(km, kc, layout, 0, &syms) == 1) {
		k.base_keysym = syms[0];
	}
	queue_push(in, &(struct queued){ .type = Q_KEY, .source = src, .key = k });
}

static void handle_key(struct shell_input *in, struct libinput_event_keyboard *kev,
		       enum shell_source src)
{
	uint32_t key = libinput_event_keyboard_get_key(kev);
	bool down = libinput_event_keyboard_get_key_state(kev) == LIBINPUT_KEY_STATE_PRESSED;
	struct xkb_state *s = in->kbd[src].state;

	if (src == SHELL_SOURCE_REMOTE && key == SHELL_TEXT_MARKER_KEY) {
		if (down) {
			queue_push(in, &(struct queued){ .type = Q_TEXT_MARKER, .source = src });
		}
		return;
	}
	xkb_state_update_key(s, key + 8, down ? XKB_KEY_DOWN : XKB_KEY_UP);
	if (!down) {
		if (in->repeating && in->repeat_key == key && in->repeat_source == src) {
			stop_repeat(in);
		}
		return;
	}
	emit_key(in, key, src);
	/* The helpdesk's client repeats by itself; a repeat made here too would double it,
	 * and a key-up delayed by the link would turn into a run of characters. */
	if (src == SHELL_SOURCE_LOCAL && xkb_keymap_key_repeats(in->kbd[src].keymap, key + 8)) {
		start_repeat(in, key, src);
	} else if (in->repeating && in->repeat_source == src) {
		stop_repeat(in);
	}
}

/* Classified once when the device appears; kept as the device's user data (source + 1). */
static enum shell_source device_source(struct shell_input *in, struct libinput_device *dev)
{
	uintptr_t cached = (uintptr_t)libinput_device_get_user_data(dev);
	struct udev_device *ud;
	enum shell_source src;

	if (cached) {
		return (enum shell_source)(cached - 1);
	}
	ud = libinput_device_get_udev_device(dev);
	src = shell_input_classify(libinput_device_get_name(dev),
				   ud ? udev_device_get_syspath(ud) : NULL, in->trust_virtual);
	if (ud) {
		udev_device_unref(ud);
	}
	libinput_device_set_user_data(dev, (void *)(uintptr_t)(src + 1));
	return src;
}

static void clamp_pointer(struct shell_input *in)
{
	if (in->px < 0) {
		in->px = 0;
	}
	if (in->py < 0) {
		in->py = 0;
	}
	if (in->px > in->width - 1) {
		in->px = in->width - 1;
	}
	if (in->py > in->height - 1) {
		in->py = in->height - 1;
	}
}

static void reset_source(struct shell_input *in, enum shell_source src)
{
	struct xkb_state *fresh = xkb_state_new(in->kbd[src].keymap);

	if (fresh) {
		xkb_state_unref(in->kbd[src].state);
		in->kbd[src].state = fresh;
	}
	if (in->repeating && in->repeat_source == src) {
		stop_repeat(in);
	}
}

/* On the reader thread, with the lock held. */
static int read_devices(struct shell_input *in)
{
	struct libinput_event *ev;
	int r = libinput_dispatch(in->li);

	if (r < 0) {
		return r;
	}
	while ((ev = libinput_get_event(in->li))) {
		struct libinput_device *dev = libinput_event_get_device(ev);
		enum shell_source src = device_source(in, dev);

		switch (libinput_event_get_type(ev)) {
		case LIBINPUT_EVENT_DEVICE_REMOVED:
			/* The helpdesk left: whatever it held is released. */
			if (libinput_device_has_capability(dev, LIBINPUT_DEVICE_CAP_KEYBOARD)) {
				reset_source(in, src);
			}
			break;
		case LIBINPUT_EVENT_KEYBOARD_KEY:
			handle_key(in, libinput_event_get_keyboard_event(ev), src);
			break;
		case LIBINPUT_EVENT_POINTER_MOTION: {
			struct libinput_event_pointer *p = libinput_event_get_pointer_event(ev);

			in->px += libinput_event_pointer_get_dx(p);
			in->py += libinput_event_pointer_get_dy(p);
			clamp_pointer(in);
			queue_motion(in, src);
			break;
		}
		case LIBINPUT_EVENT_POINTER_MOTION_ABSOLUTE: {
			struct libinput_event_pointer *p = libinput_event_get_pointer_event(ev);

			in->px = libinput_event_pointer_get_absolute_x_transformed(
				p, (uint32_t)in->width);
			in->py = libinput_event_pointer_get_absolute_y_transformed(
				p, (uint32_t)in->height);
			clamp_pointer(in);
			queue_motion(in, src);
			break;
		}
		case LIBINPUT_EVENT_POINTER_BUTTON: {
			struct libinput_event_pointer *p = libinput_event_get_pointer_event(ev);

			queue_push(in, &(struct queued){
						.type = Q_BUTTON,
						.source = src,
						.ptr = { .x = (int)in->px,
							 .y = (int)in->py,
							 .button = libinput_event_pointer_get_button(p),
							 .pressed = libinput_event_pointer_get_button_state(
									    p) ==
								    LIBINPUT_BUTTON_STATE_PRESSED } });
			break;
		}
		case LIBINPUT_EVENT_POINTER_SCROLL_WHEEL: {
			struct libinput_event_pointer *p = libinput_event_get_pointer_event(ev);

			if (libinput_event_pointer_has_axis(
				    p, LIBINPUT_POINTER_AXIS_SCROLL_VERTICAL)) {
				double v = libinput_event_pointer_get_scroll_value_v120(
					p, LIBINPUT_POINTER_AXIS_SCROLL_VERTICAL);

				queue_push(in, &(struct queued){ .type = Q_SCROLL,
								 .source = src,
								 .notches = v / 120.0 });
			}
			break;
		}
		default:
			break;
		}
		libinput_event_destroy(ev);
	}
	return 0;
}

/* On the reader thread, with the lock held. */
static int read_repeat(struct shell_input *in)
{
	uint64_t n;

	if (read(in->repeat_fd, &n, sizeof(n)) != sizeof(n)) {
		return 0;
	}
	if (in->repeating) {
		emit_key(in, in->repeat_key, in->repeat_source);
	}
	return 0;
}

int shell_input_set_layout(struct shell_input *in, const char *layout, const char *variant)
{
	int r;

	pthread_mutex_lock(&in->lock);
	r = set_layout_locked(in, layout, variant);
	pthread_mutex_unlock(&in->lock);
	return r;
}

int shell_input_set_remote_layout(struct shell_input *in, const char *layout, const char *variant)
{
	int r;

	pthread_mutex_lock(&in->lock);
	r = set_remote_layout_locked(in, layout, variant);
	pthread_mutex_unlock(&in->lock);
	return r;
}

static void *reader_thread(void *arg)
{
	struct shell_input *in = arg;
	struct pollfd fds[3] = {
		{ .fd = libinput_get_fd(in->li), .events = POLLIN },
		{ .fd = in->repeat_fd, .events = POLLIN },
		{ .fd = in->stop_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR) {
				continue;
			}
			return NULL;
		}
		if (fds[2].revents) {
			return NULL;
		}
		pthread_mutex_lock(&in->lock);
		if (fds[0].revents) {
			read_devices(in);
		}
		if (fds[1].revents) {
			read_repeat(in);
		}
		pthread_mutex_unlock(&in->lock);
	}
}

static void deliver(struct shell_input *in, const struct queued *e)
{
	switch (e->type) {
	case Q_KEY:
		in->listener->key(in->data, &e->key);
		break;
	case Q_MOTION:
		in->listener->motion(in->data, e->ptr.x, e->ptr.y, e->source);
		break;
	case Q_BUTTON:
		in->listener->button(in->data, e->ptr.x, e->ptr.y, e->ptr.button, e->ptr.pressed,
				     e->source);
		break;
	case Q_SCROLL:
		in->listener->scroll(in->data, e->notches, e->source);
		break;
	case Q_TEXT_MARKER:
		if (in->listener->text_marker) {
			in->listener->text_marker(in->data);
		}
		break;
	}
}

int shell_input_dispatch(struct shell_input *in)
{
	for (;;) {
		ssize_t n;

		/* A listener may hold input (a text marker whose text is not here yet). */
		while (!in->hold && in->carry_i < in->carry_n) {
			deliver(in, &in->carry[in->carry_i++]);
		}
		if (in->hold) {
			return 0;
		}
		n = read(in->queue[0], in->carry, sizeof(in->carry));
		if (n <= 0) {
			in->carry_n = in->carry_i = 0;
			return n < 0 && errno != EAGAIN && errno != EINTR ? -errno : 0;
		}
		/* Writes are whole records of less than PIPE_BUF, so reads are too. */
		in->carry_n = (size_t)n / sizeof(in->carry[0]);
		in->carry_i = 0;
	}
}

void shell_input_hold(struct shell_input *in, bool hold)
{
	if (hold) {
		in->hold++;
	} else if (in->hold > 0) {
		in->hold--;
	}
}

bool shell_input_pending(const struct shell_input *in)
{
	return !in->hold && in->carry_i < in->carry_n;
}

int shell_input_create(const struct shell_input_options *opts,
		       const struct shell_input_listener *listener, void *data,
		       struct shell_input **ret)
{
	struct shell_input *in = calloc(1, sizeof(*in));
	int r;

	if (!in) {
		return -ENOMEM;
	}
	in->listener = listener;
	in->data = data;
	in->trust_virtual = opts->trust_virtual;
	in->width = 1024;
	in->height = 768;
	in->queue[0] = in->queue[1] = in->stop_fd = -1;
	pthread_mutex_init(&in->lock, NULL);
	in->repeat_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	in->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (in->repeat_fd < 0 || in->stop_fd < 0 ||
	    pipe2(in->queue, O_CLOEXEC | O_NONBLOCK) < 0) {
		r = -errno;
		goto err_fds;
	}
	/* Room for a long stall of the main loop (the default 64 KiB holds ~1600 events). */
	fcntl(in->queue[1], F_SETPIPE_SZ, 1 << 20);
	in->xkb = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	if (!in->xkb) {
		r = -ENOMEM;
		goto err_fds;
	}
	r = set_layout_locked(in, opts->layout ? opts->layout : "us", opts->variant);
	if (r < 0) {
		/* An unknown layout from the command line must not leave the console without keys.
		 */
		r = set_layout_locked(in, "us", NULL);
		if (r < 0) {
			goto err_xkb;
		}
	}
	in->udev = udev_new();
	if (!in->udev) {
		r = -ENOMEM;
		goto err_keymap;
	}
	in->li = libinput_udev_create_context(&li_iface, in, in->udev);
	if (!in->li) {
		r = -ENOMEM;
		goto err_udev;
	}
	/* "SYN_DROPPED ... some input events have been lost" is an info message. */
	libinput_log_set_priority(in->li, LIBINPUT_LOG_PRIORITY_INFO);
	if (libinput_udev_assign_seat(in->li, opts->seat ? opts->seat : "seat0") < 0) {
		r = -ENODEV;
		goto err_li;
	}
	r = -pthread_create(&in->thread, NULL, reader_thread, in);
	if (r < 0) {
		goto err_li;
	}
	in->thread_running = true;
	*ret = in;
	return 0;

err_li:
	libinput_unref(in->li);
err_udev:
	udev_unref(in->udev);
err_keymap:
	for (int i = 0; i < 2; i++) {
		xkb_state_unref(in->kbd[i].state);
		xkb_keymap_unref(in->kbd[i].keymap);
	}
	xkb_keymap_unref(in->keymap);
err_xkb:
	xkb_context_unref(in->xkb);
err_fds:
	for (int i = 0; i < 2; i++) {
		if (in->queue[i] >= 0) {
			close(in->queue[i]);
		}
	}
	if (in->stop_fd >= 0) {
		close(in->stop_fd);
	}
	if (in->repeat_fd >= 0) {
		close(in->repeat_fd);
	}
	pthread_mutex_destroy(&in->lock);
	free(in);
	return r;
}

void shell_input_destroy(struct shell_input *in)
{
	if (!in) {
		return;
	}
	if (in->thread_running) {
		uint64_t one = 1;

		if (write(in->stop_fd, &one, sizeof(one)) == sizeof(one)) {
			pthread_join(in->thread, NULL);
		}
	}
	libinput_unref(in->li);
	udev_unref(in->udev);
	for (int i = 0; i < 2; i++) {
		xkb_state_unref(in->kbd[i].state);
		xkb_keymap_unref(in->kbd[i].keymap);
	}
	xkb_keymap_unref(in->keymap);
	xkb_context_unref(in->xkb);
	close(in->repeat_fd);
	close(in->stop_fd);
	close(in->queue[0]);
	close(in->queue[1]);
	pthread_mutex_destroy(&in->lock);
	free(in);
}

int shell_input_get_fd(const struct shell_input *in)
{
	return in->queue[0];
}

void shell_input_set_screen(struct shell_input *in, int width, int height)
{
	pthread_mutex_lock(&in->lock);
	in->width = width;
	in->height = height;
	in->px = width / 2.0;
	in->py = height / 2.0;
	pthread_mutex_unlock(&in->lock);
}
