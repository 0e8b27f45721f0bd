#pragma once

#include <stdbool.h>
#include <stddef.h>

/*
 * The installed packages of a system as dpkg and apt describe them: the output of dpkg --verify
 * and dpkg-query --search, and apt's transaction history (/var/log/apt/history.log).  Hostile
 * text: every field bounded and checked, names and versions kept only when they are valid for
 * dpkg (so they can go into an argv as PKG=VERSION).  Pure: the texts come in as arguments.
 */

#define PACKAGES_FILES_MAX        4096 /* files kept from dpkg --verify */
#define PACKAGES_TRANSACTIONS_MAX 2048
#define PACKAGES_CHANGES_MAX      4096 /* package changes per transaction */

struct packages_file {
	char path[512];    /* sanitized for display */
	char package[128]; /* the owner ("" until packages_parse_search() knows it) */
	char flags[10];    /* dpkg's nine check characters, or "missing" */
	bool missing;
	bool conffile;
};

struct packages_verify {
	struct packages_file *f;
	size_t n;
	size_t dropped;  /* lines beyond PACKAGES_FILES_MAX or not understood */
	size_t excluded; /* missing on purpose: the system's dpkg path-exclude left them out */
};

struct packages_filters;

/*
 * Parses dpkg --verify output (its rpm-like format) and appends the files to V; missing files
 * that FILTERS (may be NULL) leave out are only counted.
 */
int packages_verify_parse(struct packages_verify *v, const char *text,
			  const struct packages_filters *filters);
/* Sets the owners from dpkg-query --search output ("pkg[:arch][, pkg2]: /path"). */
void packages_search_parse(struct packages_verify *v, const char *text);
void packages_verify_free(struct packages_verify *v);

/*
 * dpkg's path-exclude/path-include options (dpkg.cfg and dpkg.cfg.d/): files a minimized system
 * never unpacked, which dpkg --verify still reports as missing.
 */
#define PACKAGES_FILTERS_MAX 128

struct packages_filter {
	char pattern[256];
	bool include;
};

struct packages_filters {
	struct packages_filter f[PACKAGES_FILTERS_MAX];
	size_t n;
};

/* Appends the path-exclude= and path-include= lines of one dpkg configuration file. */
void packages_filters_parse(struct packages_filters *f, const char *text);
/* PATH is left out by the filters (the last matching one decides, as in dpkg). */
bool packages_filters_excluded(const struct packages_filters *f, const char *path);

enum packages_action {
	PACKAGES_INSTALL,
	PACKAGES_UPGRADE,
	PACKAGES_DOWNGRADE,
	PACKAGES_REINSTALL,
	PACKAGES_REMOVE,
	PACKAGES_PURGE,
};

struct packages_change {
	enum packages_action action;
	char name[128];
	char arch[32];         /* "" when the entry has none */
	char old_version[128]; /* before (upgrade, downgrade); "" when none */
	char version[128]; /* after (install, upgrade, downgrade, reinstall); removed (remove) */
	bool automatic;
};

struct packages_transaction {
	int id;                /* 1: the newest */
	char start[32];        /* Start-Date */
	char end[32];          /* End-Date ("" when it did not finish) */
	char commandline[512]; /* sanitized */
	char requested_by[64];
	bool error; /* apt logged an Error: line */
	struct packages_change *ch;
	size_t n;
	size_t dropped; /* entries that were not valid */
};

struct packages_history {
	struct packages_transaction *t;
	size_t n;
};

/*
 * Appends the transactions of one history.log text (LEN bytes, NUL or not) to H, oldest first:
 * feed the rotated files from the oldest (history.log.N.gz) to history.log, then number them
 * with packages_history_number().
 */
int packages_history_parse(struct packages_history *h, const char *text, size_t len);
/* Numbers the transactions newest first (id 1 is the last one). */
void packages_history_number(struct packages_history *h);
const struct packages_transaction *packages_history_find(const struct packages_history *h, int id);
void packages_history_free(struct packages_history *h);

const char *packages_action_name(enum packages_action a);

/* Valid for dpkg: a package name, a version, an architecture. */
bool packages_valid_name(const char *s);
bool packages_valid_version(const char *s);
bool packages_valid_arch(const char *s);

/* The file name apt gives the .deb of NAME VERSION ARCH in its cache (epoch ':' as %3a). */
void packages_deb_name(char *buf, size_t size, const char *name, const char *version,
		       const char *arch);
