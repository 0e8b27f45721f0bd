#!/usr/bin/env python3
"""Console capture figures (a benchmark, not a test; prints, asserts nothing but that it ran).

Boots the recovery image with a 1920x1080 bochs display (TCG unless QEMU_ACCEL says otherwise)
and Remote Connection on the real console, then:

 1. in the guest, with no client: lifeline-capture-bench (drm backend) while lifeline-kmstest
    shows a still picture and while it changes every pixel every frame, at 1920x1080 and
    1024x768: capture and tile-diff cost per frame against one memcpy of the same frame;
 2. the real xfreerdp (lossless) connects; lifeline-kmstest changes every pixel at up to 60 fps
    (1024x768): frames per second the client shows, decoded from the picture (the frame number
    is XORed into every pixel, tests/console/guest/pattern.h), and the server's CPU;
 3. the same client, still picture: the server's CPU.

CPU is the server's utime+stime from /proc in the guest over a window, in % of one guest CPU.
Under TCG every figure is many times slower than on hardware; compare ratios, not times.

Usage: bench-capture.py [SECONDS]    (measurement window, default 10)
Environment: as the console tests (LIFELINE_IMAGE_DIR, LIFELINE_VM_DIR, QEMU_ACCEL).
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import consolevm as cv  # noqa: E402

GUEST_BIN = '/usr/libexec/lifeline'
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0


def guest_bench(h, vm, mode, animate, frames):
    flag = '--animate-all --fps 30' if animate else '--flip'
    vm.shell(f'{GUEST_BIN}/lifeline-kmstest {flag} --mode {mode} >/dev/null & '
             'echo $! >/tmp/kmstest.pid')
    vm.shell('sleep 1')  # let it flip a few times (figures, not readiness)
    out = vm.shell(f'{GUEST_BIN}/lifeline-capture-bench --capture drm --frames {frames} '
                   '--interval 20', timeout=600)
    vm.shell('kill $(cat /tmp/kmstest.pid); wait')
    m = re.search(r'BENCH size=(\S+) format=(\S+) frames=\d+ grab_ms=(\S+) diff_ms=(\S+) '
                  r'memcpy_ms=(\S+) ratio=(\S+) rects=(\S+)', out)
    cv.check(m, f'no BENCH line in: {out}')
    size, fmt, grab, diff, copy, ratio, rects = m.groups()
    print(f'guest {size} {fmt} {"changing" if animate else "still":8s}: grab {grab} ms + '
          f'diff {diff} ms per frame, memcpy {copy} ms, (grab+diff)/memcpy = {ratio}, '
          f'{rects} rects per frame', flush=True)


def server_cpu(vm, seconds):
    """% of one CPU the server used over seconds (guest clock ticks)."""
    out = vm.shell('pid=$(pidof lifeline-server); t0=$(cut -d" " -f14,15 /proc/$pid/stat); '
                   f'sleep {seconds}; t1=$(cut -d" " -f14,15 /proc/$pid/stat); '
                   'echo CPU $t0 $t1 $(getconf CLK_TCK 2>/dev/null || echo 100)',
                   timeout=seconds + 120)
    m = re.search(r'CPU (\d+) (\d+) (\d+) (\d+) (\d+)', out)
    cv.check(m, f'no CPU line in {out}')
    u0, s0, u1, s1, hz = map(int, m.groups())
    return 100.0 * ((u1 + s1) - (u0 + s0)) / hz / seconds


def frame_of(img, w, hh):
    """The frame number (mod 256) --animate-all XORed into a gradient pixel."""
    x, y = w // 2, hh - 2
    base_b = 0x80
    return img.pixel(x, y)[2] ^ base_b


def main(h):
    vm, remote = cv.boot_remote(h, 'bench', 'VGA,xres=1920,yres=1080')
    for mode in ('1920x1080', '1024x768'):
        for animate in (False, True):
            guest_bench(h, vm, mode, animate, 40)

    d = h.xvfb(1920, 1200)
    c = h.client(d, remote, codec='lossless')
    c.wait_window(timeout=60)
    vm.expect(r'helpdesk connected from', 60, what='the server seeing the client')

    # whole screen changing every frame
    vm.shell(f'{GUEST_BIN}/lifeline-kmstest --animate-all --fps 60 --mode 1024x768 >/dev/null & '
             'echo $! >/tmp/kmstest.pid')
    cv.wait_until(lambda: (lambda i: (i.w, i.h) == (1024, 768))(c.screenshot()), 60,
                  'the client at 1024x768')
    seen, samples, t0 = set(), 0, time.monotonic()
    last = None
    changes = 0
    while time.monotonic() - t0 < SECONDS:
        f = frame_of(c.screenshot(), 1024, 768)
        samples += 1
        if f != last:
            changes += 1
            last = f
        seen.add(f)
    dt = time.monotonic() - t0
    print(f'client, 1024x768 changing every pixel: {changes / dt:.1f} new frames/s seen '
          f'(sampling the window at {samples / dt:.1f}/s, so a lower bound when close to it)',
          flush=True)
    print(f'server CPU while sending it: {server_cpu(vm, SECONDS):.0f}% of one guest CPU',
          flush=True)
    vm.shell('kill $(cat /tmp/kmstest.pid); wait')

    # still screen: a static KMS picture (fbcon's cursor would blink)
    vm.shell(f'{GUEST_BIN}/lifeline-kmstest --flip --mode 1024x768 >/dev/null & '
             'echo $! >/tmp/kmstest.pid')
    print(f'server CPU with a client and a still screen (page flips of the same picture): '
          f'{server_cpu(vm, SECONDS):.0f}% of one guest CPU', flush=True)
    vm.shell('kill $(cat /tmp/kmstest.pid); wait')
    print(f'server CPU with a client and the text console: {server_cpu(vm, SECONDS):.0f}% of '
          'one guest CPU', flush=True)


if __name__ == '__main__':
    cv.run(main)
