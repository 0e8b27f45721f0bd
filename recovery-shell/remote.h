#pragma once

/*
 * The link to lifeline-server: its control socket (JSON lines), and starting the server when
 * none runs. The server is its own process in its own session, so a Remote Connection session
 * survives the shell crashing and being restarted; the new shell attaches to the socket again.
 */

#include <stdbool.h>
#include <sys/types.h>

#include "control-event.h"

struct shell_remote;

struct shell_remote_options {
	/* Control socket; default /run/lifeline/control.sock. */
	const char *socket_path;
	/* The server program and its arguments (argv[0] is the program path). */
	const char *const *server_argv;
	/* Where the started server's stdout and stderr go (default /run/lifeline-server.log). */
	const char *server_log;
};

/* The callback may take ev->text (set it to NULL); the rest is freed after it returns. */
typedef void (*shell_remote_event_fn)(void *data, struct shell_control_event *ev);

int shell_remote_create(const struct shell_remote_options *opts, struct shell_remote **ret);
void shell_remote_destroy(struct shell_remote *r);

/* Connects to the socket. 0, or -ENOENT/-ECONNREFUSED when no server listens. */
int shell_remote_connect(struct shell_remote *r);
bool shell_remote_connected(const struct shell_remote *r);
void shell_remote_disconnect(struct shell_remote *r);

/* Starts the server (detached into its own session). Returns its pid or a negative errno. */
pid_t shell_remote_spawn(struct shell_remote *r);
/* The pid spawn() returned, or 0. */
pid_t shell_remote_server_pid(const struct shell_remote *r);
/* Forget the pid (the process was reaped). */
void shell_remote_server_gone(struct shell_remote *r);

/* The socket fd to poll, or -1. */
int shell_remote_get_fd(const struct shell_remote *r);

/*
 * Reads what arrived and calls `fn` for each event (and a LOST event when the socket closes,
 * after which the link is disconnected). 0 or a negative errno.
 */
int shell_remote_dispatch(struct shell_remote *r, shell_remote_event_fn fn, void *data);

/* Sends a command. 0 or a negative errno (-ENOTCONN when not attached). */
int shell_remote_send(struct shell_remote *r, enum shell_command cmd, bool enabled);

/* Sends the copy command for text (UTF-8). 0 or a negative errno (-EFBIG: longer than a
 * control line). */
int shell_remote_send_copy(struct shell_remote *r, const char *text, size_t len);
