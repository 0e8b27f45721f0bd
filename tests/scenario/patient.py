"""Boot a test patient (tests/scenario/patient-disk) on its own and log in on its serial console.

    desc = patient.load('/work/out/healthy-bios.img')      # reads healthy-bios.json beside it
    out = patient.boot_own(disk, desc, workdir, command='id -un')
    check(out.split() == ['alice'], ...)

or step by step, for a disk that should fail:

    with patient.own_vm(disk, desc, workdir) as vm:
        patient.wait_login_prompt(vm, desc)
        check(not patient.login(vm, 'root', 'root-before'), 'the old password still works')

The disk is attached without a snapshot: what a repair wrote stays, and what the boot writes
(journal, machine-id) too.  Timeouts are sized for TCG: measured from qemu's start to login:,
BIOS and UEFI 25 s, LUKS 33 s, LVM 46 s on a 2-core host with another TCG guest running; the
defaults leave more than ten times that.
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                'vm'))
import vmharness  # noqa: E402
from vmharness import Failure, check  # noqa: E402

BOOT_TIMEOUT = 400      # qemu start to the login prompt, TCG
LOGIN_TIMEOUT = 120     # the password typed to a shell prompt, TCG
# What stops the wait for a login prompt at once: the boot went somewhere else.
BOOT_FAILED = (r'Kernel panic|emergency mode|Give root password for maintenance|'
               r'\(initramfs\) |UNEXPECTED INCONSISTENCY|reboot: Power down|'
               r'ALERT! |grub rescue>|Boot failed|No bootable device')


def load(image):
    """The description of IMAGE (SCENARIO.json next to SCENARIO.img)."""
    path = os.path.splitext(image)[0] + '.json'
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise Failure(f'no readable description of {image}: {e}')


def own_vm(disk, desc, workdir, vars_file=None, name=None, others=(), memory=1024):
    """A VM (not started yet) that boots DISK alone, as its own firmware would: BIOS, or UEFI
    with VARS_FILE as its persistent variable store (a fresh one when None).  OTHERS are more
    disks attached after it, not bootable.  Nothing is a snapshot."""
    vm = vmharness.VM(name or f'own-{desc["scenario"]}', workdir, firmware=desc['firmware'],
                      memory=memory, display=None, nic=None, vars_file=vars_file)
    vm.disk(disk, snapshot=False, bootindex=0)
    for o in others:
        vm.disk(o, snapshot=False, bootindex=None)
    # the login shell may be a user's: capture command output where every user can write
    vm._OUT = '/tmp/.lifeline-test.out'
    vm._ERR = '/tmp/.lifeline-test.err'
    return vm


def wait_login_prompt(vm, desc, timeout=BOOT_TIMEOUT, fail_on=BOOT_FAILED):
    """Start VM if needed, answer the LUKS passphrase prompt, wait for `login:`."""
    if vm.proc is None:
        vm.start()
    luks = desc.get('luks')
    if luks:
        vm.wait_for(r'Please unlock disk [^\n]*:', timeout, 'the LUKS passphrase prompt',
                    fail_on=fail_on)
        vm.write(luks['passphrase'] + '\n')
    vm.wait_for(r'\n[^\n]*login: $|\nlogin: ', timeout, 'the login prompt', fail_on=fail_on)


def login(vm, user, password, timeout=LOGIN_TIMEOUT):
    """Log in at the login prompt that wait_login_prompt() saw; True when a shell came,
    False on "Login incorrect" (getty then asks again)."""
    vm.write(user + '\n')
    vm.wait_for(r'Password: ', timeout, f'the password prompt for {user}')
    vm.write(password + '\n')
    m = vm.wait_for(r'Login incorrect|[$#] $|Your account has expired|'
                    r'Your account has been locked', timeout, f'the login of {user}')
    if m.group(0) not in ('$ ', '# '):
        vmharness.log(f'{vm.name}: {user} refused: {m.group(0)}')
        vm.wait_for(r'login: ', timeout, 'the login prompt again')
        return False
    # a plain prompt: no colours or titles in the framed output
    vm.write("export PS1='$ ' PROMPT_COMMAND= TERM=dumb; stty -echo\n")
    return True


def boot_own(disk, desc, workdir, vars_file=None, user=None, password=None,
             command='id -un; systemctl is-system-running --wait', expect=None,
             timeout=BOOT_TIMEOUT, name=None):
    """Boot DISK alone, log in as USER with PASSWORD (default: the description's `login`),
    run COMMAND in the login shell and return its stdout.  EXPECT: a regular expression the
    output must match (default: the first line is USER).  Fails with the last serial lines
    when any step does not come."""
    user = user or desc['login']['user']
    password = password if password is not None else desc['login']['password']
    check(password is not None, f'boot_own: no password for {user} (the description has none)')
    with own_vm(disk, desc, workdir, vars_file=vars_file, name=name) as vm:
        wait_login_prompt(vm, desc, timeout)
        check(login(vm, user, password), f'{vm.name}: "Login incorrect" for {user}')
        vmharness.log(f'{vm.name}: {user} logged in at +{vm.elapsed():.1f}s')
        status, out, err = vm.shell_result(command, timeout)
        if expect is None:
            check(out.splitlines()[:1] == [user],
                  f'{vm.name}: `{command}` printed {out!r} (stderr {err!r}), expected {user} '
                  'on the first line')
        else:
            check(re.search(expect, out), f'{vm.name}: `{command}` printed {out!r} '
                  f'(status {status}, stderr {err!r}), which does not match {expect!r}')
        vm.write('exit\n')
        return out
