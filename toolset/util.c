#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int open_resolved(int root_fd, const char *path, int flags, mode_t mode,
			 unsigned long long resolve)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
	};
	while (*path == '/') {
		path++;
	}
	long fd = syscall(SYS_openat2, root_fd, *path ? path : ".", &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

int util_open_in_root(int root_fd, const char *path, int flags, mode_t mode)
{
	return open_resolved(root_fd, path, flags, mode, RESOLVE_NO_XDEV);
}

int util_open_in_tree(int root_fd, const char *path, int flags, mode_t mode)
{
	return open_resolved(root_fd, path, flags, mode, 0);
}

static int read_fd(int fd, size_t max, char **ret, size_t *ret_len)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	if ((unsigned long long)st.st_size > max) {
		return -EFBIG;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		return -ENOMEM;
	}
	size_t len = 0;
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			int e = -errno;
			free(buf);
			return e;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = buf;
	if (ret_len) {
		*ret_len = len;
	}
	return 0;
}

DIR *util_opendir_in_root(const char *root, const char *path)
{
	int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		return NULL;
	}
	int fd = util_open_in_root(rfd, path, O_RDONLY | O_DIRECTORY, 0);
	close(rfd);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return d;
}

int util_read_in_root(const char *root, const char *path, size_t max, char **ret, size_t *ret_len)
{
	int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		return -errno;
	}
	int fd = util_open_in_root(rfd, path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	close(rfd);
	if (fd == -ELOOP) {
		/* the last component is a symlink: follow it, still inside ROOT */
		rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rfd < 0) {
			return -errno;
		}
		fd = util_open_in_root(rfd, path, O_RDONLY | O_NONBLOCK, 0);
		close(rfd);
	}
	if (fd < 0) {
		return fd;
	}
	int r = read_fd(fd, max, ret, ret_len);
	close(fd);
	return r;
}

int util_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		return -errno;
	}
	int r = read_fd(fd, max, ret, ret_len);
	close(fd);
	return r;
}

int util_open_parent_in_root(const char *root, const char *path, const char **ret_base)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dlen = slash ? (size_t)(slash - path) : 0;

	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || dlen >= sizeof(dir)) {
		return -EINVAL;
	}
	memcpy(dir, path, dlen);
	dir[dlen] = '\0';
	int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		return -errno;
	}
	int dfd = util_open_in_root(rfd, dlen ? dir : ".", O_PATH | O_DIRECTORY, 0);
	close(rfd);
	if (dfd >= 0) {
		*ret_base = base;
	}
	return dfd;
}

int util_write_all(int fd, const void *data, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w < 0) {
			return -errno;
		}
		off += (size_t)w;
	}
	return 0;
}

int util_write_in_root(const char *root, const char *path, const char *data, size_t len,
		       mode_t mode)
{
	const char *base;
	char tmp[512];
	int dfd = util_open_parent_in_root(root, path, &base);
	if (dfd < 0) {
		return dfd;
	}
	struct stat st;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode)) {
		close(dfd);
		return -EINVAL; /* never replace a symlink or a device with a file */
	}
	int n = snprintf(tmp, sizeof(tmp), ".%s.lifeline-new", base);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		close(dfd);
		return -ENAMETOOLONG;
	}
	unlinkat(dfd, tmp, 0);
	int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		int e = -errno;
		close(dfd);
		return e;
	}
	int e = util_write_all(fd, data, len);
	if (e == 0 && (fchmod(fd, mode) < 0 || fsync(fd) < 0)) {
		e = -errno;
	}
	close(fd);
	if (e == 0 && renameat(dfd, tmp, dfd, base) < 0) {
		e = -errno;
	}
	if (e < 0) {
		unlinkat(dfd, tmp, 0);
	}
	close(dfd);
	return e;
}

void util_sanitize(char *dst, size_t size, const char *s)
{
	size_t o = 0;
	if (size == 0) {
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p && o + 1 < size;) {
		unsigned char c = *p;
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 :
				      (c & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = n > 0;
		for (size_t i = 1; ok && i < n; i++) {
			ok = (p[i] & 0xc0) == 0x80;
		}
		if (n == 1 && (c < 0x20 || c == 0x7f)) {
			ok = c == '\t';
		}
		/* C1 controls (U+0080..U+009F) start escape sequences on some terminals */
		if (n == 2 && c == 0xc2 && p[1] < 0xa0) {
			ok = false;
		}
		if (!ok || o + n >= size) {
			dst[o++] = '?';
			p += 1;
			continue;
		}
		memcpy(dst + o, p, n);
		o += n;
		p += n;
	}
	dst[o] = '\0';
}

void util_utc_stamp(char *buf, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int util_mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t len = strlen(path);
	if (len >= sizeof(buf)) {
		return -ENAMETOOLONG;
	}
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/') {
			continue;
		}
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST) {
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST) {
		return -errno;
	}
	return 0;
}

bool util_startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

char *util_strip(char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
		s++;
	}
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) {
		s[--n] = '\0';
	}
	return s;
}
