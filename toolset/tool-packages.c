/*
 * Packages (DaRT's SFC Scan and Hotfix Uninstall): the installed system's own dpkg checks its
 * files against the md5sums of its database; damaged packages are reinstalled from the exact
 * installed version's .deb in the system's apt cache, else from its configured sources; apt's
 * transaction history is listed and one transaction rolled back.  Everything runs inside the
 * system (chroot) with its own dpkg and apt.
 */
#include "audit.h"
#include "packages.h"
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
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char help[] =
	"Usage: lifeline packages --verify [--system ID] [--json]\n"
	"       lifeline packages --repair [PACKAGE...] [--yes]\n"
	"       lifeline packages --history [--json]\n"
	"       lifeline packages --rollback ID [--yes]\n"
	"\n"
	"Checks and repairs the installed system's packages with its own dpkg and apt:\n"
	"  --verify             check every package's files against dpkg's checksums (offline);\n"
	"                       lists modified and missing files per package, changed\n"
	"                       configuration files apart (usually intended edits)\n"
	"  --repair [PACKAGE...] reinstall the packages (default: those --verify finds damaged,\n"
	"                       not counting configuration files) from the installed version's\n"
	"                       .deb in /var/cache/apt/archives, else from the system's apt\n"
	"                       sources (network); then verify again\n"
	"  --history            apt's transactions (history.log and its rotated files), newest\n"
	"                       first, numbered\n"
	"  --rollback ID        undo transaction ID of --history: remove what it installed, put\n"
	"                       back the old versions of what it upgraded, downgraded or removed;\n"
	"                       shows the plan first\n"
	"On a terminal without these, asks what to do.\n"
	"\n"
	"Options:\n" CLI_COMMON_HELP;

enum {
	OPT_VERIFY = CLI_OPT_FIRST_TOOL,
	OPT_REPAIR,
	OPT_HISTORY,
	OPT_ROLLBACK,
};

#define ARCHIVES    "/var/cache/apt/archives"
#define HISTORY_DIR "/var/log/apt"
#define HISTORY_MAX (64u << 20) /* bytes of one (decompressed) history file */
#define REPAIR_MAX  256         /* packages in one repair */

static const char *const apt_env[] = { "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C.UTF-8",
				       "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

/* Runs ARGV in the system; shows its output unless --json; 0 or a negative errno. */
static int run_in(struct cli *c, const struct target *t, const char *const *argv, bool show,
		  struct run_result *r)
{
	struct run_spec spec = { .argv = argv,
				 .root = t->root,
				 .env = apt_env,
				 .capture = true,
				 .show = show && !c->json,
				 .merge = show };
	return run(&spec, r);
}

/* --- verify ---------------------------------------------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* dpkg's path-exclude/path-include options: dpkg.cfg, then dpkg.cfg.d/ in name order */
static void load_filters(const char *root, struct packages_filters *f)
{
	char *text = NULL;
	if (util_read_in_root(root, "/etc/dpkg/dpkg.cfg", UTIL_TEXT_MAX, &text, NULL) == 0) {
		packages_filters_parse(f, text);
		free(text);
	}
	DIR *d = util_opendir_in_root(root, "/etc/dpkg/dpkg.cfg.d");
	if (!d) {
		return;
	}
	char names[64][256];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 64) {
		/* as dpkg: names of letters, digits, '_' and '-' only */
		if (de->d_name[0] &&
		    strspn(de->d_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
				       "TUVWXYZ0123456789_-") == strlen(de->d_name)) {
			snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), compare_names);
	for (size_t i = 0; i < n; i++) {
		char rel[300];
		snprintf(rel, sizeof(rel), "/etc/dpkg/dpkg.cfg.d/%s", names[i]);
		if (util_read_in_root(root, rel, UTIL_TEXT_MAX, &text, NULL) == 0) {
			packages_filters_parse(f, text);
			free(text);
		}
	}
}

/* dpkg --verify of every package, or of the N packages NAMES */
static int verify(struct cli *c, const struct target *t, struct packages_verify *v,
		  const char *const *names, size_t n)
{
	const char *argv[REPAIR_MAX + 3] = { "dpkg", "--verify" };
	for (size_t i = 0; i < n && i < REPAIR_MAX; i++) {
		argv[2 + i] = names[i];
	}
	struct run_result r = { 0 };
	int e = run_in(c, t, argv, false, &r);
	/* dpkg exits 1 when it found something; its output is the answer either way */
	if (e < 0 || r.status > 1) {
		cli_say(c, "dpkg --verify failed (status %d): %s", r.status,
			r.err ? util_strip(r.err) : strerror(-e));
		run_result_clear(&r);
		return e < 0 ? e : -EIO;
	}
	struct packages_filters *flt = calloc(1, sizeof(*flt));
	if (flt) {
		load_filters(t->root, flt);
	}
	e = packages_verify_parse(v, r.out, flt);
	free(flt);
	run_result_clear(&r);
	if (e < 0 || v->n == 0) {
		return e;
	}
	/* the owners: dpkg-query --search, a batch of paths at a time */
	for (size_t i = 0; i < v->n; i += 100) {
		const char *q[104] = { "dpkg-query", "--search" };
		size_t k = 2;
		for (size_t j = i; j < v->n && j < i + 100; j++) {
			q[k++] = v->f[j].path;
		}
		q[k] = NULL;
		struct run_result s = { 0 };
		if (run_in(c, t, q, false, &s) == 0) {
			packages_search_parse(v, s.out);
		}
		run_result_clear(&s);
	}
	return 0;
}

/* The packages with damaged files (not counting conffiles); returns how many. */
static size_t damaged(const struct packages_verify *v, const char *names[], size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < v->n; i++) {
		const char *p = v->f[i].package;
		if (v->f[i].conffile || !*p) {
			continue;
		}
		bool seen = false;
		for (size_t k = 0; k < n && !seen; k++) {
			seen = strcmp(names[k], p) == 0;
		}
		if (!seen && n < max) {
			names[n++] = p;
		}
	}
	return n;
}

static struct json_object *verify_json(const struct packages_verify *v)
{
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < v->n; i++) {
		const struct packages_file *f = &v->f[i];
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(f->path));
		json_object_object_add(o, "package", json_object_new_string(f->package));
		json_object_object_add(o, "state",
				       json_object_new_string(f->missing ? "missing" : "modified"));
		json_object_object_add(o, "conffile", json_object_new_boolean(f->conffile));
		json_object_object_add(o, "checks", json_object_new_string(f->flags));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* {system, KEY: [NAMES], files: [...]} */
static void print_result(const struct systems_system *sys, const char *key,
			 const char *const *names, size_t n, const struct packages_verify *v)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "system", json_object_new_string(sys->id));
	struct json_object *arr = json_object_new_array();
	for (size_t k = 0; k < n; k++) {
		json_object_array_add(arr, json_object_new_string(names[k]));
	}
	json_object_object_add(o, key, arr);
	json_object_object_add(o, "files", verify_json(v));
	cli_print_json(o);
}

static void verify_print(const struct packages_verify *v)
{
	const char *names[REPAIR_MAX];
	size_t n = damaged(v, names, REPAIR_MAX);
	if (n == 0) {
		printf("No package has modified or missing files.\n");
	} else {
		printf("Damaged packages (%zu):\n", n);
	}
	for (size_t k = 0; k < n; k++) {
		printf("  %s\n", names[k]);
		for (size_t i = 0; i < v->n; i++) {
			const struct packages_file *f = &v->f[i];
			if (!f->conffile && strcmp(f->package, names[k]) == 0) {
				printf("    %-8s %s\n", f->missing ? "missing" : "modified",
				       f->path);
			}
		}
	}
	bool head = false;
	for (size_t i = 0; i < v->n; i++) {
		const struct packages_file *f = &v->f[i];
		if (!f->conffile && f->package[0]) {
			continue;
		}
		if (!head) {
			printf("Changed configuration files and files of no package (usually "
			       "intended):\n");
			head = true;
		}
		printf("    %-8s %s (%s)\n", f->missing ? "missing" : "modified", f->path,
		       f->package[0] ? f->package : "no package");
	}
	if (v->excluded) {
		printf("(%zu files are missing on purpose: the system's dpkg path-exclude left "
		       "them out)"
		       "\n",
		       v->excluded);
	}
	if (v->dropped) {
		printf("(%zu lines of dpkg --verify not shown)\n", v->dropped);
	}
}

static int do_verify(struct cli *c, const struct systems_system *sys)
{
	struct target *t;
	char why[256];
	if (target_open(&c->systems, sys, TARGET_CHROOT, &t, why, sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	struct packages_verify v = { 0 };
	cli_say(c, "Checking the packages of %s with its dpkg --verify...", sys->id);
	int e = verify(c, t, &v, NULL, 0);
	target_close(t);
	if (e < 0) {
		packages_verify_free(&v);
		return cli_fail(c, "cannot verify the packages of %s", sys->id);
	}
	const char *names[REPAIR_MAX];
	size_t n = damaged(&v, names, REPAIR_MAX);
	if (c->json) {
		print_result(sys, "damaged", names, n, &v);
	} else {
		verify_print(&v);
	}
	packages_verify_free(&v);
	return n ? CLI_FAIL : CLI_OK;
}

/* --- repair ---------------------------------------------------------------------------------- */

/* resolv.conf of the live system in the chroot for an apt run over the network, put back after */
struct resolv {
	bool swapped, had, link;
	char link_to[256];
	char *old;
	size_t old_len;
};

static void resolv_provide(const struct target *t, struct resolv *rs)
{
	char *live = NULL;
	size_t live_len;
	if (util_read_file("/etc/resolv.conf", 65536, &live, &live_len) < 0) {
		return;
	}
	const char *base;
	int dfd = util_open_parent_in_root(t->root, "/etc/resolv.conf", &base);
	if (dfd < 0) {
		free(live);
		return;
	}
	struct stat st;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		rs->had = true;
		rs->link = S_ISLNK(st.st_mode);
		if (rs->link) {
			ssize_t n = readlinkat(dfd, base, rs->link_to, sizeof(rs->link_to) - 1);
			rs->link_to[n > 0 ? n : 0] = '\0';
			unlinkat(dfd, base, 0);
		} else {
			util_read_in_root(t->root, "/etc/resolv.conf", 65536, &rs->old,
					  &rs->old_len);
		}
	}
	close(dfd);
	rs->swapped = util_write_in_root(t->root, "/etc/resolv.conf", live, live_len, 0644) == 0;
	free(live);
}

static void resolv_restore(const struct target *t, struct resolv *rs)
{
	if (!rs->swapped) {
		free(rs->old);
		return;
	}
	const char *base;
	int dfd = util_open_parent_in_root(t->root, "/etc/resolv.conf", &base);
	if (dfd >= 0) {
		unlinkat(dfd, base, 0);
		if (rs->link && rs->link_to[0]) {
			symlinkat(rs->link_to, dfd, base);
		}
		close(dfd);
	}
	if (rs->had && !rs->link && rs->old) {
		util_write_in_root(t->root, "/etc/resolv.conf", rs->old, rs->old_len, 0644);
	}
	free(rs->old);
}

/* A file inside the system exists (a regular file). */
static bool exists_in(const struct target *t, const char *rel)
{
	const char *base;
	int dfd = util_open_parent_in_root(t->root, rel, &base);
	if (dfd < 0) {
		return false;
	}
	struct stat st;
	bool ok = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
	close(dfd);
	return ok;
}

/* The cached .deb of NAME VERSION (ARCH, or "all"), as a path inside the system; false if none */
static bool cached_deb(const struct target *t, const char *name, const char *version,
		       const char *arch, char *path, size_t size)
{
	const char *archs[] = { arch, "all" };
	for (size_t i = 0; i < 2; i++) {
		char deb[400];
		if (!archs[i] || !*archs[i]) {
			continue;
		}
		packages_deb_name(deb, sizeof(deb), name, version, archs[i]);
		snprintf(path, size, ARCHIVES "/%s", deb);
		if (exists_in(t, path)) {
			return true;
		}
	}
	return false;
}

/* The installed version and architecture of NAME; false when it is not installed. */
static bool installed(struct cli *c, const struct target *t, const char *name, char *version,
		      char *arch)
{
	const char *argv[] = { "dpkg-query",   "--show",
			       "--showformat", "${db:Status-Status} ${Version} ${Architecture}\n",
			       name,           NULL };
	struct run_result r = { 0 };
	bool ok = false;
	if (run_in(c, t, argv, false, &r) == 0 && r.status == 0 && r.out) {
		char st[32], v[128], a[32];
		ok = sscanf(r.out, "%31s %127s %31s", st, v, a) == 3 && !strcmp(st, "installed") &&
		     packages_valid_version(v) && packages_valid_arch(a);
		if (ok) {
			strcpy(version, v);
			strcpy(arch, a);
		}
	}
	run_result_clear(&r);
	return ok;
}

/* apt-get with ARGS (after "apt-get -y -o Dpkg::Options::=--force-confold"), shown. */
static int apt_get(struct cli *c, const struct target *t, const char *const *args, size_t n,
		   bool network)
{
	const char **argv = calloc(n + 8, sizeof(*argv));
	if (!argv) {
		return -ENOMEM;
	}
	size_t k = 0;
	argv[k++] = "apt-get";
	argv[k++] = "-y";
	argv[k++] = "-o";
	argv[k++] = "Dpkg::Options::=--force-confold";
	for (size_t i = 0; i < n; i++) {
		argv[k++] = args[i];
	}
	argv[k] = NULL;
	struct resolv rs = { 0 };
	if (network) {
		resolv_provide(t, &rs);
	}
	struct run_result r = { 0 };
	int e = run_in(c, t, argv, true, &r);
	if (network) {
		resolv_restore(t, &rs);
	}
	free(argv);
	int st = r.status;
	run_result_clear(&r);
	if (e < 0) {
		return e;
	}
	return st == 0 ? 0 : -EIO;
}

/* apt-get install --reinstall of N .deb paths or PKG=VERSION specs */
static int reinstall(struct cli *c, const struct target *t, const char *const *what, size_t n,
		     bool network)
{
	const char *args[REPAIR_MAX + 2];
	size_t k = 0;
	args[k++] = "install";
	args[k++] = "--reinstall";
	for (size_t i = 0; i < n && i < REPAIR_MAX; i++) {
		args[k++] = what[i];
	}
	return apt_get(c, t, args, k, network);
}

static int do_repair(struct cli *c, const struct systems_system *sys, char **want, size_t n_want)
{
	for (size_t i = 0; i < n_want; i++) {
		if (!packages_valid_name(want[i])) {
			return cli_usage(c, "'%.60s' is not a package name", want[i]);
		}
	}
	struct target *t;
	char why[256];
	if (target_open(&c->systems, sys, TARGET_CHROOT, &t, why, sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	struct packages_verify v = { 0 };
	const char *names[REPAIR_MAX];
	size_t n = 0;
	int rc = CLI_OK;
	if (n_want == 0) {
		cli_say(c, "Checking the packages of %s with its dpkg --verify...", sys->id);
		if (verify(c, t, &v, NULL, 0) < 0) {
			target_close(t);
			packages_verify_free(&v);
			return cli_fail(c, "cannot verify the packages of %s", sys->id);
		}
		n = damaged(&v, names, REPAIR_MAX);
		if (n == 0) {
			target_close(t);
			packages_verify_free(&v);
			cli_say(c, "No package has modified or missing files: nothing to repair.");
			return CLI_OK;
		}
	} else {
		for (size_t i = 0; i < n_want && n < REPAIR_MAX; i++) {
			names[n++] = want[i];
		}
	}
	/* where each package comes from: the cache, else the sources */
	char debs[REPAIR_MAX][512], specs[REPAIR_MAX][300];
	const char *from_cache[REPAIR_MAX], *from_net[REPAIR_MAX];
	size_t nc = 0, nn = 0;
	char plan[4096] = "";
	for (size_t i = 0; i < n; i++) {
		char ver[128], arch[32];
		if (!installed(c, t, names[i], ver, arch)) {
			rc = cli_fail(c, "%s is not installed in %s", names[i], sys->id);
			goto out;
		}
		size_t l = strlen(plan);
		if (cached_deb(t, names[i], ver, arch, debs[nc], sizeof(debs[nc]))) {
			snprintf(plan + l, sizeof(plan) - l, "  %s %s from %s\n", names[i], ver,
				 debs[nc]);
			from_cache[nc] = debs[nc];
			nc++;
		} else {
			snprintf(specs[nn], sizeof(specs[nn]), "%s=%s", names[i], ver);
			snprintf(plan + l, sizeof(plan) - l,
				 "  %s %s from the apt sources (network)\n", names[i], ver);
			from_net[nn] = specs[nn];
			nn++;
		}
	}
	target_close(t);
	t = NULL;
	cli_say(c, "Reinstall in %s:\n%s", sys->id, plan);
	int answer = cli_confirm_change(c, "Reinstall these packages?");
	if (answer != CLI_GO) {
		rc = answer;
		goto out;
	}
	if (target_open(&c->systems, sys, TARGET_RW | TARGET_CHROOT, &t, why, sizeof(why)) < 0) {
		rc = cli_fail(c, "%s", why);
		goto out;
	}
	/* the damaged files themselves are kept: someone may want to see what changed them */
	size_t kept = 0;
	for (size_t i = 0; i < v.n && kept < 64; i++) {
		if (!v.f[i].missing && !v.f[i].conffile && v.f[i].package[0] &&
		    audit_backup(t, "packages", v.f[i].path, NULL, 0) == 0) {
			kept++;
		}
	}
	audit_backup(t, "packages", "/var/lib/dpkg/status", NULL, 0);
	if (nc && reinstall(c, t, from_cache, nc, false) < 0) {
		rc = cli_fail(c, "reinstalling from %s failed (see apt's output above)", ARCHIVES);
		goto out;
	}
	if (nn && reinstall(c, t, from_net, nn, true) < 0) {
		rc = cli_fail(c, "reinstalling from the apt sources failed (no network, or the "
				 "version is no longer there; see apt's output above)");
		goto out;
	}
	{
		char list[1024] = "";
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(list);
			snprintf(list + l, sizeof(list) - l, "%s%s", i ? " " : "", names[i]);
		}
		audit_record(t, sys->id, "packages", "reinstalled %s", list);
	}
	/* and again, the reinstalled packages (all of them take minutes on a slow disk) */
	struct packages_verify after = { 0 };
	if (verify(c, t, &after, names, n) < 0) {
		rc = cli_fail(c, "the packages were reinstalled, but dpkg --verify failed after");
		goto out;
	}
	const char *still[REPAIR_MAX];
	size_t n_still = damaged(&after, still, REPAIR_MAX);
	if (c->json) {
		print_result(sys, "reinstalled", names, n, &after);
	}
	if (n_still) {
		cli_say(c, "dpkg --verify still finds damaged files in %zu of the packages:", n_still);
		if (!c->json) {
			verify_print(&after);
		}
		rc = CLI_FAIL;
	} else {
		cli_say(c, "Repaired: dpkg --verify of the reinstalled packages finds nothing damaged.");
	}
	packages_verify_free(&after);
out:
	target_close(t);
	packages_verify_free(&v);
	return rc;
}

/* --- history --------------------------------------------------------------------------------- */

/* Reads a (possibly gzip-compressed) file inside ROOT, at most HISTORY_MAX bytes. */
static int read_log(const char *root, const char *rel, char **ret, size_t *ret_len)
{
	int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		return -errno;
	}
	int fd = util_open_in_root(rfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
	close(rfd);
	if (fd < 0) {
		return fd;
	}
	gzFile gz = gzdopen(fd, "rb"); /* reads plain files as they are */
	if (!gz) {
		close(fd);
		return -ENOMEM;
	}
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap + 1);
	int e = 0;
	while (buf) {
		if (len == cap) {
			if (cap >= HISTORY_MAX) {
				break; /* the rest is cut off */
			}
			char *p = realloc(buf, 2 * cap + 1);
			if (!p) {
				break;
			}
			buf = p;
			cap *= 2;
		}
		int n = gzread(gz, buf + len, (unsigned)(cap - len));
		if (n < 0) {
			e = -EIO;
			break;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	gzclose(gz);
	if (!buf) {
		return -ENOMEM;
	}
	if (e < 0 && len == 0) {
		free(buf);
		return e;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

static int load_history(const char *root, struct packages_history *h)
{
	/* rotated files first, the oldest (highest number) first */
	int nums[100];
	size_t nn = 0;
	DIR *d = util_opendir_in_root(root, HISTORY_DIR);
	if (!d) {
		return -errno;
	}
	struct dirent *de;
	while ((de = readdir(d)) && nn < 100) {
		int num;
		char tail[8];
		if (sscanf(de->d_name, "history.log.%d%7s", &num, tail) >= 1 && num > 0 &&
		    num < 1000) {
			nums[nn++] = num;
		}
	}
	closedir(d);
	for (size_t i = 0; i < nn; i++) {
		for (size_t k = i + 1; k < nn; k++) {
			if (nums[k] > nums[i]) {
				int x = nums[i];
				nums[i] = nums[k];
				nums[k] = x;
			}
		}
	}
	int found = 0;
	for (size_t i = 0; i <= nn; i++) {
		if (i > 0 && i < nn && nums[i] == nums[i - 1]) {
			continue; /* history.log.N and history.log.N.gz: one file */
		}
		char rel[128];
		char *text;
		size_t len;
		int e;
		if (i < nn) {
			/* logrotate compresses all but the newest rotated file (delaycompress) */
			snprintf(rel, sizeof(rel), HISTORY_DIR "/history.log.%d.gz", nums[i]);
			e = read_log(root, rel, &text, &len);
			if (e < 0) {
				snprintf(rel, sizeof(rel), HISTORY_DIR "/history.log.%d", nums[i]);
				e = read_log(root, rel, &text, &len);
			}
		} else {
			snprintf(rel, sizeof(rel), HISTORY_DIR "/history.log");
			e = read_log(root, rel, &text, &len);
		}
		if (e < 0) {
			continue;
		}
		found++;
		e = packages_history_parse(h, text, len);
		free(text);
		if (e < 0) {
			return e;
		}
	}
	packages_history_number(h);
	return found ? 0 : -ENOENT;
}

static int open_history(struct cli *c, const struct systems_system *sys, struct packages_history *h)
{
	struct target *t;
	char why[256];
	if (target_open(&c->systems, sys, 0, &t, why, sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	int e = load_history(t->root, h);
	target_close(t);
	if (e == -ENOENT) {
		return cli_fail(c, "%s has no apt history (" HISTORY_DIR "/history.log)", sys->id);
	}
	if (e < 0) {
		return cli_fail(c, "cannot read the apt history of %s: %s", sys->id, strerror(-e));
	}
	return CLI_OK;
}

static void print_change(const struct packages_change *ch)
{
	if (ch->old_version[0]) {
		printf("    %-9s %s %s -> %s\n", packages_action_name(ch->action), ch->name,
		       ch->old_version, ch->version);
	} else {
		printf("    %-9s %s %s%s\n", packages_action_name(ch->action), ch->name,
		       ch->version, ch->automatic ? " (automatic)" : "");
	}
}

static struct json_object *transaction_json(const struct packages_transaction *tr)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int(tr->id));
	json_object_object_add(o, "start", json_object_new_string(tr->start));
	json_object_object_add(o, "end", json_object_new_string(tr->end));
	json_object_object_add(o, "commandline", json_object_new_string(tr->commandline));
	json_object_object_add(o, "requested_by", json_object_new_string(tr->requested_by));
	json_object_object_add(o, "error", json_object_new_boolean(tr->error));
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < tr->n; i++) {
		const struct packages_change *ch = &tr->ch[i];
		struct json_object *x = json_object_new_object();
		json_object_object_add(x, "action",
				       json_object_new_string(packages_action_name(ch->action)));
		json_object_object_add(x, "package", json_object_new_string(ch->name));
		json_object_object_add(x, "arch", json_object_new_string(ch->arch));
		json_object_object_add(x, "old_version", json_object_new_string(ch->old_version));
		json_object_object_add(x, "version", json_object_new_string(ch->version));
		json_object_object_add(x, "automatic", json_object_new_boolean(ch->automatic));
		json_object_array_add(arr, x);
	}
	json_object_object_add(o, "changes", arr);
	return o;
}

static int do_history(struct cli *c, const struct systems_system *sys)
{
	struct packages_history h = { 0 };
	int rc = open_history(c, sys, &h);
	if (rc != CLI_OK) {
		packages_history_free(&h);
		return rc;
	}
	if (c->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "system", json_object_new_string(sys->id));
		struct json_object *arr = json_object_new_array();
		for (size_t i = h.n; i-- > 0;) {
			json_object_array_add(arr, transaction_json(&h.t[i]));
		}
		json_object_object_add(o, "transactions", arr);
		cli_print_json(o);
	} else {
		printf("apt transactions of %s, newest first (roll back with --rollback ID):\n",
		       sys->id);
		for (size_t i = h.n; i-- > 0;) {
			const struct packages_transaction *tr = &h.t[i];
			printf("%3d  %s  %s%s\n", tr->id, tr->start,
			       tr->commandline[0] ? tr->commandline : "(no command line)",
			       tr->error ? "  [ended with an error]" : "");
			for (size_t k = 0; k < tr->n; k++) {
				print_change(&tr->ch[k]);
			}
			if (tr->dropped) {
				printf("    (%zu entries not understood)\n", tr->dropped);
			}
		}
	}
	packages_history_free(&h);
	return CLI_OK;
}

/* --- rollback -------------------------------------------------------------------------------- */

static int do_rollback(struct cli *c, const struct systems_system *sys, int id)
{
	struct packages_history h = { 0 };
	int rc = open_history(c, sys, &h);
	if (rc != CLI_OK) {
		packages_history_free(&h);
		return rc;
	}
	const struct packages_transaction *tr = packages_history_find(&h, id);
	if (!tr) {
		packages_history_free(&h);
		return cli_usage(c, "no transaction %d in the history of %s (see --history)", id,
				 sys->id);
	}
	struct target *t = NULL;
	char why[256];
	/* apt's arguments: cached .debs and PKG=VERSION to put back, PKG- to remove */
	const char **args = calloc(tr->n + 4, sizeof(*args));
	char(*bufs)[512] = calloc(tr->n + 1, sizeof(*bufs));
	size_t k = 0, n_net = 0;
	char plan[8192] = "";
	if (!args || !bufs) {
		rc = cli_fail(c, "out of memory");
		goto out;
	}
	if (target_open(&c->systems, sys, TARGET_CHROOT, &t, why, sizeof(why)) < 0) {
		rc = cli_fail(c, "%s", why);
		goto out;
	}
	args[k++] = "install";
	args[k++] = "--allow-downgrades";
	size_t first = k;
	for (size_t i = 0; i < tr->n; i++) {
		const struct packages_change *ch = &tr->ch[i];
		const char *back =
			ch->action == PACKAGES_UPGRADE || ch->action == PACKAGES_DOWNGRADE
				? ch->old_version
			: ch->action == PACKAGES_REMOVE || ch->action == PACKAGES_PURGE
				? ch->version
				: NULL;
		size_t l = strlen(plan);
		if (ch->action == PACKAGES_REINSTALL) {
			continue;
		}
		if (ch->action == PACKAGES_INSTALL) {
			snprintf(bufs[i], sizeof(bufs[i]), "%s-", ch->name);
			snprintf(plan + l, sizeof(plan) - l, "  remove    %s (installed %s)\n",
				 ch->name, ch->version);
			args[k++] = bufs[i];
			continue;
		}
		if (cached_deb(t, ch->name, back, ch->arch, bufs[i], sizeof(bufs[i]))) {
			snprintf(plan + l, sizeof(plan) - l, "  %-9s %s %s from %s\n",
				 ch->action == PACKAGES_UPGRADE     ? "downgrade"
				 : ch->action == PACKAGES_DOWNGRADE ? "upgrade"
								    : "install",
				 ch->name, back, bufs[i]);
			args[k++] = bufs[i];
			continue;
		}
		/* not cached: the system's sources must have that version */
		snprintf(bufs[i], sizeof(bufs[i]), "%s=%s", ch->name, back);
		const char *show[] = { "apt-cache", "show", "--no-all-versions", bufs[i], NULL };
		struct run_result r = { 0 };
		int e = run_in(c, t, show, false, &r);
		bool there = e == 0 && r.status == 0 && r.out && strstr(r.out, "Package:");
		run_result_clear(&r);
		if (!there) {
			/* apt's history names arch-all packages with the native architecture */
			char deb[400];
			packages_deb_name(deb, sizeof(deb), ch->name, back,
					  ch->arch[0] ? ch->arch : "all");
			rc = cli_fail(c,
				      "cannot roll back transaction %d: %s %s is missing: no %s%s "
				      "in " ARCHIVES
				      " and the system's apt sources do not offer it",
				      id, ch->name, back, deb, ch->arch[0] ? " (or _all.deb)" : "");
			goto out;
		}
		snprintf(plan + l, sizeof(plan) - l, "  %-9s %s %s from the apt sources\n",
			 ch->action == PACKAGES_UPGRADE     ? "downgrade"
			 : ch->action == PACKAGES_DOWNGRADE ? "upgrade"
							    : "install",
			 ch->name, back);
		args[k++] = bufs[i];
		n_net++;
	}
	target_close(t);
	t = NULL;
	if (k == first) {
		cli_say(c, "Transaction %d changed nothing that can be rolled back.", id);
		goto out;
	}
	if (!c->json) {
		printf("Roll back transaction %d of %s (%s, %s):\n%s", id, sys->id, tr->start,
		       tr->commandline, plan);
	}
	int answer = cli_confirm_change(c, "Apply this rollback?");
	if (answer != CLI_GO) {
		if (c->json) {
			cli_print_json(transaction_json(tr));
		}
		rc = answer;
		goto out;
	}
	if (target_open(&c->systems, sys, TARGET_RW | TARGET_CHROOT, &t, why, sizeof(why)) < 0) {
		rc = cli_fail(c, "%s", why);
		goto out;
	}
	audit_backup(t, "packages", "/var/lib/dpkg/status", NULL, 0);
	if (apt_get(c, t, args, k, n_net > 0) < 0) {
		rc = cli_fail(
			c, "apt-get could not roll back transaction %d (see its output above)", id);
		goto out;
	}
	audit_record(t, sys->id, "packages", "rolled back apt transaction %d (%s, %s)", id,
		     tr->start, tr->commandline);
	cli_say(c, "Rolled back transaction %d.", id);
	if (c->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "system", json_object_new_string(sys->id));
		json_object_object_add(o, "rolled_back", transaction_json(tr));
		cli_print_json(o);
	}
out:
	target_close(t);
	free(args);
	free(bufs);
	packages_history_free(&h);
	return rc;
}

/* --- the text UI ----------------------------------------------------------------------------- */

static int interactive(struct cli *c, const struct systems_system *sys)
{
	static const char *const items[] = { "Check the packages (verify)",
					     "Repair the damaged packages",
					     "List the apt transactions",
					     "Roll back an apt transaction" };
	int k = tui_choose("Packages", sys->name, items, 4);
	int rc = CLI_OK;
	if (k < 0) {
		return CLI_OK;
	}
	if (k == 0) {
		rc = do_verify(c, sys);
	} else if (k == 1) {
		c->yes =
			tui_yesno("Packages", "Reinstall every package with damaged files from the "
					      "system's apt cache (or its sources)?");
		if (!c->yes) {
			return CLI_OK;
		}
		rc = do_repair(c, sys, NULL, 0);
	} else if (k == 2) {
		rc = do_history(c, sys);
	} else {
		struct packages_history h = { 0 };
		if (open_history(c, sys, &h) != CLI_OK) {
			packages_history_free(&h);
			tui_pause();
			return CLI_FAIL;
		}
		size_t n = h.n < 50 ? h.n : 50;
		const char **labels = calloc(n + 1, sizeof(*labels));
		char(*buf)[160] = calloc(n + 1, sizeof(*buf));
		for (size_t i = 0; labels && buf && i < n; i++) {
			const struct packages_transaction *tr = &h.t[h.n - 1 - i];
			snprintf(buf[i], sizeof(buf[i]), "%3d %s %.100s", tr->id, tr->start,
				 tr->commandline);
			labels[i] = buf[i];
		}
		int pick = labels && buf ? tui_choose("Packages", "Roll back which transaction?",
						      labels, n)
					 : -1;
		int id = pick >= 0 ? h.t[h.n - 1 - (size_t)pick].id : -1;
		free(labels);
		free(buf);
		packages_history_free(&h);
		if (id < 0) {
			return CLI_OK;
		}
		/* the plan is printed, then asked on the terminal */
		rc = do_rollback(c, sys, id);
	}
	tui_pause();
	return rc;
}

int tool_packages(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "repair", no_argument, NULL, OPT_REPAIR },
		{ "history", no_argument, NULL, OPT_HISTORY },
		{ "rollback", required_argument, NULL, OPT_ROLLBACK },
		{ 0 },
	};
	int mode = 0, n_modes = 0, id = 0;
	int o;
	while ((o = cli_getopt(c, argc, argv, opts)) > 0) {
		if (o == OPT_ROLLBACK) {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg || v < 1 || v > PACKAGES_TRANSACTIONS_MAX) {
				return cli_usage(c,
						 "--rollback needs a transaction number from "
						 "--history, not '%.40s'",
						 optarg);
			}
			id = (int)v;
		}
		n_modes += mode != o;
		mode = o;
	}
	int go = cli_options_done(c, o, argc, argv, help, mode == OPT_REPAIR);
	if (go != CLI_GO) {
		return go;
	}
	if (n_modes > 1) {
		return cli_usage(c, "choose one of --verify, --repair, --history and --rollback");
	}
	if (!mode && !(c->tty && !c->json)) {
		return cli_usage(c, "--verify, --repair, --history or --rollback ID is needed");
	}
	const struct systems_system *sys;
	int r = cli_pick_system(c, &sys);
	if (r != CLI_OK) {
		return r;
	}
	if (sys->kind != SYSTEMS_LINUX) {
		return cli_fail(c, "%s is a Windows installation; it has no Debian packages",
				sys->id);
	}
	switch (mode) {
	case OPT_VERIFY:
		return do_verify(c, sys);
	case OPT_REPAIR:
		return do_repair(c, sys, argv + optind, (size_t)(argc - optind));
	case OPT_HISTORY:
		return do_history(c, sys);
	case OPT_ROLLBACK:
		return do_rollback(c, sys, id);
	default:
		return interactive(c, sys);
	}
}
