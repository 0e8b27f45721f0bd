#!/usr/bin/env python3
"""The RDP clipboard, text only, both ways, through the control socket: `paste` brings the
helpdesk client's X clipboard (set with xclip under the client's Xvfb) as a `clipboard` event,
`copy` puts text on it (read back with xclip -o). Exact compares, non-ASCII and long
multi-line text included; view-only, a client without the channel and --max-paste refuse."""

import os

import harness
from harness import check, wait_until, Failure

STATIC = 'test:size=1024x768,mode=static'

TEXTS = [
    'hello world',
    'äöü €, emoji 😀 and 中文',
    # 10 kB of lines, with tabs and trailing blanks kept
    ''.join(f'line {i:04d}\tvalue={i * 7919 % 10007} ÄÖÜ  \n' for i in range(330)),
]


def setup(h, extra=(), client_extra=()):
    d = h.xvfb()
    srv = h.server(capture=STATIC, extra=list(extra))
    c = h.client(d, srv, codec='lossless', extra=list(client_extra))
    c.wait_window()
    srv.ctl.event('connected', 10)
    return d, srv, c


class XClip:
    """The client display's CLIPBOARD, owned by an xclip process in the foreground."""

    def __init__(self, h, d):
        self.h = h
        self.d = d
        self.n = 0

    def set(self, text):
        self.n += 1
        path = os.path.join(self.h.tmp, f'clip-{self.n}.txt')
        with open(path, 'wb') as f:
            f.write(text.encode())
        # -quiet: stays in the foreground (a tracked process) until another owner takes over
        with open(path, 'rb') as f:
            p = self.h.spawn(f'xclip-{self.n}', ['xclip', '-quiet', '-selection', 'clipboard',
                                                 '-t', 'UTF8_STRING', '-i'],
                             env=self.d.env, stdin=f)
        # owning the selection is what xfreerdp sees; xclip -o proves it is in place
        wait_until(lambda: self.get() == text or not p.alive() and self._dead(p), 10,
                   f'xclip to own the clipboard ({len(text)} bytes)')

    def _dead(self, p):
        raise Failure(f'xclip exited with {p.returncode()}: {p.output()}')

    def get(self):
        r = self.d.run(['xclip', '-o', '-selection', 'clipboard', '-t', 'UTF8_STRING'],
                       check_rc=False, timeout=10)
        return r.stdout.decode('utf-8', 'replace') if r.returncode == 0 else None


def paste(srv, expected, stale=(), timeout=10):
    """Send `paste` until the clipboard event is no longer one of the stale answers (xfreerdp
    tells the server about a new X clipboard owner asynchronously); return the event."""
    def once():
        r = srv.ctl.command({'command': 'paste'})
        check(r.get('reply') == 'ok', f'paste: {r}')
        ev = srv.ctl.event('clipboard', 7)
        if ev.get('text') in stale or ev.get('error') in stale:
            return None
        return ev
    ev = wait_until(once, timeout, f'a clipboard event other than {[s[:20] for s in stale]}',
                    interval=0.1)
    check(ev == {'event': 'clipboard', **expected},
          f'clipboard event: {str(ev)[:300]}, expected {str(expected)[:300]}')
    return ev


def paste_text(h):
    h.require_tools('xclip')
    d, srv, c = setup(h)
    clip = XClip(h, d)
    prev = ('empty', 'no-text')
    for text in TEXTS + ['x' * 200000 + '\n' + 'ü' * 20000]:
        clip.set(text)
        paste(srv, {'text': text}, stale=prev)
        h.log(f'pasted {len(text.encode())} bytes exactly')
        prev = (text,)
    # CRLF from the client's side arrives as LF; a lone CR stays
    clip.set('a\r\nb\rc')
    paste(srv, {'text': 'a\nb\rc'}, stale=prev)


def copy_text(h):
    h.require_tools('xclip')
    d, srv, c = setup(h)
    clip = XClip(h, d)
    clip.set('before')
    prev = 'before'
    # the client has told the server its formats before a copy is meaningful: a paste shows it
    paste(srv, {'text': 'before'}, stale=('empty', 'no-text'))
    for text in TEXTS + ['y' * 100000]:
        r = srv.ctl.command({'command': 'copy', 'text': text})
        check(r.get('reply') == 'ok', f'copy: {r}')
        got = wait_until(lambda: (lambda g: g if g != prev else None)(clip.get()), 10,
                         'the client X clipboard to change')
        check(got == text, f'client clipboard: {got[:200]!r} ({len(got)} chars), expected '
                           f'{text[:200]!r} ({len(text)} chars)')
        h.log(f'copied {len(text.encode())} bytes exactly')
        # the helpdesk pasting back gets the console's own text
        paste(srv, {'text': text})
        prev = text


def refusals(h):
    h.require_tools('xclip')
    d, srv, c = setup(h, extra=['--max-paste=1000'])
    clip = XClip(h, d)
    clip.set('small')
    paste(srv, {'text': 'small'}, stale=('empty', 'no-text'))
    clip.set('z' * 1001)
    paste(srv, {'error': 'too-large'}, stale=('small',))
    r = srv.ctl.command({'command': 'copy', 'text': 'z' * 1001})
    check(r.get('reply') == 'error' and 'too large' in r.get('message', ''), f'copy: {r}')
    r = srv.ctl.command({'command': 'copy'})
    check(r.get('reply') == 'error', f'copy without text: {r}')
    # view-only: nothing is pasted
    clip.set('secret')
    r = srv.ctl.command({'command': 'view-only', 'enabled': True})
    check(r.get('reply') == 'ok', f'view-only: {r}')
    srv.ctl.event('view-only', 5)
    paste(srv, {'error': 'view-only'})
    r = srv.ctl.command({'command': 'view-only', 'enabled': False})
    srv.ctl.event('view-only', 5)
    paste(srv, {'text': 'secret'}, stale=('too-large',))


def no_channel(h):
    d, srv, c = setup(h, client_extra=['-clipboard'])
    paste(srv, {'error': 'no-channel'})
    r = srv.ctl.command({'command': 'copy', 'text': 'x'})
    check(r.get('reply') == 'error', f'copy without a channel: {r}')
    # a long line that is not a copy closes the control connection
    ctl = harness.Control(h, srv.control_path)
    ctl.event('state', 5)
    r = ctl.command({'command': 'status', 'pad': 'p' * 5000})
    check(r.get('reply') == 'error' and 'too long' in r.get('message', ''), f'long status: {r}')


if __name__ == '__main__':
    harness.main({
        'clipboard-paste': paste_text,
        'clipboard-copy': copy_text,
        'clipboard-refusals': refusals,
        'clipboard-no-channel': no_channel,
    })
