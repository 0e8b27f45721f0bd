#!/usr/bin/env python3
"""Input typed into xfreerdp with xdotool arrives in the recording injector with the right evdev
codes and coordinates; held keys are released when the client goes; view-only drops input.

typing-busy: typing at 30 characters a second through xfreerdp with its default codec (graphics
pipeline, H.264) while the screen is busy (the test picture's bench mode redraws a band at the
full frame rate) - the recording injector receives exactly the key sequence typed: every press
and release in order, nothing lost, nothing doubled, no repeats (value 2) the client did not
send, every key released at the end."""

import difflib
import time

import harness
import keyboard
from harness import check, Failure, KEY, BTN_LEFT, BTN_RIGHT, BTN_MIDDLE, BTN_SIDE, BTN_EXTRA

STATIC = 'test:size=1024x768,mode=static'


def press(code):
    return [f'key {code} 1', f'key {code} 0']


def chord(mod, code):
    # xdotool presses the keys of a chord in order and then releases them in the same order
    return [f'key {mod} 1', f'key {code} 1', f'key {mod} 0', f'key {code} 0']


def setup(h, extra=()):
    d = h.xvfb()
    srv = h.server(capture=STATIC, extra=list(extra))
    c = h.client(d, srv, codec='lossless')
    c.wait_window()
    c.wait_pattern_exact()
    srv.ctl.event('connected', 10)
    c.focus()
    # focus makes xfreerdp send a synchronize event and releases; a first key proves the path
    # works before the real checks start
    mark = len(srv.recorded())
    d.xdotool('key', 'Escape')
    srv.wait_recorded(press(KEY['ESC']), mark, what='a first key (Escape)')
    return d, srv, c


def key_step(h, d, srv, keys, expected, strict=True):
    """Type keys with xdotool and wait for exactly the expected key lines."""
    mark = len(srv.recorded())
    d.xdotool('key', '--delay', '30', *keys)
    srv.wait_recorded(expected, mark, what=f'keys {keys}')
    got = [ln for ln in srv.recorded()[mark:] if ln.startswith('key ')]
    if strict:
        check(got == expected, f'keys {keys}: recorded {got}, expected exactly {expected}')
    h.log(f'keys {keys} -> {got}')
    return got


def keys(h):
    d, srv, c = setup(h)
    steps = [
        (['a'], press(KEY['A'])),
        (['z', 'Return', 'Tab'], press(KEY['Z']) + press(KEY['ENTER']) + press(KEY['TAB'])),
        (['shift+a'], chord(KEY['LEFTSHIFT'], KEY['A'])),
        (['shift+1'], chord(KEY['LEFTSHIFT'], KEY['1'])),
        (['Up', 'Down', 'Left', 'Right'],
         press(KEY['UP']) + press(KEY['DOWN']) + press(KEY['LEFT']) + press(KEY['RIGHT'])),
        (['ctrl+c'], chord(KEY['LEFTCTRL'], KEY['C'])),
        (['alt+Tab'], chord(KEY['LEFTALT'], KEY['TAB'])),
        (['Home', 'End', 'Prior', 'Next', 'Insert', 'Delete'],
         press(KEY['HOME']) + press(KEY['END']) + press(KEY['PAGEUP']) + press(KEY['PAGEDOWN'])
         + press(KEY['INSERT']) + press(KEY['DELETE'])),
        (['KP_Enter', 'KP_Divide'], press(KEY['KPENTER']) + press(KEY['KPSLASH'])),
        (['F1', 'F12'], press(KEY['F1']) + press(KEY['F12'])),
        (['Super_L'], press(KEY['LEFTMETA'])),
        (['backslash'], press(KEY['BACKSLASH'])),
        (['Pause'], press(KEY['PAUSE'])),
    ]
    # xdotool adds a left modifier of its own when it types a right-hand modifier keysym, so
    # these are checked as "at least these lines, in this order"
    loose = [
        (['Control_R'], press(KEY['RIGHTCTRL'])),
        (['Shift_R'], press(KEY['RIGHTSHIFT'])),
        (['Alt_R'], press(KEY['RIGHTALT'])),
    ]
    failures = []
    for (ks, expected), strict in [(st, True) for st in steps] + [(st, False) for st in loose]:
        try:
            key_step(h, d, srv, ks, expected, strict=strict)
        except Failure as e:
            failures.append(str(e))
            h.log(f'FAILED step {ks}: {e}')
    check(not failures,
          f'{len(failures)} of {len(steps)} key steps failed: ' + ' | '.join(failures))
    check_balanced(srv.recorded())


def check_balanced(lines):
    """Every key line has value 0/1/2, and every pressed key is released at the end."""
    down = set()
    for ln in lines:
        parts = ln.split()
        if parts[0] != 'key':
            continue
        check(len(parts) == 3 and parts[2] in ('0', '1', '2'), f'bad key line {ln!r}')
        if parts[2] == '1':
            down.add(parts[1])
        elif parts[2] == '0':
            down.discard(parts[1])
    check(not down, f'keys left pressed: {sorted(down)}')


def mouse(h):
    d, srv, c = setup(h)
    w = c.window
    failures = []

    def step(actions, expected, what):
        mark = len(srv.recorded())
        for a in actions:
            d.xdotool(*a)
        try:
            srv.wait_recorded(expected, mark, what=what)
            h.log(f'{what}: {srv.recorded()[mark:]}')
        except Failure as e:
            failures.append(f'{what}: {e}')
            h.log(f'FAILED {what}: {e}')

    step([('mousemove', '--window', w, 100, 200)], ['abs 100 200'], 'move to 100,200')
    step([('click', 1)], [f'key {BTN_LEFT} 1', f'key {BTN_LEFT} 0'], 'left click')
    step([('mousemove', '--window', w, 300, 400), ('click', 3)],
         ['abs 300 400', f'key {BTN_RIGHT} 1', f'key {BTN_RIGHT} 0'], 'right click at 300,400')
    step([('mousemove', '--window', w, 1000, 700), ('click', 2)],
         ['abs 1000 700', f'key {BTN_MIDDLE} 1', f'key {BTN_MIDDLE} 0'],
         'middle click at 1000,700')
    step([('mousemove', '--window', w, 0, 0)], ['abs 0 0'], 'move to 0,0')
    step([('mousemove', '--window', w, 1023, 767)], ['abs 1023 767'], 'move to 1023,767')
    step([('mousemove', '--window', w, 512, 384), ('click', 4)], ['abs 512 384', 'wheel 120 0'],
         'wheel up')
    step([('click', 5)], ['wheel -120 0'], 'wheel down')
    step([('click', '--repeat', 3, '--delay', 50, 4)], ['wheel 120 0'] * 3, 'wheel up x3')
    step([('click', 8)], [f'key {BTN_SIDE} 1', f'key {BTN_SIDE} 0'], 'back button (8)')
    step([('click', 9)], [f'key {BTN_EXTRA} 1', f'key {BTN_EXTRA} 0'], 'forward button (9)')
    step([('mousemove', '--window', w, 50, 60), ('mousedown', 1),
          ('mousemove', '--window', w, 500, 300), ('mouseup', 1)],
         ['abs 50 60', f'key {BTN_LEFT} 1', 'abs 500 300', f'key {BTN_LEFT} 0'], 'drag')
    # horizontal wheel: xfreerdp 2.11 sends it only when the server announces support
    mark = len(srv.recorded())
    d.xdotool('click', 6)
    d.xdotool('click', 7)
    d.xdotool('key', 'a')
    srv.wait_recorded(press(KEY['A']), mark, what='key after horizontal wheel')
    hw = [ln for ln in srv.recorded()[mark:] if ln.startswith('wheel')]
    h.log(f'horizontal wheel (buttons 6, 7): {hw}')
    if hw:
        check(hw == ['wheel 0 -120', 'wheel 0 120'],
              f'horizontal wheel left/right recorded as {hw}, expected wheel 0 -120, wheel 0 120')
    for ln in srv.recorded():
        parts = ln.split()
        if parts[0] == 'abs':
            x, y = int(parts[1]), int(parts[2])
            check(0 <= x < 1024 and 0 <= y < 768, f'abs outside the screen: {ln}')
    check(not failures, f'{len(failures)} mouse steps failed: ' + ' | '.join(failures))
    check_balanced(srv.recorded())


def release_on_disconnect(h):
    d, srv, c = setup(h)
    mark = len(srv.recorded())
    d.xdotool('mousemove', '--window', c.window, 200, 100)
    d.xdotool('keydown', 'shift')
    d.xdotool('keydown', 'ctrl')
    d.xdotool('mousedown', 1)
    d.xdotool('mousedown', 3)
    srv.wait_recorded([f'key {KEY["LEFTSHIFT"]} 1', f'key {KEY["LEFTCTRL"]} 1',
                       f'key {BTN_LEFT} 1', f'key {BTN_RIGHT} 1'], mark, what='held keys')
    mark = len(srv.recorded())
    # SIGKILL: the client gets no chance to send releases itself
    c.proc.signal(harness.signal.SIGKILL)
    c.wait_exit(5)
    srv.ctl.event('disconnected', 15)
    lines_needed = [f'key {KEY["LEFTSHIFT"]} 0', f'key {KEY["LEFTCTRL"]} 0',
                    f'key {BTN_LEFT} 0', f'key {BTN_RIGHT} 0']
    for ln in lines_needed:
        srv.wait_recorded([ln], mark, timeout=5, what=f'release {ln}')
    h.log(f'after the client was killed: {srv.recorded()[mark:]}')
    check_balanced(srv.recorded())
    for a in (('keyup', 'shift'), ('keyup', 'ctrl'), ('mouseup', 1), ('mouseup', 3)):
        d.xdotool(*a)

    # auto-repeat: a held key repeats (value 2) and is released once
    c2 = h.client(d, srv, codec='lossless')
    c2.wait_window()
    c2.wait_pattern_exact()
    srv.ctl.event('connected', 10)
    c2.focus()
    mark = len(srv.recorded())
    d.xdotool('keydown', 'b')
    try:
        srv.wait_recorded(['key 48 1'], mark, what='b pressed')
        repeat_seen = True
        try:
            srv.wait_recorded(['key 48 1', 'key 48 2'], mark, timeout=3, what='auto-repeat of b')
        except Failure:
            repeat_seen = False
    finally:
        d.xdotool('keyup', 'b')
    srv.wait_recorded(['key 48 0'], mark, what='b released')
    got = [ln for ln in srv.recorded()[mark:] if ln.startswith('key 48')]
    h.log(f'held b: {got[:6]}{" ..." if len(got) > 6 else ""} ({len(got)} lines)')
    # X auto-repeats the held key (660 ms delay); xfreerdp sends the repeats as further
    # key-downs, which the server must turn into value 2
    check(repeat_seen, f'no auto-repeat (value 2) for a held key: {got}')
    check(got.count('key 48 1') == 1, f'repeats recorded as new presses: {got}')
    check(got[-1] == 'key 48 0', f'b not released last: {got}')
    check_balanced(srv.recorded())


def view_only(h):
    d, srv, c = setup(h)
    r = srv.ctl.command({'command': 'view-only', 'enabled': True})
    check(r.get('reply') == 'ok', f'view-only command: {r}')
    ev = srv.ctl.event('view-only', 5)
    check(ev.get('enabled') is True, f'view-only event: {ev}')
    st = srv.ctl.status()
    check(st.get('view_only') is True, f'state view_only: {st}')
    mark = len(srv.recorded())
    d.xdotool('key', 'a', 'shift+b', 'Return')
    d.xdotool('mousemove', '--window', c.window, 321, 123)
    d.xdotool('click', 1)
    d.xdotool('click', 4)
    # proving absence needs a quiet period: the same actions arrive within ~0.1 s when
    # input is allowed (see the keys and mouse tests)
    time.sleep(1.5)
    new = srv.recorded()[mark:]
    check(not new, f'view-only: input reached the injector: {new}')
    check(c.alive(), 'the client was disconnected by view-only')
    r = srv.ctl.command({'command': 'view-only', 'enabled': False})
    check(r.get('reply') == 'ok', f'view-only off: {r}')
    ev = srv.ctl.event('view-only', 5)
    check(ev.get('enabled') is False, f'view-only event: {ev}')
    mark = len(srv.recorded())
    d.xdotool('key', 'c')
    srv.wait_recorded(press(KEY['C']), mark, what='input after view-only was turned off')
    c.stop()
    srv.ctl.event('disconnected', 10)
    srv.stop()

    # --view-only from the start
    srv2 = h.server(capture=STATIC, extra=['--view-only'], name='server-view-only')
    st = srv2.ctl.status()
    check(st.get('view_only') is True, f'--view-only: state {st}')
    c2 = h.client(d, srv2, codec='lossless')
    c2.wait_window()
    c2.wait_pattern_exact()
    ev = srv2.ctl.event('connected', 10)
    check(ev.get('view_only') is True, f'--view-only: connected event {ev}')
    c2.focus()
    mark = len(srv2.recorded())
    d.xdotool('key', 'a')
    d.xdotool('mousemove', '--window', c2.window, 10, 20)
    d.xdotool('click', 3)
    time.sleep(1.5)
    new = srv2.recorded()[mark:]
    check(not new, f'--view-only: input reached the injector: {new}')



BUSY = 'test:size=1024x768,mode=bench,change=25,fps=30'
KEY_ESC = 1

# 200+ characters: every letter, digit and shifted symbol of the US layout, words with doubled
# letters (the second press of a doubled key must not turn into a repeat or vanish) and runs
# of the same key.
TEXT = ('bookkeeper committee Mississippi balloon coffee toffee aardvark llama '
        'THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG 0123456789 '
        '!@#$%^&*()_+ ~`-=[]{}\\|;:\'",.<>/? '
        'zzz 1000001 ++--== Keep ssh@helpdesk:22 "lookup" (appeal) ~~ 99% done? yes!! ')


def wait_keys(srv, mark, want, timeout, what):
    """Wait until the recording after mark holds as many key lines as want, or ends with the
    last line of want (so a lost key fails at once, not at the deadline); returns the key
    lines, compared exactly with want."""
    def arrived():
        got = [ln for ln in srv.recorded()[mark:] if ln.startswith('key ')]
        return got if len(got) >= len(want) or got[-1:] == want[-1:] else None
    try:
        got = harness.wait_until(arrived, timeout, what, interval=0.02)
    except Failure:
        got = [ln for ln in srv.recorded()[mark:] if ln.startswith('key ')]
    if got != want:
        diff = list(difflib.unified_diff(want, got, 'typed', 'recorded', n=2, lineterm=''))
        raise Failure(f'{what}: the recorded key sequence differs from the typed one '
                      f'({len(got)} lines, expected {len(want)}):\n' + '\n'.join(diff[:60]))
    return got


def typing_busy(h):
    check(len(TEXT) >= 200, f'the text is {len(TEXT)} characters')
    d = h.xvfb()
    srv = h.server(capture=BUSY)
    c = h.client(d, srv, codec='default')
    c.wait_window()
    c.wait_picture(lambda img: harness.read_counter(img, srv.width, srv.height) is not None,
                   30, 'the busy picture')
    srv.ctl.event('connected', 10)
    c.focus()
    kb = keyboard.XTestKeyboard(d.name)
    groups = keyboard.char_events(TEXT)
    expected = [f'key {code} {value}' for g in groups for code, value in g]
    kb.check_us_layout([code for g in groups for code, _ in g])

    # a first key proves the path (focus makes xfreerdp send a synchronize and releases)
    mark = len(srv.recorded())
    kb.play(keyboard.schedule([[(KEY_ESC, 1), (KEY_ESC, 0)]], 1))
    wait_keys(srv, mark, [f'key {KEY_ESC} 1', f'key {KEY_ESC} 0'], 10, 'a first key (Escape)')

    mark = len(srv.recorded())
    sent = kb.play(keyboard.schedule(groups, 30))
    rate = len(TEXT) / (sent[-1] - sent[0] + 1 / 30)
    h.log(f'typed {len(TEXT)} characters ({len(expected)} key events) in '
          f'{sent[-1] - sent[0]:.2f} s: {rate:.1f} characters/s')
    check(rate >= 28, f'could only type {rate:.1f} characters a second (want 30)')
    # Escape after the text: once it has arrived, everything typed before it has too
    kb.play(keyboard.schedule([[(KEY_ESC, 1), (KEY_ESC, 0)]], 1))
    want = expected + [f'key {KEY_ESC} 1', f'key {KEY_ESC} 0']
    wait_keys(srv, mark, want, 30, f'{len(TEXT)} characters typed')
    others = [ln for ln in srv.recorded()[mark:] if not ln.startswith('key ')]
    check(not others, f'non-key events while typing: {others[:10]}')
    check(c.alive(), 'xfreerdp exited while typing')
    check_balanced(srv.recorded())
    h.log(f'all {len(want)} key lines arrived exactly as typed')
    kb.close()


harness.main({
    'keys': keys,
    'mouse': mouse,
    'release-on-disconnect': release_on_disconnect,
    'view-only': view_only,
    'typing-busy': typing_busy,
})
