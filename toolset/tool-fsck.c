/*
 * Filesystem check: the filesystem's own checker (e2fsck, xfs_repair, btrfs check, fsck.fat,
 * fsck.exfat, ntfsfix) on an unmounted filesystem; a repair is always followed by a read-only
 * pass, so the verdict ("fixed", "errors left") does not depend on each checker's exit codes.
 */
#include "audit.h"
#include "run.h"
#include "target.h"
#include "tools.h"
#include "tui.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

static const char help[] =
	"Usage: lifeline fsck [DEVICE...] [--repair] [--system ID] [--yes] [--json]\n"
	"\n"
	"Checks filesystems (ext2/3/4, XFS, btrfs, FAT, exFAT; NTFS: the dirty flag and $MFTMirr\n"
	"with ntfsinfo, repaired by ntfsfix -d) and, with --repair, repairs them.  Without\n"
	"DEVICE: the filesystems in the system's fstab that are present (or every filesystem\n"
	"found when no installed system is found).  A mounted filesystem is refused.  After a\n"
	"repair a second, read-only pass tells whether errors are left.  Exit status 1 when\n"
	"errors are found (check) or left (repair).\n"
	"\n"
	"  --repair             repair what the check finds (asks first; --yes without a terminal)\n"
	"\n"
	"Options:\n" CLI_COMMON_HELP;

enum {
	OPT_REPAIR = CLI_OPT_FIRST_TOOL,
};

#define DEV "\x01" /* placeholder for the device in the argv templates */

struct checker {
	const char *fstype;
	const char *const check[6];
	const char *const repair[6];
};

static const struct checker checkers[] = {
	{ "ext2", { "e2fsck", "-f", "-n", DEV }, { "e2fsck", "-f", "-y", DEV } },
	{ "ext3", { "e2fsck", "-f", "-n", DEV }, { "e2fsck", "-f", "-y", DEV } },
	{ "ext4", { "e2fsck", "-f", "-n", DEV }, { "e2fsck", "-f", "-y", DEV } },
	{ "xfs", { "xfs_repair", "-n", DEV }, { "xfs_repair", DEV } },
	{ "btrfs", { "btrfs", "check", "--readonly", DEV }, { "btrfs", "check", "--repair", DEV } },
	{ "vfat", { "fsck.fat", "-n", DEV }, { "fsck.fat", "-a", "-w", DEV } },
	{ "exfat", { "fsck.exfat", "-n", DEV }, { "fsck.exfat", "-y", DEV } },
	/* ntfsfix -n exits 0 on a volume marked dirty; ntfsinfo -m refuses to open one (and one
	 * whose $MFTMirr differs), so it is the check */
	{ "ntfs", { "ntfsinfo", "-m", DEV }, { "ntfsfix", "-d", DEV } },
};

static const struct checker *checker_for(const char *fstype)
{
	for (size_t i = 0; i < sizeof(checkers) / sizeof(checkers[0]); i++) {
		if (strcmp(checkers[i].fstype, fstype) == 0) {
			return &checkers[i];
		}
	}
	return NULL;
}

struct outcome {
	const char *device;
	const char *fstype;
	const char *result; /* clean, errors, fixed, errors-left, failed, refused */
	int status;         /* of the last pass */
	char *output;
};

static int pass(struct cli *c, const char *const tmpl[6], const char *device, struct outcome *oc)
{
	const char *argv[7] = { 0 };
	for (int i = 0; i < 6 && tmpl[i]; i++) {
		argv[i] = strcmp(tmpl[i], DEV) == 0 ? device : tmpl[i];
	}
	if (!c->json) {
		printf("$ ");
		for (int i = 0; argv[i]; i++) {
			printf("%s ", argv[i]);
		}
		printf("\n");
	}
	struct run_spec spec = { .argv = argv, .capture = true, .show = !c->json, .merge = true };
	struct run_result r = { 0 };
	int e = run(&spec, &r);
	if (e == -ENOENT) {
		run_result_clear(&r);
		return e;
	}
	size_t old = oc->output ? strlen(oc->output) : 0;
	char *joined = realloc(oc->output, old + (r.out ? r.out_len : 0) + 1);
	if (joined) {
		memcpy(joined + old, r.out ? r.out : "", r.out ? r.out_len : 0);
		joined[old + (r.out ? r.out_len : 0)] = '\0';
		oc->output = joined;
	}
	oc->status = r.status;
	run_result_clear(&r);
	return e;
}

static void replay_xfs_log(const char *device)
{
	char dir[] = "/run/lifeline/probe/xfs-log-XXXXXX";
	util_mkdir_p("/run/lifeline/probe", 0700);
	if (!mkdtemp(dir)) {
		return;
	}
	if (mount(device, dir, "xfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
		umount(dir);
	}
	rmdir(dir);
}

static void check_one(struct cli *c, const struct systems_dev *d, bool repair, struct outcome *oc)
{
	oc->device = d->path;
	oc->fstype = d->fstype;
	const struct checker *ck = checker_for(d->fstype);
	if (!ck) {
		oc->result = "unsupported";
		return;
	}
	if (d->mountpoint[0] || d->busy) {
		char msg[400];
		snprintf(msg, sizeof(msg), "%s is %s%s; a mounted filesystem is not checked\n", d->path,
			 d->mountpoint[0] ? "mounted at " : "in use", d->mountpoint);
		oc->output = strdup(msg);
		oc->result = "refused";
		return;
	}
	if (!c->json) {
		printf("\n== %s (%s%s%s) ==\n", d->path, d->fstype, d->label[0] ? ", " : "", d->label);
	}
	/* read-only first: only a filesystem with errors is repaired, then checked again */
	int e = pass(c, ck->check, d->path, oc);
	if (e < 0) {
		oc->result = "failed";
	} else if (oc->status == 0) {
		oc->result = "clean";
	} else if (!repair) {
		oc->result = "errors";
	} else {
		e = pass(c, ck->repair, d->path, oc);
		if (e == 0 && strcmp(d->fstype, "xfs") == 0 && oc->status == 2) {
			cli_say(c, "The XFS log is dirty: mounting once to replay it, then again.");
			replay_xfs_log(d->path);
			e = pass(c, ck->repair, d->path, oc);
		}
		if (e == 0) {
			e = pass(c, ck->check, d->path, oc);
		}
		oc->result = e < 0 ? "failed" : oc->status == 0 ? "fixed" : "errors-left";
		if (oc->status == 0 && strcmp(d->fstype, "ntfs") == 0 && oc->output &&
		    strstr(oc->output, "scheduled for check")) {
			cli_say(c, "%s: the NTFS dirty flag (\"scheduled for check\") is cleared.",
				d->path);
		}
	}
	if (e == -ENOENT) {
		char msg[160];
		snprintf(msg, sizeof(msg), "%s is not in this recovery system\n", ck->check[0]);
		free(oc->output);
		oc->output = strdup(msg);
	}
}

static void add_dev(const struct systems *s, int i, int *list, size_t *n)
{
	for (size_t k = 0; k < *n; k++) {
		if (list[k] == i) {
			return;
		}
	}
	list[(*n)++] = i;
}

int tool_fsck(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "repair", no_argument, NULL, OPT_REPAIR },
		{ 0 },
	};
	bool repair = false;
	int o;
	while ((o = cli_getopt(c, argc, argv, opts)) > 0) {
		if (o == OPT_REPAIR) {
			repair = true;
			continue;
		}
	}
	int go = cli_options_done(c, o, argc, argv, help, true);
	if (go != CLI_GO) {
		return go;
	}
	for (int i = optind; i < argc; i++) {
		if (argv[i][0] != '/') {
			return cli_usage(c, "'%.60s' is not a device path (like /dev/sda1)", argv[i]);
		}
	}
	int r = cli_discover(c);
	if (r != CLI_OK) {
		return r;
	}
	const struct systems *s = &c->systems;
	int list[512];
	size_t n = 0;
	const struct systems_system *sys = NULL;
	for (int i = optind; i < argc; i++) {
		int d = systems_find_source(s, argv[i]);
		if (d < 0) {
			return cli_usage(c, "no block device %.80s", argv[i]);
		}
		if (!checker_for(s->devs[d].fstype)) {
			return cli_usage(c, "%s holds %s, which fsck does not check", s->devs[d].path,
					 s->devs[d].fstype[0] ? s->devs[d].fstype : "no filesystem");
		}
		add_dev(s, d, list, &n);
	}
	if (n == 0) {
		if (s->n_sys > 0 || c->system) {
			r = cli_pick_system(c, &sys);
			if (r != CLI_OK) {
				return r;
			}
			add_dev(s, sys->root, list, &n);
			for (int k = 0; k < sys->n_fstab; k++) {
				int d = sys->fstab[k].dev;
				if (d >= 0 && checker_for(s->devs[d].fstype)) {
					add_dev(s, d, list, &n);
				}
			}
		} else {
			for (size_t d = 0; d < s->n_devs; d++) {
				if (checker_for(s->devs[d].fstype)) {
					add_dev(s, (int)d, list, &n);
				}
			}
		}
	}
	if (n == 0) {
		return cli_fail(c, "no filesystem to check was found");
	}
	if (c->tty && !c->json && argc == 1 && !repair) {
		/* the text UI: repair asks, after showing what will be checked */
		char text[2048] = "Check and repair these filesystems?\n\n";
		for (size_t k = 0; k < n; k++) {
			size_t l = strlen(text);
			snprintf(text + l, sizeof(text) - l, "  %s (%s)\n", s->devs[list[k]].path,
				 s->devs[list[k]].fstype);
		}
		if (!tui_yesno("Filesystem check", text)) {
			return CLI_OK;
		}
		repair = true;
		c->yes = true;
	}
	if (repair) {
		int answer = cli_confirm_change(c, "Repair these filesystems?");
		if (answer != CLI_GO) {
			return answer;
		}
	}
	struct outcome oc[512] = { 0 };
	bool bad = false;
	for (size_t k = 0; k < n; k++) {
		check_one(c, &s->devs[list[k]], repair, &oc[k]);
		const char *res = oc[k].result;
		bad |= strcmp(res, "clean") != 0 && strcmp(res, "fixed") != 0;
		if (!c->json) {
			printf("-> %s: %s\n", oc[k].device, res);
			if (!strcmp(res, "refused") || !strcmp(res, "failed")) {
				fputs(oc[k].output ? oc[k].output : "", stdout);
			}
		}
	}
	if (repair) {
		/* the system a filesystem belongs to keeps the record (and the live log with it) */
		bool recorded[512] = { false };
		for (size_t i = 0; i < s->n_sys; i++) {
			const struct systems_system *y = &s->sys[i];
			struct target *t;
			char why[256];
			bool mine = false;
			for (size_t k = 0; k < n; k++) {
				mine |= list[k] == y->root || list[k] == y->boot || list[k] == y->esp;
			}
			if (!mine || y->kind != SYSTEMS_LINUX ||
			    target_open(s, y, TARGET_RW | TARGET_BOOT, &t, why, sizeof(why)) < 0) {
				continue;
			}
			for (size_t k = 0; k < n; k++) {
				if (!recorded[k] && strcmp(oc[k].result, "clean") != 0) {
					audit_record(t, y->id, "fsck", "%s (%s): %s", oc[k].device,
						     oc[k].fstype, oc[k].result);
					recorded[k] = true;
				}
			}
			target_close(t);
		}
		for (size_t k = 0; k < n; k++) {
			if (!recorded[k] && strcmp(oc[k].result, "clean") != 0) {
				audit_record(NULL, sys ? sys->id : "-", "fsck", "%s (%s): %s",
					     oc[k].device, oc[k].fstype, oc[k].result);
			}
		}
	}
	if (c->json) {
		struct json_object *root = json_object_new_object();
		struct json_object *arr = json_object_new_array();
		for (size_t k = 0; k < n; k++) {
			struct json_object *x = json_object_new_object();
			json_object_object_add(x, "device", json_object_new_string(oc[k].device));
			json_object_object_add(x, "fstype", json_object_new_string(oc[k].fstype));
			json_object_object_add(x, "result", json_object_new_string(oc[k].result));
			json_object_object_add(x, "status", json_object_new_int(oc[k].status));
			json_object_object_add(x, "output",
					       json_object_new_string(oc[k].output ? oc[k].output : ""));
			json_object_array_add(arr, x);
		}
		json_object_object_add(root, "repair", json_object_new_boolean(repair));
		json_object_object_add(root, "filesystems", arr);
		cli_print_json(root);
	}
	for (size_t k = 0; k < n; k++) {
		free(oc[k].output);
	}
	if (c->tty && argc == 1) {
		tui_pause();
	}
	if (bad && !repair && !c->json) {
		printf("Errors were found; 'lifeline fsck --repair' repairs them.\n");
	}
	return bad ? CLI_FAIL : CLI_OK;
}
