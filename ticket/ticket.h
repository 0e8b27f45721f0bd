#pragma once

/*
 * The Remote Connection ticket: nine random digits, shown as NNN-NNN-NNN, read aloud over the
 * phone and typed by the helpdesk as the RDP password.
 *
 * Everything here is pure except ticket_random_getrandom(): randomness is a parameter so tests
 * can feed chosen bytes.
 */

#include <stdbool.h>
#include <stddef.h>

#define TICKET_DIGITS    9
#define TICKET_TEXT_SIZE 12 /* "NNN-NNN-NNN" + NUL */
#define TICKET_SPELLINGS 3

struct ticket {
	char digits[TICKET_DIGITS + 1]; /* NUL-terminated ASCII digits */
};

/* Random source: fill buf with len random bytes; 0 or -errno. */
typedef int (*ticket_random_fn)(void *buf, size_t len, void *userdata);

/* Kernel CSPRNG via getrandom(2); retries on EINTR and short reads. userdata is unused. */
int ticket_random_getrandom(void *buf, size_t len, void *userdata);

/*
 * Nine uniformly distributed digits: each digit comes from one random byte, bytes >= 250 are
 * rejected so no digit is more likely than another. Returns 0, the error of rnd, or -EIO when
 * rnd keeps returning only rejected bytes (a broken source; never happens with a real one).
 * t is untouched on error.
 */
int ticket_generate(struct ticket *t, ticket_random_fn rnd, void *userdata);

/* "NNN-NNN-NNN" */
void ticket_format(const struct ticket *t, char out[TICKET_TEXT_SIZE]);

/*
 * Strip ASCII dashes and spaces; 0 and the 9 digits (NUL-terminated) in out, -EINVAL unless
 * exactly 9 digits and nothing else remain (out is zeroed then). Reads exactly len bytes; the
 * input need not be NUL-terminated and an embedded NUL is an invalid character.
 */
int ticket_normalize(const char *presented, size_t len, char out[TICKET_DIGITS + 1]);

/*
 * Does the presented text (with or without dashes/spaces) equal the ticket? Constant time with
 * respect to the ticket: no early exit; the work depends only on len. Wipes its temporaries.
 */
bool ticket_matches(const struct ticket *t, const char *presented, size_t len);

/*
 * The spellings a client may have typed, for NTLM where the server must derive a hash from each
 * candidate: "482915307", "482-915-307", "482 915 307". Writes min(max, TICKET_SPELLINGS)
 * strings and returns that count (3 when max >= 3).
 */
size_t ticket_spellings(const struct ticket *t, char out[][TICKET_TEXT_SIZE], size_t max);

/* Build a ticket from text accepted by ticket_normalize(); 0 or -EINVAL (t untouched). */
int ticket_from_text(struct ticket *t, const char *text, size_t len);

/* explicit_bzero; accepts NULL */
void ticket_wipe(struct ticket *t);
