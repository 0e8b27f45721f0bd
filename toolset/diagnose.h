#pragma once

#include "journal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Why a system does not boot, from what its journal (and pstore) recorded: pure functions over
 * entries and unit facts passed in as data, so the patterns are unit-tested with real-looking
 * journal lines and no disk.  Each finding names the lifeline tool that fixes it.
 */

enum diagnose_kind {
	DIAGNOSE_ROOT_MISSING,  /* the initramfs or kernel did not find the root device */
	DIAGNOSE_FSCK_NEEDED,   /* a filesystem check failed or asks for a manual fsck */
	DIAGNOSE_MOUNT_FAILED,  /* a device timed out, a mount failed, local-fs.target, emergency */
	DIAGNOSE_POWEROFF_UNIT, /* an enabled unit powers off or reboots the machine while booting */
	DIAGNOSE_NO_SPACE,      /* a filesystem was full */
	DIAGNOSE_KERNEL_CRASH,  /* a kernel panic or oops */
	DIAGNOSE_FAILED_UNITS,  /* units that failed */
};

/* A unit of the system: its enablement and its unit file with drop-ins, as read from the disk. */
struct diagnose_unit {
	const char *name;
	bool enabled;
	const char *text;
};

struct diagnose_finding {
	enum diagnose_kind kind;
	char subject[128];  /* the device, mount or unit it is about ("" when none) */
	char what[256];     /* one line: what was seen */
	char fix[128];      /* the command that fixes it */
	char evidence[256]; /* the journal line that shows it */
};

#define DIAGNOSE_MAX 32

/* A unit that failed in a boot and did not start again afterwards. */
struct diagnose_failed {
	char unit[256];
	char result[32];    /* exit-code, signal, timeout, core-dump, start-limit-hit... */
	uint64_t usec;      /* when it failed (last time) */
	unsigned count;     /* how often it failed (its "Failed with result" records) */
};

/*
 * The units the service manager (PID 1) reported failed in entries E (one boot, oldest first) and
 * that were not started again successfully later; by the time of their first failure.  Only the
 * structured fields count (MESSAGE_ID, UNIT, UNIT_RESULT, JOB_RESULT), never the message text.
 * Returns how many there are (OUT holds at most MAX of them).
 */
size_t diagnose_failed_units(const struct journal_entry *e, size_t n, struct diagnose_failed *out,
			     size_t max);

/*
 * The findings in entries E (one boot, oldest first, pstore lines included as entries) with the
 * units U; one per problem and subject, in the order of enum diagnose_kind.  Returns their number.
 */
size_t diagnose_run(const struct journal_entry *e, size_t n, const struct diagnose_unit *u,
		    size_t n_units, struct diagnose_finding *out, size_t max);

/*
 * When a line of unit file TEXT (ExecStart=, ExecStartPre=, ExecStartPost=, ExecCondition=)
 * powers off, halts or reboots the machine (poweroff, shutdown, halt, reboot, systemctl poweroff,
 * systemctl start reboot.target...), copies that line to LINE and returns true.
 */
bool diagnose_unit_powers_off(const char *text, char *line, size_t size);

/* A valid unit name: unit name characters, one known suffix (.service, .mount...), bounded. */
bool diagnose_unit_name_valid(const char *name);
