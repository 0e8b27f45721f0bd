/*
 * lifeline-kmstest: a KMS program for the console tests. It becomes DRM master, shows the
 * picture of pattern.h with two dumb buffers, optionally in another mode and with a hardware
 * cursor. --flip flips between the two buffers (same picture, frame 0: the framebuffer id
 * changes, the screen does not), --animate redraws the frame marker before every flip (one band
 * changes), --animate-all changes every pixel every flip. It exits on SIGTERM/SIGINT or after
 * --seconds and restores nothing on purpose: whoever captures the console must cope with the
 * planes it leaves dark.
 *
 * --connector N drives the N-th connector of the card (counting from 0, as the capture's
 * monitor=N does) instead of the first connected one.
 *
 * --cursor sets the hardware cursor of cursor_pixel() below. Without --cursor-at it sits at
 * 100,50 and, with --flip, moves right by one pixel per flip; with --cursor-at X,Y (up to 8
 * times) it sits at the first position, and every SIGUSR1 moves it to the next one (after the
 * last, the first again).
 *
 * Lines on stdout (line-buffered): "KMSTEST-READY mode=WxH format=F crtc=N connector=I fbs=A,B
 * cursor=yes|no" once the picture is up, "KMSTEST-CURSOR x=X y=Y" after each SIGUSR1 move,
 * "KMSTEST-FLIPS n=N" every 100 flips with --flip, "KMSTEST-EXIT flips=N" at the end. Errors go
 * to stderr, exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "pattern.h"

struct buffer {
	uint32_t handle, pitch, fb_id;
	uint64_t size;
	uint8_t *map;
};

#define MAX_CURSOR_AT 8

struct options {
	const char *card;
	int connector;          /* -1: the first connected one */
	uint32_t width, height; /* 0: the connector's preferred mode */
	double seconds;         /* 0: until a signal */
	bool flip, animate, animate_all, cursor, rgb565;
	uint32_t fps;
	int cursor_at[MAX_CURSOR_AT][2];
	int n_cursor_at;
};

static volatile sig_atomic_t stop, cursor_steps;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	cursor_steps++;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "lifeline-kmstest: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int make_buffer(int fd, uint32_t w, uint32_t h, uint32_t bpp, uint32_t fourcc,
		       struct buffer *b)
{
	struct drm_mode_create_dumb create = { .width = w, .height = h, .bpp = bpp };
	struct drm_mode_map_dumb map = { 0 };
	uint32_t handles[4] = { 0 }, pitches[4] = { 0 }, offsets[4] = { 0 };

	if (drmIoctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0) {
		return -errno;
	}
	b->handle = create.handle;
	b->pitch = create.pitch;
	b->size = create.size;
	handles[0] = b->handle;
	pitches[0] = b->pitch;
	if (drmModeAddFB2(fd, w, h, fourcc, handles, pitches, offsets, &b->fb_id, 0) < 0) {
		return -errno;
	}
	map.handle = b->handle;
	if (drmIoctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &map) < 0) {
		return -errno;
	}
	b->map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)map.offset);
	if (b->map == MAP_FAILED) {
		return -errno;
	}
	return 0;
}

static void draw(struct buffer *b, uint32_t w, uint32_t h, uint32_t f, const struct options *o)
{
	for (uint32_t y = 0; y < h; y++) {
		uint8_t *row = b->map + (size_t)y * b->pitch;

		for (uint32_t x = 0; x < w; x++) {
			uint32_t v = pattern_pixel(x, y, w, h, f, o->animate_all);

			if (o->rgb565) {
				uint16_t p = pattern_565(v);

				memcpy(row + (size_t)x * 2, &p, 2);
			} else {
				memcpy(row + (size_t)x * 4, &v, 4);
			}
		}
	}
}

/*
 * The 64×64 cursor, ARGB8888 with premultiplied alpha as KMS defines it (tests/console/
 * test_console.py keeps a copy of this table to check what the RDP client shows):
 *   arrow, y < 32 and x <= y/2:  outline (x = 0, x = y/2 or y = 31) opaque black FF000000;
 *                                inside opaque red FFFF0000 for 8 <= y < 16, opaque green
 *                                FF00FF00 for 16 <= y < 24, opaque white FFFFFFFF elsewhere
 *   32 <= x < 48, 40 <= y < 48:  opaque blue FF0000FF
 *   32 <= x < 48, 48 <= y < 56:  half-transparent red 80400000 (alpha 80, red 40 premultiplied: 7F)
 *   32 <= x < 48, 56 <= y < 64:  nearly transparent green 30003000
 *   elsewhere:                   transparent 00000000
 */
static uint32_t cursor_pixel(uint32_t x, uint32_t y)
{
	if (y < 32 && x <= y / 2) {
		if (x == 0 || x == y / 2 || y == 31) {
			return 0xFF000000;
		}
		return y >= 8 && y < 16 ? 0xFFFF0000 : y >= 16 && y < 24 ? 0xFF00FF00 : 0xFFFFFFFF;
	}
	if (x >= 32 && x < 48 && y >= 40) {
		return y < 48 ? 0xFF0000FF : y < 56 ? 0x80400000 : 0x30003000;
	}
	return 0;
}

static void draw_cursor(struct buffer *b)
{
	for (uint32_t y = 0; y < 64; y++) {
		uint32_t *row = (uint32_t *)(void *)(b->map + (size_t)y * b->pitch);

		for (uint32_t x = 0; x < 64; x++) {
			row[x] = cursor_pixel(x, y);
		}
	}
}

static bool set_master(int fd)
{
	/* The capture server may be master for an instant right after it opens the card. */
	for (int i = 0; i < 100; i++) {
		if (drmSetMaster(fd) == 0) {
			return true;
		}
		usleep(20000);
	}
	return false;
}

static void on_flip(int fd, unsigned int seq, unsigned int sec, unsigned int usec, void *data)
{
	(void)fd, (void)seq, (void)sec, (void)usec;
	*(bool *)data = false;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: lifeline-kmstest [--card PATH] [--connector N] [--mode WxH] [--seconds S]\n"
		"       [--flip] [--animate | --animate-all] [--cursor] [--cursor-at X,Y]...\n"
		"       [--rgb565] [--fps N]\n");
}

static void parse(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "card", required_argument, NULL, 'c' },
		{ "connector", required_argument, NULL, 'n' },
		{ "cursor-at", required_argument, NULL, 'P' },
		{ "mode", required_argument, NULL, 'm' },
		{ "seconds", required_argument, NULL, 's' },
		{ "flip", no_argument, NULL, 'f' },
		{ "animate", no_argument, NULL, 'A' },
		{ "animate-all", no_argument, NULL, 'a' },
		{ "cursor", no_argument, NULL, 'C' },
		{ "rgb565", no_argument, NULL, 'r' },
		{ "fps", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct options){ .card = "/dev/dri/card0", .connector = -1, .fps = 30 };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->card = optarg;
			break;
		case 'n':
			o->connector = atoi(optarg);
			break;
		case 'P':
			if (o->n_cursor_at == MAX_CURSOR_AT ||
			    sscanf(optarg, "%d,%d", &o->cursor_at[o->n_cursor_at][0],
				   &o->cursor_at[o->n_cursor_at][1]) != 2) {
				usage(stderr);
				exit(2);
			}
			o->n_cursor_at++;
			o->cursor = true;
			break;
		case 'm':
			if (sscanf(optarg, "%ux%u", &o->width, &o->height) != 2) {
				usage(stderr);
				exit(2);
			}
			break;
		case 's':
			o->seconds = atof(optarg);
			break;
		case 'f':
			o->flip = true;
			break;
		case 'A':
			o->animate = true;
			o->flip = true;
			break;
		case 'a':
			o->animate_all = true;
			o->flip = true;
			break;
		case 'C':
			o->cursor = true;
			break;
		case 'r':
			o->rgb565 = true;
			break;
		case 'F':
			o->fps = (uint32_t)atoi(optarg);
			if (o->fps == 0) {
				o->fps = 1;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
}

int main(int argc, char **argv)
{
	struct options o;
	drmModeRes *res;
	drmModeConnector *conn = NULL;
	drmModeModeInfo mode;
	uint32_t crtc_id = 0;
	struct buffer bufs[2] = { 0 }, cursor = { 0 };
	bool have_cursor = false;
	uint64_t flips = 0;
	double start, next;
	int fd, r, conn_index = -1, cursor_at = 0;
	sig_atomic_t cursor_seen = 0;

	parse(argc, argv, &o);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGUSR1, on_usr1);

	fd = open(o.card, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		die(o.card);
	}
	if (!drmIsMaster(fd) && !set_master(fd)) {
		die("cannot become DRM master");
	}
	res = drmModeGetResources(fd);
	if (!res) {
		die("GETRESOURCES");
	}
	for (int i = 0; i < res->count_connectors && !conn; i++) {
		if (o.connector >= 0 && i != o.connector) {
			continue;
		}
		conn = drmModeGetConnector(fd, res->connectors[i]);
		if (conn && (conn->connection != DRM_MODE_CONNECTED || conn->count_modes == 0)) {
			drmModeFreeConnector(conn);
			conn = NULL;
		}
		conn_index = i;
	}
	if (!conn) {
		errno = ENODEV;
		die("no connected connector");
	}
	mode = conn->modes[0];
	for (int i = 0; i < conn->count_modes; i++) {
		if (o.width && conn->modes[i].hdisplay == o.width &&
		    conn->modes[i].vdisplay == o.height) {
			mode = conn->modes[i];
			break;
		}
		if (!o.width && (conn->modes[i].type & DRM_MODE_TYPE_PREFERRED)) {
			mode = conn->modes[i];
			break;
		}
	}
	if (o.width && (mode.hdisplay != o.width || mode.vdisplay != o.height)) {
		errno = EINVAL;
		die("the connector has no such mode");
	}
	/* the CRTC the connector is on, else the first one its encoder can drive */
	if (conn->encoder_id) {
		drmModeEncoder *enc = drmModeGetEncoder(fd, conn->encoder_id);

		crtc_id = enc ? enc->crtc_id : 0;
		drmModeFreeEncoder(enc);
	}
	for (int i = 0; !crtc_id && i < conn->count_encoders; i++) {
		drmModeEncoder *enc = drmModeGetEncoder(fd, conn->encoders[i]);

		for (int j = 0; enc && j < res->count_crtcs; j++) {
			if (enc->possible_crtcs & (1u << j)) {
				crtc_id = res->crtcs[j];
				break;
			}
		}
		drmModeFreeEncoder(enc);
	}
	if (!crtc_id) {
		errno = ENODEV;
		die("no CRTC for the connector");
	}
	for (int i = 0; i < 2; i++) {
		r = make_buffer(fd, mode.hdisplay, mode.vdisplay, o.rgb565 ? 16 : 32,
				o.rgb565 ? DRM_FORMAT_RGB565 : DRM_FORMAT_XRGB8888, &bufs[i]);
		if (r < 0) {
			errno = -r;
			die("dumb buffer");
		}
		draw(&bufs[i], mode.hdisplay, mode.vdisplay, 0, &o);
	}
	if (drmModeSetCrtc(fd, crtc_id, bufs[0].fb_id, 0, 0, &conn->connector_id, 1, &mode) < 0) {
		die("SETCRTC");
	}
	if (o.cursor && make_buffer(fd, 64, 64, 32, DRM_FORMAT_ARGB8888, &cursor) == 0) {
		draw_cursor(&cursor);
		int x = o.n_cursor_at ? o.cursor_at[0][0] : 100;
		int y = o.n_cursor_at ? o.cursor_at[0][1] : 50;

		have_cursor = drmModeSetCursor(fd, crtc_id, cursor.handle, 64, 64) == 0 &&
			      drmModeMoveCursor(fd, crtc_id, x, y) == 0;
	}
	printf("KMSTEST-READY mode=%ux%u format=%s crtc=%u connector=%d fbs=%u,%u cursor=%s\n",
	       mode.hdisplay, mode.vdisplay, o.rgb565 ? "RGB565" : "XRGB8888", crtc_id, conn_index,
	       bufs[0].fb_id, bufs[1].fb_id, have_cursor ? "yes" : "no");

	start = now_s();
	next = start;
	while (!stop && (o.seconds <= 0 || now_s() - start < o.seconds)) {
		if (have_cursor && o.n_cursor_at && cursor_steps != cursor_seen) {
			cursor_seen = cursor_steps;
			cursor_at = (cursor_at + 1) % o.n_cursor_at;
			if (drmModeMoveCursor(fd, crtc_id, o.cursor_at[cursor_at][0],
					      o.cursor_at[cursor_at][1]) < 0) {
				die("MOVE_CURSOR");
			}
			printf("KMSTEST-CURSOR x=%d y=%d\n", o.cursor_at[cursor_at][0],
			       o.cursor_at[cursor_at][1]);
		}
		if (!o.flip) {
			usleep(50000);
			continue;
		}
		uint32_t f = (uint32_t)(flips + 2);
		struct buffer *b = &bufs[flips % 2 ? 0 : 1];
		bool pending = true;
		drmEventContext ev = { .version = 2, .page_flip_handler = on_flip };

		/* the n-th flip shows frame n + 1 */
		if (o.animate || o.animate_all) {
			draw(b, mode.hdisplay, mode.vdisplay, f - 1, &o);
		}
		if (drmModePageFlip(fd, crtc_id, b->fb_id, DRM_MODE_PAGE_FLIP_EVENT, &pending) <
		    0) {
			if (errno == EINTR) {
				continue;
			}
			die("PAGE_FLIP");
		}
		while (pending && !stop) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, 1000) > 0) {
				drmHandleEvent(fd, &ev);
			}
		}
		flips++;
		if (flips % 100 == 0) {
			printf("KMSTEST-FLIPS n=%llu\n", (unsigned long long)flips);
		}
		if (have_cursor && !o.n_cursor_at) {
			drmModeMoveCursor(fd, crtc_id, 100 + (int)(flips % 200), 50);
		}
		next += 1.0 / o.fps;
		double wait = next - now_s();

		if (wait > 0) {
			usleep((useconds_t)(wait * 1e6));
		} else {
			next = now_s();
		}
	}
	printf("KMSTEST-EXIT flips=%llu\n", (unsigned long long)flips);
	/* No RMFB, no SETCRTC back, no KD_TEXT: exit as a crashing program would. */
	return 0;
}
