#!/usr/bin/env python3
"""The main job (./run-demo): build the recovery image, boot its ISO in qemu with Remote
Connection started at boot, forward the RDP port to this machine's loopback, and print the
ticket, port and the xfreerdp command that connects. Runs until Ctrl-C.

usage: demo.py [--build-dir DIR] [--uefi]
"""

import argparse
import json
import os
import shlex
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmimage  # noqa: E402
from vmharness import VM, Failure, Skip  # noqa: E402

BOOT_TIMEOUT = 600


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build-dir', default=None, help='where the image and the VM run live')
    ap.add_argument('--uefi', action='store_true', help='boot with UEFI firmware (OVMF)')
    args = ap.parse_args()
    if args.build_dir:
        os.environ.setdefault('LIFELINE_VM_DIR', os.path.join(args.build_dir, 'demo'))

    print('Building the recovery image (the first build fetches Debian packages; '
          'later ones reuse them)...', flush=True)
    media = vmimage.media()
    workdir = os.path.join(vmimage.vm_dir(), 'demo-run')
    vm = VM('demo', workdir, firmware='uefi' if args.uefi else 'bios')
    vm.cdrom(media['iso'])
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with vm:
        print(f'Booting {media["iso"]} in qemu ({vm.accel}); the serial log is {vm.log_path}',
              flush=True)
        vm.start()
        # The ISO's boot menu has an entry that starts Remote Connection at boot.
        vm.wait_for(r'Remote Connection at start', 120, 'the boot menu')
        vm.send_key('down')
        vm.send_key('ret')
        vm.wait_for(r'LIFELINE-READY', BOOT_TIMEOUT, 'the recovery system')
        m = vm.wait_for(r'LIFELINE-REMOTE (\{[^\n]*\})\n', BOOT_TIMEOUT, 'Remote Connection')
        info = json.loads(m.group(1))
        port = vm.hostfwd_add(info['port'])
        argv = ['xfreerdp', f'/v:127.0.0.1:{port}', f'/u:{info.get("user", "helpdesk")}',
                f'/p:{info["ticket"]}', f'/sec:{info.get("security", "nla")}',
                f'/cert:deny,fingerprint:sha256:{info["sha256_fingerprint"]}']
        print(f'''
Remote Connection is up in the recovery system ({vm.elapsed():.0f} s after qemu started).

  Ticket:   {info["ticket"]}
  Port:     {info["port"]} in the guest, forwarded to 127.0.0.1:{port} here
  Guest addresses: {", ".join(info.get("addresses", [])) or "none"}
  Certificate SHA-256: {info["sha256_fingerprint"]}

Connect from this machine (needs an X display):
  {shlex.join(argv)}

Ctrl-C stops the VM.''', flush=True)
        while not stop.is_set() and vm.proc.poll() is None:
            stop.wait(1)
        if vm.proc.poll() is not None:
            raise Failure(f'qemu exited with status {vm.proc.returncode}')
    print('stopped', flush=True)


if __name__ == '__main__':
    try:
        main()
    except (Failure, Skip) as e:
        print(f'run-demo: {e}', file=sys.stderr)
        sys.exit(1)
