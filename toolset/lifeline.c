/*
 * lifeline: the recovery toolset, one program with a tool per subcommand (like git).  Each tool
 * is scriptable with flags and, started on a terminal without them, asks what to do.
 */
#include "lifeline-config.h"
#include "tools.h"
#include "tui.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct lifeline_tool tools[] = {
	{ "systems", "list the installed systems on every disk", tool_systems },
	{ "locksmith", "reset a password, unlock an account, restore sudo", tool_locksmith },
	{ "fsck", "check and repair filesystems", tool_fsck },
	{ "bootrepair", "reinstall the boot loader, its configuration and the initramfs",
	  tool_bootrepair },
	{ "fstab", "find and fix fstab entries that stop the boot", tool_fstab },
	{ "services", "failed units of the last boot; enable, disable or mask units",
	  tool_services },
	{ "logs", "the last boots, their errors and a diagnosis", tool_logs },
	{ "restore", "list deleted files, restore them byte-identical, carve with photorec",
	  tool_restore },
	{ "files", "browse the installed system's files (Midnight Commander)", tool_files },
	{ "search", "find files by name, date and size", tool_search },
	{ "copy", "copy files to a USB stick or a network share, checksums verified", tool_copy },
	{ "packages", "check packages, reinstall damaged ones, roll back apt", tool_packages },
	{ "disks", "disks, partition tables and health; save, restore, find lost partitions",
	  tool_disks },
	{ "wipe", "wipe a disk or a partition (zero, random, passes, secure erase)", tool_wipe },
};

const struct lifeline_tool *lifeline_tools(size_t *count)
{
	*count = sizeof(tools) / sizeof(tools[0]);
	return tools;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: lifeline TOOL [OPTIONS]\n"
		   "       lifeline             (on a terminal: choose a tool from a menu)\n"
		   "\n"
		   "Tools:\n");
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		fprintf(f, "  %-12s %s\n", tools[i].name, tools[i].summary);
	}
	fprintf(f, "\n'lifeline TOOL --help' describes a tool.  Exit status: 0 success, 1 failure,\n"
		   "2 bad usage (or a change that needs --yes without a terminal).\n"
		   "Changes are recorded in " "/var/log/lifeline-audit.log on the repaired system.\n");
}

int main(int argc, char **argv)
{
	/* a reader that goes away (lifeline logs | head) must not stop us before the unmounts */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		if (isatty(0) && isatty(1)) {
			return tui_menu();
		}
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("lifeline %s\n", LIFELINE_VERSION);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
		if (strcmp(argv[1], tools[i].name) != 0) {
			continue;
		}
		struct cli c = { .tool = tools[i].name, .tty = isatty(0) && isatty(1) };
		int r = tools[i].run(&c, argc - 1, argv + 1);
		cli_free(&c);
		return r;
	}
	char clean[64];
	snprintf(clean, sizeof(clean), "%s", argv[1]);
	for (char *p = clean; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*p = '?';
		}
	}
	fprintf(stderr, "lifeline: '%s' is not a lifeline tool; see 'lifeline --help'.\n", clean);
	return CLI_USAGE;
}
