#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * An installed system's unit files, offline: their states from the system's own unit directories
 * (systemctl --root list-unit-files) and a unit's text (its file and drop-ins) read inside the
 * root.  Library code: 0 or a negative errno, no logging.
 */

struct units_file {
	char name[256];
	char state[32];  /* enabled, disabled, static, masked, alias, generated, indirect... */
	char preset[16]; /* enabled, disabled or "" */
};

/* The unit files of the system at ROOT, as systemctl lists them. */
int units_list(const char *root, struct units_file **ret, size_t *ret_n);

/* NAME in U, or for an instance (getty@tty1.service) its template (getty@.service); NULL. */
const struct units_file *units_find(const struct units_file *u, size_t n, const char *name);

/* The unit file of NAME and its drop-ins (*.conf in NAME.d/), concatenated; -ENOENT. */
int units_read_text(const char *root, const char *name, char **ret);
