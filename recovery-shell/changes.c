#include "changes.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paste.h"

/* Code points that must not reach the screen as themselves: controls, and those that reorder
 * or break the text around them (a line that reads backwards is a line that lies). */
static bool hidden(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x061c || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void shell_changes_clean(const char *in, size_t len, char *out, size_t size)
{
	static const char ellipsis[] = "…";
	const unsigned char *s = (const unsigned char *)in;
	/* mark: the last character boundary after which "…" and the NUL still fit */
	size_t o = 0, mark = 0;

	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int k = shell_utf8_decode(s + i, len - i, &cp);
		const char *put = (const char *)s + i;
		size_t n = k > 0 ? (size_t)k : 1;

		i += n;
		if (k < 0 || hidden(cp)) {
			put = k > 0 && cp == '\t' ? " " : "?";
			n = 1;
		}
		if (o + sizeof(ellipsis) <= size) {
			mark = o;
		}
		if (o + n + 1 > size) {
			memcpy(out + mark, ellipsis, sizeof(ellipsis) - 1);
			o = mark + sizeof(ellipsis) - 1;
			break;
		}
		memcpy(out + o, put, n);
		o += n;
	}
	out[o] = '\0';
}

size_t shell_changes_tail(const char *text, size_t len, bool cut_start,
			  char (*out)[SHELL_CHANGE_TEXT], size_t max)
{
	size_t end = len, n = 0;

	if (max == 0) {
		return 0;
	}
	/* Walk back line by line, filling out from its end; then move what was found to the
	 * front. */
	while (end > 0 && n < max) {
		size_t start = end;

		if (text[end - 1] == '\n') {
			end--;
			start = end;
		}
		while (start > 0 && text[start - 1] != '\n') {
			start--;
		}
		if (start == 0 && cut_start) {
			break;
		}
		if (end > start) {
			n++;
			shell_changes_clean(text + start, end - start, out[max - n],
					    SHELL_CHANGE_TEXT);
		}
		end = start;
	}
	if (n < max) {
		memmove(out, out + (max - n), n * sizeof(out[0]));
	}
	return n;
}

int shell_changes_read(const char *path, char (*out)[SHELL_CHANGE_TEXT], size_t max, size_t *ret_n)
{
	char buf[SHELL_CHANGES_READ];
	struct stat st;
	off_t from = 0;
	size_t got = 0;
	int fd, r = 0;

	/* O_NONBLOCK: a FIFO planted in its place must not stop the console. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT) {
			*ret_n = 0;
			return 0;
		}
		return -errno;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if (st.st_size > (off_t)sizeof(buf)) {
		from = st.st_size - (off_t)sizeof(buf);
	}
	while (got < sizeof(buf)) {
		ssize_t k = pread(fd, buf + got, sizeof(buf) - got, from + (off_t)got);

		if (k < 0 && errno == EINTR) {
			continue;
		}
		if (k < 0) {
			r = -errno;
			goto out;
		}
		if (k == 0) {
			break;
		}
		got += (size_t)k;
	}
	/* Starting at an offset, the first byte may begin a line only if a newline precedes it;
	 * shell_changes_tail() drops the piece otherwise. */
	if (from > 0) {
		char before;

		if (pread(fd, &before, 1, from - 1) == 1 && before == '\n') {
			from = 0;
		}
	}
	*ret_n = shell_changes_tail(buf, got, from > 0, out, max);
out:
	close(fd);
	return r;
}

int shell_changes_watch_open(const char *dir)
{
	int fd, r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		return -errno;
	}
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	if (inotify_add_watch(fd, dir,
			      IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
				      IN_MOVED_TO | IN_ONLYDIR) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

bool shell_changes_watch_drain(int fd, const char *name, bool *ret_lost)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool hit = false;

	*ret_lost = false;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			if (ev->mask & (IN_IGNORED | IN_Q_OVERFLOW)) {
				/* The directory went (or events were lost): read again anyway. */
				*ret_lost = *ret_lost || (ev->mask & IN_IGNORED);
				hit = true;
			} else if (ev->len && strcmp(ev->name, name) == 0) {
				hit = true;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	return hit;
}
