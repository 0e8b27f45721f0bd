#pragma once

/*
 * One RDP client's clipboard channel (cliprdr), text only: the client's clipboard text on
 * request, and text offered to the client. FreeRDP-free; the only file that includes
 * FreeRDP's cliprdr server API is rdp-clipboard.c.
 */

#include <stdbool.h>
#include <stddef.h>

struct rdp_clipboard;

struct rdp_clipboard_hooks {
	void *userdata;
	/* The client's channel opened (clip), or is about to close (closing = true; no call on
	 * clip may start after this returns). From a client thread. */
	void (*attached)(void *userdata, struct rdp_clipboard *clip, bool closing);
	/*
	 * The answer to rdp_clipboard_request_text: 0 with the client's text (UTF-8, LF line
	 * ends, no NUL, at most max_bytes), or -ENODATA (the clipboard is empty), -ENOMSG (it
	 * holds no text), -EFBIG (longer than max_bytes), -EIO (the client failed the request).
	 * From the channel's thread, or from within rdp_clipboard_request_text.
	 */
	void (*text)(void *userdata, int err, const char *text, size_t len);
};

/*
 * Opens the "cliprdr" channel of a client that joined it: vcm is the client's FreeRDP virtual
 * channel manager (HANDLE), rdp_context its rdpContext. max_bytes bounds the UTF-8 text both
 * ways. 0, -ENOMEM, or -EIO when the channel does not open.
 */
int rdp_clipboard_start(void *vcm, void *rdp_context, size_t max_bytes,
			const struct rdp_clipboard_hooks *hooks, struct rdp_clipboard **ret);
/* Closes the channel and frees; the text hook is not called after this returns. NULL-safe. */
void rdp_clipboard_stop(struct rdp_clipboard *clip);

/*
 * Asks the client for its clipboard text: 0 when the text hook will answer; -ENODATA when the
 * client has not listed any clipboard formats yet; -ENOMSG when what it lists holds no text;
 * -EIO when the request cannot be sent. Text the client holds because we offered it is
 * answered at once (the hook is called before this returns).
 */
int rdp_clipboard_request_text(struct rdp_clipboard *clip);

/* Offers UTF-8 text (len bytes) on the client's clipboard. 0, -EFBIG (> max_bytes), -ENOMEM,
 * -EIO. */
int rdp_clipboard_offer_text(struct rdp_clipboard *clip, const char *text, size_t len);
