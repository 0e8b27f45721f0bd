#pragma once

#include "systems.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdbool.h>

/*
 * What every tool shares: the common options, the exit statuses, one-line errors, questions that
 * need a terminal or --yes, and choosing the installed system.
 */

enum {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2,
};

/* Long options every tool accepts; getopt values above 0x1000. */
enum {
	CLI_OPT_SYSTEM = 0x1000,
	CLI_OPT_JSON,
	CLI_OPT_YES,
	CLI_OPT_PASSPHRASE_STDIN,
	CLI_OPT_HELP,
	CLI_OPT_FIRST_TOOL, /* tools number their own long-only options from here */
};

#define CLI_COMMON_OPTIONS                                                                          \
	{ "system", required_argument, NULL, CLI_OPT_SYSTEM },                                      \
	{ "json", no_argument, NULL, CLI_OPT_JSON },                                                \
	{ "yes", no_argument, NULL, CLI_OPT_YES },                                                  \
	{ "passphrase-stdin", no_argument, NULL, CLI_OPT_PASSPHRASE_STDIN },                        \
	{ "help", no_argument, NULL, CLI_OPT_HELP }

#define CLI_COMMON_HELP                                                                             \
	"  --system ID          the installed system to work on (see 'lifeline systems');\n"       \
	"                       not needed when only one is found\n"                                \
	"  --passphrase-stdin   read the passphrase of encrypted (LUKS) volumes from the first\n"   \
	"                       line of standard input\n"                                           \
	"  --yes                answer every question with yes (needed without a terminal)\n"      \
	"  --json               print the result as JSON\n"                                         \
	"  --help               show this help\n"

struct cli {
	const char *tool;
	bool json, yes, passphrase_stdin, help;
	const char *system;
	bool tty;             /* stdin and stdout are a terminal: questions can be asked */
	char *passphrase;     /* read by cli_read_secrets() */
	struct systems systems;
	bool discovered;
};

/* Handles a common option; false when OPT is not one. */
bool cli_common_option(struct cli *c, int opt, const char *arg);

#define CLI_GO (-1) /* cli_options_done(), cli_confirm_change(): carry on */

/*
 * The tool's next own option from ARGV (OPTS includes CLI_COMMON_OPTIONS, which are taken on
 * the way): its value (> 0, the argument in optarg), 0 at the end, or -1 after an unknown option
 * or a missing value.
 */
int cli_getopt(struct cli *c, int argc, char **argv, const struct option *opts);

/*
 * cli_getopt() that also takes the arguments that are not options, wherever they stand
 * (lifeline wipe DEVICE --method zero): they go to POS, at most MAX (one more is a usage error,
 * -1); *N counts them.
 */
int cli_getopt_args(struct cli *c, int argc, char **argv, const struct option *opts,
		    const char **pos, size_t max, size_t *n);

/*
 * After the cli_getopt() loop that ended with LAST: CLI_USAGE for a bad option or (unless
 * ARGS_OK) a leftover argument, CLI_OK after printing HELP for --help, else CLI_GO.
 */
int cli_options_done(struct cli *c, int last, int argc, char **argv, const char *help,
		     bool args_ok);

/* Prints "lifeline TOOL: MESSAGE" and a pointer to --help; returns CLI_USAGE. */
int cli_usage(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "lifeline TOOL: error: MESSAGE"; returns CLI_FAIL. */
int cli_fail(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Progress and findings for the person (stdout, or stderr under --json). */
void cli_say(const struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Asks QUESTION; true for yes.  With --yes: true without asking.  Without a terminal: false, and
 * *refused is set so the caller exits CLI_USAGE saying --yes is needed.
 */
bool cli_confirm(const struct cli *c, const char *question, bool *refused);

/*
 * The question before a change: CLI_GO for yes; CLI_USAGE (saying --yes is needed) without a
 * terminal; CLI_FAIL ("Nothing changed.") for no.
 */
int cli_confirm_change(const struct cli *c, const char *question);

/* Reads one line from stdin into a new string (newline removed); NULL at EOF or on error. */
char *cli_read_line(size_t max);

/* Reads the LUKS passphrase (when --passphrase-stdin) before any other stdin use. */
int cli_read_secrets(struct cli *c);

/* Reads the secrets and discovers the disks and systems (once); CLI_OK or an exit status. */
int cli_discover(struct cli *c);

/* Discovers the systems (once) and picks the one --system names; CLI_OK or an exit status. */
int cli_pick_system(struct cli *c, const struct systems_system **ret);

/* Prints a JSON object to stdout and frees it. */
void cli_print_json(struct json_object *o);

void cli_free(struct cli *c);
