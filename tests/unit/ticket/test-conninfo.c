#include <arpa/inet.h>
#include <json.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>

#include "conninfo.h"
#include "test-common.h"

#define SHA256                                                                                    \
	"AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:" \
	"45:67:89"
#define SHA1 "aabbccddeeff00112233445566778899aabbccdd"

static struct ticket_address make(const char *text, const char *ifname)
{
	struct ticket_address a;
	struct sockaddr_storage ss = {0};

	if (strchr(text, ':')) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		ck_assert_int_eq(inet_pton(AF_INET6, text, &sin6->sin6_addr), 1);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		ck_assert_int_eq(inet_pton(AF_INET, text, &sin->sin_addr), 1);
	}
	ck_assert_int_eq(ticket_address_from_sockaddr((struct sockaddr *)&ss, ifname, &a), 0);
	return a;
}

static struct ticket_address addrs[4];

static struct ticket_conninfo sample(void)
{
	addrs[0] = make("192.168.1.20", "eth0");
	addrs[1] = make("2001:db8::5", "eth0");
	addrs[2] = make("fe80::1", "eth0");
	addrs[3] = make("169.254.10.20", "eth1");
	return (struct ticket_conninfo){
	                .ticket_text = "482-915-307",
	                .port = 51234,
	                .addresses = addrs,
	                .n_addresses = 4,
	                .security = "nla",
	                .user = "helpdesk",
	                .sha256_fingerprint = SHA256,
	                .sha1_thumbprint = SHA1,
	                .hostname = "rescue-pc",
	};
}

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Let /bin/sh split the command line exactly as a user's shell would; returns the words. */
static size_t shell_words(const char *cmdline, char words[][256], size_t max)
{
	const char *prefix = "xfreerdp ";
	char cmd[2048];
	size_t n = 0;
	FILE *f;

	ck_assert_int_eq(strncmp(cmdline, prefix, strlen(prefix)), 0);
	snprintf(cmd, sizeof(cmd), "printf '%%s\\n' %s", cmdline + strlen(prefix));
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	while (n < max && fgets(words[n], 256, f)) {
		words[n][strcspn(words[n], "\n")] = '\0';
		n++;
	}
	ck_assert_int_eq(pclose(f), 0);
	return n;
}

START_TEST(xfreerdp_v4)
{
	struct ticket_conninfo ci = sample();
	char *s = ticket_conninfo_xfreerdp(&ci, 0);

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "xfreerdp /v:192.168.1.20:51234 /u:helpdesk /p:482-915-307 /sec:nla "
	                    "/cert:deny,fingerprint:sha256:" SHA256);
	ck_assert_ptr_null(strchr(s, '\n'));
	free_secret(s);
}
END_TEST

START_TEST(xfreerdp_v6_brackets_quoted)
{
	struct ticket_conninfo ci = sample();
	char words[8][256];
	char *s;

	s = ticket_conninfo_xfreerdp(&ci, 1);
	ck_assert_ptr_nonnull(s);
	/* brackets are glob characters (zsh refuses an unmatched glob): quoted */
	ck_assert_ptr_nonnull(strstr(s, " '/v:[2001:db8::5]:51234' "));
	ck_assert_uint_eq(shell_words(s, words, 8), 5);
	ck_assert_str_eq(words[0], "/v:[2001:db8::5]:51234");
	free_secret(s);

	s = ticket_conninfo_xfreerdp(&ci, 2);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(shell_words(s, words, 8), 5);
	ck_assert_str_eq(words[0], "/v:[fe80::1%eth0]:51234");
	free_secret(s);

	s = ticket_conninfo_xfreerdp(&ci, 3);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(s, " /v:169.254.10.20:51234 "));
	free_secret(s);
}
END_TEST

START_TEST(xfreerdp_shell_quoting)
{
	struct ticket_conninfo ci = sample();
	char words[8][256];
	char *s;

	ci.user = "o'brien $HOME `id` *";
	ci.security = "tls";
	s = ticket_conninfo_xfreerdp(&ci, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(shell_words(s, words, 8), 5);
	ck_assert_str_eq(words[0], "/v:192.168.1.20:51234");
	ck_assert_str_eq(words[1], "/u:o'brien $HOME `id` *");
	ck_assert_str_eq(words[2], "/p:482-915-307");
	ck_assert_str_eq(words[3], "/sec:tls");
	ck_assert_str_eq(words[4], "/cert:deny,fingerprint:sha256:" SHA256);
	free_secret(s);
}
END_TEST

START_TEST(xfreerdp_defaults_and_errors)
{
	struct ticket_conninfo ci = sample();
	char *s;

	ci.user = NULL;
	ci.security = NULL;
	ci.sha256_fingerprint = NULL;
	s = ticket_conninfo_xfreerdp(&ci, 0);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "xfreerdp /v:192.168.1.20:51234 /u:helpdesk /p:482-915-307 /sec:nla");
	free_secret(s);

	errno = 0;
	ck_assert_ptr_null(ticket_conninfo_xfreerdp(&ci, 4));
	ck_assert_int_eq(errno, EINVAL);
	ci.security = "rdp";
	errno = 0;
	ck_assert_ptr_null(ticket_conninfo_xfreerdp(&ci, 0));
	ck_assert_int_eq(errno, EINVAL);
	ci.security = "nla";
	ci.n_addresses = 0;
	ck_assert_ptr_null(ticket_conninfo_xfreerdp(&ci, 0));
	ci = sample();
	ci.ticket_text = NULL;
	ck_assert_ptr_null(ticket_conninfo_xfreerdp(&ci, 0));
}
END_TEST

/* split CRLF lines; every line must end in CRLF and contain no bare CR or LF */
static size_t rdp_lines(const char *s, char lines[][256], size_t max)
{
	size_t n = 0;

	while (*s) {
		const char *crlf = strstr(s, "\r\n");
		size_t len;

		ck_assert_ptr_nonnull(crlf);
		len = (size_t)(crlf - s);
		ck_assert_uint_lt(len, 256);
		ck_assert_uint_lt(n, max);
		memcpy(lines[n], s, len);
		lines[n][len] = '\0';
		ck_assert_ptr_null(strchr(lines[n], '\r'));
		ck_assert_ptr_null(strchr(lines[n], '\n'));
		n++;
		s = crlf + 2;
	}
	return n;
}

static bool has_line(char lines[][256], size_t n, const char *want)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(lines[i], want) == 0) {
			return true;
		}
	}
	return false;
}

START_TEST(rdp_nla)
{
	struct ticket_conninfo ci = sample();
	char lines[64][256];
	char *s = ticket_conninfo_rdp(&ci, 0);
	size_t n;

	ck_assert_ptr_nonnull(s);
	n = rdp_lines(s, lines, 64);
	ck_assert(has_line(lines, n, "full address:s:192.168.1.20:51234"));
	ck_assert(has_line(lines, n, "username:s:helpdesk"));
	ck_assert(has_line(lines, n, "authentication level:i:2"));
	ck_assert(has_line(lines, n, "enablecredsspsupport:i:1"));
	ck_assert(has_line(lines, n, "prompt for credentials:i:1"));
	for (size_t i = 0; i < n; i++) {
		/* every line is "name:type:value" */
		const char *c1 = strchr(lines[i], ':');

		ck_assert_ptr_nonnull(c1);
		ck_assert(c1[1] == 's' || c1[1] == 'i');
		ck_assert_int_eq(c1[2], ':');
		ck_assert(strncmp(lines[i], "password", 8) != 0);
	}
	/* no password in the file, in any spelling */
	ck_assert_ptr_null(strstr(s, "482-915-307"));
	ck_assert_ptr_null(strstr(s, "482915307"));
	free_secret(s);
}
END_TEST

START_TEST(rdp_tls_and_v6)
{
	struct ticket_conninfo ci = sample();
	char lines[64][256];
	char *s;
	size_t n;

	ci.security = "tls";
	ci.user = NULL;
	s = ticket_conninfo_rdp(&ci, 1);
	ck_assert_ptr_nonnull(s);
	n = rdp_lines(s, lines, 64);
	ck_assert(has_line(lines, n, "full address:s:[2001:db8::5]:51234"));
	ck_assert(has_line(lines, n, "enablecredsspsupport:i:0"));
	ck_assert(has_line(lines, n, "username:s:helpdesk"));
	ck_assert(!has_line(lines, n, "enablecredsspsupport:i:1"));
	free_secret(s);

	s = ticket_conninfo_rdp(&ci, 2);
	ck_assert_ptr_nonnull(s);
	n = rdp_lines(s, lines, 64);
	ck_assert(has_line(lines, n, "full address:s:[fe80::1%eth0]:51234"));
	free_secret(s);
}
END_TEST

START_TEST(rdp_refuses_line_injection)
{
	struct ticket_conninfo ci = sample();

	ci.user = "helpdesk\r\nalternate shell:s:evil";
	errno = 0;
	ck_assert_ptr_null(ticket_conninfo_rdp(&ci, 0));
	ck_assert_int_eq(errno, EINVAL);
	ci = sample();
	ck_assert_ptr_null(ticket_conninfo_rdp(&ci, 4));
}
END_TEST

START_TEST(json_fields)
{
	struct ticket_conninfo ci = sample();
	char *s = ticket_conninfo_json(&ci);
	char *x = ticket_conninfo_xfreerdp(&ci, 0);
	struct json_object *o, *v, *arr;

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(strchr(s, '\n'));
	o = json_tokener_parse(s);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_is_type(o, json_type_object));

	ck_assert(json_object_object_get_ex(o, "ticket", &v));
	ck_assert_str_eq(json_object_get_string(v), "482-915-307");
	ck_assert(json_object_object_get_ex(o, "port", &v));
	ck_assert(json_object_is_type(v, json_type_int));
	ck_assert_int_eq(json_object_get_int(v), 51234);
	ck_assert(json_object_object_get_ex(o, "addresses", &arr));
	ck_assert(json_object_is_type(arr, json_type_array));
	ck_assert_uint_eq(json_object_array_length(arr), 4);
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(arr, 0)), "192.168.1.20");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(arr, 1)), "2001:db8::5");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(arr, 2)), "fe80::1%eth0");
	ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(arr, 3)),
	                 "169.254.10.20");
	ck_assert(json_object_object_get_ex(o, "security", &v));
	ck_assert_str_eq(json_object_get_string(v), "nla");
	ck_assert(json_object_object_get_ex(o, "user", &v));
	ck_assert_str_eq(json_object_get_string(v), "helpdesk");
	ck_assert(json_object_object_get_ex(o, "sha256_fingerprint", &v));
	ck_assert_str_eq(json_object_get_string(v), SHA256);
	ck_assert(json_object_object_get_ex(o, "sha1_thumbprint", &v));
	ck_assert_str_eq(json_object_get_string(v), SHA1);
	ck_assert(json_object_object_get_ex(o, "hostname", &v));
	ck_assert_str_eq(json_object_get_string(v), "rescue-pc");
	ck_assert(json_object_object_get_ex(o, "xfreerdp", &v));
	ck_assert_ptr_nonnull(x);
	ck_assert_str_eq(json_object_get_string(v), x);
	ck_assert_int_eq(json_object_object_length(o), 9);

	json_object_put(o);
	free_secret(s);
	free_secret(x);
}
END_TEST

START_TEST(json_escaping_and_nulls)
{
	struct ticket_conninfo ci = sample();
	const char *host = "we\"ird\\host/\xc3\xa9";
	struct json_object *o, *v, *arr;
	char *s;

	ci.hostname = host;
	ci.user = "o'brien \"x\"";
	ci.sha1_thumbprint = NULL;
	ci.n_addresses = 0;
	ci.addresses = NULL;
	s = ticket_conninfo_json(&ci);
	ck_assert_ptr_nonnull(s);
	o = json_tokener_parse(s);
	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "hostname", &v));
	ck_assert_str_eq(json_object_get_string(v), host);
	ck_assert(json_object_object_get_ex(o, "user", &v));
	ck_assert_str_eq(json_object_get_string(v), "o'brien \"x\"");
	/* present, and null */
	ck_assert(json_object_object_get_ex(o, "sha1_thumbprint", &v));
	ck_assert_ptr_null(v);
	ck_assert(json_object_object_get_ex(o, "xfreerdp", &v));
	ck_assert_ptr_null(v);
	ck_assert(json_object_object_get_ex(o, "addresses", &arr));
	ck_assert(json_object_is_type(arr, json_type_array));
	ck_assert_uint_eq(json_object_array_length(arr), 0);
	json_object_put(o);
	free_secret(s);

	ci = sample();
	ci.hostname = NULL;
	s = ticket_conninfo_json(&ci);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(s, "\"hostname\":null"));
	free_secret(s);

	ci.security = "none";
	ck_assert_ptr_null(ticket_conninfo_json(&ci));
}
END_TEST

START_TEST(text_contents)
{
	struct ticket_conninfo ci = sample();
	char *s = ticket_conninfo_text(&ci);

	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(s, "482-915-307"));
	ck_assert_ptr_nonnull(strstr(s, "51234"));
	for (size_t i = 0; i < ci.n_addresses; i++) {
		ck_assert_msg(strstr(s, addrs[i].text), "%s missing", addrs[i].text);
	}
	ck_assert_ptr_nonnull(strstr(s, "AB:CD:EF:01..."));
	ck_assert_ptr_nonnull(strstr(s, "aabbccdd..."));
	ck_assert_ptr_nonnull(strstr(s, "rescue-pc"));
	ck_assert_ptr_nonnull(strstr(s, "192.168.1.20:51234"));
	ck_assert_ptr_nonnull(strstr(s, "helpdesk"));
	ck_assert_ptr_nonnull(strstr(s, "NLA"));
	/* the zone of a link-local address belongs to the helpdesk's machine: say so */
	ck_assert_ptr_nonnull(strstr(s, "its own"));
	ck_assert_ptr_null(strstr(s, "Network tool"));
	free_secret(s);
}
END_TEST

START_TEST(text_no_address)
{
	struct ticket_conninfo ci = sample();
	char *s;

	ci.n_addresses = 0;
	ci.addresses = NULL;
	ci.security = "tls";
	ci.sha256_fingerprint = NULL;
	ci.sha1_thumbprint = NULL;
	ci.hostname = NULL;
	s = ticket_conninfo_text(&ci);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(s, "482-915-307"));
	ck_assert_ptr_nonnull(strstr(s, "51234"));
	ck_assert_ptr_nonnull(strstr(s, "no network address"));
	ck_assert_ptr_nonnull(strstr(s, "Network tool"));
	ck_assert_ptr_nonnull(strstr(s, "TLS"));
	ck_assert_ptr_null(strstr(s, "xfreerdp /v:"));
	ck_assert_ptr_null(strstr(s, "Certificate"));
	ck_assert_ptr_null(strstr(s, "(null)"));
	free_secret(s);
}
END_TEST

START_TEST(text_v4_only_has_no_zone_note)
{
	struct ticket_conninfo ci = sample();
	char *s;

	ci.n_addresses = 1;
	s = ticket_conninfo_text(&ci);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_null(strstr(s, "its own"));
	ck_assert_ptr_null(strstr(s, "another address"));
	free_secret(s);

	ci.hostname = "evil\nline";
	errno = 0;
	ck_assert_ptr_null(ticket_conninfo_text(&ci));
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("ticket-conninfo");
	TCase *tc;

	tc = tcase_create("xfreerdp");
	tcase_add_test(tc, xfreerdp_v4);
	tcase_add_test(tc, xfreerdp_v6_brackets_quoted);
	tcase_add_test(tc, xfreerdp_shell_quoting);
	tcase_add_test(tc, xfreerdp_defaults_and_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("rdp");
	tcase_add_test(tc, rdp_nla);
	tcase_add_test(tc, rdp_tls_and_v6);
	tcase_add_test(tc, rdp_refuses_line_injection);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_test(tc, json_fields);
	tcase_add_test(tc, json_escaping_and_nulls);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_test(tc, text_contents);
	tcase_add_test(tc, text_no_address);
	tcase_add_test(tc, text_v4_only_has_no_zone_note);
	suite_add_tcase(s, tc);

	return s;
}
