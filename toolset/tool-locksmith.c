/*
 * Locksmith: the local accounts of an installed system; a new password (hashed by the system's own
 * chpasswd and PAM configuration), unlocking (the '!' lock, an expired account or password,
 * faillock tallies) and membership of the sudo group.
 */
#include "accounts.h"
#include "audit.h"
#include "run.h"
#include "target.h"
#include "tools.h"
#include "tui.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
	"Usage: lifeline locksmith [--list] [--system ID] [--json]\n"
	"       lifeline locksmith --user NAME [--password-stdin] [--unlock] [--sudo] [--yes]\n"
	"       lifeline locksmith --windows [--list-users] [--system ID] [--json]\n"
	"       lifeline locksmith --windows --user NAME (--blank | --unlock | both) [--yes]\n"
	"\n"
	"Lists the local accounts of an installed system, or changes one:\n"
	"  --user NAME          the account to change\n"
	"  --password-stdin     set a new password, read from a line of standard input (after\n"
	"                       the passphrase line when --passphrase-stdin is also given); the\n"
	"                       system's own chpasswd hashes it\n"
	"  --unlock             remove the password lock ('!'), clear the account's expiry date,\n"
	"                       renew an expired password and reset failed-login counters;\n"
	"                       with --windows: enable the account, clear its lockout and its\n"
	"                       failed logins\n"
	"  --sudo               add the account to the group that may use sudo (sudo or wheel)\n"
	"  --list               list the accounts (the default)\n"
	"  --windows            a Windows installation's local accounts (its SAM registry hive,\n"
	"                       changed by chntpw's sampasswd and samunlock after a copy of the\n"
	"                       hive is kept); picks the only Windows installation by itself\n"
	"  --list-users         list the Windows accounts (the default with --windows)\n"
	"  --blank              give the Windows account an empty password\n"
	"On a terminal without these, Locksmith asks what to do.\n"
	"\n"
	"Options:\n" CLI_COMMON_HELP;

enum {
	OPT_USER = CLI_OPT_FIRST_TOOL,
	OPT_PASSWORD_STDIN,
	OPT_UNLOCK,
	OPT_SUDO,
	OPT_LIST,
	OPT_WINDOWS,
	OPT_BLANK,
	OPT_LIST_USERS,
};

struct request {
	const char *user;
	char *password;
	bool unlock, sudo, blank;
};

static long today(void)
{
	return (long)(time(NULL) / 86400);
}

static int load_accounts(const char *root, struct accounts *a)
{
	char *p = NULL, *s = NULL, *g = NULL;
	int e = util_read_in_root(root, "/etc/passwd", UTIL_TEXT_MAX, &p, NULL);
	if (e < 0) {
		return e;
	}
	util_read_in_root(root, "/etc/shadow", UTIL_TEXT_MAX, &s, NULL);
	util_read_in_root(root, "/etc/group", UTIL_TEXT_MAX, &g, NULL);
	accounts_parse(a, p, s, g, today());
	free(p);
	free(s);
	free(g);
	return 0;
}

static bool shown(const struct accounts_entry *e)
{
	return e->uid == 0 || (e->uid >= 1000 && e->uid < 60000);
}

static void state_text(const struct accounts_entry *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s", e->locked ? "locked " : "",
		 e->no_password ? "no-password " : "", e->expired ? "account-expired " : "",
		 e->password_expired ? "password-expired " : "", e->admin ? "sudo " : "");
	size_t n = strlen(buf);
	if (n && buf[n - 1] == ' ') {
		buf[n - 1] = '\0';
	}
	if (!*buf) {
		snprintf(buf, size, "ok");
	}
}

static int list(struct cli *c, const struct systems_system *sys, const struct accounts *a)
{
	if (c->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "system", json_object_new_string(sys->id));
		struct json_object *arr = json_object_new_array();
		for (size_t i = 0; i < a->n; i++) {
			const struct accounts_entry *e = &a->e[i];
			if (!shown(e)) {
				continue;
			}
			struct json_object *u = json_object_new_object();
			json_object_object_add(u, "name", json_object_new_string(e->name));
			json_object_object_add(u, "uid", json_object_new_int64((int64_t)e->uid));
			json_object_object_add(u, "login", json_object_new_boolean(e->login));
			json_object_object_add(u, "locked", json_object_new_boolean(e->locked));
			json_object_object_add(u, "no_password", json_object_new_boolean(e->no_password));
			json_object_object_add(u, "expired", json_object_new_boolean(e->expired));
			json_object_object_add(u, "password_expired",
					       json_object_new_boolean(e->password_expired));
			json_object_object_add(u, "sudo", json_object_new_boolean(e->admin));
			json_object_array_add(arr, u);
		}
		json_object_object_add(o, "accounts", arr);
		cli_print_json(o);
		return CLI_OK;
	}
	printf("Accounts of %s (%s):\n", sys->id, sys->name);
	for (size_t i = 0; i < a->n; i++) {
		const struct accounts_entry *e = &a->e[i];
		char st[128];
		if (!shown(e)) {
			continue;
		}
		state_text(e, st, sizeof(st));
		printf("  %-16s uid %-6lu %s\n", e->name, e->uid, st);
	}
	return CLI_OK;
}

static int reset_faillock(struct cli *c, const struct target *t, const char *user)
{
	/* pam_faillock keeps one file per user; on disk only when its dir is not the tmpfs default */
	static const char *const dirs[] = { "/var/lib/faillock", "/var/run/faillock" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char rel[256];
		const char *base;
		snprintf(rel, sizeof(rel), "%s/%s", dirs[i], user);
		int dfd = util_open_parent_in_root(t->root, rel, &base);
		if (dfd < 0) {
			continue;
		}
		if (unlinkat(dfd, base, 0) == 0) {
			cli_say(c, "Removed the failed-login tally %s.", rel);
		}
		close(dfd);
	}
	return 0;
}

static int apply(struct cli *c, const struct systems_system *sys, struct request *q)
{
	char why[256], question[256];
	struct target *t;
	struct accounts a;
	snprintf(question, sizeof(question), "Change the account %s of %s (%s%s%s)?", q->user, sys->id,
		 q->password ? "new password " : "", q->unlock ? "unlock " : "", q->sudo ? "sudo" : "");
	int answer = cli_confirm_change(c, question);
	if (answer != CLI_GO) {
		return answer;
	}
	int e = target_open(&c->systems, sys, TARGET_RW | TARGET_CHROOT, &t, why, sizeof(why));
	if (e < 0) {
		return cli_fail(c, "%s", why);
	}
	int rc = CLI_OK;
	if (load_accounts(t->root, &a) < 0) {
		rc = cli_fail(c, "%s has no readable /etc/passwd", sys->id);
		goto out;
	}
	const struct accounts_entry *acc = accounts_find(&a, q->user);
	if (!acc) {
		rc = cli_fail(c, "%s has no account '%s' (see 'lifeline locksmith --list')", sys->id,
			      q->user);
		goto out;
	}
	if (q->sudo && !a.admin_group[0]) {
		rc = cli_fail(c, "%s has no sudo or wheel group", sys->id);
		goto out;
	}
	/* without a new password, the old hash must be usable once the lock is gone (load_accounts
	 * has read the hash behind the '!' already) */
	if (q->unlock && !q->password && acc->no_password) {
		rc = cli_fail(c, "'%s' has no password to unlock; set one with --password-stdin",
			      q->user);
		goto out;
	}
	static const char *const files[] = { "/etc/shadow", "/etc/passwd", "/etc/group",
					     "/etc/gshadow" };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		e = audit_backup(t, "locksmith", files[i], NULL, 0);
		if (e < 0) {
			rc = cli_fail(c, "cannot keep a copy of %s: %s", files[i], strerror(-e));
			goto out;
		}
	}
	if (q->password) {
		size_t len = strlen(q->user) + strlen(q->password) + 3;
		char *line = malloc(len);
		snprintf(line, len, "%s:%s\n", q->user, q->password);
		const char *argv[] = { "chpasswd", NULL };
		struct run_spec spec = { .argv = argv, .root = t->root, .input = line,
					 .input_len = strlen(line), .capture = true, .merge = true };
		struct run_result r = { 0 };
		e = run(&spec, &r);
		explicit_bzero(line, len);
		free(line);
		if (e < 0 || r.status != 0) {
			rc = cli_fail(c, "the system's chpasswd failed (status %d): %s", r.status,
				      r.out ? util_strip(r.out) : strerror(-e));
			run_result_clear(&r);
			goto out;
		}
		run_result_clear(&r);
		cli_say(c, "New password set for %s.", q->user);
		audit_record(t, sys->id, "locksmith", "new password for %s", q->user);
	}
	if (q->unlock) {
		char *shadow = NULL;
		bool no_hash = false;
		e = util_read_in_root(t->root, "/etc/shadow", UTIL_TEXT_MAX, &shadow, NULL);
		char *fixed = e == 0 ? accounts_unlock_shadow(shadow, q->user, today(),
							     acc->password_expired, &no_hash) :
				       NULL;
		free(shadow);
		if (!fixed) {
			rc = cli_fail(c, "%s has no /etc/shadow entry for '%s'", sys->id, q->user);
			goto out;
		}
		e = util_write_in_root(t->root, "/etc/shadow", fixed, strlen(fixed), 0640);
		explicit_bzero(fixed, strlen(fixed));
		free(fixed);
		if (e < 0) {
			rc = cli_fail(c, "cannot write /etc/shadow: %s", strerror(-e));
			goto out;
		}
		/* the file had root:shadow; the new one keeps that group */
		const char *chgrp[] = { "chgrp", "shadow", "/etc/shadow", NULL };
		struct run_spec spec = { .argv = chgrp, .root = t->root, .capture = true };
		struct run_result r = { 0 };
		run(&spec, &r);
		run_result_clear(&r);
		reset_faillock(c, t, q->user);
		cli_say(c, "Unlocked %s: no password lock, no expiry date%s.", q->user,
			acc->password_expired ? ", password renewed" : "");
		audit_record(t, sys->id, "locksmith", "unlocked %s (lock, expiry%s, failed logins)",
			     q->user, acc->password_expired ? ", password age" : "");
	}
	if (q->sudo) {
		if (acc->admin) {
			cli_say(c, "%s is already in the %s group.", q->user, a.admin_group);
		} else {
			const char *argv[] = { "usermod", "-a", "-G", a.admin_group, q->user, NULL };
			struct run_spec spec = { .argv = argv, .root = t->root, .capture = true,
						 .merge = true };
			struct run_result r = { 0 };
			e = run(&spec, &r);
			if (e < 0 || r.status != 0) {
				rc = cli_fail(c, "usermod failed (status %d): %s", r.status,
					      r.out ? util_strip(r.out) : strerror(-e));
				run_result_clear(&r);
				goto out;
			}
			run_result_clear(&r);
			cli_say(c, "%s may use sudo again (group %s).", q->user, a.admin_group);
			audit_record(t, sys->id, "locksmith", "added %s to group %s", q->user,
				     a.admin_group);
		}
	}
out:
	target_close(t);
	return rc;
}

static int interactive(struct cli *c, const struct systems_system *sys, struct request *q)
{
	struct target *t;
	struct accounts a;
	char why[256];
	if (target_open(&c->systems, sys, 0, &t, why, sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	int e = load_accounts(t->root, &a);
	target_close(t);
	if (e < 0) {
		return cli_fail(c, "%s has no readable /etc/passwd", sys->id);
	}
	const char *items[ACCOUNTS_MAX];
	char labels[ACCOUNTS_MAX][128];
	size_t idx[ACCOUNTS_MAX], n = 0;
	for (size_t i = 0; i < a.n; i++) {
		char st[96];
		if (!shown(&a.e[i])) {
			continue;
		}
		state_text(&a.e[i], st, sizeof(st));
		snprintf(labels[n], sizeof(labels[n]), "%-16s %s", a.e[i].name, st);
		items[n] = labels[n];
		idx[n++] = i;
	}
	char text[256];
	snprintf(text, sizeof(text), "Accounts of %s. Choose the one to repair.", sys->name);
	int k = tui_choose("Locksmith", text, items, n);
	if (k < 0) {
		return CLI_OK;
	}
	const struct accounts_entry *acc = &a.e[idx[k]];
	static const char *const actions[] = { "Set a new password", "Unlock the account",
					       "Set a new password and unlock",
					       "Allow sudo (administrator)" };
	int act = tui_choose("Locksmith", acc->name, actions, 4);
	if (act < 0) {
		return CLI_OK;
	}
	q->user = acc->name;
	q->unlock = act == 1 || act == 2;
	q->sudo = act == 3;
	if (act == 0 || act == 2) {
		for (;;) {
			char *p1 = tui_entry("Locksmith", "New password:", true);
			if (!p1) {
				return CLI_OK;
			}
			char *p2 = tui_entry("Locksmith", "The same password again:", true);
			bool same = p2 && strcmp(p1, p2) == 0 && *p1;
			if (p2) {
				explicit_bzero(p2, strlen(p2));
				free(p2);
			}
			if (same) {
				q->password = p1;
				break;
			}
			explicit_bzero(p1, strlen(p1));
			free(p1);
			tui_show("Locksmith", "The two passwords differ (or are empty). Try again.");
		}
	}
	c->yes = true; /* the dialogs were the question */
	int rc = apply(c, sys, q);
	tui_pause();
	return rc;
}

/* --- Windows: the SAM hive with chntpw's sampasswd and samunlock ----------------------------- */

#define SAM_MAX (64u << 20)

/* Windows/System32/config/SAM inside ROOT, each name matched without case; REL gets the path. */
static int find_sam(const char *root, char *rel, size_t size)
{
	static const char *const parts[] = { "Windows", "System32", "config", "SAM" };
	rel[0] = '\0';
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		DIR *d = util_opendir_in_root(root, rel[0] ? rel : "/");
		if (!d) {
			return -errno;
		}
		struct dirent *de;
		bool found = false;
		while (!found && (de = readdir(d))) {
			if (strcasecmp(de->d_name, parts[i]) == 0) {
				size_t l = strlen(rel);
				snprintf(rel + l, size - l, "/%s", de->d_name);
				found = true;
			}
		}
		closedir(d);
		if (!found) {
			return -ENOENT;
		}
	}
	return 0;
}

/* The hive copied out of the installation into TMP (the tools work on the copy). */
static int hive_copy(struct cli *c, const struct target *t, char *rel, size_t rel_size, char *tmp)
{
	int e = find_sam(t->root, rel, rel_size);
	if (e < 0) {
		return cli_fail(c, "%s has no Windows/System32/config/SAM: %s", t->sys->id,
				strerror(-e));
	}
	char *data = NULL;
	size_t len = 0;
	e = util_read_in_root(t->root, rel, SAM_MAX, &data, &len);
	if (e < 0) {
		return cli_fail(c, "cannot read the SAM hive of %s: %s", t->sys->id, strerror(-e));
	}
	util_mkdir_p("/run/lifeline", 0700);
	strcpy(tmp, "/run/lifeline/sam-XXXXXX");
	int fd = mkostemp(tmp, O_CLOEXEC);
	e = fd < 0 ? -errno : 0;
	for (size_t off = 0; e == 0 && off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0) {
			e = -errno;
		}
		off += n > 0 ? (size_t)n : 0;
	}
	if (fd >= 0 && close(fd) < 0 && e == 0) {
		e = -errno;
	}
	free(data);
	if (e < 0) {
		if (fd >= 0) {
			unlink(tmp);
		}
		tmp[0] = '\0';
		return cli_fail(c, "cannot copy the SAM hive: %s", strerror(-e));
	}
	return CLI_OK;
}

/* PROG (sampasswd or samunlock) with ARGS on the hive copy; its exit status or -1. */
static int hive_tool(const char *const *args, struct run_result *r)
{
	struct run_spec spec = { .argv = args, .capture = true };
	int e = run(&spec, r);
	return e < 0 ? -1 : r->status;
}

static int hive_list(struct cli *c, const char *tmp, struct accounts_windows *a)
{
	const char *argv[] = { "sampasswd", "-l", tmp, NULL };
	struct run_result r = { 0 };
	int st = hive_tool(argv, &r);
	accounts_windows_parse(a, r.out);
	run_result_clear(&r);
	if (st < 0) {
		return cli_fail(c, "sampasswd (package chntpw) is not in this recovery system");
	}
	if (a->n == 0) {
		return cli_fail(c, "sampasswd lists no account in the SAM hive (status %d)", st);
	}
	return CLI_OK;
}

static void windows_state(const struct accounts_windows_entry *e, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s", e->acb & ACCOUNTS_WINDOWS_ACB_DISABLED ? "disabled " : "",
		 e->acb & (ACCOUNTS_WINDOWS_ACB_AUTOLOCK | ACCOUNTS_WINDOWS_ACB_LOCKED) ? "locked " :
											   "",
		 e->hash_len < 16 ? "no-password " : "", e->admin ? "admin " : "");
	size_t n = strlen(buf);
	if (n && buf[n - 1] == ' ') {
		buf[n - 1] = '\0';
	}
	if (!*buf) {
		snprintf(buf, size, "ok");
	}
}

static int windows_print(struct cli *c, const struct systems_system *sys,
			 const struct accounts_windows *a)
{
	if (c->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "system", json_object_new_string(sys->id));
		struct json_object *arr = json_object_new_array();
		for (size_t i = 0; i < a->n; i++) {
			const struct accounts_windows_entry *e = &a->e[i];
			struct json_object *u = json_object_new_object();
			json_object_object_add(u, "name", json_object_new_string(e->name));
			json_object_object_add(u, "rid", json_object_new_int64((int64_t)e->rid));
			json_object_object_add(u, "admin", json_object_new_boolean(e->admin));
			json_object_object_add(
				u, "disabled",
				json_object_new_boolean(e->acb & ACCOUNTS_WINDOWS_ACB_DISABLED));
			json_object_object_add(
				u, "locked",
				json_object_new_boolean(e->acb & (ACCOUNTS_WINDOWS_ACB_AUTOLOCK |
								  ACCOUNTS_WINDOWS_ACB_LOCKED)));
			json_object_object_add(u, "no_password",
					       json_object_new_boolean(e->hash_len < 16));
			json_object_array_add(arr, u);
		}
		json_object_object_add(o, "accounts", arr);
		cli_print_json(o);
		return CLI_OK;
	}
	printf("Windows accounts of %s (%s):\n", sys->id, sys->name);
	for (size_t i = 0; i < a->n; i++) {
		char st[96];
		windows_state(&a->e[i], st, sizeof(st));
		printf("  %-20s rid %-6lu %s\n", a->e[i].name, a->e[i].rid, st);
	}
	return CLI_OK;
}

/* Lists the accounts (Q NULL) or changes one. */
static int windows_run(struct cli *c, const struct systems_system *sys, const struct request *q,
		       struct accounts_windows *a)
{
	char why[256], rel[256], tmp[64] = "";
	struct target *t;
	if (q) {
		char question[256];
		snprintf(question, sizeof(question), "Change the Windows account %s of %s (%s%s)?",
			 q->user, sys->id, q->blank ? "empty password " : "",
			 q->unlock ? "unlock" : "");
		int answer = cli_confirm_change(c, question);
		if (answer != CLI_GO) {
			return answer;
		}
	}
	if (target_open(&c->systems, sys, q ? TARGET_RW : 0, &t, why, sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	int rc = hive_copy(c, t, rel, sizeof(rel), tmp);
	if (rc == CLI_OK) {
		rc = hive_list(c, tmp, a);
	}
	if (rc != CLI_OK || !q) {
		goto out;
	}
	const struct accounts_windows_entry *acc = accounts_windows_find(a, q->user);
	if (!acc) {
		rc = cli_fail(c, "%s has no Windows account '%s' (see 'lifeline locksmith --windows "
			      "--list-users')", sys->id, q->user);
		goto out;
	}
	char name[64], rid[16];
	snprintf(name, sizeof(name), "%s", acc->name);
	snprintf(rid, sizeof(rid), "0x%lx", acc->rid); /* names with odd characters fail by name */
	int e = audit_backup(t, "locksmith", rel, NULL, 0);
	if (e < 0) {
		rc = cli_fail(c, "cannot keep a copy of %s: %s", rel, strerror(-e));
		goto out;
	}
	const char *blank[] = { "sampasswd", "-r", "-u", rid, tmp, NULL };
	const char *unlock[] = { "samunlock", "-U", "-u", rid, tmp, NULL };
	const char *const *steps[] = { q->blank ? blank : NULL, q->unlock ? unlock : NULL };
	for (size_t i = 0; i < 2; i++) {
		struct run_result r = { 0 };
		if (steps[i] && hive_tool(steps[i], &r) != 0) {
			rc = cli_fail(c, "%s failed for %s: %s", steps[i][0], name,
				      r.err ? util_strip(r.err) : r.out ? util_strip(r.out) : "");
		}
		run_result_clear(&r);
		if (rc != CLI_OK) {
			goto out;
		}
	}
	/* what the hive says now, before it goes back */
	rc = hive_list(c, tmp, a);
	acc = rc == CLI_OK ? accounts_windows_find(a, name) : NULL;
	if (!acc || (q->blank && acc->hash_len >= 16) ||
	    (q->unlock && (acc->acb & (ACCOUNTS_WINDOWS_ACB_DISABLED | ACCOUNTS_WINDOWS_ACB_AUTOLOCK |
				       ACCOUNTS_WINDOWS_ACB_LOCKED)))) {
		rc = cli_fail(c, "the changed hive does not show %s changed; the installation's hive "
			      "is left as it was", name);
		goto out;
	}
	char *data = NULL;
	size_t len = 0;
	e = util_read_file(tmp, SAM_MAX, &data, &len);
	if (e == 0) {
		e = util_write_in_root(t->root, rel, data, len, 0644);
	}
	free(data);
	if (e < 0) {
		rc = cli_fail(c, "cannot write the SAM hive back: %s", strerror(-e));
		goto out;
	}
	cli_say(c, "%s: %s%s%s.", name, q->blank ? "the password is empty now" : "",
		q->blank && q->unlock ? "; " : "", q->unlock ? "enabled and unlocked" : "");
	audit_record(t, sys->id, "locksmith", "Windows account %s: %s%s%s", name,
		     q->blank ? "password blanked" : "", q->blank && q->unlock ? ", " : "",
		     q->unlock ? "unlocked" : "");
out:
	if (tmp[0]) {
		unlink(tmp);
	}
	target_close(t);
	return rc;
}

static int windows_interactive(struct cli *c, const struct systems_system *sys, struct request *q)
{
	struct accounts_windows *a = malloc(sizeof(*a));
	if (!a) {
		return cli_fail(c, "out of memory");
	}
	int rc = windows_run(c, sys, NULL, a);
	const char *items[ACCOUNTS_MAX];
	char labels[ACCOUNTS_MAX][128];
	for (size_t i = 0; rc == CLI_OK && i < a->n; i++) {
		char st[96];
		windows_state(&a->e[i], st, sizeof(st));
		snprintf(labels[i], sizeof(labels[i]), "%-20s %s", a->e[i].name, st);
		items[i] = labels[i];
	}
	int k = rc == CLI_OK ? tui_choose("Locksmith (Windows)", sys->name, items, a->n) : -1;
	static const char *const actions[] = { "Empty password", "Unlock and enable",
					       "Empty password, unlock and enable" };
	int act = k >= 0 ? tui_choose("Locksmith (Windows)", a->e[k].name, actions, 3) : -1;
	if (act >= 0) {
		char name[64];
		snprintf(name, sizeof(name), "%s", a->e[k].name);
		q->user = name;
		q->blank = act != 1;
		q->unlock = act != 0;
		c->yes = true; /* the dialogs were the question */
		rc = windows_run(c, sys, q, a);
		q->user = NULL;
		tui_pause();
	}
	free(a);
	return rc;
}

/* With --windows and no --system: the only Windows installation, if there is one. */
static void pick_windows(struct cli *c)
{
	if (c->system || cli_discover(c) != CLI_OK) {
		return;
	}
	const struct systems_system *only = NULL;
	for (size_t i = 0; i < c->systems.n_sys; i++) {
		if (c->systems.sys[i].kind == SYSTEMS_WINDOWS) {
			if (only) {
				return;
			}
			only = &c->systems.sys[i];
		}
	}
	if (only) {
		c->system = only->id;
	}
}

/* A Windows account name as the SAM may hold it: no control characters, none of "/\\[]:;|=,+*?<> */
static bool windows_valid_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || s[0] == '-') {
		return false;
	}
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f || strchr("\"/\\[]:;|=,+*?<>", *s)) {
			return false;
		}
	}
	return true;
}

static int windows_list(struct cli *c, const struct systems_system *sys, bool want_list)
{
	struct request q = { 0 };
	if (c->tty && !want_list && !c->json) {
		return windows_interactive(c, sys, &q);
	}
	struct accounts_windows *a = malloc(sizeof(*a));
	if (!a) {
		return cli_fail(c, "out of memory");
	}
	int rc = windows_run(c, sys, NULL, a);
	if (rc == CLI_OK) {
		rc = windows_print(c, sys, a);
	}
	free(a);
	return rc;
}

static int windows_main(struct cli *c, struct request *q, bool windows, bool want_list,
			bool password_stdin)
{
	if (!windows) {
		return cli_usage(c, "--blank is for Windows accounts: add --windows");
	}
	if (password_stdin || q->sudo) {
		return cli_usage(c, "--windows takes --blank or --unlock (a Windows password is "
				 "emptied, not set; there is no sudo)");
	}
	bool change = q->blank || q->unlock;
	if (change && !q->user) {
		return cli_usage(c, "--blank and --unlock need --user NAME");
	}
	if (q->user && !change) {
		return cli_usage(c, "--user needs --blank or --unlock");
	}
	if (change && want_list) {
		return cli_usage(c, "--list-users does not go with a change");
	}
	if (q->user && !windows_valid_name(q->user)) {
		return cli_usage(c, "'%.40s' is not a Windows account name", q->user);
	}
	pick_windows(c);
	const struct systems_system *sys;
	int r = cli_pick_system(c, &sys);
	if (r != CLI_OK) {
		return r;
	}
	if (sys->kind != SYSTEMS_WINDOWS) {
		return cli_fail(c, "%s is not a Windows installation (see 'lifeline systems')", sys->id);
	}
	if (!change) {
		return windows_list(c, sys, want_list);
	}
	struct accounts_windows *a = malloc(sizeof(*a));
	if (!a) {
		return cli_fail(c, "out of memory");
	}
	r = windows_run(c, sys, q, a);
	free(a);
	return r;
}

int tool_locksmith(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "user", required_argument, NULL, OPT_USER },
		{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
		{ "unlock", no_argument, NULL, OPT_UNLOCK },
		{ "sudo", no_argument, NULL, OPT_SUDO },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "windows", no_argument, NULL, OPT_WINDOWS },
		{ "blank", no_argument, NULL, OPT_BLANK },
		{ "list-users", no_argument, NULL, OPT_LIST_USERS },
		{ 0 },
	};
	struct request q = { 0 };
	bool want_list = false, password_stdin = false, windows = false;
	int o;
	while ((o = cli_getopt(c, argc, argv, opts)) > 0) {
		switch (o) {
		case OPT_USER:
			q.user = optarg;
			break;
		case OPT_PASSWORD_STDIN:
			password_stdin = true;
			break;
		case OPT_UNLOCK:
			q.unlock = true;
			break;
		case OPT_SUDO:
			q.sudo = true;
			break;
		case OPT_LIST:
		case OPT_LIST_USERS:
			want_list = true;
			break;
		case OPT_WINDOWS:
			windows = true;
			break;
		case OPT_BLANK:
			q.blank = true;
			break;
		}
	}
	int go = cli_options_done(c, o, argc, argv, help, false);
	if (go != CLI_GO) {
		return go;
	}
	if (windows || q.blank) {
		return windows_main(c, &q, windows, want_list, password_stdin);
	}
	bool change = password_stdin || q.unlock || q.sudo;
	if (change && !q.user) {
		return cli_usage(c, "--password-stdin, --unlock and --sudo need --user NAME");
	}
	if (q.user && !change) {
		return cli_usage(c, "--user needs --password-stdin, --unlock or --sudo");
	}
	if (q.user && !accounts_valid_name(q.user)) {
		return cli_usage(c, "'%.40s' is not a valid user name", q.user);
	}
	if (change && want_list) {
		return cli_usage(c, "--list does not go with a change");
	}
	int r = cli_read_secrets(c);
	if (r != CLI_OK) {
		return r;
	}
	if (password_stdin) {
		q.password = cli_read_line(4096);
		if (!q.password || !*q.password) {
			free(q.password);
			return cli_usage(c, "--password-stdin: no password on standard input");
		}
	}
	const struct systems_system *sys;
	r = cli_pick_system(c, &sys);
	if (r != CLI_OK) {
		goto out;
	}
	if (sys->kind != SYSTEMS_LINUX) {
		r = change ? cli_fail(c, "%s is a Windows installation: use --windows (--blank, "
				      "--unlock)", sys->id) :
			     windows_list(c, sys, want_list);
		goto out;
	}
	if (!change) {
		if (c->tty && !want_list && !c->json) {
			r = interactive(c, sys, &q);
			goto out;
		}
		struct target *t;
		struct accounts a;
		char why[256];
		if (target_open(&c->systems, sys, 0, &t, why, sizeof(why)) < 0) {
			r = cli_fail(c, "%s", why);
			goto out;
		}
		int e = load_accounts(t->root, &a);
		target_close(t);
		r = e < 0 ? cli_fail(c, "%s has no readable /etc/passwd", sys->id) : list(c, sys, &a);
		goto out;
	}
	r = apply(c, sys, &q);
out:
	if (q.password) {
		explicit_bzero(q.password, strlen(q.password));
		free(q.password);
	}
	return r;
}
