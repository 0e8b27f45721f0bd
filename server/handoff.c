/*
 * lifeline-handoff: writes the connection info of the running Remote Connection to a USB stick
 * (a FAT filesystem) that the user picks, for a helpdesk that gets the stick or a copy of its
 * files: lifeline-connection.rdp (mstsc, Remmina), lifeline-connection.json (scripts) and
 * lifeline-connection.txt (the xfreerdp command line). The stick is mounted on a private
 * directory (nosuid, nodev, noexec), written, synced and unmounted again.
 */
#include <blkid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lifeline-config.h"

#define MAX_FILE (256 * 1024)
#define MAX_DEVS 32

static const struct {
	const char *from, *to;
} files[] = {
	{ "connection.rdp", "lifeline-connection.rdp" },
	{ "connection.json", "lifeline-connection.json" },
	{ "connection-xfreerdp.txt", "lifeline-connection.txt" },
};

struct candidate {
	char dev[64];
	char label[40];
	unsigned long long mib;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: lifeline-handoff [OPTION]... [DEVICE]\n"
		"Writes the connection info of the running Remote Connection to a USB stick (a "
		"FAT\n"
		"filesystem): lifeline-connection.rdp (mstsc, Remmina; no password in it),\n"
		"lifeline-connection.json and lifeline-connection.txt (the xfreerdp command line;\n"
		"both hold the ticket). Mounts DEVICE, writes, syncs and unmounts it.\n"
		"Without DEVICE on a terminal it lists the FAT filesystems and asks which (with\n"
		"none yet, it waits for one to be plugged in).\n"
		"\n"
		"  --list             list the FAT filesystems and exit\n"
		"  --state-dir=DIR    the server's state directory (default /run/lifeline)\n"
		"  -h, --help, -V, --version\n"
		"\n"
		"Exit status: 0 written, 1 failed, 2 bad usage or nothing to write.\n");
}

/* The FAT filesystems on block devices (whole disks and partitions), from sysfs and blkid. */
static size_t find_candidates(struct candidate *out, size_t max)
{
	DIR *d = opendir("/sys/class/block");
	struct dirent *e;
	size_t n = 0;

	if (!d) {
		return 0;
	}
	while ((e = readdir(d)) && n < max) {
		char dev[64], sizepath[300];
		const char *type = NULL, *label = NULL;
		unsigned long long sectors = 0;
		blkid_probe pr;
		FILE *f;

		if (e->d_name[0] == '.' || strlen(e->d_name) > 40 ||
		    strncmp(e->d_name, "ram", 3) == 0) {
			continue;
		}
		snprintf(dev, sizeof(dev), "/dev/%s", e->d_name);
		pr = blkid_new_probe_from_filename(dev);
		if (!pr) {
			continue;
		}
		blkid_probe_enable_superblocks(pr, 1);
		blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL);
		if (blkid_do_safeprobe(pr) == 0 &&
		    blkid_probe_lookup_value(pr, "TYPE", &type, NULL) == 0 && type &&
		    strcmp(type, "vfat") == 0) {
			struct candidate *c = &out[n++];

			snprintf(c->dev, sizeof(c->dev), "%s", dev);
			c->label[0] = '\0';
			if (blkid_probe_lookup_value(pr, "LABEL", &label, NULL) == 0 && label) {
				/* a label is the stick's: printable ASCII only */
				size_t j = 0;

				for (size_t i = 0; label[i] && j + 1 < sizeof(c->label); i++) {
					c->label[j++] = label[i] >= 0x20 && label[i] < 0x7f
								? label[i]
								: '?';
				}
				c->label[j] = '\0';
			}
			snprintf(sizepath, sizeof(sizepath), "/sys/class/block/%s/size", e->d_name);
			f = fopen(sizepath, "re");
			if (f) {
				if (fscanf(f, "%llu", &sectors) != 1) {
					sectors = 0;
				}
				fclose(f);
			}
			c->mib = sectors / 2048;
		}
		blkid_free_probe(pr);
	}
	closedir(d);
	return n;
}

/* Reads a file the server wrote (bounded). 0 or a negative errno. */
static int read_file(const char *dir, const char *name, char **ret, size_t *ret_len)
{
	char path[512];
	char *buf;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		return -errno;
	}
	buf = malloc(MAX_FILE);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, buf, MAX_FILE);
	close(fd);
	if (n < 0 || n == MAX_FILE) {
		explicit_bzero(buf, MAX_FILE);
		free(buf);
		return n < 0 ? -errno : -EFBIG;
	}
	*ret = buf;
	*ret_len = (size_t)n;
	return 0;
}

static int write_all(int dirfd, const char *name, const char *data, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t off = 0;
	int r = 0;

	if (fd < 0) {
		return -errno;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (r == 0 && fsync(fd) < 0) {
		r = -errno;
	}
	if (close(fd) < 0 && r == 0) {
		r = -errno;
	}
	return r;
}

/* Mounts dev, writes the files, syncs, unmounts. 0, or a negative errno with a message. */
static int handoff(const char *state_dir, const char *dev, char *err, size_t errlen)
{
	char *data[3] = { 0 };
	size_t len[3] = { 0 };
	char mnt[] = "/run/lifeline-handoff.XXXXXX";
	int r = 0, dirfd = -1;
	size_t i;

	for (i = 0; i < 3; i++) {
		r = read_file(state_dir, files[i].from, &data[i], &len[i]);
		if (r < 0) {
			snprintf(err, errlen,
				 "no connection info in %s (%s: %s): is Remote Connection running?",
				 state_dir, files[i].from, strerror(-r));
			goto out;
		}
	}
	if (!mkdtemp(mnt)) {
		r = -errno;
		snprintf(err, errlen, "cannot make a mount point: %s", strerror(-r));
		goto out;
	}
	if (mount(dev, mnt, "vfat", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME,
		  "utf8,umask=077") < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot mount %s as FAT: %s%s", dev, strerror(-r),
			 r == -EBUSY ? " (it is mounted already: unmount it first)" : "");
		rmdir(mnt);
		goto out;
	}
	dirfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < 3 && dirfd >= 0 && r == 0; i++) {
		r = write_all(dirfd, files[i].to, data[i], len[i]);
		if (r < 0) {
			snprintf(err, errlen, "cannot write %s on %s: %s", files[i].to, dev,
				 strerror(-r));
		}
	}
	if (dirfd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open the mounted %s: %s", dev, strerror(-r));
	} else {
		if (syncfs(dirfd) < 0 && r == 0) {
			r = -errno;
			snprintf(err, errlen, "cannot sync %s: %s", dev, strerror(-r));
		}
		close(dirfd);
	}
	if (umount2(mnt, 0) < 0) {
		int e = -errno;

		if (r == 0) {
			r = e;
			snprintf(err, errlen, "cannot unmount %s (%s): %s", dev, mnt, strerror(-e));
		}
	} else {
		rmdir(mnt);
	}
out:
	for (i = 0; i < 3; i++) {
		if (data[i]) {
			explicit_bzero(data[i], len[i]);
			free(data[i]);
		}
	}
	return r;
}

/* The small dialog: the candidates, numbered; the answer picks one. With none, it waits for
 * the person to plug one in (the console's button is pressed before the stick is found).
 * NULL on cancel. */
static const char *ask(struct candidate *c)
{
	char line[32];
	unsigned long k;
	char *end;
	size_t n;

	while ((n = find_candidates(c, MAX_DEVS)) == 0) {
		printf("No USB stick with a FAT filesystem found.\n"
		       "Plug one in, wait a moment and press Enter (q and Enter cancels): ");
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin) || line[0] == 'q' || line[0] == 'Q') {
			return NULL;
		}
	}
	printf("Write the connection info to which USB stick?\n");
	for (size_t i = 0; i < n; i++) {
		printf("  %zu  %-16s %6llu MiB  %s\n", i + 1, c[i].dev, c[i].mib, c[i].label);
	}
	printf("Number (Enter cancels): ");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin)) {
		return NULL;
	}
	k = strtoul(line, &end, 10);
	if (end == line || k < 1 || k > n) {
		return NULL;
	}
	return c[k - 1].dev;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct candidate cands[MAX_DEVS];
	const char *state_dir = "/run/lifeline", *dev = NULL;
	bool list = false;
	char err[512] = "";
	size_t n;
	int c, r;

	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			list = true;
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("lifeline-handoff %s\n", LIFELINE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind + 1 < argc) {
		fprintf(stderr, "lifeline-handoff: one device at most\n");
		return 2;
	}
	dev = optind < argc ? argv[optind] : NULL;
	if (list) {
		n = find_candidates(cands, MAX_DEVS);
		for (size_t i = 0; i < n; i++) {
			printf("%s\t%llu MiB\t%s\n", cands[i].dev, cands[i].mib, cands[i].label);
		}
		return 0;
	}
	if (!dev) {
		if (!isatty(STDIN_FILENO)) {
			fprintf(stderr, "lifeline-handoff: name the device (see --list)\n");
			return 2;
		}
		dev = ask(cands);
		if (!dev) {
			printf("Nothing written.\n");
			return 2;
		}
	}
	if (strncmp(dev, "/dev/", 5) != 0) {
		fprintf(stderr, "lifeline-handoff: %s is not a device under /dev\n", dev);
		return 2;
	}
	r = handoff(state_dir, dev, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "lifeline-handoff: %s\n", err);
		return 1;
	}
	printf("Written to %s: lifeline-connection.rdp, .json and .txt. You can unplug it.\n", dev);
	return 0;
}
