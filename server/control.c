#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define CONTROL_MAX_CLIENTS 8
#define CONTROL_MAX_LINE    4096
/* Unsent output a slow reader may have queued before it is dropped: a few text lines. */
#define CONTROL_MAX_QUEUED (4 * CONTROL_MAX_TEXT_LINE)

struct control_client {
	int fd;
	size_t len, cap;
	char *buf;    /* grows from CONTROL_MAX_LINE up to CONTROL_MAX_TEXT_LINE */
	char *out;    /* what the socket did not take yet (a long text line) */
	size_t out_len;
};

struct control {
	char *path;
	int listen_fd;
	int wake_fd;
	int kick_fd; /* output was queued: poll for POLLOUT */
	pthread_t thread;
	bool thread_started;
	bool bound;
	control_command_fn on_command;
	control_greeting_fn greeting;
	void *userdata;
	/* Guards clients[]: the control thread adds and removes, any thread broadcasts. */
	pthread_mutex_t lock;
	struct control_client clients[CONTROL_MAX_CLIENTS];
	/* Events raised on the control thread while it runs a command: sent after the reply. */
	bool in_command;
	struct json_object *deferred;
};

/* A text line larger than the socket buffer: the control thread sends the rest when the
 * socket can take it. Called with the lock held. */
static void queue_locked(struct control_client *cl, const char *data, size_t len)
{
	char *out;

	if (cl->out_len + len > CONTROL_MAX_QUEUED ||
	    !(out = realloc(cl->out, cl->out_len + len))) {
		log_warn("control client not keeping up; dropping it");
		shutdown(cl->fd, SHUT_RDWR);
		return;
	}
	memcpy(out + cl->out_len, data, len);
	cl->out = out;
	cl->out_len += len;
}

/* Tell the control thread to poll for POLLOUT when a line was queued from another thread. */
static void kick_if_queued_locked(struct control *c, struct control_client *cl)
{
	uint64_t one = 1;

	if (cl->out_len > 0 && write(c->kick_fd, &one, sizeof(one)) < 0) {
		/* the counter is already set: the thread wakes anyway */
	}
}

/* From the control thread on POLLOUT: send what was queued. */
static void flush_client(struct control *c, struct control_client *cl)
{
	ssize_t n;

	pthread_mutex_lock(&c->lock);
	if (cl->fd >= 0 && cl->out_len > 0) {
		n = send(cl->fd, cl->out, cl->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			memmove(cl->out, cl->out + n, cl->out_len - (size_t)n);
			cl->out_len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			shutdown(cl->fd, SHUT_RDWR);
		}
	}
	pthread_mutex_unlock(&c->lock);
}

/* Called with the lock held. Non-blocking: a client that does not read is dropped, so a stuck
 * UI can never stall the RDP threads that raise events. */
static void send_line_locked(struct control_client *cl, const char *line)
{
	size_t len = strlen(line), off = 0;

	if (cl->fd < 0) {
		return;
	}
	while (off < len && cl->out_len == 0) {
		ssize_t n = send(cl->fd, line + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			break;
		}
		if (n <= 0) {
			log_warn("control client gone; dropping it");
			shutdown(cl->fd, SHUT_RDWR);
			return;
		}
		off += (size_t)n;
	}
	if (off < len) {
		queue_locked(cl, line + off, len - off);
	}
}

static void send_json_locked(struct control_client *cl, struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char *line;

	if (asprintf(&line, "%s\n", s) < 0) {
		return;
	}
	send_line_locked(cl, line);
	explicit_bzero(line, strlen(line));
	free(line);
}

void control_broadcast(struct control *c, struct json_object *ev)
{
	if (!c) {
		return;
	}
	pthread_mutex_lock(&c->lock);
	if (c->in_command && pthread_equal(pthread_self(), c->thread)) {
		json_object_array_add(c->deferred, json_object_get(ev));
		pthread_mutex_unlock(&c->lock);
		return;
	}
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (c->clients[i].fd >= 0) {
			send_json_locked(&c->clients[i], ev);
			kick_if_queued_locked(c, &c->clients[i]);
		}
	}
	pthread_mutex_unlock(&c->lock);
}

static void reply(struct control *c, struct control_client *cl, int r, const char *msg)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "reply", json_object_new_string(r < 0 ? "error" : "ok"));
	if (r < 0) {
		json_object_object_add(o, "message", json_object_new_string(msg));
	}
	pthread_mutex_lock(&c->lock);
	send_json_locked(cl, o);
	pthread_mutex_unlock(&c->lock);
	json_object_put(o);
}

/* Commands whose line may be up to CONTROL_MAX_TEXT_LINE long. */
static bool text_bearing(const char *command)
{
	return strcmp(command, "copy") == 0;
}

static void close_client(struct control *c, struct control_client *cl);

static void handle_line(struct control *c, struct control_client *cl, const char *line,
			size_t len)
{
	struct json_object *msg, *cmd;
	char err[256] = "";
	int r;

	msg = json_tokener_parse(line);
	if (!msg || !json_object_is_type(msg, json_type_object) ||
	    !json_object_object_get_ex(msg, "command", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		reply(c, cl, -EINVAL, "expected a JSON object with a \"command\" string");
		json_object_put(msg);
		return;
	}
	if (len > CONTROL_MAX_LINE && !text_bearing(json_object_get_string(cmd))) {
		reply(c, cl, -E2BIG, "line too long");
		json_object_put(msg);
		close_client(c, cl);
		return;
	}
	pthread_mutex_lock(&c->lock);
	c->in_command = true;
	pthread_mutex_unlock(&c->lock);
	r = c->on_command(c->userdata, json_object_get_string(cmd), msg, err, sizeof(err));
	if (r < 0 && !err[0]) {
		snprintf(err, sizeof(err), "%s", strerror(-r));
	}
	json_object_put(msg);
	reply(c, cl, r, err);

	pthread_mutex_lock(&c->lock);
	c->in_command = false;
	pthread_mutex_unlock(&c->lock);
	for (size_t i = 0; i < json_object_array_length(c->deferred); i++) {
		control_broadcast(c, json_object_array_get_idx(c->deferred, i));
	}
	json_object_array_del_idx(c->deferred, 0, json_object_array_length(c->deferred));
}

static void close_client(struct control *c, struct control_client *cl)
{
	pthread_mutex_lock(&c->lock);
	if (cl->fd >= 0) {
		close(cl->fd);
	}
	cl->fd = -1;
	cl->len = 0;
	free(cl->out);
	cl->out = NULL;
	cl->out_len = 0;
	pthread_mutex_unlock(&c->lock);
}

static void read_client(struct control *c, struct control_client *cl)
{
	ssize_t n;
	char *nl;

	/* A line that does not fit yet: grow, up to a text line and its newline. */
	if (cl->len == cl->cap && cl->cap < CONTROL_MAX_TEXT_LINE + 1) {
		size_t cap = cl->cap ? cl->cap * 4 : CONTROL_MAX_LINE;
		char *buf;

		cap = cap > CONTROL_MAX_TEXT_LINE + 1 ? CONTROL_MAX_TEXT_LINE + 1 : cap;
		buf = realloc(cl->buf, cap);
		if (!buf) {
			close_client(c, cl);
			return;
		}
		cl->buf = buf;
		cl->cap = cap;
	}
	n = recv(cl->fd, cl->buf + cl->len, cl->cap - cl->len, MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
		return;
	}
	if (n <= 0) {
		close_client(c, cl);
		return;
	}
	cl->len += (size_t)n;
	while ((nl = memchr(cl->buf, '\n', cl->len))) {
		size_t used = (size_t)(nl - cl->buf) + 1;

		*nl = '\0';
		if (nl > cl->buf && nl[-1] == '\r') {
			nl[-1] = '\0';
		}
		if (cl->buf[0]) {
			handle_line(c, cl, cl->buf, used - 1);
		}
		if (cl->fd < 0) {
			return; /* closed for a long line */
		}
		memmove(cl->buf, cl->buf + used, cl->len - used);
		cl->len -= used;
	}
	if (cl->len == CONTROL_MAX_TEXT_LINE + 1) {
		reply(c, cl, -E2BIG, "line too long");
		close_client(c, cl);
	}
}

static void accept_client(struct control *c)
{
	struct json_object *hello;
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	size_t i;

	if (fd < 0) {
		return;
	}
	pthread_mutex_lock(&c->lock);
	for (i = 0; i < CONTROL_MAX_CLIENTS && c->clients[i].fd >= 0; i++) {
	}
	if (i == CONTROL_MAX_CLIENTS) {
		pthread_mutex_unlock(&c->lock);
		log_warn("control socket: too many clients; refusing one");
		close(fd);
		return;
	}
	c->clients[i].fd = fd;
	c->clients[i].len = 0;
	pthread_mutex_unlock(&c->lock);

	hello = c->greeting(c->userdata);
	if (hello) {
		pthread_mutex_lock(&c->lock);
		send_json_locked(&c->clients[i], hello);
		pthread_mutex_unlock(&c->lock);
		json_object_put(hello);
	}
}

static void *control_thread(void *arg)
{
	struct control *c = arg;

	for (;;) {
		struct pollfd fds[CONTROL_MAX_CLIENTS + 3];
		int idx[CONTROL_MAX_CLIENTS + 3];
		nfds_t n = 0;
		uint64_t kicks;

		fds[n++] = (struct pollfd){ .fd = c->wake_fd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = c->listen_fd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = c->kick_fd, .events = POLLIN };
		pthread_mutex_lock(&c->lock);
		for (int i = 0; i < CONTROL_MAX_CLIENTS; i++) {
			if (c->clients[i].fd >= 0) {
				short ev = POLLIN | (c->clients[i].out_len ? POLLOUT : 0);

				idx[n] = i;
				fds[n++] = (struct pollfd){ .fd = c->clients[i].fd, .events = ev };
			}
		}
		pthread_mutex_unlock(&c->lock);

		if (poll(fds, n, -1) < 0) {
			if (errno == EINTR) {
				continue;
			}
			log_error("control socket: poll failed: %s", strerror(errno));
			break;
		}
		if (fds[0].revents) {
			break;
		}
		if (fds[2].revents & POLLIN && read(c->kick_fd, &kicks, sizeof(kicks)) < 0) {
			/* EAGAIN: another wake-up took it */
		}
		for (nfds_t k = 3; k < n; k++) {
			if (fds[k].revents & POLLOUT) {
				flush_client(c, &c->clients[idx[k]]);
			}
			if (fds[k].revents & (POLLIN | POLLHUP | POLLERR) &&
			    c->clients[idx[k]].fd >= 0) {
				read_client(c, &c->clients[idx[k]]);
			}
		}
		if (fds[1].revents & POLLIN) {
			accept_client(c);
		}
	}
	return NULL;
}

int control_new(const char *path, control_command_fn on_command, control_greeting_fn greeting,
		void *userdata, struct control **ret, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *c;
	struct stat st;
	mode_t old_umask;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		c->clients[i].fd = -1;
	}
	c->on_command = on_command;
	c->greeting = greeting;
	c->userdata = userdata;
	c->wake_fd = -1;
	c->kick_fd = -1;
	c->deferred = json_object_new_array();
	c->path = strdup(path);
	c->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!c->path || !c->deferred || c->listen_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot create the control socket: %s", strerror(errno));
		goto fail;
	}
	/* A socket left by a crashed run may be replaced; anything else is not ours to remove. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			r = -EEXIST;
			snprintf(err, errlen, "%s exists and is not a socket", path);
			goto fail;
		}
		unlink(path);
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	old_umask = umask(0177);
	r = bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_umask);
	c->bound = r == 0;
	if (r < 0 || listen(c->listen_fd, 8) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		goto fail;
	}
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0 || c->kick_fd < 0) {
		r = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	r = -pthread_create(&c->thread, NULL, control_thread, c);
	if (r < 0) {
		snprintf(err, errlen, "cannot start the control thread: %s", strerror(-r));
		goto fail;
	}
	c->thread_started = true;
	*ret = c;
	return 0;
fail:
	control_destroy(c);
	return r;
}

void control_destroy(struct control *c)
{
	if (!c) {
		return;
	}
	if (c->thread_started) {
		uint64_t one = 1;

		if (write(c->wake_fd, &one, sizeof(one)) == sizeof(one)) {
			pthread_join(c->thread, NULL);
		}
	}
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (c->clients[i].fd >= 0) {
			close(c->clients[i].fd);
		}
		free(c->clients[i].buf);
		free(c->clients[i].out);
	}
	if (c->listen_fd >= 0) {
		close(c->listen_fd);
		if (c->bound) {
			unlink(c->path);
		}
	}
	if (c->wake_fd >= 0) {
		close(c->wake_fd);
	}
	if (c->kick_fd >= 0) {
		close(c->kick_fd);
	}
	pthread_mutex_destroy(&c->lock);
	json_object_put(c->deferred);
	free(c->path);
	free(c);
}
