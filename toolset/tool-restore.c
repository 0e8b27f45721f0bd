/*
 * restore: deleted files on the unmounted filesystems of an installed system (or of one device,
 * e.g. a USB stick) listed and copied back byte-identical to a folder on another filesystem;
 * photorec carving as the last resort.  The source device is only ever read.
 */
#include "audit.h"
#include "restore.h"
#include "run.h"
#include "sha256.h"
#include "tools.h"
#include "tui.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
	"Usage: lifeline restore --list [--system ID | --device DEV] [PATH]\n"
	"       lifeline restore [--system ID | --device DEV] PATH... --to DIR\n"
	"       lifeline restore --carve DEV --to DIR [--types jpg,pdf,...]\n"
	"\n"
	"Finds recently deleted files on the filesystems of an installed system (or of one\n"
	"partition or stick with --device) and copies them back to a folder on another filesystem.\n"
	"The filesystems are read unmounted and never written: ext2/3/4 from the copies in their\n"
	"journal, FAT and exFAT from their deleted directory entries, NTFS with ntfsundelete.\n"
	"Anything else, and what the filesystem no longer knows: --carve.\n"
	"  --list               list the deleted files (under PATH, a folder, when given): path,\n"
	"                       size, deletion time and how much of the data is still free\n"
	"  PATH...              restore these (a path from --list, a bare name when it is\n"
	"                       unique, or #ID from --list)\n"
	"  --to DIR             where restored or carved files go (not on the source filesystem)\n"
	"  --device DEV         one partition or disk instead of an installed system\n"
	"  --carve DEV          photorec over all of DEV's free space: files found by their\n"
	"                       content, without names\n"
	"  --types LIST         with --carve: only these photorec file types (jpg,pdf,png,...)\n"
	"Restoring and carving write only into DIR (new files, never over existing ones).\n"
	"On a terminal without arguments: a text UI to choose the system or device and the file.\n"
	"\n"
	"Options:\n" CLI_COMMON_HELP;

enum {
	OPT_LIST = CLI_OPT_FIRST_TOOL,
	OPT_TO,
	OPT_DEVICE,
	OPT_CARVE,
	OPT_TYPES,
};

#define MAX_SOURCES 16

struct source {
	char dev[128];
	char fstype[32];
	char prefix[128]; /* where the system mounts it ("" for its root or a lone device) */
	enum restore_fs fs;
	bool usable;
	char why[160];    /* when not usable */
	struct restore_list files;
};

struct job {
	struct cli *c;
	const char *system; /* the system's id, or NULL for --device */
	struct source src[MAX_SOURCES];
	int n_src;
};

static void job_free(struct job *j)
{
	for (int i = 0; i < j->n_src; i++) {
		restore_list_free(&j->src[i].files);
	}
}

/* The filesystem on a device from its first sectors ("" when none we know). */
static void probe_fstype(const char *dev, char *out, size_t size)
{
	uint8_t b[2048];
	out[0] = '\0';
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return;
	}
	if (pread(fd, b, sizeof(b), 0) == (ssize_t)sizeof(b)) {
		if (memcmp(b + 3, "NTFS    ", 8) == 0) {
			snprintf(out, size, "ntfs");
		} else if (memcmp(b + 3, "EXFAT   ", 8) == 0) {
			snprintf(out, size, "exfat");
		} else if (b[1024 + 56] == 0x53 && b[1024 + 57] == 0xef) {
			snprintf(out, size, "ext4");
		} else if (b[510] == 0x55 && b[511] == 0xaa &&
			   (memcmp(b + 54, "FAT", 3) == 0 || memcmp(b + 82, "FAT32", 5) == 0)) {
			snprintf(out, size, "vfat");
		}
	}
	close(fd);
}

/* Where the filesystem on block device RDEV is mounted read-write, if it is. */
static bool mounted_rw(dev_t rdev, char *where, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char mnt[1024], opts[512];
		if (sscanf(line, "%*d %*d %u:%u %*s %1023s %511s", &maj, &min, mnt, opts) == 4 &&
		    makedev(maj, min) == rdev && util_startswith(opts, "rw")) {
			util_sanitize(where, size, mnt);
			found = true;
		}
	}
	if (f) {
		fclose(f);
	}
	return found;
}

static void add_source(struct job *j, const char *dev, const char *fstype, const char *prefix)
{
	for (int i = 0; i < j->n_src; i++) {
		if (strcmp(j->src[i].dev, dev) == 0) {
			return;
		}
	}
	if (j->n_src >= MAX_SOURCES) {
		return;
	}
	struct source *s = &j->src[j->n_src++];
	memset(s, 0, sizeof(*s));
	snprintf(s->dev, sizeof(s->dev), "%s", dev);
	snprintf(s->prefix, sizeof(s->prefix), "%s", strcmp(prefix, "/") == 0 ? "" : prefix);
	if (!fstype || !fstype[0]) {
		probe_fstype(dev, s->fstype, sizeof(s->fstype));
	} else {
		snprintf(s->fstype, sizeof(s->fstype), "%s", fstype);
	}
	s->usable = true;
	if (util_startswith(s->fstype, "ext")) {
		s->fs = RESTORE_EXT4;
	} else if (strcmp(s->fstype, "vfat") == 0 || strcmp(s->fstype, "msdos") == 0) {
		s->fs = RESTORE_FAT;
	} else if (strcmp(s->fstype, "ntfs") == 0 || strcmp(s->fstype, "ntfs3") == 0) {
		s->fs = RESTORE_NTFS;
	} else if (strcmp(s->fstype, "exfat") == 0) {
		s->fs = RESTORE_EXFAT;
	} else {
		s->usable = false;
		snprintf(s->why, sizeof(s->why), "%s: deleted files are only found by carving "
			 "(lifeline restore --carve)", s->fstype[0] ? s->fstype : "unknown filesystem");
		return;
	}
	struct stat st;
	char where[256];
	if (stat(dev, &st) < 0) {
		s->usable = false;
		snprintf(s->why, sizeof(s->why), "%s", strerror(errno));
	} else if (S_ISBLK(st.st_mode) && mounted_rw(st.st_rdev, where, sizeof(where))) {
		s->usable = false;
		snprintf(s->why, sizeof(s->why), "mounted read-write at %s: unmount it first, "
			 "every write can overwrite deleted data", where);
	}
}

/* The sources of --system ID or --device DEV; CLI_OK or an exit status. */
static int pick_sources(struct job *j, const char *device)
{
	struct cli *c = j->c;
	if (device) {
		struct stat st;
		if (stat(device, &st) < 0) {
			return cli_fail(c, "%s: %s", device, strerror(errno));
		}
		if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
			return cli_usage(c, "%s is not a block device or an image file", device);
		}
		add_source(j, device, NULL, "");
		return CLI_OK;
	}
	const struct systems_system *sys;
	int r = cli_pick_system(c, &sys);
	if (r != CLI_OK) {
		return r;
	}
	j->system = sys->id;
	const struct systems *all = &c->systems;
	add_source(j, all->devs[sys->root].path, all->devs[sys->root].fstype, "");
	if (sys->boot >= 0) {
		add_source(j, all->devs[sys->boot].path, all->devs[sys->boot].fstype, "/boot");
	}
	if (sys->esp >= 0) {
		add_source(j, all->devs[sys->esp].path, all->devs[sys->esp].fstype, sys->esp_dir);
	}
	for (int i = 0; i < sys->n_fstab; i++) {
		int d = sys->fstab[i].dev;
		if (d >= 0 && strcmp(sys->fstab[i].fstype, "swap") != 0) {
			add_source(j, all->devs[d].path, all->devs[d].fstype, sys->fstab[i].target);
		}
	}
	return CLI_OK;
}

static int scan_ntfs(struct source *s)
{
	const char *argv[] = { "ntfsundelete", "--scan", "--percentage", "1", s->dev, NULL };
	struct run_result res;
	int r = run_capture(argv, &res);
	if (r < 0) {
		return r;
	}
	if (res.status != 0) {
		run_result_clear(&res);
		return -EIO;
	}
	for (char *line = res.out; line && *line;) {
		char *end = strchr(line, '\n');
		if (end) {
			*end = '\0';
		}
		struct restore_file f;
		if (restore_ntfs_parse_line(line, &f)) {
			if (s->files.n >= RESTORE_MAX_FILES) {
				s->files.truncated = true;
				break;
			}
			if (s->files.n == s->files.cap) {
				size_t cap = s->files.cap ? s->files.cap * 2 : 16;
				struct restore_file *nf = realloc(s->files.files, cap * sizeof(*nf));
				if (!nf) {
					break;
				}
				s->files.files = nf;
				s->files.cap = cap;
			}
			s->files.files[s->files.n++] = f;
		}
		line = end ? end + 1 : NULL;
	}
	run_result_clear(&res);
	/* the verbose scan names each file's parent folder */
	const char *vargv[] = { "ntfsundelete", "--scan", "--percentage", "1", "--verbose",
				"--parent", s->dev, NULL };
	if (s->files.n && run_capture(vargv, &res) == 0) {
		if (res.status == 0 && res.out) {
			restore_ntfs_apply_parents(res.out, &s->files);
		}
		run_result_clear(&res);
	}
	return 0;
}

static void scan(struct job *j)
{
	for (int i = 0; i < j->n_src; i++) {
		struct source *s = &j->src[i];
		if (!s->usable) {
			continue;
		}
		int r;
		if (s->fs == RESTORE_NTFS) {
			r = scan_ntfs(s);
		} else {
			int fd = open(s->dev, O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				r = -errno;
			} else {
				r = s->fs == RESTORE_EXT4 ? restore_ext4_scan(fd, &s->files) :
				    s->fs == RESTORE_FAT  ? restore_fat_scan(fd, &s->files) :
							    restore_exfat_scan(fd, &s->files);
				close(fd);
			}
		}
		if (r < 0) {
			s->usable = false;
			snprintf(s->why, sizeof(s->why), "cannot read its %s: %s", s->fstype,
				 r == -EINVAL ? "not a filesystem it can read" : strerror(-r));
		}
		/* the path as the installed system sees it */
		for (size_t k = 0; k < s->files.n; k++) {
			struct restore_file *f = &s->files.files[k];
			char tmp[sizeof(f->path)];
			snprintf(tmp, sizeof(tmp), "%s%s%s", s->prefix, f->path[0] == '/' ? "" : "/",
				 f->path);
			memcpy(f->path, tmp, sizeof(tmp));
		}
	}
}

static bool under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/') {
		n--;
	}
	if (n == 1 && dir[0] == '/') {
		return true;
	}
	return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static void fmt_time(int64_t t, char *buf, size_t size)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t <= 0 || !gmtime_r(&tt, &tm)) {
		snprintf(buf, size, "-");
		return;
	}
	strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
}

static const char *fs_name(enum restore_fs fs)
{
	return fs == RESTORE_EXT4 ? "ext4 journal" : fs == RESTORE_FAT ? "FAT entry" :
	       fs == RESTORE_EXFAT ? "exFAT entry set" : "ntfsundelete";
}

static int do_list(struct job *j, const char *filter)
{
	struct cli *c = j->c;
	struct json_object *arr = json_object_new_array(), *notes = json_object_new_array();
	size_t total = 0;
	int usable = 0;
	for (int i = 0; i < j->n_src; i++) {
		usable += j->src[i].usable;
	}
	if (!c->json) {
		printf("%-10s %12s  %-16s %4s  %s\n", "ID", "SIZE", "DELETED", "OK", "PATH");
	}
	for (int i = 0; i < j->n_src; i++) {
		struct source *s = &j->src[i];
		char dev[160];
		util_sanitize(dev, sizeof(dev), s->dev);
		if (!s->usable) {
			char note[400];
			snprintf(note, sizeof(note), "%s: %s", dev, s->why);
			json_object_array_add(notes, json_object_new_string(note));
			if (!c->json) {
				fprintf(stderr, "%s\n", note);
			}
			continue;
		}
		for (size_t k = 0; k < s->files.n; k++) {
			const struct restore_file *f = &s->files.files[k];
			if (filter && !under(f->path, filter)) {
				continue;
			}
			char path[1100], del[32], mod[32];
			util_sanitize(path, sizeof(path), f->path);
			fmt_time(f->deleted, del, sizeof(del));
			fmt_time(f->modified, mod, sizeof(mod));
			total++;
			if (c->json) {
				struct json_object *o = json_object_new_object();
				json_object_object_add(o, "id", json_object_new_int64((int64_t)f->id));
				json_object_object_add(o, "path", json_object_new_string(path));
				json_object_object_add(o, "size", json_object_new_int64((int64_t)f->size));
				json_object_object_add(o, "deleted", f->deleted > 0 ?
						       json_object_new_string(del) : NULL);
				json_object_object_add(o, "modified", f->modified > 0 ?
						       json_object_new_string(mod) : NULL);
				json_object_object_add(o, "recoverable_percent",
						       json_object_new_int(f->percent));
				json_object_object_add(o, "device", json_object_new_string(dev));
				json_object_object_add(o, "found_by",
						       json_object_new_string(fs_name(s->fs)));
				json_object_array_add(arr, o);
			} else {
				printf("#%-9llu %12llu  %-16s %3d%%  %s\n", (unsigned long long)f->id,
				       (unsigned long long)f->size, f->deleted > 0 ? del : mod,
				       f->percent, path);
			}
		}
		if (s->files.truncated && !c->json) {
			fprintf(stderr, "%s: more than %d deleted files; only those are listed\n", dev,
				RESTORE_MAX_FILES);
		}
	}
	if (c->json) {
		struct json_object *root = json_object_new_object();
		json_object_object_add(root, "system", j->system ? json_object_new_string(j->system) :
								   NULL);
		json_object_object_add(root, "files", arr);
		json_object_object_add(root, "notes", notes);
		cli_print_json(root);
	} else {
		json_object_put(arr);
		json_object_put(notes);
		printf("%zu deleted file%s found. OK: how much of its data is not yet reused "
		       "(DELETED shows the last change where the deletion time is not kept).\n",
		       total, total == 1 ? "" : "s");
		if (total == 0 && usable > 0) {
			printf("What the filesystem no longer knows (on ext4: a file whose copies the "
			       "journal has overwritten since) 'lifeline restore --carve DEV --to DIR' "
			       "may find by its content.\n");
		}
	}
	if (usable == 0) {
		return cli_fail(c, "no filesystem here could be read for deleted files");
	}
	return CLI_OK;
}

/* The device behind D (the whole disk for a partition) from sysfs. */
static dev_t disk_of(dev_t d)
{
	char p[128], buf[32];
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/partition", major(d), minor(d));
	if (access(p, F_OK) != 0) {
		return d;
	}
	snprintf(p, sizeof(p), "/sys/dev/block/%u:%u/../dev", major(d), minor(d));
	char *text = NULL;
	unsigned maj, min;
	if (util_read_file(p, sizeof(buf), &text, NULL) == 0 && sscanf(text, "%u:%u", &maj, &min) == 2) {
		d = makedev(maj, min);
	}
	free(text);
	return d;
}

/* Opens DIR for writing restored files; refuses it on a source.  fd or an exit status (<0). */
static int open_destination(struct job *j, const char *to)
{
	struct cli *c = j->c;
	int fd = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
		}
		char shown[300];
		util_sanitize(shown, sizeof(shown), to);
		return -cli_fail(c, "the destination %s: %s", shown, strerror(e));
	}
	for (int i = 0; i < j->n_src; i++) {
		struct stat ss;
		if (stat(j->src[i].dev, &ss) < 0) {
			continue;
		}
		bool same = S_ISBLK(ss.st_mode) ? (st.st_dev == ss.st_rdev ||
						   disk_of(st.st_dev) == ss.st_rdev) :
						  (st.st_dev == ss.st_dev && st.st_ino == ss.st_ino);
		if (same) {
			close(fd);
			char dev[160];
			util_sanitize(dev, sizeof(dev), j->src[i].dev);
			return -cli_fail(c, "the destination is on %s, the filesystem the files are "
					 "restored from: writing there can overwrite them. Choose a "
					 "folder on another disk (a USB stick).", dev);
		}
	}
	return fd;
}

/* Creates NAME (or NAME.1, NAME.2...) in DIR_FD; the fd, the name used in OUT. */
static int create_unique(int dir_fd, const char *name, char *out, size_t size)
{
	for (int i = 0; i < 1000; i++) {
		if (i == 0) {
			snprintf(out, size, "%s", name);
		} else {
			snprintf(out, size, "%s.%d", name, i);
		}
		int fd = openat(dir_fd, out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				0600);
		if (fd >= 0 || errno != EEXIST) {
			return fd < 0 ? -errno : fd;
		}
	}
	return -EEXIST;
}

/* ntfsundelete writes the file itself: into a private folder in DIR, then moved to OUT_FD's
 * place by name. */
static int restore_ntfs(const struct source *s, const struct restore_file *f, const char *to,
			int dir_fd, const char *name, char sha[65])
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s/.lifeline-restore-XXXXXX", to);
	if (!mkdtemp(tmp)) {
		return -errno;
	}
	char ino[32];
	snprintf(ino, sizeof(ino), "%llu", (unsigned long long)f->id);
	const char *argv[] = { "ntfsundelete", "--undelete", "--inodes", ino, "--truncate",
			       "--output", "restored", "--destination", tmp, s->dev, NULL };
	struct run_result res;
	int r = run_capture(argv, &res);
	if (r == 0 && res.status != 0) {
		r = -EIO;
	}
	run_result_clear(&res);
	char from[4200];
	snprintf(from, sizeof(from), "%s/restored", tmp);
	if (r == 0) {
		int fd = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		r = fd < 0 ? -errno : sha256_fd(fd, sha);
		if (fd >= 0) {
			close(fd);
		}
	}
	if (r == 0 && renameat2(AT_FDCWD, from, dir_fd, name, RENAME_NOREPLACE) < 0) {
		r = -errno;
	}
	unlink(from);
	rmdir(tmp);
	return r;
}

struct match {
	int src;
	size_t file;
};

static int find_path(struct job *j, const char *want, struct match *ret)
{
	int found = 0;
	bool by_id = want[0] == '#';
	unsigned long long id = by_id ? strtoull(want + 1, NULL, 10) : 0;
	/* the path exactly, then without case (FAT), then the bare name */
	for (int pass = 0; pass < 3 && found == 0; pass++) {
		for (int i = 0; i < j->n_src; i++) {
			for (size_t k = 0; k < j->src[i].files.n; k++) {
				const struct restore_file *f = &j->src[i].files.files[k];
				bool hit = by_id ? f->id == id :
					   pass == 0 ? strcmp(f->path, want) == 0 :
					   pass == 1 ? strcasecmp(f->path, want) == 0 :
						       strcmp(f->name, want) == 0;
				if (hit) {
					found++;
					*ret = (struct match){ i, k };
				}
			}
		}
	}
	return found;
}

static int do_restore(struct job *j, char **paths, int n, const char *to)
{
	struct cli *c = j->c;
	struct match *m = calloc((size_t)n, sizeof(*m));
	if (!m) {
		return cli_fail(c, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		char shown[300];
		util_sanitize(shown, sizeof(shown), paths[i]);
		int k = find_path(j, paths[i], &m[i]);
		if (k != 1) {
			free(m);
			for (int s = 0; s < j->n_src; s++) {
				if (!j->src[s].usable) {
					fprintf(stderr, "%s: %s\n", j->src[s].dev, j->src[s].why);
				}
			}
			return k == 0 ? cli_fail(c, "%s is not among the deleted files (see "
						    "lifeline restore --list; what the filesystem "
						    "no longer knows, lifeline restore --carve may "
						    "find by its content)", shown) :
					cli_fail(c, "%s names %d deleted files: give its path or #ID",
						 shown, k);
		}
	}
	int dir_fd = open_destination(j, to);
	if (dir_fd < 0) {
		free(m);
		return -dir_fd;
	}
	char to_shown[300];
	util_sanitize(to_shown, sizeof(to_shown), to);
	struct json_object *arr = json_object_new_array();
	int r = CLI_OK;
	for (int i = 0; i < n; i++) {
		const struct source *s = &j->src[m[i].src];
		const struct restore_file *f = &s->files.files[m[i].file];
		char path[1100], safe[256], name[300], sha[65] = "";
		util_sanitize(path, sizeof(path), f->path);
		restore_safe_name(f->name, safe, sizeof(safe));
		int e;
		if (s->fs == RESTORE_NTFS) {
			/* reserve the name, then let ntfsundelete's file take it */
			int fd = create_unique(dir_fd, safe, name, sizeof(name));
			e = fd < 0 ? fd : 0;
			if (fd >= 0) {
				close(fd);
				unlinkat(dir_fd, name, 0);
				e = restore_ntfs(s, f, to, dir_fd, name, sha);
			}
		} else {
			int out = create_unique(dir_fd, safe, name, sizeof(name));
			int in = out < 0 ? -1 : open(s->dev, O_RDONLY | O_CLOEXEC);
			e = out < 0 ? out : in < 0 ? -errno : restore_read_file(in, s->fs, f, out, sha);
			if (e == 0 && fsync(out) < 0) {
				e = -errno;
			}
			if (in >= 0) {
				close(in);
			}
			if (out >= 0) {
				close(out);
			}
			if (e < 0 && out >= 0) {
				unlinkat(dir_fd, name, 0);
			}
		}
		if (e < 0) {
			r = cli_fail(c, "%s: %s", path, strerror(-e));
			continue;
		}
		char dev[160];
		util_sanitize(dev, sizeof(dev), s->dev);
		audit_record(NULL, j->system ? j->system : "-", "restore",
			     "restored %s (%llu bytes, found by %s, %d%% free) from %s to %s/%s sha256 %s",
			     path, (unsigned long long)f->size, fs_name(s->fs), f->percent, dev, to_shown,
			     name, sha);
		if (c->json) {
			struct json_object *o = json_object_new_object();
			char dest[600];
			snprintf(dest, sizeof(dest), "%s/%s", to_shown, name);
			json_object_object_add(o, "path", json_object_new_string(path));
			json_object_object_add(o, "restored_to", json_object_new_string(dest));
			json_object_object_add(o, "size", json_object_new_int64((int64_t)f->size));
			json_object_object_add(o, "sha256", json_object_new_string(sha));
			json_object_object_add(o, "recoverable_percent", json_object_new_int(f->percent));
			json_object_array_add(arr, o);
		} else {
			printf("%s  %llu  %s -> %s/%s\n", sha, (unsigned long long)f->size, path,
			       to_shown, name);
		}
		if (f->percent < 100) {
			cli_say(c, "warning: %d%% of %s's data was still free; the rest may have been "
				"overwritten since the deletion", f->percent, path);
		}
	}
	close(dir_fd);
	free(m);
	if (c->json) {
		struct json_object *root = json_object_new_object();
		json_object_object_add(root, "restored", arr);
		cli_print_json(root);
	} else {
		json_object_put(arr);
	}
	return r;
}

/* ---- carving ---- */

static int list_carved(struct cli *c, const char *dir, const char *prefix, const char *dev)
{
	DIR *d = opendir(dir);
	if (!d) {
		return cli_fail(c, "cannot read %s: %s", dir, strerror(errno));
	}
	struct json_object *arr = json_object_new_array();
	struct {
		char ext[16];
		unsigned count;
		unsigned long long bytes;
	} types[64];
	int nt = 0;
	unsigned total = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!util_startswith(de->d_name, prefix) || de->d_name[strlen(prefix)] != '.') {
			continue;
		}
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		DIR *sd = opendir(sub);
		struct dirent *fe;
		while (sd && (fe = readdir(sd))) {
			char path[8192];
			snprintf(path, sizeof(path), "%s/%s", sub, fe->d_name);
			int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			struct stat st;
			char sha[65];
			if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
			    strcmp(fe->d_name, "report.xml") == 0 || sha256_fd(fd, sha) < 0) {
				if (fd >= 0) {
					close(fd);
				}
				continue;
			}
			close(fd);
			const char *dot = strrchr(fe->d_name, '.');
			const char *ext = dot ? dot + 1 : "?";
			int t = 0;
			while (t < nt && strcmp(types[t].ext, ext) != 0) {
				t++;
			}
			if (t == nt && nt < 64) {
				snprintf(types[nt].ext, sizeof(types[nt].ext), "%s", ext);
				types[nt].count = 0;
				types[nt].bytes = 0;
				nt++;
			}
			if (t < nt) {
				types[t].count++;
				types[t].bytes += (unsigned long long)st.st_size;
			}
			total++;
			char shown[8192];
			util_sanitize(shown, sizeof(shown), path);
			if (c->json) {
				struct json_object *o = json_object_new_object();
				json_object_object_add(o, "file", json_object_new_string(shown));
				json_object_object_add(o, "type", json_object_new_string(ext));
				json_object_object_add(o, "size", json_object_new_int64(st.st_size));
				json_object_object_add(o, "sha256", json_object_new_string(sha));
				json_object_array_add(arr, o);
			} else if (total <= 1000) {
				printf("%s  %lld  %s\n", sha, (long long)st.st_size, shown);
			}
		}
		if (sd) {
			closedir(sd);
		}
	}
	closedir(d);
	if (c->json) {
		struct json_object *root = json_object_new_object();
		json_object_object_add(root, "device", json_object_new_string(dev));
		json_object_object_add(root, "carved", arr);
		cli_print_json(root);
	} else {
		json_object_put(arr);
		for (int t = 0; t < nt; t++) {
			printf("%-8s %6u files %12llu bytes\n", types[t].ext, types[t].count,
			       types[t].bytes);
		}
		printf("%u file%s carved from %s.\n", total, total == 1 ? "" : "s", dev);
	}
	return CLI_OK;
}

static int do_carve(struct job *j, const char *dev, const char *to, const char *types)
{
	struct cli *c = j->c;
	char cmd[1024] = "";
	size_t o = 0;
	if (types) {
		o += (size_t)snprintf(cmd, sizeof(cmd), "fileopt,everything,disable,");
		for (const char *p = types; *p;) {
			size_t n = strcspn(p, ",");
			if (n == 0 || n > 10 || strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789") < n) {
				return cli_usage(c, "--types: a comma-separated list of photorec file "
						 "types such as jpg,pdf,png");
			}
			if (o + n + 10 >= sizeof(cmd)) {
				return cli_usage(c, "--types: too many types");
			}
			o += (size_t)snprintf(cmd + o, sizeof(cmd) - o, "%.*s,enable,", (int)n, p);
			p += n + (p[n] == ',');
		}
	}
	struct stat st;
	if (stat(dev, &st) < 0 || (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))) {
		return cli_fail(c, "%s is not a block device or an image file", dev);
	}
	add_source(j, dev, NULL, "");
	char where[256];
	if (S_ISBLK(st.st_mode) && mounted_rw(st.st_rdev, where, sizeof(where))) {
		return cli_fail(c, "%s is mounted read-write at %s: unmount it first", dev, where);
	}
	int dir_fd = open_destination(j, to);
	if (dir_fd < 0) {
		return -dir_fd;
	}
	close(dir_fd);
	char abs[4096];
	if (!realpath(to, abs)) {
		return cli_fail(c, "the destination: %s", strerror(errno));
	}
	to = abs;
	snprintf(cmd + o, sizeof(cmd) - o, "%sfreespace,search",
		 j->src[0].fs == RESTORE_EXT4 && j->src[0].usable ? "options,mode_ext2," : "");
	char prefix[64], stamp[32], dest[4096], fullcmd[1100];
	util_utc_stamp(stamp, sizeof(stamp));
	snprintf(prefix, sizeof(prefix), "carved-%.10s-%.2s%.2s%.2s", stamp, stamp + 11, stamp + 14,
		 stamp + 17);
	snprintf(dest, sizeof(dest), "%s/%s", to, prefix);
	snprintf(fullcmd, sizeof(fullcmd), "partition_none,%s", cmd);
	char shown[200];
	util_sanitize(shown, sizeof(shown), dev);
	cli_say(c, "Carving %s with photorec (it reads the whole device; this takes a while)...",
		shown);
	/* photorec writes its photorec.log into the working folder: the destination */
	if (chdir(to) < 0) {
		return cli_fail(c, "cannot enter %s: %s", to, strerror(errno));
	}
	const char *argv[] = { "photorec", "/log", "/d", dest, "/cmd", dev, fullcmd, NULL };
	struct run_result res;
	struct run_spec spec = { .argv = argv, .show = c->tty && !c->json, .capture = !c->tty };
	int e = run(&spec, &res);
	int status = res.status;
	run_result_clear(&res);
	if (e < 0) {
		return cli_fail(c, "cannot run photorec: %s", strerror(-e));
	}
	unlink("photorec.ses"); /* its session file: nothing to resume */
	if (status != 0) {
		return cli_fail(c, "photorec failed (exit status %d); see %s/photorec.log", status, to);
	}
	audit_record(NULL, "-", "restore", "carved %s with photorec (%s) into %s.*", shown, fullcmd,
		     dest);
	return list_carved(c, to, prefix, shown);
}

/* ---- text UI ---- */

static int ui(struct job *j)
{
	struct cli *c = j->c;
	int r = cli_discover(c);
	if (r != CLI_OK) {
		return r;
	}
	const struct systems *all = &c->systems;
	const char *items[64];
	char labels[64][200];
	int kinds[64], idx[64];
	size_t n = 0;
	for (size_t i = 0; i < all->n_sys && n < 64; i++) {
		snprintf(labels[n], sizeof(labels[n]), "%s (%s)", all->sys[i].id, all->sys[i].name);
		kinds[n] = 0;
		idx[n++] = (int)i;
	}
	for (size_t i = 0; i < all->n_devs && n < 64; i++) {
		const struct systems_dev *d = &all->devs[i];
		if (util_startswith(d->fstype, "ext") || strcmp(d->fstype, "vfat") == 0 ||
		    strcmp(d->fstype, "ntfs") == 0 || strcmp(d->fstype, "exfat") == 0) {
			char raw[200];
			snprintf(raw, sizeof(raw), "%s  %s %s", d->path, d->fstype, d->label);
			util_sanitize(labels[n], sizeof(labels[n]), raw);
			kinds[n] = 1;
			idx[n++] = (int)i;
		}
	}
	for (size_t i = 0; i < n; i++) {
		items[i] = labels[i];
	}
	int k = tui_choose("File Restore", "Deleted files from which system or device?", items, n);
	if (k < 0) {
		return CLI_OK;
	}
	if (kinds[k] == 0) {
		c->system = all->sys[idx[k]].id;
		r = pick_sources(j, NULL);
	} else {
		r = pick_sources(j, all->devs[idx[k]].path);
	}
	if (r != CLI_OK) {
		return r;
	}
	scan(j);
	size_t total = 0;
	for (int i = 0; i < j->n_src; i++) {
		total += j->src[i].files.n;
	}
	if (total == 0) {
		tui_show("File Restore", "No deleted file was found that can be restored by name.\n\n"
			 "lifeline restore --carve DEV --to DIR finds files by their content.");
		return CLI_OK;
	}
	char **lines = calloc(total, sizeof(*lines));
	char **ids = calloc(total, sizeof(*ids));
	size_t m = 0;
	for (int i = 0; lines && ids && i < j->n_src; i++) {
		for (size_t f = 0; f < j->src[i].files.n; f++) {
			const struct restore_file *rf = &j->src[i].files.files[f];
			char path[200];
			util_sanitize(path, sizeof(path), rf->path);
			lines[m] = malloc(300);
			ids[m] = malloc(32);
			if (!lines[m] || !ids[m]) {
				break;
			}
			snprintf(lines[m], 300, "%3d%% %10llu  %s", rf->percent,
				 (unsigned long long)rf->size, path);
			snprintf(ids[m], 32, "#%llu", (unsigned long long)rf->id);
			m++;
		}
	}
	k = m ? tui_choose("File Restore", "Choose the file to restore (OK: share of its data "
			   "still free, size, path)", (const char *const *)lines, m) : -1;
	r = CLI_OK;
	if (k >= 0) {
		char *to = tui_entry("File Restore", "Restore into which folder (on another disk, "
				     "e.g. a mounted USB stick)?", false);
		if (to) {
			r = do_restore(j, &ids[k], 1, to);
			free(to);
			tui_pause();
		}
	}
	for (size_t i = 0; i < m; i++) {
		free(lines[i]);
		free(ids[i]);
	}
	free(lines);
	free(ids);
	return r;
}

static int run_tool(struct cli *c, bool list, const char *to, const char *device,
		    const char *carve, const char *types, char **paths, int npaths)
{
	static struct job j;
	memset(&j, 0, sizeof(j));
	j.c = c;
	if (device && c->system) {
		return cli_usage(c, "--system and --device do not go together");
	}
	if (types && !carve) {
		return cli_usage(c, "--types goes with --carve");
	}
	if (carve) {
		if (list || npaths || device) {
			return cli_usage(c, "--carve takes a device and --to only");
		}
		if (!to) {
			return cli_usage(c, "--carve needs --to DIR");
		}
		return do_carve(&j, carve, to, types);
	}
	if (list && to) {
		return cli_usage(c, "--list and --to do not go together");
	}
	if (list && npaths > 1) {
		return cli_usage(c, "--list takes one folder");
	}
	if (!list && npaths == 0) {
		if (to) {
			return cli_usage(c, "which files? (lifeline restore --list shows them)");
		}
		if (!c->tty || c->json) {
			return cli_usage(c, "give --list, PATH... --to DIR, or --carve");
		}
		int r = ui(&j);
		job_free(&j);
		return r;
	}
	if (!list && !to) {
		return cli_usage(c, "where to? give --to DIR (on another disk)");
	}
	int r = pick_sources(&j, device);
	if (r == CLI_OK) {
		scan(&j);
		r = list ? do_list(&j, npaths ? paths[0] : NULL) :
			   do_restore(&j, paths, npaths, to);
	}
	job_free(&j);
	return r;
}

int tool_restore(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "list", no_argument, NULL, OPT_LIST },
		{ "to", required_argument, NULL, OPT_TO },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "carve", required_argument, NULL, OPT_CARVE },
		{ "types", required_argument, NULL, OPT_TYPES },
		{ 0 },
	};
	bool list = false;
	const char *to = NULL, *device = NULL, *carve = NULL, *types = NULL;
	/* PATH... may come before or after the options (lifeline restore PATH --to DIR) */
	char **paths = calloc((size_t)argc + 1, sizeof(*paths));
	if (!paths) {
		return cli_fail(c, "out of memory");
	}
	int npaths = 0, o;
	for (;;) {
		o = cli_getopt(c, argc, argv, opts);
		if (o == 0 && optind < argc) {
			bool dashdash = optind > 0 && strcmp(argv[optind - 1], "--") == 0;
			while (optind < argc && (dashdash || argv[optind][0] != '-')) {
				paths[npaths++] = argv[optind++];
			}
			if (optind < argc) {
				continue;
			}
		}
		if (o <= 0) {
			break;
		}
		switch (o) {
		case OPT_LIST:
			list = true;
			break;
		case OPT_TO:
			to = optarg;
			break;
		case OPT_DEVICE:
			device = optarg;
			break;
		case OPT_CARVE:
			carve = optarg;
			break;
		case OPT_TYPES:
			types = optarg;
			break;
		}
	}
	int go = cli_options_done(c, o, argc, argv, help, true);
	if (go != CLI_GO) {
		free(paths);
		return go;
	}
	int r = run_tool(c, list, to, device, carve, types, paths, npaths);
	free(paths);
	return r;
}
