"""Figures for lifeline-shell (a benchmark, not a test).

  render:  frame time of a full redraw at 1920x1080 and 3840x2160 (headless), and of the partial
           redraws the shell does most (tool list, terminal pane)
  local:   shell start -> first frame, Remote Connection -> ticket on screen (headless, real
           lifeline-server on its test source), resident memory of the shell with a Shell pane
  vm:      boot -> shell on screen (KMS), local key -> ticket on screen (needs the media; TCG
           unless QEMU_ACCEL is set)

Usage: bench_shell.py BUILD_DIR [--vm]
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))


def wait_for(path, pattern, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            m = re.search(pattern, open(path).read())
            if m:
                return m
        time.sleep(0.02)
    raise SystemExit('timed out waiting for %r' % pattern)


def rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        return int(re.search(r'VmRSS:\s+(\d+)', f.read()).group(1))


def local(build):
    shell = os.path.join(build, 'recovery-shell', 'lifeline-shell')
    server = os.path.join(build, 'server', 'lifeline-server')
    d = tempfile.mkdtemp(prefix='llb-', dir='/tmp')
    ann = os.path.join(d, 'announce')
    err = open(os.path.join(d, 'shell.err'), 'w')
    argv = [shell, '--display=headless', '--size=1920x1080', '--no-input',
            '--tools-dir=' + os.path.join(root, 'recovery-shell', 'tools'),
            '--announce=' + ann, '--socket=' + os.path.join(d, 'st', 'control.sock'),
            '--server=' + server, '--server-arg=--state-dir=' + os.path.join(d, 'st'),
            '--server-arg=--capture=test:mode=static', '--server-arg=--bind=127.0.0.1',
            '--server-arg=--injector=recording:path=' + os.path.join(d, 'input.log'),
            '--server-log=' + os.path.join(d, 'server.log'), '--open=remote']
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    try:
        first = wait_for(ann, r'on screen \(headless 1920x1080\) ([0-9.]+) s')
        ticket = wait_for(ann, r'ticket on screen ([0-9.]+) s')
        time.sleep(1)  # let the Shell pane start
        print('local: start -> first frame %.0f ms; start -> ticket on screen %.0f ms '
              '(includes starting lifeline-server)' % (float(first.group(1)) * 1000,
                                                       float(ticket.group(1)) * 1000))
        print('local: shell resident memory at 1920x1080 with a Shell pane: %.1f MiB'
              % (rss_kib(p.pid) / 1024))
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(10)
        err.close()
        m = re.search(r'started lifeline-server \(pid (\d+)\)',
                      open(os.path.join(d, 'shell.err')).read())
        if m:
            os.kill(int(m.group(1)), signal.SIGTERM)


def render(build):
    exe = os.path.join(build, 'tests', 'unit', 'shell', 'bench-shell-render')
    for size, frames in (('1920x1080', '60'), ('3840x2160', '20'), ('1024x768', '100')):
        print(subprocess.run([exe, size, frames], capture_output=True, text=True,
                             check=True).stdout.strip())


def vm():
    sys.path.insert(0, here)
    import shellvm
    kernel, initrd = shellvm.find_media(root)
    t0 = time.monotonic()
    g = shellvm.Guest(kernel, initrd)
    try:
        g.wait_serial(r'lifeline-shell: on screen \(kms', 900)
        boot = time.monotonic() - t0
        mark = g.mark()
        t1 = time.monotonic()
        g.send_key('1')
        g.wait_serial(r'ticket on screen', 300, after=mark)
        print('vm (%s): boot -> shell on screen %.1f s; key -> ticket on screen %.2f s'
              % (os.environ.get('QEMU_ACCEL', 'tcg'), boot, time.monotonic() - t1))
        m = re.search(r'lifeline-shell: on screen \(kms \S+\) ([0-9.]+) s after start',
                      g.serial)
        if m:
            print('vm: shell start -> first KMS frame %.2f s' % float(m.group(1)))
    finally:
        g.stop()


if __name__ == '__main__':
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    render(sys.argv[1])
    local(sys.argv[1])
    if '--vm' in sys.argv:
        vm()
