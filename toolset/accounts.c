#include "accounts.h"

#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Splits LINE (length LEN) at ':' into at most MAX fields copied into F (each FSZ bytes). */
static size_t split(const char *line, size_t len, char f[][256], size_t max)
{
	size_t n = 0, o = 0;
	if (max == 0) {
		return 0;
	}
	f[0][0] = '\0';
	for (size_t i = 0; i < len; i++) {
		if (line[i] == ':') {
			f[n][o] = '\0';
			if (++n >= max) {
				return n;
			}
			o = 0;
			f[n][0] = '\0';
			continue;
		}
		if (o + 1 < 256) {
			f[n][o++] = line[i];
		}
	}
	f[n][o] = '\0';
	return n + 1;
}

#define FOR_EACH_LINE(text, line, len)                                                             \
	for (const char *line = (text), *next_; line && *line; line = next_)                        \
		for (size_t len = (next_ = strchr(line, '\n')) ? (size_t)(next_++ - line) : strlen(line); \
		     len != (size_t)-1; len = (size_t)-1)

bool accounts_valid_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 32 || name[0] == '-') {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.' || (c == '$' && i == n - 1))) {
			return false;
		}
	}
	return true;
}

static long field_long(const char *s, long dflt)
{
	if (!*s) {
		return dflt;
	}
	char *end;
	long v = strtol(s, &end, 10);
	return *end ? dflt : v;
}

void accounts_parse(struct accounts *a, const char *passwd, const char *shadow, const char *group,
		    long today)
{
	char f[9][256];
	memset(a, 0, sizeof(*a));
	FOR_EACH_LINE(passwd, line, len)
	{
		if (a->n >= ACCOUNTS_MAX || split(line, len, f, 7) < 7 || !accounts_valid_name(f[0])) {
			continue;
		}
		struct accounts_entry *e = &a->e[a->n];
		char *end;
		unsigned long uid = strtoul(f[2], &end, 10);
		if (*end || !f[2][0]) {
			continue;
		}
		*e = (struct accounts_entry){ .uid = uid, .expire_day = -1 };
		snprintf(e->name, sizeof(e->name), "%s", f[0]);
		snprintf(e->shell, sizeof(e->shell), "%s", f[6]);
		e->login = f[6][0] && !strstr(f[6], "nologin") && !strstr(f[6], "/false") &&
			   !strstr(f[6], "/sync");
		/* passwd's own field: "x" means the shadow file decides */
		e->no_password = strcmp(f[1], "x") != 0 && (f[1][0] == '\0' || f[1][0] == '*');
		a->n++;
	}
	FOR_EACH_LINE(shadow, line, len)
	{
		if (split(line, len, f, 9) < 8) {
			continue;
		}
		for (size_t i = 0; i < a->n; i++) {
			struct accounts_entry *e = &a->e[i];
			if (strcmp(e->name, f[0]) != 0) {
				continue;
			}
			const char *h = f[1];
			e->locked = h[0] == '!';
			while (*h == '!') {
				h++;
			}
			e->no_password = *h == '\0' || *h == '*';
			long last = field_long(f[2], -1), max = field_long(f[4], -1);
			e->password_expired = last == 0 ||
					      (last > 0 && max >= 0 && max < 99999 && last + max < today);
			e->expire_day = field_long(f[7], -1);
			e->expired = e->expire_day >= 0 && e->expire_day <= today;
		}
	}
	FOR_EACH_LINE(group, line, len)
	{
		if (split(line, len, f, 4) < 4) {
			continue;
		}
		if (strcmp(f[0], "sudo") != 0 && strcmp(f[0], "wheel") != 0 &&
		    strcmp(f[0], "admin") != 0) {
			continue;
		}
		if (!a->admin_group[0] || strcmp(f[0], "sudo") == 0) {
			snprintf(a->admin_group, sizeof(a->admin_group), "%s", f[0]);
		}
		char *save = NULL;
		for (char *m = strtok_r(f[3], ",", &save); m; m = strtok_r(NULL, ",", &save)) {
			for (size_t i = 0; i < a->n; i++) {
				if (strcmp(a->e[i].name, m) == 0) {
					a->e[i].admin = true;
				}
			}
		}
	}
}

const struct accounts_entry *accounts_find(const struct accounts *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->e[i].name, name) == 0) {
			return &a->e[i];
		}
	}
	return NULL;
}

char *accounts_unlock_shadow(const char *shadow, const char *name, long today, bool reset_age,
			     bool *ret_no_hash)
{
	size_t cap = strlen(shadow) + 64, o = 0;
	char *out = malloc(cap);
	bool found = false;
	char f[9][256];
	if (!out) {
		return NULL;
	}
	*ret_no_hash = false;
	FOR_EACH_LINE(shadow, line, len)
	{
		size_t nf = split(line, len, f, 9);
		if (nf >= 8 && strcmp(f[0], name) == 0 && !found) {
			found = true;
			const char *h = f[1];
			while (*h == '!') {
				h++;
			}
			if (*h == '\0' || *h == '*') {
				*ret_no_hash = true;
			}
			char lastchg[32];
			snprintf(lastchg, sizeof(lastchg), "%ld", today);
			/* name:hash:lastchg:min:max:warn:inactive:expire:reserved */
			int n = snprintf(out + o, cap - o, "%s:%s:%s:%s:%s:%s:%s::%s\n", f[0], h,
					 reset_age ? lastchg : f[2], f[3], f[4], f[5], f[6],
					 nf > 8 ? f[8] : "");
			if (n < 0 || (size_t)n >= cap - o) {
				free(out);
				return NULL;
			}
			o += (size_t)n;
			continue;
		}
		if (o + len + 2 > cap) {
			free(out);
			return NULL;
		}
		memcpy(out + o, line, len);
		o += len;
		out[o++] = '\n';
	}
	out[o] = '\0';
	if (!found) {
		free(out);
		return NULL;
	}
	return out;
}

static bool hex_field(const char *s, unsigned long max, unsigned long *ret)
{
	char *end;
	if (!*s || strlen(s) > 8) {
		return false;
	}
	errno = 0;
	unsigned long v = strtoul(s, &end, 16);
	if (*end || errno || v > max) {
		return false;
	}
	*ret = v;
	return true;
}

void accounts_windows_parse(struct accounts_windows *ret, const char *text)
{
	ret->n = 0;
	const char *p = text ? text : "";
	while (*p && ret->n < ACCOUNTS_MAX) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char line[256], *f[6];
		int nf = 0;
		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			for (char *s = line, *c; nf < 6; s = c + 1) {
				f[nf++] = s;
				c = strchr(s, ':');
				if (!c) {
					break;
				}
				*c = '\0';
			}
		}
		p += len + (nl ? 1 : 0);
		struct accounts_windows_entry *e = &ret->e[ret->n];
		unsigned long admin;
		if (nf != 5 || !*f[1] || strlen(f[1]) >= sizeof(e->name) ||
		    !hex_field(f[0], 0xffffffffUL, &e->rid) || !hex_field(f[2], 1, &admin) ||
		    !hex_field(f[3], 0xffff, &e->acb) || !hex_field(f[4], 0xffff, &e->hash_len)) {
			continue;
		}
		util_sanitize(e->name, sizeof(e->name), f[1]);
		e->admin = admin == 1;
		ret->n++;
	}
}

const struct accounts_windows_entry *accounts_windows_find(const struct accounts_windows *a,
							   const char *name)
{
	for (size_t i = 0; i < a->n; i++) {
		if (strcasecmp(a->e[i].name, name) == 0) {
			return &a->e[i];
		}
	}
	return NULL;
}
