#include "render.h"

#include <cairo.h>
#include <errno.h>
#include <pango/pangocairo.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control-event.h"
#include "term.h"

#define UI_FONT   "DejaVu Sans"
#define MONO_FONT "DejaVu Sans Mono"

struct rgb {
	double r, g, b;
};

static const struct rgb c_header_bg = { 0.043, 0.239, 0.380 };
static const struct rgb c_header_fg = { 1, 1, 1 };
static const struct rgb c_header_dim = { 0.70, 0.82, 0.92 };
static const struct rgb c_list_bg = { 0.941, 0.953, 0.965 };
static const struct rgb c_list_sel = { 0.812, 0.890, 0.969 };
static const struct rgb c_list_sel_dim = { 0.871, 0.890, 0.910 };
static const struct rgb c_focus = { 0.082, 0.396, 0.753 };
static const struct rgb c_text = { 0.10, 0.10, 0.10 };
static const struct rgb c_text_dim = { 0.36, 0.38, 0.40 };
static const struct rgb c_tabs_bg = { 0.867, 0.890, 0.918 };
static const struct rgb c_tab = { 0.773, 0.808, 0.847 };
static const struct rgb c_panel_bg = { 1, 1, 1 };
static const struct rgb c_ticket = { 0.043, 0.239, 0.380 };
static const struct rgb c_term_bg = { 0, 0, 0 };
static const struct rgb c_banner = { 0.847, 0.263, 0.082 };
static const struct rgb c_ok = { 0.18, 0.49, 0.20 };
static const struct rgb c_warn = { 0.75, 0.21, 0.05 };
static const struct rgb c_state_on = { 1.0, 0.72, 0.30 };
static const struct rgb c_button = { 0.082, 0.396, 0.753 };
static const struct rgb c_button_off = { 0.70, 0.72, 0.75 };

#define POINTER_MAX 128

struct shell_render {
	int width, height;
	cairo_surface_t *surface;
	cairo_t *cr;
	PangoContext *pango;
	PangoLayout *layout;
	PangoLayout *term_layout;
	int term_unit;
	int cell_w, cell_h;
	shell_render_term_fn term_fn;
	void *term_data;

	int ptr_x, ptr_y;
	bool ptr_visible;
	bool ptr_drawn;
	struct shell_rect ptr_rect;
	uint32_t ptr_saved[POINTER_MAX * POINTER_MAX];

	/* The QR code drawn last, and its text (it holds the ticket: wiped when replaced) */
	QRcode *qr;
	char qr_text[640];
};

/* Forgets the QR code drawn last: it and its text hold the ticket. */
static void qr_drop(struct shell_render *r)
{
	if (r->qr) {
		explicit_bzero(r->qr->data, (size_t)r->qr->width * (size_t)r->qr->width);
		QRcode_free(r->qr);
		r->qr = NULL;
	}
	explicit_bzero(r->qr_text, sizeof(r->qr_text));
}

int shell_render_create(int width, int height, struct shell_render **ret)
{
	struct shell_render *r;
	cairo_font_options_t *fo;

	if (width <= 0 || height <= 0) {
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		return -ENOMEM;
	}
	r->width = width;
	r->height = height;
	r->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
	if (cairo_surface_status(r->surface) != CAIRO_STATUS_SUCCESS) {
		goto err;
	}
	r->cr = cairo_create(r->surface);
	r->pango = pango_cairo_create_context(r->cr);
	/* Grey antialiasing and no hinting: the same pixels on every screen and in every test. */
	fo = cairo_font_options_create();
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	pango_cairo_context_set_font_options(r->pango, fo);
	cairo_font_options_destroy(fo);
	pango_cairo_context_set_resolution(r->pango, 96);
	r->layout = pango_layout_new(r->pango);
	r->term_layout = pango_layout_new(r->pango);
	cairo_set_source_rgb(r->cr, c_panel_bg.r, c_panel_bg.g, c_panel_bg.b);
	cairo_paint(r->cr);
	*ret = r;
	return 0;
err:
	shell_render_destroy(r);
	return -ENOMEM;
}

void shell_render_destroy(struct shell_render *r)
{
	if (!r) {
		return;
	}
	qr_drop(r);
	if (r->layout) {
		g_object_unref(r->layout);
	}
	if (r->term_layout) {
		g_object_unref(r->term_layout);
	}
	if (r->pango) {
		g_object_unref(r->pango);
	}
	if (r->cr) {
		cairo_destroy(r->cr);
	}
	if (r->surface) {
		cairo_surface_destroy(r->surface);
	}
	free(r);
}

void shell_render_set_term_lookup(struct shell_render *r, shell_render_term_fn fn, void *data)
{
	r->term_fn = fn;
	r->term_data = data;
}

const uint8_t *shell_render_pixels(const struct shell_render *r, size_t *ret_stride)
{
	cairo_surface_flush(r->surface);
	*ret_stride = (size_t)cairo_image_surface_get_stride(r->surface);
	return cairo_image_surface_get_data(r->surface);
}

static void update_term_font(struct shell_render *r, int unit)
{
	PangoFontDescription *fd;
	PangoFontMetrics *m;
	int px = unit * 4 / 5;

	if (r->term_unit == unit) {
		return;
	}
	fd = pango_font_description_from_string(MONO_FONT);
	pango_font_description_set_absolute_size(fd, px * PANGO_SCALE);
	pango_layout_set_font_description(r->term_layout, fd);
	m = pango_context_get_metrics(r->pango, fd, NULL);
	r->cell_w =
		(pango_font_metrics_get_approximate_char_width(m) + PANGO_SCALE / 2) / PANGO_SCALE;
	r->cell_h = (pango_font_metrics_get_ascent(m) + pango_font_metrics_get_descent(m) +
		     PANGO_SCALE - 1) /
		    PANGO_SCALE;
	if (r->cell_w < 1) {
		r->cell_w = 1;
	}
	if (r->cell_h < 1) {
		r->cell_h = 1;
	}
	pango_font_metrics_unref(m);
	pango_font_description_free(fd);
	r->term_unit = unit;
}

void shell_render_cell_size(struct shell_render *r, const struct shell_layout *l, int *ret_w,
			    int *ret_h)
{
	update_term_font(r, l->unit);
	*ret_w = r->cell_w;
	*ret_h = r->cell_h;
}

void shell_render_term_grid(struct shell_render *r, const struct shell_layout *l,
			    unsigned *ret_cols, unsigned *ret_rows)
{
	int pad = l->unit / 2, cw, ch;
	/* Room for the "finished" line under a pane. */
	int foot = l->unit * 2;

	shell_render_cell_size(r, l, &cw, &ch);
	*ret_cols = (unsigned)((l->content.w - 2 * pad) / cw);
	*ret_rows = (unsigned)((l->content.h - 2 * pad - foot) / ch);
}

/* ---- text helpers ---- */

enum text_flags {
	TEXT_BOLD = 1 << 0,
	TEXT_MONO = 1 << 1,
	TEXT_WRAP = 1 << 2,
	TEXT_RIGHT = 1 << 3,
	TEXT_CENTER = 1 << 4,
};

/* Draws text at (x, y) (top-left), at most w wide. Returns the height used. */
static int text(struct shell_render *r, const char *s, int x, int y, int w, double px,
		unsigned flags, struct rgb c)
{
	PangoFontDescription *fd =
		pango_font_description_from_string(flags & TEXT_MONO ? MONO_FONT : UI_FONT);
	PangoLayout *lay = r->layout;
	int tw, th;

	pango_font_description_set_absolute_size(fd, px * PANGO_SCALE);
	if (flags & TEXT_BOLD) {
		pango_font_description_set_weight(fd, PANGO_WEIGHT_BOLD);
	}
	pango_layout_set_font_description(lay, fd);
	pango_font_description_free(fd);
	pango_layout_set_text(lay, s, -1);
	pango_layout_set_width(lay, w > 0 ? w * PANGO_SCALE : -1);
	if (flags & TEXT_WRAP) {
		pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
		pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_NONE);
	} else {
		pango_layout_set_ellipsize(lay, w > 0 ? PANGO_ELLIPSIZE_END : PANGO_ELLIPSIZE_NONE);
	}
	pango_layout_set_alignment(lay, flags & TEXT_RIGHT    ? PANGO_ALIGN_RIGHT
					: flags & TEXT_CENTER ? PANGO_ALIGN_CENTER
							      : PANGO_ALIGN_LEFT);
	pango_layout_get_pixel_size(lay, &tw, &th);
	cairo_set_source_rgb(r->cr, c.r, c.g, c.b);
	cairo_move_to(r->cr, x, y);
	pango_cairo_show_layout(r->cr, lay);
	return th;
}

static void fill(struct shell_render *r, const struct shell_rect *rc, struct rgb c)
{
	cairo_set_source_rgb(r->cr, c.r, c.g, c.b);
	cairo_rectangle(r->cr, rc->x, rc->y, rc->w, rc->h);
	cairo_fill(r->cr);
}

static void rounded(struct shell_render *r, const struct shell_rect *rc, double radius)
{
	double x = rc->x, y = rc->y, w = rc->w, h = rc->h;

	cairo_new_sub_path(r->cr);
	cairo_arc(r->cr, x + w - radius, y + radius, radius, -G_PI / 2, 0);
	cairo_arc(r->cr, x + w - radius, y + h - radius, radius, 0, G_PI / 2);
	cairo_arc(r->cr, x + radius, y + h - radius, radius, G_PI / 2, G_PI);
	cairo_arc(r->cr, x + radius, y + radius, radius, G_PI, 3 * G_PI / 2);
	cairo_close_path(r->cr);
}

static void button(struct shell_render *r, const struct shell_layout *l,
		   const struct shell_rect *rc, const char *label, bool enabled, bool inverse)
{
	struct rgb bg = enabled ? (inverse ? c_header_fg : c_button) : c_button_off;
	struct rgb fg = inverse ? c_banner : c_header_fg;
	/* labels are made for twelve units; a narrower button (a small screen) smaller text */
	double px = l->unit * 0.85;
	int th = l->unit * 5 / 4;

	if (rc->w < l->unit * 12) {
		px = px * rc->w / (l->unit * 12);
		th = th * rc->w / (l->unit * 12);
	}
	rounded(r, rc, l->unit / 3.0);
	cairo_set_source_rgb(r->cr, bg.r, bg.g, bg.b);
	cairo_fill(r->cr);
	text(r, label, rc->x, rc->y + (rc->h - th) / 2, rc->w, px, TEXT_BOLD | TEXT_CENTER, fg);
}

static void format_hhmm(time_t t, int tz_min, char *out, size_t size)
{
	time_t local = t + (time_t)tz_min * 60;
	struct tm tm;

	gmtime_r(&local, &tm);
	snprintf(out, size, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

void shell_render_group_ticket(const char *ticket, char *out, size_t size)
{
	size_t o = 0, digits = 0;

	for (const char *p = ticket; *p && o + 2 < size; p++) {
		if (*p < '0' || *p > '9') {
			continue;
		}
		if (digits && digits % 3 == 0) {
			out[o++] = ' ';
		}
		out[o++] = *p;
		digits++;
	}
	out[o] = '\0';
}

void shell_render_short_fingerprint(const char *fp, char *out, size_t size)
{
	size_t len = strlen(fp);

	/* First and last four bytes ("AB:CD:EF:01"): enough to compare by eye or read aloud. */
	if (len <= 24) {
		snprintf(out, size, "%s", fp);
		return;
	}
	snprintf(out, size, "%.11s … %s", fp, fp + len - 11);
}

void shell_render_group_thumbprint(const char *hex, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0) {
		return;
	}
	for (size_t i = 0; hex[i] && o + 2 < size; i++) {
		if (i && i % 8 == 0) {
			out[o++] = ' ';
		}
		out[o++] = hex[i];
	}
	out[o] = '\0';
}

int shell_render_qr_text(const struct shell_conninfo *ci, const struct shell_reverse_info *rv,
			 char *out, size_t size)
{
	size_t o;
	int n;

	if (!ci->xfreerdp[0]) {
		return -ENODATA;
	}
	n = snprintf(out, size, "%s", ci->xfreerdp);
	if (n < 0 || (size_t)n >= size) {
		return -ENOSPC;
	}
	o = (size_t)n;
	/* the server's command names the first address; the others, for a helpdesk elsewhere */
	for (size_t i = 1; i < ci->n_addresses; i++) {
		n = snprintf(out + o, size - o, "%s%s", i == 1 ? "\n# other addresses: " : " ",
			     ci->addresses[i]);
		if (n < 0 || (size_t)n >= size - o) {
			explicit_bzero(out, size);
			return -ENOSPC;
		}
		o += (size_t)n;
	}
	if (rv && strcmp(rv->state, "up") == 0 && rv->port) {
		const char *host = strchr(rv->bastion, '@');

		host = host ? host + 1 : rv->bastion;
		n = snprintf(out + o, size - o, "\n# through the helpdesk's server: %.*s port %u",
			     (int)strcspn(host, ":"), host, rv->port);
		if (n < 0 || (size_t)n >= size - o) {
			explicit_bzero(out, size);
			return -ENOSPC;
		}
		o += (size_t)n;
	}
	return (int)o;
}

/* ---- regions ---- */

static void draw_header(struct shell_render *r, const struct shell_state *st,
			const struct shell_layout *l)
{
	int u = l->unit, right_w = u * 24;
	char line[512], hhmm[16];
	size_t o = 0;
	struct rgb sc;

	fill(r, &l->header, c_header_bg);
	text(r, st->hostname[0] ? st->hostname : "Lifeline", u, u / 4, l->width - right_w - 2 * u,
	     u * 1.15, TEXT_BOLD, c_header_fg);
	line[0] = '\0';
	for (size_t i = 0; i < st->n_host_addrs && o < sizeof(line) - 2; i++) {
		int n = snprintf(line + o, sizeof(line) - o, "%s%s", i ? "   " : "",
				 st->host_addrs[i]);

		if (n < 0) {
			break;
		}
		o += (size_t)n < sizeof(line) - o ? (size_t)n : sizeof(line) - o - 1;
	}
	text(r, st->n_host_addrs ? line : "no network address", u, u * 3 / 2,
	     l->width - right_w - 2 * u, u * 0.75, 0, c_header_dim);

	format_hhmm(st->now, st->tz_offset_min, hhmm, sizeof(hhmm));
	snprintf(line, sizeof(line), "Keyboard: %s     %s", st->keymap, hhmm);
	text(r, line, l->width - right_w - u, u / 4, right_w, u * 1.0, TEXT_BOLD | TEXT_RIGHT,
	     c_header_fg);
	if (st->phase == SHELL_REMOTE_IN_USE) {
		snprintf(line, sizeof(line), "Remote Connection: %s%s", st->peer,
			 st->view_only ? " (view only)" : " (control)");
		sc = c_state_on;
	} else {
		snprintf(line, sizeof(line), "Remote Connection: %s",
			 shell_state_phase_text(st->phase));
		sc = st->phase == SHELL_REMOTE_WAITING ? (struct rgb){ 0.6, 0.9, 0.6 }
						       : c_header_dim;
	}
	text(r, line, l->width - right_w - u, u * 3 / 2, right_w, u * 0.75, TEXT_RIGHT, sc);
}

static void draw_list(struct shell_render *r, const struct shell_state *st,
		      const struct shell_layout *l)
{
	int u = l->unit, row_h = l->tool_row_h;
	/* Titles and descriptions get a little smaller when the rows are closer than three
	 * units (layout.c keeps them at least 1.8 units apart). */
	double title_px = row_h * 0.38 < u * 0.95 ? row_h * 0.38 : u * 0.95;
	double desc_px = row_h * 0.32 < u * 0.62 ? row_h * 0.32 : u * 0.62;

	fill(r, &l->list, c_list_bg);
	text(r, "TOOLS", u, l->list.y + u / 5, l->list.w - 2 * u, u * 0.6, TEXT_BOLD, c_text_dim);
	for (size_t i = 0; i < l->n_tools; i++) {
		const struct shell_rect *rc = &l->tool_rows[i];
		const struct shell_tool *t = &st->tools[i];
		char num[8];

		if (i == st->selected) {
			rounded(r, rc, u / 4.0);
			if (st->focus == SHELL_FOCUS_LIST) {
				cairo_set_source_rgb(r->cr, c_list_sel.r, c_list_sel.g,
						     c_list_sel.b);
				cairo_fill_preserve(r->cr);
				cairo_set_source_rgb(r->cr, c_focus.r, c_focus.g, c_focus.b);
				cairo_set_line_width(r->cr, u / 8.0 > 1 ? u / 8.0 : 1);
				cairo_stroke(r->cr);
			} else {
				cairo_set_source_rgb(r->cr, c_list_sel_dim.r, c_list_sel_dim.g,
						     c_list_sel_dim.b);
				cairo_fill(r->cr);
			}
		}
		/* Digits 1-9 open a tool from the list (state.c); later rows have no number. */
		if (i < 9) {
			snprintf(num, sizeof(num), "%zu", i + 1);
			text(r, num, rc->x + u / 3, rc->y + row_h / 9, u, u * 0.8, TEXT_BOLD,
			     c_text_dim);
		}
		text(r, t->title, rc->x + u * 3 / 2, rc->y + row_h / 12, rc->w - u * 2, title_px,
		     TEXT_BOLD, t->kind == SHELL_TOOL_REMOTE ? c_focus : c_text);
		text(r, t->description, rc->x + u * 3 / 2, rc->y + row_h / 2, rc->w - u * 2,
		     desc_px, 0, c_text_dim);
	}
	/* A hint at the bottom: how to get around without a mouse. */
	text(r, "Arrows + Enter to open · F1 tools · F2 next pane", u / 2,
	     l->list.y + l->list.h - u * 3 / 2, l->list.w - u, u * 0.55, 0, c_text_dim);
}

static void draw_tabs(struct shell_render *r, const struct shell_state *st,
		      const struct shell_layout *l)
{
	int u = l->unit;

	fill(r, &l->tabs, c_tabs_bg);
	for (size_t i = 0; i < l->n_tabs; i++) {
		const struct shell_rect *rc = &l->tab_rects[i];
		int idx = l->tab_index[i];
		bool active;
		char title[96];

		if (idx < 0) {
			active = st->view == SHELL_VIEW_REMOTE;
			snprintf(title, sizeof(title), "Remote Connection");
		} else {
			const struct shell_pane *p = &st->panes[idx];

			active = st->view == SHELL_VIEW_PANE && st->active_pane == (size_t)idx;
			snprintf(title, sizeof(title), "%s%s", st->tools[p->tool].title,
				 p->exited ? " (done)" : "");
		}
		cairo_set_source_rgb(r->cr, active ? c_panel_bg.r : c_tab.r,
				     active ? c_panel_bg.g : c_tab.g,
				     active ? c_panel_bg.b : c_tab.b);
		cairo_rectangle(r->cr, rc->x, rc->y, rc->w, rc->h + u / 4);
		cairo_fill(r->cr);
		text(r, title, rc->x + u / 2, rc->y + u / 4, rc->w - u, u * 0.75,
		     active ? TEXT_BOLD : 0, c_text);
	}
}

static int draw_kv(struct shell_render *r, const char *label, const char *value, int x, int y,
		   int w, double px, unsigned flags, struct rgb c, int u)
{
	int h = text(r, label, x, y, w, u * 0.65, TEXT_BOLD, c_text_dim);

	return h + text(r, value, x, y + h, w, px, flags, c);
}

/* The QR code of `payload` (encoded once per new text) in a square of at most `size` pixels
 * at x, y, quiet zone included; whole pixels per module. Returns the side drawn, 0 if none. */
static int draw_qr(struct shell_render *r, const char *payload, int x, int y, int size)
{
	int px, side;

	if (!r->qr || strcmp(payload, r->qr_text) != 0) {
		qr_drop(r);
		/* M: a photo of a screen has glare and moiré; 8-bit: the text as it is */
		r->qr = QRcode_encodeString8bit(payload, 0, QR_ECLEVEL_M);
		if (!r->qr) {
			return 0;
		}
		snprintf(r->qr_text, sizeof(r->qr_text), "%s", payload);
	}
	/* four modules of quiet zone on each side, as the standard asks */
	px = size / (r->qr->width + 8);
	if (px < 2) {
		return 0;
	}
	side = px * (r->qr->width + 8);
	fill(r, &(struct shell_rect){ x, y, side, side }, (struct rgb){ 1, 1, 1 });
	cairo_set_source_rgb(r->cr, 0, 0, 0);
	for (int my = 0; my < r->qr->width; my++) {
		for (int mx = 0; mx < r->qr->width; mx++) {
			if (r->qr->data[my * r->qr->width + mx] & 1) {
				cairo_rectangle(r->cr, x + (mx + 4) * px, y + (my + 4) * px, px,
						px);
			}
		}
	}
	cairo_fill(r->cr);
	return side;
}

/* The tunnel through the helpdesk's bastion: where the helpdesk connects, or why not yet and
 * the machine key to authorise there. Returns the height used. */
static int draw_reverse(struct shell_render *r, const struct shell_state *st, int x, int y, int w,
			int u)
{
	char buf[400];
	int y0 = y;

	if (!st->reverse.state[0]) {
		return 0;
	}
	y += u / 4;
	y += text(r, "THROUGH THE HELPDESK'S SERVER", x, y, w, u * 0.65, TEXT_BOLD, c_text_dim);
	if (strcmp(st->reverse.state, "up") == 0) {
		const char *host = strchr(st->reverse.bastion, '@');

		snprintf(buf, sizeof(buf), "%.*s port %u",
			 (int)strcspn(host ? host + 1 : st->reverse.bastion, ":"),
			 host ? host + 1 : st->reverse.bastion, st->reverse.port);
		return y - y0 +
		       text(r, buf, x, y, w, u * 1.1, TEXT_MONO | TEXT_BOLD | TEXT_WRAP, c_ticket);
	}
	if (strcmp(st->reverse.state, "down") == 0) {
		snprintf(buf, sizeof(buf), "Not connected to %s: %s Next try in %u s.",
			 st->reverse.bastion, st->reverse.reason, st->reverse.retry_s);
	} else {
		snprintf(buf, sizeof(buf), "Connecting to %s…", st->reverse.bastion);
	}
	y += text(r, buf, x, y, w, u * 0.7, TEXT_WRAP, c_warn);
	if (st->reverse.machine_key[0]) {
		y += text(r, "This computer's key, for the helpdesk to authorise:", x, y, w,
			  u * 0.65, 0, c_text_dim);
		y += text(r, st->reverse.machine_key, x, y, w, u * 0.6, TEXT_MONO | TEXT_WRAP,
			  c_text);
	}
	return y - y0;
}

/* The certificate: the SHA-1 thumbprint that mstsc shows, and the SHA-256 fingerprint that
 * xfreerdp pins (its ends, or in full after F). Returns the height used. */
static int draw_certificate(struct shell_render *r, const struct shell_state *st, int x, int y,
			    int w, int u)
{
	const char *fp = st->info.sha256_fingerprint;
	char buf[160], line[128];
	int y0 = y, lw = u * 6;

	y += text(r, "CERTIFICATE", x, y, w, u * 0.65, TEXT_BOLD, c_text_dim);
	if (st->info.sha1_thumbprint[0]) {
		shell_render_group_thumbprint(st->info.sha1_thumbprint, buf, sizeof(buf));
		text(r, "SHA-1 (mstsc)", x, y + u / 8, lw, u * 0.7, 0, c_text_dim);
		y += text(r, buf, x + lw, y, w - lw, u * 0.85, TEXT_MONO, c_text);
	}
	if (!fp[0]) {
		return y - y0;
	}
	text(r, "SHA-256", x, y + u / 8, lw, u * 0.7, 0, c_text_dim);
	if (!st->full_fingerprint) {
		shell_render_short_fingerprint(fp, line, sizeof(line));
		snprintf(buf, sizeof(buf), "%s    (F: in full)", line);
		y += text(r, buf, x + lw, y, w - lw, u * 0.85, TEXT_MONO, c_text);
		return y - y0;
	}
	/* 32 bytes as two lines of 16 ("AB:CD:…" is 47 characters each) */
	for (size_t off = 0, len = strlen(fp); off < len; off += 48) {
		snprintf(line, sizeof(line), "%.47s", fp + off);
		y += text(r, line, x + lw, y, w - lw, u * 0.85, TEXT_MONO, c_text);
	}
	return y - y0;
}

static void draw_remote(struct shell_render *r, const struct shell_state *st,
			const struct shell_layout *l)
{
	int u = l->unit, x = l->content.x + u * 3 / 2, y = l->content.y + u;
	int w = l->content.w - u * 3;
	char buf[512], hhmm[16];
	bool attached = st->phase != SHELL_REMOTE_OFF && st->phase != SHELL_REMOTE_STARTING &&
			st->phase != SHELL_REMOTE_FAILED;
	bool live = st->phase == SHELL_REMOTE_WAITING || st->phase == SHELL_REMOTE_IN_USE;

	fill(r, &l->content, c_panel_bg);
	y += text(r, "Remote Connection", x, y, w, u * 1.5, TEXT_BOLD, c_text) + u / 2;

	switch (st->phase) {
	case SHELL_REMOTE_OFF:
		y += text(r,
			  "Let the helpdesk see this screen and work on this computer over the "
			  "network. Press N or click New ticket to start.",
			  x, y, w, u * 0.9, TEXT_WRAP, c_text);
		break;
	case SHELL_REMOTE_STARTING:
		y += text(r, "Starting Remote Connection…", x, y, w, u * 0.9, 0, c_text);
		break;
	case SHELL_REMOTE_FAILED:
		y += text(r,
			  "Remote Connection is not running. Press N or click New ticket to try "
			  "again.",
			  x, y, w, u * 0.9, TEXT_WRAP, c_warn);
		break;
	case SHELL_REMOTE_REVOKED:
		snprintf(buf, sizeof(buf),
			 "The ticket was revoked after %d wrong tries. Nobody can connect with it. "
			 "Press N or click New ticket for a fresh one.",
			 st->failures);
		y += text(r, buf, x, y, w, u * 0.9, TEXT_WRAP, c_warn);
		break;
	case SHELL_REMOTE_EXPIRED:
		y += text(r,
			  "The ticket expired before anyone used it. Press N or click New ticket "
			  "for a fresh one.",
			  x, y, w, u * 0.9, TEXT_WRAP, c_warn);
		break;
	case SHELL_REMOTE_ENDED:
		y += text(r,
			  "Remote Connection ended; the old ticket no longer works. Press N or "
			  "click New ticket to let the helpdesk in again.",
			  x, y, w, u * 0.9, TEXT_WRAP, c_text);
		break;
	case SHELL_REMOTE_WAITING:
		y += text(r,
			  st->info.xfreerdp[0]
				  ? "Read these to the helpdesk, or send them a photo of the code:"
				  : "Read these to the helpdesk:",
			  x, y, w, u * 0.9, 0, c_text);
		break;
	case SHELL_REMOTE_IN_USE:
		format_hhmm(st->since, st->tz_offset_min, hhmm, sizeof(hhmm));
		snprintf(buf, sizeof(buf), "The helpdesk at %s is connected since %s and %s.",
			 st->peer, hhmm,
			 st->view_only ? "can only watch" : "can control this computer");
		y += text(r, buf, x, y, w, u * 0.9, TEXT_WRAP | TEXT_BOLD, c_banner);
		break;
	}
	y += u / 2;

	if (live && st->have_info) {
		char ticket[64], port[16], qr_text[640];
		int left_w = w, qr_side = 0, top = y, col2;

		/* While waiting, the QR code on the right: the helpdesk scans a photo of the
		 * screen instead of taking dictation. */
		if (st->phase == SHELL_REMOTE_WAITING &&
		    shell_render_qr_text(&st->info, &st->reverse, qr_text, sizeof(qr_text)) > 0) {
			int size = w * 2 / 5 < u * 15 ? w * 2 / 5 : u * 15;

			qr_side = draw_qr(r, qr_text, x + w - size, y, size);
			explicit_bzero(qr_text, sizeof(qr_text));
			if (qr_side) {
				left_w = w - size - u;
				text(r, "Scan: the connection in one command", x + w - size,
				     y + qr_side, size, u * 0.6, TEXT_CENTER, c_text_dim);
			}
		}
		col2 = x + left_w / 2;
		shell_render_group_ticket(st->info.ticket, ticket, sizeof(ticket));
		y += draw_kv(r, "TICKET", ticket, x, y, left_w, u * 3.2, TEXT_BOLD | TEXT_MONO,
			     c_ticket, u);
		y += u / 2;
		snprintf(port, sizeof(port), "%u", st->info.port);
		y += draw_kv(r, "PORT", port, x, y, left_w, u * 2.0, TEXT_BOLD | TEXT_MONO,
			     c_ticket, u);
		y += u / 2;
		y += text(r, st->info.n_addresses == 1 ? "ADDRESS" : "ADDRESSES", x, y, left_w,
			  u * 0.65, TEXT_BOLD, c_text_dim);
		for (size_t i = 0; i < st->info.n_addresses; i++) {
			/* Two columns when there are many. */
			int cx = (i % 2) ? col2 : x;

			if (st->info.n_addresses <= 3) {
				y += text(r, st->info.addresses[i], x, y, left_w, u * 1.25,
					  TEXT_MONO | TEXT_BOLD, c_ticket);
			} else {
				int h = text(r, st->info.addresses[i], cx, y, left_w / 2 - u / 2,
					     u * 1.1, TEXT_MONO | TEXT_BOLD, c_ticket);
				if (i % 2 || i + 1 == st->info.n_addresses) {
					y += h;
				}
			}
		}
		if (st->info.n_addresses == 0) {
			y += text(r, "none yet: open the Network tool", x, y, left_w, u * 1.0, 0,
				  c_warn);
		}
		y += draw_reverse(r, st, x, y, left_w, u);
		if (qr_side && y < top + qr_side + u) {
			y = top + qr_side + u;
		}
		y += u / 2;
		y += draw_certificate(r, st, x, y, w, u) + u / 2;
		if (st->phase == SHELL_REMOTE_WAITING) {
			if (st->failures > 0) {
				snprintf(buf, sizeof(buf),
					 "Waiting for the helpdesk… (%d wrong %s)", st->failures,
					 st->failures == 1 ? "try" : "tries");
			} else {
				snprintf(buf, sizeof(buf), "Waiting for the helpdesk…");
			}
			y += text(r, buf, x, y, w, u * 0.9, TEXT_BOLD, c_ok);
		}
		if (strcmp(st->announce_state, "sent") == 0) {
			y += text(r, "The connection info was sent to the helpdesk's server.", x, y,
				  w, u * 0.75, 0, c_ok);
		} else if (strcmp(st->announce_state, "failed") == 0) {
			snprintf(buf, sizeof(buf),
				 "Not sent to the helpdesk's server: %s. Next try in %u s.",
				 st->announce_reason, st->announce_retry_s);
			y += text(r, buf, x, y, w, u * 0.75, TEXT_WRAP, c_warn);
		} else if (strcmp(st->announce_state, "posting") == 0) {
			y += text(r, "Sending the connection info to the helpdesk's server…", x, y,
				  w, u * 0.75, 0, c_text_dim);
		}
	}
	/* What the tools changed, above the notice line: the person at the computer sees what the
	 * helpdesk did. It keeps its place; the event log above gives way to it. */
	int log_end = l->button_new_ticket.y - u * 3;

	if (st->n_changes) {
		int cy = l->button_new_ticket.y - u * 2 - (SHELL_CHANGES_LINES + 1) * u;

		log_end = cy - u;
		text(r, "CHANGES MADE WITH THE TOOLS", x, cy, w, u * 0.65, TEXT_BOLD, c_text_dim);
		for (size_t i = 0; i < st->n_changes; i++) {
			text(r, st->changes[i], x, cy + (int)(i + 1) * u, w, u * 0.7, 0, c_text);
		}
	}
	/* What happened so far, newest last. */
	for (size_t i = 0; i < st->n_log && y < log_end; i++) {
		format_hhmm(st->log[i].when, st->tz_offset_min, hhmm, sizeof(hhmm));
		snprintf(buf, sizeof(buf), "%s  %s", hhmm, st->log[i].text);
		y += text(r, buf, x, y, w, u * 0.7, 0, c_text_dim);
	}
	if (st->notice[0]) {
		text(r, st->notice, x, l->button_new_ticket.y - u * 3 / 2, w, u * 0.75, TEXT_BOLD,
		     c_warn);
	}
	button(r, l, &l->button_new_ticket, "New ticket (N)", st->phase != SHELL_REMOTE_STARTING,
	       false);
	button(r, l, &l->button_handoff, "Save to USB stick (S)", live && st->have_info, false);
	button(r, l, &l->button_view_only,
	       st->view_only ? "View only: on (F11)" : "View only: off (F11)", attached, false);
	button(r, l, &l->button_end_session, "End session (F12)", live, false);
}

static void draw_pane(struct shell_render *r, const struct shell_state *st,
		      const struct shell_layout *l)
{
	const struct shell_pane *p = shell_state_active_pane(st);
	int u = l->unit, pad = u / 2, cw, ch;
	struct shell_term *t;

	if (!p) {
		fill(r, &l->content, c_panel_bg);
		text(r, "Choose a tool on the left.", l->content.x + u * 3 / 2, l->content.y + u,
		     l->content.w - u * 3, u, 0, c_text_dim);
		return;
	}
	fill(r, &l->content, c_term_bg);
	t = r->term_fn ? r->term_fn(r->term_data, p->id) : NULL;
	if (t) {
		shell_render_cell_size(r, l, &cw, &ch);
		cairo_save(r->cr);
		cairo_rectangle(r->cr, l->content.x, l->content.y, l->content.w, l->content.h);
		cairo_clip(r->cr);
		shell_term_draw(t, r->cr, r->term_layout, l->content.x + pad, l->content.y + pad,
				cw, ch, st->focus == SHELL_FOCUS_MAIN && !p->exited);
		cairo_restore(r->cr);
	}
	if (p->exited) {
		struct shell_rect foot = { l->content.x, l->content.y + l->content.h - u * 2,
					   l->content.w, u * 2 };
		char buf[160];

		snprintf(buf, sizeof(buf), "%s finished (exit status %d). Enter closes this pane.",
			 st->tools[p->tool].title, p->exit_status);
		fill(r, &foot, c_tabs_bg);
		text(r, buf, foot.x + u, foot.y + u / 3, foot.w - 2 * u, u * 0.8, TEXT_BOLD,
		     c_text);
	} else if (st->notice[0]) {
		struct shell_rect foot = { l->content.x, l->content.y + l->content.h - u * 2,
					   l->content.w, u * 2 };

		fill(r, &foot, c_tabs_bg);
		text(r, st->notice, foot.x + u, foot.y + u / 3, foot.w - 2 * u, u * 0.8, TEXT_BOLD,
		     c_warn);
	}
}

static void draw_main(struct shell_render *r, const struct shell_state *st,
		      const struct shell_layout *l)
{
	draw_tabs(r, st, l);
	if (st->view == SHELL_VIEW_REMOTE) {
		draw_remote(r, st, l);
	} else {
		draw_pane(r, st, l);
	}
	if (st->focus == SHELL_FOCUS_MAIN) {
		struct shell_rect bar = { l->content.x, l->content.y, l->content.w,
					  l->unit / 8 + 1 };

		fill(r, &bar, c_focus);
	}
}

static void draw_banner(struct shell_render *r, const struct shell_state *st,
			const struct shell_layout *l)
{
	int u = l->unit;
	char buf[256], hhmm[16];

	if (l->banner.h == 0) {
		return;
	}
	fill(r, &l->banner, c_banner);
	format_hhmm(st->since, st->tz_offset_min, hhmm, sizeof(hhmm));
	snprintf(buf, sizeof(buf), "Helpdesk connected from %s since %s · %s", st->peer, hhmm,
		 st->view_only ? "can only watch" : "can control this computer");
	text(r, buf, u, l->banner.y + u / 4, l->button_banner_end.x - 2 * u, u * 1.0, TEXT_BOLD,
	     c_header_fg);
	text(r,
	     "F12 or the button ends the session · F11 switches view-only · only this "
	     "computer's keyboard and mouse can do this",
	     u, l->banner.y + u * 3 / 2, l->button_banner_end.x - 2 * u, u * 0.65, 0, c_header_fg);
	button(r, l, &l->button_banner_end, "End session (F12)", true, true);
}

/* ---- pointer ---- */

static struct shell_rect pointer_rect(const struct shell_render *r, int x, int y, int u)
{
	int s = u + u / 3 + 6;

	if (s > POINTER_MAX) {
		s = POINTER_MAX;
	}
	return (struct shell_rect){ x, y, s * 2 / 3 + 2, s };
}

static bool clip_rect(const struct shell_render *r, struct shell_rect *rc)
{
	int x0 = rc->x < 0 ? 0 : rc->x, y0 = rc->y < 0 ? 0 : rc->y;
	int x1 = rc->x + rc->w > r->width ? r->width : rc->x + rc->w;
	int y1 = rc->y + rc->h > r->height ? r->height : rc->y + rc->h;

	if (x1 <= x0 || y1 <= y0) {
		return false;
	}
	*rc = (struct shell_rect){ x0, y0, x1 - x0, y1 - y0 };
	return true;
}

static void pixels_copy(struct shell_render *r, const struct shell_rect *rc, bool save)
{
	uint8_t *data;
	int stride;

	cairo_surface_flush(r->surface);
	data = cairo_image_surface_get_data(r->surface);
	stride = cairo_image_surface_get_stride(r->surface);
	for (int row = 0; row < rc->h; row++) {
		uint32_t *px = (uint32_t *)(data + (size_t)(rc->y + row) * (size_t)stride) + rc->x;
		uint32_t *sv = r->ptr_saved + row * POINTER_MAX;

		if (save) {
			memcpy(sv, px, (size_t)rc->w * 4);
		} else {
			memcpy(px, sv, (size_t)rc->w * 4);
		}
	}
	if (!save) {
		cairo_surface_mark_dirty_rectangle(r->surface, rc->x, rc->y, rc->w, rc->h);
	}
}

static void draw_pointer(struct shell_render *r, int x, int y, int u)
{
	static const double pts[][2] = { { 0, 0 },  { 0, 16 }, { 4, 12 }, { 7, 18 },
					 { 9, 17 }, { 6, 11 }, { 11, 11 } };
	double s = (u + u / 3) / 19.0;

	/* The arrow is 12 x 19 units; pointer_rect() leaves room for the outline. */

	cairo_save(r->cr);
	cairo_translate(r->cr, x + 2, y + 2);
	cairo_scale(r->cr, s, s);
	cairo_move_to(r->cr, pts[0][0], pts[0][1]);
	for (size_t i = 1; i < sizeof(pts) / sizeof(pts[0]); i++) {
		cairo_line_to(r->cr, pts[i][0], pts[i][1]);
	}
	cairo_close_path(r->cr);
	cairo_set_source_rgb(r->cr, 1, 1, 1);
	cairo_fill_preserve(r->cr);
	cairo_set_source_rgb(r->cr, 0, 0, 0);
	cairo_set_line_width(r->cr, 1.2);
	/* Round joins: a mitred tip would poke out of the saved rectangle. */
	cairo_set_line_join(r->cr, CAIRO_LINE_JOIN_ROUND);
	cairo_stroke(r->cr);
	cairo_restore(r->cr);
}

void shell_render_set_pointer(struct shell_render *r, int x, int y, bool visible)
{
	r->ptr_x = x;
	r->ptr_y = y;
	r->ptr_visible = visible;
}

static void add_rect(struct shell_rect *out, size_t max, size_t *n, struct shell_rect rc)
{
	if (*n < max) {
		out[(*n)++] = rc;
	} else if (max > 0) {
		/* Too many: fall back to their bounding box. */
		struct shell_rect *b = &out[max - 1];
		int x0 = b->x < rc.x ? b->x : rc.x, y0 = b->y < rc.y ? b->y : rc.y;
		int x1 = b->x + b->w > rc.x + rc.w ? b->x + b->w : rc.x + rc.w;
		int y1 = b->y + b->h > rc.y + rc.h ? b->y + b->h : rc.y + rc.h;

		*b = (struct shell_rect){ x0, y0, x1 - x0, y1 - y0 };
	}
}

size_t shell_render_frame(struct shell_render *r, const struct shell_state *st,
			  const struct shell_layout *l, unsigned damage, struct shell_rect *out,
			  size_t max)
{
	size_t n = 0;
	struct shell_rect prc = pointer_rect(r, r->ptr_x, r->ptr_y, l->unit);
	bool ptr_changed = r->ptr_visible != r->ptr_drawn ||
			   (r->ptr_drawn && (prc.x != r->ptr_rect.x || prc.y != r->ptr_rect.y));

	if (!damage && !ptr_changed) {
		return 0;
	}
	/* Lift the pointer off the image, so regions redraw under it cleanly. */
	if (r->ptr_drawn) {
		pixels_copy(r, &r->ptr_rect, false);
		add_rect(out, max, &n, r->ptr_rect);
		r->ptr_drawn = false;
	}
	if ((damage & SHELL_DAMAGE_ALL) == SHELL_DAMAGE_ALL) {
		draw_header(r, st, l);
		draw_list(r, st, l);
		draw_main(r, st, l);
		draw_banner(r, st, l);
		add_rect(out, max, &n, (struct shell_rect){ 0, 0, r->width, r->height });
	} else {
		if (damage & SHELL_DAMAGE_HEADER) {
			draw_header(r, st, l);
			add_rect(out, max, &n, l->header);
		}
		if (damage & SHELL_DAMAGE_LIST) {
			draw_list(r, st, l);
			add_rect(out, max, &n, l->list);
		}
		if (damage & SHELL_DAMAGE_MAIN) {
			draw_main(r, st, l);
			add_rect(out, max, &n, l->main);
		}
		if ((damage & SHELL_DAMAGE_BANNER) && l->banner.h) {
			draw_banner(r, st, l);
			add_rect(out, max, &n, l->banner);
		}
	}
	if (r->ptr_visible) {
		struct shell_rect rc = prc;

		if (clip_rect(r, &rc)) {
			pixels_copy(r, &rc, true);
			draw_pointer(r, r->ptr_x, r->ptr_y, l->unit);
			cairo_surface_flush(r->surface);
			r->ptr_rect = rc;
			r->ptr_drawn = true;
			add_rect(out, max, &n, rc);
		}
	}
	cairo_surface_flush(r->surface);
	return n;
}

int shell_render_write_png(const struct shell_render *r, const char *path)
{
	cairo_surface_flush(r->surface);
	return cairo_surface_write_to_png(r->surface, path) == CAIRO_STATUS_SUCCESS ? 0 : -EIO;
}
