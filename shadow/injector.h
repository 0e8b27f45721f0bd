#pragma once

/*
 * Input injection backends behind one interface.
 *
 * A backend is chosen by a spec string NAME[:KEY=VALUE[,KEY=VALUE...]], e.g.
 * "recording:path=/tmp/x.log". An injector is not thread-safe; struct input serialises callers.
 */

#include <stddef.h>
#include <stdint.h>

struct injector;

struct injector_impl {
	const char *name;
	/* evdev KEY_* or BTN_*; value 1 press, 0 release, 2 repeat. 0 or a negative errno. */
	int (*key)(struct injector *inj, uint16_t code, int value);
	/* Absolute pointer position on a width×height screen (x < width, y < height). */
	int (*move_abs)(struct injector *inj, uint32_t x, uint32_t y, uint32_t width,
			uint32_t height);
	/* Hi-res units: 120 = one detent; vertical >0 = away from user (up), horizontal >0 = right.
	 */
	int (*wheel)(struct injector *inj, int32_t vertical_120, int32_t horizontal_120);
	/* Frees the backend; does not release keys (struct input does that first). */
	void (*destroy)(struct injector *inj);

	/* Optional. The screen is now width×height (before the moves on it); 0 or -errno. */
	int (*set_screen)(struct injector *inj, uint32_t width, uint32_t height);
	/* Optional. Make the machine's lock keys match locks (INJECTOR_LOCK_* bits, the values of
	 * RDP's synchronize event) by tapping the lock keys that differ; 0 or -errno. */
	int (*sync_locks)(struct injector *inj, uint32_t locks);
};

#define INJECTOR_LOCK_SCROLL 0x1u
#define INJECTOR_LOCK_NUM    0x2u
#define INJECTOR_LOCK_CAPS   0x4u

/* Embedded as the first member of every backend's own struct. */
struct injector {
	const struct injector_impl *impl;
};

/* Creates the backend spec names. Unknown backend, unknown option or bad value → -EINVAL, a
 * resource that cannot be opened → its negative errno; a human message in errbuf either way. */
int injector_create(const char *spec, struct injector **ret, char *errbuf, size_t errlen);
/* NULL-terminated list of backend names, for --help. */
const char *const *injector_backend_names(void);
void injector_destroy(struct injector *inj);

/* Thin dispatchers to the vtable. */
int injector_key(struct injector *inj, uint16_t code, int value);
int injector_move_abs(struct injector *inj, uint32_t x, uint32_t y, uint32_t width,
		      uint32_t height);
int injector_wheel(struct injector *inj, int32_t vertical_120, int32_t horizontal_120);
/* Dispatchers for the optional members: -EOPNOTSUPP when the backend has none. */
int injector_set_screen(struct injector *inj, uint32_t width, uint32_t height);
int injector_sync_locks(struct injector *inj, uint32_t locks);
