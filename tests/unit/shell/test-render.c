/*
 * Rendering through the headless display, compared with reference images in
 * tests/unit/shell/ref/ (SHELL_REF_UPDATE=1 rewrites them). Scenes use a fixed clock, host name
 * and addresses. Also checks that drawing only the damage gives the same pixels as a full redraw.
 */

#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>

#include "changes.h"
#include "display.h"
#include "layout.h"
#include "render.h"
#include "shell-test.h"
#include "term.h"

#define NOW 1700000000 /* 22:13 UTC */

/* Pixels may differ by font antialiasing at most: a few levels on a tiny share of pixels. */
#define CHANNEL_TOLERANCE 24
#define PIXEL_SHARE_PPM   2000

struct scene {
	struct shell_state st;
	struct shell_layout layout;
	struct shell_render *render;
	struct shell_display *display;
	struct shell_term *term;
	int w, h;
};

static struct shell_term *lookup(void *data, unsigned pane_id)
{
	struct scene *s = data;

	return pane_id == 1 ? s->term : NULL;
}

static void ctl(struct shell_state *st, const char *line)
{
	struct shell_control_event ev = test_event(line);

	shell_state_control(st, &ev, NOW - 120);
}

static void scene_init(struct scene *s, int w, int h)
{
	static const char *addrs[] = { "192.168.1.20", "fd00::20" };
	struct shell_display_options o = { .backend = "headless", .width = w, .height = h };
	struct shell_actions acts = { 0 };
	unsigned cols, rows;
	const char *out = "Lifeline recovery shell - you are root.\r\n\r\n"
			  "lifeline:~# ls /\r\nbin  boot  dev  etc  home  lib  mnt  proc  root  "
			  "run  sys  tmp  usr  var\r\nlifeline:~# \033[32mgreen\033[0m "
			  "\033[7mreverse\033[0m ünïcödé ✓\r\nlifeline:~# ";

	memset(s, 0, sizeof(*s));
	s->w = w;
	s->h = h;
	test_state_init(&s->st);
	shell_state_set_time(&s->st, NOW, 0);
	shell_state_set_host(&s->st, "recovery-pc", addrs, 2);
	shell_state_start(&s->st, &acts);
	shell_state_pane_added(&s->st, 1, acts.a[0].tool);
	ck_assert_int_eq(shell_display_create(&o, &s->display), 0);
	ck_assert_int_eq(shell_render_create(w, h, &s->render), 0);
	shell_render_set_term_lookup(s->render, lookup, s);
	shell_layout_compute(&s->layout, w, h, &s->st);
	shell_render_term_grid(s->render, &s->layout, &cols, &rows);
	ck_assert_int_eq(shell_term_new_virtual(cols, rows, &s->term), 0);
	shell_term_feed(s->term, out, strlen(out));
}

static void scene_fini(struct scene *s)
{
	shell_term_destroy(s->term);
	shell_render_destroy(s->render);
	shell_display_destroy(s->display);
	shell_state_fini(&s->st);
}

/* Draws what the state's damage asks for and presents it, as main.c does. */
static size_t scene_frame(struct scene *s, struct shell_rect *rects)
{
	unsigned damage = shell_state_take_damage(&s->st);
	size_t n, stride;
	const uint8_t *px;

	if ((damage & SHELL_DAMAGE_ALL) == SHELL_DAMAGE_ALL) {
		shell_layout_compute(&s->layout, s->w, s->h, &s->st);
	}
	n = shell_render_frame(s->render, &s->st, &s->layout, damage, rects, 16);
	px = shell_render_pixels(s->render, &stride);
	ck_assert_int_eq(shell_display_present(s->display, px, stride, rects, n), 0);
	return n;
}

/* Compares the headless display's pixels with the reference image `name`. */
static void compare_ref(struct scene *s, const char *name)
{
	const char *dir = getenv("SHELL_REF_DIR");
	char path[1024], actual[1024];
	size_t stride, rstride, differ = 0;
	const uint8_t *px = shell_display_headless_pixels(s->display, &stride);
	cairo_surface_t *out, *ref;
	const uint8_t *rp;

	ck_assert_ptr_nonnull(px);
	ck_assert_ptr_nonnull(dir);
	snprintf(path, sizeof(path), "%s/%s.png", dir, name);
	snprintf(actual, sizeof(actual), "%s.actual.png", name);
	out = cairo_image_surface_create_for_data((uint8_t *)px, CAIRO_FORMAT_RGB24, s->w, s->h,
						  (int)stride);
	if (getenv("SHELL_REF_UPDATE")) {
		ck_assert_int_eq(cairo_surface_write_to_png(out, path), CAIRO_STATUS_SUCCESS);
	}
	ref = cairo_image_surface_create_from_png(path);
	ck_assert_msg(cairo_surface_status(ref) == CAIRO_STATUS_SUCCESS, "cannot read %s", path);
	ck_assert_int_eq(cairo_image_surface_get_width(ref), s->w);
	ck_assert_int_eq(cairo_image_surface_get_height(ref), s->h);
	rp = cairo_image_surface_get_data(ref);
	rstride = (size_t)cairo_image_surface_get_stride(ref);
	for (int y = 0; y < s->h; y++) {
		const uint8_t *a = px + (size_t)y * stride, *b = rp + (size_t)y * rstride;

		for (int x = 0; x < s->w * 4; x += 4) {
			for (int c = 0; c < 3; c++) {
				if (abs(a[x + c] - b[x + c]) > CHANNEL_TOLERANCE) {
					differ++;
					break;
				}
			}
		}
	}
	if (differ * 1000000 > (size_t)s->w * s->h * PIXEL_SHARE_PPM) {
		cairo_surface_write_to_png(out, actual);
	}
	ck_assert_msg(differ * 1000000 <= (size_t)s->w * s->h * PIXEL_SHARE_PPM,
		      "%s: %zu pixels differ from the reference (see %s)", name, differ, actual);
	cairo_surface_destroy(ref);
	cairo_surface_destroy(out);
}

#define INFO_XFREERDP                                                                       \
	"xfreerdp /v:192.168.1.20:51234 /u:helpdesk /p:482-915-307 /sec:nla "               \
	"/cert:deny,fingerprint:sha256:3F:A2:19:C4:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:" \
	"DD:EE:FF:00:11:22:33:44:55:66:77:88:01:7B:E2"
#define INFO_EVENT                                                                        \
	"{\"event\":\"state\",\"state\":\"active\",\"info\":{\"ticket\":\"482-915-307\"," \
	"\"port\":51234,\"addresses\":[\"192.168.1.20\",\"fd00::20\"],"                   \
	"\"sha256_fingerprint\":\"3F:A2:19:C4:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:"    \
	"DD:EE:FF:00:11:22:33:44:55:66:77:88:01:7B:E2\",\"hostname\":\"recovery-pc\","    \
	"\"sha1_thumbprint\":\"0123456789abcdef0123456789abcdef01234567\","               \
	"\"xfreerdp\":\"" INFO_XFREERDP "\"},"                                            \
	"\"view_only\":false,\"failures\":0}"

static void open_remote(struct scene *s)
{
	struct shell_actions acts = { 0 };

	shell_state_click(&s->st, (struct shell_target){ SHELL_TARGET_TOOL, 0 }, SHELL_SOURCE_LOCAL,
			  &acts);
	ctl(&s->st, INFO_EVENT);
}

START_TEST(ref_start)
{
	struct scene s;
	struct shell_rect r[16];

	scene_init(&s, 1024, 768);
	scene_frame(&s, r);
	compare_ref(&s, "start-1024x768");
	scene_fini(&s);
}
END_TEST

START_TEST(ref_remote_waiting)
{
	struct scene s;
	struct shell_rect r[16];

	scene_init(&s, 1024, 768);
	open_remote(&s);
	ctl(&s.st, "{\"event\":\"auth-failed\",\"peer\":\"192.168.1.77\",\"reason\":\"wrong\","
		   "\"failures\":1,\"remaining\":9}");
	ctl(&s.st, "{\"event\":\"auth-failed\",\"peer\":\"192.168.1.77\",\"reason\":\"wrong\","
		   "\"failures\":2,\"remaining\":8}");
	scene_frame(&s, r);
	compare_ref(&s, "remote-waiting-1024x768");
	scene_fini(&s);
}
END_TEST

START_TEST(ref_session_banner)
{
	struct scene s;
	struct shell_rect r[16];
	struct shell_actions acts = { 0 };
	struct shell_key f12 = { .keysym = SHELL_KEY_END_SESSION, .source = SHELL_SOURCE_REMOTE };

	scene_init(&s, 1920, 1080);
	open_remote(&s);
	ctl(&s.st, "{\"event\":\"connected\",\"peer\":\"192.168.1.77\",\"user\":\"helpdesk\","
		   "\"view_only\":false}");
	shell_state_click(&s.st, (struct shell_target){ SHELL_TARGET_TAB, 0 }, SHELL_SOURCE_REMOTE,
			  &acts);
	/* the helpdesk tried the end key: the notice explains why nothing happened */
	shell_state_key(&s.st, &f12, &acts);
	scene_frame(&s, r);
	compare_ref(&s, "session-1920x1080");
	scene_fini(&s);
}
END_TEST

/* In a session at 1024x768: the panel with the helpdesk's changes from the audit log under the
 * event log, one of them with an escape sequence and a bidi override, one too long. */
START_TEST(ref_session_changes)
{
	static const char log[] =
		"2026-12-07T06:50:01Z debian-11111111 fsck (keyboard): repaired /dev/sda2\n"
		"2026-12-07T06:54:50Z debian-11111111 locksmith (helpdesk): new password for root\n"
		"2026-12-07T06:55:12Z debian-11111111 locksmith (helpdesk): unlocked "
		"\033[31manna\xe2\x80\xae\n"
		"2026-12-07T06:58:40Z debian-11111111 bootrepair (helpdesk): GRUB reinstalled for "
		"BIOS "
		"on /dev/sda, initramfs regenerated for 6.1.0-28-amd64 and 6.1.0-27-amd64\n";
	char lines[SHELL_CHANGES_LINES][SHELL_CHANGE_TEXT];
	struct scene s;
	struct shell_rect r[16];
	struct shell_actions acts = { 0 };
	size_t n;

	scene_init(&s, 1024, 768);
	open_remote(&s);
	ctl(&s.st, "{\"event\":\"auth-failed\",\"peer\":\"192.168.1.77\",\"reason\":\"wrong\","
		   "\"failures\":1,\"remaining\":9}");
	ctl(&s.st, "{\"event\":\"connected\",\"peer\":\"192.168.1.77\",\"user\":\"helpdesk\","
		   "\"view_only\":false}");
	shell_state_click(&s.st, (struct shell_target){ SHELL_TARGET_TAB, -1 }, SHELL_SOURCE_LOCAL,
			  &acts);
	n = shell_changes_tail(log, strlen(log), false, lines, SHELL_CHANGES_LINES);
	ck_assert_uint_eq(n, 3);
	shell_state_set_changes(&s.st, (const char(*)[SHELL_CHANGE_TEXT])lines, n);
	scene_frame(&s, r);
	compare_ref(&s, "session-changes-1024x768");
	scene_fini(&s);
}
END_TEST

START_TEST(ref_revoked)
{
	struct scene s;
	struct shell_rect r[16];

	scene_init(&s, 1024, 768);
	open_remote(&s);
	ctl(&s.st, "{\"event\":\"revoked\",\"failures\":10}");
	scene_frame(&s, r);
	compare_ref(&s, "revoked-1024x768");
	scene_fini(&s);
}
END_TEST

/* Drawing only what changed must give exactly what a full redraw gives. */
START_TEST(damage_matches_full_redraw)
{
	struct scene inc, full;
	struct shell_rect r[16];
	struct shell_actions acts = { 0 };
	struct shell_key down = { .keysym = SHELL_KEY_DOWN, .source = SHELL_SOURCE_LOCAL };
	size_t n, s1, s2;
	const uint8_t *a, *b;

	scene_init(&inc, 1024, 768);
	scene_frame(&inc, r);
	shell_render_set_pointer(inc.render, 100, 100, true);
	scene_frame(&inc, r);
	/* a selection move: only the list is redrawn */
	shell_state_key(&inc.st, &down, &acts);
	n = scene_frame(&inc, r);
	ck_assert_uint_eq(n, 3); /* the pointer lifted off, the list, the pointer put back */
	ck_assert_int_eq(r[1].x, inc.layout.list.x);
	ck_assert_int_eq(r[1].w, inc.layout.list.w);
	/* the pointer moves: only its old and new spots */
	shell_render_set_pointer(inc.render, 600, 400, true);
	n = scene_frame(&inc, r);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_lt(r[0].w * r[0].h, 64 * 64);
	ck_assert_int_eq(r[1].x, 600);
	/* nothing changed: nothing drawn */
	ck_assert_uint_eq(scene_frame(&inc, r), 0);

	scene_init(&full, 1024, 768);
	shell_state_key(&full.st, &down, &acts);
	shell_render_set_pointer(full.render, 600, 400, true);
	scene_frame(&full, r);

	a = shell_display_headless_pixels(inc.display, &s1);
	b = shell_display_headless_pixels(full.display, &s2);
	for (int y = 0; y < 768; y++) {
		ck_assert_msg(memcmp(a + (size_t)y * s1, b + (size_t)y * s2, 1024 * 4) == 0,
			      "row %d differs", y);
	}
	scene_fini(&inc);
	scene_fini(&full);
}
END_TEST

/* F shows the SHA-256 fingerprint in full, F again its ends. */
START_TEST(ref_remote_full_fingerprint)
{
	struct scene s;
	struct shell_rect r[16];
	struct shell_actions acts = { 0 };
	struct shell_key f = { .keysym = 'f', .source = SHELL_SOURCE_LOCAL };

	scene_init(&s, 1024, 768);
	open_remote(&s);
	shell_state_key(&s.st, &f, &acts);
	ck_assert(s.st.full_fingerprint);
	scene_frame(&s, r);
	compare_ref(&s, "remote-fingerprint-1024x768");
	shell_state_key(&s.st, &f, &acts);
	ck_assert(!s.st.full_fingerprint);
	scene_fini(&s);
}
END_TEST

/* The HTTPS hand-off failing: said on the panel with curl's reason (control characters
 * replaced) and the next try. */
START_TEST(ref_remote_announce_failed)
{
	struct scene s;
	struct shell_rect r[16];

	scene_init(&s, 1024, 768);
	open_remote(&s);
	ctl(&s.st, "{\"event\":\"announce\",\"state\":\"failed\",\"http_status\":0,"
		   "\"reason\":\"SSL: public key does not match pinned public key\\u001b[2J\","
		   "\"retry_in_ms\":8000,\"attempts\":3}");
	ck_assert_str_eq(s.st.announce_state, "failed");
	ck_assert_str_eq(s.st.announce_reason,
			 "SSL: public key does not match pinned public key?[2J");
	ck_assert_uint_eq(s.st.announce_retry_s, 8);
	scene_frame(&s, r);
	compare_ref(&s, "remote-announce-failed-1024x768");
	scene_fini(&s);
}
END_TEST

/* The tunnel through the bastion: down with the machine key to authorise, then up with the
 * bastion-side port. */
START_TEST(ref_remote_reverse)
{
	struct scene s;
	struct shell_rect r[16];

	scene_init(&s, 1024, 768);
	open_remote(&s);
	ctl(&s.st, "{\"event\":\"reverse\",\"state\":\"down\",\"bastion\":"
		   "\"lifeline@bastion.example.org\",\"port\":0,\"reason\":\"lifeline@bastion."
		   "example.org: Permission denied (publickey).\",\"retry_in_ms\":4000,"
		   "\"machine_key\":\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL6MxZga4h6TARsGa6cxSHG"
		   "A9DuTBUnC9RTUMu0P99yP lifeline-recovery\"}");
	ck_assert_str_eq(s.st.reverse.state, "down");
	ck_assert_uint_eq(s.st.reverse.retry_s, 4);
	scene_frame(&s, r);
	compare_ref(&s, "remote-reverse-down-1024x768");
	ctl(&s.st, "{\"event\":\"reverse\",\"state\":\"up\",\"bastion\":"
		   "\"lifeline@bastion.example.org:2222\",\"port\":40123,\"reason\":null,"
		   "\"retry_in_ms\":0}");
	ck_assert_uint_eq(s.st.reverse.port, 40123);
	scene_frame(&s, r);
	compare_ref(&s, "remote-reverse-up-1024x768");
	scene_fini(&s);
}
END_TEST

/* The share of pixels that differ between two frames in a rectangle. */
static double differ_share(const uint8_t *a, const uint8_t *b, size_t stride, struct shell_rect rc)
{
	size_t n = 0;

	for (int y = rc.y; y < rc.y + rc.h; y++) {
		for (int x = rc.x; x < rc.x + rc.w; x++) {
			n += memcmp(a + (size_t)y * stride + (size_t)x * 4,
				    b + (size_t)y * stride + (size_t)x * 4, 3) != 0;
		}
	}
	return (double)n / (rc.w * rc.h);
}

/* A new ticket redraws the QR code (a new code), and the code goes when nobody waits. */
START_TEST(qr_follows_ticket)
{
	struct scene s;
	struct shell_rect r[16], qr;
	size_t stride, size;
	uint8_t *first, *second;
	const uint8_t *px;
	int u;

	scene_init(&s, 1024, 768);
	open_remote(&s);
	scene_frame(&s, r);
	u = s.layout.unit;
	/* the square on the right of the panel, below its title */
	qr = (struct shell_rect){ s.layout.content.x + s.layout.content.w - u * 3 / 2 - u * 12,
				  s.layout.content.y + u * 6, u * 12, u * 8 };
	px = shell_display_headless_pixels(s.display, &stride);
	size = stride * 768;
	first = malloc(size);
	second = malloc(size);
	memcpy(first, px, size);
	ctl(&s.st, "{\"event\":\"ready\",\"info\":{\"ticket\":\"111-222-333\",\"port\":51234,"
		   "\"addresses\":[\"192.168.1.20\"],\"sha256_fingerprint\":\"3F:A2\","
		   "\"xfreerdp\":\"xfreerdp /v:192.168.1.20:51234 /p:111-222-333\"}}");
	scene_frame(&s, r);
	memcpy(second, shell_display_headless_pixels(s.display, &stride), size);
	ck_assert_msg(differ_share(first, second, stride, qr) > 0.2,
		      "the QR code did not change with the ticket (%.3f)",
		      differ_share(first, second, stride, qr));
	/* no command (an older server): no code, the panel still shows the ticket */
	ctl(&s.st, "{\"event\":\"ready\",\"info\":{\"ticket\":\"111-222-333\",\"port\":51234,"
		   "\"addresses\":[\"192.168.1.20\"],\"sha256_fingerprint\":\"3F:A2\"}}");
	scene_frame(&s, r);
	px = shell_display_headless_pixels(s.display, &stride);
	for (int y = qr.y; y < qr.y + qr.h; y++) {
		for (int x = qr.x; x < qr.x + qr.w; x++) {
			ck_assert_msg(px[(size_t)y * stride + (size_t)x * 4] > 200,
				      "a dark pixel at %d,%d where no code should be", x, y);
		}
	}
	free(first);
	free(second);
	scene_fini(&s);
}
END_TEST

START_TEST(qr_text)
{
	struct shell_control_event ev = test_event(INFO_EVENT);
	char buf[640];

	ck_assert_int_gt(shell_render_qr_text(&ev.info, NULL, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, INFO_XFREERDP "\n# other addresses: fd00::20");
	/* too small: nothing half-written */
	ck_assert_int_eq(shell_render_qr_text(&ev.info, NULL, buf, 100), -ENOSPC);
	ck_assert_int_eq(shell_render_qr_text(&ev.info, NULL, buf, sizeof(INFO_XFREERDP) + 5),
			 -ENOSPC);
	ck_assert_str_eq(buf, "");
	ev.info.n_addresses = 1;
	ck_assert_int_eq(shell_render_qr_text(&ev.info, NULL, buf, sizeof(buf)),
			 (int)strlen(INFO_XFREERDP));
	/* the tunnel up: where the helpdesk finds it, on a line of its own */
	struct shell_reverse_info rv = { .state = "up",
					 .bastion = "lifeline@bastion.example:2222",
					 .port = 40123 };

	ck_assert_int_gt(shell_render_qr_text(&ev.info, &rv, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, INFO_XFREERDP "\n# through the helpdesk's server: bastion.example "
					    "port 40123");
	ev.info.xfreerdp[0] = '\0';
	ck_assert_int_eq(shell_render_qr_text(&ev.info, NULL, buf, sizeof(buf)), -ENODATA);
	shell_control_event_clear(&ev);
}
END_TEST

START_TEST(unknown_display_is_an_error)
{
	struct shell_display_options o = { .backend = "vnc" };
	struct shell_display *d = NULL;

	ck_assert_int_eq(shell_display_create(&o, &d), -EINVAL);
	ck_assert_ptr_null(d);
	shell_display_destroy(NULL);
}
END_TEST

START_TEST(ticket_and_fingerprint_forms)
{
	char buf[64];

	shell_render_group_ticket("482-915-307", buf, sizeof(buf));
	ck_assert_str_eq(buf, "482 915 307");
	shell_render_group_ticket("482915307", buf, sizeof(buf));
	ck_assert_str_eq(buf, "482 915 307");
	shell_render_short_fingerprint("3F:A2:19:C4:00:11:22:33:44:55:66:77:88:01:7B:E2", buf,
				       sizeof(buf));
	ck_assert_str_eq(buf, "3F:A2:19:C4 … 88:01:7B:E2");
	shell_render_short_fingerprint("AB:CD", buf, sizeof(buf));
	ck_assert_str_eq(buf, "AB:CD");
	shell_render_group_thumbprint("0123456789abcdef0123456789abcdef01234567", buf, sizeof(buf));
	ck_assert_str_eq(buf, "01234567 89abcdef 01234567 89abcdef 01234567");
	shell_render_group_thumbprint("0123456789", buf, 6);
	ck_assert_str_eq(buf, "0123");
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("shell-render");
	TCase *tc = tcase_create("render");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ref_start);
	tcase_add_test(tc, ref_remote_waiting);
	tcase_add_test(tc, ref_session_banner);
	tcase_add_test(tc, ref_session_changes);
	tcase_add_test(tc, ref_revoked);
	tcase_add_test(tc, damage_matches_full_redraw);
	tcase_add_test(tc, ref_remote_full_fingerprint);
	tcase_add_test(tc, qr_follows_ticket);
	tcase_add_test(tc, ref_remote_announce_failed);
	tcase_add_test(tc, ref_remote_reverse);
	tcase_add_test(tc, qr_text);
	tcase_add_test(tc, unknown_display_is_an_error);
	tcase_add_test(tc, ticket_and_fingerprint_forms);
	suite_add_tcase(s, tc);
	return s;
}
