#!/usr/bin/env python3
"""VM test of issue #15 (reach and hand-off) on the real recovery media.

boot-options-usb: qemu boots with server options on the kernel command line (no
lifeline.remote=auto) and a FAT USB stick (a second virtual disk). The person opens Remote
Connection with the local key (qemu send-key); the port lies in lifeline.port-range, the server
runs in lifeline.security=tls, and the real xfreerdp that connects finds the session view-only
(lifeline.view-only=yes): the boot options reached the server the console started. Then the
person presses S on the panel (Save to USB stick): lifeline-handoff opens in a pane, lists the
stick, and the person types its number and Enter; the host reads the files back with mtools
(no mount) and finds the guest's connection.json and the .rdp for its port.

reverse: the guest reaches the helpdesk's bastion and nothing else: qemu's user network is
restricted, with no forward from the host to the guest at all, and a guestfwd that takes
10.0.2.100:22 to an sshd the test starts on the host's loopback (its own config and host key,
AllowTcpForwarding remote, GatewayPorts no; tests/integration/test_reach.py Bastion). Booted with
lifeline.reverse=root@10.0.2.100:22 and the bastion's host key pinned with
lifeline.reverse-host-key=, the person opens Remote Connection; the bastion refuses the machine
key the panel shows until the test authorises that key; then the panel shows the bastion-side
port, and the real xfreerdp connects to that port on the host's loopback with the ticket and
shows exactly what qemu's screendump shows.

Usage: test_vm_reach.py SCENARIO  (exit 0 pass, 1 fail, 77 skip)
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shellvm  # noqa: E402
import test_vm_shell  # noqa: E402
from test_vm_shell import Run, check  # noqa: E402

BOOT_OPTIONS = 'lifeline.port-range=50310-50319 lifeline.security=tls lifeline.view-only=yes'
BASTION_ADDR = '10.0.2.100'  # in qemu's user network: the guestfwd to the host's sshd


class ReachRun(Run):
    bastion = None

    def boot_reach(self, append, disks=(), netdev_extra=()):
        kernel, initrd = shellvm.find_media(test_vm_shell.ROOT)
        if not shutil.which('qemu-system-x86_64'):
            raise shellvm.Skip('qemu-system-x86_64 is not installed')
        self.guest = shellvm.Guest(kernel, initrd, append=append, log=self.log,
                                   disks=disks, netdev_extra=netdev_extra)
        m = self.guest.wait_serial(r'lifeline-shell: on screen \((\w+) (\d+)x(\d+)\)',
                                   test_vm_shell.BOOT_TIMEOUT)
        self.log('shell on screen: %s' % m.group(0))
        self.w, self.h_px = int(m.group(2)), int(m.group(3))

    def cleanup(self, failed):
        if self.bastion:
            self.bastion.stop()
        super().cleanup(failed)


def scenario_boot_options_usb(r):
    for tool in ('mkfs.vfat', 'mcopy'):
        if not shutil.which(tool):
            raise shellvm.Skip('%s is not installed (dosfstools, mtools)' % tool)
    work = os.environ.get('LIFELINE_VM_DIR') or '/tmp'
    stick = os.path.join(work, 'reach-stick.img')
    with open(stick, 'wb') as f:
        f.truncate(32 << 20)
    subprocess.run(['mkfs.vfat', '-n', 'HELPDESK', stick], check=True, capture_output=True,
                   timeout=30)
    r.boot_reach(BOOT_OPTIONS, disks=[(stick, 'handoff')])
    r.open_remote_locally()
    check(50310 <= r.port <= 50319, 'port %d is outside lifeline.port-range' % r.port)
    info = json.loads(r.guest.shell('cat /run/lifeline/connection.json'))
    check(info.get('security') == 'tls', 'lifeline.security=tls did not arrive: %r' %
          info.get('security'))
    mark = r.guest.mark()
    r.connect_client()
    m = r.guest.wait_serial(r'remote in-use peer=\S+ view_only=(\d)', 30, after=mark)
    check(m.group(1) == '1', 'lifeline.view-only=yes did not arrive: %s' % m.group(0))
    log = r.guest.shell('cat /run/lifeline-server.log')
    check(re.search(r'boot options from /proc/cmdline: port-range,security,view-only', log),
          'the server started by the key did not take the boot options: %s' % log[-600:])
    r.log('boot options reached the server started by the key: port %d, tls, view-only'
          % r.port)

    # the stick is the only FAT filesystem: number 1 in the dialog
    listed = r.guest.shell('lifeline-handoff --list').strip().splitlines()
    r.log('lifeline-handoff --list: %s' % ' | '.join(listed))
    check(len(listed) == 1 and 'HELPDESK' in listed[0], 'not the stick alone: %r' % listed)
    stick_dev = r.guest.shell('readlink -f /dev/disk/by-id/virtio-handoff').strip()
    check(listed[0].split('\t')[0] == stick_dev, 'the listed device is not the stick (%s): %r'
          % (stick_dev, listed))

    # the person presses S on the panel, then the stick's number and Enter in the pane
    mark = r.guest.mark()
    r.guest.send_key('s')
    r.guest.wait_serial(r'lifeline-shell: pane handoff\n', 60, after=mark)
    r.guest.wait_screen(lambda img: img.count((0, 0, 0), (r.w // 3, r.h_px // 8, r.w,
                                                          r.h_px // 2), tol=8) > 10000,
                        60, 'no terminal pane on the guest screen after S')
    r.guest.send_key('1')
    r.guest.send_key('ret')
    m = r.guest.wait_serial(r'lifeline-shell: pane handoff exited (-?\d+)', 120, after=mark)
    img = r.guest.screendump()
    r.log('the pane after lifeline-handoff: %s' % img.path)
    check(m.group(1) == '0', 'lifeline-handoff in the pane exited %s (screen: %s)'
          % (m.group(1), img.path))
    r.log('S on the panel wrote the stick (lifeline-handoff in a pane, exit 0)')
    mounts = r.guest.shell('cat /proc/mounts')
    check('lifeline-handoff' not in mounts, 'the stick is still mounted: %s' % mounts)

    def from_stick(name):
        return subprocess.run(['mcopy', '-n', '-i', stick, '::' + name, '-'], check=True,
                              capture_output=True, timeout=30).stdout
    on_stick = json.loads(from_stick('lifeline-connection.json'))
    check(on_stick == info, 'the JSON on the stick differs from the guest\'s connection.json')
    rdp = from_stick('lifeline-connection.rdp').decode()
    check(':%d\r\n' % r.port in rdp and 'enablecredsspsupport:i:0' in rdp,
          'the .rdp file does not fit the session: %r' % rdp)
    line = from_stick('lifeline-connection.txt').decode().strip()
    check(line == info['xfreerdp'], 'the command on the stick is not the guest\'s')
    r.log('the stick holds the .rdp, the JSON and the command of this session')


def ppm_image(img):
    """A shellvm.Image (qemu's screendump) as a harness.Image, to compare with the client."""
    import harness
    px = img.px[:img.w * img.h * 3]
    return harness.Image(img.w, img.h, px[0::3], px[1::3], px[2::3])


def differing(a, b):
    """Pixels that differ between two harness.Images of one size; -1 when the sizes differ."""
    if (a.w, a.h) != (b.w, b.h):
        return -1
    n = 0
    for y in range(a.h):
        s = slice(y * a.w, (y + 1) * a.w)
        rows = [(pa[s], pb[s]) for pa, pb in zip(a.planes, b.planes)]
        if any(ra != rb for ra, rb in rows):
            n += sum(1 for x in range(a.w) if any(ra[x] != rb[x] for ra, rb in rows))
    return n


def scenario_reverse(r):
    import harness
    import test_reach
    for tool in ('ssh-keygen', 'socat', 'xfreerdp', 'Xvfb', 'xdotool', 'xwd'):
        if not shutil.which(tool):
            raise shellvm.Skip('%s is not installed' % tool)
    if not os.path.exists('/usr/sbin/sshd'):
        raise shellvm.Skip('no /usr/sbin/sshd (openssh-server)')
    if os.geteuid() != 0:
        raise shellvm.Skip('the bastion\'s sshd needs root here')
    r.h = harness.Harness()
    r.bastion = test_reach.Bastion(r.h)
    host_key = r.bastion.public_host_key().replace(' ', ':')
    append = ('lifeline.reverse=root@%s:22 lifeline.reverse-host-key=%s'
              % (BASTION_ADDR, host_key))
    # restrict=on: the guest reaches only this; the host reaches the guest through nothing
    fwd = 'guestfwd=tcp:%s:22-cmd:socat STDIO TCP:127.0.0.1:%d' % (BASTION_ADDR,
                                                                    r.bastion.port)
    r.boot_reach(append, netdev_extra=(fwd,))
    mark = r.guest.mark()
    r.open_remote_locally()

    # refused until authorised: the panel shows the machine key; the test authorises that one
    m = r.guest.wait_serial(r'lifeline-shell: reverse state=down [^\n]*reason=[^\n]*'
                            r'[Dd]enied[^\n]*\n', 300, after=mark)
    r.log('before the key is authorised: %s' % m.group(0).strip())
    key = r.guest.wait_serial(r'lifeline-shell: reverse machine-key=(ssh-ed25519 \S+)', 60,
                              after=mark).group(1)
    t0 = time.monotonic()
    r.bastion.authorise(key)
    m = r.guest.wait_serial(r'lifeline-shell: reverse state=up bastion=(\S+) port=(\d+)', 300,
                            after=mark)
    port = int(m.group(2))
    r.log('tunnel up %.0f s after the key was authorised: %s, bastion port %d (the server '
          'listens on guest port %d)' % (time.monotonic() - t0, m.group(1), port, r.port))
    check(m.group(1).startswith('root@%s' % BASTION_ADDR), 'another bastion: %s' % m.group(0))
    usernet = r.guest.vm.hmp('info usernet')
    check('HOST_FORWARD' not in usernet, 'a forward to the guest exists:\n%s' % usernet)

    # the helpdesk: the bastion-side port on the host's loopback, with the ticket
    r.d = r.h.xvfb(r.w + 64, r.h_px + 64)
    r.hp = port
    mark = r.guest.mark()
    r.connect_client()
    m = r.guest.wait_serial(r'remote in-use peer=(\S+)', 30, after=mark)
    check(m.group(1).startswith('127.0.0.1'), 'the helpdesk did not come through the tunnel: %s'
          % m.group(0))
    last = {}

    def same():
        dump = ppm_image(r.guest.screendump())
        try:
            shot = r.client.screenshot()
        except (harness.Failure, subprocess.TimeoutExpired):
            return None
        last['n'] = differing(dump, shot)
        last['dump'], last['shot'] = dump, shot
        return dump if last['n'] == 0 else None
    try:
        harness.wait_until(same, 120, 'the client to show what the guest shows', interval=0.5)
    except harness.Failure:
        if last:
            last['dump'].save_ppm(os.path.join(r.h.tmp, 'last-screendump.ppm'))
            last['shot'].save_ppm(os.path.join(r.h.tmp, 'last-client.ppm'))
        raise shellvm.Failure('the client never showed the guest\'s screen: last %s pixels '
                              'differ (%s/last-*.ppm)' % (last.get('n'), r.h.tmp))
    r.log('xfreerdp through the bastion shows exactly the guest\'s screen (%dx%d)'
          % (r.w, r.h_px))


SCENARIOS = {'boot-options-usb': scenario_boot_options_usb, 'reverse': scenario_reverse}

if __name__ == '__main__':
    sys.exit(test_vm_shell.main(SCENARIOS, make_run=ReachRun, prog='test_vm_reach.py'))
