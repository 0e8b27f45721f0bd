#include "term.h"

#include <errno.h>
#include <fcntl.h>
#include <libtsm.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "paste.h"

#define TERM_SCROLLBACK 2000

struct term_cell {
	char utf8[16];
	uint8_t width;
	struct tsm_screen_attr attr;
};

struct shell_term {
	struct tsm_screen *screen;
	struct tsm_vte *vte;
	int master_fd;
	pid_t pid;
	unsigned cols, rows;
	shell_term_request_fn request_fn;
	void *request_data;
	/* Cells gathered by the tsm draw callback, drawn as runs. */
	struct term_cell *cells;
	size_t n_cells;
	int scrolled;
	/* The clipboard: bracketed paste as the program set it, OSC 52 copies. */
	struct shell_paste_mode paste_mode;
	struct shell_osc52_scanner osc52;
	shell_term_copy_fn copy_fn;
	void *copy_data;
};

static void term_write_cb(struct tsm_vte *vte, const char *u8, size_t len, void *data)
{
	struct shell_term *t = data;

	/* Best effort: a program that does not read its input loses keys rather than block us. */
	while (t->master_fd >= 0 && len > 0) {
		ssize_t n = write(t->master_fd, u8, len);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return;
		}
		u8 += n;
		len -= (size_t)n;
	}
}

/* OSC 52 from the program: copy its text to the helpdesk's clipboard. Queries ("?") are never
 * answered: a program on the console has no business reading the helpdesk's clipboard. */
static void osc52_copied(void *data, const char *text, size_t len)
{
	struct shell_term *t = data;

	if (t->copy_fn) {
		t->copy_fn(t->copy_data, t, text, len);
	}
}

/* What the program wrote, before libtsm sees it: the modes libtsm does not tell us about. */
static void watch_output(struct shell_term *t, const char *buf, size_t len)
{
	shell_paste_mode_scan(&t->paste_mode, buf, len);
	shell_osc52_scan(&t->osc52, buf, len, SHELL_TERM_MAX_COPY, osc52_copied, t);
}

static void term_osc_cb(struct tsm_vte *vte, const char *u8, size_t len, void *data)
{
	struct shell_term *t = data;
	char buf[128], *eq;
	const char *prefix = "777;lifeline;";

	if (len >= 3 && memcmp(u8, "52;", 3) == 0) {
		return; /* cut at 127 bytes by libtsm: watch_output() has the whole of it */
	}
	if (!t->request_fn || len >= sizeof(buf) || len <= strlen(prefix) ||
	    memcmp(u8, prefix, strlen(prefix)) != 0) {
		return;
	}
	memcpy(buf, u8, len);
	buf[len] = '\0';
	eq = strchr(buf + strlen(prefix), '=');
	if (!eq) {
		return;
	}
	*eq = '\0';
	t->request_fn(t->request_data, t, buf + strlen(prefix), eq + 1);
}

static int term_alloc(unsigned cols, unsigned rows, struct shell_term **ret)
{
	struct shell_term *t = calloc(1, sizeof(*t));
	int r;

	if (!t) {
		return -ENOMEM;
	}
	t->master_fd = -1;
	t->pid = -1;
	r = tsm_screen_new(&t->screen, NULL, NULL);
	if (r < 0) {
		goto err_free;
	}
	tsm_screen_set_max_sb(t->screen, TERM_SCROLLBACK);
	r = tsm_vte_new(&t->vte, t->screen, term_write_cb, t, NULL, NULL);
	if (r < 0) {
		goto err_screen;
	}
	tsm_vte_set_osc_cb(t->vte, term_osc_cb, t);
	r = shell_term_resize(t, cols, rows);
	if (r < 0) {
		goto err_vte;
	}
	*ret = t;
	return 0;

err_vte:
	tsm_vte_unref(t->vte);
err_screen:
	tsm_screen_unref(t->screen);
err_free:
	free(t);
	return r < 0 ? r : -ENOMEM;
}

int shell_term_new_virtual(unsigned cols, unsigned rows, struct shell_term **ret)
{
	return term_alloc(cols, rows, ret);
}

static void child_exec(const char *slave, const char *const *argv, const char *const *env,
		       unsigned cols, unsigned rows)
{
	sigset_t none;
	int fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++) {
		signal(s, SIG_DFL);
	}
	if (setsid() < 0) {
		_exit(127);
	}
	fd = open(slave, O_RDWR);
	if (fd < 0) {
		_exit(127);
	}
	ioctl(fd, TIOCSCTTY, 0);
	struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
	ioctl(fd, TIOCSWINSZ, &ws);
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
		_exit(127);
	}
	if (fd > 2) {
		close(fd);
	}
	setenv("TERM", "xterm-256color", 1);
	setenv("COLORTERM", "truecolor", 1);
	if (!getenv("LANG")) {
		setenv("LANG", "C.UTF-8", 1);
	}
	for (size_t i = 0; env && env[i]; i++) {
		putenv((char *)env[i]);
	}
	execv(argv[0], (char *const *)argv);
	dprintf(2, "lifeline-shell: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int shell_term_spawn(const char *const *argv, const char *const *env, unsigned cols, unsigned rows,
		     struct shell_term **ret)
{
	struct shell_term *t;
	char slave[64];
	int fd, r;
	pid_t pid;

	fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	if (grantpt(fd) < 0 || unlockpt(fd) < 0 || ptsname_r(fd, slave, sizeof(slave)) != 0) {
		r = -errno;
		goto err_fd;
	}
	r = term_alloc(cols, rows, &t);
	if (r < 0) {
		goto err_fd;
	}
	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto err_term;
	}
	if (pid == 0) {
		child_exec(slave, argv, env, cols, rows);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	t->master_fd = fd;
	t->pid = pid;
	shell_term_resize(t, cols, rows);
	*ret = t;
	return 0;

err_term:
	shell_term_destroy(t);
err_fd:
	close(fd);
	return r;
}

void shell_term_destroy(struct shell_term *t)
{
	if (!t) {
		return;
	}
	if (t->master_fd >= 0) {
		close(t->master_fd);
	}
	if (t->pid > 0) {
		/* Closing the master hangs up the session; make sure a tool ignoring it goes too.
		 */
		kill(-t->pid, SIGHUP);
	}
	tsm_vte_unref(t->vte);
	tsm_screen_unref(t->screen);
	shell_osc52_scanner_free(&t->osc52);
	free(t->cells);
	free(t);
}

int shell_term_get_fd(const struct shell_term *t)
{
	return t->master_fd;
}

pid_t shell_term_get_pid(const struct shell_term *t)
{
	return t->pid;
}

int shell_term_dispatch(struct shell_term *t)
{
	char buf[16384];
	int changed = 0;

	if (t->master_fd < 0) {
		return -EIO;
	}
	/* Bounded per call so one chatty program cannot starve the rest of the loop. */
	for (int i = 0; i < 16; i++) {
		ssize_t n = read(t->master_fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			break;
		}
		if (n <= 0) {
			close(t->master_fd);
			t->master_fd = -1;
			return changed ? 1 : -EIO;
		}
		watch_output(t, buf, (size_t)n);
		tsm_vte_input(t->vte, buf, (size_t)n);
		changed = 1;
	}
	if (changed && t->scrolled) {
		tsm_screen_sb_reset(t->screen);
		t->scrolled = 0;
	}
	return changed;
}

void shell_term_feed(struct shell_term *t, const char *buf, size_t len)
{
	watch_output(t, buf, len);
	tsm_vte_input(t->vte, buf, len);
}

void shell_term_set_copy_handler(struct shell_term *t, shell_term_copy_fn fn, void *data)
{
	t->copy_fn = fn;
	t->copy_data = data;
}

bool shell_term_bracketed_paste(const struct shell_term *t)
{
	return t->paste_mode.bracketed;
}

/* Writes all of buf to the pty, waiting for the program to read, but not forever. */
static int write_all(struct shell_term *t, const char *buf, size_t len, int *budget_ms)
{
	while (len > 0) {
		ssize_t n = write(t->master_fd, buf, len);
		struct pollfd pfd = { .fd = t->master_fd, .events = POLLOUT };

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && errno != EAGAIN) {
			return -errno;
		}
		if (*budget_ms <= 0 || poll(&pfd, 1, 50) < 0) {
			return -EAGAIN;
		}
		*budget_ms -= 50;
	}
	return 0;
}

int shell_term_paste(struct shell_term *t, const char *text, size_t len)
{
	int budget_ms = 2000, r;
	char *clean;
	size_t n;

	if (t->master_fd < 0) {
		return -EIO;
	}
	clean = malloc(len + 1);
	if (!clean) {
		return -ENOMEM;
	}
	n = shell_paste_sanitize(text, len, clean);
	if (t->paste_mode.bracketed) {
		r = write_all(t, "\x1b[200~", 6, &budget_ms);
		if (r == 0) {
			r = write_all(t, clean, n, &budget_ms);
		}
		/* the end marker even after a short write: the program must leave paste mode */
		budget_ms = budget_ms < 500 ? 500 : budget_ms;
		if (write_all(t, "\x1b[201~", 6, &budget_ms) < 0 && r == 0) {
			r = -EAGAIN;
		}
	} else {
		r = write_all(t, clean, n, &budget_ms);
	}
	explicit_bzero(clean, len);
	free(clean);
	if (t->scrolled) {
		tsm_screen_sb_reset(t->screen);
		t->scrolled = 0;
	}
	return r;
}

void shell_term_select_start(struct shell_term *t, unsigned col, unsigned row)
{
	tsm_screen_selection_start(t->screen, col, row);
}

void shell_term_select_to(struct shell_term *t, unsigned col, unsigned row)
{
	tsm_screen_selection_target(t->screen, col, row);
}

void shell_term_select_clear(struct shell_term *t)
{
	tsm_screen_selection_reset(t->screen);
}

int shell_term_select_copy(struct shell_term *t, char **ret, size_t *ret_len)
{
	char *out = NULL;
	int n = tsm_screen_selection_copy(t->screen, &out);

	if (n < 0) {
		free(out);
		return n;
	}
	if (n == 0 || !out) {
		free(out);
		return -ENODATA;
	}
	*ret = out;
	*ret_len = (size_t)n;
	return 0;
}

void shell_term_key(struct shell_term *t, uint32_t keysym, uint32_t base_keysym, uint32_t unicode,
		    unsigned mods)
{
	unsigned tmods = 0;
	uint32_t ascii = base_keysym < 128 ? base_keysym : TSM_VTE_INVALID;

	if (mods & 1) {
		tmods |= TSM_SHIFT_MASK;
	}
	if (mods & 2) {
		tmods |= TSM_CONTROL_MASK;
	}
	if (mods & 4) {
		tmods |= TSM_ALT_MASK;
	}
	if (mods & 8) {
		tmods |= TSM_LOGO_MASK;
	}
	if (t->scrolled) {
		tsm_screen_sb_reset(t->screen);
		t->scrolled = 0;
	}
	tsm_vte_handle_keyboard(t->vte, keysym, ascii, tmods, unicode ? unicode : TSM_VTE_INVALID);
}

void shell_term_scroll(struct shell_term *t, int lines)
{
	if (lines > 0) {
		tsm_screen_sb_up(t->screen, (unsigned)lines);
		t->scrolled += lines;
	} else if (lines < 0) {
		tsm_screen_sb_down(t->screen, (unsigned)-lines);
		t->scrolled += lines;
		if (t->scrolled < 0) {
			t->scrolled = 0;
		}
	} else {
		tsm_screen_sb_reset(t->screen);
		t->scrolled = 0;
	}
}

int shell_term_resize(struct shell_term *t, unsigned cols, unsigned rows)
{
	int r;

	if (cols < 2) {
		cols = 2;
	}
	if (rows < 2) {
		rows = 2;
	}
	r = tsm_screen_resize(t->screen, cols, rows);
	if (r < 0) {
		return r;
	}
	t->cols = cols;
	t->rows = rows;
	if (t->master_fd >= 0) {
		struct winsize ws = { .ws_row = (unsigned short)rows,
				      .ws_col = (unsigned short)cols };

		ioctl(t->master_fd, TIOCSWINSZ, &ws);
	}
	return 0;
}

void shell_term_get_size(const struct shell_term *t, unsigned *cols, unsigned *rows)
{
	*cols = t->cols;
	*rows = t->rows;
}

void shell_term_set_request_handler(struct shell_term *t, shell_term_request_fn fn, void *data)
{
	t->request_fn = fn;
	t->request_data = data;
}

static int gather_cb(struct tsm_screen *con, uint64_t id, const uint32_t *ch, size_t len,
		     unsigned int width, unsigned int posx, unsigned int posy,
		     const struct tsm_screen_attr *attr, tsm_age_t age, void *data)
{
	struct shell_term *t = data;
	struct term_cell *c;
	size_t off = 0;

	if (posx >= t->cols || posy >= t->rows) {
		return 0;
	}
	c = &t->cells[posy * t->cols + posx];
	c->attr = *attr;
	c->width = (uint8_t)width;
	for (size_t i = 0; i < len && off + 4 < sizeof(c->utf8); i++) {
		off += tsm_ucs4_to_utf8(ch[i], c->utf8 + off);
	}
	c->utf8[off] = '\0';
	return 0;
}

static void attr_colors(const struct tsm_screen_attr *a, double fg[3], double bg[3])
{
	double f[3] = { a->fr / 255.0, a->fg / 255.0, a->fb / 255.0 };
	double b[3] = { a->br / 255.0, a->bg / 255.0, a->bb / 255.0 };
	bool inv = a->inverse;

	for (int i = 0; i < 3; i++) {
		fg[i] = inv ? b[i] : f[i];
		bg[i] = inv ? f[i] : b[i];
	}
}

static bool same_look(const struct tsm_screen_attr *a, const struct tsm_screen_attr *b)
{
	return a->fr == b->fr && a->fg == b->fg && a->fb == b->fb && a->br == b->br &&
	       a->bg == b->bg && a->bb == b->bb && a->bold == b->bold &&
	       a->underline == b->underline && a->inverse == b->inverse;
}

void shell_term_draw(struct shell_term *t, cairo_t *cr, PangoLayout *layout, int x, int y, int cw,
		     int ch, bool focused)
{
	size_t n = (size_t)t->cols * t->rows;
	char *run;
	unsigned flags = tsm_screen_get_flags(t->screen);

	if (n != t->n_cells) {
		free(t->cells);
		t->cells = calloc(n, sizeof(*t->cells));
		t->n_cells = t->cells ? n : 0;
		if (!t->cells) {
			return;
		}
	}
	memset(t->cells, 0, n * sizeof(*t->cells));
	tsm_screen_draw(t->screen, gather_cb, t);

	run = malloc((size_t)t->cols * sizeof(t->cells[0].utf8) + 1);
	if (!run) {
		return;
	}
	for (unsigned row = 0; row < t->rows; row++) {
		unsigned col = 0;

		while (col < t->cols) {
			struct term_cell *first = &t->cells[row * t->cols + col];
			unsigned start = col, span = 0;
			size_t off = 0;
			double fg[3], bg[3];

			if (first->width == 0 && !first->utf8[0]) {
				/* The right half of a wide character, drawn with its left half. */
				col++;
				continue;
			}
			/* A run: cells of one look, single width, so the grid stays aligned. */
			do {
				struct term_cell *c = &t->cells[row * t->cols + col];
				size_t l = strlen(c->utf8);

				if (l) {
					memcpy(run + off, c->utf8, l);
					off += l;
				} else {
					run[off++] = ' ';
				}
				col++;
				span += c->width > 1 ? c->width : 1;
				if (c->width > 1) {
					break;
				}
			} while (col < t->cols &&
				 same_look(&first->attr, &t->cells[row * t->cols + col].attr) &&
				 t->cells[row * t->cols + col].width == 1);
			run[off] = '\0';
			attr_colors(&first->attr, fg, bg);
			cairo_set_source_rgb(cr, bg[0], bg[1], bg[2]);
			cairo_rectangle(cr, x + (int)start * cw, y + (int)row * ch, (int)span * cw,
					ch);
			cairo_fill(cr);
			if (off == 0 || strspn(run, " ") == off) {
				continue;
			}
			PangoAttrList *attrs = pango_attr_list_new();

			if (first->attr.bold) {
				pango_attr_list_insert(attrs,
						       pango_attr_weight_new(PANGO_WEIGHT_BOLD));
			}
			if (first->attr.underline) {
				pango_attr_list_insert(
					attrs, pango_attr_underline_new(PANGO_UNDERLINE_SINGLE));
			}
			pango_layout_set_attributes(layout, attrs);
			pango_attr_list_unref(attrs);
			pango_layout_set_text(layout, run, (int)off);
			cairo_set_source_rgb(cr, fg[0], fg[1], fg[2]);
			cairo_move_to(cr, x + (int)start * cw, y + (int)row * ch);
			pango_cairo_show_layout(cr, layout);
		}
	}
	pango_layout_set_attributes(layout, NULL);
	free(run);

	if (!(flags & TSM_SCREEN_HIDE_CURSOR) && !t->scrolled) {
		unsigned cx = tsm_screen_get_cursor_x(t->screen);
		unsigned cy = tsm_screen_get_cursor_y(t->screen);

		if (cx >= t->cols) {
			cx = t->cols - 1;
		}
		if (cy < t->rows) {
			cairo_set_source_rgba(cr, 0.85, 0.85, 0.85, focused ? 0.75 : 1.0);
			if (focused) {
				cairo_rectangle(cr, x + (int)cx * cw, y + (int)cy * ch, cw, ch);
				cairo_fill(cr);
			} else {
				cairo_set_line_width(cr, 1);
				cairo_rectangle(cr, x + (int)cx * cw + 0.5, y + (int)cy * ch + 0.5,
						cw - 1, ch - 1);
				cairo_stroke(cr);
			}
		}
	}
}

static int text_cb(struct tsm_screen *con, uint64_t id, const uint32_t *ch, size_t len,
		   unsigned int width, unsigned int posx, unsigned int posy,
		   const struct tsm_screen_attr *attr, tsm_age_t age, void *data)
{
	return gather_cb(con, id, ch, len, width, posx, posy, attr, age, data);
}

char *shell_term_text(struct shell_term *t)
{
	size_t n = (size_t)t->cols * t->rows, cap = n * 8 + t->rows + 1, off = 0;
	char *out;

	if (n != t->n_cells) {
		free(t->cells);
		t->cells = calloc(n, sizeof(*t->cells));
		t->n_cells = t->cells ? n : 0;
	}
	out = malloc(cap);
	if (!out || !t->cells) {
		free(out);
		return NULL;
	}
	memset(t->cells, 0, n * sizeof(*t->cells));
	tsm_screen_draw(t->screen, text_cb, t);
	for (unsigned row = 0; row < t->rows; row++) {
		size_t line_start = off;

		for (unsigned col = 0; col < t->cols; col++) {
			const char *s = t->cells[row * t->cols + col].utf8;
			size_t l = strlen(s);

			if (l == 0 && t->cells[row * t->cols + col].width != 0) {
				out[off++] = ' ';
			} else if (l == 0) {
				out[off++] = ' ';
			} else {
				memcpy(out + off, s, l);
				off += l;
			}
		}
		while (off > line_start && out[off - 1] == ' ') {
			off--;
		}
		out[off++] = '\n';
	}
	out[off] = '\0';
	return out;
}
