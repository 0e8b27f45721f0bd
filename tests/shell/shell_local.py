"""lifeline-shell against the real lifeline-server, on this machine (no VM, no devices).

The shell runs with the headless display and no input devices; it starts the server (test capture
source, recording injector) exactly as on the console, and writes its marker lines to an
--announce file that the scenarios follow.  Python 3 standard library only; every wait is
bounded; every process started here is ended by its pid.

Usage: shell_local.py SCENARIO   (exit 0 pass, 1 fail, 77 skip)
"""

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import zlib

EXIT_PASS, EXIT_FAIL, EXIT_SKIP = 0, 1, 77


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class Env:
    def __init__(self):
        self.shell = os.environ.get('LIFELINE_SHELL')
        self.server = os.environ.get('LIFELINE_SERVER')
        self.tools = os.environ.get('LIFELINE_SHELL_TOOLS')
        if not (self.shell and self.server and self.tools):
            raise SystemExit(EXIT_SKIP)
        # short path: the control socket must fit in sun_path
        self.dir = tempfile.mkdtemp(prefix='llsh-', dir='/tmp')
        self.state = os.path.join(self.dir, 'st')
        self.socket = os.path.join(self.state, 'control.sock')
        self.announce = os.path.join(self.dir, 'announce.log')
        self.server_log = os.path.join(self.dir, 'server.log')
        self.procs = []
        self.server_pids = set()
        self.logs = []
        self.on_cleanup = None

    def start_shell(self, *extra, name='shell'):
        err = os.path.join(self.dir, '%s-%d.err' % (name, len(self.procs)))
        args = [self.shell, '--display=headless', '--size=1024x768', '--no-input',
                '--tools-dir=' + self.tools, '--announce=' + self.announce,
                '--socket=' + self.socket, '--server=' + self.server,
                '--server-arg=--state-dir=' + self.state,
                '--server-arg=--capture=test:size=1024x768,mode=static',
                '--server-arg=--injector=recording:path=' + os.path.join(self.dir, 'input.log'),
                '--server-arg=--bind=127.0.0.1', '--server-log=' + self.server_log,
                '--hostname=recovery-pc', '--address=192.0.2.10'] + list(extra)
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=open(err, 'w'))
        self.procs.append(p)
        self.logs.append(err)
        return p

    def read_announce(self):
        try:
            with open(self.announce) as f:
                return f.read()
        except FileNotFoundError:
            return ''

    def wait_line(self, pattern, after=0, timeout=30):
        """Waits for a marker line matching `pattern` at offset >= after; returns the match."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < deadline:
            text = self.read_announce()
            m = rx.search(text, after)
            if m:
                return m
            time.sleep(0.05)
        raise Failure('no line matching %r in %ss' % (pattern, timeout))

    def note_server_pid(self):
        for log in self.logs:
            with open(log) as f:
                for m in re.finditer(r'started lifeline-server \(pid (\d+)\)', f.read()):
                    self.server_pids.add(int(m.group(1)))

    def control(self, command):
        """Sends one command on the control socket as a second client; returns the reply."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.socket)
        f = s.makefile('rwb')
        json.loads(f.readline())  # the greeting state event
        f.write((json.dumps(command) + '\n').encode())
        f.flush()
        reply = json.loads(f.readline())
        s.close()
        return reply

    def cleanup(self, failed):
        self.note_server_pid()
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        for pid in self.server_pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        if self.on_cleanup:
            self.on_cleanup()
        if failed:
            for path in self.logs + [self.announce, self.server_log]:
                if os.path.exists(path):
                    print('---- %s' % path)
                    with open(path, errors='replace') as f:
                        print(f.read())


def scenario_remote_panel(e):
    """Remote Connection picked at start: the server starts, the ticket is drawn, the marker
    line carries ticket, port and addresses, and the screenshot is written."""
    png = os.path.join(e.dir, 'remote.png')
    p = e.start_shell('--open=remote', '--screenshot=' + png, '--exit-after-frame')
    check(p.wait(60) == 0, 'shell exited with %s' % p.returncode)
    m = e.wait_line(r'remote waiting ticket=(\d{3}-\d{3}-\d{3}) port=(\d+) addresses=(\S*) '
                    r'sha256=([0-9A-F:]+)')
    e.wait_line(r'ticket on screen [0-9.]+ s after start')
    with open(os.path.join(e.state, 'connection.json')) as f:
        info = json.load(f)
    check(info['ticket'] == m.group(1), 'ticket differs from connection.json')
    check(int(m.group(2)) == info['port'], 'port differs')
    check(m.group(4) == info['sha256_fingerprint'], 'fingerprint differs')
    check(os.path.getsize(png) > 10000, 'no screenshot')
    # the server keeps running after the shell is gone (a session survives a shell restart)
    e.note_server_pid()
    check(len(e.server_pids) == 1, 'server pid not logged')
    pid = next(iter(e.server_pids))
    os.kill(pid, 0)


def scenario_restart_attach(e):
    """A shell killed by SIGKILL is restarted: the new one attaches to the running server and
    shows the same ticket; then an end-session on the socket reaches it as 'ended'."""
    p = e.start_shell('--open=remote')
    first = e.wait_line(r'remote waiting ticket=(\S+) port=(\d+)')
    e.wait_line(r'ticket on screen')
    e.note_server_pid()
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    mark = len(e.read_announce())
    p2 = e.start_shell()
    second = e.wait_line(r'remote waiting ticket=(\S+) port=(\d+)', after=mark)
    check(second.group(1) == first.group(1) and second.group(2) == first.group(2),
          'the restarted shell shows another ticket')
    check(p2.poll() is None, 'restarted shell died')
    reply = e.control({'command': 'end-session'})
    check(reply.get('reply') == 'ok', 'end-session: %r' % reply)
    e.wait_line(r'remote ended', after=mark)
    reply = e.control({'command': 'new-ticket'})
    check(reply.get('reply') == 'ok', 'new-ticket: %r' % reply)
    third = e.wait_line(r'remote waiting ticket=(\S+)', after=second.end())
    check(third.group(1) != first.group(1), 'new ticket equals the old one')


def scenario_events(e):
    """Failed attempts and view-only from the server show up in the shell."""
    e.start_shell('--open=remote')
    e.wait_line(r'ticket on screen')
    reply = e.control({'command': 'view-only', 'enabled': True})
    check(reply.get('reply') == 'ok', 'view-only: %r' % reply)
    e.wait_line(r'view-only on')
    reply = e.control({'command': 'view-only', 'enabled': False})
    e.wait_line(r'view-only off')


def scenario_bad_options(e):
    """An unknown display backend and bad options are errors (exit 2) with a message."""
    for args in (['--display=vnc'], ['--size=12'], ['--nonsense'], ['extra-arg']):
        p = subprocess.run([e.shell, '--no-input'] + args, stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=20,
                           env=dict(os.environ, LIFELINE_SHELL_DISPLAY='headless'))
        check(p.returncode == 2, '%s: exit %s' % (args, p.returncode))
        check('lifeline-shell' in p.stderr or 'Usage' in p.stderr, '%s: no message' % args)
    p = subprocess.run([e.shell, '--no-input', '--no-vt'], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=20,
                       env=dict(os.environ, LIFELINE_SHELL_DISPLAY='nonesuch'))
    check(p.returncode == 2 and 'unknown display backend' in p.stderr,
          'LIFELINE_SHELL_DISPLAY=nonesuch: %s %r' % (p.returncode, p.stderr))
    p = subprocess.run([e.shell, '--version'], capture_output=True, text=True, timeout=20)
    check(p.returncode == 0 and p.stdout.startswith('lifeline-shell '), 'version')


BOOT_OPTIONS = {
    # lifeline.NAME on the kernel command line: (value, the status field, the value it shows)
    'port-range': ('50300-50309', 'port_range', '50300-50309'),
    'expire': ('20m', 'expire_ms', 20 * 60 * 1000),
    'security': ('tls', 'security', 'tls'),
    'max-failures': ('4', 'max_failures', 4),
    'failure-delay': ('250ms', 'failure_delay_ms', 250),
    'handshake-timeout': ('9s', 'handshake_timeout_ms', 9000),
    'view-only': ('yes', 'view_only', True),
    'max-fps': ('12', 'max_fps', 12),
    'idle-fps': ('3', 'idle_fps', 3),
    'gfx': ('no', 'gfx', False),
    'max-paste': ('4096', 'max_paste', 4096),
}


def status(e):
    """The server's state event, asked for with the status command on the control socket."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(e.socket)
    f = s.makefile('rwb')
    json.loads(f.readline())  # the greeting
    f.write(b'{"command":"status"}\n')
    f.flush()
    check(json.loads(f.readline()).get('reply') == 'ok', 'status refused')
    ev = json.loads(f.readline())
    s.close()
    check(ev.get('event') == 'state', 'no state event: %r' % ev)
    return ev


def scenario_boot_options(e):
    """Options on the kernel command line reach the server that the console starts when the
    user picks Remote Connection (not only with lifeline.remote=auto): the server's status on
    the control socket shows each of them, and the connection info follows them. A bad one is
    an error the console reports; lifeline.announce= stays the console's marker device."""
    cmdline = os.path.join(e.dir, 'cmdline')
    words = ['BOOT_IMAGE=/live/vmlinuz', 'console=ttyS0,115200', 'quiet', 'lifeline.keymap=us',
             'lifeline.announce=/dev/ttyS0']
    words += ['lifeline.%s=%s' % (k, v[0]) for k, v in BOOT_OPTIONS.items()]
    with open(cmdline, 'w') as f:
        f.write(' '.join(words) + '\n')
    e.start_shell('--cmdline=' + cmdline, '--open=remote')
    m = e.wait_line(r'remote waiting ticket=(\S+) port=(\d+)')
    port = int(m.group(2))
    check(50300 <= port <= 50309, 'port %d is outside lifeline.port-range' % port)
    ev = status(e)
    opts = ev.get('options') or {}
    print('status options: %s' % json.dumps(opts, sort_keys=True))
    for name, (value, field, shown) in BOOT_OPTIONS.items():
        check(opts.get(field) == shown, 'lifeline.%s=%s: status shows %s=%r' %
              (name, value, field, opts.get(field)))
    check(sorted(opts.get('from_kernel_cmdline', [])) == sorted(BOOT_OPTIONS),
          'from_kernel_cmdline: %r' % opts.get('from_kernel_cmdline'))
    # the shell's own --server-arg values win over the boot line (the test picture, loopback)
    check(opts.get('capture', '').startswith('test:') and opts.get('bind') == '127.0.0.1',
          'the --server-arg values did not win: %r' % opts)
    check(ev.get('view_only') is True, 'lifeline.view-only=yes: state says %r' % ev.get('view_only'))
    with open(os.path.join(e.state, 'connection.json')) as f:
        info = json.load(f)
    check(info.get('security') == 'tls', 'connection.json security=%r' % info.get('security'))
    e.wait_line(r'ticket on screen')

    # a bad boot option: the server refuses to start and says which one
    e.note_server_pid()
    for pid in e.server_pids:
        os.kill(pid, signal.SIGTERM)
    for p in e.procs:
        p.send_signal(signal.SIGTERM)
        p.wait(10)
    deadline = time.monotonic() + 10
    while os.path.exists(e.socket) and time.monotonic() < deadline:
        time.sleep(0.05)
    with open(cmdline, 'w') as f:
        f.write('quiet lifeline.port-range=9-1\n')
    mark = len(e.read_announce())
    e.start_shell('--cmdline=' + cmdline, '--open=remote')
    e.wait_line(r'remote (failed|error|off)[^\n]*', after=mark, timeout=30)
    deadline = time.monotonic() + 10
    text = ''
    while time.monotonic() < deadline and 'lifeline.port-range' not in text:
        with open(e.server_log, errors='replace') as f:
            text = f.read()
        time.sleep(0.1)
    check('invalid lifeline.port-range' in text, 'the server log does not name the bad boot '
          'option: %r' % text[-500:])


def png_rows(path):
    """The RGB rows of an 8-bit RGB or RGBA PNG (what cairo writes), as lists of (r, g, b)."""
    with open(path, 'rb') as f:
        data = f.read()
    check(data[:8] == b'\x89PNG\r\n\x1a\n', '%s is no PNG' % path)
    pos, idat, w = 8, b'', 0
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
            check(depth == 8 and ctype in (2, 6), 'PNG type %d/%d' % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
    for y in range(h):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return rows


def changes_band(w, h):
    """Where recovery-shell/render.c draws "Changes made with the tools" (no session banner):
    x range and y range of its heading and three lines."""
    u = max(12, min(72, min(h // 40, w // 56)))
    header_h, list_w = u * 5 // 2, min(u * 16, w // 3)
    content_y = header_h + u * 2
    button_y = content_y + (h - content_y) - (u * 2 + u // 2) - u
    top = button_y - u * 2 - 4 * u
    return (list_w + u * 3 // 2, w - u * 3 // 2), (top, top + 4 * u)


def dark_pixels(rows, band):
    (x0, x1), (y0, y1) = band
    return sum(1 for y in range(y0, y1) for x in range(x0, x1) if sum(rows[y][x]) < 200)


AUDIT_LINES = [
    '2026-12-07T06:50:01Z debian-11111111 fsck (keyboard): repaired /dev/sda2',
    '2026-12-07T06:54:50Z debian-11111111 locksmith (helpdesk): new password for root',
    '2026-12-07T06:55:12Z debian-11111111 locksmith (helpdesk): unlocked \x1b[31manna\u202e',
    '2026-12-07T06:58:40Z debian-11111111 bootrepair (helpdesk): GRUB reinstalled',
]


def fake_tools(e):
    """A tools directory whose Shell (opened at start) writes its environment and waits."""
    d = os.path.join(e.dir, 'tools')
    os.mkdir(d)
    with open(os.path.join(d, 'shell'), 'w') as f:
        f.write('#!/bin/sh\nenv > "%s/pane.env"\nexec cat\n' % e.dir)
    os.chmod(os.path.join(d, 'shell'), 0o755)
    return d


def scenario_audit_panel(e):
    """The tools' audit log on the Remote Connection panel: its last three lines at start
    (drawn: the screenshot has text where the block goes, none without a log), a line a tool
    appends later shows at once (inotify; no clock tick runs with --clock), panes get
    LIFELINE_PANE=1, and a run directory that cannot be written does not stop the console."""
    run = os.path.join(e.dir, 'run')
    os.mkdir(run, 0o700)
    tools = fake_tools(e)
    log = os.path.join(run, 'audit.log')
    with open(log, 'w') as f:
        f.write(''.join(line + '\n' for line in AUDIT_LINES))
    png = os.path.join(e.dir, 'audit.png')
    p = e.start_shell('--open=remote', '--screenshot=' + png, '--exit-after-frame',
                      '--run-dir=' + run, '--tools-dir=' + tools, '--clock=1700000000')
    check(p.wait(60) == 0, 'shell exited with %s' % p.returncode)
    m = e.wait_line(r'changes lines=(\d+) last=(.*)\n')
    check(m.group(1) == '3', 'changes lines=%s, not 3' % m.group(1))
    check(m.group(2) == AUDIT_LINES[3], 'last change shown as %r' % m.group(2))
    e.wait_line(r'ticket on screen')
    rows = png_rows(png)
    band = changes_band(1024, 768)
    shown = dark_pixels(rows, band)
    print('screenshot %s: %d dark pixels where the changes go' % (png, shown))
    check(shown > 1500, 'no audit lines drawn in %s (%d dark pixels)' % (png, shown))
    check(os.path.exists(os.path.join(e.dir, 'pane.env')), 'the Shell pane did not start')
    with open(os.path.join(e.dir, 'pane.env')) as f:
        env = f.read().splitlines()
    check('LIFELINE_PANE=1' in env, 'no LIFELINE_PANE=1 in the pane: %r' % env)
    check('LIFELINE_TOOL=shell' in env, 'no LIFELINE_TOOL in the pane')

    # no log: nothing where the block goes
    os.unlink(log)
    mark = len(e.read_announce())
    png2 = os.path.join(e.dir, 'no-audit.png')
    p = e.start_shell('--open=remote', '--screenshot=' + png2, '--exit-after-frame',
                      '--run-dir=' + run, '--tools-dir=' + tools, '--clock=1700000000')
    check(p.wait(60) == 0, 'shell exited with %s' % p.returncode)
    e.wait_line(r'ticket on screen', after=mark)
    check(dark_pixels(png_rows(png2), band) == 0, 'something drawn where no changes are')

    # a running console: a line appended shows without a tick; the log removed, nothing
    mark = len(e.read_announce())
    e.start_shell('--open=remote', '--run-dir=' + run, '--tools-dir=' + tools,
                  '--clock=1700000000')
    e.wait_line(r'ticket on screen', after=mark)
    new = '2026-12-07T07:01:02Z debian-11111111 fstab (helpdesk): commented out /data'
    with open(log, 'a') as f:
        f.write(AUDIT_LINES[0] + '\n')
    e.wait_line(r'changes lines=1 last=%s\n' % re.escape(AUDIT_LINES[0]), after=mark, timeout=10)
    with open(log, 'a') as f:
        f.write(new + '\n')
    e.wait_line(r'changes lines=2 last=%s\n' % re.escape(new), after=mark, timeout=10)
    os.unlink(log)
    e.wait_line(r'changes lines=0 last=\n', after=mark, timeout=10)

    # /run not writable (tests as non-root, or a read-only place): the console still comes up
    mark = len(e.read_announce())
    p = e.start_shell('--run-dir=/proc/lifeline-nonesuch', '--tools-dir=' + tools,
                      '--screenshot=' + os.path.join(e.dir, 'ro.png'), '--exit-after-frame')
    check(p.wait(60) == 0, 'shell with an unwritable run dir exited with %s' % p.returncode)
    e.wait_line(r'on screen', after=mark)


def scenario_reverse_panel(e):
    """The tunnel through the helpdesk's bastion reaches the panel (what the VM test
    shell-vm-reach-reverse follows on the serial line): an sshd started here refuses the machine
    key the console announces until the test authorises it, then the console announces the
    bastion-side port, and that port leads to the server."""
    if not os.path.exists('/usr/sbin/sshd') or os.geteuid() != 0:
        raise SystemExit(EXIT_SKIP)
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                    'integration'))
    import harness
    import test_reach
    h = harness.Harness()
    e.on_cleanup = h.cleanup
    bastion = test_reach.Bastion(h)
    e.start_shell('--open=remote', '--server-arg=--reverse=root@127.0.0.1:%d' % bastion.port,
                  '--server-arg=--reverse-host-key=' + bastion.public_host_key())
    m = e.wait_line(r'remote waiting ticket=(\S+) port=(\d+)')
    port = int(m.group(2))
    m = e.wait_line(r'reverse state=down bastion=root@127\.0\.0\.1:%d [^\n]*'
                    r'reason=[^\n]*[Dd]enied' % bastion.port)
    print(m.group(0))
    key = e.wait_line(r'reverse machine-key=(ssh-ed25519 \S+ \S+)\n').group(1)
    rv = status(e).get('reverse') or {}
    check(rv.get('machine_key') == key, 'the key announced is not the server\'s: %r' % rv)
    bastion.authorise(key)
    m = e.wait_line(r'reverse state=up bastion=\S+ port=(\d+) ', timeout=60)
    print(m.group(0))
    tunnel = int(m.group(1))
    check(tunnel != port, 'the bastion port is the server port')
    # the bastion-side port leads to the RDP server (its X.224 answer to a connection request)
    s = socket.create_connection(('127.0.0.1', tunnel), timeout=10)
    s.sendall(bytes.fromhex('030000130ee00000000000010008000b000000'))
    reply = s.recv(64)
    s.close()
    check(reply[:1] == b'\x03' and len(reply) >= 11 and reply[5] == 0xd0,
          'no RDP server behind the bastion port: %r' % reply)

    # the server stops on SIGTERM and its ssh goes with it: the tunnel never outlives it
    def gone(pid):
        try:
            with open('/proc/%d/stat' % pid) as f:
                return f.read().rsplit(')', 1)[1].split()[0] == 'Z'
        except FileNotFoundError:
            return True

    def wait_gone(pid, what):
        deadline = time.monotonic() + 10
        while not gone(pid):
            check(time.monotonic() < deadline, '%s (pid %d) still runs 10 s after the '
                  'server was told to stop' % (what, pid))
            time.sleep(0.05)

    ssh = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                argv = f.read().split(b'\0')
        except OSError:
            continue
        if argv and argv[0].endswith(b'ssh') and any(e.state.encode() in a for a in argv):
            ssh.append(int(pid))
    check(len(ssh) == 1, 'not one ssh for this server: %r' % ssh)
    e.note_server_pid()
    server = next(iter(e.server_pids))
    os.kill(server, signal.SIGTERM)
    wait_gone(server, 'lifeline-server')
    wait_gone(ssh[0], 'its ssh')
    bastion.stop()


SCENARIOS = {
    'remote-panel': scenario_remote_panel,
    'restart-attach': scenario_restart_attach,
    'events': scenario_events,
    'bad-options': scenario_bad_options,
    'audit-panel': scenario_audit_panel,
    'boot-options': scenario_boot_options,
    'reverse-panel': scenario_reverse_panel,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        print('usage: shell_local.py {%s}' % ','.join(SCENARIOS), file=sys.stderr)
        return EXIT_FAIL
    e = Env()
    failed = True
    try:
        SCENARIOS[sys.argv[1]](e)
        failed = False
        print('PASS %s' % sys.argv[1])
        return EXIT_PASS
    except Failure as ex:
        print('FAIL %s: %s' % (sys.argv[1], ex))
        return EXIT_FAIL
    except Exception:
        traceback.print_exc()
        return EXIT_FAIL
    finally:
        e.cleanup(failed)


if __name__ == '__main__':
    sys.exit(main())
