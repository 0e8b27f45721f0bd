#pragma once

/*
 * "Changes made with the tools": the last lines of the toolset's audit log
 * (/run/lifeline/audit.log, one line per change, written by toolset/audit.c), shown on the
 * Remote Connection panel so that the person at the computer sees what the helpdesk did.
 *
 * The tail and the cleaning are pure (tests give them text); reading the file and watching
 * its directory (inotify) are the I/O around them. The log's lines hold names found on disks:
 * hostile text, cleaned before display.
 */

#include <stdbool.h>
#include <stddef.h>

#define SHELL_CHANGES_FILE  "audit.log"
#define SHELL_CHANGES_LINES 3
#define SHELL_CHANGE_TEXT   200
/* How much of the end of the file is read: far more than SHELL_CHANGES_LINES lines. */
#define SHELL_CHANGES_READ 8192

/*
 * One line made fit for the screen: tabs become spaces; control characters (C0, DEL, C1),
 * bidi and line-separator code points and bytes that are not UTF-8 become '?'; cut at a
 * character boundary to fit `size` bytes with its NUL, ending in "…" when cut. size >= 8.
 */
void shell_changes_clean(const char *in, size_t len, char *out, size_t size);

/*
 * The last `max` non-empty lines of `text` (the end of the file), oldest first, each cleaned.
 * `cut_start` says that text begins inside a line (the file was read from an offset): that
 * first piece is no line of its own and is skipped. A last line without its newline counts.
 * Returns how many lines were written to out.
 */
size_t shell_changes_tail(const char *text, size_t len, bool cut_start,
			  char (*out)[SHELL_CHANGE_TEXT], size_t max);

/* Reads the end of the file at `path` into lines as shell_changes_tail() does. A missing file
 * is no change yet: 0 with *ret_n = 0. Negative errno otherwise (not a regular file:
 * -EINVAL). */
int shell_changes_read(const char *path, char (*out)[SHELL_CHANGE_TEXT], size_t max, size_t *ret_n);

/* An inotify fd (non-blocking, close-on-exec) watching directory `dir` (made, mode 0700, if
 * it is missing) for files written, created, moved and removed. Negative errno. */
int shell_changes_watch_open(const char *dir);

/* Reads the fd's events. True if one of them concerns file `name` in the directory, or the
 * watch ended (the directory went): the caller re-reads, and reopens the watch in that case
 * (*ret_lost). */
bool shell_changes_watch_drain(int fd, const char *name, bool *ret_lost);
