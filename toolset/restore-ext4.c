/* Deleted files on ext2/3/4: the copies of their inodes and folders in the jbd2 journal. */
#include "restore.h"
#include "restore-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	return restore_pread(e->fd, buf, e->bs, blk * e->bs);
}

static int ext4_open(int fd, struct ext4 *e)
{
	uint8_t sb[1024];
	memset(e, 0, sizeof(*e));
	e->fd = fd;
	int r = restore_pread(fd, sb, sizeof(sb), 1024);
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
	r = restore_pread(fd, gd, (size_t)ng * dsz, (uint64_t)(e->first_data + 1) * e->bs);
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
	return restore_pread(e->fd, buf, e->isz, off);
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
	r = restore_pread(e->fd, sb, sizeof(sb), 1024);
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
			struct restore_file *f = k >= 0 ? &s->l->files[k] : restore_list_add(s->l);
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
		if (restore_pread(fd, blk, e.bs, c[i].jphys * e.bs) == 0) {
			ext4_inode_copies(&s, c[i].fsblock, blk, c[i].seq);
		}
	}
	for (size_t i = 0; i < nc && ret->n > before; i++) {
		if (restore_pread(fd, blk, e.bs, c[i].jphys * e.bs) < 0) {
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
