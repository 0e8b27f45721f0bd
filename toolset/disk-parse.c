/*
 * The pure half of disk.h: smartctl's JSON, testdisk's log and sfdisk dumps, all read as hostile
 * text (bounded, sanitized), no I/O.
 */
#include "disk.h"

#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_LINE_MAX  1024
#define DUMP_LINES_MAX 512

static long long json_int(struct json_object *o, const char *a, const char *b)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, a, &v)) {
		return -1;
	}
	if (b && !json_object_object_get_ex(v, b, &v)) {
		return -1;
	}
	if (!json_object_is_type(v, json_type_int)) {
		return -1;
	}
	long long n = json_object_get_int64(v);
	return n < 0 ? -1 : n;
}

/* The raw value of ATA attribute ID in ata_smart_attributes.table, -1 when absent. */
static long long ata_attribute(struct json_object *root, int id)
{
	struct json_object *a, *table;
	if (!json_object_object_get_ex(root, "ata_smart_attributes", &a) ||
	    !json_object_object_get_ex(a, "table", &table) ||
	    !json_object_is_type(table, json_type_array)) {
		return -1;
	}
	size_t n = json_object_array_length(table);
	for (size_t i = 0; i < n && i < 256; i++) {
		struct json_object *e = json_object_array_get_idx(table, i);
		if (json_int(e, "id", NULL) == id) {
			return json_int(e, "raw", "value");
		}
	}
	return -1;
}

void disk_parse_smart(const char *json, size_t len, struct disk_health *ret)
{
	*ret = (struct disk_health){ .temperature = -1,
				     .power_on_hours = -1,
				     .reallocated = -1,
				     .pending = -1,
				     .media_errors = -1,
				     .percentage_used = -1 };
	snprintf(ret->summary, sizeof(ret->summary), "not offered");
	if (!json || len == 0 || len > (4u << 20)) {
		return;
	}
	struct json_tokener *tok = json_tokener_new_ex(32);
	if (!tok) {
		return;
	}
	struct json_object *root = json_tokener_parse_ex(tok, json, (int)len);
	json_tokener_free(tok);
	if (!root || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return;
	}
	struct json_object *st, *passed;
	if (json_object_object_get_ex(root, "smart_status", &st) &&
	    json_object_object_get_ex(st, "passed", &passed) &&
	    json_object_is_type(passed, json_type_boolean)) {
		ret->offered = true;
		ret->passed = json_object_get_boolean(passed);
	}
	long long t = json_int(root, "temperature", "current");
	ret->temperature = t >= 0 && t < 200 ? (int)t : -1;
	ret->power_on_hours = json_int(root, "power_on_time", "hours");
	ret->reallocated = ata_attribute(root, 5);
	ret->pending = ata_attribute(root, 197);
	ret->media_errors = json_int(root, "nvme_smart_health_information_log", "media_errors");
	long long used = json_int(root, "nvme_smart_health_information_log", "percentage_used");
	ret->percentage_used = used >= 0 && used <= 255 ? (int)used : -1;
	json_object_put(root);
	if (!ret->offered) {
		return;
	}
	size_t o = (size_t)snprintf(ret->summary, sizeof(ret->summary), "%s",
				    ret->passed ? "PASSED" : "FAILING");
	if (ret->reallocated > 0 && o < sizeof(ret->summary)) {
		o += (size_t)snprintf(ret->summary + o, sizeof(ret->summary) - o,
				      ", %lld reallocated sectors", ret->reallocated);
	}
	if (ret->pending > 0 && o < sizeof(ret->summary)) {
		o += (size_t)snprintf(ret->summary + o, sizeof(ret->summary) - o,
				      ", %lld pending sectors", ret->pending);
	}
	if (ret->media_errors > 0 && o < sizeof(ret->summary)) {
		o += (size_t)snprintf(ret->summary + o, sizeof(ret->summary) - o,
				      ", %lld media errors", ret->media_errors);
	}
	if (ret->percentage_used >= 0 && o < sizeof(ret->summary)) {
		snprintf(ret->summary + o, sizeof(ret->summary) - o, ", %d%% worn",
			 ret->percentage_used);
	}
}

static uint64_t le(const unsigned char *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = n; i-- > 0;) {
		v = v << 8 | p[i];
	}
	return v;
}

bool disk_parse_load_option(const unsigned char *data, size_t len, char *partuuid, size_t size)
{
	if (len < 6 || len > 65536) {
		return false;
	}
	size_t list_len = (size_t)le(data + 4, 2), o = 6;
	/* the description: UCS-2 up to its NUL */
	while (o + 1 < len && (data[o] || data[o + 1])) {
		o += 2;
	}
	o += 2;
	if (o > len || list_len > len - o) {
		return false;
	}
	size_t end = o + list_len;
	char guid[40] = "";
	bool lifeline = false;
	while (o + 4 <= end) {
		unsigned type = data[o], sub = data[o + 1];
		size_t nl = (size_t)le(data + o + 2, 2);
		if (nl < 4 || nl > end - o) {
			return false;
		}
		if (type == 0x7f && sub == 0xff) {
			break;
		}
		const unsigned char *n = data + o + 4;
		if (type == 4 && sub == 1 && nl >= 42 && n[37] == 2) {
			const unsigned char *g = n + 20; /* after the number, start and size */
			snprintf(guid, sizeof(guid),
				 "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
				 (unsigned)le(g, 4), (unsigned)le(g + 4, 2), (unsigned)le(g + 6, 2),
				 g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
		} else if (type == 4 && sub == 4) {
			char path[256];
			size_t k = 0;
			for (size_t i = 0; i + 1 < nl - 4 && k + 1 < sizeof(path); i += 2) {
				unsigned ch = (unsigned)le(n + i, 2);
				if (ch == 0) {
					break;
				}
				path[k++] = ch < 128 ? (char)tolower((int)ch) : '?';
			}
			path[k] = '\0';
			lifeline = lifeline || strstr(path, "lifeline") != NULL;
		}
		o += nl;
	}
	if (!guid[0] || !lifeline) {
		return false;
	}
	snprintf(partuuid, size, "%s", guid);
	return true;
}

/* testdisk's partition type names (MBR) and the type byte sfdisk writes for each. */
static const char *mbr_type_id(const char *name)
{
	static const struct {
		const char *name, *id;
	} map[] = {
		{ "Linux", "83" },        { "Linux Swap", "82" }, { "Linux LVM", "8e" },
		{ "Linux LVM2", "8e" },   { "Linux RAID", "fd" }, { "Linux md", "fd" },
		{ "FAT12", "01" },        { "FAT16 <32M", "04" }, { "FAT16 >32M", "06" },
		{ "FAT32", "0b" },        { "FAT32 LBA", "0c" },  { "FAT16 LBA", "0e" },
		{ "HPFS - NTFS", "07" },  { "exFAT", "07" },      { "Extended", "05" },
		{ "Extended LBA", "0f" }, { "EFI System", "ef" }, { "EFI GPT", "ee" },
		{ "FreeBSD", "a5" },      { "OpenBSD", "a6" },    { "NetBSD", "a9" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(name, map[i].name) == 0) {
			return map[i].id;
		}
	}
	return NULL;
}

static bool all_digits(const char *s)
{
	if (!*s || strlen(s) > 19) {
		return false;
	}
	for (; *s; s++) {
		if (*s < '0' || *s > '9') {
			return false;
		}
	}
	return true;
}

/*
 * One interface_write() entry, in CHS form (HEADS > 0):
 *   " 1 * Linux      0  32 33     6  95 25     100352 [label]"
 * or in LBA form (HEADS == 0, a device without a geometry):
 *   " 1 * Linux             2048     102399     100352 [label]"
 */
static int parse_entry(char *line, unsigned heads, unsigned sectors, struct disk_found *f)
{
	char *tok[40], *save = NULL;
	size_t nt = 0, nums = heads ? 7 : 3;
	char copy[512];
	snprintf(copy, sizeof(copy), "%s", line);
	for (char *t = strtok_r(line, " \t", &save); t && nt < 40;
	     t = strtok_r(NULL, " \t", &save)) {
		tok[nt++] = t;
	}
	if (nt < 3 + nums - 1 || !all_digits(tok[0]) || strlen(tok[1]) != 1 ||
	    !strchr("*PLED", tok[1][0])) {
		return -EINVAL;
	}
	size_t i = 2;
	for (; i + nums <= nt; i++) {
		bool ok = true;
		for (size_t k = i; k < i + nums; k++) {
			ok = ok && all_digits(tok[k]);
		}
		if (ok && (i + nums == nt || tok[i + nums][0] == '[')) {
			break;
		}
	}
	if (i + nums > nt) {
		return -EINVAL;
	}
	unsigned long long v[7];
	for (size_t k = 0; k < nums; k++) {
		v[k] = strtoull(tok[i + k], NULL, 10);
	}
	*f = (struct disk_found){ .number = (int)strtol(tok[0], NULL, 10), .status = tok[1][0] };
	if (heads) {
		if (v[1] >= heads || v[2] < 1 || v[2] > sectors || v[0] > (1ull << 32)) {
			return -EINVAL;
		}
		if (v[4] >= heads || v[5] < 1 || v[5] > sectors || v[3] > (1ull << 32)) {
			return -EINVAL;
		}
		f->start = (v[0] * heads + v[1]) * sectors + (v[2] - 1);
		f->size = v[6];
		if ((v[3] * heads + v[4]) * sectors + v[5] != f->start + f->size) {
			return -EINVAL; /* the end does not agree with the start and the size */
		}
	} else {
		if (v[1] < v[0] || v[1] - v[0] + 1 != v[2]) {
			return -EINVAL;
		}
		f->start = v[0];
		f->size = v[2];
	}
	if (f->size == 0 || f->size > (1ull << 48) || f->start > (1ull << 48)) {
		return -EINVAL;
	}
	char type[64] = "";
	for (size_t k = 2; k < i; k++) {
		size_t l = strlen(type);
		snprintf(type + l, sizeof(type) - l, "%s%s", k > 2 ? " " : "", tok[k]);
	}
	util_sanitize(f->type, sizeof(f->type), type);
	f->id = mbr_type_id(f->type);
	/* the label: what follows "[" up to the last "]" of the untouched line */
	char *open = i + nums < nt ? strchr(copy + (tok[i + nums] - line), '[') : NULL;
	if (open) {
		char *close = strrchr(open, ']');
		if (close) {
			*close = '\0';
		}
		util_sanitize(f->label, sizeof(f->label), open + 1);
	}
	return 0;
}

int disk_parse_testdisk_log(const char *log, size_t len, struct disk_found *out, size_t max)
{
	unsigned c = 0, h = 0, s = 0;
	bool geometry = false, in_write = false;
	int n = 0;
	for (size_t pos = 0; pos < len && log[pos];) {
		const char *line = log + pos;
		const char *end = memchr(line, '\n', len - pos);
		size_t l = end ? (size_t)(end - line) : len - pos;
		pos += l + 1;
		char buf[512];
		if (l >= sizeof(buf)) {
			if (in_write) {
				return -EINVAL;
			}
			continue;
		}
		memcpy(buf, line, l);
		buf[l] = '\0';
		if (l && buf[l - 1] == '\r') {
			buf[l - 1] = '\0';
		}
		const char *chs = strstr(buf, " - CHS ");
		if (!geometry && util_startswith(buf, "Disk ") && chs &&
		    sscanf(chs, " - CHS %u %u %u", &c, &h, &s) == 3) {
			geometry = h > 0 && h <= 255 && s > 0 && s <= 63;
			continue;
		}
		if (!geometry && util_startswith(buf, "Disk ") && strstr(buf, " sectors")) {
			geometry = true; /* LBA: entries give start, end and size in sectors */
			h = s = 0;
			continue;
		}
		if (!in_write) {
			in_write = strcmp(buf, "interface_write()") == 0;
			continue;
		}
		if (buf[0] == '\0' || util_startswith(buf, "No partition")) {
			break; /* the end of the first table offered */
		}
		if (!geometry || !end) {
			return -EINVAL; /* an entry cut short (the log ends in it) is not trusted */
		}
		struct disk_found f;
		if (parse_entry(buf, h, s, &f) < 0) {
			return -EINVAL;
		}
		if (f.status != 'D' && (size_t)n < max) {
			out[n++] = f;
		}
	}
	return n;
}

char *disk_found_script(const struct disk_found *found, size_t n, const char *label_id)
{
	if (n == 0 || n > DISK_FOUND_MAX) {
		return NULL;
	}
	size_t cap = 128 + n * 96, o = 0;
	char *s = malloc(cap);
	if (!s) {
		return NULL;
	}
	o += (size_t)snprintf(s, cap, "label: dos\n");
	if (label_id && util_startswith(label_id, "0x") && strlen(label_id) == 10 &&
	    strspn(label_id + 2, "0123456789abcdefABCDEF") == 8) {
		o += (size_t)snprintf(s + o, cap - o, "label-id: %s\n", label_id);
	}
	o += (size_t)snprintf(s + o, cap - o, "unit: sectors\n\n");
	for (size_t i = 0; i < n; i++) {
		if (!found[i].id) {
			free(s);
			return NULL;
		}
		o += (size_t)snprintf(s + o, cap - o,
				      "start=%" PRIu64 ", size=%" PRIu64 ", type=%s%s\n",
				      found[i].start, found[i].size, found[i].id,
				      found[i].status == '*' ? ", bootable" : "");
	}
	return s;
}

bool disk_dump_header(const char *dump, const char *key, char *out, size_t size)
{
	size_t kl = strlen(key);
	for (const char *line = dump; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t l = end ? (size_t)(end - line) : strlen(line);
		if (l > kl + 1 && strncmp(line, key, kl) == 0 && line[kl] == ':') {
			const char *v = line + kl + 1;
			while (*v == ' ') {
				v++;
			}
			size_t vl = l - (size_t)(v - line);
			char buf[256];
			snprintf(buf, sizeof(buf), "%.*s", (int)(vl < 255 ? vl : 255), v);
			util_sanitize(out, size, buf);
			return true;
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

/* A partition line "NODE : REST": its number (the node's trailing digits) and REST; -1 else. */
static int part_line(const char *line, size_t l, const char **rest)
{
	const char *colon = memmem(line, l, " : ", 3);
	if (!colon) {
		return -1;
	}
	const char *d = colon;
	while (d > line && d[-1] >= '0' && d[-1] <= '9') {
		d--;
	}
	if (d == colon || colon - d > 3) {
		return -1;
	}
	*rest = colon + 3;
	return atoi(d);
}

int disk_check_dump(const char *text, size_t len, char *why, size_t why_size)
{
	size_t lines = 0;
	bool label = false;
	int parts = 0;
	if (len == 0 || memchr(text, '\0', len)) {
		snprintf(why, why_size, "it is empty or not text");
		return -EINVAL;
	}
	for (size_t pos = 0; pos < len;) {
		const char *line = text + pos;
		const char *end = memchr(line, '\n', len - pos);
		size_t l = end ? (size_t)(end - line) : len - pos;
		pos += l + 1;
		lines++;
		if (lines > DUMP_LINES_MAX || l > DUMP_LINE_MAX) {
			snprintf(why, why_size, "line %zu: too long or too many lines", lines);
			return -EINVAL;
		}
		for (size_t i = 0; i < l; i++) {
			unsigned char ch = (unsigned char)line[i];
			if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f) {
				snprintf(why, why_size, "line %zu: a control character", lines);
				return -EINVAL;
			}
		}
		if (l == 0 || line[0] == '#') {
			continue;
		}
		if (l >= 6 && strncmp(line, "label:", 6) == 0) {
			char v[16];
			snprintf(v, sizeof(v), "%.*s", (int)(l - 6 < 15 ? l - 6 : 15), line + 6);
			const char *type = util_strip(v);
			if (strcmp(type, "dos") != 0 && strcmp(type, "gpt") != 0) {
				snprintf(why, why_size,
					 "line %zu: the table type is not dos or gpt", lines);
				return -EINVAL;
			}
			label = true;
			continue;
		}
		const char *rest;
		int num = part_line(line, l, &rest);
		if (num >= 0) {
			if (num < 1 || num > 128 ||
			    !memmem(rest, l - (size_t)(rest - line), "start=", 6)) {
				snprintf(why, why_size,
					 "line %zu: not a partition of a saved table", lines);
				return -EINVAL;
			}
			parts++;
			continue;
		}
		static const char *const keys[] = { "label-id:",     "device:",   "unit:",
						    "first-lba:",    "last-lba:", "sector-size:",
						    "table-length:", "grain:" };
		bool known = false;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			known = known || strncmp(line, keys[k], strlen(keys[k])) == 0;
		}
		if (!known) {
			snprintf(why, why_size, "line %zu: not a line of a saved partition table",
				 lines);
			return -EINVAL;
		}
	}
	if (!label) {
		snprintf(why, why_size, "it has no \"label:\" line (not an sfdisk dump)");
		return -EINVAL;
	}
	(void)parts;
	return 0;
}

struct dump_entry {
	char key[24]; /* a header name, or "N" for partition N */
	char value[DUMP_LINE_MAX + 1];
};

static size_t dump_entries(const char *dump, struct dump_entry *e, size_t max)
{
	size_t n = 0;
	int unnamed = 0;
	for (const char *line = dump; line && *line && n < max;) {
		const char *end = strchr(line, '\n');
		size_t l = end ? (size_t)(end - line) : strlen(line);
		const char *rest = line;
		int num = l <= DUMP_LINE_MAX ? part_line(line, l, &rest) : -1;
		if (num < 0 && l <= DUMP_LINE_MAX && strncmp(line, "start=", 6) == 0) {
			num = ++unnamed; /* a script's partitions without a device name, in order */
			rest = line;
		}
		const char *colon = l <= DUMP_LINE_MAX ? memchr(line, ':', l) : NULL;
		if (num >= 0) {
			snprintf(e[n].key, sizeof(e[n].key), "%d", num);
			snprintf(e[n].value, sizeof(e[n].value), "%.*s",
				 (int)(l - (size_t)(rest - line)), rest);
			n++;
		} else if (colon && line[0] != '#' && colon - line < 20 &&
			   strncmp(line, "device:", 7) != 0 && strncmp(line, "unit:", 5) != 0 &&
			   strncmp(line, "sector-size:", 12) != 0) {
			/* the rest of the header is the table's; these three only describe it */
			snprintf(e[n].key, sizeof(e[n].key), "%.*s", (int)(colon - line), line);
			const char *v = colon + 1;
			while (*v == ' ' && v < line + l) {
				v++;
			}
			snprintf(e[n].value, sizeof(e[n].value), "%.*s", (int)(line + l - v), v);
			n++;
		}
		line = end ? end + 1 : NULL;
	}
	return n;
}

static const struct dump_entry *find_entry(const struct dump_entry *e, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(e[i].key, key) == 0) {
			return &e[i];
		}
	}
	return NULL;
}

static void diff_line(char *buf, size_t *o, size_t cap, char sign, const struct dump_entry *e)
{
	char clean[DUMP_LINE_MAX + 1];
	util_sanitize(clean, sizeof(clean), e->value);
	if (*o + 1 >= cap) {
		return;
	}
	int w = snprintf(buf + *o, cap - *o, "%c%s%s: %s\n", sign,
			 all_digits(e->key) ? "partition " : "", e->key, clean);
	*o = w < 0 || *o + (size_t)w >= cap ? cap - 1 : *o + (size_t)w;
}

char *disk_dump_diff(const char *old_dump, const char *new_dump)
{
	struct dump_entry *a = calloc(2 * DUMP_LINES_MAX, sizeof(*a));
	size_t cap = 4 * DUMP_LINES_MAX * (DUMP_LINE_MAX + 40);
	char *out = malloc(cap);
	if (!a || !out) {
		free(a);
		free(out);
		return NULL;
	}
	struct dump_entry *b = a + DUMP_LINES_MAX;
	size_t na = dump_entries(old_dump, a, DUMP_LINES_MAX);
	size_t nb = dump_entries(new_dump, b, DUMP_LINES_MAX);
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < na; i++) {
		const struct dump_entry *m = find_entry(b, nb, a[i].key);
		if (!m && !all_digits(a[i].key)) {
			continue; /* a header the new table leaves to sfdisk's default */
		}
		if (!m || strcmp(m->value, a[i].value) != 0) {
			diff_line(out, &o, cap, '-', &a[i]);
			if (m) {
				diff_line(out, &o, cap, '+', m);
			}
		}
	}
	for (size_t i = 0; i < nb; i++) {
		if (!find_entry(a, na, b[i].key)) {
			diff_line(out, &o, cap, '+', &b[i]);
		}
	}
	free(a);
	return out;
}
