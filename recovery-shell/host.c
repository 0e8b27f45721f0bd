#include "host.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void add_addrs(struct shell_host_info *h, struct ifaddrs *list, int family)
{
	for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
		char buf[INET6_ADDRSTRLEN];

		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != family ||
		    (ifa->ifa_flags & IFF_LOOPBACK) || h->n_addrs >= SHELL_HOST_MAX_ADDRS) {
			continue;
		}
		if (family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)ifa->ifa_addr;

			inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ifa->ifa_addr;

			if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr)) {
				continue;
			}
			inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof(buf));
		}
		snprintf(h->addrs[h->n_addrs++], sizeof(h->addrs[0]), "%s", buf);
	}
}

int shell_host_read(struct shell_host_info *ret)
{
	struct shell_host_info h = { 0 };
	struct ifaddrs *list;

	if (gethostname(h.hostname, sizeof(h.hostname) - 1) < 0) {
		snprintf(h.hostname, sizeof(h.hostname), "localhost");
	}
	if (getifaddrs(&list) == 0) {
		add_addrs(&h, list, AF_INET);
		add_addrs(&h, list, AF_INET6);
		freeifaddrs(list);
	}
	*ret = h;
	return 0;
}

int shell_host_watch_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups =
					  RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0) {
		return -errno;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

void shell_host_watch_drain(int fd)
{
	char buf[8192];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0) {
	}
}

void shell_cmdline_parse(const char *cmdline, struct shell_cmdline *ret)
{
	struct shell_cmdline c = { 0 };
	const char *p = cmdline;

	while (p && *p) {
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == '\n') {
			p++;
		}
		len = strcspn(p, " \t\n");
		if (len > 15 && strncmp(p, "lifeline.keymap=", 16) == 0) {
			size_t vl = len - 16;

			if (vl < sizeof(c.keymap)) {
				memcpy(c.keymap, p + 16, vl);
				c.keymap[vl] = '\0';
			}
		} else if (len > 18 && len < 18 + sizeof(c.announce) &&
			   strncmp(p, "lifeline.announce=", 18) == 0) {
			char dev[64];

			memcpy(dev, p + 18, len - 18);
			dev[len - 18] = '\0';
			/* Only console devices: the command line must not make the shell write
			 * files. */
			if ((strncmp(dev, "/dev/tty", 8) == 0 || strncmp(dev, "/dev/hvc", 8) == 0 ||
			     strcmp(dev, "/dev/console") == 0) &&
			    !strstr(dev, "..")) {
				memcpy(c.announce, dev, sizeof(dev));
			}
		} else if (len == 20 && strncmp(p, "lifeline.remote=auto", 20) == 0) {
			c.remote_auto = true;
		} else if (len > 21 && len < 27 && strncmp(p, "lifeline.debug-stall=", 21) == 0) {
			unsigned ms = 0;
			size_t i;

			for (i = 21; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
				ms = ms * 10 + (unsigned)(p[i] - '0');
			}
			if (i == len && ms <= 10000) {
				c.debug_stall_ms = ms;
			}
		}
		p += len;
	}
	*ret = c;
}

int shell_cmdline_read(const char *path, struct shell_cmdline *ret)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path ? path : "/proc/cmdline", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		return -errno;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		return -errno;
	}
	buf[n] = '\0';
	shell_cmdline_parse(buf, ret);
	return 0;
}
