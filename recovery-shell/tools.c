#include "tools.h"

#include <errno.h>
#include <string.h>

static const struct shell_tool builtin_tools[] = {
	{ "remote", "Remote Connection", "Let the helpdesk see and drive this screen",
	  SHELL_TOOL_REMOTE, SHELL_TOOL_SINGLE },
	{ "shell", "Shell", "A command line as root", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_RESPAWN | SHELL_TOOL_AT_START },
	{ "network", "Network", "Addresses; DHCP or a static address", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_SINGLE },
	{ "sysinfo", "System information", "Disks, memory, CPU, kernel log", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_SINGLE },
	/* The recovery toolset (toolset/): each entry runs `lifeline ID` in its text UI. */
	{ "locksmith", "Locksmith", "Passwords, locked accounts, sudo", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_SINGLE },
	{ "fsck", "Filesystem check", "Check and repair filesystems", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_SINGLE },
	{ "bootrepair", "Boot repair", "Boot loader, initramfs, kernels", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_SINGLE },
	{ "fstab", "Mounts (fstab)", "Entries that stop the boot", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_SINGLE },
	{ "services", "Startup and services", "What starts at boot; failed units",
	  SHELL_TOOL_PROGRAM, SHELL_TOOL_SINGLE },
	{ "logs", "Logs and crash analysis", "Journal, failed boots, crashes", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_SINGLE },
	{ "packages", "Packages", "Check, repair, roll back updates", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_SINGLE },
	{ "restore", "File restore", "Bring deleted files back", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_SINGLE },
	{ "files", "Files", "Browse, search, copy out", SHELL_TOOL_PROGRAM, SHELL_TOOL_SINGLE },
	{ "disks", "Disk commander", "Partition tables, health, wipe", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_SINGLE },
	{ "systems", "Installed systems", "The systems found on the disks", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_SINGLE },
	{ "keyboard", "Keyboard layout", "Choose the layout of this keyboard", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_SINGLE | SHELL_TOOL_SETS_KEYMAP },
	{ "power", "Restart or power off", "Leave the recovery system", SHELL_TOOL_PROGRAM,
	  SHELL_TOOL_SINGLE },
	/* The Remote Connection panel's "Save to USB stick (S)": lifeline-handoff asks which. */
	{ "handoff", "Save to USB stick", "The connection info for the helpdesk",
	  SHELL_TOOL_PROGRAM, SHELL_TOOL_SINGLE | SHELL_TOOL_UNLISTED },
};

const struct shell_tool *shell_tools_builtin(size_t *ret_count)
{
	*ret_count = sizeof(builtin_tools) / sizeof(builtin_tools[0]);
	return builtin_tools;
}

int shell_tools_find(const struct shell_tool *tools, size_t count, const char *id)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(tools[i].id, id) == 0) {
			return (int)i;
		}
	}
	return -ENOENT;
}
