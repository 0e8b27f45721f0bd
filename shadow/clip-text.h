#pragma once

/*
 * Clipboard text between the RDP wire format and ours. RDP's CF_UNICODETEXT is UTF-16LE with
 * CRLF line ends and a terminating NUL; ours is UTF-8 with LF line ends and no NUL. Both sides
 * are hostile input (a remote client, a program on the console): nothing here trusts a length,
 * a surrogate or a UTF-8 sequence. Pure: no FreeRDP, no I/O.
 */

#include <stddef.h>
#include <stdint.h>

/*
 * CF_UNICODETEXT data (len bytes) to UTF-8, up to the first NUL; CRLF becomes LF. Unpaired
 * surrogates become U+FFFD; an odd last byte is ignored. *ret is NUL-terminated and
 * caller-freed, *ret_len excludes the NUL. -EFBIG if the UTF-8 text would be longer than max
 * bytes, -ENOMEM.
 */
int clip_text_from_utf16le(const uint8_t *data, size_t len, size_t max, char **ret,
			   size_t *ret_len);

/*
 * UTF-8 text (len bytes, up to the first NUL) to CF_UNICODETEXT: LF becomes CRLF (a CR that
 * is already followed by LF stays one pair), invalid UTF-8 becomes U+FFFD, and a NUL ends it.
 * *ret is caller-freed, *ret_len counts bytes including the terminating NUL. -EFBIG if the text
 * is longer than max bytes, -ENOMEM.
 */
int clip_text_to_utf16le(const char *text, size_t len, size_t max, uint8_t **ret, size_t *ret_len);

/*
 * Decodes one UTF-8 sequence at s (n bytes available) into *cp. Returns its length (1-4), or
 * -EILSEQ for an invalid, overlong, surrogate or out-of-range sequence (then skip one byte).
 */
int clip_text_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Encodes code point c (at most 0x10ffff) as UTF-8 into out; returns its length (1-4). */
size_t clip_text_utf8_encode(uint32_t c, char out[4]);
