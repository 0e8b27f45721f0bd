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
};

struct target {
	const struct systems *all;
	const struct systems_system *sys;
	char root[256];
	int flags;
	char mounts[16][300]; /* what we mounted, in order */
	int n_mounts;
};

int target_open(const struct systems *all, const struct systems_system *sys, int flags,
		struct target **ret, char *why, size_t why_size);
/* Unmounts everything (after sync); NULL is fine. */
void target_close(struct target *t);
