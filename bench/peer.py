"""FreeRDP's own shadow server, freerdp-shadow-cli (X11 subsystem on an Xvfb), as the peer the
benchmarks compare lifeline-server with, and the painter that gives its display the same
content as lifeline-server's test source.

Run as a program it does one of these until SIGTERM, in a Python interpreter of its own so
that a benchmark's clock readings never wait for it:
  peer.py paint DISPLAY W H MODE CHANGE FPS   paint like the Painter thread
  peer.py listen DISPLAY                      print "<CLOCK_MONOTONIC> <2|3> <keycode>" for
                                              each KeyPress (2) / KeyRelease (3) that reaches
                                              the root window, which gets the keyboard focus
"""

import array
import os
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'integration'))

import harness  # noqa: E402
import xproto  # noqa: E402

K = 2654435761


# ---------------------------------------------------------------------------------------------
# content for the shadow server: the same pattern painted on its Xvfb
# ---------------------------------------------------------------------------------------------

def bgrx(planes):
    r, g, b = planes
    out = bytearray(len(r) * 4)
    out[0::4], out[1::4], out[2::4] = b, g, r
    return bytes(out)


class Painter(threading.Thread):
    """Paints the test pattern on a display's root window, and in bench mode redraws the
    counter, the block and the bench rows like the test source does (frame = t*fps)."""

    def __init__(self, display, w, h, mode='static', change=10, fps=30):
        super().__init__(daemon=True)
        self.x = xproto.Connection(display)
        self.gc = self.x.create_gc(self.x.root)
        self.w, self.h, self.mode, self.fps = w, h, mode, fps
        self.y0 = h // 4 + 64
        self.y1 = min(3 * h // 4, self.y0 + h * change // 100)
        self.halt = threading.Event()
        self.frames = 0
        base = bgrx(harness.pattern_planes(w, h))
        self.x.put_image(self.x.root, self.gc, 0, 0, w, h, base)
        self.x.sync()
        # pixel x of bench row y at frame f depends on i = y + f + x only
        n = self.y1 + w + fps * 600
        self.seq = array.array('I', [((i * K) & 0xFFFFFFFF) & 0xFFFFFF for i in range(n)]
                               ).tobytes() if mode == 'bench' else b''

    def run(self):
        if self.mode != 'bench':
            return
        t0 = time.monotonic()
        last_frame = last_n = last_s = None
        while not self.halt.is_set():
            t_ms = int((time.monotonic() - t0) * 1000)
            frame = t_ms * self.fps // 1000
            if frame != last_frame:
                rows = b''.join(self.seq[4 * (y + frame):4 * (y + frame + self.w)]
                                for y in range(self.y0, self.y1))
                self.x.put_image(self.x.root, self.gc, 0, self.y0, self.w, self.y1 - self.y0,
                                 rows)
                n, s = (t_ms // 100) & 0xFFFF, t_ms // 1000
                if (n, s) != (last_n, last_s):
                    self._counter_block(n, s)
                    last_n, last_s = n, s
                self.x.sync()
                self.frames += 1
                last_frame = frame
            next_t = t0 + (frame + 1) / self.fps
            self.halt.wait(max(0.0, next_t - time.monotonic()))

    def _counter_block(self, n, s):
        w, h = self.w, self.h
        planes = harness.pattern_planes(w, h, n, s)
        for y0, y1 in ((h // 4 + 16, h // 4 + 48), (h // 2, h // 2 + 64)):
            part = [p[y0 * w:y1 * w] for p in planes]
            self.x.put_image(self.x.root, self.gc, 0, y0, w, y1 - y0, bgrx(part))

    def stop(self):
        self.halt.set()
        self.join(5)
        self.x.close()


def listening(port):
    want = f':{port:04X}'
    for path in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[1].endswith(want) and parts[3] == '0A':
                        return True
        except OSError:
            pass
    return False


def wait_listening(proc, port, timeout=20):
    t0 = proc.started
    while not listening(port):
        if not proc.alive():
            raise harness.Failure(f'{proc.name} exited {proc.returncode()}')
        if time.monotonic() - t0 > timeout:
            raise harness.Failure(f'{proc.name} not listening after {timeout} s')
        time.sleep(0.001)
    return time.monotonic() - t0


class Peer:
    name = 'freerdp-shadow-cli'
    password = '482915307'

    def __init__(self, h, size, mode, extra_painter=None, cfg=None, paint_in_child=False):
        """paint_in_child: paint from a process of its own (no painter.frames then), so the
        caller's threads never wait for the painter's hold on the interpreter."""
        self.h = h
        self.w, self.h_ = size
        self.display = harness.Display(h, *size)
        if paint_in_child:
            opts = dict({'change': 10, 'fps': 30}, **(extra_painter or {}))
            self.painter = harness.Proc(h, f'painter-{mode}', [
                sys.executable, os.path.abspath(__file__), 'paint', self.display.name, str(size[0]),
                str(size[1]), mode, str(opts['change']), str(opts['fps'])])
            harness.wait_until(lambda: 'painting' in self.painter.output()
                               or not self.painter.alive(), 30, 'the painter')
            harness.check(self.painter.alive(), f'painter exited: {self.painter.output()}')
        else:
            self.painter = Painter(self.display.name, *size, mode=mode, **(extra_painter or {}))
            self.painter.start()
        sam = os.path.join(h.tmp, 'sam')
        r = subprocess.run(['winpr-hash', '-u', 'helpdesk', '-p', self.password, '-f', 'sam'],
                           capture_output=True, text=True, check=True)
        with open(sam, 'w') as f:
            f.write(r.stdout.strip() + '\n')
        self.port = harness.free_port()
        self.cfg = cfg or os.path.join(h.tmp, f'xdg-shadow-{self.port}')
        self.proc = harness.Proc(h, f'shadow-{mode}', [
            'freerdp-shadow-cli', f'/port:{self.port}', '/bind-address:127.0.0.1', '/sec:nla',
            f'/sam-file:{sam}'], env=dict(self.display.env, XDG_CONFIG_HOME=self.cfg))
        self.startup = wait_listening(self.proc, self.port)
        self.pid = self.proc.pid

    def client(self, d, codec):
        return harness.Client(self.h, d, argv=[
            'xfreerdp', f'/v:127.0.0.1:{self.port}', '/u:helpdesk', f'/p:{self.password}',
            '/sec:nla', '/cert:ignore', *harness.Client.CODECS[codec]])

    def after_client(self):
        pass

    def stop(self):
        self.proc.stop()
        self.painter.stop()
        self.display.proc.stop()


def paint_until_sigterm(display, w, h, mode, change, fps):
    p = Painter(display, int(w), int(h), mode=mode, change=int(change), fps=int(fps))
    signal.signal(signal.SIGTERM, lambda *_: p.halt.set())
    print('painting', flush=True)
    t0 = time.monotonic()
    p.run()  # returns at once unless mode is bench
    while not p.halt.wait(0.5):
        pass
    t = time.monotonic() - t0
    print(f'painted {p.frames} frames in {t:.1f} s: {p.frames / t:.1f} fps', flush=True)
    p.x.close()


def listen_until_sigterm(display):
    x = xproto.Connection(display)
    x.select_input(x.root, xproto.KEY_PRESS_MASK | xproto.KEY_RELEASE_MASK)
    x.set_input_focus(x.root)
    x.sync()
    print('listening', flush=True)
    while True:
        t, ev = x.next_event()
        if ev[0] & 0x7F in (xproto.KEY_PRESS, xproto.KEY_RELEASE):
            print(f'{t:.9f} {ev[0] & 0x7F} {ev[1]}', flush=True)


class KeyListener:
    """`peer.py listen` on a display, as a harness process."""

    def __init__(self, h, display):
        self.proc = harness.Proc(h, f'listener{display.name}', [
            sys.executable, os.path.abspath(__file__), 'listen', display.name])
        harness.wait_until(lambda: 'listening' in self.proc.output() or not self.proc.alive(),
                           20, 'the key listener')
        harness.check(self.proc.alive(), f'key listener exited: {self.proc.output()}')

    def events(self):
        """[(time, press, x keycode)] so far."""
        out = []
        for line in self.proc.output().split('\n')[1:]:
            parts = line.split()
            if len(parts) == 3:
                out.append((float(parts[0]), parts[1] == '2', int(parts[2])))
        return out

    def stop(self):
        self.proc.stop()


if __name__ == '__main__':
    if sys.argv[1:2] == ['paint']:
        paint_until_sigterm(*sys.argv[2:])
    elif sys.argv[1:2] == ['listen']:
        listen_until_sigterm(sys.argv[2])
    else:
        sys.exit(f'usage: {sys.argv[0]} paint DISPLAY W H MODE CHANGE FPS | listen DISPLAY')
