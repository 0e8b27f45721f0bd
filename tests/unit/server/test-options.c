#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "options.h"
#include "test-common.h"

static int parse(struct server_options *o, char *err, size_t errlen, ...)
{
	char *argv[32] = { "lifeline-server" };
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, errlen);
	while ((a = va_arg(ap, char *)) && argc < 31) {
		argv[argc++] = a;
	}
	va_end(ap);
	server_options_init(o);
	return server_options_parse(o, argc, argv, err, errlen);
}

#define PARSE(o, err, ...) parse(o, err, sizeof(err), __VA_ARGS__, (char *)NULL)

START_TEST(defaults)
{
	struct server_options o;
	char err[256] = "";

	ck_assert_int_eq(PARSE(&o, err, NULL), 0);
	ck_assert_uint_eq(o.port_lo, 49152);
	ck_assert_uint_eq(o.port_hi, 65535);
	ck_assert_int_eq(o.security, SERVER_SECURITY_NLA);
	ck_assert_uint_eq(o.expire_ms, 30 * 60 * 1000);
	ck_assert_uint_eq(o.max_failures, 10);
	ck_assert_uint_eq(o.failure_delay_ms, 1000);
	ck_assert_uint_eq(o.handshake_timeout_ms, 5000);
	ck_assert(!o.view_only);
	ck_assert_str_eq(o.state_dir, "/run/lifeline");
	ck_assert_str_eq(o.capture, "auto");
	ck_assert_str_eq(o.injector, "uinput");
	ck_assert_ptr_null(o.bind);
	ck_assert_uint_eq(o.max_fps, 30);
	ck_assert_uint_eq(o.idle_fps, 5);
	ck_assert(o.gfx);
	ck_assert_uint_eq(o.max_paste, 262144);
	server_options_finish(&o);
}
END_TEST

START_TEST(every_option)
{
	struct server_options o;
	char err[256] = "";

	ck_assert_int_eq(PARSE(&o, err, "--state-dir=/tmp/x", "--control", "/tmp/c.sock",
			       "--bind=127.0.0.1,::1", "--port-range=5000-5010", "--security=tls",
			       "--expire=90s", "--max-failures=3", "--failure-delay=250ms",
			       "--handshake-timeout=2s", "--view-only",
			       "--capture=test:size=800x600", "--injector=recording:path=/tmp/r",
			       "--info-format=json", "--max-fps=15", "--idle-fps=2",
			       "--gfx=no", "--max-paste=1000"),
			 0);
	ck_assert_str_eq(o.state_dir, "/tmp/x");
	ck_assert_str_eq(o.control_path, "/tmp/c.sock");
	ck_assert_str_eq(o.bind, "127.0.0.1,::1");
	ck_assert_uint_eq(o.port_lo, 5000);
	ck_assert_uint_eq(o.port_hi, 5010);
	ck_assert_int_eq(o.security, SERVER_SECURITY_TLS);
	ck_assert_uint_eq(o.expire_ms, 90000);
	ck_assert_uint_eq(o.max_failures, 3);
	ck_assert_uint_eq(o.failure_delay_ms, 250);
	ck_assert_uint_eq(o.handshake_timeout_ms, 2000);
	ck_assert(o.view_only);
	ck_assert_str_eq(o.capture, "test:size=800x600");
	ck_assert_str_eq(o.injector, "recording:path=/tmp/r");
	ck_assert(o.info_json);
	ck_assert_uint_eq(o.max_fps, 15);
	ck_assert_uint_eq(o.idle_fps, 2);
	ck_assert(!o.gfx);
	ck_assert_uint_eq(o.max_paste, 1000);
	server_options_finish(&o);
}
END_TEST

START_TEST(help_and_version)
{
	struct server_options o;
	char err[256] = "";

	ck_assert_int_eq(PARSE(&o, err, "--help"), 0);
	ck_assert(o.show_help);
	server_options_finish(&o);
	ck_assert_int_eq(PARSE(&o, err, "-V"), 0);
	ck_assert(o.show_version);
	server_options_finish(&o);
}
END_TEST

/* Each bad value is refused with a message that names the option. */
static const struct {
	const char *arg;
	const char *mentions;
} bad_args[] = {
	{ "--port-range=70000", "--port-range" },
	{ "--port-range=100-50", "--port-range" },
	{ "--port-range=abc", "--port-range" },
	{ "--port-range=0", "--port-range" },
	{ "--security=rdp", "--security" },
	{ "--security=", "--security" },
	{ "--expire=soon", "--expire" },
	{ "--expire=-5", "--expire" },
	{ "--expire=10d", "--expire" },
	{ "--max-failures=0", "--max-failures" },
	{ "--max-failures=1x", "--max-failures" },
	{ "--max-failures=99999999999999999999", "--max-failures" },
	{ "--failure-delay=2m", "--failure-delay" },
	{ "--handshake-timeout=10ms", "--handshake-timeout" },
	{ "--state-dir=relative", "--state-dir" },
	{ "--control=x.sock", "--control" },
	{ "--bind=example.com", "--bind" },
	{ "--view-only=maybe", "--view-only" },
	{ "--capture=", "--capture" },
	{ "--info-format=xml", "--info-format" },
	{ "--max-fps=0", "--max-fps" },
	{ "--idle-fps=61", "--idle-fps" },
	{ "--idle-fps=", "--idle-fps" },
	{ "--gfx=h264", "--gfx" },
	{ "--max-paste=0", "--max-paste" },
	{ "--max-paste=524289", "--max-paste" },
	{ "--no-such-option", "unknown option" },
	{ "stray", "unexpected argument" },
};

START_TEST(bad_values)
{
	struct server_options o;
	char err[256] = "";

	ck_assert_int_eq(PARSE(&o, err, (char *)bad_args[_i].arg), -EINVAL);
	ck_assert_msg(strstr(err, bad_args[_i].mentions), "'%s' gave '%s'", bad_args[_i].arg, err);
	server_options_finish(&o);
}
END_TEST

START_TEST(durations)
{
	uint64_t ms;

	ck_assert_int_eq(server_parse_duration("0", &ms), 0);
	ck_assert_uint_eq(ms, 0);
	ck_assert_int_eq(server_parse_duration("45", &ms), 0);
	ck_assert_uint_eq(ms, 45000);
	ck_assert_int_eq(server_parse_duration("1500ms", &ms), 0);
	ck_assert_uint_eq(ms, 1500);
	ck_assert_int_eq(server_parse_duration("30m", &ms), 0);
	ck_assert_uint_eq(ms, 1800000);
	ck_assert_int_eq(server_parse_duration("2h", &ms), 0);
	ck_assert_uint_eq(ms, 7200000);
	ck_assert_int_eq(server_parse_duration("", &ms), -EINVAL);
	ck_assert_int_eq(server_parse_duration("m", &ms), -EINVAL);
	ck_assert_int_eq(server_parse_duration(" 5s", &ms), -EINVAL);
	ck_assert_int_eq(server_parse_duration("5 s", &ms), -EINVAL);
	ck_assert_int_eq(server_parse_duration("200h", &ms), -EINVAL);
	ck_assert_int_eq(server_parse_duration("99999999999999999999999", &ms), -EINVAL);
}
END_TEST

static char *write_config(const char *content)
{
	char *path = strdup("/tmp/lifeline-test-config-XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

START_TEST(config_file_and_override)
{
	struct server_options o;
	char err[256] = "";
	char *path = write_config("; Lifeline\n[server]\nport-range = 6000-6100\nsecurity = tls\n"
				  "view-only = yes\nexpire = 0\n");
	char arg[300];

	snprintf(arg, sizeof(arg), "--config=%s", path);
	/* the command line wins, wherever it stands relative to --config */
	ck_assert_int_eq(PARSE(&o, err, "--security=nla", arg), 0);
	ck_assert_uint_eq(o.port_lo, 6000);
	ck_assert_uint_eq(o.port_hi, 6100);
	ck_assert_int_eq(o.security, SERVER_SECURITY_NLA);
	ck_assert(o.view_only);
	ck_assert_uint_eq(o.expire_ms, 0);
	server_options_finish(&o);
	unlink(path);
	free(path);
}
END_TEST

static const struct {
	const char *content;
	const char *mentions;
} bad_configs[] = {
	{ "[server]\nmax-failures = lots\n", "max-failures" },
	{ "[server]\nfavourite-colour = blue\n", "favourite-colour" },
	{ "[client]\nport-range = 1-2\n", "[client]" },
	{ "[server\nport-range = 1-2\n", "outside a [server] section" },
	{ "[server]\nport-range\n", "syntax error on line 2" },
	{ "[server]\nhelp = 1\n", "help" },
};

START_TEST(config_bad_values)
{
	struct server_options o;
	char err[256] = "";
	char *path = write_config(bad_configs[_i].content);
	char arg[300];

	snprintf(arg, sizeof(arg), "--config=%s", path);
	ck_assert_int_eq(PARSE(&o, err, arg), -EINVAL);
	ck_assert_msg(strstr(err, bad_configs[_i].mentions), "config '%s' gave '%s'",
		      bad_configs[_i].content, err);
	ck_assert_msg(strstr(err, path), "message does not name the file: %s", err);
	server_options_finish(&o);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(config_missing_file)
{
	struct server_options o;
	char err[256] = "";

	ck_assert_int_eq(PARSE(&o, err, "-c", "/nonexistent/lifeline.conf"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/lifeline.conf"));
	server_options_finish(&o);
}
END_TEST

/* A kernel command line in a temporary file; returns its path (free it). */
static char *cmdline_file(const char *content, size_t len)
{
	char *path = strdup("/tmp/lifeline-cmdline-XXXXXX");
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
	return path;
}

START_TEST(kernel_cmdline_options)
{
	static const char line[] =
		"BOOT_IMAGE=/live/vmlinuz console=ttyS0 quiet lifeline.remote=auto "
		"lifeline.port-range=50100-50109 lifeline.expire=20m lifeline.security=tls\t"
		"lifeline.view-only=yes lifeline.keymap=de lifeline.announce=/dev/ttyS0 "
		"lifeline.max-fps=12 lifeline.max-fps=15 lifeline.state-dir=/tmp/evil "
		"lifeline.bind=\"127.0.0.1\" lifeline.capture=test:size=640x480\n";
	struct server_options o;
	char err[256] = "", arg[300];
	char *path = cmdline_file(line, sizeof(line) - 1);

	snprintf(arg, sizeof(arg), "--kernel-cmdline=%s", path);
	ck_assert_int_eq(PARSE(&o, err, arg), 0);
	ck_assert_uint_eq(o.port_lo, 50100);
	ck_assert_uint_eq(o.port_hi, 50109);
	ck_assert_uint_eq(o.expire_ms, 20 * 60 * 1000);
	ck_assert_int_eq(o.security, SERVER_SECURITY_TLS);
	ck_assert(o.view_only);
	ck_assert_uint_eq(o.max_fps, 15); /* the last word wins */
	ck_assert_str_eq(o.bind, "127.0.0.1");
	ck_assert_str_eq(o.capture, "test:size=640x480");
	/* not a boot option: the console's paths stay the console's */
	ck_assert_str_eq(o.state_dir, "/run/lifeline");
	ck_assert_str_eq(o.from_kernel_cmdline,
			 "port-range,expire,security,view-only,max-fps,bind,capture");
	server_options_finish(&o);

	/* the command line wins over the boot options */
	ck_assert_int_eq(PARSE(&o, err, "--expire=1h", arg, "--view-only=no"), 0);
	ck_assert_uint_eq(o.expire_ms, 3600 * 1000);
	ck_assert(!o.view_only);
	ck_assert_uint_eq(o.port_lo, 50100);
	server_options_finish(&o);
	unlink(path);
	free(path);
}
END_TEST

/* lifeline.announce=DEV is the console's marker device; the HTTPS endpoint is announce-url. */
START_TEST(kernel_cmdline_announce)
{
	static const char line[] =
		"lifeline.announce=/dev/ttyS0 lifeline.announce-url=https://helpdesk.example/in "
		"lifeline.announce-pin=sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
	struct server_options o;
	char err[256] = "", arg[300];
	char *path = cmdline_file(line, sizeof(line) - 1);

	snprintf(arg, sizeof(arg), "--kernel-cmdline=%s", path);
	ck_assert_int_eq(PARSE(&o, err, arg), 0);
	ck_assert_str_eq(o.announce_url, "https://helpdesk.example/in");
	ck_assert_str_eq(o.announce_pin, "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	ck_assert_ptr_null(o.announce_ca);
	ck_assert_str_eq(o.from_kernel_cmdline, "announce-url,announce-pin");
	server_options_finish(&o);
	unlink(path);
	free(path);
	/* the ticket never goes out in clear text; a pin is a SHA-256 in base64 */
	ck_assert_int_eq(PARSE(&o, err, "--announce-url=http://helpdesk.example/in"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "https://"));
	server_options_finish(&o);
	ck_assert_int_eq(PARSE(&o, err, "--announce-pin=sha256//short"), -EINVAL);
	server_options_finish(&o);
	ck_assert_int_eq(
		PARSE(&o, err, "--announce-pin=md5//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3h"),
		-EINVAL);
	server_options_finish(&o);
	ck_assert_int_eq(PARSE(&o, err, "--announce-ca=relative.pem"), -EINVAL);
	server_options_finish(&o);
}
END_TEST

START_TEST(kernel_cmdline_config)
{
	char cfg[] = "/tmp/lifeline-conf-XXXXXX";
	static const char conf[] = "[server]\nexpire = 2h\nmax-failures = 3\nmax-fps = 20\n";
	struct server_options o;
	char err[256] = "", arg[300], line[400];
	char *path;
	int fd = mkstemp(cfg);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, conf, sizeof(conf) - 1), (ssize_t)(sizeof(conf) - 1));
	close(fd);
	/* config file < boot options < command line */
	snprintf(line, sizeof(line), "lifeline.config=%s lifeline.expire=5m", cfg);
	path = cmdline_file(line, strlen(line));
	snprintf(arg, sizeof(arg), "--kernel-cmdline=%s", path);
	ck_assert_int_eq(PARSE(&o, err, arg, "--max-fps=7"), 0);
	ck_assert_str_eq(o.config_path, cfg);
	ck_assert_uint_eq(o.expire_ms, 5 * 60 * 1000);
	ck_assert_uint_eq(o.max_failures, 3);
	ck_assert_uint_eq(o.max_fps, 7);
	ck_assert_str_eq(o.from_kernel_cmdline, "config,expire");
	server_options_finish(&o);
	unlink(path);
	free(path);
	unlink(cfg);
}
END_TEST

static const struct {
	const char *line;
	size_t len;
	const char *mentions;
} bad_cmdlines[] = {
	{ "quiet lifeline.port-range=9-1", 0, "lifeline.port-range" },
	{ "lifeline.expire=forever", 0, "lifeline.expire" },
	{ "lifeline.bind=eth0", 0, "lifeline.bind" },
	{ "lifeline.view-only=\xff\xfe", 0, "lifeline.view-only" },
	{ "lifeline.security=nla\x1b[2J", 0, "lifeline.security" },
	{ "lifeline.capture=", 0, "lifeline.capture" },
	{ "lifeline.config=/nonexistent/x.conf", 0, "/nonexistent/x.conf" },
};

START_TEST(kernel_cmdline_bad)
{
	struct server_options o;
	char err[256] = "", arg[300];
	const char *line = bad_cmdlines[_i].line;
	char *path = cmdline_file(line, strlen(line));

	snprintf(arg, sizeof(arg), "--kernel-cmdline=%s", path);
	ck_assert_int_eq(PARSE(&o, err, arg), -EINVAL);
	ck_assert_msg(strstr(err, bad_cmdlines[_i].mentions), "'%s' gave '%s'", line, err);
	server_options_finish(&o);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(kernel_cmdline_hostile)
{
	struct server_options o;
	char err[256] = "", arg[300];
	size_t n = SERVER_MAX_KERNEL_CMDLINE * 2;
	char *big = malloc(n + 1), *path;

	/* a huge value, an unterminated quote, a NUL inside, names near the limits */
	memset(big, 'a', n);
	memcpy(big, "lifeline.expire=", 16);
	path = cmdline_file(big, n);
	snprintf(arg, sizeof(arg), "--kernel-cmdline=%s", path);
	ck_assert_int_eq(PARSE(&o, err, arg), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
	server_options_finish(&o);
	unlink(path);
	free(path);

	memset(big, 'x', n);
	path = cmdline_file(big, n);
	snprintf(arg, sizeof(arg), "--kernel-cmdline=%s", path);
	ck_assert_int_eq(PARSE(&o, err, arg), 0);
	ck_assert_ptr_null(o.from_kernel_cmdline);
	server_options_finish(&o);
	unlink(path);
	free(path);
	free(big);

	static const char odd[] = "lifeline.expire=\"10m lifeline.=x lifeline= lifeline.max-fps";
	path = cmdline_file(odd, sizeof(odd) - 1);
	snprintf(arg, sizeof(arg), "--kernel-cmdline=%s", path);
	ck_assert_int_eq(PARSE(&o, err, arg), -EINVAL); /* "10m lifeline.=x ..." is no duration */
	server_options_finish(&o);
	unlink(path);
	free(path);

	static const char nul[] = "lifeline.expire=10m\0lifeline.expire=bad";
	path = cmdline_file(nul, sizeof(nul) - 1);
	snprintf(arg, sizeof(arg), "--kernel-cmdline=%s", path);
	ck_assert_int_eq(PARSE(&o, err, arg), 0);
	ck_assert_uint_eq(o.expire_ms, 10 * 60 * 1000);
	server_options_finish(&o);
	unlink(path);
	free(path);

	ck_assert_int_eq(PARSE(&o, err, "--kernel-cmdline=/nonexistent/cmdline"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/cmdline"));
	server_options_finish(&o);
}
END_TEST

/* Every boot option is a long option of the server that the kernel command line can set. */
START_TEST(kernel_cmdline_every_boot_option)
{
	for (size_t i = 0; server_boot_options[i]; i++) {
		char *argv[] = { "lifeline-server", NULL, NULL };
		char arg[64], err[256] = "";
		struct server_options o;
		int r;

		snprintf(arg, sizeof(arg), "--%s=?", server_boot_options[i]);
		argv[1] = arg;
		server_options_init(&o);
		r = server_options_parse(&o, 2, argv, err, sizeof(err));
		/* a known option with a bad value, not an unknown option */
		ck_assert_msg(r == 0 || !strstr(err, "unknown option"), "%s: %s", arg, err);
		server_options_finish(&o);
	}
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("server-options");
	TCase *tc = tcase_create("options");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_option);
	tcase_add_test(tc, help_and_version);
	tcase_add_loop_test(tc, bad_values, 0, sizeof(bad_args) / sizeof(bad_args[0]));
	tcase_add_test(tc, durations);
	tcase_add_test(tc, config_file_and_override);
	tcase_add_loop_test(tc, config_bad_values, 0, sizeof(bad_configs) / sizeof(bad_configs[0]));
	tcase_add_test(tc, config_missing_file);
	tcase_add_test(tc, kernel_cmdline_options);
	tcase_add_test(tc, kernel_cmdline_config);
	tcase_add_test(tc, kernel_cmdline_announce);
	tcase_add_loop_test(tc, kernel_cmdline_bad, 0,
			    sizeof(bad_cmdlines) / sizeof(bad_cmdlines[0]));
	tcase_add_test(tc, kernel_cmdline_hostile);
	tcase_add_test(tc, kernel_cmdline_every_boot_option);
	suite_add_tcase(s, tc);
	return s;
}
