#!/usr/bin/env python3
"""The helpdesk's keyboard layout and Unicode input.

layout-announced: the layout id the client announces (xfreerdp /kbd:ID) reaches the console as
XKB names in the control socket's "connected" event: German 0x407 -> de, US Dvorak 0x10409 ->
us(dvorak), an id of a known language but an unknown layout (German, Austria 0xc07) -> de.

unicode-text: Debian 12's xfreerdp cannot send RDP Unicode keyboard events, so rdp-text-client
(built beside this test, RDP_TEXT_CLIENT) sends them, as mstsc, on-screen keyboards and IMEs do.
The characters arrive as "text" events, in order and exact (ASCII, umlauts, the euro sign, a
character outside the BMP sent as a surrogate pair), one event per character, each followed by
the marker key (KEY_UNKNOWN pressed and released) in the injector and never ahead of its text
event; keys pressed around the text keep their place (key, markers, key); in view-only nothing
arrives; a wrong certificate pin and a wrong ticket make the client fail with one line."""

import itertools
import os

import harness
from harness import check

STATIC = 'test:size=1024x768,mode=static'
KEY_UNKNOWN = 240


def layout_announced(h):
    cases = [('0x407', 0x407, 'de', ''), ('0x10409', 0x10409, 'us', 'dvorak'),
             ('0xc07', 0xc07, 'de', '')]
    d = h.xvfb()
    srv = h.server(capture=STATIC)
    for arg, klid, layout, variant in cases:
        c = h.client(d, srv, codec='lossless', extra=[f'/kbd:{arg}'])
        ev = srv.ctl.event('connected', 20)
        got = (ev.get('keyboard_layout_id'), ev.get('keyboard_layout'),
               ev.get('keyboard_variant'))
        check(got == (klid, layout, variant),
              f'/kbd:{arg}: connected event says {got}, expected {(klid, layout, variant)}')
        h.log(f'/kbd:{arg} -> {got}')
        c.stop()
        srv.ctl.event('disconnected', 10)


MARK = [f'key {KEY_UNKNOWN} 1', f'key {KEY_UNKNOWN} 0']
_text_runs = itertools.count(1)


def key_lines(srv, start):
    return [ln for ln in srv.recorded()[start:] if ln.startswith('key ')]


class TextRun:
    """One run of rdp-text-client against srv, to its exit.

    watch: while it types, check that no marker gets ahead of its text event.  The server
    writes a text event on the control socket before it injects the marker, so whenever the
    recording shows m marker presses, the socket read right afterwards has given at least m
    text events."""

    def __init__(self, h, srv, text, extra=(), pin=None, password=None, watch=False):
        exe = os.environ.get('RDP_TEXT_CLIENT', '')
        check(os.access(exe, os.X_OK), f'RDP_TEXT_CLIENT={exe!r} is not an executable')
        argv = [exe, '--host', '127.0.0.1', '--port', str(srv.port), '--user', 'helpdesk',
                '--password', srv.ticket if password is None else password,
                '--sha256', srv.fingerprint if pin is None else pin, '--text', text, *extra]
        mark = len(srv.recorded())
        srv.ctl.drain()
        p = h.spawn(f'rdp-text-client-{next(_text_runs)}', argv,
                    env={'HOME': h.tmp, 'XDG_CONFIG_HOME': os.path.join(h.tmp, 'xdg-text')})
        self.events, self.watched = [], 0

        def observe():
            pressed = key_lines(srv, mark).count(MARK[0])
            # drain(0) would only return what is already buffered: wait a millisecond
            self.events += srv.ctl.drain(0.001)
            if watch:
                check(len(self.texts()) >= pressed,
                      f'marker press {pressed} recorded before its text event '
                      f'(text events so far: {self.texts()})')
                self.watched += 1
            return any(e.get('event') == 'disconnected' for e in self.events)

        def exited():
            observe()
            return not p.alive()
        harness.wait_until(exited, 60, f'{p.name} to exit', interval=0.005)
        self.rc = p.wait(5)
        self.output = p.output()
        if self.rc == 0:
            # the server has handled all of this client's input once it has seen it leave
            harness.wait_until(observe, 10, f'the server to see {p.name} leave', interval=0.005)
        self.keys = key_lines(srv, mark)
        h.log(f'{p.name} exit {self.rc}; text events {self.texts()}; keys {self.keys}'
              + (f'; order checked {self.watched} times' if watch else ''))

    def texts(self):
        return [e['text'] for e in self.events if e.get('event') == 'text']

    def connected(self):
        return [e for e in self.events if e.get('event') == 'connected']


def unicode_text(h):
    srv = h.server(capture=STATIC)

    text = 'aZ9 äÖß€\U0001F600'
    r = TextRun(h, srv, text, ['--delay-ms', '80'], watch=True)
    check(r.rc == 0, f'rdp-text-client exited {r.rc}: {r.output!r}')
    check(len(r.connected()) == 1, f'connected events: {r.connected()}')
    check(r.texts() == list(text), f'text events {r.texts()!r}, typed {list(text)!r}')
    check(r.keys == MARK * len(text), f'keys: {r.keys}, expected a marker per character')
    h.log(f'{len(text)} characters arrived as text events, each with its marker after it')

    # keys around the text keep their place: A, the markers, Enter
    r = TextRun(h, srv, 'k€\U0001F600', ['--key-before', '0x1e', '--key-after', '0x1c',
                                          '--delay-ms', '50'], watch=True)
    check(r.rc == 0, f'rdp-text-client exited {r.rc}: {r.output!r}')
    check(r.texts() == ['k', '€', '\U0001F600'], f'text events {r.texts()!r}')
    a, enter = harness.KEY['A'], harness.KEY['ENTER']
    want = [f'key {a} 1', f'key {a} 0', *MARK * 3, f'key {enter} 1', f'key {enter} 0']
    check(r.keys == want, f'keys: {r.keys}, expected {want}')

    # view-only: neither text nor marker; the client itself cannot tell
    reply = srv.ctl.command({'command': 'view-only', 'enabled': True})
    check(reply.get('reply') == 'ok', f'view-only: {reply}')
    srv.ctl.event('view-only', 5)
    r = TextRun(h, srv, 'xyz', ['--delay-ms', '20'])
    check(r.rc == 0, f'rdp-text-client exited {r.rc} in view-only: {r.output!r}')
    check(r.texts() == [] and r.keys == [], f'in view-only: text {r.texts()}, keys {r.keys}')
    reply = srv.ctl.command({'command': 'view-only', 'enabled': False})
    check(reply.get('reply') == 'ok', f'view-only off: {reply}')
    srv.ctl.event('view-only', 5)
    r = TextRun(h, srv, 'q')
    check(r.rc == 0 and r.texts() == ['q'] and r.keys == MARK,
          f'after view-only: exit {r.rc}, text {r.texts()}, keys {r.keys}')

    # the client's refusals: one line each, exit 1, nothing typed
    fp = srv.fingerprint
    wrong_pin = ('00' if fp[:2] != '00' else '11') + fp[2:]
    r = TextRun(h, srv, 'no', pin=wrong_pin)
    lines = r.output.strip().splitlines()
    check(r.rc == 1 and len(lines) == 1 and 'does not match --sha256' in lines[0],
          f'wrong pin: exit {r.rc}, output {r.output!r}')
    check(not r.connected() and r.keys == [], f'wrong pin: {r.events}, keys {r.keys}')
    r = TextRun(h, srv, 'no', password='not-the-ticket')
    lines = r.output.strip().splitlines()
    check(r.rc == 1 and len(lines) == 1, f'wrong ticket: exit {r.rc}, output {r.output!r}')
    check(not r.connected() and r.keys == [], f'wrong ticket: {r.events}, keys {r.keys}')
    h.log(f'wrong ticket: {lines[0]}')


harness.main({
    'layout-announced': layout_announced,
    'unicode-text': unicode_text,
}, without_display=('unicode-text',))
