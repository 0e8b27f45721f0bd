#include "journal.h"

#include "run.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* true when the directory FD holds a *.journal file, itself or one level down (machine-id dirs) */
static bool has_journal_files(int fd, int depth)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		return false;
	}
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return false;
	}
	bool found = false;
	struct dirent *de;
	while (!found && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.') {
			continue;
		}
		if (de->d_type == DT_REG && l > 8 && strcmp(de->d_name + l - 8, ".journal") == 0) {
			found = true;
		} else if (de->d_type == DT_DIR && depth == 0) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				found = has_journal_files(sub, 1);
				close(sub);
			}
		}
	}
	closedir(d);
	return found;
}

int journal_find_dir(const char *root, char *dir, size_t dir_size)
{
	int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		return -errno;
	}
	int fd = util_open_in_root(rfd, "/var/log/journal", O_RDONLY | O_DIRECTORY, 0);
	close(rfd);
	if (fd < 0) {
		return fd;
	}
	/* the directory as the kernel resolved it, inside ROOT whatever its symlinks said */
	char proc[64], real[4096];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, real, sizeof(real) - 1);
	int e = n < 0 ? -errno : 0;
	if (e == 0) {
		real[n] = '\0';
		size_t rl = strlen(root);
		if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0')) {
			e = -EXDEV;
		} else if (!has_journal_files(fd, 0)) {
			e = -ENOENT;
		} else if ((size_t)snprintf(dir, dir_size, "%s", real[rl] ? real + rl : "/") >=
			   dir_size) {
			e = -ENAMETOOLONG;
		}
	}
	close(fd);
	return e;
}

static uint64_t json_u64(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v)) {
		return 0;
	}
	if (json_object_is_type(v, json_type_string)) {
		return strtoull(json_object_get_string(v), NULL, 10);
	}
	return (uint64_t)json_object_get_int64(v);
}

int journal_list_boots(const char *root, const char *dir, struct journal_boot **ret, size_t *ret_n)
{
	const char *argv[] = { "journalctl", "-D", dir, "--no-pager", "-q", "--list-boots", "-o",
			       "json", NULL };
	struct run_result r = { 0 };
	struct run_spec spec = { .argv = argv, .root = root, .capture = true };
	int e = run(&spec, &r);
	if (e < 0) {
		run_result_clear(&r);
		return e;
	}
	if (r.status != 0 || !r.out) {
		run_result_clear(&r);
		return -EIO;
	}
	struct json_object *arr = json_tokener_parse(r.out);
	run_result_clear(&r);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return -EBADMSG;
	}
	size_t n = json_object_array_length(arr);
	struct journal_boot *b = calloc(n ? n : 1, sizeof(*b));
	if (!b) {
		json_object_put(arr);
		return -ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, "boot_id", &v)) {
			continue;
		}
		const char *id = json_object_get_string(v);
		if (!id || strlen(id) != 32 || strspn(id, "0123456789abcdef") != 32) {
			continue;
		}
		memcpy(b[k].id, id, 33);
		if (json_object_object_get_ex(o, "index", &v) ||
		    json_object_object_get_ex(o, "idx", &v)) {
			b[k].index = json_object_get_int(v);
		}
		b[k].first_usec = json_u64(o, "first_entry");
		b[k].last_usec = json_u64(o, "last_entry");
		k++;
	}
	json_object_put(arr);
	*ret = b;
	*ret_n = k;
	return 0;
}

/* A field's value: a string, or an array of byte values (binary data); NULL otherwise. */
static char *value_dup(struct json_object *v)
{
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		return strndup(s, JOURNAL_VALUE_MAX);
	}
	if (!json_object_is_type(v, json_type_array)) {
		return NULL; /* null: a value larger than journalctl shows */
	}
	size_t n = json_object_array_length(v), k = 0;
	if (n > JOURNAL_VALUE_MAX) {
		n = JOURNAL_VALUE_MAX;
	}
	char *s = malloc(n + 1);
	if (!s) {
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		int c = json_object_get_int(json_object_array_get_idx(v, i));
		if (c > 0 && c < 256) {
			s[k++] = (char)c; /* NUL bytes dropped: the value stays a C string */
		}
	}
	s[k] = '\0';
	return s;
}

static char *field(struct json_object *o, const char *key)
{
	struct json_object *v;
	if (!json_object_object_get_ex(o, key, &v)) {
		return NULL;
	}
	return value_dup(v);
}

bool journal_parse_json_line(const char *line, size_t len, struct journal_entry *e)
{
	struct json_tokener *tok = json_tokener_new();
	if (!tok) {
		return false;
	}
	struct json_object *o = json_tokener_parse_ex(tok, line, (int)len);
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return false;
	}
	memset(e, 0, sizeof(*e));
	e->usec = json_u64(o, "__REALTIME_TIMESTAMP");
	e->mono = json_u64(o, "__MONOTONIC_TIMESTAMP");
	char *s = field(o, "PRIORITY");
	e->priority = s && *s >= '0' && *s <= '7' && !s[1] ? *s - '0' : -1;
	free(s);
	s = field(o, "_PID");
	e->pid = s ? strtol(s, NULL, 10) : 0;
	free(s);
	s = field(o, "_TRANSPORT");
	e->kernel = s && strcmp(s, "kernel") == 0;
	free(s);
	e->message = field(o, "MESSAGE");
	e->identifier = field(o, "SYSLOG_IDENTIFIER");
	if (!e->identifier) {
		e->identifier = field(o, "_COMM");
	}
	e->message_id = field(o, "MESSAGE_ID");
	e->unit = field(o, "UNIT");
	e->job_type = field(o, "JOB_TYPE");
	e->job_result = field(o, "JOB_RESULT");
	e->unit_result = field(o, "UNIT_RESULT");
	json_object_put(o);
	return true;
}

void journal_entry_clear(struct journal_entry *e)
{
	free(e->message);
	free(e->identifier);
	free(e->message_id);
	free(e->unit);
	free(e->job_type);
	free(e->job_result);
	free(e->unit_result);
	memset(e, 0, sizeof(*e));
}

int journal_read(const char *root, const char *dir, const char *boot_id, size_t max, int max_priority,
		 const char *const *matches, const char *grep, struct journal_entries *ret)
{
	char lines[32], prio[8];
	const char *argv[64];
	size_t a = 0;
	argv[a++] = "journalctl";
	argv[a++] = "-D";
	argv[a++] = dir;
	argv[a++] = "--no-pager";
	argv[a++] = "-q";
	argv[a++] = "-o";
	argv[a++] = "json";
	argv[a++] = "--output-fields=MESSAGE,PRIORITY,_PID,_TRANSPORT,SYSLOG_IDENTIFIER,_COMM,"
		    "MESSAGE_ID,UNIT,JOB_TYPE,JOB_RESULT,UNIT_RESULT";
	argv[a++] = "-b";
	argv[a++] = boot_id;
	/* one more than asked for: its presence says the output was cut */
	snprintf(lines, sizeof(lines), "--lines=%zu", max + 1);
	argv[a++] = lines;
	if (max_priority >= 0) {
		snprintf(prio, sizeof(prio), "0..%d", max_priority);
		argv[a++] = "-p";
		argv[a++] = prio;
	}
	if (grep) {
		argv[a++] = "--case-sensitive=yes";
		argv[a++] = "-g";
		argv[a++] = grep;
	}
	for (size_t i = 0; matches && matches[i] && a < 62; i++) {
		argv[a++] = matches[i];
	}
	argv[a] = NULL;
	struct run_result r = { 0 };
	struct run_spec spec = { .argv = argv, .root = root, .capture = true };
	int e = run(&spec, &r);
	if (e < 0) {
		run_result_clear(&r);
		return e;
	}
	/* journalctl says nothing and fails when a grep matches nothing */
	if (r.status != 0 && (r.out_len > 0 || r.err_len > 0)) {
		run_result_clear(&r);
		return -EIO;
	}
	size_t first = ret->n;
	for (char *p = r.out; p && *p;) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		struct journal_entry ent;
		if (len > 0 && journal_parse_json_line(p, len, &ent)) {
			struct journal_entry *grown = realloc(ret->e, (ret->n + 1) * sizeof(*grown));
			if (!grown) {
				journal_entry_clear(&ent);
				run_result_clear(&r);
				return -ENOMEM;
			}
			ret->e = grown;
			ent.order = ret->n;
			ret->e[ret->n++] = ent;
		}
		p = nl ? nl + 1 : p + len;
	}
	if (r.truncated) {
		ret->cut = true;
	}
	run_result_clear(&r);
	if (ret->n - first > max) {
		journal_entry_clear(&ret->e[first]);
		memmove(&ret->e[first], &ret->e[first + 1],
			(ret->n - first - 1) * sizeof(ret->e[0]));
		ret->n--;
		ret->cut = true;
	}
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct journal_entry *x = a, *y = b;
	if (x->mono != y->mono) {
		return x->mono < y->mono ? -1 : 1;
	}
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

void journal_entries_sort(struct journal_entries *j)
{
	if (j->n < 2) {
		return;
	}
	qsort(j->e, j->n, sizeof(j->e[0]), by_time);
	size_t k = 1;
	for (size_t i = 1; i < j->n; i++) {
		struct journal_entry *p = &j->e[k - 1], *e = &j->e[i];
		if (e->mono == p->mono && e->usec == p->usec && e->pid == p->pid &&
		    same_str(e->message, p->message) && same_str(e->message_id, p->message_id)) {
			journal_entry_clear(e);
			continue;
		}
		j->e[k++] = *e;
	}
	j->n = k;
}

void journal_entries_clear(struct journal_entries *j)
{
	for (size_t i = 0; i < j->n; i++) {
		journal_entry_clear(&j->e[i]);
	}
	free(j->e);
	memset(j, 0, sizeof(*j));
}

void journal_format_time(uint64_t usec, char *buf, size_t size)
{
	time_t t = (time_t)(usec / 1000000);
	struct tm tm;
	if (usec == 0 || !gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
		snprintf(buf, size, "-");
	}
}
