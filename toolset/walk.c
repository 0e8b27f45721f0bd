#include "walk.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct walker {
	walk_fn *fn;
	void *data;
	char path[WALK_PATH_MAX];
};

static int report(struct walker *w, int dfd, const char *name, int depth, int error)
{
	struct walk_entry e = { .dfd = dfd, .name = name, .path = w->path, .depth = depth,
				.error = error };
	int r = w->fn(w->data, WALK_UNREADABLE, &e);
	return r < 0 ? r : 0;
}

static int walk_at(struct walker *w, int dfd, const char *name, size_t plen, int depth)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		return report(w, dfd, name, depth, errno);
	}
	struct walk_entry e = { .dfd = dfd, .name = name, .path = w->path, .st = &st,
				.depth = depth };
	int r = w->fn(w->data, WALK_ENTRY, &e);
	if (r < 0 || r == WALK_SKIP || !S_ISDIR(st.st_mode)) {
		return r < 0 ? r : 0;
	}
	if (depth >= WALK_DEPTH_MAX) {
		return report(w, dfd, name, depth, ELOOP);
	}
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir) {
		int err = errno;
		if (fd >= 0) {
			close(fd);
		}
		return report(w, dfd, name, depth, err);
	}
	struct dirent *de;
	r = 0;
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (!de) {
			if (errno) {
				r = report(w, dfd, name, depth, errno);
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
			continue;
		}
		size_t nlen = strlen(de->d_name);
		if (plen + 1 + nlen >= sizeof(w->path)) {
			r = report(w, fd, de->d_name, depth + 1, ENAMETOOLONG);
		} else {
			size_t o = plen;
			if (o) {
				w->path[o++] = '/';
			}
			memcpy(w->path + o, de->d_name, nlen + 1);
			r = walk_at(w, fd, de->d_name, o + nlen, depth + 1);
			w->path[plen] = '\0';
		}
		if (r < 0) {
			break;
		}
	}
	if (r >= 0) {
		r = w->fn(w->data, WALK_LEAVE, &e);
		r = r < 0 ? r : 0;
	}
	closedir(dir);
	return r;
}

int walk_tree(int dfd, const char *name, walk_fn *fn, void *data)
{
	struct walker *w = malloc(sizeof(*w));
	if (!w) {
		return -ENOMEM;
	}
	w->fn = fn;
	w->data = data;
	w->path[0] = '\0';
	int r = walk_at(w, dfd, name, 0, 0);
	free(w);
	return r;
}

int walk_parse_size(const char *s, uint64_t *ret)
{
	if (!s || !isdigit((unsigned char)*s)) {
		return -EINVAL;
	}
	uint64_t whole = 0, frac = 0, frac_div = 1;
	const char *p = s;
	for (; isdigit((unsigned char)*p); p++) {
		if (whole > (UINT64_MAX - 9) / 10) {
			return -ERANGE;
		}
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p)) {
			return -EINVAL;
		}
		for (; isdigit((unsigned char)*p); p++) {
			if (frac_div < 1000000) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				frac_div *= 10;
			}
		}
	}
	int shift = 0;
	switch (toupper((unsigned char)*p)) {
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	case 'T':
		shift = 40;
		break;
	}
	if (shift) {
		p++;
		if (*p == 'i') {
			p++;
		}
		if (*p == 'B' || *p == 'b') {
			p++;
		}
	} else if (*p == 'B' || *p == 'b') {
		p++;
	}
	if (*p) {
		return -EINVAL;
	}
	if (whole > (UINT64_MAX >> shift)) {
		return -ERANGE;
	}
	*ret = (whole << shift) + ((frac << shift) / frac_div);
	return 0;
}

int walk_parse_date(const char *s, time_t now, time_t *ret)
{
	if (!s) {
		return -EINVAL;
	}
	int y, mo, d, n = 0;
	if (strlen(s) == 10 && sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && n == 10) {
		if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31) {
			return -EINVAL;
		}
		struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d };
		time_t t = timegm(&tm);
		if (t == (time_t)-1 || tm.tm_mday != d) { /* 2026-02-31 */
			return -EINVAL;
		}
		*ret = t;
		return 0;
	}
	const char *p = s;
	long long count = 0;
	if (!isdigit((unsigned char)*p)) {
		return -EINVAL;
	}
	for (; isdigit((unsigned char)*p); p++) {
		if (count > 1000000) {
			return -ERANGE;
		}
		count = count * 10 + (*p - '0');
	}
	while (*p == ' ') {
		p++;
	}
	static const struct {
		const char *name;
		long long seconds;
	} units[] = {
		{ "minutes", 60 }, { "minute", 60 }, { "min", 60 }, { "m", 60 },
		{ "hours", 3600 }, { "hour", 3600 }, { "h", 3600 },
		{ "days", 86400 }, { "day", 86400 }, { "d", 86400 },
		{ "weeks", 604800 }, { "week", 604800 }, { "w", 604800 },
	};
	size_t ulen = strcspn(p, " ");
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ulen != strlen(units[i].name) || strncmp(p, units[i].name, ulen) != 0) {
			continue;
		}
		const char *rest = p + ulen;
		while (*rest == ' ') {
			rest++;
		}
		if (*rest && strcmp(rest, "ago") != 0) {
			return -EINVAL;
		}
		*ret = now - (time_t)(count * units[i].seconds);
		return 0;
	}
	return -EINVAL;
}
