/*
 * copy: a file or folder tree, from an installed system or any local path, to a folder, a USB
 * stick's partition or a network share; every file is hashed (SHA-256) while it is read and read
 * back after it is written; SHA256SUMS goes to the destination.
 */
#include "audit.h"
#include "dest.h"
#include "sha256.h"
#include "target.h"
#include "tools.h"
#include "tui.h"
#include "util.h"
#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
	"Usage: lifeline copy SRC DEST [--system ID] [--password-stdin] [--overwrite] [--yes] [--json]\n"
	"\n"
	"Copies the file or folder SRC (inside the installed system with --system, else a local\n"
	"path) into DEST, which is one of:\n"
	"  /a/mounted/folder                     a folder\n"
	"  /dev/sdb1                             a partition (a USB stick): mounted, then unmounted\n"
	"  smb://[user@]host[:port]/share/path   a Windows or Samba share (mount.cifs)\n"
	"  nfs://host[:port]/export/path         an NFS export\n"
	"  sftp://user@host[:port]/path          an SSH server (sshfs; its host key is shown first)\n"
	"Files, folders and symlinks (as links) are copied with their modes and times.  Each file's\n"
	"SHA-256 is computed while it is read and compared with the written copy read back;\n"
	"SHA256SUMS is written at DEST.  A file that cannot be read is reported and the copy goes\n"
	"on; the exit status is 1 when any file could not be read or failed the comparison.\n"
	"  --password-stdin     read the share's password from standard input (never give it on\n"
	"                       the command line)\n"
	"  --overwrite          replace files that exist at DEST (else they are left alone)\n"
	"On a terminal without SRC and DEST, the system, SRC, the destination (the partitions found,\n"
	"or a share typed in) and its password are asked in dialogs.\n"
	"\n"
	"Options:\n" CLI_COMMON_HELP;

enum {
	OPT_PASSWORD_STDIN = CLI_OPT_FIRST_TOOL,
	OPT_OVERWRITE,
};

#define LIST_SHOWN 50
#define HASH_HEX 65
#define CHUNK (1u << 20)

struct copy {
	const struct cli *c;
	bool overwrite;
	const char *top;       /* the copy's name at DEST (SRC's last component) */
	int dst[WALK_DEPTH_MAX + 2]; /* dst[d]: the destination folder of the entries at depth d */
	dev_t top_dev;         /* the copy's top folder at DEST: never copied into itself */
	ino_t top_ino;
	unsigned char *buf;
	/* the summary */
	uint64_t files, bytes, links, dirs, same, skipped;
	struct json_object *unreadable, *failed, *exists;
	uint64_t n_unreadable, n_failed, n_exists;
	/* SHA256SUMS */
	char *sums;
	size_t sums_len, sums_cap;
	/* progress */
	bool tty;
	struct timespec start, last;
};

static double since(const struct timespec *a)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - a->tv_sec) + (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

static void progress(struct copy *k, bool final)
{
	if (!final && since(&k->last) < (k->tty ? 0.5 : 5.0)) {
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &k->last);
	double t = since(&k->start);
	fprintf(stderr, "%s%" PRIu64 " files, %.1f MB, %.1f MB/s%s", k->tty ? "\r" : "", k->files,
		(double)k->bytes / 1e6, t > 0 ? (double)k->bytes / 1e6 / t : 0.0,
		k->tty && !final ? "   " : "\n");
}

static void note(struct copy *k, struct json_object *list, uint64_t *count, const char *path,
		 const char *what)
{
	char shown[WALK_PATH_MAX + 300];
	util_sanitize(shown, sizeof(shown), path);
	if (++*count <= LIST_SHOWN) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(shown));
		json_object_object_add(o, "error", json_object_new_string(what));
		json_object_array_add(list, o);
	}
	if (k->tty) {
		fputc('\n', stderr);
	}
	fprintf(stderr, "%s: %s\n", shown, what);
}

/* The entry's path at DEST: TOP, then the path inside SRC. */
static void dest_rel(const struct copy *k, const struct walk_entry *e, char *out, size_t size)
{
	snprintf(out, size, "%s%s%s", k->top, *e->path ? "/" : "", e->path);
}

/* SHA256SUMS as sha256sum writes it: a name with \ or newline is escaped, the line starts "\". */
static void add_sum(struct copy *k, const char *hex, const char *rel)
{
	size_t need = HASH_HEX + 4 + 2 * strlen(rel) + 2;
	if (k->sums_len + need > k->sums_cap) {
		size_t cap = (k->sums_cap + need) * 2;
		char *n = realloc(k->sums, cap);
		if (!n) {
			return;
		}
		k->sums = n;
		k->sums_cap = cap;
	}
	char *o = k->sums + k->sums_len;
	bool esc = strpbrk(rel, "\\\n") != NULL;
	if (esc) {
		*o++ = '\\';
	}
	o += sprintf(o, "%s  ", hex);
	for (const char *p = rel; *p; p++) {
		if (esc && (*p == '\\' || *p == '\n')) {
			*o++ = '\\';
			*o++ = *p == '\n' ? 'n' : '\\';
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\n';
	k->sums_len = (size_t)(o - k->sums);
}

/*
 * Reads IN to its end into the SHA-256 HEX, writing it to OUT on the way (unless OUT is -1);
 * 0 or a negative errno, *READ_ERR set when it was reading that failed.
 */
static int pump(struct copy *k, int in, int out, char *hex, bool *read_err)
{
	struct sha256 h;
	int e = sha256_init(&h);
	if (e < 0) {
		return e;
	}
	for (;;) {
		ssize_t n = read(in, k->buf, CHUNK);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			if (n < 0) {
				e = -errno;
				*read_err = true;
			}
			break;
		}
		sha256_update(&h, k->buf, (size_t)n);
		if (out < 0) {
			continue;
		}
		e = util_write_all(out, k->buf, (size_t)n);
		if (e < 0) {
			break;
		}
		k->bytes += (uint64_t)n;
		progress(k, false);
	}
	sha256_hex(&h, hex);
	return e;
}

/* SHA-256 of what is left to read on FD; 0 or a negative errno. */
static int hash_fd(struct copy *k, int fd, char *hex)
{
	bool read_err;
	return pump(k, fd, -1, hex, &read_err);
}

/* An existing file at DEST: the same content counts as copied, another is left alone. */
static int existing(struct copy *k, const struct walk_entry *e, int dfd, const char *dname,
		    const char *rel)
{
	char a[HASH_HEX], b[HASH_HEX];
	int in = openat(e->dfd, e->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	int out = openat(dfd, dname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	bool same = in >= 0 && out >= 0 && hash_fd(k, in, a) == 0 && hash_fd(k, out, b) == 0 &&
		    strcmp(a, b) == 0;
	if (in >= 0) {
		close(in);
	}
	if (out >= 0) {
		close(out);
	}
	if (same) {
		k->same++;
		add_sum(k, a, rel);
	} else {
		note(k, k->exists, &k->n_exists, rel, "exists at the destination and differs: left alone (--overwrite replaces it)");
	}
	return WALK_CONTINUE;
}

static int copy_file(struct copy *k, const struct walk_entry *e, int dfd, const char *dname,
		     const char *rel)
{
	int in = openat(e->dfd, e->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (in < 0) {
		note(k, k->unreadable, &k->n_unreadable, rel, strerror(errno));
		return WALK_CONTINUE;
	}
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (k->overwrite ? O_TRUNC : O_EXCL);
	int out = openat(dfd, dname, flags, 0600);
	if (out < 0 && errno == EEXIST) {
		close(in);
		return existing(k, e, dfd, dname, rel);
	}
	if (out < 0) {
		int err = errno;
		close(in);
		note(k, k->failed, &k->n_failed, rel, strerror(err));
		return err == ENOSPC || err == EROFS ? -err : WALK_CONTINUE;
	}
	char hex[HASH_HEX], back[HASH_HEX];
	bool read_err = false;
	int r = pump(k, in, out, hex, &read_err);
	close(in);
	if (r == 0) {
		fchmod(out, e->st->st_mode & 07777); /* FAT has no modes: best effort */
		struct timespec ts[2] = { e->st->st_atim, e->st->st_mtim };
		futimens(out, ts);
		if (fsync(out) < 0) {
			r = -errno;
		}
	}
	if (r == 0) {
		/* read it back from the disk, not from the page cache */
		posix_fadvise(out, 0, 0, POSIX_FADV_DONTNEED);
	}
	close(out);
	if (r < 0) {
		unlinkat(dfd, dname, 0);
		note(k, read_err ? k->unreadable : k->failed, read_err ? &k->n_unreadable : &k->n_failed,
		     rel, strerror(-r));
		return !read_err && (r == -ENOSPC || r == -EROFS) ? r : WALK_CONTINUE;
	}
	int chk = openat(dfd, dname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (chk >= 0) {
		posix_fadvise(chk, 0, 0, POSIX_FADV_DONTNEED);
	}
	if (chk < 0 || hash_fd(k, chk, back) < 0 || strcmp(hex, back) != 0) {
		note(k, k->failed, &k->n_failed, rel,
		     chk < 0 ? "cannot be read back" : "the copy differs from the original");
	} else {
		k->files++;
		add_sum(k, hex, rel);
	}
	if (chk >= 0) {
		close(chk);
	}
	return WALK_CONTINUE;
}

static int copy_link(struct copy *k, const struct walk_entry *e, int dfd, const char *dname,
		     const char *rel)
{
	char target[WALK_PATH_MAX];
	ssize_t n = readlinkat(e->dfd, e->name, target, sizeof(target) - 1);
	if (n < 0) {
		note(k, k->unreadable, &k->n_unreadable, rel, strerror(errno));
		return WALK_CONTINUE;
	}
	target[n] = '\0';
	if (symlinkat(target, dfd, dname) < 0) {
		char there[WALK_PATH_MAX], what[200];
		ssize_t m = errno == EEXIST ? readlinkat(dfd, dname, there, sizeof(there) - 1) : -1;
		if (m == n && memcmp(there, target, (size_t)n) == 0) {
			k->same++;
			return WALK_CONTINUE;
		}
		snprintf(what, sizeof(what), "symlink not made: %s%s", strerror(errno),
			 errno == EPERM ? " (the destination's filesystem has no symlinks)" : "");
		note(k, k->failed, &k->n_failed, rel, what);
		return WALK_CONTINUE;
	}
	struct timespec ts[2] = { e->st->st_atim, e->st->st_mtim };
	utimensat(dfd, dname, ts, AT_SYMLINK_NOFOLLOW);
	k->links++;
	return WALK_CONTINUE;
}

static int on_entry(void *data, enum walk_event ev, const struct walk_entry *e)
{
	struct copy *k = data;
	char rel[WALK_PATH_MAX + 300];
	dest_rel(k, e, rel, sizeof(rel));
	const char *dname = e->depth == 0 ? k->top : e->name;
	int dfd = k->dst[e->depth];
	if (ev == WALK_UNREADABLE) {
		note(k, k->unreadable, &k->n_unreadable, rel, strerror(e->error));
		return WALK_CONTINUE;
	}
	if (ev == WALK_LEAVE) {
		int fd = k->dst[e->depth + 1];
		fchmod(fd, e->st->st_mode & 07777);
		struct timespec ts[2] = { e->st->st_atim, e->st->st_mtim };
		futimens(fd, ts);
		close(fd);
		k->dst[e->depth + 1] = -1;
		return WALK_CONTINUE;
	}
	mode_t m = e->st->st_mode;
	if (S_ISREG(m)) {
		return copy_file(k, e, dfd, dname, rel);
	}
	if (S_ISLNK(m)) {
		return copy_link(k, e, dfd, dname, rel);
	}
	if (!S_ISDIR(m)) {
		k->skipped++;
		return WALK_CONTINUE;
	}
	if (e->depth > 0 && e->st->st_dev == k->top_dev && e->st->st_ino == k->top_ino) {
		note(k, k->failed, &k->n_failed, rel, "this is the destination: not copied into itself");
		return WALK_SKIP;
	}
	if (mkdirat(dfd, dname, 0700) < 0 && errno != EEXIST) {
		note(k, k->failed, &k->n_failed, rel, strerror(errno));
		return errno == ENOSPC || errno == EROFS ? -errno : WALK_SKIP;
	}
	int fd = openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		note(k, k->failed, &k->n_failed, rel, strerror(errno));
		return WALK_SKIP;
	}
	struct stat top;
	if (e->depth == 0 && fstat(fd, &top) == 0) {
		k->top_dev = top.st_dev;
		k->top_ino = top.st_ino;
	}
	k->dst[e->depth + 1] = fd;
	k->dirs++;
	return WALK_CONTINUE;
}

/* SHA256SUMS at the destination folder; an existing one is kept (SHA256SUMS.1, .2, ...). */
static int write_sums(struct copy *k, int dfd, char *name, size_t size)
{
	int fd = -1;
	for (int i = 0; i < 100 && fd < 0; i++) {
		if (i == 0) {
			snprintf(name, size, "SHA256SUMS");
		} else {
			snprintf(name, size, "SHA256SUMS.%d", i);
		}
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
					       (k->overwrite && i == 0 ? O_TRUNC : O_EXCL), 0644);
		if (fd < 0 && errno != EEXIST) {
			return -errno;
		}
	}
	if (fd < 0) {
		return -EEXIST;
	}
	int e = util_write_all(fd, (const unsigned char *)(k->sums ? k->sums : ""), k->sums_len);
	if (e == 0 && fsync(fd) < 0) {
		e = -errno;
	}
	close(fd);
	return e;
}

/* What the destination is once ready: a folder, and what to undo. */
struct place {
	char dir[1400];   /* the folder the copy goes into */
	char mnt[300];    /* a mount of ours to undo ("" for none) */
	char tmp[300];    /* SFTP: the known_hosts folder */
};

static void place_close(struct place *p)
{
	if (p->mnt[0]) {
		target_unmount_dir(p->mnt);
	}
	if (p->tmp[0]) {
		char f[400];
		snprintf(f, sizeof(f), "%s/known_hosts", p->tmp);
		unlink(f);
		rmdir(p->tmp);
	}
}

static int mkdir_inside(const char *root, const char *path)
{
	int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		return -errno;
	}
	char part[1024];
	int e = 0;
	for (const char *p = path; *p && e == 0;) {
		size_t n = strcspn(p, "/");
		if (n && n < sizeof(part)) {
			memcpy(part, p, n);
			part[n] = '\0';
			if (mkdirat(rfd, part, 0755) < 0 && errno != EEXIST) {
				e = -errno;
				break;
			}
			int fd = util_open_in_root(rfd, part, O_PATH | O_DIRECTORY, 0);
			if (fd < 0) {
				e = fd;
				break;
			}
			close(rfd);
			rfd = fd;
		}
		p += n;
		p += *p == '/';
	}
	close(rfd);
	return e;
}

static int open_place(struct cli *c, const struct dest *d, const char *password,
		      struct place *p)
{
	char why[600];
	struct stat st;
	if (d->kind == DEST_LOCAL) {
		if (stat(d->path, &st) < 0) {
			return cli_fail(c, "%s: %s", d->path, strerror(errno));
		}
		if (S_ISDIR(st.st_mode)) {
			snprintf(p->dir, sizeof(p->dir), "%s", d->path);
			return CLI_OK;
		}
		if (!S_ISBLK(st.st_mode)) {
			return cli_usage(c, "DEST is neither a folder, a block device nor a URL");
		}
		int r = cli_discover(c);
		if (r != CLI_OK) {
			return r;
		}
		char real[PATH_MAX];
		int i = realpath(d->path, real) ? systems_find_source(&c->systems, real) : -1;
		if (i < 0) {
			return cli_fail(c, "%s: no such block device among the disks", d->path);
		}
		const struct systems_dev *dev = &c->systems.devs[i];
		if (dev->mountpoint[0]) {
			/* mounted already (by hand): the copy goes there */
			snprintf(p->dir, sizeof(p->dir), "%s", dev->mountpoint);
			return CLI_OK;
		}
		if (dev->whole && !dev->fstype[0]) {
			return cli_fail(c, "%s is a whole disk without a filesystem: give its partition",
					dev->path);
		}
		if (target_mount_dev(dev, true, p->mnt, sizeof(p->mnt), why, sizeof(why)) < 0) {
			return cli_fail(c, "%s", why);
		}
		snprintf(p->dir, sizeof(p->dir), "%s", p->mnt);
		return CLI_OK;
	}
	char known[400] = "";
	if (d->kind == DEST_SFTP) {
		char fps[2048];
		snprintf(p->tmp, sizeof(p->tmp), "/run/lifeline/ssh-XXXXXX");
		if (util_mkdir_p("/run/lifeline", 0700) < 0 || !mkdtemp(p->tmp)) {
			p->tmp[0] = '\0';
			return cli_fail(c, "cannot create a folder in /run/lifeline");
		}
		snprintf(known, sizeof(known), "%s/known_hosts", p->tmp);
		if (dest_host_keys(d, known, fps, sizeof(fps), why, sizeof(why)) < 0) {
			return cli_fail(c, "%s", why);
		}
		cli_say(c, "The host key of %s:\n%s", d->host, fps);
		int r = cli_confirm_change(c, "Is this the server's key (compare it with the server)?");
		if (r != CLI_GO) {
			return r;
		}
	}
	if (util_mkdir_p(TARGET_MNT_BASE, 0700) < 0) {
		return cli_fail(c, "cannot create %s", TARGET_MNT_BASE);
	}
	snprintf(p->mnt, sizeof(p->mnt), TARGET_MNT_BASE "/net-XXXXXX");
	if (!mkdtemp(p->mnt)) {
		p->mnt[0] = '\0';
		return cli_fail(c, "cannot create a mount point: %s", strerror(errno));
	}
	if (dest_mount(d, p->mnt, password, known, why, sizeof(why)) < 0) {
		rmdir(p->mnt);
		p->mnt[0] = '\0';
		return cli_fail(c, "%s", why);
	}
	snprintf(p->dir, sizeof(p->dir), "%s", p->mnt);
	if (d->kind == DEST_SMB && d->path[0]) {
		int e = mkdir_inside(p->mnt, d->path);
		if (e < 0) {
			return cli_fail(c, "cannot create %s in the share: %s", d->path, strerror(-e));
		}
		snprintf(p->dir, sizeof(p->dir), "%s%s", p->mnt, d->path);
	}
	return CLI_OK;
}

static void list_json_say(struct json_object *list, uint64_t n, const char *title)
{
	if (!n) {
		return;
	}
	printf("%s (%" PRIu64 "):\n", title, n);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *o = json_object_array_get_idx(list, i), *p, *e;
		json_object_object_get_ex(o, "path", &p);
		json_object_object_get_ex(o, "error", &e);
		printf("  %s: %s\n", json_object_get_string(p), json_object_get_string(e));
	}
	if (n > json_object_array_length(list)) {
		printf("  ...\n");
	}
}

static int summary(struct copy *k, const char *src, const char *where, const char *sums,
		   const char *sys_id)
{
	double t = since(&k->start);
	bool bad = k->n_unreadable || k->n_failed || k->n_exists;
	if (k->c->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "system", sys_id ? json_object_new_string(sys_id) : NULL);
		json_object_object_add(o, "source", json_object_new_string(src));
		json_object_object_add(o, "destination", json_object_new_string(where));
		json_object_object_add(o, "files", json_object_new_int64((int64_t)k->files));
		json_object_object_add(o, "bytes", json_object_new_int64((int64_t)k->bytes));
		json_object_object_add(o, "folders", json_object_new_int64((int64_t)k->dirs));
		json_object_object_add(o, "symlinks", json_object_new_int64((int64_t)k->links));
		json_object_object_add(o, "identical_already", json_object_new_int64((int64_t)k->same));
		json_object_object_add(o, "skipped_special", json_object_new_int64((int64_t)k->skipped));
		json_object_object_add(o, "seconds", json_object_new_double(t));
		json_object_object_add(o, "checksums", json_object_new_string(sums));
		json_object_object_add(o, "unreadable", json_object_get(k->unreadable));
		json_object_object_add(o, "failed", json_object_get(k->failed));
		json_object_object_add(o, "exists", json_object_get(k->exists));
		cli_print_json(o);
	} else {
		printf("Copied %" PRIu64 " files (%" PRIu64 " bytes, %.1f MB/s), %" PRIu64
		       " folders, %" PRIu64 " symlinks to %s in %.0f s; all verified by SHA-256.\n",
		       k->files, k->bytes, t > 0 ? (double)k->bytes / 1e6 / t : 0.0, k->dirs,
		       k->links, where, t);
		if (k->same) {
			printf("%" PRIu64 " files were there already, identical.\n", k->same);
		}
		if (k->skipped) {
			printf("%" PRIu64 " devices, pipes or sockets were not copied.\n", k->skipped);
		}
		if (sums[0]) {
			printf("Checksums: %s at the destination.\n", sums);
		}
		list_json_say(k->unreadable, k->n_unreadable, "Could not be read");
		list_json_say(k->failed, k->n_failed, "Failed (not written or not verified)");
		list_json_say(k->exists, k->n_exists, "Left alone (they exist at the destination)");
	}
	return bad ? CLI_FAIL : CLI_OK;
}

/*
 * Opens SRC's parent folder (inside ROOT, or from the current folder when ROOT is NULL) and gives
 * its last component; "/" is ROOT itself.
 */
static int open_source(const char *root, const char *src, int *ret_dfd, const char **ret_name)
{
	size_t len = strlen(src);
	while (len > 1 && src[len - 1] == '/') {
		len--;
	}
	static char trimmed[WALK_PATH_MAX];
	if (len >= sizeof(trimmed)) {
		return -ENAMETOOLONG;
	}
	memcpy(trimmed, src, len);
	trimmed[len] = '\0';
	if (strcmp(trimmed, "/") == 0 || strcmp(trimmed, ".") == 0) {
		int fd = open(root ? root : trimmed, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			return -errno;
		}
		*ret_dfd = fd;
		*ret_name = ".";
		return 0;
	}
	char *slash = strrchr(trimmed, '/');
	*ret_name = slash ? slash + 1 : trimmed;
	if (strcmp(*ret_name, ".") == 0 || strcmp(*ret_name, "..") == 0) {
		return -EINVAL; /* it would be the copy's name at DEST */
	}
	if (slash) {
		*slash = '\0';
	}
	const char *dir = slash ? (trimmed[0] ? trimmed : "/") : ".";
	int fd;
	if (root) {
		/* inside the system, across the filesystems mounted in it (a separate /home) */
		int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		fd = rfd < 0 ? -errno : util_open_in_tree(rfd, dir, O_PATH | O_DIRECTORY, 0);
		if (rfd >= 0) {
			close(rfd);
		}
	} else {
		/* a local path, relative to the current folder */
		fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		fd = fd < 0 ? -errno : fd;
	}
	if (fd < 0) {
		return fd;
	}
	*ret_dfd = fd;
	struct stat st;
	if (fstatat(fd, *ret_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return 0;
}

/*
 * The text UI's questions: SRC inside the system, then DEST among the partitions that hold no
 * installed system (or typed), then a share's password.  RET_* are new strings; false for Cancel.
 */
static bool ui_ask(struct cli *c, char **ret_src, char **ret_dest, char **ret_password)
{
	*ret_src = *ret_dest = *ret_password = NULL;
	if (cli_discover(c) != CLI_OK) {
		return false;
	}
	char *src = tui_entry("Copy", "Folder or file to copy, as the installed system sees it "
			      "(/home/alice/Documents):", false);
	if (!src) {
		return false;
	}
	const char *items[65];
	char labels[64][160];
	int devs[64];
	size_t n = 0;
	for (size_t i = 0; i < c->systems.n_devs && n < 64; i++) {
		const struct systems_dev *d = &c->systems.devs[i];
		bool sys_dev = false;
		for (size_t j = 0; j < c->systems.n_sys; j++) {
			const struct systems_system *y = &c->systems.sys[j];
			sys_dev = sys_dev || y->root == (int)i || y->boot == (int)i || y->esp == (int)i;
		}
		if (sys_dev || !target_mountable(d->fstype) || d->mountpoint[0]) {
			continue;
		}
		snprintf(labels[n], sizeof(labels[n]), "%-14s %-8s %6.1f GB  %.40s", d->path, d->fstype,
			 (double)d->size / 1e9, d->label);
		items[n] = labels[n];
		devs[n++] = (int)i;
	}
	items[n] = "Another folder or a network share (smb://, nfs://, sftp://)";
	int k = tui_choose("Copy", "Copy to:", items, n + 1);
	char *dest = NULL;
	if (k >= 0 && (size_t)k < n) {
		dest = strdup(c->systems.devs[devs[k]].path);
	} else if (k >= 0) {
		dest = tui_entry("Copy", "Destination: a folder, smb://user@host/share/folder, "
				 "nfs://host/export, sftp://user@host/path", false);
	}
	if (!dest) {
		free(src);
		return false;
	}
	if (strstr(dest, "://") && !util_startswith(dest, "nfs://")) {
		*ret_password = tui_entry("Copy", "Password of the share (empty for none):", true);
		if (*ret_password && !**ret_password) {
			free(*ret_password);
			*ret_password = NULL;
		}
	}
	*ret_src = src;
	*ret_dest = dest;
	return true;
}

int tool_copy(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
		{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
		{ 0 },
	};
	bool pw_stdin = false;
	struct copy k = { .c = c };
	const char *args[2];
	size_t n_args = 0;
	int o;
	while ((o = cli_getopt_args(c, argc, argv, opts, args, 2, &n_args)) > 0) {
		switch (o) {
		case OPT_PASSWORD_STDIN:
			pw_stdin = true;
			break;
		case OPT_OVERWRITE:
			k.overwrite = true;
			break;
		}
	}
	int go = cli_options_done(c, o, argc, argv, help, false);
	if (go != CLI_GO) {
		return go;
	}
	bool ui = c->tty && !c->json && n_args == 0;
	char *ui_src = NULL, *ui_dest = NULL, *password = NULL;
	if (ui) {
		if (!ui_ask(c, &ui_src, &ui_dest, &password)) {
			return CLI_OK;
		}
		args[0] = util_strip(ui_src);
		args[1] = util_strip(ui_dest);
		n_args = 2;
	}
	if (n_args != 2) {
		return cli_usage(c, "give SRC and DEST");
	}
	const char *src = args[0], *dest_arg = args[1];
	struct dest d;
	char why[600];
	int r = CLI_USAGE;
	if (!*src) {
		cli_usage(c, "SRC is empty");
		goto out_args;
	}
	if (dest_parse(dest_arg, &d, why, sizeof(why)) < 0) {
		cli_usage(c, "%s", why);
		goto out_args;
	}
	if (pw_stdin && d.kind == DEST_LOCAL) {
		cli_usage(c, "--password-stdin is for a network destination");
		goto out_args;
	}
	r = cli_read_secrets(c);
	if (r != CLI_OK) {
		goto out_args;
	}
	if (pw_stdin) {
		password = cli_read_line(1024);
		if (!password) {
			r = cli_usage(c, "--password-stdin: no password on standard input");
			goto out_args;
		}
	}
	char where[1200], src_shown[600];
	dest_describe(&d, where, sizeof(where));
	util_sanitize(src_shown, sizeof(src_shown), src);

	const struct systems_system *sys = NULL;
	struct target *t = NULL;
	struct place pl = { 0 };
	int sdfd = -1;
	const char *sname = NULL;
	if (c->system || ui) {
		r = cli_pick_system(c, &sys);
		if (r != CLI_OK) {
			goto out;
		}
		if (target_open(&c->systems, sys, TARGET_ALL, &t, why, sizeof(why)) < 0) {
			r = cli_fail(c, "%s", why);
			goto out;
		}
	}
	int e = open_source(t ? t->root : NULL, src, &sdfd, &sname);
	if (e < 0) {
		r = e == -EINVAL ? cli_usage(c, "SRC may not end in '.' or '..': name the folder") :
				   cli_fail(c, "%s%s%s: %s", sys ? sys->id : "", sys ? ":" : "",
					    src_shown, strerror(-e));
		goto out;
	}
	k.top = strcmp(sname, ".") == 0 ? (sys ? sys->id : "root") : sname;
	char q[2048];
	snprintf(q, sizeof(q), "Copy %s%s%s to %s?", sys ? sys->id : "", sys ? ":" : "", src_shown,
		 where);
	r = cli_confirm_change(c, q);
	if (r != CLI_GO) {
		goto out;
	}
	r = open_place(c, &d, password, &pl);
	if (password) {
		explicit_bzero(password, strlen(password));
	}
	if (r != CLI_OK) {
		goto out;
	}
	for (int i = 0; i < WALK_DEPTH_MAX + 2; i++) {
		k.dst[i] = -1;
	}
	k.dst[0] = open(pl.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (k.dst[0] < 0) {
		r = cli_fail(c, "%s: %s", pl.dir, strerror(errno));
		goto out;
	}
	k.buf = malloc(CHUNK);
	k.unreadable = json_object_new_array();
	k.failed = json_object_new_array();
	k.exists = json_object_new_array();
	k.tty = isatty(2);
	clock_gettime(CLOCK_MONOTONIC, &k.start);
	k.last = k.start;
	if (!k.buf) {
		r = cli_fail(c, "out of memory");
		goto out;
	}
	e = walk_tree(sdfd, sname, on_entry, &k);
	for (int i = 1; i < WALK_DEPTH_MAX + 2; i++) {
		if (k.dst[i] >= 0) {
			close(k.dst[i]); /* the walk ended early */
		}
	}
	progress(&k, true);
	if (e < 0) {
		cli_fail(c, "the copy stopped: %s", strerror(-e));
	}
	char sums[64] = "";
	e = write_sums(&k, k.dst[0], sums, sizeof(sums));
	if (e < 0) {
		cli_fail(c, "cannot write SHA256SUMS: %s", strerror(-e));
		sums[0] = '\0';
	}
	close(k.dst[0]);
	audit_record(NULL, sys ? sys->id : "-", "copy",
		     "copied %s to %s: %" PRIu64 " files, %" PRIu64 " bytes; %" PRIu64
		     " unreadable, %" PRIu64 " failed", src_shown, where, k.files, k.bytes,
		     k.n_unreadable, k.n_failed);
	r = summary(&k, src_shown, where, sums, sys ? sys->id : NULL);
	if (e < 0) {
		r = CLI_FAIL;
	}
out:
	place_close(&pl);
	if (sdfd >= 0) {
		close(sdfd);
	}
	target_close(t);
	free(k.buf);
	free(k.sums);
	json_object_put(k.unreadable);
	json_object_put(k.failed);
	json_object_put(k.exists);
	if (ui) {
		tui_pause();
	}
out_args:
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	free(ui_src);
	free(ui_dest);
	return r;
}
