#include "address.h"

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int address_class(const struct ticket_address *a)
{
	if (a->link_local) {
		return 2;
	}
	return a->family == AF_INET ? 0 : 1;
}

void ticket_addresses_sort(struct ticket_address *a, size_t n)
{
	/* Insertion sort: stable, and n is a handful of addresses. */
	for (size_t i = 1; i < n; i++) {
		struct ticket_address tmp = a[i];
		int c = address_class(&tmp);
		size_t j = i;

		while (j > 0 && address_class(&a[j - 1]) > c) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = tmp;
	}
}

int ticket_address_from_sockaddr(const struct sockaddr *sa, const char *ifname,
				 struct ticket_address *ret)
{
	struct ticket_address a;
	char scope_name[IF_NAMESIZE];

	memset(&a, 0, sizeof(a));
	if (ifname) {
		size_t len = strlen(ifname);

		if (len >= sizeof(a.ifname)) {
			return -ENAMETOOLONG;
		}
		memcpy(a.ifname, ifname, len + 1);
	}

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		uint32_t addr = ntohl(sin->sin_addr.s_addr);

		a.family = AF_INET;
		a.link_local = (addr & 0xffff0000u) == 0xa9fe0000u; /* 169.254.0.0/16 */
		if (!inet_ntop(AF_INET, &sin->sin_addr, a.text, sizeof(a.text))) {
			return -errno;
		}
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		const char *zone = a.ifname;

		a.family = AF_INET6;
		a.link_local = IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr);
		if (!inet_ntop(AF_INET6, &sin6->sin6_addr, a.text, sizeof(a.text))) {
			return -errno;
		}
		if (a.link_local && !zone[0] && sin6->sin6_scope_id != 0 &&
		    if_indextoname(sin6->sin6_scope_id, scope_name)) {
			zone = scope_name;
		}
		if (a.link_local && zone[0]) {
			size_t len = strlen(a.text);

			snprintf(a.text + len, sizeof(a.text) - len, "%%%s", zone);
		}
	} else {
		return -EAFNOSUPPORT;
	}

	*ret = a;
	return 0;
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		return IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	}
	return false;
}

int ticket_addresses_collect(struct ticket_address *out, size_t max, size_t *ret_n)
{
	struct ifaddrs *ifa_list, *ifa;
	struct ticket_address *all;
	size_t count = 0, n = 0;

	if (getifaddrs(&ifa_list) < 0) {
		return -errno;
	}
	for (ifa = ifa_list; ifa; ifa = ifa->ifa_next) {
		count++;
	}
	/* Collect everything first so that truncation to max keeps the best-ranked addresses. */
	all = calloc(count ? count : 1, sizeof(*all));
	if (!all) {
		freeifaddrs(ifa_list);
		return -ENOMEM;
	}
	for (ifa = ifa_list; ifa; ifa = ifa->ifa_next) {
		const struct sockaddr *sa = ifa->ifa_addr;

		if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)) {
			continue;
		}
		if (!(ifa->ifa_flags & IFF_UP) || (ifa->ifa_flags & IFF_LOOPBACK) ||
		    is_loopback(sa)) {
			continue;
		}
		if (ticket_address_from_sockaddr(sa, ifa->ifa_name, &all[n]) == 0) {
			n++;
		}
	}
	freeifaddrs(ifa_list);

	ticket_addresses_sort(all, n);
	if (n > max) {
		n = max;
	}
	if (n > 0) {
		memcpy(out, all, n * sizeof(*all));
	}
	free(all);
	*ret_n = n;
	return 0;
}
