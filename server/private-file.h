#pragma once

#include <stddef.h>
#include <sys/types.h>

/*
 * Replace the file at @path with @len bytes of @data and permissions exactly @mode (the umask
 * does not apply), so that a reader sees either the old file or the whole new one. The bytes go
 * to "<path>.tmp", created exclusively with @mode and without following a link (a stale file or
 * link of that name is removed first), are synced, and the temporary file is renamed over @path
 * (a link at @path is replaced, not followed); then the directory is synced. 0, or -errno. On an
 * error no temporary file is left and @path is untouched, except when only the final directory
 * sync fails: the new file is in place then.
 */
int private_file_write(const char *path, const void *data, size_t len, mode_t mode);
