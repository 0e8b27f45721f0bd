#!/usr/bin/env python3
"""The helpdesk's keyboard layout and Unicode input, through the real xfreerdp.

layout-announced: the layout id the client announces (xfreerdp /kbd:ID) reaches the console as
XKB names in the control socket's "connected" event: German 0x407 -> de, US Dvorak 0x10409 ->
us(dvorak), an id of a known language but an unknown layout (German, Austria 0xc07) -> de.

unicode-text: with xfreerdp +unicode the characters the helpdesk types arrive as "text" events,
in order and exact (ASCII, umlauts, the euro sign, a character outside the BMP sent as a
surrogate pair), each followed by the marker key (KEY_UNKNOWN pressed and released) in the
injector, after the text event; in view-only nothing arrives."""

import harness
from harness import check

STATIC = 'test:size=1024x768,mode=static'
KEY_UNKNOWN = 240


def connect(h, extra, codec='lossless'):
    d = h.xvfb()
    srv = h.server(capture=STATIC)
    c = h.client(d, srv, codec=codec, extra=extra)
    c.wait_window()
    ev = srv.ctl.event('connected', 20)
    return d, srv, c, ev


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


def unicode_text(h):
    d, srv, c, _ = connect(h, ['+unicode'])
    c.focus()
    text = 'aZ9äÖß€\U0001F600'
    mark = len(srv.recorded())
    srv.ctl.drain()
    # xdotool maps each character to a spare keycode; xfreerdp +unicode sends it as text
    d.xdotool('type', '--delay', '60', text)
    got = ''
    deadline_events = []
    while len(got) < len(text):
        ev = srv.ctl.event('text', 15)
        deadline_events.append(ev)
        got += ev['text']
    check(got == text, f'text events say {got!r}, typed {text!r}')
    want = [f'key {KEY_UNKNOWN} 1', f'key {KEY_UNKNOWN} 0'] * len(text)
    srv.wait_recorded(want, mark, what=f'{len(text)} text markers')
    markers = [ln for ln in srv.recorded()[mark:] if ln.startswith(f'key {KEY_UNKNOWN} ')]
    check(markers == want, f'markers: {markers}')
    h.log(f'{len(text)} characters arrived as text events, each with its marker')

    # view-only: neither text nor marker
    r = srv.ctl.command({'command': 'view-only', 'enabled': True})
    check(r.get('reply') == 'ok', f'view-only: {r}')
    mark = len(srv.recorded())
    d.xdotool('type', '--delay', '60', 'xyz')
    # a round trip through the client proves the typed text had its chance to arrive:
    # switch back, type one more character, and see only that one
    r = srv.ctl.command({'command': 'view-only', 'enabled': False})
    check(r.get('reply') == 'ok', f'view-only off: {r}')
    srv.ctl.event('view-only', 5)
    d.xdotool('type', '--delay', '60', 'q')
    ev = srv.ctl.event('text', 15)
    check(ev['text'] == 'q', f'after view-only, first text is {ev["text"]!r} (expected "q")')
    srv.wait_recorded([f'key {KEY_UNKNOWN} 1', f'key {KEY_UNKNOWN} 0'], mark, what='q marker')
    markers = [ln for ln in srv.recorded()[mark:] if ln.startswith(f'key {KEY_UNKNOWN} ')]
    check(len(markers) == 2, f'markers while view-only: {markers}')


harness.main({
    'layout-announced': layout_announced,
    'unicode-text': unicode_text,
})
