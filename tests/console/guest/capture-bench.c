/*
 * lifeline-capture-bench: runs a capture backend in the guest, without RDP.
 *
 *   --capture SPEC   backend spec (default auto)
 *   --frames N       frames to time (default 60)
 *   --interval MS    pause between frames (default 0)
 *   --check-kmstest  every frame must show lifeline-kmstest's static picture (pattern.h,
 *                    frame 0) exactly; prints "CHECK ok frames=N" or "CHECK mismatch ..."
 *   --cursor         after the frames, print the hardware cursor: "CURSOR visible=V x=X y=Y
 *                    size=WxH serial=S" or "CURSOR none"
 *   --monitors       print "MONITOR index=I name=N connected=C active=A shared=S size=WxH"
 *   --follow         no timing: grab --frames times (--interval apart) and print a line whenever
 *                    what is seen changes: "FOLLOW frame=I size=WxH shows=kmstest|other|black"
 *                    or "FOLLOW frame=I gap error=E" for a failed grab (-EAGAIN while nothing is
 *                    scanned out is expected; the next grab reopens the card)
 *
 * Always prints "BENCH size=WxH format=F frames=N grab_ms=G diff_ms=D memcpy_ms=M ratio=R
 * rects=K" where G and D are the mean cost per frame of capture_grab and tile_diff_update, M
 * the mean cost of one memcpy of the same frame (rows of width * bytes per pixel) and
 * R = (G + D) / M; K is the mean number of changed rects per frame after the first.
 * Exit status 1 when a grab fails or the check finds a mismatch.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "pattern.h"
#include "tile-diff.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint32_t pixel(const struct capture_frame *f, uint32_t x, uint32_t y)
{
	const uint8_t *row = f->data + (size_t)y * f->stride;

	if (f->format == CAPTURE_FORMAT_RGB565) {
		uint16_t p;

		memcpy(&p, row + (size_t)x * 2, 2);
		return pattern_widen_565(p);
	}
	uint32_t v;

	memcpy(&v, row + (size_t)x * 4, 4);
	return v & 0xFFFFFF;
}

static bool check_frame(const struct capture_frame *f, bool quiet)
{
	for (uint32_t y = 0; y < f->height; y++) {
		for (uint32_t x = 0; x < f->width; x++) {
			uint32_t want = pattern_pixel(x, y, f->width, f->height, 0, false);
			uint32_t got = pixel(f, x, y);

			if (f->format == CAPTURE_FORMAT_RGB565) {
				want = pattern_widen_565(pattern_565(want));
			}
			if (got != want) {
				if (quiet) {
					return false;
				}
				printf("CHECK mismatch at %u,%u of %ux%u: got %06x want %06x\n", x,
				       y, f->width, f->height, got, want);
				return false;
			}
		}
	}
	return true;
}

static bool all_black(const struct capture_frame *f)
{
	for (uint32_t y = 0; y < f->height; y++) {
		for (uint32_t x = 0; x < f->width; x++) {
			if (pixel(f, x, y) != 0) {
				return false;
			}
		}
	}
	return true;
}

static int follow(struct capture *cap, unsigned int frames, unsigned int interval_ms)
{
	char last[96] = "", now[96];
	struct capture_frame f;

	for (unsigned int i = 0; i < frames; i++) {
		int r = capture_grab(cap, &f);

		if (r < 0) {
			snprintf(now, sizeof(now), "gap error=%s", strerror(-r));
		} else {
			snprintf(now, sizeof(now), "size=%ux%u shows=%s", f.width, f.height,
				 check_frame(&f, true) ? "kmstest"
				 : all_black(&f)       ? "black"
						       : "other");
		}
		if (strcmp(now, last) != 0) {
			printf("FOLLOW frame=%u %s\n", i, now);
			memcpy(last, now, sizeof(last));
		}
		usleep(interval_ms * 1000);
	}
	printf("FOLLOW done\n");
	return 0;
}

static const char *format_name(enum capture_format f)
{
	switch (f) {
	case CAPTURE_FORMAT_XRGB8888:
		return "XRGB8888";
	case CAPTURE_FORMAT_ARGB8888:
		return "ARGB8888";
	case CAPTURE_FORMAT_RGB565:
		return "RGB565";
	}
	return "?";
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "capture", required_argument, NULL, 'c' },
		{ "frames", required_argument, NULL, 'n' },
		{ "interval", required_argument, NULL, 'i' },
		{ "check-kmstest", no_argument, NULL, 'k' },
		{ "cursor", no_argument, NULL, 'C' },
		{ "monitors", no_argument, NULL, 'm' },
		{ "follow", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	const char *spec = "auto";
	unsigned int frames = 60, interval_ms = 0;
	bool check = false, cursor = false, monitors = false, following = false, ok = true;
	struct capture *cap = NULL;
	struct tile_diff *td = NULL;
	struct tile_rect *rects = NULL;
	size_t max_rects = 0, rect_sum = 0;
	double grab_ms = 0, diff_ms = 0, copy_ms = 0;
	struct capture_frame f = { 0 };
	uint8_t *copy = NULL;
	char err[256];
	int c, r;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			spec = optarg;
			break;
		case 'n':
			frames = (unsigned int)atoi(optarg);
			break;
		case 'i':
			interval_ms = (unsigned int)atoi(optarg);
			break;
		case 'k':
			check = true;
			break;
		case 'C':
			cursor = true;
			break;
		case 'm':
			monitors = true;
			break;
		case 'F':
			following = true;
			break;
		default:
			fprintf(stderr, "see the comment at the top of capture-bench.c\n");
			return 2;
		}
	}
	if (frames < 2) {
		frames = 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	r = capture_create(spec, &cap, err, sizeof(err));
	if (r < 0) {
		printf("BENCH error=\"%s\"\n", err);
		return 1;
	}
	printf("BENCH backend=%s\n", cap->impl->name);
	if (monitors) {
		struct capture_monitor m[16];
		size_t n = 0;

		r = capture_list_monitors(cap, m, 16, &n);
		for (size_t i = 0; r == 0 && i < n && i < 16; i++) {
			printf("MONITOR index=%u name=%s connected=%d active=%d shared=%d "
			       "size=%ux%u\n",
			       m[i].index, m[i].name, m[i].connected, m[i].active, m[i].shared,
			       m[i].width, m[i].height);
		}
	}
	if (following) {
		r = follow(cap, frames, interval_ms);
		capture_destroy(cap);
		return r;
	}

	for (unsigned int i = 0; i < frames; i++) {
		double t0 = now_ms(), t1, t2, t3;
		size_t n = 0;

		r = capture_grab(cap, &f);
		t1 = now_ms();
		if (r < 0) {
			printf("BENCH grab-failed=%d error=\"%s\"\n", r, capture_last_error(cap));
			ok = false;
			break;
		}
		if (!td || i == 0) {
			tile_diff_destroy(td);
			free(rects);
			free(copy);
			if (tile_diff_new(f.width, f.height, &td) < 0) {
				return 1;
			}
			max_rects = tile_diff_max_rects(td);
			rects = calloc(max_rects, sizeof(*rects));
			copy = malloc((size_t)f.width * f.height * 4);
			if (!rects || !copy) {
				return 1;
			}
		}
		t1 = now_ms();
		r = tile_diff_update(td, &f, rects, max_rects, &n);
		t2 = now_ms();
		if (r < 0) {
			/* the size changed under us: start over at the new size */
			tile_diff_destroy(td);
			td = NULL;
			i = (unsigned int)-1;
			grab_ms = diff_ms = copy_ms = 0;
			rect_sum = 0;
			continue;
		}
		for (uint32_t y = 0; y < f.height; y++) {
			size_t row = (size_t)f.width * capture_format_bpp(f.format);

			memcpy(copy + (size_t)y * row, f.data + (size_t)y * f.stride, row);
		}
		t3 = now_ms();
		grab_ms += t1 - t0;
		if (i > 0) {
			diff_ms += t2 - t1;
			rect_sum += n;
		}
		copy_ms += t3 - t2;
		if (check && !check_frame(&f, false)) {
			ok = false;
			break;
		}
		if (interval_ms) {
			usleep(interval_ms * 1000);
		}
	}
	if (ok) {
		double g = grab_ms / frames, d = diff_ms / (frames - 1), m = copy_ms / frames;

		printf("BENCH size=%ux%u format=%s frames=%u grab_ms=%.3f diff_ms=%.3f "
		       "memcpy_ms=%.3f ratio=%.2f rects=%.1f\n",
		       f.width, f.height, format_name(f.format), frames, g, d, m,
		       m > 0 ? (g + d) / m : 0.0, (double)rect_sum / (frames - 1));
		if (check) {
			printf("CHECK ok frames=%u\n", frames);
		}
	}
	if (cursor) {
		struct capture_cursor cur;

		r = capture_get_cursor(cap, &cur);
		if (r < 0) {
			printf("CURSOR none (%s)\n", strerror(-r));
		} else if (!cur.visible) {
			printf("CURSOR visible=0\n");
		} else {
			uint32_t opaque = 0;

			for (uint32_t i = 0; i < cur.width * cur.height; i++) {
				opaque += cur.pixels[i * 4 + 3] == 0xFF;
			}
			printf("CURSOR visible=1 x=%d y=%d size=%ux%u serial=%llu opaque=%u\n",
			       cur.x, cur.y, cur.width, cur.height, (unsigned long long)cur.serial,
			       opaque);
		}
	}
	free(copy);
	free(rects);
	tile_diff_destroy(td);
	capture_destroy(cap);
	return ok ? 0 : 1;
}
