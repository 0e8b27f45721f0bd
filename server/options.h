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
	/* the HTTPS hand-off (announce.h): endpoint, pinned key, CA file; NULL when not set */
	char *announce_url, *announce_pin, *announce_ca;
	/* the reverse connection (reverse.h): user@bastion[:port], its host key, a baked key */
	char *reverse, *reverse_host_key, *reverse_key;
	/* --kernel-cmdline: read lifeline.NAME=VALUE boot options from this file (NULL: not) */
	char *kernel_cmdline_path;
	/* the boot options that were taken from it, "port-range,expire" (NULL: none) */
	char *from_kernel_cmdline;
	bool show_help, show_version;
};

/* The longest kernel command line read (Linux allows 2048 bytes on x86, 4096 elsewhere). */
#define SERVER_MAX_KERNEL_CMDLINE 65536

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

/*
 * Apply the lifeline.NAME=VALUE words of a kernel command line whose NAME is a boot option of
 * the server (server_boot_options); other words are left alone (they belong to the kernel, the
 * init scripts or the shell). The last word of a name wins. 0, or -EINVAL with a message.
 */
int server_options_apply_kernel_cmdline(struct server_options *o, const char *cmdline, char *err,
					size_t errlen);

/* The server's boot options (long option names that lifeline.NAME= may set), NULL-terminated. */
extern const char *const server_boot_options[];

struct json_object;
/*
 * The options in force, for the control socket's state event ("options"): no secrets, and
 * "from_kernel_cmdline", the boot options that set them. A new object, or NULL (no memory).
 */
struct json_object *server_options_to_json(const struct server_options *o);

/* "90s", "30m", "2h", "1500ms", "0", a bare number = seconds. 0 or -EINVAL. */
int server_parse_duration(const char *s, uint64_t *ret_ms);

void server_options_print_help(const char *argv0);
