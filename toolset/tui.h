#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cli;

/*
 * The text UI (libnewt, as Debian's installer and nmtui): small dialogs the tools use when they run
 * on a terminal without flags.  The dialogs only collect choices; the work is the same code the
 * flags run.  Between dialogs the terminal is a plain terminal again, so the output of the
 * wrapped programs (e2fsck, grub-install) shows as it comes.
 */

/* The menu of tools (lifeline without arguments on a terminal); returns an exit status. */
int tui_menu(void);
/* Runs tool NAME (RUN) on this terminal as if started without arguments, so that it asks
 * its own questions (a menu entry that opens another tool); its exit status. */
int tui_run_tool(const char *name, int (*run)(struct cli *c, int argc, char **argv));

/* Index of the chosen item, or -1 for Cancel/Escape. */
int tui_choose(const char *title, const char *text, const char *const *items, size_t n);
/* A line of text (hidden for secrets); NULL for Cancel.  The caller frees (and wipes) it. */
char *tui_entry(const char *title, const char *prompt, bool secret);
bool tui_yesno(const char *title, const char *text);
/* A long text in a scrolling box with OK. */
void tui_show(const char *title, const char *text);
/* After plain output: "Press Enter to go on". */
void tui_pause(void);
