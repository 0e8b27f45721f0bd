#include "capture.h"

#include <errno.h>
#include <string.h>

#include "capture-drm.h"
#include "capture-fbdev.h"
#include "capture-test.h"
#include "spec.h"

struct capture_backend {
	const char *name;
	int (*create)(struct shadow_spec *spec, struct capture **ret, char *errbuf, size_t errlen);
};

static const struct capture_backend backends[] = {
	{ "test", capture_test_create },
	{ "auto", capture_auto_create },
	{ "drm", capture_drm_create },
	{ "fbdev", capture_fbdev_create },
};

static const char *const backend_names[] = {
	"test",
	"auto",
	"drm",
	"fbdev",
	NULL,
};

_Static_assert(sizeof(backend_names) / sizeof(backend_names[0]) ==
		       sizeof(backends) / sizeof(backends[0]) + 1,
	       "backend_names must list every backend");

const char *const *capture_backend_names(void)
{
	return backend_names;
}

int capture_create(const char *spec_str, struct capture **ret, char *errbuf, size_t errlen)
{
	struct shadow_spec spec;
	struct capture *c = NULL;
	int r;

	r = shadow_spec_parse(spec_str, &spec, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	const struct capture_backend *backend = NULL;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (strcmp(backends[i].name, spec.name) == 0) {
			backend = &backends[i];
			break;
		}
	}
	if (!backend) {
		r = shadow_error(errbuf, errlen, -EINVAL, "unknown capture backend '%s'",
				 spec.name);
	} else {
		r = backend->create(&spec, &c, errbuf, errlen);
	}
	/* Backends check this themselves before they acquire anything; this is the backstop. */
	if (r == 0) {
		r = shadow_spec_check_unused(&spec, errbuf, errlen);
		if (r < 0) {
			capture_destroy(c);
		}
	}
	shadow_spec_fini(&spec);
	if (r < 0) {
		return r;
	}
	*ret = c;
	return 0;
}

int capture_get_size(struct capture *c, uint32_t *ret_w, uint32_t *ret_h)
{
	return c->impl->get_size(c, ret_w, ret_h);
}

int capture_grab(struct capture *c, struct capture_frame *ret_frame)
{
	return c->impl->grab(c, ret_frame);
}

void capture_destroy(struct capture *c)
{
	if (!c) {
		return;
	}
	c->impl->destroy(c);
}

int capture_get_cursor(struct capture *c, struct capture_cursor *ret)
{
	if (!c->impl->get_cursor) {
		return -EOPNOTSUPP;
	}
	return c->impl->get_cursor(c, ret);
}

int capture_list_monitors(struct capture *c, struct capture_monitor *ret, size_t max, size_t *ret_n)
{
	uint32_t w, h;
	int r;

	if (c->impl->list_monitors) {
		return c->impl->list_monitors(c, ret, max, ret_n);
	}
	r = capture_get_size(c, &w, &h);
	if (r < 0) {
		return r;
	}
	if (max > 0) {
		ret[0] = (struct capture_monitor){
			.name = "screen",
			.connected = true,
			.active = true,
			.shared = true,
			.width = w,
			.height = h,
		};
	}
	*ret_n = 1;
	return 0;
}

void capture_release(struct capture *c)
{
	if (c && c->impl->release) {
		c->impl->release(c);
	}
}

const char *capture_last_error(struct capture *c)
{
	const char *s = c->impl->last_error ? c->impl->last_error(c) : NULL;

	return s ? s : "";
}

uint32_t capture_format_bpp(enum capture_format format)
{
	switch (format) {
	case CAPTURE_FORMAT_XRGB8888:
	case CAPTURE_FORMAT_ARGB8888:
		return 4;
	case CAPTURE_FORMAT_RGB565:
		return 2;
	}
	return 0;
}
