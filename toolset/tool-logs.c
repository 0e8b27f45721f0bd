#include "tools.h"

int tool_logs(struct cli *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(c, "not yet");
}
