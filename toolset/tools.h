#pragma once

#include "cli.h"

/* The tools of the lifeline command, one source file each (tool-NAME.c). */

struct lifeline_tool {
	const char *name;
	const char *summary;
	int (*run)(struct cli *c, int argc, char **argv);
};

int tool_systems(struct cli *c, int argc, char **argv);
int tool_locksmith(struct cli *c, int argc, char **argv);
int tool_fsck(struct cli *c, int argc, char **argv);
int tool_bootrepair(struct cli *c, int argc, char **argv);
int tool_fstab(struct cli *c, int argc, char **argv);
int tool_services(struct cli *c, int argc, char **argv);
int tool_logs(struct cli *c, int argc, char **argv);
int tool_restore(struct cli *c, int argc, char **argv);
int tool_files(struct cli *c, int argc, char **argv);
int tool_search(struct cli *c, int argc, char **argv);
int tool_copy(struct cli *c, int argc, char **argv);
int tool_packages(struct cli *c, int argc, char **argv);
int tool_disks(struct cli *c, int argc, char **argv);
int tool_wipe(struct cli *c, int argc, char **argv);

const struct lifeline_tool *lifeline_tools(size_t *count);
