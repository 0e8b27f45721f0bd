#pragma once

/* Small helpers shared by the shadow unit tests. */

#include <check.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs s; TAP goes to stdout when CK_TAP_LOG_FILE_NAME=- (as meson runs us), so keep the
 * normal report off stdout then. */
static inline int shadow_test_run(Suite *s)
{
	const char *tap = getenv("CK_TAP_LOG_FILE_NAME");
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, tap && strcmp(tap, "-") == 0 ? CK_SILENT : CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* A fresh empty temp file path (the file exists, empty); free() the result, unlink when done. */
static inline char *shadow_test_tmpfile(void)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (!dir || !*dir) {
		dir = "/tmp";
	}
	ck_assert_int_gt(asprintf(&path, "%s/lifeline-shadow-test-XXXXXX", dir), 0);
	fd = mkostemp(path, O_CLOEXEC);
	ck_assert_msg(fd >= 0, "mkostemp %s: %s", path, strerror(errno));
	close(fd);
	return path;
}

/* The whole file as a string; free() it. */
static inline char *shadow_test_slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int c;

	ck_assert_msg(f != NULL, "open %s: %s", path, strerror(errno));
	mem = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(mem);
	while ((c = fgetc(f)) != EOF) {
		fputc(c, mem);
	}
	fclose(mem);
	fclose(f);
	return buf;
}

/* Asserts that the file is exactly expected. */
#define shadow_test_assert_file(path, expected)           \
	do {                                              \
		char *content_ = shadow_test_slurp(path); \
		ck_assert_str_eq(content_, (expected));   \
		free(content_);                           \
	} while (0)

/* Truncates the file so the next assertion sees only what follows. */
static inline void shadow_test_truncate(const char *path)
{
	ck_assert_int_eq(truncate(path, 0), 0);
}
