"""Scenario module `files` (test_rescue.py): Explorer, Search and Copy out.

A healthy installed Debian (patient healthy-bios) gets a folder tree with known content written
from the guest (nested folders, a symlink, names with spaces and UTF-8, a file dated 2020);
`lifeline search` must find exactly the expected files by name, date and size; `lifeline copy`
copies the tree to a second virtual disk (an ext4 partition the test makes in the guest; the
tool mounts it itself) and to an SMB share that smbd serves on the host (a private smb.conf,
127.0.0.1 on a free port, reached from the guest at 10.0.2.100:4450 through a qemu guestfwd).
The checksums are compared on the host: the share's files at once, the disk's after the
shutdown, read from its image with debugfs (no mount).
"""

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import time

from vmharness import check

DISKS = [{'name': 'files-sys', 'patient': 'healthy-bios'},
         {'name': 'files-usb', 'blank_mib': 64}]

SMB_ADDR, SMB_PORT = '10.0.2.100', 4450     # where the guest finds the host's smbd
SMB_USER, SMB_PW = 'root', 'Share-pw-for-copy-7'
SHARE = 'fshare'
TOP = '/home/alice/Reports'
NEWER = '2 days'
USB_PART_OFFSET = 1 << 20

# The tree: path under TOP -> (kind, content).  'yes' files are `yes TEXT | head -c SIZE`, so
# that the guest writes megabytes without sending them over the serial line.
ODD = 'Sch\u00f6ne Gr\u00fc\u00dfe \u00e4.odt'      # spaces and UTF-8
TREE = {
    'q3 report.odt': ('yes', ('lifeline files q3 report', 2_000_000)),
    '2026/minutes.odt': ('text', 'minutes of the meeting\n'),
    f'2026/{ODD}': ('text', 'gr\u00fc\u00dfe\n'),
    '2026/deep/er/notes.txt': ('text', 'deep notes\n'),
    'data/big.bin': ('yes', ('0123456789abcdef' * 4, 3_000_000)),
    'old.odt': ('text', 'from 2020\n'),
}
LINK = ('latest', '2026/minutes.odt')
OLD_MTIME = '2020-01-01 12:00'
EXPECT_NEWER_ODT = {'q3 report.odt', '2026/minutes.odt', f'2026/{ODD}'}

_smb = {}


def content(kind, value):
    if kind == 'text':
        return value.encode()
    text, size = value
    line = (text + '\n').encode()
    return (line * (size // len(line) + 1))[:size]


def sha(data):
    return hashlib.sha256(data).hexdigest()


def expected_sums():
    return {rel: sha(content(*v)) for rel, v in TREE.items()}


def octal(s):
    """S for printf's format, every non-ASCII byte and quote as an octal escape."""
    out = ''
    for b in s.encode():
        out += chr(b) if 0x20 <= b < 0x7f and chr(b) not in '\\\'"%$`' else f'\\{b:03o}'
    return out


def free_port():
    with socket.socket() as sk:
        sk.bind(('127.0.0.1', 0))
        return sk.getsockname()[1]


@contextlib.contextmanager
def host_service(s):
    """smbd on 127.0.0.1:<free port> with a private configuration in the work dir, the share
    writable by SMB_USER (password SMB_PW), forwarded to the guest's SMB_ADDR:SMB_PORT."""
    smbd = shutil.which('smbd') or '/usr/sbin/smbd'
    check(os.path.exists(smbd), 'smbd is not installed (Debian package samba)')
    work = os.path.join(os.environ.get('LIFELINE_SCENARIO_DIR', '/tmp'), 'files-smb')
    shutil.rmtree(work, ignore_errors=True)
    share = os.path.join(work, 'share')
    for d in ('share', 'private', 'lock', 'state', 'cache', 'pid', 'log'):
        os.makedirs(os.path.join(work, d), mode=0o700)
    port = free_port()
    conf = os.path.join(work, 'smb.conf')
    with open(conf, 'w') as f:
        f.write(f"""[global]
    server role = standalone server
    smb ports = {port}
    interfaces = 127.0.0.1
    bind interfaces only = yes
    disable netbios = yes
    server min protocol = SMB2
    map to guest = never
    passdb backend = tdbsam:{work}/private/passdb.tdb
    private dir = {work}/private
    lock directory = {work}/lock
    state directory = {work}/state
    cache directory = {work}/cache
    pid directory = {work}/pid
    ncalrpc dir = {work}/state/ncalrpc
    log file = {work}/log/smbd.log
    load printers = no
    printing = bsd
    printcap name = /dev/null
    disable spoolss = yes
[{SHARE}]
    path = {share}
    read only = no
    valid users = {SMB_USER}
""")
    r = subprocess.run(['smbpasswd', '-c', conf, '-s', '-a', SMB_USER],
                       input=f'{SMB_PW}\n{SMB_PW}\n', text=True, capture_output=True)
    check(r.returncode == 0, f'smbpasswd: {r.stderr.strip()}')
    log = open(os.path.join(work, 'smbd.out'), 'w')
    proc = subprocess.Popen([smbd, '--foreground', '--no-process-group', '-s', conf,
                             '--debug-stdout', '-d', '1'], stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    # (its own session: smbd signals its whole process group when it stops)
    try:
        deadline = time.monotonic() + 60
        while True:
            check(proc.poll() is None, f'smbd ended ({proc.returncode}); see {work}/smbd.out')
            try:
                socket.create_connection(('127.0.0.1', port), timeout=2).close()
                break
            except OSError:
                check(time.monotonic() < deadline, 'smbd did not listen within 60 s')
                time.sleep(0.2)     # the next connection attempt; readiness is the socket
        s.log(f'files: smbd on 127.0.0.1:{port}, guest sees {SMB_ADDR}:{SMB_PORT}')
        _smb.update(share=share, port=port, work=work)
        # restrict=on lets only forwards through; cmd: runs socat for every connection
        s.netdev_extra.append(f'guestfwd=tcp:{SMB_ADDR}:{SMB_PORT}-'
                              f'cmd:socat STDIO TCP:127.0.0.1:{port}')
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def make_tree(s, dev):
    """The tree written into the installed system, from the guest."""
    lines = ['set -e', 'mkdir -p /mnt/files-make',
             f'mount {dev} /mnt/files-make', f'T=/mnt/files-make{TOP}']
    for rel, (kind, value) in TREE.items():
        p = f'"$T/$(printf \'{octal(rel)}\')"'
        lines.append(f'mkdir -p "$(dirname {p})"')
        if kind == 'yes':
            lines.append(f"yes '{value[0]}' | head -c {value[1]} > {p}")
        else:
            lines.append(f"printf '{octal(value)}' > {p}")
    lines.append(f'ln -s {LINK[1]} "$T/{LINK[0]}"')
    lines.append(f'touch -h -d "{OLD_MTIME}" "$T/old.odt"')
    lines.append('chown -R -h 1000:1000 /mnt/files-make/home/alice')
    lines.append('umount /mnt/files-make')
    script = '\n'.join(lines) + '\n'
    status, out, err = s.sh(f"cat > /tmp/files-make.sh <<'EOF'\n{script}EOF\nsh /tmp/files-make.sh")
    check(status == 0, f'making the tree failed ({status}): {err.strip()[-400:]}')


def on_terminal(s, command, steps, timeout=180):
    """COMMAND on a pseudo-terminal (script), its keys typed as its dialogs appear: STEPS are
    (regex, count, keys): once the typescript or the dialog announcements match REGEX COUNT
    times, KEYS are typed.  Returns (status, what the terminal showed)."""
    feed = ['w() { until [ "$(cat /tmp/files-ann /tmp/files-tty 2>/dev/null | '
            'grep -c -a -E "$1")" -ge "$2" ]; do sleep 0.2; done; }', 'feed() {']
    for regex, count, keys in steps:
        feed.append(f"  w '{regex}' {count}; printf '{keys}'")
    feed.append('}')
    script = '\n'.join(feed) + (
        '\nrm -f /tmp/files-ann /tmp/files-tty; : > /tmp/files-ann\n'
        f'feed | LIFELINE_ANNOUNCE=/tmp/files-ann TERM=linux timeout {timeout} '
        f'script -qfec "{command}" /tmp/files-tty >/dev/null\n'
        'st=$?; cat /tmp/files-tty; exit $st\n')
    status, out, err = s.sh(f"cat > /tmp/files-tui.sh <<'EOF'\n{script}EOF\nsh /tmp/files-tui.sh",
                            timeout + 60)
    s.log(f'files: `{command}` on a terminal -> {status}')
    return status, out


def text_uis(s, system):
    """The search's dialogs (pattern, age) and Midnight Commander on the mounted system, F10
    to quit, everything unmounted after."""
    status, out = on_terminal(s, f'lifeline search --system {system}', [
        ('entry Search', 1, '*.odt\\r'), ('entry Search', 2, '2 days\\r'),
        ('pause done', 1, '\\r')])
    check(status == 0, f'search in dialogs exited {status}: {out[-600:]!r}')
    for rel in EXPECT_NEWER_ODT:
        check(rel.split('/')[-1].encode() in out.encode(),
              f'search in dialogs: {rel} not shown: {out[-1500:]!r}')
    check('3 found.' in out, f'search in dialogs: not "3 found.": {out[-600:]!r}')
    status, out = on_terminal(s, f'lifeline files --system {system}', [
        ('Quit mc with F10', 1, ''), ('PullDn', 1, '\\033[21~')])
    check(status == 0 and 'unmounted' in out, f'files (mc) exited {status}: {out[-800:]!r}')
    status, mounts, _ = s.sh('cat /proc/mounts')
    check('/run/lifeline/' not in mounts, f'left mounted after mc:\n{mounts}')


def search(s, system, args):
    out = s.lifeline(f'search --system {system} --json {args}')
    res = json.loads(out)
    return {r['path'] for r in res['results']}, res


def partition_usb(s, disk):
    """One ext4 partition from 1 MiB on the blank disk: the MBR written with printf (fdisk is
    not in the image), then mkfs.ext4."""
    dev = disk.dev
    sectors = (64 << 20) // 512 - 2048
    entry = (b'\x00\xfe\xff\xff\x83\xfe\xff\xff' + (2048).to_bytes(4, 'little')
             + sectors.to_bytes(4, 'little'))
    esc = ''.join(f'\\{b:03o}' for b in entry)
    cmd = (f"printf '{esc}' | dd of={dev} bs=1 seek=446 conv=notrunc status=none && "
           f"printf '\\125\\252' | dd of={dev} bs=1 seek=510 conv=notrunc status=none && "
           f"blockdev --rereadpt {dev} && udevadm settle && test -b {dev}-part1 && "
           f"mkfs.ext4 -q -L FILESUSB {dev}-part1")
    status, out, err = s.sh(cmd)
    check(status == 0, f'partitioning {dev} failed ({status}): {err.strip()[-400:]}')
    return dev + '-part1'


def check_copy_json(out, what):
    res = json.loads(out)
    check(res['files'] == len(TREE), f'{what}: {res["files"]} files copied, not {len(TREE)}')
    check(res['symlinks'] == 1, f'{what}: {res["symlinks"]} symlinks, not 1')
    check(not res['unreadable'] and not res['failed'] and not res['exists'],
          f'{what}: problems reported: {res}')
    check(res['bytes'] == sum(len(content(*v)) for v in TREE.values()),
          f'{what}: {res["bytes"]} bytes')
    return res


def check_sums_file(text, prefix, what):
    """SHA256SUMS at the destination lists every file with its expected hash."""
    want = {f'{prefix}/{rel}': h for rel, h in expected_sums().items()}
    got = {}
    for line in text.splitlines():
        m = re.match(r'^([0-9a-f]{64})  (.*)$', line)
        check(m, f'{what}: a SHA256SUMS line is not "HASH  PATH": {line!r}')
        got[m.group(2)] = m.group(1)
    check(got == want, f'{what}: SHA256SUMS differs:\n{got}\nexpected\n{want}')


def run(s, disks):
    t0 = time.monotonic()
    sysd = disks['files-sys']
    system = sysd.system
    root_dev = '/dev/disk/by-uuid/' + sysd.desc['root']['fs_uuid']
    make_tree(s, root_dev)
    s.log(f'files: tree written in {time.monotonic() - t0:.0f} s')

    # search: name and date; date in the past; size and type
    found, res = search(s, system, f"--name '*.odt' --newer '{NEWER}'")
    want = {f'{TOP}/{rel}' for rel in EXPECT_NEWER_ODT}
    check(found == want, f'search --newer: {sorted(found)}, expected {sorted(want)}')
    found, _ = search(s, system, "--name '*.odt' --older 2021-01-01 /home")
    check(found == {f'{TOP}/old.odt'}, f'search --older: {sorted(found)}')
    found, _ = search(s, system, f'--larger 1M --type f {TOP}')
    check(found == {f'{TOP}/q3 report.odt', f'{TOP}/data/big.bin'},
          f'search --larger: {sorted(found)}')
    found, res = search(s, system, f"--name '*.odt' --limit 2 {TOP}")
    check(len(found) == 2 and res['limited'], f'search --limit 2: {res}')
    s.lifeline(f"search --system {system} --newer 'next tuesday'", want=2)
    out = s.lifeline(f"search --system {system} --name 'minutes*' {TOP}")
    check('2026/minutes.odt' in out and '1 found.' in out, f'search text output: {out!r}')

    # copy to the second disk's partition: refused without --yes, then done and verified
    part = partition_usb(s, disks['files-usb'])
    s.lifeline(f'copy --system {system} {TOP} {part}', want=2)
    t1 = time.monotonic()
    out = s.lifeline(f'copy --system {system} {TOP} {part} --yes --json')
    check_copy_json(out, 'copy to the disk')
    s.log(f'files: copy to the disk in {time.monotonic() - t1:.0f} s')
    status, mounts, _ = s.sh('cat /proc/mounts')
    check('/run/lifeline/' not in mounts, f'something is left mounted:\n{mounts}')
    # a second run: everything is there already and identical
    out = s.lifeline(f'copy --system {system} {TOP} {part} --yes --json')
    res = json.loads(out)
    check(res['identical_already'] == len(TREE) + 1 and res['files'] == 0,
          f'second copy: {res}')

    # every filesystem of every disk: the system's root and the copy on the second disk
    out = s.lifeline("search --all --name minutes.odt --json")
    found = sorted(r['path'] for r in json.loads(out)['results'])
    check(len(found) == 2 and found[0].endswith(':/Reports/2026/minutes.odt') !=
          found[1].endswith(':/Reports/2026/minutes.odt') and
          any(p.endswith(f':{TOP}/2026/minutes.odt') for p in found),
          f'search --all: {found}')

    # copy to the host's SMB share; the password from stdin; a wrong one is a clear failure
    url = f'smb://{SMB_USER}@{SMB_ADDR}:{SMB_PORT}/{SHARE}/backup'
    s.lifeline(f'copy --system {system} {TOP} {url} --password-stdin --yes', stdin=['wrong-pw'],
               want=1)
    t1 = time.monotonic()
    out = s.lifeline(f'copy --system {system} {TOP} {url} --password-stdin --yes --json',
                     stdin=[SMB_PW])
    check_copy_json(out, 'copy to SMB')
    s.log(f'files: copy to SMB in {time.monotonic() - t1:.0f} s')
    s.audit_has(r'copy \([a-z ]+\): copied ' + re.escape(TOP) + ' to ' + re.escape(url)
                + f': {len(TREE)} files')
    status, out, _ = s.sh(f'grep -rl {SMB_PW} /run/lifeline /var/log 2>/dev/null; '
                          'ls -d /run/lifeline/cred-* 2>/dev/null; true')
    check(out.strip() == '', f'the password or its credentials file is left in: {out!r}')

    share = os.path.join(_smb['share'], 'backup')
    for rel, h in expected_sums().items():
        with open(os.path.join(share, 'Reports', rel), 'rb') as f:
            got = sha(f.read())
        check(got == h, f'SMB share: {rel} has SHA-256 {got}, not {h}')
    with open(os.path.join(share, 'SHA256SUMS'), encoding='utf-8') as f:
        check_sums_file(f.read(), 'Reports', 'SMB share')
    # the symlink as a Minshall+French link file (mount.cifs mfsymlinks)
    with open(os.path.join(share, 'Reports', LINK[0]), 'rb') as f:
        mf = f.read()
    check(mf.startswith(b'XSym\n') and LINK[1].encode() in mf,
          f'SMB share: {LINK[0]} is not a link file to {LINK[1]}: {mf[:80]!r}')
    s.log(f'files: {len(TREE)} files on the SMB share match on the host')
    t1 = time.monotonic()
    text_uis(s, system)
    s.log(f'files: text UIs in {time.monotonic() - t1:.0f} s; module in '
          f'{time.monotonic() - t0:.0f} s')


def after(s, disks):
    """The second disk's image, read with debugfs at the partition's offset: every file's
    SHA-256, the symlink, SHA256SUMS."""
    img = f'{disks["files-usb"].path}?offset={USB_PART_OFFSET}'
    out_dir = os.path.join(os.environ.get('LIFELINE_SCENARIO_DIR', '/tmp'), 'files-usb-out')
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    r = subprocess.run(['debugfs', '-R', f'rdump /Reports {out_dir}', img],
                       capture_output=True, text=True)
    check(r.returncode == 0, f'debugfs rdump: {r.stderr[-400:]}')
    for rel, h in expected_sums().items():
        with open(os.path.join(out_dir, 'Reports', rel), 'rb') as f:
            got = sha(f.read())
        check(got == h, f'second disk: {rel} has SHA-256 {got}, not {h}')
    link = os.path.join(out_dir, 'Reports', LINK[0])
    check(os.path.islink(link) and os.readlink(link) == LINK[1],
          f'second disk: {LINK[0]} is not the symlink to {LINK[1]}')
    r = subprocess.run(['debugfs', '-R', 'cat /SHA256SUMS', img], capture_output=True)
    check(r.returncode == 0, 'debugfs cat /SHA256SUMS failed')
    check_sums_file(r.stdout.decode('utf-8', 'replace'), 'Reports', 'second disk')
    r = subprocess.run(['debugfs', '-R', 'stat "/Reports/old.odt"', img],
                       capture_output=True, text=True)
    check('2020' in r.stdout, f'second disk: old.odt lost its 2020 mtime: {r.stdout[:400]}')
    s.log(f'files: {len(TREE)} files, the symlink and SHA256SUMS on the second disk match')
