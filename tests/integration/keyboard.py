"""Typing into an X display through XTEST, paced, with the time each key event was sent.

Used by the typing tests and by bench/input-latency.  xdotool spawns a process per call and
picks its own order for chords; this sends exactly the core key events asked for, at the times
asked for, and reads CLOCK_MONOTONIC (time.monotonic()) right before each request goes to the
X server.
"""

import time

import xproto

# US layout: character -> (evdev code, shifted).  X keycodes on Xvfb are evdev codes + 8, and
# xfreerdp sends the scancode that lifeline-server turns back into the same evdev code.
_ROWS = [
    ('1234567890-=', '!@#$%^&*()_+', [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]),
    ('qwertyuiop[]', 'QWERTYUIOP{}', [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27]),
    ("asdfghjkl;'`", 'ASDFGHJKL:"~', [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41]),
    ('\\zxcvbnm,./', '|ZXCVBNM<>?', [43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53]),
    (' ', ' ', [57]),
]
US = {}
for plain, shifted, codes in _ROWS:
    for p, s, c in zip(plain, shifted, codes):
        US[p] = (c, False)
        US.setdefault(s, (c, True))
KEY_LEFTSHIFT = 42
XK_SHIFT_L = 0xFFE1


def char_events(text):
    """For each character of text, the evdev (code, value) events that type it on a US
    keyboard: a shifted character is Shift down, key down, key up, Shift up."""
    out = []
    for ch in text:
        code, shifted = US[ch]
        keys = [(code, 1), (code, 0)]
        out.append([(KEY_LEFTSHIFT, 1), *keys, (KEY_LEFTSHIFT, 0)] if shifted else keys)
    return out


def schedule(groups, per_second):
    """(offset in seconds, code, value) for groups of events, one group (a character, a key)
    every 1/per_second seconds with its events spread evenly over that slot."""
    slot = 1.0 / per_second
    return [(i * slot + j * slot / len(g), code, value)
            for i, g in enumerate(groups) for j, (code, value) in enumerate(g)]


class XTestKeyboard:
    """XTEST key events into whatever has the keyboard focus on display."""

    def __init__(self, display):
        self.x = xproto.Connection(display)
        self.xtest = self.x.query_extension('XTEST')
        if self.xtest is None:
            raise xproto.XError(f'{display} has no XTEST extension')
        self.mapping = self.x.keyboard_mapping()

    def check_us_layout(self, codes):
        """Raise unless keycode evdev+8 carries the US keysym for each evdev code used."""
        want = {c: ord(ch) for ch, (c, shifted) in US.items() if not shifted}
        want[KEY_LEFTSHIFT] = XK_SHIFT_L
        bad = []
        for code in sorted(set(codes)):
            syms = self.mapping.get(code + 8, [])
            if want.get(code) not in syms[:1]:
                bad.append(f'keycode {code + 8}: {[hex(s) for s in syms[:2]]}, '
                           f'expected {hex(want.get(code, 0))}')
        if bad:
            raise xproto.XError('the X keymap is not the US one the test expects: '
                                + '; '.join(bad))

    def send(self, code, value):
        """One key event for evdev code (value 1 press, 0 release); returns the send time."""
        return self.x.fake_key(self.xtest, code + 8, value == 1)

    def play(self, events, min_gap=0.005):
        """Send (offset, code, value) events at their offsets from now and returns their send
        times.  The schedule is fixed (a late event does not push back the ones after it), but
        consecutive events are at least min_gap apart: after a stall the sender must not
        fire a burst in which a release and the next press of the same key share one X server
        millisecond, which xfreerdp takes for auto-repeat and drops the release (no keyboard
        does that)."""
        times = []
        t0 = time.monotonic()
        for offset, code, value in events:
            at = t0 + offset
            if times:
                at = max(at, times[-1] + min_gap)
            delay = at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            times.append(self.send(code, value))
            self.x.sync()  # surfaces an X error next to the event that caused it
        return times

    def close(self):
        self.x.close()
