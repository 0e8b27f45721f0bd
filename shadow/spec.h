#pragma once

/*
 * Backend spec strings: NAME[:KEY=VALUE[,KEY=VALUE...]].
 *
 * Shared by the capture and injector factories. A backend looks its options up by key; keys it
 * never asked for are reported as unknown afterwards, so a typo is an error, not a silent default.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHADOW_SPEC_MAX_OPTIONS 16

struct shadow_spec_option {
	const char *key;
	const char *value;
	bool used;
};

struct shadow_spec {
	char *buf; /* owned copy of the spec that name/key/value point into */
	const char *name;
	size_t n_options;
	struct shadow_spec_option options[SHADOW_SPEC_MAX_OPTIONS];
};

/* Split spec into name and options. Empty name, an option without '=' or with an empty key, a
 * repeated key or more than SHADOW_SPEC_MAX_OPTIONS options → -EINVAL with a message. */
int shadow_spec_parse(const char *spec, struct shadow_spec *ret, char *errbuf, size_t errlen);
/* Frees what shadow_spec_parse allocated; accepts a zeroed or already finished spec. */
void shadow_spec_fini(struct shadow_spec *spec);

/* The value of key (marking it used), or NULL when absent. */
const char *shadow_spec_get(struct shadow_spec *spec, const char *key);
/* -EINVAL naming the first option no backend asked for. */
int shadow_spec_check_unused(const struct shadow_spec *spec, char *errbuf, size_t errlen);

/* Strict decimal parse of value into [min, max]; -EINVAL with a message naming key otherwise. */
int shadow_spec_get_u32(struct shadow_spec *spec, const char *key, uint32_t def, uint32_t min,
			uint32_t max, uint32_t *ret, char *errbuf, size_t errlen);

/* snprintf into errbuf when there is one; returns err so callers can `return shadow_error(...)`. */
__attribute__((format(printf, 4, 5))) int shadow_error(char *errbuf, size_t errlen, int err,
						       const char *fmt, ...);

/* Strict decimal uint32 (no sign, no spaces, no trailing garbage, no overflow). */
int shadow_parse_u32(const char *s, uint32_t *ret);
