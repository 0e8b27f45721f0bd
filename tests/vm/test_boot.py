#!/usr/bin/env python3
"""Boot tests: qemu (TCG) boots each real medium until the system is up and the server binary
ran in the guest.

usage: test_boot.py SCENARIO      (see SCENARIOS below)
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmharness  # noqa: E402
import vmimage  # noqa: E402
from vmharness import VM, Failure, check, log  # noqa: E402

BOOT_TIMEOUT = float(os.environ.get('LIFELINE_VM_BOOT_TIMEOUT', '300'))


def wait_up(vm, firmware):
    """The markers of a complete start: init, devices, network, server binary, ready."""
    vm.wait_for(r'LIFELINE-INIT kernel=\S+', BOOT_TIMEOUT, 'init started')
    dev = vm.wait_for(r'LIFELINE-DEVICES [^\n]*efi=(yes|no)[^\n]*\n', BOOT_TIMEOUT, 'devices')
    want = 'yes' if firmware == 'uefi' else 'no'
    check(dev.group(1) == want, f'booted with efi={dev.group(1)}, expected {want} ({firmware})')
    net = vm.wait_for(r'LIFELINE-NET ([^\n]*)\n', BOOT_TIMEOUT, 'network')
    check('10.0.2.15/24' in net.group(1), f'no DHCP address from qemu: {net.group(1)}')
    vm.wait_for(r'LIFELINE-SERVER lifeline-server \d+\.\d+\S*', BOOT_TIMEOUT,
                'lifeline-server --version in the guest')
    vm.wait_for(r'LIFELINE-READY uptime=[0-9.]+', BOOT_TIMEOUT, 'ready')
    log(f'{vm.name}: up in {vm.elapsed():.1f} s of wall time (qemu start to LIFELINE-READY)')


def check_png(path):
    with open(path, 'rb') as f:
        head = f.read(24)
    check(head[:8] == b'\x89PNG\r\n\x1a\n', f'{path} is not a PNG')
    w, h = struct.unpack('>II', head[16:24])
    check(w >= 640 and h >= 400, f'screendump is only {w}x{h}')
    return w, h


def scenario_vm(name, m, workdir):
    firmware = 'uefi' if 'uefi' in name else 'bios'
    nb = m['netboot']
    if name.startswith('iso-cd-'):
        vm = VM(name, workdir, firmware=firmware)
        vm.cdrom(m['iso'])
    elif name.startswith('iso-usb-'):
        vm = VM(name, workdir, firmware=firmware)
        vm.usb_stick(m['iso'])
    elif name == 'disk-uefi':
        vm = VM(name, workdir, firmware='uefi')
        vm.disk(m['disk'])
    elif name == 'net-bios-ipxe':
        # the iPXE option ROM of virtio-net fetches boot.ipxe over qemu's TFTP
        vm = VM(name, workdir, firmware='bios', tftp=nb, bootfile='boot.ipxe',
                boot_from_nic=True)
    elif name == 'net-bios-pxelinux':
        vm = VM(name, workdir, firmware='bios', nic='e1000', tftp=nb, bootfile='pxelinux.0',
                boot_from_nic=True)
    elif name == 'net-uefi-pxe':
        # romfile= leaves out iPXE: OVMF's own PXE client loads the single EFI file
        vm = VM(name, workdir, firmware='uefi', tftp=nb, bootfile='lifeline.efi',
                nic_romfile='', boot_from_nic=True)
    elif name == 'net-uefi-ipxe':
        vm = VM(name, workdir, firmware='uefi', tftp=nb, bootfile='boot.ipxe',
                boot_from_nic=True)
    else:
        raise Failure(f'unknown scenario {name}')
    return vm, firmware


SCENARIOS = ['iso-cd-bios', 'iso-cd-uefi', 'iso-usb-bios', 'iso-usb-uefi', 'disk-uefi',
             'net-bios-ipxe', 'net-bios-pxelinux', 'net-uefi-pxe', 'net-uefi-ipxe']


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else ''
    check(name in SCENARIOS, f'usage: test_boot.py {"|".join(SCENARIOS)}')
    m = vmimage.media()
    workdir = os.path.join(vmimage.vm_dir(), 'runs')
    vm, firmware = scenario_vm(name, m, workdir)
    with vm:
        vm.start()
        wait_up(vm, firmware)
        if name == 'iso-cd-bios':
            # the serial root shell works, and the system is the one we built
            out = vm.shell('cat /etc/lifeline-release /proc/cmdline')
            check('LIFELINE_VERSION=' in out, f'no /etc/lifeline-release: {out}')
            check('console=ttyS0' in out, f'unexpected command line: {out}')
            out = vm.shell('ls /dev/dri; lsmod | grep -c .')
            check('card0' in out, f'no DRM device in the guest: {out}')
            png = os.path.join(workdir, f'{name}-screen.png')
            vm.screendump(png)
            w, h = check_png(png)
            log(f'{name}: screendump {w}x{h} -> {png}')


if __name__ == '__main__':
    vmharness.run(main)
