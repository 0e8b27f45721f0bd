#pragma once

#include <stddef.h>

struct json_object;

/* Lines that carry text (the "copy" command, the "clipboard" and "text" events) may be this long;
 * every other line keeps the 4096-byte bound. */
#define CONTROL_MAX_TEXT_LINE (1024 * 1024)

/*
 * The control socket: a unix stream socket (0600) speaking JSON lines. The console UI sends
 * commands and receives events. Runs its own thread; control_broadcast is thread-safe.
 */
struct control;

/*
 * A command from a control client. Return 0 and optionally set *ret_reply_extra (an object
 * whose members are merged into {"reply":"ok"}); or -errno with a message in err. Events the
 * command causes are broadcast after the reply.
 */
typedef int (*control_command_fn)(void *userdata, const char *command, struct json_object *args,
				  char *err, size_t errlen);
/* The first message a new control client gets (a "state" event). Caller-owned reference. */
typedef struct json_object *(*control_greeting_fn)(void *userdata);

int control_new(const char *path, control_command_fn on_command, control_greeting_fn greeting,
		void *userdata, struct control **ret, char *err, size_t errlen);
/* Stops the thread, closes every client, removes the socket file. */
void control_destroy(struct control *c);

/* Send one event line to every control client. Clients that do not keep up are dropped. */
void control_broadcast(struct control *c, struct json_object *ev);
