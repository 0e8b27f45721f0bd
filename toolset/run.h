#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * Running the Debian programs a tool wraps: always an argv array (never a shell), every other fd
 * closed, stdin from a buffer or /dev/null, optionally inside a chroot.  Library code: returns 0
 * or a negative errno and does not log.
 */

#define RUN_CAPTURE_MAX (16u << 20) /* bytes of stdout (and of stderr) kept per run */

struct run_spec {
	const char *const *argv;
	const char *root;     /* chroot into this directory first (NULL: no chroot) */
	const char *cwd;      /* start in this directory (inside ROOT, after the chroot), or NULL */
	const char *input;    /* written to the child's stdin (NULL: /dev/null) */
	size_t input_len;
	const char *const *env; /* extra NAME=VALUE entries (NULL-terminated), or NULL */
	bool capture;         /* collect stdout and stderr into the result */
	bool show;            /* also copy the child's stdout and stderr to ours (the pane) */
	bool merge;           /* with capture: stderr goes into out (in order) */
	bool terminal;        /* an interactive program (mc): it gets our stdin, stdout and stderr
				 (input, capture and show are ignored); we ignore SIGINT and
				 SIGQUIT until it ends, so Ctrl-C reaches it, not us */
};

struct run_result {
	int status;   /* exit status 0-255; 128 + signal when killed */
	char *out;    /* NUL-terminated; NULL unless captured */
	size_t out_len;
	char *err;
	size_t err_len;
	bool truncated;
};

/* Runs SPEC to completion. -ENOENT when the program is not there (status is then 127). */
int run(const struct run_spec *spec, struct run_result *ret);
void run_result_clear(struct run_result *r);

/* The common case: argv only, output captured; 0 or a negative errno. */
int run_capture(const char *const *argv, struct run_result *ret);

/* Looks PROG up in PATH (or inside ROOT when non-NULL); true when it is an executable file. */
bool run_have(const char *root, const char *prog);
