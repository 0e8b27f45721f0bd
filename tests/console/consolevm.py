"""Shared parts of the console VM tests (Python 3, stdlib only).

qemu comes from tests/vm/vmharness.py (TCG unless QEMU_ACCEL says otherwise, serial markers,
QMP screendump, hostfwd_add on a free loopback port), the media from tests/vm/vmimage.py (built
once per build directory; LIFELINE_IMAGE_DIR=DIR with vmlinuz and initrd.img overrides that),
and Xvfb, the real xfreerdp and xwd screenshots from tests/integration/harness.py.
"""

import ctypes
import ctypes.util
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, 'tests', 'vm'))
sys.path.insert(0, os.path.join(REPO, 'tests', 'integration'))

import harness  # noqa: E402  (Xvfb, xfreerdp, xwd)
import vmharness  # noqa: E402  (qemu)
import vmimage  # noqa: E402  (the media)
from harness import Image, Skip, wait_until  # noqa: E402,F401

# One exception type for both harnesses: vmharness raises its own Failure.
Failure = (harness.Failure, vmharness.Failure)
GUEST_PORT = 3389


def check(cond, msg):
    if not cond:
        raise harness.Failure(msg)


def media():
    """(vmlinuz, initrd.img) of the image under test."""
    d = os.environ.get('LIFELINE_IMAGE_DIR')
    if d:
        files = (os.path.join(d, 'vmlinuz'), os.path.join(d, 'initrd.img'))
        for f in files:
            check(os.path.exists(f), f'LIFELINE_IMAGE_DIR has no {f}')
        return files
    m = vmimage.media()
    return m['vmlinuz'], m['initrd']


def parse_ppm(data):
    """A binary PPM (what qemu's screendump writes) as a harness.Image."""
    m = re.match(rb'P6\s+(\d+)\s+(\d+)\s+(\d+)\s', data)
    check(m is not None and m.group(3) == b'255', 'screendump is not an 8-bit P6 PPM')
    w, h = int(m.group(1)), int(m.group(2))
    pix = data[m.end():m.end() + w * h * 3]
    check(len(pix) == w * h * 3, 'short screendump')
    return Image(w, h, pix[0::3], pix[1::3], pix[2::3])


def diff_box(a, b):
    """(number of differing pixels, bounding box (x0, y0, x1, y1) or None); -1 when the sizes
    differ."""
    if (a.w, a.h) != (b.w, b.h):
        return -1, None
    n, box = 0, None
    for y in range(a.h):
        s = slice(y * a.w, (y + 1) * a.w)
        rows = [(pa[s], pb[s]) for pa, pb in zip(a.planes, b.planes)]
        if all(ra == rb for ra, rb in rows):
            continue
        for x in range(a.w):
            if any(ra[x] != rb[x] for ra, rb in rows):
                n += 1
                box = [x, y, x, y] if box is None else [min(box[0], x), box[1],
                                                        max(box[2], x), y]
    return n, tuple(box) if box else None


def non_black(img):
    return sum(len(p) - p.count(0) for p in img.planes)


class ConsoleVM:
    """vmharness.VM plus what the console tests need: marks in the serial text, and the
    screendump as an Image."""

    def __init__(self, h, name, display, firmware='bios', append='', extra=()):
        self.h = h
        self.name = name
        vmlinuz, initrd = media()
        self.vm = vmharness.VM(name, h.tmp, firmware=firmware, display=display, extra=extra)
        self.vm.kernel(vmlinuz, initrd,
                       'console=tty0 console=ttyS0,115200 quiet panic=-1 ' + append)
        h._vms.append(self.vm)
        self.vm.start()

    def mark(self):
        """A position in the serial text: expect() can look for what comes after it."""
        with self.vm.cond:
            return len(self.vm.text)

    def expect(self, pattern, timeout, since=None, what=None):
        """The first match of pattern (a regex, MULTILINE) after since (default: after the
        previous match)."""
        if since is not None:
            with self.vm.cond:
                self.vm.pos = since
        return self.vm.wait_for('(?m)' + pattern, timeout, what)

    def text(self, start, end=None):
        with self.vm.cond:
            return self.vm.text[start:end]

    def shell(self, command, timeout=60):
        return self.vm.shell(command, timeout)

    def screendump(self, head=None):
        """The screen as an Image; head N of the display device with id 'video0' when given
        (a device with several outputs)."""
        path = os.path.join(self.h.tmp, f'{self.name}-screen.ppm')
        if head is None:
            self.vm.screendump(path)
        else:
            self.vm.qmp.execute('screendump', filename=path, device='video0', head=head)
        with open(path, 'rb') as f:
            return parse_ppm(f.read())


class Remote:
    """The connection info the image printed, reachable through the forwarded port (what
    harness.Client needs of a server)."""

    def __init__(self, info, port):
        self.info, self.port = info, port
        self.ticket = info['ticket']
        self.fingerprint = info['sha256_fingerprint']


def boot_remote(h, name, display, firmware='bios', extra=(), timeout=300, capture='auto',
                append=''):
    """Boot with Remote Connection at start on the real console (capture auto unless given,
    injector uinput, a root shell on tty1; append: more kernel options); returns (ConsoleVM,
    Remote)."""
    cvm = ConsoleVM(h, name, display, firmware=firmware, extra=extra,
                    append=(f'lifeline.remote=auto lifeline.capture={capture} '
                            'lifeline.injector=uinput lifeline.shell=0 '
                            f'lifeline.port-range={GUEST_PORT} lifeline.dhcp-timeout=6 {append}'))
    m = cvm.expect(r'LIFELINE-REMOTE (\{.*\})$|lifeline-server: .*ready: listening', timeout,
                   what='Remote Connection ready')
    if m.group(1):
        info = json.loads(m.group(1))
    else:
        # an image whose remote-auto misses the server's ready line: read the file instead
        info = json.loads(cvm.shell('cat /run/lifeline/connection.json'))
    port = cvm.vm.hostfwd_add(GUEST_PORT)
    h.log(f'{name}: Remote Connection ready after {cvm.vm.elapsed():.1f} s, '
          f'127.0.0.1:{port} -> guest {GUEST_PORT}')
    return cvm, Remote(info, port)


def wait_same(h, cvm, client, timeout, what, cursor_cell=(0, 0), want=None, head=None):
    """Wait until the screen (head N when given) is what want(screendump) accepts (when given)
    and the client's window shows what the guest scans out: exactly, or differing only inside
    one box smaller than cursor_cell (w, h) (the text console's blinking cursor). Returns the
    screendump."""
    last = {}

    def probe():
        if not client.alive():
            raise harness.Failure(f'{client.name} exited ({client.proc.returncode()}) while '
                                  f'waiting for {what}')
        dump = cvm.screendump(head)
        if want and not want(dump):
            last.update(dump=dump, shot=None, n=None, box=None)
            return None
        try:
            shot = client.screenshot()
        except (harness.Failure, subprocess.TimeoutExpired):
            return None
        n, box = diff_box(dump, shot)
        last.update(dump=dump, shot=shot, n=n, box=box)
        if n == 0:
            return dump
        if n > 0 and box[2] - box[0] < cursor_cell[0] and box[3] - box[1] < cursor_cell[1]:
            return dump
        return None
    try:
        dump = wait_until(probe, timeout, what, interval=0.2)
    except harness.Failure:
        if last:
            last['dump'].save_ppm(os.path.join(h.tmp, 'last-screendump.ppm'))
            if last['shot'] is None:
                h.log(f'{what}: the screen ({last["dump"].w}x{last["dump"].h}) never became '
                      'what the test waits for (saved last-screendump.ppm)')
            else:
                last['shot'].save_ppm(os.path.join(h.tmp, 'last-client.ppm'))
                h.log(f'{what}: last compare: screen {last["dump"].w}x{last["dump"].h}, '
                      f'client {last["shot"].w}x{last["shot"].h}, {last["n"]} pixels differ '
                      f'in {last["box"]} (saved last-*.ppm)')
        raise
    h.log(f'{what}: the client shows exactly the screen ({dump.w}x{dump.h}'
          f'{", but the cursor cell" if last.get("n") else ""})')
    return dump


class _XFixesCursorImage(ctypes.Structure):
    _fields_ = [('x', ctypes.c_short), ('y', ctypes.c_short),
                ('width', ctypes.c_ushort), ('height', ctypes.c_ushort),
                ('xhot', ctypes.c_ushort), ('yhot', ctypes.c_ushort),
                ('cursor_serial', ctypes.c_ulong),
                ('pixels', ctypes.POINTER(ctypes.c_ulong))]


class XCursor:
    """The X pointer as the X server shows it: position (root coordinates), hotspot, and the
    image as 0xAARRGGBB values (XFixesGetCursorImage through ctypes; libX11 and libXfixes come
    with xfreerdp and xdotool)."""

    def __init__(self, x, y, xhot, yhot, width, height, pixels):
        self.x, self.y, self.xhot, self.yhot = x, y, xhot, yhot
        self.width, self.height, self.pixels = width, height, pixels

    _libs = None

    @classmethod
    def _load(cls):
        if cls._libs is None:
            names = [ctypes.util.find_library(n) for n in ('X11', 'Xfixes')]
            if None in names:
                raise Skip('libX11 or libXfixes is missing (it comes with xfreerdp)')
            x11, xfixes = (ctypes.CDLL(n) for n in names)
            x11.XOpenDisplay.restype = ctypes.c_void_p
            x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
            x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
            x11.XFree.argtypes = [ctypes.c_void_p]
            xfixes.XFixesQueryExtension.argtypes = [ctypes.c_void_p,
                                                    ctypes.POINTER(ctypes.c_int),
                                                    ctypes.POINTER(ctypes.c_int)]
            xfixes.XFixesGetCursorImage.restype = ctypes.POINTER(_XFixesCursorImage)
            xfixes.XFixesGetCursorImage.argtypes = [ctypes.c_void_p]
            cls._libs = (x11, xfixes)
        return cls._libs

    @classmethod
    def read(cls, display):
        """The cursor of display (a harness.Display) now."""
        x11, xfixes = cls._load()
        dpy = x11.XOpenDisplay(display.name.encode())
        check(dpy, f'cannot open X display {display.name}')
        try:
            ev, err = ctypes.c_int(), ctypes.c_int()
            check(xfixes.XFixesQueryExtension(dpy, ctypes.byref(ev), ctypes.byref(err)),
                  f'{display.name} has no XFIXES extension')
            p = xfixes.XFixesGetCursorImage(dpy)
            check(bool(p), 'XFixesGetCursorImage failed')
            try:
                c = p.contents
                n = c.width * c.height
                return cls(c.x, c.y, c.xhot, c.yhot, c.width, c.height,
                           [c.pixels[i] & 0xFFFFFFFF for i in range(n)])
            finally:
                x11.XFree(p)
        finally:
            x11.XCloseDisplay(dpy)


def run(main):
    """Run one scenario: exit 0 pass, 1 fail, 77 skip (a failure when CI is set)."""
    h = harness.Harness()
    h._vms = []
    rc = harness.EXIT_FAIL
    try:
        vmharness.require_qemu()
        h.require_tools('Xvfb', 'xfreerdp', 'xdotool', 'xwd')
        main(h)
        rc = harness.EXIT_PASS
        h.log('PASS')
    except (Skip, vmharness.Skip) as e:
        if os.environ.get('CI'):
            h.log(f'FAIL (a skip is a failure in CI): {e}')
        else:
            h.log(f'SKIP: {e}')
            rc = harness.EXIT_SKIP
    except Failure as e:
        h.log(f'FAIL: {e}')
    except Exception:
        import traceback
        h.log('ERROR: ' + traceback.format_exc())
    finally:
        h.cleanup()
        for vm in h._vms:
            if rc == harness.EXIT_FAIL and vm.proc is not None:
                vm.dump_serial(150)
            vm.stop()
        if rc == harness.EXIT_FAIL:
            h.dump_logs()
        if rc == harness.EXIT_FAIL and os.environ.get('LIFELINE_KEEP_TMP'):
            print(f'kept {h.tmp}', file=sys.stderr)
        else:
            shutil.rmtree(h.tmp, ignore_errors=True)
    sys.exit(rc)


__all__ = ['Failure', 'check', 'boot_remote', 'wait_same', 'non_black', 'diff_box', 'run',
           'Skip', 'XCursor', 'time', 'wait_until']
