#include "cli.h"

#include "tui.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool cli_common_option(struct cli *c, int opt, const char *arg)
{
	switch (opt) {
	case CLI_OPT_SYSTEM:
		c->system = arg;
		return true;
	case CLI_OPT_JSON:
		c->json = true;
		return true;
	case CLI_OPT_YES:
		c->yes = true;
		return true;
	case CLI_OPT_PASSPHRASE_STDIN:
		c->passphrase_stdin = true;
		return true;
	case CLI_OPT_HELP:
		c->help = true;
		return true;
	}
	return false;
}

int cli_getopt(struct cli *c, int argc, char **argv, const struct option *opts)
{
	opterr = 0;
	for (;;) {
		int o = getopt_long(argc, argv, "+:", opts, NULL);
		if (o == -1) {
			return 0;
		}
		if (o == '?' || o == ':') {
			cli_usage(c, o == ':' ? "option '%s' needs a value" : "unknown option '%s'",
				  argv[optind - 1]);
			return -1;
		}
		if (!cli_common_option(c, o, optarg)) {
			return o;
		}
	}
}

int cli_getopt_args(struct cli *c, int argc, char **argv, const struct option *opts,
		    const char **pos, size_t max, size_t *n)
{
	for (;;) {
		int o = cli_getopt(c, argc, argv, opts);
		if (o != 0 || optind >= argc) {
			return o;
		}
		if (*n >= max) {
			cli_usage(c, "unexpected argument '%.60s'", argv[optind]);
			return -1;
		}
		pos[(*n)++] = argv[optind++];
	}
}

int cli_options_done(struct cli *c, int last, int argc, char **argv, const char *help,
		     bool args_ok)
{
	if (last < 0) {
		return CLI_USAGE;
	}
	if (c->help) {
		fputs(help, stdout);
		return CLI_OK;
	}
	if (!args_ok && optind < argc) {
		return cli_usage(c, "unexpected argument '%.60s'", argv[optind]);
	}
	return CLI_GO;
}

int cli_confirm_change(const struct cli *c, const char *question)
{
	bool refused = false;
	if (cli_confirm(c, question, &refused)) {
		return CLI_GO;
	}
	if (refused) {
		return cli_usage(c, "this changes the system: give --yes (no terminal to ask on)");
	}
	cli_say(c, "Nothing changed.");
	return CLI_FAIL;
}

int cli_usage(const struct cli *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "lifeline %s: ", c->tool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'lifeline %s --help'.\n", c->tool);
	return CLI_USAGE;
}

int cli_fail(const struct cli *c, const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fprintf(stderr, "lifeline %s: error: ", c->tool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_FAIL;
}

void cli_say(const struct cli *c, const char *fmt, ...)
{
	FILE *f = c->json ? stderr : stdout;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}

char *cli_read_line(size_t max)
{
	char *buf = malloc(max + 1);
	size_t len = 0;
	if (!buf) {
		return NULL;
	}
	/* byte by byte: what follows the line stays in stdin for the next reader */
	for (;;) {
		char ch;
		ssize_t n = read(0, &ch, 1);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			if (len == 0) {
				free(buf);
				return NULL;
			}
			break;
		}
		if (ch == '\n') {
			break;
		}
		if (len < max) {
			buf[len++] = ch;
		}
	}
	if (len > 0 && buf[len - 1] == '\r') {
		len--;
	}
	buf[len] = '\0';
	return buf;
}

bool cli_confirm(const struct cli *c, const char *question, bool *refused)
{
	if (c->yes) {
		return true;
	}
	if (!c->tty) {
		*refused = true;
		return false;
	}
	printf("%s [y/N] ", question);
	fflush(stdout);
	char *answer = cli_read_line(64);
	bool yes = answer && (strcmp(answer, "y") == 0 || strcmp(answer, "Y") == 0 ||
			      strcasecmp(answer, "yes") == 0);
	free(answer);
	return yes;
}

int cli_read_secrets(struct cli *c)
{
	if (!c->passphrase_stdin || c->passphrase) {
		return CLI_OK;
	}
	c->passphrase = cli_read_line(1024);
	if (!c->passphrase) {
		return cli_usage(c, "--passphrase-stdin: no passphrase on standard input");
	}
	return CLI_OK;
}

int cli_discover(struct cli *c)
{
	int r = cli_read_secrets(c);
	if (r != CLI_OK || c->discovered) {
		return r;
	}
	struct systems_opts o = { .passphrase = c->passphrase };
	int e = systems_discover(&c->systems, &o);
	if (e < 0) {
		return cli_fail(c, "cannot look for disks and installed systems: %s", strerror(-e));
	}
	c->discovered = true;
	return CLI_OK;
}

int cli_pick_system(struct cli *c, const struct systems_system **ret)
{
	char why[256];
	int r = cli_discover(c);
	if (r != CLI_OK) {
		return r;
	}
	if (!c->system && c->tty && !c->json && c->systems.n_sys > 1) {
		/* on a terminal, several systems: ask which one */
		const char *items[64];
		char labels[64][160];
		size_t n = c->systems.n_sys < 64 ? c->systems.n_sys : 64;
		for (size_t i = 0; i < n; i++) {
			const struct systems_system *y = &c->systems.sys[i];
			snprintf(labels[i], sizeof(labels[i]), "%-20s %-34.34s %s", y->id, y->name,
				 c->systems.devs[y->root].path);
			items[i] = labels[i];
		}
		int k = tui_choose("Installed systems", "Choose the system to work on.", items, n);
		if (k < 0) {
			return CLI_FAIL;
		}
		*ret = &c->systems.sys[k];
		return CLI_OK;
	}
	int e = systems_select(&c->systems, c->system, ret, why, sizeof(why));
	if (e < 0) {
		return c->system || e == -EINVAL ? cli_usage(c, "%s", why) : cli_fail(c, "%s", why);
	}
	return CLI_OK;
}

void cli_print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

void cli_free(struct cli *c)
{
	if (c->passphrase) {
		explicit_bzero(c->passphrase, strlen(c->passphrase));
		free(c->passphrase);
		c->passphrase = NULL;
	}
	systems_free(&c->systems);
}
