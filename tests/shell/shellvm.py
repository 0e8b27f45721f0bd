"""A guest for the lifeline-shell VM tests: qemu boots the recovery system (vmlinuz + initrd.img
from image-builder/lifeline-image), with QMP (screendump, send-key, hostfwd_add) and the serial
line on a socket.  Python 3 standard library only; every wait is bounded.

This is the small subset the shell tests need.  When tests/vm/vmharness.py (the shared harness)
lands, Guest should delegate to it; the tests only use the methods below.
"""

import json
import os
import sys
import re
import socket
import subprocess
import tempfile
import threading
import time


class Failure(Exception):
    pass


class Skip(Exception):
    pass


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
    def __init__(self, kernel, initrd, append='', mem=1024, log=print):
        self.log = log
        self.dir = tempfile.mkdtemp(prefix='llvm-', dir='/tmp')
        self.qmp_path = os.path.join(self.dir, 'qmp')
        self.ser_path = os.path.join(self.dir, 'serial')
        self.serial = ''
        self._lock = threading.Lock()
        self._shots = 0
        accel = os.environ.get('QEMU_ACCEL', 'tcg')
        cmdline = ('console=tty0 console=ttyS0 lifeline.announce=/dev/ttyS0 ' + append).strip()
        argv = ['qemu-system-x86_64', '-accel', accel, '-m', str(mem), '-smp', '2',
                '-display', 'none', '-vga', 'std', '-kernel', kernel, '-initrd', initrd,
                '-append', cmdline, '-no-reboot',
                '-chardev', 'socket,id=ser0,path=%s,server=on,wait=off' % self.ser_path,
                '-serial', 'chardev:ser0',
                '-qmp', 'unix:%s,server=on,wait=off' % self.qmp_path,
                '-netdev', 'user,id=n0', '-device', 'e1000,netdev=n0',
                '-usb', '-device', 'usb-tablet']
        self.qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(self.dir, 'qemu.log'), 'w'),
                                     stderr=subprocess.STDOUT)
        self._ser = self._connect(self.ser_path)
        threading.Thread(target=self._read_serial, daemon=True).start()
        self._qmp = self._connect(self.qmp_path)
        self._qf = self._qmp.makefile('rwb')
        json.loads(self._qf.readline())
        self.qmp('qmp_capabilities')

    def _connect(self, path):
        deadline = time.monotonic() + 30
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.monotonic() > deadline or self.qemu.poll() is not None:
                    raise Failure('qemu did not open %s' % path)
                time.sleep(0.05)

    def _read_serial(self):
        while True:
            try:
                data = self._ser.recv(4096)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.serial += data.decode(errors='replace')

    def qmp(self, cmd, **args):
        msg = {'execute': cmd}
        if args:
            msg['arguments'] = args
        self._qf.write((json.dumps(msg) + '\n').encode())
        self._qf.flush()
        while True:
            r = json.loads(self._qf.readline())
            if 'return' in r:
                return r['return']
            if 'error' in r:
                raise Failure('QMP %s: %s' % (cmd, r['error']))

    def wait_serial(self, pattern, timeout, after=0):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                m = rx.search(self.serial, after)
            if m:
                return m
            if self.qemu.poll() is not None:
                break
            time.sleep(0.1)
        raise Failure('no serial line matching %r within %ss' % (pattern, timeout))

    def absent_serial(self, pattern, seconds, after=0):
        """The pattern does not show for `seconds` (a bounded check that nothing happened)."""
        deadline = time.monotonic() + seconds
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            with self._lock:
                if rx.search(self.serial, after):
                    raise Failure('unexpected serial line matching %r' % pattern)
            time.sleep(0.1)

    def mark(self):
        with self._lock:
            return len(self.serial)

    def send_key(self, *qcodes):
        self.qmp('send-key', keys=[{'type': 'qcode', 'data': k} for k in qcodes])

    def screendump(self):
        self._shots += 1
        path = os.path.join(self.dir, 'screen-%d.ppm' % self._shots)
        self.qmp('screendump', filename=path)
        return Image(path)

    def forward(self, guest_port):
        """A host port on 127.0.0.1 forwarded to the guest's port; returns the host port."""
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        s.close()
        self.qmp('human-monitor-command',
                 **{'command-line': 'hostfwd_add n0 tcp:127.0.0.1:%d-:%d' % (port, guest_port)})
        return port

    def stop(self):
        try:
            self.qmp('quit')
        except Exception:
            pass
        try:
            self.qemu.wait(10)
        except subprocess.TimeoutExpired:
            self.qemu.kill()
            self.qemu.wait()
