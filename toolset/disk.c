/*
 * Whole disks from sysfs: identity (model, serial, transport, size), the Lifeline medium, what
 * holds a disk or a partition, and whether a file system lives on a disk.
 */
#include "disk.h"

#include "systems.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The labels lifeline-image gives its media (image-builder/lifeline-image). */
#define MEDIUM_LABEL    "LIFELINE" /* the ISO's volume id, the disk image's ESP */
#define MEDIUM_PARTNAME "Lifeline" /* the disk image's GPT partition name */

/* A sysfs attribute of the block device NAME, sanitized (it may come from the device). */
static bool read_attr(const char *name, const char *attr, char *out, size_t size)
{
	char raw[256];
	if (!systems_read_sys(name, attr, raw, sizeof(raw))) {
		return false;
	}
	util_sanitize(out, size, raw);
	return out[0] != '\0';
}

/* udev's ID_SERIAL_SHORT (ATA disks have no serial in sysfs). */
static bool udev_serial(const char *devnum, char *out, size_t size)
{
	char path[64], *text = NULL;
	snprintf(path, sizeof(path), "/run/udev/data/b%s", devnum);
	if (util_read_file(path, 65536, &text, NULL) < 0) {
		return false;
	}
	bool found = false;
	for (char *line = text; line && *line && !found;) {
		char *end = strchr(line, '\n');
		if (end) {
			*end = '\0';
		}
		if (util_startswith(line, "E:ID_SERIAL_SHORT=")) {
			util_sanitize(out, size, line + strlen("E:ID_SERIAL_SHORT="));
			found = out[0] != '\0';
		}
		line = end ? end + 1 : NULL;
	}
	free(text);
	return found;
}

static void transport_of(const char *name, const char *sys, char *out, size_t size)
{
	static const struct {
		const char *part, *name;
	} buses[] = { { "/usb", "usb" }, { "/nvme", "nvme" }, { "/virtio", "virtio" },
		      { "/ata", "ata" }, { "/mmc", "mmc" },   { "/host", "scsi" } };
	char real[PATH_MAX];
	out[0] = '\0';
	static const char *const virt[] = { "loop", "ram", "zram" };
	for (size_t i = 0; i < sizeof(virt) / sizeof(virt[0]); i++) {
		if (util_startswith(name, virt[i])) {
			snprintf(out, size, "%s", virt[i]);
			return;
		}
	}
	if (!realpath(sys, real)) {
		return;
	}
	for (size_t i = 0; i < sizeof(buses) / sizeof(buses[0]); i++) {
		if (strstr(real, buses[i].part)) {
			snprintf(out, size, "%s", buses[i].name);
			return;
		}
	}
}

#define EFI_GLOBAL "8be4df61-93ca-11d2-aa0d-00e098032b8c"

/*
 * The GPT partition the firmware started Lifeline from when that was an install-to-disk entry
 * (BootCurrent's Boot#### names \EFI\Lifeline\lifeline.efi on it): "" otherwise.  Once.
 */
static const char *booted_partition(char *entry, size_t entry_size)
{
	static char uuid[40], boot[16];
	static bool done;
	if (!done) {
		done = true;
		char *cur = NULL, *opt = NULL, path[128];
		size_t cl = 0, ol = 0;
		if (util_read_file("/sys/firmware/efi/efivars/BootCurrent-" EFI_GLOBAL, 64, &cur,
				   &cl) == 0 &&
		    cl >= 6) {
			unsigned n = (unsigned char)cur[4] | (unsigned)(unsigned char)cur[5] << 8;
			snprintf(boot, sizeof(boot), "Boot%04X", n);
			snprintf(path, sizeof(path), "/sys/firmware/efi/efivars/%s-" EFI_GLOBAL,
				 boot);
			if (util_read_file(path, 65536, &opt, &ol) == 0 && ol > 4) {
				disk_parse_load_option((const unsigned char *)opt + 4, ol - 4, uuid,
						       sizeof(uuid));
			}
		}
		free(cur);
		free(opt);
	}
	snprintf(entry, entry_size, "%s", boot);
	return uuid;
}

static bool is_medium_dev(const char *name, char *why, size_t why_size)
{
	struct systems_dev d = { 0 };
	char entry[16];
	snprintf(d.path, sizeof(d.path), "/dev/%s", name);
	systems_probe_dev(&d);
	const char *booted = booted_partition(entry, sizeof(entry));
	if (booted[0] && strcasecmp(d.partuuid, booted) == 0) {
		snprintf(why, why_size,
			 "%s holds the Lifeline recovery entry the firmware started (%s)", d.path,
			 entry);
		return true;
	}
	if (strcmp(d.fstype, "iso9660") == 0 && strcmp(d.label, MEDIUM_LABEL) == 0) {
		snprintf(why, why_size, "%s holds the Lifeline ISO (volume %s)", d.path, d.label);
		return true;
	}
	if (strcmp(d.fstype, "vfat") == 0 && strcmp(d.label, MEDIUM_LABEL) == 0) {
		snprintf(why, why_size, "%s is the Lifeline boot partition (label %s)", d.path,
			 d.label);
		return true;
	}
	if (strcmp(d.partlabel, MEDIUM_PARTNAME) == 0) {
		snprintf(why, why_size, "%s is the Lifeline partition (name %s)", d.path,
			 d.partlabel);
		return true;
	}
	return false;
}

size_t disk_partitions(const char *disk, char (*names)[32], size_t max)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "/sys/block/%s", disk);
	DIR *d = opendir(dir);
	if (!d) {
		return 0;
	}
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) && n < max;) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s/partition", dir, e->d_name);
		if (e->d_name[0] != '.' && strlen(e->d_name) < 32 && access(p, F_OK) == 0) {
			snprintf(names[n++], 32, "%s", e->d_name);
		}
	}
	closedir(d);
	return n;
}

static int disk_read(const char *name, struct disk *ret)
{
	char sys[PATH_MAX], buf[64];
	if (strlen(name) >= sizeof(ret->name) || strchr(name, '/')) {
		return -EINVAL;
	}
	snprintf(sys, sizeof(sys), "/sys/block/%s", name);
	*ret = (struct disk){ 0 };
	if (!read_attr(name, "size", buf, sizeof(buf))) {
		return -ENOENT;
	}
	snprintf(ret->name, sizeof(ret->name), "%s", name);
	snprintf(ret->path, sizeof(ret->path), "/dev/%s", name);
	ret->size = strtoull(buf, NULL, 10) * 512;
	read_attr(name, "dev", ret->devnum, sizeof(ret->devnum));
	ret->removable = read_attr(name, "removable", buf, sizeof(buf)) && buf[0] == '1';
	ret->ro = read_attr(name, "ro", buf, sizeof(buf)) && buf[0] == '1';
	read_attr(name, "device/model", ret->model, sizeof(ret->model));
	if (!read_attr(name, "serial", ret->serial, sizeof(ret->serial)) &&
	    !read_attr(name, "device/serial", ret->serial, sizeof(ret->serial))) {
		udev_serial(ret->devnum, ret->serial, sizeof(ret->serial));
	}
	transport_of(name, sys, ret->transport, sizeof(ret->transport));
	if (ret->size > 0 && is_medium_dev(name, ret->medium_why, sizeof(ret->medium_why))) {
		ret->medium = true;
		return 0;
	}
	char parts[64][32];
	size_t np = disk_partitions(name, parts, 64);
	for (size_t i = 0; i < np && !ret->medium; i++) {
		ret->medium = is_medium_dev(parts[i], ret->medium_why, sizeof(ret->medium_why));
	}
	return 0;
}

static int disk_cmp(const void *a, const void *b)
{
	return strcmp(((const struct disk *)a)->name, ((const struct disk *)b)->name);
}

int disk_list(bool all, struct disk **ret, size_t *ret_n)
{
	DIR *d = opendir("/sys/block");
	if (!d) {
		return -errno;
	}
	size_t cap = 64, n = 0;
	struct disk *v = calloc(cap, sizeof(*v));
	if (!v) {
		closedir(d);
		return -ENOMEM;
	}
	for (struct dirent *e; (e = readdir(d)) && n < cap;) {
		const char *nm = e->d_name;
		if (nm[0] == '.' || util_startswith(nm, "dm-") || util_startswith(nm, "md")) {
			continue; /* stacks are not disks */
		}
		if (!all && (util_startswith(nm, "loop") || util_startswith(nm, "ram") ||
			     util_startswith(nm, "zram"))) {
			continue;
		}
		if (disk_read(nm, &v[n]) == 0 && (v[n].size > 0 || all)) {
			n++;
		}
	}
	closedir(d);
	qsort(v, n, sizeof(*v), disk_cmp);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* The kernel name of the block device MAJ:MIN; *part true for a partition (DISK: its disk). */
static int name_of_devnum(dev_t dev, char *name, size_t size, char *disk, size_t disk_size)
{
	char link[64], real[PATH_MAX];
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(dev), minor(dev));
	if (!realpath(link, real)) {
		return -errno;
	}
	char *slash = strrchr(real, '/');
	snprintf(name, size, "%s", slash + 1);
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/partition", real);
	disk[0] = '\0';
	if (access(p, F_OK) == 0) {
		*slash = '\0';
		slash = strrchr(real, '/');
		snprintf(disk, disk_size, "%s", slash + 1);
	}
	return 0;
}

int disk_of(const char *dev, struct disk *ret, char *part, size_t part_size)
{
	struct stat st;
	if (stat(dev, &st) < 0) {
		return -errno;
	}
	if (!S_ISBLK(st.st_mode)) {
		return -ENOTBLK;
	}
	char name[64], disk[64];
	int e = name_of_devnum(st.st_rdev, name, sizeof(name), disk, sizeof(disk));
	if (e < 0) {
		return e;
	}
	snprintf(part, part_size, "%s", disk[0] ? name : "");
	return disk_read(disk[0] ? disk : name, ret);
}

bool disk_busy(const char *name, char *why, size_t why_size)
{
	struct systems s;
	if (systems_scan(&s) < 0) {
		snprintf(why, why_size, "cannot read the block devices");
		return true;
	}
	char self[80];
	snprintf(self, sizeof(self), "/dev/%s", name);
	bool busy = false;
	for (size_t i = 0; i < s.n_devs && !busy; i++) {
		const struct systems_dev *d = &s.devs[i];
		if (!d->busy || (strcmp(d->name, name) != 0 && strcmp(d->disk, self) != 0)) {
			continue;
		}
		busy = true;
		if (d->mountpoint[0]) {
			snprintf(why, why_size, "%s is mounted on %s", d->path, d->mountpoint);
		} else {
			snprintf(why, why_size, "%s is in use (%s)", d->path,
				 strcmp(d->fstype, "swap") == 0 ? "active swap"
				 : d->fstype[0]                 ? d->fstype
								: "held by another device");
		}
	}
	systems_free(&s);
	return busy;
}

/* Is the block device NAME D or on D, directly or under its device-mapper/md slaves? */
static bool on_disk(const struct disk *d, const char *name, int depth)
{
	char part_of[64] = "";
	char link[PATH_MAX], real[PATH_MAX];
	if (depth > 8) {
		return false;
	}
	if (strcmp(name, d->name) == 0) {
		return true;
	}
	snprintf(link, sizeof(link), "/sys/class/block/%s", name);
	if (realpath(link, real)) {
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/partition", real);
		char *slash = strrchr(real, '/');
		if (access(p, F_OK) == 0 && slash) {
			*slash = '\0';
			slash = strrchr(real, '/');
			snprintf(part_of, sizeof(part_of), "%s", slash ? slash + 1 : "");
			if (strcmp(part_of, d->name) == 0) {
				return true;
			}
		}
	}
	snprintf(link, sizeof(link), "/sys/class/block/%s/slaves", name);
	DIR *dir = opendir(link);
	if (!dir) {
		return false;
	}
	bool found = false;
	for (struct dirent *e; !found && (e = readdir(dir));) {
		found = e->d_name[0] != '.' && on_disk(d, e->d_name, depth + 1);
	}
	closedir(dir);
	return found;
}

bool disk_holds_path(const struct disk *d, const char *path)
{
	struct stat st;
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	/* the file may not be there yet: its directory decides */
	while (stat(dir, &st) < 0) {
		char *slash = strrchr(dir, '/');
		if (!slash || slash == dir) {
			snprintf(dir, sizeof(dir), "%s", slash == dir ? "/" : ".");
			if (stat(dir, &st) < 0) {
				return false;
			}
			break;
		}
		*slash = '\0';
	}
	if (major(st.st_dev) == 0) {
		return false; /* tmpfs, the RAM root, network file systems */
	}
	char name[64], disk[64];
	if (name_of_devnum(st.st_dev, name, sizeof(name), disk, sizeof(disk)) < 0) {
		return false;
	}
	return on_disk(d, name, 0);
}

void disk_size_text(uint64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0) {
		snprintf(buf, size, "%llu B", (unsigned long long)bytes);
	} else {
		snprintf(buf, size, "%.1f %s", v, units[u]);
	}
}
