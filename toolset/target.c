#include "target.h"

#include "run.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

/*
 * mount(2), except for NTFS: Debian 12's kernel has no NTFS driver, ntfs-3g (FUSE) mounts it.
 * 0 or a negative errno.
 */
static int mount_fs(const char *src, const char *dir, const char *type, unsigned long flags,
		    const char *data)
{
	if (type && strcmp(type, "ntfs") == 0) {
		char opts[64];
		snprintf(opts, sizeof(opts), "%s%s", flags & MS_RDONLY ? "ro" : "rw",
			 flags & MS_NOSUID ? ",nosuid,nodev" : "");
		const char *argv[] = { "ntfs-3g", "-o", opts, src, dir, NULL };
		struct run_result r;
		int e = run_capture(argv, &r);
		int status = r.status;
		run_result_clear(&r);
		return e < 0 ? e : status ? -EIO : 0;
	}
	return mount(src, dir, type, flags, data) < 0 ? -errno : 0;
}

static int mount_at(struct target *t, const char *src, const char *rel, const char *type,
		    unsigned long flags, const char *data, char *why, size_t why_size)
{
	char dir[300];
	snprintf(dir, sizeof(dir), "%s%s", t->root, rel);
	if (t->n_mounts >= (int)(sizeof(t->mounts) / sizeof(t->mounts[0]))) {
		snprintf(why, why_size, "too many mounts");
		return -E2BIG;
	}
	/* The mount point is on the disk: it must be a real directory inside the root. */
	if (*rel) {
		const char *base;
		int dfd = util_open_parent_in_root(t->root, rel, &base);
		if (dfd < 0) {
			snprintf(why, why_size, "no directory %s on the system", rel);
			return dfd;
		}
		close(dfd);
	}
	int e = mount_fs(src, dir, type, flags, data);
	if (e < 0) {
		snprintf(why, why_size, "cannot mount %s on %s: %s", src, *rel ? rel : "/",
			 strerror(-e));
		return e;
	}
	snprintf(t->mounts[t->n_mounts++], sizeof(t->mounts[0]), "%s", dir);
	return 0;
}

static const char *fs_data(const char *fstype, bool rw, const char *subvol, char *buf, size_t size)
{
	if (strcmp(fstype, "btrfs") == 0 && subvol && *subvol) {
		snprintf(buf, size, "subvol=%s", subvol);
		return buf;
	}
	if (!rw && util_startswith(fstype, "ext")) {
		return "noload";
	}
	if (!rw && strcmp(fstype, "xfs") == 0) {
		return "norecovery";
	}
	return NULL;
}

/* The subvol= of a btrfs fstab entry's options, into BUF; NULL when there is none. */
static const char *fstab_subvol(const char *options, char *buf, size_t size)
{
	for (const char *p = options; p && *p;) {
		size_t n = strcspn(p, ",");
		if (n > 7 && n - 7 < size && strncmp(p, "subvol=", 7) == 0) {
			memcpy(buf, p + 7, n - 7);
			buf[n - 7] = '\0';
			return buf;
		}
		p = p[n] ? p + n + 1 : NULL;
	}
	return NULL;
}

/* TARGET_ALL: the local filesystems of its fstab besides /, /boot and the ESP. */
static void mount_others(struct target *t, unsigned long mf)
{
	const struct systems_system *sys = t->sys;
	for (int i = 0; i < sys->n_fstab; i++) {
		const struct systems_fstab *f = &sys->fstab[i];
		if (f->dev < 0 || f->dev == sys->root || f->dev == sys->boot || f->dev == sys->esp ||
		    f->target[0] != '/' || strcmp(f->target, "/") == 0 ||
		    strcmp(f->fstype, "swap") == 0) {
			continue;
		}
		const struct systems_dev *d = &t->all->devs[f->dev];
		char why[300], buf[300], sv[256];
		const char *subvol = strcmp(d->fstype, "btrfs") == 0 ?
					     fstab_subvol(f->options, sv, sizeof(sv)) : NULL;
		if (d->mountpoint[0]) {
			snprintf(why, sizeof(why), "%s is mounted at %s", d->path, d->mountpoint);
		} else if (mount_at(t, d->path, f->target, d->fstype, mf | MS_NOSUID | MS_NODEV,
				    fs_data(d->fstype, !(mf & MS_RDONLY), subvol, buf, sizeof(buf)),
				    why, sizeof(why)) == 0) {
			continue;
		}
		size_t l = strlen(t->notes);
		snprintf(t->notes + l, sizeof(t->notes) - l, "%s%s", l ? "; " : "", why);
	}
}

bool target_mountable(const char *fstype)
{
	static const char *const types[] = { "ext2", "ext3", "ext4", "xfs", "btrfs", "vfat",
					     "exfat", "ntfs", "f2fs", "jfs", "reiserfs", "hfsplus" };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(fstype, types[i]) == 0) {
			return true;
		}
	}
	return false;
}

int target_mount_dev(const struct systems_dev *d, bool rw, char *dir, size_t dir_size, char *why,
		     size_t why_size)
{
	char tmp[] = TARGET_MNT_BASE "/XXXXXX", buf[300];
	if (d->mountpoint[0]) {
		snprintf(why, why_size, "%s is mounted at %s; unmount it first", d->path, d->mountpoint);
		return -EBUSY;
	}
	if (!d->fstype[0]) {
		snprintf(why, why_size, "%s holds no filesystem", d->path);
		return -EMEDIUMTYPE;
	}
	int e = util_mkdir_p(TARGET_MNT_BASE, 0700);
	if (e < 0 || !mkdtemp(tmp)) {
		e = e < 0 ? e : -errno;
		snprintf(why, why_size, "cannot create a mount point: %s", strerror(-e));
		return e;
	}
	e = mount_fs(d->path, tmp, d->fstype, (rw ? 0 : MS_RDONLY) | MS_NOSUID | MS_NODEV,
		     fs_data(d->fstype, rw, NULL, buf, sizeof(buf)));
	if (e < 0) {
		snprintf(why, why_size, "cannot mount %s (%s): %s", d->path, d->fstype, strerror(-e));
		rmdir(tmp);
		return e;
	}
	snprintf(dir, dir_size, "%s", tmp);
	return 0;
}

void target_unmount_dir(const char *dir)
{
	sync();
	if (umount2(dir, 0) < 0) {
		umount2(dir, MNT_DETACH);
	}
	rmdir(dir);
}

int target_open(const struct systems *all, const struct systems_system *sys, int flags,
		struct target **ret, char *why, size_t why_size)
{
	struct target *t = calloc(1, sizeof(*t));
	if (!t) {
		return -ENOMEM;
	}
	t->all = all;
	t->sys = sys;
	t->flags = flags;
	snprintf(t->root, sizeof(t->root), TARGET_BASE "/%s", sys->id);
	int e = util_mkdir_p(t->root, 0700);
	if (e < 0) {
		snprintf(why, why_size, "cannot create %s: %s", t->root, strerror(-e));
		free(t);
		return e;
	}
	bool rw = flags & TARGET_RW;
	unsigned long mf = rw ? 0 : MS_RDONLY;
	char buf[300];
	const struct systems_dev *rd = &all->devs[sys->root];
	if (rd->mountpoint[0]) {
		snprintf(why, why_size, "%s is mounted at %s; unmount it first", rd->path,
			 rd->mountpoint);
		free(t);
		return -EBUSY;
	}
	e = mount_at(t, rd->path, "", rd->fstype, mf,
		     fs_data(rd->fstype, rw, sys->subvol, buf, sizeof(buf)), why, why_size);
	if (e < 0) {
		goto err;
	}
	if (flags & (TARGET_BOOT | TARGET_CHROOT | TARGET_ALL)) {
		if (sys->boot >= 0) {
			const struct systems_dev *b = &all->devs[sys->boot];
			e = mount_at(t, b->path, "/boot", b->fstype, mf,
				     fs_data(b->fstype, rw, NULL, buf, sizeof(buf)), why, why_size);
			if (e < 0) {
				goto err;
			}
		}
		if (sys->esp >= 0) {
			const struct systems_dev *b = &all->devs[sys->esp];
			e = mount_at(t, b->path, sys->esp_dir, b->fstype, mf | MS_NOSUID | MS_NODEV,
				     "umask=0077", why, why_size);
			if (e < 0) {
				goto err;
			}
		}
	}
	if (flags & TARGET_ALL) {
		mount_others(t, mf);
	}
	if (flags & TARGET_CHROOT) {
		static const struct {
			const char *src, *rel;
			unsigned long flags;
		} binds[] = {
			{ "/dev", "/dev", MS_BIND | MS_REC },
			{ "/proc", "/proc", MS_BIND | MS_REC },
			{ "/sys", "/sys", MS_BIND | MS_REC },
			{ "/run", "/run", MS_BIND },
		};
		for (size_t i = 0; i < sizeof(binds) / sizeof(binds[0]); i++) {
			e = mount_at(t, binds[i].src, binds[i].rel, NULL, binds[i].flags, NULL, why,
				     why_size);
			if (e < 0) {
				goto err;
			}
		}
	}
	*ret = t;
	return 0;
err:
	target_close(t);
	return e;
}

void target_close(struct target *t)
{
	if (!t) {
		return;
	}
	sync();
	for (int i = t->n_mounts - 1; i >= 0; i--) {
		/* the recursive binds carry sub-mounts (devpts, efivarfs): detach the whole tree */
		if (umount2(t->mounts[i], 0) < 0) {
			umount2(t->mounts[i], MNT_DETACH);
		}
	}
	rmdir(t->root);
	free(t);
}
