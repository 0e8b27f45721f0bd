"""A guest for the lifeline-shell VM tests: qemu boots the recovery system (vmlinuz + initrd.img
from image-builder/lifeline-image) through the VM tier's harness (tests/vm/vmharness.py), with
the shell's marker lines (lifeline.announce=/dev/ttyS0) on the serial line.  What is added here
is what the shell tests need on top: waits from a mark, PPM screendumps read back as images,
and waits for the screen to show something.
"""

import os
import sys
import re
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'vm'))
import vmharness  # noqa: E402
from vmharness import Failure, Skip  # noqa: E402,F401


def find_media(root):
    """vmlinuz and initrd.img from LIFELINE_IMAGE_DIR, else the VM tier's shared test image
    (tests/vm/vmimage.py builds it once per build directory)."""
    d = os.environ.get('LIFELINE_IMAGE_DIR')
    if d:
        k, i = os.path.join(d, 'vmlinuz'), os.path.join(d, 'initrd.img')
        if not (os.path.exists(k) and os.path.exists(i)):
            raise Failure('no recovery media in LIFELINE_IMAGE_DIR=%s' % d)
        return k, i
    sys.path.insert(0, os.path.join(root, 'tests', 'vm'))
    import vmimage  # the VM tier's image, built when missing
    m = vmimage.media()
    return m['vmlinuz'], m['initrd']


class Image:
    """A screendump (PPM P6)."""

    def __init__(self, path):
        with open(path, 'rb') as f:
            data = f.read()
        m = re.match(rb'P6\s+(\d+)\s+(\d+)\s+(\d+)\s', data)
        if not m:
            raise Failure('not a PPM screendump: %s' % path)
        self.w, self.h = int(m.group(1)), int(m.group(2))
        self.px = data[m.end():]
        self.path = path

    def pixel(self, x, y):
        o = (y * self.w + x) * 3
        return tuple(self.px[o:o + 3])

    def near(self, x, y, rgb, tol=12):
        return all(abs(a - b) <= tol for a, b in zip(self.pixel(x, y), rgb))

    def count(self, rgb, box, tol=12):
        x0, y0, x1, y1 = box
        return sum(1 for y in range(y0, y1) for x in range(x0, x1) if self.near(x, y, rgb, tol))


class Guest:
    """One qemu: bochs display (the shell on KMS), the QEMU USB tablet as the person's pointer,
    a NIC for Remote Connection."""

    def __init__(self, kernel, initrd, append='', mem=1024, log=print, ask_keymap=False,
                 disks=(), netdev_extra=()):
        """ask_keymap: boot without lifeline.keymap, so that the shell asks for the layout
        first; otherwise the layout is us and the tool list has the focus at start.
        disks: (path, serial) raw images attached as virtio disks that keep what the guest
        writes (/dev/disk/by-id/virtio-SERIAL).
        netdev_extra: more options of the restricted user network (vmharness.VM), e.g. a
        guestfwd to a service the test runs on the host."""
        self.log = log
        self.dir = tempfile.mkdtemp(prefix='llshell-', dir='/tmp')
        self._shots = 0
        cmdline = 'console=tty0 console=ttyS0 lifeline.announce=/dev/ttyS0 '
        if not ask_keymap:
            cmdline += 'lifeline.keymap=us '
        cmdline = (cmdline + append).strip()
        self.vm = vmharness.VM('shell', self.dir, memory=mem, display='VGA',
                               extra=('-device', 'qemu-xhci', '-device', 'usb-tablet'),
                               netdev_extra=netdev_extra)
        for path, serial in disks:
            self.vm.disk(path, snapshot=False, bootindex=None, serial=serial)
        self.vm.kernel(kernel, initrd, cmdline)
        self.vm.start()

    @property
    def serial(self):
        with self.vm.cond:
            return self.vm.text

    def wait_serial(self, pattern, timeout, after=0):
        """The first match of pattern at or after the mark `after`, waiting up to timeout."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.vm.cond:
            while True:
                m = rx.search(self.vm.text, after)
                if m:
                    return m
                self.vm._check_alive()
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure('no serial line matching %r within %d s' % (pattern, timeout))
                self.vm.cond.wait(min(left, 1.0))

    def absent_serial(self, pattern, seconds, after=0):
        """The pattern does not show for `seconds` (a bounded check that nothing happened)."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + seconds
        with self.vm.cond:
            while True:
                if rx.search(self.vm.text, after):
                    raise Failure('unexpected serial line matching %r' % pattern)
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self.vm.cond.wait(min(left, 1.0))

    def mark(self):
        with self.vm.cond:
            return len(self.vm.text)

    def send_key(self, *qcodes):
        self.vm.send_key(*qcodes)

    def shell(self, command, timeout=60):
        """A command on the guest's serial root shell; its output."""
        return self.vm.shell(command, timeout)

    def screendump(self):
        self._shots += 1
        return Image(self.vm.screendump(os.path.join(self.dir, 'screen-%d.ppm' % self._shots)))

    def wait_screen(self, want, timeout, what):
        """Screendumps until want(img) holds: the shell announces a change before its page flip
        is on the screen. Returns the image; Failure names the last one when it never holds."""
        deadline = time.monotonic() + timeout
        while True:
            img = self.screendump()
            if want(img):
                return img
            if time.monotonic() > deadline:
                raise Failure('%s (last screendump: %s)' % (what, img.path))
            time.sleep(0.2)

    def forward(self, guest_port):
        """A host port on 127.0.0.1 forwarded to the guest's port; returns the host port."""
        return self.vm.hostfwd_add(guest_port)

    def stop(self):
        self.vm.stop()


# What a US keyboard needs for each character: (xdotool key name, with Shift)
_US_UNSHIFTED = {' ': 'space', '-': 'minus', '=': 'equal', '[': 'bracketleft',
                 ']': 'bracketright', '\\': 'backslash', ';': 'semicolon', "'": 'apostrophe',
                 ',': 'comma', '.': 'period', '/': 'slash', '`': 'grave'}
_US_SHIFTED = {'!': '1', '@': '2', '#': '3', '$': '4', '%': '5', '^': '6', '&': '7', '*': '8',
               '(': '9', ')': '0', '_': 'minus', '+': 'equal', '{': 'bracketleft',
               '}': 'bracketright', '|': 'backslash', ':': 'semicolon', '"': 'apostrophe',
               '<': 'comma', '>': 'period', '?': 'slash', '~': 'grave'}


def us_key(ch):
    """(key, shift) that types ch on a US layout."""
    if ch.isascii() and (ch.islower() or ch.isdigit()):
        return ch, False
    if ch.isascii() and ch.isupper():
        return ch.lower(), True
    if ch == '\n':
        return 'Return', False
    if ch in _US_UNSHIFTED:
        return _US_UNSHIFTED[ch], False
    if ch in _US_SHIFTED:
        return _US_SHIFTED[ch], True
    raise ValueError('no US key for %r' % ch)


class Typist:
    """Key downs and ups as a fast person types them (times in seconds from the first key):
    a key every 35-90 ms (about 16 a second: a margin over the 12 the test asks for when
    xdotool runs on a busy machine), each held 40-130 ms, so the next key often goes
    down before the last one is up; Shift goes down 15-45 ms before its key and comes up 5-60 ms
    after that key went down, before or after the key itself comes up (overlapping Shift).
    Never overlapped: a key with its next press ('oo' in 'bookkeeper'), and Shift with the next
    unshifted key."""

    def __init__(self, rng):
        self.rng = rng

    def schedule(self, text):
        rng = self.rng
        keys = [us_key(c) for c in text]
        press = [0.0]
        for _ in keys[1:]:
            press.append(press[-1] + rng.uniform(0.035, 0.090))
        events = []
        shift_down_until = None     # when the Shift held for the previous key comes up
        for i, (key, shift) in enumerate(keys):
            nxt = press[i + 1] if i + 1 < len(keys) else press[i] + 1.0
            up = press[i] + rng.uniform(0.040, 0.130)
            again = [press[j] for j in range(i + 1, min(i + 4, len(keys))) if keys[j][0] == key]
            if again:
                up = min(up, again[0] - 0.012)
            if shift:
                if shift_down_until is None:
                    # after the key before went down, which must not come out shifted
                    t = press[i] - rng.uniform(0.015, 0.045)
                    events.append((max(t, press[i - 1] + 0.005) if i else t, 'keydown',
                                   'Shift_L'))
                s_up = press[i] + rng.uniform(0.005, 0.060)
                if i + 1 < len(keys) and keys[i + 1][1]:
                    shift_down_until = s_up     # held on for the next capital
                else:
                    events.append((min(s_up, nxt - 0.010), 'keyup', 'Shift_L'))
                    shift_down_until = None
            events.append((press[i], 'keydown', key))
            events.append((up, 'keyup', key))
        t0 = min(t for t, _, _ in events)
        events = sorted(((t - t0, a, k) for t, a, k in events), key=lambda e: e[0])
        return events, (len(keys) - 1) / (press[-1] - press[0])

    @staticmethod
    def xdotool_args(events):
        """One xdotool command line for the whole schedule (its own sleeps keep the times)."""
        args, now = [], 0.0
        for t, action, key in events:
            if t - now > 0.0005:
                args += ['sleep', '%.3f' % (t - now)]
                now = t
            # --delay 0: no extra 12 ms after each key (xdotool's default)
            args += [action, '--delay', '0', key]
        return args
