#include "ticket.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>

/* 250 is the largest multiple of 10 that fits in a byte: bytes 250..255 would favour 0..5. */
#define TICKET_BYTE_LIMIT   250
#define TICKET_RANDOM_CHUNK 16
/* A real source rejects 6 of 256 bytes; 16 chunks without 9 good bytes means it is broken. */
#define TICKET_RANDOM_ROUNDS 16

int ticket_random_getrandom(void *buf, size_t len, void *userdata)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ticket_generate(struct ticket *t, ticket_random_fn rnd, void *userdata)
{
	uint8_t buf[TICKET_RANDOM_CHUNK];
	char digits[TICKET_DIGITS + 1];
	size_t n = 0;
	int r = -EIO;

	for (unsigned round = 0; round < TICKET_RANDOM_ROUNDS && n < TICKET_DIGITS; round++) {
		r = rnd(buf, sizeof(buf), userdata);
		if (r < 0) {
			goto out;
		}
		r = -EIO;
		for (size_t i = 0; i < sizeof(buf) && n < TICKET_DIGITS; i++) {
			if (buf[i] < TICKET_BYTE_LIMIT) {
				digits[n++] = (char)('0' + buf[i] % 10);
			}
		}
	}
	if (n == TICKET_DIGITS) {
		digits[TICKET_DIGITS] = '\0';
		memcpy(t->digits, digits, sizeof(t->digits));
		r = 0;
	}
out:
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(digits, sizeof(digits));
	return r;
}

void ticket_format(const struct ticket *t, char out[TICKET_TEXT_SIZE])
{
	size_t o = 0;

	for (size_t i = 0; i < TICKET_DIGITS; i++) {
		if (i > 0 && i % 3 == 0) {
			out[o++] = '-';
		}
		out[o++] = t->digits[i];
	}
	out[o] = '\0';
}

int ticket_normalize(const char *presented, size_t len, char out[TICKET_DIGITS + 1])
{
	size_t n = 0;
	unsigned bad = 0;

	/*
	 * Walk the whole input without stopping at the first bad character, so the time depends on
	 * len only. The branches depend on the presented text, never on the ticket.
	 */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)presented[i];
		unsigned is_digit = c >= '0' && c <= '9';
		unsigned is_sep = c == '-' || c == ' ';

		bad |= !(is_digit | is_sep);
		if (is_digit && n < TICKET_DIGITS) {
			out[n] = (char)c;
		}
		if (is_digit) {
			n++;
		}
	}
	if (bad || n != TICKET_DIGITS) {
		explicit_bzero(out, TICKET_DIGITS + 1);
		return -EINVAL;
	}
	out[TICKET_DIGITS] = '\0';
	return 0;
}

bool ticket_matches(const struct ticket *t, const char *presented, size_t len)
{
	char digits[TICKET_DIGITS + 1];
	volatile unsigned diff;
	int r;

	r = ticket_normalize(presented, len, digits);
	/* On a malformed input digits is all zero bytes: still compare, so both paths cost alike.
	 */
	diff = r != 0;
	for (size_t i = 0; i < TICKET_DIGITS; i++) {
		diff |= (unsigned char)(digits[i] ^ t->digits[i]);
	}
	explicit_bzero(digits, sizeof(digits));
	return diff == 0;
}

size_t ticket_spellings(const struct ticket *t, char out[][TICKET_TEXT_SIZE], size_t max)
{
	static const char separators[TICKET_SPELLINGS] = { '\0', '-', ' ' };
	size_t count = max < TICKET_SPELLINGS ? max : TICKET_SPELLINGS;

	for (size_t s = 0; s < count; s++) {
		size_t o = 0;

		for (size_t i = 0; i < TICKET_DIGITS; i++) {
			if (separators[s] && i > 0 && i % 3 == 0) {
				out[s][o++] = separators[s];
			}
			out[s][o++] = t->digits[i];
		}
		out[s][o] = '\0';
	}
	return count;
}

int ticket_from_text(struct ticket *t, const char *text, size_t len)
{
	char digits[TICKET_DIGITS + 1];
	int r;

	r = ticket_normalize(text, len, digits);
	if (r < 0) {
		return r;
	}
	memcpy(t->digits, digits, sizeof(t->digits));
	explicit_bzero(digits, sizeof(digits));
	return 0;
}

void ticket_wipe(struct ticket *t)
{
	if (t) {
		explicit_bzero(t, sizeof(*t));
	}
}
