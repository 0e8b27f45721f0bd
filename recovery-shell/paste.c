#include "paste.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char end_paste[] = "\x1b[201~";

size_t shell_paste_sanitize(const char *in, size_t len, char *out)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == 0x1b && len - i >= sizeof(end_paste) - 1 &&
		    memcmp(s + i, end_paste, sizeof(end_paste) - 1) == 0) {
			i += sizeof(end_paste) - 2;
			continue;
		}
		if (c == '\r' && i + 1 < len && s[i + 1] == '\n') {
			continue; /* the LF that follows becomes the one CR */
		}
		if (c == '\n' || c == '\r') {
			out[n++] = '\r';
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			continue;
		}
		/* C1 controls in UTF-8: C2 80 .. C2 9F */
		if (c == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f) {
			i++;
			continue;
		}
		out[n++] = (char)c;
	}
	return n;
}

void shell_paste_mode_scan(struct shell_paste_mode *m, const char *buf, size_t len)
{
	static const char on[] = "\x1b[?2004h", off[] = "\x1b[?2004l";
	const size_t seq = sizeof(on) - 1;
	char joined[sizeof(m->tail) + 64];
	size_t done = 0;

	/* Look at the old tail and the new bytes together, a window at a time. */
	while (done < len || m->tail_len > 0) {
		size_t take = len - done < 64 ? len - done : 64, n;

		memcpy(joined, m->tail, m->tail_len);
		memcpy(joined + m->tail_len, buf + done, take);
		n = m->tail_len + take;
		done += take;
		for (size_t i = 0; i + 1 < n; i++) {
			if (i + seq <= n && memcmp(joined + i, on, seq) == 0) {
				m->bracketed = true;
			} else if (i + seq <= n && memcmp(joined + i, off, seq) == 0) {
				m->bracketed = false;
			} else if (joined[i] == 0x1b && joined[i + 1] == 'c') {
				m->bracketed = false; /* RIS: a full reset */
			}
		}
		m->tail_len = n < seq - 1 ? n : seq - 1;
		memmove(m->tail, joined + n - m->tail_len, m->tail_len);
		if (take == 0) {
			break;
		}
	}
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int shell_base64_decode(const char *in, size_t len, unsigned char *out, size_t *ret_len)
{
	uint32_t acc = 0;
	size_t n = 0, bits = 0, pad = 0;

	while (pad < 2 && len > 0 && in[len - 1] == '=') {
		len--;
		pad++;
	}
	if ((len + pad) % 4 != 0 && pad > 0) {
		return -EINVAL;
	}
	if (len % 4 == 1) {
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		int v = b64_value((unsigned char)in[i]);

		if (v < 0) {
			return -EINVAL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* leftover bits must be zero, as an encoder writes them */
	if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) {
		return -EINVAL;
	}
	*ret_len = n;
	return 0;
}

int shell_utf8_decode(const unsigned char *s, size_t n, uint32_t *ret)
{
	unsigned char c = n > 0 ? s[0] : 0;
	size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
			      (c & 0xf8) == 0xf0 ? 4 : 0;
	uint32_t cp;

	if (n == 0 || k == 0 || n < k) {
		return -EILSEQ;
	}
	cp = k == 1 ? c : c & (0x7f >> k);
	for (size_t j = 1; j < k; j++) {
		if ((s[j] & 0xc0) != 0x80) {
			return -EILSEQ;
		}
		cp = (cp << 6) | (s[j] & 0x3f);
	}
	if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
		return -EILSEQ;
	}
	*ret = cp;
	return (int)k;
}

static bool valid_utf8(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int k = shell_utf8_decode(s + i, len - i, &cp);

		if (k < 0 || cp == 0) {
			return false;
		}
		i += (size_t)k;
	}
	return true;
}

int shell_osc52_parse(const char *osc, size_t len, size_t max, char **ret, size_t *ret_len)
{
	const char *sel, *data;
	unsigned char *out;
	size_t data_len, n;
	int r;

	if (len < 3 || memcmp(osc, "52;", 3) != 0) {
		return -ENOENT;
	}
	sel = osc + 3;
	data = memchr(sel, ';', len - 3);
	if (!data) {
		return -EINVAL;
	}
	data++;
	data_len = len - (size_t)(data - osc);
	if (data_len == 1 && data[0] == '?') {
		return -EOPNOTSUPP;
	}
	if (data_len / 4 * 3 > max + 3) {
		return -EFBIG;
	}
	out = malloc(data_len / 4 * 3 + 3 + 1);
	if (!out) {
		return -ENOMEM;
	}
	r = shell_base64_decode(data, data_len, out, &n);
	if (r == 0 && n > max) {
		r = -EFBIG;
	} else if (r == 0 && !valid_utf8(out, n)) {
		r = -EILSEQ;
	}
	if (r < 0) {
		free(out);
		return r;
	}
	out[n] = '\0';
	*ret = (char *)out;
	*ret_len = n;
	return 0;
}

enum { SCAN_GROUND, SCAN_ESC, SCAN_OSC, SCAN_OSC_ESC };

static void scan_finish(struct shell_osc52_scanner *s, size_t max, shell_osc52_fn fn, void *data)
{
	char *text;
	size_t len;

	if (!s->overflow && shell_osc52_parse(s->buf, s->len, max, &text, &len) == 0) {
		fn(data, text, len);
		free(text);
	}
	s->state = SCAN_GROUND;
}

void shell_osc52_scan(struct shell_osc52_scanner *s, const char *buf, size_t len, size_t max,
		      shell_osc52_fn fn, void *data)
{
	/* base64 of max bytes, and "52;" with a few selection letters */
	size_t limit = max / 3 * 4 + 4 + 16;

	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		switch (s->state) {
		case SCAN_GROUND:
			s->state = c == 0x1b ? SCAN_ESC : SCAN_GROUND;
			break;
		case SCAN_ESC:
			if (c == ']') {
				s->state = SCAN_OSC;
				s->len = 0;
				s->overflow = false;
			} else if (c != 0x1b) {
				s->state = SCAN_GROUND;
			}
			break;
		case SCAN_OSC:
			if (c == '\a') {
				scan_finish(s, max, fn, data);
			} else if (c == 0x1b) {
				s->state = SCAN_OSC_ESC;
			} else if (c == 0x18 || c == 0x1a) {
				s->state = SCAN_GROUND; /* CAN, SUB: cancelled */
			} else if (s->len < 3 && c != "52;"[s->len]) {
				s->state = SCAN_GROUND; /* some other OSC: libtsm's */
			} else if (s->len >= limit) {
				s->overflow = true;
			} else {
				if (s->len == s->cap) {
					size_t cap = s->cap ? s->cap * 2 : 256;
					char *b = realloc(s->buf, cap > limit ? limit : cap);

					if (!b) {
						s->overflow = true;
						break;
					}
					s->buf = b;
					s->cap = cap > limit ? limit : cap;
				}
				s->buf[s->len++] = c;
			}
			break;
		case SCAN_OSC_ESC:
			if (c == '\\') {
				scan_finish(s, max, fn, data);
			} else {
				/* an ESC that starts something else ends the string unfinished */
				s->state = SCAN_ESC;
				i--;
			}
			break;
		}
	}
}

void shell_osc52_scanner_free(struct shell_osc52_scanner *s)
{
	free(s->buf);
	*s = (struct shell_osc52_scanner){ 0 };
}
