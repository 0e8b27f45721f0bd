#include "capture-drm.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/dma-buf.h>
#include <linux/kd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "capture-fbdev.h"
#include "spec.h"

/* Cache keys: the MAP_DUMB offset as it is, or this bit plus the dma-buf's inode. */
#define PRIME_KEY_BIT (UINT64_C(1) << 63)
/* After a first immediate retry, reopening a card that shows nothing backs off to this. */
#define REOPEN_FIRST_DELAY_MS 100
#define REOPEN_MAX_DELAY_MS   1000
/* Re-check which CRTC drives the monitor every this many grabs. */
#define RESOLVE_EVERY  32
#define DEFAULT_WIDTH  1024
#define DEFAULT_HEIGHT 768
#define MAX_CARDS      32

struct drm_mapping {
	uint8_t *ptr;
	size_t size;
	int dmabuf_fd; /* -1: mapped through the card fd */
	bool syncing;  /* DMA_BUF_SYNC_START issued, END due */
};

enum cursor_prop {
	CURSOR_FB_ID,
	CURSOR_CRTC_ID,
	CURSOR_CRTC_X,
	CURSOR_CRTC_Y,
	CURSOR_PROP_COUNT,
};

static const char *const cursor_prop_names[CURSOR_PROP_COUNT] = {
	"FB_ID",
	"CRTC_ID",
	"CRTC_X",
	"CRTC_Y",
};

struct capture_drm {
	struct capture base;
	pthread_mutex_t lock; /* serialises grab, get_cursor, list_monitors, release */
	char card[PATH_MAX];
	char vt[PATH_MAX]; /* "" = leave the VT alone */
	int monitor;       /* connector index in use */
	bool showing;      /* the last grab found a picture */
	int fd;            /* -1 while the card is closed */
	bool atomic;

	/* What the monitor is bound to; 0 = to be resolved. */
	uint32_t connector_id, crtc_id, crtc_index, primary_id, cursor_id;
	uint32_t cursor_props[CURSOR_PROP_COUNT];
	bool has_cursor_plane; /* seen on this card at any time */
	unsigned int grabs_since_resolve;

	uint64_t keys[CAPTURE_DRM_MAX_MAPPINGS];
	uint64_t last_used[CAPTURE_DRM_MAX_MAPPINGS];
	struct drm_mapping maps[CAPTURE_DRM_MAX_MAPPINGS];
	uint64_t use_counter;

	uint8_t cursor_px[CAPTURE_DRM_MAX_CURSOR * CAPTURE_DRM_MAX_CURSOR * 4];
	uint32_t cursor_w, cursor_h;
	uint64_t cursor_serial;

	_Atomic uint64_t size; /* width << 32 | height of the latest picture */
	uint64_t retry_at_ms;
	uint32_t retry_delay_ms;
	char error[256];
};

static const struct capture_impl capture_drm_impl;

/*
 * Pure helpers.
 */

int capture_drm_format(uint32_t fourcc, enum capture_format *ret)
{
	switch (fourcc) {
	case DRM_FORMAT_XRGB8888:
		*ret = CAPTURE_FORMAT_XRGB8888;
		return 0;
	case DRM_FORMAT_ARGB8888:
		*ret = CAPTURE_FORMAT_ARGB8888;
		return 0;
	case DRM_FORMAT_RGB565:
		*ret = CAPTURE_FORMAT_RGB565;
		return 0;
	}
	return -EOPNOTSUPP;
}

bool capture_drm_modifier_is_linear(uint32_t fb_flags, uint64_t modifier)
{
	if (!(fb_flags & DRM_MODE_FB_MODIFIERS)) {
		return true;
	}
	return modifier == DRM_FORMAT_MOD_LINEAR || modifier == DRM_FORMAT_MOD_INVALID;
}

int capture_drm_layout(const struct capture_drm_fb_desc *fb, const struct capture_drm_view *view,
		       struct capture_drm_layout *ret)
{
	enum capture_format format;
	uint64_t x0, y0, x1, y1, bpp;
	int r;

	r = capture_drm_format(fb->fourcc, &format);
	if (r < 0) {
		return r;
	}
	if (!capture_drm_modifier_is_linear(fb->flags, fb->modifier)) {
		return -EOPNOTSUPP;
	}
	bpp = capture_format_bpp(format);
	if (fb->width == 0 || fb->height == 0 || fb->pitch < fb->width * bpp) {
		return -EINVAL;
	}
	x0 = view->x < fb->width ? view->x : fb->width;
	y0 = view->y < fb->height ? view->y : fb->height;
	x1 = (uint64_t)view->x + view->width;
	y1 = (uint64_t)view->y + view->height;
	x1 = x1 < fb->width ? x1 : fb->width;
	y1 = y1 < fb->height ? y1 : fb->height;
	if (x1 <= x0 || y1 <= y0) {
		return -EINVAL;
	}
	/* What ADDFB2 checked the buffer object is large enough for; pitch * height may not be. */
	*ret = (struct capture_drm_layout){
		.format = format,
		.map_size = (size_t)(fb->offset + (uint64_t)(fb->height - 1) * fb->pitch +
				     fb->width * bpp),
		.data_offset = (size_t)(fb->offset + y0 * fb->pitch + x0 * bpp),
		.width = (uint32_t)(x1 - x0),
		.height = (uint32_t)(y1 - y0),
		.stride = fb->pitch,
	};
	return 0;
}

static int plane_rank(const struct capture_drm_plane_desc *p, uint32_t crtc_id, uint32_t crtc_index)
{
	if (p->crtc_id == crtc_id) {
		return 2;
	}
	if (p->crtc_id == 0 && crtc_index < 32 && (p->possible_crtcs & (1u << crtc_index))) {
		return 1;
	}
	return 0;
}

int capture_drm_pick_planes(const struct capture_drm_plane_desc *planes, size_t n, uint32_t crtc_id,
			    uint32_t crtc_index, size_t *ret_primary, size_t *ret_cursor)
{
	size_t primary = SIZE_MAX, cursor = SIZE_MAX;
	int primary_rank = 0, cursor_rank = 0;

	for (size_t i = 0; i < n; i++) {
		int rank = plane_rank(&planes[i], crtc_id, crtc_index);

		if (planes[i].type == DRM_PLANE_TYPE_PRIMARY && rank > primary_rank) {
			primary = i;
			primary_rank = rank;
		} else if (planes[i].type == DRM_PLANE_TYPE_CURSOR && rank > cursor_rank) {
			cursor = i;
			cursor_rank = rank;
		}
	}
	if (primary == SIZE_MAX) {
		return -ENOENT;
	}
	*ret_primary = primary;
	*ret_cursor = cursor;
	return 0;
}

int capture_drm_pick_connector(const struct capture_drm_connector_desc *conns, size_t n,
			       int monitor, size_t *ret)
{
	if (monitor >= 0) {
		if ((size_t)monitor >= n) {
			return -ENODEV;
		}
		*ret = (size_t)monitor;
		return 0;
	}
	if (n == 0) {
		return -ENODEV;
	}
	for (size_t i = 0; i < n; i++) {
		if (conns[i].connected) {
			*ret = i;
			return 0;
		}
	}
	*ret = 0;
	return 0;
}

bool capture_drm_cache_slot(const uint64_t *keys, const uint64_t *last_used, size_t n, uint64_t key,
			    size_t *ret_slot)
{
	size_t victim = 0;

	for (size_t i = 0; i < n; i++) {
		if (key != 0 && keys[i] == key) {
			*ret_slot = i;
			return true;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (keys[i] == 0) {
			*ret_slot = i;
			return false;
		}
		if (last_used[i] < last_used[victim]) {
			victim = i;
		}
	}
	*ret_slot = victim;
	return false;
}

/*
 * The backend.
 */

static struct capture_drm *capture_drm_from(struct capture *c)
{
	assert(c->impl == &capture_drm_impl);
	return (struct capture_drm *)c;
}

bool capture_is_drm(const struct capture *c)
{
	return c && c->impl == &capture_drm_impl;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

__attribute__((format(printf, 2, 3))) static void set_error(struct capture_drm *cd, const char *fmt,
							    ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cd->error, sizeof(cd->error), fmt, ap);
	va_end(ap);
}

static void set_size(struct capture_drm *cd, uint32_t w, uint32_t h)
{
	atomic_store(&cd->size, (uint64_t)w << 32 | h);
}

static void unmap_slot(struct capture_drm *cd, size_t i)
{
	struct drm_mapping *m = &cd->maps[i];

	if (m->syncing) {
		struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ };

		ioctl(m->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync);
	}
	if (m->ptr) {
		munmap(m->ptr, m->size);
	}
	if (m->dmabuf_fd >= 0) {
		close(m->dmabuf_fd);
	}
	*m = (struct drm_mapping){ .dmabuf_fd = -1 };
	cd->keys[i] = 0;
	cd->last_used[i] = 0;
}

/* Unmap everything and close the card: every mapping pins the card's file, and only the last
 * close of the card makes the kernel restore the text console. */
static void close_card(struct capture_drm *cd)
{
	for (size_t i = 0; i < CAPTURE_DRM_MAX_MAPPINGS; i++) {
		unmap_slot(cd, i);
	}
	if (cd->fd >= 0) {
		close(cd->fd);
		cd->fd = -1;
	}
	cd->crtc_id = cd->primary_id = cd->cursor_id = 0;
}

/* End the CPU access window of dma-bufs opened by the previous grab. */
static void end_dmabuf_access(struct capture_drm *cd)
{
	for (size_t i = 0; i < CAPTURE_DRM_MAX_MAPPINGS; i++) {
		struct drm_mapping *m = &cd->maps[i];

		if (m->syncing) {
			struct dma_buf_sync sync = { .flags =
							     DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ };

			ioctl(m->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync);
			m->syncing = false;
		}
	}
}

/* Open a card without keeping DRM master. */
static int open_card(const char *path, bool *ret_atomic)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		return -errno;
	}
	/* Nobody was master, so the open made us master: give it back at once so that a KMS
	 * program can take the display. */
	if (drmIsMaster(fd)) {
		drmDropMaster(fd);
	}
	if (drmSetClientCap(fd, DRM_CLIENT_CAP_UNIVERSAL_PLANES, 1) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	/* Only for the cursor plane's position; everything else works without it. */
	*ret_atomic = drmSetClientCap(fd, DRM_CLIENT_CAP_ATOMIC, 1) == 0;
	return fd;
}

static bool card_has_display(int fd)
{
	drmModeRes *res = drmModeGetResources(fd);
	bool yes = res && res->count_connectors > 0 && res->count_crtcs > 0;

	drmModeFreeResources(res);
	return yes;
}

static int card_number(const char *name)
{
	uint32_t n;

	if (strncmp(name, "card", 4) != 0 || shadow_parse_u32(name + 4, &n) < 0 || n >= MAX_CARDS) {
		return -1;
	}
	return (int)n;
}

/* The first /dev/dri/cardN, lowest N, that has a display connector. */
static int find_card(char *path, size_t len)
{
	bool present[MAX_CARDS] = { false };
	bool any = false;
	DIR *dir = opendir("/dev/dri");
	struct dirent *de;

	if (!dir) {
		return -ENODEV;
	}
	while ((de = readdir(dir))) {
		int n = card_number(de->d_name);

		if (n >= 0) {
			present[n] = true;
			any = true;
		}
	}
	closedir(dir);
	if (!any) {
		return -ENODEV;
	}
	for (int n = 0; n < MAX_CARDS; n++) {
		bool atomic;
		bool display;
		int fd;

		if (!present[n]) {
			continue;
		}
		snprintf(path, len, "/dev/dri/card%d", n);
		fd = open_card(path, &atomic);
		if (fd < 0) {
			continue;
		}
		display = card_has_display(fd);
		close(fd);
		if (display) {
			return 0;
		}
	}
	return -ENODEV;
}

static bool prop_ids(int fd, uint32_t obj, uint32_t type, const char *const *names, size_t n,
		     uint32_t *ret_ids, uint64_t *ret_values)
{
	drmModeObjectProperties *props = drmModeObjectGetProperties(fd, obj, type);
	size_t found = 0;

	for (size_t j = 0; j < n; j++) {
		ret_ids[j] = 0;
	}
	if (!props) {
		return false;
	}
	for (uint32_t i = 0; i < props->count_props; i++) {
		drmModePropertyRes *p = drmModeGetProperty(fd, props->props[i]);

		for (size_t j = 0; p && j < n; j++) {
			if (strcmp(p->name, names[j]) == 0) {
				ret_ids[j] = p->prop_id;
				if (ret_values) {
					ret_values[j] = props->prop_values[i];
				}
				found++;
			}
		}
		drmModeFreeProperty(p);
	}
	drmModeFreeObjectProperties(props);
	return found == n;
}

/* Which CRTC drives the connector (0 = none), and its index in GETRESOURCES. */
static uint32_t connector_crtc(int fd, const drmModeRes *res, uint32_t connector_id,
			       uint32_t *ret_index)
{
	drmModeConnector *conn = drmModeGetConnectorCurrent(fd, connector_id);
	drmModeEncoder *enc;
	uint32_t crtc = 0;

	if (!conn) {
		return 0;
	}
	enc = conn->encoder_id ? drmModeGetEncoder(fd, conn->encoder_id) : NULL;
	if (enc) {
		crtc = enc->crtc_id;
	}
	drmModeFreeEncoder(enc);
	drmModeFreeConnector(conn);
	for (int i = 0; crtc && i < res->count_crtcs; i++) {
		if (res->crtcs[i] == crtc) {
			*ret_index = (uint32_t)i;
			return crtc;
		}
	}
	return 0;
}

/* Find the monitor's CRTC and its planes. -EAGAIN when the monitor shows nothing. */
static int resolve(struct capture_drm *cd)
{
	drmModeRes *res = drmModeGetResources(cd->fd);
	drmModePlaneRes *pres = NULL;
	struct capture_drm_plane_desc *descs = NULL;
	size_t primary, cursor;
	int r = -EAGAIN;

	cd->crtc_id = cd->primary_id = cd->cursor_id = 0;
	cd->grabs_since_resolve = 0;
	if (!res) {
		r = errno ? -errno : -EIO;
		set_error(cd, "%s: cannot read the display resources: %s", cd->card, strerror(-r));
		return r;
	}
	if (cd->monitor < 0 || cd->monitor >= res->count_connectors) {
		set_error(cd, "%s: monitor %d is gone", cd->card, cd->monitor);
		r = -ENODEV;
		goto out;
	}
	cd->connector_id = res->connectors[cd->monitor];
	cd->crtc_id = connector_crtc(cd->fd, res, cd->connector_id, &cd->crtc_index);
	if (!cd->crtc_id) {
		goto out;
	}
	pres = drmModeGetPlaneResources(cd->fd);
	if (!pres || pres->count_planes == 0) {
		goto out;
	}
	descs = calloc(pres->count_planes, sizeof(*descs));
	if (!descs) {
		r = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < pres->count_planes; i++) {
		static const char *const type_name[] = { "type" };
		drmModePlane *p = drmModeGetPlane(cd->fd, pres->planes[i]);
		uint32_t type_id;
		uint64_t type = DRM_PLANE_TYPE_OVERLAY;

		if (!p) {
			continue;
		}
		prop_ids(cd->fd, p->plane_id, DRM_MODE_OBJECT_PLANE, type_name, 1, &type_id, &type);
		descs[i] = (struct capture_drm_plane_desc){
			.id = p->plane_id,
			.type = (uint32_t)type,
			.crtc_id = p->crtc_id,
			.fb_id = p->fb_id,
			.possible_crtcs = p->possible_crtcs,
		};
		drmModeFreePlane(p);
	}
	if (capture_drm_pick_planes(descs, pres->count_planes, cd->crtc_id, cd->crtc_index,
				    &primary, &cursor) < 0) {
		goto out;
	}
	cd->primary_id = descs[primary].id;
	if (cursor != SIZE_MAX) {
		cd->has_cursor_plane = true;
		if (cd->atomic &&
		    prop_ids(cd->fd, descs[cursor].id, DRM_MODE_OBJECT_PLANE, cursor_prop_names,
			     CURSOR_PROP_COUNT, cd->cursor_props, NULL)) {
			cd->cursor_id = descs[cursor].id;
		}
	}
	r = 0;
out:
	free(descs);
	drmModeFreePlaneResources(pres);
	drmModeFreeResources(res);
	if (r < 0) {
		cd->crtc_id = cd->primary_id = cd->cursor_id = 0;
	}
	return r;
}

static void close_handles(int fd, const uint32_t handles[4])
{
	for (int i = 0; i < 4; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++) {
			seen = seen || handles[j] == handles[i];
		}
		if (handles[i] && !seen) {
			drmCloseBufferHandle(fd, handles[i]);
		}
	}
}

/* GETFB2, or the legacy GETFB on kernels without it. The handles are the caller's to close. */
static int get_fb(struct capture_drm *cd, uint32_t fb_id, struct capture_drm_fb_desc *ret,
		  uint32_t handles[4])
{
	drmModeFB2 *fb2 = drmModeGetFB2(cd->fd, fb_id);
	drmModeFB *fb;

	if (fb2) {
		*ret = (struct capture_drm_fb_desc){
			.width = fb2->width,
			.height = fb2->height,
			.fourcc = fb2->pixel_format,
			.flags = fb2->flags,
			.modifier = fb2->modifier,
			.pitch = fb2->pitches[0],
			.offset = fb2->offsets[0],
		};
		memcpy(handles, fb2->handles, 4 * sizeof(uint32_t));
		drmModeFreeFB2(fb2);
		return 0;
	}
	if (errno != ENOTTY && errno != EINVAL && errno != EOPNOTSUPP) {
		return -errno;
	}
	fb = drmModeGetFB(cd->fd, fb_id);
	if (!fb) {
		return -errno;
	}
	*ret = (struct capture_drm_fb_desc){
		.width = fb->width,
		.height = fb->height,
		.fourcc = fb->bpp == 32 && fb->depth == 24   ? DRM_FORMAT_XRGB8888
			  : fb->bpp == 32 && fb->depth == 32 ? DRM_FORMAT_ARGB8888
			  : fb->bpp == 16 && fb->depth == 16 ? DRM_FORMAT_RGB565
							     : 0,
		.pitch = fb->pitch,
	};
	handles[0] = fb->handle;
	handles[1] = handles[2] = handles[3] = 0;
	drmModeFreeFB(fb);
	return 0;
}

static uint8_t *map_in_slot(struct capture_drm *cd, uint64_t key, size_t size, int map_fd,
			    off_t offset, int dmabuf_fd)
{
	size_t slot;
	struct drm_mapping *m;
	void *p;

	if (capture_drm_cache_slot(cd->keys, cd->last_used, CAPTURE_DRM_MAX_MAPPINGS, key, &slot) &&
	    cd->maps[slot].size >= size) {
		if (dmabuf_fd >= 0) {
			close(dmabuf_fd);
		}
		cd->last_used[slot] = ++cd->use_counter;
		return cd->maps[slot].ptr;
	}
	unmap_slot(cd, slot);
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, map_fd, offset);
	if (p == MAP_FAILED) {
		return NULL;
	}
	m = &cd->maps[slot];
	*m = (struct drm_mapping){ .ptr = p, .size = size, .dmabuf_fd = dmabuf_fd };
	cd->keys[slot] = key;
	cd->last_used[slot] = ++cd->use_counter;
	return p;
}

/* Map the buffer object behind handle, from the cache when it is there. NULL with errno. */
static uint8_t *map_handle(struct capture_drm *cd, uint32_t handle, size_t size)
{
	struct drm_mode_map_dumb md = { .handle = handle };
	int dumb_err, prime_fd = -1;
	struct stat st;
	uint8_t *p;

	if (drmIoctl(cd->fd, DRM_IOCTL_MODE_MAP_DUMB, &md) == 0 && md.offset != 0 &&
	    !(md.offset & PRIME_KEY_BIT)) {
		p = map_in_slot(cd, md.offset, size, cd->fd, (off_t)md.offset, -1);
		if (p) {
			return p;
		}
	}
	dumb_err = errno;
	/* Imported buffers and drivers without dumb buffers: map a dma-buf instead. */
	if (drmPrimeHandleToFD(cd->fd, handle, DRM_CLOEXEC, &prime_fd) < 0) {
		errno = dumb_err;
		return NULL;
	}
	if (fstat(prime_fd, &st) < 0) {
		close(prime_fd);
		return NULL;
	}
	p = map_in_slot(cd, PRIME_KEY_BIT | (uint64_t)st.st_ino, size, prime_fd, 0, prime_fd);
	if (!p) {
		int err = errno;

		close(prime_fd);
		errno = err;
		return NULL;
	}
	for (size_t i = 0; i < CAPTURE_DRM_MAX_MAPPINGS; i++) {
		struct drm_mapping *m = &cd->maps[i];

		if (m->ptr == p && m->dmabuf_fd >= 0 && !m->syncing) {
			struct dma_buf_sync sync = { .flags = DMA_BUF_SYNC_START |
							      DMA_BUF_SYNC_READ };

			m->syncing = ioctl(m->dmabuf_fd, DMA_BUF_IOCTL_SYNC, &sync) == 0;
		}
	}
	return p;
}

static void describe_format(uint32_t fourcc, char *buf, size_t len)
{
	char *name = drmGetFormatName(fourcc);

	snprintf(buf, len, "%s", name ? name : "unknown");
	free(name);
}

/* Map framebuffer fb_id and describe the visible part. */
static int map_fb(struct capture_drm *cd, uint32_t fb_id, const struct capture_drm_view *view,
		  struct capture_frame *ret)
{
	struct capture_drm_fb_desc fb;
	struct capture_drm_layout layout;
	uint32_t handles[4] = { 0 };
	char name[32];
	uint8_t *p;
	int r;

	r = get_fb(cd, fb_id, &fb, handles);
	if (r == -ENOENT) {
		return -EAGAIN; /* removed between GETPLANE and GETFB2 */
	}
	if (r < 0) {
		set_error(cd, "%s: cannot read framebuffer %u: %s", cd->card, fb_id, strerror(-r));
		return r;
	}
	if (!handles[0]) {
		set_error(cd,
			  "%s: the kernel hides framebuffer %u's buffer: capturing needs "
			  "CAP_SYS_ADMIN",
			  cd->card, fb_id);
		r = -EACCES;
		goto out;
	}
	r = capture_drm_layout(&fb, view, &layout);
	if (r == -EOPNOTSUPP) {
		describe_format(fb.fourcc, name, sizeof(name));
		if (!capture_drm_modifier_is_linear(fb.flags, fb.modifier)) {
			set_error(cd,
				  "%s: framebuffer %u is tiled or compressed (format %s, "
				  "modifier 0x%016llx); only linear buffers can be read",
				  cd->card, fb_id, name, (unsigned long long)fb.modifier);
		} else {
			set_error(cd,
				  "%s: framebuffer %u has pixel format %s; only XRGB8888, "
				  "ARGB8888 and RGB565 can be read",
				  cd->card, fb_id, name);
		}
		goto out;
	}
	if (r < 0) {
		set_error(
			cd,
			"%s: framebuffer %u (%ux%u, pitch %u) does not cover the mode %ux%u+%u+%u",
			cd->card, fb_id, fb.width, fb.height, fb.pitch, view->width, view->height,
			view->x, view->y);
		goto out;
	}
	p = map_handle(cd, handles[0], layout.map_size);
	if (!p) {
		r = errno ? -errno : -EIO;
		set_error(cd, "%s: cannot map framebuffer %u: %s", cd->card, fb_id, strerror(-r));
		goto out;
	}
	*ret = (struct capture_frame){
		.width = layout.width,
		.height = layout.height,
		.stride = layout.stride,
		.format = layout.format,
		.data = p + layout.data_offset,
	};
out:
	/* The mapping keeps the buffer alive; GETFB2 made fresh handles that must not leak. */
	close_handles(cd->fd, handles);
	return r;
}

/* The monitor's picture now. -EAGAIN when it shows nothing. */
static int read_picture(struct capture_drm *cd, struct capture_frame *ret)
{
	drmModePlane *plane = NULL;
	drmModeCrtc *crtc;
	struct capture_drm_view view;
	uint32_t fb_id;
	int r;

	if (!cd->primary_id || ++cd->grabs_since_resolve >= RESOLVE_EVERY) {
		r = resolve(cd);
		if (r < 0) {
			return r;
		}
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		plane = drmModeGetPlane(cd->fd, cd->primary_id);
		if (plane && plane->crtc_id == cd->crtc_id && plane->fb_id) {
			break;
		}
		drmModeFreePlane(plane);
		plane = NULL;
		/* A program may have moved the monitor to another CRTC or plane. */
		if (attempt == 0) {
			r = resolve(cd);
			if (r < 0) {
				return r;
			}
		}
	}
	if (!plane) {
		return -EAGAIN;
	}
	fb_id = plane->fb_id;
	drmModeFreePlane(plane);

	crtc = drmModeGetCrtc(cd->fd, cd->crtc_id);
	if (!crtc || !crtc->mode_valid) {
		drmModeFreeCrtc(crtc);
		return -EAGAIN;
	}
	view = (struct capture_drm_view){
		.x = crtc->x,
		.y = crtc->y,
		.width = crtc->mode.hdisplay,
		.height = crtc->mode.vdisplay,
	};
	drmModeFreeCrtc(crtc);

	r = map_fb(cd, fb_id, &view, ret);
	if (r == 0) {
		set_size(cd, ret->width, ret->height);
	}
	return r;
}

static int reopen(struct capture_drm *cd)
{
	int fd = open_card(cd->card, &cd->atomic);

	if (fd < 0) {
		set_error(cd, "cannot open %s: %s", cd->card, strerror(-fd));
		return fd;
	}
	cd->fd = fd;
	cd->primary_id = 0;
	return 0;
}

static void schedule_reopen(struct capture_drm *cd, uint64_t now)
{
	cd->retry_at_ms = now + cd->retry_delay_ms;
	if (cd->retry_delay_ms == 0) {
		cd->retry_delay_ms = REOPEN_FIRST_DELAY_MS;
	} else if (cd->retry_delay_ms < REOPEN_MAX_DELAY_MS) {
		cd->retry_delay_ms *= 2;
		if (cd->retry_delay_ms > REOPEN_MAX_DELAY_MS) {
			cd->retry_delay_ms = REOPEN_MAX_DELAY_MS;
		}
	}
}

/*
 * Make the text console show itself again. The last close of the card restores the console's
 * mode, but not always its pixels (bochs loses them with the buffer's VRAM placement), and when
 * another process keeps the card open there is no last close at all. Switching the foreground VT
 * to graphics and back to text makes fbcon set its mode again (the kernel skips that while some
 * process is DRM master) and redraw every character. A VT that a program put in graphics mode is
 * that program's; it is left alone.
 */
static void wake_console(const char *vt)
{
	int fd, mode = KD_GRAPHICS;

	if (!*vt) {
		return;
	}
	fd = open(vt, O_RDWR | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		return;
	}
	if (ioctl(fd, KDGETMODE, &mode) == 0 && mode == KD_TEXT &&
	    ioctl(fd, KDSETMODE, KD_GRAPHICS) == 0) {
		ioctl(fd, KDSETMODE, KD_TEXT);
	}
	close(fd);
}

static int grab_locked(struct capture_drm *cd, struct capture_frame *ret)
{
	uint64_t now = now_ms();
	int r;

	end_dmabuf_access(cd);
	if (cd->fd < 0) {
		if (now < cd->retry_at_ms) {
			set_error(cd, "%s: monitor %d shows nothing", cd->card, cd->monitor);
			return -EAGAIN;
		}
		r = reopen(cd);
		if (r < 0) {
			schedule_reopen(cd, now);
			return r;
		}
	}
	r = read_picture(cd, ret);
	if (r == -EAGAIN) {
		/* Nothing on screen, e.g. the KMS program that owned it exited. Let go of the
		 * card so that the kernel's last close brings the text console back. */
		set_error(cd, "%s: monitor %d shows nothing", cd->card, cd->monitor);
		close_card(cd);
		if (cd->showing) {
			wake_console(cd->vt);
		}
		cd->showing = false;
		schedule_reopen(cd, now);
		return r;
	}
	if (r == 0) {
		cd->showing = true;
		cd->retry_delay_ms = 0;
		cd->error[0] = '\0';
	}
	return r;
}

static int capture_drm_grab(struct capture *c, struct capture_frame *ret_frame)
{
	struct capture_drm *cd = capture_drm_from(c);
	int r;

	pthread_mutex_lock(&cd->lock);
	r = grab_locked(cd, ret_frame);
	pthread_mutex_unlock(&cd->lock);
	return r;
}

static int capture_drm_get_size(struct capture *c, uint32_t *ret_w, uint32_t *ret_h)
{
	struct capture_drm *cd = capture_drm_from(c);
	uint64_t size = atomic_load(&cd->size);

	*ret_w = (uint32_t)(size >> 32);
	*ret_h = (uint32_t)size;
	return 0;
}

static int cursor_locked(struct capture_drm *cd, struct capture_cursor *ret)
{
	uint32_t ids[CURSOR_PROP_COUNT];
	uint64_t values[CURSOR_PROP_COUNT] = { 0 };
	drmModeObjectProperties *props;
	struct capture_drm_fb_desc fb;
	uint32_t handles[4] = { 0 };
	uint32_t w, h;
	const uint8_t *p;
	bool changed;
	int r;

	*ret = (struct capture_cursor){ .visible = false };
	if (!cd->has_cursor_plane || !cd->atomic) {
		return -EOPNOTSUPP;
	}
	if (cd->fd < 0 || !cd->cursor_id) {
		return 0;
	}
	props = drmModeObjectGetProperties(cd->fd, cd->cursor_id, DRM_MODE_OBJECT_PLANE);
	if (!props) {
		return 0;
	}
	memcpy(ids, cd->cursor_props, sizeof(ids));
	for (uint32_t i = 0; i < props->count_props; i++) {
		for (int j = 0; j < CURSOR_PROP_COUNT; j++) {
			if (props->props[i] == ids[j]) {
				values[j] = props->prop_values[i];
			}
		}
	}
	drmModeFreeObjectProperties(props);
	if (!values[CURSOR_FB_ID] || values[CURSOR_CRTC_ID] != cd->crtc_id) {
		return 0;
	}
	r = get_fb(cd, (uint32_t)values[CURSOR_FB_ID], &fb, handles);
	if (r < 0) {
		return r == -ENOENT ? 0 : r;
	}
	r = 0;
	if (!handles[0] || fb.fourcc != DRM_FORMAT_ARGB8888 ||
	    !capture_drm_modifier_is_linear(fb.flags, fb.modifier) || fb.width == 0 ||
	    fb.height == 0 || fb.pitch < fb.width * 4) {
		goto out;
	}
	w = fb.width < CAPTURE_DRM_MAX_CURSOR ? fb.width : CAPTURE_DRM_MAX_CURSOR;
	h = fb.height < CAPTURE_DRM_MAX_CURSOR ? fb.height : CAPTURE_DRM_MAX_CURSOR;
	p = map_handle(cd, handles[0],
		       fb.offset + (size_t)(fb.height - 1) * fb.pitch + fb.width * 4);
	if (!p) {
		goto out;
	}
	p += fb.offset;
	changed = w != cd->cursor_w || h != cd->cursor_h || cd->cursor_serial == 0;
	for (uint32_t y = 0; y < h && !changed; y++) {
		changed = memcmp(cd->cursor_px + (size_t)y * w * 4, p + (size_t)y * fb.pitch,
				 (size_t)w * 4) != 0;
	}
	/* Programs may redraw the same buffer, so the serial follows the pixels, not the id. */
	if (changed) {
		for (uint32_t y = 0; y < h; y++) {
			memcpy(cd->cursor_px + (size_t)y * w * 4, p + (size_t)y * fb.pitch,
			       (size_t)w * 4);
		}
		cd->cursor_w = w;
		cd->cursor_h = h;
		cd->cursor_serial++;
	}
	*ret = (struct capture_cursor){
		.visible = true,
		/* CRTC_X/Y are signed 64-bit property values */
		.x = (int32_t)(int64_t)values[CURSOR_CRTC_X],
		.y = (int32_t)(int64_t)values[CURSOR_CRTC_Y],
		.width = w,
		.height = h,
		.pixels = cd->cursor_px,
		.serial = cd->cursor_serial,
	};
out:
	close_handles(cd->fd, handles);
	return r;
}

static int capture_drm_get_cursor(struct capture *c, struct capture_cursor *ret)
{
	struct capture_drm *cd = capture_drm_from(c);
	int r;

	pthread_mutex_lock(&cd->lock);
	r = cursor_locked(cd, ret);
	pthread_mutex_unlock(&cd->lock);
	return r;
}

static void describe_connector(int fd, const drmModeRes *res, int i, struct capture_monitor *m)
{
	drmModeConnector *conn = drmModeGetConnectorCurrent(fd, res->connectors[i]);
	const char *type;
	uint32_t crtc_id, crtc_index;
	drmModeCrtc *crtc;

	m->index = (uint32_t)i;
	if (!conn) {
		snprintf(m->name, sizeof(m->name), "connector-%d", i);
		return;
	}
	type = drmModeGetConnectorTypeName(conn->connector_type);
	snprintf(m->name, sizeof(m->name), "%s-%u", type ? type : "Unknown",
		 conn->connector_type_id);
	m->connected = conn->connection == DRM_MODE_CONNECTED;
	drmModeFreeConnector(conn);
	crtc_id = connector_crtc(fd, res, res->connectors[i], &crtc_index);
	crtc = crtc_id ? drmModeGetCrtc(fd, crtc_id) : NULL;
	if (crtc && crtc->mode_valid && crtc->buffer_id) {
		m->active = true;
		m->width = crtc->mode.hdisplay;
		m->height = crtc->mode.vdisplay;
	}
	drmModeFreeCrtc(crtc);
}

static int list_locked(struct capture_drm *cd, struct capture_monitor *ret, size_t max,
		       size_t *ret_n)
{
	bool atomic;
	int fd = cd->fd;
	drmModeRes *res;

	if (fd < 0) {
		fd = open_card(cd->card, &atomic);
		if (fd < 0) {
			return fd;
		}
	}
	res = drmModeGetResources(fd);
	if (!res) {
		int r = errno ? -errno : -EIO;

		if (fd != cd->fd) {
			close(fd);
		}
		return r;
	}
	for (int i = 0; i < res->count_connectors && (size_t)i < max; i++) {
		ret[i] = (struct capture_monitor){ .shared = i == cd->monitor };
		describe_connector(fd, res, i, &ret[i]);
	}
	*ret_n = (size_t)res->count_connectors;
	drmModeFreeResources(res);
	if (fd != cd->fd) {
		close(fd);
	}
	return 0;
}

static int capture_drm_list_monitors(struct capture *c, struct capture_monitor *ret, size_t max,
				     size_t *ret_n)
{
	struct capture_drm *cd = capture_drm_from(c);
	int r;

	pthread_mutex_lock(&cd->lock);
	r = list_locked(cd, ret, max, ret_n);
	pthread_mutex_unlock(&cd->lock);
	return r;
}

static void capture_drm_release(struct capture *c)
{
	struct capture_drm *cd = capture_drm_from(c);

	pthread_mutex_lock(&cd->lock);
	close_card(cd);
	cd->retry_at_ms = 0;
	cd->retry_delay_ms = 0;
	pthread_mutex_unlock(&cd->lock);
}

static const char *capture_drm_last_error(struct capture *c)
{
	return capture_drm_from(c)->error;
}

static void capture_drm_destroy(struct capture *c)
{
	struct capture_drm *cd = capture_drm_from(c);

	close_card(cd);
	pthread_mutex_destroy(&cd->lock);
	free(cd);
}

static const struct capture_impl capture_drm_impl = {
	.name = "drm",
	.get_size = capture_drm_get_size,
	.grab = capture_drm_grab,
	.destroy = capture_drm_destroy,
	.get_cursor = capture_drm_get_cursor,
	.list_monitors = capture_drm_list_monitors,
	.release = capture_drm_release,
	.last_error = capture_drm_last_error,
};

/* Pick the monitor, and learn its size from what it shows (or the mode it would show). */
static int probe(struct capture_drm *cd, int monitor, char *errbuf, size_t errlen)
{
	drmModeRes *res = drmModeGetResources(cd->fd);
	struct capture_drm_connector_desc *conns;
	struct capture_frame frame;
	size_t chosen;
	int r;

	if (!res || res->count_connectors <= 0) {
		drmModeFreeResources(res);
		return shadow_error(errbuf, errlen, -ENODEV, "capture 'drm': %s has no display",
				    cd->card);
	}
	conns = calloc((size_t)res->count_connectors, sizeof(*conns));
	if (!conns) {
		drmModeFreeResources(res);
		return shadow_error(errbuf, errlen, -ENOMEM, "out of memory");
	}
	for (int i = 0; i < res->count_connectors; i++) {
		drmModeConnector *conn = drmModeGetConnectorCurrent(cd->fd, res->connectors[i]);

		conns[i].connected = conn && conn->connection == DRM_MODE_CONNECTED;
		drmModeFreeConnector(conn);
	}
	r = capture_drm_pick_connector(conns, (size_t)res->count_connectors, monitor, &chosen);
	free(conns);
	if (r < 0) {
		r = shadow_error(errbuf, errlen, -ENODEV,
				 "capture 'drm': %s has no monitor %d (it has %d connectors)",
				 cd->card, monitor, res->count_connectors);
		drmModeFreeResources(res);
		return r;
	}
	drmModeFreeResources(res);
	cd->monitor = (int)chosen;
	set_size(cd, DEFAULT_WIDTH, DEFAULT_HEIGHT);
	r = read_picture(cd, &frame);
	/* Only what will not go away is fatal; a tiled program or a dark screen may. */
	if (r == -EACCES) {
		return shadow_error(errbuf, errlen, r, "capture 'drm': %s", cd->error);
	}
	cd->error[0] = '\0';
	return 0;
}

int capture_drm_new(const struct capture_drm_options *opts, struct capture **ret, char *errbuf,
		    size_t errlen)
{
	struct capture_drm *cd;
	int r;

	cd = calloc(1, sizeof(*cd));
	if (!cd) {
		return shadow_error(errbuf, errlen, -ENOMEM, "out of memory");
	}
	cd->base.impl = &capture_drm_impl;
	cd->fd = -1;
	for (size_t i = 0; i < CAPTURE_DRM_MAX_MAPPINGS; i++) {
		cd->maps[i].dmabuf_fd = -1;
	}
	pthread_mutex_init(&cd->lock, NULL);

	if ((size_t)snprintf(cd->vt, sizeof(cd->vt), "%s", opts->vt ? opts->vt : "/dev/tty0") >=
	    sizeof(cd->vt)) {
		r = shadow_error(errbuf, errlen, -EINVAL, "capture 'drm': vt path too long");
		goto err;
	}
	if (strcmp(cd->vt, "none") == 0) {
		cd->vt[0] = '\0';
	}
	if (opts->card) {
		if ((size_t)snprintf(cd->card, sizeof(cd->card), "%s", opts->card) >=
		    sizeof(cd->card)) {
			r = shadow_error(errbuf, errlen, -EINVAL,
					 "capture 'drm': card path too long");
			goto err;
		}
	} else if (find_card(cd->card, sizeof(cd->card)) < 0) {
		r = shadow_error(errbuf, errlen, -ENODEV,
				 "capture 'drm': no KMS device with a display in /dev/dri");
		goto err;
	}
	r = reopen(cd);
	if (r < 0) {
		r = shadow_error(errbuf, errlen, r == -ENOENT ? -ENODEV : r, "capture 'drm': %s",
				 cd->error);
		goto err;
	}
	r = probe(cd, opts->monitor, errbuf, errlen);
	if (r < 0) {
		goto err;
	}
	/* Hold nothing until somebody watches. */
	close_card(cd);
	*ret = &cd->base;
	return 0;

err:
	capture_drm_destroy(&cd->base);
	return r;
}

static int parse_drm_options(struct shadow_spec *spec, struct capture_drm_options *ret,
			     char *errbuf, size_t errlen)
{
	uint32_t monitor;
	int r;

	ret->card = shadow_spec_get(spec, "card");
	if (ret->card && !*ret->card) {
		return shadow_error(errbuf, errlen, -EINVAL, "backend '%s': card= needs a path",
				    spec->name);
	}
	ret->vt = shadow_spec_get(spec, "vt");
	if (ret->vt && !*ret->vt) {
		return shadow_error(errbuf, errlen, -EINVAL,
				    "backend '%s': vt= needs a path or none", spec->name);
	}
	ret->monitor = -1;
	if (shadow_spec_get(spec, "monitor")) {
		r = shadow_spec_get_u32(spec, "monitor", 0, 0, 63, &monitor, errbuf, errlen);
		if (r < 0) {
			return r;
		}
		ret->monitor = (int)monitor;
	}
	return 0;
}

int capture_drm_create(struct shadow_spec *spec, struct capture **ret, char *errbuf, size_t errlen)
{
	struct capture_drm_options opts;
	int r;

	r = parse_drm_options(spec, &opts, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	r = shadow_spec_check_unused(spec, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	return capture_drm_new(&opts, ret, errbuf, errlen);
}

int capture_auto_create(struct shadow_spec *spec, struct capture **ret, char *errbuf, size_t errlen)
{
	struct capture_drm_options drm;
	struct capture_fbdev_options fbdev = { 0 };
	char drm_err[192];
	int r;

	r = parse_drm_options(spec, &drm, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	fbdev.device = shadow_spec_get(spec, "device");
	r = shadow_spec_check_unused(spec, errbuf, errlen);
	if (r < 0) {
		return r;
	}
	r = capture_drm_new(&drm, ret, drm_err, sizeof(drm_err));
	if (r != -ENODEV || drm.card) {
		if (r < 0) {
			shadow_error(errbuf, errlen, r, "%s", drm_err);
		}
		return r;
	}
	r = capture_fbdev_new(&fbdev, ret, errbuf, errlen);
	if (r == -ENODEV) {
		char fb_err[192];

		snprintf(fb_err, sizeof(fb_err), "%s", errbuf ? errbuf : "");
		return shadow_error(errbuf, errlen, r, "capture 'auto': nothing to capture: %s; %s",
				    drm_err, fb_err);
	}
	return r;
}
