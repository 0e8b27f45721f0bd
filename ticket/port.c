#include "port.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TICKET_PORT_RANDOM_TRIES 32
/* Each draw is rejected with probability < 1/2; 64 rejections in a row mean a broken source. */
#define TICKET_PORT_DRAW_ROUNDS 64

/*
 * 0 when a listening server socket could take the port, else -errno. A bind with SO_REUSEADDR
 * fails exactly when the server's own bind would: the port is listened on, or held by a socket
 * without SO_REUSEADDR.
 */
static int try_bind(int family, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int one = 1;
	int fd;
	int r = 0;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_any;
		sslen = sizeof(*sin6);
	}

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -errno;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
		r = -errno;
		goto out;
	}
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) {
		r = -errno;
		goto out;
	}
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) {
		r = -errno;
	}
out:
	close(fd);
	return r;
}

bool ticket_port_is_free(uint16_t port, void *userdata)
{
	int r;

	if (port == 0) {
		return false;
	}
	if (try_bind(AF_INET, port) < 0) {
		return false;
	}
	r = try_bind(AF_INET6, port);
	return r == 0 || r == -EAFNOSUPPORT || r == -EADDRNOTAVAIL;
}

/* uniform in [0, n), 1 <= n <= 65536 */
static int draw(uint32_t n, ticket_random_fn rnd, void *rnd_ud, uint32_t *ret)
{
	uint64_t limit;

	if (n == 0) {
		return -EINVAL;
	}
	/* the largest multiple of n that 32 bits can hold: values at or above it are drawn again */
	limit = (UINT64_C(1) << 32) - (UINT64_C(1) << 32) % n;
	for (unsigned i = 0; i < TICKET_PORT_DRAW_ROUNDS; i++) {
		uint32_t v;
		int r = rnd(&v, sizeof(v), rnd_ud);

		if (r < 0) {
			return r;
		}
		if (v < limit) {
			*ret = v % n;
			return 0;
		}
	}
	return -EIO;
}

int ticket_port_pick(uint16_t lo, uint16_t hi, ticket_random_fn rnd, void *rnd_ud,
		     ticket_port_free_fn is_free, void *free_ud, uint16_t *ret_port)
{
	uint32_t n, start;
	int r;

	if (lo == 0 || lo > hi) {
		return -EINVAL;
	}
	n = (uint32_t)hi - lo + 1;

	for (unsigned i = 0; i < TICKET_PORT_RANDOM_TRIES && i < n; i++) {
		uint32_t off;
		uint16_t port;

		r = draw(n, rnd, rnd_ud, &off);
		if (r < 0) {
			return r;
		}
		port = (uint16_t)(lo + off);
		if (is_free(port, free_ud)) {
			*ret_port = port;
			return 0;
		}
	}

	r = draw(n, rnd, rnd_ud, &start);
	if (r < 0) {
		return r;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint16_t port = (uint16_t)(lo + (start + i) % n);

		if (is_free(port, free_ud)) {
			*ret_port = port;
			return 0;
		}
	}
	return -EADDRINUSE;
}

/* parse decimal digits in [s, end); 0 and the value in 1..65535, else -EINVAL */
static int parse_port(const char *s, const char *end, uint16_t *ret)
{
	uint32_t v = 0;

	if (s == end) {
		return -EINVAL;
	}
	for (; s < end; s++) {
		if (*s < '0' || *s > '9') {
			return -EINVAL;
		}
		v = v * 10 + (uint32_t)(*s - '0');
		if (v > 65535) {
			return -EINVAL;
		}
	}
	if (v == 0) {
		return -EINVAL;
	}
	*ret = (uint16_t)v;
	return 0;
}

int ticket_port_range_parse(const char *s, uint16_t *ret_lo, uint16_t *ret_hi)
{
	const char *dash, *end;
	uint16_t lo, hi;
	int r;

	if (!s) {
		return -EINVAL;
	}
	end = s + strlen(s);
	dash = strchr(s, '-');
	if (!dash) {
		r = parse_port(s, end, &lo);
		if (r < 0) {
			return r;
		}
		hi = lo;
	} else {
		r = parse_port(s, dash, &lo);
		if (r < 0) {
			return r;
		}
		r = parse_port(dash + 1, end, &hi);
		if (r < 0) {
			return r;
		}
		if (lo > hi) {
			return -EINVAL;
		}
	}
	*ret_lo = lo;
	*ret_hi = hi;
	return 0;
}
