#!/usr/bin/env python3
"""Remote Connection at boot, end to end: the guest starts lifeline-server from the kernel
command line and prints the connection info on the serial line; the host forwards a loopback
port to it and the real xfreerdp (under Xvfb) logs in with the ticket.

usage: test_remote.py menu      ISO under BIOS; the GRUB menu entry "Remote Connection at
                                start" is picked with keys sent through QMP
       test_remote.py options   kernel + initrd with lifeline.* options; they reach the server
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmharness  # noqa: E402
import vmimage  # noqa: E402
from vmharness import VM, Failure, Skip, check, log  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'integration'))
import harness  # noqa: E402

BOOT_TIMEOUT = float(os.environ.get('LIFELINE_VM_BOOT_TIMEOUT', '300'))
# TLS and NLA in a TCG guest take a few seconds per attempt
RDP_TIMEOUT = 120


def xvfb(h):
    """Xvfb for the client, through the integration harness (its -displayfd start)."""
    for tool in ('Xvfb', 'xfreerdp'):
        if subprocess.run(['sh', '-c', f'command -v {tool}'],
                          stdout=subprocess.DEVNULL).returncode != 0:
            msg = f'{tool} is missing (tools/install-deps image)'
            if os.environ.get('CI'):
                raise Failure(msg + '; the VM tier does not skip in CI')
            raise Skip(msg)
    return h.xvfb(1024, 768)


def client_env(display, home):
    return dict(os.environ, **display.env, HOME=home,
                XDG_CONFIG_HOME=os.path.join(home, 'config'))


def xfreerdp_argv(port, ticket, info, extra=()):
    return ['xfreerdp', f'/v:127.0.0.1:{port}', f'/u:{info.get("user", "helpdesk")}',
            f'/p:{ticket}', f'/cert:deny,fingerprint:sha256:{info["sha256_fingerprint"]}',
            f'/sec:{info.get("security", "nla")}', *extra]


def auth_only(x, home, port, ticket, info):
    argv = xfreerdp_argv(port, ticket, info, ['/auth-only'])
    t0 = time.monotonic()
    r = subprocess.run(argv, env=client_env(x, home), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=RDP_TIMEOUT)
    log(f'xfreerdp /auth-only /p:{ticket}: status {r.returncode} in {time.monotonic() - t0:.1f} s')
    return r


def boot_remote(vm):
    """Wait for the server's connection info; returns (info dict)."""
    vm.wait_for(r'LIFELINE-READY', BOOT_TIMEOUT, 'ready')
    m = vm.wait_for(r'LIFELINE-REMOTE (\{[^\n]*\})\n', BOOT_TIMEOUT, 'connection info',
                    fail_on=r'Kernel panic|LIFELINE-REMOTE-EXIT[^\n]*')
    info = json.loads(m.group(1))
    for key in ('ticket', 'port', 'sha256_fingerprint', 'addresses'):
        check(key in info, f'connection info without {key}: {info}')
    check('10.0.2.15' in info['addresses'], f'the guest address is not listed: {info}')
    # the human-readable form is on the serial line too (the server's own text)
    check(info['ticket'] in vm.text, 'the ticket is not on the serial line')
    return info


def connect(vm, info, workdir):
    port = vm.hostfwd_add(info['port'])
    home = os.path.join(workdir, f'{vm.name}-home')
    os.makedirs(home, exist_ok=True)
    h = harness.Harness()
    x = xvfb(h)
    try:
        # a wrong ticket is refused ...
        r = auth_only(x, home, port, '111-222-333', info)
        check(r.returncode != 0, 'xfreerdp logged in with a wrong ticket')
        vm.wait_for(r'lifeline-server: [^\n]*gave a wrong ticket', 60,
                    'the server reporting the failed attempt')
        # ... the right one is accepted, with or without dashes
        r = auth_only(x, home, port, info['ticket'], info)
        check(r.returncode == 0, f'xfreerdp /auth-only with the ticket failed ({r.returncode}): '
              f'{r.stderr.decode(errors="replace")[-2000:]}')
        vm.wait_for(r'lifeline-server: [^\n]*logged in with the ticket', 60,
                    'the server accepting the ticket')
        # the /auth-only session ends before the next one starts
        vm.wait_for(r'lifeline-server: [^\n]*helpdesk at [^\n]* disconnected', 60,
                    'the end of the /auth-only session')
        # and a full session comes up: the server reports the helpdesk connected
        client_log = open(os.path.join(workdir, f'{vm.name}-xfreerdp.log'), 'wb')
        client = subprocess.Popen(xfreerdp_argv(port, info['ticket'].replace('-', ''), info),
                                  env=client_env(x, home), stdin=subprocess.DEVNULL,
                                  stdout=client_log, stderr=subprocess.STDOUT)
        try:
            vm.wait_for(r'lifeline-server: [^\n]*logged in with the ticket', RDP_TIMEOUT,
                        'the ticket without dashes accepted')
            vm.wait_for(r'lifeline-server: [^\n]*helpdesk connected from', RDP_TIMEOUT,
                        'the session (helpdesk connected)')
            check(client.poll() is None, f'xfreerdp exited with {client.returncode}')
        finally:
            if client.poll() is None:
                os.kill(client.pid, signal.SIGTERM)
                try:
                    client.wait(10)
                except subprocess.TimeoutExpired:
                    os.kill(client.pid, signal.SIGKILL)
                    client.wait()
            client_log.close()
        vm.wait_for(r'lifeline-server: [^\n]*helpdesk at [^\n]* disconnected', 60, 'the disconnect')
    finally:
        h.cleanup()


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ''
    check(mode in ('menu', 'options'), 'usage: test_remote.py menu|options')
    m = vmimage.media()
    workdir = os.path.join(vmimage.vm_dir(), 'runs')
    if mode == 'menu':
        vm = VM('remote-menu', workdir, firmware='bios')
        vm.cdrom(m['iso'])
    else:
        vm = VM('remote-options', workdir, firmware='bios')
        vm.kernel(m['vmlinuz'], m['initrd'],
                  'console=tty0 console=ttyS0,115200 quiet lifeline.remote=auto '
                  'lifeline.port-range=50100-50109 lifeline.expire=20m lifeline.security=nla '
                  'lifeline.failure-delay=0 lifeline.keymap=de')
    with vm:
        vm.start()
        if mode == 'menu':
            vm.wait_for(r'Remote Connection at start', 120, 'the boot menu')
            vm.send_key('down')
            vm.send_key('ret')
        info = boot_remote(vm)
        log(f'{vm.name}: ticket {info["ticket"]} port {info["port"]} '
            f'at +{vm.elapsed():.1f} s')
        if mode == 'menu':
            cmdline = vm.shell('cat /proc/cmdline')
            check('lifeline.remote=auto' in cmdline, f'the menu entry was not picked: {cmdline}')
        if mode == 'options':
            check(50100 <= info['port'] <= 50109, f'port {info["port"]} not in 50100-50109')
            # the server reads the boot options itself (--kernel-cmdline) and says which
            args = vm.shell("tr '\\0' ' ' </proc/$(pidof lifeline-server)/cmdline")
            for want in ('--kernel-cmdline', '--state-dir=/run/lifeline'):
                check(want in args, f'lifeline-server was started without {want}: {args}')
            with vm.cond:
                m = re.search(r'boot options from /proc/cmdline: (\S+)', vm.text)
            check(m, 'the server did not say which boot options it took')
            taken = m.group(1).split(',')
            for want in ('port-range', 'expire', 'security', 'failure-delay'):
                check(want in taken, f'lifeline.{want} did not reach the server: {taken}')
        connect(vm, info, workdir)


if __name__ == '__main__':
    vmharness.run(main)
