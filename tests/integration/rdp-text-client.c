/* rdp-text-client: connects to an RDP server with NLA and types text as RDP Unicode keyboard
 * events, the way mstsc, on-screen keyboards and IMEs do.  Debian 12's xfreerdp 2.11 has no
 * way to send those, so the integration tests use this to drive the server's text path.
 *
 * It pins the server certificate by its SHA-256 fingerprint, draws nothing (a software GDI
 * takes the frames the server sends and nobody looks at them), and checks that the server
 * offered Unicode input before it types. */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <freerdp/client.h>
#include <freerdp/freerdp.h>
#include <freerdp/gdi/gdi.h>
#include <freerdp/input.h>
#include <freerdp/settings.h>
#include <winpr/synch.h>
#include <winpr/wlog.h>

#include "clip-text.h"

#define PROG         "rdp-text-client"
#define EXIT_FAILED  1
#define EXIT_USAGE   2
#define MAX_TEXT     (1024 * 1024)
#define MAX_DELAY_MS 60000
#define SHA256_LEN   32

struct options {
	const char *host;
	uint16_t port;
	const char *user;
	const char *password;
	uint8_t sha256[SHA256_LEN];
	const char *text;
	long key_before; /* RDP scancode (bit 8: extended), or -1 */
	long key_after;
	unsigned int delay_ms;
	bool verbose;
};

enum pin_result {
	PIN_NOT_SEEN,
	PIN_MATCH,
	PIN_MISMATCH,
	PIN_UNREADABLE,
};

struct text_client {
	rdpClientContext common; /* first: FreeRDP allocates ContextSize and casts */
	const uint8_t *pin;
	enum pin_result pin_result;
	char seen_sha256[SHA256_LEN * 3];
};

static const char usage_text[] =
	"Usage: " PROG " --host HOST [--port PORT] --user USER --password PASSWORD\n"
	"                       --sha256 FINGERPRINT [--text UTF8] [OPTIONS]\n"
	"\n"
	"Connect to an RDP server with NLA and type the text as RDP Unicode keyboard events\n"
	"(each character pressed and released; characters outside the BMP as a UTF-16\n"
	"surrogate pair, two presses and releases).  A test client for Lifeline.\n"
	"\n"
	"  --host HOST             server address\n"
	"  --port PORT             server port (default 3389)\n"
	"  --user USER             user name for NLA\n"
	"  --password PASSWORD     password (the ticket) for NLA\n"
	"  --sha256 FINGERPRINT    the server certificate's SHA-256 fingerprint, hex bytes\n"
	"                          separated by colons (AA:BB:...); any other certificate\n"
	"                          is refused\n"
	"  --text UTF8             the text to type; without it, standard input is read\n"
	"                          to its end (at most 1 MiB) and typed as it is, newlines\n"
	"                          too\n"
	"  --key-before SCANCODE   press and release this RDP scancode before the text\n"
	"                          (0x100 set for extended keys, e.g. 0x1e is A, 0x11c is\n"
	"                          keypad Enter)\n"
	"  --key-after SCANCODE    press and release this RDP scancode after the text\n"
	"  --delay-ms N            wait N ms between characters and keys (default 0)\n"
	"  --verbose               show FreeRDP's log (WLOG_LEVEL also works)\n"
	"  --help                  show this help\n"
	"\n"
	"Exit status: 0 typed and disconnected, 1 connection, login, certificate or input\n"
	"failure (one line on standard error says which), 2 bad usage.\n";

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* "AA:BB:..." (32 bytes) into out; colons between every byte or none at all. */
static int parse_fingerprint(const char *s, uint8_t out[SHA256_LEN])
{
	size_t len = strlen(s);
	bool colons = len == SHA256_LEN * 3 - 1;

	if (!colons && len != SHA256_LEN * 2) {
		return -EINVAL;
	}
	for (size_t i = 0; i < SHA256_LEN; i++) {
		const char *p = s + i * (colons ? 3 : 2);
		int hi = hex_digit(p[0]), lo = hex_digit(p[1]);

		if (hi < 0 || lo < 0 || (colons && i + 1 < SHA256_LEN && p[2] != ':')) {
			return -EINVAL;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void format_fingerprint(const uint8_t md[SHA256_LEN], char out[SHA256_LEN * 3])
{
	static const char digits[] = "0123456789ABCDEF";

	for (size_t i = 0; i < SHA256_LEN; i++) {
		out[i * 3] = digits[md[i] >> 4];
		out[i * 3 + 1] = digits[md[i] & 0xf];
		out[i * 3 + 2] = i + 1 < SHA256_LEN ? ':' : '\0';
	}
}

static int parse_long(const char *s, long min, long max, long *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max) {
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

/* Checks the whole text before anything is typed: half a text is worse than none. */
static int utf8_validate(const char *text)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t n = strlen(text);

	while (n > 0) {
		uint32_t cp;
		int len = clip_text_utf8_decode(s, n, &cp);

		if (len < 0) {
			return len;
		}
		s += len;
		n -= (size_t)len;
	}
	return 0;
}

static int read_stdin(char **ret)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	if (!buf) {
		return -ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 2) {
			char *nb;

			if (cap >= MAX_TEXT + 1) {
				free(buf);
				return -E2BIG;
			}
			cap = cap * 2 > MAX_TEXT + 1 ? MAX_TEXT + 1 : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(STDIN_FILENO, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			int r = -errno;

			free(buf);
			return r;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	if (memchr(buf, '\0', len)) {
		free(buf);
		return -EILSEQ;
	}
	buf[len] = '\0';
	*ret = buf;
	return 0;
}

/* Returns 0, EXIT_USAGE after a message, or -1 when --help was printed. */
static int parse_options(int argc, char **argv, struct options *o, char **ret_stdin_text)
{
	enum {
		OPT_HOST = 256,
		OPT_PORT,
		OPT_USER,
		OPT_PASSWORD,
		OPT_SHA256,
		OPT_TEXT,
		OPT_KEY_BEFORE,
		OPT_KEY_AFTER,
		OPT_DELAY,
		OPT_VERBOSE,
		OPT_HELP
	};
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, OPT_HOST },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "user", required_argument, NULL, OPT_USER },
		{ "password", required_argument, NULL, OPT_PASSWORD },
		{ "sha256", required_argument, NULL, OPT_SHA256 },
		{ "text", required_argument, NULL, OPT_TEXT },
		{ "key-before", required_argument, NULL, OPT_KEY_BEFORE },
		{ "key-after", required_argument, NULL, OPT_KEY_AFTER },
		{ "delay-ms", required_argument, NULL, OPT_DELAY },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	bool have_pin = false;
	long v;
	int c;

	*o = (struct options){ .port = 3389, .key_before = -1, .key_after = -1 };
	*ret_stdin_text = NULL;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_HOST:
			o->host = optarg;
			break;
		case OPT_PORT:
			if (parse_long(optarg, 1, 65535, &v) < 0) {
				fprintf(stderr, PROG ": --port: not a port: %s\n", optarg);
				return EXIT_USAGE;
			}
			o->port = (uint16_t)v;
			break;
		case OPT_USER:
			o->user = optarg;
			break;
		case OPT_PASSWORD:
			o->password = optarg;
			break;
		case OPT_SHA256:
			if (parse_fingerprint(optarg, o->sha256) < 0) {
				fprintf(stderr,
					PROG ": --sha256: expected 32 hex bytes (AA:BB:...)\n");
				return EXIT_USAGE;
			}
			have_pin = true;
			break;
		case OPT_TEXT:
			o->text = optarg;
			break;
		case OPT_KEY_BEFORE:
		case OPT_KEY_AFTER:
			if (parse_long(optarg, 1, 0x1ff, &v) < 0) {
				fprintf(stderr, PROG ": %s: expected a scancode 1..0x1ff: %s\n",
					c == OPT_KEY_BEFORE ? "--key-before" : "--key-after",
					optarg);
				return EXIT_USAGE;
			}
			*(c == OPT_KEY_BEFORE ? &o->key_before : &o->key_after) = v;
			break;
		case OPT_DELAY:
			if (parse_long(optarg, 0, MAX_DELAY_MS, &v) < 0) {
				fprintf(stderr, PROG ": --delay-ms: expected 0..%d: %s\n",
					MAX_DELAY_MS, optarg);
				return EXIT_USAGE;
			}
			o->delay_ms = (unsigned int)v;
			break;
		case OPT_VERBOSE:
			o->verbose = true;
			break;
		case OPT_HELP:
			fputs(usage_text, stdout);
			return -1;
		default:
			fprintf(stderr,
				PROG ": unknown option or missing argument: %s (see --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument: %s (see --help)\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (!o->host || !o->user || !o->password || !have_pin) {
		fprintf(stderr, PROG ": --host, --user, --password and --sha256 are required "
				     "(see --help)\n");
		return EXIT_USAGE;
	}
	if (!o->text) {
		int r = read_stdin(ret_stdin_text);

		if (r < 0) {
			fprintf(stderr, PROG ": standard input: %s\n",
				r == -E2BIG    ? "more than 1 MiB"
				: r == -EILSEQ ? "contains NUL"
					       : strerror(-r));
			return EXIT_USAGE;
		}
		o->text = *ret_stdin_text;
	}
	if (utf8_validate(o->text) < 0) {
		fprintf(stderr, PROG ": the text is not valid UTF-8\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* ---- FreeRDP callbacks ---- */

static struct text_client *text_client_from(freerdp *instance)
{
	return (struct text_client *)instance->context;
}

/* 2.11's VerifyCertificateEx is handed FreeRDP's own fingerprint string, not the certificate;
 * with ExternalCertificateManagement FreeRDP hands every certificate, as PEM, to this
 * callback instead, and never consults or writes its known_hosts store. */
static int on_verify_x509(freerdp *instance, const BYTE *data, size_t length, const char *hostname,
			  UINT16 port, DWORD flags)
{
	struct text_client *tc = text_client_from(instance);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	BIO *bio = NULL;
	X509 *x = NULL;

	tc->pin_result = PIN_UNREADABLE;
	if (length > INT_MAX) {
		return -1;
	}
	bio = BIO_new_mem_buf(data, (int)length);
	if (bio) {
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	}
	if (x && X509_digest(x, EVP_sha256(), md, &md_len) && md_len == SHA256_LEN) {
		format_fingerprint(md, tc->seen_sha256);
		tc->pin_result =
			CRYPTO_memcmp(md, tc->pin, SHA256_LEN) == 0 ? PIN_MATCH : PIN_MISMATCH;
	}
	X509_free(x);
	BIO_free(bio);
	/* 2: accept for this connection only */
	return tc->pin_result == PIN_MATCH ? 2 : -1;
}

static BOOL on_desktop_resize(rdpContext *context)
{
	return gdi_resize(context->gdi, context->settings->DesktopWidth,
			  context->settings->DesktopHeight);
}

/* FreeRDP fails an update whose paint brackets are missing; nothing is shown, so there is
 * nothing to do in them. */
static BOOL on_begin_paint(rdpContext *context)
{
	return TRUE;
}

static BOOL on_end_paint(rdpContext *context)
{
	return TRUE;
}

static BOOL on_post_connect(freerdp *instance)
{
	/* Frames land in a memory buffer nobody reads: the GDI handles every update the
	 * server may send, which is all it is here for. */
	if (!gdi_init(instance, PIXEL_FORMAT_BGRX32)) {
		return FALSE;
	}
	instance->update->BeginPaint = on_begin_paint;
	instance->update->EndPaint = on_end_paint;
	instance->update->DesktopResize = on_desktop_resize;
	return TRUE;
}

static void on_post_disconnect(freerdp *instance)
{
	gdi_free(instance);
}

static BOOL on_client_new(freerdp *instance, rdpContext *context)
{
	instance->PostConnect = on_post_connect;
	instance->PostDisconnect = on_post_disconnect;
	instance->VerifyX509Certificate = on_verify_x509;
	return TRUE;
}

static rdpContext *text_client_new(const struct options *o)
{
	RDP_CLIENT_ENTRY_POINTS ep = {
		.Size = sizeof(ep),
		.Version = RDP_CLIENT_INTERFACE_VERSION,
		.ContextSize = sizeof(struct text_client),
		.ClientNew = on_client_new,
	};
	rdpContext *context = freerdp_client_context_new(&ep);
	rdpSettings *s;

	if (!context) {
		return NULL;
	}
	((struct text_client *)context)->pin = o->sha256;
	s = context->settings;
	if (!freerdp_settings_set_string(s, FreeRDP_ServerHostname, o->host) ||
	    !freerdp_settings_set_string(s, FreeRDP_Username, o->user) ||
	    !freerdp_settings_set_string(s, FreeRDP_Password, o->password) ||
	    !freerdp_settings_set_uint32(s, FreeRDP_ServerPort, o->port) ||
	    !freerdp_settings_set_bool(s, FreeRDP_NlaSecurity, TRUE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_TlsSecurity, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_RdpSecurity, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_ExtSecurity, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_ExternalCertificateManagement, TRUE) ||
	    /* No GFX, RemoteFX or NSCodec: the server falls back to plain bitmaps. */
	    !freerdp_settings_set_bool(s, FreeRDP_SupportGraphicsPipeline, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_RemoteFxCodec, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_NSCodec, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_JpegCodec, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_SupportDynamicChannels, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_RedirectClipboard, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_AudioPlayback, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_DeviceRedirection, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_AutoReconnectionEnabled, FALSE) ||
	    !freerdp_settings_set_bool(s, FreeRDP_SoftwareGdi, TRUE) ||
	    !freerdp_settings_set_uint32(s, FreeRDP_ColorDepth, 32) ||
	    /* US English; the text does not depend on it, the scancodes of --key-* do */
	    !freerdp_settings_set_uint32(s, FreeRDP_KeyboardLayout, 0x409) ||
	    /* Only the server's input capability set may turn this on (FreeRDP's client sets
	     * it when it reads INPUT_FLAG_UNICODE there, and never clears it). */
	    !freerdp_settings_set_bool(s, FreeRDP_UnicodeInput, FALSE)) {
		freerdp_client_context_free(context);
		return NULL;
	}
	return context;
}

/* ---- the session ---- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Handles what the server sends for up to ms milliseconds (0: what is there now). */
static int pump(rdpContext *context, unsigned int ms)
{
	uint64_t deadline = now_ms() + ms;

	for (;;) {
		HANDLE handles[MAXIMUM_WAIT_OBJECTS];
		uint64_t now = now_ms();
		DWORD n = freerdp_get_event_handles(context, handles, MAXIMUM_WAIT_OBJECTS);
		DWORD w;

		if (n == 0) {
			return -EIO;
		}
		w = WaitForMultipleObjects(n, handles, FALSE,
					   now >= deadline ? 0 : (DWORD)(deadline - now));
		if (w == WAIT_FAILED) {
			return -EIO;
		}
		if (!freerdp_check_event_handles(context) ||
		    freerdp_shall_disconnect(context->instance)) {
			return -ECONNRESET;
		}
		if (w == WAIT_TIMEOUT || now_ms() >= deadline) {
			return 0;
		}
	}
}

static int send_scancode(rdpInput *input, long scancode)
{
	if (!freerdp_input_send_keyboard_event_ex(input, TRUE, (UINT32)scancode) ||
	    !freerdp_input_send_keyboard_event_ex(input, FALSE, (UINT32)scancode)) {
		return -EIO;
	}
	return 0;
}

static int send_unit(rdpInput *input, uint16_t unit)
{
	if (!freerdp_input_send_unicode_keyboard_event(input, 0, unit) ||
	    !freerdp_input_send_unicode_keyboard_event(input, KBD_FLAGS_RELEASE, unit)) {
		return -EIO;
	}
	return 0;
}

static int send_code_point(rdpInput *input, uint32_t cp)
{
	int r;

	if (cp < 0x10000) {
		return send_unit(input, (uint16_t)cp);
	}
	cp -= 0x10000;
	r = send_unit(input, (uint16_t)(0xd800 | (cp >> 10)));
	return r < 0 ? r : send_unit(input, (uint16_t)(0xdc00 | (cp & 0x3ff)));
}

/* Keys and text in order, pumping the connection in between. */
static int type_text(rdpContext *context, const struct options *o)
{
	rdpInput *input = context->input;
	const uint8_t *s = (const uint8_t *)o->text;
	size_t n = strlen(o->text);
	bool first = true;
	int r = 0;

	if (o->key_before >= 0) {
		r = send_scancode(input, o->key_before);
		first = false;
	}
	while (r == 0 && n > 0) {
		uint32_t cp;
		int len = clip_text_utf8_decode(s, n, &cp); /* validated before connecting */

		if (len < 0) {
			return len;
		}
		r = pump(context, first ? 0 : o->delay_ms);
		if (r == 0) {
			r = send_code_point(input, cp);
		}
		first = false;
		s += len;
		n -= (size_t)len;
	}
	if (r == 0 && o->key_after >= 0) {
		r = pump(context, first ? 0 : o->delay_ms);
		if (r == 0) {
			r = send_scancode(input, o->key_after);
		}
	}
	return r < 0 ? r : pump(context, 0);
}

static void report_connect_failure(rdpContext *context, const struct options *o)
{
	struct text_client *tc = (struct text_client *)context;
	UINT32 err = freerdp_get_last_error(context);

	switch (tc->pin_result) {
	case PIN_MISMATCH:
		fprintf(stderr,
			PROG ": %s:%u: server certificate SHA-256 %s does not match --sha256\n",
			o->host, o->port, tc->seen_sha256);
		return;
	case PIN_UNREADABLE:
		fprintf(stderr, PROG ": %s:%u: cannot read the server certificate\n", o->host,
			o->port);
		return;
	case PIN_NOT_SEEN:
	case PIN_MATCH:
		break;
	}
	if (err == FREERDP_ERROR_AUTHENTICATION_FAILED ||
	    err == FREERDP_ERROR_CONNECT_LOGON_FAILURE ||
	    err == FREERDP_ERROR_CONNECT_WRONG_PASSWORD ||
	    err == FREERDP_ERROR_CONNECT_ACCESS_DENIED) {
		fprintf(stderr, PROG ": %s:%u: login as '%s' refused (%s)\n", o->host, o->port,
			o->user, freerdp_get_last_error_name(err));
		return;
	}
	if (tc->pin_result == PIN_MATCH) {
		/* A server may refuse NLA credentials by closing the connection, which FreeRDP
		 * reports as a transport failure. */
		fprintf(stderr,
			PROG ": %s:%u: connection failed after the certificate check "
			     "(is --password right?): %s\n",
			o->host, o->port, freerdp_get_last_error_name(err));
		return;
	}
	fprintf(stderr, PROG ": %s:%u: connection failed: %s (%s)\n", o->host, o->port,
		freerdp_get_last_error_string(err), freerdp_get_last_error_name(err));
}

int main(int argc, char **argv)
{
	struct options o;
	char *stdin_text = NULL;
	rdpContext *context;
	int r, rc = EXIT_FAILED;

	r = parse_options(argc, argv, &o, &stdin_text);
	if (r != 0) {
		free(stdin_text);
		return r < 0 ? EXIT_SUCCESS : r;
	}
	if (!o.verbose && !getenv("WLOG_LEVEL")) {
		WLog_SetLogLevel(WLog_GetRoot(), WLOG_OFF);
	}
	context = text_client_new(&o);
	if (!context) {
		fprintf(stderr, PROG ": cannot set up the FreeRDP client\n");
		goto out;
	}
	if (!freerdp_connect(context->instance)) {
		report_connect_failure(context, &o);
		goto out_free;
	}
	/* freerdp_connect returns once the connection is active: the server's demand-active
	 * PDU with its input capability set has been read and post-connect has run. */
	if (freerdp_get_state(context) != CONNECTION_STATE_ACTIVE) {
		fprintf(stderr, PROG ": %s:%u: connected but not active (%s)\n", o.host, o.port,
			freerdp_state_string(freerdp_get_state(context)));
		goto out_disconnect;
	}
	if (!freerdp_settings_get_bool(context->settings, FreeRDP_UnicodeInput)) {
		fprintf(stderr,
			PROG ": %s:%u: the server does not offer Unicode keyboard input "
			     "(no INPUT_FLAG_UNICODE in its input capability set)\n",
			o.host, o.port);
		goto out_disconnect;
	}
	r = type_text(context, &o);
	if (r < 0) {
		fprintf(stderr, PROG ": %s:%u: %s while typing\n", o.host, o.port,
			r == -ECONNRESET ? "the server closed the connection"
					 : "sending input failed");
		goto out_disconnect;
	}
	rc = EXIT_SUCCESS;
out_disconnect:
	freerdp_disconnect(context->instance);
out_free:
	freerdp_client_context_free(context);
out:
	if (stdin_text) {
		explicit_bzero(stdin_text, strlen(stdin_text));
	}
	free(stdin_text);
	return rc;
}
