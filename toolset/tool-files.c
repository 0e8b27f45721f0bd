/*
 * files: the installed system's files in Midnight Commander, every filesystem of it mounted
 * (read-only unless --rw), unmounted again when mc ends.
 */
#include "audit.h"
#include "run.h"
#include "target.h"
#include "tools.h"
#include "tui.h"

#include <stdio.h>
#include <string.h>

static const char help[] =
	"Usage: lifeline files [--system ID] [--rw] [--yes]\n"
	"\n"
	"Opens the installed system's files in Midnight Commander (mc): all of its filesystems\n"
	"are mounted under one folder, read-only, and unmounted when mc ends.  Windows\n"
	"installations too (NTFS with ntfs-3g).  Needs a terminal.  To copy files off with\n"
	"checksums and a summary, see 'lifeline copy'; to find files, 'lifeline search'.\n"
	"On a terminal without arguments it first asks which of the three is wanted.\n"
	"  --rw                 mount read-write, so that files can be changed (after a question;\n"
	"                       recorded in the audit log)\n"
	"\n"
	"Options:\n" CLI_COMMON_HELP;

enum {
	OPT_RW = CLI_OPT_FIRST_TOOL,
};

/* The console's Files entry: `lifeline files` on a terminal without arguments first asks
 * which of the three file tools is wanted; search and copy then ask their own questions.
 * False: browse; true: done, with the exit status in *status. */
static bool files_menu(int *status)
{
	static const char *const items[] = {
		"Browse the files of an installed system (Midnight Commander)",
		"Search for files by name, date and size",
		"Copy a folder to a stick, another disk or a network share",
	};
	static int (*const tools[])(struct cli *, int, char **) = { NULL, tool_search, tool_copy };
	static const char *const names[] = { "files", "search", "copy" };

	int k = tui_choose("Files", "What do you want to do?", items, 3);
	if (k == 0) {
		return false;
	}
	*status = CLI_OK;
	if (k > 0) {
		*status = tui_run_tool(names[k], tools[k]);
	}
	return true;
}

int tool_files(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "rw", no_argument, NULL, OPT_RW },
		{ 0 },
	};
	bool rw = false;
	int o;
	int status;
	if (argc == 1 && c->tty && files_menu(&status)) {
		return status;
	}
	while ((o = cli_getopt(c, argc, argv, opts)) > 0) {
		if (o == OPT_RW) {
			rw = true;
		}
	}
	int go = cli_options_done(c, o, argc, argv, help, false);
	if (go != CLI_GO) {
		return go;
	}
	if (!c->tty) {
		return cli_usage(c, "the file manager needs a terminal (to find or copy files from a "
				    "script: 'lifeline search', 'lifeline copy')");
	}
	if (c->json) {
		return cli_usage(c, "--json does not go with a file manager");
	}
	if (!run_have(NULL, "mc")) {
		return cli_fail(c, "Midnight Commander (mc) is not installed here");
	}
	const struct systems_system *sys;
	int r = cli_pick_system(c, &sys);
	if (r != CLI_OK) {
		return r;
	}
	if (rw) {
		char q[300];
		snprintf(q, sizeof(q), "Mount %s read-write? Changes in the file manager are real.",
			 sys->id);
		r = cli_confirm_change(c, q);
		if (r != CLI_GO) {
			return r;
		}
	}
	struct target *t;
	char why[256];
	if (target_open(&c->systems, sys, TARGET_ALL | (rw ? TARGET_RW : 0), &t, why,
			sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	if (rw) {
		audit_record(t, sys->id, "files", "mounted read-write for the file manager");
	}
	if (t->notes[0]) {
		cli_say(c, "Left out: %s", t->notes);
	}
	cli_say(c, "%s (%s) is at %s, %s.  Quit mc with F10 to unmount it.", sys->id, sys->name,
		t->root, rw ? "read-write" : "read-only");
	/* mc's own state (history, ini) goes to the live system's /root, not to the disk */
	const char *argv_mc[] = { "mc", "--nosubshell", t->root, t->root, NULL };
	const char *const env[] = { "HOME=/root", NULL };
	struct run_spec spec = { .argv = argv_mc, .terminal = true, .cwd = t->root, .env = env };
	struct run_result res;
	int e = run(&spec, &res);
	status = res.status;
	run_result_clear(&res);
	target_close(t);
	if (e < 0) {
		return cli_fail(c, "cannot run mc: %s", strerror(-e));
	}
	cli_say(c, "%s unmounted.", sys->id);
	return status == 0 ? CLI_OK : CLI_FAIL;
}
