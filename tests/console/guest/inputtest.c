/*
 * lifeline-inputtest: prints what libinput (through udev, seat0) reports, one line per event,
 * so that the console tests can check that remote clicks and wheel turns reach a libinput
 * program as a mouse would:
 *
 *   INPUT device-added name="NAME" caps=keyboard,pointer,touch,tablet,gesture (those it has)
 *   INPUT key CODE pressed|released
 *   INPUT button CODE pressed|released
 *   INPUT motion-abs X Y               transformed to --size (default 1024x768)
 *   INPUT motion DX DY
 *   INPUT scroll-wheel v120=V h120=H   (the axes the event has; 0 for the other)
 *   INPUTTEST-READY                    after the devices present at start were added
 *
 * Runs until SIGTERM/SIGINT or --seconds. Needs a running udev (for the ID_INPUT properties).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libinput.h>
#include <libudev.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int open_restricted(const char *path, int flags, void *data)
{
	int fd = open(path, flags | O_CLOEXEC);

	(void)data;
	return fd < 0 ? -errno : fd;
}

static void close_restricted(int fd, void *data)
{
	(void)data;
	close(fd);
}

static const struct libinput_interface iface = {
	.open_restricted = open_restricted,
	.close_restricted = close_restricted,
};

static void device_added(struct libinput_device *dev)
{
	static const struct {
		enum libinput_device_capability cap;
		const char *name;
	} caps[] = {
		{ LIBINPUT_DEVICE_CAP_KEYBOARD, "keyboard" },
		{ LIBINPUT_DEVICE_CAP_POINTER, "pointer" },
		{ LIBINPUT_DEVICE_CAP_TOUCH, "touch" },
		{ LIBINPUT_DEVICE_CAP_TABLET_TOOL, "tablet" },
		{ LIBINPUT_DEVICE_CAP_GESTURE, "gesture" },
	};
	bool first = true;

	printf("INPUT device-added name=\"%s\" caps=", libinput_device_get_name(dev));
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		if (libinput_device_has_capability(dev, caps[i].cap)) {
			printf("%s%s", first ? "" : ",", caps[i].name);
			first = false;
		}
	}
	printf("\n");
}

static void handle(struct libinput_event *ev, unsigned int w, unsigned int h)
{
	struct libinput_event_pointer *p;
	struct libinput_event_keyboard *k;

	switch (libinput_event_get_type(ev)) {
	case LIBINPUT_EVENT_DEVICE_ADDED:
		device_added(libinput_event_get_device(ev));
		break;
	case LIBINPUT_EVENT_KEYBOARD_KEY:
		k = libinput_event_get_keyboard_event(ev);
		printf("INPUT key %u %s\n", libinput_event_keyboard_get_key(k),
		       libinput_event_keyboard_get_key_state(k) == LIBINPUT_KEY_STATE_PRESSED
			       ? "pressed"
			       : "released");
		break;
	case LIBINPUT_EVENT_POINTER_BUTTON:
		p = libinput_event_get_pointer_event(ev);
		printf("INPUT button %u %s\n", libinput_event_pointer_get_button(p),
		       libinput_event_pointer_get_button_state(p) == LIBINPUT_BUTTON_STATE_PRESSED
			       ? "pressed"
			       : "released");
		break;
	case LIBINPUT_EVENT_POINTER_MOTION_ABSOLUTE:
		p = libinput_event_get_pointer_event(ev);
		printf("INPUT motion-abs %.0f %.0f\n",
		       libinput_event_pointer_get_absolute_x_transformed(p, w),
		       libinput_event_pointer_get_absolute_y_transformed(p, h));
		break;
	case LIBINPUT_EVENT_POINTER_MOTION:
		p = libinput_event_get_pointer_event(ev);
		printf("INPUT motion %.1f %.1f\n", libinput_event_pointer_get_dx(p),
		       libinput_event_pointer_get_dy(p));
		break;
	case LIBINPUT_EVENT_POINTER_SCROLL_WHEEL: {
		double v = 0, hz = 0;

		p = libinput_event_get_pointer_event(ev);
		if (libinput_event_pointer_has_axis(p, LIBINPUT_POINTER_AXIS_SCROLL_VERTICAL)) {
			v = libinput_event_pointer_get_scroll_value_v120(
				p, LIBINPUT_POINTER_AXIS_SCROLL_VERTICAL);
		}
		if (libinput_event_pointer_has_axis(p, LIBINPUT_POINTER_AXIS_SCROLL_HORIZONTAL)) {
			hz = libinput_event_pointer_get_scroll_value_v120(
				p, LIBINPUT_POINTER_AXIS_SCROLL_HORIZONTAL);
		}
		printf("INPUT scroll-wheel v120=%.0f h120=%.0f\n", v, hz);
		break;
	}
	default:
		break;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int w = 1024, h = 768;
	double seconds = 0;
	struct libinput *li;
	struct udev *udev;
	struct timespec t0, t;
	bool ready = false;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c == 's') {
			seconds = atof(optarg);
		} else if (c == 'S' && sscanf(optarg, "%ux%u", &w, &h) == 2 && w && h) {
			continue;
		} else {
			fprintf(stderr, "Usage: lifeline-inputtest [--seconds S] [--size WxH]\n");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	udev = udev_new();
	li = udev ? libinput_udev_create_context(&iface, NULL, udev) : NULL;
	if (!li || libinput_udev_assign_seat(li, "seat0") < 0) {
		fprintf(stderr, "lifeline-inputtest: cannot start libinput on seat0\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		struct pollfd pfd = { .fd = libinput_get_fd(li), .events = POLLIN };
		struct libinput_event *ev;

		if (!ready) {
			/* the devices present at start arrive with the first dispatch */
			libinput_dispatch(li);
		} else if (poll(&pfd, 1, 200) < 0 && errno != EINTR) {
			break;
		} else {
			libinput_dispatch(li);
		}
		while ((ev = libinput_get_event(li))) {
			handle(ev, w, h);
			libinput_event_destroy(ev);
		}
		if (!ready) {
			printf("INPUTTEST-READY\n");
			ready = true;
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (seconds > 0 &&
		    (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 >=
			    seconds) {
			break;
		}
	}
	libinput_unref(li);
	udev_unref(udev);
	return 0;
}
