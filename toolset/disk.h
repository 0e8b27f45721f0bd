#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Whole disks for the disk tools (disks, wipe): what sysfs says about them, which one holds the
 * Lifeline medium, and the pure parsers of what the wrapped programs print (smartctl's JSON,
 * testdisk's log, sfdisk dumps), unit-tested.  Library code: 0 or a negative errno, no logging.
 */

struct disk {
	char name[32];      /* kernel name: sda, vda, nvme0n1 */
	char path[64];      /* /dev/NAME */
	char devnum[16];    /* MAJOR:MINOR */
	char model[64];     /* sanitized; "" when the device has none */
	char serial[64];    /* sanitized; "" when the device has none */
	char transport[16]; /* ata, nvme, usb, scsi, virtio, mmc, loop, ... ("" unknown) */
	uint64_t size;      /* bytes */
	bool removable, ro;
	bool medium; /* holds the Lifeline boot medium: never offered for a change */
	char medium_why[128];
};

/* The disks in /sys/block (ALL: also loop, ram, zram), sorted by name; the caller frees. */
int disk_list(bool all, struct disk **ret, size_t *ret_n);

/*
 * The disk DEV (a /dev path of a whole disk or a partition) is or is on.  PART gets the
 * partition's kernel name ("" for a whole disk).  -ENOTBLK when DEV is not a block device.
 */
int disk_of(const char *dev, struct disk *ret, char *part, size_t part_size);

/* Kernel names of DISK's partitions (sysfs order); at most MAX, 32 bytes each. */
size_t disk_partitions(const char *disk, char (*names)[32], size_t max);

/*
 * Why DEVNUM (MAJOR:MINOR of a disk or partition) cannot be overwritten: mounted, swap, held by
 * LVM/md/LUKS (sysfs holders), or for a disk the same for any of its partitions.  false when
 * nothing holds it.
 */
bool disk_busy(const char *name, char *why, size_t why_size);

/* Is the file system holding PATH on DISK (a partition of it, or a stack over one)? */
bool disk_holds_path(const struct disk *d, const char *path);

/* 2.0 GiB, 256.0 MiB: the size as the tools show it (and as the wipe confirmation takes it). */
void disk_size_text(uint64_t bytes, char *buf, size_t size);

/* ---- pure parsers (no I/O) ---- */

struct disk_health {
	bool offered; /* smartctl gave a SMART status */
	bool passed;
	int temperature;                              /* Celsius, -1 unknown */
	long long power_on_hours;                     /* -1 unknown */
	long long reallocated, pending, media_errors; /* -1 unknown */
	int percentage_used;                          /* NVMe wear, -1 unknown */
	char summary[160];
};

/* Reads `smartctl -j -H -A` output (bounded, hostile). */
void disk_parse_smart(const char *json, size_t len, struct disk_health *ret);

/*
 * An EFI load option (the content of a Boot#### variable, without efivarfs' 4 attribute bytes):
 * true when its device path names a GPT partition (HD node) and a loader whose path contains
 * "lifeline" (\EFI\Lifeline\lifeline.efi, as install-to-disk adds it); PARTUUID gets that
 * partition's GUID in lower case.  Bounded: a truncated or malformed option is false.
 */
bool disk_parse_load_option(const unsigned char *data, size_t len, char *partuuid, size_t size);

#define DISK_FOUND_MAX 32

struct disk_found {
	int number;           /* as testdisk numbers it */
	char status;          /* '*' primary bootable, 'P' primary, 'L' logical, 'E' extended */
	char type[32];        /* testdisk's name: Linux, FAT32 LBA, HPFS - NTFS, ... (sanitized) */
	char label[64];       /* sanitized */
	uint64_t start, size; /* sectors */
	const char *id;       /* the MBR type byte for sfdisk ("83"), NULL when unknown */
};

/*
 * The partitions of the first table testdisk offers to write (its log's interface_write()
 * section) with the CHS geometry the log names (its "CHS C H S" line).  Returns how many (0 when
 * none), or -EINVAL when the log has no geometry or the section is malformed.
 */
int disk_parse_testdisk_log(const char *log, size_t len, struct disk_found *out, size_t max);

/*
 * The sfdisk script that writes FOUND (an MBR table) keeping LABEL_ID (the disk identifier the
 * current dump names, so PARTUUID= in the system's fstab still matches; NULL: a new one); NULL
 * when a partition's type is unknown or the list is empty.  The caller frees.
 */
char *disk_found_script(const struct disk_found *found, size_t n, const char *label_id);

/* The value of a header line ("label-id") of an sfdisk dump into OUT; false when absent. */
bool disk_dump_header(const char *dump, const char *key, char *out, size_t size);

/*
 * A saved table (sfdisk --dump text) checked for what sfdisk will take from it: a label line,
 * partition lines of bounded length, no other device's header.  0 or -EINVAL (WHY says why).
 */
int disk_check_dump(const char *text, size_t len, char *why, size_t why_size);

/*
 * The difference between two sfdisk dumps, partition lines compared by number whatever the
 * device name: lines "-OLD" and "+NEW", "" when the tables are the same.  The caller frees.
 */
char *disk_dump_diff(const char *old_dump, const char *new_dump);
