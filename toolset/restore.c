#include "restore.h"

#include "sha256.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IO_CHUNK (1u << 20)

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
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

static int write_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -errno;
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

static struct restore_file *list_add(struct restore_list *l)
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

/* ---- ext4 ---- */

int restore_ext4_dir_entries(const uint8_t *buf, size_t len,
			     void (*fn)(void *data, uint32_t ino, const char *name, size_t name_len,
					uint8_t type),
			     void *data)
{
	size_t off = 0;
	int good = 0;
	while (off + 8 <= len) {
		uint32_t ino = le32(buf + off);
		uint16_t rec = le16(buf + off + 4);
		uint8_t nlen = buf[off + 6], type = buf[off + 7];
		if (rec < 12 || rec % 4 || off + rec > len || 8u + nlen > rec) {
			break;
		}
		if (ino && nlen && !(nlen == 0 && type == 0xde)) {
			char name[256];
			memcpy(name, buf + off + 8, nlen);
			name[nlen] = '\0';
			if (!memchr(name, '/', nlen) && strlen(name) == nlen && fn) {
				fn(data, ino, name, nlen, type);
			}
		}
		good++;
		off += rec;
	}
	return off == len && good > 0 ? good : -EINVAL;
}

int restore_ext4_inline_extents(const uint8_t *i_block, struct restore_extent *ext, int max,
				int *ret_depth)
{
	if (le16(i_block) != 0xf30a) {
		return -EINVAL;
	}
	int n = le16(i_block + 2), depth = le16(i_block + 6);
	if (n > 4 || le16(i_block + 4) > 4 || depth > 5) {
		return -EINVAL;
	}
	int o = 0;
	for (int i = 0; i < n && o < max; i++) {
		const uint8_t *e = i_block + 12 + 12 * i;
		if (depth == 0) {
			uint16_t l = le16(e + 4);
			ext[o].logical = le32(e);
			ext[o].unwritten = l > 32768;
			ext[o].len = l > 32768 ? l - 32768u : l;
			ext[o].phys = (uint64_t)le16(e + 6) << 32 | le32(e + 8);
		} else {
			ext[o].logical = le32(e);
			ext[o].phys = (uint64_t)le16(e + 8) << 32 | le32(e + 4);
			ext[o].len = 0;
			ext[o].unwritten = false;
		}
		o++;
	}
	*ret_depth = depth;
	return o;
}

int restore_jbd2_tags(const uint8_t *buf, size_t len, size_t tag_bytes, bool csum3, bool is64,
		      uint64_t *blocks, int max)
{
	size_t off = 0;
	int n = 0;
	while (off + tag_bytes <= len && n < max) {
		const uint8_t *t = buf + off;
		uint32_t flags = csum3 ? be32(t + 4) : (uint32_t)(t[6] << 8 | t[7]);
		uint64_t b = be32(t);
		if (is64) {
			b |= (uint64_t)be32(t + 8) << 32;
		}
		blocks[n++] = b;
		off += tag_bytes;
		if (!(flags & 2)) {
			off += 16; /* the journal's UUID follows the first tag */
		}
		if (flags & 8) {
			break; /* the last tag */
		}
	}
	return n;
}

struct ext4 {
	int fd;
	uint32_t bs, ipg, bpg, isz, first_data, ngroups;
	uint64_t blocks;
	uint64_t *itable, *bbitmap;
	uint16_t *bgflags;
	uint8_t *bmbuf; /* the cached block bitmap */
	uint64_t bmblock;
};

static void ext4_close(struct ext4 *e)
{
	free(e->itable);
	free(e->bbitmap);
	free(e->bgflags);
	free(e->bmbuf);
}

static int ext4_read_block(const struct ext4 *e, uint64_t blk, uint8_t *buf)
{
	if (blk >= e->blocks) {
		return -ERANGE;
	}
	return pread_all(e->fd, buf, e->bs, blk * e->bs);
}

static int ext4_open(int fd, struct ext4 *e)
{
	uint8_t sb[1024];
	memset(e, 0, sizeof(*e));
	e->fd = fd;
	int r = pread_all(fd, sb, sizeof(sb), 1024);
	if (r < 0) {
		return r;
	}
	if (le16(sb + 56) != 0xef53 || le32(sb + 24) > 6) {
		return -EINVAL;
	}
	bool is64 = le32(sb + 96) & 0x80;
	e->bs = 1024u << le32(sb + 24);
	e->first_data = le32(sb + 20);
	e->bpg = le32(sb + 32);
	e->ipg = le32(sb + 40);
	e->isz = le32(sb + 76) == 0 ? 128 : le16(sb + 88);
	e->blocks = le32(sb + 4) | (is64 ? (uint64_t)le32(sb + 0x150) << 32 : 0);
	uint32_t dsz = is64 ? le16(sb + 254) : 32;
	if (e->bpg == 0 || e->bpg > e->bs * 8 || e->ipg == 0 || e->isz < 128 || e->isz > e->bs ||
	    (e->isz & (e->isz - 1)) || dsz < 32 || dsz > 1024 || e->blocks <= e->first_data) {
		return -EINVAL;
	}
	uint64_t ng = (e->blocks - e->first_data + e->bpg - 1) / e->bpg;
	if (ng > (1u << 20) || ng * dsz > (64u << 20) || (uint64_t)e->ipg * e->isz % e->bs) {
		return -EINVAL;
	}
	e->ngroups = (uint32_t)ng;
	e->itable = calloc(ng, sizeof(uint64_t));
	e->bbitmap = calloc(ng, sizeof(uint64_t));
	e->bgflags = calloc(ng, sizeof(uint16_t));
	e->bmbuf = malloc(e->bs);
	uint8_t *gd = malloc((size_t)ng * dsz);
	if (!e->itable || !e->bbitmap || !e->bgflags || !e->bmbuf || !gd) {
		free(gd);
		ext4_close(e);
		return -ENOMEM;
	}
	e->bmblock = UINT64_MAX;
	r = pread_all(fd, gd, (size_t)ng * dsz, (uint64_t)(e->first_data + 1) * e->bs);
	for (uint64_t g = 0; r == 0 && g < ng; g++) {
		const uint8_t *d = gd + g * dsz;
		e->bbitmap[g] = le32(d) | (is64 && dsz >= 64 ? (uint64_t)le32(d + 0x20) << 32 : 0);
		e->itable[g] = le32(d + 8) | (is64 && dsz >= 64 ? (uint64_t)le32(d + 0x28) << 32 : 0);
		e->bgflags[g] = le16(d + 0x12);
	}
	free(gd);
	if (r < 0) {
		ext4_close(e);
	}
	return r;
}

/* 1 when block BLK is free, 0 when in use, negative errno. */
static int ext4_block_free(struct ext4 *e, uint64_t blk)
{
	if (blk < e->first_data || blk >= e->blocks) {
		return -ERANGE;
	}
	uint64_t g = (blk - e->first_data) / e->bpg, bit = (blk - e->first_data) % e->bpg;
	if (e->bgflags[g] & 0x2) {
		return 1; /* BLOCK_UNINIT: nothing allocated in this group */
	}
	if (e->bmblock != e->bbitmap[g]) {
		int r = ext4_read_block(e, e->bbitmap[g], e->bmbuf);
		if (r < 0) {
			return r;
		}
		e->bmblock = e->bbitmap[g];
	}
	return !(e->bmbuf[bit / 8] & (1u << (bit % 8)));
}

static int ext4_read_inode(const struct ext4 *e, uint64_t ino, uint8_t *buf)
{
	if (ino == 0 || ino > (uint64_t)e->ipg * e->ngroups) {
		return -ERANGE;
	}
	uint64_t g = (ino - 1) / e->ipg, idx = (ino - 1) % e->ipg;
	uint64_t off = e->itable[g] * e->bs + idx * e->isz;
	if (e->itable[g] >= e->blocks) {
		return -ERANGE;
	}
	return pread_all(e->fd, buf, e->isz, off);
}

/* All leaf extents of an extent tree whose root is I_BLOCK (index blocks read from the disk). */
static int ext4_extents(const struct ext4 *e, const uint8_t *i_block, int level,
			struct restore_extent *ext, int max, int *n)
{
	struct restore_extent node[4];
	int depth;
	int k = restore_ext4_inline_extents(i_block, node, 4, &depth);
	if (k < 0 || level > 5) {
		return -EINVAL;
	}
	if (depth == 0) {
		if (*n + k > max) {
			return -E2BIG; /* more fragments than a restore_file keeps */
		}
		for (int i = 0; i < k; i++) {
			ext[(*n)++] = node[i];
		}
		return 0;
	}
	uint8_t *blk = malloc(e->bs);
	if (!blk) {
		return -ENOMEM;
	}
	int r = 0;
	for (int i = 0; i < k && r == 0 && *n < max; i++) {
		r = ext4_read_block(e, node[i].phys, blk);
		if (r < 0) {
			break;
		}
		/* a tree block: 12-byte header, then up to (bs - 12) / 12 entries of 12 bytes */
		uint16_t cnt = le16(blk + 2), dep = le16(blk + 6);
		if (le16(blk) != 0xf30a || cnt > (e->bs - 12) / 12 || dep + 1 != depth) {
			r = -EINVAL;
			break;
		}
		for (uint16_t j = 0; j < cnt && r == 0; j += 4) {
			uint8_t fake[60] = { 0 };
			uint16_t m = cnt - j < 4 ? cnt - j : 4;
			memcpy(fake, blk, 12);
			fake[2] = (uint8_t)m;
			fake[3] = 0;
			fake[4] = 4;
			fake[5] = 0;
			memcpy(fake + 12, blk + 12 + 12 * j, 12u * m);
			r = ext4_extents(e, fake, level + 1, ext, max, n);
		}
	}
	free(blk);
	return r;
}

struct jcopy {
	uint64_t fsblock, jphys;
	uint32_t seq;
};

struct ext4_scan {
	struct ext4 *e;
	struct restore_list *l;
	uint32_t *seq;       /* per file: the transaction its inode copy came from */
	uint32_t *name_seq;  /* per file: the transaction its name came from (0: none) */
	uint32_t cur_seq;
	uint32_t dot;        /* the "." entry of the block being looked at */
	uint64_t *parent;    /* per file: the directory inode its name was found in */
};

static int find_file(const struct restore_list *l, uint64_t ino)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->files[i].id == ino) {
			return (int)i;
		}
	}
	return -1;
}

static void dot_cb(void *data, uint32_t ino, const char *name, size_t len, uint8_t type)
{
	(void)type;
	struct ext4_scan *s = data;
	if (len == 1 && name[0] == '.' && s->dot == 0) {
		s->dot = ino;
	}
}

static void name_cb(void *data, uint32_t ino, const char *name, size_t len, uint8_t type)
{
	(void)len;
	struct ext4_scan *s = data;
	if (type != 0 && type != 1) {
		return; /* not a regular file */
	}
	int i = find_file(s->l, ino);
	if (i < 0 || s->name_seq[i] > s->cur_seq) {
		return;
	}
	s->name_seq[i] = s->cur_seq ? s->cur_seq : 1;
	s->parent[i] = s->dot;
	snprintf(s->l->files[i].name, sizeof(s->l->files[i].name), "%s", name);
}

struct find_ctx {
	uint32_t want;
	char name[256];
	uint32_t dotdot;
};

static void find_cb(void *data, uint32_t ino, const char *name, size_t len, uint8_t type)
{
	(void)type;
	struct find_ctx *f = data;
	if (len == 2 && strcmp(name, "..") == 0) {
		f->dotdot = ino;
	} else if (ino == f->want && !(len == 1 && name[0] == '.')) {
		snprintf(f->name, sizeof(f->name), "%s", name);
	}
}

/* Looks through directory DIR's blocks (at most 4096) for WANT's name and the ".." entry. */
static int ext4_dir_lookup(const struct ext4 *e, uint64_t dir, struct find_ctx *f)
{
	uint8_t *ino = malloc(e->isz), *blk = malloc(e->bs);
	struct restore_extent *ext = calloc(256, sizeof(*ext));
	int n = 0, r = -ENOMEM;
	if (!ino || !blk || !ext) {
		goto out;
	}
	r = ext4_read_inode(e, dir, ino);
	if (r < 0 || (le16(ino) & 0xf000) != 0x4000 || le16(ino + 26) == 0) {
		r = r < 0 ? r : -ENOTDIR;
		goto out;
	}
	r = ext4_extents(e, ino + 40, 0, ext, 256, &n);
	size_t seen = 0;
	for (int i = 0; r == 0 && i < n; i++) {
		for (uint64_t b = 0; b < ext[i].len && seen < 4096; b++, seen++) {
			if (ext4_read_block(e, ext[i].phys + b, blk) == 0) {
				restore_ext4_dir_entries(blk, e->bs, find_cb, f);
			}
			if (f->name[0] && f->dotdot) {
				goto out;
			}
		}
	}
out:
	free(ino);
	free(blk);
	free(ext);
	return r;
}

/* The path of directory DIR from the root ("" for the root); false when it is not found. */
static bool ext4_dir_path(const struct ext4 *e, uint64_t dir, char *out, size_t size)
{
	out[0] = '\0';
	for (int level = 0; level < 64; level++) {
		if (dir == 2) {
			return true;
		}
		struct find_ctx me = { 0 };
		if (ext4_dir_lookup(e, dir, &me) < 0 || me.dotdot == 0) {
			return false;
		}
		struct find_ctx up = { .want = (uint32_t)dir };
		if (ext4_dir_lookup(e, me.dotdot, &up) < 0 || !up.name[0]) {
			return false;
		}
		char tmp[1024];
		snprintf(tmp, sizeof(tmp), "/%s%s", up.name, out);
		snprintf(out, size, "%s", tmp);
		dir = me.dotdot;
	}
	return false;
}

static int ext4_percent(struct ext4 *e, const struct restore_file *f)
{
	uint64_t total = 0, free_ = 0;
	for (int i = 0; i < f->n_ext; i++) {
		for (uint64_t b = 0; b < f->ext[i].len && total < (1u << 22); b++) {
			total++;
			free_ += ext4_block_free(e, f->ext[i].phys + b) == 1;
		}
	}
	return total ? (int)(free_ * 100 / total) : 0;
}

/* Reads the journal: a copy (file system block, where in the journal, transaction) per tag. */
static int ext4_journal_copies(struct ext4 *e, struct jcopy **ret, size_t *ret_n)
{
	uint8_t *ino = malloc(e->isz), *blk = malloc(e->bs);
	struct restore_extent *jext = calloc(1024, sizeof(*jext));
	uint64_t *tags = calloc(e->bs / 8, sizeof(uint64_t));
	struct jcopy *c = NULL;
	size_t n = 0, cap = 0;
	int nj = 0, r = -ENOMEM;
	if (!ino || !blk || !jext || !tags) {
		goto out;
	}
	uint8_t sb[1024];
	r = pread_all(e->fd, sb, sizeof(sb), 1024);
	if (r == 0 && (le32(sb + 92) & 0x4) == 0) {
		r = -ENOENT; /* no journal */
	}
	if (r == 0) {
		r = ext4_read_inode(e, le32(sb + 224) ? le32(sb + 224) : 8, ino);
	}
	if (r == 0) {
		r = ext4_extents(e, ino + 40, 0, jext, 1024, &nj);
	}
	if (r < 0) {
		goto out;
	}
	/* journal block J (logical) on the disk */
#define JPHYS(J, P)                                                                                \
	do {                                                                                       \
		(P) = UINT64_MAX;                                                                  \
		for (int x_ = 0; x_ < nj; x_++) {                                                  \
			if ((J) >= jext[x_].logical && (J) < jext[x_].logical + jext[x_].len) {    \
				(P) = jext[x_].phys + (J) - jext[x_].logical;                      \
			}                                                                          \
		}                                                                                  \
	} while (0)
	uint64_t p;
	JPHYS(0, p);
	if (p == UINT64_MAX || (r = ext4_read_block(e, p, blk)) < 0) {
		r = r < 0 ? r : -EINVAL;
		goto out;
	}
	if (be32(blk) != 0xc03b3998 || (be32(blk + 4) != 3 && be32(blk + 4) != 4) ||
	    be32(blk + 12) != e->bs) {
		r = -EINVAL;
		goto out;
	}
	uint32_t maxlen = be32(blk + 16), first = be32(blk + 20);
	uint32_t incompat = be32(blk + 4) == 4 ? be32(blk + 0x28) : 0;
	bool csum3 = incompat & 0x10, csum2 = incompat & 0x8, is64 = incompat & 0x2;
	size_t tag_bytes = csum3 ? 16 : (csum2 ? 14 : 12) - (is64 ? 0 : 4);
	size_t tail = (csum2 || csum3) ? 4 : 0;
	if (first == 0 || first >= maxlen || maxlen > (1u << 24)) {
		r = -EINVAL;
		goto out;
	}
	for (uint32_t j = first; j < maxlen; j++) {
		JPHYS(j, p);
		if (p == UINT64_MAX || ext4_read_block(e, p, blk) < 0) {
			continue;
		}
		if (be32(blk) != 0xc03b3998 || be32(blk + 4) != 1) {
			continue; /* not a descriptor block */
		}
		uint32_t seq = be32(blk + 8);
		int k = restore_jbd2_tags(blk + 12, e->bs - 12 - tail, tag_bytes, csum3, is64, tags,
					  (int)(e->bs / 8));
		for (int i = 0; i < k; i++) {
			uint64_t jb = (uint64_t)j + 1 + (uint64_t)i;
			if (jb >= maxlen) {
				jb = first + (jb - maxlen);
			}
			uint64_t jp;
			JPHYS(jb, jp);
			if (jp == UINT64_MAX || tags[i] >= e->blocks) {
				continue;
			}
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				struct jcopy *nc = realloc(c, ncap * sizeof(*nc));
				if (!nc) {
					r = -ENOMEM;
					goto out;
				}
				c = nc;
				cap = ncap;
			}
			c[n++] = (struct jcopy){ tags[i], jp, seq };
		}
	}
#undef JPHYS
	r = 0;
out:
	free(ino);
	free(blk);
	free(jext);
	free(tags);
	if (r < 0) {
		free(c);
		return r;
	}
	*ret = c;
	*ret_n = n;
	return 0;
}

/* The inode table copy in BLK (file system block FSBLOCK, transaction SEQ): deleted files. */
static void ext4_inode_copies(struct ext4_scan *s, uint64_t fsblock, const uint8_t *blk,
			      uint32_t seq)
{
	struct ext4 *e = s->e;
	uint64_t per = (uint64_t)e->ipg * e->isz / e->bs;
	uint8_t cur[1024];
	for (uint32_t g = 0; g < e->ngroups; g++) {
		if (fsblock < e->itable[g] || fsblock >= e->itable[g] + per) {
			continue;
		}
		uint64_t first = (uint64_t)g * e->ipg + (fsblock - e->itable[g]) * (e->bs / e->isz) + 1;
		for (uint32_t i = 0; i < e->bs / e->isz; i++) {
			const uint8_t *in = blk + (size_t)i * e->isz;
			uint64_t ino = first + i;
			uint64_t size = le32(in + 4) | (uint64_t)le32(in + 108) << 32;
			if ((le16(in) & 0xf000) != 0x8000 || le16(in + 26) == 0 || size == 0 ||
			    !(le32(in + 32) & 0x80000) || le16(in + 40) != 0xf30a ||
			    le16(in + 42) == 0) {
				continue;
			}
			int k = find_file(s->l, ino);
			if (k >= 0 && s->seq[k] >= seq) {
				continue;
			}
			if (ext4_read_inode(e, ino, cur) < 0 || le16(cur + 26) != 0) {
				continue; /* still there (or unreadable) */
			}
			struct restore_file *f = k >= 0 ? &s->l->files[k] : list_add(s->l);
			if (!f) {
				return;
			}
			k = (int)(f - s->l->files);
			int n = 0;
			if (ext4_extents(e, in + 40, 0, f->ext, RESTORE_MAX_EXTENTS, &n) < 0 || n == 0) {
				if (!f->name[0] && s->seq[k] == 0) {
					s->l->n--; /* a new entry that did not work out */
				}
				continue;
			}
			f->n_ext = n;
			f->id = ino;
			f->size = size;
			f->block_size = e->bs;
			f->modified = le32(in + 16);
			f->deleted = le32(cur + 20);
			s->seq[k] = seq;
		}
		return;
	}
}

int restore_ext4_scan(int fd, struct restore_list *ret)
{
	struct ext4 e;
	int r = ext4_open(fd, &e);
	if (r < 0) {
		return r;
	}
	struct jcopy *c = NULL;
	size_t nc = 0;
	r = ext4_journal_copies(&e, &c, &nc);
	if (r < 0) {
		ext4_close(&e);
		return r == -ENOENT ? 0 : r; /* ext2: nothing the journal can give back */
	}
	struct ext4_scan s = { .e = &e, .l = ret };
	s.seq = calloc(RESTORE_MAX_FILES, sizeof(uint32_t));
	s.name_seq = calloc(RESTORE_MAX_FILES, sizeof(uint32_t));
	s.parent = calloc(RESTORE_MAX_FILES, sizeof(uint64_t));
	uint8_t *blk = malloc(e.bs);
	if (!s.seq || !s.name_seq || !s.parent || !blk) {
		r = -ENOMEM;
		goto out;
	}
	size_t before = ret->n;
	for (size_t i = 0; i < nc; i++) {
		if (pread_all(fd, blk, e.bs, c[i].jphys * e.bs) == 0) {
			ext4_inode_copies(&s, c[i].fsblock, blk, c[i].seq);
		}
	}
	for (size_t i = 0; i < nc && ret->n > before; i++) {
		if (pread_all(fd, blk, e.bs, c[i].jphys * e.bs) < 0) {
			continue;
		}
		s.dot = 0;
		s.cur_seq = c[i].seq;
		if (restore_ext4_dir_entries(blk, e.bs, dot_cb, &s) > 0) {
			restore_ext4_dir_entries(blk, e.bs, name_cb, &s);
		}
	}
	for (size_t i = before; i < ret->n; i++) {
		struct restore_file *f = &ret->files[i];
		char dir[1024] = "/?";
		if (s.parent[i] && !ext4_dir_path(&e, s.parent[i], dir, sizeof(dir))) {
			snprintf(dir, sizeof(dir), "/?");
		}
		if (!f->name[0]) {
			snprintf(f->name, sizeof(f->name), "inode-%llu", (unsigned long long)f->id);
		}
		snprintf(f->path, sizeof(f->path), "%s/%s", dir, f->name);
		f->percent = ext4_percent(&e, f);
	}
	r = 0;
out:
	free(blk);
	free(s.seq);
	free(s.name_seq);
	free(s.parent);
	free(c);
	ext4_close(&e);
	return r;
}

/* ---- FAT ---- */

void restore_fat_long_name(const uint16_t *ucs2, size_t n, char *out, size_t size)
{
	char raw[1024];
	size_t o = 0;
	for (size_t i = 0; i < n && ucs2[i] && ucs2[i] != 0xffff && o + 4 < sizeof(raw); i++) {
		uint16_t c = ucs2[i];
		if (c >= 0xd800 && c <= 0xdfff) {
			raw[o++] = '?'; /* surrogates: not worth pairing for a name shown in a list */
		} else if (c < 0x80) {
			raw[o++] = (char)c;
		} else if (c < 0x800) {
			raw[o++] = (char)(0xc0 | c >> 6);
			raw[o++] = (char)(0x80 | (c & 0x3f));
		} else {
			raw[o++] = (char)(0xe0 | c >> 12);
			raw[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
			raw[o++] = (char)(0x80 | (c & 0x3f));
		}
	}
	raw[o] = '\0';
	util_sanitize(out, size, raw);
}

struct fat {
	int fd;
	uint32_t bps, spc, clusters, type;
	uint64_t data_off, root_off; /* bytes */
	uint32_t root_bytes, root_cluster;
	uint8_t *fat;
	size_t fat_len;
};

static uint32_t fat_next(const struct fat *f, uint32_t c)
{
	if (f->type == 12) {
		size_t off = c + c / 2;
		if (off + 1 >= f->fat_len) {
			return 0x0ffffff7;
		}
		uint16_t v = le16(f->fat + off);
		return (c & 1) ? v >> 4 : v & 0xfff;
	}
	if (f->type == 16) {
		return (size_t)c * 2 + 1 < f->fat_len ? le16(f->fat + (size_t)c * 2) : 0x0ffffff7;
	}
	return (size_t)c * 4 + 3 < f->fat_len ? le32(f->fat + (size_t)c * 4) & 0x0fffffff :
						  0x0ffffff7;
}

static bool fat_valid(const struct fat *f, uint32_t c)
{
	return c >= 2 && c < f->clusters + 2;
}

static int fat_open(int fd, struct fat *f)
{
	uint8_t b[512];
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	int r = pread_all(fd, b, sizeof(b), 0);
	if (r < 0) {
		return r;
	}
	uint32_t bps = le16(b + 11), spc = b[13], res = le16(b + 14), nfats = b[16];
	uint32_t rootents = le16(b + 17), total = le16(b + 19) ? le16(b + 19) : le32(b + 32);
	uint32_t fatsz = le16(b + 22) ? le16(b + 22) : le32(b + 36);
	if (b[510] != 0x55 || b[511] != 0xaa || (bps != 512 && bps != 1024 && bps != 2048 &&
						  bps != 4096) ||
	    spc == 0 || (spc & (spc - 1)) || res == 0 || nfats == 0 || nfats > 4 || fatsz == 0 ||
	    memcmp(b + 3, "EXFAT   ", 8) == 0 || memcmp(b + 3, "NTFS    ", 8) == 0) {
		return -EINVAL;
	}
	uint64_t root_secs = ((uint64_t)rootents * 32 + bps - 1) / bps;
	uint64_t data = res + (uint64_t)nfats * fatsz + root_secs;
	if (data >= total) {
		return -EINVAL;
	}
	f->bps = bps;
	f->spc = spc;
	f->clusters = (uint32_t)((total - data) / spc);
	f->type = f->clusters < 4085 ? 12 : f->clusters < 65525 ? 16 : 32;
	f->data_off = data * bps;
	f->root_off = (res + (uint64_t)nfats * fatsz) * bps;
	f->root_bytes = (uint32_t)(root_secs * bps);
	f->root_cluster = f->type == 32 ? le32(b + 44) : 0;
	f->fat_len = (size_t)fatsz * bps;
	if (f->fat_len > (256u << 20)) {
		return -EFBIG;
	}
	f->fat = malloc(f->fat_len);
	if (!f->fat) {
		return -ENOMEM;
	}
	r = pread_all(fd, f->fat, f->fat_len, (uint64_t)res * bps);
	if (r < 0) {
		free(f->fat);
		f->fat = NULL;
	}
	return r;
}

/* A directory's bytes: the fixed FAT12/16 root (CLUSTER 0) or a cluster chain (bounded). */
static int fat_read_dir(const struct fat *f, uint32_t cluster, uint8_t **ret, size_t *ret_len)
{
	size_t cb = (size_t)f->bps * f->spc, len = 0, max = 2u << 20;
	uint8_t *buf = malloc(max);
	if (!buf) {
		return -ENOMEM;
	}
	int r = 0;
	if (cluster == 0) {
		len = f->root_bytes < max ? f->root_bytes : max;
		r = pread_all(f->fd, buf, len, f->root_off);
	} else {
		for (uint32_t c = cluster, hops = 0; fat_valid(f, c) && len + cb <= max && hops < 65536;
		     c = fat_next(f, c), hops++) {
			r = pread_all(f->fd, buf + len, cb, f->data_off + (uint64_t)(c - 2) * cb);
			if (r < 0) {
				break;
			}
			len += cb;
		}
	}
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int64_t fat_time(uint16_t date, uint16_t tm)
{
	struct tm t = { .tm_year = (date >> 9) + 80, .tm_mon = ((date >> 5) & 15) - 1,
			.tm_mday = date & 31, .tm_hour = tm >> 11, .tm_min = (tm >> 5) & 63,
			.tm_sec = (tm & 31) * 2 };
	return date ? (int64_t)timegm(&t) : 0;
}

struct fat_dir {
	uint32_t cluster;
	char path[1024];
};

int restore_fat_scan(int fd, struct restore_list *ret)
{
	struct fat f;
	int r = fat_open(fd, &f);
	if (r < 0) {
		return r;
	}
	enum { MAX_DIRS = 8192 };
	struct fat_dir *q = calloc(MAX_DIRS, sizeof(*q));
	if (!q) {
		free(f.fat);
		return -ENOMEM;
	}
	size_t nq = 1, head = 0, cb = (size_t)f.bps * f.spc;
	q[0].cluster = f.root_cluster;
	while (head < nq) {
		struct fat_dir *d = &q[head++];
		uint8_t *buf;
		size_t len;
		if (fat_read_dir(&f, d->cluster, &buf, &len) < 0) {
			continue;
		}
		uint16_t lfn[20 * 13];
		size_t nparts = 0;
		uint8_t parts[20][26];
		for (size_t off = 0; off + 32 <= len; off += 32) {
			const uint8_t *e = buf + off;
			if (e[0] == 0) {
				break;
			}
			if (e[11] == 0x0f) {
				if (nparts < 20) {
					memcpy(parts[nparts], e + 1, 10);
					memcpy(parts[nparts] + 10, e + 14, 12);
					memcpy(parts[nparts] + 22, e + 28, 4);
					nparts++;
				}
				continue;
			}
			char name[256];
			if (nparts) {
				size_t k = 0;
				for (size_t p = nparts; p-- > 0;) {
					for (int c = 0; c < 13; c++) {
						lfn[k++] = le16(parts[p] + 2 * c);
					}
				}
				restore_fat_long_name(lfn, k, name, sizeof(name));
			} else {
				char sfn[13];
				size_t o = 0;
				/* byte 12: Windows NT's lower-case flags for the base and extension */
				for (int i = 0; i < 8 && e[i] != ' '; i++) {
					sfn[o++] = (char)((e[12] & 0x08) && e[i] >= 'A' && e[i] <= 'Z' ?
							  e[i] + 32 : e[i]);
				}
				if (e[8] != ' ') {
					sfn[o++] = '.';
					for (int i = 8; i < 11 && e[i] != ' '; i++) {
						sfn[o++] = (char)((e[12] & 0x10) && e[i] >= 'A' &&
								  e[i] <= 'Z' ? e[i] + 32 : e[i]);
					}
				}
				if (e[0] == 0xe5) {
					sfn[0] = '_'; /* the deleted mark took the first letter */
				} else if (e[0] == 0x05) {
					sfn[0] = (char)0xe5; /* KANJI lead byte 0xE5, escaped */
				}
				sfn[o] = '\0';
				util_sanitize(name, sizeof(name), sfn);
			}
			nparts = 0;
			bool deleted = e[0] == 0xe5;
			uint32_t clus = le16(e + 26) | (f.type == 32 ? (uint32_t)le16(e + 20) << 16 : 0);
			if ((e[11] & 0x08) || e[0] == '.') {
				continue;
			}
			if (!deleted && (e[11] & 0x10)) {
				if (nq < MAX_DIRS && fat_valid(&f, clus) && strlen(d->path) < 900) {
					q[nq].cluster = clus;
					snprintf(q[nq].path, sizeof(q[nq].path), "%s/%s", d->path, name);
					nq++;
				}
				continue;
			}
			uint32_t size = le32(e + 28);
			if (!deleted || (e[11] & 0x10) || size == 0 || !fat_valid(&f, clus)) {
				continue;
			}
			struct restore_file *rf = list_add(ret);
			if (!rf) {
				break;
			}
			uint64_t n = (size + cb - 1) / cb, free_ = 0;
			for (uint64_t i = 0; i < n; i++) {
				free_ += clus + i < f.clusters + 2 && fat_next(&f, (uint32_t)(clus + i)) == 0;
			}
			rf->id = clus;
			rf->size = size;
			rf->block_size = (uint32_t)cb;
			rf->n_ext = 1;
			rf->ext[0] = (struct restore_extent){ 0, clus, n, false };
			rf->percent = (int)(free_ * 100 / n);
			rf->modified = fat_time(le16(e + 24), le16(e + 22));
			snprintf(rf->name, sizeof(rf->name), "%s", name);
			snprintf(rf->path, sizeof(rf->path), "%s/%s", d->path, name);
		}
		free(buf);
	}
	free(q);
	free(f.fat);
	return 0;
}

/* ---- exFAT ---- */

struct exfat {
	int fd;
	uint32_t cb; /* cluster bytes */
	uint32_t clusters, root;
	uint64_t heap, fat_off;
	uint8_t *bitmap; /* the allocation bitmap (NULL when unreadable) */
	size_t bitmap_len;
};

static int exfat_next(const struct exfat *x, uint32_t c, uint32_t *ret)
{
	uint8_t b[4];
	if (c < 2 || c >= x->clusters + 2) {
		return -ERANGE;
	}
	int r = pread_all(x->fd, b, 4, x->fat_off + (uint64_t)c * 4);
	if (r == 0) {
		*ret = le32(b);
	}
	return r;
}

/* The clusters of a chain (FAT or, with CONTIG, consecutive), merged into extents. */
static int exfat_extents(const struct exfat *x, uint32_t first, uint64_t bytes, bool contig,
			 struct restore_extent *ext, int max, int *ret_n)
{
	uint64_t need = (bytes + x->cb - 1) / x->cb;
	int n = 0;
	uint32_t c = first;
	for (uint64_t i = 0; i < need; i++) {
		if (c < 2 || c >= x->clusters + 2) {
			return -ERANGE;
		}
		if (n > 0 && ext[n - 1].phys + ext[n - 1].len == c) {
			ext[n - 1].len++;
		} else if (n == max) {
			return -E2BIG;
		} else {
			ext[n++] = (struct restore_extent){ i, c, 1, false };
		}
		if (i + 1 == need) {
			break;
		}
		if (contig) {
			c++;
		} else {
			int r = exfat_next(x, c, &c);
			if (r < 0) {
				return r;
			}
		}
	}
	*ret_n = n;
	return 0;
}

/* Reads the bytes of a chain of at most MAX bytes. */
static int exfat_read_chain(const struct exfat *x, uint32_t first, uint64_t bytes, bool contig,
			    size_t max, uint8_t **ret, size_t *ret_len)
{
	struct restore_extent ext[RESTORE_MAX_EXTENTS];
	int n;
	if (bytes > max) {
		bytes = max;
	}
	int r = exfat_extents(x, first, bytes, contig, ext, RESTORE_MAX_EXTENTS, &n);
	if (r < 0) {
		return r;
	}
	size_t len = (size_t)((bytes + x->cb - 1) / x->cb) * x->cb;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf) {
		return -ENOMEM;
	}
	for (int i = 0; i < n && r == 0; i++) {
		r = pread_all(x->fd, buf + ext[i].logical * x->cb, ext[i].len * x->cb,
			      x->heap + (ext[i].phys - 2) * x->cb);
	}
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int exfat_open(int fd, struct exfat *x)
{
	uint8_t b[512];
	memset(x, 0, sizeof(*x));
	x->fd = fd;
	int r = pread_all(fd, b, sizeof(b), 0);
	if (r < 0) {
		return r;
	}
	unsigned bps = b[108], spc = b[109];
	if (memcmp(b + 3, "EXFAT   ", 8) != 0 || bps < 9 || bps > 12 || spc > 25 - bps) {
		return -EINVAL;
	}
	uint64_t sector = 1u << bps;
	x->cb = (uint32_t)(sector << spc);
	x->fat_off = le32(b + 80) * sector;
	x->heap = le32(b + 88) * sector;
	x->clusters = le32(b + 92);
	x->root = le32(b + 96);
	if (x->clusters == 0 || x->clusters > 0xfffffff5u || x->root < 2) {
		return -EINVAL;
	}
	return 0;
}

static bool exfat_cluster_free(const struct exfat *x, uint64_t c)
{
	uint64_t bit = c - 2;
	return x->bitmap && bit / 8 < x->bitmap_len && !(x->bitmap[bit / 8] & (1u << (bit % 8)));
}

struct exfat_dir {
	uint32_t cluster;
	uint64_t bytes;
	bool contig;
	char path[1024];
};

int restore_exfat_scan(int fd, struct restore_list *ret)
{
	struct exfat x;
	int r = exfat_open(fd, &x);
	if (r < 0) {
		return r;
	}
	enum { MAX_DIRS = 8192 };
	struct exfat_dir *q = calloc(MAX_DIRS, sizeof(*q));
	if (!q) {
		return -ENOMEM;
	}
	size_t nq = 1, head = 0;
	q[0] = (struct exfat_dir){ .cluster = x.root, .bytes = 2u << 20, .contig = false };
	while (head < nq) {
		struct exfat_dir *d = &q[head++];
		uint8_t *buf;
		size_t len;
		if (d->cluster == x.root && head == 1) {
			/* the root: its chain ends where the FAT says (read cluster by cluster) */
			size_t cap = 2u << 20;
			len = 0;
			buf = malloc(cap);
			for (uint32_t c = x.root, hops = 0; buf && len + x.cb <= cap && hops < 65536;
			     hops++) {
				if (c < 2 || c >= x.clusters + 2 ||
				    pread_all(fd, buf + len, x.cb, x.heap + (uint64_t)(c - 2) * x.cb) < 0) {
					break;
				}
				len += x.cb;
				if (exfat_next(&x, c, &c) < 0) {
					break;
				}
			}
			if (!buf) {
				continue;
			}
		} else if (exfat_read_chain(&x, d->cluster, d->bytes, d->contig, 2u << 20, &buf,
					    &len) < 0) {
			continue;
		}
		for (size_t off = 0; off + 32 <= len; off += 32) {
			const uint8_t *e = buf + off;
			if (e[0] == 0) {
				break;
			}
			if (e[0] == 0x81 && !x.bitmap && le32(e + 20) >= 2) {
				uint64_t blen = (uint64_t)le32(e + 24) | (uint64_t)le32(e + 28) << 32;
				size_t got;
				if (blen >= (x.clusters + 7) / 8 && blen < (64u << 20) &&
				    exfat_read_chain(&x, le32(e + 20), blen, false, 64u << 20, &x.bitmap,
						     &got) == 0) {
					x.bitmap_len = (size_t)blen;
				}
				continue;
			}
			if ((e[0] & 0x7f) != 0x05) {
				continue; /* not a file entry */
			}
			bool deleted = !(e[0] & 0x80);
			unsigned sc = e[1];
			if (sc < 2 || sc > 18 || off + 32 * (sc + 1) > len) {
				continue;
			}
			const uint8_t *st = e + 32;
			if (st[0] != (deleted ? 0x40 : 0xc0)) {
				continue;
			}
			unsigned nlen = st[3];
			uint16_t ucs[256];
			size_t k = 0;
			for (unsigned i = 2; i <= sc && k < nlen; i++) {
				const uint8_t *ne = e + 32 * i;
				if (ne[0] != (deleted ? 0x41 : 0xc1)) {
					break;
				}
				for (int c = 0; c < 15 && k < nlen; c++) {
					ucs[k++] = le16(ne + 2 + 2 * c);
				}
			}
			char name[256];
			restore_fat_long_name(ucs, k, name, sizeof(name));
			if (!name[0]) {
				continue;
			}
			uint32_t first = le32(st + 20);
			uint64_t size = (uint64_t)le32(st + 24) | (uint64_t)le32(st + 28) << 32;
			bool contig = st[1] & 0x2, dir = le16(e + 4) & 0x10;
			off += 32 * sc;
			if (!deleted && dir) {
				if (nq < MAX_DIRS && first >= 2 && strlen(d->path) < 900) {
					q[nq] = (struct exfat_dir){ .cluster = first, .bytes = size,
								    .contig = contig };
					snprintf(q[nq].path, sizeof(q[nq].path), "%s/%s", d->path, name);
					nq++;
				}
				continue;
			}
			if (!deleted || dir || size == 0 || first < 2) {
				continue;
			}
			struct restore_file *rf = list_add(ret);
			if (!rf) {
				break;
			}
			int n = 0;
			if (exfat_extents(&x, first, size, contig, rf->ext, RESTORE_MAX_EXTENTS, &n) < 0) {
				ret->n--;
				continue;
			}
			uint64_t total = 0, free_ = 0;
			for (int i = 0; i < n; i++) {
				for (uint64_t c = 0; c < rf->ext[i].len; c++) {
					total++;
					free_ += exfat_cluster_free(&x, rf->ext[i].phys + c);
				}
			}
			uint32_t ts = le32(e + 12);
			rf->n_ext = n;
			rf->id = first;
			rf->size = size;
			rf->block_size = x.cb;
			rf->percent = total ? (int)(free_ * 100 / total) : 0;
			rf->modified = fat_time((uint16_t)(ts >> 16), (uint16_t)ts);
			snprintf(rf->name, sizeof(rf->name), "%s", name);
			snprintf(rf->path, sizeof(rf->path), "%s/%s", d->path, name);
		}
		free(buf);
	}
	free(q);
	free(x.bitmap);
	return 0;
}

/* ---- reading back ---- */

int restore_read_file(int fd, enum restore_fs fs, const struct restore_file *f, int out_fd,
		      char sha256[65])
{
	uint64_t base = 0, unit = f->block_size, dev_end;
	off_t end = lseek(fd, 0, SEEK_END);
	if (end < 0) {
		return -errno;
	}
	dev_end = (uint64_t)end;
	if (fs == RESTORE_FAT) {
		struct fat fat;
		int r = fat_open(fd, &fat);
		if (r < 0) {
			return r;
		}
		free(fat.fat);
		base = fat.data_off - 2 * unit; /* cluster 2 is the first */
	} else if (fs == RESTORE_EXFAT) {
		struct exfat x;
		int r = exfat_open(fd, &x);
		if (r < 0) {
			return r;
		}
		base = x.heap - 2 * unit;
	} else if (fs != RESTORE_EXT4 || unit == 0) {
		return -EINVAL;
	}
	uint8_t *buf = malloc(IO_CHUNK);
	if (!buf) {
		return -ENOMEM;
	}
	struct sha256 h;
	sha256_init(&h);
	uint64_t pos = 0;
	int r = 0;
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
			uint64_t at = base + x->phys * unit + in;
			if (x->unwritten) {
				memset(buf, 0, n);
			} else if (at + n > dev_end || at < base) {
				r = -ERANGE;
				break;
			} else if ((r = pread_all(fd, buf, n, at)) < 0) {
				break;
			}
		} else {
			n = next - pos < IO_CHUNK ? next - pos : IO_CHUNK;
			memset(buf, 0, n);
		}
		sha256_update(&h, buf, n);
		r = write_all(out_fd, buf, n);
		pos += n;
	}
	free(buf);
	if (r == 0) {
		sha256_hex(&h, sha256);
	}
	return r;
}
