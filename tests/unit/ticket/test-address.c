#include <arpa/inet.h>
#include <netinet/in.h>

#include "address.h"
#include "test-common.h"

static struct ticket_address make(const char *text, const char *ifname)
{
	struct ticket_address a;
	struct sockaddr_storage ss = {0};

	if (strchr(text, ':')) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, text, &sin->sin_addr), 1);
	}
	ck_assert_int_eq(ticket_address_from_sockaddr((struct sockaddr *)&ss, ifname, &a), 0);
	return a;
}

START_TEST(from_sockaddr_v4)
{
	struct ticket_address a = make("192.168.1.20", "eth0");

	ck_assert_int_eq(a.family, AF_INET);
	ck_assert_str_eq(a.text, "192.168.1.20");
	ck_assert_str_eq(a.ifname, "eth0");
	ck_assert(!a.link_local);

	a = make("169.254.7.9", "eth1");
	ck_assert_str_eq(a.text, "169.254.7.9"); /* no zone for IPv4 */
	ck_assert(a.link_local);

	a = make("169.253.255.255", NULL);
	ck_assert(!a.link_local);
	ck_assert_str_eq(a.ifname, "");
	a = make("169.255.0.1", NULL);
	ck_assert(!a.link_local);
}
END_TEST

START_TEST(from_sockaddr_v6)
{
	struct ticket_address a = make("2001:db8::5", "eth0");

	ck_assert_int_eq(a.family, AF_INET6);
	ck_assert_str_eq(a.text, "2001:db8::5"); /* a global address needs no zone */
	ck_assert(!a.link_local);

	a = make("fd00::2", "eth0");
	ck_assert(!a.link_local);

	a = make("fe80::1", "eth0");
	ck_assert(a.link_local);
	ck_assert_str_eq(a.text, "fe80::1%eth0");
	ck_assert_str_eq(a.ifname, "eth0");

	a = make("febf:ffff::1", "wlp2s0"); /* still inside fe80::/10 */
	ck_assert(a.link_local);
	ck_assert_str_eq(a.text, "febf:ffff::1%wlp2s0");

	a = make("fec0::1", "eth0"); /* outside fe80::/10 */
	ck_assert(!a.link_local);

	a = make("fe80::1", NULL); /* no interface known, no scope id */
	ck_assert(a.link_local);
	ck_assert_str_eq(a.text, "fe80::1");
}
END_TEST

START_TEST(from_sockaddr_v6_scope_id)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	struct ticket_address a;
	unsigned idx = if_nametoindex("lo");

	ck_assert_uint_ne(idx, 0);
	ck_assert_int_eq(inet_pton(AF_INET6, "fe80::abcd", &sin6.sin6_addr), 1);
	sin6.sin6_scope_id = idx;
	ck_assert_int_eq(ticket_address_from_sockaddr((struct sockaddr *)&sin6, NULL, &a), 0);
	ck_assert_str_eq(a.text, "fe80::abcd%lo");
	/* an explicit ifname wins over the scope id */
	ck_assert_int_eq(ticket_address_from_sockaddr((struct sockaddr *)&sin6, "br0", &a), 0);
	ck_assert_str_eq(a.text, "fe80::abcd%br0");
}
END_TEST

START_TEST(from_sockaddr_longest)
{
	struct ticket_address a =
	                make("fe80:1234:5678:9abc:def0:1234:5678:9abc", "abcdefghijklmno");

	ck_assert_str_eq(a.text, "fe80:1234:5678:9abc:def0:1234:5678:9abc%abcdefghijklmno");
}
END_TEST

START_TEST(from_sockaddr_errors)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sockaddr sa = {.sa_family = AF_UNIX};
	struct ticket_address a;

	ck_assert_int_eq(ticket_address_from_sockaddr(&sa, "eth0", &a), -EAFNOSUPPORT);
	ck_assert_int_eq(ticket_address_from_sockaddr((struct sockaddr *)&sin, "abcdefghijklmnop",
	                                              &a),
	                 -ENAMETOOLONG);
}
END_TEST

START_TEST(sort_orders_classes_stably)
{
	struct ticket_address a[] = {
	                make("fe80::1", "eth0"),     make("169.254.1.1", "eth1"),
	                make("2001:db8::a", "eth0"), make("10.0.0.1", "eth0"),
	                make("2001:db8::b", "eth1"), make("fe80::2", "eth1"),
	                make("192.168.1.5", "eth1"), make("169.254.2.2", "eth0"),
	};
	static const char *const want[] = {
	                "10.0.0.1",     "192.168.1.5", "2001:db8::a",  "2001:db8::b",
	                "fe80::1%eth0", "169.254.1.1", "fe80::2%eth1", "169.254.2.2",
	};
	size_t n = sizeof(a) / sizeof(a[0]);

	ticket_addresses_sort(a, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(a[i].text, want[i]);
	}
	/* sorting sorted input changes nothing */
	ticket_addresses_sort(a, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(a[i].text, want[i]);
	}
}
END_TEST

START_TEST(sort_small)
{
	struct ticket_address a[] = {make("fe80::1", "eth0"), make("192.0.2.1", "eth0")};

	ticket_addresses_sort(a, 0);
	ck_assert_str_eq(a[0].text, "fe80::1%eth0");
	ticket_addresses_sort(a, 1);
	ck_assert_str_eq(a[0].text, "fe80::1%eth0");
	ticket_addresses_sort(a, 2);
	ck_assert_str_eq(a[0].text, "192.0.2.1");
	ticket_addresses_sort(NULL, 0);
}
END_TEST

static int rank(const struct ticket_address *a)
{
	return a->link_local ? 2 : a->family == AF_INET ? 0 : 1;
}

START_TEST(collect_real)
{
	struct ticket_address all[64], first[1];
	size_t n = 99, n1 = 99;

	ck_assert_int_eq(ticket_addresses_collect(all, 64, &n), 0);
	ck_assert_uint_le(n, 64);
	for (size_t i = 0; i < n; i++) {
		ck_assert(all[i].family == AF_INET || all[i].family == AF_INET6);
		ck_assert_str_ne(all[i].text, "::1");
		ck_assert(strncmp(all[i].text, "127.", 4) != 0);
		ck_assert_str_ne(all[i].ifname, "lo");
		if (i > 0) {
			ck_assert_int_le(rank(&all[i - 1]), rank(&all[i]));
		}
	}
	/* truncation keeps the best-ranked address */
	ck_assert_int_eq(ticket_addresses_collect(first, 1, &n1), 0);
	ck_assert_uint_eq(n1, n > 0 ? 1 : 0);
	if (n > 0) {
		ck_assert_str_eq(first[0].text, all[0].text);
	}
	ck_assert_int_eq(ticket_addresses_collect(NULL, 0, &n1), 0);
	ck_assert_uint_eq(n1, 0);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("ticket-address");
	TCase *tc;

	tc = tcase_create("sockaddr");
	tcase_add_test(tc, from_sockaddr_v4);
	tcase_add_test(tc, from_sockaddr_v6);
	tcase_add_test(tc, from_sockaddr_v6_scope_id);
	tcase_add_test(tc, from_sockaddr_longest);
	tcase_add_test(tc, from_sockaddr_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("sort");
	tcase_add_test(tc, sort_orders_classes_stably);
	tcase_add_test(tc, sort_small);
	tcase_add_test(tc, collect_real);
	suite_add_tcase(s, tc);

	return s;
}
