#pragma once

/* What the header shows about the machine, and what the kernel command line asks of the shell. */

#include <stdbool.h>
#include <stddef.h>

#define SHELL_HOST_MAX_ADDRS 8

struct shell_host_info {
	char hostname[64];
	char addrs[SHELL_HOST_MAX_ADDRS][64];
	size_t n_addrs;
};

/* Hostname and addresses (IPv4 first; no loopback, no IPv6 link-local). */
int shell_host_read(struct shell_host_info *ret);

/* A netlink socket that becomes readable when addresses or links change; -errno on failure. */
int shell_host_watch_open(void);
/* Drains it. */
void shell_host_watch_drain(int fd);

struct shell_cmdline {
	/* lifeline.keymap=LAYOUT[:VARIANT] (empty if absent). */
	char keymap[64];
	/* lifeline.remote=auto: the server was started at boot; attach to it. */
	bool remote_auto;
	/* lifeline.announce=/dev/ttyS0: marker lines to a console device (only /dev/tty*,
	 * /dev/hvc*, /dev/console; empty otherwise). */
	char announce[64];
	/* lifeline.debug-stall=MS (tests): the main loop sleeps MS after each frame, as a
	 * loop busy drawing under load would; 0 if absent, at most 10000. */
	unsigned debug_stall_ms;
};

/* Parses a kernel command line (the contents of /proc/cmdline). */
void shell_cmdline_parse(const char *cmdline, struct shell_cmdline *ret);
/* Reads /proc/cmdline (or `path`) and parses it; 0 or a negative errno. */
int shell_cmdline_read(const char *path, struct shell_cmdline *ret);
