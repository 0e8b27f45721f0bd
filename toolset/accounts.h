#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * The local accounts of an installed system, from its passwd, shadow and group files (hostile
 * text: every field bounded and checked).  Pure: the files' contents and today's date come in
 * as arguments.
 */

#define ACCOUNTS_MAX 256

struct accounts_entry {
	char name[64];
	unsigned long uid;
	char shell[128];
	bool login;            /* a login shell (not nologin/false) */
	bool locked;           /* the password hash starts with '!' */
	bool no_password;      /* no usable hash ("", "*", "!" alone) */
	bool expired;          /* the account's expiry date has passed */
	bool password_expired; /* last change + maximum age has passed */
	bool admin;            /* in the sudo, wheel or admin group */
	long expire_day;       /* days since 1970 (-1: never) */
};

struct accounts {
	struct accounts_entry e[ACCOUNTS_MAX];
	size_t n;
	char admin_group[32]; /* the group that grants sudo here ("" when none) */
};

/* Parses the three files (any may be NULL); TODAY is days since 1970. */
void accounts_parse(struct accounts *ret, const char *passwd, const char *shadow, const char *group,
		    long today);

/* The entry named NAME, or NULL. */
const struct accounts_entry *accounts_find(const struct accounts *a, const char *name);

/* A user name as useradd accepts it (what we pass to chpasswd, usermod, chage). */
bool accounts_valid_name(const char *name);

/*
 * The shadow file with NAME's lock ('!' prefix) removed, its expiry cleared and, with
 * RESET_AGE, its last password change set to TODAY.  Returns a new string, or NULL when NAME is
 * absent; *RET_NO_HASH is set when nothing usable is left after the '!' (a password is needed).
 */
char *accounts_unlock_shadow(const char *shadow, const char *name, long today, bool reset_age,
			     bool *ret_no_hash);

/*
 * The local accounts of a Windows installation as chntpw's `sampasswd -l` lists its SAM hive:
 * "RID:NAME:ADMIN:ACB:HASHLEN" per line, numbers in hex (names come from the disk: sanitized).
 */
#define ACCOUNTS_WINDOWS_ACB_DISABLED 0x0001
#define ACCOUNTS_WINDOWS_ACB_AUTOLOCK 0x0400
#define ACCOUNTS_WINDOWS_ACB_LOCKED 0x8000 /* chntpw's own bit: disabled, locked or failed logins */

struct accounts_windows_entry {
	char name[64];
	unsigned long rid;
	bool admin;
	unsigned long acb;
	unsigned long hash_len; /* < 16: no password */
};

struct accounts_windows {
	struct accounts_windows_entry e[ACCOUNTS_MAX];
	size_t n;
};

void accounts_windows_parse(struct accounts_windows *ret, const char *text);
/* The entry named NAME (Windows names compare without case), or NULL. */
const struct accounts_windows_entry *accounts_windows_find(const struct accounts_windows *a,
							   const char *name);
