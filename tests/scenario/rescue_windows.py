"""Area `windows` of test_rescue.py: a Windows installation's accounts and a dirty NTFS volume.

win-c: a whole-disk NTFS with Windows\\System32\\config\\SAM (made by windows_fixture: mkntfs,
hivexsh, ntfs-3g on the host), holding alice (with a password, administrator) and the built-in
Administrator (disabled).  `lifeline systems` sees a Windows installation; `locksmith --windows`
lists both, empties alice's password and enables Administrator; after the shutdown the host
reads the hive back out of the image (ntfscat, hivexget): alice's NT and LM hash lengths are 0,
Administrator's account bits have no "disabled", and the kept copy of the hive is on the volume.
win-dirty: an NTFS volume whose dirty flag is set (as Windows leaves it after a crash);
`fsck` finds it, `fsck --repair` clears it with ntfsfix -d, a second check is clean, and the
flag is clear in the image afterwards.
"""

import json
import os
import struct
import subprocess

import windows_fixture as wf
from vmharness import check

USERS = [('Administrator', 0x1f4, wf.ACB_NORMAL | wf.ACB_DISABLED, True),
         ('alice', 0x3e9, wf.ACB_NORMAL, True)]
FILES = {'Users/alice/Documents/report.txt': b'quarterly report\n'}
SAM = '/Windows/System32/config/SAM'


def make_win(path, work, log):
    d = os.path.join(work, 'windows-fixture')
    os.makedirs(d, exist_ok=True)
    wf.make_windows_disk(path, 64, USERS, FILES, d)
    log(f'win-c: NTFS with {SAM} ({", ".join(u[0] for u in USERS)})')


def make_dirty(path, work, log):
    wf.make_ntfs(path, 64, work, label='Data', dirty=True)
    check(wf.ntfs_dirty(path), 'win-dirty: the dirty flag did not stick')
    log('win-dirty: NTFS with its dirty flag set')


DISKS = [{'name': 'win-c', 'make': make_win}, {'name': 'win-dirty', 'make': make_dirty}]


def _json(out):
    return json.loads(out[out.index('{'):])


def _accounts(s, sysid=None):
    opt = f' --system {sysid}' if sysid else ''
    j = _json(s.lifeline('locksmith --windows --list-users --json' + opt))
    return j['system'], {a['name']: a for a in j['accounts']}


def run(s, disks):
    # the installation on win-c (other areas may bring other NTFS disks)
    _, dev, _ = s.sh(f'readlink -f {disks["win-c"].dev}')
    systems = _json(s.lifeline('systems --json'))
    wins = [x for x in systems['systems'] if x.get('kind') == 'windows']
    mine = [x for x in wins if x['root']['device'] == dev.strip()]
    check(len(mine) == 1, f'lifeline systems: no Windows installation on {dev.strip()}: {wins}')
    sysid = mine[0]['id']
    if len(wins) == 1:      # --windows picks the only Windows installation by itself
        picked, _ = _accounts(s)
        check(picked == sysid, f'--windows picked {picked}, not {sysid}')
    _, acc = _accounts(s, sysid)
    check(set(acc) == {u[0] for u in USERS}, f'accounts listed: {sorted(acc)}')
    check(not acc['alice']['no_password'] and acc['alice']['admin'], f'alice: {acc["alice"]}')
    check(acc['Administrator']['disabled'], f'Administrator: {acc["Administrator"]}')
    w = f'locksmith --windows --system {sysid}'
    text = s.lifeline(f'{w} --list-users')
    check('alice' in text and 'Administrator' in text, f'--list-users:\n{text}')
    # bad input and no --yes: nothing changes
    s.lifeline(f'{w} --user alice --blank', want=2)
    s.lifeline(f'{w} --user "a:b" --blank --yes', want=2)
    s.lifeline(f'{w} --user alice --password-stdin', want=2)
    s.lifeline(f'{w} --user nobody --blank --yes', want=1)
    s.lifeline(f'{w} --user alice --blank --yes')
    s.lifeline(f'{w} --user administrator --unlock --yes')
    _, acc = _accounts(s, sysid)
    check(acc['alice']['no_password'], f'alice still has a password: {acc["alice"]}')
    check(not acc['Administrator']['disabled'] and not acc['Administrator']['locked'],
          f'Administrator: {acc["Administrator"]}')
    s.audit_has(r'locksmith \([^)]*\): Windows account alice: password blanked')
    s.audit_has(r'locksmith \([^)]*\): Windows account Administrator: unlocked')
    # the NTFS volume whose dirty flag is set
    dev = disks['win-dirty'].dev
    s.lifeline(f'fsck {dev}', want=1)
    out = s.lifeline(f'fsck --repair --yes {dev}')
    check('dirty flag' in out and ': fixed' in out, f'fsck --repair:\n{out}')
    out = s.lifeline(f'fsck {dev}')
    check(': clean' in out, f'fsck after the repair:\n{out}')


def _hive_value(hive, key, value):
    r = subprocess.run(['hivexget', hive, key, value], stdout=subprocess.PIPE, check=True)
    return r.stdout


def after(s, disks):
    img = disks['win-c'].path
    work = os.path.dirname(img)
    hive = os.path.join(work, 'win-c.SAM')
    with open(hive, 'wb') as f:
        subprocess.run(['ntfscat', img, SAM], stdout=f, check=True)
    users = '\\SAM\\Domains\\Account\\Users\\'
    v = _hive_value(hive, users + '000003E9', 'V')
    lm_len, nt_len = struct.unpack_from('<I', v, 0xa0)[0], struct.unpack_from('<I', v, 0xac)[0]
    check(lm_len == 0 and nt_len == 0, f'alice\'s hash lengths in the hive: LM {lm_len}, NT '
          f'{nt_len}')
    f = _hive_value(hive, users + '000001F4', 'F')
    acb = struct.unpack_from('<H', f, 0x38)[0]
    check(not acb & wf.ACB_DISABLED, f'Administrator is still disabled: ACB {acb:#x}')
    listed = wf.list_users(hive)
    check(listed['alice'][3] < 0x10, f'sampasswd -l on the host: {listed}')
    r = subprocess.run(['ntfsls', '-R', img], stdout=subprocess.PIPE, text=True,
                       errors='replace')
    check('Windows_System32_config_SAM' in r.stdout and 'audit.log' in r.stdout,
          'no kept copy of the hive or audit log in \\Lifeline on the volume')
    s.log(f'win-c: hive read back: alice LM/NT lengths 0, Administrator ACB {acb:#x}')
    check(not wf.ntfs_dirty(disks['win-dirty'].path), 'win-dirty: the dirty flag is still set')
    s.log('win-dirty: dirty flag clear in the image')
