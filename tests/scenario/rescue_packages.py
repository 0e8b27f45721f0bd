"""Area `packages` of test_rescue.py: `lifeline packages` on two patients.

pkg-broken (packages-broken): login's /usr/bin/login is corrupted and util-linux's /sbin/agetty
is gone, so the system never shows a login prompt.  --verify names both files and packages,
--repair reinstalls the two packages from the .debs in the system's own apt cache, --verify is
clean after, and the disk then boots to a login that works on its own.
pkg-history (apt-history): apt installed lifeline-demo 1.0, then upgraded it to 2.0 and
installed lifeline-extra.  --history lists both transactions newest first, --rollback 1 puts
lifeline-demo 1.0 back (from the cache) and removes lifeline-extra, and the disk boots with the
old version installed.
"""

import json
import os
import re

import patient
import test_repairs
from vmharness import check

DISKS = [{'name': 'pkg-broken', 'patient': 'packages-broken'},
         {'name': 'pkg-history', 'patient': 'apt-history'}]


def _json(out):
    return json.loads(out[out.index('{'):])


def verify_and_repair(s, d):
    b = d.desc['broken']
    sysid = d.system
    v = _json(s.lifeline(f'packages --verify --system {sysid} --json', want=1))
    files = {f['path']: f for f in v['files']}
    check(b['modified'] in files and files[b['modified']]['state'] == 'modified'
          and files[b['modified']]['package'] == b['modified_package'],
          f'--verify does not name {b["modified"]} as modified: {files.get(b["modified"])}')
    check(b['missing'] in files and files[b['missing']]['state'] == 'missing'
          and files[b['missing']]['package'] == b['missing_package'],
          f'--verify does not name {b["missing"]} as missing: {files.get(b["missing"])}')
    check(sorted(v['damaged']) == sorted([b['modified_package'], b['missing_package']]),
          f'damaged packages: {v["damaged"]}')
    s.log(f'verify: {b["modified"]} modified, {b["missing"]} missing; damaged {v["damaged"]}')
    # (a change without --yes is refused by the rollback below: each verify costs 30 s here)
    s.lifeline(f'packages --repair --system {sysid} Not_A_Package', want=2)
    out = s.lifeline(f'packages --repair --system {sysid} --yes')
    check('from /var/cache/apt/archives/' in out, f'the repair did not use the cache:\n{out}')
    check('finds nothing damaged' in out, f'repair result:\n{out}')
    v = _json(s.lifeline(f'packages --verify --system {sysid} --json'))
    check(v['damaged'] == [], f'damaged after the repair: {v["damaged"]}')
    s.audit_has(r'packages \([^)]*\): reinstalled .*' + re.escape(b['modified_package']))
    s.audit_on_disk(d.dev + '-part1', r'packages .*reinstalled')


def history_and_rollback(s, d):
    x = d.desc['broken']
    sysid = d.system
    h = _json(s.lifeline(f'packages --history --system {sysid} --json'))
    t = h['transactions']
    check(len(t) == 2 and [x_['id'] for x_ in t] == [1, 2], f'transactions: {t}')
    changes = {(c['action'], c['package']): c for c in t[0]['changes']}
    up = changes.get(('upgrade', x['package']))
    check(up and up['old_version'] == x['old_version'] and up['version'] == x['new_version'],
          f'transaction 1 has no upgrade of {x["package"]}: {t[0]}')
    check(('install', x['installed']) in changes, f'transaction 1 installs no {x["installed"]}')
    check(t[1]['changes'][0]['action'] == 'install', f'transaction 2: {t[1]}')
    text = s.lifeline(f'packages --history --system {sysid}')
    check(re.search(r'^\s*1\s+\S+\s+\S+\s+apt-get install', text, re.M), f'--history:\n{text}')
    s.lifeline(f'packages --rollback 9 --system {sysid} --yes', want=2)
    s.lifeline(f'packages --rollback 1 --system {sysid}', want=2)
    out = s.lifeline(f'packages --rollback 1 --system {sysid} --yes')
    check(re.search(rf'downgrade\s+{x["package"]} {x["old_version"]} from /var/cache', out),
          f'the plan does not downgrade from the cache:\n{out}')
    check(re.search(rf'remove\s+{x["installed"]}', out), f'the plan removes nothing:\n{out}')
    h = _json(s.lifeline(f'packages --history --system {sysid} --json'))
    check(len(h['transactions']) == 3, 'the rollback is not apt\'s newest transaction')
    s.audit_has(r'packages \([^)]*\): rolled back apt transaction 1')


def run(s, disks):
    verify_and_repair(s, disks['pkg-broken'])
    history_and_rollback(s, disks['pkg-history'])


def after(s, disks):
    work = os.path.join(test_repairs.work_dir(), 'own-boots')
    d = disks['pkg-broken']
    b = d.desc['broken']
    out = patient.boot_own(d.path, d.desc, work, name='pkg-broken-repaired',
                           command=f'id -un; dpkg --verify {b["modified_package"]} '
                           f'{b["missing_package"]}; echo verify=$?')
    check('verify=0' in out, f'pkg-broken: dpkg --verify inside: {out!r}')
    s.log('pkg-broken: boots to login on its own, alice logged in, dpkg --verify clean')
    d = disks['pkg-history']
    x = d.desc['broken']
    out = patient.boot_own(d.path, d.desc, work, name='pkg-history-rolled-back',
                           command="id -un; dpkg-query -W -f '${Package} ${Version} "
                           "${db:Status-Status}\\n' " + f'{x["package"]} {x["installed"]}')
    check(re.search(rf'^{x["package"]} {re.escape(x["old_version"])} installed$', out, re.M),
          f'pkg-history: {x["package"]} is not back at {x["old_version"]}: {out!r}')
    check(not re.search(rf'^{x["installed"]} \S+ installed$', out, re.M),
          f'pkg-history: {x["installed"]} is still installed: {out!r}')
    s.log(f'pkg-history: boots; {x["package"]} {x["old_version"]}, {x["installed"]} gone')
