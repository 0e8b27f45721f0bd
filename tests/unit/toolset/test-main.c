#include <stdlib.h>

#include "toolset-test.h"

int main(void)
{
	SRunner *sr = srunner_create(test_suite());

	/* With TAP going to stdout (CK_TAP_LOG_FILE_NAME=-), keep Check's own summary out of it. */
	srunner_run_all(sr, getenv("CK_TAP_LOG_FILE_NAME") ? CK_SILENT : CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
