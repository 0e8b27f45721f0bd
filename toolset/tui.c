#include "tui.h"

#include "cli.h"
#include "tools.h"

#include <fcntl.h>
#include <newt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * With LIFELINE_ANNOUNCE=FILE (lifeline-shell passes on its --announce), each dialog announces
 * itself there as one line, so that tests and helpdesk scripts know what is on the screen:
 * "lifeline-tui: KIND TITLE: FIRST LINE".
 */
static void announce(const char *kind, const char *title, const char *text)
{
	const char *path = getenv("LIFELINE_ANNOUNCE");
	if (!path || !*path) {
		return;
	}
	int fd = open(path, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		return;
	}
	char first[160] = "";
	size_t n = strcspn(text, "\n");
	snprintf(first, sizeof(first), "%.*s", (int)(n < 150 ? n : 150), text);
	dprintf(fd, "lifeline-tui: %s %s: %s\n", kind, title, first);
	close(fd);
}

static void begin(void)
{
	newtInit();
	newtCls();
	newtDrawRootText(1, 0, "Lifeline recovery tools");
	newtPushHelpLine("Tab/arrows move  Enter chooses  Esc goes back");
}

static void end(void)
{
	newtFinished();
}

int tui_choose(const char *title, const char *text, const char *const *items, size_t n)
{
	int cols, rows;
	begin();
	newtGetScreenSize(&cols, &rows);
	announce("choose", title, text);
	int width = cols - 10 > 72 ? 72 : cols - 10;
	int list_h = (int)n < rows - 14 ? (int)n : rows - 14;
	if (list_h < 1) {
		list_h = 1;
	}
	newtComponent tb = newtTextboxReflowed(1, 1, (char *)text, width - 2, 0, 0, 0);
	int tb_h = newtTextboxGetNumLines(tb);
	newtCenteredWindow(width, tb_h + list_h + 6, title);
	newtComponent lb = newtListbox(1, tb_h + 2, list_h, NEWT_FLAG_RETURNEXIT | NEWT_FLAG_SCROLL);
	newtListboxSetWidth(lb, width - 2);
	for (size_t i = 0; i < n; i++) {
		newtListboxAppendEntry(lb, items[i], (void *)(i + 1));
	}
	newtComponent cancel = newtCompactButton(width - 12, tb_h + list_h + 3, "Back");
	newtComponent f = newtForm(NULL, NULL, 0);
	newtFormAddComponents(f, tb, lb, cancel, NULL);
	newtFormAddHotKey(f, NEWT_KEY_ESCAPE);
	struct newtExitStruct es;
	newtFormRun(f, &es);
	int chosen = -1;
	if (es.reason == NEWT_EXIT_COMPONENT && es.u.co == lb) {
		chosen = (int)(size_t)newtListboxGetCurrent(lb) - 1;
	}
	newtFormDestroy(f);
	newtPopWindow();
	end();
	return chosen;
}

char *tui_entry(const char *title, const char *prompt, bool secret)
{
	begin();
	announce("entry", title, prompt);
	newtComponent tb = newtTextboxReflowed(1, 1, (char *)prompt, 56, 0, 0, 0);
	int h = newtTextboxGetNumLines(tb);
	newtCenteredWindow(60, h + 6, title);
	const char *value = NULL;
	newtComponent en = newtEntry(1, h + 2, "", 56, &value,
				     NEWT_FLAG_RETURNEXIT | (secret ? NEWT_FLAG_PASSWORD : 0) |
					     NEWT_FLAG_SCROLL);
	newtComponent f = newtForm(NULL, NULL, 0);
	newtFormAddComponents(f, tb, en, NULL);
	newtFormAddHotKey(f, NEWT_KEY_ESCAPE);
	struct newtExitStruct es;
	newtFormRun(f, &es);
	char *out = NULL;
	if (es.reason == NEWT_EXIT_COMPONENT) {
		out = strdup(newtEntryGetValue(en));
	}
	newtFormDestroy(f);
	newtPopWindow();
	end();
	return out;
}

bool tui_yesno(const char *title, const char *text)
{
	begin();
	announce("yesno", title, text);
	int r = newtWinChoice((char *)title, "Yes", "No", "%s", text);
	end();
	return r == 1;
}

void tui_show(const char *title, const char *text)
{
	int cols, rows;
	begin();
	newtGetScreenSize(&cols, &rows);
	announce("show", title, text);
	int w = cols - 6, h = rows - 8;
	newtCenteredWindow(w, h + 4, title);
	newtComponent tb = newtTextbox(1, 1, w - 2, h, NEWT_FLAG_SCROLL | NEWT_FLAG_WRAP);
	newtTextboxSetText(tb, text);
	newtComponent ok = newtCompactButton(w / 2 - 3, h + 2, "OK");
	newtComponent f = newtForm(NULL, NULL, 0);
	newtFormAddComponents(f, tb, ok, NULL);
	newtFormAddHotKey(f, NEWT_KEY_ESCAPE);
	newtRunForm(f);
	newtFormDestroy(f);
	newtPopWindow();
	end();
}

void tui_pause(void)
{
	announce("pause", "done", "Press Enter to go on");
	printf("\nPress Enter to go on.");
	fflush(stdout);
	free(cli_read_line(256));
}

int tui_menu(void)
{
	size_t n;
	const struct lifeline_tool *tools = lifeline_tools(&n);
	const char *items[32];
	char labels[32][96];
	for (size_t i = 0; i < n && i < 32; i++) {
		snprintf(labels[i], sizeof(labels[i]), "%-11s %s", tools[i].name, tools[i].summary);
		items[i] = labels[i];
	}
	for (;;) {
		int i = tui_choose("Lifeline", "Choose a tool.", items, n);
		if (i < 0) {
			return CLI_OK;
		}
		tui_run_tool(tools[i].name, tools[i].run);
	}
}

int tui_run_tool(const char *name, int (*run)(struct cli *c, int argc, char **argv))
{
	char *argv[] = { (char *)name, NULL };
	struct cli c = { .tool = name, .tty = true };
	optind = 0;
	int r = run(&c, 1, argv);
	cli_free(&c);
	return r;
}
