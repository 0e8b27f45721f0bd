#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An installed system's journal, read offline with its own format's reader (journalctl -D on the
 * journal directory, found inside the system's root).  Everything in it is hostile: values are
 * bounded and kept as bytes; display code sanitizes them.  Library code: returns 0 or a negative
 * errno and does not log.
 */

#define JOURNAL_VALUE_MAX 4096 /* bytes kept of one field */

/* The well-known MESSAGE_IDs of the service manager (systemd's catalog). */
#define JOURNAL_MID_UNIT_STARTING "7d4958e842da4a758f6c1cdc7b36dcc5"
#define JOURNAL_MID_UNIT_STARTED "39f53479d3a045ac8e11786248231fbf"
#define JOURNAL_MID_UNIT_JOB_FAILED "be02cf6855d2428ba40df7e9d022f03d"
#define JOURNAL_MID_UNIT_SUCCESS "7ad2d189f7e94e70a38c781354912448"
#define JOURNAL_MID_UNIT_FAILED "d9b373ed55a64feb8242e02dbe79a49c"
#define JOURNAL_MID_SHUTDOWN "98268866d1d54a499c4e98921d93bc40"

struct journal_boot {
	int index;          /* 0 the newest in the files, -1 the one before... */
	char id[33];        /* 128-bit boot id, hex */
	uint64_t first_usec; /* realtime of the first and last entries */
	uint64_t last_usec;
};

/* One entry; NULL for a field it does not have.  Strings are the raw bytes (NUL-free). */
struct journal_entry {
	uint64_t usec;      /* __REALTIME_TIMESTAMP */
	uint64_t mono;      /* __MONOTONIC_TIMESTAMP: the order within one boot */
	size_t order;       /* the order it was read in */
	int priority;       /* PRIORITY, -1 when absent */
	long pid;           /* _PID (set by journald, trusted), 0 when absent */
	bool kernel;        /* _TRANSPORT=kernel */
	char *message;
	char *identifier;   /* SYSLOG_IDENTIFIER, else _COMM */
	char *message_id;
	char *unit;         /* UNIT: the unit the service manager speaks of */
	char *job_type;
	char *job_result;
	char *unit_result;
};

struct journal_entries {
	struct journal_entry *e;
	size_t n;
	bool cut;           /* more matched than were read */
};

/*
 * The journal directory of the system mounted at ROOT (/var/log/journal resolved inside it, so a
 * symlink on the disk cannot point at the recovery system's own journal) into DIR, as a chroot
 * into ROOT sees it: the journal functions run the system's own journalctl there.  -ENOENT when
 * there is no such directory or no journal file in it.
 */
int journal_find_dir(const char *root, char *dir, size_t dir_size);

/* The boots recorded in DIR (inside ROOT), oldest first. */
int journal_list_boots(const char *root, const char *dir, struct journal_boot **ret, size_t *ret_n);

/*
 * The entries of boot BOOT_ID in DIR, oldest first: at most MAX (the newest MAX), only priority
 * MAX_PRIORITY and worse (-1: all), only those matching MATCHES (journalctl FIELD=VALUE matches,
 * NULL-terminated, or NULL) and, with GREP, only those whose MESSAGE matches that regular
 * expression.  RET is appended to.
 */
int journal_read(const char *root, const char *dir, const char *boot_id, size_t max, int max_priority,
		 const char *const *matches, const char *grep, struct journal_entries *ret);

/*
 * Sorts one boot's entries by time, so entries read by several queries interleave as logged, and
 * drops an entry two queries both returned.
 */
void journal_entries_sort(struct journal_entries *j);
void journal_entries_clear(struct journal_entries *j);

/* Parses one line of journalctl -o json into E; false when it is not an entry. */
bool journal_parse_json_line(const char *line, size_t len, struct journal_entry *e);
void journal_entry_clear(struct journal_entry *e);

/* UTC "2026-12-07 06:50:00" for a realtime in microseconds. */
void journal_format_time(uint64_t usec, char *buf, size_t size);
