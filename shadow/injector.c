#include "injector.h"

#include <errno.h>
#include <string.h>

#include "injector-recording.h"
#include "injector-uinput.h"
#include "spec.h"

struct injector_backend {
	const char *name;
	int (*create)(struct shadow_spec *spec, struct injector **ret, char *errbuf, size_t errlen);
};

static const struct injector_backend backends[] = {
	{ "recording", injector_recording_create },
	{ "uinput", injector_uinput_create },
};

static const char *const backend_names[] = {
	"recording",
	"uinput",
	NULL,
};

_Static_assert(sizeof(backend_names) / sizeof(backend_names[0]) ==
		       sizeof(backends) / sizeof(backends[0]) + 1,
	       "backend_names must list every backend");

const char *const *injector_backend_names(void)
{
	return backend_names;
}

int injector_create(const char *spec_str, struct injector **ret, char *errbuf, size_t errlen)
{
	const struct injector_backend *backend = NULL;
	struct shadow_spec spec;
	struct injector *inj = NULL;
	int r;

	r = shadow_spec_parse(spec_str, &spec, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (strcmp(backends[i].name, spec.name) == 0) {
			backend = &backends[i];
			break;
		}
	}
	if (!backend) {
		r = shadow_error(errbuf, errlen, -EINVAL, "unknown injector backend '%s'",
				 spec.name);
	} else {
		r = backend->create(&spec, &inj, errbuf, errlen);
	}
	/* Backends check this themselves before they acquire anything (so a typo never creates a
	 * file); this is the backstop for one that forgets. */
	if (r == 0) {
		r = shadow_spec_check_unused(&spec, errbuf, errlen);
		if (r < 0) {
			injector_destroy(inj);
		}
	}
	shadow_spec_fini(&spec);
	if (r < 0) {
		return r;
	}
	*ret = inj;
	return 0;
}

void injector_destroy(struct injector *inj)
{
	if (!inj) {
		return;
	}
	inj->impl->destroy(inj);
}

int injector_key(struct injector *inj, uint16_t code, int value)
{
	return inj->impl->key(inj, code, value);
}

int injector_move_abs(struct injector *inj, uint32_t x, uint32_t y, uint32_t width, uint32_t height)
{
	return inj->impl->move_abs(inj, x, y, width, height);
}

int injector_wheel(struct injector *inj, int32_t vertical_120, int32_t horizontal_120)
{
	return inj->impl->wheel(inj, vertical_120, horizontal_120);
}

int injector_set_screen(struct injector *inj, uint32_t width, uint32_t height)
{
	if (!inj->impl->set_screen) {
		return -EOPNOTSUPP;
	}
	return inj->impl->set_screen(inj, width, height);
}

int injector_sync_locks(struct injector *inj, uint32_t locks)
{
	if (!inj->impl->sync_locks) {
		return -EOPNOTSUPP;
	}
	return inj->impl->sync_locks(inj, locks);
}
