"""VM harness for Lifeline's VM tests: qemu boots the real media.

Python 3 standard library only.  One `VM` is one qemu process:

    with VM('iso-bios', workdir) as vm:
        vm.cdrom(iso)
        vm.start()
        vm.wait_for(r'LIFELINE-READY', timeout=180)
        port = vm.hostfwd_add(3389)             # 127.0.0.1:<free port> -> guest:3389
        vm.screendump(os.path.join(workdir, 'screen.png'))
        vm.send_key('ctrl', 'alt', 'f2')
        out = vm.shell('uname -r')              # a command on the guest's serial shell
        relay = DelayRelay(port, 0.150, 0.100)  # a slow, jittery link for a client

- The accelerator is ${QEMU_ACCEL:-tcg}: KVM cannot be assumed (nested or PVM hosts hang).
- The serial line is a unix socket that qemu waits on before it starts, so nothing the guest
  prints is lost; everything is copied to WORKDIR/NAME-serial.log and kept in memory for
  `wait_for` (regular expressions, bounded by a timeout; no fixed sleeps anywhere).
- `shell()` gets a command's stdout, stderr and status back in one framed line (random nonce
  markers around base64, checked by md5), so the kernel's and the system's own lines on the same
  serial line never mix with them.
- QMP is a second unix socket; `hmp()` runs monitor commands through it, and treats any
  non-empty answer of the commands that answer "" on success as an error.
- User networking is `restrict=on`: the guest reaches nothing but qemu's DHCP/TFTP, and the
  host reaches the guest only through forwards that a test adds on 127.0.0.1.
- qemu is always ended by its pid: on `stop()`, when the `with` block ends, and at exit.
- When a test fails inside the `with` block, the tail of the serial log goes to stderr.
"""

import atexit
import base64
import codecs
import hashlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_SKIP = 77

OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd'
OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd'
QEMU = os.environ.get('QEMU', 'qemu-system-x86_64')

_ANSI = re.compile(rb'\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78DEHM])')
_running = set()


class Failure(Exception):
    """A test assertion failed."""


class Skip(Exception):
    """The test cannot run here."""


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def log(msg):
    print(f'[{time.strftime("%H:%M:%S")}] {msg}', file=sys.stderr, flush=True)


def _kill_all():
    for vm in list(_running):
        vm.kill()


atexit.register(_kill_all)


def require_qemu():
    """Skip (or, in CI, fail) when qemu or the firmware is missing."""
    missing = [t for t in (QEMU,) if shutil.which(t) is None]
    missing += [f for f in (OVMF_CODE, OVMF_VARS) if not os.path.exists(f)]
    if missing:
        msg = 'missing: ' + ', '.join(missing) + ' (tools/install-deps image)'
        if os.environ.get('CI'):
            raise Failure(msg + '; the VM tier does not skip in CI')
        raise Skip(msg)


class QMP:
    """A minimal synchronous QMP client (events are kept, not waited for)."""

    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b''
        self.events = []
        greeting = self._read()
        check('QMP' in greeting, f'not a QMP greeting: {greeting}')
        self.execute('qmp_capabilities')

    def _read(self):
        while b'\n' not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Failure('qemu closed the QMP socket')
            self.buf += chunk
        line, self.buf = self.buf.split(b'\n', 1)
        return json.loads(line)

    def execute(self, command, **arguments):
        msg = {'execute': command}
        if arguments:
            msg['arguments'] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b'\n')
        while True:
            reply = self._read()
            if 'event' in reply:
                self.events.append(reply)
                continue
            if 'error' in reply:
                raise Failure(f'QMP {command}: {reply["error"].get("desc", reply["error"])}')
            return reply.get('return')

    def close(self):
        self.sock.close()


class VM:
    """One qemu.  Configure with the media methods, then start()."""

    def __init__(self, name, workdir, firmware='bios', memory=1536, smp=2, machine='q35',
                 display='virtio-vga', nic='virtio-net-pci', tftp=None, bootfile=None,
                 nic_romfile=None, boot_from_nic=False, extra=(), vars_file=None,
                 netdev_extra=()):
        """VARS_FILE (UEFI): the OVMF variable store to use and keep, so that boot entries a
        test creates last into the next boot; made from the firmware's template when missing.
        Without it every boot starts from a fresh copy.  NETDEV_EXTRA: more options of the
        user-mode network, e.g. 'guestfwd=tcp:10.0.2.100:445-tcp:127.0.0.1:4455' (a service
        the test runs on the host, reachable from the guest although the network is
        restricted)."""
        check(firmware in ('bios', 'uefi'), f'unknown firmware {firmware}')
        self.name = name
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.firmware = firmware
        self.accel = os.environ.get('QEMU_ACCEL', 'tcg')
        # Unix socket paths are limited to 108 bytes: keep them in a short private directory.
        self.sockdir = tempfile.mkdtemp(prefix='llvm-')
        self.serial_path = os.path.join(self.sockdir, 'serial')
        self.qmp_path = os.path.join(self.sockdir, 'qmp')
        self.log_path = os.path.join(workdir, f'{name}-serial.log')
        self.qemu_log_path = os.path.join(workdir, f'{name}-qemu.log')
        self.args = [
            QEMU, '-name', name, '-accel', self.accel, '-machine', machine,
            '-m', str(memory), '-smp', str(smp), '-nodefaults', '-no-user-config',
            '-display', 'none', '-no-reboot',
            '-chardev', f'socket,id=ser0,path={self.serial_path},server=on,wait=on',
            '-serial', 'chardev:ser0',
            '-qmp', f'unix:{self.qmp_path},server=on,wait=off',
        ]
        if self.accel == 'tcg':
            # one host thread per vCPU
            self.args[self.args.index('-accel') + 1] = 'tcg,thread=multi'
        if display:
            self.args += ['-device', display]
        if firmware == 'uefi':
            if vars_file is None:
                vars_copy = os.path.join(self.sockdir, 'OVMF_VARS.fd')
                shutil.copyfile(OVMF_VARS, vars_copy)   # a fresh variable store per boot
            else:
                vars_copy = vars_file
                if not os.path.exists(vars_copy):
                    shutil.copyfile(OVMF_VARS, vars_copy)
            self.args += ['-drive', f'if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}',
                          '-drive', f'if=pflash,format=raw,unit=1,file={vars_copy}']
        netdev = 'user,id=n0,restrict=on,hostname=lifeline-vm'
        if tftp:
            netdev += f',tftp={tftp}'
        if bootfile:
            netdev += f',bootfile={bootfile}'
        for opt in netdev_extra:
            netdev += ',' + opt
        self.args += ['-netdev', netdev]
        if nic:
            dev = f'{nic},netdev=n0'
            if nic_romfile is not None:
                dev += f',romfile={nic_romfile}'
            if boot_from_nic:
                dev += ',bootindex=0'
            self.args += ['-device', dev]
        self.args += list(extra)
        self._disks = 0
        self.proc = None
        self.qmp = None
        self.serial = None
        self.text = ''          # serial output so far, without \r and terminal escapes
        self.pos = 0            # wait_for() continues from here
        self.cond = threading.Condition()
        self.reader = None
        self.t0 = None
        self.log_file = None
        self.qemu_log = None
        self._pending = b''
        self._decoder = codecs.getincrementaldecoder('utf-8')(errors='replace')

    # --- media ---------------------------------------------------------------------------
    def cdrom(self, path):
        self.args += ['-drive', f'if=none,id=cd0,media=cdrom,readonly=on,format=raw,file={path}',
                      '-device', 'ide-cd,drive=cd0,bootindex=0']

    def usb_stick(self, path):
        # snapshot=on: writes go to a temporary overlay, the image stays as built
        self.args += ['-device', 'qemu-xhci,id=xhci',
                      '-drive', f'if=none,id=stick,format=raw,snapshot=on,file={path}',
                      '-device', 'usb-storage,bus=xhci.0,drive=stick,bootindex=0']

    def disk(self, path, interface='virtio', snapshot=True, bootindex=0, serial=None):
        """Attach a raw disk image; call again for more disks (drive ids hd0, hd1, ...).

        SNAPSHOT: writes go to a temporary overlay (the default); False writes to PATH, so a
        repair lasts.  BOOTINDEX: the firmware's boot order (None: not a boot device).
        SERIAL: the disk's serial number (/dev/disk/by-id).  Returns the drive id."""
        check(interface in ('virtio', 'ide'), f'unknown disk interface {interface}')
        drive = f'hd{self._disks}'
        self._disks += 1
        opts = f'if=none,id={drive},format=raw,file={path}'
        if snapshot:
            opts += ',snapshot=on'
        dev = f'{"virtio-blk-pci" if interface == "virtio" else "ide-hd"},drive={drive}'
        if bootindex is not None:
            dev += f',bootindex={bootindex}'
        if serial is not None:
            dev += f',serial={serial}'
        self.args += ['-drive', opts, '-device', dev]
        return drive

    def kernel(self, vmlinuz, initrd, append):
        self.args += ['-kernel', vmlinuz, '-initrd', initrd, '-append', append]

    # --- life cycle ----------------------------------------------------------------------
    def start(self, timeout=30):
        require_qemu()
        self.log_file = open(self.log_path, 'wb')
        self.qemu_log = open(self.qemu_log_path, 'wb')
        log(f'{self.name}: {" ".join(self.args)}')
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=self.qemu_log, stderr=subprocess.STDOUT)
        _running.add(self)
        # qemu waits for the serial client before the guest runs
        self.serial = self._connect(self.serial_path, timeout)
        self.reader = threading.Thread(target=self._read_serial, daemon=True)
        self.reader.start()
        sock_deadline = time.monotonic() + timeout
        while True:
            try:
                self.qmp = QMP(self.qmp_path, timeout)
                break
            except (FileNotFoundError, ConnectionRefusedError):
                self._check_alive()
                if time.monotonic() > sock_deadline:
                    raise Failure(f'{self.name}: no QMP socket after {timeout} s')
                self._pause(0.05)
        return self

    def _pause(self, seconds):
        # bounded polling interval while waiting for a socket to appear (not a readiness sleep)
        with self.cond:
            self.cond.wait(seconds)

    def _connect(self, path, timeout):
        deadline = time.monotonic() + timeout
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
            try:
                s.connect(path)
                return s
            except (FileNotFoundError, ConnectionRefusedError):
                s.close()
                self._check_alive()
                if time.monotonic() > deadline:
                    raise Failure(f'{self.name}: qemu did not open {path} in {timeout} s')
                self._pause(0.05)

    def _read_serial(self):
        while True:
            try:
                chunk = self.serial.recv(65536)
            except OSError:
                chunk = b''
            if not chunk:
                with self.cond:
                    self.cond.notify_all()
                return
            self.log_file.write(chunk)
            self.log_file.flush()
            clean = self._clean(chunk)
            with self.cond:
                self.text += clean
                self.cond.notify_all()

    def _clean(self, chunk):
        """Serial bytes to text without \\r and terminal escapes; an escape sequence split
        between two reads is held back until it is complete."""
        data = self._pending + chunk
        self._pending = b''
        cut = data.rfind(b'\x1b')
        if cut != -1 and len(data) - cut < 32 and not _ANSI.match(data, cut):
            data, self._pending = data[:cut], data[cut:]
        return self._decoder.decode(_ANSI.sub(b'', data).replace(b'\r', b''))

    def _check_alive(self):
        if self.proc is not None and self.proc.poll() is not None:
            raise Failure(f'{self.name}: qemu exited with status {self.proc.returncode}')

    def elapsed(self):
        return time.monotonic() - self.t0

    def wait_for(self, pattern, timeout, what=None, fail_on=r'Kernel panic|LIFELINE-[A-Z]+-FAILED'):
        """Wait until PATTERN (a regex) appears in the serial output after the last match.

        Returns the match; fails at once when FAIL_ON appears first or qemu exits."""
        rx = re.compile(pattern)
        bad = re.compile(fail_on) if fail_on else None
        deadline = time.monotonic() + timeout
        what = what or pattern
        with self.cond:
            while True:
                m = rx.search(self.text, self.pos)
                if m:
                    self.pos = m.end()
                    log(f'{self.name}: +{self.elapsed():.1f}s {what}')
                    return m
                if bad:
                    b = bad.search(self.text, self.pos)
                    if b:
                        end = self.text.find('\n', b.end())
                        raise Failure(f'{self.name}: "{self.text[b.start():end]}" while '
                                      f'waiting for {what}')
                if self.proc.poll() is not None:
                    raise Failure(f'{self.name}: qemu exited ({self.proc.returncode}) while '
                                  f'waiting for {what}')
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(f'{self.name}: no {what} within {timeout:.0f} s')
                # woken by new serial output; the bound also catches qemu exiting
                self.cond.wait(min(left, 1.0))

    def write(self, text):
        """Type TEXT on the serial line."""
        self.serial.sendall(text.encode())

    # What a framed result looks like on the serial line: one line the guest prints after the
    # command, between two markers that carry a fresh random nonce.  Everything inside is base64
    # (no spaces, no newlines), so a line another writer puts in the middle (the kernel, the
    # system's LIFELINE-* markers, the shell's announcements) breaks the frame instead of joining
    # the output; the harness then asks for the same frame again.
    _FRAME = (r'LLF-{n}-B (\d+) ([0-9a-f]{{32}}) ([A-Za-z0-9+/=]*) ([A-Za-z0-9+/=]*) '
              r'LLF-{n}-E\n')
    _OUT = '/run/.lifeline-test.out'
    _ERR = '/run/.lifeline-test.err'

    def _print_frame(self, nonce):
        """Ask the guest to print the last command's frame: status, the md5 of the stdout
        frame's text (one read of the file, so a background job still writing to it cannot
        make them disagree), stdout and stderr.  The markers are assembled by printf, so the
        echo of this line never matches."""
        self.write(f'__llo=$(base64 -w0 {self._OUT}); '
                   f"printf 'LLF-%s-B %d %s %s %s LLF-%s-E\\n' {nonce} \"$__llx\" "
                   f'"$(printf %s "$__llo" | md5sum | cut -c1-32)" "$__llo" '
                   f'"$(base64 -w0 {self._ERR})" {nonce}\n')

    def shell_result(self, command, timeout=60):
        """Run COMMAND in the guest's serial root shell, in that shell (cd and variables stay);
        returns (status, stdout, stderr).

        stdout and stderr come back framed (see _FRAME), so nothing else that is written to the
        serial line can mix with them.  stdin is /dev/null.  A background job that COMMAND
        starts writes into the same capture files: send what it prints to /dev/ttyS0 when a
        test waits for it in the serial text."""
        o, e = self._OUT, self._ERR
        # a newline before the closing brace: COMMAND may end in '&' or a comment
        self.write(f'{{ {command}\n}} >{o} 2>{e} </dev/null; __llx=$?\n')
        what = f'`{command}`'
        for attempt in range(4):
            nonce = f'{secrets.token_hex(6)}{attempt}'
            self._print_frame(nonce)
            end = self.wait_for(rf'LLF-{nonce}-E\n', timeout, what)
            with self.cond:
                start = self.text.rfind(f'LLF-{nonce}-B ', 0, end.end())
                frame = self.text[start:end.end()] if start != -1 else ''
            m = re.fullmatch(self._FRAME.format(n=nonce), frame)
            if m and hashlib.md5(m.group(3).encode()).hexdigest() == m.group(2):
                out, err = (base64.b64decode(g).decode('utf-8', 'replace') for g in m.group(3, 4))
                return int(m.group(1)), out, err
            log(f'{self.name}: the result of {what} was broken by other output on the serial '
                f'line; asking again: {frame[:200]!r}')
        raise Failure(f'{self.name}: no intact result of {what} in 4 attempts')

    def shell(self, command, timeout=60):
        """Run COMMAND in the guest's serial root shell; returns its stdout (status 0 only)."""
        status, out, err = self.shell_result(command, timeout)
        check(status == 0, f'{self.name}: `{command}` failed ({status}); stdout: {out!r}; '
              f'stderr: {err!r}')
        return out

    def hmp(self, command_line):
        """A human monitor command through QMP; returns its text."""
        return self.qmp.execute('human-monitor-command', **{'command-line': command_line})

    def hostfwd_add(self, guest_port, guest_addr='', netdev='n0', host_addr='127.0.0.1'):
        """Forward HOST_ADDR:<a free port> to the guest's TCP port; returns the host port."""
        rule = f'tcp:{host_addr}:0-{guest_addr}:{guest_port}'
        r = self.hmp(f'hostfwd_add {netdev} {rule}')
        # success is an empty string; errors come back as a successful return with text
        check(not r, f'{self.name}: hostfwd_add {rule}: {r.strip()}')
        table = self.hmp('info usernet')
        for line in table.splitlines():
            f = line.split()
            # Protocol[State] FD Source-Address Port Dest-Address Port RecvQ SendQ
            if (len(f) >= 6 and f[0].startswith('TCP[HOST_FORWARD]') and f[2] == host_addr
                    and f[5] == str(guest_port)):
                port = int(f[3])
                check(port != 0, f'{self.name}: the forward got no port: {line}')
                log(f'{self.name}: {host_addr}:{port} -> guest port {guest_port}')
                return port
        raise Failure(f'{self.name}: no forward for guest port {guest_port} in:\n{table}')

    def screendump(self, path):
        """Save the screen; PNG when PATH ends in .png (qemu >= 7.1), PPM otherwise."""
        args = {'filename': path}
        if path.endswith('.png'):
            args['format'] = 'png'
        self.qmp.execute('screendump', **args)
        check(os.path.getsize(path) > 0, f'{self.name}: empty screendump {path}')
        return path

    def send_key(self, *keys, hold_ms=None):
        """Press KEYS together (qcodes: 'ret', 'down', 'ctrl', 'alt', 'f2', 'a', ...)."""
        args = {'keys': [{'type': 'qcode', 'data': k} for k in keys]}
        if hold_ms is not None:
            args['hold-time'] = hold_ms
        self.qmp.execute('send-key', **args)

    def dump_serial(self, lines=80, file=sys.stderr):
        with self.cond:
            tail = self.text.splitlines()[-lines:]
        print(f'----- {self.name}: last {len(tail)} serial lines ({self.log_path}) -----',
              file=file)
        try:
            with open(self.qemu_log_path, errors='replace') as f:
                qemu_out = f.read().strip()
            if qemu_out:
                print(f'qemu said: {qemu_out}', file=file)
        except OSError:
            pass
        for line in tail:
            print(line, file=file)
        print('-----', file=file, flush=True)

    def stop(self, timeout=10):
        """Ask qemu to quit, then make sure it is gone."""
        if self.proc is None:
            return
        if self.proc.poll() is None and self.qmp is not None:
            try:
                self.qmp.execute('quit')
            except (Failure, OSError):
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def kill(self):
        """End our own qemu by its pid (never by name)."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        _running.discard(self)
        for s in (self.serial, self.qmp):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        if self.reader is not None:
            self.reader.join(5)
        for f in (self.log_file, self.qemu_log):
            if f is not None and not f.closed:
                f.close()
        shutil.rmtree(self.sockdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and exc_type is not Skip and self.proc is not None:
            self.dump_serial()
        self.stop()
        return False


class DelayRelay:
    """A TCP relay on 127.0.0.1 that delays what it carries, both ways: each chunk it reads is
    sent on DELAY +- JITTER seconds (uniform) later, but never before the chunk read before it
    (a stream keeps its order; jitter bunches the data, as on a real link).

    For a client that should see a slow, jittery link to TARGET_PORT (on 127.0.0.1) where
    `tc netem` is not available (the kernel has no sch_netem)."""

    def __init__(self, target_port, delay, jitter, seed=None):
        self.target = ('127.0.0.1', target_port)
        self.delay, self.jitter = delay, jitter
        self.rng = random.Random(seed)
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        self.lsock.bind(('127.0.0.1', 0))
        self.lsock.listen(4)
        self.port = self.lsock.getsockname()[1]
        self.closed = False
        self.socks = []
        self.threads = []
        self.chunks = 0
        self.max_delay = 0.0
        self._spawn(self._accept)
        log(f'relay 127.0.0.1:{self.port} -> 127.0.0.1:{target_port}, '
            f'{delay * 1000:.0f} ms +- {jitter * 1000:.0f} ms each way')

    def _spawn(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        t.start()
        self.threads.append(t)

    def _accept(self):
        while not self.closed:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            try:
                u = socket.create_connection(self.target, timeout=10)
                u.settimeout(None)
            except OSError:
                c.close()
                continue
            for s in (c, u):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.socks.append(s)
            self._pipe(c, u)
            self._pipe(u, c)

    def _pipe(self, src, dst):
        cond = threading.Condition()
        queue = []      # (due, bytes); None at the end of the stream

        def reader():
            last_due = 0.0
            while True:
                try:
                    data = src.recv(65536)
                except OSError:
                    data = b''
                with cond:
                    if not data:
                        queue.append(None)
                        cond.notify()
                        return
                    d = max(0.0, self.rng.uniform(self.delay - self.jitter,
                                                  self.delay + self.jitter))
                    due = max(last_due, time.monotonic() + d)
                    last_due = due
                    self.chunks += 1
                    self.max_delay = max(self.max_delay, d)
                    queue.append((due, data))
                    cond.notify()

        def writer():
            while True:
                with cond:
                    while not queue:
                        cond.wait()
                    item = queue[0]
                    if item is not None:
                        left = item[0] - time.monotonic()
                        if left > 0:
                            cond.wait(left)     # the delay itself, by design
                            continue
                    queue.pop(0)
                if item is None:
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                try:
                    dst.sendall(item[1])
                except OSError:
                    return
        self._spawn(reader)
        self._spawn(writer)

    def close(self):
        self.closed = True
        for s in [self.lsock] + self.socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        log(f'relay: {self.chunks} chunks delayed, the longest by {self.max_delay * 1000:.0f} ms')


def run(main):
    """Run main() as a test: exit 0 pass, 1 fail, 77 skip (a failure when CI is set)."""
    try:
        main()
    except Skip as e:
        if os.environ.get('CI'):
            print(f'FAIL (skip is a failure in CI): {e}', file=sys.stderr)
            sys.exit(EXIT_FAIL)
        print(f'SKIP: {e}', file=sys.stderr)
        sys.exit(EXIT_SKIP)
    except Failure as e:
        print(f'FAIL: {e}', file=sys.stderr)
        sys.exit(EXIT_FAIL)
    sys.exit(EXIT_PASS)
