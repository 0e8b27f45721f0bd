#!/usr/bin/env python3
"""The right ticket shows the test pattern: lossless codec pixel for pixel, the default (H.264)
codec within a tolerance, the printed xfreerdp command, TLS mode."""

import os
import shlex
import time

import harness
from harness import check, Failure

STATIC = 'test:size=1024x768,mode=static'


def connect_and_check_exact(h, d, srv, user, password, security=None):
    t0 = time.monotonic()
    c = h.client(d, srv, user=user, password=password, codec='lossless', security=security)
    c.wait_window()
    c.wait_pattern_exact()
    h.log(f'user {user!r} password {password!r}: exact pattern after '
          f'{(time.monotonic() - t0) * 1000:.0f} ms')
    ev = srv.ctl.event('connected', 10)
    check(ev.get('peer', '').startswith('127.0.0.1'), f'connected event peer: {ev}')
    check(ev.get('view_only') is False, f'connected event view_only: {ev}')
    return c, ev


def disconnect(h, srv, c):
    c.stop()
    srv.ctl.event('disconnected', 10)


def lossless_pattern(h):
    d = h.xvfb()
    srv = h.server(capture=STATIC, extra=['--failure-delay=0'])
    check(srv.info.get('user'), f'connection info has no user: {srv.info}')
    check(srv.info.get('security') == 'nla', f'default security is not nla: {srv.info}')
    c = h.client(d, srv, user='helpdesk', codec='lossless')
    c.wait_window()
    img = c.screenshot()
    check((img.w, img.h) == (1024, 768), f'client window is {img.w}x{img.h}, not 1024x768')
    c.wait_pattern_exact()
    ev = srv.ctl.event('connected', 10)
    check(ev.get('user') == 'helpdesk', f'connected event user: {ev}')
    st = srv.ctl.status()
    check(st.get('state') == 'in-use', f'state while connected: {st}')
    # the picture stays exact (no later garbage) on a second look
    cnt, ex = harness.compare_exact(c.screenshot(), 1024, 768)
    check(cnt == 0, f'second screenshot differs in {cnt} pixels: {ex}')
    h.log('lossless: 0 of 786432 pixels differ')
    disconnect(h, srv, c)
    st = srv.ctl.status()
    check(st.get('state') == 'active', f'state after the client left: {st}')


def ticket_forms(h):
    """Any user name; the ticket with dashes, without, with spaces; reconnects allowed."""
    d = h.xvfb()
    srv = h.server(capture=STATIC, extra=['--failure-delay=0'])
    t = srv.ticket
    digits = t.replace('-', '')
    check(len(digits) == 9 and digits.isdigit() and t == f'{digits[:3]}-{digits[3:6]}-{digits[6:]}',
          f'ticket is not NNN-NNN-NNN: {t!r}')
    forms = [
        ('helpdesk', t),
        ('someone', digits),
        ('Jane Doe', f'{digits[:3]} {digits[3:6]} {digits[6:]}'),
        ('agent-7', t),
        ('CORP\\tech', digits),
    ]
    for user, password in forms:
        c, ev = connect_and_check_exact(h, d, srv, user, password)
        disconnect(h, srv, c)
    check(not srv.ctl.events('auth-failed'), f'auth failures: {srv.ctl.events("auth-failed")}')
    check_no_ticket(srv.proc.stderr(), t)


def check_no_ticket(log, ticket):
    digits = ticket.replace('-', '')
    spaced = ticket.replace('-', ' ')
    for form in (ticket, digits, spaced):
        check(form not in log, f'the server log/output contains the ticket ({form})')


def default_codec(h):
    d = h.xvfb()
    srv = h.server(capture=STATIC)
    t0 = time.monotonic()
    c = h.client(d, srv, codec='default')
    c.wait_window()
    stats = {}

    def close_enough(img):
        mean, bad = harness.compare_tolerant(img, 1024, 768, tol=32)
        stats['mean'], stats['bad'] = mean, bad
        return mean < 3.0 and bad < 0.002 and harness.read_counter(img, 1024, 768) == 0
    try:
        c.wait_picture(close_enough, 20, 'the pattern through the default codec')
    except Failure as e:
        raise Failure(f'{e}; last: mean error {stats.get("mean")}, '
                      f'fraction off by >32: {stats.get("bad")}')
    h.log(f'default codec: pattern after {(time.monotonic() - t0) * 1000:.0f} ms; mean abs '
          f'error {stats["mean"]:.2f}/255, {stats["bad"] * 100:.3f} % of pixels off by >32')
    srv.ctl.event('connected', 10)


def printed_command(h):
    """The xfreerdp command from connection.json connects with no prompt; a wrong pin is
    refused."""
    d = h.xvfb()
    # listen everywhere: the printed command names the machine's first address
    srv = h.server(capture=STATIC, bind=None)
    cmd = srv.info.get('xfreerdp')
    check(isinstance(cmd, str) and cmd, f'no xfreerdp command in connection.json: {srv.info}')
    argv = shlex.split(cmd)
    shown = [a if not a.startswith('/p:') else '/p:***' for a in argv]
    h.log(f'printed command: {shown}')
    check(os.path.basename(argv[0]) == 'xfreerdp', f'command does not run xfreerdp: {argv[0]}')
    pin = f'/cert:deny,fingerprint:sha256:{srv.fingerprint}'
    check(pin.lower() in [a.lower() for a in argv], f'command does not pin the certificate: {argv}')
    check(f'/p:{srv.ticket}' in argv, 'command does not carry the ticket')
    check(any(a.startswith('/v:') and a.endswith(f':{srv.port}') for a in argv),
          f'command does not name the port: {argv}')
    addrs = srv.info.get('addresses')
    check(isinstance(addrs, list), f'addresses is not a list: {addrs}')
    if addrs:
        check(any(a.startswith('/v:') and addrs[0] in a for a in argv),
              f'command does not use the first address {addrs[0]}: {argv}')
    # the certificate in the state dir has the advertised fingerprint; the key is private
    certs = [p for p in ('cert.pem', 'shadow/shadow.crt')
             if os.path.exists(os.path.join(srv.state_dir, p))]
    keys = [p for p in ('key.pem', 'shadow/shadow.key')
            if os.path.exists(os.path.join(srv.state_dir, p))]
    check(certs and keys, f'no certificate/key in the state dir: {os.listdir(srv.state_dir)}')
    h.log(f'certificate files: {certs + keys}')
    r = harness.subprocess.run(['openssl', 'x509', '-in', os.path.join(srv.state_dir, certs[0]),
                                '-noout', '-fingerprint', '-sha256'], capture_output=True)
    check(r.returncode == 0, f'openssl cannot read {certs[0]}: {r.stderr!r}')
    fp = r.stdout.decode().strip().split('=', 1)[1]
    check(fp.lower() == srv.fingerprint.lower(),
          f'{certs[0]} fingerprint {fp} != advertised {srv.fingerprint}')
    for k in keys:
        mode = os.stat(os.path.join(srv.state_dir, k)).st_mode & 0o777
        check(mode == 0o600, f'{k} mode {mode:o}, expected 600')
    mode = os.stat(srv.state_dir).st_mode & 0o777
    check(mode == 0o700, f'state dir mode {mode:o}, expected 700')
    mode = os.stat(os.path.join(srv.state_dir, 'connection.json')).st_mode & 0o777
    check(mode == 0o600, f'connection.json mode {mode:o}, expected 600')

    c = h.client(d, argv=argv, name='xfreerdp-printed')
    c.server = srv
    c.wait_window()

    def close_enough(img):
        mean, bad = harness.compare_tolerant(img, 1024, 768, tol=32)
        return mean < 3.0 and bad < 0.002
    c.wait_picture(close_enough, 20, 'the pattern through the printed command')
    srv.ctl.event('connected', 10)
    c.stop()
    srv.ctl.event('disconnected', 10)

    # the same command with another pin: refused without a prompt (stdin is /dev/null)
    fp = srv.fingerprint
    wrong = ('00' if not fp.startswith('00') else 'FF') + fp[2:]
    bad_argv = [f'/cert:deny,fingerprint:sha256:{wrong}' if a.lower() == pin.lower() else a
                for a in argv]
    t0 = time.monotonic()
    c2 = h.client(d, argv=bad_argv, name='xfreerdp-wrong-pin')
    rc = c2.wait_exit(30)
    out = c2.output()
    h.log(f'wrong pin: xfreerdp exit {rc} after {time.monotonic() - t0:.1f} s')
    check(rc == 143 or (rc != 0 and 'certificate' in out.lower()),
          f'wrong pin: xfreerdp exit {rc}, expected 143; output: {out[-2000:]}')
    extra = [e for e in srv.ctl.drain(0.5) if e.get('event') == 'connected']
    check(not extra, f'a client with the wrong pin got connected: {extra}')


def tls_mode(h):
    d = h.xvfb()
    srv = h.server(capture=STATIC, security='tls', extra=['--failure-delay=0',
                                                          '--max-failures=5'])
    check(srv.info.get('security') == 'tls', f'info security: {srv.info}')
    c, _ = connect_and_check_exact(h, d, srv, 'helpdesk', srv.ticket)
    disconnect(h, srv, c)
    c, _ = connect_and_check_exact(h, d, srv, 'other user', srv.ticket.replace('-', ''))
    disconnect(h, srv, c)
    # wrong ticket: refused and counted
    wrong = '111-222-333' if srv.ticket != '111-222-333' else '333-222-111'
    c = h.client(d, srv, password=wrong)
    rc = c.wait_exit(30)
    h.log(f'TLS wrong ticket: xfreerdp exit {rc}')
    check(rc != 0, 'TLS: xfreerdp with a wrong ticket exited 0')
    ev = srv.ctl.event('auth-failed', 10)
    check(ev.get('failures') == 1 and ev.get('remaining') == 4,
          f'first TLS failure counted as {ev}')
    check(ev.get('peer', '').startswith('127.0.0.1'), f'auth-failed peer: {ev}')
    others = [e for e in srv.ctl.drain(0.5) if e.get('event') in ('auth-failed', 'connected')]
    st = srv.ctl.status()
    h.log(f'TLS wrong ticket: events after the first failure: {others}; state {st}')
    check(st.get('failures') == 1 + len([e for e in others if e['event'] == 'auth-failed']),
          f'status failures {st.get("failures")} does not match the auth-failed events')
    check(not [e for e in others if e['event'] == 'connected'], 'wrong ticket connected')
    # an NLA-only client cannot use the TLS listener (no silent downgrade / no NLA offered)
    c = h.client(d, srv, security='nla')
    rc = c.wait_exit(30)
    h.log(f'TLS server, /sec:nla client: exit {rc}')
    check(rc != 0, 'a /sec:nla client connected to the TLS-only server')
    # the right ticket still works
    c, _ = connect_and_check_exact(h, d, srv, 'helpdesk', srv.ticket)


harness.main({
    'lossless-pattern': lossless_pattern,
    'ticket-forms': ticket_forms,
    'default-codec': default_codec,
    'printed-command': printed_command,
    'tls-mode': tls_mode,
})
