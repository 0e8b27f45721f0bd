#include "layout.h"

int shell_layout_unit(int width, int height)
{
	int u = height / 40;

	if (width / 56 < u) {
		u = width / 56;
	}
	if (u < 12) {
		u = 12;
	}
	if (u > 72) {
		u = 72;
	}
	return u;
}

int shell_rect_contains(const struct shell_rect *r, int x, int y)
{
	return r->w > 0 && r->h > 0 && x >= r->x && y >= r->y && x < r->x + r->w && y < r->y + r->h;
}

void shell_layout_compute(struct shell_layout *l, int width, int height,
			  const struct shell_state *st)
{
	int u = shell_layout_unit(width, height);
	int header_h = u * 5 / 2;
	int banner_max = u * 3;
	int banner_h = shell_state_in_session(st) ? banner_max : 0;
	int list_w = u * 16;
	int body_y = header_h;
	int body_h = height - header_h - banner_h;
	int tabs_h = u * 2;

	*l = (struct shell_layout){ .width = width, .height = height, .unit = u };
	if (list_w > width / 3) {
		list_w = width / 3;
	}
	l->header = (struct shell_rect){ 0, 0, width, header_h };
	l->banner = (struct shell_rect){ 0, height - banner_h, width, banner_h };
	l->list = (struct shell_rect){ 0, body_y, list_w, body_h };
	l->main = (struct shell_rect){ list_w, body_y, width - list_w, body_h };
	l->tabs = (struct shell_rect){ list_w, body_y, width - list_w, tabs_h };
	l->content =
		(struct shell_rect){ list_w, body_y + tabs_h, width - list_w, body_h - tabs_h };

	l->n_tools = st->n_tools < SHELL_LAYOUT_MAX_TOOLS ? st->n_tools : SHELL_LAYOUT_MAX_TOOLS;
	/* Rows of three units, closer together (down to 1.8, with smaller text: render.c)
	 * when that many do not fit between the list's heading and its key hint. Measured with the session banner on, so that a row stays
	 * where it was when a session starts or ends (the helpdesk may be aiming at it). */
	int row_h = u * 3;

	if (l->n_tools && (height - header_h - banner_max - u * 3) / (int)l->n_tools < row_h) {
		row_h = (height - header_h - banner_max - u * 3) / (int)l->n_tools;
	}
	l->tool_row_h = row_h;
	for (size_t i = 0; i < l->n_tools; i++) {
		l->tool_rows[i] = (struct shell_rect){ u / 2, body_y + u + (int)i * row_h,
						       list_w - u, row_h - u / 4 };
	}

	size_t n_tabs = st->n_panes + (st->remote_tab ? 1 : 0);
	int tab_w = u * 11;

	if (n_tabs && tab_w * (int)n_tabs > l->tabs.w - u) {
		tab_w = (l->tabs.w - u) / (int)n_tabs;
	}
	for (size_t i = 0; i < n_tabs; i++) {
		l->tab_rects[i] =
			(struct shell_rect){ l->tabs.x + u / 2 + (int)i * tab_w, l->tabs.y + u / 4,
					     tab_w - u / 4, tabs_h - u / 4 };
		l->tab_index[i] = st->remote_tab ? (int)i - 1 : (int)i;
	}
	l->n_tabs = n_tabs;

	int bw = u * 12, bh = u * 2 + u / 2, by = l->content.y + l->content.h - bh - u;
	int bx = l->content.x + u * 3 / 2, gap = u, room = l->content.w - u * 3;

	if (4 * bw + 3 * gap > room) {
		gap = u / 2;
		bw = (room - 3 * gap) / 4;
	}
	l->button_new_ticket = (struct shell_rect){ bx, by, bw, bh };
	l->button_handoff = (struct shell_rect){ bx + bw + gap, by, bw, bh };
	l->button_view_only = (struct shell_rect){ bx + 2 * (bw + gap), by, bw, bh };
	l->button_end_session = (struct shell_rect){ bx + 3 * (bw + gap), by, bw, bh };
	if (banner_h) {
		l->button_banner_end = (struct shell_rect){ width - u * 15, l->banner.y + u / 2,
							    u * 14, banner_h - u };
	}
}

struct shell_target shell_layout_hit(const struct shell_layout *l, const struct shell_state *st,
				     int x, int y)
{
	struct shell_target none = { SHELL_TARGET_NONE, 0 };

	if (shell_rect_contains(&l->list, x, y)) {
		for (size_t i = 0; i < l->n_tools; i++) {
			if (shell_rect_contains(&l->tool_rows[i], x, y)) {
				return (struct shell_target){ SHELL_TARGET_TOOL, (int)i };
			}
		}
		return none;
	}
	if (shell_rect_contains(&l->tabs, x, y)) {
		for (size_t i = 0; i < l->n_tabs; i++) {
			if (shell_rect_contains(&l->tab_rects[i], x, y)) {
				return (struct shell_target){ SHELL_TARGET_TAB, l->tab_index[i] };
			}
		}
		return none;
	}
	if (shell_rect_contains(&l->content, x, y)) {
		if (st->view == SHELL_VIEW_REMOTE) {
			if (shell_rect_contains(&l->button_new_ticket, x, y)) {
				return (struct shell_target){ SHELL_TARGET_BUTTON_NEW_TICKET, 0 };
			}
			if (shell_rect_contains(&l->button_handoff, x, y)) {
				return (struct shell_target){ SHELL_TARGET_BUTTON_HANDOFF, 0 };
			}
			if (shell_rect_contains(&l->button_view_only, x, y)) {
				return (struct shell_target){ SHELL_TARGET_BUTTON_VIEW_ONLY, 0 };
			}
			if (shell_rect_contains(&l->button_end_session, x, y)) {
				return (struct shell_target){ SHELL_TARGET_BUTTON_END_SESSION, 0 };
			}
		}
		return (struct shell_target){ SHELL_TARGET_CONTENT, 0 };
	}
	if (shell_rect_contains(&l->banner, x, y)) {
		if (shell_rect_contains(&l->button_banner_end, x, y)) {
			return (struct shell_target){ SHELL_TARGET_BUTTON_END_SESSION, 0 };
		}
	}
	return none;
}
