#include "audit.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

const char *audit_origin(void)
{
	static char buf[32];
	const char *o = getenv("LIFELINE_ORIGIN");
	if (o && (!strcmp(o, "keyboard") || !strcmp(o, "helpdesk") || !strcmp(o, "serial line") ||
		  !strcmp(o, "script"))) {
		return o;
	}
	if (getenv("LIFELINE_PANE")) {
		/* lifeline-shell writes who typed last into the console */
		char *text = NULL;
		if (util_read_file("/run/lifeline/last-input", 64, &text, NULL) == 0) {
			snprintf(buf, sizeof(buf), "%s",
				 util_startswith(text, "helpdesk") ? "helpdesk" : "keyboard");
			free(text);
			return buf;
		}
		return "keyboard";
	}
	if (isatty(0)) {
		const char *tty = ttyname(0);
		return tty && util_startswith(tty, "/dev/ttyS") ? "serial line" : "terminal";
	}
	return "script";
}

static void stamp_compact(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, size, "%Y%m%d-%H%M%S", &tm);
}

static int copy_fd(int in, int out)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return -errno;
		}
		if (n == 0) {
			return 0;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR) {
				continue;
			}
			if (w < 0) {
				return -errno;
			}
			off += w;
		}
	}
}

/* mkdir of one directory (its parent resolved inside the root); an existing one is fine */
static int mkdir_in_root(int rfd, const char *rel)
{
	const char *base = strrchr(rel, '/');
	char parent[256];
	snprintf(parent, sizeof(parent), "%.*s", base ? (int)(base - rel) : 0, rel);
	int dfd = util_open_in_root(rfd, parent[0] ? parent : "/", O_PATH | O_DIRECTORY, 0);
	if (dfd < 0) {
		return dfd;
	}
	int e = mkdirat(dfd, base ? base + 1 : rel, 0755) < 0 && errno != EEXIST ? -errno : 0;
	close(dfd);
	return e;
}

int audit_backup(const struct target *t, const char *tool, const char *rel, char *where,
		 size_t where_size)
{
	char stamp[32], flat[256], dir[512], path[800];
	int rfd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		return -errno;
	}
	int in = util_open_in_root(rfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
	if (in == -ENOENT) {
		close(rfd);
		return 0;
	}
	if (in < 0) {
		close(rfd);
		return in;
	}
	stamp_compact(stamp, sizeof(stamp));
	size_t o = 0;
	for (const char *p = rel; *p && o + 1 < sizeof(flat); p++) {
		if (o == 0 && *p == '/') {
			continue;
		}
		flat[o++] = *p == '/' ? '_' : *p;
	}
	flat[o] = '\0';

	int e = 0;
	/* on the system: /var/backups/lifeline/STAMP-TOOL/FLAT (Windows: /Lifeline/backups/...) */
	if (t->flags & TARGET_RW) {
		bool windows = t->sys->kind == SYSTEMS_WINDOWS;
		snprintf(dir, sizeof(dir), "%s/%s-%s-%d",
			 windows ? AUDIT_WINDOWS_BACKUPS : AUDIT_TARGET_BACKUPS, stamp, tool,
			 (int)getpid());
		char full[800];
		snprintf(full, sizeof(full), "%s%s", t->root, dir);
		/* /var/backups exists on every Debian system; refuse to follow links out of it (our
		 * own folder on a Windows volume is made here, as a directory, not a link) */
		e = windows ? mkdir_in_root(rfd, "/Lifeline") : 0;
		int vfd = e < 0 ? e :
				  util_open_in_root(rfd, windows ? "/Lifeline" : "/var/backups",
						    O_PATH | O_DIRECTORY, 0);
		if (vfd < 0) {
			e = vfd;
		} else {
			close(vfd);
			e = util_mkdir_p(full, 0700);
		}
		if (e == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, flat);
			int out = util_open_in_root(rfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
						    0600);
			e = out < 0 ? out : copy_fd(in, out);
			if (out >= 0) {
				fsync(out);
				close(out);
			}
			if (e == 0 && where) {
				snprintf(where, where_size, "%s", path);
			}
		}
	}
	/* in the recovery system too: /run/lifeline/backups/ID/STAMP-TOOL/FLAT */
	if (lseek(in, 0, SEEK_SET) == 0) {
		snprintf(dir, sizeof(dir), "%s/%s/%s-%s-%d", AUDIT_LIVE_BACKUPS, t->sys->id, stamp, tool,
			 (int)getpid());
		if (util_mkdir_p(dir, 0700) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, flat);
			int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (out >= 0) {
				copy_fd(in, out);
				close(out);
			}
		}
	}
	close(in);
	close(rfd);
	return e;
}

int audit_keep(const char *tool, const char *name, const void *data, size_t len, char *where,
	       size_t where_size)
{
	char stamp[32], dir[512], path[800];
	stamp_compact(stamp, sizeof(stamp));
	snprintf(dir, sizeof(dir), "%s/live/%s-%s-%d", AUDIT_LIVE_BACKUPS, stamp, tool, (int)getpid());
	int e = util_mkdir_p(dir, 0700);
	if (e < 0) {
		return e;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		return -errno;
	}
	e = util_write_all(fd, data, len);
	if (e == 0 && fsync(fd) < 0) {
		e = -errno;
	}
	close(fd);
	if (e == 0 && where) {
		snprintf(where, where_size, "%s", path);
	}
	return e;
}

int audit_record(const struct target *t, const char *system_id, const char *tool, const char *fmt,
		 ...)
{
	char when[32], what[1024], line[1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	util_utc_stamp(when, sizeof(when));
	int n = snprintf(line, sizeof(line), "%s %s %s (%s): %s\n", when, system_id, tool,
			 audit_origin(), what);
	if (n < 0) {
		return -EINVAL;
	}
	size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;

	int e = 0;
	/* as lifeline-server and lifeline-shell make it: root only */
	util_mkdir_p("/run/lifeline", 0700);
	int fd = open(AUDIT_LIVE_LOG, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line, len) != (ssize_t)len) {
		e = -errno;
	}
	if (fd >= 0) {
		close(fd);
	}
	if (t && (t->flags & TARGET_RW)) {
		bool windows = t->sys->kind == SYSTEMS_WINDOWS;
		int rfd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rfd >= 0 && windows) {
			mkdir_in_root(rfd, "/Lifeline");
		}
		fd = rfd < 0 ? -errno :
			       util_open_in_root(rfd, windows ? AUDIT_WINDOWS_LOG : AUDIT_TARGET_LOG,
						 O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0600);
		if (rfd >= 0) {
			close(rfd);
		}
		if (fd < 0 || write(fd, line, len) != (ssize_t)len) {
			e = fd < 0 ? fd : -errno;
		}
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	return e;
}
