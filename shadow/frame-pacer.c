#include "frame-pacer.h"

void frame_pacer_init(struct frame_pacer *p, uint32_t max_fps, uint32_t min_fps, uint64_t now)
{
	if (max_fps == 0) {
		max_fps = 30;
	}
	if (max_fps > 1000) {
		max_fps = 1000;
	}
	if (min_fps == 0 || min_fps > max_fps) {
		min_fps = max_fps;
	}
	p->fast_ms = 1000 / max_fps;
	p->idle_ms = 1000 / min_fps;
	p->cur_ms = p->fast_ms;
	p->last = now;
	p->next = now;
}

void frame_pacer_polled(struct frame_pacer *p, uint64_t now, bool changed)
{
	if (changed) {
		p->cur_ms = p->fast_ms;
	} else if (p->cur_ms < p->idle_ms) {
		p->cur_ms += p->fast_ms;
		if (p->cur_ms > p->idle_ms) {
			p->cur_ms = p->idle_ms;
		}
	}
	p->last = now;
	p->next = now + p->cur_ms;
}

void frame_pacer_kick(struct frame_pacer *p, uint64_t now)
{
	uint64_t soon = p->last + p->fast_ms;

	p->cur_ms = p->fast_ms;
	if (soon < p->next) {
		p->next = soon < now ? now : soon;
	}
}

uint32_t frame_pacer_wait_ms(const struct frame_pacer *p, uint64_t now)
{
	return p->next > now ? (uint32_t)(p->next - now) : 0;
}
