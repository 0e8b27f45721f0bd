#!/usr/bin/env python3
"""Scenario tests of the recovery toolset: real installed Debian 12 disks, each broken one way
(tests/scenario/patient-disk), are attached to one boot of the real Lifeline media; the
helpdesk repairs some through the console's text UI with the real xfreerdp (default codec), the
others with the `lifeline` command on the serial line; then every repaired disk boots on its own
and the expected user logs in with the expected password.

usage: test_repairs.py bios    eight disks on one BIOS boot of the recovery system
       test_repairs.py uefi    the UEFI disk whose loader and boot entry are gone
(exit 0 pass, 1 fail, 77 skip)
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'shell'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'vm'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))
import patient  # noqa: E402
import shellvm  # noqa: E402
import test_vm_shell  # noqa: E402
import vmharness  # noqa: E402
from vmharness import Failure, check  # noqa: E402

BIOS_DISKS = ['root-password', 'fstab-gone', 'locked-user', 'fsck-root', 'grub-missing',
              'unit-blocks', 'lvm-root', 'luks-root']
UEFI_DISKS = ['uefi-missing']
NEW_ROOT_PW = 'Fixed-by-helpdesk-42'
UI_ROOT_PW = 'Typed-in-newt-7'


def work_dir():
    d = os.environ.get('LIFELINE_SCENARIO_DIR') or os.path.join(ROOT, 'build-scenario')
    os.makedirs(d, exist_ok=True)
    return d


def build_disks(names, log, copies=None):
    """The patients, built (or taken from the cache) by patient-disk, then copied: the tests
    change them, the cache keeps the broken originals.  COPIES: {copy name: scenario} when the
    same patient is needed more than once (default: one copy of each, named after it)."""
    wd = work_dir()
    out = os.path.join(wd, 'disks')
    copies = copies or {n: n for n in names}
    names = sorted(set(copies.values()))
    t0 = time.monotonic()
    cache = os.environ.get('LIFELINE_PATIENT_CACHE') or os.path.join(wd, 'cache')
    r = subprocess.run([os.path.join(HERE, 'patient-disk'), '--cache', cache,
                        '--out', out, *names], stdin=subprocess.DEVNULL, stdout=sys.stderr,
                       stderr=sys.stderr, timeout=3600)
    check(r.returncode == 0, f'patient-disk failed with status {r.returncode}')
    log(f'patients ready in {time.monotonic() - t0:.0f} s: {" ".join(names)}')
    disks = {}
    run_dir = os.path.join(wd, 'run')
    os.makedirs(run_dir, exist_ok=True)
    for n, scenario in copies.items():
        src = os.path.join(out, scenario + '.img')
        dst = os.path.join(run_dir, n + '.img')
        subprocess.run(['cp', '--sparse=always', src, dst], check=True)
        shutil.copyfile(os.path.join(out, scenario + '.json'), os.path.join(run_dir, n + '.json'))
        disks[n] = (dst, patient.load(dst))
    return disks


def system_id(desc):
    """The id `lifeline systems` gives the disk's system: os id and the root fs UUID's start."""
    return 'debian-' + desc['root']['fs_uuid'].replace('-', '')[:8]


class DiskGuest(shellvm.Guest):
    """shellvm.Guest with the patients attached (written for real, no snapshot)."""

    def __init__(self, kernel, initrd, disks, firmware='bios', append='', mem=2048, log=print,
                 netdev_extra=()):
        """DISKS: image paths, or (path, serial) pairs (the guest sees the disk as
        /dev/disk/by-id/virtio-SERIAL)."""
        self.log = log
        self.dir = os.path.join(work_dir(), 'lifeline-' + firmware)
        os.makedirs(self.dir, exist_ok=True)
        self._shots = 0
        cmdline = ('console=tty0 console=ttyS0 lifeline.announce=/dev/ttyS0 lifeline.keymap=us '
                   + append).strip()
        self.vars_file = os.path.join(self.dir, 'OVMF_VARS.fd') if firmware == 'uefi' else None
        if self.vars_file and os.path.exists(self.vars_file):
            os.unlink(self.vars_file)   # a firmware that never saw the patient's boot entry
        self.vm = vmharness.VM('lifeline', self.dir, firmware=firmware, memory=mem,
                               display='VGA', vars_file=self.vars_file,
                               extra=('-device', 'qemu-xhci', '-device', 'usb-tablet'),
                               netdev_extra=netdev_extra)
        # under OVMF, qemu hands the kernel to the firmware's loader: efivars are there as on
        # a real UEFI computer
        self.vm.kernel(kernel, initrd, cmdline)
        for d in disks:
            path, serial = d if isinstance(d, tuple) else (d, None)
            self.vm.disk(path, snapshot=False, bootindex=None, serial=serial)
        self.vm.start()


class Scenarios(test_vm_shell.Run):
    def boot_with(self, disks, firmware='bios', netdev_extra=()):
        """DISKS: {name: (path, description)}, or a list of DiskGuest's disks."""
        kernel, initrd = shellvm.find_media(ROOT)
        paths = [p for p, _ in disks.values()] if isinstance(disks, dict) else disks
        self.guest = DiskGuest(kernel, initrd, paths, firmware, append='lifeline.remote=auto',
                               log=self.log, netdev_extra=netdev_extra)
        m = self.guest.wait_serial(r'lifeline-shell: on screen \((\w+) (\d+)x(\d+)\)',
                                   test_vm_shell.BOOT_TIMEOUT)
        self.w, self.h_px = int(m.group(2)), int(m.group(3))
        self.log('recovery system up: ' + m.group(0))

    def sh(self, command, timeout=600):
        """A command on the serial root shell; (status, stdout, stderr)."""
        return self.guest.vm.shell_result(command, timeout)

    def lifeline(self, args, stdin=None, want=0, timeout=900):
        """`lifeline ARGS` on the serial line; its stdout.  STDIN: lines given with printf."""
        cmd = 'lifeline ' + args
        if stdin is not None:
            cmd = 'printf "%s\\n" ' + ' '.join(shq(s) for s in stdin) + ' | ' + cmd
        t0 = time.monotonic()
        status, out, err = self.sh(cmd, timeout)
        self.log(f'$ {cmd}  -> {status} in {time.monotonic() - t0:.0f} s')
        for line in (out + err).splitlines()[-12:]:
            self.log('    ' + line)
        check(status == want, f'`{cmd}` exited {status}, not {want}: {err.strip()[-400:]}')
        return out

    def audit_has(self, pattern):
        status, out, _ = self.sh('cat /run/lifeline/audit.log')
        check(re.search(pattern, out), f'no audit line matching {pattern!r} in:\n{out}')

    def audit_on_disk(self, device, pattern):
        """The audit line on the repaired system itself (mounted read-only for the look)."""
        status, out, err = self.sh(f'mkdir -p /mnt/look && mount -o ro {shq(device)} /mnt/look && '
                                   'cat /mnt/look/var/log/lifeline-audit.log; '
                                   'umount /mnt/look')
        check(re.search(pattern, out), f'{device}: no line matching {pattern!r} in its '
              f'/var/log/lifeline-audit.log: {out!r} {err!r}')

    def tui(self, kind, title, mark, timeout=300):
        """The tool's next dialog (the toolset announces each on the serial line)."""
        m = self.guest.wait_serial(r'lifeline-tui: %s %s: ([^\n]*)\n' % (kind, re.escape(title)),
                                   timeout, after=mark)
        self.log(f'dialog {kind} {title}: {m.group(1)}')
        return m.end()

    def ui_open_tool(self, tool):
        """The tool opened with the helpdesk's keys (F1, then its row)."""
        mark = self.guest.mark()
        client_key(self, *test_vm_shell.tool_keys(tool))
        self.guest.wait_serial(r'lifeline-shell: pane %s\n' % tool, 120, after=mark)
        return mark


client_key = test_vm_shell.client_key


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def ui_locksmith_root(r, disks):
    """The helpdesk resets root's forgotten password with Locksmith's text UI, every key
    through xfreerdp: the system, the account root, 'Set a new password', the password
    twice."""
    mark = r.ui_open_tool('locksmith')
    mark = r.tui('choose', 'Installed systems', mark)
    client_key(r, *(['Down'] * list(disks).index('root-password')), 'Return')
    mark = r.tui('choose', 'Locksmith', mark)      # the accounts; root is the first
    client_key(r, 'Return')
    mark = r.tui('choose', 'Locksmith', mark)      # what to do: Set a new password
    client_key(r, 'Return')
    mark = r.tui('entry', 'Locksmith', mark)
    test_vm_shell.client_types_text(r, UI_ROOT_PW, delay_ms=90)
    client_key(r, 'Return')
    mark = r.tui('entry', 'Locksmith', mark)
    test_vm_shell.client_types_text(r, UI_ROOT_PW, delay_ms=90)
    client_key(r, 'Return')
    mark = r.tui('pause', 'done', mark)
    client_key(r, 'Return')
    r.audit_has(r'locksmith \(helpdesk\): new password for root')


def ui_fstab(r, disks):
    """The helpdesk comments out the fstab entry of the disk that is gone, with the fstab
    tool's text UI: the system, the way to fix, the diff confirmed."""
    mark = r.ui_open_tool('fstab')
    mark = r.tui('choose', 'Installed systems', mark)
    client_key(r, *(['Down'] * list(disks).index('fstab-gone')), 'Return')
    mark = r.tui('choose', 'fstab', mark)          # Comment the entries out
    client_key(r, 'Return')
    mark = r.tui('yesno', 'fstab', mark)           # the diff; Yes has the focus
    client_key(r, 'Return')
    mark = r.tui('pause', 'done', mark)
    client_key(r, 'Return')
    r.audit_has(r'fstab \(helpdesk\): commented out line \d+ \(its device is not on any disk\)')


def own_boots(r, disks, checks, vars_file=None):
    """Each repaired disk alone: login prompt, login, a command."""
    for name, (user, password, command, expect) in checks.items():
        path, desc = disks[name]
        t0 = time.monotonic()
        patient.boot_own(path, desc, os.path.join(work_dir(), 'own'), vars_file=vars_file,
                         user=user, password=password, command=command, expect=expect,
                         name='own-' + name)
        r.log(f'{name}: the repaired disk boots on its own; {user} logged in '
              f'({time.monotonic() - t0:.0f} s)')


RUNNING = r'^\S+\n(running|degraded)\s*$'


def scenario_bios(r):
    disks = build_disks(BIOS_DISKS, r.log)
    # unit-blocks: booted once as it is, so its journal holds the boot that powered off
    path, desc = disks['unit-blocks']
    with patient.own_vm(path, desc, os.path.join(work_dir(), 'own'), name='broken-unit') as vm:
        vm.start()
        vm.wait_for(r'reboot: Power down', patient.BOOT_TIMEOUT, 'the power-off by the unit',
                    fail_on=r'Kernel panic|\nlogin: ')
    r.log('unit-blocks: the broken disk powered itself off during its boot')

    r.boot_with(disks)
    ids = {n: system_id(d) for n, (p, d) in disks.items()}
    out = r.lifeline('systems --json --passphrase-stdin', stdin=['luks-pw'])
    found = {s['id']: s for s in json.loads(out)['systems']}
    for n, i in ids.items():
        check(i in found, f'{n}: its system {i} is not listed by `lifeline systems`: {list(found)}')
    check(found[ids['lvm-root']]['lvm'], 'lvm-root is not seen on LVM')
    check(found[ids['luks-root']]['luks'], 'luks-root is not seen on LUKS')
    modes = {n: found[i]['boot_mode'] for n, i in ids.items()}
    check(set(modes.values()) == {'bios-grub'}, f'boot modes: {modes}')

    # the serial line, with the command
    st, out, err = r.sh(f'lifeline locksmith --system {ids["locked-user"]} --user alice --unlock'
                        ' </dev/null')
    check(st == 2 and '--yes' in err, f'a change without --yes and terminal: {st} {err!r}')
    r.lifeline(f'locksmith --system {ids["locked-user"]} --user alice --unlock --yes')
    r.audit_has(r'locksmith \((?:serial line|script)\): unlocked alice')

    out = r.lifeline(f'fsck --system {ids["fsck-root"]}', want=1)
    check('-> ' in out and ': errors' in out, f'the check does not report the errors: {out!r}')
    out = r.lifeline(f'fsck --system {ids["fsck-root"]} --repair --yes')
    check(': fixed' in out, f'fsck --repair does not say fixed: {out[-400:]!r}')

    r.lifeline(f'bootrepair --system {ids["grub-missing"]} --no-initramfs --yes')

    out = r.lifeline(f'logs --system {ids["unit-blocks"]} --diagnose')
    check('lifeline-test-poweroff.service' in out and 'services --disable' in out,
          f'the diagnosis does not name the unit that powers off: {out!r}')
    r.lifeline(f'services --system {ids["unit-blocks"]} --disable '
               'lifeline-test-poweroff.service --yes')

    r.lifeline(f'locksmith --system {ids["lvm-root"]} --user root --password-stdin --yes',
               stdin=[NEW_ROOT_PW])
    r.lifeline(f'locksmith --passphrase-stdin --system {ids["luks-root"]} --user root '
               '--password-stdin --yes', stdin=['luks-pw', NEW_ROOT_PW])

    # the helpdesk, through the console's text UI
    r.wait_ticket(0)
    r.connect_client(codec='default')
    ui_locksmith_root(r, disks)
    ui_fstab(r, disks)

    # each repair left its line on the repaired system
    def dev(name):
        return found[ids[name]]['root']['device']
    r.audit_on_disk(dev('root-password'), r'locksmith \(helpdesk\): new password for root')
    r.audit_on_disk(dev('fstab-gone'), r'fstab \(helpdesk\): commented out')
    r.audit_on_disk(dev('locked-user'), r'locksmith \(\w[\w ]*\): unlocked alice')
    r.audit_on_disk(dev('fsck-root'), r'fsck \(\w[\w ]*\): \S+ \(ext4\): fixed')
    r.audit_on_disk(dev('grub-missing'), r'bootrepair \(\w[\w ]*\): GRUB for BIOS done')
    r.audit_on_disk(dev('unit-blocks'), r'services \(\w[\w ]*\): .*lifeline-test-poweroff')
    r.audit_on_disk(dev('lvm-root'), r'locksmith \(\w[\w ]*\): new password for root')
    r.audit_on_disk(dev('luks-root'), r'locksmith \(\w[\w ]*\): new password for root')
    r.sh('sync')
    r.cleanup(False)
    r.guest = None
    r.h = None

    own_boots(r, disks, {
        'root-password': ('root', UI_ROOT_PW, 'id -un', None),
        'fstab-gone': ('alice', 'alice-pw', 'id -un; systemctl is-system-running --wait', RUNNING),
        'locked-user': ('alice', 'alice-pw', 'id -un', None),
        'fsck-root': ('alice', 'alice-pw', 'id -un', None),
        'grub-missing': ('alice', 'alice-pw', 'id -un', None),
        'unit-blocks': ('alice', 'alice-pw', 'id -un; systemctl is-enabled '
                        'lifeline-test-poweroff.service', r'^alice\ndisabled'),
        'lvm-root': ('root', NEW_ROOT_PW, 'id -un', None),
        'luks-root': ('root', NEW_ROOT_PW, 'id -un', None),
    })


def scenario_uefi(r):
    disks = build_disks(UEFI_DISKS, r.log)
    r.boot_with(disks, firmware='uefi')
    path, desc = disks['uefi-missing']
    sid = system_id(desc)
    out = json.loads(r.lifeline('systems --json'))
    mode = {s['id']: s['boot_mode'] for s in out['systems']}.get(sid)
    check(mode == 'uefi-grub', f'the UEFI disk is seen as {mode}')
    r.lifeline(f'bootrepair --system {sid} --yes')
    st, out, err = r.sh('efibootmgr')
    check(re.search(r'Boot\d{4}\*? debian', out), f'no firmware boot entry "debian": {out!r}')
    r.audit_has(r'bootrepair \(\w[\w ]*\): initramfs done, GRUB for UEFI done')
    vars_file = r.guest.vars_file
    r.sh('sync')
    r.cleanup(False)
    r.guest = None
    own_boots(r, disks, {'uefi-missing': ('alice', 'alice-pw', 'id -un', None)},
              vars_file=vars_file)


SCENARIOS = {'bios': scenario_bios, 'uefi': scenario_uefi}


if __name__ == '__main__':
    sys.exit(test_vm_shell.main(SCENARIOS, Scenarios, 'test_repairs.py'))
