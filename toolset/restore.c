#include "restore.h"
#include "restore-private.h"

#include "sha256.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IO_CHUNK (1u << 20)

int restore_pread(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -errno;
		}
		if (n == 0) {
			return -EIO; /* past the end of the device */
		}
		done += (size_t)n;
	}
	return 0;
}

void restore_list_free(struct restore_list *l)
{
	if (!l) {
		return;
	}
	free(l->files);
	l->files = NULL;
	l->n = l->cap = 0;
}

struct restore_file *restore_list_add(struct restore_list *l)
{
	if (l->n >= RESTORE_MAX_FILES) {
		l->truncated = true;
		return NULL;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct restore_file *f = realloc(l->files, cap * sizeof(*f));
		if (!f) {
			return NULL;
		}
		l->files = f;
		l->cap = cap;
	}
	struct restore_file *f = &l->files[l->n++];
	memset(f, 0, sizeof(*f));
	return f;
}

void restore_safe_name(const char *name, char *out, size_t size)
{
	char tmp[256];
	util_sanitize(tmp, sizeof(tmp), name);
	size_t o = 0;
	for (const char *p = tmp; *p && o + 1 < size; p++) {
		out[o++] = (*p == '/' || *p == '\\' || *p == '?' || *p == '\t') ? '_' : *p;
	}
	out[o] = '\0';
	if (o == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
		snprintf(out, size, "restored-file");
	} else if (out[0] == '.') {
		out[0] = '_'; /* no hidden files, nothing that reads as a relative path */
	}
}

/* ---- ntfsundelete ---- */

bool restore_ntfs_parse_line(const char *line, struct restore_file *ret)
{
	/* "65       FN..   100%  2026-12-07 10:21    300000  Report.pdf" */
	unsigned long long ino, size;
	char flags[8], date[16], tm[8];
	int pct, name_at = 0;
	if (sscanf(line, "%llu %7s %d%% %15s %7s %llu %n", &ino, flags, &pct, date, tm, &size,
		   &name_at) != 6 || name_at == 0 || pct < 0 || pct > 100) {
		return false;
	}
	const char *name = line + name_at;
	size_t len = strcspn(name, "\n");
	if (len == 0 || len >= sizeof(ret->name) || strncmp(name, "<none>", len) == 0) {
		return false;
	}
	memset(ret, 0, sizeof(*ret));
	ret->id = ino;
	ret->size = size;
	ret->percent = pct;
	memcpy(ret->name, name, len);
	ret->name[len] = '\0';
	snprintf(ret->path, sizeof(ret->path), "/?/%s", ret->name); /* the scan names no folder */
	struct tm t = { 0 };
	if (sscanf(date, "%d-%d-%d", &t.tm_year, &t.tm_mon, &t.tm_mday) == 3 &&
	    sscanf(tm, "%d:%d", &t.tm_hour, &t.tm_min) == 2) {
		t.tm_year -= 1900;
		t.tm_mon -= 1;
		ret->modified = (int64_t)timegm(&t);
	}
	return true;
}

void restore_ntfs_apply_parents(const char *verbose, struct restore_list *l)
{
	unsigned long long ino = 0;
	bool have = false;
	for (const char *line = verbose; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (sscanf(line, "MFT Record %llu", &ino) == 1) {
			have = true;
		} else if (have && len > 8 && len < 300 && util_startswith(line, "Parent: ")) {
			char parent[300];
			memcpy(parent, line + 8, len - 8);
			parent[len - 8] = '\0';
			for (size_t i = 0; i < l->n; i++) {
				struct restore_file *f = &l->files[i];
				if (f->id != ino) {
					continue;
				}
				if (strcmp(parent, ".") == 0) {
					snprintf(f->path, sizeof(f->path), "/%s", f->name);
				} else if (!strchr(parent, '/')) {
					snprintf(f->path, sizeof(f->path), "/?/%s/%s", parent, f->name);
				}
			}
			have = false;
		}
		line = end ? end + 1 : NULL;
	}
}

/* ---- reading back ---- */

int restore_read_file(int fd, enum restore_fs fs, const struct restore_file *f, int out_fd,
		      char sha256[65])
{
	uint64_t start = 0, first = 0, unit = f->block_size, dev_end;
	off_t end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		return -errno;
	}
	dev_end = (uint64_t)end;
	if (fs == RESTORE_FAT || fs == RESTORE_EXFAT) {
		int r = restore_fat_cluster2(fd, fs, &start);
		if (r < 0) {
			return r;
		}
		first = 2; /* cluster 2 is the first */
	} else if (fs != RESTORE_EXT4) {
		return -EINVAL;
	}
	if (unit == 0) {
		return -EINVAL;
	}
	uint8_t *buf = malloc(IO_CHUNK);
	if (!buf) {
		return -ENOMEM;
	}
	struct sha256 h;
	int r = sha256_init(&h);
	if (r < 0) {
		free(buf);
		return r;
	}
	uint64_t pos = 0;
	/* extents in file order; a hole or an unwritten extent reads as zeros */
	while (pos < f->size && r == 0) {
		const struct restore_extent *x = NULL;
		for (int i = 0; i < f->n_ext; i++) {
			uint64_t lo = f->ext[i].logical * unit, hi = lo + f->ext[i].len * unit;
			if (pos >= lo && pos < hi) {
				x = &f->ext[i];
			}
		}
		uint64_t next = f->size;
		for (int i = 0; !x && i < f->n_ext; i++) {
			uint64_t lo = f->ext[i].logical * unit;
			if (lo > pos && lo < next) {
				next = lo;
			}
		}
		uint64_t n;
		if (x) {
			uint64_t in = pos - x->logical * unit;
			n = x->len * unit - in;
			n = n < f->size - pos ? n : f->size - pos;
			n = n < IO_CHUNK ? n : IO_CHUNK;
			uint64_t at = start + (x->phys - first) * unit + in;
			if (x->unwritten) {
				memset(buf, 0, n);
			} else if (x->phys < first || x->phys - first > dev_end / unit ||
				   at + n > dev_end) {
				r = -ERANGE;
				break;
			} else if ((r = restore_pread(fd, buf, n, at)) < 0) {
				break;
			}
		} else {
			n = next - pos < IO_CHUNK ? next - pos : IO_CHUNK;
			memset(buf, 0, n);
		}
		sha256_update(&h, buf, n);
		r = util_write_all(out_fd, buf, n);
		pos += n;
	}
	free(buf);
	if (r == 0) {
		sha256_hex(&h, sha256);
	} else {
		sha256_drop(&h);
	}
	return r;
}
