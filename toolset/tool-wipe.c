/*
 * wipe (DaRT's Disk Wipe): a disk or a partition overwritten with zeros, a random stream, several
 * passes, or erased by the device itself (ATA security erase, NVMe format, secure discard or
 * write-zeroes).  The disk Lifeline booted from and anything in use are refused; the confirmation
 * names the disk and must be typed; a read at the end checks what was written.
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
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static const char help[] =
	"Usage: lifeline wipe DEVICE --method zero|random|passes|secure [--passes N]\n"
	"                     [--yes --confirm TEXT] [--json]\n"
	"\n"
	"Overwrites everything on DEVICE (a whole disk or a partition), then reads it back.\n"
	"  --method zero        one pass of zeros; the read checks every byte is zero\n"
	"  --method random      one pass of a random stream (xoshiro256** from a random seed kept\n"
	"                       in memory); the read regenerates the stream and compares exactly\n"
	"  --method passes      N passes (--passes, default 3): random streams, the last pass\n"
	"                       zeros, which the read checks\n"
	"  --method secure      the device's own erase (whole disks): ATA security erase "
	"(hdparm),\n"
	"                       NVMe format with secure erase (nvme), else secure discard or\n"
	"                       discard + write-zeroes (blkdiscard); refused where none is "
	"offered\n"
	"  --confirm TEXT       without a terminal: the disk's serial number (or, for a disk\n"
	"                       without one, its size as shown, e.g. \"256.0 MiB\"); with --yes\n"
	"The disk Lifeline booted from, mounted file systems, swap and devices held by LVM, md or\n"
	"LUKS are refused.  On a terminal the serial (or the size) is typed to confirm.  Ctrl-C\n"
	"stops and says how far the wipe got.  The audit line goes to " AUDIT_LIVE_LOG ".\n"
	"On a terminal without arguments, dialogs offer the same.\n"
	"\n"
	"Options:\n"
	"  --system ID          not taken: wipe works on a device, not on a system\n"
	"  --yes                answer the question with yes (needs --confirm)\n"
	"  --json               print the result as JSON\n"
	"  --help               show this help\n";

enum {
	OPT_METHOD = CLI_OPT_FIRST_TOOL,
	OPT_PASSES,
	OPT_CONFIRM,
};

enum method { M_NONE, M_ZERO, M_RANDOM, M_PASSES, M_SECURE };
static const char *const method_names[] = { "", "zero", "random", "passes", "secure" };

#define CHUNK      (4u << 20)
#define PASSES_MAX 35

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* xoshiro256** (Blackman, Vigna): fast and, from the same seed, the same stream again. */
struct prng {
	uint64_t s[4];
};

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t prng_next(struct prng *p)
{
	uint64_t r = rotl(p->s[1] * 5, 7) * 9, t = p->s[1] << 17;
	p->s[2] ^= p->s[0];
	p->s[3] ^= p->s[1];
	p->s[1] ^= p->s[2];
	p->s[0] ^= p->s[3];
	p->s[2] ^= t;
	p->s[3] = rotl(p->s[3], 45);
	return r;
}

static void prng_fill(struct prng *p, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = prng_next(p);
		memcpy(buf + i, &v, 8);
	}
}

struct job {
	const char *dev; /* what is written */
	char shown[160]; /* "/dev/vdb (QEMU HARDDISK, serial X, 256.0 MiB)" */
	uint64_t size;
	int fd;
	bool tty_progress;
	uint64_t done; /* bytes written or checked in the current step */
	double started;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(struct job *j, const char *what, bool last)
{
	static double shown_at;
	double t = now();
	if (!last && t - shown_at < (j->tty_progress ? 0.5 : 5.0)) {
		return;
	}
	shown_at = t;
	double el = t - j->started, rate = el > 0 ? (double)j->done / el : 0;
	double left = rate > 0 ? (double)(j->size - j->done) / rate : 0;
	fprintf(stderr, "%s%s: %3d%%  %.1f MB/s  ETA %d:%02d%s", j->tty_progress ? "\r" : "", what,
		(int)(j->size ? j->done * 100 / j->size : 100), rate / 1e6, (int)left / 60,
		(int)left % 60, j->tty_progress && !last ? "   " : "\n");
	fflush(stderr);
}

/* One pass over the device: zeros (P NULL) or P's stream.  0, -EINTR when stopped, or -errno. */
static int write_pass(struct job *j, struct prng *p, uint8_t *buf, const char *what)
{
	j->done = 0;
	j->started = now();
	if (!p) {
		memset(buf, 0, CHUNK);
	}
	while (j->done < j->size) {
		if (stop_requested) {
			return -EINTR;
		}
		size_t n = j->size - j->done < CHUNK ? (size_t)(j->size - j->done) : CHUNK;
		if (p) {
			prng_fill(p, buf, (n + 7) & ~(size_t)7);
		}
		ssize_t w = pwrite(j->fd, buf, n, (off_t)j->done);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			return w < 0 ? -errno : -EIO;
		}
		j->done += (uint64_t)w;
		progress(j, what, false);
	}
	progress(j, what, true);
	return fsync(j->fd) < 0 ? -errno : 0;
}

/* Reads it all back: zeros (P NULL) or P's stream.  0, -EINTR, -EILSEQ on a mismatch (*BAD). */
static int verify(struct job *j, struct prng *p, uint8_t *buf, uint8_t *want, uint64_t *bad)
{
	/* the read must come from the device, not from the page cache we just wrote */
	ioctl(j->fd, BLKFLSBUF, 0);
	posix_fadvise(j->fd, 0, 0, POSIX_FADV_DONTNEED);
	j->done = 0;
	j->started = now();
	if (!p) {
		memset(want, 0, CHUNK);
	}
	while (j->done < j->size) {
		if (stop_requested) {
			return -EINTR;
		}
		size_t n = j->size - j->done < CHUNK ? (size_t)(j->size - j->done) : CHUNK;
		if (p) {
			prng_fill(p, want, (n + 7) & ~(size_t)7);
		}
		ssize_t r = pread(j->fd, buf, n, (off_t)j->done);
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r != (ssize_t)n) {
			return r < 0 ? -errno : -EIO;
		}
		if (memcmp(buf, want, n) != 0) {
			size_t k = 0;
			while (k < n && buf[k] == want[k]) {
				k++;
			}
			*bad = j->done + k;
			return -EILSEQ;
		}
		j->done += n;
		progress(j, "verify", false);
	}
	progress(j, "verify", true);
	return 0;
}

static bool read_sys_u64(const char *name, const char *attr, uint64_t *v)
{
	char text[32];
	if (!systems_read_sys(name, attr, text, sizeof(text))) {
		return false;
	}
	*v = strtoull(text, NULL, 10);
	return true;
}

/* The device's own erase; 0 when it ran (ZEROS: it guarantees zeros), else an exit status. */
static int secure_erase(struct cli *c, const struct disk *d, bool *zeros, char *how, size_t size)
{
	struct run_result r = { 0 };
	*zeros = false;
	if (strcmp(d->transport, "nvme") == 0 && run_have(NULL, "nvme")) {
		snprintf(how, size, "nvme format --ses=1");
		const char *argv[] = { "nvme", "format", d->path, "--ses=1", "--force", NULL };
		struct run_spec spec = { .argv = argv, .show = true };
		if (run(&spec, &r) < 0 || r.status != 0) {
			run_result_clear(&r);
			return cli_fail(c, "%s refused the NVMe format with secure erase", d->path);
		}
		run_result_clear(&r);
		return 0;
	}
	if (strcmp(d->transport, "ata") == 0 && run_have(NULL, "hdparm")) {
		const char *info[] = { "hdparm", "-I", d->path, NULL };
		bool supported = false, frozen = true;
		if (run_capture(info, &r) == 0 && r.out) {
			const char *sec = strstr(r.out, "Security:");
			supported =
				sec && strstr(sec, "supported") && !strstr(sec, "not\tsupported");
			frozen = !sec || !strstr(sec, "not\tfrozen");
		}
		run_result_clear(&r);
		if (supported && frozen) {
			return cli_fail(c,
					"%s offers ATA security erase but it is frozen by the "
					"firmware; suspend and resume the machine, then try again",
					d->path);
		}
		if (supported) {
			snprintf(how, size, "hdparm --security-erase");
			const char *setp[] = { "hdparm",   "--user-master",
					       "u",        "--security-set-pass",
					       "lifeline", d->path,
					       NULL };
			const char *erase[] = { "hdparm",   "--user-master",
						"u",        "--security-erase",
						"lifeline", d->path,
						NULL };
			int e = run_capture(setp, &r);
			bool ok = e == 0 && r.status == 0;
			run_result_clear(&r);
			if (ok) {
				struct run_spec spec = { .argv = erase, .show = true };
				ok = run(&spec, &r) == 0 && r.status == 0;
				run_result_clear(&r);
			}
			if (!ok) {
				return cli_fail(c,
						"the ATA security erase of %s failed (its user "
						"password may now be \"lifeline\")",
						d->path);
			}
			return 0;
		}
	}
	uint64_t discard = 0, zeroes = 0;
	read_sys_u64(d->name, "queue/discard_max_bytes", &discard);
	read_sys_u64(d->name, "queue/write_zeroes_max_bytes", &zeroes);
	if (discard > 0) {
		const char *argv[] = { "blkdiscard", "--secure", d->path, NULL };
		if (run_capture(argv, &r) == 0 && r.status == 0) {
			run_result_clear(&r);
			snprintf(how, size, "blkdiscard --secure");
			return 0;
		}
		run_result_clear(&r);
	}
	if (zeroes > 0) {
		if (discard > 0) {
			const char *argv[] = { "blkdiscard", d->path, NULL };
			run_capture(argv, &r);
			run_result_clear(&r);
		}
		const char *argv[] = { "blkdiscard", "--zeroout", d->path, NULL };
		if (run_capture(argv, &r) == 0 && r.status == 0) {
			run_result_clear(&r);
			snprintf(how, size, "%sblkdiscard --zeroout",
				 discard > 0 ? "discard + " : "");
			*zeros = true;
			return 0;
		}
		char err[200] = "";
		util_sanitize(err, sizeof(err), r.err ? util_strip(r.err) : "");
		run_result_clear(&r);
		return cli_fail(c, "%s offers write-zeroes, but blkdiscard --zeroout failed: %s",
				d->path, err[0] ? err : "no message");
	}
	return cli_fail(c,
			"%s offers no secure erase, sanitize, secure discard or write-zeroes; "
			"use --method zero or random",
			d->path);
}

/* The text the person types: the serial, or without one the size as shown. */
static void confirm_text(const struct disk *d, uint64_t size, char *out, size_t n)
{
	if (d->serial[0]) {
		snprintf(out, n, "%s", d->serial);
	} else {
		disk_size_text(size, out, n);
	}
}

struct choice {
	char dev[96];
	enum method method;
	int passes;
	char typed[128];
};

/* The text UI: a device that may be wiped, a method, the typed confirmation. */
static int wipe_ui(struct choice *ch)
{
	struct disk *v;
	size_t n;
	if (disk_list(false, &v, &n) < 0) {
		return -1;
	}
	static char labels[128][160], paths[128][96];
	const char *items[128];
	size_t k = 0;
	for (size_t i = 0; i < n && k < 128; i++) {
		char sz[32], parts[64][32];
		if (v[i].medium) {
			continue; /* never offered */
		}
		disk_size_text(v[i].size, sz, sizeof(sz));
		snprintf(paths[k], sizeof(paths[k]), "%s", v[i].path);
		snprintf(labels[k], sizeof(labels[k]), "%-14s %10s  %-24.24s %s", v[i].path, sz,
			 v[i].model, v[i].serial);
		items[k] = labels[k];
		k++;
		size_t np = disk_partitions(v[i].name, parts, 64);
		for (size_t p = 0; p < np && k < 128; p++) {
			uint64_t sectors = 0;
			read_sys_u64(parts[p], "size", &sectors);
			disk_size_text(sectors * 512, sz, sizeof(sz));
			snprintf(paths[k], sizeof(paths[k]), "/dev/%s", parts[p]);
			snprintf(labels[k], sizeof(labels[k]), "  %-12s %10s  partition", paths[k],
				 sz);
			items[k] = labels[k];
			k++;
		}
	}
	free(v);
	if (k == 0) {
		tui_show("Disk Wipe", "No disk can be wiped (the Lifeline disk is never offered).");
		return -1;
	}
	int i = tui_choose("Disk Wipe", "Choose the disk or partition to wipe.", items, k);
	if (i < 0) {
		return -1;
	}
	snprintf(ch->dev, sizeof(ch->dev), "%s", paths[i]);
	static const char *const methods[] = { "Zeros (one pass)", "Random data (one pass)",
					       "Three passes (random, random, zeros)",
					       "The device's own secure erase" };
	int m = tui_choose("Disk Wipe", "How?", methods, 4);
	if (m < 0) {
		return -1;
	}
	ch->method = (enum method)(m + 1);
	ch->passes = ch->method == M_PASSES ? 3 : 0;
	return 0;
}

int tool_wipe(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "method", required_argument, NULL, OPT_METHOD },
		{ "passes", required_argument, NULL, OPT_PASSES },
		{ "confirm", required_argument, NULL, OPT_CONFIRM },
		{ 0 },
	};
	struct choice ch = { .passes = 0 };
	const char *confirm = NULL, *pos[1] = { NULL };
	size_t npos = 0;
	int o;
	while ((o = cli_getopt_args(c, argc, argv, opts, pos, 1, &npos)) > 0) {
		switch (o) {
		case OPT_METHOD:
			for (int m = M_ZERO; m <= M_SECURE; m++) {
				if (strcmp(optarg, method_names[m]) == 0) {
					ch.method = (enum method)m;
				}
			}
			if (ch.method == M_NONE) {
				return cli_usage(c, "--method is zero, random, passes or secure");
			}
			break;
		case OPT_PASSES: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > PASSES_MAX) {
				return cli_usage(c, "--passes is a number from 1 to %d",
						 PASSES_MAX);
			}
			ch.passes = (int)v;
			break;
		}
		case OPT_CONFIRM:
			confirm = optarg;
			break;
		}
	}
	int go = cli_options_done(c, o, argc, argv, help, true);
	if (go != CLI_GO) {
		return go;
	}
	if (c->system || c->passphrase_stdin) {
		return cli_usage(c, "--system and --passphrase-stdin do not apply: wipe works on a "
				    "device");
	}
	bool ui = false;
	if (!pos[0] && c->tty && !c->json && ch.method == M_NONE) {
		if (wipe_ui(&ch) < 0) {
			return CLI_OK;
		}
		ui = true;
	} else {
		if (!pos[0]) {
			return cli_usage(c, "give the DEVICE to wipe");
		}
		snprintf(ch.dev, sizeof(ch.dev), "%s", pos[0]);
		if (ch.method == M_NONE) {
			return cli_usage(c, "give --method zero, random, passes or secure");
		}
	}
	if (ch.passes && ch.method != M_PASSES) {
		return cli_usage(c, "--passes goes with --method passes");
	}
	if (ch.method == M_PASSES && ch.passes == 0) {
		ch.passes = 3;
	}

	struct disk d;
	char part[64], why[256], size_txt[32], expect[128];
	int e = disk_of(ch.dev, &d, part, sizeof(part));
	if (e == -ENOTBLK || e == -ENOENT) {
		return cli_usage(c, "%.100s is not a disk or a partition", ch.dev);
	}
	if (e < 0) {
		return cli_fail(c, "%.100s: %s", ch.dev, strerror(-e));
	}
	if (d.medium) {
		return cli_fail(
			c, "%.100s is on the disk Lifeline booted from (%s); it is never wiped",
			ch.dev, d.medium_why);
	}
	uint64_t size = d.size;
	if (part[0] && (!read_sys_u64(part, "size", &size) || (size *= 512) == 0)) {
		return cli_fail(c, "cannot read the size of %s", part);
	}
	if (ch.method == M_SECURE && part[0]) {
		return cli_usage(c,
				 "--method secure erases whole disks; give %s, or use zero or "
				 "random for the partition",
				 d.path);
	}
	if (disk_busy(part[0] ? part : d.name, why, sizeof(why))) {
		return cli_fail(c, "%s is in use: %s; nothing written", ch.dev, why);
	}
	char dev[96];
	snprintf(dev, sizeof(dev), "%s%s", part[0] ? "/dev/" : "", part[0] ? part : d.path);
	disk_size_text(size, size_txt, sizeof(size_txt));
	confirm_text(&d, size, expect, sizeof(expect));
	struct job j = { .dev = dev, .size = size, .fd = -1, .tty_progress = isatty(2) };
	snprintf(j.shown, sizeof(j.shown), "%s%s%s (%s, serial %s, %s)", dev, part[0] ? " on " : "",
		 part[0] ? d.path : "", d.model[0] ? d.model : "no model",
		 d.serial[0] ? d.serial : "none", size_txt);
	cli_say(c, "This erases everything on %s.", j.shown);

	/* the typed confirmation */
	if (c->yes) {
		if (!confirm) {
			return cli_usage(c, "--yes needs --confirm with %s %s",
					 d.serial[0] ? "the serial number of"
						     : "the size (as shown) of",
					 d.path);
		}
		if (strcmp(confirm, expect) != 0) {
			return cli_usage(c,
					 "--confirm does not match the %s of %s; nothing written",
					 d.serial[0] ? "serial number" : "size", d.path);
		}
	} else if (!c->tty) {
		return cli_usage(
			c, "this erases %s: give --yes and --confirm (no terminal to ask on)", dev);
	} else {
		char prompt[256];
		snprintf(prompt, sizeof(prompt), "Type the %s of %s (%s) to wipe it:",
			 d.serial[0] ? "serial number" : "size as shown", d.path, expect);
		char *typed;
		if (ui) {
			char text[512];
			snprintf(text, sizeof(text), "This erases everything on %s.\n\n%s", j.shown,
				 prompt);
			typed = tui_entry("Disk Wipe", text, false);
		} else {
			printf("%s ", prompt);
			fflush(stdout);
			typed = cli_read_line(120);
		}
		bool same = typed && strcmp(util_strip(typed), expect) == 0;
		free(typed);
		if (!same) {
			cli_say(c, "That is not it.  Nothing changed.");
			return CLI_FAIL;
		}
	}

	j.fd = open(dev, O_RDWR | O_EXCL | O_CLOEXEC);
	if (j.fd < 0) {
		return cli_fail(c, "cannot open %s for writing: %s%s", dev, strerror(errno),
				errno == EBUSY ? " (something holds it)" : "");
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	const char *mname = method_names[ch.method];
	int npass = ch.method == M_PASSES ? ch.passes : 1;
	audit_record(NULL, d.name, "wipe", "wiping %s with method %s (%d pass%s)", j.shown, mname,
		     npass, npass > 1 ? "es" : "");
	double t0 = now();
	uint8_t *buf = aligned_alloc(4096, CHUNK), *want = aligned_alloc(4096, CHUNK);
	int r = CLI_OK;
	struct prng seed = { 0 };
	uint64_t bad = 0;
	bool verified = false, checked = true;
	char how[96] = "", result[256] = "";
	if (!buf || !want) {
		r = cli_fail(c, "out of memory");
		goto out;
	}
	e = 0;
	if (ch.method == M_SECURE) {
		bool zeros;
		/* hdparm, nvme and blkdiscard open the device exclusively themselves */
		close(j.fd);
		r = secure_erase(c, &d, &zeros, how, sizeof(how));
		j.fd = open(dev, O_RDWR | O_EXCL | O_CLOEXEC);
		if (r == 0 && j.fd < 0) {
			r = cli_fail(c, "cannot open %s again to check it: %s", dev,
				     strerror(errno));
		}
		if (r != 0) {
			snprintf(result, sizeof(result), "the device's own erase was not done");
			goto out;
		}
		checked = zeros;
		e = verify(&j, NULL, buf, want, &bad);
		if (e == -EILSEQ && !zeros) {
			e = 0; /* what an ATA/NVMe erase leaves is the device's choice */
			snprintf(result, sizeof(result),
				 "erased with %s (it reads back as the "
				 "device's own pattern, not zeros)",
				 how);
		}
	} else {
		for (int p = 1; p <= npass && e == 0; p++) {
			bool zero = ch.method == M_ZERO || (ch.method == M_PASSES && p == npass);
			char what[64];
			snprintf(what, sizeof(what), "pass %d/%d %s", p, npass,
				 zero ? "zeros" : "random");
			if (!zero &&
			    getrandom(seed.s, sizeof(seed.s), 0) != (ssize_t)sizeof(seed.s)) {
				e = -errno;
				break;
			}
			struct prng gen = seed;
			e = write_pass(&j, zero ? NULL : &gen, buf, what);
			if (e == 0 && p == npass) {
				gen = seed;
				e = verify(&j, zero ? NULL : &gen, buf, want, &bad);
			}
		}
		explicit_bzero(&seed, sizeof(seed));
	}
	if (e == 0) {
		verified = checked;
		if (!result[0]) {
			snprintf(result, sizeof(result), "%s%s%s; the read-back check found %s",
				 ch.method == M_SECURE ? "erased with " : "overwritten", how,
				 ch.method == M_PASSES ? " in passes" : "",
				 ch.method == M_RANDOM ? "the same random stream" : "only zeros");
		}
	} else if (e == -EINTR) {
		char done_txt[32];
		disk_size_text(j.done, done_txt, sizeof(done_txt));
		snprintf(result, sizeof(result),
			 "stopped (Ctrl-C) after %s of %s (%d%%) of the "
			 "current step; the device is only partly wiped",
			 done_txt, size_txt, (int)(size ? j.done * 100 / size : 0));
		r = CLI_FAIL;
	} else if (e == -EILSEQ) {
		snprintf(result, sizeof(result),
			 "the read-back check FAILED: byte %" PRIu64 " is not "
			 "what was written",
			 bad);
		r = CLI_FAIL;
	} else {
		char done_txt[32];
		disk_size_text(j.done, done_txt, sizeof(done_txt));
		snprintf(result, sizeof(result), "failed after %s: %s", done_txt, strerror(-e));
		r = CLI_FAIL;
	}
out:
	if (j.fd >= 0) {
		if (!part[0]) {
			ioctl(j.fd, BLKRRPART, 0); /* the kernel forgets the old partitions */
		}
		close(j.fd);
	}
	free(buf);
	free(want);
	double secs = now() - t0;
	if (result[0]) {
		audit_record(NULL, d.name, "wipe", "%s: %s (%.0f s)", j.shown, result, secs);
		if (r == CLI_OK) {
			cli_say(c, "%s: %s.", dev, result);
		} else if (e != 0) {
			cli_fail(c, "%s: %s", dev, result);
		}
	}
	if (c->json) {
		struct json_object *jo = json_object_new_object();
		json_object_object_add(jo, "device", json_object_new_string(dev));
		json_object_object_add(jo, "disk", json_object_new_string(d.path));
		json_object_object_add(jo, "method", json_object_new_string(mname));
		json_object_object_add(jo, "passes", json_object_new_int(npass));
		json_object_object_add(jo, "size", json_object_new_int64((int64_t)size));
		json_object_object_add(jo, "verified", json_object_new_boolean(verified));
		json_object_object_add(jo, "stopped", json_object_new_boolean(e == -EINTR));
		json_object_object_add(jo, "result", json_object_new_string(result));
		json_object_object_add(jo, "seconds", json_object_new_double(secs));
		cli_print_json(jo);
	}
	if (ui) {
		tui_pause();
	}
	return r;
}
