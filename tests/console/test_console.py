#!/usr/bin/env python3
"""Console VM tests: the recovery image boots in qemu with lifeline.remote=auto on the real
console (capture auto, injector uinput); the host's xfreerdp connects through a forwarded port
with the ticket and the lossless codec, and its window must show exactly what qemu's screendump
shows. One boot per display, several honest checks per boot:

  bochs   (-device VGA):         text console; typed command (RDP → uinput → VT); clicks and
                              wheel reach lifeline-inputtest (libinput, udev); a page-flipping
                              KMS program; its mode change (800x600) resizes the client; when it
                              exits the text console comes back on the screen and in the client
  virtio  (-device virtio-vga): text console; KMS program with a hardware cursor; mode change;
                              console comes back
  cirrus  (-device cirrus-vga):      RGB565 text console; an RGB565 KMS program; console comes back
  fbdev   (OVMF, -device ramfb): no DRM device, so auto picks /dev/fb0 (efifb); text console

Usage: test_console.py bochs|virtio|cirrus|fbdev
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import consolevm as cv  # noqa: E402
from consolevm import Failure, check  # noqa: E402

GUEST_BIN = '/usr/libexec/lifeline'
# the text console's blinking cursor: one character cell (8x16 font), with room to spare
CURSOR_CELL = (17, 33)


def connect(h, vm, remote):
    d = h.xvfb(1920, 1200)
    c = h.client(d, remote, codec='lossless')
    c.wait_window(timeout=60)
    vm.expect(r'helpdesk connected from', 60, what='the server seeing the client')
    return d, c


BARS = [(255, 255, 255), (255, 255, 0), (0, 255, 255), (0, 255, 0), (255, 0, 255), (255, 0, 0),
        (0, 0, 255), (0, 0, 0)]


def shows_pattern(img):
    """lifeline-kmstest's bars (tests/console/guest/pattern.h) across the top."""
    return all(img.pixel(i * img.w // 8 + 2, 2) == BARS[i] for i in range(8))


def text_console(h, vm, c, what, size=None):
    """Wait for a text console (not black, not the KMS program; at size when given) that the
    client shows too."""
    def want(img):
        return (cv.non_black(img) > 200 and not shows_pattern(img) and
                (size is None or (img.w, img.h) == size))
    return cv.wait_same(h, vm, c, 90, what, cursor_cell=CURSOR_CELL, want=want)


def kms_program(h, vm, c, console, args, size, what):
    """Run lifeline-kmstest with args while the client watches; the client must show its
    picture at size, then the text console again at the console's size once it exits."""
    mark = vm.mark()
    vm.shell(f'{GUEST_BIN}/lifeline-kmstest {args} & echo $! >/tmp/kmstest.pid')
    m = vm.expect(r'KMSTEST-READY mode=(\d+)x(\d+) .*cursor=(\w+)', 60, mark,
                  what='lifeline-kmstest up')
    check((int(m.group(1)), int(m.group(2))) == size,
          f'{what}: kmstest runs at {m.group(1)}x{m.group(2)}, wanted {size}')
    cv.wait_same(h, vm, c, 90, f'{what}: the client shows the KMS program',
                 want=lambda img: (img.w, img.h) == size and shows_pattern(img))
    cursor = m.group(3)

    mark = vm.mark()
    vm.shell('kill $(cat /tmp/kmstest.pid)')
    vm.expect(r'KMSTEST-EXIT', 30, mark, what='lifeline-kmstest exit')
    try:
        text_console(h, vm, c, f'{what}: text console back after the KMS program exited',
                     size=(console.w, console.h))
    except Failure:
        # for the log: who holds the card (the kernel restores the console on its last close)
        h.log(vm.shell('for p in /proc/[0-9]*; do ls -l $p/fd 2>/dev/null | grep -q /dev/dri '
                       '&& echo "HOLDS-DRI $(cat $p/comm) fd"; grep -q /dev/dri $p/maps '
                       '2>/dev/null && echo "HOLDS-DRI $(cat $p/comm) map"; done; true',
                       timeout=120))
        raise
    return cursor


def typed_command(h, vm, d, c):
    c.focus()
    before = vm.screendump()
    mark = vm.mark()
    # $((6*7)) makes the marker on the serial line differ from the typed text on the screen
    d.xdotool('type', '--delay', '60', 'echo LIFELINE-TYPED-$((6*7)) >/dev/ttyS0')
    d.xdotool('key', 'Return')
    vm.expect(r'LIFELINE-TYPED-42$', 60, mark, what='the typed command running')
    dump = text_console(h, vm, c, 'typed command on the screen and in the client')
    n, box = cv.diff_box(before, dump)
    check(n != 0, 'the screen did not change while the command was typed')
    h.log(f'typing changed {n} pixels in {box} of the screen (and the client shows them)')
    return dump


def pointer_to_libinput(h, vm, d, c, size):
    w, hh = size
    mark = vm.mark()
    vm.shell(f'{GUEST_BIN}/lifeline-inputtest --size {w}x{hh} --seconds 300 & '
             'echo $! >/tmp/inputtest.pid')
    ready = vm.expect(r'INPUTTEST-READY', 60, mark, what='lifeline-inputtest ready')
    lines = vm.text(mark, ready.start()).splitlines()
    kbd = [ln for ln in lines if 'device-added name="Lifeline remote keyboard"' in ln]
    ptr = [ln for ln in lines if 'device-added name="Lifeline remote pointer"' in ln]
    check(kbd and 'caps=keyboard' in kbd[-1], f'remote keyboard as libinput sees it: {kbd}')
    check(ptr and ptr[-1].endswith('caps=pointer'),
          f'remote pointer must be a plain pointer (no touch, tablet): {ptr}')

    def step(actions, expected, what):
        start = vm.mark()
        for a in actions:
            d.xdotool(*a)
        for i, e in enumerate(expected):
            vm.expect('^' + e + '$', 30, start if i == 0 else None, what=f'{what}: {e}')
    win = c.window
    step([('mousemove', '--window', win, 100, 120)], ['INPUT motion-abs 100 120'], 'move')
    step([('click', 1)], ['INPUT button 272 pressed', 'INPUT button 272 released'], 'left')
    step([('click', 3)], ['INPUT button 273 pressed', 'INPUT button 273 released'], 'right')
    step([('click', 2)], ['INPUT button 274 pressed', 'INPUT button 274 released'], 'middle')
    step([('click', 8)], ['INPUT button 275 pressed', 'INPUT button 275 released'], 'back')
    step([('mousemove', '--window', win, w - 1, hh - 1)], [f'INPUT motion-abs {w - 1} {hh - 1}'],
         'move to the corner')
    # libinput: wheel up is negative
    step([('click', 4)], ['INPUT scroll-wheel v120=-120 h120=0'], 'wheel up')
    step([('click', 5)], ['INPUT scroll-wheel v120=120 h120=0'], 'wheel down')
    vm.shell('kill $(cat /tmp/inputtest.pid)')


def console_boot(h, name, display, firmware='bios'):
    vm, remote = cv.boot_remote(h, name, display, firmware=firmware)
    d, c = connect(h, vm, remote)
    console = text_console(h, vm, c, f'{name}: text console')
    return vm, d, c, console


def scenario_bochs(h):
    vm, d, c, console = console_boot(h, 'bochs', 'VGA')
    check('drm=bochs' in vm.text(0), 'bochs: no DRM driver loaded')
    typed_command(h, vm, d, c)
    pointer_to_libinput(h, vm, d, c, (console.w, console.h))
    kms_program(h, vm, c, console, '--flip', (console.w, console.h), 'bochs flip')
    kms_program(h, vm, c, console, '--flip --mode 800x600', (800, 600), 'bochs 800x600')


def scenario_virtio(h):
    vm, d, c, console = console_boot(h, 'virtio', 'virtio-vga')
    cursor = kms_program(h, vm, c, console, '--flip --cursor --mode 800x600', (800, 600),
                         'virtio 800x600 with cursor')
    check(cursor == 'yes', 'virtio: kmstest could not set a hardware cursor')


def scenario_cirrus(h):
    vm, d, c, console = console_boot(h, 'cirrus', 'cirrus-vga')
    kms_program(h, vm, c, console, '--flip --rgb565 --mode 800x600', (800, 600),
                'cirrus RGB565 800x600')


def scenario_fbdev(h):
    vm, d, c, console = console_boot(h, 'fbdev', 'ramfb', firmware='uefi')
    out = vm.shell('ls /dev/dri /dev/fb0 2>&1 || true')
    check('/dev/fb0' in out and 'card0' not in out,
          f'fbdev: expected /dev/fb0 and no DRM card, found: {out}')
    typed_command(h, vm, d, c)


SCENARIOS = {
    'bochs': scenario_bochs,
    'virtio': scenario_virtio,
    'cirrus': scenario_cirrus,
    'fbdev': scenario_fbdev,
}

if __name__ == '__main__':
    name = sys.argv[1] if len(sys.argv) > 1 else ''
    if name not in SCENARIOS:
        print(f'usage: {sys.argv[0]} {"|".join(SCENARIOS)}', file=sys.stderr)
        sys.exit(1)
    cv.run(SCENARIOS[name])
