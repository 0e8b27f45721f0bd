/* Deleted files on FAT12/16/32 (0xE5 entries) and exFAT (entry sets no longer in use). */
#include "restore.h"
#include "restore-private.h"

#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	int r = restore_pread(fd, b, sizeof(b), 0);
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
	r = restore_pread(fd, f->fat, f->fat_len, (uint64_t)res * bps);
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
		r = restore_pread(f->fd, buf, len, f->root_off);
	} else {
		for (uint32_t c = cluster, hops = 0; fat_valid(f, c) && len + cb <= max && hops < 65536;
		     c = fat_next(f, c), hops++) {
			r = restore_pread(f->fd, buf + len, cb, f->data_off + (uint64_t)(c - 2) * cb);
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
			struct restore_file *rf = restore_list_add(ret);
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
	int r = restore_pread(x->fd, b, 4, x->fat_off + (uint64_t)c * 4);
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
		r = restore_pread(x->fd, buf + ext[i].logical * x->cb, ext[i].len * x->cb,
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
	int r = restore_pread(fd, b, sizeof(b), 0);
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
				    restore_pread(fd, buf + len, x.cb, x.heap + (uint64_t)(c - 2) * x.cb) < 0) {
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
			struct restore_file *rf = restore_list_add(ret);
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

int restore_fat_cluster2(int fd, enum restore_fs fs, uint64_t *ret)
{
	if (fs == RESTORE_EXFAT) {
		struct exfat x;
		int r = exfat_open(fd, &x);
		if (r == 0) {
			*ret = x.heap;
		}
		return r;
	}
	struct fat f;
	int r = fat_open(fd, &f);
	if (r == 0) {
		free(f.fat);
		*ret = f.data_off;
	}
	return r;
}
