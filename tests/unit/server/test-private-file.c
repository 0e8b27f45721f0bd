#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private-file.h"
#include "test-common.h"

static char dir[64];

static void make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/lifeline-private-file-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static void remove_dir(void)
{
	ck_assert_int_eq(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* dir/name, in a static buffer per slot so that a test can hold a few at once. */
static const char *in_dir(unsigned slot, const char *name)
{
	static char paths[4][128];

	ck_assert_uint_lt(slot, 4);
	snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", dir, name);
	return paths[slot];
}

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(close(fd), 0);
}

/* The whole file, NUL-terminated; free() it. */
static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
	do {
		if (cap - len < 4096) {
			char *grown = realloc(buf, cap * 2 + 4096 + 1);

			ck_assert_ptr_nonnull(grown);
			buf = grown;
			cap = cap * 2 + 4096;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	if (ret_len) {
		*ret_len = len;
	}
	return buf;
}

static void assert_text(const char *path, const char *want)
{
	char *got = slurp(path, NULL);

	ck_assert_str_eq(got, want);
	free(got);
}

/* How many entries the test directory holds, and that none is a temporary file. */
static unsigned entries_without_tmp(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
			continue;
		}
		ck_assert_msg(!strstr(e->d_name, ".tmp"), "left behind: %s", e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_mode;
}

START_TEST(writes_contents_and_mode)
{
	const char *path = in_dir(0, "key.pem");
	unsigned char data[200000];
	size_t len;
	char *got;

	/* Larger than a pipe or page, with NUL bytes: every byte counts, not the first string. */
	for (size_t i = 0; i < sizeof(data); i++) {
		data[i] = (unsigned char)(i * 7 + i / 251);
	}
	umask(022);
	ck_assert_int_eq(private_file_write(path, data, sizeof(data), 0600), 0);
	ck_assert(S_ISREG(mode_of(path)));
	ck_assert_uint_eq(mode_of(path) & 07777, 0600);
	got = slurp(path, &len);
	ck_assert_uint_eq(len, sizeof(data));
	ck_assert(memcmp(got, data, len) == 0);
	free(got);

	/* An empty file is a file too. */
	ck_assert_int_eq(private_file_write(in_dir(1, "empty"), "", 0, 0600), 0);
	assert_text(in_dir(1, "empty"), "");
	ck_assert_uint_eq(entries_without_tmp(), 2);
}
END_TEST

/* The mode is exact whatever the umask: a certificate stays readable by all, a key by no one
 * else, also when it replaces a file that had other permissions. */
START_TEST(mode_is_exact_under_any_umask)
{
	const char *cert = in_dir(0, "cert.pem"), *key = in_dir(1, "key.pem");

	umask(077);
	ck_assert_int_eq(private_file_write(cert, "C", 1, 0644), 0);
	ck_assert_uint_eq(mode_of(cert) & 07777, 0644);
	put(key, "old", 0666);
	umask(0);
	ck_assert_int_eq(chmod(key, 0666), 0);
	ck_assert_int_eq(private_file_write(key, "K", 1, 0600), 0);
	ck_assert_uint_eq(mode_of(key) & 07777, 0600);
	assert_text(key, "K");
	umask(022);
}
END_TEST

/* A reader that opened the old file keeps reading the old bytes, whole: the new file is a new
 * inode renamed over the name, never the old one rewritten in place. */
START_TEST(replaces_old_file_atomically)
{
	const char *path = in_dir(0, "connection.json");
	struct stat before, after;
	char buf[64] = "";
	int fd;

	put(path, "old contents\n", 0600);
	ck_assert_int_eq(stat(path, &before), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);

	ck_assert_int_eq(private_file_write(path, "new\n", 4, 0600), 0);

	ck_assert_int_eq(stat(path, &after), 0);
	ck_assert(before.st_ino != after.st_ino);
	assert_text(path, "new\n");
	ck_assert_int_eq(read(fd, buf, sizeof(buf) - 1), 13);
	ck_assert_str_eq(buf, "old contents\n");
	close(fd);
	ck_assert_uint_eq(entries_without_tmp(), 1);
}
END_TEST

/* A link planted at the temporary name is not followed: neither its target (existing or not)
 * nor anything else outside is written, and the link does not survive. */
START_TEST(link_at_temp_name_not_followed)
{
	/* _i = 0: the link points at an existing file; 1: at nothing. */
	const char *path = in_dir(0, "key.pem"), *tmp = in_dir(1, "key.pem.tmp");
	const char *victim = in_dir(2, _i == 0 ? "victim" : "not-there");

	if (_i == 0) {
		put(victim, "precious", 0644);
	}
	ck_assert_int_eq(symlink(victim, tmp), 0);

	ck_assert_int_eq(private_file_write(path, "secret", 6, 0600), 0);

	assert_text(path, "secret");
	ck_assert_uint_eq(mode_of(path) & 07777, 0600);
	if (_i == 0) {
		assert_text(victim, "precious");
		ck_assert_uint_eq(mode_of(victim) & 07777, 0644);
	} else {
		ck_assert_int_eq(access(victim, F_OK), -1);
	}
	ck_assert_uint_eq(entries_without_tmp(), _i == 0 ? 2 : 1);
}
END_TEST

/* Something at the temporary name that cannot be removed is refused, not written through. */
START_TEST(busy_temp_name_refused)
{
	const char *path = in_dir(0, "key.pem"), *tmp = in_dir(1, "key.pem.tmp");

	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	ck_assert_int_eq(private_file_write(path, "secret", 6, 0600), -EEXIST);
	ck_assert(S_ISDIR(mode_of(tmp)));
	ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

/* A link at the final name is replaced by the file, its target left alone. */
START_TEST(link_at_final_name_replaced)
{
	const char *path = in_dir(0, "key.pem"), *victim = in_dir(1, "victim");

	put(victim, "precious", 0644);
	ck_assert_int_eq(symlink(victim, path), 0);
	ck_assert_int_eq(private_file_write(path, "secret", 6, 0600), 0);
	ck_assert(S_ISREG(mode_of(path)));
	assert_text(path, "secret");
	assert_text(victim, "precious");
}
END_TEST

/* The write itself fails half-way (the file size limit, which holds for root too): the old file
 * is untouched and the half-written temporary file is gone. */
START_TEST(failed_write_leaves_old_file_and_no_temp)
{
	static char data[256 * 1024];
	struct rlimit old_limit, limit;
	const char *path = in_dir(0, "connection.json");
	int set, r = 0;

	put(path, "old", 0600);
	memset(data, 'x', sizeof(data));
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
	limit = old_limit;
	limit.rlim_cur = 4096;
	signal(SIGXFSZ, SIG_IGN);
	/* No assertion while the limit holds: Check writes its own records to a file. */
	set = setrlimit(RLIMIT_FSIZE, &limit);
	if (set == 0) {
		r = private_file_write(path, data, sizeof(data), 0600);
		set = setrlimit(RLIMIT_FSIZE, &old_limit);
	}
	signal(SIGXFSZ, SIG_DFL);

	ck_assert_int_eq(set, 0);
	ck_assert_int_eq(r, -EFBIG);
	assert_text(path, "old");
	ck_assert_uint_eq(entries_without_tmp(), 1);
}
END_TEST

/* The rename fails (a directory holds the name): the error comes back and no temporary file is
 * left beside the directory. */
START_TEST(failed_rename_leaves_no_temp)
{
	const char *path = in_dir(0, "connection.json");

	ck_assert_int_eq(mkdir(path, 0700), 0);
	put(in_dir(1, "connection.json/inside"), "keep", 0600);
	ck_assert_int_eq(private_file_write(path, "new", 3, 0600), -EISDIR);
	ck_assert(S_ISDIR(mode_of(path)));
	assert_text(in_dir(1, "connection.json/inside"), "keep");
	ck_assert_uint_eq(entries_without_tmp(), 1);
}
END_TEST

/* Paths that cannot be written at all: nothing is created anywhere. */
START_TEST(bad_paths)
{
	char long_name[300];

	put(in_dir(0, "plain"), "x", 0600);
	ck_assert_int_eq(private_file_write(in_dir(1, "plain/key.pem"), "k", 1, 0600), -ENOTDIR);
	ck_assert_int_eq(private_file_write(in_dir(1, "missing/key.pem"), "k", 1, 0600), -ENOENT);
	ck_assert_int_eq(private_file_write(in_dir(1, ""), "k", 1, 0600), -EISDIR);
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ck_assert_int_eq(private_file_write(long_name, "k", 1, 0600), -ENAMETOOLONG);
	ck_assert_uint_eq(entries_without_tmp(), 1);
	assert_text(in_dir(0, "plain"), "x");
}
END_TEST

Suite *test_suite(void)
{
	Suite *s = suite_create("server-private-file");
	TCase *tc = tcase_create("private-file");

	/* Each test gets a fresh directory, removed after it. */
	tcase_add_checked_fixture(tc, make_dir, remove_dir);
	tcase_add_test(tc, writes_contents_and_mode);
	tcase_add_test(tc, mode_is_exact_under_any_umask);
	tcase_add_test(tc, replaces_old_file_atomically);
	tcase_add_loop_test(tc, link_at_temp_name_not_followed, 0, 2);
	tcase_add_test(tc, busy_temp_name_refused);
	tcase_add_test(tc, link_at_final_name_replaced);
	tcase_add_test(tc, failed_write_leaves_old_file_and_no_temp);
	tcase_add_test(tc, failed_rename_leaves_no_temp);
	tcase_add_test(tc, bad_paths);
	suite_add_tcase(s, tc);
	return s;
}
