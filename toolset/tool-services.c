#include "tools.h"

int tool_services(struct cli *c, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cli_fail(c, "not yet");
}
