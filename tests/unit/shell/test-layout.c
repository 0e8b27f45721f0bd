/* Geometry and hit-testing: sizes follow the screen; every target is reachable by pointer. */

#include "layout.h"
#include "shell-test.h"

static void centre(const struct shell_rect *r, int *x, int *y)
{
	*x = r->x + r->w / 2;
	*y = r->y + r->h / 2;
}

START_TEST(unit_scales_with_screen)
{
	int small = shell_layout_unit(1024, 768), hd = shell_layout_unit(1920, 1080),
	    uhd = shell_layout_unit(3840, 2160);

	ck_assert_int_ge(small, 16); /* readable on 1024x768 */
	ck_assert_int_gt(hd, small);
	ck_assert_int_ge(uhd, 2 * hd - 2);
	ck_assert_int_ge(shell_layout_unit(320, 240), 12);
}
END_TEST

START_TEST(regions_tile_the_screen)
{
	struct shell_state st;
	struct shell_layout l;

	test_state_init(&st);
	shell_layout_compute(&l, 1024, 768, &st);
	ck_assert_int_eq(l.banner.h, 0);
	ck_assert_int_eq(l.header.y + l.header.h, l.list.y);
	ck_assert_int_eq(l.list.x + l.list.w, l.main.x);
	ck_assert_int_eq(l.main.x + l.main.w, 1024);
	ck_assert_int_eq(l.list.y + l.list.h, 768);
	ck_assert_int_eq(l.content.y + l.content.h, 768);
	/* the last tool row fits */
	ck_assert_int_le(l.tool_rows[l.n_tools - 1].y + l.tool_rows[l.n_tools - 1].h, 768);
	/* the session banner takes the bottom */
	st.phase = SHELL_REMOTE_IN_USE;
	shell_layout_compute(&l, 1024, 768, &st);
	ck_assert_int_gt(l.banner.h, 0);
	ck_assert_int_eq(l.banner.y + l.banner.h, 768);
	ck_assert_int_eq(l.list.y + l.list.h, l.banner.y);
	ck_assert_int_le(l.button_banner_end.x + l.button_banner_end.w, 1024);
}
END_TEST

/* Every tool has a row above the list's key hint (two units at its bottom), also with the
 * session banner on, and no row moves when the banner comes or goes. */
START_TEST(tool_rows_fit_and_stay)
{
	static const int sizes[][2] = {
		{ 1024, 768 }, { 800, 600 }, { 1280, 1024 }, { 1920, 1080 }, { 3840, 2160 }
	};
	struct shell_state st;
	struct shell_layout off, on;

	test_state_init(&st);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int w = sizes[s][0], h = sizes[s][1];

		st.phase = SHELL_REMOTE_OFF;
		shell_layout_compute(&off, w, h, &st);
		st.phase = SHELL_REMOTE_IN_USE;
		shell_layout_compute(&on, w, h, &st);
		ck_assert_uint_eq(on.n_tools, st.n_tools);
		/* two lines of text (drawn at most 0.38 and 0.32 of the row high) need at
		 * least 1.8 units */
		ck_assert_int_ge(on.tool_row_h * 10, on.unit * 18);
		for (size_t i = 0; i < on.n_tools; i++) {
			ck_assert_int_eq(on.tool_rows[i].y, off.tool_rows[i].y);
			ck_assert_int_le(on.tool_rows[i].y + on.tool_rows[i].h,
					 on.list.y + on.list.h - on.unit * 2);
			if (i) {
				ck_assert_int_ge(on.tool_rows[i].y,
						 on.tool_rows[i - 1].y + on.tool_rows[i - 1].h);
			}
		}
	}
}
END_TEST

START_TEST(hit_tools_tabs_buttons)
{
	struct shell_state st;
	struct shell_layout l;
	struct shell_target t;
	int x, y;

	test_state_init(&st);
	shell_state_pane_added(&st, 1, 1);
	shell_state_pane_added(&st, 2, 2);
	st.remote_tab = true;
	shell_layout_compute(&l, 1920, 1080, &st);
	for (size_t i = 0; i < st.n_tools; i++) {
		centre(&l.tool_rows[i], &x, &y);
		t = shell_layout_hit(&l, &st, x, y);
		ck_assert_int_eq(t.kind, SHELL_TARGET_TOOL);
		ck_assert_int_eq(t.index, (int)i);
	}
	ck_assert_uint_eq(l.n_tabs, 3);
	centre(&l.tab_rects[0], &x, &y);
	t = shell_layout_hit(&l, &st, x, y);
	ck_assert_int_eq(t.kind, SHELL_TARGET_TAB);
	ck_assert_int_eq(t.index, -1);
	centre(&l.tab_rects[2], &x, &y);
	t = shell_layout_hit(&l, &st, x, y);
	ck_assert_int_eq(t.index, 1);
	/* buttons exist only in the Remote Connection view */
	centre(&l.button_end_session, &x, &y);
	ck_assert_int_eq(shell_layout_hit(&l, &st, x, y).kind, SHELL_TARGET_CONTENT);
	st.view = SHELL_VIEW_REMOTE;
	ck_assert_int_eq(shell_layout_hit(&l, &st, x, y).kind, SHELL_TARGET_BUTTON_END_SESSION);
	centre(&l.button_view_only, &x, &y);
	ck_assert_int_eq(shell_layout_hit(&l, &st, x, y).kind, SHELL_TARGET_BUTTON_VIEW_ONLY);
	centre(&l.button_new_ticket, &x, &y);
	ck_assert_int_eq(shell_layout_hit(&l, &st, x, y).kind, SHELL_TARGET_BUTTON_NEW_TICKET);
	centre(&l.button_handoff, &x, &y);
	ck_assert_int_eq(shell_layout_hit(&l, &st, x, y).kind, SHELL_TARGET_BUTTON_HANDOFF);
	/* the header is nothing */
	ck_assert_int_eq(shell_layout_hit(&l, &st, 5, 5).kind, SHELL_TARGET_NONE);
	/* banner End button */
	st.phase = SHELL_REMOTE_IN_USE;
	shell_layout_compute(&l, 1920, 1080, &st);
	centre(&l.button_banner_end, &x, &y);
	ck_assert_int_eq(shell_layout_hit(&l, &st, x, y).kind, SHELL_TARGET_BUTTON_END_SESSION);
	ck_assert_int_eq(shell_layout_hit(&l, &st, 10, l.banner.y + 5).kind, SHELL_TARGET_NONE);
}
END_TEST

/* The panel's four buttons sit in one row inside the panel, apart, on every screen; twelve
 * units wide where that fits (1080p), never less than eight (their labels shrink with them). */
START_TEST(panel_buttons_fit)
{
	static const int sizes[][2] = {
		{ 1024, 768 }, { 800, 600 }, { 1280, 800 }, { 1920, 1080 }, { 3840, 2160 }
	};
	struct shell_state st;
	struct shell_layout l;

	test_state_init(&st);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		const struct shell_rect *b[] = { &l.button_new_ticket, &l.button_handoff,
						 &l.button_view_only, &l.button_end_session };

		shell_layout_compute(&l, sizes[s][0], sizes[s][1], &st);
		for (size_t i = 0; i < 4; i++) {
			ck_assert_int_eq(b[i]->y, b[0]->y);
			ck_assert_int_eq(b[i]->w, b[0]->w);
			ck_assert_int_ge(b[i]->w * 10, l.unit * 80);
			ck_assert_int_le(b[i]->x + b[i]->w, l.content.x + l.content.w - l.unit);
			if (i) {
				ck_assert_int_gt(b[i]->x, b[i - 1]->x + b[i - 1]->w);
			}
		}
		ck_assert_int_ge(b[0]->x, l.content.x + l.unit);
		if (sizes[s][0] == 1920) {
			ck_assert_int_eq(b[0]->w, l.unit * 12);
		}
	}
}
END_TEST

START_TEST(many_tabs_fit)
{
	struct shell_state st;
	struct shell_layout l;

	test_state_init(&st);
	for (unsigned i = 0; i < SHELL_MAX_PANES; i++) {
		shell_state_pane_added(&st, i + 1, 1);
	}
	st.remote_tab = true;
	shell_layout_compute(&l, 1024, 768, &st);
	ck_assert_uint_eq(l.n_tabs, SHELL_MAX_PANES + 1);
	ck_assert_int_le(l.tab_rects[l.n_tabs - 1].x + l.tab_rects[l.n_tabs - 1].w, 1024);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("shell-layout");
	TCase *tc = tcase_create("layout");

	tcase_add_test(tc, unit_scales_with_screen);
	tcase_add_test(tc, regions_tile_the_screen);
	tcase_add_test(tc, tool_rows_fit_and_stay);
	tcase_add_test(tc, hit_tools_tabs_buttons);
	tcase_add_test(tc, panel_buttons_fit);
	tcase_add_test(tc, many_tabs_fit);
	suite_add_tcase(s, tc);
	return s;
}
