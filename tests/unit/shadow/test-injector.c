/* The injector factory and the "recording" backend's file format. */

#include <dirent.h>
#include <limits.h>
#include <linux/input-event-codes.h>
#include <sys/stat.h>
#include <time.h>

#include "injector.h"
#include "shadow-test.h"

static struct injector *make_recording(const char *path)
{
	struct injector *inj = NULL;
	char spec[PATH_MAX + 32];
	char err[256] = "";

	snprintf(spec, sizeof(spec), "recording:path=%s", path);
	ck_assert_msg(injector_create(spec, &inj, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_nonnull(inj);
	return inj;
}

START_TEST(test_backend_names)
{
	const char *const *names = injector_backend_names();
	bool found = false;
	size_t n = 0;

	for (; names[n]; n++) {
		found |= strcmp(names[n], "recording") == 0;
	}
	ck_assert(found);
	ck_assert_uint_ge(n, 1);
}
END_TEST

START_TEST(test_format)
{
	char *path = shadow_test_tmpfile();
	struct injector *inj = make_recording(path);

	ck_assert_str_eq(inj->impl->name, "recording");
	ck_assert_int_eq(injector_key(inj, KEY_A, 1), 0);
	ck_assert_int_eq(injector_key(inj, KEY_A, 2), 0);
	ck_assert_int_eq(injector_key(inj, KEY_A, 0), 0);
	ck_assert_int_eq(injector_key(inj, BTN_LEFT, 1), 0);
	ck_assert_int_eq(injector_move_abs(inj, 0, 0, 1024, 768), 0);
	ck_assert_int_eq(injector_move_abs(inj, 1023, 767, 1024, 768), 0);
	ck_assert_int_eq(injector_wheel(inj, 120, 0), 0);
	ck_assert_int_eq(injector_wheel(inj, -240, 360), 0);
	ck_assert_int_eq(injector_key(inj, KEY_MAX, 0), 0);
	/* each line is on disk as soon as the call returns */
	shadow_test_assert_file(path, "key 30 1\n"
				      "key 30 2\n"
				      "key 30 0\n"
				      "key 272 1\n"
				      "abs 0 0\n"
				      "abs 1023 767\n"
				      "wheel 120 0\n"
				      "wheel -240 360\n"
				      "key 767 0\n");
	injector_destroy(inj);
	unlink(path);
	free(path);
}
END_TEST

/* timestamps=1: each line starts with CLOCK_MONOTONIC seconds.nanoseconds taken at the write. */
START_TEST(test_timestamps)
{
	static const char *const rest[] = { "key 30 1", "abs 5 6", "wheel -120 0", "key 767 0" };
	char *path = shadow_test_tmpfile();
	struct injector *inj = NULL;
	char spec[PATH_MAX + 32], err[256] = "";
	struct timespec t0, t1;
	char *text, *line, *save = NULL;
	double before, after, last = 0;
	int n = 0;

	snprintf(spec, sizeof(spec), "recording:path=%s,timestamps=1", path);
	ck_assert_msg(injector_create(spec, &inj, err, sizeof(err)) == 0, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(injector_key(inj, KEY_A, 1), 0);
	ck_assert_int_eq(injector_move_abs(inj, 5, 6, 1024, 768), 0);
	ck_assert_int_eq(injector_wheel(inj, -120, 0), 0);
	ck_assert_int_eq(injector_key(inj, KEY_MAX, 0), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	injector_destroy(inj);
	before = (double)t0.tv_sec + (double)t0.tv_nsec / 1e9;
	after = (double)t1.tv_sec + (double)t1.tv_nsec / 1e9;
	text = shadow_test_slurp(path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
		char *end, *dot = strchr(line, '.');
		double t = strtod(line, &end);

		ck_assert_int_lt(n, 4);
		ck_assert_ptr_nonnull(dot);
		ck_assert_int_eq(end - dot, 10); /* nine digits of nanoseconds */
		ck_assert_int_eq(*end, ' ');
		ck_assert_str_eq(end + 1, rest[n]);
		ck_assert(t >= before - 1e-6 && t <= after + 1e-6 && t >= last);
		last = t;
	}
	ck_assert_int_eq(n, 4);
	free(text);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_bad_value)
{
	char *path = shadow_test_tmpfile();
	struct injector *inj = make_recording(path);

	ck_assert_int_eq(injector_key(inj, KEY_A, 3), -EINVAL);
	ck_assert_int_eq(injector_key(inj, KEY_A, -1), -EINVAL);
	injector_destroy(inj);
	shadow_test_assert_file(path, "");
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_appends_and_mode)
{
	char *path = shadow_test_tmpfile();
	struct injector *inj;
	struct stat st;
	mode_t mask = umask(0);

	umask(mask);
	ck_assert_int_eq(unlink(path), 0);
	inj = make_recording(path);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600 & ~mask);
	ck_assert_uint_eq(st.st_size, 0); /* nothing written on open */
	ck_assert_int_eq(injector_key(inj, KEY_B, 1), 0);
	injector_destroy(inj);

	/* a second injector on the same file appends */
	inj = make_recording(path);
	ck_assert_int_eq(injector_key(inj, KEY_B, 0), 0);
	injector_destroy(inj);
	shadow_test_assert_file(path, "key 48 1\nkey 48 0\n");
	unlink(path);
	free(path);
}
END_TEST

/* The recording fd must not leak into children. */
START_TEST(test_cloexec)
{
	char *path = shadow_test_tmpfile();
	struct injector *inj = make_recording(path);
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *de;
	bool found = false;

	ck_assert_ptr_nonnull(dir);
	while ((de = readdir(dir))) {
		char link[64], target[PATH_MAX];
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.') {
			continue;
		}
		fd = atoi(de->d_name);
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n < 0) {
			continue;
		}
		target[n] = '\0';
		if (strcmp(target, path) == 0) {
			found = true;
			ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
			ck_assert_int_eq(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND),
					 O_WRONLY | O_APPEND);
		}
	}
	closedir(dir);
	ck_assert(found);
	injector_destroy(inj);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(test_bad_specs)
{
	static const char *const bad[] = {
		"",
		"nope",
		"nope:path=/tmp/x",
		"recording",
		"recording:path=",
		"recording:path",
		"recording:",
		":path=/tmp/x",
		"recording:=x",
		"recording:path=/tmp/a,path=/tmp/b",
		"recording:path=/tmp/a,,x=1",
		"recording:path=/tmp/a,timestamps=2",
		"recording:path=/tmp/a,timestamps=yes",
		"uinput-typo",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct injector *inj = (struct injector *)0x1;
		char err[256] = "";

		ck_assert_msg(injector_create(bad[i], &inj, err, sizeof(err)) == -EINVAL,
			      "'%s' accepted", bad[i]);
		ck_assert_msg(err[0] != '\0', "'%s': no message", bad[i]);
		ck_assert_ptr_eq(inj, (struct injector *)0x1);
	}
}
END_TEST

START_TEST(test_unknown_backend_message)
{
	struct injector *inj = NULL;
	char err[256] = "";

	ck_assert_int_eq(injector_create("uinptu", &inj, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "uinptu"));
	/* a NULL errbuf is allowed */
	ck_assert_int_eq(injector_create("uinptu", &inj, NULL, 0), -EINVAL);
}
END_TEST

/* An unknown option fails before the file is created. */
START_TEST(test_unknown_option_creates_nothing)
{
	char *path = shadow_test_tmpfile();
	struct injector *inj = NULL;
	char spec[PATH_MAX + 32];
	char err[256] = "";

	unlink(path);
	snprintf(spec, sizeof(spec), "recording:path=%s,speed=9", path);
	ck_assert_int_eq(injector_create(spec, &inj, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "speed"));
	ck_assert_int_eq(access(path, F_OK), -1);
	free(path);
}
END_TEST

START_TEST(test_unopenable_path)
{
	struct injector *inj = NULL;
	char err[256] = "";
	int r;

	r = injector_create("recording:path=/nonexistent-lifeline-dir/x.log", &inj, err,
			    sizeof(err));
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_ptr_null(inj);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-lifeline-dir/x.log"));
}
END_TEST

START_TEST(test_destroy_null)
{
	injector_destroy(NULL);
}
END_TEST

static Suite *injector_suite(void)
{
	Suite *s = suite_create("injector");
	TCase *tc = tcase_create("recording");

	tcase_add_test(tc, test_backend_names);
	tcase_add_test(tc, test_format);
	tcase_add_test(tc, test_timestamps);
	tcase_add_test(tc, test_bad_value);
	tcase_add_test(tc, test_appends_and_mode);
	tcase_add_test(tc, test_cloexec);
	tcase_add_test(tc, test_bad_specs);
	tcase_add_test(tc, test_unknown_backend_message);
	tcase_add_test(tc, test_unknown_option_creates_nothing);
	tcase_add_test(tc, test_unopenable_path);
	tcase_add_test(tc, test_destroy_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return shadow_test_run(injector_suite());
}
