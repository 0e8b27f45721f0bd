#include "injector-recording.h"

#include <assert.h>
#include <stdarg.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "injector.h"
#include "spec.h"

struct injector_recording {
	struct injector base;
	int fd;
	bool timestamps;
};

static const struct injector_impl injector_recording_impl;

static struct injector_recording *injector_recording_from(struct injector *inj)
{
	assert(inj->impl == &injector_recording_impl);
	return (struct injector_recording *)inj;
}

static int write_line(struct injector_recording *rec, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int write_line(struct injector_recording *rec, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	size_t off = 0, len = 0;
	int n;

	if (rec->timestamps) {
		struct timespec ts;

		/* Taken as late as possible: latency benchmarks compare it with the sender's clock. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		n = snprintf(line, sizeof(line), "%lld.%09ld ", (long long)ts.tv_sec, ts.tv_nsec);
		if (n < 0 || (size_t)n >= sizeof(line)) {
			return -EINVAL;
		}
		len = (size_t)n;
	}
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - len) {
		return -EINVAL;
	}
	n += (int)len;
	while (off < (size_t)n) {
		ssize_t w = write(rec->fd, line + off, (size_t)n - off);

		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			return -errno;
		}
		off += (size_t)w;
	}
	return 0;
}

static int injector_recording_key(struct injector *inj, uint16_t code, int value)
{
	if (value < 0 || value > 2) {
		return -EINVAL;
	}
	return write_line(injector_recording_from(inj), "key %u %d\n", (unsigned int)code, value);
}

static int injector_recording_move_abs(struct injector *inj, uint32_t x, uint32_t y, uint32_t width,
				       uint32_t height)
{
	(void)width;
	(void)height;
	return write_line(injector_recording_from(inj), "abs %u %u\n", x, y);
}

static int injector_recording_wheel(struct injector *inj, int32_t vertical_120,
				    int32_t horizontal_120)
{
	return write_line(injector_recording_from(inj), "wheel %d %d\n", vertical_120,
			  horizontal_120);
}

static void injector_recording_destroy(struct injector *inj)
{
	struct injector_recording *rec = injector_recording_from(inj);

	close(rec->fd);
	free(rec);
}

static const struct injector_impl injector_recording_impl = {
	.name = "recording",
	.key = injector_recording_key,
	.move_abs = injector_recording_move_abs,
	.wheel = injector_recording_wheel,
	.destroy = injector_recording_destroy,
};

int injector_recording_create(struct shadow_spec *spec, struct injector **ret, char *errbuf,
			      size_t errlen)
{
	struct injector_recording *rec;
	const char *path = shadow_spec_get(spec, "path");
	uint32_t timestamps;
	int r;

	if (!path || !*path) {
		return shadow_error(errbuf, errlen, -EINVAL,
				    "injector 'recording' needs path=FILE");
	}
	r = shadow_spec_get_u32(spec, "timestamps", 0, 0, 1, &timestamps, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	r = shadow_spec_check_unused(spec, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	rec = calloc(1, sizeof(*rec));
	if (!rec) {
		return shadow_error(errbuf, errlen, -ENOMEM, "out of memory");
	}
	rec->base.impl = &injector_recording_impl;
	rec->timestamps = timestamps;
	rec->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (rec->fd < 0) {
		r = -errno;
		free(rec);
		return shadow_error(errbuf, errlen, r, "injector 'recording': cannot open '%s': %s",
				    path, strerror(-r));
	}
	*ret = &rec->base;
	return 0;
}
