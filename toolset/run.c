#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct sink {
	char *buf;
	size_t len, cap;
	int show_fd; /* -1: do not copy */
	bool keep;
};

static void sink_add(struct sink *s, const char *data, size_t n, bool *truncated)
{
	if (s->show_fd >= 0) {
		size_t off = 0;
		while (off < n) {
			ssize_t w = write(s->show_fd, data + off, n - off);
			if (w < 0 && errno == EINTR) {
				continue;
			}
			if (w <= 0) {
				break;
			}
			off += (size_t)w;
		}
	}
	if (!s->keep) {
		return;
	}
	if (s->len + n > RUN_CAPTURE_MAX) {
		*truncated = true;
		n = RUN_CAPTURE_MAX - s->len;
	}
	if (s->len + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n + 1) {
			cap *= 2;
		}
		char *b = realloc(s->buf, cap);
		if (!b) {
			*truncated = true;
			return;
		}
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static void child_close_other_fds(void)
{
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0) {
		return;
	}
#endif
	long max = sysconf(_SC_OPEN_MAX);
	for (long fd = 3; fd < (max > 0 ? max : 1024); fd++) {
		close((int)fd);
	}
}

static void __attribute__((noreturn)) child(const struct run_spec *spec, int in_fd, int out_fd,
					    int err_fd)
{
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (in_fd < 0) {
		in_fd = devnull;
	}
	if (out_fd < 0) {
		out_fd = devnull;
	}
	if (err_fd < 0) {
		err_fd = devnull;
	}
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) {
		_exit(127);
	}
	child_close_other_fds();
	signal(SIGPIPE, SIG_DFL);
	if (spec->root) {
		if (chroot(spec->root) < 0 || chdir("/") < 0) {
			dprintf(2, "cannot enter %s: %s\n", spec->root, strerror(errno));
			_exit(127);
		}
	}
	if (spec->cwd && chdir(spec->cwd) < 0) {
		dprintf(2, "cannot enter %s: %s\n", spec->cwd, strerror(errno));
		_exit(127);
	}
	/* LVM complains about every inherited fd; the others are closed anyway. */
	setenv("LVM_SUPPRESS_FD_WARNINGS", "1", 1);
	if (!getenv("PATH") || spec->root) {
		setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	}
	for (const char *const *e = spec->env; e && *e; e++) {
		putenv((char *)*e);
	}
	execvp(spec->argv[0], (char *const *)spec->argv);
	_exit(errno == ENOENT ? 127 : 126);
}

int run(const struct run_spec *spec, struct run_result *ret)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct run_result r = { 0 };
	int e = 0;

	if (!spec->argv || !spec->argv[0]) {
		return -EINVAL;
	}
	if (spec->input && pipe2(in, O_CLOEXEC) < 0) {
		return -errno;
	}
	bool want_out = spec->capture || spec->show;
	if (want_out && (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)) {
		e = -errno;
		goto err_pipes;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		e = -errno;
		goto err_pipes;
	}
	if (pid == 0) {
		child(spec, in[0], out[1], spec->merge ? out[1] : err[1]);
	}
	if (in[0] >= 0) {
		close(in[0]);
		in[0] = -1;
	}
	if (out[1] >= 0) {
		close(out[1]);
		out[1] = -1;
	}
	if (err[1] >= 0) {
		close(err[1]);
		err[1] = -1;
	}

	struct sink sinks[2] = {
		{ .show_fd = spec->show ? 1 : -1, .keep = spec->capture },
		{ .show_fd = spec->show ? 2 : -1, .keep = spec->capture },
	};
	size_t in_off = 0;
	if (in[1] >= 0) {
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	}
	void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
	for (;;) {
		struct pollfd p[3] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 },
				       { in[1], POLLOUT, 0 } };
		if (p[0].fd < 0 && p[1].fd < 0 && p[2].fd < 0) {
			break;
		}
		if (in[1] >= 0 && in_off >= spec->input_len) {
			close(in[1]);
			in[1] = -1;
			continue;
		}
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR) {
				continue;
			}
			e = -errno;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				continue;
			}
			char buf[8192];
			ssize_t n = read(p[i].fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR) {
				continue;
			}
			if (n <= 0) {
				close(p[i].fd);
				if (i == 0) {
					out[0] = -1;
				} else {
					err[0] = -1;
				}
				continue;
			}
			sink_add(&sinks[i], buf, (size_t)n, &r.truncated);
		}
		if (p[2].fd >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(in[1], spec->input + in_off, spec->input_len - in_off);
			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				continue;
			}
			if (n < 0) {
				in_off = spec->input_len; /* the child closed its stdin */
			} else {
				in_off += (size_t)n;
			}
		}
	}
	signal(SIGPIPE, old_pipe);

	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			st = 127 << 8;
			break;
		}
	}
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (spec->capture) {
		r.out = sinks[0].buf ? sinks[0].buf : strdup("");
		r.out_len = sinks[0].len;
		r.err = sinks[1].buf ? sinks[1].buf : strdup("");
		r.err_len = sinks[1].len;
	}
	*ret = r;
	if (e == 0 && r.status == 127 && !run_have(spec->root, spec->argv[0])) {
		return -ENOENT;
	}
	return e;

err_pipes:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0) {
			close(in[i]);
		}
		if (out[i] >= 0) {
			close(out[i]);
		}
		if (err[i] >= 0) {
			close(err[i]);
		}
	}
	return e;
}

void run_result_clear(struct run_result *r)
{
	if (!r) {
		return;
	}
	free(r->out);
	free(r->err);
	*r = (struct run_result){ 0 };
}

int run_capture(const char *const *argv, struct run_result *ret)
{
	struct run_spec spec = { .argv = argv, .capture = true };
	return run(&spec, ret);
}

bool run_have(const char *root, const char *prog)
{
	char path[4096];
	struct stat st;

	if (strchr(prog, '/')) {
		snprintf(path, sizeof(path), "%s%s", root ? root : "", prog);
		return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
	}
	static const char *const dirs[] = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin",
					    "/usr/bin", "/sbin", "/bin" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s/%s", root ? root : "", dirs[i], prog);
		/* inside ROOT an absolute symlink would resolve on the live system: lstat is enough */
		if ((root ? lstat(path, &st) : stat(path, &st)) == 0 &&
		    (S_ISLNK(st.st_mode) || (S_ISREG(st.st_mode) && (st.st_mode & 0111)))) {
			return true;
		}
	}
	return false;
}
