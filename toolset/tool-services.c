/*
 * Services: an installed system's unit files and their states, the units that failed in its last
 * boot (from its journal's structured records), and enable, disable, mask or unmask of one unit by
 * the system's own unit directories (systemctl --root), the system mounted read-write for that
 * change only.
 */
#include "audit.h"
#include "diagnose.h"
#include "journal.h"
#include "run.h"
#include "target.h"
#include "tools.h"
#include "tui.h"
#include "units.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help[] =
	"Usage: lifeline services (--list | --failed | --enable UNIT | --disable UNIT |\n"
	"                          --mask UNIT | --unmask UNIT) [--system ID] [--json] [--yes]\n"
	"\n"
	"The units (services, mounts, timers...) of an installed system, read offline:\n"
	"  --list               the unit files and their states (enabled, disabled, static,\n"
	"                       masked...)\n"
	"  --failed             the units that failed in the last boot its journal recorded,\n"
	"                       with their last log lines\n"
	"  --enable UNIT        start UNIT at boot again\n"
	"  --disable UNIT       do not start UNIT at boot (other units may still pull it in)\n"
	"  --mask UNIT          never start UNIT (a link to /dev/null in /etc/systemd/system)\n"
	"  --unmask UNIT        undo --mask\n"
	"A change asks first (--yes without a terminal) and is recorded in the system's\n"
	"/var/log/lifeline-audit.log.  On a terminal without options, the failed units come\n"
	"first in a list to choose from.\n"
	"\n"
	"Options:\n" CLI_COMMON_HELP;

enum {
	OPT_LIST = CLI_OPT_FIRST_TOOL,
	OPT_FAILED,
	OPT_ENABLE,
	OPT_DISABLE,
	OPT_MASK,
	OPT_UNMASK,
};

#define FAILED_MAX 64
#define FAILED_LOG_LINES 5 /* last lines of each failed unit's log shown */

static const char *const verbs[] = {
	[OPT_ENABLE - OPT_ENABLE] = "enable",
	[OPT_DISABLE - OPT_ENABLE] = "disable",
	[OPT_MASK - OPT_ENABLE] = "mask",
	[OPT_UNMASK - OPT_ENABLE] = "unmask",
};

/* the unit files of SYS, read on a read-only mount */
static int load_units(struct cli *c, const struct systems_system *sys, struct units_file **u,
		      size_t *n)
{
	struct target *t;
	char why[256];
	if (target_open(&c->systems, sys, TARGET_CHROOT, &t, why, sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	int e = units_list(t->root, u, n);
	target_close(t);
	if (e < 0) {
		return cli_fail(c, "systemctl could not list the unit files of %s: %s", sys->id,
				strerror(-e));
	}
	return CLI_OK;
}

static int list(struct cli *c, const struct systems_system *sys)
{
	struct units_file *u = NULL;
	size_t n = 0;
	int r = load_units(c, sys, &u, &n);
	if (r != CLI_OK) {
		return r;
	}
	if (c->json) {
		struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
		json_object_object_add(o, "system", json_object_new_string(sys->id));
		for (size_t i = 0; i < n; i++) {
			struct json_object *x = json_object_new_object();
			char name[300];
			util_sanitize(name, sizeof(name), u[i].name);
			json_object_object_add(x, "unit", json_object_new_string(name));
			json_object_object_add(x, "state", json_object_new_string(u[i].state));
			json_object_object_add(x, "preset", json_object_new_string(u[i].preset));
			json_object_array_add(arr, x);
		}
		json_object_object_add(o, "units", arr);
		cli_print_json(o);
	} else {
		printf("Unit files of %s (%s):\n", sys->id, sys->name);
		for (size_t i = 0; i < n; i++) {
			char name[300], state[40];
			util_sanitize(name, sizeof(name), u[i].name);
			util_sanitize(state, sizeof(state), u[i].state);
			printf("  %-50s %s\n", name, state);
		}
		printf("%zu unit files.\n", n);
	}
	free(u);
	return CLI_OK;
}

struct failed_report {
	char boot_id[33];
	int boot_index;
	uint64_t boot_start;
	struct diagnose_failed f[FAILED_MAX];
	size_t n, total;
	char state[FAILED_MAX][32];
	struct journal_entries log[FAILED_MAX];
};

static void failed_report_clear(struct failed_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		journal_entries_clear(&rep->log[i]);
	}
}

/* The failed units of the newest boot, their states and their last log lines. */
static int read_failed(struct cli *c, const struct systems_system *sys, bool with_log,
		       struct failed_report *rep)
{
	static const char *const mids[] = {
		"MESSAGE_ID=" JOURNAL_MID_UNIT_STARTED, "MESSAGE_ID=" JOURNAL_MID_UNIT_JOB_FAILED,
		"MESSAGE_ID=" JOURNAL_MID_UNIT_SUCCESS, "MESSAGE_ID=" JOURNAL_MID_UNIT_FAILED,
		"_PID=1", NULL,
	};
	struct target *t;
	char why[256], dir[4096];
	if (target_open(&c->systems, sys, TARGET_CHROOT, &t, why, sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	struct journal_boot *boots = NULL;
	size_t nb = 0;
	struct journal_entries j = { 0 };
	struct units_file *u = NULL;
	size_t nu = 0;
	int r = CLI_OK;
	int e = journal_find_dir(t->root, dir, sizeof(dir));
	if (e < 0) {
		r = cli_fail(c, "%s has no journal (/var/log/journal is %s); its failed units are not "
				"known", sys->id, e == -ENOENT ? "missing or empty" : strerror(-e));
		goto out;
	}
	e = journal_list_boots(t->root, dir, &boots, &nb);
	if (e < 0 || nb == 0) {
		r = cli_fail(c, "the journal of %s lists no boot", sys->id);
		goto out;
	}
	const struct journal_boot *b = &boots[nb - 1];
	snprintf(rep->boot_id, sizeof(rep->boot_id), "%s", b->id);
	rep->boot_index = b->index;
	rep->boot_start = b->first_usec;
	e = journal_read(t->root, dir, b->id, 20000, -1, mids, NULL, &j);
	if (e < 0) {
		r = cli_fail(c, "journalctl could not read the last boot of %s: %s", sys->id,
			     strerror(-e));
		goto out;
	}
	rep->total = diagnose_failed_units(j.e, j.n, rep->f, FAILED_MAX);
	rep->n = rep->total < FAILED_MAX ? rep->total : FAILED_MAX;
	units_list(t->root, &u, &nu);
	for (size_t i = 0; i < rep->n; i++) {
		const struct units_file *f = units_find(u, nu, rep->f[i].unit);
		snprintf(rep->state[i], sizeof(rep->state[i]), "%s", f ? f->state : "-");
		if (!with_log) {
			continue;
		}
		/* what the unit's processes said and what the manager said about it */
		char m1[300], m2[300];
		snprintf(m1, sizeof(m1), "_SYSTEMD_UNIT=%s", rep->f[i].unit);
		snprintf(m2, sizeof(m2), "UNIT=%s", rep->f[i].unit);
		const char *const matches[] = { m1, "+", m2, NULL };
		journal_read(t->root, dir, b->id, FAILED_LOG_LINES, -1, matches, NULL, &rep->log[i]);
	}
out:
	free(u);
	free(boots);
	journal_entries_clear(&j);
	target_close(t);
	return r;
}

static int failed(struct cli *c, const struct systems_system *sys)
{
	struct failed_report *rep = calloc(1, sizeof(*rep));
	if (!rep) {
		return cli_fail(c, "out of memory");
	}
	int r = read_failed(c, sys, true, rep);
	if (r != CLI_OK) {
		failed_report_clear(rep);
		free(rep);
		return r;
	}
	char start[32];
	journal_format_time(rep->boot_start, start, sizeof(start));
	if (c->json) {
		struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
		json_object_object_add(o, "system", json_object_new_string(sys->id));
		json_object_object_add(o, "boot_id", json_object_new_string(rep->boot_id));
		json_object_object_add(o, "boot_start", json_object_new_string(start));
		for (size_t i = 0; i < rep->n; i++) {
			struct json_object *x = json_object_new_object(), *log = json_object_new_array();
			char unit[300], result[40], when[32];
			util_sanitize(unit, sizeof(unit), rep->f[i].unit);
			util_sanitize(result, sizeof(result), rep->f[i].result);
			journal_format_time(rep->f[i].usec, when, sizeof(when));
			json_object_object_add(x, "unit", json_object_new_string(unit));
			json_object_object_add(x, "result", json_object_new_string(result));
			json_object_object_add(x, "time", json_object_new_string(when));
			json_object_object_add(x, "failures", json_object_new_int((int)rep->f[i].count));
			json_object_object_add(x, "state", json_object_new_string(rep->state[i]));
			for (size_t k = 0; k < rep->log[i].n; k++) {
				char line[1024];
				const char *m = rep->log[i].e[k].message;
				util_sanitize(line, sizeof(line), m ? m : "");
				json_object_array_add(log, json_object_new_string(line));
			}
			json_object_object_add(x, "log", log);
			json_object_array_add(arr, x);
		}
		json_object_object_add(o, "failed", arr);
		cli_print_json(o);
	} else if (rep->n == 0) {
		printf("No unit failed in the last boot of %s (started %s UTC).\n", sys->id, start);
	} else {
		printf("Units that failed in the last boot of %s (started %s UTC):\n", sys->id, start);
		for (size_t i = 0; i < rep->n; i++) {
			char unit[300], result[40], when[32];
			util_sanitize(unit, sizeof(unit), rep->f[i].unit);
			util_sanitize(result, sizeof(result), rep->f[i].result);
			journal_format_time(rep->f[i].usec, when, sizeof(when));
			printf("\n  %s  (%s, %s, %u time%s; unit file %s)\n", unit, result, when,
			       rep->f[i].count, rep->f[i].count == 1 ? "" : "s", rep->state[i]);
			for (size_t k = 0; k < rep->log[i].n; k++) {
				char line[1024];
				const char *m = rep->log[i].e[k].message;
				util_sanitize(line, sizeof(line), m ? m : "");
				printf("    | %s\n", line);
			}
		}
		if (rep->total > rep->n) {
			printf("\n(and %zu more)\n", rep->total - rep->n);
		}
		printf("\n'lifeline services --disable UNIT' stops one from starting at boot.\n");
	}
	failed_report_clear(rep);
	free(rep);
	return CLI_OK;
}

/* systemctl's lines with the mount point taken out of the paths, sanitized */
static void show_output(struct cli *c, const char *out, const char *root)
{
	size_t rl = strlen(root);
	for (const char *p = out; p && *p;) {
		size_t l = strcspn(p, "\n");
		char line[1024], rel[1024], clean[1200];
		snprintf(line, sizeof(line), "%.*s", (int)(l < sizeof(line) ? l : sizeof(line) - 1), p);
		size_t o = 0;
		for (const char *s = line; *s && o + 1 < sizeof(rel);) {
			if (strncmp(s, root, rl) == 0 && s[rl] == '/') {
				s += rl;
				continue;
			}
			rel[o++] = *s++;
		}
		rel[o] = '\0';
		util_sanitize(clean, sizeof(clean), util_strip(rel));
		if (clean[0]) {
			cli_say(c, "  %s", clean);
		}
		p += l;
		p += *p == '\n';
	}
}

static int change(struct cli *c, const struct systems_system *sys, int action, const char *unit)
{
	const char *verb = verbs[action - OPT_ENABLE];
	struct units_file *u = NULL;
	size_t n = 0;
	int r = load_units(c, sys, &u, &n);
	if (r != CLI_OK) {
		return r;
	}
	const struct units_file *f = units_find(u, n, unit);
	char before[32];
	snprintf(before, sizeof(before), "%s", f ? f->state : "");
	free(u);
	if (!f) {
		return cli_fail(c, "%s has no unit %s (see 'lifeline services --list')", sys->id, unit);
	}
	char question[400];
	snprintf(question, sizeof(question), "%c%s %s on %s (now %s)?", verb[0] - 32, verb + 1, unit,
		 sys->id, before);
	int answer = cli_confirm_change(c, question);
	if (answer != CLI_GO) {
		return answer;
	}
	struct target *t;
	char why[256];
	if (target_open(&c->systems, sys, TARGET_RW | TARGET_CHROOT, &t, why, sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	/* the system's own systemctl, on its own root */
	const char *argv[] = { "systemctl", "--root=/", "--no-pager", verb, "--", unit, NULL };
	struct run_spec spec = { .argv = argv, .root = t->root, .capture = true, .merge = true };
	struct run_result res = { 0 };
	int e = run(&spec, &res);
	if (e < 0 || res.status != 0) {
		r = cli_fail(c, "systemctl %s %s failed (status %d)%s", verb, unit, res.status,
			     e < 0 ? strerror(-e) : ":");
		show_output(c, res.out, t->root);
		if (strcmp(verb, "mask") == 0 && res.out && strstr(res.out, "already exists")) {
			cli_say(c, "%s is defined in /etc/systemd/system itself, which mask cannot "
				   "replace: disable it instead.", unit);
		}
		goto out;
	}
	struct units_file *after = NULL;
	size_t na = 0;
	units_list(t->root, &after, &na);
	f = units_find(after, na, unit);
	char now[32];
	snprintf(now, sizeof(now), "%s", f ? f->state : "gone");
	free(after);
	bool changed = strcmp(before, now) != 0 ||
		       (res.out && (strstr(res.out, "Created symlink") || strstr(res.out, "Removed")));
	if (changed) {
		cli_say(c, "systemctl %s %s:", verb, unit);
		show_output(c, res.out, t->root);
		cli_say(c, "%s: %s -> %s", unit, before, now);
		audit_record(t, sys->id, "services", "%s %s (%s -> %s)", verb, unit, before, now);
	} else if (res.out && *util_strip(res.out)) {
		/* e.g. enable of a unit without an [Install] section: systemctl says why */
		show_output(c, res.out, t->root);
		r = cli_fail(c, "nothing changed: %s is still %s", unit, now);
	} else {
		cli_say(c, "Nothing changed: %s is %s.", unit, now);
	}
	if (c->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "system", json_object_new_string(sys->id));
		json_object_object_add(o, "unit", json_object_new_string(unit));
		json_object_object_add(o, "action", json_object_new_string(verb));
		json_object_object_add(o, "before", json_object_new_string(before));
		json_object_object_add(o, "after", json_object_new_string(now));
		cli_print_json(o);
	}
out:
	run_result_clear(&res);
	target_close(t);
	return r;
}

static int interactive(struct cli *c, const struct systems_system *sys)
{
	struct failed_report *rep = calloc(1, sizeof(*rep));
	struct units_file *u = NULL;
	size_t nu = 0;
	if (!rep) {
		return cli_fail(c, "out of memory");
	}
	read_failed(c, sys, false, rep); /* without a journal: the enabled units only */
	if (load_units(c, sys, &u, &nu) != CLI_OK) {
		free(rep);
		return CLI_FAIL;
	}
	/* failed units first, then the enabled services and timers */
	size_t max = rep->n + nu, n = 0;
	char (*labels)[320] = calloc(max ? max : 1, sizeof(*labels));
	const char **items = calloc(max ? max : 1, sizeof(*items));
	const char **names = calloc(max ? max : 1, sizeof(*names));
	int rc = CLI_OK;
	if (!labels || !items || !names) {
		rc = cli_fail(c, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < rep->n; i++) {
		char unit[260];
		util_sanitize(unit, sizeof(unit), rep->f[i].unit);
		snprintf(labels[n], sizeof(labels[n]), "%-44s FAILED (%s)", unit, rep->f[i].result);
		names[n++] = rep->f[i].unit;
	}
	for (size_t i = 0; i < nu; i++) {
		bool shown = false;
		for (size_t k = 0; k < rep->n && !shown; k++) {
			shown = strcmp(rep->f[k].unit, u[i].name) == 0;
		}
		if (shown || (strcmp(u[i].state, "enabled") != 0 && strcmp(u[i].state, "masked") != 0)) {
			continue;
		}
		char unit[260];
		util_sanitize(unit, sizeof(unit), u[i].name);
		snprintf(labels[n], sizeof(labels[n]), "%-44s %s", unit, u[i].state);
		names[n++] = u[i].name;
	}
	for (size_t i = 0; i < n; i++) {
		items[i] = labels[i];
	}
	char text[300];
	snprintf(text, sizeof(text), "%s: %zu unit%s failed in the last boot (listed first). "
		 "Choose a unit to stop it from starting.", sys->name, rep->n, rep->n == 1 ? "" : "s");
	int k = tui_choose("Startup and services", text, items, n);
	if (k < 0) {
		goto out;
	}
	static const char *const actions[] = { "Disable (do not start it at boot)",
					       "Mask (never start it)", "Enable", "Unmask" };
	static const int action_opts[] = { OPT_DISABLE, OPT_MASK, OPT_ENABLE, OPT_UNMASK };
	int a = tui_choose("Startup and services", names[k], actions, 4);
	if (a < 0) {
		goto out;
	}
	char unit[260], question[400];
	util_sanitize(unit, sizeof(unit), names[k]);
	snprintf(question, sizeof(question), "%s %s on %s?", actions[a], unit, sys->name);
	if (!diagnose_unit_name_valid(names[k]) || !tui_yesno("Startup and services", question)) {
		goto out;
	}
	c->yes = true; /* the dialog was the question */
	rc = change(c, sys, action_opts[a], names[k]);
	tui_pause();
out:
	free(labels);
	free(items);
	free(names);
	free(u);
	failed_report_clear(rep);
	free(rep);
	return rc;
}

int tool_services(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "list", no_argument, NULL, OPT_LIST },
		{ "failed", no_argument, NULL, OPT_FAILED },
		{ "enable", required_argument, NULL, OPT_ENABLE },
		{ "disable", required_argument, NULL, OPT_DISABLE },
		{ "mask", required_argument, NULL, OPT_MASK },
		{ "unmask", required_argument, NULL, OPT_UNMASK },
		{ 0 },
	};
	int action = 0, o;
	const char *unit = NULL;
	while ((o = cli_getopt(c, argc, argv, opts)) > 0) {
		switch (o) {
		case OPT_LIST:
		case OPT_FAILED:
		case OPT_ENABLE:
		case OPT_DISABLE:
		case OPT_MASK:
		case OPT_UNMASK:
			if (action) {
				return cli_usage(c, "one of --list, --failed, --enable, --disable, "
						    "--mask, --unmask at a time");
			}
			action = o;
			unit = o >= OPT_ENABLE ? optarg : NULL;
			break;
		}
	}
	int go = cli_options_done(c, o, argc, argv, help, false);
	if (go != CLI_GO) {
		return go;
	}
	if (unit && !diagnose_unit_name_valid(unit)) {
		char clean[80];
		util_sanitize(clean, sizeof(clean), unit);
		return cli_usage(c, "'%s' is not a unit name (like ssh.service, data.mount: letters, "
				    "digits, :-_.\\@ and a unit type suffix)", clean);
	}
	if (!action && (!c->tty || c->json)) {
		return cli_usage(c, "one of --list, --failed, --enable, --disable, --mask or --unmask "
				    "is needed");
	}
	const struct systems_system *sys;
	int r = cli_pick_system(c, &sys);
	if (r != CLI_OK) {
		return r;
	}
	if (sys->kind != SYSTEMS_LINUX) {
		return cli_fail(c, "%s is a Windows installation; it has no systemd units", sys->id);
	}
	switch (action) {
	case 0:
		return interactive(c, sys);
	case OPT_LIST:
		return list(c, sys);
	case OPT_FAILED:
		return failed(c, sys);
	default:
		return change(c, sys, action, unit);
	}
}
