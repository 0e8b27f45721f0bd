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
                              the cursor plane reaches the client as the RDP pointer (its image,
                              its moves) and is not part of the picture; console comes back
  cirrus  (-device cirrus-vga):      RGB565 text console; an RGB565 KMS program; console comes back
  fbdev   (OVMF, -device ramfb): no DRM device, so auto picks /dev/fb0 (efifb); text console
  dualhead (-device virtio-vga,max_outputs=2, the second output forced on with video=): the
                              connection info lists both monitors with their sizes; the server
                              started with lifeline.capture=auto:monitor=1 shows the second head
                              (text console, then a KMS program on that head only); a server
                              started by hand with the default capture shows the first head

Usage: test_console.py bochs|virtio|cirrus|fbdev|dualhead
"""


import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import consolevm as cv  # noqa: E402
from consolevm import Failure, check, wait_until  # noqa: E402

# vm.shell() captures what a command prints; the guest programs a test waits for in the
# serial text write there instead
SERIAL = '/dev/ttyS0'
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


def kms_program(h, vm, c, console, args, size, what, while_running=None):
    """Run lifeline-kmstest with args while the client watches; the client must show its
    picture at size (then while_running(), when given, checks more), then the text console
    again at the console's size once it exits."""
    mark = vm.mark()
    vm.shell(f'{GUEST_BIN}/lifeline-kmstest {args} >{SERIAL} 2>&1 & echo $! >/tmp/kmstest.pid')
    m = vm.expect(r'KMSTEST-READY mode=(\d+)x(\d+) .*cursor=(\w+)', 60, mark,
                  what='lifeline-kmstest up')
    check((int(m.group(1)), int(m.group(2))) == size,
          f'{what}: kmstest runs at {m.group(1)}x{m.group(2)}, wanted {size}')
    cv.wait_same(h, vm, c, 90, f'{what}: the client shows the KMS program',
                 want=lambda img: (img.w, img.h) == size and shows_pattern(img))
    cursor = m.group(3)
    if while_running:
        check(cursor == 'yes' or '--cursor' not in args,
              f'{what}: kmstest could not set a hardware cursor')
        while_running()

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
    vm.shell(f'{GUEST_BIN}/lifeline-inputtest --size {w}x{hh} --seconds 300 >{SERIAL} 2>&1 & '
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
            # a whole line; the serial shell's prompt may stand in front of the first one
            # (lifeline-inputtest writes to the serial line while the prompt is on it)
            vm.expect(r'(?:^|[#$] )' + e + '$', 30, start if i == 0 else None,
                      what=f'{what}: {e}')
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


def kms_cursor_pixel(x, y):
    """The hardware cursor lifeline-kmstest sets: a copy of cursor_pixel() in
    tests/console/guest/kmstest.c (ARGB8888, premultiplied alpha)."""
    if y < 32 and x <= y // 2:
        if x == 0 or x == y // 2 or y == 31:
            return 0xFF000000
        return 0xFFFF0000 if 8 <= y < 16 else 0xFF00FF00 if 16 <= y < 24 else 0xFFFFFFFF
    if 32 <= x < 48 and y >= 40:
        return 0xFF0000FF if y < 48 else 0x80400000 if y < 56 else 0x30003000
    return 0


def rdp_pointer_pixel(v):
    """What an RDP client can show of a premultiplied ARGB cursor pixel: FreeRDP 2's shadow
    server sends the pointer as 24-bit colour plus a 1-bit mask (a "new pointer" update with
    xorBpp 24), so alpha below 64 becomes transparent and any other alpha opaque, with the
    colour un-premultiplied (shadow_subsystem_pointer_convert_alpha_pointer_data)."""
    a = v >> 24
    if a < 64:
        return 0
    r, g, b = (((v >> s) & 0xFF) * 255 // a for s in (16, 8, 0))
    return 0xFF000000 | r << 16 | g << 8 | b


CURSOR_AT = [(100, 50), (300, 200)]


def pointer_client(h, d, remote):
    """xfreerdp as connect() starts it, plus +grab-mouse, without which xfreerdp 2.11 drops
    every pointer position update (libfreerdp/cache/pointer.c: update_pointer_position), and a
    debug log of its X11 pointer code, line-buffered, so that the test can read which
    positions reached xf_Pointer_SetPosition."""
    argv = ['stdbuf', '-oL', 'xfreerdp', f'/v:127.0.0.1:{remote.port}', '/u:helpdesk',
            f'/p:{remote.ticket}', f'/cert:deny,fingerprint:sha256:{remote.fingerprint}',
            f'/sec:{remote.info.get("security", "nla")}', *cv.harness.Client.CODECS['lossless'],
            '+grab-mouse', '/log-filters:com.freerdp.client.x11:DEBUG']
    c = h.client(d, remote, argv=argv)
    c.wait_window(timeout=60)
    return c


def hardware_cursor(h, vm, d, c):
    """While lifeline-kmstest shows its cursor at CURSOR_AT[0]: the client's X pointer has the
    cursor's image, the client is told every position the cursor moves to, and the picture
    (client and screendump alike) has no cursor in it."""
    expected = [rdp_pointer_pixel(kms_cursor_pixel(x, y)) for y in range(64) for x in range(64)]
    last = {}

    def pointer_image():
        cur = cv.XCursor.read(d)
        last['cur'] = cur
        return cur if (cur.width, cur.height) == (64, 64) and cur.pixels == expected else None
    try:
        cur = wait_until(pointer_image, 60, 'the client\'s X pointer to show the cursor '
                            'kmstest set', interval=0.2)
    except cv.Failure:
        cur = last.get('cur')
        if cur is not None:
            bad = [(i % cur.width, i // cur.width, f'{p:08x}', f'{expected[i]:08x}')
                   for i, p in enumerate(cur.pixels[:len(expected)]) if p != expected[i]]
            h.log(f'last X pointer: {cur.width}x{cur.height} hotspot {cur.xhot},{cur.yhot} '
                  f'at {cur.x},{cur.y}; {len(bad)} pixels differ (x, y, got, wanted), e.g. '
                  f'{bad[:8]}')
        raise
    check((cur.xhot, cur.yhot) == (0, 0), f'pointer hotspot {cur.xhot},{cur.yhot}, wanted 0,0 '
          '(KMS cursors have none, so the position is the top-left corner)')
    h.log('the client\'s X pointer is the hardware cursor: 64x64, hotspot 0,0, every pixel as '
          'sent (opaque, half-transparent made opaque, nearly transparent made transparent)')

    # The position: xfreerdp 2.11 hands every pointer position update to xf_Pointer_SetPosition
    # (with +grab-mouse), which logs it. It moves the X pointer only while it believes its
    # window has the focus, and it loses that belief as soon as it grabs the keyboard (the
    # FocusOut of mode NotifyGrab that its own XGrabKeyboard causes), so the X pointer stays
    # where it is; the log is what the client shows of the position.
    def told(pos):
        return c.output().count(f'xf_Pointer_SetPosition: {pos[0]}x{pos[1]}')
    wait_until(lambda: told(CURSOR_AT[0]), 60, f'xfreerdp told the pointer position '
               f'{CURSOR_AT[0]}', interval=0.2)
    for pos in CURSOR_AT[1:] + CURSOR_AT[:1]:
        mark = vm.mark()
        before = told(pos)
        vm.shell('kill -USR1 $(cat /tmp/kmstest.pid)')
        vm.expect(rf'KMSTEST-CURSOR x={pos[0]} y={pos[1]}$', 30, mark,
                  what=f'kmstest moving its cursor to {pos}')
        wait_until(lambda: told(pos) > before, 60,  # noqa: B023 (called at once)
                   f'xfreerdp told the new pointer position {pos}', interval=0.2)
        h.log(f'the cursor moved to {pos}: xfreerdp was told {pos[0]}x{pos[1]}')

    # The cursor plane is not in the captured picture, just as it is not in qemu's screendump.
    x0, y0 = CURSOR_AT[0]
    dump = cv.wait_same(h, vm, c, 60, 'the picture under the cursor, without the cursor')
    opaque = [(x, y) for y in range(64) for x in range(64) if expected[y * 64 + x]]
    same = sum(dump.pixel(x0 + x, y0 + y) == tuple(expected[y * 64 + x] >> s & 0xFF
                                                 for s in (16, 8, 0)) for x, y in opaque)
    check(same < len(opaque) // 2, f'the screendump itself shows the cursor at {CURSOR_AT[0]} '
          f'({same} of {len(opaque)} pixels), so comparing with it proves nothing')


def scenario_virtio(h):
    vm, remote = cv.boot_remote(h, 'virtio', 'virtio-vga')
    d = h.xvfb(1920, 1200)
    c = pointer_client(h, d, remote)
    vm.expect(r'helpdesk connected from', 60, what='the server seeing the client')
    console = text_console(h, vm, c, 'virtio: text console')
    # The X pointer over the client window (and inside the KMS program's smaller mode), so that
    # the X server shows the window's cursor. The client sends this position to the server,
    # which then sends the cursor's position because it differs.
    d.xdotool('mousemove', '--window', c.window, 400, 500)
    at = ','.join(f'{x},{y}' for x, y in CURSOR_AT)
    kms_program(h, vm, c, console,
                '--flip ' + ' '.join(f'--cursor-at {x},{y}' for x, y in CURSOR_AT) +
                ' --mode 800x600', (800, 600), f'virtio 800x600 with a cursor at {at}',
                while_running=lambda: hardware_cursor(h, vm, d, c))


def scenario_cirrus(h):
    vm, d, c, console = console_boot(h, 'cirrus', 'cirrus-vga')
    kms_program(h, vm, c, console, '--flip --rgb565 --mode 800x600', (800, 600),
                'cirrus RGB565 800x600')


# virtio-gpu with two outputs: qemu enables only the first (1280x800) unless a UI asks for
# more, so the kernel forces the second on with video=...e; fbcon lights it at that mode.
DUAL_DISPLAY = 'virtio-vga,max_outputs=2,id=video0'
DUAL_HEADS = [('Virtual-1', (1280, 800)), ('Virtual-2', (1024, 768))]
DUAL_APPEND = 'video=Virtual-2:1024x768e'


def check_monitors(info, shared, sizes, what):
    """The connection info lists both heads, connected, at sizes, and marks shared; returns
    the list as text."""
    got = info.get('monitors')
    want = [{'index': i, 'name': name, 'connected': True, 'shared': i == shared,
             'width': w, 'height': hh} for i, ((name, _), (w, hh)) in
            enumerate(zip(DUAL_HEADS, sizes))]
    check(got == want, f'{what}: the connection info lists the monitors {got}, wanted {want}')
    return ', '.join(f'{m["name"]} {m["width"]}x{m["height"]}{" (shared)" * m["shared"]}'
                     for m in got)


def start_server_by_hand(h, vm, port, what):
    """lifeline-server with its default capture, started on the serial shell beside the one
    the boot started; returns its Remote through a forward of the guest's port."""
    state = '/run/lifeline-by-hand'
    mark = vm.mark()
    vm.shell(f'lifeline-server --state-dir={state} --bind=0.0.0.0 --port-range={port} 2>&1 | '
             'tee /tmp/by-hand.log | while IFS= read -r l; do case $l in *" ready: "*) '
             f'echo "BY-HAND-READY $(tr -d \'\\n\' <{state}/connection.json)";; esac; done '
             f'>{SERIAL} 2>&1 & '
             'true')
    try:
        m = vm.expect(r'BY-HAND-READY (\{.*\})$', 60, mark, what=f'{what}: ready')
    except Failure:
        h.log(vm.shell('cat /tmp/by-hand.log', timeout=30))
        raise
    info = json.loads(m.group(1))
    return cv.Remote(info, vm.vm.hostfwd_add(port))


def scenario_dualhead(h):
    vm, remote = cv.boot_remote(h, 'dualhead', DUAL_DISPLAY, capture='auto:monitor=1',
                                append=DUAL_APPEND)
    for i, (name, size) in enumerate(DUAL_HEADS):
        dump = vm.screendump(i)
        check((dump.w, dump.h) == size and cv.non_black(dump) > 200,
              f'dualhead: qemu shows head {i} at {dump.w}x{dump.h} '
              f'({cv.non_black(dump)} lit values), wanted a text console at {size}')
    sizes = [size for _, size in DUAL_HEADS]
    h.log('dualhead: qemu shows both heads; lifeline.capture=auto:monitor=1 lists ' +
          check_monitors(remote.info, 1, sizes, 'lifeline.capture=auto:monitor=1'))

    # The server the boot started (lifeline.capture=auto:monitor=1) shares the second head:
    # first the text console at the second head's size, then a KMS program on that head alone
    # (the first keeps the text console).
    d, c = connect(h, vm, remote)
    size = DUAL_HEADS[1][1]
    cv.wait_same(h, vm, c, 90, 'monitor=1: the second head\'s text console', head=1,
                 cursor_cell=CURSOR_CELL,
                 want=lambda img: ((img.w, img.h) == size and cv.non_black(img) > 200 and
                                   not shows_pattern(img)))
    mark = vm.mark()
    vm.shell(f'{GUEST_BIN}/lifeline-kmstest --connector 1 --mode 800x600 >{SERIAL} 2>&1 & '
             'echo $! >/tmp/kmstest.pid')
    vm.expect(r'KMSTEST-READY mode=800x600 .*connector=1 ', 60, mark,
              what='lifeline-kmstest up on the second head')
    cv.wait_same(h, vm, c, 90, 'monitor=1: the KMS program on the second head', head=1,
                 want=lambda img: (img.w, img.h) == (800, 600) and shows_pattern(img))
    first = vm.screendump(0)
    check((first.w, first.h) == DUAL_HEADS[0][1] and not shows_pattern(first),
          f'the first head ({first.w}x{first.h}) must still show the text console')

    # A server with the default capture shares the first head, which still shows the text
    # console while the KMS program runs on the second.
    remote0 = start_server_by_hand(h, vm, cv.GUEST_PORT + 1, 'a server with the default capture')
    h.log('dualhead: the default capture lists ' +
          check_monitors(remote0.info, 0, [sizes[0], (800, 600)], 'the default capture'))
    d0 = h.xvfb(1920, 1200)
    c0 = h.client(d0, remote0, codec='lossless')
    c0.wait_window(timeout=60)
    cv.wait_same(h, vm, c0, 90, 'default: the first head\'s text console', head=0,
                 cursor_cell=CURSOR_CELL,
                 want=lambda img: ((img.w, img.h) == sizes[0] and cv.non_black(img) > 200 and
                                   not shows_pattern(img)))


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
    'dualhead': scenario_dualhead,
}

if __name__ == '__main__':
    name = sys.argv[1] if len(sys.argv) > 1 else ''
    if name not in SCENARIOS:
        print(f'usage: {sys.argv[0]} {"|".join(SCENARIOS)}', file=sys.stderr)
        sys.exit(1)
    cv.run(SCENARIOS[name])
