#include "last-input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void shell_last_input_init(struct shell_last_input *li, const char *dir)
{
	snprintf(li->dir, sizeof(li->dir), "%s", dir);
	li->written = -1;
}

const char *shell_last_input_word(enum shell_source source)
{
	return source == SHELL_SOURCE_REMOTE ? "helpdesk" : "keyboard";
}

int shell_last_input_note(struct shell_last_input *li, enum shell_source source)
{
	char path[300], tmp[320], line[16];
	int fd, r;

	if (li->written == (int)source) {
		return 0;
	}
	if (mkdir(li->dir, 0700) < 0 && errno != EEXIST) {
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/%s", li->dir, SHELL_LAST_INPUT_FILE);
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d", li->dir, SHELL_LAST_INPUT_FILE, (int)getpid());
	snprintf(line, sizeof(line), "%s\n", shell_last_input_word(source));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		return -errno;
	}
	/* The umask must not take the readers' bits away. Nine bytes to a new file: one write. */
	r = fchmod(fd, 0644) < 0 ? -errno : 0;
	if (r == 0) {
		ssize_t n = write(fd, line, strlen(line));

		r = n < 0 ? -errno : (size_t)n != strlen(line) ? -EIO : 0;
	}
	if (close(fd) < 0 && r == 0) {
		r = -errno;
	}
	if (r == 0 && rename(tmp, path) < 0) {
		r = -errno;
	}
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	li->written = (int)source;
	return 1;
}
