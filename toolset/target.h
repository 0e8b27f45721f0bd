#pragma once

#include "systems.h"

#include <stdbool.h>

/*
 * An installed system opened for a tool: its root mounted (read-only unless the tool is about to
 * change something), its /boot and ESP from its own fstab, and on request the live /dev, /proc,
 * /sys and /run bound in for a chroot.  target_close() undoes all of it on every path out.
 */

#define TARGET_BASE "/run/lifeline/systems"

enum target_flags {
	TARGET_RW = 1 << 0,     /* mount read-write (for one change) */
	TARGET_BOOT = 1 << 1,   /* also /boot and the ESP */
	TARGET_CHROOT = 1 << 2, /* also /dev, /dev/pts, /proc, /sys, /run */
	TARGET_ALL = 1 << 3,    /* also /boot, the ESP and every other local filesystem of its
				   fstab (/home, /srv...): one that does not mount is a note */
};

struct target {
	const struct systems *all;
	const struct systems_system *sys;
	char root[256];
	int flags;
	char mounts[32][300]; /* what we mounted, in order */
	int n_mounts;
	char notes[512];      /* TARGET_ALL: the filesystems left out, and why */
};

int target_open(const struct systems *all, const struct systems_system *sys, int flags,
		struct target **ret, char *why, size_t why_size);
/* Unmounts everything (after sync); NULL is fine. */
void target_close(struct target *t);

/*
 * One filesystem that is not an installed system's root (a USB stick, a data partition): mounted
 * on a new directory under TARGET_MNT_BASE, read-only unless RW (ext and XFS then without journal
 * replay), nosuid and nodev; NTFS with ntfs-3g.  DIR gets the directory.  0 or a negative errno,
 * with WHY.
 */
#define TARGET_MNT_BASE "/run/lifeline/mnt"
/* FSTYPE (blkid TYPE) holds files that target_mount_dev() can mount: ext4, vfat, ntfs, ... */
bool target_mountable(const char *fstype);
int target_mount_dev(const struct systems_dev *d, bool rw, char *dir, size_t dir_size, char *why,
		     size_t why_size);
/* Unmounts DIR (after sync), detaching it when busy, and removes the directory. */
void target_unmount_dir(const char *dir);
