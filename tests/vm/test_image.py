#!/usr/bin/env python3
"""Image tests: build the media for the VM tests, and check that a second build from the same
inputs gives identical files.

usage: test_image.py build          build (or rebuild) the shared test image
       test_image.py reproducible   build again into a second directory; every medium must
                                    have the same SHA-256
"""

import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmharness  # noqa: E402
import vmimage  # noqa: E402
from vmharness import check, log  # noqa: E402

MEDIA = ['lifeline.iso', 'lifeline-disk.img', 'lifeline.efi', 'vmlinuz', 'initrd.img',
         'netboot/boot.ipxe', 'netboot/initrd.img', 'netboot/ldlinux.c32', 'netboot/lifeline.efi',
         'netboot/pxelinux.0', 'netboot/pxelinux.cfg/default', 'netboot/vmlinuz']


def sizes(out):
    for name in ('lifeline.iso', 'lifeline-disk.img', 'lifeline.efi', 'initrd.img', 'vmlinuz'):
        log(f'  {name:18} {os.path.getsize(os.path.join(out, name)) / 1048576:7.1f} MiB')


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ''
    check(mode in ('build', 'reproducible'), 'usage: test_image.py build|reproducible')
    if mode == 'build':
        out, dt = vmimage.build()
        log(f'built in {dt:.0f} s:')
        sizes(out)
        s = vmimage.sums(out)
        for name in MEDIA:
            check(name in s, f'SHA256SUMS has no {name}')
        iso = os.path.getsize(os.path.join(out, 'lifeline.iso'))
        check(iso <= 150 * 1048576, f'the ISO is {iso / 1048576:.0f} MiB, more than 150 MiB')
        return
    # Two builds from one snapshot of the source tree (others may be editing the tree while
    # this runs), with the same SOURCE_DATE_EPOCH, in two build directories of equal depth.
    snap = os.path.join(vmimage.vm_dir(), 'repro')
    shutil.rmtree(snap, ignore_errors=True)
    src = os.path.join(snap, 'src')
    n = snapshot(vmimage.REPO, src)
    epoch = subprocess.run(['git', '-C', vmimage.REPO, 'log', '-1', '--format=%ct'],
                           capture_output=True, text=True).stdout.strip() or '1700000000'
    log(f'snapshot of {n} source files in {src}; SOURCE_DATE_EPOCH={epoch}')
    env = dict(os.environ, SOURCE_DATE_EPOCH=epoch)
    builder = os.path.join(src, 'image-builder', 'lifeline-image')
    first, dt1 = vmimage.build(base=os.path.join(snap, 'a'), builder=builder, env=env)
    second, dt2 = vmimage.build(base=os.path.join(snap, 'b'), builder=builder, env=env)
    log(f'builds took {dt1:.0f} s and {dt2:.0f} s')
    a, b = vmimage.sums(first), vmimage.sums(second)
    check(sorted(a) == sorted(b), f'the builds made different files: {sorted(a)} / {sorted(b)}')
    for name in MEDIA:
        check(name in a, f'{name} is missing from the builds')
    differ = []
    for name in sorted(a):
        log(f'  {a[name]}  {name}' + ('' if a[name] == b[name] else f'  != {b[name]}'))
        if a[name] != b[name]:
            differ.append(name)
    check(not differ, f'two builds from the same inputs differ: {", ".join(differ)} '
          f'(both kept in {snap})')
    shutil.rmtree(snap, ignore_errors=True)


def snapshot(repo, dest):
    """Copy the source tree (tracked and untracked files, not ignored ones) to DEST."""
    r = subprocess.run(['git', '-C', repo, 'ls-files', '-z', '--cached', '--others',
                        '--exclude-standard'], capture_output=True)
    check(r.returncode == 0, f'git ls-files failed: {r.stderr.decode(errors="replace")}')
    n = 0
    for rel in r.stdout.decode().split('\0'):
        path = os.path.join(repo, rel)
        if not rel or not os.path.lexists(path):
            continue   # deleted in the work tree
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.islink(path):
            os.symlink(os.readlink(path), target)
        else:
            shutil.copy2(path, target)
        n += 1
    return n

if __name__ == '__main__':
    vmharness.run(main)
