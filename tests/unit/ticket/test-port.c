#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "port.h"
#include "test-common.h"

/* a fake is_free: free only where `free_map` says so; records every port asked about */
struct fake_ports {
	bool free_map[65536];
	unsigned asked[65536];
	unsigned calls;
};

static bool fake_is_free(uint16_t port, void *userdata)
{
	struct fake_ports *fp = userdata;

	fp->asked[port]++;
	fp->calls++;
	return fp->free_map[port];
}

static struct fake_ports *fake_ports_new(void)
{
	struct fake_ports *fp = calloc(1, sizeof(*fp));

	ck_assert_ptr_nonnull(fp);
	return fp;
}

/* random words for ticket_port_pick, in native byte order as it reads them */
struct words {
	uint8_t bytes[64 * 4];
	size_t n;
};

static void words_push(struct words *w, uint32_t v)
{
	memcpy(w->bytes + w->n * 4, &v, 4);
	w->n++;
}

START_TEST(pick_uses_random_value)
{
	struct fake_ports *fp = fake_ports_new();
	struct words w = {0};
	struct fake_random fr;
	uint16_t port = 0;

	for (unsigned p = 5000; p <= 5999; p++) {
		fp->free_map[p] = true;
	}
	words_push(&w, 1234);
	fr = (struct fake_random){.bytes = w.bytes, .len = w.n * 4};
	ck_assert_int_eq(ticket_port_pick(5000, 5999, fake_random_fn, &fr, fake_is_free, fp, &port),
	                 0);
	ck_assert_uint_eq(port, 5234);
	ck_assert_uint_eq(fp->calls, 1);
	free(fp);
}
END_TEST

START_TEST(pick_rejects_biased_values)
{
	/*
	 * 1000 ports: 2^32 = 4294967296 leaves 296 values past the last whole multiple of 1000
	 * (4294967000). Those would favour the first 296 ports and must be drawn again; if
	 * 4294967000 were taken, the port would be 5000 + 0.
	 */
	struct fake_ports *fp = fake_ports_new();
	struct words w = {0};
	struct fake_random fr;
	uint16_t port = 0;

	for (unsigned p = 5000; p <= 5999; p++) {
		fp->free_map[p] = true;
	}
	words_push(&w, 4294967000u);
	words_push(&w, UINT32_MAX);
	words_push(&w, 4294966999u); /* the last acceptable value: 999 */
	fr = (struct fake_random){.bytes = w.bytes, .len = w.n * 4};
	ck_assert_int_eq(ticket_port_pick(5000, 5999, fake_random_fn, &fr, fake_is_free, fp, &port),
	                 0);
	ck_assert_uint_eq(port, 5999);
	ck_assert_uint_eq(fr.calls, 3);
	free(fp);
}
END_TEST

START_TEST(pick_full_range_scans_everything)
{
	struct fake_ports *fp = fake_ports_new();
	struct fake_random fr = {.fill = 7};
	uint16_t port = 4242;

	ck_assert_int_eq(ticket_port_pick(6000, 6999, fake_random_fn, &fr, fake_is_free, fp, &port),
	                 -EADDRINUSE);
	ck_assert_uint_eq(port, 4242); /* untouched on failure */
	for (unsigned p = 0; p < 65536; p++) {
		if (p >= 6000 && p <= 6999) {
			ck_assert_msg(fp->asked[p] >= 1, "port %u never tried", p);
		} else {
			ck_assert_msg(fp->asked[p] == 0, "port %u outside the range tried", p);
		}
	}
	/* a few random tries, then one pass: bounded work */
	ck_assert_uint_le(fp->calls, 1000 + 64);
	free(fp);
}
END_TEST

START_TEST(pick_finds_the_only_free_port)
{
	static const uint16_t only[] = {49152, 50000, 65535};

	for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
		struct fake_ports *fp = fake_ports_new();
		struct fake_random fr = {.fill = 0x5a};
		uint16_t port = 0;

		fp->free_map[only[i]] = true;
		ck_assert_int_eq(ticket_port_pick(49152, 65535, fake_random_fn, &fr, fake_is_free,
		                                  fp, &port),
		                 0);
		ck_assert_uint_eq(port, only[i]);
		free(fp);
	}
}
END_TEST

START_TEST(pick_single_port_range)
{
	struct fake_ports *fp = fake_ports_new();
	struct fake_random fr = {.fill = 0xff};
	uint16_t port = 0;

	/* n = 1: every random value is acceptable, even 0xffffffff */
	fp->free_map[5000] = true;
	ck_assert_int_eq(ticket_port_pick(5000, 5000, fake_random_fn, &fr, fake_is_free, fp, &port),
	                 0);
	ck_assert_uint_eq(port, 5000);
	fp->free_map[5000] = false;
	ck_assert_int_eq(ticket_port_pick(5000, 5000, fake_random_fn, &fr, fake_is_free, fp, &port),
	                 -EADDRINUSE);
	free(fp);
}
END_TEST

START_TEST(pick_bad_arguments)
{
	struct fake_ports *fp = fake_ports_new();
	struct fake_random fr = {0};
	uint16_t port = 0;

	memset(fp->free_map, 1, sizeof(fp->free_map));
	ck_assert_int_eq(ticket_port_pick(0, 100, fake_random_fn, &fr, fake_is_free, fp, &port),
	                 -EINVAL);
	ck_assert_int_eq(ticket_port_pick(6000, 5999, fake_random_fn, &fr, fake_is_free, fp, &port),
	                 -EINVAL);
	ck_assert_uint_eq(fp->calls, 0);

	fr.err = -EAGAIN;
	ck_assert_int_eq(ticket_port_pick(5000, 6000, fake_random_fn, &fr, fake_is_free, fp, &port),
	                 -EAGAIN);
	fr.err = 0;
	fr.fill = 0xff; /* 0xffffffff is always rejected for 1001 ports */
	ck_assert_int_eq(ticket_port_pick(5000, 6000, fake_random_fn, &fr, fake_is_free, fp, &port),
	                 -EIO);
	free(fp);
}
END_TEST

START_TEST(pick_is_spread_over_the_range)
{
	struct fake_ports *fp = fake_ports_new();
	unsigned low = 0, high = 0;

	memset(fp->free_map, 1, sizeof(fp->free_map));
	for (int i = 0; i < 2000; i++) {
		uint16_t port = 0;

		ck_assert_int_eq(ticket_port_pick(10000, 10999, ticket_random_getrandom, NULL,
		                                  fake_is_free, fp, &port),
		                 0);
		ck_assert(port >= 10000 && port <= 10999);
		if (port < 10500) {
			low++;
		} else {
			high++;
		}
	}
	ck_assert_uint_gt(low, 800);
	ck_assert_uint_gt(high, 800);
	free(fp);
}
END_TEST

static const struct {
	const char *s;
	int r;
	uint16_t lo, hi;
} parse_cases[] = {
                {"49152-65535", 0, 49152, 65535},
                {"5000", 0, 5000, 5000},
                {"1-65535", 0, 1, 65535},
                {"65535", 0, 65535, 65535},
                {"1", 0, 1, 1},
                {"5000-5000", 0, 5000, 5000},
                {"05000", 0, 5000, 5000},
                {"", -EINVAL, 0, 0},
                {"0", -EINVAL, 0, 0},
                {"0-100", -EINVAL, 0, 0},
                {"100-0", -EINVAL, 0, 0},
                {"65536", -EINVAL, 0, 0},
                {"70000", -EINVAL, 0, 0},
                {"1-65536", -EINVAL, 0, 0},
                {"99999999999999999999", -EINVAL, 0, 0},
                {"5000-4999", -EINVAL, 0, 0},
                {" 5000", -EINVAL, 0, 0},
                {"5000 ", -EINVAL, 0, 0},
                {"5000 - 6000", -EINVAL, 0, 0},
                {"5000- 6000", -EINVAL, 0, 0},
                {"5000-", -EINVAL, 0, 0},
                {"-5000", -EINVAL, 0, 0},
                {"+5000", -EINVAL, 0, 0},
                {"5000-+6000", -EINVAL, 0, 0},
                {"5000-6000x", -EINVAL, 0, 0},
                {"5000x", -EINVAL, 0, 0},
                {"0x1388", -EINVAL, 0, 0},
                {"abc", -EINVAL, 0, 0},
                {"-", -EINVAL, 0, 0},
                {"5000-6000-7000", -EINVAL, 0, 0},
                {"5000:6000", -EINVAL, 0, 0},
                {"5000\n", -EINVAL, 0, 0},
};

START_TEST(range_parse_table)
{
	uint16_t lo = 1234, hi = 4321;
	int r = ticket_port_range_parse(parse_cases[_i].s, &lo, &hi);

	ck_assert_msg(r == parse_cases[_i].r, "\"%s\": r=%d", parse_cases[_i].s, r);
	if (r == 0) {
		ck_assert_uint_eq(lo, parse_cases[_i].lo);
		ck_assert_uint_eq(hi, parse_cases[_i].hi);
	} else {
		ck_assert_uint_eq(lo, 1234); /* untouched on error */
		ck_assert_uint_eq(hi, 4321);
	}
}
END_TEST

START_TEST(range_parse_null)
{
	uint16_t lo, hi;

	ck_assert_int_eq(ticket_port_range_parse(NULL, &lo, &hi), -EINVAL);
	ck_assert_int_eq(ticket_port_range_parse(TICKET_PORT_DEFAULT_RANGE, &lo, &hi), 0);
	ck_assert_uint_eq(lo, TICKET_PORT_DEFAULT_LO);
	ck_assert_uint_eq(hi, TICKET_PORT_DEFAULT_HI);
}
END_TEST

/* a TCP socket on addr:0 (kernel picks the port); returns the fd, the port in *ret_port */
static int bound_socket(int family, const char *addr, bool v6only, bool reuse, bool do_listen,
                        uint16_t port, uint16_t *ret_port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int one = 1;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		return -errno;
	}
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
		len = sizeof(*sin6);
		if (v6only) {
			ck_assert_int_eq(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			                            sizeof(one)),
			                 0);
		}
	}
	if (reuse) {
		ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || (do_listen && listen(fd, 1) < 0)) {
		int r = -errno;

		close(fd);
		return r;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		ck_abort_msg("getsockname: %s", strerror(errno));
	}
	*ret_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

START_TEST(is_free_sees_v4_listener)
{
	uint16_t port;
	int fd = bound_socket(AF_INET, "0.0.0.0", false, true, true, 0, &port);

	ck_assert_int_ge(fd, 0);
	ck_assert(!ticket_port_is_free(port, NULL));
	close(fd);
	/* the same port is free once the listener is gone (no connection, so no TIME_WAIT) */
	ck_assert(ticket_port_is_free(port, NULL));
}
END_TEST

START_TEST(is_free_sees_loopback_listener)
{
	/* a server on 127.0.0.1 only still takes the port from a 0.0.0.0 listener */
	uint16_t port;
	int fd = bound_socket(AF_INET, "127.0.0.1", false, false, true, 0, &port);

	ck_assert_int_ge(fd, 0);
	ck_assert(!ticket_port_is_free(port, NULL));
	close(fd);
}
END_TEST

START_TEST(is_free_sees_bound_not_listening)
{
	/* bound without SO_REUSEADDR (not listening yet): a server could not bind the port */
	uint16_t port;
	int fd = bound_socket(AF_INET, "0.0.0.0", false, false, false, 0, &port);

	ck_assert_int_ge(fd, 0);
	ck_assert(!ticket_port_is_free(port, NULL));
	close(fd);
}
END_TEST

START_TEST(is_free_sees_v6_only_listener)
{
	uint16_t port;
	int fd = bound_socket(AF_INET6, "::", true, true, true, 0, &port);

	if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL) {
		return; /* no IPv6 on this host: nothing to see here, the v4 tests still ran */
	}
	ck_assert_int_ge(fd, 0);
	ck_assert(!ticket_port_is_free(port, NULL));
	close(fd);
	ck_assert(ticket_port_is_free(port, NULL));
}
END_TEST

START_TEST(is_free_port_zero)
{
	ck_assert(!ticket_port_is_free(0, NULL));
}
END_TEST

START_TEST(pick_real_avoids_busy_port)
{
	/* a range of one busy port and one free neighbour: the real check must pick the free one */
	uint16_t busy, port = 0;
	int fd = bound_socket(AF_INET, "0.0.0.0", false, true, true, 0, &busy);
	int tried = 0;

	ck_assert_int_ge(fd, 0);
	if (busy > 1 && ticket_port_is_free(busy - 1, NULL)) {
		for (int i = 0; i < 20; i++) {
			ck_assert_int_eq(ticket_port_pick(busy - 1, busy, ticket_random_getrandom,
			                                  NULL, ticket_port_is_free, NULL, &port),
			                 0);
			ck_assert_uint_eq(port, busy - 1);
		}
		tried++;
	}
	if (busy < 65535 && ticket_port_is_free(busy + 1, NULL)) {
		for (int i = 0; i < 20; i++) {
			ck_assert_int_eq(ticket_port_pick(busy, busy + 1, ticket_random_getrandom,
			                                  NULL, ticket_port_is_free, NULL, &port),
			                 0);
			ck_assert_uint_eq(port, busy + 1);
		}
		tried++;
	}
	ck_assert_int_ge(tried, 1); /* both neighbours of an ephemeral port busy: suspicious */
	ck_assert_int_eq(ticket_port_pick(busy, busy, ticket_random_getrandom, NULL,
	                                  ticket_port_is_free, NULL, &port),
	                 -EADDRINUSE);
	close(fd);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("ticket-port");
	TCase *tc;

	tc = tcase_create("pick");
	tcase_add_test(tc, pick_uses_random_value);
	tcase_add_test(tc, pick_rejects_biased_values);
	tcase_add_test(tc, pick_full_range_scans_everything);
	tcase_add_test(tc, pick_finds_the_only_free_port);
	tcase_add_test(tc, pick_single_port_range);
	tcase_add_test(tc, pick_bad_arguments);
	tcase_add_test(tc, pick_is_spread_over_the_range);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, range_parse_table, 0,
	                    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, range_parse_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("is-free");
	tcase_add_test(tc, is_free_sees_v4_listener);
	tcase_add_test(tc, is_free_sees_loopback_listener);
	tcase_add_test(tc, is_free_sees_bound_not_listening);
	tcase_add_test(tc, is_free_sees_v6_only_listener);
	tcase_add_test(tc, is_free_port_zero);
	tcase_add_test(tc, pick_real_avoids_busy_port);
	suite_add_tcase(s, tc);

	return s;
}
