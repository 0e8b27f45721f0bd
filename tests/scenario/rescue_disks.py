"""Disk Commander and Disk Wipe (`lifeline disks`, `lifeline wipe`) in the recovery system.

- a patient whose MBR partition table was zeroed (table-zeroed): `disks --json` shows it
  without partitions, `--find-lost` finds the root partition with testdisk and writes it,
  `lifeline systems` finds the system again; afterwards the disk boots on its own to login;
- a partition table saved with `--save-table` (not onto the disk itself), zeroed, shown and
  refused without --yes, restored with `--restore-table`, the same as before;
- a disk filled with random data: a wrong --confirm is refused (exit 2, nothing written),
  `wipe --method random` verifies, `wipe --method zero` verifies, and the image reads as zeros
  on the host afterwards; a mounted partition is refused;
- a copy of the Lifeline disk image (lifeline-disk.img) is the boot medium: marked by
  `disks`, never wiped;
- the helpdesk wipes a disk through Disk commander's text UI with the real xfreerdp, typing the
  disk's serial number to confirm; the image reads as zeros on the host afterwards.
"""

import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'vm'))
import patient  # noqa: E402
import test_vm_shell  # noqa: E402
import vmimage  # noqa: E402
from vmharness import check  # noqa: E402

client_key = test_vm_shell.client_key
WIPE_MIB = 64
UI_WIPE_MIB = 16
TBL_MIB = 128


def make_medium(path, work_dir, log):
    """A copy of the recovery disk image: the medium Lifeline must never wipe."""
    src = os.path.join(vmimage.media()['disk'])
    shutil.copyfile(src, path)
    log(f'dsk-medium: a copy of {src}')


DISKS = [
    {'name': 'dsk-lost', 'patient': 'table-zeroed'},
    {'name': 'dsk-tbl', 'blank_mib': TBL_MIB},
    {'name': 'dsk-wipe', 'blank_mib': WIPE_MIB},
    {'name': 'dsk-medium', 'make': make_medium},
    {'name': 'dsk-wipe-ui', 'blank_mib': UI_WIPE_MIB},
]


def disk_json(s, dev):
    """`lifeline disks --json`'s entry of the disk DEV (a /dev/disk/by-id path)."""
    _, real, _ = s.sh(f'readlink -f {dev}')
    real = real.strip()
    out = json.loads(s.lifeline('disks --json'))
    found = [d for d in out['disks'] if d['path'] == real]
    check(len(found) == 1, f'`lifeline disks --json` has no {real} ({dev}): {out}')
    return found[0]


def sha(s, dev):
    st, out, _ = s.sh(f'sha256sum {dev}')
    check(st == 0, f'sha256sum {dev} failed')
    return out.split()[0]


def lost_partition(s, d):
    """table-zeroed: testdisk finds the root partition, the table is written, the system is
    found again."""
    before = disk_json(s, d.dev)
    check(before['table'] in (None, 'dos') and before['partitions'] == [],
          f'{d.name}: partitions before the repair: {before}')
    check(before['health']['offered'] is False and 'not offered' in before['health']['summary'],
          f'{d.name}: virtio offers no SMART, yet: {before["health"]}')
    st, out, _ = s.sh('lifeline systems --json')    # may find no system at all: status 1
    check(d.system not in out, f'{d.system} found before the repair: {out}')
    # without --yes and without a terminal: shown, nothing written
    out = s.lifeline(f'disks --find-lost {d.dev} --json', want=2)
    shown = json.loads(out)
    check(shown['written'] is False and len(shown['found']) == 1,
          f'--find-lost without --yes: {shown}')
    check(disk_json(s, d.dev)['partitions'] == [], '--find-lost without --yes wrote the table')
    out = json.loads(s.lifeline(f'disks --find-lost {d.dev} --yes --json'))
    part = d.desc['partitions'][0]
    found = out['found']
    check(out['written'] and len(found) == 1, f'--find-lost --yes: {out}')
    f = found[0]
    check(f['start'] == part['start_mib'] * 2048 and f['size'] == part['size_mib'] << 20
          and f['type'] == 'Linux' and f['label'] == part['label'] and f['bootable'],
          f'testdisk found {f}, the disk had {part}')
    after = disk_json(s, d.dev)
    parts = after['partitions']
    check(after['table'] == 'dos' and len(parts) == 1 and parts[0]['fstype'] == 'ext4'
          and parts[0]['label'] == part['label'] and parts[0]['start'] == 2048,
          f'{d.name}: after --find-lost: {after}')
    check(after['lifeline_medium'] is False, f'{d.name} taken for the Lifeline medium')
    s.audit_has(r'disks \(\w[\w ]*\): wrote the 1 partition\(s\) testdisk found to /dev/\w+')
    # the disk id is kept: the patient's own PARTUUIDs stay valid
    st, out, _ = s.sh(f'sfdisk --dump {d.dev}')
    check(f'label-id: {d.desc["disk_id"]}' in out, f'the disk id changed: {out}')
    systems = json.loads(s.lifeline('systems --json'))
    check(d.system in json.dumps(systems), f'{d.system} not found after the repair: {systems}')


def save_restore(s, d):
    """--save-table, the table zeroed, --restore-table."""
    dev = d.dev
    table = ('label: dos\\nunit: sectors\\n\\nstart=2048, size=65536, type=83\\n'
             'start=67584, size=131072, type=c, bootable\\n')     # printf's escapes
    st, _, err = s.sh(f"printf '{table}' | sfdisk -q {dev} && udevadm settle && "
                      f"mkfs.ext4 -q -L tblfs {dev}-part1")
    check(st == 0, f'making the table on {d.name}: {err}')
    st, before, _ = s.sh(f'sfdisk --dump {dev}')
    # not onto the disk itself
    s.sh(f'mkdir -p /mnt/tbl && mount {dev}-part1 /mnt/tbl')
    s.lifeline(f'disks --save-table {dev} /mnt/tbl/table.sfdisk', want=2)
    st, _, _ = s.sh('test -e /mnt/tbl/table.sfdisk')
    check(st != 0, 'the table was saved onto the disk itself')
    # a mounted disk is not restored over
    s.lifeline(f'disks --save-table {dev} /tmp/dsk-tbl.sfdisk')
    s.lifeline(f'disks --restore-table {dev} /tmp/dsk-tbl.sfdisk --yes', want=1)
    s.sh('umount /mnt/tbl')
    st, mode, _ = s.sh('stat -c %a /tmp/dsk-tbl.sfdisk')
    check(mode.strip() == '600', f'the saved table has mode {mode.strip()}, not 600')
    # zeroed, like the patient
    st, _, err = s.sh(f'dd if=/dev/zero of={dev} bs=1 seek=446 count=64 conv=notrunc '
                      f'status=none && blockdev --rereadpt {dev} && udevadm settle')
    check(st == 0, f'zeroing the table: {err}')
    check(disk_json(s, dev)['partitions'] == [], 'partitions left after zeroing')
    # a file that is not a table, then no --yes
    s.sh('printf "label: dos\\nrm -rf /\\n" > /tmp/not-a-table')
    s.lifeline(f'disks --restore-table {dev} /tmp/not-a-table --yes', want=2)
    out = s.lifeline(f'disks --restore-table {dev} /tmp/dsk-tbl.sfdisk', want=2)
    check(disk_json(s, dev)['partitions'] == [], '--restore-table without --yes wrote')
    out = json.loads(s.lifeline(f'disks --restore-table {dev} /tmp/dsk-tbl.sfdisk --yes --json'))
    check(out['written'] and '+partition 1: start=' in out['diff']
          and '+partition 2: start=' in out['diff'], f'--restore-table: {out}')
    st, now, _ = s.sh(f'sfdisk --dump {dev}')
    check(now == before, f'restored table differs:\n{before}\n---\n{now}')
    parts = disk_json(s, dev)['partitions']
    check([p['fstype'] for p in parts] == ['ext4', ''] and parts[1]['bootable'],
          f'after --restore-table: {parts}')
    s.audit_has(r'disks \(\w[\w ]*\): wrote the partition table saved in /tmp/dsk-tbl.sfdisk')
    s.audit_has(r'disks \(\w[\w ]*\): saved the partition table of /dev/\w+')
    st, out, _ = s.sh('ls /run/lifeline/backups/live/*-disks-*/')
    check('-first-0.bin' in out and '-last-' in out, f'no copy of the first sectors: {out}')


def wipe(s, d, medium):
    dev, serial = d.dev, d.name
    st, _, err = s.sh(f'dd if=/dev/urandom of={dev} bs=1M count={WIPE_MIB} status=none && sync')
    check(st == 0, f'filling {d.name}: {err}')
    h0 = sha(s, dev)
    # no --yes, no --confirm, a wrong --confirm: exit 2, nothing written
    s.lifeline(f'wipe {dev} --method zero', want=2)
    s.lifeline(f'wipe {dev} --method zero --yes', want=2)
    s.lifeline(f'wipe {dev} --method zero --yes --confirm {serial}x', want=2)
    s.lifeline(f'wipe {dev} --method zero --yes --confirm "{WIPE_MIB}.0 MiB"', want=2)
    check(sha(s, dev) == h0, f'{d.name} changed by a refused wipe')
    # a mounted partition is refused
    st, _, err = s.sh(f"printf 'label: dos\\nstart=2048, type=83\\n' | sfdisk -q {dev} && "
                      f'udevadm settle && mkfs.ext4 -q {dev}-part1 && mkdir -p /mnt/w && '
                      f'mount {dev}-part1 /mnt/w')
    check(st == 0, f'mounting a partition of {d.name}: {err}')
    s.lifeline(f'wipe {dev} --method zero --yes --confirm {serial}', want=1)
    s.lifeline(f'wipe {dev}-part1 --method zero --yes --confirm {serial}', want=1)
    s.sh('umount /mnt/w')
    # a partition: only it is wiped, the table and the partition after it stay
    st, _, err = s.sh(f"printf 'label: dos\\nstart=2048, size=32768, type=83\\n"
                      f"start=34816, type=83\\n' | sfdisk -q {dev} && udevadm settle && "
                      f'dd if=/dev/urandom of={dev}-part2 bs=1M count=2 status=none')
    check(st == 0, f'two partitions on {d.name}: {err}')
    h2 = sha(s, f'{dev}-part2')
    out = json.loads(s.lifeline(f'wipe {dev}-part1 --method zero --yes --confirm {serial} '
                                '--json'))
    check(out['verified'] and out['size'] == 32768 * 512, f'wipe of a partition: {out}')
    check(sha(s, f'{dev}-part2') == h2, 'wiping partition 1 changed partition 2')
    st, table, _ = s.sh(f'sfdisk --dump {dev}')
    check(table.count('start=') == 2, f'wiping partition 1 changed the table: {table}')
    # random: the stream regenerated from the seed matches
    out = json.loads(s.lifeline(f'wipe {dev} --method random --yes --confirm {serial} --json'))
    check(out['verified'] and out['size'] == WIPE_MIB << 20 and not out['stopped'],
          f'wipe --method random: {out}')
    st, out2, _ = s.sh(f'head -c 1048576 {dev} | tr -d "\\000" | wc -c')
    check(int(out2.strip()) > 1000000, f'{d.name} does not look random after --method random')
    # secure: virtio offers no ATA/NVMe erase; qemu's write-zeroes (if offered) is used
    st, out, err = s.sh(f'lifeline wipe {dev} --method secure --yes --confirm {serial}')
    s.log(f'wipe --method secure on virtio: status {st}: {(out + err).strip()[-300:]}')
    check((st == 0 and 'read-back check found only zeros' in out)
          or (st == 1 and 'offers no secure erase' in err),
          f'wipe --method secure: status {st}, {out!r} {err!r}')
    # zero
    out = json.loads(s.lifeline(f'wipe {dev} --method zero --yes --confirm {serial} --json'))
    check(out['verified'] and out['method'] == 'zero', f'wipe --method zero: {out}')
    s.audit_has(r'wipe \(\w[\w ]*\): /dev/\w+ \(\S.*serial %s, %d\.0 MiB\): overwritten; the '
                r'read-back check found only zeros' % (serial, WIPE_MIB))
    s.audit_has(r'wipe \(\w[\w ]*\): wiping /dev/\w+ .*with method random')
    # the boot medium: marked, never wiped
    m = disk_json(s, medium.dev)
    check(m['lifeline_medium'], f'the Lifeline disk image is not marked: {m}')
    hm = sha(s, medium.dev)
    out = s.lifeline(f'wipe {medium.dev} --method zero --yes --confirm {medium.name}', want=1)
    s.lifeline(f'wipe {medium.dev}-part1 --method zero --yes --confirm {medium.name}', want=1)
    st, _, err = s.sh(f'lifeline disks --find-lost {medium.dev} --yes')
    check(st == 1 and 'the disk Lifeline booted from' in err,
          f'--find-lost --yes on the medium: exit {st}, {err!r}')
    check(sha(s, medium.dev) == hm, 'the Lifeline medium changed')


def ui_wipe(s, d):
    """The helpdesk wipes D with zeros through Disk commander's text UI, every key through the
    real xfreerdp: Wipe, the disk (the medium is not offered), Zeros, its serial typed."""
    st, _, err = s.sh(f'dd if=/dev/urandom of={d.dev} bs=1M count={UI_WIPE_MIB} status=none '
                      '&& sync')
    check(st == 0, f'filling {d.name}: {err}')
    _, real, _ = s.sh(f'readlink -f {d.dev}')
    # the UI offers each disk but the medium, each followed by the partitions the kernel has
    _, out, _ = s.sh('for d in /sys/block/*; do echo "/dev/${d##*/}" '
                     '$(ls -d "$d"/*/partition 2>/dev/null | wc -l); done')
    parts = dict(line.split() for line in out.splitlines() if line.strip())
    row = 0
    for disk in json.loads(s.lifeline('disks --json'))['disks']:
        if disk['path'] == real.strip():
            break
        if not disk['lifeline_medium']:
            row += 1 + int(parts.get(disk['path'], 0))
    s.helpdesk()
    mark = s.ui_open_tool('disks')
    mark = s.tui('choose', 'Disk Commander', mark)
    client_key(s, *(['Down'] * 4), 'Return')            # Wipe a disk or a partition
    mark = s.tui('choose', 'Disk Wipe', mark)
    client_key(s, *(['Down'] * row), 'Return')
    mark = s.tui('choose', 'Disk Wipe', mark)           # How? Zeros is the first
    client_key(s, 'Return')
    mark = s.tui('entry', 'Disk Wipe', mark)
    s.shot('wipe-ui-confirm')
    test_vm_shell.client_types_text(s, d.name, delay_ms=90)
    client_key(s, 'Return')
    mark = s.tui('pause', 'done', mark, timeout=600)
    s.shot('wipe-ui-done')
    client_key(s, 'Return')
    s.audit_has(r'wipe \(helpdesk\): /dev/\w+ \(\S.*serial %s, %d\.0 MiB\): overwritten; the '
                r'read-back check found only zeros' % (d.name, UI_WIPE_MIB))
    s.log(f'{d.name}: wiped through the text UI, the serial typed through xfreerdp')


def run(s, disks):
    lost_partition(s, disks['dsk-lost'])
    save_restore(s, disks['dsk-tbl'])
    wipe(s, disks['dsk-wipe'], disks['dsk-medium'])
    ui_wipe(s, disks['dsk-wipe-ui'])


def after(s, disks):
    for name, mib in (('dsk-wipe', WIPE_MIB), ('dsk-wipe-ui', UI_WIPE_MIB)):
        d = disks[name]
        with open(d.path, 'rb') as f:
            data = f.read()
        check(len(data) == mib << 20 and data.count(0) == len(data),
              f'{d.path}: {len(data) - data.count(0)} bytes are not zero after the wipe')
        s.log(f'{d.name}: {len(data)} bytes, all zero')
    lost = disks['dsk-lost']
    patient.boot_own(lost.path, lost.desc, os.path.join(os.path.dirname(lost.path), 'logs'),
                     name='own-dsk-lost')
    s.log(f'{lost.name}: boots on its own to login after --find-lost')
