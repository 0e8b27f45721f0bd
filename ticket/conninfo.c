#include "conninfo.h"

#include <errno.h>
#include <json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/*
 * A growing string that wipes every buffer it lets go of, since what it holds contains the
 * ticket. On allocation failure it is poisoned (data == NULL) and later appends are no-ops.
 */
struct strbuf {
	char *data;
	size_t len;
	size_t cap;
};

static void strbuf_init(struct strbuf *sb)
{
	sb->cap = 256;
	sb->len = 0;
	sb->data = malloc(sb->cap);
	if (sb->data) {
		sb->data[0] = '\0';
	}
}

static void strbuf_release(struct strbuf *sb)
{
	if (sb->data) {
		explicit_bzero(sb->data, sb->cap);
		free(sb->data);
		sb->data = NULL;
	}
}

static bool strbuf_reserve(struct strbuf *sb, size_t extra)
{
	size_t need, cap;
	char *data;

	if (!sb->data) {
		return false;
	}
	need = sb->len + extra + 1;
	if (need <= sb->cap) {
		return true;
	}
	cap = sb->cap;
	while (cap < need) {
		cap *= 2;
	}
	/* not realloc(): the old block would be freed with the ticket still in it */
	data = malloc(cap);
	if (!data) {
		strbuf_release(sb);
		return false;
	}
	memcpy(data, sb->data, sb->len + 1);
	explicit_bzero(sb->data, sb->cap);
	free(sb->data);
	sb->data = data;
	sb->cap = cap;
	return true;
}

static void strbuf_putn(struct strbuf *sb, const char *s, size_t n)
{
	if (!strbuf_reserve(sb, n)) {
		return;
	}
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

static void strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_putn(sb, s, strlen(s));
}

static void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!sb->data) {
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		strbuf_release(sb);
		return;
	}
	if (!strbuf_reserve(sb, (size_t)n)) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

/* the finished string, or NULL with errno = ENOMEM */
static char *strbuf_finish(struct strbuf *sb)
{
	char *s = sb->data;

	if (!s) {
		errno = ENOMEM;
	}
	sb->data = NULL;
	return s;
}

static bool has_control_chars(const char *s)
{
	for (; s && *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			return true;
		}
	}
	return false;
}

static const char *ci_user(const struct ticket_conninfo *ci)
{
	return ci->user && ci->user[0] ? ci->user : TICKET_CONNINFO_DEFAULT_USER;
}

static const char *ci_security(const struct ticket_conninfo *ci)
{
	return ci->security ? ci->security : "nla";
}

/*
 * Everything ends up in line-oriented files and command lines, so a control character anywhere
 * (a CR/LF in a user name would add lines to the .rdp file) is refused rather than passed on.
 */
static int ci_validate(const struct ticket_conninfo *ci)
{
	const char *sec;

	if (!ci || !ci->ticket_text || !ci->ticket_text[0] || (ci->n_addresses && !ci->addresses)) {
		return -EINVAL;
	}
	sec = ci_security(ci);
	if (strcmp(sec, "nla") != 0 && strcmp(sec, "tls") != 0) {
		return -EINVAL;
	}
	if (has_control_chars(ci->ticket_text) || has_control_chars(ci->user) ||
	    has_control_chars(ci->sha256_fingerprint) || has_control_chars(ci->sha1_thumbprint) ||
	    has_control_chars(ci->hostname)) {
		return -EINVAL;
	}
	for (size_t i = 0; i < ci->n_addresses; i++) {
		if (has_control_chars(ci->addresses[i].text)) {
			return -EINVAL;
		}
	}
	return 0;
}

/* "192.0.2.1:3389" or "[2001:db8::1]:3389" */
static void put_host_port(struct strbuf *sb, const struct ticket_address *a, uint16_t port)
{
	if (a->family == AF_INET6) {
		strbuf_printf(sb, "[%s]:%u", a->text, (unsigned)port);
	} else {
		strbuf_printf(sb, "%s:%u", a->text, (unsigned)port);
	}
}

static bool is_shell_safe(const char *s)
{
	if (!*s) {
		return false;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("@%+=:,./_-", c))) {
			return false;
		}
	}
	return true;
}

/* one shell word, single-quoted unless every character is inert in sh, bash and zsh */
static void put_shell_word(struct strbuf *sb, const char *word)
{
	if (is_shell_safe(word)) {
		strbuf_puts(sb, word);
		return;
	}
	strbuf_putn(sb, "'", 1);
	for (const char *p = word; *p; p++) {
		if (*p == '\'') {
			strbuf_puts(sb, "'\\''");
		} else {
			strbuf_putn(sb, p, 1);
		}
	}
	strbuf_putn(sb, "'", 1);
}

/* Build one argument in a scratch buffer, then append it shell-quoted and wipe the scratch. */
static void put_shell_arg(struct strbuf *sb, struct strbuf *arg)
{
	if (!arg->data) {
		strbuf_release(sb);
		return;
	}
	strbuf_putn(sb, " ", 1);
	put_shell_word(sb, arg->data);
	strbuf_release(arg);
}

static void put_xfreerdp(struct strbuf *sb, const struct ticket_conninfo *ci,
			 const struct ticket_address *a)
{
	struct strbuf arg;

	strbuf_puts(sb, "xfreerdp");

	strbuf_init(&arg);
	strbuf_puts(&arg, "/v:");
	put_host_port(&arg, a, ci->port);
	put_shell_arg(sb, &arg);

	strbuf_init(&arg);
	strbuf_printf(&arg, "/u:%s", ci_user(ci));
	put_shell_arg(sb, &arg);

	strbuf_init(&arg);
	strbuf_printf(&arg, "/p:%s", ci->ticket_text);
	put_shell_arg(sb, &arg);

	strbuf_printf(sb, " /sec:%s", ci_security(ci));

	if (ci->sha256_fingerprint && ci->sha256_fingerprint[0]) {
		strbuf_init(&arg);
		strbuf_printf(&arg, "/cert:deny,fingerprint:sha256:%s", ci->sha256_fingerprint);
		put_shell_arg(sb, &arg);
	}
}

char *ticket_conninfo_xfreerdp(const struct ticket_conninfo *ci, size_t address_index)
{
	struct strbuf sb;

	if (ci_validate(ci) < 0 || address_index >= ci->n_addresses) {
		errno = EINVAL;
		return NULL;
	}
	strbuf_init(&sb);
	put_xfreerdp(&sb, ci, &ci->addresses[address_index]);
	return strbuf_finish(&sb);
}

char *ticket_conninfo_rdp(const struct ticket_conninfo *ci, size_t address_index)
{
	struct strbuf sb;
	bool nla;

	if (ci_validate(ci) < 0 || address_index >= ci->n_addresses) {
		errno = EINVAL;
		return NULL;
	}
	nla = strcmp(ci_security(ci), "nla") == 0;

	strbuf_init(&sb);
	strbuf_puts(&sb, "full address:s:");
	put_host_port(&sb, &ci->addresses[address_index], ci->port);
	strbuf_puts(&sb, "\r\n");
	strbuf_printf(&sb, "username:s:%s\r\n", ci_user(ci));
	/* The password is the ticket, given over the phone: never store it in the file. */
	strbuf_puts(&sb, "prompt for credentials:i:1\r\n");
	strbuf_puts(&sb, "promptcredentialonce:i:0\r\n");
	/* 2: warn about the self-signed certificate; the user compares the thumbprint */
	strbuf_puts(&sb, "authentication level:i:2\r\n");
	strbuf_printf(&sb, "enablecredsspsupport:i:%d\r\n", nla ? 1 : 0);
	strbuf_puts(&sb, "negotiate security layer:i:1\r\n");
	strbuf_puts(&sb, "screen mode id:i:1\r\n");
	strbuf_puts(&sb, "session bpp:i:32\r\n");
	strbuf_puts(&sb, "audiomode:i:2\r\n");
	strbuf_puts(&sb, "autoreconnection enabled:i:1\r\n");
	strbuf_puts(&sb, "redirectprinters:i:0\r\n");
	strbuf_puts(&sb, "redirectsmartcards:i:0\r\n");
	strbuf_puts(&sb, "redirectcomports:i:0\r\n");
	strbuf_puts(&sb, "drivestoredirect:s:\r\n");
	strbuf_puts(&sb, "gatewayusagemethod:i:4\r\n");
	return strbuf_finish(&sb);
}

/* the first `groups` colon-separated groups of a fingerprint */
static void put_prefix_groups(struct strbuf *sb, const char *fp, unsigned groups)
{
	size_t n = 0;
	unsigned seen = 0;

	while (fp[n]) {
		if (fp[n] == ':' && ++seen == groups) {
			break;
		}
		n++;
	}
	strbuf_putn(sb, fp, n);
	if (fp[n]) {
		strbuf_puts(sb, "...");
	}
}

char *ticket_conninfo_text(const struct ticket_conninfo *ci)
{
	static const char indent[] = "               ";
	bool zone_note = false;
	bool nla;
	struct strbuf sb;

	if (ci_validate(ci) < 0) {
		errno = EINVAL;
		return NULL;
	}
	nla = strcmp(ci_security(ci), "nla") == 0;

	strbuf_init(&sb);
	strbuf_puts(&sb, "Remote Connection\n\n");
	strbuf_printf(&sb, "  Ticket:      %s\n", ci->ticket_text);
	strbuf_printf(&sb, "  Port:        %u\n", (unsigned)ci->port);
	if (ci->n_addresses == 0) {
		strbuf_puts(&sb, "  Address:     none - this computer has no network address.\n");
		strbuf_printf(&sb, "%sOpen the Network tool to connect to a network;\n", indent);
		strbuf_printf(&sb, "%sthe addresses appear here as soon as there is one.\n",
			      indent);
	}
	for (size_t i = 0; i < ci->n_addresses; i++) {
		const struct ticket_address *a = &ci->addresses[i];

		strbuf_printf(&sb, "%s%s%s\n", i == 0 ? "  Address:     " : indent, a->text,
			      a->link_local ? "  (link-local)" : "");
		if (a->family == AF_INET6 && a->link_local && strchr(a->text, '%')) {
			zone_note = true;
		}
	}
	if (ci->hostname && ci->hostname[0]) {
		strbuf_printf(&sb, "  Computer:    %s\n", ci->hostname);
	}
	strbuf_printf(&sb, "  Security:    %s\n", nla ? "NLA" : "TLS");
	if (ci->sha256_fingerprint && ci->sha256_fingerprint[0]) {
		strbuf_puts(&sb, "  Certificate: SHA-256 ");
		put_prefix_groups(&sb, ci->sha256_fingerprint, 4);
		strbuf_putn(&sb, "\n", 1);
	}
	if (ci->sha1_thumbprint && ci->sha1_thumbprint[0]) {
		strbuf_printf(&sb, "%sthumbprint %.8s%s (mstsc shows it)\n", indent,
			      ci->sha1_thumbprint, strlen(ci->sha1_thumbprint) > 8 ? "..." : "");
	}

	strbuf_puts(&sb, "\nHow to connect: mstsc, Remmina or xfreerdp to ");
	if (ci->n_addresses > 0) {
		put_host_port(&sb, &ci->addresses[0], ci->port);
		if (ci->n_addresses > 1) {
			strbuf_puts(&sb, "\n  (or another address above with the same port)");
		}
	} else {
		strbuf_printf(&sb, "ADDRESS:%u", (unsigned)ci->port);
	}
	strbuf_printf(&sb, ";\n  any user name, e.g. %s; the ticket is the password.\n",
		      ci_user(ci));
	if (zone_note) {
		strbuf_puts(&sb,
			    "  Link-local fe80:: addresses: after the % the helpdesk puts its own\n"
			    "  network interface (Windows: its number, e.g. %12).\n");
	}
	if (ci->n_addresses > 0) {
		strbuf_puts(&sb, "Command line: ");
		put_xfreerdp(&sb, ci, &ci->addresses[0]);
		strbuf_putn(&sb, "\n", 1);
	}
	return strbuf_finish(&sb);
}

/* Scrub a json-c string value in place before the object is freed. */
static void json_wipe_string(struct json_object *o)
{
	const char *s = o ? json_object_get_string(o) : NULL;

	if (s) {
		explicit_bzero((char *)s, strlen(s));
	}
}

static int json_add_string(struct json_object *obj, const char *key, const char *value,
			   struct json_object **ret)
{
	struct json_object *v = NULL;

	if (value) {
		v = json_object_new_string(value);
		if (!v) {
			return -ENOMEM;
		}
	}
	if (json_object_object_add(obj, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	if (ret) {
		*ret = v;
	}
	return 0;
}

char *ticket_conninfo_json(const struct ticket_conninfo *ci)
{
	struct json_object *obj, *arr, *jticket = NULL, *jxfreerdp = NULL;
	char *xfreerdp = NULL;
	const char *serialized;
	char *out = NULL;
	int r;

	if (ci_validate(ci) < 0) {
		errno = EINVAL;
		return NULL;
	}
	if (ci->n_addresses > 0) {
		xfreerdp = ticket_conninfo_xfreerdp(ci, 0);
		if (!xfreerdp) {
			return NULL;
		}
	}
	obj = json_object_new_object();
	if (!obj) {
		goto err_xfreerdp;
	}

	r = json_add_string(obj, "ticket", ci->ticket_text, &jticket);
	if (r == 0) {
		struct json_object *jport = json_object_new_int(ci->port);

		if (!jport || json_object_object_add(obj, "port", jport) < 0) {
			json_object_put(jport);
			r = -ENOMEM;
		}
	}
	if (r == 0) {
		arr = json_object_new_array();
		if (!arr || json_object_object_add(obj, "addresses", arr) < 0) {
			json_object_put(arr);
			r = -ENOMEM;
		}
		for (size_t i = 0; r == 0 && i < ci->n_addresses; i++) {
			struct json_object *s = json_object_new_string(ci->addresses[i].text);

			if (!s || json_object_array_add(arr, s) < 0) {
				json_object_put(s);
				r = -ENOMEM;
			}
		}
	}
	if (r == 0) {
		r = json_add_string(obj, "security", ci_security(ci), NULL);
	}
	if (r == 0) {
		r = json_add_string(obj, "user", ci_user(ci), NULL);
	}
	if (r == 0) {
		r = json_add_string(obj, "sha256_fingerprint", ci->sha256_fingerprint, NULL);
	}
	if (r == 0) {
		r = json_add_string(obj, "sha1_thumbprint", ci->sha1_thumbprint, NULL);
	}
	if (r == 0) {
		r = json_add_string(obj, "hostname", ci->hostname, NULL);
	}
	if (r == 0) {
		r = json_add_string(obj, "xfreerdp", xfreerdp, &jxfreerdp);
	}
	if (r < 0) {
		goto err_obj;
	}

	serialized = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
								 JSON_C_TO_STRING_NOSLASHESCAPE);
	if (serialized) {
		out = strdup(serialized);
		/* json-c keeps the serialization in the object; scrub it (realloc copies remain).
		 */
		explicit_bzero((char *)serialized, strlen(serialized));
	}

err_obj:
	json_wipe_string(jticket);
	json_wipe_string(jxfreerdp);
	json_object_put(obj);
err_xfreerdp:
	if (xfreerdp) {
		explicit_bzero(xfreerdp, strlen(xfreerdp));
		free(xfreerdp);
	}
	if (!out) {
		errno = ENOMEM;
	}
	return out;
}
