#pragma once

#include "target.h"

#include <stddef.h>

/*
 * The audit trail: before a tool replaces a file of an installed system it keeps a copy, and every
 * change writes one line (when, which tool, from where, what) to the recovery system's log and to
 * /var/log/lifeline-audit.log on the repaired system.
 */

#define AUDIT_LIVE_LOG "/run/lifeline/audit.log"
#define AUDIT_LIVE_BACKUPS "/run/lifeline/backups"
#define AUDIT_TARGET_LOG "/var/log/lifeline-audit.log"
#define AUDIT_TARGET_BACKUPS "/var/backups/lifeline"
/* on a Windows installation's volume (it has no /var): one folder of ours at its root */
#define AUDIT_WINDOWS_LOG "/Lifeline/audit.log"
#define AUDIT_WINDOWS_BACKUPS "/Lifeline/backups"

/* Where the change came from: "keyboard", "helpdesk", "serial line", "terminal" or "script". */
const char *audit_origin(void);

/*
 * Copies REL (a path inside the system, e.g. /etc/shadow) to the backup folders on the system and
 * in the recovery system; a missing file is fine (nothing to keep).  WHERE (optional) gets the
 * backup's path on the system.  0 or a negative errno.
 */
int audit_backup(const struct target *t, const char *tool, const char *rel, char *where,
		 size_t where_size);

/*
 * Keeps DATA (LEN bytes) as NAME in the recovery system's backups (AUDIT_LIVE_BACKUPS/live/
 * STAMP-TOOL-PID/NAME, 0600): for what is not a file of an installed system, such as a disk's
 * first sectors before its partition table is written.  WHERE gets the path.  0 or a negative
 * errno.
 */
int audit_keep(const char *tool, const char *name, const void *data, size_t len, char *where,
	       size_t where_size);

/* Appends one line about a change; the target (RW-mounted) may be NULL for live-only changes. */
int audit_record(const struct target *t, const char *system_id, const char *tool, const char *fmt,
		 ...) __attribute__((format(printf, 4, 5)));
