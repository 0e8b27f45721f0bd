/* walk.h and dest.h: the search criteria, the tree walk on hostile trees, destination URLs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dest.h"
#include "toolset-test.h"
#include "walk.h"

START_TEST(sizes)
{
	uint64_t v;
	ck_assert_int_eq(walk_parse_size("512", &v), 0);
	ck_assert_uint_eq(v, 512);
	ck_assert_int_eq(walk_parse_size("10K", &v), 0);
	ck_assert_uint_eq(v, 10240);
	ck_assert_int_eq(walk_parse_size("1.5M", &v), 0);
	ck_assert_uint_eq(v, 1572864);
	ck_assert_int_eq(walk_parse_size("2GiB", &v), 0);
	ck_assert_uint_eq(v, 2ull << 30);
	ck_assert_int_eq(walk_parse_size("7b", &v), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_int_eq(walk_parse_size("1t", &v), 0);
	ck_assert_uint_eq(v, 1ull << 40);
	/* hostile */
	ck_assert_int_eq(walk_parse_size("", &v), -EINVAL);
	ck_assert_int_eq(walk_parse_size("-1", &v), -EINVAL);
	ck_assert_int_eq(walk_parse_size("K", &v), -EINVAL);
	ck_assert_int_eq(walk_parse_size("1.", &v), -EINVAL);
	ck_assert_int_eq(walk_parse_size("10X", &v), -EINVAL);
	ck_assert_int_eq(walk_parse_size("10K ", &v), -EINVAL);
	ck_assert_int_eq(walk_parse_size("99999999999999999999999", &v), -ERANGE);
	ck_assert_int_eq(walk_parse_size("99999999999999T", &v), -ERANGE);
	ck_assert_int_eq(walk_parse_size("1\xff", &v), -EINVAL);
	ck_assert_int_eq(walk_parse_size(NULL, &v), -EINVAL);
}
END_TEST

START_TEST(dates)
{
	time_t t, now = 1796601600; /* 2026-12-07T00:00:00Z */
	ck_assert_int_eq(walk_parse_date("2026-12-01", now, &t), 0);
	ck_assert_int_eq(t, 1796083200);
	ck_assert_int_eq(walk_parse_date("1970-01-01", now, &t), 0);
	ck_assert_int_eq(t, 0);
	ck_assert_int_eq(walk_parse_date("3 days", now, &t), 0);
	ck_assert_int_eq(t, now - 3 * 86400);
	ck_assert_int_eq(walk_parse_date("1 day ago", now, &t), 0);
	ck_assert_int_eq(t, now - 86400);
	ck_assert_int_eq(walk_parse_date("12h", now, &t), 0);
	ck_assert_int_eq(t, now - 12 * 3600);
	ck_assert_int_eq(walk_parse_date("2 weeks", now, &t), 0);
	ck_assert_int_eq(t, now - 14 * 86400);
	ck_assert_int_eq(walk_parse_date("30 minutes", now, &t), 0);
	ck_assert_int_eq(t, now - 1800);
	/* hostile */
	ck_assert_int_eq(walk_parse_date("2026-02-31", now, &t), -EINVAL);
	ck_assert_int_eq(walk_parse_date("2026-13-01", now, &t), -EINVAL);
	ck_assert_int_eq(walk_parse_date("2026-1-01", now, &t), -EINVAL);
	ck_assert_int_eq(walk_parse_date("2026-12-01x", now, &t), -EINVAL);
	ck_assert_int_eq(walk_parse_date("next tuesday", now, &t), -EINVAL);
	ck_assert_int_eq(walk_parse_date("3 fortnights", now, &t), -EINVAL);
	ck_assert_int_eq(walk_parse_date("3 days later", now, &t), -EINVAL);
	ck_assert_int_eq(walk_parse_date("", now, &t), -EINVAL);
	ck_assert_int_eq(walk_parse_date("99999999999 days", now, &t), -ERANGE);
	ck_assert_int_eq(walk_parse_date("3 d\x1b[2J", now, &t), -EINVAL);
}
END_TEST

struct seen {
	int files, dirs, links, leaves, unreadable, max_depth;
	char paths[64][256];
	int n;
};

static int record(void *data, enum walk_event ev, const struct walk_entry *e)
{
	struct seen *s = data;
	if (ev == WALK_UNREADABLE) {
		s->unreadable++;
		return WALK_CONTINUE;
	}
	if (ev == WALK_LEAVE) {
		s->leaves++;
		return WALK_CONTINUE;
	}
	if (e->depth > s->max_depth) {
		s->max_depth = e->depth;
	}
	if (S_ISDIR(e->st->st_mode)) {
		s->dirs++;
	} else if (S_ISLNK(e->st->st_mode)) {
		s->links++;
	} else {
		s->files++;
	}
	if (s->n < 64) {
		snprintf(s->paths[s->n++], sizeof(s->paths[0]), "%s", e->path);
	}
	return WALK_CONTINUE;
}

static bool has(const struct seen *s, const char *path)
{
	for (int i = 0; i < s->n; i++) {
		if (strcmp(s->paths[i], path) == 0) {
			return true;
		}
	}
	return false;
}

static int sh(const char *cmd)
{
	return system(cmd);
}

START_TEST(walk_hostile_tree)
{
	char dir[] = "/tmp/test-walk-XXXXXX", cmd[1024];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* a loop of symlinks, a link out of the tree, odd names, a deep chain */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p a/b 'sp ace' \"$(printf 'bad\\001\\377')\" && "
		 "echo x > a/b/f && ln -s .. a/b/up && ln -s / a/out && ln -s loop loop && "
		 "touch \"$(printf 'nl\\nname')\" && mkfifo a/pipe", dir);
	ck_assert_int_eq(sh(cmd), 0);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct seen s = { 0 };
	ck_assert_int_eq(walk_tree(fd, ".", record, &s), 0);
	ck_assert(has(&s, "a/b/f"));
	ck_assert(has(&s, "a/b/up")); /* listed, not followed */
	ck_assert(has(&s, "nl\nname"));
	ck_assert_int_eq(s.links, 3);
	ck_assert_int_eq(s.dirs, 5); /* ., a, a/b, sp ace, bad?? */
	ck_assert_int_eq(s.leaves, s.dirs);
	ck_assert_int_eq(s.max_depth, 3);
	ck_assert_int_eq(s.unreadable, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	sh(cmd);
}
END_TEST

START_TEST(walk_deep_and_unreadable)
{
	char dir[] = "/tmp/test-walk-XXXXXX", cmd[512];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* deeper than WALK_DEPTH_MAX, with long names: the path gets too long, reported */
	int cur = dup(fd);
	char name[201];
	memset(name, 'n', 200);
	name[200] = '\0';
	for (int i = 0; i < WALK_DEPTH_MAX + 10; i++) {
		ck_assert_int_eq(mkdirat(cur, name, 0700), 0);
		int next = openat(cur, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ck_assert_int_ge(next, 0);
		close(cur);
		cur = next;
	}
	close(cur);
	struct seen s = { 0 };
	ck_assert_int_eq(walk_tree(fd, ".", record, &s), 0);
	ck_assert_int_ge(s.unreadable, 1);
	ck_assert_int_lt(s.max_depth, WALK_DEPTH_MAX + 1);
	/* a missing start is one unreadable entry, not a crash */
	struct seen m = { 0 };
	ck_assert_int_eq(walk_tree(fd, "missing", record, &m), 0);
	ck_assert_int_eq(m.unreadable, 1);
	close(fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	sh(cmd);
}
END_TEST

static int stop_at_two(void *data, enum walk_event ev, const struct walk_entry *e)
{
	int *n = data;
	return ev == WALK_ENTRY && ++*n == 2 ? -ECANCELED : WALK_CONTINUE;
}

START_TEST(walk_stops)
{
	int n = 0;
	int fd = open("/usr/share", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_eq(walk_tree(fd, ".", stop_at_two, &n), -ECANCELED);
	ck_assert_int_eq(n, 2);
	close(fd);
}
END_TEST

START_TEST(destinations)
{
	struct dest d;
	char why[256], shown[512];
	ck_assert_int_eq(dest_parse("/media/usb", &d, why, sizeof(why)), 0);
	ck_assert_int_eq(d.kind, DEST_LOCAL);
	ck_assert_str_eq(d.path, "/media/usb");

	ck_assert_int_eq(dest_parse("smb://alice@nas.local:4450/Backups/pc one/2026", &d, why,
				    sizeof(why)), 0);
	ck_assert_int_eq(d.kind, DEST_SMB);
	ck_assert_str_eq(d.user, "alice");
	ck_assert_str_eq(d.host, "nas.local");
	ck_assert_uint_eq(d.port, 4450);
	ck_assert_str_eq(d.share, "Backups");
	ck_assert_str_eq(d.path, "/pc one/2026");
	dest_describe(&d, shown, sizeof(shown));
	ck_assert_str_eq(shown, "smb://alice@nas.local:4450/Backups/pc one/2026");

	ck_assert_int_eq(dest_parse("smb://10.0.2.2/share", &d, why, sizeof(why)), 0);
	ck_assert_str_eq(d.user, "");
	ck_assert_str_eq(d.path, "");
	ck_assert_uint_eq(d.port, 0);

	ck_assert_int_eq(dest_parse("nfs://srv/export/home", &d, why, sizeof(why)), 0);
	ck_assert_int_eq(d.kind, DEST_NFS);
	ck_assert_str_eq(d.path, "/export/home");

	ck_assert_int_eq(dest_parse("sftp://bob@host:2222/srv/in", &d, why, sizeof(why)), 0);
	ck_assert_int_eq(d.kind, DEST_SFTP);
	ck_assert_str_eq(d.user, "bob");
	ck_assert_uint_eq(d.port, 2222);

	/* hostile: mount option injection, bad ports, control characters, escapes */
	static const char *const bad[] = {
		"smb://a,credentials=/etc/shadow@h/s", "smb://u@h,port=1/s", "smb://h:0/s",
		"smb://h:65536/s", "smb://h:-1/s", "smb://h:/s", "smb://h:12x/s", "smb://h",
		"smb://h/", "smb://h/sh,are/x", "smb://h/s/../../etc", "smb://h/s/a\nb",
		"smb://h/s/\x1b[2J", "smb://\xff\xfe/s", "nfs://h", "nfs://u@h/x", "sftp://h/x",
		"ftp://h/x", "smb://@h/s", "smb://h/s/./x", "sftp://-oProxyCommand=x@h/p",
		"sftp://u@-oProxyCommand/p", "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		int r = dest_parse(bad[i], &d, why, sizeof(why));
		ck_assert_msg(r < 0 && why[0], "accepted: %s", bad[i]);
	}
	char huge[5000];
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	ck_assert_int_lt(dest_parse(huge, &d, why, sizeof(why)), 0);
	memcpy(huge, "smb://h/s/", 10);
	ck_assert_int_lt(dest_parse(huge, &d, why, sizeof(why)), 0);
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("files");
	TCase *tc = tcase_create("files");
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, dates);
	tcase_add_test(tc, walk_hostile_tree);
	tcase_add_test(tc, walk_deep_and_unreadable);
	tcase_add_test(tc, walk_stops);
	tcase_add_test(tc, destinations);
	suite_add_tcase(s, tc);
	return s;
}
