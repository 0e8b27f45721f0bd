#!/usr/bin/env python3
"""Scenario tests of the recovery toolset's part 2 (data, disks, packages, Windows): one BIOS
boot of the real Lifeline media with the disks every area asks for, each area's steps on the
serial line (and some through the console's text UI with the real xfreerdp), then, with the
recovery system shut down, each area's checks of the disks themselves (a repaired disk booted
on its own, an image read on the host).

An area is a module tests/scenario/rescue_AREA.py with:
  DISKS       [{'name': N, 'patient': SCENARIO} | {'name': N, 'blank_mib': MIB} |
               {'name': N, 'make': make(path, work_dir, log)}]; the guest sees each disk as
              /dev/disk/by-id/virtio-N.  Areas share a disk by giving the same entry.
  run(s, disks)        in the recovery system; disks[N] has .path .desc .dev .system
  after(s, disks)      optional, once the recovery system is shut down
  host_service(s)      optional context manager around the boot (a server on the host);
                       it may append qemu user-network options to s.netdev_extra

usage: test_rescue.py [AREA...]    (default: every area, in ORDER)
(exit 0 pass, 1 fail, 77 skip)
"""

import contextlib
import importlib
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_repairs  # noqa: E402
import test_vm_shell  # noqa: E402
from vmharness import check  # noqa: E402

ORDER = ['restore', 'files', 'packages', 'windows', 'disks']
SERIAL_MAX = 20         # virtio-blk serial numbers


class Disk:
    def __init__(self, name, path, desc):
        self.name = name
        self.path = path
        self.desc = desc
        self.dev = '/dev/disk/by-id/virtio-' + name
        self.system = test_repairs.system_id(desc) if desc else None

    def __repr__(self):
        return f'Disk({self.name}, {self.path})'


def areas_wanted(argv):
    present = [a for a in ORDER if os.path.exists(os.path.join(HERE, f'rescue_{a}.py'))]
    wanted = argv or present
    check(wanted, 'no area modules (tests/scenario/rescue_*.py)')
    for a in wanted:
        check(a in present, f'no area {a!r} (tests/scenario/rescue_{a}.py); areas: {present}')
    return [(a, importlib.import_module('rescue_' + a)) for a in wanted]


def collect_disks(areas):
    """The disks of all AREAS, each entry once: {name: spec}."""
    specs = {}
    for area, mod in areas:
        for spec in getattr(mod, 'DISKS', []):
            name = spec['name']
            check(len(name) <= SERIAL_MAX and name.replace('-', '').isalnum(),
                  f'{area}: disk name {name!r} is not a serial number (<= 20, [a-z0-9-])')
            old = specs.get(name)
            check(old is None or old == spec, f'{area}: disk {name} given twice differently: '
                  f'{old} and {spec}')
            specs[name] = spec
    return specs


def make_disks(specs, log):
    """{name: Disk}.  A patient asked for under several names is attached once (two copies
    would share their UUIDs): the other names are aliases of the first."""
    copies, alias = {}, {}
    for n, s in sorted(specs.items()):
        if 'patient' in s:
            first = next((c for c, p in copies.items() if p == s['patient']), None)
            if first:
                alias[n] = first
            else:
                copies[n] = s['patient']
    made = test_repairs.build_disks(sorted(set(copies.values())), log, copies) if copies else {}
    run_dir = os.path.join(test_repairs.work_dir(), 'run')
    os.makedirs(run_dir, exist_ok=True)
    disks = {}
    for name, spec in specs.items():
        if name in alias:
            continue
        if 'patient' in spec:
            path, desc = made[name]
        else:
            path, desc = os.path.join(run_dir, name + '.img'), None
            if os.path.exists(path):
                os.unlink(path)
            if 'blank_mib' in spec:
                with open(path, 'wb') as f:
                    f.truncate(spec['blank_mib'] * 1024 * 1024)
            else:
                t0 = time.monotonic()
                spec['make'](path, test_repairs.work_dir(), log)
                log(f'{name}: made in {time.monotonic() - t0:.0f} s')
        disks[name] = Disk(name, path, desc)
    for name, first in alias.items():
        disks[name] = disks[first]
    return disks


class Rescue(test_repairs.Scenarios):
    def __init__(self):
        super().__init__()
        self.netdev_extra = []
        self.figures = []

    def helpdesk(self):
        """The helpdesk's real xfreerdp (its default codec) connected to the console, once
        per boot: areas drive text UIs through it with tool_keys() and client_key()."""
        if getattr(self, "client", None) is None or not self.client.alive():
            self.wait_ticket(0)
            self.connect_client(codec='default')

    def shot(self, name, settle=15, still=1.5):
        """What the helpdesk sees, saved in the work folder (PPM) for a person to look at, once
        the picture has caught up: it differs from the last shot and has not changed for STILL
        seconds (or SETTLE seconds have passed)."""
        import harness
        last = getattr(self, '_last_shot', None)
        seen = [None, 0.0]

        def settled(img):
            now = time.monotonic()
            if img.planes != seen[0]:
                seen[0], seen[1] = img.planes, now
            return img.planes != last and now - seen[1] >= still
        try:
            img, _ = self.client.wait_picture(settled, settle, 'the picture to settle')
        except harness.Failure:
            img = self.client.screenshot()
        self._last_shot = img.planes
        path = os.path.join(test_repairs.work_dir(), name + '.ppm')
        img.save_ppm(path)
        self.log(f'screenshot of the helpdesk\'s window: {path}')

    def timed(self, what, fn, *args):
        t0 = time.monotonic()
        fn(*args)
        t = time.monotonic() - t0
        self.figures.append((what, t))
        self.log(f'{what}: {t:.0f} s')


def scenario_rescue(r, argv):
    areas = areas_wanted(argv)
    t0 = time.monotonic()
    disks = make_disks(collect_disks(areas), r.log)
    r.figures.append(('disks built or taken from the cache', time.monotonic() - t0))
    with contextlib.ExitStack() as services:
        for area, mod in areas:
            if hasattr(mod, 'host_service'):
                services.enter_context(mod.host_service(r))
        t1 = time.monotonic()
        attached = {d.name: d for d in disks.values()}
        r.boot_with([(d.path, d.name) for d in attached.values()],
                    netdev_extra=tuple(r.netdev_extra))
        r.figures.append(('recovery system boot', time.monotonic() - t1))
        for area, mod in areas:
            r.timed(f'{area}: in the recovery system', mod.run, r, disks)
        r.sh('sync')
        r.cleanup(False)
        r.guest = None
        r.h = None
    for area, mod in areas:
        if hasattr(mod, 'after'):
            r.timed(f'{area}: the disks afterwards', mod.after, r, disks)
    for what, t in r.figures:
        r.log(f'figure: {what}: {t:.0f} s')


if __name__ == '__main__':
    argv = sys.argv[1:]
    sys.argv[1:] = ['rescue']
    sys.exit(test_vm_shell.main({'rescue': lambda r: scenario_rescue(r, argv)}, Rescue,
                                'test_rescue.py'))
