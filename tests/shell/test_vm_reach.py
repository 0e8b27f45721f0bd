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

Usage: test_vm_reach.py SCENARIO  (exit 0 pass, 1 fail, 77 skip)
"""

import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shellvm  # noqa: E402
import test_vm_shell  # noqa: E402
from test_vm_shell import Run, check  # noqa: E402

BOOT_OPTIONS = 'lifeline.port-range=50310-50319 lifeline.security=tls lifeline.view-only=yes'


class ReachRun(Run):
    def boot_reach(self, append, disks=()):
        kernel, initrd = shellvm.find_media(test_vm_shell.ROOT)
        if not shutil.which('qemu-system-x86_64'):
            raise shellvm.Skip('qemu-system-x86_64 is not installed')
        self.guest = shellvm.Guest(kernel, initrd, append=append, log=self.log,
                                   disks=disks)
        m = self.guest.wait_serial(r'lifeline-shell: on screen \((\w+) (\d+)x(\d+)\)',
                                   test_vm_shell.BOOT_TIMEOUT)
        self.log('shell on screen: %s' % m.group(0))
        self.w, self.h_px = int(m.group(2)), int(m.group(3))


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


SCENARIOS = {'boot-options-usb': scenario_boot_options_usb}

if __name__ == '__main__':
    sys.exit(test_vm_shell.main(SCENARIOS, make_run=ReachRun, prog='test_vm_reach.py'))
