/*
 * fstab: the entries of an installed system's /etc/fstab that stop its boot — a device that is not
 * there, a filesystem that does not mount — and their fix (commented out, or "nofail" with a
 * short device timeout), shown as a diff before it is written.
 */
#include "audit.h"
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
	"Usage: lifeline fstab (--check | --fix [--comment | --nofail]) [--system ID] [--yes] [--json]\n"
	"\n"
	"Checks the installed system's /etc/fstab: an entry whose device is not on any disk, or\n"
	"whose filesystem does not mount, stops or delays the boot.\n"
	"  --check              list the problems (exit status 1 when there are any)\n"
	"  --fix                fix them: the diff is shown, then written after a question\n"
	"  --comment            fix by commenting the entry out (the default)\n"
	"  --nofail             fix by adding nofail,x-systemd.device-timeout=10s instead, so the\n"
	"                       system boots without it and mounts it when it is there\n"
	"On a terminal without --check or --fix, the problems are shown and the fix is offered.\n"
	"\n"
	"Options:\n" CLI_COMMON_HELP;

enum {
	OPT_CHECK = CLI_OPT_FIRST_TOOL,
	OPT_FIX,
	OPT_COMMENT,
	OPT_NOFAIL,
};

#define MAX_LINES 4096

struct problem {
	int line; /* 1-based */
	char entry[300];
	char what[200];
};

static bool special_fs(const char *type, const char *src)
{
	static const char *const types[] = { "proc", "sysfs", "tmpfs", "devpts", "devtmpfs",
					     "none", "securityfs", "cgroup", "cgroup2", "debugfs",
					     "efivarfs", "nfs", "nfs4", "cifs", "smbfs", "sshfs",
					     "fuse", "fuse.sshfs", "9p", "virtiofs", "overlay",
					     "squashfs", "iso9660", "udf", "auto" };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strcmp(type, types[i]) == 0 && strcmp(type, "auto") != 0) {
			return true;
		}
	}
	return strchr(src, ':') != NULL; /* host:/export */
}

/* Splits an fstab line into up to 6 whitespace-separated fields (pointers into BUF). */
static int fields(char *buf, char *f[6])
{
	int n = 0;
	for (char *p = buf; *p && n < 6;) {
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		if (!*p || *p == '#') {
			break;
		}
		f[n++] = p;
		while (*p && *p != ' ' && *p != '\t') {
			p++;
		}
		if (*p) {
			*p++ = '\0';
		}
	}
	return n;
}

static bool has_option(const char *opts, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = opts; p && *p;) {
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0' || p[n] == '=')) {
			return true;
		}
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return false;
}

/* Does DEV (of type FSTYPE) mount read-only here?  0 or a negative errno. */
static int try_mount(const struct systems_dev *d)
{
	char dir[] = "/run/lifeline/probe/fstab-XXXXXX";
	util_mkdir_p("/run/lifeline/probe", 0700);
	if (!mkdtemp(dir)) {
		return -errno;
	}
	const char *data = util_startswith(d->fstype, "ext") ? "noload" :
			   strcmp(d->fstype, "xfs") == 0 ? "norecovery" : NULL;
	int e = 0;
	if (mount(d->path, dir, d->fstype, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, data) < 0) {
		e = -errno;
	} else {
		umount2(dir, MNT_DETACH);
	}
	rmdir(dir);
	return e;
}

static size_t find_problems(const struct systems *s, const char *text, struct problem *out,
			    size_t max)
{
	size_t n = 0;
	int lineno = 0;
	for (const char *line = text; line && *line && n < max;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[1024], *f[6];
		lineno++;
		if (len >= sizeof(buf) && line[strspn(line, " \t")] != '#') {
			/* not parsed, not passed over either: it may be what stops the boot */
			struct problem *p = &out[n++];
			p->line = lineno;
			snprintf(p->what, sizeof(p->what), "the line is too long to check (%zu bytes)",
				 len);
			char head[120];
			snprintf(head, sizeof(head), "%.100s...", line);
			util_sanitize(p->entry, sizeof(p->entry), head);
		} else if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			char shown[300];
			util_sanitize(shown, sizeof(shown), buf);
			int nf = fields(buf, f);
			if (nf >= 3 && strcmp(f[1], "/") != 0 && !special_fs(f[2], f[0]) &&
			    !(nf >= 4 && (has_option(f[3], "bind") || has_option(f[3], "noauto") ||
					      has_option(f[3], "nofail")))) {
				struct problem *p = &out[n];
				int d = systems_find_source(s, f[0]);
				p->what[0] = '\0';
				if (d < 0) {
					snprintf(p->what, sizeof(p->what), "its device is not on any disk");
				} else if (strcmp(f[2], "swap") != 0) {
					const struct systems_dev *dv = &s->devs[d];
					if (strcmp(f[2], "auto") != 0 && dv->fstype[0] &&
					    strcmp(f[2], dv->fstype) != 0 &&
					    !(util_startswith(f[2], "ext") &&
					      util_startswith(dv->fstype, "ext")) &&
					    !(strcmp(f[2], "vfat") == 0 && strcmp(dv->fstype, "msdos") == 0)) {
						snprintf(p->what, sizeof(p->what),
							 "the device holds %s, not %.40s", dv->fstype, f[2]);
					} else if (!dv->mountpoint[0] && !dv->busy) {
						int e = try_mount(dv);
						if (e < 0) {
							snprintf(p->what, sizeof(p->what),
								 "the filesystem does not mount: %s",
								 strerror(-e));
						}
					}
				}
				if (p->what[0]) {
					p->line = lineno;
					snprintf(p->entry, sizeof(p->entry), "%s", shown);
					n++;
				}
			}
		}
		line = end ? end + 1 : NULL;
	}
	return n;
}

/* The fixed file and its diff; NULL on allocation failure. */
static char *fixed_text(const char *text, const struct problem *pr, size_t np, bool nofail,
			char **ret_diff)
{
	size_t cap = strlen(text) + np * 400 + 64, o = 0, dcap = np * 1400 + 64, d = 0;
	char *out = malloc(cap), *diff = malloc(dcap);
	if (!out || !diff) {
		free(out);
		free(diff);
		return NULL;
	}
	diff[0] = '\0';
	int lineno = 0;
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		lineno++;
		const struct problem *p = NULL;
		for (size_t i = 0; i < np; i++) {
			if (pr[i].line == lineno) {
				p = &pr[i];
			}
		}
		char neu[1400];
		if (p && len >= 1024) {
			/* too long to parse: only commenting out keeps it whole */
			o += (size_t)snprintf(out + o, cap - o, "# lifeline: %s: ", p->what);
			memcpy(out + o, line, len);
			o += len;
			out[o++] = '\n';
			d += (size_t)snprintf(diff + d, dcap - d, "@@ line %d @@\n-%s\n+# lifeline: %s: ...\n",
					      lineno, p->entry, p->what);
		} else if (p) {
			char buf[1024], *f[6];
			memcpy(buf, line, len);
			buf[len] = '\0';
			int nf = fields(buf, f);
			if (nofail) {
				snprintf(neu, sizeof(neu), "%s %s %s %s%snofail,x-systemd.device-timeout=10s %s %s",
					 f[0], f[1], f[2], nf >= 4 ? f[3] : "", nf >= 4 ? "," : "",
					 nf >= 5 ? f[4] : "0", nf >= 6 ? f[5] : "0");
			} else {
				snprintf(neu, sizeof(neu), "# lifeline: %s: %.*s", p->what, (int)len, line);
			}
			o += (size_t)snprintf(out + o, cap - o, "%s\n", neu);
			char old_shown[1100], new_shown[1500];
			util_sanitize(old_shown, sizeof(old_shown), p->entry);
			util_sanitize(new_shown, sizeof(new_shown), neu);
			d += (size_t)snprintf(diff + d, dcap - d, "@@ line %d @@\n-%s\n+%s\n", lineno,
					      old_shown, new_shown);
		} else {
			memcpy(out + o, line, len);
			o += len;
			out[o++] = '\n';
		}
		line = end ? end + 1 : NULL;
	}
	out[o] = '\0';
	*ret_diff = diff;
	return out;
}

int tool_fstab(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "fix", no_argument, NULL, OPT_FIX },
		{ "comment", no_argument, NULL, OPT_COMMENT },
		{ "nofail", no_argument, NULL, OPT_NOFAIL },
		{ 0 },
	};
	bool check = false, fix = false, comment = false, nofail = false;
	int o;
	while ((o = cli_getopt(c, argc, argv, opts)) > 0) {
		switch (o) {
		case OPT_CHECK:
			check = true;
			break;
		case OPT_FIX:
			fix = true;
			break;
		case OPT_COMMENT:
			comment = true;
			break;
		case OPT_NOFAIL:
			nofail = true;
			break;
		}
	}
	int go = cli_options_done(c, o, argc, argv, help, false);
	if (go != CLI_GO) {
		return go;
	}
	if (check && fix) {
		return cli_usage(c, "--check and --fix do not go together");
	}
	if (comment && nofail) {
		return cli_usage(c, "--comment and --nofail do not go together");
	}
	if ((comment || nofail) && !fix) {
		return cli_usage(c, "--comment and --nofail go with --fix");
	}
	bool ui = !check && !fix;
	if (ui && (!c->tty || c->json)) {
		return cli_usage(c, "give --check or --fix");
	}
	const struct systems_system *sys;
	int r = cli_pick_system(c, &sys);
	if (r != CLI_OK) {
		return r;
	}
	if (sys->kind != SYSTEMS_LINUX) {
		return cli_fail(c, "%s is not a Linux system", sys->id);
	}
	struct target *t;
	char why[256];
	if (target_open(&c->systems, sys, 0, &t, why, sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	char *text = NULL;
	int e = util_read_in_root(t->root, "/etc/fstab", UTIL_TEXT_MAX, &text, NULL);
	target_close(t);
	if (e < 0) {
		return cli_fail(c, "cannot read /etc/fstab of %s: %s", sys->id, strerror(-e));
	}
	static struct problem pr[64];
	size_t np = find_problems(&c->systems, text, pr, 64);

	if (check || (c->json && !fix)) {
		if (c->json) {
			struct json_object *root = json_object_new_object();
			struct json_object *arr = json_object_new_array();
			for (size_t i = 0; i < np; i++) {
				struct json_object *p = json_object_new_object();
				json_object_object_add(p, "line", json_object_new_int(pr[i].line));
				json_object_object_add(p, "entry", json_object_new_string(pr[i].entry));
				json_object_object_add(p, "problem", json_object_new_string(pr[i].what));
				json_object_array_add(arr, p);
			}
			json_object_object_add(root, "system", json_object_new_string(sys->id));
			json_object_object_add(root, "problems", arr);
			cli_print_json(root);
		} else if (np == 0) {
			printf("The fstab of %s has no problem.\n", sys->id);
		} else {
			for (size_t i = 0; i < np; i++) {
				printf("line %d: %s\n    %s\n", pr[i].line, pr[i].entry, pr[i].what);
			}
			printf("'lifeline fstab --fix' comments these out (or --fix --nofail).\n");
		}
		free(text);
		return np ? CLI_FAIL : CLI_OK;
	}
	if (np == 0) {
		cli_say(c, "The fstab of %s has no problem; nothing to fix.", sys->id);
		if (ui) {
			tui_pause();
		}
		free(text);
		return CLI_OK;
	}
	char *diff = NULL;
	if (ui) {
		static const char *const ways[] = { "Comment the entries out",
						    "Add nofail (boot without them)" };
		char intro[1024] = "These fstab entries stop the boot:\n";
		for (size_t i = 0; i < np && strlen(intro) < 900; i++) {
			size_t l = strlen(intro);
			snprintf(intro + l, sizeof(intro) - l, "\nline %d: %.80s\n  %s\n", pr[i].line,
				 pr[i].entry, pr[i].what);
		}
		int way = tui_choose("fstab", intro, ways, 2);
		if (way < 0) {
			free(text);
			return CLI_OK;
		}
		nofail = way == 1;
	}
	char *neu = fixed_text(text, pr, np, nofail, &diff);
	free(text);
	if (!neu) {
		return cli_fail(c, "out of memory");
	}
	int answer;
	if (ui) {
		char q[4096];
		snprintf(q, sizeof(q), "Write this change to /etc/fstab?\n\n%s", diff);
		answer = tui_yesno("fstab", q) ? CLI_GO : CLI_FAIL;
	} else {
		cli_say(c, "--- /etc/fstab\n+++ /etc/fstab (fixed)\n%s", diff);
		answer = cli_confirm_change(c, "Write this change?");
	}
	if (answer != CLI_GO) {
		free(neu);
		free(diff);
		return answer;
	}
	r = CLI_OK;
	if (target_open(&c->systems, sys, TARGET_RW, &t, why, sizeof(why)) < 0) {
		r = cli_fail(c, "%s", why);
		goto out;
	}
	char saved[512] = "";
	e = audit_backup(t, "fstab", "/etc/fstab", saved, sizeof(saved));
	if (e == 0) {
		e = util_write_in_root(t->root, "/etc/fstab", neu, strlen(neu), 0644);
	}
	if (e < 0) {
		r = cli_fail(c, "cannot write /etc/fstab: %s", strerror(-e));
	} else {
		for (size_t i = 0; i < np; i++) {
			audit_record(t, sys->id, "fstab", "%s line %d (%s): %s", nofail ? "nofail on" :
				     "commented out", pr[i].line, pr[i].what, pr[i].entry);
		}
		cli_say(c, "/etc/fstab written; the old one is kept as %s.", saved);
	}
	target_close(t);
	if (c->json) {
		struct json_object *root = json_object_new_object();
		json_object_object_add(root, "system", json_object_new_string(sys->id));
		json_object_object_add(root, "fixed", json_object_new_int((int)np));
		json_object_object_add(root, "diff", json_object_new_string(diff));
		json_object_object_add(root, "backup", json_object_new_string(saved));
		cli_print_json(root);
	}
	if (ui) {
		tui_pause();
	}
out:
	free(neu);
	free(diff);
	return r;
}
