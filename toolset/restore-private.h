#pragma once

#include "restore.h"

#include <stdint.h>

/* What the readers of restore.c, restore-ext4.c and restore-fat.c share. */

static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* LEN bytes at OFF, all of them; -EIO past the end of the device. */
int restore_pread(int fd, void *buf, size_t len, uint64_t off);

/* A new zeroed entry at the end of L; NULL when full (L->truncated is set) or out of memory. */
struct restore_file *restore_list_add(struct restore_list *l);

/* Where cluster 2 of the FAT or exFAT volume on FD starts (bytes); 0 or a negative errno. */
int restore_fat_cluster2(int fd, enum restore_fs fs, uint64_t *ret);
