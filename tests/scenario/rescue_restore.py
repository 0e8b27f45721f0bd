"""File Restore (lifeline restore) in the recovery system: files deleted by the real kernel
(ext4 of an installed Debian, a FAT and an exFAT stick) and by ntfs-3g (an NTFS disk) are listed and come
back with the same SHA-256; a destination on the filesystem they come from is refused; photorec
carves a deleted PDF back from a stick's free space."""

import json
import re

import test_vm_shell
from vmharness import check

client_key = test_vm_shell.client_key

DISKS = [{'name': 'restore-sys', 'patient': 'healthy-bios'},
         {'name': 'restore-usb', 'blank_mib': 256},     # the destination stick
         {'name': 'restore-ntfs', 'blank_mib': 64},
         {'name': 'restore-fat', 'blank_mib': 64},
         {'name': 'restore-exfat', 'blank_mib': 64}]

MNT = '/mnt/restore-src'
DEST = '/mnt/restore-usb'
EXT4_FILE = '/home/alice/Quarterly report.pdf'
NTFS_FILE = '/Documents/Budget 2026.pdf'
FAT_FILE = '/scans/Passport scan.pdf'
EXFAT_FILE = '/photos/Holiday 2026.pdf'

# A PDF-like file of about 300 kB with random content (photorec knows it by %PDF- ... %%EOF).
MAKE_PDF = ("{ printf '%%PDF-1.4\\n1 0 obj\\n<< /Type /Catalog >>\\nstream\\n'; "
            "head -c 220000 /dev/urandom | base64; "
            "printf 'endstream\\nendobj\\ntrailer\\n<< /Root 1 0 R >>\\n%%%%EOF\\n'; } > ")


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def sh_ok(s, cmd, timeout=600):
    status, out, err = s.sh(cmd, timeout)
    check(status == 0, f'`{cmd}` exited {status}: {err.strip()[-400:]}')
    return out


# A system in use before the file is saved: the journal's copies of the file's inode and folder
# lie behind some other work.  jbd2 (Debian 12's kernel 6.1) starts its log at the first block
# again on every mount, so the copies of a file saved right at the start of a mount session are
# overwritten by the next session's first transactions, and only carving finds that file.
BUSY = ('cp -a {m}/etc {m}/var/tmp/restore-busy && sync && rm -rf {m}/var/tmp/restore-busy && '
        'sync && ')


def plant_and_delete(s, dev, rel, mount='mount', busy=''):
    """Writes REL on DEV (mounted, synced, unmounted), then deletes it in a second mount; its
    SHA-256 as computed in the guest before the deletion."""
    path = MNT + rel
    dirname = path.rsplit('/', 1)[0]
    out = sh_ok(s, f'mkdir -p {MNT} && {mount} {dev} {MNT} && {busy.format(m=MNT)}'
                   f'mkdir -p {shq(dirname)} && '
                   f'{MAKE_PDF}{shq(path)} && sha256sum {shq(path)} && sync && umount {MNT}')
    sha = out.split()[0]
    check(re.fullmatch(r'[0-9a-f]{64}', sha), f'no sha256 of {rel}: {out!r}')
    sh_ok(s, f'{mount} {dev} {MNT} && rm {shq(path)} && ls -la {shq(dirname)} && umount {MNT}')
    s.log(f'{dev}: {rel} written ({sha[:16]}...) and deleted by the kernel')
    return sha


def listed(s, where, rel):
    """`lifeline restore --list WHERE --json`: the entry of REL (by its path or its name)."""
    files = json.loads(s.lifeline(f'restore --list {where} --json'))['files']
    name = rel.rsplit('/', 1)[1]
    hit = [f for f in files if f['path'] == rel or f['path'].endswith('/' + name)]
    check(len(hit) == 1, f'{rel} is not listed once by restore --list {where}: {files}')
    check(hit[0]['size'] > 250000 and hit[0]['recoverable_percent'] == 100,
          f'{rel}: listed as {hit[0]}')
    return hit[0]


def restored(s, where, arg, sub, sha, rel):
    """Restores ARG (REL's path or #ID) to DEST/SUB; checks the printed and the guest's SHA-256
    against SHA, and the audit line."""
    sh_ok(s, f'mkdir -p {DEST}/{sub}')
    out = s.lifeline(f'restore {where} {shq(arg)} --to {DEST}/{sub}')
    m = re.match(r'([0-9a-f]{64})  (\d+)  .* -> (.*)$', out.strip().splitlines()[-1])
    check(m and m.group(1) == sha, f'restore of {arg} printed {out!r}, not sha256 {sha}')
    again = sh_ok(s, f'sha256sum {shq(m.group(3))}').split()[0]
    check(again == sha, f'{m.group(3)} has sha256 {again} in the guest, not {sha}')
    s.audit_has(r'restore \(.*\): restored .*%s .*sha256 %s' % (re.escape(rel.rsplit('/', 1)[1]),
                                                                sha))


def ui_restore(s, sysd, sha):
    """The helpdesk restores the ext4 file again with File restore's text UI, every key
    through the real xfreerdp: the system, its deleted file, the folder typed, Enter."""
    sh_ok(s, f'mkdir -p {DEST}/ui')
    systems = [x['id'] for x in json.loads(s.lifeline('systems --json'))['systems']]
    s.helpdesk()
    mark = s.ui_open_tool('restore')
    mark = s.tui('choose', 'File Restore', mark)        # systems first, in this order
    client_key(s, *(['Down'] * systems.index(sysd.system)), 'Return')
    mark = s.tui('choose', 'File Restore', mark)        # its deleted files: ours alone
    s.shot('restore-ui-files')
    client_key(s, 'Return')
    mark = s.tui('entry', 'File Restore', mark)
    test_vm_shell.client_types_text(s, f'{DEST}/ui', delay_ms=90)
    client_key(s, 'Return')
    mark = s.tui('pause', 'done', mark)
    s.shot('restore-ui-done')
    client_key(s, 'Return')
    got = sh_ok(s, f'sha256sum {DEST}/ui/*').split()
    check(got and got[0] == sha, f'the text UI restored {got}, not sha256 {sha}')
    s.audit_has(r'restore \(helpdesk\): restored .*Quarterly report\.pdf.*sha256 %s' % sha)
    s.log('text UI through xfreerdp: system, file and folder chosen; same sha256')


def run(s, disks):
    sysd, usb = disks['restore-sys'], disks['restore-usb'].dev
    root = '/dev/disk/by-uuid/' + sysd.desc['root']['fs_uuid']
    ntfs, fat = disks['restore-ntfs'].dev, disks['restore-fat'].dev
    on_sys = f'--system {sysd.system}'
    sh_ok(s, f'mkfs.ext4 -q -F {usb} && mkdir -p {DEST} && mount {usb} {DEST}')

    # ext4: the installed system's root, the file deleted by the kernel
    sha = plant_and_delete(s, root, EXT4_FILE, busy=BUSY)
    s.lifeline('restore --list ' + on_sys)
    listed(s, on_sys, EXT4_FILE)
    # never onto the filesystem it comes from (here mounted read-only for the try)
    sh_ok(s, f'mount -o ro {root} {MNT}')
    status, out, err = s.sh(f'lifeline restore {on_sys} {shq(EXT4_FILE)} --to {MNT}/tmp')
    sh_ok(s, f'umount {MNT}')
    check(status == 1 and 'the filesystem the files are restored from' in err,
          f'a destination on the source was not refused: {status} {out!r} {err!r}')
    s.log('destination on the source filesystem refused: ' + err.strip())
    status, _, err = s.sh(f'lifeline restore {on_sys} {shq(EXT4_FILE)}')
    check(status == 2 and '--to' in err, f'no --to: exit {status} {err!r}')
    restored(s, on_sys, EXT4_FILE, 'ext4', sha, EXT4_FILE)
    ui_restore(s, sysd, sha)

    # NTFS: made in the guest, the file deleted through ntfs-3g
    sh_ok(s, f'mkntfs -Q -F -L restore-ntfs {ntfs} >/dev/null')
    sha = plant_and_delete(s, ntfs, NTFS_FILE, 'mount -t ntfs-3g')
    entry = listed(s, f'--device {ntfs}', NTFS_FILE)
    restored(s, f'--device {ntfs}', '#%d' % entry['id'], 'ntfs', sha, NTFS_FILE)

    # FAT: a stick formatted in the guest, the file deleted by the kernel's vfat
    sh_ok(s, f'mkfs.vfat -I -n RESTOREFAT {fat} >/dev/null')
    sha = plant_and_delete(s, fat, FAT_FILE)
    listed(s, f'--device {fat}', FAT_FILE)
    restored(s, f'--device {fat}', FAT_FILE, 'fat', sha, FAT_FILE)

    # exFAT: a stick formatted in the guest, the file deleted by the kernel's exfat driver
    exfat = disks['restore-exfat'].dev
    sh_ok(s, f'mkfs.exfat -L RESTOREXF {exfat} >/dev/null')
    sha_x = plant_and_delete(s, exfat, EXFAT_FILE, 'mount -t exfat')
    listed(s, f'--device {exfat}', EXFAT_FILE)
    restored(s, f'--device {exfat}', EXFAT_FILE, 'exfat', sha_x, EXFAT_FILE)

    # carving: photorec finds the same deleted PDF in the stick's free space by its content
    sh_ok(s, f'mkdir -p {DEST}/carved')
    out = json.loads(s.lifeline(f'restore --carve {fat} --to {DEST}/carved --types pdf --json'))
    hits = [c for c in out['carved'] if c['sha256'] == sha]
    check(hits, f'photorec did not carve the deleted PDF ({sha}) back: {out}')
    s.log(f'carved: {len(out["carved"])} file(s), the deleted PDF among them: {hits[0]["file"]}')
    sh_ok(s, f'umount {DEST}')
