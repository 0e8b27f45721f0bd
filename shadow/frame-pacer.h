#pragma once

/*
 * When to look at the screen next, while a client watches.
 *
 * A changing screen is polled at the full rate (max_fps). Each poll that finds nothing changed
 * stretches the interval by one full-rate period, up to the idle rate (min_fps), so a still
 * console costs a few polls a second instead of max_fps full-frame compares. A change, or input
 * from the client (which is about to change the screen: an echo, a pointer), brings back the
 * full rate at once. The cost: the first change after a quiet spell shows up to one idle period
 * late, unless the client's own input announced it.
 *
 * Times in milliseconds on any monotonic clock. Not thread-safe: kick() from another thread
 * goes through the caller's own flag.
 */

#include <stdbool.h>
#include <stdint.h>

struct frame_pacer {
	uint32_t fast_ms;  /* 1000 / max_fps */
	uint32_t idle_ms;  /* 1000 / min_fps, >= fast_ms */
	uint32_t cur_ms;   /* the interval after the last poll */
	uint64_t last;     /* when the last poll ran */
	uint64_t next;     /* when the next poll is due */
};

/* max_fps in 1..1000 (0 means 30); min_fps in 1..max_fps (0 or above max_fps means max_fps,
 * that is no slowing down). Due at now. */
void frame_pacer_init(struct frame_pacer *p, uint32_t max_fps, uint32_t min_fps, uint64_t now);

/* A poll ran at now and found the screen changed or not; schedules the next. */
void frame_pacer_polled(struct frame_pacer *p, uint64_t now, bool changed);

/* Input from the client at now: the next poll is due no later than one full-rate period after
 * the last one (at once when that is already past), and the rate is the full one again. */
void frame_pacer_kick(struct frame_pacer *p, uint64_t now);

/* Milliseconds from now until the next poll is due (0: due now). */
uint32_t frame_pacer_wait_ms(const struct frame_pacer *p, uint64_t now);
