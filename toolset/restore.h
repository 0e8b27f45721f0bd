#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Deleted files on an unmounted filesystem, found and read back without writing to it:
 *  - ext2/3/4: the kernel zeroes a deleted file's extents and wipes its directory entry, so the
 *    journal's copies of its inode and of its directory block are what bring it back (the jbd2
 *    log is read here: ext4magic misreads checksum-v3 journals, the default since e2fsprogs 1.43);
 *    jbd2 (Linux 6.1) starts writing at the log's first block again on every mount, so the
 *    copies of a file saved early in one mount session are gone after the next session's
 *    first transactions: such a file is found only by carving;
 *  - FAT12/16/32: directory entries marked 0xE5 (long names included), read as contiguous
 *    clusters that are still free;
 *  - exFAT: file entry sets with their in-use bit cleared, read along the FAT chain the
 *    driver leaves behind, or as one run for the contiguous (NoFatChain) ones;
 *  - NTFS: ntfsundelete (its scan is parsed here, its -u restores).
 * Everything on the disk is hostile: every offset and length is checked against the buffer and
 * the device, names are kept raw (sanitize before display), lists are bounded.
 */

#define RESTORE_MAX_FILES 4096
#define RESTORE_MAX_EXTENTS 64

enum restore_fs {
	RESTORE_EXT4,
	RESTORE_FAT,
	RESTORE_NTFS,
	RESTORE_EXFAT,
};

struct restore_extent {
	uint64_t logical; /* in filesystem blocks (ext4) */
	uint64_t phys;
	uint64_t len;
	bool unwritten;
};

struct restore_file {
	char path[1024];  /* as the filesystem knows it, from its root; raw bytes */
	char name[256];   /* the last component, raw */
	uint64_t size;
	int64_t deleted;  /* Unix time of the deletion, or 0 when the filesystem does not keep it */
	int64_t modified; /* last modification, or 0 */
	int percent;      /* of its data blocks that are still free (not reused) */
	uint64_t id;      /* inode (ext4, NTFS) or first cluster (FAT) */
	uint32_t block_size;
	struct restore_extent ext[RESTORE_MAX_EXTENTS];
	int n_ext;
};

struct restore_list {
	struct restore_file *files;
	size_t n, cap;
	bool truncated; /* more than RESTORE_MAX_FILES */
};

void restore_list_free(struct restore_list *l);

/* Scans the filesystem on the device open as FD; 0 or a negative errno (-EINVAL: not this fs). */
int restore_ext4_scan(int fd, struct restore_list *ret);
int restore_fat_scan(int fd, struct restore_list *ret);
int restore_exfat_scan(int fd, struct restore_list *ret);

/*
 * Copies F's data from the device FD to OUT_FD (size bytes, holes as zeros), hashing it; 0 or a
 * negative errno.
 */
int restore_read_file(int fd, enum restore_fs fs, const struct restore_file *f, int out_fd,
		      char sha256[65]);

/* Pure parsers, unit-tested. */

/* One line of "ntfsundelete --scan": false for headers and what is not a file line. */
bool restore_ntfs_parse_line(const char *line, struct restore_file *ret);

/*
 * The parent folders "ntfsundelete --scan --verbose --parent" names (only the nearest one: "."
 * for the root) put into the paths of L's files: /NAME, or /?/PARENT/NAME.
 */
void restore_ntfs_apply_parents(const char *verbose, struct restore_list *l);

/*
 * Walks the entries of one ext4 directory block BUF (LEN bytes), calling FN for each used entry
 * (not the checksum tail).  Stops at the first entry that does not fit; returns how many were
 * good, or -EINVAL when the block does not look like a directory block at all.
 */
int restore_ext4_dir_entries(const uint8_t *buf, size_t len,
			     void (*fn)(void *data, uint32_t ino, const char *name, size_t name_len,
					uint8_t type),
			     void *data);

/* The extents an ext4 inode's i_block (60 bytes) holds in its root node; -EINVAL if none. */
int restore_ext4_inline_extents(const uint8_t *i_block, struct restore_extent *ext, int max,
				int *ret_depth);

/*
 * The filesystem block numbers the journal block tags of one jbd2 descriptor block describe.
 * TAG_BYTES as jbd2 (8, 12, 16 with checksum v3).  Returns their count (at most MAX).
 */
int restore_jbd2_tags(const uint8_t *buf, size_t len, size_t tag_bytes, bool csum3, bool is64,
		      uint64_t *blocks, int max);

/*
 * One FAT directory entry run: the long name (from the UCS-2 parts of the VFAT entries that
 * precede it, nearest first) into OUT as UTF-8; '?' for what cannot be shown as UTF-8.
 */
void restore_fat_long_name(const uint16_t *ucs2, size_t n, char *out, size_t size);

/* A file name from a disk as a safe name inside a destination folder (no '/', no "..", no
 * control characters or invalid UTF-8); never empty. */
void restore_safe_name(const char *name, char *out, size_t size);
