#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Small helpers shared by the tools: bounded reads inside an installed system's root, text. */

#define UTIL_TEXT_MAX (1u << 20) /* the largest text file a tool reads from a disk */

/*
 * Opens PATH (relative or absolute) inside the directory ROOT_FD as if ROOT_FD were "/": symlinks
 * on the disk cannot lead out of it (openat2 RESOLVE_IN_ROOT).  Returns an fd or a negative errno.
 */
int util_open_in_root(int root_fd, const char *path, int flags, mode_t mode);
/*
 * The same, except that PATH may cross into filesystems mounted inside ROOT_FD: an installed
 * system's /home or /srv that target_open(TARGET_ALL) mounted there (search, copy).
 */
int util_open_in_tree(int root_fd, const char *path, int flags, mode_t mode);

/* Reads a regular file of at most MAX bytes inside ROOT (a directory path); NUL-terminated. */
int util_read_in_root(const char *root, const char *path, size_t max, char **ret, size_t *ret_len);
int util_read_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* Opens the directory that holds PATH inside ROOT (O_PATH); *RET_BASE is the last component. */
int util_open_parent_in_root(const char *root, const char *path, const char **ret_base);

/* Opens the directory PATH inside ROOT for reading (RESOLVE_IN_ROOT); NULL with errno set. */
DIR *util_opendir_in_root(const char *root, const char *path);

/* Writes all LEN bytes of DATA to FD (again after EINTR); 0 or a negative errno. */
int util_write_all(int fd, const void *data, size_t len);

/* Writes DATA to PATH inside ROOT atomically (temporary file, fsync, rename), keeping MODE. */
int util_write_in_root(const char *root, const char *path, const char *data, size_t len,
		       mode_t mode);

/* Copies S into a display-safe form: control characters and invalid UTF-8 become '?'. */
void util_sanitize(char *dst, size_t size, const char *s);

/* UTC time as 2026-12-07T06:50:00Z. */
void util_utc_stamp(char *buf, size_t size);

/* mkdir -p with MODE; 0 or a negative errno. */
int util_mkdir_p(const char *path, mode_t mode);

/* Strings */
bool util_startswith(const char *s, const char *prefix);
char *util_strip(char *s);
