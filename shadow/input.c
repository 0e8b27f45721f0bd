#include "input.h"

#include <errno.h>
#include <limits.h>
#include <linux/input-event-codes.h>
#include <pthread.h>
#include <stdlib.h>

#include "injector.h"

#define HELD_WORDS ((KEY_CNT + 63) / 64)

struct input {
	pthread_mutex_t lock;
	struct injector *inj;
	uint32_t width, height;
	bool enabled;
	uint64_t held[HELD_WORDS];
};

static bool held_get(const struct input *in, uint16_t code)
{
	return in->held[code / 64] & (UINT64_C(1) << (code % 64));
}

static void held_set(struct input *in, uint16_t code, bool on)
{
	if (on) {
		in->held[code / 64] |= UINT64_C(1) << (code % 64);
	} else {
		in->held[code / 64] &= ~(UINT64_C(1) << (code % 64));
	}
}

int input_new(struct injector *inj, struct input **ret)
{
	struct input *in;

	if (!inj) {
		return -EINVAL;
	}
	in = calloc(1, sizeof(*in));
	if (!in) {
		return -ENOMEM;
	}
	if (pthread_mutex_init(&in->lock, NULL) != 0) {
		free(in);
		return -ENOMEM;
	}
	in->inj = inj;
	in->enabled = true;
	*ret = in;
	return 0;
}

/* Caller holds the lock. */
static int release_all_locked(struct input *in)
{
	int first_err = 0;

	for (size_t w = 0; w < HELD_WORDS; w++) {
		while (in->held[w]) {
			uint16_t code = (uint16_t)(w * 64 + (size_t)__builtin_ctzll(in->held[w]));
			int r = injector_key(in->inj, code, 0);

			/* Forget it even when the injector failed: retrying forever in a loop here
			 * helps nobody, and a later press starts from a clean state. */
			held_set(in, code, false);
			if (r < 0 && first_err == 0) {
				first_err = r;
			}
		}
	}
	return first_err;
}

void input_destroy(struct input *in)
{
	if (!in) {
		return;
	}
	pthread_mutex_lock(&in->lock);
	release_all_locked(in);
	pthread_mutex_unlock(&in->lock);
	pthread_mutex_destroy(&in->lock);
	free(in);
}

void input_set_screen(struct input *in, uint32_t w, uint32_t h)
{
	pthread_mutex_lock(&in->lock);
	in->width = w;
	in->height = h;
	if (w > 0 && h > 0) {
		injector_set_screen(in->inj, w, h);
	}
	pthread_mutex_unlock(&in->lock);
}

int input_sync_locks(struct input *in, uint32_t locks)
{
	int r = 0;

	pthread_mutex_lock(&in->lock);
	if (in->enabled) {
		r = injector_sync_locks(in->inj, locks);
		if (r == -EOPNOTSUPP) {
			r = 0;
		}
	}
	pthread_mutex_unlock(&in->lock);
	return r;
}

int input_key(struct input *in, uint16_t code, bool down)
{
	int r = 0;

	if (code == 0 || code > KEY_MAX) {
		return -EINVAL;
	}
	pthread_mutex_lock(&in->lock);
	if (!in->enabled) {
		goto out;
	}
	if (down) {
		bool repeat = held_get(in, code);

		r = injector_key(in->inj, code, repeat ? 2 : 1);
		if (r == 0) {
			held_set(in, code, true);
		}
	} else if (held_get(in, code)) {
		r = injector_key(in->inj, code, 0);
		if (r == 0) {
			held_set(in, code, false);
		}
	}
out:
	pthread_mutex_unlock(&in->lock);
	return r;
}

int input_move(struct input *in, uint32_t x, uint32_t y)
{
	int r = 0;

	pthread_mutex_lock(&in->lock);
	if (!in->enabled) {
		goto out;
	}
	if (in->width == 0 || in->height == 0) {
		r = -EINVAL;
		goto out;
	}
	if (x >= in->width) {
		x = in->width - 1;
	}
	if (y >= in->height) {
		y = in->height - 1;
	}
	r = injector_move_abs(in->inj, x, y, in->width, in->height);
out:
	pthread_mutex_unlock(&in->lock);
	return r;
}

int input_wheel(struct input *in, int32_t v120, int32_t h120)
{
	int r = 0;

	pthread_mutex_lock(&in->lock);
	if (in->enabled && (v120 != 0 || h120 != 0)) {
		r = injector_wheel(in->inj, v120, h120);
	}
	pthread_mutex_unlock(&in->lock);
	return r;
}

int input_release_all(struct input *in)
{
	int r;

	pthread_mutex_lock(&in->lock);
	r = release_all_locked(in);
	pthread_mutex_unlock(&in->lock);
	return r;
}

void input_set_enabled(struct input *in, bool enabled)
{
	pthread_mutex_lock(&in->lock);
	if (in->enabled && !enabled) {
		release_all_locked(in);
	}
	in->enabled = enabled;
	pthread_mutex_unlock(&in->lock);
}

bool input_enabled(struct input *in)
{
	bool enabled;

	pthread_mutex_lock(&in->lock);
	enabled = in->enabled;
	pthread_mutex_unlock(&in->lock);
	return enabled;
}

bool input_is_held(struct input *in, uint16_t code)
{
	bool held;

	if (code > KEY_MAX) {
		return false;
	}
	pthread_mutex_lock(&in->lock);
	held = held_get(in, code);
	pthread_mutex_unlock(&in->lock);
	return held;
}
