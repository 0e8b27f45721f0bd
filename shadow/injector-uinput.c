#include "injector-uinput.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>

#include "injector.h"
#include "spec.h"

#define DEFAULT_DEVICE "/dev/uinput"
#define MIN_SIZE       2u
#define MAX_SIZE       32768u

struct injector_uinput {
	struct injector base;
	char *device;
	int kbd_fd, ptr_fd;
	struct libevdev_uinput *kbd, *ptr;
	uint32_t range_w, range_h; /* the pointer's ABS range is 0..range_w-1, 0..range_h-1 */
	struct injector_uinput_wheel_state wheel;
	uint32_t leds; /* bit LED_* = on, as the kernel last wrote them to the keyboard */
	uint64_t key_tat_us; /* pacing of key events (injector_uinput_pace) */
};

static const struct injector_impl injector_uinput_impl;

/*
 * Pure mapping.
 */

static const uint16_t pointer_buttons[] = { BTN_LEFT, BTN_RIGHT, BTN_MIDDLE, BTN_SIDE, BTN_EXTRA };

int injector_uinput_device_of(uint16_t code, enum injector_uinput_device *ret)
{
	if (code >= KEY_ESC && code <= KEY_MICMUTE) {
		*ret = INJECTOR_UINPUT_KEYBOARD;
		return 0;
	}
	for (size_t i = 0; i < sizeof(pointer_buttons) / sizeof(pointer_buttons[0]); i++) {
		if (code == pointer_buttons[i]) {
			*ret = INJECTOR_UINPUT_POINTER;
			return 0;
		}
	}
	return -EINVAL;
}

static size_t push(struct injector_uinput_event *out, size_t n, enum injector_uinput_device dev,
		   uint16_t type, uint16_t code, int32_t value)
{
	assert(n < INJECTOR_UINPUT_MAX_EVENTS);
	out[n] = (struct injector_uinput_event){
		.device = dev,
		.type = type,
		.code = code,
		.value = value,
	};
	return n + 1;
}

int injector_uinput_map_key(uint16_t code, int value, struct injector_uinput_event *out)
{
	enum injector_uinput_device dev;
	size_t n = 0;

	if (value < 0 || value > 2 || injector_uinput_device_of(code, &dev) < 0) {
		return -EINVAL;
	}
	if (dev == INJECTOR_UINPUT_POINTER && value == 2) {
		return 0;
	}
	if (value == 2) {
		/* The client's auto-repeat. libinput, and every compositor on it, drops the
		 * kernel's repeat events (value 2) and repeats by itself; the console does not
		 * repeat the helpdesk's keys (a key-up late on the link would run away), so the
		 * client's repeat arrives as a fresh press. */
		n = push(out, n, dev, EV_KEY, code, 0);
		n = push(out, n, dev, EV_SYN, SYN_REPORT, 0);
		value = 1;
	}
	n = push(out, n, dev, EV_KEY, code, value);
	n = push(out, n, dev, EV_SYN, SYN_REPORT, 0);
	return (int)n;
}

int injector_uinput_map_move(uint32_t x, uint32_t y, uint32_t range_w, uint32_t range_h,
			     struct injector_uinput_event *out)
{
	size_t n = 0;

	if (range_w == 0 || range_h == 0) {
		return -EINVAL;
	}
	x = x < range_w ? x : range_w - 1;
	y = y < range_h ? y : range_h - 1;
	n = push(out, n, INJECTOR_UINPUT_POINTER, EV_ABS, ABS_X, (int32_t)x);
	n = push(out, n, INJECTOR_UINPUT_POINTER, EV_ABS, ABS_Y, (int32_t)y);
	n = push(out, n, INJECTOR_UINPUT_POINTER, EV_SYN, SYN_REPORT, 0);
	return (int)n;
}

/* Add a turn to the rest of one axis; returns the whole detents it completes. */
static int32_t wheel_detents(int32_t *rest, int32_t v120)
{
	int32_t detents;

	if ((*rest > 0 && v120 < 0) || (*rest < 0 && v120 > 0)) {
		*rest = 0;
	}
	*rest += v120;
	detents = *rest / 120;
	*rest -= detents * 120;
	return detents;
}

int injector_uinput_map_wheel(struct injector_uinput_wheel_state *s, int32_t v120, int32_t h120,
			      struct injector_uinput_event *out)
{
	const enum injector_uinput_device p = INJECTOR_UINPUT_POINTER;
	size_t n = 0;

	/* RDP sends at most 9 bits; anything near overflow is not a wheel. */
	if (v120 < -0x10000 || v120 > 0x10000 || h120 < -0x10000 || h120 > 0x10000) {
		return -EINVAL;
	}
	if (v120 == 0 && h120 == 0) {
		return 0;
	}
	if (v120 != 0) {
		int32_t detents = wheel_detents(&s->v_rest, v120);

		n = push(out, n, p, EV_REL, REL_WHEEL_HI_RES, v120);
		if (detents != 0) {
			n = push(out, n, p, EV_REL, REL_WHEEL, detents);
		}
	}
	if (h120 != 0) {
		int32_t detents = wheel_detents(&s->h_rest, h120);

		n = push(out, n, p, EV_REL, REL_HWHEEL_HI_RES, h120);
		if (detents != 0) {
			n = push(out, n, p, EV_REL, REL_HWHEEL, detents);
		}
	}
	n = push(out, n, p, EV_SYN, SYN_REPORT, 0);
	return (int)n;
}

int injector_uinput_map_locks(uint32_t leds, uint32_t locks, struct injector_uinput_event *out)
{
	static const struct {
		uint32_t lock;
		uint16_t led, key;
	} table[] = {
		{ INJECTOR_LOCK_NUM, LED_NUML, KEY_NUMLOCK },
		{ INJECTOR_LOCK_CAPS, LED_CAPSL, KEY_CAPSLOCK },
		{ INJECTOR_LOCK_SCROLL, LED_SCROLLL, KEY_SCROLLLOCK },
	};
	const enum injector_uinput_device k = INJECTOR_UINPUT_KEYBOARD;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		bool on = leds & (1u << table[i].led);
		bool want = locks & table[i].lock;

		if (on != want) {
			n = push(out, n, k, EV_KEY, table[i].key, 1);
			n = push(out, n, k, EV_SYN, SYN_REPORT, 0);
			n = push(out, n, k, EV_KEY, table[i].key, 0);
			n = push(out, n, k, EV_SYN, SYN_REPORT, 0);
		}
	}
	return (int)n;
}

/*
 * The backend.
 */

static struct injector_uinput *injector_uinput_from(struct injector *inj)
{
	assert(inj->impl == &injector_uinput_impl);
	return (struct injector_uinput *)inj;
}

static int open_uinput(const char *path)
{
	/* Non-blocking so that reading the lock LEDs back never waits. */
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK);

	return fd < 0 ? -errno : fd;
}

/* Creates the device dev describes on a fresh fd of path. */
static int create_device(const char *path, struct libevdev *dev, int *ret_fd,
			 struct libevdev_uinput **ret)
{
	int fd = open_uinput(path);
	int r;

	if (fd < 0) {
		return fd;
	}
	r = libevdev_uinput_create_from_device(dev, fd, ret);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static int make_keyboard(struct injector_uinput *iu)
{
	struct libevdev *dev = libevdev_new();
	int r;

	if (!dev) {
		return -ENOMEM;
	}
	libevdev_set_name(dev, INJECTOR_UINPUT_KEYBOARD_NAME);
	libevdev_set_id_bustype(dev, BUS_VIRTUAL);
	for (unsigned int code = KEY_ESC; code <= KEY_MICMUTE; code++) {
		libevdev_enable_event_code(dev, EV_KEY, code, NULL);
	}
	libevdev_enable_event_code(dev, EV_LED, LED_NUML, NULL);
	libevdev_enable_event_code(dev, EV_LED, LED_CAPSL, NULL);
	libevdev_enable_event_code(dev, EV_LED, LED_SCROLLL, NULL);
	r = create_device(iu->device, dev, &iu->kbd_fd, &iu->kbd);
	libevdev_free(dev);
	return r;
}

static int make_pointer(const char *path, uint32_t w, uint32_t h, int *ret_fd,
			struct libevdev_uinput **ret)
{
	struct input_absinfo ax = { .minimum = 0, .maximum = (int32_t)w - 1 };
	struct input_absinfo ay = { .minimum = 0, .maximum = (int32_t)h - 1 };
	struct libevdev *dev = libevdev_new();
	int r;

	if (!dev) {
		return -ENOMEM;
	}
	libevdev_set_name(dev, INJECTOR_UINPUT_POINTER_NAME);
	libevdev_set_id_bustype(dev, BUS_VIRTUAL);
	libevdev_enable_event_code(dev, EV_ABS, ABS_X, &ax);
	libevdev_enable_event_code(dev, EV_ABS, ABS_Y, &ay);
	for (size_t i = 0; i < sizeof(pointer_buttons) / sizeof(pointer_buttons[0]); i++) {
		libevdev_enable_event_code(dev, EV_KEY, pointer_buttons[i], NULL);
	}
	libevdev_enable_event_code(dev, EV_REL, REL_WHEEL, NULL);
	libevdev_enable_event_code(dev, EV_REL, REL_HWHEEL, NULL);
	libevdev_enable_event_code(dev, EV_REL, REL_WHEEL_HI_RES, NULL);
	libevdev_enable_event_code(dev, EV_REL, REL_HWHEEL_HI_RES, NULL);
	r = create_device(path, dev, ret_fd, ret);
	libevdev_free(dev);
	return r;
}

static void destroy_device(struct libevdev_uinput **dev, int *fd)
{
	if (*dev) {
		libevdev_uinput_destroy(*dev);
		*dev = NULL;
	}
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static int send_events(struct injector_uinput *iu, const struct injector_uinput_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		struct libevdev_uinput *dev =
			ev[i].device == INJECTOR_UINPUT_KEYBOARD ? iu->kbd : iu->ptr;
		int r;

		if (!dev) {
			return -ENODEV;
		}
		r = libevdev_uinput_write_event(dev, ev[i].type, ev[i].code, ev[i].value);
		if (r < 0) {
			return r;
		}
	}
	return 0;
}

/* Take in the LED changes the kernel wrote to the keyboard since the last look. uinput keeps
 * only a small ring of them, so this runs before every key as well. */
static void read_leds(struct injector_uinput *iu)
{
	struct input_event ev[16];
	ssize_t got;

	while ((got = read(iu->kbd_fd, ev, sizeof(ev))) > 0) {
		for (size_t i = 0; i < (size_t)got / sizeof(ev[0]); i++) {
			if (ev[i].type != EV_LED || ev[i].code > LED_SCROLLL) {
				continue;
			}
			if (ev[i].value) {
				iu->leds |= 1u << ev[i].code;
			} else {
				iu->leds &= ~(1u << ev[i].code);
			}
		}
	}
}

uint64_t injector_uinput_pace(uint64_t *tat_us, uint64_t now_us, unsigned n_keys)
{
	uint64_t tat = *tat_us > now_us ? *tat_us : now_us;
	uint64_t wait;

	tat += (uint64_t)n_keys * INJECTOR_UINPUT_KEY_INTERVAL_US;
	wait = tat - now_us;
	*tat_us = tat;
	return wait > INJECTOR_UINPUT_KEY_BURST * INJECTOR_UINPUT_KEY_INTERVAL_US
		       ? wait - INJECTOR_UINPUT_KEY_BURST * INJECTOR_UINPUT_KEY_INTERVAL_US
		       : 0;
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int injector_uinput_key(struct injector *inj, uint16_t code, int value)
{
	struct injector_uinput *iu = injector_uinput_from(inj);
	struct injector_uinput_event ev[INJECTOR_UINPUT_MAX_EVENTS];
	int n = injector_uinput_map_key(code, value, ev);
	unsigned n_keys = 0;
	uint64_t wait;

	if (n <= 0) {
		return n;
	}
	for (int i = 0; i < n; i++) {
		n_keys += ev[i].type == EV_KEY;
	}
	/* The kernel keeps 64 events per reader of a keyboard and drops the rest (SYN_DROPPED):
	 * a burst of keys held up on the network must not outrun the console's reader. */
	wait = injector_uinput_pace(&iu->key_tat_us, mono_us(), n_keys);
	if (wait > 0) {
		struct timespec ts = { (time_t)(wait / 1000000u), (long)(wait % 1000000u) * 1000 };

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
		}
	}
	read_leds(iu);
	return send_events(iu, ev, n);
}

static int injector_uinput_set_screen(struct injector *inj, uint32_t width, uint32_t height)
{
	struct injector_uinput *iu = injector_uinput_from(inj);
	struct libevdev_uinput *ptr;
	int fd, r;

	if (width < MIN_SIZE || height < MIN_SIZE || width > MAX_SIZE || height > MAX_SIZE) {
		return -EINVAL;
	}
	if (iu->ptr && width == iu->range_w && height == iu->range_h) {
		return 0;
	}
	/* Make the new one first: if that fails the old one (wrong range) still works. */
	r = make_pointer(iu->device, width, height, &fd, &ptr);
	if (r < 0) {
		return r;
	}
	destroy_device(&iu->ptr, &iu->ptr_fd);
	iu->ptr = ptr;
	iu->ptr_fd = fd;
	iu->range_w = width;
	iu->range_h = height;
	iu->wheel = (struct injector_uinput_wheel_state){ 0 };
	return 0;
}

static int injector_uinput_move_abs(struct injector *inj, uint32_t x, uint32_t y, uint32_t width,
				    uint32_t height)
{
	struct injector_uinput *iu = injector_uinput_from(inj);
	struct injector_uinput_event ev[INJECTOR_UINPUT_MAX_EVENTS];
	int n, r;

	r = injector_uinput_set_screen(inj, width, height);
	if (r < 0) {
		return r;
	}
	n = injector_uinput_map_move(x, y, iu->range_w, iu->range_h, ev);
	return n < 0 ? n : send_events(iu, ev, n);
}

static int injector_uinput_wheel(struct injector *inj, int32_t vertical_120, int32_t horizontal_120)
{
	struct injector_uinput *iu = injector_uinput_from(inj);
	struct injector_uinput_event ev[INJECTOR_UINPUT_MAX_EVENTS];
	int n = injector_uinput_map_wheel(&iu->wheel, vertical_120, horizontal_120, ev);

	return n <= 0 ? n : send_events(iu, ev, n);
}

static int injector_uinput_sync_locks(struct injector *inj, uint32_t locks)
{
	struct injector_uinput *iu = injector_uinput_from(inj);
	struct injector_uinput_event ev[INJECTOR_UINPUT_MAX_EVENTS];
	int n;

	read_leds(iu);
	n = injector_uinput_map_locks(iu->leds, locks, ev);
	return n <= 0 ? n : send_events(iu, ev, n);
}

static void injector_uinput_destroy(struct injector *inj)
{
	struct injector_uinput *iu = injector_uinput_from(inj);

	destroy_device(&iu->ptr, &iu->ptr_fd);
	destroy_device(&iu->kbd, &iu->kbd_fd);
	free(iu->device);
	free(iu);
}

static const struct injector_impl injector_uinput_impl = {
	.name = "uinput",
	.key = injector_uinput_key,
	.move_abs = injector_uinput_move_abs,
	.wheel = injector_uinput_wheel,
	.destroy = injector_uinput_destroy,
	.set_screen = injector_uinput_set_screen,
	.sync_locks = injector_uinput_sync_locks,
};

static int parse_size(struct shadow_spec *spec, uint32_t *ret_w, uint32_t *ret_h, char *errbuf,
		      size_t errlen)
{
	const char *value = shadow_spec_get(spec, "size");
	char buf[32];
	char *x;

	*ret_w = 1024;
	*ret_h = 768;
	if (!value) {
		return 0;
	}
	if (strlen(value) >= sizeof(buf)) {
		goto bad;
	}
	strcpy(buf, value);
	x = strchr(buf, 'x');
	if (!x) {
		goto bad;
	}
	*x = '\0';
	if (shadow_parse_u32(buf, ret_w) < 0 || shadow_parse_u32(x + 1, ret_h) < 0 ||
	    *ret_w < MIN_SIZE || *ret_h < MIN_SIZE || *ret_w > MAX_SIZE || *ret_h > MAX_SIZE) {
		goto bad;
	}
	return 0;
bad:
	return shadow_error(errbuf, errlen, -EINVAL,
			    "injector 'uinput': size=%s is not WxH with each of W and H in %u..%u",
			    value, MIN_SIZE, MAX_SIZE);
}

int injector_uinput_create(struct shadow_spec *spec, struct injector **ret, char *errbuf,
			   size_t errlen)
{
	const char *device = shadow_spec_get(spec, "device");
	struct injector_uinput *iu;
	uint32_t w, h;
	int r;

	if (device && !*device) {
		return shadow_error(errbuf, errlen, -EINVAL,
				    "injector 'uinput': device= needs a path");
	}
	r = parse_size(spec, &w, &h, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	r = shadow_spec_check_unused(spec, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	iu = calloc(1, sizeof(*iu));
	if (!iu) {
		return shadow_error(errbuf, errlen, -ENOMEM, "out of memory");
	}
	iu->base.impl = &injector_uinput_impl;
	iu->kbd_fd = iu->ptr_fd = -1;
	iu->device = strdup(device ? device : DEFAULT_DEVICE);
	if (!iu->device) {
		free(iu);
		return shadow_error(errbuf, errlen, -ENOMEM, "out of memory");
	}
	r = make_keyboard(iu);
	if (r == 0) {
		r = injector_uinput_set_screen(&iu->base, w, h);
	}
	if (r < 0) {
		r = shadow_error(errbuf, errlen, r,
				 "injector 'uinput': cannot create devices on %s: %s%s", iu->device,
				 strerror(-r),
				 r == -ENOENT ? " (is the uinput module loaded?)" : "");
		injector_uinput_destroy(&iu->base);
		return r;
	}
	*ret = &iu->base;
	return 0;
}
