"""A very small X11 protocol client (stdlib only) for the integration tests and benchmarks.

It paints on an Xvfb root window (PutImage) to give FreeRDP's own shadow server the same
content as lifeline-server's test source, reads small strips of a window (GetImage) so the
client's frame rate can be counted without full screenshots, types keys through XTEST with
nothing between the caller's clock and the request, and reports key events with the time they
reached it.  Local unix socket, no auth (Xvfb started without -auth accepts local clients).
"""

import socket
import struct
import time

KEY_PRESS, KEY_RELEASE = 2, 3
KEY_PRESS_MASK, KEY_RELEASE_MASK = 1 << 0, 1 << 1


class XError(Exception):
    pass


class Connection:
    def __init__(self, display):
        num = int(display.lstrip(':').split('.')[0])
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        self.sock.connect(f'/tmp/.X11-unix/X{num}')
        # byte order 'l', protocol 11.0, no authorisation
        self.sock.sendall(struct.pack('<BxHHHHxx', 0x6C, 11, 0, 0, 0))
        head = self._recv(8)
        if head[0] != 1:
            reason = self._recv(struct.unpack('<H', head[6:8])[0] * 4)
            raise XError(f'X connection refused: {reason!r}')
        body = self._recv(struct.unpack('<H', head[6:8])[0] * 4)
        self.rid_base, self.rid_mask = struct.unpack('<II', body[4:12])
        vendor_len, self.max_request = struct.unpack('<HH', body[16:20])
        self._keycodes = (body[26], body[27])
        self.events = []
        nformats = body[21]
        off = 32 + ((vendor_len + 3) & ~3) + 8 * nformats
        self.root = struct.unpack('<I', body[off:off + 4])[0]
        self.width, self.height = struct.unpack('<HH', body[off + 20:off + 24])
        self.root_depth = body[off + 38]
        self.next_id = 0
        self.seq = 0

    def _recv(self, n):
        out = b''
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise XError('X server closed the connection')
            out += chunk
        return out

    def _send(self, data):
        self.sock.sendall(data)
        self.seq = (self.seq + 1) & 0xFFFF

    def new_id(self):
        self.next_id += 1
        return self.rid_base | (self.next_id & self.rid_mask)

    def create_gc(self, drawable):
        gc = self.new_id()
        self._send(struct.pack('<BxHIII', 55, 4, gc, drawable, 0))
        return gc

    def put_image(self, drawable, gc, x, y, w, h, data):
        """data: w*h 32-bit pixels 0x00RRGGBB, little-endian (BGRX bytes)."""
        stride = w * 4
        rows = max(1, (self.max_request * 4 - 24) // stride)
        for y0 in range(0, h, rows):
            n = min(rows, h - y0)
            chunk = data[y0 * stride:(y0 + n) * stride]
            self._send(struct.pack('<BBHIIHHhhBBxx', 72, 2, 6 + len(chunk) // 4, drawable, gc,
                                   w, n, x, y + y0, 0, 24) + chunk)

    def sync(self):
        """Round trip (GetInputFocus); raises on any X error queued before it."""
        self._send(struct.pack('<BxH', 43, 1))
        self._reply('a request before sync')

    def get_image(self, drawable, x, y, w, h):
        """Raw ZPixmap bytes (BGRX) of a rectangle."""
        self._send(struct.pack('<BBHIhhHHI', 73, 2, 5, drawable, x, y, w, h, 0xFFFFFFFF))
        return self._reply('GetImage')[32:]

    def _reply(self, what):
        """The next reply; events that come first are kept for next_event()."""
        while True:
            pkt = self._recv(32)
            if pkt[0] == 0:
                raise XError(f'{what} failed: X error code {pkt[1]} '
                             f'for request opcode {pkt[10]}')
            if pkt[0] == 1:
                extra = struct.unpack('<I', pkt[4:8])[0]
                return pkt + self._recv(extra * 4)
            self.events.append((time.monotonic(), pkt))

    def query_extension(self, name):
        """Major opcode of an extension, or None when the server lacks it."""
        n = name.encode()
        pad = b'\0' * (-len(n) % 4)
        self._send(struct.pack('<BxHHxx', 98, 2 + (len(n) + len(pad)) // 4, len(n)) + n + pad)
        rep = self._reply(f'QueryExtension {name}')
        return rep[9] if rep[8] else None

    def keyboard_mapping(self):
        """{keycode: [keysym per column]} for every keycode of the server."""
        first, last = self._keycodes
        self._send(struct.pack('<BxHBBxx', 101, 2, first, last - first + 1))
        rep = self._reply('GetKeyboardMapping')
        per = rep[1]
        syms = struct.unpack(f'<{(len(rep) - 32) // 4}I', rep[32:])
        return {first + i: list(syms[i * per:(i + 1) * per]) for i in range(last - first + 1)}

    def fake_key(self, xtest, keycode, press):
        """XTestFakeInput of one core key event, processed at once (time 0); returns the
        CLOCK_MONOTONIC time taken right before the request went to the socket."""
        req = struct.pack('<BBHBBxxIIxxxxxxxxhhxxxxxxxB', xtest, 2, 9,
                          KEY_PRESS if press else KEY_RELEASE, keycode, 0, self.root, 0, 0, 0)
        t = time.monotonic()
        self._send(req)
        return t

    def select_input(self, window, mask):
        """ChangeWindowAttributes: the event mask of this client on window."""
        self._send(struct.pack('<BxHIII', 2, 4, window, 0x800, mask))

    def set_input_focus(self, window):
        self._send(struct.pack('<BBHII', 42, 1, 3, window, 0))  # revert to PointerRoot

    def next_event(self):
        """(CLOCK_MONOTONIC at arrival, 32-byte event) of the next event; blocks."""
        if self.events:
            return self.events.pop(0)
        while True:
            pkt = self._recv(32)
            t = time.monotonic()
            if pkt[0] == 0:
                raise XError(f'X error code {pkt[1]} for request opcode {pkt[10]}')
            if pkt[0] != 1:
                return t, pkt

    def close(self):
        self.sock.close()
