/* Frame time of a full redraw (headless) at a given size: bench-render [WxH] [frames]. */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "display.h"
#include "layout.h"
#include "render.h"
#include "state.h"
#include "term.h"

static struct shell_term *term;

static struct shell_term *lookup(void *data, unsigned id)
{
	return term;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int w = 1920, h = 1080, frames = argc > 2 ? atoi(argv[2]) : 100;
	struct shell_display_options o = { .backend = "headless" };
	struct shell_display *d;
	struct shell_render *r;
	struct shell_state st;
	struct shell_layout l;
	struct shell_actions acts = { 0 };
	const struct shell_tool *tools;
	size_t n, stride;
	unsigned cols, rows;
	double t0, full = 0, list = 0, pane = 0;

	if (argc > 1 && sscanf(argv[1], "%dx%d", &w, &h) != 2) {
		fprintf(stderr, "usage: bench-render [WxH] [frames]\n");
		return 2;
	}
	o.width = w;
	o.height = h;
	tools = shell_tools_builtin(&n);
	shell_state_init(&st, tools, n);
	shell_state_start(&st, &acts);
	shell_state_pane_added(&st, 1, acts.a[0].tool);
	if (shell_display_create(&o, &d) < 0 || shell_render_create(w, h, &r) < 0) {
		return 1;
	}
	shell_render_set_term_lookup(r, lookup, NULL);
	shell_layout_compute(&l, w, h, &st);
	shell_render_term_grid(r, &l, &cols, &rows);
	shell_term_new_virtual(cols, rows, &term);
	for (unsigned i = 0; i < rows; i++) {
		char line[512];
		int len = snprintf(line, sizeof(line),
				   "line %u: the quick brown fox jumps over the lazy dog 0123456789"
				   " \033[1;32mgreen\033[0m \033[7minverse\033[0m\r\n",
				   i);
		shell_term_feed(term, line, (size_t)len);
	}
	for (int pass = 0; pass < 3; pass++) {
		t0 = now();
		for (int i = 0; i < frames; i++) {
			struct shell_rect rects[16];
			unsigned dmg = pass == 0   ? SHELL_DAMAGE_ALL
				       : pass == 1 ? SHELL_DAMAGE_LIST
						   : SHELL_DAMAGE_MAIN;
			size_t k = shell_render_frame(r, &st, &l, dmg, rects, 16);
			const uint8_t *px = shell_render_pixels(r, &stride);

			shell_display_present(d, px, stride, rects, k);
		}
		double per = (now() - t0) / frames * 1000;

		if (pass == 0) {
			full = per;
		} else if (pass == 1) {
			list = per;
		} else {
			pane = per;
		}
	}
	printf("render %dx%d: full redraw %.2f ms/frame, tool list only %.2f ms, terminal pane "
	       "(%ux%u cells) %.2f ms\n",
	       w, h, full, list, cols, rows, pane);
	shell_term_destroy(term);
	shell_render_destroy(r);
	shell_display_destroy(d);
	return 0;
}
