#pragma once

/* Shared by the server unit tests. */

#include <check.h>

/* Each test file defines its suite; test-main.c (the ticket tests' runner) runs it. */
Suite *test_suite(void);
