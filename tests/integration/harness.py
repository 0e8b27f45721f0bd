"""Harness for Lifeline's integration tests.

Starts Xvfb, lifeline-server (test capture source, recording injector) and the real xfreerdp 2.11,
talks to the server's control socket, takes window screenshots with xwd and decodes the test
pattern independently of the server (the contract is written down in pattern_planes()).

Python 3 standard library only.  Every wait is bounded; every process the harness starts is
ended by its pid when the test finishes, and every log is printed when a test fails.

A test script does:

    import harness
    def main(h):
        d = h.xvfb()
        srv = h.server(capture='test:size=1024x768,mode=static')
        c = h.client(d, srv, codec='lossless')
        ...
    harness.run(main)
"""

import json
import os
import select
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_SKIP = 77

# evdev codes (linux/input-event-codes.h) used by the tests
KEY = {
    'ESC': 1, '1': 2, '2': 3, 'A': 30, 'C': 46, 'Z': 44, 'ENTER': 28, 'TAB': 15,
    'LEFTCTRL': 29, 'LEFTSHIFT': 42, 'RIGHTSHIFT': 54, 'LEFTALT': 56, 'RIGHTCTRL': 97,
    'RIGHTALT': 100, 'LEFTMETA': 125, 'NUMLOCK': 69, 'KPENTER': 96, 'KPSLASH': 98,
    'HOME': 102, 'UP': 103, 'PAGEUP': 104, 'LEFT': 105, 'RIGHT': 106, 'END': 107,
    'DOWN': 108, 'PAGEDOWN': 109, 'INSERT': 110, 'DELETE': 111, 'PAUSE': 119, 'F1': 59,
    'F12': 88, 'SYSRQ': 99, 'BACKSLASH': 43, '102ND': 86, 'MENU': 127, 'COMPOSE': 127,
}
BTN_LEFT, BTN_RIGHT, BTN_MIDDLE, BTN_SIDE, BTN_EXTRA = 272, 273, 274, 275, 276


class Failure(Exception):
    """A test assertion failed."""


class Skip(Exception):
    """The test cannot run here."""


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def wait_until(pred, timeout, what, interval=0.05):
    """Poll pred() until it returns something truthy; bounded by timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise Failure(f'timed out after {timeout:.1f} s waiting for {what}')
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# The test pattern (contract shared with the server's `test` capture source)
# ---------------------------------------------------------------------------------------------

BAR_COLOURS = [0xFFFFFF, 0xFFFF00, 0x00FFFF, 0x00FF00, 0xFF00FF, 0xFF0000, 0x0000FF, 0x000000]
BACKGROUND = 0x404040
ORANGE = 0xFF8000


def _rgb(c):
    return (c >> 16) & 0xFF, (c >> 8) & 0xFF, c & 0xFF


def pattern_planes(w, h, n=0, s=0):
    """Expected picture as three planes (R, G, B), each bytes of w*h.

    n: counter value (0 in static mode); s: seconds for the moving block (0 in static mode).
    """
    planes = [bytearray(), bytearray(), bytearray()]

    def solid_row(segments):
        # segments: list of (x0, x1, colour) covering [0, w) in order
        row = [bytearray(w), bytearray(w), bytearray(w)]
        for x0, x1, c in segments:
            for i, v in enumerate(_rgb(c)):
                row[i][x0:x1] = bytes([v]) * (x1 - x0)
        return [bytes(r) for r in row]

    bg = solid_row([(0, w, BACKGROUND)])
    bars = solid_row([(i * w // 8, (i + 1) * w // 8, BAR_COLOURS[i]) for i in range(8)])
    segs = [(0, w, BACKGROUND)]
    for k in range(16):
        on = (n >> (15 - k)) & 1
        x0 = 16 + k * 40
        segs.append((x0, min(w, x0 + 32), 0xFFFFFF if on else 0x000000))
    counter = solid_row([sg for sg in segs if sg[0] < w])
    slots = max(1, w // 64)
    bx = 64 * (s % slots)
    block = solid_row([(0, w, BACKGROUND), (bx, min(w, bx + 64), ORANGE)])
    gy0 = 3 * h // 4
    gden = max(1, h - gy0 - 1)
    grad_r = bytes((x * 255) // (w - 1) if w > 1 else 0 for x in range(w))
    grad_b = bytes([0x80]) * w
    for y in range(h):
        if y < h // 4:
            row = bars
        elif h // 4 + 16 <= y < h // 4 + 48:
            row = counter
        elif h // 2 <= y < h // 2 + 64:
            row = block
        elif y >= gy0:
            g = ((y - gy0) * 255) // gden
            row = [grad_r, bytes([g]) * w, grad_b]
        else:
            row = bg
        for i in range(3):
            planes[i] += row[i]
    return [bytes(p) for p in planes]


class Image:
    """An RGB picture stored as three planes (fast to compare row by row)."""

    def __init__(self, w, h, r, g, b):
        self.w, self.h, self.planes = w, h, (r, g, b)

    def pixel(self, x, y):
        i = y * self.w + x
        return tuple(p[i] for p in self.planes)

    def save_ppm(self, path):
        with open(path, 'wb') as f:
            f.write(b'P6\n%d %d\n255\n' % (self.w, self.h))
            out = bytearray(self.w * self.h * 3)
            for i in range(3):
                out[i::3] = self.planes[i]
            f.write(out)


def parse_xwd(data):
    """Parse an xwd dump (ZPixmap, 24/32 bpp TrueColor) into an Image."""
    def card(i):
        return int.from_bytes(data[i * 4:i * 4 + 4], 'big')
    header_size = card(0)
    fmt, depth, w, h = card(2), card(3), card(4), card(5)
    byte_order, bpp, bpl = card(7), card(11), card(12)
    rmask, gmask, bmask = card(14), card(15), card(16)
    ncolors = card(19)
    check(fmt == 2 and bpp == 32 and depth in (24, 32),
          f'unexpected xwd format {fmt}/{depth}/{bpp}')
    check((rmask, gmask, bmask) == (0xFF0000, 0xFF00, 0xFF), 'unexpected xwd colour masks')
    off = header_size + ncolors * 12
    pix = data[off:off + bpl * h]
    check(len(pix) == bpl * h, 'short xwd dump')
    if bpl != w * 4:
        pix = b''.join(pix[y * bpl:y * bpl + w * 4] for y in range(h))
    if byte_order == 0:  # LSBFirst: B G R X
        r, g, b = pix[2::4], pix[1::4], pix[0::4]
    else:  # MSBFirst: X R G B
        r, g, b = pix[1::4], pix[2::4], pix[3::4]
    return Image(w, h, r, g, b)


def compare_exact(img, w, h, n=0, s=0, limit=10):
    """Count pixels that differ from the pattern; returns (count, examples)."""
    if (img.w, img.h) != (w, h):
        return w * h, [f'size {img.w}x{img.h}, expected {w}x{h}']
    exp = pattern_planes(w, h, n, s)
    count, examples = 0, []
    for y in range(h):
        a, b = y * w, (y + 1) * w
        if all(img.planes[i][a:b] == exp[i][a:b] for i in range(3)):
            continue
        for x in range(w):
            got = img.pixel(x, y)
            want = tuple(exp[i][a + x] for i in range(3))
            if got != want:
                count += 1
                if len(examples) < limit:
                    examples.append('(%d,%d) got #%02X%02X%02X want #%02X%02X%02X'
                                    % (x, y, *got, *want))
    return count, examples


def compare_tolerant(img, w, h, n=0, s=0, tol=40):
    """Compare with a lossy codec in mind: returns (mean abs error per channel, fraction of
    pixels with any channel off by more than tol)."""
    if (img.w, img.h) != (w, h):
        return 255.0, 1.0
    exp = pattern_planes(w, h, n, s)
    total, bad = 0, 0
    over = [0] * (w * h)
    for i in range(3):
        got, want = img.planes[i], exp[i]
        diffs = [abs(a - b) for a, b in zip(got, want)]
        total += sum(diffs)
        for j, d in enumerate(diffs):
            if d > tol:
                over[j] = 1
    bad = sum(over)
    return total / (3.0 * w * h), bad / float(w * h)


def read_counter(img, w, h):
    """Decode the 16-bit counter from the squares, or None when a square is not clearly
    black or white (e.g. mid-update or wrong picture)."""
    y = h // 4 + 32
    n = 0
    for k in range(16):
        x = 16 + k * 40 + 16
        if x >= img.w or y >= img.h:
            return None
        r, g, b = img.pixel(x, y)
        if min(r, g, b) > 200:
            bit = 1
        elif max(r, g, b) < 55:
            bit = 0
        else:
            return None
        n = (n << 1) | bit
    return n


def read_block_slot(img, w, h):
    y = h // 2 + 32
    for slot in range(w // 64):
        r, g, b = img.pixel(slot * 64 + 32, y)
        if r > 200 and 90 < g < 170 and b < 70:
            return slot
    return None


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------

class Proc:
    """A child process with its output in a log file."""

    def __init__(self, h, name, argv, env=None, stdin=subprocess.DEVNULL, pass_fds=(),
                 separate_stderr=False):
        self.name = name
        self.argv = argv
        self.log_path = os.path.join(h.tmp, f'{name}.log')
        self.log_file = open(self.log_path, 'wb')
        self.err_path = os.path.join(h.tmp, f'{name}.stderr') if separate_stderr else None
        self.err_file = open(self.err_path, 'wb') if separate_stderr else None
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self.started = time.monotonic()
        self.p = subprocess.Popen(argv, stdin=stdin, stdout=self.log_file,
                                  stderr=self.err_file or subprocess.STDOUT, env=full_env,
                                  pass_fds=pass_fds)
        self.pid = self.p.pid
        h._procs.append(self)
        h.log(f'started {name} pid {self.pid}: {shlex.join(argv)}')

    def alive(self):
        return self.p.poll() is None

    def returncode(self):
        return self.p.poll()

    def wait(self, timeout):
        """Exit code, or raise Failure when the process is still running after timeout."""
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Failure(f'{self.name} (pid {self.pid}) still running after {timeout} s')

    def output(self):
        """stdout (and stderr unless it is kept separately)."""
        return self._read(self.log_file, self.log_path)

    def stderr(self):
        """stderr when it is kept separately (the server's log)."""
        return self._read(self.err_file, self.err_path) if self.err_path else ''

    @staticmethod
    def _read(f, path):
        if not f.closed:
            f.flush()
        with open(path, 'rb') as rf:
            return rf.read().decode('utf-8', 'replace')

    def signal(self, sig):
        if self.alive():
            os.kill(self.pid, sig)

    def stop(self, timeout=3.0):
        if self.p.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait(timeout=5)
            except ProcessLookupError:
                pass
        self.log_file.close()
        if self.err_file:
            self.err_file.close()


class Display:
    def __init__(self, h, width, height):
        self.h = h
        r, w = os.pipe2(os.O_CLOEXEC)
        os.set_inheritable(w, True)
        self.proc = Proc(h, 'xvfb', ['Xvfb', '-displayfd', str(w), '-screen', '0',
                                     f'{width}x{height}x24', '-nolisten', 'tcp', '-noreset'],
                         pass_fds=(w,))
        os.close(w)
        try:
            buf = b''
            deadline = time.monotonic() + 15
            while not buf.endswith(b'\n'):
                left = deadline - time.monotonic()
                check(left > 0 and self.proc.alive(), 'Xvfb did not report its display')
                ready, _, _ = select.select([r], [], [], left)
                if ready:
                    chunk = os.read(r, 64)
                    check(chunk, 'Xvfb closed -displayfd without a display number')
                    buf += chunk
        finally:
            os.close(r)
        self.name = ':' + buf.decode().strip()
        self.env = {'DISPLAY': self.name}
        h.log(f'Xvfb ready on {self.name} ({width}x{height})')

    def run(self, argv, timeout=10, check_rc=True):
        r = subprocess.run(argv, env=dict(os.environ, **self.env), capture_output=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        if check_rc and r.returncode != 0:
            raise Failure(f'{shlex.join(argv)} failed ({r.returncode}): {r.stderr.decode()}')
        return r

    def xdotool(self, *args, timeout=10):
        return self.run(['xdotool', *[str(a) for a in args]], timeout=timeout).stdout.decode()

    def screenshot(self, window):
        r = self.run(['xwd', '-silent', '-id', str(window)], timeout=10)
        return parse_xwd(r.stdout)


class Control:
    """Client for the server's control socket (JSON lines both ways)."""

    def __init__(self, h, path, timeout=5.0):
        self.h = h
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b''
        self.pending = []
        self.seen = []
        self.log = open(os.path.join(h.tmp, f'control-{len(h._controls)}.log'), 'a')
        h._controls.append(self)

    def _read(self, timeout):
        """One message, or None at timeout."""
        deadline = time.monotonic() + timeout
        while b'\n' not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return None
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Failure('control socket closed by the server')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        self.log.write(f'{time.monotonic():.3f} <- {line.decode()}\n')
        self.log.flush()
        try:
            msg = json.loads(line)
        except ValueError:
            raise Failure(f'control socket sent a line that is not JSON: {line!r}')
        check(isinstance(msg, dict), f'control message is not an object: {line!r}')
        self.seen.append(msg)
        return msg

    def send(self, obj):
        line = json.dumps(obj)
        self.log.write(f'{time.monotonic():.3f} -> {line}\n')
        self.log.flush()
        self.sock.sendall(line.encode() + b'\n')

    def command(self, obj, timeout=5.0):
        """Send a command and return its reply (events read meanwhile stay pending)."""
        self.send(obj)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(max(0.0, deadline - time.monotonic()))
            if msg is None:
                raise Failure(f'no reply to {obj} within {timeout} s')
            if 'reply' in msg:
                return msg
            self.pending.append(msg)

    def event(self, name, timeout, pred=None):
        """Wait for (and consume) the first event called name that satisfies pred."""
        def match(m):
            return m.get('event') == name and (pred is None or pred(m))
        for m in self.pending:
            if match(m):
                self.pending.remove(m)
                return m
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(max(0.0, deadline - time.monotonic()))
            if msg is None:
                raise Failure(f'no "{name}" event within {timeout} s '
                              f'(pending: {self.pending})')
            if match(msg):
                return msg
            self.pending.append(msg)

    def drain(self, timeout=0.0):
        """Read whatever is available now; returns every pending event and clears them."""
        while True:
            msg = self._read(timeout)
            if msg is None:
                break
            self.pending.append(msg)
        out, self.pending = self.pending, []
        return out

    def events(self, name):
        """Every message called name seen so far (consumed or not)."""
        return [m for m in self.seen if m.get('event') == name]

    def status(self):
        reply = self.command({'command': 'status'})
        check(reply.get('reply') == 'ok', f'status command failed: {reply}')
        return self.event('state', 5)

    def close(self):
        try:
            self.sock.close()
        finally:
            self.log.close()


class Server:
    """lifeline-server on the test source with the recording injector."""

    def __init__(self, h, capture='test:size=1024x768,mode=static', security=None,
                 bind='127.0.0.1', port=None, extra=(), ready_timeout=20.0, name='server',
                 recording_options=''):
        self.h = h
        self.state_dir = os.path.join(h.tmp, f'{name}-state')
        self.recording = os.path.join(h.tmp, f'{name}-recording.txt')
        self.port = port or free_port()
        self.capture = capture
        size = '1024x768'
        for part in capture.split(':', 1)[-1].split(','):
            if part.startswith('size='):
                size = part[5:]
        self.width, self.height = (int(v) for v in size.split('x'))
        argv = [h.server_bin, f'--state-dir={self.state_dir}', f'--port-range={self.port}',
                f'--capture={capture}',
                f'--injector=recording:path={self.recording}{recording_options}']
        if bind:
            argv.append(f'--bind={bind}')
        if security:
            argv.append(f'--security={security}')
        argv += list(extra)
        self.proc = Proc(h, name, argv, separate_stderr=True)
        self.started = self.proc.started
        self.info = None
        self.control_path = os.path.join(self.state_dir, 'control.sock')
        wait_until(self._ready, ready_timeout, 'the server to write connection.json')
        self.ready_at = time.monotonic()
        self.ctl = Control(h, self.control_path)
        st = self.ctl.event('state', 5)
        check(st.get('state') == 'active', f'fresh server is not active: {st}')
        check(st.get('info', {}).get('ticket') == self.info['ticket'],
              'state event info differs from connection.json')
        h.log(f'{name} ready on port {self.port} after '
              f'{(self.ready_at - self.started) * 1000:.0f} ms')

    def _ready(self):
        if not self.proc.alive():
            raise Failure(f'server exited with {self.proc.returncode()} before it was ready')
        path = os.path.join(self.state_dir, 'connection.json')
        try:
            with open(path) as f:
                info = json.load(f)
        except (OSError, ValueError):
            return False
        if not os.path.exists(self.control_path):
            return False
        self.info = info
        return True

    @property
    def ticket(self):
        return self.info['ticket']

    @property
    def fingerprint(self):
        return self.info['sha256_fingerprint']

    def recorded(self):
        """Lines of the recording file so far."""
        try:
            with open(self.recording) as f:
                data = f.read()
        except FileNotFoundError:
            return []
        # only complete lines: the injector writes whole lines, but be safe
        return data.split('\n')[:-1]

    def wait_recorded(self, expected, start, timeout=10.0, what=None):
        """Wait until the lines in expected appear, in order (other lines may be in
        between), in the recording after line index start.  Returns the index after the
        last matched line."""
        def found():
            lines = self.recorded()[start:]
            i = 0
            for j, line in enumerate(lines):
                if line == expected[i]:
                    i += 1
                    if i == len(expected):
                        return start + j + 1
            return None
        try:
            return wait_until(found, timeout, what or f'recording {expected}')
        except Failure:
            raise Failure(f'recording lacks {expected} in order after line {start}; '
                          f'got: {self.recorded()[start:]}')

    def pid_cpu_ticks(self):
        with open(f'/proc/{self.proc.pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def stop(self, timeout=3.0):
        self.proc.stop(timeout)


class Client:
    """xfreerdp 2.11 on a display."""

    CODECS = {
        'lossless': ['-gfx', '/bpp:32'],  # planar bitmaps: exact pixels
        'default': [],                     # GFX with H.264 (AVC444): lossy
        'rfx': ['-gfx', '/rfx'],
    }

    def __init__(self, h, display, server=None, user='helpdesk', password=None, codec='lossless',
                 extra=(), argv=None, name=None, pin=None, security=None):
        self.h = h
        self.display = display
        self.server = server
        h._nclients += 1
        self.name = name or f'xfreerdp-{h._nclients}'
        if argv is None:
            pw = server.ticket if password is None else password
            fp = server.fingerprint if pin is None else pin
            sec = security or server.info.get('security', 'nla')
            argv = ['xfreerdp', f'/v:127.0.0.1:{server.port}', f'/u:{user}', f'/p:{pw}',
                    f'/cert:deny,fingerprint:sha256:{fp}', f'/sec:{sec}',
                    *self.CODECS[codec], *extra]
        cfg = os.path.join(h.tmp, 'xdg-client')
        os.makedirs(cfg, exist_ok=True)
        self.proc = Proc(h, self.name, argv,
                         env=dict(display.env, XDG_CONFIG_HOME=cfg, HOME=h.tmp))
        self.window = None

    def alive(self):
        return self.proc.alive()

    def wait_window(self, timeout=20.0):
        def find():
            if not self.proc.alive():
                raise Failure(f'{self.name} exited with {self.proc.returncode()} '
                              'before its window appeared')
            r = self.display.run(['xdotool', 'search', '--onlyvisible', '--pid',
                                  str(self.proc.pid)], check_rc=False)
            ids = r.stdout.split()
            return int(ids[0]) if ids else None
        self.window = wait_until(find, timeout, f'the {self.name} window', interval=0.1)
        return self.window

    def screenshot(self):
        if self.window is None:
            self.wait_window()
        return self.display.screenshot(self.window)

    def wait_picture(self, pred, timeout, what):
        """Poll screenshots until pred(image) is truthy; returns (image, value)."""
        last = [None]

        def probe():
            if not self.proc.alive():
                raise Failure(f'{self.name} exited with {self.proc.returncode()} '
                              f'while waiting for {what}')
            try:
                img = self.screenshot()
            except (Failure, subprocess.TimeoutExpired):
                return None  # window not ready or being reconfigured
            last[0] = img
            v = pred(img)
            return (img, v) if v else None
        try:
            return wait_until(probe, timeout, what, interval=0.05)
        except Failure:
            if last[0] is not None:
                path = os.path.join(self.h.tmp, f'{self.name}-last.ppm')
                last[0].save_ppm(path)
                self.h.log(f'last screenshot of {self.name} saved as {path}')
            raise

    def wait_pattern_exact(self, n=0, s=0, timeout=20.0):
        """Wait until the window shows exactly the static pattern; returns the image."""
        w, hh = self.server.width, self.server.height
        result = {}

        def ok(img):
            cnt, ex = compare_exact(img, w, hh, n, s)
            result['cnt'], result['ex'] = cnt, ex
            return cnt == 0
        try:
            img, _ = self.wait_picture(ok, timeout, 'the exact test pattern')
        except Failure as e:
            raise Failure(f'{e}; last mismatch: {result.get("cnt")} pixels, '
                          f'e.g. {result.get("ex")}')
        return img

    def focus(self):
        self.display.xdotool('windowfocus', '--sync', self.window)

    def wait_exit(self, timeout):
        return self.proc.wait(timeout)

    def output(self):
        return self.proc.output()

    def stop(self):
        self.proc.stop()


class StallClient:
    """A raw client that stops in the middle of the RDP handshake.

    mode 'cr': sends an X.224 Connection Request, reads the Confirm, then says nothing (the
    server waits for the TLS ClientHello).  mode 'tls': also completes the TLS handshake, then
    says nothing (the server waits for the first CredSSP message).  mode 'tcp': connects only.
    """

    def __init__(self, h, port, mode, protocols=0x3):
        self.h = h
        self.mode = mode
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=10)
        self.conn = self.sock
        self.started = self.stalled_at = time.monotonic()
        self.closed_at = None
        self.refused_early = False  # the server closed it before the stall point
        h._stalls.append(self)
        if mode == 'tcp':
            h.log('stall client (tcp) connected')
            return
        try:
            # RDP_NEG_REQ: type 1, flags 0, length 8, requestedProtocols (1 TLS, 2 CredSSP)
            neg = bytes([1, 0]) + (8).to_bytes(2, 'little') + protocols.to_bytes(4, 'little')
            # X.224 Connection Request TPDU: length indicator, CR code, dst-ref, src-ref,
            # class
            x224 = bytes([6 + len(neg), 0xE0, 0, 0, 0, 0, 0]) + neg
            tpkt = bytes([3, 0]) + (4 + len(x224)).to_bytes(2, 'big')
            self.sock.sendall(tpkt + x224)
            cc = self._recv_tpdu()
            check(len(cc) >= 11 and cc[5] == 0xD0, f'no X.224 Connection Confirm: {cc.hex()}')
            if mode == 'tls':
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                self.conn = ctx.wrap_socket(self.sock)
        except (EOFError, OSError) as e:  # ssl.SSLError is an OSError
            self.closed_at = time.monotonic()
            self.refused_early = True
            h.log(f'stall client ({mode}): the server closed the connection before the stall '
                  f'point after {self.closed_at - self.started:.3f} s ({e!r})')
            return
        self.stalled_at = time.monotonic()
        h.log(f'stall client ({mode}) stalled')

    def _recv_tpdu(self):
        hdr = self._recv_exact(4)
        return hdr + self._recv_exact(int.from_bytes(hdr[2:4], 'big') - 4)

    def _recv_exact(self, n):
        out = b''
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise EOFError('server closed the connection during X.224')
            out += chunk
        return out

    def wait_closed(self, timeout):
        """Seconds from the stall to the server closing the connection, or None."""
        deadline = time.monotonic() + timeout
        while self.closed_at is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.conn], [], [], left)
            if not ready:
                continue
            try:
                data = self.conn.recv(4096)
            except (ssl.SSLError, OSError):
                data = b''
            if not data:
                self.closed_at = time.monotonic()
        return self.closed_at - self.stalled_at

    def close(self):
        try:
            self.conn.close()
        except OSError:
            pass


def free_port():
    """A TCP port that is free on 127.0.0.1 and ::1 right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(('127.0.0.1', 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                s6.bind(('::1', port))
        except OSError:
            continue
        return port
    raise Failure('no free port')


# ---------------------------------------------------------------------------------------------
# The test runner
# ---------------------------------------------------------------------------------------------

class Harness:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix='lifeline-integ-')
        self._procs = []
        self._controls = []
        self._stalls = []
        self._nclients = 0
        self._log = []
        self.t0 = time.monotonic()
        self.server_bin = os.environ.get('LIFELINE_SERVER', '')

    def log(self, msg):
        line = f'[{time.monotonic() - self.t0:7.3f}] {msg}'
        self._log.append(line)
        print(line, flush=True)

    def require_tools(self, *tools):
        missing = [t for t in tools if shutil.which(t) is None]
        if missing:
            msg = 'missing tools: ' + ', '.join(missing)
            if os.environ.get('CI'):
                raise Failure(msg + ' (CI is set, so this is a failure; '
                              'run tools/install-deps test)')
            raise Skip(msg)

    def require_server(self):
        if not self.server_bin or not os.access(self.server_bin, os.X_OK):
            raise Failure(f'LIFELINE_SERVER={self.server_bin!r} is not an executable')

    def xvfb(self, width=1280, height=1024):
        return Display(self, width, height)

    def server(self, **kw):
        return Server(self, **kw)

    def client(self, display, server=None, **kw):
        return Client(self, display, server, **kw)

    def stall(self, port, mode, **kw):
        return StallClient(self, port, mode, **kw)

    def spawn(self, name, argv, **kw):
        return Proc(self, name, argv, **kw)

    def run_server_once(self, args, timeout=10):
        """Run lifeline-server to completion (bad options); returns CompletedProcess."""
        return subprocess.run([self.server_bin, *args], capture_output=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def cleanup(self):
        for s in self._stalls:
            s.close()
        for c in self._controls:
            c.close()
        # clients first, then servers, Xvfb last (reverse start order)
        for p in reversed(self._procs):
            try:
                p.stop()
            except Exception as e:  # keep going: every process must be ended
                print(f'cleanup of {p.name} (pid {p.pid}): {e}', file=sys.stderr)

    def dump_logs(self):
        print('=' * 30 + ' logs ' + '=' * 30, file=sys.stderr)
        for p in self._procs:
            print(f'----- {p.name} (pid {p.pid}, exit {p.p.poll()}): {shlex.join(p.argv)}',
                  file=sys.stderr)
            try:
                sys.stderr.write(p.output())
                if p.err_path:
                    print(f'----- {p.name} stderr', file=sys.stderr)
                    sys.stderr.write(p.stderr())
            except Exception as e:
                print(f'(cannot read the log: {e})', file=sys.stderr)
        for name in sorted(os.listdir(self.tmp)):
            if name.startswith('control-') or name.endswith('recording.txt'):
                print(f'----- {name}', file=sys.stderr)
                with open(os.path.join(self.tmp, name), errors='replace') as f:
                    sys.stderr.write(f.read())
        sys.stderr.flush()


def run(main, needs_display=True):
    """Run one test: exit 0 pass, 1 fail, 77 skip."""
    h = Harness()
    rc = EXIT_FAIL
    try:
        if needs_display:
            h.require_tools('Xvfb', 'xfreerdp', 'xdotool', 'xwd')
        h.require_server()
        main(h)
        rc = EXIT_PASS
        h.log('PASS')
    except Skip as e:
        h.log(f'SKIP: {e}')
        rc = EXIT_SKIP
    except Failure as e:
        h.log(f'FAIL: {e}')
    except Exception:
        h.log('ERROR: ' + traceback.format_exc())
    finally:
        h.cleanup()
        if rc == EXIT_FAIL:
            h.dump_logs()
        if rc == EXIT_FAIL and os.environ.get('LIFELINE_KEEP_TMP'):
            print(f'kept {h.tmp}', file=sys.stderr)
        else:
            shutil.rmtree(h.tmp, ignore_errors=True)
    sys.exit(rc)


def main(scenarios, without_display=()):
    """Dispatch to the scenario named by argv[1] (the meson test passes it)."""
    name = sys.argv[1] if len(sys.argv) > 1 else ''
    if name not in scenarios:
        print(f'usage: {sys.argv[0]} {"|".join(scenarios)}', file=sys.stderr)
        sys.exit(EXIT_FAIL)
    run(scenarios[name], needs_display=name not in without_display)
