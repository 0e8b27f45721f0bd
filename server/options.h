#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --max-paste: its default, and its limit (a JSON line of the control socket holds it) */
#define SERVER_DEFAULT_MAX_PASTE 262144
#define SERVER_MAX_MAX_PASTE     524288

enum server_security { SERVER_SECURITY_NLA, SERVER_SECURITY_TLS };

struct server_options {
	char *config_path;
	char *state_dir;
	char *control_path; /* NULL = <state_dir>/control.sock */
	char *bind;         /* NULL = all addresses */
	uint16_t port_lo, port_hi;
	enum server_security security;
	uint64_t expire_ms;
	unsigned max_failures;
	uint64_t failure_delay_ms;
	uint64_t handshake_timeout_ms;
	bool view_only;
	char *capture;
	char *injector;
	bool info_json;
	unsigned max_fps;
	unsigned idle_fps; /* polls/s of a still screen */
	bool gfx; /* offer the RDP graphics pipeline (H.264); off = RemoteFX/planar only */
	unsigned max_paste; /* bytes of clipboard text either way */
	bool show_help, show_version;
};

void server_options_init(struct server_options *o);
void server_options_finish(struct server_options *o);

/*
 * Parse the command line, after loading the config file it names (-c/--config). Command-line
 * values win over the file. 0 on success; -EINVAL with a human message in err otherwise.
 */
int server_options_parse(struct server_options *o, int argc, char **argv, char *err, size_t errlen);

/* Load one INI file ([server] section). 0, or -errno / -EINVAL with a message in err. */
int server_options_load_config(struct server_options *o, const char *path, char *err,
			       size_t errlen);

/* "90s", "30m", "2h", "1500ms", "0", a bare number = seconds. 0 or -EINVAL. */
int server_parse_duration(const char *s, uint64_t *ret_ms);

void server_options_print_help(const char *argv0);
