#pragma once

/*
 * The shell's side of lifeline-server's control protocol (docs/control-protocol.md): JSON lines
 * turned into plain structs, and commands turned into lines. Pure: no sockets here.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SHELL_MAX_ADDRESSES 8

enum shell_remote_phase {
	/* No server attached. */
	SHELL_REMOTE_OFF,
	/* Starting the server or connecting to its socket. */
	SHELL_REMOTE_STARTING,
	/* A ticket is active: waiting for the helpdesk. */
	SHELL_REMOTE_WAITING,
	/* The helpdesk is connected. */
	SHELL_REMOTE_IN_USE,
	/* Too many wrong tickets: the ticket is dead until a new one is made. */
	SHELL_REMOTE_REVOKED,
	/* The ticket stayed unused too long. */
	SHELL_REMOTE_EXPIRED,
	/* The person ended Remote Connection. */
	SHELL_REMOTE_ENDED,
	/* The server could not be started, or went away. */
	SHELL_REMOTE_FAILED,
};

struct shell_conninfo {
	char ticket[32];
	unsigned port;
	char addresses[SHELL_MAX_ADDRESSES][64];
	size_t n_addresses;
	char sha256_fingerprint[128];
	char sha1_thumbprint[48]; /* lowercase hex, as mstsc shows it */
	/* The server's xfreerdp command line for the best address (it holds the ticket); empty
	 * when absent or longer than this. */
	char xfreerdp[512];
	char security[8];
	char user[32];
	char hostname[64];
};

/* The tunnel through the helpdesk's bastion (lifeline.reverse=), as the server reports it. */
struct shell_reverse_info {
	/* "connecting", "up" or "down"; "" when not told */
	char state[12];
	/* user@host[:port] */
	char bastion[128];
	/* the bastion-side port that leads here (up) */
	unsigned port;
	/* why it is down, and when the next try is */
	char reason[160];
	unsigned retry_s;
	/* this machine's public key, for the helpdesk to authorise on the bastion */
	char machine_key[200];
};

enum shell_control_kind {
	SHELL_CONTROL_STATE,
	SHELL_CONTROL_READY,
	SHELL_CONTROL_AUTH_FAILED,
	SHELL_CONTROL_REFUSED,
	SHELL_CONTROL_CONNECTED,
	SHELL_CONTROL_DISCONNECTED,
	SHELL_CONTROL_REVOKED,
	SHELL_CONTROL_EXPIRED,
	SHELL_CONTROL_ENDED,
	SHELL_CONTROL_VIEW_ONLY,
	/* Characters the helpdesk's client sent as Unicode keyboard events (see text). */
	SHELL_CONTROL_TEXT,
	/* The answer to a paste command: text, or why there is none (reason). */
	SHELL_CONTROL_CLIPBOARD,
	SHELL_CONTROL_REPLY_OK,
	SHELL_CONTROL_REPLY_ERROR,
	/* Not from the wire: the socket closed. */
	SHELL_CONTROL_LOST,
	/* Not from the wire: the server could not be started or reached. */
	SHELL_CONTROL_START_FAILED,
	/* How the HTTPS hand-off of the connection info went (announce_*). */
	SHELL_CONTROL_ANNOUNCE,
	/* The tunnel through the helpdesk's bastion (reverse_*). */
	SHELL_CONTROL_REVERSE,
	/* A well-formed line this shell does not know; ignored. */
	SHELL_CONTROL_UNKNOWN,
};

struct shell_control_event {
	enum shell_control_kind kind;
	/* STATE: the server's state. */
	enum shell_remote_phase phase;
	/* STATE, READY: the connection info. */
	bool has_info;
	struct shell_conninfo info;
	/* AUTH_FAILED, REFUSED, CONNECTED, DISCONNECTED, STATE (in-use). */
	char peer[64];
	char user[64];
	/* AUTH_FAILED, REFUSED: why; REPLY_ERROR, START_FAILED: the message. */
	char reason[160];
	int failures;
	int remaining;
	/* STATE, CONNECTED: view-only; VIEW_ONLY: enabled. */
	bool view_only;
	/* STATE (in-use): when the session began, if the server says so; else 0. */
	time_t since;
	/* CONNECTED: the XKB layout and variant of the helpdesk's keyboard ("" = unknown: the
	 * console's own layout applies). */
	char keyboard_layout[32];
	char keyboard_variant[32];
	/* TEXT (and other text-bearing events): UTF-8 without NUL, owned by the event, freed
	 * by shell_control_event_clear(); NULL when absent. */
	char *text;
	size_t text_len;
	/* ANNOUNCE, STATE (when the server posts the info): "posting", "sent" or "failed" ("" when
	 * not told), curl's reason for a failure, and when the next try is. */
	char announce_state[12];
	char announce_reason[160];
	unsigned announce_retry_s;
	/* REVERSE, STATE (with --reverse): the tunnel through the bastion. */
	struct shell_reverse_info reverse;
};

enum shell_command {
	SHELL_COMMAND_END_SESSION,
	SHELL_COMMAND_NEW_TICKET,
	SHELL_COMMAND_VIEW_ONLY,
	SHELL_COMMAND_STATUS,
	/* Ask for the helpdesk's clipboard text (a CLIPBOARD event answers). */
	SHELL_COMMAND_PASTE,
};

/*
 * Parses one line (without its newline). Returns 0, or -EINVAL for anything that is not a JSON
 * object with a known "event" or "reply" key (unknown events give SHELL_CONTROL_UNKNOWN).
 */
int shell_control_parse(const char *line, size_t len, struct shell_control_event *ret);

/* Writes the command as one line with its newline into buf. Returns the length or -ENOSPC. */
int shell_control_format(enum shell_command cmd, bool enabled, char *buf, size_t size);

/* The copy command for text (UTF-8, len bytes) as one line with its newline, caller-freed.
 * 0 or -ENOMEM. */
int shell_control_format_copy(const char *text, size_t len, char **ret, size_t *ret_len);

/* Frees what an event owns (its text) and wipes its secrets; the event can be reused. */
void shell_control_event_clear(struct shell_control_event *ev);

/* Wipes the secret parts (the ticket) of an event or conninfo. */
void shell_conninfo_wipe(struct shell_conninfo *info);

/* "active", "in-use", ... to a phase; -EINVAL if unknown. */
int shell_remote_phase_from_string(const char *s, enum shell_remote_phase *ret);
