#pragma once

/*
 * Where everything goes on a screen of a given size, and what a pointer press hits. Pure
 * arithmetic: every size derives from one text unit that grows with the screen, so the console is
 * readable at 1024x768 and at 4K alike.
 */

#include <stddef.h>

#include "state.h"

#define SHELL_LAYOUT_MAX_TOOLS 24

struct shell_rect {
	int x, y, w, h;
};

struct shell_layout {
	int width, height;
	/* Body text size in pixels; everything else is a multiple of it. */
	int unit;
	struct shell_rect header;
	/* The session banner at the bottom; h == 0 when no session is on. */
	struct shell_rect banner;
	struct shell_rect list;
	struct shell_rect main;
	struct shell_rect tabs;
	struct shell_rect content;
	struct shell_rect tool_rows[SHELL_LAYOUT_MAX_TOOLS];
	size_t n_tools;
	/* Distance between two tool rows: three units, less when the list is long. */
	int tool_row_h;
	/* Tab strip: the Remote Connection tab (index -1) then one per pane. */
	struct shell_rect tab_rects[SHELL_MAX_PANES + 1];
	int tab_index[SHELL_MAX_PANES + 1];
	size_t n_tabs;
	/* The Remote Connection panel's buttons (valid in the remote view), in this order; twelve
	 * units wide where the four fit, narrower on a small screen (render.c fits the labels). */
	struct shell_rect button_new_ticket;
	struct shell_rect button_handoff;
	struct shell_rect button_view_only;
	struct shell_rect button_end_session;
	/* The End button on the session banner. */
	struct shell_rect button_banner_end;
};

void shell_layout_compute(struct shell_layout *l, int width, int height,
			  const struct shell_state *st);

/* What the point (x, y) lies on. */
struct shell_target shell_layout_hit(const struct shell_layout *l, const struct shell_state *st,
				     int x, int y);

/* The text unit for a screen of this size. */
int shell_layout_unit(int width, int height);

/* Intersection and union helpers for damage. */
int shell_rect_contains(const struct shell_rect *r, int x, int y);
