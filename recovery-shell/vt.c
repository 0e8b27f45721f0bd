#include "vt.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kd.h>
#include <linux/vt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int vt_fd = -1;
static int saved_kd_mode = KD_TEXT;
static int saved_kb_mode = K_UNICODE;
static volatile sig_atomic_t vt_taken;

static bool is_vt(int fd)
{
	struct vt_stat st;

	return ioctl(fd, VT_GETSTATE, &st) == 0;
}

static int open_vt(const char *path)
{
	struct vt_stat st;
	char name[32];
	int fd;

	if (path) {
		fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	if (isatty(0) && is_vt(0)) {
		fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
		return fd < 0 ? -errno : fd;
	}
	fd = open("/dev/tty0", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		return -errno;
	}
	if (ioctl(fd, VT_GETSTATE, &st) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	close(fd);
	snprintf(name, sizeof(name), "/dev/tty%u", st.v_active);
	fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int shell_vt_take(const char *path)
{
	int fd = open_vt(path);

	if (fd < 0) {
		return fd;
	}
	if (ioctl(fd, KDGETMODE, &saved_kd_mode) < 0 || ioctl(fd, KDGKBMODE, &saved_kb_mode) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	vt_fd = fd;
	vt_taken = 1;
	atexit(shell_vt_restore);
	/* Keys reach us through evdev only: the VT must not also act on them (no Ctrl+Alt+Fn
	 * console switching from the remote keyboard, no typing into the text console below). */
	if (ioctl(fd, KDSKBMODE, K_OFF) < 0 || ioctl(fd, KDSETMODE, KD_GRAPHICS) < 0) {
		int r = -errno;

		shell_vt_restore();
		return r;
	}
	return 0;
}

void shell_vt_restore(void)
{
	if (!vt_taken) {
		return;
	}
	vt_taken = 0;
	ioctl(vt_fd, KDSETMODE, saved_kd_mode == KD_GRAPHICS ? KD_TEXT : saved_kd_mode);
	ioctl(vt_fd, KDSKBMODE, saved_kb_mode == K_OFF ? K_UNICODE : saved_kb_mode);
}

static void crash_handler(int sig)
{
	shell_vt_restore();
	/* SA_RESETHAND put the default action back: re-raise for the core dump and exit status. */
	raise(sig);
}

void shell_vt_install_crash_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = crash_handler;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaction(sigs[i], &sa, NULL);
	}
}
