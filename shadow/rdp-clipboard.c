/*
 * The only file that sees FreeRDP's cliprdr server API. It turns the channel's callbacks,
 * UINT error codes and UTF-16 into the plain-C hooks of rdp-clipboard.h, text only.
 */
#include "rdp-clipboard.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <freerdp/server/cliprdr.h>
#include <winpr/user.h>

#include "clip-text.h"

struct rdp_clipboard {
	CliprdrServerContext *ctx;
	struct rdp_clipboard_hooks hooks;
	size_t max_bytes;
	pthread_mutex_t lock; /* guards everything below */
	bool client_listed;   /* a format list from the client is the current one */
	bool client_has_text; /* it lists CF_UNICODETEXT */
	bool ours;            /* the client's clipboard holds what we offered */
	bool pending;         /* a data request is out */
	char *text;           /* what we offered, UTF-8 ... */
	size_t text_len;
	uint8_t *wire; /* ... and as CF_UNICODETEXT */
	size_t wire_len;
};

static struct rdp_clipboard *to_clip(CliprdrServerContext *ctx)
{
	return ctx->custom;
}

static UINT on_client_capabilities(CliprdrServerContext *ctx, const CLIPRDR_CAPABILITIES *caps)
{
	return CHANNEL_RC_OK;
}

static UINT on_client_format_list(CliprdrServerContext *ctx, const CLIPRDR_FORMAT_LIST *list)
{
	struct rdp_clipboard *clip = to_clip(ctx);
	CLIPRDR_FORMAT_LIST_RESPONSE resp = { .msgType = CB_FORMAT_LIST_RESPONSE,
					      .msgFlags = CB_RESPONSE_OK };
	bool has_text = false;

	for (UINT32 i = 0; i < list->numFormats; i++) {
		has_text |= list->formats[i].formatId == CF_UNICODETEXT;
	}
	pthread_mutex_lock(&clip->lock);
	clip->client_listed = true;
	clip->client_has_text = has_text;
	clip->ours = false;
	pthread_mutex_unlock(&clip->lock);
	/* The channel does not answer for us, and the client waits for it. */
	return ctx->ServerFormatListResponse(ctx, &resp);
}

static UINT on_client_format_list_response(CliprdrServerContext *ctx,
					   const CLIPRDR_FORMAT_LIST_RESPONSE *resp)
{
	return CHANNEL_RC_OK;
}

static UINT on_client_format_data_request(CliprdrServerContext *ctx,
					  const CLIPRDR_FORMAT_DATA_REQUEST *req)
{
	struct rdp_clipboard *clip = to_clip(ctx);
	CLIPRDR_FORMAT_DATA_RESPONSE resp = { .msgType = CB_FORMAT_DATA_RESPONSE,
					      .msgFlags = CB_RESPONSE_FAIL };
	UINT r;

	pthread_mutex_lock(&clip->lock);
	if (req->requestedFormatId == CF_UNICODETEXT && clip->wire) {
		resp.msgFlags = CB_RESPONSE_OK;
		resp.dataLen = (UINT32)clip->wire_len;
		resp.requestedFormatData = clip->wire;
	}
	/* Sending only queues the PDU for the client's thread; the lock keeps wire alive. */
	r = ctx->ServerFormatDataResponse(ctx, &resp);
	pthread_mutex_unlock(&clip->lock);
	return r;
}

static UINT on_client_format_data_response(CliprdrServerContext *ctx,
					   const CLIPRDR_FORMAT_DATA_RESPONSE *resp)
{
	struct rdp_clipboard *clip = to_clip(ctx);
	char *text = NULL;
	size_t len = 0;
	bool pending;
	int r;

	pthread_mutex_lock(&clip->lock);
	pending = clip->pending;
	clip->pending = false;
	pthread_mutex_unlock(&clip->lock);
	if (!pending) {
		return CHANNEL_RC_OK; /* not asked for, or asked by someone else */
	}
	if (resp->msgFlags & CB_RESPONSE_FAIL) {
		r = -EIO;
	} else {
		r = clip_text_from_utf16le(resp->requestedFormatData, resp->dataLen,
					   clip->max_bytes, &text, &len);
		if (r == 0 && len == 0) {
			r = -ENODATA;
		}
	}
	if (clip->hooks.text) {
		clip->hooks.text(clip->hooks.userdata, r, r == 0 ? text : NULL, r == 0 ? len : 0);
	}
	free(text);
	return CHANNEL_RC_OK;
}

static UINT on_ignored_lock(CliprdrServerContext *ctx, const CLIPRDR_LOCK_CLIPBOARD_DATA *lock)
{
	return CHANNEL_RC_OK;
}

static UINT on_ignored_unlock(CliprdrServerContext *ctx,
			      const CLIPRDR_UNLOCK_CLIPBOARD_DATA *unlock)
{
	return CHANNEL_RC_OK;
}

int rdp_clipboard_start(void *vcm, void *rdp_context, size_t max_bytes,
			const struct rdp_clipboard_hooks *hooks, struct rdp_clipboard **ret)
{
	struct rdp_clipboard *clip = calloc(1, sizeof(*clip));

	if (!clip) {
		return -ENOMEM;
	}
	clip->ctx = cliprdr_server_context_new(vcm);
	if (!clip->ctx) {
		free(clip);
		return -ENOMEM;
	}
	pthread_mutex_init(&clip->lock, NULL);
	clip->hooks = *hooks;
	clip->max_bytes = max_bytes;
	clip->ctx->custom = clip;
	clip->ctx->rdpcontext = rdp_context;
	clip->ctx->useLongFormatNames = TRUE;
	clip->ctx->streamFileClipEnabled = FALSE;
	clip->ctx->fileClipNoFilePaths = TRUE;
	clip->ctx->canLockClipData = FALSE;
	clip->ctx->autoInitializationSequence = TRUE; /* capabilities and Monitor Ready */
	clip->ctx->ClientCapabilities = on_client_capabilities;
	clip->ctx->ClientFormatList = on_client_format_list;
	clip->ctx->ClientFormatListResponse = on_client_format_list_response;
	clip->ctx->ClientFormatDataRequest = on_client_format_data_request;
	clip->ctx->ClientFormatDataResponse = on_client_format_data_response;
	clip->ctx->ClientLockClipboardData = on_ignored_lock;
	clip->ctx->ClientUnlockClipboardData = on_ignored_unlock;
	if (clip->ctx->Start(clip->ctx) != CHANNEL_RC_OK) {
		cliprdr_server_context_free(clip->ctx);
		pthread_mutex_destroy(&clip->lock);
		free(clip);
		return -EIO;
	}
	*ret = clip;
	return 0;
}

void rdp_clipboard_stop(struct rdp_clipboard *clip)
{
	if (!clip) {
		return;
	}
	clip->ctx->Stop(clip->ctx);
	cliprdr_server_context_free(clip->ctx);
	pthread_mutex_destroy(&clip->lock);
	free(clip->text);
	free(clip->wire);
	free(clip);
}

int rdp_clipboard_request_text(struct rdp_clipboard *clip)
{
	CLIPRDR_FORMAT_DATA_REQUEST req = { .msgType = CB_FORMAT_DATA_REQUEST,
					    .dataLen = 4,
					    .requestedFormatId = CF_UNICODETEXT };
	char *copy = NULL;
	size_t len = 0;
	int r = 0;

	pthread_mutex_lock(&clip->lock);
	if (clip->ours) {
		/* The client shows what we offered: the same text, without a round trip. */
		len = clip->text_len;
		copy = len ? strndup(clip->text, len) : NULL;
		r = !len ? -ENODATA : copy ? 0 : -ENOMEM;
		pthread_mutex_unlock(&clip->lock);
		if (clip->hooks.text) {
			clip->hooks.text(clip->hooks.userdata, r, copy, r == 0 ? len : 0);
		}
		free(copy);
		return 0;
	}
	if (!clip->client_listed) {
		r = -ENODATA;
	} else if (!clip->client_has_text) {
		r = -ENOMSG;
	} else {
		clip->pending = true;
	}
	pthread_mutex_unlock(&clip->lock);
	if (r < 0) {
		return r;
	}
	if (clip->ctx->ServerFormatDataRequest(clip->ctx, &req) != CHANNEL_RC_OK) {
		pthread_mutex_lock(&clip->lock);
		clip->pending = false;
		pthread_mutex_unlock(&clip->lock);
		return -EIO;
	}
	return 0;
}

int rdp_clipboard_offer_text(struct rdp_clipboard *clip, const char *text, size_t len)
{
	CLIPRDR_FORMAT format = { .formatId = CF_UNICODETEXT };
	CLIPRDR_FORMAT_LIST list = { .msgType = CB_FORMAT_LIST,
				     .numFormats = 1,
				     .formats = &format };
	uint8_t *wire;
	size_t wire_len;
	char *copy;
	int r;

	r = clip_text_to_utf16le(text, len, clip->max_bytes, &wire, &wire_len);
	if (r < 0) {
		return r;
	}
	copy = strndup(text, len);
	if (!copy) {
		free(wire);
		return -ENOMEM;
	}
	pthread_mutex_lock(&clip->lock);
	free(clip->text);
	free(clip->wire);
	clip->text = copy;
	clip->text_len = strlen(copy);
	clip->wire = wire;
	clip->wire_len = wire_len;
	clip->ours = true;
	clip->client_listed = false;
	pthread_mutex_unlock(&clip->lock);
	return clip->ctx->ServerFormatList(clip->ctx, &list) == CHANNEL_RC_OK ? 0 : -EIO;
}
