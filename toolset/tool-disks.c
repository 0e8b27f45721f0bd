/*
 * disks (DaRT's Disk Commander): every disk with its partition table, file systems and health;
 * a partition table saved to a file and restored from it; lost partitions found by testdisk and
 * written back.  Every write shows the difference first, keeps the disk's first and last MiB,
 * and writes an audit line.
 */
#include "audit.h"
#include "disk.h"
#include "run.h"
#include "tools.h"
#include "tui.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char help[] =
	"Usage: lifeline disks [--all] [--json]\n"
	"       lifeline disks --save-table DISK FILE\n"
	"       lifeline disks --restore-table DISK FILE [--yes]\n"
	"       lifeline disks --find-lost DISK [--yes]\n"
	"\n"
	"Without an action: every disk with its model, serial, size, transport, partition table,\n"
	"partitions (start, size, type, file system, label) and health (SMART for ATA and NVMe\n"
	"where the device offers it).  The disk Lifeline booted from is marked.\n"
	"  --all                also loop, ram and zram devices\n"
	"  --save-table DISK FILE\n"
	"                       save DISK's partition table (sfdisk --dump, GPT included) to FILE\n"
	"                       (mode 0600, written atomically; FILE must not be on DISK)\n"
	"  --restore-table DISK FILE\n"
	"                       write the table saved in FILE to DISK: the difference is shown,\n"
	"                       the first and last MiB of DISK are kept, then it is written\n"
	"  --find-lost DISK     look for lost partitions with testdisk (quick search) and show "
	"the\n"
	"                       MBR table that would be written; written after a question (--yes)\n"
	"On a terminal without an action, a menu offers the same.\n"
	"\n"
	"Options:\n" CLI_COMMON_HELP;

enum {
	OPT_ALL = CLI_OPT_FIRST_TOOL,
	OPT_SAVE,
	OPT_RESTORE,
	OPT_FIND,
};

/* the first and the last MiB: the MBR, both GPT headers and their tables */
#define KEEP_BYTES (1u << 20)
#define TESTDISK_LOG_MAX (8u << 20)

/* ---- listing ---- */

static struct json_object *jstr(const char *s)
{
	char clean[512];
	util_sanitize(clean, sizeof(clean), s ? s : "");
	return json_object_new_string(clean);
}

static const char *jget_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string)) {
		return "";
	}
	return json_object_get_string(v);
}

static int64_t jget_int(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int)) {
		return -1;
	}
	return json_object_get_int64(v);
}

/* The partition number of a node name (/dev/vda1 -> 1, /dev/nvme0n1p2 -> 2); -1 when none. */
static int node_number(const char *node)
{
	size_t l = strlen(node), i = l;
	while (i > 0 && node[i - 1] >= '0' && node[i - 1] <= '9') {
		i--;
	}
	return i == l || l - i > 3 ? -1 : atoi(node + i);
}

/* The disk's table as JSON (our own shape); NULL when it has none. */
static struct json_object *table_json(const struct disk *d, char *label, size_t label_size)
{
	const char *argv[] = { "sfdisk", "--json", d->path, NULL };
	struct run_result r = { 0 };
	label[0] = '\0';
	if (run_capture(argv, &r) < 0 || r.status != 0 || !r.out) {
		run_result_clear(&r);
		return NULL;
	}
	struct json_tokener *tok = json_tokener_new_ex(16);
	struct json_object *root = tok ? json_tokener_parse_ex(tok, r.out, (int)r.out_len) : NULL;
	json_tokener_free(tok);
	run_result_clear(&r);
	struct json_object *pt, *parts;
	if (!root || !json_object_object_get_ex(root, "partitiontable", &pt)) {
		json_object_put(root);
		return NULL;
	}
	util_sanitize(label, label_size, jget_str(pt, "label"));
	struct json_object *out = json_object_new_array();
	if (json_object_object_get_ex(pt, "partitions", &parts) &&
	    json_object_is_type(parts, json_type_array)) {
		size_t n = json_object_array_length(parts);
		for (size_t i = 0; i < n && i < 256; i++) {
			struct json_object *p = json_object_array_get_idx(parts, i), *b;
			const char *node = jget_str(p, "node");
			struct systems_dev dev = { 0 };
			if (util_startswith(node, "/dev/") && strlen(node) < sizeof(dev.path)) {
				snprintf(dev.path, sizeof(dev.path), "%s", node);
				systems_probe_dev(&dev);
			}
			struct json_object *o = json_object_new_object();
			json_object_object_add(o, "number", json_object_new_int(node_number(node)));
			json_object_object_add(o, "path", jstr(node));
			json_object_object_add(o, "start",
					       json_object_new_int64(jget_int(p, "start")));
			json_object_object_add(o, "size",
					       json_object_new_int64(jget_int(p, "size") * 512));
			json_object_object_add(o, "type", jstr(jget_str(p, "type")));
			json_object_object_add(o, "name", jstr(jget_str(p, "name")));
			json_object_object_add(o, "bootable",
					       json_object_new_boolean(json_object_object_get_ex(
									       p, "bootable", &b) &&
								       json_object_get_boolean(b)));
			json_object_object_add(o, "fstype", jstr(dev.fstype));
			json_object_object_add(o, "label", jstr(dev.label));
			json_object_array_add(out, o);
		}
	}
	json_object_put(root);
	return out;
}

static bool smart_transport(const char *t)
{
	return !strcmp(t, "ata") || !strcmp(t, "nvme") || !strcmp(t, "scsi") || !strcmp(t, "usb");
}

static void health_of(const struct disk *d, struct disk_health *h)
{
	disk_parse_smart(NULL, 0, h);
	if (!smart_transport(d->transport)) {
		snprintf(h->summary, sizeof(h->summary), "not offered (%s)",
			 d->transport[0] ? d->transport : "unknown transport");
		return;
	}
	const char *argv[] = { "smartctl", "-j", "-H", "-A", d->path, NULL };
	struct run_result r = { 0 };
	if (run_capture(argv, &r) == 0 && r.out) {
		disk_parse_smart(r.out, r.out_len, h);
	} else {
		snprintf(h->summary, sizeof(h->summary), "not offered (smartctl did not run)");
	}
	run_result_clear(&r);
}

static int list_disks(struct cli *c, bool all)
{
	struct disk *v;
	size_t n;
	int e = disk_list(all, &v, &n);
	if (e < 0) {
		return cli_fail(c, "cannot list the disks: %s", strerror(-e));
	}
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		const struct disk *d = &v[i];
		char label[16], size[32];
		struct disk_health h;
		struct json_object *parts = table_json(d, label, sizeof(label));
		health_of(d, &h);
		disk_size_text(d->size, size, sizeof(size));
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", jstr(d->name));
		json_object_object_add(o, "path", jstr(d->path));
		json_object_object_add(o, "model", jstr(d->model));
		json_object_object_add(o, "serial", jstr(d->serial));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)d->size));
		json_object_object_add(o, "size_text", jstr(size));
		json_object_object_add(o, "transport", jstr(d->transport));
		json_object_object_add(o, "removable", json_object_new_boolean(d->removable));
		json_object_object_add(o, "read_only", json_object_new_boolean(d->ro));
		json_object_object_add(o, "lifeline_medium", json_object_new_boolean(d->medium));
		if (d->medium) {
			json_object_object_add(o, "medium", jstr(d->medium_why));
		}
		json_object_object_add(o, "table", parts ? jstr(label) : NULL);
		struct json_object *ho = json_object_new_object();
		json_object_object_add(ho, "offered", json_object_new_boolean(h.offered));
		if (h.offered) {
			json_object_object_add(ho, "passed", json_object_new_boolean(h.passed));
		}
		json_object_object_add(ho, "summary", jstr(h.summary));
		if (h.temperature >= 0) {
			json_object_object_add(ho, "temperature",
					       json_object_new_int(h.temperature));
		}
		if (h.power_on_hours >= 0) {
			json_object_object_add(ho, "power_on_hours",
					       json_object_new_int64(h.power_on_hours));
		}
		json_object_object_add(o, "health", ho);
		json_object_object_add(o, "partitions", parts ? parts : json_object_new_array());
		json_object_array_add(arr, o);
	}
	free(v);
	if (c->json) {
		struct json_object *root = json_object_new_object();
		json_object_object_add(root, "disks", arr);
		cli_print_json(root);
		return CLI_OK;
	}
	size_t nd = json_object_array_length(arr);
	if (nd == 0) {
		printf("No disks.\n");
	}
	for (size_t i = 0; i < nd; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *ho, *parts, *tb;
		json_object_object_get_ex(o, "health", &ho);
		json_object_object_get_ex(o, "partitions", &parts);
		json_object_object_get_ex(o, "table", &tb);
		printf("%s  %s  %s  model %s  serial %s%s%s\n", jget_str(o, "path"),
		       jget_str(o, "size_text"), jget_str(o, "transport"),
		       *jget_str(o, "model") ? jget_str(o, "model") : "-",
		       *jget_str(o, "serial") ? jget_str(o, "serial") : "-",
		       json_object_get_boolean(json_object_object_get(o, "removable"))
			       ? "  removable"
			       : "",
		       json_object_get_boolean(json_object_object_get(o, "lifeline_medium"))
			       ? "  [Lifeline booted from this disk]"
			       : "");
		printf("    table: %s   health: %s\n", tb ? json_object_get_string(tb) : "none",
		       jget_str(ho, "summary"));
		size_t np = json_object_array_length(parts);
		for (size_t k = 0; k < np; k++) {
			struct json_object *p = json_object_array_get_idx(parts, k);
			char psize[32];
			disk_size_text((uint64_t)jget_int(p, "size"), psize, sizeof(psize));
			printf("    %3d  %-16s start %-10" PRId64 " %10s  type %-8.36s %-8s %s\n",
			       (int)jget_int(p, "number"), jget_str(p, "path"),
			       jget_int(p, "start"), psize, jget_str(p, "type"),
			       *jget_str(p, "fstype") ? jget_str(p, "fstype") : "-",
			       jget_str(p, "label"));
		}
	}
	json_object_put(arr);
	return CLI_OK;
}

/* ---- shared by the actions ---- */

/* The whole disk ARG names, refused when it is a partition or not a block device. */
static int whole_disk(struct cli *c, const char *arg, struct disk *d)
{
	char part[64];
	if (!run_have(NULL, "sfdisk")) {
		return cli_fail(c, "sfdisk (package fdisk) is not installed");
	}
	int e = disk_of(arg, d, part, sizeof(part));
	if (e == -ENOTBLK || e == -ENOENT) {
		return cli_usage(c, "%.100s is not a disk", arg);
	}
	if (e < 0) {
		return cli_fail(c, "%.100s: %s", arg, strerror(-e));
	}
	if (part[0]) {
		return cli_usage(c, "%.100s is a partition; give the whole disk (%s)", arg,
				 d->path);
	}
	return CLI_GO;
}

/* sfdisk --dump of D into *RET ("" when the disk has no table). */
static int dump_table(const struct disk *d, char **ret)
{
	const char *argv[] = { "sfdisk", "--dump", d->path, NULL };
	struct run_result r = { 0 };
	int e = run_capture(argv, &r);
	if (e < 0) {
		return e;
	}
	*ret = strdup(r.status == 0 && r.out ? r.out : "");
	run_result_clear(&r);
	return *ret ? 0 : -ENOMEM;
}

static int changeable(struct cli *c, const struct disk *d)
{
	char why[256];
	if (d->medium) {
		return cli_fail(c, "%s is the disk Lifeline booted from (%s); it is not changed",
				d->path, d->medium_why);
	}
	if (disk_busy(d->name, why, sizeof(why))) {
		return cli_fail(c, "%s is in use: %s", d->path, why);
	}
	return CLI_GO;
}

/* Keeps the first and last MiB of D and its current dump; WHERE gets the first file's path. */
static int keep_sectors(const struct disk *d, const char *dump, char *where, size_t where_size)
{
	char name[96];
	int e = 0;
	char *buf = malloc(KEEP_BYTES);
	int fd = open(d->path, O_RDONLY | O_CLOEXEC);
	if (!buf || fd < 0) {
		e = !buf ? -ENOMEM : -errno;
		goto out;
	}
	uint64_t len = d->size < KEEP_BYTES ? d->size : KEEP_BYTES;
	uint64_t offs[2] = { 0, d->size - len };
	for (int k = 0; k < 2 && e == 0; k++) {
		ssize_t n = pread(fd, buf, len, (off_t)offs[k]);
		if (n != (ssize_t)len) {
			e = n < 0 ? -errno : -EIO;
			break;
		}
		snprintf(name, sizeof(name), "%s-%s-%" PRIu64 ".bin", d->name,
			 k == 0 ? "first" : "last", offs[k]);
		e = audit_keep("disks", name, buf, len, k == 0 ? where : NULL, where_size);
	}
	if (e == 0) {
		snprintf(name, sizeof(name), "%s.sfdisk", d->name);
		e = audit_keep("disks", name, dump, strlen(dump), NULL, 0);
	}
out:
	if (fd >= 0) {
		close(fd);
	}
	free(buf);
	return e;
}

/*
 * Writes SCRIPT to D after showing DIFF and asking; WHAT goes to the audit line.  JSON (when
 * non-NULL) gets "written" and "backup".
 */
static int write_table(struct cli *c, const struct disk *d, const char *script, const char *dump,
		       const char *diff, const char *what, struct json_object *json)
{
	char q[256];
	cli_say(c, "Changes to the partition table of %s:\n%s", d->path,
		diff[0] ? diff : "(none)\n");
	snprintf(q, sizeof(q), "Write this partition table to %s (%s %s)?", d->path,
		 d->model[0] ? d->model : "disk", d->serial);
	int r = cli_confirm_change(c, q);
	if (r != CLI_GO) {
		if (json) {
			json_object_object_add(json, "written", json_object_new_boolean(false));
			cli_print_json(json_object_get(json));
		}
		return r;
	}
	char backup[800] = "";
	int e = keep_sectors(d, dump, backup, sizeof(backup));
	if (e < 0) {
		return cli_fail(
			c, "cannot keep a copy of the first sectors of %s (%s); nothing written",
			d->path, strerror(-e));
	}
	/* never wipe the signatures of the file systems the table points at */
	const char *argv[] = { "sfdisk", "--wipe", "never", "--wipe-partitions",
			       "never",  d->path,  NULL };
	struct run_spec spec = { .argv = argv,
				 .input = script,
				 .input_len = strlen(script),
				 .capture = true,
				 .merge = true };
	struct run_result res = { 0 };
	e = run(&spec, &res);
	if (e < 0 || res.status != 0) {
		char tail[400] = "";
		if (res.out) {
			const char *t = res.out_len > 300 ? res.out + res.out_len - 300 : res.out;
			util_sanitize(tail, sizeof(tail), t);
		}
		run_result_clear(&res);
		audit_record(NULL, d->name, "disks", "writing %s to %s failed", what, d->path);
		return cli_fail(c, "sfdisk could not write the table to %s: %s", d->path,
				tail[0] ? tail : strerror(-e));
	}
	run_result_clear(&res);
	if (run_have(NULL, "udevadm")) {
		const char *settle[] = { "udevadm", "settle", "--timeout=30", NULL };
		run_capture(settle, &res);
		run_result_clear(&res);
	}
	audit_record(NULL, d->name, "disks",
		     "wrote %s to %s (model %s, serial %s); first sectors "
		     "kept as %s",
		     what, d->path, d->model[0] ? d->model : "-", d->serial[0] ? d->serial : "-",
		     backup);
	cli_say(c,
		"The partition table of %s is written; its first and last MiB before are kept "
		"as %s (and the -last- file beside it).",
		d->path, backup);
	if (json) {
		json_object_object_add(json, "written", json_object_new_boolean(true));
		json_object_object_add(json, "backup", jstr(backup));
		cli_print_json(json_object_get(json));
	}
	return CLI_OK;
}

/* ---- the actions ---- */

static int save_table(struct cli *c, const char *disk, const char *file)
{
	struct disk d;
	int r = whole_disk(c, disk, &d);
	if (r != CLI_GO) {
		return r;
	}
	if (disk_holds_path(&d, file)) {
		return cli_usage(c, "%.200s is on %s itself; save the table to another disk", file,
				 d.path);
	}
	char *dump;
	int e = dump_table(&d, &dump);
	if (e < 0) {
		return cli_fail(c, "cannot run sfdisk: %s", strerror(-e));
	}
	if (!dump[0]) {
		free(dump);
		return cli_fail(c, "%s has no partition table to save", d.path);
	}
	char stamp[32], size[32], dir[PATH_MAX], *copy = strdup(file);
	util_utc_stamp(stamp, sizeof(stamp));
	disk_size_text(d.size, size, sizeof(size));
	size_t cap = strlen(dump) + 512;
	char *text = malloc(cap);
	if (!copy || !text) {
		free(copy);
		free(text);
		free(dump);
		return cli_fail(c, "out of memory");
	}
	snprintf(text, cap, "# lifeline disks --save-table %s: %s, serial %s, %s, %s\n%s", d.path,
		 d.model[0] ? d.model : "-", d.serial[0] ? d.serial : "-", size, stamp, dump);
	free(dump);
	char *slash = strrchr(copy, '/');
	const char *base = slash ? slash + 1 : copy;
	if (slash) {
		*slash = '\0';
	}
	if (!base[0] || !realpath(slash ? (copy[0] ? copy : "/") : ".", dir)) {
		e = base[0] ? -errno : -EISDIR;
	} else {
		e = util_write_in_root(dir, base, text, strlen(text), 0600);
	}
	free(text);
	if (e < 0) {
		free(copy);
		return cli_fail(c, "cannot write %.200s: %s", file, strerror(-e));
	}
	audit_record(NULL, d.name, "disks",
		     "saved the partition table of %s (model %s, serial %s) "
		     "to %s/%s",
		     d.path, d.model[0] ? d.model : "-", d.serial[0] ? d.serial : "-", dir, base);
	if (c->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "disk", jstr(d.path));
		json_object_object_add(o, "file", jstr(file));
		cli_print_json(o);
	} else {
		printf("The partition table of %s is saved in %s.\n", d.path, file);
	}
	free(copy);
	return CLI_OK;
}

static int restore_table(struct cli *c, const char *disk, const char *file)
{
	struct disk d;
	int r = whole_disk(c, disk, &d);
	if (r != CLI_GO) {
		return r;
	}
	char *text = NULL, why[160];
	size_t len = 0;
	int e = util_read_file(file, 1u << 20, &text, &len);
	if (e < 0) {
		return cli_usage(c, "cannot read %.200s: %s", file, strerror(-e));
	}
	if (disk_check_dump(text, len, why, sizeof(why)) < 0) {
		free(text);
		return cli_usage(c, "%.200s is not a saved partition table: %s", file, why);
	}
	r = changeable(c, &d);
	if (r != CLI_GO) {
		free(text);
		return r;
	}
	/* sfdisk checks it against this disk (size, overlaps) without writing */
	const char *argv[] = { "sfdisk", "--no-act", "--wipe", "never", d.path, NULL };
	struct run_spec spec = {
		.argv = argv, .input = text, .input_len = len, .capture = true, .merge = true
	};
	struct run_result res = { 0 };
	e = run(&spec, &res);
	if (e < 0 || res.status != 0) {
		char tail[300] = "";
		if (res.out) {
			util_sanitize(tail, sizeof(tail),
				      res.out_len > 200 ? res.out + res.out_len - 200 : res.out);
		}
		run_result_clear(&res);
		free(text);
		return cli_fail(c, "the table in %.200s does not fit %s: %s", file, d.path, tail);
	}
	run_result_clear(&res);
	char *dump, *diff;
	if (dump_table(&d, &dump) < 0) {
		free(text);
		return cli_fail(c, "cannot run sfdisk");
	}
	diff = disk_dump_diff(dump, text);
	struct json_object *o = c->json ? json_object_new_object() : NULL;
	if (o) {
		json_object_object_add(o, "disk", jstr(d.path));
		json_object_object_add(o, "diff", json_object_new_string(diff ? diff : ""));
	}
	if (diff && !diff[0]) {
		cli_say(c, "%s already has the table saved in %s; nothing to write.", d.path, file);
		if (o) {
			json_object_object_add(o, "written", json_object_new_boolean(false));
			cli_print_json(o);
		}
		r = CLI_OK;
	} else {
		char what[400];
		snprintf(what, sizeof(what), "the partition table saved in %.300s", file);
		r = diff ? write_table(c, &d, text, dump, diff, what, o)
			 : cli_fail(c, "out of memory");
		json_object_put(o);
	}
	free(diff);
	free(dump);
	free(text);
	return r;
}

/* Runs testdisk's quick search on D and parses its log into FOUND; the count or an exit status
 * (negative: -CLI_FAIL / -CLI_USAGE). */
static int testdisk_search(struct cli *c, const struct disk *d, struct disk_found *found)
{
	char dir[] = "/run/lifeline/probe/testdisk-XXXXXX", log[80];
	util_mkdir_p("/run/lifeline/probe", 0700);
	if (!mkdtemp(dir)) {
		return -cli_fail(c, "cannot make a scratch directory: %s", strerror(errno));
	}
	snprintf(log, sizeof(log), "%s/testdisk.log", dir);
	cli_say(c, "testdisk is searching %s for partitions (quick search)...", d->path);
	/* testdisk writes testdisk.log in its working directory; its screen output is not used */
	const char *argv[] = { "testdisk", "/log", "/cmd", d->path, "analyze", NULL };
	const char *env[] = { "TERM=dumb", NULL };
	struct run_spec spec = { .argv = argv, .cwd = dir, .env = env };
	struct run_result res = { 0 };
	int e = run(&spec, &res);
	char *text = NULL;
	size_t len = 0;
	int n;
	if (e < 0 || res.status != 0) {
		n = -cli_fail(c, "testdisk failed on %s (%s)", d->path,
			      e < 0 ? strerror(-e) : "exit status not 0");
	} else if ((e = util_read_file(log, TESTDISK_LOG_MAX, &text, &len)) < 0) {
		n = -cli_fail(c, "testdisk left no log: %s", strerror(-e));
	} else {
		n = disk_parse_testdisk_log(text, len, found, DISK_FOUND_MAX);
		if (n < 0) {
			n = -cli_fail(c,
				      "testdisk's log is not as expected; run testdisk on %s "
				      "yourself",
				      d->path);
		}
	}
	run_result_clear(&res);
	free(text);
	unlink(log);
	rmdir(dir);
	return n;
}

static int find_lost(struct cli *c, const char *disk)
{
	struct disk d;
	int r = whole_disk(c, disk, &d);
	if (r != CLI_GO) {
		return r;
	}
	/* a disk that may not be written is refused before the search, not after it */
	if (c->yes && (r = changeable(c, &d)) != CLI_GO) {
		return r;
	}
	if (!run_have(NULL, "testdisk")) {
		return cli_fail(c, "testdisk is not installed");
	}
	static struct disk_found found[DISK_FOUND_MAX];
	int n = testdisk_search(c, &d, found);
	if (n < 0) {
		return -n;
	}
	struct json_object *o = c->json ? json_object_new_object() : NULL, *arr = NULL;
	if (o) {
		arr = json_object_new_array();
		json_object_object_add(o, "disk", jstr(d.path));
		json_object_object_add(o, "found", arr);
	}
	if (n == 0) {
		cli_say(c, "testdisk found no partitions on %s.", d.path);
	} else {
		cli_say(c,
			"testdisk found on %s:\n  #  boot  type             start       size  "
			"label",
			d.path);
	}
	for (int i = 0; i < n; i++) {
		const struct disk_found *f = &found[i];
		char size[32];
		disk_size_text(f->size * 512, size, sizeof(size));
		cli_say(c, "%3d  %-4s  %-14s %9" PRIu64 "  %9s  %s", i + 1,
			f->status == '*' ? "yes" : "", f->type, f->start, size, f->label);
		if (arr) {
			struct json_object *p = json_object_new_object();
			json_object_object_add(p, "status",
					       json_object_new_string_len(&f->status, 1));
			json_object_object_add(p, "type", jstr(f->type));
			json_object_object_add(p, "id", jstr(f->id ? f->id : ""));
			json_object_object_add(p, "start",
					       json_object_new_int64((int64_t)f->start));
			json_object_object_add(p, "size",
					       json_object_new_int64((int64_t)(f->size * 512)));
			json_object_object_add(p, "label", jstr(f->label));
			json_object_object_add(p, "bootable",
					       json_object_new_boolean(f->status == '*'));
			json_object_array_add(arr, p);
		}
	}
	if (n == 0) {
		if (o) {
			json_object_object_add(o, "written", json_object_new_boolean(false));
			cli_print_json(o);
		}
		return CLI_FAIL;
	}
	for (int i = 0; i < n; i++) {
		if (!found[i].id) {
			json_object_put(o);
			return cli_fail(c,
					"testdisk found a partition of type \"%s\" that this tool "
					"cannot write; run testdisk %s yourself",
					found[i].type, d.path);
		}
	}
	r = changeable(c, &d);
	if (r != CLI_GO) {
		json_object_put(o);
		return r;
	}
	char *dump = NULL, label_id[32] = "";
	if (dump_table(&d, &dump) < 0) {
		json_object_put(o);
		return cli_fail(c, "cannot run sfdisk");
	}
	bool have_id = disk_dump_header(dump, "label-id", label_id, sizeof(label_id));
	char *script = disk_found_script(found, (size_t)n, have_id ? label_id : NULL);
	char *diff = script ? disk_dump_diff(dump, script) : NULL;
	if (!diff) {
		r = cli_fail(c, "out of memory");
	} else {
		if (o) {
			json_object_object_add(o, "table", json_object_new_string(script));
			json_object_object_add(o, "diff", json_object_new_string(diff));
		}
		char what[128];
		snprintf(what, sizeof(what), "the %d partition(s) testdisk found", n);
		r = write_table(c, &d, script, dump, diff, what, o);
	}
	json_object_put(o);
	free(diff);
	free(script);
	free(dump);
	return r;
}

/* ---- the text UI: the same actions, chosen in dialogs ---- */

static int choose_disk(const char *title, char *out, size_t size)
{
	struct disk *v;
	size_t n;
	if (disk_list(false, &v, &n) < 0 || n == 0) {
		tui_show(title, "No disks.");
		return -1;
	}
	const char *items[64];
	char labels[64][160];
	size_t k = n < 64 ? n : 64;
	for (size_t i = 0; i < k; i++) {
		char sz[32];
		disk_size_text(v[i].size, sz, sizeof(sz));
		snprintf(labels[i], sizeof(labels[i]), "%-14s %10s  %-24.24s %s%s", v[i].path, sz,
			 v[i].model, v[i].serial, v[i].medium ? "  (Lifeline)" : "");
		items[i] = labels[i];
	}
	int i = tui_choose(title, "Choose the disk.", items, k);
	if (i >= 0) {
		snprintf(out, size, "%s", v[i].path);
	}
	free(v);
	return i;
}

static int disks_ui(struct cli *c)
{
	static const char *const actions[] = { "Show the disks", "Save a partition table to a file",
					       "Restore a partition table from a file",
					       "Find lost partitions (testdisk)",
					       "Wipe a disk or a partition (lifeline wipe)" };
	int a = tui_choose("Disk Commander", "What do you want to do?", actions, 5);
	char disk[64], *file = NULL;
	int r;
	if (a < 0) {
		return CLI_OK;
	}
	if (a == 4) {
		/* the wipe tool's own dialogs: the device, the method, the typed confirmation */
		r = tui_run_tool("wipe", tool_wipe);
		tui_pause();
		return r;
	}
	if (a == 0) {
		r = list_disks(c, false);
		tui_pause();
		return r;
	}
	if (choose_disk(actions[a], disk, sizeof(disk)) < 0) {
		return CLI_OK;
	}
	if (a == 1 || a == 2) {
		file = tui_entry(actions[a],
				 "The file (on another disk, e.g. a USB stick):", false);
		if (!file) {
			return CLI_OK;
		}
	}
	r = a == 1   ? save_table(c, disk, file)
	    : a == 2 ? restore_table(c, disk, file)
		     : find_lost(c, disk);
	free(file);
	tui_pause();
	return r;
}

int tool_disks(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "all", no_argument, NULL, OPT_ALL },
		{ "save-table", required_argument, NULL, OPT_SAVE },
		{ "restore-table", required_argument, NULL, OPT_RESTORE },
		{ "find-lost", required_argument, NULL, OPT_FIND },
		{ 0 },
	};
	bool all = false;
	int action = 0, o;
	const char *disk = NULL, *pos[1] = { NULL };
	size_t npos = 0;
	while ((o = cli_getopt_args(c, argc, argv, opts, pos, 1, &npos)) > 0) {
		if (o == OPT_ALL) {
			all = true;
			continue;
		}
		if (action) {
			return cli_usage(c,
					 "give one of --save-table, --restore-table, --find-lost");
		}
		action = o;
		disk = optarg;
	}
	int go = cli_options_done(c, o, argc, argv, help, true);
	if (go != CLI_GO) {
		return go;
	}
	const char *file = pos[0];
	if ((action == OPT_SAVE || action == OPT_RESTORE) && !file) {
		return cli_usage(c, "%s needs DISK FILE",
				 action == OPT_SAVE ? "--save-table" : "--restore-table");
	}
	if (file && action != OPT_SAVE && action != OPT_RESTORE) {
		return cli_usage(c, "unexpected argument '%.60s'", file);
	}
	if (c->system || c->passphrase_stdin) {
		return cli_usage(c,
				 "--system and --passphrase-stdin do not apply: this tool works on "
				 "whole disks");
	}
	switch (action) {
	case OPT_SAVE:
		return save_table(c, disk, file);
	case OPT_RESTORE:
		return restore_table(c, disk, file);
	case OPT_FIND:
		return find_lost(c, disk);
	}
	if (c->tty && !c->json && argc == 1) {
		return disks_ui(c);
	}
	return list_disks(c, all);
}
