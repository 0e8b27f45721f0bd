/* Clipboard text in a terminal pane: pasted text made safe, bracketed paste followed across
 * reads, OSC 52 copies decoded (and bad ones refused). A paste reaching a program: test-term.c. */

#include <errno.h>
#include <stdlib.h>

#include "paste.h"
#include "shell-test.h"
#include "term.h"

static void expect_sanitized(const char *in, size_t len, const char *want)
{
	char out[256];
	size_t n = shell_paste_sanitize(in, len, out);

	ck_assert_uint_le(n, len);
	out[n] = '\0';
	ck_assert_str_eq(out, want);
}

START_TEST(sanitize)
{
	expect_sanitized("ls -l\n", 6, "ls -l\r");
	expect_sanitized("a\r\nb\rc\n", 7, "a\rb\rc\r");
	expect_sanitized("tab\there", 8, "tab\there");
	/* the end of a bracketed paste, other escapes, ^C, ^D, DEL, NUL: gone */
	expect_sanitized("a\033[201~b", 8, "ab");
	expect_sanitized("x\033[31my\003z\004\177", 11, "x[31myz");
	expect_sanitized("n\0ul", 4, "nul");
	/* C1 controls (UTF-8 C2 80..9F) go, other non-ASCII stays */
	expect_sanitized("a\xc2\x9b"
			 "1m äöü €",
			 strlen("a\xc2\x9b"
				"1m äöü €"),
			 "a1m äöü €");
	expect_sanitized("\033[201", 5, "[201");
}
END_TEST

START_TEST(bracketed_mode_across_reads)
{
	struct shell_paste_mode m = { 0 };
	const char *on = "prompt\033[?2004h$ ";

	shell_paste_mode_scan(&m, on, strlen(on));
	ck_assert(m.bracketed);
	shell_paste_mode_scan(&m, "\033[?20", 5);
	ck_assert(m.bracketed);
	shell_paste_mode_scan(&m, "04l", 3);
	ck_assert(!m.bracketed);
	/* split at every point */
	for (size_t cut = 0; cut <= 8; cut++) {
		struct shell_paste_mode k = { 0 };

		shell_paste_mode_scan(&k, "\033[?2004h", cut);
		shell_paste_mode_scan(&k, "\033[?2004h" + cut, 8 - cut);
		ck_assert(k.bracketed);
	}
	/* a long read with the sequence far inside it */
	{
		char big[5000];

		memset(big, 'x', sizeof(big));
		memcpy(big + 3000, "\033[?2004h", 8);
		shell_paste_mode_scan(&m, big, sizeof(big));
		ck_assert(m.bracketed);
		shell_paste_mode_scan(&m, "\033c", 2);
		shell_paste_mode_scan(&m, "more", 4);
		ck_assert(!m.bracketed);
	}
}
END_TEST

START_TEST(base64)
{
	unsigned char out[64];
	size_t n;

	ck_assert_int_eq(shell_base64_decode("aGVsbG8=", 8, out, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(out, "hello", 5);
	ck_assert_int_eq(shell_base64_decode("aGVsbG8", 7, out, &n), 0);
	ck_assert_uint_eq(n, 5);
	ck_assert_int_eq(shell_base64_decode("", 0, out, &n), 0);
	ck_assert_uint_eq(n, 0);
	/* bad characters, a lone sixth, padding in the middle, too much padding, stray bits */
	ck_assert_int_eq(shell_base64_decode("aGV*bG8=", 8, out, &n), -EINVAL);
	ck_assert_int_eq(shell_base64_decode("aGVsb", 5, out, &n), -EINVAL);
	ck_assert_int_eq(shell_base64_decode("aG=sbG8=", 8, out, &n), -EINVAL);
	ck_assert_int_eq(shell_base64_decode("aGVsbG8===", 10, out, &n), -EINVAL);
	ck_assert_int_eq(shell_base64_decode("aGVsbG9=", 8, out, &n), -EINVAL);
	ck_assert_int_eq(shell_base64_decode("aGVs bG8=", 9, out, &n), -EINVAL);
}
END_TEST

START_TEST(osc52)
{
	char *text;
	size_t n;

	ck_assert_int_eq(shell_osc52_parse("52;c;aGVsbG8=", 13, 100, &text, &n), 0);
	ck_assert_str_eq(text, "hello");
	free(text);
	/* empty selection list, UTF-8 */
	ck_assert_int_eq(shell_osc52_parse("52;;w6TDtsO8IOKCrA==", 20, 100, &text, &n), 0);
	ck_assert_str_eq(text, "äöü €");
	free(text);
	ck_assert_int_eq(shell_osc52_parse("52;c;?", 6, 100, &text, &n), -EOPNOTSUPP);
	ck_assert_int_eq(shell_osc52_parse("0;title", 7, 100, &text, &n), -ENOENT);
	ck_assert_int_eq(shell_osc52_parse("52;c", 4, 100, &text, &n), -EINVAL);
	ck_assert_int_eq(shell_osc52_parse("52;c;!!!!", 9, 100, &text, &n), -EINVAL);
	/* "\xff\xfe" is not UTF-8; "a\0b" has a NUL */
	ck_assert_int_eq(shell_osc52_parse("52;c;//4=", 9, 100, &text, &n), -EILSEQ);
	ck_assert_int_eq(shell_osc52_parse("52;c;YQBi", 9, 100, &text, &n), -EILSEQ);
	ck_assert_int_eq(shell_osc52_parse("52;c;aGVsbG8=", 13, 4, &text, &n), -EFBIG);
}
END_TEST

struct copies {
	int calls;
	char *text;
	size_t len;
};

static void on_copy(void *data, struct shell_term *t, const char *text, size_t len)
{
	struct copies *c = data;

	c->calls++;
	free(c->text);
	c->text = strndup(text, len);
	c->len = len;
}

START_TEST(osc52_in_a_pane)
{
	static const char bad[] = "\033]52;c;?\007\033]52;c;#%\007\033]52;c;//4=\033\\";
	struct copies c = { 0 };
	struct shell_term *t;
	char *seq, *want;
	size_t plain = 12000;

	ck_assert_int_eq(shell_term_new_virtual(40, 4, &t), 0);
	shell_term_set_copy_handler(t, on_copy, &c);
	shell_term_feed(t, "\033]52;c;aGVsbG8=\007", 16);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_str_eq(c.text, "hello");
	/* bad ones and queries copy nothing */
	shell_term_feed(t, bad, strlen(bad));
	ck_assert_int_eq(c.calls, 1);
	/* a long one (12 kB of text; "YWJj" is "abc") arrives whole */
	seq = malloc(plain / 3 * 4 + 16);
	want = malloc(plain + 1);
	strcpy(seq, "\033]52;c;");
	for (size_t i = 0; i < plain / 3; i++) {
		memcpy(seq + 7 + 4 * i, "YWJj", 4);
		memcpy(want + 3 * i, "abc", 3);
	}
	strcpy(seq + 7 + plain / 3 * 4, "\007");
	want[plain] = '\0';
	shell_term_feed(t, seq, strlen(seq));
	ck_assert_int_eq(c.calls, 2);
	ck_assert_uint_eq(c.len, plain);
	ck_assert_str_eq(c.text, want);
	free(seq);
	free(want);
	free(c.text);
	shell_term_destroy(t);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("shell-paste");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, sanitize);
	tcase_add_test(tc, bracketed_mode_across_reads);
	tcase_add_test(tc, base64);
	tcase_add_test(tc, osc52);
	tcase_add_test(tc, osc52_in_a_pane);
	suite_add_tcase(s, tc);
	return s;
}
