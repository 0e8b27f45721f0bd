#include "systems.h"

#include "run.h"
#include "util.h"

#include <blkid/blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmount/libmount.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define PROBE_DIR "/run/lifeline/probe"
#define MAX_DEVS 512
#define MAX_SYSTEMS 64

const char *systems_boot_name(enum systems_boot b)
{
	switch (b) {
	case SYSTEMS_BOOT_BIOS_GRUB:
		return "bios-grub";
	case SYSTEMS_BOOT_UEFI_GRUB:
		return "uefi-grub";
	case SYSTEMS_BOOT_SYSTEMD_BOOT:
		return "systemd-boot";
	case SYSTEMS_BOOT_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *systems_kind_name(enum systems_kind k)
{
	return k == SYSTEMS_WINDOWS ? "windows" : "linux";
}

static void note(struct systems *s, const char *fmt, ...)
{
	size_t len = strlen(s->notes);
	if (len + 2 >= sizeof(s->notes)) {
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->notes + len, sizeof(s->notes) - len - 1, fmt, ap);
	va_end(ap);
	strcat(s->notes, "\n");
}

bool systems_os_release_value(const char *text, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		while (len > 0 && (*line == ' ' || *line == '\t')) {
			line++;
			len--;
		}
		if (len > klen && strncmp(line, key, klen) == 0 && line[klen] == '=') {
			const char *v = line + klen + 1;
			size_t vlen = len - klen - 1;
			char quote = 0;
			if (vlen > 0 && (*v == '"' || *v == '\'')) {
				quote = *v++;
				vlen--;
			}
			size_t o = 0;
			for (size_t i = 0; i < vlen && o + 1 < size; i++) {
				char c = v[i];
				if (quote && c == quote) {
					break;
				}
				if (quote != '\'' && c == '\\' && i + 1 < vlen) {
					c = v[++i];
				}
				out[o++] = c;
			}
			out[o] = '\0';
			while (o > 0 && !quote && (out[o - 1] == ' ' || out[o - 1] == '\r')) {
				out[--o] = '\0';
			}
			return true;
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

/* Reads /sys/class/block/NAME/ATTR. */
/* A crypttab or dm name we are willing to pass on: letters, digits, - _ . */
static bool dm_name_ok(const char *n)
{
	if (!*n || strlen(n) > 60) {
		return false;
	}
	for (const char *p = n; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.')) {
			return false;
		}
	}
	return true;
}

bool systems_read_sys(const char *name, const char *attr, char *out, size_t size)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "/sys/class/block/%s/%s", name, attr);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return false;
	}
	ssize_t n = read(fd, out, size - 1);
	close(fd);
	if (n < 0) {
		return false;
	}
	out[n] = '\0';
	util_strip(out);
	return true;
}

static bool dir_nonempty(const char *name, const char *attr)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "/sys/class/block/%s/%s", name, attr);
	DIR *d = opendir(path);
	if (!d) {
		return false;
	}
	bool any = false;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] != '.') {
			any = true;
			break;
		}
	}
	closedir(d);
	return any;
}

static void copy_tag(blkid_probe pr, const char *tag, char *out, size_t size)
{
	const char *v = NULL;
	if (blkid_probe_lookup_value(pr, tag, &v, NULL) == 0 && v) {
		util_sanitize(out, size, v);
	}
}

void systems_probe_dev(struct systems_dev *d)
{
	blkid_probe pr = blkid_new_probe_from_filename(d->path);
	if (!pr) {
		return;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_UUID |
						      BLKID_SUBLKS_LABEL);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	if (blkid_do_safeprobe(pr) == 0) {
		copy_tag(pr, "TYPE", d->fstype, sizeof(d->fstype));
		copy_tag(pr, "UUID", d->uuid, sizeof(d->uuid));
		copy_tag(pr, "LABEL", d->label, sizeof(d->label));
		copy_tag(pr, "PART_ENTRY_UUID", d->partuuid, sizeof(d->partuuid));
		copy_tag(pr, "PART_ENTRY_NAME", d->partlabel, sizeof(d->partlabel));
		copy_tag(pr, "PART_ENTRY_TYPE", d->parttype, sizeof(d->parttype));
	}
	blkid_free_probe(pr);
}

static void find_mountpoints(struct systems *s)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		return;
	}
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		char devnum[32], mnt[PATH_MAX];
		if (sscanf(line, "%*s %*s %31s %*s %4095s", devnum, mnt) != 2) {
			continue;
		}
		for (size_t i = 0; i < s->n_devs; i++) {
			if (strcmp(s->devs[i].devnum, devnum) == 0 && !s->devs[i].mountpoint[0]) {
				util_sanitize(s->devs[i].mountpoint, sizeof(s->devs[i].mountpoint), mnt);
				s->devs[i].busy = true;
			}
		}
	}
	fclose(f);
	/* swap */
	f = fopen("/proc/swaps", "re");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char path[PATH_MAX];
			if (sscanf(line, "%4095s", path) == 1) {
				for (size_t i = 0; i < s->n_devs; i++) {
					if (strcmp(s->devs[i].path, path) == 0) {
						s->devs[i].busy = true;
					}
				}
			}
		}
		fclose(f);
	}
}

static int dev_cmp(const void *a, const void *b)
{
	return strcmp(((const struct systems_dev *)a)->name, ((const struct systems_dev *)b)->name);
}

static int scan_devs(struct systems *s)
{
	DIR *d = opendir("/sys/class/block");
	if (!d) {
		return -errno;
	}
	free(s->devs);
	s->devs = calloc(MAX_DEVS, sizeof(*s->devs));
	s->n_devs = 0;
	if (!s->devs) {
		closedir(d);
		return -ENOMEM;
	}
	for (struct dirent *e; (e = readdir(d)) && s->n_devs < MAX_DEVS;) {
		const char *n = e->d_name;
		char buf[PATH_MAX];
		if (n[0] == '.' || util_startswith(n, "ram") || util_startswith(n, "zram") ||
		    util_startswith(n, "sr") || util_startswith(n, "fd") ||
		    strlen(n) >= sizeof(s->devs[0].name)) {
			continue;
		}
		if (util_startswith(n, "loop") &&
		    !systems_read_sys(n, "loop/backing_file", buf, sizeof(buf))) {
			continue;
		}
		struct systems_dev *v = &s->devs[s->n_devs];
		*v = (struct systems_dev){ 0 };
		snprintf(v->name, sizeof(v->name), "%s", n);
		if (!systems_read_sys(n, "size", buf, sizeof(buf))) {
			continue;
		}
		v->size = strtoull(buf, NULL, 10) * 512;
		if (v->size == 0) {
			continue;
		}
		systems_read_sys(n, "dev", v->devnum, sizeof(v->devnum));
		char dmname[64];
		if (systems_read_sys(n, "dm/name", dmname, sizeof(dmname))) {
			snprintf(v->path, sizeof(v->path), "/dev/mapper/%s", dmname);
			v->stacked = true;
		} else {
			snprintf(v->path, sizeof(v->path), "/dev/%s", n);
			v->stacked = util_startswith(n, "md");
		}
		snprintf(buf, sizeof(buf), "/sys/class/block/%s/partition", n);
		if (access(buf, F_OK) == 0) {
			char link[PATH_MAX], real[PATH_MAX];
			snprintf(link, sizeof(link), "/sys/class/block/%s", n);
			if (realpath(link, real)) {
				char *slash = strrchr(real, '/');
				if (slash) {
					*slash = '\0';
					slash = strrchr(real, '/');
					snprintf(v->disk, sizeof(v->disk), "/dev/%s", slash ? slash + 1 : real);
				}
			}
		} else {
			v->whole = !v->stacked;
		}
		v->busy = dir_nonempty(n, "holders");
		systems_probe_dev(v);
		s->n_devs++;
	}
	closedir(d);
	qsort(s->devs, s->n_devs, sizeof(*s->devs), dev_cmp);
	find_mountpoints(s);
	return 0;
}

static void activate(struct systems *s, const struct systems_opts *opts)
{
	struct run_result r = { 0 };

	if (run_have(NULL, "mdadm")) {
		const char *argv[] = { "mdadm", "--assemble", "--scan", NULL };
		if (run_capture(argv, &r) == 0 && r.status != 0 && !strstr(r.err, "No arrays found")) {
			note(s, "mdadm --assemble --scan: status %d", r.status);
		}
		run_result_clear(&r);
	}
	for (size_t i = 0; i < s->n_devs; i++) {
		struct systems_dev *d = &s->devs[i];
		if (strcmp(d->fstype, "crypto_LUKS") != 0 || d->busy) {
			continue;
		}
		if (!opts->passphrase) {
			continue;
		}
		char name[64], clean[16] = "";
		size_t o = 0;
		for (const char *p = d->uuid; *p && o < 8; p++) {
			if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')) {
				clean[o++] = *p;
			}
		}
		clean[o] = '\0';
		snprintf(name, sizeof(name), "lifeline-luks-%s", o ? clean : d->name);
		const char *argv[] = { "cryptsetup", "open", "--key-file=-", d->path, name, NULL };
		struct run_spec spec = { .argv = argv, .capture = true, .input = opts->passphrase,
					 .input_len = strlen(opts->passphrase) };
		if (run(&spec, &r) < 0 || r.status != 0) {
			note(s, "cannot open the LUKS volume %s: %s", d->path,
			     r.status == 2 ? "wrong passphrase" : "cryptsetup failed");
		}
		run_result_clear(&r);
	}
	if (run_have(NULL, "vgchange")) {
		const char *argv[] = { "vgchange", "-ay", "--sysinit", NULL };
		run_capture(argv, &r);
		run_result_clear(&r);
	}
	if (run_have(NULL, "udevadm")) {
		const char *argv[] = { "udevadm", "settle", "--timeout=20", NULL };
		run_capture(argv, &r);
		run_result_clear(&r);
	}
}

int systems_find_source(const struct systems *s, const char *source)
{
	static const struct {
		const char *prefix;
		size_t off;
	} tags[] = {
		{ "UUID=", offsetof(struct systems_dev, uuid) },
		{ "LABEL=", offsetof(struct systems_dev, label) },
		{ "PARTUUID=", offsetof(struct systems_dev, partuuid) },
		{ "PARTLABEL=", offsetof(struct systems_dev, partlabel) },
	};
	char want[256];
	for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
		if (!util_startswith(source, tags[t].prefix)) {
			continue;
		}
		snprintf(want, sizeof(want), "%s", source + strlen(tags[t].prefix));
		size_t wl = strlen(want);
		if (wl >= 2 && (want[0] == '"' || want[0] == '\'') && want[wl - 1] == want[0]) {
			memmove(want, want + 1, wl - 2);
			want[wl - 2] = '\0';
		}
		for (size_t i = 0; i < s->n_devs; i++) {
			const char *v = (const char *)&s->devs[i] + tags[t].off;
			if (*v && strcasecmp(v, want) == 0) {
				return (int)i;
			}
		}
		return -ENOENT;
	}
	if (source[0] != '/') {
		return -EINVAL;
	}
	/* A path: compare device numbers when it exists here, else the names. */
	struct stat st;
	if (stat(source, &st) == 0 && S_ISBLK(st.st_mode)) {
		char devnum[32];
		snprintf(devnum, sizeof(devnum), "%u:%u", major(st.st_rdev), minor(st.st_rdev));
		for (size_t i = 0; i < s->n_devs; i++) {
			if (strcmp(s->devs[i].devnum, devnum) == 0) {
				return (int)i;
			}
		}
	}
	for (size_t i = 0; i < s->n_devs; i++) {
		if (strcmp(s->devs[i].path, source) == 0) {
			return (int)i;
		}
	}
	return -ENOENT;
}

/* The fstab entries of the system at ROOT: calls FN for each (source, target, fstype). */
static void fstab_scan(const char *root,
		       void (*fn)(void *, const char *, const char *, const char *, const char *),
		       void *data)
{
	char *text = NULL;
	size_t len = 0;
	if (util_read_in_root(root, "/etc/fstab", UTIL_TEXT_MAX, &text, &len) < 0) {
		return;
	}
	FILE *f = fmemopen(text, len ? len : 1, "r");
	struct libmnt_table *tb = mnt_new_table();
	if (f && tb && mnt_table_parse_stream(tb, f, "fstab") == 0) {
		struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
		struct libmnt_fs *fs;
		while (it && mnt_table_next_fs(tb, it, &fs) == 0) {
			const char *src = mnt_fs_get_source(fs), *tgt = mnt_fs_get_target(fs);
			const char *type = mnt_fs_get_fstype(fs);
			const char *opts = mnt_fs_get_options(fs);
			if (src && tgt) {
				fn(data, src, tgt, type ? type : "", opts ? opts : "");
			}
		}
		mnt_free_iter(it);
	}
	mnt_unref_table(tb);
	if (f) {
		fclose(f);
	}
	free(text);
}

struct fstab_boot {
	const struct systems *s;
	struct systems_system *sys;
};

static void fstab_boot_entry(void *data, const char *src, const char *tgt, const char *type,
			     const char *opts)
{
	struct fstab_boot *fb = data;
	int i = systems_find_source(fb->s, src);
	if (fb->sys->n_fstab < SYSTEMS_FSTAB_MAX) {
		struct systems_fstab *f = &fb->sys->fstab[fb->sys->n_fstab++];
		util_sanitize(f->source, sizeof(f->source), src);
		util_sanitize(f->target, sizeof(f->target), tgt);
		util_sanitize(f->fstype, sizeof(f->fstype), type);
		util_sanitize(f->options, sizeof(f->options), opts);
		f->dev = i;
	}
	if (i < 0) {
		return;
	}
	bool fat = strcmp(fb->s->devs[i].fstype, "vfat") == 0;
	if (strcmp(tgt, "/boot") == 0) {
		if (fat) {
			fb->sys->esp = i;
			snprintf(fb->sys->esp_dir, sizeof(fb->sys->esp_dir), "/boot");
		} else {
			fb->sys->boot = i;
		}
	} else if ((strcmp(tgt, "/boot/efi") == 0 || strcmp(tgt, "/efi") == 0) && fat) {
		fb->sys->esp = i;
		snprintf(fb->sys->esp_dir, sizeof(fb->sys->esp_dir), "%s", tgt);
	}
}

static bool exists_in(const char *root, const char *path)
{
	int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		return false;
	}
	int fd = util_open_in_root(rfd, path, O_PATH, 0);
	close(rfd);
	if (fd >= 0) {
		close(fd);
	}
	return fd >= 0;
}

/* Follows a stacked device down to the partition (or disk) it sits on; sets the stack flags. */
static int lowest(const struct systems *s, int i, struct systems_system *sys, int depth)
{
	const struct systems_dev *d = &s->devs[i];
	if (!d->stacked || depth > 8) {
		return i;
	}
	char uuid[128] = "";
	if (systems_read_sys(d->name, "dm/uuid", uuid, sizeof(uuid))) {
		if (util_startswith(uuid, "LVM-")) {
			sys->on_lvm = true;
		} else if (util_startswith(uuid, "CRYPT-")) {
			sys->on_luks = true;
		}
	} else if (util_startswith(d->name, "md")) {
		sys->on_md = true;
	}
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "/sys/class/block/%s/slaves", d->name);
	DIR *dir = opendir(path);
	if (!dir) {
		return i;
	}
	int found = i;
	for (struct dirent *e; (e = readdir(dir));) {
		if (e->d_name[0] == '.') {
			continue;
		}
		for (size_t j = 0; j < s->n_devs; j++) {
			if (strcmp(s->devs[j].name, e->d_name) == 0) {
				found = lowest(s, (int)j, sys, depth + 1);
				break;
			}
		}
		break;
	}
	closedir(dir);
	return found;
}

/*
 * A LUKS volume we opened is called lifeline-luks-*; the system's initramfs tools find it only
 * under the name its /etc/crypttab gives it, so it is renamed to that name.
 */
static void crypttab_names(struct systems *s, const char *root)
{
	char *text = NULL;
	if (util_read_in_root(root, "/etc/crypttab", 65536, &text, NULL) < 0) {
		return;
	}
	for (char *line = text; line && *line;) {
		char *end = strchr(line, '\n');
		if (end) {
			*end = '\0';
		}
		char name[64], source[128];
		if (line[0] != '#' && sscanf(line, "%63s %127s", name, source) == 2 &&
		    dm_name_ok(name)) {
			int luks = systems_find_source(s, source);
			for (size_t i = 0; luks >= 0 && i < s->n_devs; i++) {
				struct systems_dev *d = &s->devs[i];
				char slave[PATH_MAX];
				snprintf(slave, sizeof(slave), "/sys/class/block/%s/slaves/%s", d->name,
					 s->devs[luks].name);
				if (!util_startswith(d->path, "/dev/mapper/lifeline-luks-") ||
				    access(slave, F_OK) != 0) {
					continue;
				}
				char target[96];
				snprintf(target, sizeof(target), "/dev/mapper/%s", name);
				if (access(target, F_OK) == 0) {
					break;
				}
				const char *argv[] = { "dmsetup", "rename", d->path + 12, name, NULL };
				struct run_result r = { 0 };
				if (run_capture(argv, &r) == 0 && r.status == 0) {
					snprintf(d->path, sizeof(d->path), "%s", target);
				}
				run_result_clear(&r);
			}
		}
		line = end ? end + 1 : NULL;
	}
	free(text);
}

static void describe_linux(struct systems *s, struct systems_system *sys, const char *root)
{
	crypttab_names(s, root);
	fstab_scan(root, fstab_boot_entry, &(struct fstab_boot){ s, sys });
	if (sys->esp >= 0) {
		if (exists_in(root, "/usr/lib/grub/x86_64-efi")) {
			sys->boot_mode = SYSTEMS_BOOT_UEFI_GRUB;
		} else if (exists_in(root, "/usr/lib/systemd/boot/efi")) {
			sys->boot_mode = SYSTEMS_BOOT_SYSTEMD_BOOT;
		}
	} else if (exists_in(root, "/usr/lib/grub/i386-pc") || exists_in(root, "/boot/grub/i386-pc")) {
		sys->boot_mode = SYSTEMS_BOOT_BIOS_GRUB;
	}
	int low = lowest(s, sys->boot >= 0 ? sys->boot : sys->root, sys, 0);
	if (sys->boot >= 0) {
		lowest(s, sys->root, sys, 0); /* the root's stack flags too */
	}
	const struct systems_dev *ld = &s->devs[low];
	snprintf(sys->boot_disk, sizeof(sys->boot_disk), "%s", ld->disk[0] ? ld->disk : ld->path);
}

static void add_system(struct systems *s, int dev, const char *subvol, const char *root,
		       const char *osr)
{
	if (s->n_sys >= MAX_SYSTEMS) {
		return;
	}
	struct systems_system *sys = &s->sys[s->n_sys];
	*sys = (struct systems_system){ .root = dev, .boot = -1, .esp = -1 };
	char raw[256];
	if (osr) {
		sys->kind = SYSTEMS_LINUX;
		if (!systems_os_release_value(osr, "ID", raw, sizeof(raw))) {
			snprintf(raw, sizeof(raw), "linux");
		}
		/* the id must be safe to type and to use as a directory name */
		size_t o = 0;
		for (const char *p = raw; *p && o + 1 < sizeof(sys->os_id); p++) {
			char c = *p;
			if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			    c == '.') {
				sys->os_id[o++] = c;
			}
		}
		sys->os_id[o] = '\0';
		if (!o) {
			snprintf(sys->os_id, sizeof(sys->os_id), "linux");
		}
		if (systems_os_release_value(osr, "PRETTY_NAME", raw, sizeof(raw)) ||
		    systems_os_release_value(osr, "NAME", raw, sizeof(raw))) {
			util_sanitize(sys->name, sizeof(sys->name), raw);
		} else {
			snprintf(sys->name, sizeof(sys->name), "Linux");
		}
		if (systems_os_release_value(osr, "VERSION_ID", raw, sizeof(raw))) {
			util_sanitize(sys->version, sizeof(sys->version), raw);
		}
	} else {
		sys->kind = SYSTEMS_WINDOWS;
		snprintf(sys->os_id, sizeof(sys->os_id), "windows");
		snprintf(sys->name, sizeof(sys->name), "Windows");
	}
	if (subvol) {
		util_sanitize(sys->subvol, sizeof(sys->subvol), subvol);
	}
	char u8[9] = "";
	size_t o = 0;
	for (const char *p = s->devs[dev].uuid; *p && o < 8; p++) {
		char c = *p;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
			u8[o++] = (char)(c | 0x20);
		}
	}
	u8[o] = '\0';
	snprintf(sys->id, sizeof(sys->id), "%s-%s", sys->os_id, o ? u8 : s->devs[dev].name);
	for (size_t i = 0; i < s->n_sys; i++) {
		if (strcmp(s->sys[i].id, sys->id) == 0) {
			size_t l = strlen(sys->id);
			snprintf(sys->id + l, sizeof(sys->id) - l, "-%zu", s->n_sys + 1);
			break;
		}
	}
	if (sys->kind == SYSTEMS_LINUX) {
		describe_linux(s, sys, root);
	} else {
		const struct systems_dev *ld = &s->devs[lowest(s, dev, sys, 0)];
		snprintf(sys->boot_disk, sizeof(sys->boot_disk), "%s", ld->disk[0] ? ld->disk : ld->path);
	}
	s->n_sys++;
}

static char *os_release(const char *root)
{
	char *text = NULL;
	if (util_read_in_root(root, "/etc/os-release", 65536, &text, NULL) == 0 ||
	    util_read_in_root(root, "/usr/lib/os-release", 65536, &text, NULL) == 0) {
		return text;
	}
	return NULL;
}

static void inspect_linux_fs(struct systems *s, int i)
{
	const struct systems_dev *d = &s->devs[i];
	char dir[PATH_MAX];
	const char *mnt = d->mountpoint[0] ? d->mountpoint : NULL;
	bool ours = false;

	if (!mnt) {
		snprintf(dir, sizeof(dir), PROBE_DIR "/%s", d->name);
		if (util_mkdir_p(dir, 0700) < 0) {
			return;
		}
		const char *data = NULL;
		if (util_startswith(d->fstype, "ext")) {
			data = "noload";
		} else if (strcmp(d->fstype, "xfs") == 0) {
			data = "norecovery";
		} else if (strcmp(d->fstype, "btrfs") == 0) {
			data = "subvolid=5";
		}
		if (mount(d->path, dir, d->fstype, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  data) < 0) {
			note(s, "%s (%s) does not mount read-only: %s", d->path, d->fstype,
			     strerror(errno));
			rmdir(dir);
			return;
		}
		mnt = dir;
		ours = true;
	}
	char *osr = os_release(mnt);
	if (osr && exists_in(mnt, "/etc/fstab")) {
		add_system(s, i, NULL, mnt, osr);
	} else if (strcmp(d->fstype, "btrfs") == 0) {
		/* subvolumes directly below the top level: Debian "@", Fedora "root", ... */
		DIR *dd = opendir(mnt);
		for (struct dirent *e; dd && (e = readdir(dd));) {
			if (e->d_name[0] == '.' || e->d_ino != 256) {
				continue;
			}
			char sub[PATH_MAX];
			snprintf(sub, sizeof(sub), "%s/%s", mnt, e->d_name);
			char *o2 = os_release(sub);
			if (o2 && exists_in(sub, "/etc/fstab")) {
				add_system(s, i, e->d_name, sub, o2);
			}
			free(o2);
		}
		if (dd) {
			closedir(dd);
		}
	}
	free(osr);
	if (ours) {
		umount2(mnt, MNT_DETACH);
		rmdir(mnt);
	}
}

static void inspect_ntfs(struct systems *s, int i)
{
	if (!run_have(NULL, "ntfsinfo")) {
		return;
	}
	struct run_result r = { 0 };
	const char *argv[] = { "ntfsinfo", "-F", "/Windows/System32/config/SAM", s->devs[i].path,
			       NULL };
	if (run_capture(argv, &r) == 0 && r.status == 0) {
		add_system(s, i, NULL, NULL, NULL);
	}
	run_result_clear(&r);
}

static const struct systems_dev *sort_devs;

static int system_cmp(const void *a, const void *b)
{
	const struct systems_system *x = a, *y = b;
	int d = strverscmp(x->boot_disk, y->boot_disk);
	return d ? d : strverscmp(sort_devs[x->root].path, sort_devs[y->root].path);
}

int systems_discover(struct systems *ret, const struct systems_opts *opts)
{
	struct systems s = { 0 };
	int e;

	blkid_init_debug(0);
	s.sys = calloc(MAX_SYSTEMS, sizeof(*s.sys));
	s.locked = calloc(MAX_DEVS, sizeof(*s.locked));
	if (!s.sys || !s.locked) {
		e = -ENOMEM;
		goto err;
	}
	e = scan_devs(&s);
	if (e < 0) {
		goto err;
	}
	if (!opts->no_activate) {
		activate(&s, opts);
		e = scan_devs(&s);
		if (e < 0) {
			goto err;
		}
	}
	util_mkdir_p(PROBE_DIR, 0700);
	for (size_t i = 0; i < s.n_devs; i++) {
		const struct systems_dev *d = &s.devs[i];
		if (strcmp(d->fstype, "crypto_LUKS") == 0 && !dir_nonempty(d->name, "holders")) {
			struct systems_locked *l = &s.locked[s.n_locked++];
			l->dev = (int)i;
			snprintf(l->why, sizeof(l->why), "%s",
				 opts->passphrase ? "the passphrase does not open it" :
						    "encrypted (LUKS): give its passphrase");
			continue;
		}
		if (d->busy && !d->mountpoint[0]) {
			continue;
		}
		if (!strcmp(d->fstype, "ext2") || !strcmp(d->fstype, "ext3") ||
		    !strcmp(d->fstype, "ext4") || !strcmp(d->fstype, "xfs") ||
		    !strcmp(d->fstype, "btrfs")) {
			if (d->mountpoint[0] && (strcmp(d->mountpoint, "/") == 0)) {
				continue; /* the recovery system itself */
			}
			inspect_linux_fs(&s, (int)i);
		} else if (!strcmp(d->fstype, "ntfs")) {
			inspect_ntfs(&s, (int)i);
		}
	}
	/* in the order of the disks they boot from (then of their roots): as the firmware and the
	 * person see the disks, whatever device-mapper names a stacked root got */
	sort_devs = s.devs;
	qsort(s.sys, s.n_sys, sizeof(*s.sys), system_cmp);
	*ret = s;
	return 0;
err:
	systems_free(&s);
	return e;
}

int systems_scan(struct systems *ret)
{
	struct systems s = { 0 };
	blkid_init_debug(0);
	int e = scan_devs(&s);
	if (e < 0) {
		systems_free(&s);
		return e;
	}
	*ret = s;
	return 0;
}

void systems_free(struct systems *s)
{
	if (!s) {
		return;
	}
	free(s->devs);
	free(s->sys);
	free(s->locked);
	*s = (struct systems){ 0 };
}

int systems_select(const struct systems *s, const char *selector, const struct systems_system **ret,
		   char *why, size_t why_size)
{
	if (!selector) {
		if (s->n_sys == 1) {
			*ret = &s->sys[0];
			return 0;
		}
		if (s->n_sys == 0) {
			snprintf(why, why_size, "no installed system was found%s",
				 s->n_locked ? " (an encrypted volume is still locked: give "
					       "--passphrase-stdin)" : "");
			return -ENOENT;
		}
		snprintf(why, why_size, "%zu installed systems were found; choose one with --system ID "
			 "(see 'lifeline systems')", s->n_sys);
		return -EINVAL;
	}
	const struct systems_system *match = NULL;
	size_t n = 0;
	for (size_t i = 0; i < s->n_sys; i++) {
		const struct systems_system *y = &s->sys[i];
		if (strcmp(y->id, selector) == 0 || strcmp(s->devs[y->root].path, selector) == 0) {
			*ret = y;
			return 0;
		}
		if (util_startswith(y->id, selector)) {
			match = y;
			n++;
		}
	}
	if (n == 1) {
		*ret = match;
		return 0;
	}
	char clean[96];
	util_sanitize(clean, sizeof(clean), selector);
	snprintf(why, why_size, n ? "'%s' names more than one system; give the whole ID" :
				    "no installed system has the ID '%s' (see 'lifeline systems')",
		 clean);
	return n ? -EINVAL : -ENOENT;
}
