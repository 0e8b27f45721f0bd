#pragma once

#include <stdarg.h>

/* One line per call on stderr, prefixed "lifeline-server: ". Never pass secrets. */
void log_line(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_info(...)  log_line("info", __VA_ARGS__)
#define log_warn(...)  log_line("warning", __VA_ARGS__)
#define log_error(...) log_line("error", __VA_ARGS__)
