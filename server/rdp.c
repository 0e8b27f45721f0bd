/*
 * FreeRDP at the edge: everything here speaks winpr/FreeRDP and translates to session_* calls.
 */
#include "rdp.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include <freerdp/freerdp.h>
#include <freerdp/listener.h>
#include <freerdp/peer.h>
#include <freerdp/server/shadow.h>
#include <freerdp/settings.h>
#include <openssl/crypto.h>
#include <winpr/collections.h>
#include <winpr/crypto.h>
#include <winpr/ntlm.h>
#include <winpr/sspi.h>
#include <winpr/ssl.h>
#include <winpr/string.h>
#include <winpr/wlog.h>

#include "log.h"
#include "rdp-subsystem.h"
#include "session.h"

#define MAX_PEERS 16
/* Handshakes in progress at once. Each one holds up every viewer's frames until it finishes
 * or the watchdog cuts it off (a FreeRDP 2.11 limit), so keep the number small. */
#define MAX_PENDING        2
#define WATCHDOG_PERIOD_MS 100

struct tracked_peer {
	freerdp_peer *peer;
	void *context; /* rdpShadowClient*, the key FreeRDP's client list uses */
	uint64_t accepted_ms;
	bool authenticated;
	bool cut_off;
	char host[64];
};

struct rdp_server {
	rdpShadowServer *shadow;
	struct session *session;
	enum server_security security;
	uint64_t handshake_timeout_ms;
	psPeerAccepted orig_accepted;

	pthread_mutex_t lock; /* guards peers[], stopping */
	pthread_cond_t cond;
	struct tracked_peer peers[MAX_PEERS];
	bool stopping;
	bool watchdog_quit;
	pthread_t watchdog;
	bool watchdog_started;
};

/* FreeRDP's accept and NTLM callbacks carry no user data of ours. */
static struct rdp_server *the_server;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- FreeRDP's log into ours ---- */

static BOOL wlog_message(const wLogMessage *m)
{
	const char *text = m->TextString ? m->TextString : "";

	log_line(m->Level >= WLOG_ERROR ? "freerdp error" : "freerdp", "%s", text);
	return TRUE;
}

void rdp_log_init(void)
{
	wLog *root = WLog_GetRoot();
	wLogCallbacks cbs = { .message = wlog_message };

	WLog_SetLogAppenderType(root, WLOG_APPENDER_CALLBACK);
	WLog_ConfigureAppender(WLog_GetLogAppender(root), "callbacks", &cbs);
	if (!getenv("WLOG_LEVEL")) {
		WLog_SetLogLevel(root, WLOG_WARN);
	}
}

int rdp_cert_paths(const char *state_dir, char **ret_cert, char **ret_key)
{
	char *dir, *cert = NULL, *key = NULL;

	if (asprintf(&dir, "%s/shadow", state_dir) < 0) {
		return -ENOMEM;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		int r = -errno;

		free(dir);
		return r;
	}
	if (asprintf(&cert, "%s/shadow.crt", dir) < 0 || asprintf(&key, "%s/shadow.key", dir) < 0) {
		free(dir);
		free(cert);
		return -ENOMEM;
	}
	free(dir);
	*ret_cert = cert;
	*ret_key = key;
	return 0;
}

/* ---- peer tracking and the watchdog ---- */

/* Called with srv->lock held and the client list locked, so that FreeRDP cannot free the
 * peer underneath: it removes the client from that list before freeing it. */
static bool peer_alive_locked(struct rdp_server *srv, struct tracked_peer *p)
{
	return p->peer && ArrayList_Contains(srv->shadow->clients, p->context);
}

static void *watchdog_thread(void *arg)
{
	struct rdp_server *srv = arg;

	pthread_mutex_lock(&srv->lock);
	while (!srv->watchdog_quit) {
		struct timespec until;
		uint64_t now = now_ms();
		char timed_out[MAX_PEERS][64];
		size_t n_timed_out = 0;

		ArrayList_Lock(srv->shadow->clients);
		for (size_t i = 0; i < MAX_PEERS; i++) {
			struct tracked_peer *p = &srv->peers[i];

			if (!p->peer) {
				continue;
			}
			if (!peer_alive_locked(srv, p)) {
				*p = (struct tracked_peer){ 0 };
				continue;
			}
			if (srv->stopping) {
				shutdown(p->peer->sockfd, SHUT_RDWR);
			} else if (!p->authenticated && !p->cut_off &&
				   now - p->accepted_ms >= srv->handshake_timeout_ms) {
				shutdown(p->peer->sockfd, SHUT_RDWR);
				p->cut_off = true;
				memcpy(timed_out[n_timed_out++], p->host, sizeof(p->host));
			}
		}
		ArrayList_Unlock(srv->shadow->clients);

		if (n_timed_out) {
			pthread_mutex_unlock(&srv->lock);
			for (size_t i = 0; i < n_timed_out; i++) {
				session_handshake_timeout(srv->session, timed_out[i]);
			}
			pthread_mutex_lock(&srv->lock);
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += WATCHDOG_PERIOD_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&srv->cond, &srv->lock, &until);
	}
	pthread_mutex_unlock(&srv->lock);
	return NULL;
}

static void mark_authenticated(struct rdp_server *srv, const void *context)
{
	pthread_mutex_lock(&srv->lock);
	for (size_t i = 0; i < MAX_PEERS; i++) {
		if (srv->peers[i].peer && srv->peers[i].context == context) {
			srv->peers[i].authenticated = true;
		}
	}
	pthread_mutex_unlock(&srv->lock);
}

/* ---- NLA: the ticket checked in the NTLM hash callback ---- */

struct nla_attempt {
	const SEC_WINNT_AUTH_IDENTITY *id;
	const SecBuffer *ntproof;
	const BYTE *randkey;
	const BYTE *mic;
	const SecBuffer *micvalue;
	BYTE v2hash[16]; /* the NTLMv2 hash of the spelling that matched */
	bool no_mic;
};

/* NTLMv2 hash = HMAC_MD5(NT hash, UPPER(user) || domain), UTF-16LE, lengths in bytes. */
static bool ntlm_v2_hash(BYTE nt[16], const SEC_WINNT_AUTH_IDENTITY *id, BYTE out[16])
{
	if (id->User && id->UserLength) {
		return NTOWFv2FromHashW(nt, (LPWSTR)id->User, id->UserLength * 2,
					(LPWSTR)id->Domain, id->DomainLength * 2, out);
	}
	/* An empty user name: NTOWFv2FromHashW refuses it; the hash is over the domain only. */
	return winpr_HMAC(WINPR_MD_MD5, nt, 16, (const BYTE *)id->Domain,
			  id->Domain ? id->DomainLength * 2 : 0, out, 16);
}

/*
 * Verify the client's MIC with this NTLMv2 hash: NtProofStr = HMAC(v2, ntproof);
 * SessionBaseKey = HMAC(v2, NtProofStr); ExportedSessionKey = RC4(SessionBaseKey, randkey) with
 * key exchange, else SessionBaseKey; MIC = HMAC(ExportedSessionKey, messages).
 */
static bool mic_matches(const BYTE v2[16], const struct nla_attempt *a)
{
	BYTE proof[16], base_key[16], exported[16], mic[16];
	WINPR_RC4_CTX *rc4;
	bool ok = false;

	if (!winpr_HMAC(WINPR_MD_MD5, v2, 16, a->ntproof->pvBuffer, a->ntproof->cbBuffer, proof,
			16) ||
	    !winpr_HMAC(WINPR_MD_MD5, v2, 16, proof, 16, base_key, 16)) {
		goto out;
	}
	rc4 = winpr_RC4_New(base_key, 16);
	if (rc4) {
		if (winpr_RC4_Update(rc4, 16, a->randkey, exported) &&
		    winpr_HMAC(WINPR_MD_MD5, exported, 16, a->micvalue->pvBuffer,
			       a->micvalue->cbBuffer, mic, 16)) {
			ok = CRYPTO_memcmp(mic, a->mic, 16) == 0;
		}
		winpr_RC4_Free(rc4);
	}
	if (winpr_HMAC(WINPR_MD_MD5, base_key, 16, a->micvalue->pvBuffer, a->micvalue->cbBuffer,
		       mic, 16)) {
		ok |= CRYPTO_memcmp(mic, a->mic, 16) == 0;
	}
out:
	explicit_bzero(proof, sizeof(proof));
	explicit_bzero(base_key, sizeof(base_key));
	explicit_bzero(exported, sizeof(exported));
	explicit_bzero(mic, sizeof(mic));
	return ok;
}

static bool nla_check(const struct ticket *t, void *userdata)
{
	static const BYTE zero[16];
	struct nla_attempt *a = userdata;
	char spellings[4][TICKET_TEXT_SIZE];
	size_t n;
	bool ok = false;

	if (!a->ntproof || !a->micvalue || !a->mic || !a->randkey ||
	    CRYPTO_memcmp(a->mic, zero, 16) == 0) {
		/* Without a MIC we could not tell a wrong ticket from a right one here. */
		a->no_mic = true;
		return false;
	}
	n = ticket_spellings(t, spellings, 4);
	/* Try every spelling, without stopping at a match, so timing says nothing. */
	for (size_t i = 0; i < n; i++) {
		BYTE nt[16], v2[16];

		if (NTOWFv1A(spellings[i], (UINT32)strlen(spellings[i]), nt) &&
		    ntlm_v2_hash(nt, a->id, v2) && mic_matches(v2, a) && !ok) {
			memcpy(a->v2hash, v2, 16);
			ok = true;
		}
		explicit_bzero(nt, sizeof(nt));
		explicit_bzero(v2, sizeof(v2));
	}
	explicit_bzero(spellings, sizeof(spellings));
	return ok;
}

static char *identity_user(const SEC_WINNT_AUTH_IDENTITY *id)
{
	char *user = NULL;

	if (id->User && id->UserLength &&
	    ConvertFromUnicode(CP_UTF8, 0, (LPCWSTR)id->User, (int)id->UserLength, &user, 0, NULL,
			       NULL) <= 0) {
		return NULL;
	}
	return user;
}

/* winpr treats any non-zero return as success, despite the SECURITY_STATUS type. */
static SECURITY_STATUS ntlm_hash_cb(void *arg, const SEC_WINNT_AUTH_IDENTITY *id,
				    const SecBuffer *ntproof, const BYTE *randkey, const BYTE *mic,
				    const SecBuffer *micvalue, BYTE *hash)
{
	freerdp_peer *peer = arg;
	struct rdp_server *srv = the_server;
	struct nla_attempt a = {
		.id = id, .ntproof = ntproof, .randkey = randkey, .mic = mic, .micvalue = micvalue
	};
	char *user = identity_user(id);
	int r;

	r = session_authenticate(srv->session, peer->hostname, user, nla_check, &a);
	if (a.no_mic) {
		log_warn("%s sent no NTLM MIC; this client cannot log in with NLA (try --security "
			 "tls)",
			 peer->hostname);
	}
	free(user);
	if (r < 0) {
		explicit_bzero(a.v2hash, sizeof(a.v2hash));
		return 0;
	}
	memcpy(hash, a.v2hash, 16);
	explicit_bzero(a.v2hash, sizeof(a.v2hash));
	/* The ticket is proven: the rest of the connection sequence may take as long as a slow
	 * link needs (some 20 round trips); the handshake timeout is for strangers. */
	mark_authenticated(srv, peer->context);
	return 1;
}

/* ---- the subsystem's hooks ---- */

static bool tls_check(const struct ticket *t, void *userdata)
{
	const char *password = userdata;

	return password && ticket_matches(t, password, strlen(password));
}

static bool hook_authenticate(void *userdata, void *client, const char *peer, const char *user,
			      const char *password)
{
	struct rdp_server *srv = userdata;

	if (session_authenticate(srv->session, peer, user, tls_check, (void *)password) < 0) {
		return false;
	}
	mark_authenticated(srv, client);
	return true;
}

static bool hook_client_connect(void *userdata, void *client, const char *peer, const char *user,
				uint32_t keyboard_layout_id)
{
	struct rdp_server *srv = userdata;

	if (session_connected(srv->session, client, peer, user, keyboard_layout_id) < 0) {
		return false;
	}
	mark_authenticated(srv, client);
	return true;
}

static bool hook_text(void *userdata, void *client, const char *utf8)
{
	struct rdp_server *srv = userdata;

	return session_typed_text(srv->session, client, utf8) == 0;
}

static void hook_client_disconnect(void *userdata, void *client)
{
	struct rdp_server *srv = userdata;

	session_disconnected(srv->session, client);
}

static bool hook_may_interact(void *userdata, void *client)
{
	struct rdp_server *srv = userdata;

	return !session_view_only(srv->session) && session_is_controller(srv->session, client);
}

/* ---- accept ---- */

static BOOL on_peer_accepted(freerdp_listener *listener, freerdp_peer *peer)
{
	struct rdp_server *srv = the_server;
	size_t pending = 0, slot = MAX_PEERS;
	BOOL ok;

	if (!session_may_accept(srv->session, peer->hostname)) {
		return FALSE;
	}
	pthread_mutex_lock(&srv->lock);
	if (srv->stopping) {
		pthread_mutex_unlock(&srv->lock);
		return FALSE;
	}
	ArrayList_Lock(srv->shadow->clients);
	for (size_t i = 0; i < MAX_PEERS; i++) {
		struct tracked_peer *p = &srv->peers[i];

		if (p->peer && !peer_alive_locked(srv, p)) {
			*p = (struct tracked_peer){ 0 };
		}
		if (p->peer && !p->authenticated) {
			pending++;
		}
		if (!p->peer && slot == MAX_PEERS) {
			slot = i;
		}
	}
	ArrayList_Unlock(srv->shadow->clients);
	if (pending >= MAX_PENDING || slot == MAX_PEERS) {
		pthread_mutex_unlock(&srv->lock);
		log_warn("refused %s: too many connections in progress", peer->hostname);
		return FALSE;
	}
	if (srv->security == SERVER_SECURITY_NLA) {
		/* before the client thread exists, so no race with the handshake */
		peer->ComputeNtlmHash = ntlm_hash_cb;
	}
	log_info("connection from %s", peer->hostname);
	ok = srv->orig_accepted(listener, peer);
	if (ok) {
		struct tracked_peer *p = &srv->peers[slot];

		*p = (struct tracked_peer){ .peer = peer,
					    .context = peer->context,
					    .accepted_ms = now_ms() };
		snprintf(p->host, sizeof(p->host), "%s", peer->hostname);
	}
	pthread_mutex_unlock(&srv->lock);
	return ok;
}

/* ---- lifecycle ---- */

static int configure(struct rdp_server *srv, const struct rdp_server_config *cfg)
{
	rdpShadowServer *s = srv->shadow;
	rdpSettings *st = s->settings;

	s->ConfigPath = strdup(cfg->state_dir);
	if (!s->ConfigPath) {
		return -ENOMEM;
	}
	if (cfg->bind) {
		if (asprintf(&s->ipcSocket, "bind-address,%s", cfg->bind) < 0) {
			s->ipcSocket = NULL;
			return -ENOMEM;
		}
	}
	s->authentication = TRUE; /* TLS: our Authenticate; NLA: the hash callback */
	s->mayView = TRUE;
	s->mayInteract = TRUE;
	/* One security protocol per listener: a client offered two would pick the weaker. The
	 * defaults (and /etc/winpr/HKLM.reg) may enable others, so set all of them. */
	st->RdpSecurity = FALSE;
	st->ExtSecurity = FALSE;
	st->TlsSecurity = cfg->security == SERVER_SECURITY_TLS;
	st->NlaSecurity = cfg->security == SERVER_SECURITY_NLA;
	st->HasHorizontalWheel = TRUE;
	st->HasExtendedMouseEvent = TRUE;
	/* Clients that send text rather than scancodes (xfreerdp +unicode, on-screen
	 * keyboards): the shell types it (docs/control-protocol.md, the text event). */
	st->UnicodeInput = TRUE;
	return 0;
}

int rdp_server_start(const struct rdp_server_config *cfg, struct rdp_server **ret,
		     uint16_t *ret_port, char *err, size_t errlen)
{
	struct rdp_server *srv;
	uint16_t port = 0;
	int r;

	if (the_server) {
		snprintf(err, errlen, "an RDP server is already running in this process");
		return -EBUSY;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		return -ENOMEM;
	}
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->cond, NULL);
	srv->session = cfg->session;
	srv->security = cfg->security;
	srv->handshake_timeout_ms = cfg->handshake_timeout_ms;

	cfg->subsystem->hooks.userdata = srv;
	cfg->subsystem->hooks.authenticate = hook_authenticate;
	cfg->subsystem->hooks.client_connect = hook_client_connect;
	cfg->subsystem->hooks.client_disconnect = hook_client_disconnect;
	cfg->subsystem->hooks.text = hook_text;
	cfg->subsystem->hooks.may_interact = hook_may_interact;
	rdp_subsystem_register(cfg->subsystem);

	srv->shadow = shadow_server_new();
	if (!srv->shadow) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r = configure(srv, cfg);
	if (r < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail_free;
	}
	if (shadow_server_init(srv->shadow) < 0) {
		r = -EIO;
		snprintf(err, errlen, "FreeRDP shadow server failed to initialise");
		goto fail_free;
	}
	srv->orig_accepted = srv->shadow->listener->PeerAccepted;
	srv->shadow->listener->PeerAccepted = on_peer_accepted;
	the_server = srv;

	/* Someone may take the port between our check and FreeRDP's bind: try a few. */
	r = -EADDRINUSE;
	for (int attempt = 0; attempt < 5; attempt++) {
		r = ticket_port_pick(cfg->port_lo, cfg->port_hi, cfg->rnd, NULL,
				     ticket_port_is_free, NULL, &port);
		if (r < 0) {
			break;
		}
		srv->shadow->port = port;
		if (shadow_server_start(srv->shadow) == 0) {
			r = 0;
			break;
		}
		shadow_server_stop(srv->shadow);
		r = -EADDRINUSE;
		if (cfg->port_lo == cfg->port_hi) {
			break;
		}
	}
	if (r < 0) {
		if (cfg->port_lo == cfg->port_hi) {
			snprintf(err, errlen, "cannot listen on port %u: in use or not permitted",
				 cfg->port_lo);
		} else {
			snprintf(err, errlen, "no free port in %u-%u", cfg->port_lo, cfg->port_hi);
		}
		goto fail_uninit;
	}

	r = -pthread_create(&srv->watchdog, NULL, watchdog_thread, srv);
	if (r < 0) {
		snprintf(err, errlen, "cannot start the watchdog: %s", strerror(-r));
		goto fail_stop;
	}
	srv->watchdog_started = true;
	*ret = srv;
	*ret_port = port;
	return 0;

fail_stop:
	shadow_server_stop(srv->shadow);
fail_uninit:
	shadow_server_uninit(srv->shadow);
fail_free:
	shadow_server_free(srv->shadow);
fail:
	the_server = NULL;
	pthread_cond_destroy(&srv->cond);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
	return r;
}

void rdp_server_disconnect_all(struct rdp_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	ArrayList_Lock(srv->shadow->clients);
	for (size_t i = 0; i < MAX_PEERS; i++) {
		if (peer_alive_locked(srv, &srv->peers[i])) {
			shutdown(srv->peers[i].peer->sockfd, SHUT_RDWR);
		}
	}
	ArrayList_Unlock(srv->shadow->clients);
	pthread_mutex_unlock(&srv->lock);
}

void rdp_server_stop(struct rdp_server *srv)
{
	if (!srv) {
		return;
	}
	/* The watchdog keeps cutting every peer off while FreeRDP waits for its clients to
	 * leave, so a stalled handshake cannot hold the stop. */
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	pthread_cond_signal(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
	rdp_server_disconnect_all(srv);

	shadow_server_stop(srv->shadow);

	pthread_mutex_lock(&srv->lock);
	srv->watchdog_quit = true;
	pthread_cond_signal(&srv->cond);
	pthread_mutex_unlock(&srv->lock);
	if (srv->watchdog_started) {
		pthread_join(srv->watchdog, NULL);
	}
	shadow_server_uninit(srv->shadow);
	shadow_server_free(srv->shadow);
	the_server = NULL;
	pthread_cond_destroy(&srv->cond);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
