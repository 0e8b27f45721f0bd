/*
 * Logs: the boots an installed system's journal recorded, the entries of one (or its errors), the
 * kernel crash records it kept (pstore, kdump) and a diagnosis of the newest boot that names the
 * tool for each problem found.  Read-only: the system is mounted read-only throughout.
 */
#include "diagnose.h"
#include "journal.h"
#include "target.h"
#include "tools.h"
#include "units.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
	"Usage: lifeline logs [--boot N] [--errors] [--diagnose] [--system ID] [--json]\n"
	"\n"
	"Reads the journal of an installed system (read-only).  Without options: the boots it\n"
	"recorded and the kernel crash records it kept (pstore, kdump).\n"
	"  --boot N             the entries of boot N: 0 the newest in the journal, -1 the one\n"
	"                       before (like journalctl -b); the last " "500 entries are shown\n"
	"  --errors             only priority err and worse (of the newest boot without --boot)\n"
	"  --diagnose           known reasons a boot fails, each with the tool that fixes it\n"
	"                       (the newest boot, or boot N with --boot)\n"
	"Exit status 1 when the system has no journal.\n"
	"\n"
	"Options:\n" CLI_COMMON_HELP;

enum {
	OPT_BOOT = CLI_OPT_FIRST_TOOL,
	OPT_ERRORS,
	OPT_DIAGNOSE,
};

#define SHOW_MAX 500         /* entries of a boot shown */
#define STRUCTURED_MAX 20000 /* service manager records read for a diagnosis */
#define GREP_MAX 2000        /* text matches read for a diagnosis */
#define CRASH_FILES_MAX 64
#define PSTORE_LINES 12      /* first lines shown of a pstore dmesg */

/* Journal and crash-record text for display: each line sanitized, lines joined with SEP. */
static void clean_text(const char *s, const char *sep, char *out, size_t size)
{
	size_t o = 0;
	out[0] = '\0';
	while (s && *s && o + 1 < size) {
		size_t l = strcspn(s, "\n");
		char line[1024], clean[1200];
		snprintf(line, sizeof(line), "%.*s", (int)(l < sizeof(line) ? l : sizeof(line) - 1), s);
		util_sanitize(clean, sizeof(clean), line);
		o += (size_t)snprintf(out + o, size - o, "%s%s", o ? sep : "", clean);
		s += l;
		s += *s == '\n';
	}
}

static const char *prio_name(int p)
{
	static const char *const names[] = { "emerg", "alert", "crit",   "err",
					     "warning", "notice", "info", "debug" };
	return p >= 0 && p < 8 ? names[p] : "-";
}

/* crash records: files under DIR inside ROOT (two levels), newest first */
struct crash_file {
	char path[512];   /* inside the system (or /sys/fs/pstore) */
	char full[768];   /* where it is read now */
	long long size;
	time_t mtime;
	bool dmesg;
};

static void scan_crash_dir(const char *base, const char *rel, int depth, struct crash_file *out,
			   size_t *n)
{
	/* a symlink on the disk cannot lead out of its root */
	DIR *d = util_opendir_in_root(base[0] ? base : "/", rel);
	if (!d) {
		return;
	}
	struct dirent *de;
	while (*n < CRASH_FILES_MAX && (de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			continue;
		}
		char child[512];
		snprintf(child, sizeof(child), "%s/%s", rel, de->d_name);
		if (S_ISDIR(st.st_mode) && depth < 2) {
			scan_crash_dir(base, child, depth + 1, out, n);
		} else if (S_ISREG(st.st_mode)) {
			struct crash_file *f = &out[(*n)++];
			snprintf(f->path, sizeof(f->path), "%s", child);
			snprintf(f->full, sizeof(f->full), "%s%s", base, child);
			f->size = (long long)st.st_size;
			f->mtime = st.st_mtime;
			f->dmesg = strstr(de->d_name, "dmesg") != NULL;
		}
	}
	closedir(d);
}

static int by_mtime(const void *a, const void *b)
{
	const struct crash_file *x = a, *y = b;
	return x->mtime > y->mtime ? -1 : x->mtime < y->mtime;
}

static size_t crash_files(const char *root, struct crash_file *out)
{
	size_t n = 0;
	scan_crash_dir(root, "/var/lib/systemd/pstore", 0, out, &n);
	scan_crash_dir(root, "/var/crash", 0, out, &n);
	/* the machine's own pstore may still hold the crash of the system's last boot */
	scan_crash_dir("", "/sys/fs/pstore", 1, out, &n);
	qsort(out, n, sizeof(out[0]), by_mtime);
	return n;
}

/* the first lines of a crash file (a pstore dmesg), as read (unsanitized) */
static char *crash_head(const struct crash_file *f, size_t lines)
{
	char *s = NULL;
	const char *slash = strrchr(f->full, '/');
	char dir[768];
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - f->full), f->full);
	if (util_read_in_root(dir[0] ? dir : "/", slash + 1, 256 * 1024, &s, NULL) < 0) {
		return NULL;
	}
	char *p = s;
	for (size_t i = 0; i < lines && p && *p; i++) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (p) {
		*p = '\0';
	}
	return s;
}

static void format_mtime(time_t t, char *buf, size_t size)
{
	journal_format_time((uint64_t)t * 1000000, buf, size);
}

static int list_boots(struct cli *c, const struct systems_system *sys, const char *root,
		      const struct journal_boot *b, size_t nb)
{
	struct crash_file files[CRASH_FILES_MAX];
	size_t nf = crash_files(root, files);
	const struct crash_file *dmesg = NULL;
	for (size_t i = 0; i < nf && !dmesg; i++) {
		dmesg = files[i].dmesg ? &files[i] : NULL;
	}
	char *head = dmesg ? crash_head(dmesg, PSTORE_LINES) : NULL;
	char clean[4096];
	clean_text(head, c->json ? "\n" : "\n    ", clean, sizeof(clean));
	free(head);
	if (c->json) {
		struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
		json_object_object_add(o, "system", json_object_new_string(sys->id));
		for (size_t i = 0; i < nb; i++) {
			struct json_object *x = json_object_new_object();
			char t[32];
			json_object_object_add(x, "index", json_object_new_int(b[i].index));
			json_object_object_add(x, "boot_id", json_object_new_string(b[i].id));
			journal_format_time(b[i].first_usec, t, sizeof(t));
			json_object_object_add(x, "first", json_object_new_string(t));
			journal_format_time(b[i].last_usec, t, sizeof(t));
			json_object_object_add(x, "last", json_object_new_string(t));
			json_object_array_add(arr, x);
		}
		json_object_object_add(o, "boots", arr);
		arr = json_object_new_array();
		for (size_t i = 0; i < nf; i++) {
			struct json_object *x = json_object_new_object();
			char t[32], p[600];
			util_sanitize(p, sizeof(p), files[i].path);
			format_mtime(files[i].mtime, t, sizeof(t));
			json_object_object_add(x, "path", json_object_new_string(p));
			json_object_object_add(x, "size", json_object_new_int64(files[i].size));
			json_object_object_add(x, "date", json_object_new_string(t));
			json_object_array_add(arr, x);
		}
		json_object_object_add(o, "crash_files", arr);
		if (dmesg) {
			json_object_object_add(o, "dmesg_head", json_object_new_string(clean));
		}
		cli_print_json(o);
		return CLI_OK;
	}
	printf("Boots recorded in the journal of %s (%s), times in UTC:\n", sys->id, sys->name);
	printf("  %4s  %-32s  %-19s  %-19s\n", "boot", "boot id", "first entry", "last entry");
	for (size_t i = 0; i < nb; i++) {
		char first[32], last[32];
		journal_format_time(b[i].first_usec, first, sizeof(first));
		journal_format_time(b[i].last_usec, last, sizeof(last));
		printf("  %4d  %-32s  %-19s  %-19s\n", b[i].index, b[i].id, first, last);
	}
	if (nf == 0) {
		printf("\nNo kernel crash records (pstore, /var/crash).\n");
		return CLI_OK;
	}
	printf("\nKernel crash records (newest first):\n");
	for (size_t i = 0; i < nf; i++) {
		char t[32], p[600];
		util_sanitize(p, sizeof(p), files[i].path);
		format_mtime(files[i].mtime, t, sizeof(t));
		printf("  %s  %10lld  %s\n", t, files[i].size, p);
	}
	if (dmesg) {
		char p[600];
		util_sanitize(p, sizeof(p), dmesg->path);
		printf("\nThe first lines of %s:\n    %s\n", p, clean);
	}
	return CLI_OK;
}

static void print_entry(const struct journal_entry *e)
{
	char t[32], ident[80], msg[8192];
	journal_format_time(e->usec, t, sizeof(t));
	util_sanitize(ident, sizeof(ident), e->identifier ? e->identifier : "-");
	clean_text(e->message ? e->message : "[no text or a very long one]", "\n        ", msg,
		   sizeof(msg));
	if (e->pid > 0) {
		printf("%s %s[%ld]: %s\n", t, ident, e->pid, msg);
	} else {
		printf("%s %s: %s\n", t, ident, msg);
	}
}

static struct json_object *entry_json(const struct journal_entry *e)
{
	struct json_object *x = json_object_new_object();
	char t[32], ident[80], msg[8192];
	journal_format_time(e->usec, t, sizeof(t));
	util_sanitize(ident, sizeof(ident), e->identifier ? e->identifier : "");
	clean_text(e->message ? e->message : "", "\n", msg, sizeof(msg));
	json_object_object_add(x, "time", json_object_new_string(t));
	json_object_object_add(x, "priority", json_object_new_string(prio_name(e->priority)));
	json_object_object_add(x, "identifier", json_object_new_string(ident));
	json_object_object_add(x, "pid", json_object_new_int64(e->pid));
	json_object_object_add(x, "message", json_object_new_string(msg));
	return x;
}

static int show_boot(struct cli *c, const struct systems_system *sys, const char *root,
		     const char *dir,
		     const struct journal_boot *b, bool errors)
{
	struct journal_entries j = { 0 };
	int e = journal_read(root, dir, b->id, SHOW_MAX, errors ? 3 : -1, NULL, NULL, &j);
	if (e < 0) {
		return cli_fail(c, "journalctl could not read boot %d of %s: %s", b->index, sys->id,
				strerror(-e));
	}
	if (c->json) {
		struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
		json_object_object_add(o, "system", json_object_new_string(sys->id));
		json_object_object_add(o, "boot", json_object_new_int(b->index));
		json_object_object_add(o, "boot_id", json_object_new_string(b->id));
		json_object_object_add(o, "errors_only", json_object_new_boolean(errors));
		json_object_object_add(o, "cut", json_object_new_boolean(j.cut));
		for (size_t i = 0; i < j.n; i++) {
			json_object_array_add(arr, entry_json(&j.e[i]));
		}
		json_object_object_add(o, "entries", arr);
		cli_print_json(o);
	} else {
		char first[32];
		journal_format_time(b->first_usec, first, sizeof(first));
		printf("Boot %d of %s (%s, started %s UTC)%s:\n", b->index, sys->id, b->id, first,
		       errors ? ", errors only" : "");
		if (j.cut) {
			printf("(only the last %d entries are shown)\n", SHOW_MAX);
		}
		for (size_t i = 0; i < j.n; i++) {
			print_entry(&j.e[i]);
		}
		if (j.n == 0) {
			printf("(no entries%s)\n", errors ? " of priority err or worse" : "");
		}
	}
	journal_entries_clear(&j);
	return CLI_OK;
}

/* pstore dmesg lines as entries, so the same patterns find a panic */
static void add_crash_lines(const struct crash_file *f, struct journal_entries *j)
{
	char *s = crash_head(f, 400);
	for (char *p = s, *nl; p && *p; p = nl ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (nl) {
			*nl = '\0';
		}
		/* kernel log levels and times ("<0>[   87.110] ") are not part of the message */
		char *m = p;
		if (m[0] == '<' && strchr(m, '>')) {
			m = strchr(m, '>') + 1;
		}
		if (m[0] == '[' && strchr(m, ']')) {
			m = strchr(m, ']') + 1;
			m += *m == ' ';
		}
		struct journal_entry *grown = realloc(j->e, (j->n + 1) * sizeof(*grown));
		if (!grown) {
			break;
		}
		j->e = grown;
		j->e[j->n++] = (struct journal_entry){ .usec = (uint64_t)f->mtime * 1000000,
						       .mono = UINT64_MAX,
						       .order = j->n,
						       .priority = -1,
						       .identifier = strdup("pstore"),
						       .message = strdup(m) };
	}
	free(s);
}

/* the enabled units the manager started in the boot, with their unit files */
static size_t unit_facts(const char *root, const struct journal_entries *j,
			 struct diagnose_unit *u, size_t max)
{
	struct units_file *files = NULL;
	size_t nfiles = 0, n = 0;
	if (units_list(root, &files, &nfiles) < 0) {
		return 0;
	}
	for (size_t i = 0; i < j->n && n < max; i++) {
		const struct journal_entry *e = &j->e[i];
		if (e->pid != 1 || !e->unit || !e->message_id ||
		    (strcmp(e->message_id, JOURNAL_MID_UNIT_STARTING) != 0 &&
		     strcmp(e->message_id, JOURNAL_MID_UNIT_STARTED) != 0)) {
			continue;
		}
		bool dup = false;
		for (size_t k = 0; k < n && !dup; k++) {
			dup = strcmp(u[k].name, e->unit) == 0;
		}
		const struct units_file *f = units_find(files, nfiles, e->unit);
		char *text = NULL;
		if (dup || !f || strncmp(f->state, "enabled", 7) != 0 ||
		    units_read_text(root, e->unit, &text) < 0) {
			continue;
		}
		u[n++] = (struct diagnose_unit){ .name = e->unit, .enabled = true, .text = text };
	}
	free(files);
	return n;
}

static int diagnose(struct cli *c, const struct systems_system *sys, const char *root,
		    const char *dir, const struct journal_boot *b)
{
	static const char *const mids[] = {
		"MESSAGE_ID=" JOURNAL_MID_UNIT_STARTING, "MESSAGE_ID=" JOURNAL_MID_UNIT_STARTED,
		"MESSAGE_ID=" JOURNAL_MID_UNIT_JOB_FAILED, "MESSAGE_ID=" JOURNAL_MID_UNIT_SUCCESS,
		"MESSAGE_ID=" JOURNAL_MID_UNIT_FAILED, "MESSAGE_ID=" JOURNAL_MID_SHUTDOWN, NULL,
	};
	static const char grep[] = "Gave up waiting for root|ALERT!|UNEXPECTED INCONSISTENCY|"
				   "RUN fsck MANUALLY|No space left on device|Kernel panic|Oops: |"
				   "^BUG: |VFS: Unable to mount root";
	struct journal_entries j = { 0 };
	int e = journal_read(root, dir, b->id, STRUCTURED_MAX, -1, mids, NULL, &j);
	if (e == 0) {
		e = journal_read(root, dir, b->id, GREP_MAX, -1, NULL, grep, &j);
		if (e == -EIO) { /* a journalctl without pattern matching: the end of the boot */
			e = journal_read(root, dir, b->id, 5000, -1, NULL, NULL, &j);
		}
	}
	if (e < 0) {
		journal_entries_clear(&j);
		return cli_fail(c, "journalctl could not read boot %d of %s: %s", b->index, sys->id,
				strerror(-e));
	}
	journal_entries_sort(&j);
	/* crash records kept since this boot began: the crash of this boot or the one before */
	struct crash_file files[CRASH_FILES_MAX];
	size_t nf = crash_files(root, files);
	for (size_t i = 0; i < nf; i++) {
		if (files[i].dmesg && (uint64_t)files[i].mtime * 1000000 >= b->first_usec) {
			add_crash_lines(&files[i], &j);
		}
	}
	struct diagnose_unit units[256];
	size_t nu = unit_facts(root, &j, units, 256);
	struct diagnose_finding d[DIAGNOSE_MAX];
	size_t nd = diagnose_run(j.e, j.n, units, nu, d, DIAGNOSE_MAX);
	for (size_t i = 0; i < nu; i++) {
		free((char *)units[i].text);
	}
	if (c->json) {
		struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
		json_object_object_add(o, "system", json_object_new_string(sys->id));
		json_object_object_add(o, "boot", json_object_new_int(b->index));
		json_object_object_add(o, "boot_id", json_object_new_string(b->id));
		for (size_t i = 0; i < nd; i++) {
			struct json_object *x = json_object_new_object();
			char what[300], fix[160], ev[300], subject[160];
			util_sanitize(what, sizeof(what), d[i].what);
			util_sanitize(fix, sizeof(fix), d[i].fix);
			util_sanitize(ev, sizeof(ev), d[i].evidence);
			util_sanitize(subject, sizeof(subject), d[i].subject);
			json_object_object_add(x, "what", json_object_new_string(what));
			json_object_object_add(x, "subject", json_object_new_string(subject));
			json_object_object_add(x, "fix", json_object_new_string(fix));
			json_object_object_add(x, "evidence", json_object_new_string(ev));
			json_object_array_add(arr, x);
		}
		json_object_object_add(o, "findings", arr);
		cli_print_json(o);
	} else {
		char first[32];
		journal_format_time(b->first_usec, first, sizeof(first));
		printf("Diagnosis of boot %d of %s (started %s UTC):\n", b->index, sys->id, first);
		for (size_t i = 0; i < nd; i++) {
			char what[300], fix[160], ev[300];
			util_sanitize(what, sizeof(what), d[i].what);
			util_sanitize(fix, sizeof(fix), d[i].fix);
			util_sanitize(ev, sizeof(ev), d[i].evidence);
			printf("- %s  -> %s\n", what, fix);
			if (ev[0]) {
				printf("    seen: %s\n", ev);
			}
		}
		if (nd == 0) {
			printf("No known problem found in this boot's journal.\n");
		}
	}
	journal_entries_clear(&j);
	return CLI_OK;
}

int tool_logs(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "boot", required_argument, NULL, OPT_BOOT },
		{ "errors", no_argument, NULL, OPT_ERRORS },
		{ "diagnose", no_argument, NULL, OPT_DIAGNOSE },
		{ 0 },
	};
	bool errors = false, want_diagnose = false, have_boot = false;
	long boot = 0;
	int o;
	while ((o = cli_getopt(c, argc, argv, opts)) > 0) {
		switch (o) {
		case OPT_BOOT: {
			char *end;
			errno = 0;
			boot = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || boot < -100000 || boot > 100000) {
				return cli_usage(c, "--boot wants a number (0 the newest boot, -1 the "
						    "one before), not '%.20s'", optarg);
			}
			have_boot = true;
			break;
		}
		case OPT_ERRORS:
			errors = true;
			break;
		case OPT_DIAGNOSE:
			want_diagnose = true;
			break;
		}
	}
	int go = cli_options_done(c, o, argc, argv, help, false);
	if (go != CLI_GO) {
		return go;
	}
	if (want_diagnose && errors) {
		return cli_usage(c, "--diagnose and --errors do not go together");
	}
	const struct systems_system *sys;
	int r = cli_pick_system(c, &sys);
	if (r != CLI_OK) {
		return r;
	}
	if (sys->kind != SYSTEMS_LINUX) {
		return cli_fail(c, "%s is a Windows installation; it keeps no journal", sys->id);
	}
	struct target *t;
	char why[256], dir[4096];
	if (target_open(&c->systems, sys, TARGET_CHROOT, &t, why, sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	struct journal_boot *boots = NULL;
	size_t nb = 0;
	int e = journal_find_dir(t->root, dir, sizeof(dir));
	if (e < 0) {
		r = cli_fail(c, "%s has no journal: /var/log/journal is %s (a system that keeps its "
				"journal in memory only, Storage=volatile, leaves nothing to read)",
			     sys->id, e == -ENOENT ? "missing or empty" : strerror(-e));
		goto out;
	}
	e = journal_list_boots(t->root, dir, &boots, &nb);
	if (e < 0 || nb == 0) {
		r = cli_fail(c, "the journal of %s lists no boot%s%s", sys->id, e < 0 ? ": " : "",
			     e < 0 ? strerror(-e) : "");
		goto out;
	}
	if (!have_boot && !errors && !want_diagnose) {
		r = list_boots(c, sys, t->root, boots, nb);
		goto out;
	}
	/* like journalctl: 0 the newest, -1 the one before; 1 the oldest, 2 the next */
	const struct journal_boot *b = NULL;
	for (size_t i = 0; i < nb && !b; i++) {
		long idx = boot > 0 ? (long)i + 1 : boots[i].index;
		b = idx == boot ? &boots[i] : NULL;
	}
	if (!b) {
		r = cli_fail(c, "the journal of %s has no boot %ld (it has %d to 0; see 'lifeline "
				"logs')", sys->id, boot, boots[0].index);
		goto out;
	}
	r = want_diagnose ? diagnose(c, sys, t->root, dir, b) : show_boot(c, sys, t->root, dir, b, errors);
out:
	free(boots);
	target_close(t);
	return r;
}
