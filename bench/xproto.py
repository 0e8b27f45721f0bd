"""A very small X11 protocol client (stdlib only) for the benchmarks.

It paints on an Xvfb root window (PutImage) to give FreeRDP's own shadow server the same
content as lifeline-server's test source, and reads small strips of a window (GetImage) so the
client's frame rate can be counted without full screenshots.  Local unix socket, no auth
(Xvfb started without -auth accepts local clients).
"""

import socket
import struct


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
        while True:
            pkt = self._recv(32)
            if pkt[0] == 0:
                raise XError(f'X error code {pkt[1]} for request opcode {pkt[10]}')
            if pkt[0] == 1:
                extra = struct.unpack('<I', pkt[4:8])[0]
                if extra:
                    self._recv(extra * 4)
                return

    def get_image(self, drawable, x, y, w, h):
        """Raw ZPixmap bytes (BGRX) of a rectangle."""
        self._send(struct.pack('<BBHIhhHHI', 73, 2, 5, drawable, x, y, w, h, 0xFFFFFFFF))
        while True:
            pkt = self._recv(32)
            if pkt[0] == 0:
                raise XError(f'GetImage failed: X error code {pkt[1]}')
            if pkt[0] == 1:
                extra = struct.unpack('<I', pkt[4:8])[0]
                return self._recv(extra * 4)

    def close(self):
        self.sock.close()
