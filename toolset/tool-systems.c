#include "tools.h"

#include <stdio.h>
#include <string.h>

static const char help[] =
	"Usage: lifeline systems [--json] [--passphrase-stdin]\n"
	"\n"
	"Lists the installed systems on every disk: Linux (plain partitions, LVM, md RAID, btrfs\n"
	"subvolumes, LUKS) with name, version, root, /boot, ESP, boot loader and fstab, and\n"
	"Windows installations.  Nothing is written; disks are mounted read-only while they are\n"
	"looked at.  The ID in the first column is what --system takes.\n"
	"\n"
	"Options:\n" CLI_COMMON_HELP;

static struct json_object *dev_json(const struct systems *s, int i)
{
	if (i < 0) {
		return NULL;
	}
	const struct systems_dev *d = &s->devs[i];
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "device", json_object_new_string(d->path));
	json_object_object_add(o, "fstype", json_object_new_string(d->fstype));
	json_object_object_add(o, "uuid", json_object_new_string(d->uuid));
	json_object_object_add(o, "label", json_object_new_string(d->label));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)d->size));
	return o;
}

static struct json_object *system_json(const struct systems *s, const struct systems_system *y)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_string(y->id));
	json_object_object_add(o, "kind", json_object_new_string(systems_kind_name(y->kind)));
	json_object_object_add(o, "os_id", json_object_new_string(y->os_id));
	json_object_object_add(o, "name", json_object_new_string(y->name));
	json_object_object_add(o, "version", json_object_new_string(y->version));
	struct json_object *root = dev_json(s, y->root);
	json_object_object_add(root, "subvolume", json_object_new_string(y->subvol));
	json_object_object_add(o, "root", root);
	json_object_object_add(o, "boot", dev_json(s, y->boot));
	struct json_object *esp = dev_json(s, y->esp);
	if (esp) {
		json_object_object_add(esp, "mountpoint", json_object_new_string(y->esp_dir));
	}
	json_object_object_add(o, "esp", esp);
	json_object_object_add(o, "boot_mode",
			       json_object_new_string(systems_boot_name(y->boot_mode)));
	json_object_object_add(o, "boot_disk", json_object_new_string(y->boot_disk));
	json_object_object_add(o, "lvm", json_object_new_boolean(y->on_lvm));
	json_object_object_add(o, "luks", json_object_new_boolean(y->on_luks));
	json_object_object_add(o, "md", json_object_new_boolean(y->on_md));
	struct json_object *fstab = json_object_new_array();
	for (int i = 0; i < y->n_fstab; i++) {
		const struct systems_fstab *f = &y->fstab[i];
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "source", json_object_new_string(f->source));
		json_object_object_add(e, "target", json_object_new_string(f->target));
		json_object_object_add(e, "fstype", json_object_new_string(f->fstype));
		json_object_object_add(e, "options", json_object_new_string(f->options));
		json_object_object_add(e, "device", f->dev >= 0 ?
			json_object_new_string(s->devs[f->dev].path) : NULL);
		json_object_array_add(fstab, e);
	}
	json_object_object_add(o, "fstab", fstab);
	return o;
}

static void print_text(const struct systems *s)
{
	if (s->n_sys == 0) {
		printf("No installed system was found.\n");
	}
	for (size_t i = 0; i < s->n_sys; i++) {
		const struct systems_system *y = &s->sys[i];
		const struct systems_dev *r = &s->devs[y->root];
		printf("%s  %s\n", y->id, y->name);
		printf("    root   %s (%s%s%s)%s%s%s\n", r->path, r->fstype, y->subvol[0] ? ", subvolume " : "",
		       y->subvol, y->on_lvm ? " on LVM" : "", y->on_luks ? " on LUKS" : "",
		       y->on_md ? " on RAID" : "");
		if (y->boot >= 0) {
			printf("    /boot  %s (%s)\n", s->devs[y->boot].path, s->devs[y->boot].fstype);
		}
		if (y->esp >= 0) {
			printf("    ESP    %s at %s\n", s->devs[y->esp].path, y->esp_dir);
		}
		if (y->kind == SYSTEMS_LINUX) {
			printf("    boots  %s from %s\n", systems_boot_name(y->boot_mode), y->boot_disk);
			for (int k = 0; k < y->n_fstab; k++) {
				const struct systems_fstab *f = &y->fstab[k];
				printf("    fstab  %-10s %s %s%s\n", f->target, f->source, f->fstype,
				       f->dev < 0 && f->source[0] != '/' && strcmp(f->fstype, "swap") &&
						       strcmp(f->fstype, "tmpfs") && strcmp(f->fstype, "proc") ?
					       "  (device not found)" : "");
			}
		}
	}
	for (size_t i = 0; i < s->n_locked; i++) {
		printf("locked  %s: %s\n", s->devs[s->locked[i].dev].path, s->locked[i].why);
	}
}

int tool_systems(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { 0 } };
	int o;
	while ((o = cli_getopt(c, argc, argv, opts)) > 0) {
	}
	int go = cli_options_done(c, o, argc, argv, help, false);
	if (go != CLI_GO) {
		return go;
	}
	int r = cli_discover(c);
	if (r != CLI_OK) {
		return r;
	}
	const struct systems *s = &c->systems;
	if (c->json) {
		struct json_object *root = json_object_new_object();
		struct json_object *arr = json_object_new_array();
		for (size_t i = 0; i < s->n_sys; i++) {
			json_object_array_add(arr, system_json(s, &s->sys[i]));
		}
		json_object_object_add(root, "systems", arr);
		struct json_object *locked = json_object_new_array();
		for (size_t i = 0; i < s->n_locked; i++) {
			struct json_object *l = json_object_new_object();
			json_object_object_add(l, "device",
					       json_object_new_string(s->devs[s->locked[i].dev].path));
			json_object_object_add(l, "reason", json_object_new_string(s->locked[i].why));
			json_object_array_add(locked, l);
		}
		json_object_object_add(root, "locked", locked);
		cli_print_json(root);
	} else {
		print_text(s);
	}
	if (s->notes[0]) {
		fprintf(stderr, "%s", s->notes);
	}
	return CLI_OK;
}
