#pragma once

/*
 * Clipboard text in and out of a terminal pane, pure: the helpdesk's text made safe to type
 * into a program, bracketed-paste mode (DECSET 2004) followed from the program's output, and
 * OSC 52 ("copy this to the clipboard") taken apart. Everything here is hostile input: text
 * from a remote clipboard, output of any program.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Pasted text as a program in a terminal expects typed text: line ends become CR (LF and CRLF
 * alike), "ESC [ 201 ~" is removed (it would end a bracketed paste early), and so is every
 * other control character except TAB, and the C1 controls (U+0080-U+009F). out has room for
 * len bytes (the result is never longer); returns its length.
 */
size_t shell_paste_sanitize(const char *in, size_t len, char *out);

/* Follows DECSET/DECRST 2004 in a program's output, also across reads. */
struct shell_paste_mode {
	bool bracketed;
	size_t tail_len;
	char tail[8]; /* the end of the last read, which may hold half a sequence */
};

void shell_paste_mode_scan(struct shell_paste_mode *m, const char *buf, size_t len);

/*
 * An OSC 52 string ("52;SELECTIONS;BASE64", without the OSC and its terminator) to the text it
 * sets. 0 with *ret (NUL-terminated, caller frees) and *ret_len; -ENOENT if it is not OSC 52;
 * -EOPNOTSUPP for a query ("?"), which is never answered; -EINVAL for bad base64, -EILSEQ for
 * text that is not UTF-8 without NUL; -EFBIG for more than max bytes; -ENOMEM.
 */
int shell_osc52_parse(const char *osc, size_t len, size_t max, char **ret, size_t *ret_len);

/*
 * Finds OSC 52 sequences in a program's output, also across reads and however long (libtsm
 * cuts OSC strings at 127 bytes, so it cannot be asked). fn gets each copied text (as
 * shell_osc52_parse returns it, valid during the call); bad or too long ones are dropped.
 */
struct shell_osc52_scanner {
	int state;
	bool overflow;
	char *buf;
	size_t len, cap;
};

typedef void (*shell_osc52_fn)(void *data, const char *text, size_t len);
void shell_osc52_scan(struct shell_osc52_scanner *s, const char *buf, size_t len, size_t max,
		      shell_osc52_fn fn, void *data);
void shell_osc52_scanner_free(struct shell_osc52_scanner *s);

/* Strict base64 (RFC 4648, padding optional at the very end). 0 or -EINVAL; out has room for
 * len * 3 / 4 bytes. */
int shell_base64_decode(const char *in, size_t len, unsigned char *out, size_t *ret_len);

/* One UTF-8 sequence at s (n bytes available) into *cp: its length (1-4), or -EILSEQ for an
 * invalid, overlong, surrogate or out-of-range one. */
int shell_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
