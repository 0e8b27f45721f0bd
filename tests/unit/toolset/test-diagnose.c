#include "diagnose.h"
#include "toolset-test.h"

#include <string.h>

/*
 * Journal entries as a Debian 12 system (systemd 252) logs them: PID 1's records carry MESSAGE_ID,
 * UNIT and JOB_RESULT or UNIT_RESULT; the initramfs and e2fsck only have text.
 */
#define MID_STARTING JOURNAL_MID_UNIT_STARTING
#define MID_STARTED JOURNAL_MID_UNIT_STARTED
#define MID_JOB_FAILED JOURNAL_MID_UNIT_JOB_FAILED
#define MID_FAILED JOURNAL_MID_UNIT_FAILED
#define MID_SHUTDOWN JOURNAL_MID_SHUTDOWN

static struct journal_entry text(long pid, const char *ident, const char *msg)
{
	static uint64_t t = 1765090000000000ull;
	t += 1000;
	return (struct journal_entry){ .usec = t, .mono = t, .priority = 6, .pid = pid,
				       .identifier = (char *)ident, .message = (char *)msg };
}

/* a record of the service manager about UNIT */
static struct journal_entry pid1(const char *mid, const char *unit, const char *job_result,
				 const char *unit_result, const char *msg)
{
	struct journal_entry e = text(1, "systemd", msg);
	e.message_id = (char *)mid;
	e.unit = (char *)unit;
	e.job_result = (char *)job_result;
	e.unit_result = (char *)unit_result;
	return e;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct journal_entry *normal_boot(size_t *n)
{
	static struct journal_entry e[8];
	e[0] = text(0, "kernel", "Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org)");
	e[0].kernel = true;
	e[1] = text(1, "systemd", "systemd 252.33-1~deb12u1 running in system mode (+PAM +AUDIT)");
	e[2] = pid1(MID_STARTING, "ssh.service", NULL, NULL,
		    "Starting ssh.service - OpenBSD Secure Shell server...");
	e[3] = pid1(MID_STARTED, "ssh.service", "done", NULL,
		    "Started ssh.service - OpenBSD Secure Shell server.");
	e[4] = text(612, "sshd", "Server listening on 0.0.0.0 port 22.");
	e[5] = pid1(MID_STARTED, "multi-user.target", "done", NULL,
		    "Reached target multi-user.target - Multi-User System.");
	/* a process may log any field; only PID 1's records count */
	e[6] = text(700, "evil", "apache2.service: Failed with result 'exit-code'.");
	e[6].message_id = (char *)MID_FAILED;
	e[6].unit = (char *)"apache2.service";
	e[6].unit_result = (char *)"exit-code";
	e[7] = text(1, "systemd", "Startup finished in 2.1s (kernel) + 4.0s (userspace) = 6.1s.");
	*n = N(e);
	return e;
}

START_TEST(normal_boot_has_no_finding)
{
	size_t n;
	const struct journal_entry *e = normal_boot(&n);
	struct diagnose_finding out[DIAGNOSE_MAX];
	struct diagnose_failed failed[8];
	ck_assert_uint_eq(diagnose_run(e, n, NULL, 0, out, DIAGNOSE_MAX), 0);
	ck_assert_uint_eq(diagnose_failed_units(e, n, failed, 8), 0);
}
END_TEST

START_TEST(failed_units_from_structured_fields)
{
	struct journal_entry e[] = {
		pid1(MID_STARTING, "broken.service", NULL, NULL, "Starting broken.service..."),
		text(401, "broken-daemon", "cannot open /etc/broken.conf: No such file"),
		pid1(MID_FAILED, "broken.service", NULL, "exit-code",
		     "broken.service: Failed with result 'exit-code'."),
		pid1(MID_JOB_FAILED, "broken.service", "failed", NULL,
		     "Failed to start broken.service - Broken Daemon."),
		/* fails, then restarts fine: not failed at the end of the boot */
		pid1(MID_FAILED, "flaky.service", NULL, "exit-code",
		     "flaky.service: Failed with result 'exit-code'."),
		pid1(MID_STARTED, "flaky.service", "done", NULL, "Started flaky.service - Flaky."),
		/* a consequence only */
		pid1(MID_JOB_FAILED, "data.mount", "dependency", NULL,
		     "Dependency failed for data.mount - /data."),
		pid1(MID_JOB_FAILED, "dev-disk-by\\x2duuid-1234.device", "timeout", NULL,
		     "Timed out waiting for device dev-disk-by\\x2duuid-1234.device - /dev/disk/by-uuid/1234."),
		/* the text alone says nothing */
		text(1, "systemd", "Failed to start something.service - Something."),
		pid1(MID_STARTING, "broken.service", NULL, NULL, "Starting broken.service..."),
		pid1(MID_FAILED, "broken.service", NULL, "core-dump",
		     "broken.service: Failed with result 'core-dump'."),
	};
	struct diagnose_failed f[8];
	size_t n = diagnose_failed_units(e, N(e), f, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(f[0].unit, "broken.service");
	ck_assert_str_eq(f[0].result, "core-dump");
	ck_assert_uint_eq(f[0].count, 2);
	ck_assert_uint_eq(f[1].count, 1);
	ck_assert_uint_eq(f[0].usec, e[10].usec);
	ck_assert_str_eq(f[1].unit, "dev-disk-by\\x2duuid-1234.device");
	ck_assert_str_eq(f[1].result, "timeout");
	/* the count goes on past the room for them */
	ck_assert_uint_eq(diagnose_failed_units(e, N(e), f, 1), 2);
	ck_assert_str_eq(f[0].unit, "broken.service");
}
END_TEST

START_TEST(fsck_and_local_fs)
{
	const char *fsck = "systemd-fsck@dev-disk-by\\x2duuid-7f1c.service";
	struct journal_entry e[] = {
		pid1(MID_STARTING, fsck, NULL, NULL,
		     "Starting systemd-fsck@dev-disk-by\\x2duuid-7f1c.service - File System Check on "
		     "/dev/disk/by-uuid/7f1c..."),
		text(312, "systemd-fsck", "/dev/vdb1 contains a file system with errors, check forced."),
		text(312, "systemd-fsck", "/dev/vdb1: Inodes that were part of a corrupted orphan "
					  "linked list found."),
		text(312, "systemd-fsck", "/dev/vdb1: UNEXPECTED INCONSISTENCY; RUN fsck MANUALLY.\n"
					  "\t(i.e., without -a or -p options)"),
		text(311, "systemd-fsck", "fsck failed with exit status 4."),
		pid1(MID_FAILED, fsck, NULL, "exit-code",
		     "systemd-fsck@dev-disk-by\\x2duuid-7f1c.service: Failed with result "
		     "'exit-code'."),
		pid1(MID_JOB_FAILED, fsck, "failed", NULL,
		     "Failed to start systemd-fsck@dev-disk-by\\x2duuid-7f1c.service - File System "
		     "Check on /dev/disk/by-uuid/7f1c."),
		pid1(MID_JOB_FAILED, "data.mount", "dependency", NULL,
		     "Dependency failed for data.mount - /data."),
		pid1(MID_JOB_FAILED, "local-fs.target", "dependency", NULL,
		     "Dependency failed for local-fs.target - Local File Systems."),
		pid1(MID_STARTING, "emergency.service", NULL, NULL,
		     "Starting emergency.service - Emergency Shell..."),
		pid1(MID_STARTED, "emergency.service", "done", NULL,
		     "Started emergency.service - Emergency Shell."),
		pid1(MID_STARTED, "emergency.target", "done", NULL,
		     "Reached target emergency.target - Emergency Mode."),
	};
	struct diagnose_finding d[DIAGNOSE_MAX];
	size_t n = diagnose_run(e, N(e), NULL, 0, d, DIAGNOSE_MAX);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(d[0].kind, DIAGNOSE_FSCK_NEEDED);
	ck_assert_str_eq(d[0].subject, "/dev/vdb1");
	ck_assert_str_eq(d[0].what, "/dev/vdb1 needs a manual filesystem check");
	ck_assert_str_eq(d[0].fix, "lifeline fsck --repair");
	ck_assert_str_eq(d[0].evidence,
			 "systemd-fsck: /dev/vdb1: UNEXPECTED INCONSISTENCY; RUN fsck MANUALLY.");
	ck_assert_int_eq(d[1].kind, DIAGNOSE_MOUNT_FAILED);
	ck_assert_str_eq(d[1].what, "local-fs.target failed: a filesystem of fstab did not mount");
	ck_assert_str_eq(d[1].fix, "lifeline fstab --check");
	ck_assert_int_eq(d[2].kind, DIAGNOSE_MOUNT_FAILED);
	ck_assert_str_eq(d[2].what, "the boot stopped in emergency mode");
	ck_assert_int_eq(d[3].kind, DIAGNOSE_FAILED_UNITS);
	ck_assert_str_eq(d[3].what, "1 unit failed: systemd-fsck@dev-disk-by\\x2duuid-7f1c.service");
	ck_assert_str_eq(d[3].fix, "lifeline services --failed");

	/* without e2fsck's words, the failed check unit says it */
	n = diagnose_run(e + 6, 2, NULL, 0, d, DIAGNOSE_MAX);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(d[0].kind, DIAGNOSE_FSCK_NEEDED);
	ck_assert_str_eq(d[0].subject, fsck);
	ck_assert_str_eq(d[0].what, "the filesystem check systemd-fsck@dev-disk-by\\x2duuid-7f1c"
				    ".service failed (failed)");
}
END_TEST

START_TEST(device_timeout)
{
	struct journal_entry e[] = {
		pid1(MID_JOB_FAILED, "dev-disk-by\\x2duuid-dead.device", "timeout", NULL,
		     "Timed out waiting for device dev-disk-by\\x2duuid-dead.device - "
		     "/dev/disk/by-uuid/dead."),
		pid1(MID_JOB_FAILED, "srv.mount", "dependency", NULL,
		     "Dependency failed for srv.mount - /srv."),
		pid1(MID_JOB_FAILED, "local-fs.target", "dependency", NULL,
		     "Dependency failed for local-fs.target - Local File Systems."),
	};
	struct diagnose_finding d[DIAGNOSE_MAX];
	size_t n = diagnose_run(e, N(e), NULL, 0, d, DIAGNOSE_MAX);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(d[0].kind, DIAGNOSE_MOUNT_FAILED);
	ck_assert_str_eq(d[0].what,
			 "the device dev-disk-by\\x2duuid-dead.device did not appear (timed out)");
	ck_assert_int_eq(d[1].kind, DIAGNOSE_MOUNT_FAILED);
	ck_assert_str_eq(d[1].subject, "local-fs.target");
	ck_assert_int_eq(d[2].kind, DIAGNOSE_FAILED_UNITS);
}
END_TEST

START_TEST(root_device_missing)
{
	/* the initramfs console, as a pstore or a serial capture has it */
	struct journal_entry e[] = {
		text(0, "pstore", "Begin: Waiting for root file system ... done."),
		text(0, "pstore", "Gave up waiting for root file system device.  Common problems:"),
		text(0, "pstore", " - Boot args (cat /proc/cmdline)"),
		text(0, "pstore", "ALERT!  UUID=0b6a3b1c-2f1e-4c55-9d7e-3f1a2b3c4d5e does not exist.  "
				  "Dropping to a shell!"),
	};
	struct diagnose_finding d[DIAGNOSE_MAX];
	size_t n = diagnose_run(e, N(e), NULL, 0, d, DIAGNOSE_MAX);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(d[0].kind, DIAGNOSE_ROOT_MISSING);
	ck_assert_str_eq(d[0].what, "the initramfs did not find the root device "
				    "UUID=0b6a3b1c-2f1e-4c55-9d7e-3f1a2b3c4d5e");
	ck_assert_str_eq(d[0].fix, "lifeline fstab --check; lifeline bootrepair");

	/* without the initramfs: the kernel panics */
	struct journal_entry k[] = {
		text(0, "pstore", "VFS: Cannot open root device \"vda1\" or unknown-block(0,0): error -6"),
		text(0, "pstore", "Kernel panic - not syncing: VFS: Unable to mount root fs on "
				  "unknown-block(0,0)"),
	};
	n = diagnose_run(k, N(k), NULL, 0, d, DIAGNOSE_MAX);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(d[0].kind, DIAGNOSE_ROOT_MISSING);
	ck_assert_str_eq(d[0].what, "the kernel could not mount the root filesystem (no initramfs "
				    "or no driver)");
	ck_assert_int_eq(d[1].kind, DIAGNOSE_KERNEL_CRASH);
	ck_assert_str_eq(d[1].what, "the kernel panicked");
}
END_TEST

static const char guard_unit[] = "[Unit]\n"
				 "Description=Power guard\n"
				 "[Service]\n"
				 "Type=oneshot\n"
				 "ExecStart=/bin/sh -c 'sleep 2; /usr/bin/systemctl poweroff'\n"
				 "[Install]\n"
				 "WantedBy=multi-user.target\n";

static const char logger_unit[] = "[Service]\n"
				  "ExecStart=/usr/bin/logger shutdown reboot halt\n"
				  "ExecStop=/sbin/poweroff\n";

START_TEST(unit_powers_off)
{
	struct journal_entry e[] = {
		pid1(MID_STARTING, "logger.service", NULL, NULL, "Starting logger.service..."),
		pid1(MID_STARTING, "guard.service", NULL, NULL,
		     "Starting guard.service - Power guard..."),
		text(455, "systemd-logind", "System is powering down."),
		pid1(MID_STARTING, "late.service", NULL, NULL, "Starting late.service..."),
	};
	e[2].message_id = (char *)MID_SHUTDOWN;
	struct diagnose_unit u[] = {
		{ "logger.service", true, logger_unit },  /* started, but shuts nothing down */
		{ "off.service", true, guard_unit },      /* never started */
		{ "late.service", true, guard_unit },     /* started after the power-off began */
		{ "quiet.service", false, guard_unit },   /* not enabled */
		{ "guard.service", true, guard_unit },
	};
	struct diagnose_finding d[DIAGNOSE_MAX];
	size_t n = diagnose_run(e, N(e), u, N(u), d, DIAGNOSE_MAX);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(d[0].kind, DIAGNOSE_POWEROFF_UNIT);
	ck_assert_str_eq(d[0].subject, "guard.service");
	ck_assert_str_eq(d[0].fix, "lifeline services --disable guard.service");
	ck_assert_str_eq(d[0].what, "guard.service (enabled) started and the machine shut down: "
				    "ExecStart=/bin/sh -c 'sleep 2; /usr/bin/systemctl poweroff'");
	ck_assert_str_eq(d[0].evidence, "systemd-logind: System is powering down.");

	/* no power-off in the boot: nothing to blame */
	n = diagnose_run(e, 2, u, N(u), d, DIAGNOSE_MAX);
	ck_assert_uint_eq(n, 0);

	/* without logind, PID 1 starts poweroff.target itself */
	struct journal_entry early[] = {
		pid1(MID_STARTING, "guard.service", NULL, NULL, "Starting guard.service..."),
		pid1(MID_STARTING, "systemd-poweroff.service", NULL, NULL,
		     "Starting systemd-poweroff.service - System Power Off..."),
	};
	n = diagnose_run(early, N(early), u, N(u), d, DIAGNOSE_MAX);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(d[0].subject, "guard.service");
}
END_TEST

START_TEST(power_commands)
{
	char line[256];
	ck_assert(diagnose_unit_powers_off("ExecStart=/sbin/shutdown -h now\n", line, sizeof(line)));
	ck_assert_str_eq(line, "ExecStart=/sbin/shutdown -h now");
	ck_assert(diagnose_unit_powers_off("[Service]\nExecStartPost=-/usr/bin/systemctl --force "
					   "reboot\n", line, sizeof(line)));
	ck_assert_str_eq(line, "ExecStartPost=-/usr/bin/systemctl --force reboot");
	ck_assert(diagnose_unit_powers_off("ExecStart=systemctl start --no-block poweroff.target",
					   line, sizeof(line)));
	ck_assert(diagnose_unit_powers_off("  ExecStartPre=/usr/bin/env X=1 /sbin/halt -p", line,
					   sizeof(line)));
	ck_assert(diagnose_unit_powers_off("ExecStart=/bin/bash -c \"test -e /x || reboot\"", line,
					   sizeof(line)));
	ck_assert(!diagnose_unit_powers_off("ExecStart=/usr/bin/poweroff-helper\n", line,
					    sizeof(line)));
	ck_assert(!diagnose_unit_powers_off("ExecStart=/usr/bin/logger shutdown\n", line,
					    sizeof(line)));
	ck_assert(!diagnose_unit_powers_off("ExecStart=systemctl status poweroff.target\n", line,
					    sizeof(line)));
	ck_assert(!diagnose_unit_powers_off("ExecStop=/sbin/poweroff\n", line, sizeof(line)));
	ck_assert(!diagnose_unit_powers_off("# ExecStart=/sbin/poweroff\n", line, sizeof(line)));
	ck_assert(!diagnose_unit_powers_off("", line, sizeof(line)));
}
END_TEST

START_TEST(no_space)
{
	struct journal_entry e[] = {
		text(812, "postgres", "could not write to file \"pg_wal/xlogtemp.812\": No space left "
				      "on device"),
		text(1, "systemd", "Failed to write /var/lib/systemd/random-seed: No space left on "
				   "device"),
	};
	struct diagnose_finding d[DIAGNOSE_MAX];
	size_t n = diagnose_run(e, N(e), NULL, 0, d, DIAGNOSE_MAX);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(d[0].kind, DIAGNOSE_NO_SPACE);
	ck_assert_str_eq(d[0].what,
			 "a filesystem was full: 2 messages say \"No space left on device\"");
	ck_assert(strncmp(d[0].evidence, "postgres: could not write", 25) == 0);
	n = diagnose_run(e + 1, 1, NULL, 0, d, DIAGNOSE_MAX);
	ck_assert_str_eq(d[0].what, "a filesystem was full: 1 message says \"No space left on device\"");
}
END_TEST

START_TEST(kernel_oops)
{
	struct journal_entry e[] = {
		text(0, "kernel", "BUG: kernel NULL pointer dereference, address: 0000000000000008"),
		text(0, "kernel", "Oops: 0000 [#1] PREEMPT SMP NOPTI"),
		/* a program saying it is no kernel oops */
		text(900, "myapp", "BUG: wrong config"),
	};
	e[0].kernel = e[1].kernel = true;
	struct diagnose_finding d[DIAGNOSE_MAX];
	size_t n = diagnose_run(e, N(e), NULL, 0, d, DIAGNOSE_MAX);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(d[0].kind, DIAGNOSE_KERNEL_CRASH);
	ck_assert_str_eq(d[0].what, "the kernel hit a bug (oops)");
	ck_assert_str_eq(d[0].fix, "boot the previous kernel: lifeline bootrepair --previous-kernel");
	ck_assert_str_eq(d[0].evidence,
			 "kernel: BUG: kernel NULL pointer dereference, address: 0000000000000008");

	/* an oops that ends in a panic: one finding, the panic */
	struct journal_entry p[] = { e[0], e[1], text(0, "pstore", "Kernel panic - not syncing: "
									   "Fatal exception") };
	n = diagnose_run(p, N(p), NULL, 0, d, DIAGNOSE_MAX);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(d[0].what, "the kernel panicked");
}
END_TEST

START_TEST(unit_names)
{
	ck_assert(diagnose_unit_name_valid("ssh.service"));
	ck_assert(diagnose_unit_name_valid("getty@tty1.service"));
	ck_assert(diagnose_unit_name_valid("getty@.service"));
	ck_assert(diagnose_unit_name_valid("-.mount"));
	ck_assert(diagnose_unit_name_valid("dev-disk-by\\x2duuid-1234.device"));
	ck_assert(diagnose_unit_name_valid("multi-user.target"));
	ck_assert(!diagnose_unit_name_valid("ssh"));
	ck_assert(!diagnose_unit_name_valid(".service"));
	ck_assert(!diagnose_unit_name_valid("@x.service"));
	ck_assert(!diagnose_unit_name_valid("a@b@c.service"));
	ck_assert(!diagnose_unit_name_valid("ssh.service;reboot"));
	ck_assert(!diagnose_unit_name_valid("../../etc/passwd.service"));
	ck_assert(!diagnose_unit_name_valid("ssh .service"));
	ck_assert(!diagnose_unit_name_valid("ssh.conf"));
	ck_assert(!diagnose_unit_name_valid(""));
	char big[300];
	memset(big, 'a', sizeof(big));
	strcpy(big + 250, ".service");
	ck_assert(!diagnose_unit_name_valid(big));
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("diagnose");
	TCase *tc = tcase_create("diagnose");
	tcase_add_test(tc, normal_boot_has_no_finding);
	tcase_add_test(tc, failed_units_from_structured_fields);
	tcase_add_test(tc, fsck_and_local_fs);
	tcase_add_test(tc, device_timeout);
	tcase_add_test(tc, root_device_missing);
	tcase_add_test(tc, unit_powers_off);
	tcase_add_test(tc, power_commands);
	tcase_add_test(tc, no_space);
	tcase_add_test(tc, kernel_oops);
	tcase_add_test(tc, unit_names);
	suite_add_tcase(s, tc);
	return s;
}
