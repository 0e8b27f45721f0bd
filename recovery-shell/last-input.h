#pragma once

/*
 * Who gave the console its last key or click: "keyboard" (this computer's own devices) or
 * "helpdesk" (the remote devices lifeline-server injects for a Remote Connection client), in
 * DIR/last-input (/run/lifeline/last-input). The recovery tools in the panes read it to say in
 * their audit lines who made a change (toolset/audit.c, with LIFELINE_PANE set). The file is
 * written before the input that changed it reaches a pane, so a tool acting on that key reads
 * the right word.
 */

#include <stdbool.h>

#include "state.h"

#define SHELL_LAST_INPUT_FILE "last-input"

struct shell_last_input {
	char dir[256];
	/* What the file holds as far as we know: SHELL_SOURCE_* or -1 (not written yet). */
	int written;
};

void shell_last_input_init(struct shell_last_input *li, const char *dir);

/* The file's word for a source: "keyboard" or "helpdesk". */
const char *shell_last_input_word(enum shell_source source);

/*
 * An input arrived from `source`. When that differs from what the file holds, the file is
 * replaced (a temporary file renamed over it, mode 0644; the directory is made, mode 0700, if
 * missing): 1. Unchanged: 0. Negative errno when it could not be written; the next input
 * tries again.
 */
int shell_last_input_note(struct shell_last_input *li, enum shell_source source);
