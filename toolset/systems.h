#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Installed-system discovery: every block device probed with libblkid, the storage stacks
 * assembled (md RAID, LUKS with a passphrase, LVM), every Linux root found by its os-release
 * (btrfs subvolumes included) and every Windows installation by its registry.  Everything read
 * from a disk is hostile: bounded, sanitized before display, never given to a shell.
 */

enum systems_kind {
	SYSTEMS_LINUX,
	SYSTEMS_WINDOWS,
};

enum systems_boot {
	SYSTEMS_BOOT_UNKNOWN,
	SYSTEMS_BOOT_BIOS_GRUB,
	SYSTEMS_BOOT_UEFI_GRUB,
	SYSTEMS_BOOT_SYSTEMD_BOOT,
};

struct systems_dev {
	char path[96];   /* /dev/vda1, /dev/mapper/vg-root, /dev/md0 */
	char name[64];   /* kernel name: vda1, dm-0, md0 */
	char disk[96];   /* the whole disk a partition is on ("" for a whole disk or a stack) */
	char fstype[32]; /* blkid TYPE: ext4, crypto_LUKS, LVM2_member, ... ("" when none) */
	char uuid[64];
	char label[64];
	char partuuid[64];
	char partlabel[64];
	char parttype[64];
	uint64_t size;   /* bytes */
	bool whole;      /* a whole disk (not a partition, not a stack) */
	bool stacked;    /* device-mapper or md */
	bool busy;       /* mounted or held by another device (swap, LVM, LUKS, md) */
	char devnum[16];      /* MAJOR:MINOR */
	char mountpoint[256]; /* where the live system has it mounted, if anywhere */
};

struct systems_fstab {
	char source[128];
	char target[128];
	char fstype[32];
	char options[160];
	int dev;              /* the device it names, or -1 when it is not here */
};

#define SYSTEMS_FSTAB_MAX 48

struct systems_system {
	char id[80];
	enum systems_kind kind;
	char os_id[32];       /* os-release ID */
	char name[128];       /* PRETTY_NAME (sanitized) */
	char version[64];     /* VERSION_ID */
	int root;             /* index into devs */
	char subvol[256];     /* btrfs subvolume of the root ("" for none) */
	int boot;             /* separate /boot: index into devs, or -1 */
	int esp;              /* the ESP from its fstab: index into devs, or -1 */
	char esp_dir[32];     /* where its fstab mounts the ESP (/boot/efi, /efi, /boot) */
	enum systems_boot boot_mode;
	char boot_disk[96];   /* the disk its boot loader lives on */
	bool on_lvm, on_luks, on_md;
	struct systems_fstab fstab[SYSTEMS_FSTAB_MAX];
	int n_fstab;
};

struct systems_locked {
	int dev;              /* a LUKS volume that stays closed (no or a wrong passphrase) */
	char why[128];
};

struct systems {
	struct systems_dev *devs;
	size_t n_devs;
	struct systems_system *sys;
	size_t n_sys;
	struct systems_locked *locked;
	size_t n_locked;
	char notes[2048];     /* what went wrong on the way (an md array that did not assemble...) */
};

struct systems_opts {
	const char *passphrase; /* for LUKS volumes; NULL: they stay closed and are listed */
	bool no_activate;       /* do not assemble md, open LUKS or activate LVM */
};

/* 0 or a negative errno (only for a failure of the discovery itself, not for what it found). */
int systems_discover(struct systems *ret, const struct systems_opts *opts);
void systems_free(struct systems *s);

/*
 * Only the block devices, probed, with what holds or mounts them: nothing is assembled, opened
 * or mounted (for the disk tools).  0 or a negative errno.
 */
int systems_scan(struct systems *ret);
/* The sysfs attribute /sys/class/block/NAME/ATTR (trailing space removed); false when absent. */
bool systems_read_sys(const char *name, const char *attr, char *out, size_t size);
/* Fills D's fstype, uuid, label and partition entry fields by probing D->path (libblkid). */
void systems_probe_dev(struct systems_dev *d);

/* The system SELECTOR names (id, unique id prefix, or its root device), or the only one. */
int systems_select(const struct systems *s, const char *selector, const struct systems_system **ret,
		   char *why, size_t why_size);

const char *systems_boot_name(enum systems_boot b);
const char *systems_kind_name(enum systems_kind k);

/* Pure helpers, unit-tested. */
/* One os-release value: KEY's value from TEXT, unquoted; false when absent. */
bool systems_os_release_value(const char *text, const char *key, char *out, size_t size);
/* The device DEVS[] entry a fstab source (UUID=, LABEL=, PARTUUID=, PARTLABEL=, path) names. */
int systems_find_source(const struct systems *s, const char *source);
