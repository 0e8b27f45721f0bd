#pragma once

#include <check.h>

/* Each test program defines its suite; test-main.c runs it. */
Suite *test_suite(void);
