#!/usr/bin/env python3
"""The test patients are what they claim: the healthy disks boot on their own to a login that
works, and every broken disk fails the way its description says.

Usage: tests/scenario/test_patients.py [SCENARIO...]   (default: all)
  LIFELINE_PATIENT_CACHE  patient-disk's cache (default: REPO/.cache/patients)
  LIFELINE_PATIENT_WORK   disks under test and serial logs (default: REPO/build-patients)

Exit 0 pass, 1 fail, 77 skip.  Not part of the meson suites (yet): a cold run builds the root
(about 3 minutes) and boots every disk under TCG.
"""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import patient  # noqa: E402
import vmharness  # noqa: E402
from vmharness import check, log  # noqa: E402

BUILDER = os.path.join(HERE, 'patient-disk')
NO_BOOT_WAIT = 60       # how long a disk that should not boot is watched (a healthy one: 5 s)
timings = []


def timed(what, fn, *args, **kw):
    t0 = time.monotonic()
    try:
        return fn(*args, **kw)
    finally:
        timings.append((what, time.monotonic() - t0))


def build(scenarios, cache, out):
    argv = [BUILDER, '--cache', cache, '--out', out, *scenarios]
    log('building: ' + ' '.join(argv))
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr)
    check(r.returncode == 0, f'patient-disk failed with status {r.returncode}')


def vm_for(disk, desc, work, what):
    return patient.own_vm(disk, desc, work, name=f'{desc["scenario"]}-{what}')


def healthy(disk, desc, work):
    out = patient.boot_own(disk, desc, work, user='alice', password='alice-pw',
                           command='id -un; systemctl is-system-running --wait; '
                           'findmnt -no SOURCE /')
    lines = out.split()
    check(lines[1:2] == ['running'], f'{desc["scenario"]}: the system is {lines[1:2]}, '
          'not running')
    log(f'{desc["scenario"]}: alice logged in; / is {lines[2:3]}')


def refused(disk, desc, work, user, password):
    """Boots to login:, USER/PASSWORD is refused."""
    with vm_for(disk, desc, work, 'refused') as vm:
        patient.wait_login_prompt(vm, desc)
        check(not patient.login(vm, user, password),
              f'{desc["scenario"]}: {user} logged in with {password!r}')
        log(f'{desc["scenario"]}: {user}/{password} refused')


def stacked(disk, desc, work):
    """lvm/luks: root/root-before refused, alice logs in and / is the LV or the LUKS mapping."""
    with vm_for(disk, desc, work, 'own') as vm:
        patient.wait_login_prompt(vm, desc)
        check(not patient.login(vm, 'root', 'root-before'),
              f'{desc["scenario"]}: root logged in with the old password')
        check(patient.login(vm, 'alice', 'alice-pw'), f'{desc["scenario"]}: alice refused')
        src = vm.shell('findmnt -no SOURCE /').strip()
        check(src == desc['root']['device'],
              f'{desc["scenario"]}: / is {src}, not {desc["root"]["device"]}')
        log(f'{desc["scenario"]}: root refused, alice in, / on {src}')


def symptom(disk, desc, work, before=None):
    """Boots and shows the description's symptom (BEFORE: a pattern to see first)."""
    with vm_for(disk, desc, work, 'symptom') as vm:
        vm.start()
        if before:
            vm.wait_for(before, patient.BOOT_TIMEOUT, fail_on=None)
        vm.wait_for(desc['broken']['symptom'], patient.BOOT_TIMEOUT,
                    desc['broken']['what'], fail_on=r'\nlogin: |[^\n]login: $')


def no_boot(disk, desc, work, gave_up=None):
    """Nothing loads: no GRUB and no kernel.  GAVE_UP: what the firmware shows when it has
    given up (then that is waited for), else NO_BOOT_WAIT seconds are watched."""
    loader = r'GNU GRUB|Linux version|Loading Linux'
    with vm_for(disk, desc, work, 'symptom') as vm:
        vm.start()
        if gave_up:
            vm.wait_for(gave_up, NO_BOOT_WAIT, 'the firmware giving up', fail_on=loader)
            return
        try:
            vm.wait_for(loader, NO_BOOT_WAIT, 'a boot loader', fail_on=None)
        except vmharness.Failure as e:
            if 'within' not in str(e):
                raise
            log(f'{desc["scenario"]}: no boot loader in {NO_BOOT_WAIT} s')
            return
        raise vmharness.Failure(f'{desc["scenario"]}: a boot loader ran')


def fsck_root(disk, desc, work):
    with vm_for(disk, desc, work, 'symptom') as vm:
        vm.start()
        vm.wait_for(r'UNEXPECTED INCONSISTENCY', patient.BOOT_TIMEOUT, 'preen giving up',
                    fail_on=r'login: ')
        vm.wait_for(r'requires a manual fsck', 60, "the initramfs's panic")
        vm.wait_for(r'\(initramfs\) ', 60, 'the initramfs shell')


def unit_blocks(disk, desc, work):
    unit = desc['broken']['unit']
    with vm_for(disk, desc, work, 'symptom') as vm:
        vm.start()
        vm.wait_for(r'Welcome to', patient.BOOT_TIMEOUT, 'systemd')
        vm.wait_for(r'reboot: Power down', patient.BOOT_TIMEOUT, f'the power-off by {unit}',
                    fail_on=r'Kernel panic')
        vm.proc.wait(30)


CHECKS = {
    'healthy-bios': healthy,
    'healthy-uefi': healthy,
    'root-password': lambda d, j, w: refused(d, j, w, 'root', 'root-before'),
    'locked-user': lambda d, j, w: refused(d, j, w, 'alice', 'alice-pw'),
    'fstab-gone': lambda d, j, w: symptom(d, j, w, before=r'Timed out waiting for device'),
    'fsck-root': fsck_root,
    'grub-missing': no_boot,
    # GRUB's core finds no (hd0,msdos1) and stops in its rescue shell (on the screen only)
    'table-zeroed': no_boot,
    # OVMF: "BdsDxe: failed to load Boot0001 ... Not Found", then its shell
    'uefi-missing': lambda d, j, w: no_boot(d, j, w, gave_up=r'failed to load Boot[^\n]*'
                                            r'Not Found(.|\n)*Shell> '),
    'unit-blocks': unit_blocks,
    'lvm-root': stacked,
    'luks-root': stacked,
    # the serial getty fails (no agetty): no login prompt ever (symptom() fails on one)
    'packages-broken': lambda d, j, w: symptom(d, j, w, before=r'Welcome to'),
    'apt-history': healthy,
}


def main():
    vmharness.require_qemu()
    scenarios = sys.argv[1:] or list(CHECKS)
    bad = [s for s in scenarios if s not in CHECKS]
    if bad:
        print(f'test_patients: unknown scenario {", ".join(bad)} (known: {", ".join(CHECKS)})',
              file=sys.stderr)
        sys.exit(2)
    cache = os.environ.get('LIFELINE_PATIENT_CACHE') or os.path.join(REPO, '.cache', 'patients')
    work = os.environ.get('LIFELINE_PATIENT_WORK') or os.path.join(REPO, 'build-patients')
    out = os.path.join(work, 'disks')
    try:
        for s in scenarios:
            timed(f'build {s}', build, [s], cache, out)
        for s in scenarios:
            disk = os.path.join(out, f'{s}.img')
            desc = patient.load(disk)
            timed(f'boot {s}', CHECKS[s], disk, desc, os.path.join(work, 'logs'))
            log(f'{s}: as described')
    finally:
        for what, dt in timings:
            print(f'timing: {what}: {dt:.0f} s', file=sys.stderr)


if __name__ == '__main__':
    vmharness.run(main)
