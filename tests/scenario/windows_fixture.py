"""The Windows fixtures of the scenario tests: a SAM registry hive with local accounts, an NTFS
disk that discovery sees as a Windows installation, and an NTFS volume whose dirty flag is set.

The hive starts as an empty registry file written here (a base block, one hbin, the root key
and its security cell: the documented regf layout) and gets its keys and values from hivexsh
(libhivex-bin), in the layout chntpw's sampasswd/samunlock read: SAM\\Domains\\Account\\F,
Users\\Names\\NAME (default value whose type is the RID) and Users\\RID\\F and V (the account
bits and the V table of offsets and lengths, with the NT and LM hash lengths).  The hashes are
filler: nothing here logs in, the tests read back what the tools change.
The NTFS image is made by mkntfs on a file and filled through ntfs-3g (FUSE) on that file.
"""

import os
import struct
import subprocess
import tempfile

MIB = 1024 * 1024
ACB_NORMAL = 0x0010
ACB_DISABLED = 0x0001
ACB_AUTOLOCK = 0x0400
HASH_LEN = 0x14        # a stored hash: 4 bytes of header and 16 of hash ("< 0x10": blank)


def _cell(data):
    """An allocated cell: negative size, 8-byte aligned."""
    size = (len(data) + 4 + 7) & ~7
    return struct.pack('<i', -size) + data + b'\0' * (size - 4 - len(data))


def empty_hive(path, root_name=b'ROOT'):
    """A valid registry file with only a root key (hivex and chntpw both open it)."""
    sd = bytes.fromhex('01000480') + b'\0' * 16          # self-relative, no owner/ACLs
    sk_ofs = 0x20                                          # offsets are from the first hbin
    sk = b'sk' + b'\0\0' + struct.pack('<IIII', sk_ofs, sk_ofs, 1, len(sd)) + sd
    sk_cell = _cell(sk)
    nk_ofs = sk_ofs + len(sk_cell)
    nk = (b'nk' + struct.pack('<H', 0x2c) + b'\0' * 8 + struct.pack('<I', 0)
          + struct.pack('<I', 0xffffffff)                      # parent (none)
          + struct.pack('<II', 0, 0) + struct.pack('<II', 0xffffffff, 0xffffffff)
          + struct.pack('<II', 0, 0xffffffff)                  # values: none
          + struct.pack('<II', sk_ofs, 0xffffffff)             # security, class
          + struct.pack('<IIIII', 0, 0, 0, 0, 0)
          + struct.pack('<HH', len(root_name), 0) + root_name)
    nk_cell = _cell(nk)
    used = 0x20 + len(sk_cell) + len(nk_cell)
    free = 0x1000 - used
    hbin = (b'hbin' + struct.pack('<II', 0, 0x1000) + b'\0' * 20 + sk_cell + nk_cell
            + struct.pack('<i', free) + b'\0' * (free - 4))
    base = bytearray(0x1000)
    struct.pack_into('<4sIIQIIIIIII', base, 0, b'regf', 1, 1, 0, 1, 3, 0, 1, nk_ofs, 0x1000, 1)
    csum = 0
    for i in range(0, 0x1fc, 4):
        csum ^= struct.unpack_from('<I', base, i)[0]
    struct.pack_into('<I', base, 0x1fc, csum)
    with open(path, 'wb') as f:
        f.write(bytes(base) + hbin)


def _hex(data):
    return ','.join(f'{b:02x}' for b in data)


def user_v(name, full_name=''):
    """The V value: 0xCC bytes of (offset, length, 0) triples, then the data they point to
    (offsets relative to 0xCC)."""
    uname = name.encode('utf-16-le')
    fname = full_name.encode('utf-16-le')
    lm = b'\x02\x00\x01\x00' + b'\x11' * 16
    nt = b'\x02\x00\x01\x00' + b'\x22' * 16
    data = bytearray()
    table = bytearray(0xcc)

    def put(field_ofs, blob):
        ofs = len(data)
        data.extend(blob)
        data.extend(b'\0' * ((-len(blob)) % 4))
        struct.pack_into('<II', table, field_ofs, ofs, len(blob))

    data.extend(b'\0' * 8)     # chntpw takes a username at offset 0 for a broken table
    put(0x0c, uname)
    put(0x18, fname)
    put(0x9c, lm)
    put(0xa8, nt)
    struct.pack_into('<I', table, 0x08, 0x00010002)
    return bytes(table) + bytes(data)


def user_f(rid, acb, failed=0):
    f = bytearray(0x50)
    struct.pack_into('<i', f, 0x30, rid)
    struct.pack_into('<H', f, 0x38, acb)
    struct.pack_into('<HH', f, 0x40, failed, 0)
    return bytes(f)


def account_f(locklimit=0):
    f = bytearray(0xf0)
    struct.pack_into('<H', f, 0x54, locklimit)
    return bytes(f)


MACHINE = (21, 1111111111, 2222222222, 333333333)     # S-1-5-21-...: the machine SID
ADMINS = 0x220                                         # BUILTIN\Administrators


def account_v():
    """Account\\V: 0x40 bytes of header (the SID's offset at 0x38, its length - 4 at 0x3c),
    then the machine SID."""
    sid = bytes([1, len(MACHINE), 0, 0, 0, 0, 0, 5]) + struct.pack('<4I', *MACHINE)
    v = bytearray(0x40)
    struct.pack_into('<II', v, 0x38, 0, len(sid) - 4)
    return bytes(v) + sid


def make_sam(path, users, work):
    """USERS: [(name, rid, acb, admin)].  Writes the hive to PATH with hivexsh."""
    empty_hive(path)
    sid = 'S-1-5-' + '-'.join(str(x) for x in MACHINE)
    lines = ['add SAM', 'cd SAM', 'add Domains', 'cd Domains', 'add Builtin', 'cd Builtin',
             'add Aliases', 'cd Aliases', 'add Members', 'cd Members', f'add {sid}', f'cd {sid}']
    for name, rid, acb, admin in users:
        if admin:   # the member's key: default value of type "number of groups", their IDs
            lines += [f'add {rid:08X}', f'cd {rid:08X}', 'setval 1', '@',
                      f'hex:1:{_hex(struct.pack("<I", ADMINS))}', 'cd ..']
    lines += ['cd \\SAM\\Domains', 'add Account', 'cd Account',
              'setval 2', 'F', f'hex:3:{_hex(account_f())}', 'V', f'hex:3:{_hex(account_v())}',
              'add Users', 'cd Users']
    for name, rid, acb, _ in users:
        key = f'{rid:08X}'
        lines += [f'add {key}', f'cd {key}', 'setval 2',
                  'F', f'hex:3:{_hex(user_f(rid, acb))}',
                  'V', f'hex:3:{_hex(user_v(name))}', 'cd ..']
    lines += ['add Names', 'cd Names']
    for name, rid, _, _ in users:
        # the RID is the value's type; the value has no data
        lines += [f'add {name}', f'cd {name}', 'setval 1', '@', f'hex:{rid}:', 'cd ..']
    lines += ['commit']
    script = os.path.join(work, 'sam.hivexsh')
    with open(script, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    subprocess.run(['hivexsh', '-w', '-f', script, path], check=True,
                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def list_users(hive):
    """sampasswd -l: {name: (rid, admin, acb, hash_len)}."""
    r = subprocess.run(['sampasswd', '-l', hive], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, errors='replace')
    res = {}
    for line in r.stdout.splitlines():
        p = line.split(':')
        if len(p) == 5:
            res[p[1]] = (int(p[0], 16), p[2] == '1', int(p[3], 16), int(p[4], 16))
    return res


def _ntfs_volume_flags_offsets(img):
    """Where the $Volume record's $VOLUME_INFORMATION flags are in IMG (bytes from its start):
    in $MFT and in its mirror $MFTMirr (records 0-3), which must stay equal."""
    with open(img, 'rb') as f:
        boot = f.read(512)
        bps = struct.unpack_from('<H', boot, 0x0b)[0]
        cluster = bps * boot[0x0d]
        mft_lcn, mirr_lcn = struct.unpack_from('<QQ', boot, 0x30)
        cpr = struct.unpack_from('<b', boot, 0x40)[0]
        rec_size = cluster * cpr if cpr > 0 else 1 << -cpr
        rec_ofs = mft_lcn * cluster + 3 * rec_size          # record 3: $Volume
        f.seek(rec_ofs)
        rec = f.read(rec_size)
    if rec[:4] != b'FILE':
        raise RuntimeError('$Volume: no FILE record')
    a = struct.unpack_from('<H', rec, 0x14)[0]
    while a + 8 <= len(rec):
        atype, alen = struct.unpack_from('<II', rec, a)
        if atype == 0xffffffff or alen == 0:
            break
        if atype == 0x70 and rec[a + 8] == 0:               # resident $VOLUME_INFORMATION
            vofs = struct.unpack_from('<H', rec, a + 0x14)[0]
            pos = a + vofs + 0x0a
            if pos % 512 >= 510:
                raise RuntimeError('$Volume flags under a fixup')
            return rec_ofs + pos, mirr_lcn * cluster + 3 * rec_size + pos
        a += alen
    raise RuntimeError('$Volume has no $VOLUME_INFORMATION')


def set_ntfs_dirty(img):
    """Sets VOLUME_IS_DIRTY, as Windows leaves it after a crash."""
    with open(img, 'r+b') as f:
        for pos in _ntfs_volume_flags_offsets(img):
            f.seek(pos)
            flags = struct.unpack('<H', f.read(2))[0]
            f.seek(pos)
            f.write(struct.pack('<H', flags | 1))


def ntfs_dirty(img):
    with open(img, 'rb') as f:
        f.seek(_ntfs_volume_flags_offsets(img)[0])
        return bool(struct.unpack('<H', f.read(2))[0] & 1)


def _mkntfs(path, label):
    """mkntfs on a file (it warns about the geometry a file lacks: shown only on failure)"""
    r = subprocess.run(['mkntfs', '-q', '-F', '-f', '-L', label, path], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, errors='replace')
    if r.returncode != 0:
        raise RuntimeError(f'mkntfs {path} failed ({r.returncode}):\n{r.stdout}')


def make_windows_disk(path, mib, users, files, work, label='Windows'):
    """A whole-disk NTFS (no partition table) with Windows\\System32\\config\\SAM and FILES
    ({relative path: bytes})."""
    with open(path, 'wb') as f:
        f.truncate(mib * MIB)
    _mkntfs(path, label)
    sam = os.path.join(work, 'SAM')
    make_sam(sam, users, work)
    if not os.path.exists('/dev/fuse'):
        # ntfs-3g has no tool that makes folders without a mount (ntfscp copies files only)
        raise RuntimeError('the Windows fixture needs FUSE on the host (/dev/fuse) for ntfs-3g')
    mnt = tempfile.mkdtemp(prefix='ntfs.', dir=work)
    subprocess.run(['ntfs-3g', path, mnt], check=True)
    try:
        cfg = os.path.join(mnt, 'Windows', 'System32', 'config')
        os.makedirs(cfg)
        with open(sam, 'rb') as src, open(os.path.join(cfg, 'SAM'), 'wb') as dst:
            dst.write(src.read())
        for rel, data in files.items():
            p = os.path.join(mnt, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, 'wb') as f:
                f.write(data)
    finally:
        subprocess.run(['umount', mnt], check=True)
        os.rmdir(mnt)


def make_ntfs(path, mib, work, label='Data', dirty=False):
    with open(path, 'wb') as f:
        f.truncate(mib * MIB)
    _mkntfs(path, label)
    if dirty:
        set_ntfs_dirty(path)
