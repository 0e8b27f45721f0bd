"""The recovery media under test, built once per build directory by image-builder/lifeline-image.

LIFELINE_VM_DIR (set by meson: BUILD_ROOT/vm) holds
  image/out     the media (lifeline.iso, lifeline-disk.img, lifeline.efi, netboot/, ...)
  image/build   the builder's scratch space
The downloaded packages and root filesystems are shared between build directories
(LIFELINE_IMAGE_CACHE, default: the builder's own default under the source tree).
"""

import os
import subprocess
import sys
import time

import vmharness
from vmharness import Failure, check, log

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BUILDER = os.path.join(REPO, 'image-builder', 'lifeline-image')


def vm_dir():
    d = os.environ.get('LIFELINE_VM_DIR') or os.path.join(REPO, 'build-vm-tests')
    os.makedirs(d, exist_ok=True)
    return d


def build(name='image', extra=(), base=None, builder=BUILDER, env=None):
    """Run the builder into vm_dir()/NAME (or BASE); returns (out dir, seconds)."""
    base = base or os.path.join(vm_dir(), name)
    out = os.path.join(base, 'out')
    argv = [builder, '--out', out, '--build-dir', os.path.join(base, 'build'),
            '--compress', os.environ.get('LIFELINE_VM_COMPRESS', 'fast'), *extra, 'all']
    log('building: ' + ' '.join(argv))
    t0 = time.monotonic()
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=sys.stderr, stderr=sys.stderr,
                       timeout=1800, env=env)
    dt = time.monotonic() - t0
    check(r.returncode == 0, f'lifeline-image failed with status {r.returncode}')
    return out, dt


def media():
    """The media of the shared test image; builds it when it is not there yet."""
    vmharness.require_qemu()
    out = os.path.join(vm_dir(), 'image', 'out')
    if not os.path.exists(os.path.join(out, 'SHA256SUMS')):
        out, _ = build()
    m = {
        'dir': out,
        'iso': os.path.join(out, 'lifeline.iso'),
        'disk': os.path.join(out, 'lifeline-disk.img'),
        'uki': os.path.join(out, 'lifeline.efi'),
        'vmlinuz': os.path.join(out, 'vmlinuz'),
        'initrd': os.path.join(out, 'initrd.img'),
        'netboot': os.path.join(out, 'netboot'),
    }
    for k, p in m.items():
        if not os.path.exists(p):
            raise Failure(f'the test image has no {k} ({p}); rebuild with the vm-build-image test')
    return m


def sums(out):
    """{file: sha256} from the builder's SHA256SUMS."""
    res = {}
    with open(os.path.join(out, 'SHA256SUMS')) as f:
        for line in f:
            h, name = line.split(None, 1)
            res[name.strip().lstrip('*')] = h
    return res
