#include "units.h"

#include "run.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int units_list(const char *root, struct units_file **ret, size_t *ret_n)
{
	/* the system's own systemctl knows its own unit formats */
	const char *argv[] = { "systemctl", "--root=/", "--no-pager", "list-unit-files", "-o",
			       "json", NULL };
	struct run_result r = { 0 };
	struct run_spec spec = { .argv = argv, .root = root, .capture = true };
	int e = run(&spec, &r);
	if (e < 0) {
		run_result_clear(&r);
		return e;
	}
	struct json_object *arr = r.status == 0 && r.out ? json_tokener_parse(r.out) : NULL;
	run_result_clear(&r);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return -EBADMSG;
	}
	size_t n = json_object_array_length(arr), k = 0;
	struct units_file *u = calloc(n ? n : 1, sizeof(*u));
	if (!u) {
		json_object_put(arr);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *name, *state, *preset;
		if (!json_object_object_get_ex(o, "unit_file", &name) ||
		    !json_object_is_type(name, json_type_string)) {
			continue;
		}
		snprintf(u[k].name, sizeof(u[k].name), "%s", json_object_get_string(name));
		if (json_object_object_get_ex(o, "state", &state) &&
		    json_object_is_type(state, json_type_string)) {
			snprintf(u[k].state, sizeof(u[k].state), "%s", json_object_get_string(state));
		}
		if (json_object_object_get_ex(o, "preset", &preset) &&
		    json_object_is_type(preset, json_type_string)) {
			snprintf(u[k].preset, sizeof(u[k].preset), "%s",
				 json_object_get_string(preset));
		}
		k++;
	}
	json_object_put(arr);
	*ret = u;
	*ret_n = k;
	return 0;
}

/* the template of an instance (getty@tty1.service: getty@.service); "" for other names */
static void template_of(const char *name, char *tmpl, size_t size)
{
	const char *at = strchr(name, '@'), *dot = strrchr(name, '.');
	tmpl[0] = '\0';
	if (at && dot && dot > at + 1) {
		snprintf(tmpl, size, "%.*s%s", (int)(at + 1 - name), name, dot);
	}
}

const struct units_file *units_find(const struct units_file *u, size_t n, const char *name)
{
	char tmpl[256];
	template_of(name, tmpl, sizeof(tmpl));
	for (size_t i = 0; i < n; i++) {
		if (strcmp(u[i].name, name) == 0) {
			return &u[i];
		}
	}
	for (size_t i = 0; tmpl[0] && i < n; i++) {
		if (strcmp(u[i].name, tmpl) == 0) {
			return &u[i];
		}
	}
	return NULL;
}

static const char *const unit_dirs[] = {
	"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system",
};

static void append(char **text, size_t *len, const char *s)
{
	size_t l = strlen(s);
	char *grown = realloc(*text, *len + l + 2);
	if (!grown) {
		return;
	}
	memcpy(grown + *len, s, l);
	grown[*len + l] = '\n';
	grown[*len + l + 1] = '\0';
	*text = grown;
	*len += l + 1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the *.conf files of DIR inside ROOT, in name order */
static void append_dropins(const char *root, const char *dir, char **text, size_t *len)
{
	DIR *d = util_opendir_in_root(root, dir);
	if (!d) {
		return;
	}
	char *names[64];
	size_t n = 0;
	struct dirent *de;
	while (n < 64 && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] != '.' && l > 5 && strcmp(de->d_name + l - 5, ".conf") == 0) {
			names[n] = strdup(de->d_name);
			n += names[n] != NULL;
		}
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		char path[600], *s = NULL;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (util_read_in_root(root, path, 64 * 1024, &s, NULL) == 0) {
			append(text, len, s);
			free(s);
		}
		free(names[i]);
	}
}

int units_read_text(const char *root, const char *name, char **ret)
{
	char tmpl[256];
	template_of(name, tmpl, sizeof(tmpl));
	char *text = NULL;
	size_t len = 0;
	const char *names[] = { name, tmpl[0] ? tmpl : NULL };
	for (size_t k = 0; k < 2 && !text && names[k]; k++) {
		for (size_t i = 0; i < sizeof(unit_dirs) / sizeof(unit_dirs[0]); i++) {
			char path[600], *s = NULL;
			snprintf(path, sizeof(path), "%s/%s", unit_dirs[i], names[k]);
			if (util_read_in_root(root, path, 256 * 1024, &s, NULL) == 0) {
				append(&text, &len, s);
				free(s);
				break;
			}
		}
	}
	if (!text) {
		return -ENOENT;
	}
	for (size_t k = 0; k < 2 && names[k]; k++) {
		for (size_t i = 0; i < sizeof(unit_dirs) / sizeof(unit_dirs[0]); i++) {
			char dir[600];
			snprintf(dir, sizeof(dir), "%s/%s.d", unit_dirs[i], names[k]);
			append_dropins(root, dir, &text, &len);
		}
	}
	*ret = text;
	return 0;
}
