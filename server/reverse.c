#include "reverse.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "private-file.h"

#define BACKOFF_FIRST_MS 2000
#define BACKOFF_MAX_MS   60000
#define STABLE_MS        60000

extern char **environ;

struct reverse {
	char *user_host, *port, *identity, *known_hosts, *ssh, *forward;
	reverse_status_fn fn;
	void *data;
	pthread_t thread;
	int stop_pipe[2]; /* written by reverse_stop: the thread ends ssh and returns */
	pid_t pid;
	char *made_key; /* the per-boot key's path, removed at the end; NULL for a baked one */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* user@host[:port]: user and host of letters, digits and . _ - (host also an IPv4 address or
 * a bracketed IPv6 one); nothing that ssh could read as an option. */
static int split_target(const char *t, char *user_host, size_t uhlen, unsigned *port)
{
	const char *at = strchr(t, '@'), *host, *colon;
	size_t hl;

	*port = 22;
	if (!at || at == t || t[0] == '-' ||
	    strspn(t, "abcdefghijklmnopqrstuvwxyz"
		      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != (size_t)(at - t)) {
		return -EINVAL;
	}
	host = at + 1;
	if (*host == '[') {
		const char *end = strchr(host, ']');

		if (!end ||
		    strspn(host + 1, "0123456789abcdefABCDEF:") != (size_t)(end - host - 1)) {
			return -EINVAL;
		}
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon) {
			return -EINVAL;
		}
		hl = (size_t)(end - host - 1);
		host++;
	} else {
		colon = strchr(host, ':');
		hl = colon ? (size_t)(colon - host) : strlen(host);
		if (!hl || host[0] == '-' ||
		    strspn(host,
			   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") !=
			    hl) {
			return -EINVAL;
		}
	}
	if (colon) {
		char *end;
		unsigned long p = strtoul(colon + 1, &end, 10);

		if (end == colon + 1 || *end || p < 1 || p > 65535) {
			return -EINVAL;
		}
		*port = (unsigned)p;
	}
	if ((size_t)(at - t) + 1 + hl + 1 > uhlen) {
		return -EINVAL;
	}
	snprintf(user_host, uhlen, "%.*s@%.*s", (int)(at - t), t, (int)hl, host);
	return 0;
}

/* "ssh-ed25519 AAAA..." or "ssh-ed25519:AAAA..." (a boot option has no blank) -> type, key */
static int split_host_key(const char *k, char *type, size_t tlen, char *key, size_t klen)
{
	size_t n = strcspn(k, " :");
	const char *b64 = k + n + (k[n] != '\0');

	if (!n || !k[n] || n >= tlen || strspn(k, "abcdefghijklmnopqrstuvwxyz0123456789-@.") != n ||
	    !*b64 ||
	    strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") !=
		    strlen(b64) ||
	    strlen(b64) >= klen) {
		return -EINVAL;
	}
	snprintf(type, tlen, "%.*s", (int)n, k);
	snprintf(key, klen, "%s", b64);
	return 0;
}

int reverse_config_check(const struct reverse_config *cfg, char *err, size_t errlen)
{
	char uh[300], type[64], key[2048];
	unsigned port;

	if (!cfg->target || split_target(cfg->target, uh, sizeof(uh), &port) < 0) {
		snprintf(err, errlen, "--reverse expects user@host[:port]");
		return -EINVAL;
	}
	if (!cfg->host_key) {
		snprintf(err, errlen,
			 "--reverse needs the bastion's host key (--reverse-host-key="
			 "\"ssh-ed25519 AAAA...\", from its /etc/ssh/ssh_host_*_key.pub)");
		return -EINVAL;
	}
	if (split_host_key(cfg->host_key, type, sizeof(type), key, sizeof(key)) < 0) {
		snprintf(err, errlen,
			 "--reverse-host-key expects \"TYPE BASE64\" (or TYPE:BASE64), "
			 "e.g. ssh-ed25519 AAAAC3Nza...");
		return -EINVAL;
	}
	return 0;
}

/* The server blocks SIGTERM, SIGINT and SIGHUP for its sigwait and ignores SIGPIPE; a child
 * inherits both through exec. ssh must start with an empty mask and default actions, or
 * reverse_stop's SIGTERM is never delivered and the tunnel outlives the server. */
static void child_signals(posix_spawnattr_t *attr)
{
	sigset_t none, defaults;

	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGHUP);
	sigaddset(&defaults, SIGPIPE);
	posix_spawnattr_init(attr);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &defaults);
	posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

/* Runs argv and waits (ssh-keygen). 0 when it exits 0. */
static int run_wait(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pid_t pid;
	int st, r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	child_signals(&attr);
	r = -posix_spawnp(&pid, argv[0], &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (r < 0) {
		return r;
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			return -errno;
		}
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static char *read_small(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		return NULL;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

/* One ssh run: starts it, reads its stderr for the allocated port, waits for it to exit. */
static bool run_ssh(struct reverse *r, char *reason, size_t rlen)
{
	char *argv[] = {
		r->ssh,
		"-N",
		"-T",
		"-F",
		"/dev/null",
		"-o",
		"BatchMode=yes",
		"-o",
		"ExitOnForwardFailure=yes",
		"-o",
		"ServerAliveInterval=15",
		"-o",
		"ServerAliveCountMax=3",
		"-o",
		"ConnectTimeout=15",
		"-o",
		"StrictHostKeyChecking=yes",
		"-o",
		"UpdateHostKeys=no",
		"-o",
		"GlobalKnownHostsFile=/dev/null",
		"-o",
		r->known_hosts,
		"-o",
		"IdentitiesOnly=yes",
		"-o",
		"PermitLocalCommand=no",
		"-o",
		"ClearAllForwardings=no",
		"-i",
		r->identity,
		"-p",
		r->port,
		"-R",
		r->forward,
		"--",
		r->user_host,
		NULL,
	};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	char buf[4096], last[256] = "";
	size_t len = 0;
	int pipefd[2], st, e;
	bool up = false;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		snprintf(reason, rlen, "pipe: %s", strerror(errno));
		return false;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	child_signals(&attr);
	e = posix_spawn(&r->pid, r->ssh, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (e) {
		close(pipefd[0]);
		r->pid = 0;
		snprintf(reason, rlen, "cannot run %s: %s", r->ssh, strerror(e));
		return false;
	}
	r->fn(r->data, REVERSE_CONNECTING, 0, NULL, 0);
	for (;;) {
		struct pollfd p[2] = { { .fd = pipefd[0], .events = POLLIN },
				       { .fd = r->stop_pipe[0], .events = POLLIN } };
		ssize_t n;
		char *nl;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR) {
				continue;
			}
			break;
		}
		if (p[1].revents) {
			kill(r->pid, SIGTERM);
			break;
		}
		n = read(pipefd[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			unsigned port;

			*nl = '\0';
			if (sscanf(buf, "Allocated port %u for remote forward", &port) == 1 &&
			    port > 0 && port < 65536) {
				up = true;
				r->fn(r->data, REVERSE_UP, port, NULL, 0);
			} else if (buf[0]) {
				/* printable ASCII only: it may quote the network */
				size_t j = 0;

				for (size_t i = 0; buf[i] && j + 1 < sizeof(last); i++) {
					if (buf[i] != '\r') {
						last[j++] = buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i]
											    : '?';
					}
				}
				last[j] = '\0';
			}
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1) {
			len = 0; /* a line longer than ssh writes: drop it */
		}
	}
	close(pipefd[0]);
	while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR) {
	}
	r->pid = 0;
	if (last[0]) {
		snprintf(reason, rlen, "%s", last);
	} else {
		snprintf(reason, rlen, "ssh exited with status %d",
			 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	return up;
}

static void *run(void *userdata)
{
	struct reverse *r = userdata;
	uint64_t delay = 0;

	for (;;) {
		char reason[300];
		uint64_t started = mono_ms();
		struct pollfd p = { .fd = r->stop_pipe[0], .events = POLLIN };

		run_ssh(r, reason, sizeof(reason));
		if (poll(&p, 1, 0) > 0) {
			break;
		}
		/* a connection that held for a while starts the backoff again */
		if (mono_ms() - started >= STABLE_MS) {
			delay = 0;
		}
		delay = delay ? delay * 2 : BACKOFF_FIRST_MS;
		if (delay > BACKOFF_MAX_MS) {
			delay = BACKOFF_MAX_MS;
		}
		r->fn(r->data, REVERSE_DOWN, 0, reason, delay);
		if (poll(&p, 1, (int)delay) > 0) {
			break;
		}
	}
	return NULL;
}

static void reverse_free(struct reverse *r)
{
	if (r->made_key) {
		char pub[4200];

		snprintf(pub, sizeof(pub), "%s.pub", r->made_key);
		unlink(r->made_key);
		unlink(pub);
		free(r->made_key);
	}
	free(r->user_host);
	free(r->port);
	free(r->identity);
	free(r->known_hosts);
	free(r->ssh);
	free(r->forward);
	free(r);
}

int reverse_start(const struct reverse_config *cfg, reverse_status_fn fn, void *data,
		  struct reverse **ret, char **ret_pubkey, char *err, size_t errlen)
{
	char uh[300], type[64], key[2048], *line = NULL, *kh_path = NULL, *pub_path = NULL;
	struct reverse *r;
	unsigned port;
	int e;

	if (reverse_config_check(cfg, err, errlen) < 0) {
		return -EINVAL;
	}
	split_target(cfg->target, uh, sizeof(uh), &port);
	split_host_key(cfg->host_key, type, sizeof(type), key, sizeof(key));
	r = calloc(1, sizeof(*r));
	if (!r) {
		return -ENOMEM;
	}
	r->fn = fn;
	r->data = data;
	r->stop_pipe[0] = r->stop_pipe[1] = -1;
	r->user_host = strdup(uh);
	r->ssh = strdup(cfg->ssh_path ? cfg->ssh_path : "/usr/bin/ssh");
	if (!r->user_host || !r->ssh || asprintf(&r->port, "%u", port) < 0 ||
	    asprintf(&r->forward, "0:127.0.0.1:%u", cfg->local_port) < 0 ||
	    asprintf(&kh_path, "%s/reverse_known_hosts", cfg->state_dir) < 0 ||
	    asprintf(&r->known_hosts, "UserKnownHostsFile=%s", kh_path) < 0) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	/* known_hosts: the one pinned key, for the host and port we dial */
	e = port == 22 ? asprintf(&line, "%s %s %s\n", strchr(uh, '@') + 1, type, key)
		       : asprintf(&line, "[%s]:%u %s %s\n", strchr(uh, '@') + 1, port, type, key);
	if (e < 0) {
		line = NULL;
		e = -ENOMEM;
		goto fail;
	}
	e = private_file_write(kh_path, line, strlen(line), 0600);
	if (e < 0) {
		snprintf(err, errlen, "cannot write %s: %s", kh_path, strerror(-e));
		goto fail;
	}
	if (cfg->identity) {
		r->identity = strdup(cfg->identity);
		if (asprintf(&pub_path, "%s.pub", cfg->identity) < 0) {
			pub_path = NULL;
		}
	} else {
		char *keygen[] = { "ssh-keygen",        "-q", "-t", "ed25519", "-N", "", "-C",
				   "lifeline-recovery", "-f", NULL, NULL };

		if (asprintf(&r->identity, "%s/reverse_key", cfg->state_dir) < 0 ||
		    asprintf(&pub_path, "%s/reverse_key.pub", cfg->state_dir) < 0) {
			e = -ENOMEM;
			goto fail;
		}
		/* a fresh key for this boot */
		unlink(r->identity);
		unlink(pub_path);
		keygen[9] = r->identity;
		r->made_key = strdup(r->identity);
		e = run_wait(keygen);
		if (e < 0) {
			snprintf(err, errlen, "ssh-keygen could not make the machine key: %s",
				 strerror(-e));
			goto fail;
		}
	}
	if (!r->identity) {
		e = -ENOMEM;
		goto fail;
	}
	*ret_pubkey = pub_path ? read_small(pub_path) : NULL;
	if (pipe2(r->stop_pipe, O_CLOEXEC) < 0) {
		e = -errno;
		goto fail_key;
	}
	e = -pthread_create(&r->thread, NULL, run, r);
	if (e < 0) {
		goto fail_key;
	}
	free(line);
	free(kh_path);
	free(pub_path);
	*ret = r;
	return 0;

fail_key:
	free(*ret_pubkey);
	*ret_pubkey = NULL;
	snprintf(err, errlen, "cannot start the reverse connection: %s", strerror(-e));
fail:
	if (r->stop_pipe[0] >= 0) {
		close(r->stop_pipe[0]);
		close(r->stop_pipe[1]);
	}
	free(line);
	free(kh_path);
	free(pub_path);
	reverse_free(r);
	return e;
}

void reverse_stop(struct reverse *r)
{
	if (!r) {
		return;
	}
	if (write(r->stop_pipe[1], "x", 1) < 0) {
		/* the pipe is ours and empty: cannot fail but for a signal */
	}
	pthread_join(r->thread, NULL);
	close(r->stop_pipe[0]);
	close(r->stop_pipe[1]);
	reverse_free(r);
}
