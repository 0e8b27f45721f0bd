/*
 * search: files by name pattern, date and size on an installed system's filesystems, or on every
 * filesystem of every disk, mounted read-only.  The walk never follows a symlink.
 */
#include "target.h"
#include "tools.h"
#include "tui.h"
#include "util.h"
#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
	"Usage: lifeline search [--system ID | --all] [--name GLOB] [--newer DATE] [--older DATE]\n"
	"                       [--larger SIZE] [--smaller SIZE] [--type f|d] [--limit N] [--json]\n"
	"                       [PATH]\n"
	"\n"
	"Finds files on the installed system (all of its filesystems, mounted read-only), under PATH\n"
	"when given, and prints their size, modification time and path.  Symlinks are listed, never\n"
	"followed; folders that cannot be read are counted and reported.\n"
	"  --all                every filesystem on every disk instead of one system (paths are\n"
	"                       shown as DEVICE:PATH)\n"
	"  --name GLOB          the file name matches GLOB ('*.odt', 'report-??.pdf')\n"
	"  --newer DATE         modified at or after DATE: 2026-12-01 (UTC) or '3 days', '12 hours'\n"
	"  --older DATE         modified before DATE\n"
	"  --larger SIZE        larger than SIZE bytes: 100K, 5M, 1G\n"
	"  --smaller SIZE       smaller than SIZE\n"
	"  --type f|d           only files (f) or only folders (d)\n"
	"  --limit N            stop after N matches\n"
	"On a terminal without criteria and PATH, the pattern and the age are asked in dialogs.\n"
	"\n"
	"Options:\n" CLI_COMMON_HELP;

enum {
	OPT_ALL = CLI_OPT_FIRST_TOOL,
	OPT_NAME,
	OPT_NEWER,
	OPT_OLDER,
	OPT_LARGER,
	OPT_SMALLER,
	OPT_TYPE,
	OPT_LIMIT,
};

#define UNREADABLE_SHOWN 20

struct search {
	const struct cli *c;
	const char *name;
	bool newer_set, older_set, larger_set, smaller_set;
	time_t newer, older;
	uint64_t larger, smaller;
	char type; /* 'f', 'd' or 0 */
	unsigned long limit;
	const char *where;  /* "" for a system, "/dev/vda1:" with --all */
	const char *start;  /* PATH inside the filesystem ("/" by default) */
	unsigned long found, unreadable;
	bool limited;
	struct json_object *results, *bad;
};

static void full_path(const struct search *s, const char *rel, char *out, size_t size)
{
	char raw[WALK_PATH_MAX + 400];
	bool root = strcmp(s->start, "/") == 0;
	snprintf(raw, sizeof(raw), "%s%s%s%s", s->where, root ? "/" : s->start,
		 *rel && !root ? "/" : "", rel);
	util_sanitize(out, size, raw);
}

static bool matches(const struct search *s, const struct walk_entry *e)
{
	const struct stat *st = e->st;
	if (e->depth == 0) {
		return false;
	}
	if (s->type == 'f' && !S_ISREG(st->st_mode)) {
		return false;
	}
	if (s->type == 'd' && !S_ISDIR(st->st_mode)) {
		return false;
	}
	if (s->name && fnmatch(s->name, e->name, FNM_PERIOD) != 0) {
		return false;
	}
	if ((s->newer_set && st->st_mtime < s->newer) || (s->older_set && st->st_mtime >= s->older)) {
		return false;
	}
	uint64_t size = (uint64_t)st->st_size;
	return !(s->larger_set && size <= s->larger) && !(s->smaller_set && size >= s->smaller);
}

static char type_char(mode_t m)
{
	return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : 'o';
}

static int on_entry(void *data, enum walk_event ev, const struct walk_entry *e)
{
	struct search *s = data;
	char path[WALK_PATH_MAX + 400];
	if (ev == WALK_UNREADABLE) {
		s->unreadable++;
		full_path(s, e->path, path, sizeof(path));
		if (s->unreadable <= UNREADABLE_SHOWN) {
			struct json_object *b = json_object_new_object();
			json_object_object_add(b, "path", json_object_new_string(path));
			json_object_object_add(b, "error", json_object_new_string(strerror(e->error)));
			json_object_array_add(s->bad, b);
		}
		return WALK_CONTINUE;
	}
	if (ev != WALK_ENTRY || !matches(s, e)) {
		return WALK_CONTINUE;
	}
	if (s->limit && s->found >= s->limit) {
		s->limited = true;
		return -ECANCELED;
	}
	s->found++;
	full_path(s, e->path, path, sizeof(path));
	char when[32];
	struct tm tm;
	time_t mt = e->st->st_mtime;
	gmtime_r(&mt, &tm);
	if (s->c->json) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		struct json_object *r = json_object_new_object();
		char t[2] = { type_char(e->st->st_mode), 0 };
		json_object_object_add(r, "path", json_object_new_string(path));
		json_object_object_add(r, "type", json_object_new_string(t));
		json_object_object_add(r, "size", json_object_new_int64((int64_t)e->st->st_size));
		json_object_object_add(r, "mtime", json_object_new_string(when));
		json_object_array_add(s->results, r);
	} else {
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		printf("%12" PRIu64 "  %s  %s%s\n", (uint64_t)e->st->st_size, when, path,
		       S_ISDIR(e->st->st_mode) ? "/" : S_ISLNK(e->st->st_mode) ? " (link)" : "");
	}
	return WALK_CONTINUE;
}

/* Walks s->start inside the directory ROOT; false (with the reason said) when it is not there. */
static bool search_in(struct search *s, const char *root)
{
	int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = rfd < 0 ? -errno : util_open_in_tree(rfd, s->start, O_PATH | O_DIRECTORY, 0);
	if (rfd >= 0) {
		close(rfd);
	}
	if (fd < 0) {
		char shown[300];
		util_sanitize(shown, sizeof(shown), s->start);
		cli_say(s->c, "%s%s: not a folder there (%s)", s->where, shown, strerror(-fd));
		return false;
	}
	walk_tree(fd, ".", on_entry, s);
	close(fd);
	return true;
}

static int search_all(struct cli *c, struct search *s, struct json_object *notes)
{
	int r = cli_discover(c);
	if (r != CLI_OK) {
		return r;
	}
	for (size_t i = 0; i < c->systems.n_devs && !s->limited; i++) {
		const struct systems_dev *d = &c->systems.devs[i];
		char dir[300], why[400], where[128];
		if (!target_mountable(d->fstype)) {
			continue;
		}
		if (d->mountpoint[0]) {
			/* the live system's own (the boot medium): not a disk to search */
			continue;
		}
		if (target_mount_dev(d, false, dir, sizeof(dir), why, sizeof(why)) < 0) {
			cli_say(c, "%s left out: %s", d->path, why);
			json_object_array_add(notes, json_object_new_string(why));
			continue;
		}
		snprintf(where, sizeof(where), "%s:", d->path);
		s->where = where;
		search_in(s, dir);
		target_unmount_dir(dir);
	}
	s->where = "";
	return CLI_OK;
}

static int search_system(struct cli *c, struct search *s, struct json_object *notes,
			 const char **ret_id)
{
	const struct systems_system *sys;
	int r = cli_pick_system(c, &sys);
	if (r != CLI_OK) {
		return r;
	}
	*ret_id = sys->id;
	struct target *t;
	char why[256];
	if (target_open(&c->systems, sys, TARGET_ALL, &t, why, sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	if (t->notes[0]) {
		cli_say(c, "Left out: %s", t->notes);
		json_object_array_add(notes, json_object_new_string(t->notes));
	}
	bool ok = search_in(s, t->root);
	target_close(t);
	return ok ? CLI_OK : CLI_FAIL;
}

int tool_search(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "all", no_argument, NULL, OPT_ALL },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "newer", required_argument, NULL, OPT_NEWER },
		{ "older", required_argument, NULL, OPT_OLDER },
		{ "larger", required_argument, NULL, OPT_LARGER },
		{ "smaller", required_argument, NULL, OPT_SMALLER },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ 0 },
	};
	struct search s = { .c = c, .where = "", .start = "/" };
	bool all = false;
	time_t now = time(NULL);
	const char *path = NULL;
	size_t n_args = 0;
	int o;
	bool criteria = false;
	while ((o = cli_getopt_args(c, argc, argv, opts, &path, 1, &n_args)) > 0) {
		char *end;
		criteria = true;
		switch (o) {
		case OPT_ALL:
			all = true;
			break;
		case OPT_NAME:
			s.name = optarg;
			break;
		case OPT_NEWER:
		case OPT_OLDER:
			if (walk_parse_date(optarg, now, o == OPT_NEWER ? &s.newer : &s.older) < 0) {
				return cli_usage(c, "%s: '%.40s' is not a date (2026-12-01, '3 days')",
						 o == OPT_NEWER ? "--newer" : "--older", optarg);
			}
			*(o == OPT_NEWER ? &s.newer_set : &s.older_set) = true;
			break;
		case OPT_LARGER:
		case OPT_SMALLER:
			if (walk_parse_size(optarg, o == OPT_LARGER ? &s.larger : &s.smaller) < 0) {
				return cli_usage(c, "%s: '%.40s' is not a size (100K, 5M, 1G)",
						 o == OPT_LARGER ? "--larger" : "--smaller", optarg);
			}
			*(o == OPT_LARGER ? &s.larger_set : &s.smaller_set) = true;
			break;
		case OPT_TYPE:
			if (strcmp(optarg, "f") != 0 && strcmp(optarg, "d") != 0) {
				return cli_usage(c, "--type is f (files) or d (folders)");
			}
			s.type = optarg[0];
			break;
		case OPT_LIMIT:
			errno = 0;
			s.limit = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || optarg[0] == '-' || s.limit == 0) {
				return cli_usage(c, "--limit needs a number above 0");
			}
			break;
		}
	}
	int go = cli_options_done(c, o, argc, argv, help, false);
	if (go != CLI_GO) {
		return go;
	}
	/* the text UI: the same search, its criteria asked for */
	bool ui = c->tty && !c->json && !criteria && !path;
	char *ui_name = NULL, *ui_age = NULL;
	if (ui) {
		ui_name = tui_entry("Search", "File name pattern (*.odt, report*), empty for every file:",
				    false);
		ui_age = ui_name ? tui_entry("Search", "Changed in the last (7 days, 12 hours), empty "
					     "for any time:", false) : NULL;
		if (!ui_name || !ui_age) {
			free(ui_name);
			return CLI_OK;
		}
		s.name = *util_strip(ui_name) ? util_strip(ui_name) : NULL;
		if (*util_strip(ui_age) && walk_parse_date(util_strip(ui_age), now, &s.newer) < 0) {
			tui_show("Search", "That is not a time: give '7 days', '12 hours' or 2026-12-01.");
			free(ui_name);
			free(ui_age);
			return CLI_USAGE;
		}
		s.newer_set = *util_strip(ui_age) != '\0';
	}
	if (path) {
		s.start = path;
		if (!*s.start || strlen(s.start) >= 1024) {
			return cli_usage(c, "PATH is empty or too long");
		}
	}
	if (all && c->system) {
		return cli_usage(c, "--all and --system do not go together");
	}
	s.results = json_object_new_array();
	s.bad = json_object_new_array();
	struct json_object *notes = json_object_new_array();
	const char *id = NULL;
	int r = all ? search_all(c, &s, notes) : search_system(c, &s, notes, &id);
	if (r == CLI_OK) {
		if (c->json) {
			struct json_object *root = json_object_new_object();
			json_object_object_add(root, "system", id ? json_object_new_string(id) : NULL);
			json_object_object_add(root, "found", json_object_new_int64((int64_t)s.found));
			json_object_object_add(root, "limited", json_object_new_boolean(s.limited));
			json_object_object_add(root, "results", json_object_get(s.results));
			json_object_object_add(root, "unreadable",
					       json_object_new_int64((int64_t)s.unreadable));
			json_object_object_add(root, "unreadable_paths", json_object_get(s.bad));
			json_object_object_add(root, "left_out", json_object_get(notes));
			cli_print_json(root);
		} else {
			printf("%lu found%s.\n", s.found,
			       s.limited ? " (stopped at --limit; there are more)" : "");
			if (s.unreadable) {
				printf("%lu could not be read:\n", s.unreadable);
				size_t n = json_object_array_length(s.bad);
				for (size_t i = 0; i < n; i++) {
					struct json_object *b = json_object_array_get_idx(s.bad, i), *p, *e;
					json_object_object_get_ex(b, "path", &p);
					json_object_object_get_ex(b, "error", &e);
					printf("  %s: %s\n", json_object_get_string(p),
					       json_object_get_string(e));
				}
				if (s.unreadable > n) {
					printf("  ...\n");
				}
			}
		}
	}
	json_object_put(s.results);
	json_object_put(s.bad);
	json_object_put(notes);
	if (ui) {
		free(ui_name);
		free(ui_age);
		tui_pause();
	}
	return r;
}
