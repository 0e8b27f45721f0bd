#include <stdbool.h>
#include <stdlib.h>

#include "test-common.h"
#include "ticket.h"

static struct ticket ticket_of(const char *digits)
{
	struct ticket t;

	ck_assert_int_eq(ticket_from_text(&t, digits, strlen(digits)), 0);
	return t;
}

START_TEST(generate_uses_bytes_in_order)
{
	static const uint8_t bytes[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
	struct fake_random fr = {.bytes = bytes, .len = sizeof(bytes)};
	struct ticket t;

	ck_assert_int_eq(ticket_generate(&t, fake_random_fn, &fr), 0);
	ck_assert_str_eq(t.digits, "012345678");
}
END_TEST

START_TEST(generate_reduces_modulo_10)
{
	static const uint8_t bytes[] = {10, 21, 32, 43, 54, 65, 76, 87, 249};
	struct fake_random fr = {.bytes = bytes, .len = sizeof(bytes)};
	struct ticket t;

	ck_assert_int_eq(ticket_generate(&t, fake_random_fn, &fr), 0);
	ck_assert_str_eq(t.digits, "012345679");
}
END_TEST

START_TEST(generate_rejects_biased_bytes)
{
	/*
	 * 250..255 would map to 0..5 and make those digits more likely. If any of them were
	 * used, the ticket would start with 0..5; it must start with the 9 of byte 9.
	 */
	static const uint8_t bytes[] = {250, 251, 252, 253, 254, 255, 9,   19, 29,
	                                249, 248, 100, 101, 102, 103, 104, 105};
	struct fake_random fr = {.bytes = bytes, .len = sizeof(bytes)};
	struct ticket t;

	ck_assert_int_eq(ticket_generate(&t, fake_random_fn, &fr), 0);
	ck_assert_str_eq(t.digits, "999980123");
}
END_TEST

START_TEST(generate_rejection_spans_requests)
{
	uint8_t bytes[64];
	struct fake_random fr = {.bytes = bytes, .len = sizeof(bytes)};
	struct ticket t;

	/* two whole requests of rejected bytes, then usable ones */
	memset(bytes, 255, 32);
	for (size_t i = 32; i < sizeof(bytes); i++) {
		bytes[i] = (uint8_t)(240 + (i - 32) % 10); /* 240..249 -> 0..9 */
	}
	ck_assert_int_eq(ticket_generate(&t, fake_random_fn, &fr), 0);
	ck_assert_str_eq(t.digits, "012345678");
	ck_assert_uint_ge(fr.calls, 3);
}
END_TEST

START_TEST(generate_gives_up_on_broken_source)
{
	struct fake_random fr = {.fill = 255};
	struct ticket t = ticket_of("111111111");

	ck_assert_int_eq(ticket_generate(&t, fake_random_fn, &fr), -EIO);
	ck_assert_str_eq(t.digits, "111111111");
}
END_TEST

START_TEST(generate_passes_source_error)
{
	struct fake_random fr = {.err = -ENOSYS};
	struct ticket t = ticket_of("222222222");

	ck_assert_int_eq(ticket_generate(&t, fake_random_fn, &fr), -ENOSYS);
	ck_assert_str_eq(t.digits, "222222222");
	ck_assert_uint_eq(fr.calls, 1);
}
END_TEST

START_TEST(generate_real_source_is_uniform_enough)
{
	unsigned counts[10] = {0};
	const unsigned n = 4000;

	for (unsigned i = 0; i < n; i++) {
		struct ticket t;

		ck_assert_int_eq(ticket_generate(&t, ticket_random_getrandom, NULL), 0);
		ck_assert_uint_eq(strlen(t.digits), TICKET_DIGITS);
		for (size_t d = 0; d < TICKET_DIGITS; d++) {
			ck_assert(t.digits[d] >= '0' && t.digits[d] <= '9');
			counts[t.digits[d] - '0']++;
		}
	}
	/* 36000 digits, 3600 expected each, sd ~57: 600 off is over 10 sd. */
	for (unsigned d = 0; d < 10; d++) {
		ck_assert_uint_gt(counts[d], 3000);
		ck_assert_uint_lt(counts[d], 4200);
	}
}
END_TEST

START_TEST(getrandom_fills_large_buffers)
{
	const size_t len = 1 << 20;
	uint8_t *buf = calloc(1, len);
	size_t zeros = 0;

	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(ticket_random_getrandom(buf, len, NULL), 0);
	/* the tail too: a short read left unhandled would leave zeros there */
	for (size_t i = len - 4096; i < len; i++) {
		zeros += buf[i] == 0;
	}
	ck_assert_uint_lt(zeros, 64);
	free(buf);
}
END_TEST

START_TEST(format_groups_digits)
{
	struct ticket t = ticket_of("482915307");
	char out[TICKET_TEXT_SIZE];

	memset(out, 'x', sizeof(out));
	ticket_format(&t, out);
	ck_assert_str_eq(out, "482-915-307");
	ck_assert_uint_eq(strlen(out), TICKET_TEXT_SIZE - 1);
}
END_TEST

static const struct {
	const char *in;
	size_t len;      /* 0: strlen */
	const char *out; /* NULL: -EINVAL */
} normalize_cases[] = {
                {"482915307", 0, "482915307"},
                {"482-915-307", 0, "482915307"},
                {"482 915 307", 0, "482915307"},
                {" 482--915  307- ", 0, "482915307"},
                {"000000000", 0, "000000000"},
                {"482915307XYZ", 9, "482915307"}, /* len-bounded: the junk after len is not read */
                {"48291530", 0, NULL},            /* 8 digits */
                {"4829153071", 0, NULL},          /* 10 digits */
                {"482-915-30", 0, NULL},
                {"482-915-3071", 0, NULL},
                {"48291530a", 0, NULL},
                {"a482915307", 0, NULL},
                {"482_915_307", 0, NULL},
                {"482.915.307", 0, NULL},
                {"482\t915\t307", 0, NULL},
                {"482915307\n", 0, NULL},
                {"482\0"
                 "915307",
                 10, NULL},                /* embedded NUL */
                {"482915307\0", 10, NULL}, /* trailing NUL inside len */
                {"\xef\xbc\x94"
                 "82915307",
                 0, NULL}, /* full-width 4 */
                {"", 0, NULL},
                {"---   ---", 0, NULL},
};

START_TEST(normalize_table)
{
	const char *in = normalize_cases[_i].in;
	size_t len = normalize_cases[_i].len ? normalize_cases[_i].len : strlen(in);
	const char *want = normalize_cases[_i].out;
	char out[TICKET_DIGITS + 1];
	int r;

	memset(out, 'x', sizeof(out));
	r = ticket_normalize(in, len, out);
	if (want) {
		ck_assert_msg(r == 0, "case %d: r=%d", _i, r);
		ck_assert_str_eq(out, want);
	} else {
		ck_assert_msg(r == -EINVAL, "case %d: r=%d", _i, r);
		for (size_t i = 0; i < sizeof(out); i++) {
			ck_assert_int_eq(out[i], 0); /* no partial digits left behind */
		}
	}
}
END_TEST

START_TEST(normalize_empty_null)
{
	char out[TICKET_DIGITS + 1];

	ck_assert_int_eq(ticket_normalize(NULL, 0, out), -EINVAL);
}
END_TEST

START_TEST(matches_accepts_spellings)
{
	struct ticket t = ticket_of("482915307");

	ck_assert(ticket_matches(&t, "482915307", 9));
	ck_assert(ticket_matches(&t, "482-915-307", 11));
	ck_assert(ticket_matches(&t, "482 915 307", 11));
	ck_assert(ticket_matches(&t, " 482-915 307 ", 13));
	ck_assert(ticket_matches(&t, "482915307 and more", 9));
}
END_TEST

START_TEST(matches_refuses_wrong)
{
	struct ticket t = ticket_of("482915307");
	char wrong[] = "482915307";

	/* every single-digit change, at every position */
	for (size_t i = 0; i < TICKET_DIGITS; i++) {
		for (char c = '0'; c <= '9'; c++) {
			if (c == t.digits[i]) {
				continue;
			}
			wrong[i] = c;
			ck_assert_msg(!ticket_matches(&t, wrong, 9), "%s matched", wrong);
		}
		wrong[i] = t.digits[i];
	}
	ck_assert(ticket_matches(&t, wrong, 9)); /* restored: the loop really changed it */
	ck_assert(!ticket_matches(&t, "48291530", 8));
	ck_assert(!ticket_matches(&t, "4829153070", 10));
	ck_assert(!ticket_matches(&t, "482915307", 8));
	ck_assert(!ticket_matches(&t, "482915307x", 10));
	ck_assert(!ticket_matches(&t,
	                          "482\0"
	                          "915307",
	                          10));
	ck_assert(!ticket_matches(&t, "", 0));
	ck_assert(!ticket_matches(&t, NULL, 0));
}
END_TEST

START_TEST(matches_all_zero_ticket_refuses_garbage)
{
	/* a malformed input is compared as zero bytes internally; it must not match anything */
	struct ticket t = ticket_of("000000000");

	ck_assert(!ticket_matches(&t, "", 0));
	ck_assert(!ticket_matches(&t, "abcdefghi", 9));
	ck_assert(ticket_matches(&t, "000-000-000", 11));
}
END_TEST

START_TEST(spellings_all)
{
	struct ticket t = ticket_of("482915307");
	char out[5][TICKET_TEXT_SIZE];

	ck_assert_uint_eq(ticket_spellings(&t, out, 5), 3);
	ck_assert_str_eq(out[0], "482915307");
	ck_assert_str_eq(out[1], "482-915-307");
	ck_assert_str_eq(out[2], "482 915 307");
	for (size_t i = 0; i < 3; i++) {
		ck_assert(ticket_matches(&t, out[i], strlen(out[i])));
	}
}
END_TEST

START_TEST(spellings_bounded_by_max)
{
	struct ticket t = ticket_of("482915307");
	char out[3][TICKET_TEXT_SIZE];

	memset(out, 'x', sizeof(out));
	ck_assert_uint_eq(ticket_spellings(&t, out, 1), 1);
	ck_assert_str_eq(out[0], "482915307");
	ck_assert_int_eq(out[1][0], 'x');
	ck_assert_uint_eq(ticket_spellings(&t, out, 0), 0);
	ck_assert_uint_eq(ticket_spellings(&t, out, 3), 3);
}
END_TEST

START_TEST(from_text_and_wipe)
{
	struct ticket t = ticket_of("111111111");
	static const struct ticket zero;

	ck_assert_int_eq(ticket_from_text(&t, "12-34", 5), -EINVAL);
	ck_assert_str_eq(t.digits, "111111111");
	ck_assert_int_eq(ticket_from_text(&t, "123 456 789", 11), 0);
	ck_assert_str_eq(t.digits, "123456789");
	ticket_wipe(&t);
	ck_assert_mem_eq(&t, &zero, sizeof(t));
	ticket_wipe(NULL);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("ticket");
	TCase *tc;

	tc = tcase_create("generate");
	tcase_add_test(tc, generate_uses_bytes_in_order);
	tcase_add_test(tc, generate_reduces_modulo_10);
	tcase_add_test(tc, generate_rejects_biased_bytes);
	tcase_add_test(tc, generate_rejection_spans_requests);
	tcase_add_test(tc, generate_gives_up_on_broken_source);
	tcase_add_test(tc, generate_passes_source_error);
	tcase_add_test(tc, generate_real_source_is_uniform_enough);
	tcase_add_test(tc, getrandom_fills_large_buffers);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_test(tc, format_groups_digits);
	tcase_add_loop_test(tc, normalize_table, 0,
	                    (int)(sizeof(normalize_cases) / sizeof(normalize_cases[0])));
	tcase_add_test(tc, normalize_empty_null);
	tcase_add_test(tc, from_text_and_wipe);
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_test(tc, matches_accepts_spellings);
	tcase_add_test(tc, matches_refuses_wrong);
	tcase_add_test(tc, matches_all_zero_ticket_refuses_garbage);
	tcase_add_test(tc, spellings_all);
	tcase_add_test(tc, spellings_bounded_by_max);
	suite_add_tcase(s, tc);

	return s;
}
