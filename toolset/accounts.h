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
