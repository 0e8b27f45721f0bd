#include "spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int shadow_error(char *errbuf, size_t errlen, int err, const char *fmt, ...)
{
	if (errbuf && errlen > 0) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return err;
}

int shadow_parse_u32(const char *s, uint32_t *ret)
{
	uint64_t v = 0;

	if (!s || !*s) {
		return -EINVAL;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9') {
			return -EINVAL;
		}
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX) {
			return -ERANGE;
		}
	}
	*ret = (uint32_t)v;
	return 0;
}

void shadow_spec_fini(struct shadow_spec *spec)
{
	if (!spec) {
		return;
	}
	free(spec->buf);
	memset(spec, 0, sizeof(*spec));
}

int shadow_spec_parse(const char *spec, struct shadow_spec *ret, char *errbuf, size_t errlen)
{
	struct shadow_spec s = { 0 };
	char *colon, *item, *save = NULL;
	int r;

	if (!spec || !*spec) {
		return shadow_error(errbuf, errlen, -EINVAL, "empty backend spec");
	}
	s.buf = strdup(spec);
	if (!s.buf) {
		return shadow_error(errbuf, errlen, -ENOMEM, "out of memory");
	}
	s.name = s.buf;
	colon = strchr(s.buf, ':');
	if (colon) {
		*colon = '\0';
	}
	if (!*s.name) {
		r = shadow_error(errbuf, errlen, -EINVAL, "'%s': missing backend name", spec);
		goto err;
	}
	if (!colon) {
		*ret = s;
		return 0;
	}

	/* strtok_r would silently skip empty items ("a=1,,b=2"); we reject them instead. */
	for (item = colon + 1;; item = save) {
		char *comma = strchr(item, ',');
		char *eq;

		save = comma ? comma + 1 : NULL;
		if (comma) {
			*comma = '\0';
		}
		eq = strchr(item, '=');
		if (!eq || eq == item) {
			r = shadow_error(errbuf, errlen, -EINVAL,
					 "'%s': option '%s' is not KEY=VALUE", spec, item);
			goto err;
		}
		*eq = '\0';
		for (size_t i = 0; i < s.n_options; i++) {
			if (strcmp(s.options[i].key, item) == 0) {
				r = shadow_error(errbuf, errlen, -EINVAL,
						 "'%s': option '%s' given twice", spec, item);
				goto err;
			}
		}
		if (s.n_options == SHADOW_SPEC_MAX_OPTIONS) {
			r = shadow_error(errbuf, errlen, -EINVAL, "'%s': too many options", spec);
			goto err;
		}
		s.options[s.n_options++] = (struct shadow_spec_option){
			.key = item,
			.value = eq + 1,
		};
		if (!save) {
			break;
		}
	}
	*ret = s;
	return 0;

err:
	shadow_spec_fini(&s);
	return r;
}

const char *shadow_spec_get(struct shadow_spec *spec, const char *key)
{
	for (size_t i = 0; i < spec->n_options; i++) {
		if (strcmp(spec->options[i].key, key) == 0) {
			spec->options[i].used = true;
			return spec->options[i].value;
		}
	}
	return NULL;
}

int shadow_spec_check_unused(const struct shadow_spec *spec, char *errbuf, size_t errlen)
{
	for (size_t i = 0; i < spec->n_options; i++) {
		if (!spec->options[i].used) {
			return shadow_error(errbuf, errlen, -EINVAL,
					    "backend '%s' has no option '%s'", spec->name,
					    spec->options[i].key);
		}
	}
	return 0;
}

int shadow_spec_get_u32(struct shadow_spec *spec, const char *key, uint32_t def, uint32_t min,
			uint32_t max, uint32_t *ret, char *errbuf, size_t errlen)
{
	const char *value = shadow_spec_get(spec, key);
	uint32_t v;

	if (!value) {
		*ret = def;
		return 0;
	}
	if (shadow_parse_u32(value, &v) < 0 || v < min || v > max) {
		return shadow_error(errbuf, errlen, -EINVAL,
				    "backend '%s': %s=%s is not a number in %u..%u", spec->name,
				    key, value, min, max);
	}
	*ret = v;
	return 0;
}
