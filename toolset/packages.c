#include "packages.h"

#include "util.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool all_in(const char *s, const char *extra, bool upper)
{
	for (; *s; s++) {
		char ch = *s;
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    (upper && ch >= 'A' && ch <= 'Z') || strchr(extra, ch)) {
			continue;
		}
		return false;
	}
	return true;
}

static bool alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

bool packages_valid_name(const char *s)
{
	/* deb-control(5): lower case, digits, + - . ; at least two, starting alphanumeric */
	size_t n = strlen(s);
	return n >= 2 && n < 128 && alnum(s[0]) && all_in(s, "+-.", false);
}

bool packages_valid_version(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n < 128 && (s[0] >= '0' && s[0] <= '9') && all_in(s, ".+~:-", true);
}

bool packages_valid_arch(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n < 32 && all_in(s, "-", false);
}

const char *packages_action_name(enum packages_action a)
{
	static const char *const names[] = { "install",   "upgrade", "downgrade",
					     "reinstall", "remove",  "purge" };
	return a <= PACKAGES_PURGE ? names[a] : "?";
}

void packages_deb_name(char *buf, size_t size, const char *name, const char *version,
		       const char *arch)
{
	char ver[3 * 128];
	size_t k = 0;
	for (const char *p = version; *p && k + 4 < sizeof(ver); p++) {
		if (*p == ':') {
			memcpy(ver + k, "%3a", 3);
			k += 3;
		} else {
			ver[k++] = *p;
		}
	}
	ver[k] = '\0';
	snprintf(buf, size, "%s_%s_%s.deb", name, ver, arch);
}

/* --- dpkg --verify ------------------------------------------------------------------------- */

/* The next line of TEXT at *POS (up to END); false at the end.  The line is not terminated. */
static bool next_line(const char *text, size_t end, size_t *pos, const char **line, size_t *len)
{
	if (*pos >= end) {
		return false;
	}
	const char *s = text + *pos;
	const char *nl = memchr(s, '\n', end - *pos);
	*line = s;
	*len = nl ? (size_t)(nl - s) : end - *pos;
	*pos += *len + (nl ? 1 : 0);
	return true;
}

/* Copies the span into BUF (cut to fit); a NUL inside ends it. */
static void span_copy(char *buf, size_t size, const char *s, size_t len)
{
	size_t n = len < size - 1 ? len : size - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
}

int packages_verify_parse(struct packages_verify *v, const char *text,
			  const struct packages_filters *filters)
{
	size_t pos = 0, end = text ? strlen(text) : 0, len;
	const char *line;
	while (next_line(text, end, &pos, &line, &len)) {
		if (len == 0) {
			continue;
		}
		/* "??5?????? c /etc/x", "missing     /usr/sbin/y": 9 flags, attribute, path */
		if (len < 13 || line[9] != ' ' || line[11] != ' ' || line[12] != '/' ||
		    (line[10] != ' ' && line[10] != 'c')) {
			v->dropped++;
			continue;
		}
		if (v->n >= PACKAGES_FILES_MAX) {
			v->dropped++;
			continue;
		}
		if (!v->f) {
			v->f = calloc(PACKAGES_FILES_MAX, sizeof(*v->f));
			if (!v->f) {
				return -ENOMEM;
			}
		}
		struct packages_file *f = &v->f[v->n];
		memset(f, 0, sizeof(*f));
		char raw[sizeof(f->path)];
		span_copy(f->flags, sizeof(f->flags), line, 9);
		span_copy(raw, sizeof(raw), line + 12, len - 12);
		if (strlen(raw) != len - 12) {
			v->dropped++; /* a path too long (or with a NUL): not one we can name */
			continue;
		}
		util_sanitize(f->path, sizeof(f->path), raw);
		f->missing = strncmp(f->flags, "missing", 7) == 0;
		if (f->missing && filters && packages_filters_excluded(filters, raw)) {
			v->excluded++;
			continue;
		}
		util_strip(f->flags);
		f->conffile = line[10] == 'c';
		v->n++;
	}
	return 0;
}

void packages_search_parse(struct packages_verify *v, const char *text)
{
	size_t pos = 0, end = text ? strlen(text) : 0, len;
	const char *line;
	while (next_line(text, end, &pos, &line, &len)) {
		/* "diversion by ..." lines have no owner of their own */
		if (len >= 10 && strncmp(line, "diversion ", 10) == 0) {
			continue;
		}
		const char *sep = NULL;
		for (size_t i = 0; i + 2 < len; i++) {
			if (line[i] == ':' && line[i + 1] == ' ' && line[i + 2] == '/') {
				sep = line + i;
				break;
			}
		}
		if (!sep) {
			continue;
		}
		char raw[512], path[512], owner[128];
		span_copy(raw, sizeof(raw), sep + 2, len - (size_t)(sep + 2 - line));
		util_sanitize(path, sizeof(path), raw);
		/* the first owner, without its architecture */
		size_t on = strcspn(line, ",:");
		span_copy(owner, sizeof(owner), line, on <= (size_t)(sep - line) ? on : 0);
		if (!packages_valid_name(owner)) {
			continue;
		}
		for (size_t i = 0; i < v->n; i++) {
			if (!v->f[i].package[0] && strcmp(v->f[i].path, path) == 0) {
				snprintf(v->f[i].package, sizeof(v->f[i].package), "%s", owner);
			}
		}
	}
}

void packages_verify_free(struct packages_verify *v)
{
	free(v->f);
	v->f = NULL;
	v->n = 0;
}

void packages_filters_parse(struct packages_filters *f, const char *text)
{
	size_t pos = 0, end = text ? strlen(text) : 0, len;
	const char *line;
	while (next_line(text, end, &pos, &line, &len)) {
		char buf[300];
		if (len >= sizeof(buf) || f->n >= PACKAGES_FILTERS_MAX) {
			continue;
		}
		span_copy(buf, sizeof(buf), line, len);
		char *l = util_strip(buf);
		/* "path-exclude=PAT", "path-exclude PAT" (dpkg.cfg takes the long option's name) */
		bool include = util_startswith(l, "path-include");
		if (!include && !util_startswith(l, "path-exclude")) {
			continue;
		}
		char *pat = util_strip(l + strlen("path-exclude"));
		if (*pat == '=') {
			pat = util_strip(pat + 1);
		}
		if (*pat != '/' || strlen(pat) >= sizeof(f->f[0].pattern)) {
			continue;
		}
		snprintf(f->f[f->n].pattern, sizeof(f->f[0].pattern), "%s", pat);
		f->f[f->n++].include = include;
	}
}

bool packages_filters_excluded(const struct packages_filters *f, const char *path)
{
	bool excluded = false;
	for (size_t i = 0; i < f->n; i++) {
		if (fnmatch(f->f[i].pattern, path, 0) == 0) {
			excluded = !f->f[i].include;
		}
	}
	return excluded;
}

/* --- apt history ------------------------------------------------------------------------------ */

static const struct {
	const char *key;
	enum packages_action action;
} list_keys[] = {
	{ "Install", PACKAGES_INSTALL },     { "Upgrade", PACKAGES_UPGRADE },
	{ "Downgrade", PACKAGES_DOWNGRADE }, { "Reinstall", PACKAGES_REINSTALL },
	{ "Remove", PACKAGES_REMOVE },       { "Purge", PACKAGES_PURGE },
};

/* One "name:arch (v1[, v2][, automatic])" entry; false when it is not valid. */
static bool parse_entry(const char *s, size_t len, enum packages_action a,
			struct packages_change *c)
{
	memset(c, 0, sizeof(*c));
	c->action = a;
	const char *open = memchr(s, '(', len);
	if (!open || len == 0 || s[len - 1] != ')') {
		return false;
	}
	size_t nlen = (size_t)(open - s);
	while (nlen && s[nlen - 1] == ' ') {
		nlen--;
	}
	char id[192];
	if (nlen == 0 || nlen >= sizeof(id)) {
		return false;
	}
	span_copy(id, sizeof(id), s, nlen);
	char *colon = strchr(id, ':');
	if (colon) {
		*colon = '\0';
		snprintf(c->arch, sizeof(c->arch), "%.31s", colon + 1);
		if (!packages_valid_arch(c->arch)) {
			return false;
		}
	}
	if (strlen(id) >= sizeof(c->name) || !packages_valid_name(id)) {
		return false;
	}
	snprintf(c->name, sizeof(c->name), "%s", id);
	/* the fields inside the parentheses */
	char inner[400];
	size_t ilen = len - (size_t)(open + 1 - s) - 1;
	if (ilen >= sizeof(inner)) {
		return false;
	}
	span_copy(inner, sizeof(inner), open + 1, ilen);
	char *fields[3] = { 0 };
	int nf = 0;
	for (char *save = NULL, *f = strtok_r(inner, ",", &save); f;
	     f = strtok_r(NULL, ",", &save)) {
		f = util_strip(f);
		if (strcmp(f, "automatic") == 0) {
			c->automatic = true;
			continue;
		}
		if (nf == 2 || !packages_valid_version(f)) {
			return false;
		}
		fields[nf++] = f;
	}
	bool two = a == PACKAGES_UPGRADE || a == PACKAGES_DOWNGRADE;
	if (nf != (two ? 2 : 1)) {
		return false;
	}
	if (two) {
		snprintf(c->old_version, sizeof(c->old_version), "%s", fields[0]);
		snprintf(c->version, sizeof(c->version), "%s", fields[1]);
	} else {
		snprintf(c->version, sizeof(c->version), "%s", fields[0]);
	}
	return true;
}

static int add_list(struct packages_transaction *t, enum packages_action a, const char *s,
		    size_t len)
{
	/* entries are separated by "), "; a version never holds a parenthesis */
	size_t i = 0;
	while (i < len) {
		while (i < len && s[i] == ' ') {
			i++;
		}
		const char *close = memchr(s + i, ')', len - i);
		size_t elen = close ? (size_t)(close - (s + i)) + 1 : len - i;
		if (elen > 0) {
			if (t->n >= PACKAGES_CHANGES_MAX) {
				t->dropped++;
			} else {
				if (!t->ch) {
					t->ch = calloc(16, sizeof(*t->ch));
				} else if ((t->n & (t->n - 1)) == 0 && t->n >= 16) {
					void *p = realloc(t->ch, 2 * t->n * sizeof(*t->ch));
					if (!p) {
						return -ENOMEM;
					}
					t->ch = p;
				}
				if (!t->ch) {
					return -ENOMEM;
				}
				if (parse_entry(s + i, elen, a, &t->ch[t->n])) {
					t->n++;
				} else {
					t->dropped++;
				}
			}
		}
		i += elen;
		while (i < len && (s[i] == ',' || s[i] == ' ')) {
			i++;
		}
	}
	return 0;
}

static struct packages_transaction *new_transaction(struct packages_history *h)
{
	if (h->n >= PACKAGES_TRANSACTIONS_MAX) {
		/* keep the newest: drop the oldest */
		free(h->t[0].ch);
		memmove(h->t, h->t + 1, (h->n - 1) * sizeof(*h->t));
		h->n--;
	}
	if (!h->t) {
		h->t = calloc(PACKAGES_TRANSACTIONS_MAX, sizeof(*h->t));
		if (!h->t) {
			return NULL;
		}
	}
	struct packages_transaction *t = &h->t[h->n++];
	memset(t, 0, sizeof(*t));
	return t;
}

static void set_value(char *dst, size_t size, const char *s, size_t len)
{
	char raw[1024];
	span_copy(raw, sizeof(raw), s, len);
	util_sanitize(dst, size, util_strip(raw));
}

int packages_history_parse(struct packages_history *h, const char *text, size_t len)
{
	size_t pos = 0, llen;
	const char *line;
	struct packages_transaction *t = NULL;
	while (next_line(text, len, &pos, &line, &llen)) {
		const char *colon = memchr(line, ':', llen);
		if (!colon || colon + 1 >= line + llen || colon[1] != ' ') {
			continue; /* blank lines between transactions, junk */
		}
		size_t klen = (size_t)(colon - line);
		const char *val = colon + 2;
		size_t vlen = llen - klen - 2;
		if (klen == 10 && strncmp(line, "Start-Date", 10) == 0) {
			t = new_transaction(h);
			if (!t) {
				return -ENOMEM;
			}
			set_value(t->start, sizeof(t->start), val, vlen);
			continue;
		}
		if (!t) {
			/* the start of a rotated file, cut in the middle of a transaction */
			continue;
		}
		if (klen == 8 && strncmp(line, "End-Date", 8) == 0) {
			set_value(t->end, sizeof(t->end), val, vlen);
			t = NULL;
		} else if (klen == 11 && strncmp(line, "Commandline", 11) == 0) {
			set_value(t->commandline, sizeof(t->commandline), val, vlen);
		} else if (klen == 12 && strncmp(line, "Requested-By", 12) == 0) {
			set_value(t->requested_by, sizeof(t->requested_by), val, vlen);
		} else if (klen == 5 && strncmp(line, "Error", 5) == 0) {
			t->error = true;
		} else {
			for (size_t i = 0; i < sizeof(list_keys) / sizeof(list_keys[0]); i++) {
				if (klen == strlen(list_keys[i].key) &&
				    strncmp(line, list_keys[i].key, klen) == 0) {
					int e = add_list(t, list_keys[i].action, val, vlen);
					if (e < 0) {
						return e;
					}
				}
			}
		}
	}
	return 0;
}

void packages_history_number(struct packages_history *h)
{
	for (size_t i = 0; i < h->n; i++) {
		h->t[i].id = (int)(h->n - i);
	}
}

const struct packages_transaction *packages_history_find(const struct packages_history *h, int id)
{
	for (size_t i = 0; i < h->n; i++) {
		if (h->t[i].id == id) {
			return &h->t[i];
		}
	}
	return NULL;
}

void packages_history_free(struct packages_history *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->t[i].ch);
	}
	free(h->t);
	h->t = NULL;
	h->n = 0;
}
