/*
 * Boot repair: inside the installed system (chroot with /dev, /proc, /sys, /run), regenerate the
 * initramfs, reinstall the boot loader it uses (GRUB for BIOS, GRUB for UEFI with the fallback
 * path EFI/BOOT/BOOTX64.EFI, systemd-boot) and its configuration, and make sure the firmware has
 * a boot entry for it.  The previous kernel can be made the default.
 */
#include "audit.h"
#include "run.h"
#include "target.h"
#include "tools.h"
#include "tui.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
	"Usage: lifeline bootrepair [--system ID] [--no-initramfs] [--previous-kernel] [--yes]\n"
	"\n"
	"Makes an installed system boot again, inside the system itself: regenerates the\n"
	"initramfs of every kernel, reinstalls the boot loader the system uses (GRUB for BIOS on\n"
	"its disk; GRUB for UEFI on its ESP, also as the fallback EFI/BOOT/BOOTX64.EFI;\n"
	"systemd-boot), regenerates the boot menu, and on a UEFI computer recreates the firmware's\n"
	"boot entry when it is missing.\n"
	"  --no-initramfs       leave the initramfs as it is\n"
	"  --previous-kernel    make the kernel before the newest one the default\n"
	"  --kernels            list the installed kernels and stop\n"
	"\n"
	"Options:\n" CLI_COMMON_HELP;

enum {
	OPT_NO_INITRAMFS = CLI_OPT_FIRST_TOOL,
	OPT_PREVIOUS,
	OPT_KERNELS,
};

#define MAX_KERNELS 32

struct step {
	char what[160];
	int status;
};

struct plan {
	struct step steps[16];
	int n;
	bool failed;
};

static int step(struct cli *c, struct plan *p, const struct target *t, const char *what,
		const char *const *argv, const char *const *env)
{
	if (!c->json) {
		printf("\n== %s ==\n$", what);
		for (int i = 0; argv[i]; i++) {
			printf(" %s", argv[i]);
		}
		printf("\n");
	}
	struct run_spec spec = { .argv = argv, .root = t ? t->root : NULL, .env = env,
				 .show = !c->json, .capture = c->json, .merge = true };
	struct run_result r = { 0 };
	int e = run(&spec, &r);
	if (c->json && r.out) {
		fputs(r.out, stderr);
	}
	struct step *s = &p->steps[p->n < 16 ? p->n++ : 15];
	snprintf(s->what, sizeof(s->what), "%s", what);
	s->status = e == -ENOENT ? 127 : r.status;
	run_result_clear(&r);
	if (s->status != 0) {
		p->failed = true;
		cli_say(c, "-> failed (status %d)%s", s->status,
			s->status == 127 ? ": the program is not installed in the system" : "");
	}
	return s->status;
}

/* vmlinuz-VERSION files in /boot, newest first. */
static size_t kernels(const char *root, char out[][96], size_t max)
{
	char dir[400];
	snprintf(dir, sizeof(dir), "%s/boot", root);
	DIR *d = opendir(dir);
	size_t n = 0;
	for (struct dirent *e; d && (e = readdir(d)) && n < max;) {
		if (util_startswith(e->d_name, "vmlinuz-") && strlen(e->d_name) < 90) {
			snprintf(out[n++], 96, "%s", e->d_name + 8);
		}
	}
	if (d) {
		closedir(d);
	}
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i + 1; j < n; j++) {
			if (strverscmp(out[i], out[j]) < 0) {
				char tmp[96];
				memcpy(tmp, out[i], 96);
				memcpy(out[i], out[j], 96);
				memcpy(out[j], tmp, 96);
			}
		}
	}
	return n;
}

static bool efi_live(void)
{
	return access("/sys/firmware/efi/efivars", F_OK) == 0 || access("/sys/firmware/efi", F_OK) == 0;
}

/* The partition number of a partition device (from sysfs). */
static int partno(const char *name)
{
	char path[300], buf[16] = "";
	snprintf(path, sizeof(path), "/sys/class/block/%s/partition", name);
	FILE *f = fopen(path, "re");
	if (!f) {
		return -1;
	}
	if (!fgets(buf, sizeof(buf), f)) {
		buf[0] = '\0';
	}
	fclose(f);
	return atoi(buf);
}

/* Makes sure the firmware has an entry LABEL for LOADER on the ESP; uses the live efibootmgr. */
static void ensure_efi_entry(struct cli *c, struct plan *p, const struct systems *s,
			     const struct systems_system *sys, const char *label, const char *loader)
{
	const char *list[] = { "efibootmgr", NULL };
	struct run_result r = { 0 };
	if (run_capture(list, &r) != 0 || r.status != 0) {
		cli_say(c, "efibootmgr cannot read the firmware's boot entries; the fallback path "
			   "EFI/BOOT/BOOTX64.EFI is what this computer can start.");
		run_result_clear(&r);
		return;
	}
	char want[128];
	snprintf(want, sizeof(want), " %s", label);
	bool have = false;
	for (char *line = r.out; line && *line;) {
		char *end = strchr(line, '\n');
		if (end) {
			*end = '\0';
		}
		if (util_startswith(line, "Boot0") || util_startswith(line, "Boot1")) {
			char *name = strchr(line, ' ');
			if (name && util_startswith(name, want)) {
				have = true;
			}
		}
		line = end ? end + 1 : NULL;
	}
	run_result_clear(&r);
	if (have) {
		cli_say(c, "The firmware has a boot entry \"%s\".", label);
		return;
	}
	const struct systems_dev *esp = &s->devs[sys->esp];
	char num[16];
	snprintf(num, sizeof(num), "%d", partno(esp->name));
	const char *argv[] = { "efibootmgr", "--create", "--disk", esp->disk, "--part", num,
			       "--label", label, "--loader", loader, NULL };
	step(c, p, NULL, "firmware boot entry", argv, NULL);
}

int tool_bootrepair(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "no-initramfs", no_argument, NULL, OPT_NO_INITRAMFS },
		{ "previous-kernel", no_argument, NULL, OPT_PREVIOUS },
		{ "kernels", no_argument, NULL, OPT_KERNELS },
		{ 0 },
	};
	bool no_initramfs = false, previous = false, list_kernels = false;
	int o;
	while ((o = cli_getopt(c, argc, argv, opts)) > 0) {
		switch (o) {
		case OPT_NO_INITRAMFS:
			no_initramfs = true;
			break;
		case OPT_PREVIOUS:
			previous = true;
			break;
		case OPT_KERNELS:
			list_kernels = true;
			break;
		}
	}
	int go = cli_options_done(c, o, argc, argv, help, false);
	if (go != CLI_GO) {
		return go;
	}
	const struct systems_system *sys;
	int r = cli_pick_system(c, &sys);
	if (r != CLI_OK) {
		return r;
	}
	const struct systems *s = &c->systems;
	if (sys->kind != SYSTEMS_LINUX) {
		return cli_fail(c, "%s is a Windows installation; its boot repair is not here yet",
				sys->id);
	}
	if (sys->boot_mode == SYSTEMS_BOOT_UNKNOWN) {
		return cli_fail(c, "cannot tell how %s boots: no ESP in its fstab, and neither GRUB "
				   "nor systemd-boot is installed in it", sys->id);
	}
	struct target *t;
	char why[256];
	char ks[MAX_KERNELS][96];
	size_t nk;
	if (target_open(s, sys, TARGET_BOOT, &t, why, sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	nk = kernels(t->root, ks, MAX_KERNELS);
	target_close(t);
	if (list_kernels) {
		for (size_t i = 0; i < nk; i++) {
			printf("%s%s\n", ks[i], i == 0 ? "  (newest)" : "");
		}
		return CLI_OK;
	}
	if (nk == 0) {
		return cli_fail(c, "%s has no kernel in /boot (vmlinuz-*)", sys->id);
	}
	if (previous && nk < 2) {
		return cli_fail(c, "%s has only one kernel (%s); there is no previous one", sys->id,
				ks[0]);
	}
	bool ui = c->tty && !c->json && argc == 1;
	char question[600];
	snprintf(question, sizeof(question),
		 "Repair the boot of %s (%s)?\n\nboot loader: %s on %s\n%s%s", sys->id, sys->name,
		 systems_boot_name(sys->boot_mode),
		 sys->boot_mode == SYSTEMS_BOOT_BIOS_GRUB ? sys->boot_disk : "the ESP",
		 no_initramfs ? "" : "initramfs: regenerated for every kernel\n",
		 previous ? "default: the previous kernel\n" : "");
	if (ui) {
		if (!tui_yesno("Boot repair", question)) {
			return CLI_OK;
		}
		if (nk >= 2) {
			char q2[200];
			snprintf(q2, sizeof(q2), "Start the previous kernel (%s) by default instead of "
				 "the newest (%s)?", ks[1], ks[0]);
			previous = tui_yesno("Boot repair", q2);
		}
	} else {
		cli_say(c, "%s", question);
		int answer = cli_confirm_change(c, "Go on?");
		if (answer != CLI_GO) {
			return answer;
		}
	}
	if (target_open(s, sys, TARGET_RW | TARGET_CHROOT, &t, why, sizeof(why)) < 0) {
		return cli_fail(c, "%s", why);
	}
	struct plan p = { 0 };
	static const char *const env[] = { "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C", NULL };
	audit_backup(t, "bootrepair", "/boot/grub/grub.cfg", NULL, 0);
	if (previous) {
		/* GRUB_DEFAULT names the entry by its id: the "Advanced options" submenu of Debian */
		char *dflt = NULL;
		if (util_read_in_root(t->root, "/etc/default/grub", UTIL_TEXT_MAX, &dflt, NULL) == 0) {
			const char *uuid = s->devs[sys->root].uuid;
			char line[400];
			snprintf(line, sizeof(line),
				 "GRUB_DEFAULT=\"gnulinux-advanced-%s>gnulinux-%s-advanced-%s\"", uuid,
				 ks[1], uuid);
			size_t cap = strlen(dflt) + strlen(line) + 64;
			char *neu = malloc(cap);
			size_t no = 0;
			bool done = false;
			for (char *l = dflt; l && *l;) {
				char *end = strchr(l, '\n');
				size_t len = end ? (size_t)(end - l) : strlen(l);
				if (util_startswith(l, "GRUB_DEFAULT=") && !done) {
					no += (size_t)snprintf(neu + no, cap - no, "%s\n", line);
					done = true;
				} else {
					memcpy(neu + no, l, len);
					no += len;
					neu[no++] = '\n';
				}
				l = end ? end + 1 : NULL;
			}
			if (!done) {
				no += (size_t)snprintf(neu + no, cap - no, "%s\n", line);
			}
			neu[no] = '\0';
			audit_backup(t, "bootrepair", "/etc/default/grub", NULL, 0);
			if (util_write_in_root(t->root, "/etc/default/grub", neu, no, 0644) == 0) {
				cli_say(c, "Default kernel: %s", ks[1]);
				audit_record(t, sys->id, "bootrepair", "default kernel set to %s", ks[1]);
			}
			free(neu);
			free(dflt);
		} else {
			cli_say(c, "The system has no /etc/default/grub: the default stays.");
		}
	}
	if (!no_initramfs) {
		if (run_have(t->root, "update-initramfs")) {
			const char *a[] = { "update-initramfs", "-u", "-k", "all", NULL };
			step(c, &p, t, "initramfs", a, env);
		} else if (run_have(t->root, "dracut")) {
			const char *a[] = { "dracut", "--regenerate-all", "--force", NULL };
			step(c, &p, t, "initramfs", a, env);
		} else {
			cli_say(c, "Neither update-initramfs nor dracut is installed; the initramfs stays.");
		}
	}
	char esp_dir[64];
	snprintf(esp_dir, sizeof(esp_dir), "%s", sys->esp_dir);
	const char *bootloader_id = sys->os_id;
	switch (sys->boot_mode) {
	case SYSTEMS_BOOT_BIOS_GRUB: {
		const char *a[] = { "grub-install", "--target=i386-pc", sys->boot_disk, NULL };
		step(c, &p, t, "GRUB for BIOS", a, env);
		break;
	}
	case SYSTEMS_BOOT_UEFI_GRUB: {
		char dir_opt[96], id_opt[64];
		snprintf(dir_opt, sizeof(dir_opt), "--efi-directory=%s", esp_dir);
		snprintf(id_opt, sizeof(id_opt), "--bootloader-id=%s", bootloader_id);
		const char *a[] = { "grub-install", "--target=x86_64-efi", dir_opt, id_opt,
				    "--force-extra-removable", efi_live() ? "--recheck" : "--no-nvram",
				    NULL };
		step(c, &p, t, "GRUB for UEFI", a, env);
		break;
	}
	case SYSTEMS_BOOT_SYSTEMD_BOOT: {
		char esp_opt[96];
		snprintf(esp_opt, sizeof(esp_opt), "--esp-path=%s", esp_dir);
		const char *a[] = { "bootctl", esp_opt, efi_live() ? "--graceful" : "--no-variables",
				    "install", NULL };
		step(c, &p, t, "systemd-boot", a, env);
		for (size_t i = 0; i < nk; i++) {
			char img[160];
			snprintf(img, sizeof(img), "/boot/vmlinuz-%s", ks[i]);
			const char *k[] = { "kernel-install", "add", ks[i], img, NULL };
			step(c, &p, t, "boot entry", k, env);
		}
		break;
	}
	case SYSTEMS_BOOT_UNKNOWN:
		break;
	}
	if (sys->boot_mode != SYSTEMS_BOOT_SYSTEMD_BOOT) {
		if (run_have(t->root, "update-grub")) {
			const char *a[] = { "update-grub", NULL };
			step(c, &p, t, "GRUB menu", a, env);
		} else {
			const char *a[] = { "grub-mkconfig", "-o", "/boot/grub/grub.cfg", NULL };
			step(c, &p, t, "GRUB menu", a, env);
		}
	}
	if (sys->boot_mode != SYSTEMS_BOOT_BIOS_GRUB && efi_live() && !p.failed) {
		char loader[128];
		if (sys->boot_mode == SYSTEMS_BOOT_SYSTEMD_BOOT) {
			snprintf(loader, sizeof(loader), "\\EFI\\systemd\\systemd-bootx64.efi");
		} else {
			snprintf(loader, sizeof(loader), "\\EFI\\%s\\grubx64.efi", bootloader_id);
		}
		ensure_efi_entry(c, &p, s, sys, sys->boot_mode == SYSTEMS_BOOT_SYSTEMD_BOOT ?
			"Linux Boot Manager" : bootloader_id, loader);
	}
	char summary[600] = "";
	for (int i = 0; i < p.n; i++) {
		size_t l = strlen(summary);
		snprintf(summary + l, sizeof(summary) - l, "%s%s %s", i ? ", " : "", p.steps[i].what,
			 p.steps[i].status == 0 ? "done" : "FAILED");
	}
	audit_record(t, sys->id, "bootrepair", "%s (%s on %s)", summary,
		     systems_boot_name(sys->boot_mode),
		     sys->boot_mode == SYSTEMS_BOOT_BIOS_GRUB ? sys->boot_disk : esp_dir);
	target_close(t);
	if (c->json) {
		struct json_object *root = json_object_new_object();
		json_object_object_add(root, "system", json_object_new_string(sys->id));
		json_object_object_add(root, "boot_mode",
				       json_object_new_string(systems_boot_name(sys->boot_mode)));
		struct json_object *arr = json_object_new_array();
		for (int i = 0; i < p.n; i++) {
			struct json_object *x = json_object_new_object();
			json_object_object_add(x, "step", json_object_new_string(p.steps[i].what));
			json_object_object_add(x, "status", json_object_new_int(p.steps[i].status));
			json_object_array_add(arr, x);
		}
		json_object_object_add(root, "steps", arr);
		json_object_object_add(root, "ok", json_object_new_boolean(!p.failed));
		cli_print_json(root);
	} else {
		printf("\n%s: %s\n", p.failed ? "Boot repair FAILED" : "Boot repaired", summary);
	}
	if (ui) {
		tui_pause();
	}
	return p.failed ? CLI_FAIL : CLI_OK;
}
