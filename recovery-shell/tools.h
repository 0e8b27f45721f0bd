#pragma once

/*
 * The tool list. Adding a tool is one entry in tools.c and one program in recovery-shell/tools/
 * (installed to LIBEXECDIR/lifeline/tools). Every tool other than Remote Connection runs as an
 * ordinary program in a terminal pane. A few programs run in a pane the same way but are opened
 * by a button of the Remote Connection panel instead of the list (SHELL_TOOL_UNLISTED).
 */

#include <stdbool.h>
#include <stddef.h>

enum shell_tool_kind {
	/* The Remote Connection panel, drawn by the shell itself. */
	SHELL_TOOL_REMOTE,
	/* A program in a terminal pane. */
	SHELL_TOOL_PROGRAM,
};

enum shell_tool_flags {
	/* Only one pane of this tool at a time: opening it again shows the existing pane. */
	SHELL_TOOL_SINGLE = 1 << 0,
	/* The pane is reopened when its program exits (the Shell is always there). */
	SHELL_TOOL_RESPAWN = 1 << 1,
	/* The program may switch the console keyboard layout (OSC 777;lifeline;keymap=...). */
	SHELL_TOOL_SETS_KEYMAP = 1 << 2,
	/* Opened at start-up. */
	SHELL_TOOL_AT_START = 1 << 3,
	/* Not in the list (it is full at 1080p): a button of the Remote Connection panel opens
	 * it. Unlisted entries come after all the listed ones. */
	SHELL_TOOL_UNLISTED = 1 << 4,
};

struct shell_tool {
	/* Short stable name; also the program's file name under the tools directory. */
	const char *id;
	/* What the list shows. */
	const char *title;
	/* One line under the title. */
	const char *description;
	enum shell_tool_kind kind;
	unsigned flags;
};

/* The built-in table, in the order the list shows it, the unlisted entries last. */
const struct shell_tool *shell_tools_builtin(size_t *ret_count);

/* Index of the tool called `id` in `tools`, or -ENOENT. */
int shell_tools_find(const struct shell_tool *tools, size_t count, const char *id);
