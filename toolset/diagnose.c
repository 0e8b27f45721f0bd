#include "diagnose.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool eq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool has(const char *s, const char *needle)
{
	return s && strstr(s, needle);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t l = s ? strlen(s) : 0, k = strlen(suffix);
	return l >= k && strcmp(s + l - k, suffix) == 0;
}

/* A record of the service manager about a unit: only PID 1 sets these fields for itself. */
static bool manager(const struct journal_entry *e, const char *mid)
{
	return e->pid == 1 && e->unit && eq(e->message_id, mid);
}

static bool unit_failure(const struct journal_entry *e, const char **result)
{
	if (manager(e, JOURNAL_MID_UNIT_FAILED)) {
		*result = e->unit_result ? e->unit_result : "failed";
		return true;
	}
	/* a start job that failed or timed out; "dependency" is a consequence, not a failure */
	if (manager(e, JOURNAL_MID_UNIT_JOB_FAILED) &&
	    (eq(e->job_result, "failed") || eq(e->job_result, "timeout"))) {
		*result = e->job_result;
		return true;
	}
	return false;
}

static bool unit_started(const struct journal_entry *e)
{
	return manager(e, JOURNAL_MID_UNIT_SUCCESS) ||
	       (manager(e, JOURNAL_MID_UNIT_STARTED) && (!e->job_result || eq(e->job_result, "done")));
}

size_t diagnose_failed_units(const struct journal_entry *e, size_t n, struct diagnose_failed *out,
			     size_t max)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		const char *result;
		if (!unit_failure(&e[i], &result)) {
			continue;
		}
		bool seen = false;
		for (size_t k = 0; k < count && k < max; k++) {
			if (strcmp(out[k].unit, e[i].unit) == 0) {
				seen = true;
				out[k].count += manager(&e[i], JOURNAL_MID_UNIT_FAILED);
				out[k].usec = e[i].usec;
				/* the unit's own result says more than its job's "failed" */
				if (manager(&e[i], JOURNAL_MID_UNIT_FAILED) ||
				    strcmp(out[k].result, "failed") == 0) {
					snprintf(out[k].result, sizeof(out[k].result), "%s", result);
				}
			}
		}
		if (seen) {
			continue;
		}
		/* started again after this failure: no longer failed */
		bool recovered = false;
		for (size_t j = n; j-- > i + 1;) {
			const char *r2;
			if (!eq(e[j].unit, e[i].unit)) {
				continue;
			}
			if (unit_failure(&e[j], &r2)) {
				break;
			}
			if (unit_started(&e[j])) {
				recovered = true;
				break;
			}
		}
		if (recovered) {
			continue;
		}
		if (count < max) {
			struct diagnose_failed *f = &out[count];
			snprintf(f->unit, sizeof(f->unit), "%s", e[i].unit);
			snprintf(f->result, sizeof(f->result), "%s", result);
			f->usec = e[i].usec;
			f->count = manager(&e[i], JOURNAL_MID_UNIT_FAILED);
		}
		count++;
	}
	/* a failed job without the unit's own record (a timeout) is one failure */
	for (size_t k = 0; k < count && k < max; k++) {
		out[k].count += out[k].count == 0;
	}
	return count;
}

struct findings {
	struct diagnose_finding *out;
	size_t n, max;
};

static void add(struct findings *f, enum diagnose_kind kind, const char *subject,
		const char *fix, const struct journal_entry *ev, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void add(struct findings *f, enum diagnose_kind kind, const char *subject,
		const char *fix, const struct journal_entry *ev, const char *fmt, ...)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->out[i].kind == kind && strcmp(f->out[i].subject, subject) == 0) {
			return;
		}
	}
	if (f->n >= f->max) {
		return;
	}
	struct diagnose_finding *d = &f->out[f->n++];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	snprintf(d->subject, sizeof(d->subject), "%s", subject);
	snprintf(d->fix, sizeof(d->fix), "%s", fix);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->what, sizeof(d->what), fmt, ap);
	va_end(ap);
	if (ev && ev->message) {
		/* the first line: the rest of a multi-line message is detail */
		int l = (int)strcspn(ev->message, "\n");
		snprintf(d->evidence, sizeof(d->evidence), "%s%s%.*s",
			 ev->identifier ? ev->identifier : "", ev->identifier ? ": " : "", l,
			 ev->message);
	}
}

/* The word after PREFIX in S (up to a space), e.g. the device in "ALERT!  UUID=x does not exist" */
static void word_after(const char *s, const char *prefix, char *out, size_t size)
{
	const char *p = strstr(s, prefix);
	out[0] = '\0';
	if (!p) {
		return;
	}
	p += strlen(prefix);
	p += strspn(p, " ");
	size_t l = strcspn(p, " ");
	snprintf(out, size, "%.*s", (int)(l < size ? l : size - 1), p);
}

/* PASS 0: the initramfs names the device; 1: it gave up; 2: the kernel could not mount it */
static void root_missing(struct findings *f, const struct journal_entry *e, int pass)
{
	static const char fix[] = "lifeline fstab --check; lifeline bootrepair";
	char dev[96];
	const char *m = e->message;
	if (pass == 0 && has(m, "ALERT!") && has(m, "does not exist")) {
		word_after(m, "ALERT!", dev, sizeof(dev));
		add(f, DIAGNOSE_ROOT_MISSING, "", fix, e,
		    "the initramfs did not find the root device %s", dev);
	} else if (pass == 1 && (has(m, "Gave up waiting for root file system device") ||
				 has(m, "Gave up waiting for root device"))) {
		add(f, DIAGNOSE_ROOT_MISSING, "", fix, e,
		    "the initramfs gave up waiting for the root device");
	} else if (pass == 2 && has(m, "VFS: Unable to mount root fs")) {
		add(f, DIAGNOSE_ROOT_MISSING, "", fix, e,
		    "the kernel could not mount the root filesystem (no initramfs or no driver)");
	}
}

/* PASS 0: e2fsck's own words (they name the device); 1: a failed check unit, when 0 found none */
static void fsck_needed(struct findings *f, const struct journal_entry *e, int pass)
{
	static const char fix[] = "lifeline fsck --repair";
	const char *m = e->message;
	char dev[96] = "";
	if (pass == 0 && (has(m, "UNEXPECTED INCONSISTENCY") || has(m, "RUN fsck MANUALLY"))) {
		/* e2fsck prefixes its verdict with the device: "/dev/vdb1: UNEXPECTED ..." */
		size_t l = strcspn(m, ":");
		if (m[0] == '/' && m[l] == ':' && l < sizeof(dev)) {
			snprintf(dev, sizeof(dev), "%.*s", (int)l, m);
		}
		add(f, DIAGNOSE_FSCK_NEEDED, dev, fix, e, "%s%sneeds a manual filesystem check",
		    dev, dev[0] ? " " : "a filesystem ");
		return;
	}
	const char *result;
	if (pass == 1 && e->unit && (strncmp(e->unit, "systemd-fsck", 12) == 0) && unit_failure(e, &result) &&
	    manager(e, JOURNAL_MID_UNIT_JOB_FAILED)) {
		add(f, DIAGNOSE_FSCK_NEEDED, e->unit, fix, e, "the filesystem check %s failed (%s)",
		    e->unit, result);
	}
}

static void mount_failed(struct findings *f, const struct journal_entry *e)
{
	static const char fix[] = "lifeline fstab --check";
	if (manager(e, JOURNAL_MID_UNIT_JOB_FAILED)) {
		if (eq(e->job_result, "timeout") && ends_with(e->unit, ".device")) {
			add(f, DIAGNOSE_MOUNT_FAILED, e->unit, fix, e,
			    "the device %s did not appear (timed out)", e->unit);
		} else if (eq(e->job_result, "failed") &&
			   (ends_with(e->unit, ".mount") || ends_with(e->unit, ".swap"))) {
			add(f, DIAGNOSE_MOUNT_FAILED, e->unit, fix, e, "%s failed", e->unit);
		} else if (eq(e->job_result, "dependency") && eq(e->unit, "local-fs.target")) {
			add(f, DIAGNOSE_MOUNT_FAILED, e->unit, fix, e,
			    "local-fs.target failed: a filesystem of fstab did not mount");
		}
	} else if ((manager(e, JOURNAL_MID_UNIT_STARTED) || manager(e, JOURNAL_MID_UNIT_STARTING)) &&
		   (eq(e->unit, "emergency.target") || eq(e->unit, "emergency.service"))) {
		add(f, DIAGNOSE_MOUNT_FAILED, "emergency", fix, e,
		    "the boot stopped in emergency mode");
	}
}

static bool is_shutdown(const struct journal_entry *e)
{
	static const char *const units[] = {
		"poweroff.target", "reboot.target", "halt.target", "kexec.target",
		"systemd-poweroff.service", "systemd-reboot.service", "systemd-halt.service",
		"systemd-kexec.service",
	};
	if (eq(e->message_id, JOURNAL_MID_SHUTDOWN)) {
		return true;
	}
	if (!manager(e, JOURNAL_MID_UNIT_STARTING) && !manager(e, JOURNAL_MID_UNIT_STARTED)) {
		return false;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (eq(e->unit, units[i])) {
			return true;
		}
	}
	return false;
}

static bool word_is(const char *w, size_t l, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (l == strlen(words[i]) && memcmp(w, words[i], l) == 0) {
			return true;
		}
	}
	return false;
}

#define WORD_IS(w, l, ...)                                                                         \
	word_is(w, l, (const char *const[]){ __VA_ARGS__ },                                         \
		sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

/*
 * A command line that runs a power command: the program of a command (the first word, also after
 * ; & | and inside sh -c '...') is poweroff, shutdown, halt or reboot, or systemctl with one of
 * those verbs or start/isolate of their targets.  Words in other places ("logger shutdown") are
 * arguments and do not count.
 */
static bool command_powers_off(const char *cmd, size_t len)
{
	static const char breaks[] = ";&|'\"()`";
	enum { OTHER, COMMAND, VERB, TARGET } want = COMMAND;
	size_t i = 0;
	while (i < len) {
		if (strchr(breaks, cmd[i])) {
			want = COMMAND;
			i++;
			continue;
		}
		if (cmd[i] == ' ' || cmd[i] == '\t') {
			i++;
			continue;
		}
		const char *w = cmd + i;
		size_t l = 0;
		while (i + l < len && !strchr(breaks, cmd[i + l]) && cmd[i + l] != ' ' &&
		       cmd[i + l] != '\t') {
			l++;
		}
		i += l;
		if (want == COMMAND) {
			while (l > 0 && strchr("@-:+!", *w)) { /* the prefixes of Exec lines */
				w++;
				l--;
			}
			const char *slash = memrchr(w, '/', l);
			if (slash) {
				l -= (size_t)(slash + 1 - w);
				w = slash + 1;
			}
			if (memchr(w, '=', l) || WORD_IS(w, l, "exec", "env", "nohup", "sudo")) {
				continue; /* still before the program */
			}
			if (WORD_IS(w, l, "systemctl")) {
				want = VERB;
				continue;
			}
			if (WORD_IS(w, l, "poweroff", "shutdown", "halt", "reboot")) {
				return true;
			}
			want = OTHER;
		} else if (want == VERB && l > 0 && w[0] != '-') {
			if (WORD_IS(w, l, "poweroff", "halt", "reboot", "kexec")) {
				return true;
			}
			want = WORD_IS(w, l, "start", "isolate") ? TARGET : OTHER;
		} else if (want == TARGET && l > 0 && w[0] != '-') {
			if (WORD_IS(w, l, "poweroff.target", "reboot.target", "halt.target",
				    "kexec.target")) {
				return true;
			}
		}
	}
	return false;
}

bool diagnose_unit_powers_off(const char *text, char *line, size_t size)
{
	static const char *const keys[] = { "ExecStart=", "ExecStartPre=", "ExecStartPost=",
					    "ExecCondition=" };
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *s = p;
		while (s < p + len && (*s == ' ' || *s == '\t')) {
			s++;
		}
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			size_t kl = strlen(keys[k]);
			size_t rest = len - (size_t)(s - p);
			if (rest > kl && strncmp(s, keys[k], kl) == 0 &&
			    command_powers_off(s + kl, rest - kl)) {
				snprintf(line, size, "%.*s", (int)(rest < 200 ? rest : 200), s);
				return true;
			}
		}
		p = nl ? nl + 1 : p + len;
	}
	return false;
}

static void poweroff_units(struct findings *f, const struct journal_entry *e, size_t n,
			   const struct diagnose_unit *u, size_t n_units)
{
	size_t shutdown = n;
	for (size_t i = 0; i < n; i++) {
		if (is_shutdown(&e[i])) {
			shutdown = i;
			break;
		}
	}
	if (shutdown == n) {
		return;
	}
	for (size_t k = 0; k < n_units; k++) {
		char line[256];
		if (!u[k].enabled || !u[k].text || !diagnose_unit_powers_off(u[k].text, line, sizeof(line))) {
			continue;
		}
		for (size_t i = 0; i < shutdown; i++) {
			if ((manager(&e[i], JOURNAL_MID_UNIT_STARTING) ||
			     manager(&e[i], JOURNAL_MID_UNIT_STARTED)) &&
			    eq(e[i].unit, u[k].name)) {
				char fix[128];
				snprintf(fix, sizeof(fix), "lifeline services --disable %s", u[k].name);
				add(f, DIAGNOSE_POWEROFF_UNIT, u[k].name, fix, &e[shutdown],
				    "%s (enabled) started and the machine shut down: %s", u[k].name,
				    line);
				break;
			}
		}
	}
}

/* PASS 0: a panic; 1: an oops or BUG of the kernel (one finding: the panic when there is one) */
static void kernel_crash(struct findings *f, const struct journal_entry *e, int pass)
{
	static const char fix[] = "boot the previous kernel: lifeline bootrepair --previous-kernel";
	const char *m = e->message;
	bool kernel = e->kernel || eq(e->identifier, "pstore") || eq(e->identifier, "kernel");
	if (pass == 0 && has(m, "Kernel panic - not syncing")) {
		add(f, DIAGNOSE_KERNEL_CRASH, "", fix, e, "the kernel panicked");
	} else if (pass == 1 && kernel && (has(m, "Oops: ") || (m && strncmp(m, "BUG: ", 5) == 0))) {
		add(f, DIAGNOSE_KERNEL_CRASH, "", fix, e, "the kernel hit a bug (oops)");
	}
}

size_t diagnose_run(const struct journal_entry *e, size_t n, const struct diagnose_unit *u,
		    size_t n_units, struct diagnose_finding *out, size_t max)
{
	struct findings f = { .out = out, .max = max };
	/* one pass per kind, so the findings come in the order of their kinds */
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < n; i++) {
			root_missing(&f, &e[i], pass);
		}
	}
	size_t before = f.n;
	for (int pass = 0; pass < 2 && f.n == before; pass++) {
		for (size_t i = 0; i < n; i++) {
			fsck_needed(&f, &e[i], pass);
		}
	}
	for (size_t i = 0; i < n; i++) {
		mount_failed(&f, &e[i]);
	}
	poweroff_units(&f, e, n, u, n_units);
	size_t full = 0, first_full = 0;
	for (size_t i = 0; i < n; i++) {
		if (has(e[i].message, "No space left on device")) {
			first_full = full++ ? first_full : i;
		}
	}
	if (full) {
		add(&f, DIAGNOSE_NO_SPACE, "", "free space on it (old files, logs, "
		    "/var/cache/apt/archives) from the recovery shell", &e[first_full],
		    "a filesystem was full: %zu message%s \"No space left on device\"", full,
		    full == 1 ? " says" : "s say");
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			kernel_crash(&f, &e[i], pass);
		}
	}
	struct diagnose_failed failed[8];
	size_t nf = diagnose_failed_units(e, n, failed, 8);
	if (nf) {
		char list[200] = "";
		for (size_t i = 0; i < nf && i < 8; i++) {
			size_t l = strlen(list);
			snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", failed[i].unit);
		}
		add(&f, DIAGNOSE_FAILED_UNITS, "", "lifeline services --failed", NULL,
		    "%zu unit%s failed: %s%s", nf, nf == 1 ? "" : "s", list, nf > 8 ? ", ..." : "");
	}
	return f.n;
}

bool diagnose_unit_name_valid(const char *name)
{
	static const char *const suffixes[] = { ".service", ".socket", ".target", ".device",
						".mount", ".automount", ".swap", ".timer",
						".path", ".slice", ".scope" };
	size_t l = strlen(name);
	if (l == 0 || l > 255) {
		return false;
	}
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\@") !=
	    l) {
		return false;
	}
	const char *at = strchr(name, '@');
	if (at && strchr(at + 1, '@')) {
		return false;
	}
	if (name[0] == '@' || name[0] == '.') {
		return false;
	}
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t k = strlen(suffixes[i]);
		if (l > k && strcmp(name + l - k, suffixes[i]) == 0) {
			return true;
		}
	}
	return false;
}
