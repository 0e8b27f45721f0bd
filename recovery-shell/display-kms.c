/*
 * KMS: two dumb buffers, page flips, DRM master (retried while another opener briefly holds
 * it). The previous CRTC configuration is put back on exit.
 */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <xf86drm.h>
#include <xf86drmMode.h>

#include "display-impl.h"

#define KMS_STALE_MAX 16

struct kms_buffer {
	uint32_t handle;
	uint32_t fb_id;
	uint32_t pitch;
	uint64_t size;
	uint8_t *map;
	/* Rectangles other frames changed since this buffer was last written. */
	struct shell_rect stale[KMS_STALE_MAX];
	size_t n_stale;
	bool all_stale;
};

struct display_kms {
	struct shell_display base;
	int fd;
	uint32_t crtc_id;
	uint32_t connector_id;
	drmModeModeInfo mode;
	drmModeCrtc *saved_crtc;
	struct kms_buffer buf[2];
	int front;
	bool mode_set;
	bool flip_pending;
};

static struct display_kms *kms_from(const struct shell_display *d)
{
	assert(d->impl == &shell_display_kms_impl);
	return (struct display_kms *)d;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
	}
}

/* Becomes DRM master; another process (the capture server opening the device) may hold it
 * for a moment, so retry until the deadline. */
static int become_master(int fd, int timeout_ms)
{
	for (int waited = 0;; waited += 50) {
		if (drmSetMaster(fd) == 0 || drmIsMaster(fd)) {
			return 0;
		}
		if (waited >= timeout_ms) {
			return -EBUSY;
		}
		sleep_ms(50);
	}
}

static int pick_output(struct display_kms *k)
{
	drmModeRes *res = drmModeGetResources(k->fd);
	int r = -ENODEV;

	if (!res) {
		return -ENODEV;
	}
	for (int i = 0; i < res->count_connectors && r < 0; i++) {
		drmModeConnector *c = drmModeGetConnector(k->fd, res->connectors[i]);
		uint32_t crtc = 0;

		if (!c) {
			continue;
		}
		if (c->connection != DRM_MODE_CONNECTED || c->count_modes == 0) {
			drmModeFreeConnector(c);
			continue;
		}
		k->mode = c->modes[0];
		for (int m = 0; m < c->count_modes; m++) {
			if (c->modes[m].type & DRM_MODE_TYPE_PREFERRED) {
				k->mode = c->modes[m];
				break;
			}
		}
		/* The CRTC already driving it, else the first one an encoder can use. */
		if (c->encoder_id) {
			drmModeEncoder *e = drmModeGetEncoder(k->fd, c->encoder_id);

			if (e) {
				crtc = e->crtc_id;
				drmModeFreeEncoder(e);
			}
		}
		for (int e = 0; e < c->count_encoders && !crtc; e++) {
			drmModeEncoder *enc = drmModeGetEncoder(k->fd, c->encoders[e]);

			if (!enc) {
				continue;
			}
			for (int j = 0; j < res->count_crtcs; j++) {
				if (enc->possible_crtcs & (1u << j)) {
					crtc = res->crtcs[j];
					break;
				}
			}
			drmModeFreeEncoder(enc);
		}
		if (crtc) {
			k->crtc_id = crtc;
			k->connector_id = c->connector_id;
			r = 0;
		}
		drmModeFreeConnector(c);
	}
	drmModeFreeResources(res);
	return r;
}

static int create_buffer(struct display_kms *k, struct kms_buffer *b)
{
	struct drm_mode_create_dumb create = { .width = k->mode.hdisplay,
					       .height = k->mode.vdisplay,
					       .bpp = 32 };
	struct drm_mode_map_dumb map = { 0 };
	struct drm_mode_destroy_dumb destroy = { 0 };
	int r;

	if (drmIoctl(k->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create) < 0) {
		return -errno;
	}
	b->handle = create.handle;
	b->pitch = create.pitch;
	b->size = create.size;
	if (drmModeAddFB(k->fd, create.width, create.height, 24, 32, b->pitch, b->handle,
			 &b->fb_id) < 0) {
		r = -errno;
		goto err_buf;
	}
	map.handle = b->handle;
	if (drmIoctl(k->fd, DRM_IOCTL_MODE_MAP_DUMB, &map) < 0) {
		r = -errno;
		goto err_fb;
	}
	b->map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, k->fd, map.offset);
	if (b->map == MAP_FAILED) {
		r = -errno;
		b->map = NULL;
		goto err_fb;
	}
	memset(b->map, 0, b->size);
	b->all_stale = true;
	return 0;

err_fb:
	drmModeRmFB(k->fd, b->fb_id);
err_buf:
	destroy.handle = b->handle;
	drmIoctl(k->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	memset(b, 0, sizeof(*b));
	return r;
}

static void destroy_buffer(struct display_kms *k, struct kms_buffer *b)
{
	struct drm_mode_destroy_dumb destroy = { .handle = b->handle };

	if (!b->handle) {
		return;
	}
	if (b->map) {
		munmap(b->map, b->size);
	}
	drmModeRmFB(k->fd, b->fb_id);
	drmIoctl(k->fd, DRM_IOCTL_MODE_DESTROY_DUMB, &destroy);
	memset(b, 0, sizeof(*b));
}

static int open_card(const struct shell_display_options *opts, struct display_kms *k)
{
	char path[64];
	int r = -ENODEV;

	for (int i = 0; i < 8; i++) {
		if (opts->device && opts->backend) {
			if (i > 0) {
				break;
			}
			snprintf(path, sizeof(path), "%s", opts->device);
		} else {
			snprintf(path, sizeof(path), "/dev/dri/card%d", i);
		}
		k->fd = open(path, O_RDWR | O_CLOEXEC);
		if (k->fd < 0) {
			r = -errno;
			continue;
		}
		r = pick_output(k);
		if (r == 0) {
			return 0;
		}
		close(k->fd);
		k->fd = -1;
	}
	return r;
}

static int kms_create(const struct shell_display_options *opts, struct shell_display **ret)
{
	struct display_kms *k = calloc(1, sizeof(*k));
	uint64_t dumb = 0;
	int r;

	if (!k) {
		return -ENOMEM;
	}
	k->base.impl = &shell_display_kms_impl;
	k->fd = -1;
	r = open_card(opts, k);
	if (r < 0) {
		goto err_free;
	}
	if (drmGetCap(k->fd, DRM_CAP_DUMB_BUFFER, &dumb) < 0 || !dumb) {
		r = -ENOTSUP;
		goto err_close;
	}
	r = become_master(k->fd, opts->master_timeout_ms > 0 ? opts->master_timeout_ms : 5000);
	if (r < 0) {
		goto err_close;
	}
	k->base.width = k->mode.hdisplay;
	k->base.height = k->mode.vdisplay;
	for (int i = 0; i < 2; i++) {
		r = create_buffer(k, &k->buf[i]);
		if (r < 0) {
			goto err_buffers;
		}
	}
	k->saved_crtc = drmModeGetCrtc(k->fd, k->crtc_id);
	k->front = 1;
	*ret = &k->base;
	return 0;

err_buffers:
	destroy_buffer(k, &k->buf[0]);
	destroy_buffer(k, &k->buf[1]);
	drmDropMaster(k->fd);
err_close:
	close(k->fd);
err_free:
	free(k);
	return r;
}

static void kms_destroy(struct shell_display *d)
{
	struct display_kms *k = kms_from(d);

	if (k->flip_pending) {
		/* Let the last flip land before the buffers go. */
		struct pollfd pfd = { .fd = k->fd, .events = POLLIN };

		if (poll(&pfd, 1, 200) > 0) {
			shell_display_kms_impl.dispatch(d);
		}
	}
	if (k->saved_crtc) {
		drmModeCrtc *c = k->saved_crtc;

		if (c->buffer_id) {
			drmModeSetCrtc(k->fd, c->crtc_id, c->buffer_id, c->x, c->y,
				       &k->connector_id, 1, &c->mode);
		}
		drmModeFreeCrtc(c);
	}
	destroy_buffer(k, &k->buf[0]);
	destroy_buffer(k, &k->buf[1]);
	drmDropMaster(k->fd);
	close(k->fd);
	free(k);
}

static void add_stale(struct kms_buffer *b, const struct shell_rect *rc)
{
	if (b->all_stale) {
		return;
	}
	if (b->n_stale == KMS_STALE_MAX) {
		b->all_stale = true;
		return;
	}
	b->stale[b->n_stale++] = *rc;
}

static void copy_rect(struct display_kms *k, struct kms_buffer *b, const uint8_t *image,
		      size_t stride, const struct shell_rect *rc)
{
	for (int y = rc->y; y < rc->y + rc->h; y++) {
		memcpy(b->map + (size_t)y * b->pitch + (size_t)rc->x * 4,
		       image + (size_t)y * stride + (size_t)rc->x * 4, (size_t)rc->w * 4);
	}
}

static void page_flip_handler(int fd, unsigned int seq, unsigned int tv_sec, unsigned int tv_usec,
			      void *data)
{
	struct display_kms *k = data;

	k->flip_pending = false;
}

static int kms_present(struct shell_display *d, const uint8_t *image, size_t stride,
		       const struct shell_rect *damage, size_t n_damage)
{
	struct display_kms *k = kms_from(d);
	int back = 1 - k->front;
	struct kms_buffer *b = &k->buf[back];
	struct shell_rect full = { 0, 0, d->width, d->height };

	if (k->flip_pending) {
		return -EBUSY;
	}
	/* Bring the back buffer up to date: what changed since it was shown, and this frame. */
	if (b->all_stale) {
		copy_rect(k, b, image, stride, &full);
	} else {
		for (size_t i = 0; i < b->n_stale; i++) {
			copy_rect(k, b, image, stride, &b->stale[i]);
		}
		for (size_t i = 0; i < n_damage; i++) {
			struct shell_rect rc;

			if (shell_display_clip(d, &damage[i], &rc)) {
				copy_rect(k, b, image, stride, &rc);
			}
		}
	}
	b->n_stale = 0;
	b->all_stale = false;
	for (size_t i = 0; i < n_damage; i++) {
		struct shell_rect rc;

		if (shell_display_clip(d, &damage[i], &rc)) {
			add_stale(&k->buf[k->front], &rc);
		}
	}

	if (!k->mode_set) {
		if (drmModeSetCrtc(k->fd, k->crtc_id, b->fb_id, 0, 0, &k->connector_id, 1,
				   &k->mode) < 0) {
			return -errno;
		}
		k->mode_set = true;
	} else if (drmModePageFlip(k->fd, k->crtc_id, b->fb_id, DRM_MODE_PAGE_FLIP_EVENT, k) == 0) {
		k->flip_pending = true;
	} else if (drmModeSetCrtc(k->fd, k->crtc_id, b->fb_id, 0, 0, &k->connector_id, 1,
				  &k->mode) < 0) {
		/* Not master any more (another VT, another KMS program): keep the frame for later.
		 */
		add_stale(b, &full);
		return -errno;
	}
	k->front = back;
	return 0;
}

static int kms_get_fd(const struct shell_display *d)
{
	return kms_from(d)->fd;
}

static int kms_dispatch(struct shell_display *d)
{
	struct display_kms *k = kms_from(d);
	drmEventContext ev = { .version = 2, .page_flip_handler = page_flip_handler };

	return drmHandleEvent(k->fd, &ev) < 0 ? -errno : 0;
}

static bool kms_ready(const struct shell_display *d)
{
	return !kms_from(d)->flip_pending;
}

const struct shell_display_impl shell_display_kms_impl = {
	.name = "kms",
	.create = kms_create,
	.destroy = kms_destroy,
	.present = kms_present,
	.get_fd = kms_get_fd,
	.dispatch = kms_dispatch,
	.ready = kms_ready,
};
