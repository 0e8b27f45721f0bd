#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ini.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "port.h"

#define DEFAULT_STATE_DIR "/run/lifeline"
#define DEFAULT_CAPTURE   "auto"
#define DEFAULT_INJECTOR  "uinput"

enum {
	OPT_STATE_DIR = 256,
	OPT_CONTROL,
	OPT_BIND,
	OPT_PORT_RANGE,
	OPT_SECURITY,
	OPT_EXPIRE,
	OPT_MAX_FAILURES,
	OPT_FAILURE_DELAY,
	OPT_HANDSHAKE_TIMEOUT,
	OPT_VIEW_ONLY,
	OPT_CAPTURE,
	OPT_INJECTOR,
	OPT_INFO_FORMAT,
	OPT_MAX_FPS,
	OPT_IDLE_FPS,
	OPT_GFX,
	OPT_MAX_PASTE,
	OPT_KERNEL_CMDLINE,
	OPT_ANNOUNCE_URL,
	OPT_ANNOUNCE_PIN,
	OPT_ANNOUNCE_CA,
	OPT_REVERSE,
	OPT_REVERSE_HOST_KEY,
	OPT_REVERSE_KEY,
};

static const struct option long_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "config", required_argument, NULL, 'c' },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "control", required_argument, NULL, OPT_CONTROL },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "port-range", required_argument, NULL, OPT_PORT_RANGE },
	{ "security", required_argument, NULL, OPT_SECURITY },
	{ "expire", required_argument, NULL, OPT_EXPIRE },
	{ "max-failures", required_argument, NULL, OPT_MAX_FAILURES },
	{ "failure-delay", required_argument, NULL, OPT_FAILURE_DELAY },
	{ "handshake-timeout", required_argument, NULL, OPT_HANDSHAKE_TIMEOUT },
	{ "view-only", optional_argument, NULL, OPT_VIEW_ONLY },
	{ "capture", required_argument, NULL, OPT_CAPTURE },
	{ "injector", required_argument, NULL, OPT_INJECTOR },
	{ "info-format", required_argument, NULL, OPT_INFO_FORMAT },
	{ "max-fps", required_argument, NULL, OPT_MAX_FPS },
	{ "idle-fps", required_argument, NULL, OPT_IDLE_FPS },
	{ "gfx", required_argument, NULL, OPT_GFX },
	{ "max-paste", required_argument, NULL, OPT_MAX_PASTE },
	{ "kernel-cmdline", optional_argument, NULL, OPT_KERNEL_CMDLINE },
	{ "announce-url", required_argument, NULL, OPT_ANNOUNCE_URL },
	{ "announce-pin", required_argument, NULL, OPT_ANNOUNCE_PIN },
	{ "announce-ca", required_argument, NULL, OPT_ANNOUNCE_CA },
	{ "reverse", required_argument, NULL, OPT_REVERSE },
	{ "reverse-host-key", required_argument, NULL, OPT_REVERSE_HOST_KEY },
	{ "reverse-key", required_argument, NULL, OPT_REVERSE_KEY },
	{ NULL, 0, NULL, 0 },
};

/*
 * What lifeline.NAME=VALUE on the kernel command line may set, whoever starts the server (the
 * console's Remote Connection button or key, or lifeline.remote=auto at boot). Not the paths of
 * the state directory and the control socket: the console and the boot scripts own those.
 * "config" is the config file when no -c is given.
 */
const char *const server_boot_options[] = {
	/* clang-format off */
	"bind", "port-range", "security", "expire", "max-failures", "failure-delay",
	"handshake-timeout", "view-only", "capture", "injector", "max-fps", "idle-fps", "gfx",
	"max-paste", "config", "announce-url", "announce-pin", "announce-ca", "reverse",
	"reverse-host-key", "reverse-key", NULL,
	/* clang-format on */
};

void server_options_init(struct server_options *o)
{
	*o = (struct server_options){
		.port_lo = 49152,
		.port_hi = 65535,
		.security = SERVER_SECURITY_NLA,
		.expire_ms = 30 * 60 * 1000,
		.max_failures = 10,
		.failure_delay_ms = 1000,
		.handshake_timeout_ms = 5000,
		.max_fps = 30,
		.idle_fps = 5,
		.gfx = true,
		.max_paste = SERVER_DEFAULT_MAX_PASTE,
	};
	o->state_dir = strdup(DEFAULT_STATE_DIR);
	o->capture = strdup(DEFAULT_CAPTURE);
	o->injector = strdup(DEFAULT_INJECTOR);
}

void server_options_finish(struct server_options *o)
{
	free(o->config_path);
	free(o->state_dir);
	free(o->control_path);
	free(o->bind);
	free(o->capture);
	free(o->injector);
	free(o->announce_url);
	free(o->announce_pin);
	free(o->announce_ca);
	free(o->reverse);
	free(o->reverse_host_key);
	free(o->reverse_key);
	free(o->kernel_cmdline_path);
	free(o->from_kernel_cmdline);
	*o = (struct server_options){ 0 };
}

int server_parse_duration(const char *s, uint64_t *ret_ms)
{
	static const struct {
		const char *suffix;
		uint64_t ms;
	} units[] = {
		{ "", 1000 },   { "ms", 1 },      { "s", 1000 },
		{ "m", 60000 }, { "min", 60000 }, { "h", 3600000 },
	};
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9') {
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno) {
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			/* A week at most: longer is a typo, and sums stay in range. */
			if (v > 7ULL * 24 * 3600 * 1000 / units[i].ms) {
				return -EINVAL;
			}
			*ret_ms = v * units[i].ms;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *ret)
{
	unsigned long v;
	char *end;

	if (!s || *s < '0' || *s > '9') {
		return -EINVAL;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max) {
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

static int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int set_string(char **field, const char *value)
{
	char *copy = strdup(value);

	if (!copy) {
		return -ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

/* Apply one option by its id; shared by the command line and the config file. */
static int apply(struct server_options *o, int id, const char *name, const char *value, char *err,
		 size_t errlen)
{
	const char *why = NULL;
	unsigned u;

	switch (id) {
	case OPT_STATE_DIR:
	case OPT_CONTROL:
		if (value[0] != '/') {
			why = "must be an absolute path";
			break;
		}
		if (strlen(value) >= 100) {
			why = "is too long (a unix socket path has at most 107 bytes)";
			break;
		}
		return set_string(id == OPT_STATE_DIR ? &o->state_dir : &o->control_path, value);
	case OPT_BIND:
		if (!*value || strspn(value, "0123456789abcdefABCDEF.:[],%") != strlen(value)) {
			why = "expects numeric addresses separated by commas, e.g. 0.0.0.0,::";
			break;
		}
		return set_string(&o->bind, value);
	case OPT_PORT_RANGE:
		if (ticket_port_range_parse(value, &o->port_lo, &o->port_hi) < 0) {
			why = "expects LO-HI or a single port, within 1-65535, LO <= HI";
		}
		break;
	case OPT_SECURITY:
		if (strcmp(value, "nla") == 0) {
			o->security = SERVER_SECURITY_NLA;
		} else if (strcmp(value, "tls") == 0) {
			o->security = SERVER_SECURITY_TLS;
		} else {
			why = "expects nla or tls";
		}
		break;
	case OPT_EXPIRE:
		if (server_parse_duration(value, &o->expire_ms) < 0) {
			why = "expects a duration such as 90s, 30m, 2h, or 0 for never";
		}
		break;
	case OPT_FAILURE_DELAY:
		if (server_parse_duration(value, &o->failure_delay_ms) < 0 ||
		    o->failure_delay_ms > 60000) {
			why = "expects a duration of at most 60s, such as 1s or 500ms";
		}
		break;
	case OPT_HANDSHAKE_TIMEOUT:
		if (server_parse_duration(value, &o->handshake_timeout_ms) < 0 ||
		    o->handshake_timeout_ms < 500 || o->handshake_timeout_ms > 120000) {
			why = "expects a duration between 500ms and 120s";
		}
		break;
	case OPT_MAX_FAILURES:
		if (parse_uint(value, 1, 1000, &o->max_failures) < 0) {
			why = "expects a number from 1 to 1000";
		}
		break;
	case OPT_MAX_FPS:
		if (parse_uint(value, 1, 60, &u) < 0) {
			why = "expects a number from 1 to 60";
		} else {
			o->max_fps = u;
		}
		break;
	case OPT_IDLE_FPS:
		if (parse_uint(value, 1, 60, &u) < 0) {
			why = "expects a number from 1 to 60";
		} else {
			o->idle_fps = u;
		}
		break;
	case OPT_MAX_PASTE:
		if (parse_uint(value, 1, SERVER_MAX_MAX_PASTE, &u) < 0) {
			why = "expects a number of bytes from 1 to 524288";
		} else {
			o->max_paste = u;
		}
		break;
	case OPT_GFX:
		if (parse_bool(value, &o->gfx) < 0) {
			why = "expects yes or no";
		}
		break;
	case OPT_VIEW_ONLY:
		if (!value) {
			o->view_only = true;
		} else if (parse_bool(value, &o->view_only) < 0) {
			why = "expects yes or no";
		}
		break;
	case OPT_CAPTURE:
		if (!*value) {
			why = "must name a capture backend";
			break;
		}
		return set_string(&o->capture, value);
	case OPT_INJECTOR:
		if (!*value) {
			why = "must name an input injector";
			break;
		}
		return set_string(&o->injector, value);
	case OPT_ANNOUNCE_URL:
		if (strncmp(value, "https://", 8) != 0 || !value[8] || strpbrk(value, " \t\r\n")) {
			why = "expects an https:// URL (the connection info holds the ticket)";
			break;
		}
		return set_string(&o->announce_url, value);
	case OPT_ANNOUNCE_PIN:
		if (strncmp(value, "sha256//", 8) != 0 || strlen(value) < 8 + 43 ||
		    strspn(value + 8,
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
			   "+/=;") != strlen(value + 8)) {
			why = "expects sha256//BASE64, the SHA-256 of the endpoint's public key";
			break;
		}
		return set_string(&o->announce_pin, value);
	case OPT_ANNOUNCE_CA:
		if (value[0] != '/') {
			why = "must be an absolute path";
			break;
		}
		return set_string(&o->announce_ca, value);
	case OPT_REVERSE:
		if (!strchr(value, '@') || value[0] == '-') {
			why = "expects user@host[:port]";
			break;
		}
		return set_string(&o->reverse, value);
	case OPT_REVERSE_HOST_KEY:
		if (!*value) {
			why = "expects the bastion's host key, TYPE BASE64 or TYPE:BASE64";
			break;
		}
		return set_string(&o->reverse_host_key, value);
	case OPT_REVERSE_KEY:
		if (value[0] != '/') {
			why = "must be an absolute path";
			break;
		}
		return set_string(&o->reverse_key, value);
	case OPT_INFO_FORMAT:
		if (strcmp(value, "text") == 0) {
			o->info_json = false;
		} else if (strcmp(value, "json") == 0) {
			o->info_json = true;
		} else {
			why = "expects text or json";
		}
		break;
	default:
		why = "is not a known option";
		break;
	}
	if (why) {
		snprintf(err, errlen, "invalid %s '%s': %s", name, value ? value : "", why);
		return -EINVAL;
	}
	return 0;
}

static int option_id(const char *name)
{
	for (const struct option *opt = long_options; opt->name; opt++) {
		if (strcmp(opt->name, name) == 0 && opt->val >= 256) {
			return opt->val;
		}
	}
	return 0;
}

static bool is_boot_option(const char *name, size_t len)
{
	for (size_t i = 0; server_boot_options[i]; i++) {
		if (strlen(server_boot_options[i]) == len &&
		    strncmp(server_boot_options[i], name, len) == 0) {
			return true;
		}
	}
	return false;
}

/* Adds NAME to the comma-separated list of boot options taken (once). */
static int note_from_cmdline(struct server_options *o, const char *name)
{
	size_t old = o->from_kernel_cmdline ? strlen(o->from_kernel_cmdline) : 0;
	size_t len = strlen(name);
	char *list;

	for (const char *p = o->from_kernel_cmdline; p && *p;) {
		size_t n = strcspn(p, ",");

		if (n == len && strncmp(p, name, n) == 0) {
			return 0;
		}
		p += n + (p[n] == ',');
	}
	list = realloc(o->from_kernel_cmdline, old + len + 2);
	if (!list) {
		return -ENOMEM;
	}
	if (old) {
		list[old++] = ',';
	}
	memcpy(list + old, name, len + 1);
	o->from_kernel_cmdline = list;
	return 0;
}

/*
 * Calls fn for each lifeline.NAME=VALUE word whose NAME is a boot option, in order. Words are
 * separated by blanks; a value in double quotes (as the kernel allows) loses its quotes.
 */
static int each_boot_word(const char *cmdline,
			  int (*fn)(void *data, const char *name, const char *value), void *data)
{
	static const char prefix[] = "lifeline.";
	const char *p = cmdline;

	while (*p) {
		char name[32], value[512];
		const char *eq, *v, *vend;
		size_t len, nl;
		int r;

		p += strspn(p, " \t\n");
		len = strcspn(p, " \t\n");
		if (!len) {
			break;
		}
		eq = memchr(p, '=', len);
		v = eq ? eq + 1 : NULL;
		vend = p + len;
		if (v && v < vend && *v == '"') {
			/* lifeline.x="a b": the value runs to the closing quote */
			const char *close = strchr(v + 1, '"');

			v++;
			vend = close ? close : v + strlen(v);
			len = (size_t)(vend - p) + (close != NULL);
		}
		if (!eq || strncmp(p, prefix, sizeof(prefix) - 1) != 0) {
			p += len;
			continue;
		}
		nl = (size_t)(eq - p) - (sizeof(prefix) - 1);
		if (nl >= sizeof(name) || !is_boot_option(p + sizeof(prefix) - 1, nl)) {
			p += len;
			continue;
		}
		if ((size_t)(vend - v) >= sizeof(value)) {
			return -E2BIG;
		}
		memcpy(name, p + sizeof(prefix) - 1, nl);
		name[nl] = '\0';
		memcpy(value, v, (size_t)(vend - v));
		value[vend - v] = '\0';
		r = fn(data, name, value);
		if (r < 0) {
			return r;
		}
		p += len;
	}
	return 0;
}

struct boot_ctx {
	struct server_options *o;
	char *err;
	size_t errlen;
	const char *config; /* lifeline.config=, when looked for */
	char config_buf[512];
};

static int on_boot_config(void *data, const char *name, const char *value)
{
	struct boot_ctx *ctx = data;

	if (strcmp(name, "config") == 0) {
		snprintf(ctx->config_buf, sizeof(ctx->config_buf), "%s", value);
		ctx->config = ctx->config_buf;
	}
	return 0;
}

static int on_boot_option(void *data, const char *name, const char *value)
{
	struct boot_ctx *ctx = data;
	char what[64];
	int r;

	if (strcmp(name, "config") == 0) {
		return 0;
	}
	snprintf(what, sizeof(what), "lifeline.%s", name);
	r = apply(ctx->o, option_id(name), what, value, ctx->err, ctx->errlen);
	if (r < 0) {
		return r;
	}
	return note_from_cmdline(ctx->o, name);
}

int server_options_apply_kernel_cmdline(struct server_options *o, const char *cmdline, char *err,
					size_t errlen)
{
	struct boot_ctx ctx = { .o = o, .err = err, .errlen = errlen };
	int r = each_boot_word(cmdline, on_boot_option, &ctx);

	if (r == -E2BIG) {
		snprintf(err, errlen, "a lifeline.* value on the kernel command line is too long");
	}
	return r;
}

/* Reads a kernel command line (at most SERVER_MAX_KERNEL_CMDLINE bytes) into a new string. */
static int read_cmdline(const char *path, char **ret)
{
	size_t len = 0;
	char *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	buf = malloc(SERVER_MAX_KERNEL_CMDLINE + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < SERVER_MAX_KERNEL_CMDLINE) {
		ssize_t n = read(fd, buf + len, SERVER_MAX_KERNEL_CMDLINE - len);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			int r = -errno;

			close(fd);
			free(buf);
			return r;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	/* a NUL inside ends the line (it is text) */
	*ret = buf;
	return 0;
}

struct json_object *server_options_to_json(const struct server_options *o)
{
	struct json_object *j = json_object_new_object(), *from = json_object_new_array();
	char range[16];

	if (!j || !from) {
		json_object_put(j);
		json_object_put(from);
		return NULL;
	}
	snprintf(range, sizeof(range), "%u-%u", o->port_lo, o->port_hi);
	json_object_object_add(j, "port_range", json_object_new_string(range));
	json_object_object_add(j, "bind", o->bind ? json_object_new_string(o->bind) : NULL);
	json_object_object_add(
		j, "security",
		json_object_new_string(o->security == SERVER_SECURITY_NLA ? "nla" : "tls"));
	json_object_object_add(j, "expire_ms", json_object_new_int64((int64_t)o->expire_ms));
	json_object_object_add(j, "max_failures", json_object_new_int((int)o->max_failures));
	json_object_object_add(j, "failure_delay_ms",
			       json_object_new_int64((int64_t)o->failure_delay_ms));
	json_object_object_add(j, "handshake_timeout_ms",
			       json_object_new_int64((int64_t)o->handshake_timeout_ms));
	json_object_object_add(j, "view_only", json_object_new_boolean(o->view_only));
	json_object_object_add(j, "capture", json_object_new_string(o->capture));
	json_object_object_add(j, "injector", json_object_new_string(o->injector));
	json_object_object_add(j, "max_fps", json_object_new_int((int)o->max_fps));
	json_object_object_add(j, "idle_fps", json_object_new_int((int)o->idle_fps));
	json_object_object_add(j, "gfx", json_object_new_boolean(o->gfx));
	json_object_object_add(j, "max_paste", json_object_new_int((int)o->max_paste));
	json_object_object_add(j, "config",
			       o->config_path ? json_object_new_string(o->config_path) : NULL);
	/* the endpoint, not the URL (a token in it is a secret) */
	json_object_object_add(j, "announce", json_object_new_boolean(o->announce_url != NULL));
	json_object_object_add(j, "reverse",
			       o->reverse ? json_object_new_string(o->reverse) : NULL);
	for (const char *p = o->from_kernel_cmdline; p && *p;) {
		size_t n = strcspn(p, ",");

		json_object_array_add(from, json_object_new_string_len(p, (int)n));
		p += n + (p[n] == ',');
	}
	json_object_object_add(j, "from_kernel_cmdline", from);
	return j;
}

struct ini_ctx {
	struct server_options *o;
	char *err;
	size_t errlen;
	int ret;
};

static int on_ini_entry(void *user, const char *section, const char *name, const char *value)
{
	struct ini_ctx *ctx = user;
	char msg[256];
	int id;
	int r;

	if (ctx->ret < 0) {
		return 0;
	}
	if (!section[0]) {
		snprintf(ctx->err, ctx->errlen, "'%s' is outside a [server] section", name);
		ctx->ret = -EINVAL;
		return 0;
	}
	if (strcmp(section, "server") != 0) {
		snprintf(ctx->err, ctx->errlen, "unknown section [%s] (expected [server])",
			 section);
		ctx->ret = -EINVAL;
		return 0;
	}
	id = option_id(name);
	if (!id || id == OPT_KERNEL_CMDLINE) {
		snprintf(ctx->err, ctx->errlen, "unknown key '%s' in [server]", name);
		ctx->ret = -EINVAL;
		return 0;
	}
	r = apply(ctx->o, id, name, value, msg, sizeof(msg));
	if (r < 0) {
		snprintf(ctx->err, ctx->errlen, "%s", msg);
		ctx->ret = r;
		return 0;
	}
	return 1;
}

int server_options_load_config(struct server_options *o, const char *path, char *err, size_t errlen)
{
	struct ini_ctx ctx = { .o = o, .err = err, .errlen = errlen };
	char msg[256] = "";
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(-r));
		return r;
	}
	ctx.err = msg;
	ctx.errlen = sizeof(msg);
	r = ini_parse_file(f, on_ini_entry, &ctx);
	fclose(f);
	if (ctx.ret < 0) {
		snprintf(err, errlen, "config file %s: line %d: %s", path, r, msg);
		return ctx.ret;
	}
	if (r != 0) {
		snprintf(err, errlen, "config file %s: syntax error on line %d", path, r);
		return -EINVAL;
	}
	return 0;
}

int server_options_parse(struct server_options *o, int argc, char **argv, char *err, size_t errlen)
{
	static const char short_options[] = "hVc:";
	char *cmdline = NULL;
	int c, r;

	/*
	 * First pass: only the config file and the kernel command line. The config file comes
	 * first, then the boot options, then the command line: each wins over the one before.
	 */
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		if ((c == 'c' && set_string(&o->config_path, optarg) < 0) ||
		    (c == OPT_KERNEL_CMDLINE &&
		     set_string(&o->kernel_cmdline_path, optarg ? optarg : "/proc/cmdline") < 0)) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	if (o->kernel_cmdline_path) {
		struct boot_ctx ctx = { .o = o, .err = err, .errlen = errlen };

		r = read_cmdline(o->kernel_cmdline_path, &cmdline);
		if (r < 0) {
			snprintf(err, errlen, "cannot read the kernel command line %s: %s",
				 o->kernel_cmdline_path, strerror(-r));
			return -EINVAL;
		}
		each_boot_word(cmdline, on_boot_config, &ctx);
		if (!o->config_path && ctx.config &&
		    (set_string(&o->config_path, ctx.config) < 0 ||
		     note_from_cmdline(o, "config") < 0)) {
			free(cmdline);
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	if (o->config_path) {
		r = server_options_load_config(o, o->config_path, err, errlen);
		if (r < 0) {
			free(cmdline);
			return -EINVAL;
		}
	}
	if (cmdline) {
		char msg[256] = "";

		r = server_options_apply_kernel_cmdline(o, cmdline, msg, sizeof(msg));
		free(cmdline);
		if (r < 0) {
			snprintf(err, errlen, "kernel command line (%s): %s",
				 o->kernel_cmdline_path, msg);
			return -EINVAL;
		}
	}

	optind = 0;
	while ((c = getopt_long(argc, argv, short_options, long_options, NULL)) != -1) {
		char name[64];

		switch (c) {
		case 'h':
			o->show_help = true;
			break;
		case 'V':
			o->show_version = true;
			break;
		case 'c':
		case OPT_KERNEL_CMDLINE:
			break;
		case '?':
			if (optopt) {
				snprintf(err, errlen, "unknown option '-%c' or missing value",
					 optopt);
			} else {
				snprintf(err, errlen, "unknown option or missing value: '%s'",
					 argv[optind - 1]);
			}
			return -EINVAL;
		default:
			for (const struct option *opt = long_options; opt->name; opt++) {
				if (opt->val == c) {
					snprintf(name, sizeof(name), "--%s", opt->name);
				}
			}
			r = apply(o, c, name, optarg, err, errlen);
			if (r < 0) {
				return r;
			}
			break;
		}
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

void server_options_print_help(const char *argv0)
{
	printf("Usage: %s [OPTION]...\n"
	       "Remote Connection server of Lifeline: shares this machine's console with an RDP\n"
	       "client that presents the ticket shown on the screen.\n"
	       "\n"
	       "  -c, --config=FILE             read options from an INI file, section [server],\n"
	       "                                keys named like the long options; the command\n"
	       "                                line wins\n"
	       "      --state-dir=DIR           private directory for the certificate, key,\n"
	       "                                connection.json and control socket\n"
	       "                                (default " DEFAULT_STATE_DIR ")\n"
	       "      --control=PATH            control socket (default STATE_DIR/control.sock)\n"
	       "      --bind=ADDR[,ADDR...]     listen only on these addresses (default: all)\n"
	       "      --port-range=LO-HI        pick a random free port in this range, or give\n"
	       "                                one port (default 49152-65535)\n"
	       "      --security=nla|tls        nla: the ticket is checked by NLA (default);\n"
	       "                                tls: for clients without NLA\n"
	       "      --expire=DURATION         an unused ticket expires after DURATION, e.g.\n"
	       "                                90s, 30m, 2h; 0 = never (default 30m)\n"
	       "      --max-failures=N          wrong tickets before the ticket is revoked\n"
	       "                                (default 10; xfreerdp tries twice per attempt)\n"
	       "      --failure-delay=DURATION  minimum time a failed attempt takes (default 1s)\n"
	       "      --handshake-timeout=DURATION\n"
	       "                                cut off clients that have not given the ticket\n"
	       "                                by then (default 5s); one that has may finish\n"
	       "                                connecting at the pace of its link\n"
	       "      --view-only[=yes|no]      the helpdesk may watch but not control\n"
	       "      --capture=SPEC            what to show (default " DEFAULT_CAPTURE "):\n"
	       "                                auto[:card=PATH,monitor=N,vt=PATH|none,device=PATH]\n"
	       "                                  the console: KMS if there is a display, else\n"
	       "                                  the firmware framebuffer\n"
	       "                                drm[:card=PATH,monitor=N,vt=PATH|none]\n"
	       "                                  monitor=N: the display connector to share,\n"
	       "                                  from 0 (default: the first connected one)\n"
	       "                                fbdev[:device=PATH]\n"
	       "                                test[:size=WxH,mode=animated|static|bench,\n"
	       "                                  change=PERCENT,fps=N] (a built-in picture;\n"
	       "                                  bench: a busy screen, a band of PERCENT of\n"
	       "                                  it redrawn N times a second)\n"
	       "      --injector=SPEC           where input goes (default " DEFAULT_INJECTOR "):\n"
	       "                                uinput[:device=PATH]  virtual keyboard and pointer\n"
	       "                                recording:path=FILE[,timestamps=1]\n"
	       "                                  one line per event (tests); timestamps=1\n"
	       "                                  starts each with the CLOCK_MONOTONIC time\n"
	       "      --max-fps=N               frames per second at most (default 30)\n"
	       "      --idle-fps=N              looks per second at a screen that has not\n"
	       "                                changed for a while; any change or input from\n"
	       "                                the helpdesk brings back --max-fps (default 5;\n"
	       "                                the same as --max-fps: never slow down)\n"
	       "      --gfx=yes|no              offer the graphics pipeline (H.264) to clients;\n"
	       "                                no = RemoteFX or bitmaps, for clients that show\n"
	       "                                a black screen with it (default yes)\n"
	       "      --max-paste=BYTES         clipboard text between the console and the\n"
	       "                                helpdesk, either way, in bytes of UTF-8 at most\n"
	       "                                (default 262144, at most 524288)\n"
	       "      --info-format=text|json   how the connection info is printed on stdout\n"
	       "      --announce-url=URL        POST the connection info (JSON) to this https://\n"
	       "                                URL at each new ticket, retried with backoff\n"
	       "      --announce-pin=sha256//BASE64\n"
	       "                                the endpoint's public key (its SHA-256, base64,\n"
	       "                                as curl pins it); or:\n"
	       "      --announce-ca=FILE        PEM CA certificates the endpoint's certificate\n"
	       "                                must chain to (with the host name checked);\n"
	       "                                one of the two is required with --announce-url\n"
	       "      --reverse=USER@HOST[:PORT]\n"
	       "                                also offer the session through the helpdesk's\n"
	       "                                OpenSSH server: ssh -N -R 0:127.0.0.1:PORT, the\n"
	       "                                bastion picks the port; reconnects with backoff\n"
	       "      --reverse-host-key=\"TYPE BASE64\"\n"
	       "                                the bastion's host key (required; TYPE:BASE64\n"
	       "                                on the kernel command line)\n"
	       "      --reverse-key=FILE        a private key baked into the image (default: a\n"
	       "                                key made at start, shown to authorise it)\n"
	       "      --kernel-cmdline[=FILE]   take boot options from the kernel command line\n"
	       "                                (default /proc/cmdline; see below)\n"
	       "  -h, --help                    show this help and exit\n"
	       "  -V, --version                 show the version and exit\n"
	       "\n"
	       "Boot options: with --kernel-cmdline, lifeline.NAME=VALUE on the kernel command\n"
	       "line sets the long option NAME, for these NAMEs only:\n"
	       "  bind, port-range, security, expire, max-failures, failure-delay,\n"
	       "  handshake-timeout, view-only, capture, injector, max-fps, idle-fps, gfx,\n"
	       "  max-paste, announce-url, announce-pin, announce-ca, reverse,\n"
	       "  reverse-host-key, reverse-key, config (the config file, when no -c is\n"
	       "  given)\n"
	       "e.g. lifeline.port-range=50000-50100 lifeline.expire=2h. The config file comes\n"
	       "first, then the boot options, then the command line: each wins over the one\n"
	       "before. A bad boot option is an error (exit 2). The console starts the server\n"
	       "with --kernel-cmdline, from its Remote Connection button and key as well as\n"
	       "with lifeline.remote=auto. Other lifeline.* words are for the console and the\n"
	       "boot scripts: lifeline.remote=auto, lifeline.keymap=, lifeline.announce=DEV\n"
	       "(marker lines to a console device, e.g. /dev/ttyS0), lifeline.dhcp=,\n"
	       "lifeline.dhcp-timeout=, lifeline.serial-shell=, lifeline.shell= (README.md).\n"
	       "\n"
	       "Durations take the suffixes ms, s, m, h; a bare number means seconds.\n"
	       "Exit status: 0 after SIGTERM or SIGINT, 1 on a runtime error, 2 on bad options.\n",
	       argv0);
}
