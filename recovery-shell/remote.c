#include "remote.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The longest line the server sends: a text-bearing event (docs/control-protocol.md). */
#define REMOTE_MAX_LINE (1024 * 1024 + 1)

struct shell_remote {
	char *socket_path;
	char **server_argv;
	char *server_log;
	int fd;
	pid_t server_pid;
	size_t len;
	char buf[REMOTE_MAX_LINE];
};

int shell_remote_create(const struct shell_remote_options *opts, struct shell_remote **ret)
{
	struct shell_remote *r = calloc(1, sizeof(*r));
	size_t n = 0;

	if (!r) {
		return -ENOMEM;
	}
	r->fd = -1;
	r->socket_path =
		strdup(opts->socket_path ? opts->socket_path : "/run/lifeline/control.sock");
	r->server_log = strdup(opts->server_log ? opts->server_log : "/run/lifeline-server.log");
	while (opts->server_argv && opts->server_argv[n]) {
		n++;
	}
	r->server_argv = calloc(n + 1, sizeof(char *));
	if (!r->socket_path || !r->server_log || !r->server_argv) {
		shell_remote_destroy(r);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		r->server_argv[i] = strdup(opts->server_argv[i]);
		if (!r->server_argv[i]) {
			shell_remote_destroy(r);
			return -ENOMEM;
		}
	}
	*ret = r;
	return 0;
}

void shell_remote_destroy(struct shell_remote *r)
{
	if (!r) {
		return;
	}
	shell_remote_disconnect(r);
	for (size_t i = 0; r->server_argv && r->server_argv[i]; i++) {
		free(r->server_argv[i]);
	}
	free(r->server_argv);
	free(r->socket_path);
	free(r->server_log);
	free(r);
}

int shell_remote_connect(struct shell_remote *r)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (r->fd >= 0) {
		return 0;
	}
	if (strlen(r->socket_path) >= sizeof(sa.sun_path)) {
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, r->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	r->fd = fd;
	r->len = 0;
	return 0;
}

bool shell_remote_connected(const struct shell_remote *r)
{
	return r->fd >= 0;
}

void shell_remote_disconnect(struct shell_remote *r)
{
	if (r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
	explicit_bzero(r->buf, sizeof(r->buf));
	r->len = 0;
}

pid_t shell_remote_spawn(struct shell_remote *r)
{
	pid_t pid;

	if (!r->server_argv[0]) {
		return -EINVAL;
	}
	pid = fork();
	if (pid < 0) {
		return -errno;
	}
	if (pid == 0) {
		sigset_t none;
		int fd;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Its own session: it outlives the shell and does not get the shell's signals. */
		setsid();
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 0);
		}
		fd = open(r->server_log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(r->server_argv[0], r->server_argv);
		dprintf(2, "lifeline-shell: cannot run %s: %s\n", r->server_argv[0],
			strerror(errno));
		_exit(127);
	}
	r->server_pid = pid;
	return pid;
}

pid_t shell_remote_server_pid(const struct shell_remote *r)
{
	return r->server_pid;
}

void shell_remote_server_gone(struct shell_remote *r)
{
	r->server_pid = 0;
}

int shell_remote_get_fd(const struct shell_remote *r)
{
	return r->fd;
}

static void lost(struct shell_remote *r, shell_remote_event_fn fn, void *data)
{
	struct shell_control_event ev = { .kind = SHELL_CONTROL_LOST };

	shell_remote_disconnect(r);
	fn(data, &ev);
}

int shell_remote_dispatch(struct shell_remote *r, shell_remote_event_fn fn, void *data)
{
	for (;;) {
		ssize_t n;
		char *nl;

		if (r->fd < 0) {
			return -ENOTCONN;
		}
		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			return 0;
		}
		if (n <= 0) {
			lost(r, fn, data);
			return 0;
		}
		r->len += (size_t)n;
		while ((nl = memchr(r->buf, '\n', r->len))) {
			struct shell_control_event ev;
			size_t line = (size_t)(nl - r->buf);

			if (shell_control_parse(r->buf, line, &ev) == 0) {
				fn(data, &ev);
				shell_control_event_clear(&ev);
			}
			memmove(r->buf, nl + 1, r->len - line - 1);
			r->len -= line + 1;
			explicit_bzero(r->buf + r->len, line + 1);
		}
		if (r->len == sizeof(r->buf)) {
			/* A line longer than anything the protocol sends: drop the link. */
			lost(r, fn, data);
			return -EPROTO;
		}
	}
}

int shell_remote_send_copy(struct shell_remote *r, const char *text, size_t len)
{
	size_t line_len, off = 0;
	int waited_ms = 0, ret = 0;
	char *line;

	if (r->fd < 0) {
		return -ENOTCONN;
	}
	ret = shell_control_format_copy(text, len, &line, &line_len);
	if (ret < 0) {
		return ret;
	}
	if (line_len > REMOTE_MAX_LINE) {
		ret = -EFBIG;
	}
	/* The socket is non-blocking; the server reads at once, so a long line waits briefly. */
	while (ret == 0 && off < line_len) {
		ssize_t n = send(r->fd, line + off, line_len - off, MSG_NOSIGNAL);
		struct pollfd pfd = { .fd = r->fd, .events = POLLOUT };

		if (n > 0) {
			off += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN && waited_ms < 2000) {
			poll(&pfd, 1, 100);
			waited_ms += 100;
		} else {
			ret = n < 0 && errno != EAGAIN ? -errno : -EIO;
		}
	}
	explicit_bzero(line, line_len);
	free(line);
	return ret;
}

int shell_remote_send(struct shell_remote *r, enum shell_command cmd, bool enabled)
{
	char line[128];
	int len = shell_control_format(cmd, enabled, line, sizeof(line));
	ssize_t n;

	if (len < 0) {
		return len;
	}
	if (r->fd < 0) {
		return -ENOTCONN;
	}
	n = send(r->fd, line, (size_t)len, MSG_NOSIGNAL);
	if (n < 0) {
		return -errno;
	}
	return n == len ? 0 : -EIO;
}
