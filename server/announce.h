#pragma once

/*
 * The HTTPS hand-off: the connection info (JSON) is POSTed to the helpdesk's endpoint
 * (--announce-url) each time a ticket is made, with the endpoint's certificate checked against
 * a pinned public key (--announce-pin) or a CA file (--announce-ca), never against nothing.
 * A failed post is retried with backoff (2 s doubling to 60 s) until it succeeds or a newer
 * ticket replaces it. Its own thread: Remote Connection never waits for it.
 */

#include <stddef.h>
#include <stdint.h>

struct announce;

struct announce_config {
	const char *url; /* https:// only */
	const char *pin; /* "sha256//BASE64[;sha256//...]" (curl's pinned public key), or NULL */
	const char *ca_file; /* PEM CA bundle, or NULL; at least one of pin and ca_file */
	uint64_t timeout_ms; /* per attempt */
};

enum announce_state { ANNOUNCE_POSTING, ANNOUNCE_SENT, ANNOUNCE_FAILED };

/*
 * Called from the announce thread after each attempt: the state, the HTTP status (0 when
 * there was no answer), a one-line reason for a failure (curl's or "HTTP 500"), and the
 * delay before the next attempt (0 when none is planned).
 */
typedef void (*announce_status_fn)(void *data, enum announce_state state, long http_status,
				   const char *reason, uint64_t retry_in_ms);

/* Checks the configuration: 0, or -EINVAL with a message in err. */
int announce_config_check(const struct announce_config *cfg, char *err, size_t errlen);

/* Makes the poster; nothing is sent before announce_run(). 0 or a negative errno. */
int announce_new(const struct announce_config *cfg, announce_status_fn fn, void *data,
		 struct announce **ret);

/* Starts the thread: from now on `fn` is called and posts go out. 0 or a negative errno. */
int announce_run(struct announce *a);

/* Posts `json` (copied; wiped when done), replacing one not yet delivered. 0 or -ENOMEM. */
int announce_post(struct announce *a, const char *json);

/* Stops the thread (an attempt under way ends within its timeout) and frees. NULL is fine. */
void announce_stop(struct announce *a);
