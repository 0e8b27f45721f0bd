/* Clipboard text between CF_UNICODETEXT (UTF-16LE, CRLF, NUL) and UTF-8 (LF): exact both ways,
 * bounded, and never trusting a surrogate, a UTF-8 sequence or a length from the other side. */

#include <stdint.h>

#include "clip-text.h"
#include "shadow-test.h"

/* UTF-16LE bytes of the given code units. */
static size_t units(uint8_t *out, const uint16_t *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = (uint8_t)(u[i] & 0xff);
		out[2 * i + 1] = (uint8_t)(u[i] >> 8);
	}
	return 2 * n;
}

static void expect_from(const uint16_t *u, size_t n, const char *expected)
{
	uint8_t buf[256];
	size_t len = units(buf, u, n), out_len;
	char *out;

	ck_assert_int_eq(clip_text_from_utf16le(buf, len, 1000, &out, &out_len), 0);
	ck_assert_uint_eq(out_len, strlen(expected));
	ck_assert_mem_eq(out, expected, out_len + 1);
	free(out);
}

START_TEST(from_utf16_plain_and_crlf)
{
	expect_from((const uint16_t[]){ 'a', '\r', '\n', 'b', 0 }, 5, "a\nb");
	/* a lone CR stays; CR CR LF keeps the first CR */
	expect_from((const uint16_t[]){ 'a', '\r', 'b', '\r', '\r', '\n', 0 }, 7, "a\rb\r\n");
	/* stops at the first NUL; no NUL at all is fine too */
	expect_from((const uint16_t[]){ 'x', 0, 'y' }, 3, "x");
	expect_from((const uint16_t[]){ 'x', 'y' }, 2, "xy");
	expect_from((const uint16_t[]){ 0 }, 1, "");
	expect_from(NULL, 0, "");
	/* äöü € and an emoji (a surrogate pair) */
	expect_from((const uint16_t[]){ 0xe4, 0xf6, 0xfc, ' ', 0x20ac, ' ', 0xd83d, 0xde00, 0 }, 9,
		    "äöü € 😀");
}
END_TEST

START_TEST(from_utf16_bad_surrogates)
{
	/* lone high, lone low, high at the end, reversed pair: each one U+FFFD */
	expect_from((const uint16_t[]){ 0xd83d, 'a', 0 }, 3,
		    "\xef\xbf\xbd"
		    "a");
	expect_from((const uint16_t[]){ 'a', 0xde00, 0 }, 3, "a\xef\xbf\xbd");
	expect_from((const uint16_t[]){ 'a', 0xd83d }, 2, "a\xef\xbf\xbd");
	expect_from((const uint16_t[]){ 0xde00, 0xd83d, 0 }, 3, "\xef\xbf\xbd\xef\xbf\xbd");
}
END_TEST

START_TEST(from_utf16_odd_length_and_bounds)
{
	const uint8_t odd[] = { 'h', 0, 'i', 0, 'x' };
	uint8_t buf[64];
	size_t len, out_len;
	char *out;

	ck_assert_int_eq(clip_text_from_utf16le(odd, sizeof(odd), 10, &out, &out_len), 0);
	ck_assert_str_eq(out, "hi");
	free(out);

	/* "ab€" is 5 bytes of UTF-8: max 5 fits, max 4 does not */
	len = units(buf, (const uint16_t[]){ 'a', 'b', 0x20ac, 0 }, 4);
	ck_assert_int_eq(clip_text_from_utf16le(buf, len, 5, &out, &out_len), 0);
	ck_assert_uint_eq(out_len, 5);
	free(out);
	out = NULL;
	ck_assert_int_eq(clip_text_from_utf16le(buf, len, 4, &out, &out_len), -EFBIG);
	ck_assert_ptr_null(out);
	/* CRLF counts as the one LF it becomes */
	len = units(buf, (const uint16_t[]){ 'a', '\r', '\n', 'b' }, 4);
	ck_assert_int_eq(clip_text_from_utf16le(buf, len, 3, &out, &out_len), 0);
	ck_assert_str_eq(out, "a\nb");
	free(out);
}
END_TEST

START_TEST(from_utf16_hostile_bytes)
{
	uint8_t buf[4096];
	size_t out_len;
	char *out;

	/* every byte pattern: no crash, valid UTF-8 out, bounded */
	srand(7);
	for (int round = 0; round < 200; round++) {
		size_t len = (size_t)(rand() % (int)sizeof(buf));

		for (size_t i = 0; i < len; i++) {
			buf[i] = (uint8_t)rand();
		}
		if (clip_text_from_utf16le(buf, len, 3000, &out, &out_len) == 0) {
			uint32_t cp;

			ck_assert_uint_le(out_len, 3000);
			for (size_t i = 0; i < out_len;) {
				int k = clip_text_utf8_decode((uint8_t *)out + i, out_len - i, &cp);

				ck_assert_int_gt(k, 0);
				i += (size_t)k;
			}
			free(out);
		}
	}
}
END_TEST

static void expect_to(const char *in, const uint16_t *u, size_t n)
{
	uint8_t want[256];
	size_t want_len = units(want, u, n), out_len;
	uint8_t *out;

	ck_assert_int_eq(clip_text_to_utf16le(in, strlen(in), 1000, &out, &out_len), 0);
	ck_assert_uint_eq(out_len, want_len);
	ck_assert_mem_eq(out, want, want_len);
	free(out);
}

START_TEST(to_utf16_plain_and_lf)
{
	expect_to("a\nb", (const uint16_t[]){ 'a', '\r', '\n', 'b', 0 }, 5);
	expect_to("a\r\nb", (const uint16_t[]){ 'a', '\r', '\n', 'b', 0 }, 5);
	expect_to("\n\n", (const uint16_t[]){ '\r', '\n', '\r', '\n', 0 }, 5);
	expect_to("", (const uint16_t[]){ 0 }, 1);
	expect_to("äöü € 😀",
		  (const uint16_t[]){ 0xe4, 0xf6, 0xfc, ' ', 0x20ac, ' ', 0xd83d, 0xde00, 0 }, 9);
}
END_TEST

START_TEST(to_utf16_invalid_utf8)
{
	/* a stray continuation byte, an overlong '/', an encoded surrogate, a cut sequence,
	 * beyond U+10FFFF: U+FFFD for each bad byte, the rest kept */
	expect_to("a\x80z", (const uint16_t[]){ 'a', 0xfffd, 'z', 0 }, 4);
	expect_to("\xc0\xaf", (const uint16_t[]){ 0xfffd, 0xfffd, 0 }, 3);
	expect_to("\xed\xa0\x80", (const uint16_t[]){ 0xfffd, 0xfffd, 0xfffd, 0 }, 4);
	expect_to("x\xe2\x82", (const uint16_t[]){ 'x', 0xfffd, 0xfffd, 0 }, 4);
	expect_to("\xf4\x90\x80\x80", (const uint16_t[]){ 0xfffd, 0xfffd, 0xfffd, 0xfffd, 0 }, 5);
}
END_TEST

START_TEST(to_utf16_bounds_and_nul)
{
	uint8_t *out = NULL;
	size_t out_len;

	ck_assert_int_eq(clip_text_to_utf16le("abcdef", 6, 5, &out, &out_len), -EFBIG);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(clip_text_to_utf16le("ab\0cd", 5, 5, &out, &out_len), 0);
	ck_assert_uint_eq(out_len, 6); /* "ab" and the NUL */
	free(out);
}
END_TEST

START_TEST(round_trip)
{
	const char *texts[] = { "hello", "two\nlines\n", "tab\there", "äöü €😀中文", "\r" };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		uint8_t *wire;
		size_t wire_len, len;
		char *back;

		ck_assert_int_eq(
			clip_text_to_utf16le(texts[i], strlen(texts[i]), 100, &wire, &wire_len), 0);
		ck_assert_int_eq(clip_text_from_utf16le(wire, wire_len, 100, &back, &len), 0);
		ck_assert_str_eq(back, texts[i]);
		free(wire);
		free(back);
	}
}
END_TEST

static Suite *clip_text_suite(void)
{
	Suite *s = suite_create("clip-text");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, from_utf16_plain_and_crlf);
	tcase_add_test(tc, from_utf16_bad_surrogates);
	tcase_add_test(tc, from_utf16_odd_length_and_bounds);
	tcase_add_test(tc, from_utf16_hostile_bytes);
	tcase_add_test(tc, to_utf16_plain_and_lf);
	tcase_add_test(tc, to_utf16_invalid_utf8);
	tcase_add_test(tc, to_utf16_bounds_and_nul);
	tcase_add_test(tc, round_trip);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return shadow_test_run(clip_text_suite());
}
