#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

/*
 * Walking a folder tree found on a disk (search, copy): openat/fstatat from a directory fd, never
 * following a symlink, bounded in depth and path length; a directory that cannot be read is
 * reported and the walk goes on.  And the pure parsers of the search criteria (unit-tested).
 */

#define WALK_DEPTH_MAX 256
#define WALK_PATH_MAX 4096

enum walk_event {
	WALK_ENTRY,      /* a file, link, device or (before its contents) a directory */
	WALK_LEAVE,      /* after a directory's contents */
	WALK_UNREADABLE, /* an entry or a directory that could not be read (error has the errno) */
};

struct walk_entry {
	int dfd;               /* the directory that holds it (its parent) */
	const char *name;      /* its name there */
	const char *path;      /* its path from the start of the walk ("" for the start) */
	const struct stat *st; /* NULL for WALK_UNREADABLE when not even stat worked */
	int depth;             /* 0 for the start */
	int error;             /* WALK_UNREADABLE: a positive errno */
};

#define WALK_CONTINUE 0
#define WALK_SKIP 1 /* from WALK_ENTRY of a directory: do not go in */

/* Called for every event; WALK_CONTINUE, WALK_SKIP, or a negative errno that ends the walk. */
typedef int walk_fn(void *data, enum walk_event ev, const struct walk_entry *e);

/*
 * Walks NAME inside the directory DFD (NAME "." for DFD itself), depth first.  0 when the walk
 * ran to its end (unreadable parts included), or the negative value FN returned to end it.
 */
int walk_tree(int dfd, const char *name, walk_fn *fn, void *data);

/* "512", "10K", "1.5M", "2G", "1T" (binary multiples; a trailing "B" or "iB" is fine). */
int walk_parse_size(const char *s, uint64_t *ret);

/*
 * "2026-12-01" (midnight UTC) or a time before NOW: "3 days", "2 weeks", "5 hours", "30 minutes",
 * "1 day ago", "3d", "12h".  0 or -EINVAL.
 */
int walk_parse_date(const char *s, time_t now, time_t *ret);
