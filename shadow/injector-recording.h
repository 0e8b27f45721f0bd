#pragma once

/*
 * The "recording" injector: writes every event as one text line to a file, for tests.
 *
 * Options: path=FILE (required), opened O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC with mode 0600;
 * timestamps=0|1 (default 0). Each event is one write(2) of one line, so a reader tailing the
 * file never sees half a line:
 *
 *   key <code> <value>                  evdev KEY_* or BTN_* code and value (0, 1, 2), decimal
 *   abs <x> <y>                         absolute position (the screen size is not written)
 *   wheel <vertical_120> <horizontal_120>
 *
 * With timestamps=1 every line starts with the CLOCK_MONOTONIC time at which it was written,
 * "<seconds>.<9-digit nanoseconds> " (for latency benchmarks; Python's time.monotonic() reads
 * the same clock), e.g. "12345.000678901 key 30 1".
 *
 * Lines end in '\n'; nothing else is ever written.
 */

#include <stddef.h>

struct injector;
struct shadow_spec;

/* Factory hook for injector_create(). */
int injector_recording_create(struct shadow_spec *spec, struct injector **ret, char *errbuf,
			      size_t errlen);
