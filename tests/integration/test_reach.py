#!/usr/bin/env python3
"""Integration tests of issue #15 (reach and hand-off): what leaves the console without dictation.

qr-connects: lifeline-shell (headless display) starts the real lifeline-server on the test picture
and draws the Remote Connection panel; the QR code is decoded from the PNG screenshot with zbarimg
(zbar-tools), and the command it carries starts the real xfreerdp, which gets in with the ticket,
pins the certificate and shows the exact test picture.
"""

import json
import os
import re
import shlex
import signal
import subprocess
import time
import types

import harness
from harness import check

STATIC = 'test:size=1024x768,mode=static'


class ShellServer:
    """The server that lifeline-shell started: ended by its pid when the test finishes."""

    def __init__(self, h, shell_log):
        m = re.search(r'started lifeline-server \(pid (\d+)\)', shell_log)
        check(m, 'the shell did not start lifeline-server')
        self.pid = int(m.group(1))
        h.log(f'the shell started lifeline-server pid {self.pid}')

    def stop(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def shell_panel(h, png, port):
    """Runs lifeline-shell until its first frame with the ticket; returns (state dir, server)."""
    shell = os.environ.get('LIFELINE_SHELL', '')
    check(os.access(shell, os.X_OK), f'LIFELINE_SHELL={shell!r} is not an executable')
    state = os.path.join(h.tmp, 'st')
    argv = [shell, '--display=headless', '--size=1024x768', '--no-input', '--no-vt',
            '--tools-dir=' + os.environ.get('LIFELINE_SHELL_TOOLS', ''),
            '--socket=' + os.path.join(state, 'control.sock'), '--server=' + h.server_bin,
            '--server-arg=--state-dir=' + state, '--server-arg=--capture=' + STATIC,
            '--server-arg=--injector=recording:path=' + os.path.join(h.tmp, 'rec.txt'),
            # every address: the command in the code names the machine's best one
            f'--server-arg=--port-range={port}',
            '--server-log=' + os.path.join(h.tmp, 'server.log'),
            '--run-dir=' + h.tmp, '--cmdline=/dev/null', '--hostname=recovery-pc',
            '--open=remote', '--screenshot=' + png, '--exit-after-frame']
    p = h.spawn('shell', argv)
    try:
        rc = p.wait(60)
    finally:
        srv = ShellServer(h, p.output())
        h.cleanup_extra.append(srv)
    check(rc == 0, f'lifeline-shell exited with {rc}')
    return state, srv


def decode_qr(h, png):
    r = subprocess.run(['zbarimg', '--quiet', '--raw', png], capture_output=True, timeout=30)
    check(r.returncode == 0, f'zbarimg found no code in {png}: {r.stderr.decode()}')
    text = r.stdout.decode('utf-8')
    h.log('decoded %d bytes: %r' % (len(text), re.sub(r'/p:\S+', '/p:***', text)))
    return text


def qr_connects(h):
    h.require_tools('zbarimg')
    d = h.xvfb()
    png = os.path.join(h.tmp, 'panel.png')
    port = harness.free_port()
    state, srv = shell_panel(h, png, port)
    with open(os.path.join(state, 'connection.json')) as f:
        info = json.load(f)
    text = decode_qr(h, png)
    lines = text.rstrip('\n').split('\n')
    argv = shlex.split(lines[0])
    check(os.path.basename(argv[0]) == 'xfreerdp', f'the code does not run xfreerdp: {argv[0]}')
    check(f'/p:{info["ticket"]}' in argv, 'the code does not carry the ticket')
    check(f'/cert:deny,fingerprint:sha256:{info["sha256_fingerprint"]}' in argv,
          'the code does not pin the certificate')
    check(any(a.startswith('/v:') and a.endswith(f':{port}') for a in argv),
          f'the code does not carry the port {port}')
    others = info['addresses'][1:]
    if others:
        check(len(lines) == 2 and lines[1] == '# other addresses: ' + ' '.join(others),
              f'the other addresses are not in the code: {lines[1:]}')

    ctl = harness.Control(h, os.path.join(state, 'control.sock'))
    ctl.event('state', 5)
    t0 = time.monotonic()
    # the decoded command as it is; only the picture codec for an exact comparison
    c = h.client(d, types.SimpleNamespace(width=1024, height=768), argv=argv + ['-gfx', '/bpp:32'])
    c.wait_window()
    c.wait_pattern_exact()
    ev = ctl.event('connected', 10)
    h.log(f'connected with the decoded command as {ev.get("user")!r} from {ev.get("peer")}: '
          f'exact picture after {(time.monotonic() - t0) * 1000:.0f} ms')

    # a code for another certificate is refused (the pin is enforced, not decoration)
    c.stop()
    ctl.event('disconnected', 10)
    bad = [a if not a.startswith('/cert:') else
           '/cert:deny,fingerprint:sha256:' + ':'.join(['00'] * 32) for a in argv]
    c2 = h.client(d, None, argv=bad + ['-gfx', '/bpp:32'], name='xfreerdp-wrong-pin')
    rc = c2.wait_exit(30)
    check(rc != 0, 'xfreerdp with a wrong pin connected')
    check(len(ctl.events('connected')) == 1, 'a connected event for the wrong pin')


def run(main):
    """harness.run, plus the servers the shell starts (not the harness's own processes)."""
    def wrapped(h):
        h.cleanup_extra = []
        try:
            main(h)
        finally:
            for s in h.cleanup_extra:
                s.stop()
    harness.run(wrapped)


SCENARIOS = {'qr-connects': qr_connects}

if __name__ == '__main__':
    import sys
    name = sys.argv[1] if len(sys.argv) > 1 else ''
    if name not in SCENARIOS:
        print(f'usage: {sys.argv[0]} {"|".join(SCENARIOS)}', file=sys.stderr)
        sys.exit(harness.EXIT_FAIL)
    run(SCENARIOS[name])
