#include "private-file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write the temporary file @tmp in @dfd; it exists only if this returns 0. */
static int write_tmp(int dfd, const char *tmp, const void *data, size_t len, mode_t mode)
{
	int fd, r;

	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0) {
		return -errno;
	}
	/* The umask may have taken bits away: a certificate must stay readable by all. */
	r = fchmod(fd, mode) < 0 ? -errno : 0;
	if (r == 0) {
		r = write_all(fd, data, len);
	}
	if (r == 0 && fsync(fd) < 0) {
		r = -errno;
	}
	if (close(fd) < 0 && r == 0) {
		r = -errno;
	}
	if (r < 0) {
		unlinkat(dfd, tmp, 0);
	}
	return r;
}

int private_file_write(const char *path, const void *data, size_t len, mode_t mode)
{
	char dir[PATH_MAX], tmp[NAME_MAX + 1];
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	int dfd, r;

	/* Everything below goes through the directory's fd, so the temporary file and the rename
	 * stay in the one directory that is synced at the end. */
	if (slash) {
		size_t dlen = slash == path ? 1 : (size_t)(slash - path);

		if (dlen >= sizeof(dir)) {
			return -ENAMETOOLONG;
		}
		memcpy(dir, path, dlen);
		dir[dlen] = '\0';
	} else {
		snprintf(dir, sizeof(dir), ".");
	}
	if (!*name) {
		return -EISDIR;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp)) {
		return -ENAMETOOLONG;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		return -errno;
	}
	/* A leftover of an earlier run, or a link planted there, goes; should one reappear before
	 * the open, O_EXCL | O_NOFOLLOW refuses it. */
	unlinkat(dfd, tmp, 0);
	r = write_tmp(dfd, tmp, data, len, mode);
	if (r < 0) {
		goto out;
	}
	if (renameat(dfd, tmp, dfd, name) < 0) {
		r = -errno;
		unlinkat(dfd, tmp, 0);
		goto out;
	}
	/* The rename itself must survive a power cut too. */
	if (fsync(dfd) < 0) {
		r = -errno;
	}
out:
	close(dfd);
	return r;
}
