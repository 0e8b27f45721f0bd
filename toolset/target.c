#include "target.h"

#include "run.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static int mount_ntfs(const char *src, const char *dir, bool ro, char *why, size_t why_size)
{
	const char *argv[] = { "ntfs-3g", "-o", ro ? "ro,nosuid,nodev" : "nosuid,nodev", src, dir,
			       NULL };
	struct run_result r = { 0 };
	int e = run_capture(argv, &r);
	if (e < 0 || r.status != 0) {
		char msg[160] = "";
		util_sanitize(msg, sizeof(msg), r.err ? util_strip(r.err) : "");
		snprintf(why, why_size, "cannot mount %s (ntfs-3g, status %d): %s", src, r.status,
			 e < 0 ? strerror(-e) : msg);
		run_result_clear(&r);
		return e < 0 ? e : -EIO;
	}
	run_result_clear(&r);
	return 0;
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
	if (type && strcmp(type, "ntfs") == 0) {
		/* Debian 12's kernel has no NTFS driver: ntfs-3g (FUSE) mounts it */
		int e = mount_ntfs(src, dir, flags & MS_RDONLY, why, why_size);
		if (e < 0) {
			return e;
		}
	} else if (mount(src, dir, type, flags, data) < 0) {
		int e = -errno;
		snprintf(why, why_size, "cannot mount %s on %s: %s", src, *rel ? rel : "/",
			 strerror(errno));
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
	if (flags & (TARGET_BOOT | TARGET_CHROOT)) {
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
