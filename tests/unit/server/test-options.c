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
	suite_add_tcase(s, tc);
	return s;
}
