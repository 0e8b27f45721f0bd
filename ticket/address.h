#pragma once

/* The machine's addresses, as the end user reads them to the helpdesk. */

#include <arpa/inet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct ticket_address {
	int family;                                    /* AF_INET or AF_INET6 */
	char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 1]; /* "fe80::1%eth0" for link-local v6 */
	char ifname[IF_NAMESIZE];                      /* interface it was found on, or "" */
	bool link_local;                               /* 169.254.0.0/16 or fe80::/10 */
};

/*
 * Order: IPv4 (not 169.254/16) first, then other IPv6, then link-local (169.254.x and
 * fe80::/10) last; stable within a class. Pure.
 */
void ticket_addresses_sort(struct ticket_address *a, size_t n);

/*
 * Every non-loopback address of every interface that is IFF_UP, via getifaddrs(3), sorted;
 * skips loopback interfaces, 127.0.0.0/8 and ::1. When there are more than max, the first max
 * in sort order are kept. 0 and *ret_n, or -errno.
 */
int ticket_addresses_collect(struct ticket_address *out, size_t max, size_t *ret_n);

/*
 * Build one from an AF_INET or AF_INET6 sockaddr. ifname may be NULL; a link-local IPv6
 * address gets "%ifname" (or, without ifname, the name of sin6_scope_id if it has one).
 * 0, -EAFNOSUPPORT for other families, -ENAMETOOLONG for an over-long ifname.
 */
int ticket_address_from_sockaddr(const struct sockaddr *sa, const char *ifname,
				 struct ticket_address *ret);
