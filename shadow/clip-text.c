#include "clip-text.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#define REPLACEMENT 0xfffd

int clip_text_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
	static const uint32_t min_for_len[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t c;
	size_t len;

	if (n == 0) {
		return -EILSEQ;
	}
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
	} else {
		return -EILSEQ;
	}
	if (n < len) {
		return -EILSEQ;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return -EILSEQ;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min_for_len[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
		return -EILSEQ;
	}
	*cp = c;
	return (int)len;
}

size_t clip_text_utf8_encode(uint32_t c, char out[4])
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static uint16_t unit_at(const uint8_t *data, size_t i)
{
	return (uint16_t)(data[2 * i] | (data[2 * i + 1] << 8));
}

int clip_text_from_utf16le(const uint8_t *data, size_t len, size_t max, char **ret, size_t *ret_len)
{
	size_t units = len / 2, cap, out_len = 0;
	char *out;

	/* Each unit gives at most 3 bytes (a pair: 4 bytes for 2 units); never more than max. */
	cap = units > (max + 3) / 3 ? max : units * 3;
	out = malloc(cap + 4 + 1);
	if (!out) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < units; i++) {
		uint32_t c = unit_at(data, i);
		char enc[4];
		size_t n;

		if (c == 0) {
			break;
		}
		if (c == '\r' && i + 1 < units && unit_at(data, i + 1) == '\n') {
			continue; /* the LF that follows is written alone */
		}
		if (c >= 0xd800 && c <= 0xdbff && i + 1 < units && unit_at(data, i + 1) >= 0xdc00 &&
		    unit_at(data, i + 1) <= 0xdfff) {
			c = 0x10000 + ((c - 0xd800) << 10) + (unit_at(data, i + 1) - 0xdc00);
			i++;
		} else if (c >= 0xd800 && c <= 0xdfff) {
			c = REPLACEMENT;
		}
		n = clip_text_utf8_encode(c, enc);
		if (out_len + n > max) {
			free(out);
			return -EFBIG;
		}
		for (size_t k = 0; k < n; k++) {
			out[out_len++] = enc[k];
		}
	}
	out[out_len] = '\0';
	*ret = out;
	*ret_len = out_len;
	return 0;
}

static void put_unit(uint8_t *out, size_t *n, uint16_t u)
{
	out[(*n)++] = (uint8_t)(u & 0xff);
	out[(*n)++] = (uint8_t)(u >> 8);
}

int clip_text_to_utf16le(const char *text, size_t len, size_t max, uint8_t **ret, size_t *ret_len)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t n = 0;
	uint8_t *out;

	if (len > max) {
		return -EFBIG;
	}
	/* Worst case: every byte an LF (CRLF: 4 bytes), plus the NUL. */
	out = malloc(len * 4 + 2);
	if (!out) {
		return -ENOMEM;
	}
	for (size_t i = 0; i < len && s[i];) {
		uint32_t c;
		int k = clip_text_utf8_decode(s + i, len - i, &c);

		if (k < 0) {
			c = REPLACEMENT;
			k = 1;
		}
		i += (size_t)k;
		if (c == '\n' && !(n >= 2 && out[n - 2] == '\r' && out[n - 1] == 0)) {
			put_unit(out, &n, '\r');
		}
		if (c >= 0x10000) {
			put_unit(out, &n, (uint16_t)(0xd800 + ((c - 0x10000) >> 10)));
			put_unit(out, &n, (uint16_t)(0xdc00 + ((c - 0x10000) & 0x3ff)));
		} else {
			put_unit(out, &n, (uint16_t)c);
		}
	}
	put_unit(out, &n, 0);
	*ret = out;
	*ret_len = n;
	return 0;
}
