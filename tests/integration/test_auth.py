#!/usr/bin/env python3
"""Wrong tickets are refused and counted; the budget revokes the ticket; expiry; end-session and
new-ticket from the control socket."""

import time

import harness
from harness import check

STATIC = 'test:size=1024x768,mode=static'


def wrong_of(ticket):
    digits = ticket.replace('-', '')
    other = ''.join(str((int(c) + 1) % 10) for c in digits)
    return f'{other[:3]}-{other[3:6]}-{other[6:]}'


def refused_run(h, d, srv, password, user='helpdesk', timeout=40):
    """Run xfreerdp that must not get in; returns (exit code, seconds)."""
    t0 = time.monotonic()
    c = h.client(d, srv, user=user, password=password)
    rc = c.wait_exit(timeout)
    dt = time.monotonic() - t0
    h.log(f'xfreerdp /u:{user} with a refused ticket: exit {rc} after {dt:.1f} s')
    check(rc != 0, f'xfreerdp with ticket {password!r} exited 0 (it got in)')
    return rc, dt


def expect_failures(h, srv, first, count, max_failures):
    """Consume count auth-failed events numbered first.. and check their fields."""
    evs = []
    for i in range(count):
        ev = srv.ctl.event('auth-failed', 10)
        evs.append(ev)
        n = first + i
        check(ev.get('failures') == n, f'auth-failed #{n} says failures={ev.get("failures")}: {ev}')
        check(ev.get('remaining') == max(0, max_failures - n),
              f'auth-failed #{n} says remaining={ev.get("remaining")}: {ev}')
        check(ev.get('peer', '').startswith('127.0.0.1'), f'auth-failed peer: {ev}')
        check(ev.get('reason'), f'auth-failed without a reason: {ev}')
    return evs


def no_connected(h, srv):
    evs = [e for e in srv.ctl.drain(0.3) if e.get('event') == 'connected']
    check(not evs, f'unexpected connected events: {evs}')


def wrong_ticket(h):
    d = h.xvfb()
    srv = h.server(capture=STATIC, extra=['--failure-delay=0', '--max-failures=10'])
    wrong = wrong_of(srv.ticket)
    refused_run(h, d, srv, wrong)
    evs = expect_failures(h, srv, 1, 2, 10)  # xfreerdp retries NLA once by itself
    h.log(f'first wrong run: {evs}')
    refused_run(h, d, srv, wrong.replace('-', ''), user='someone else')
    expect_failures(h, srv, 3, 2, 10)
    # an empty password and a ticket of the wrong length are failures too
    refused_run(h, d, srv, '12345')
    evs = srv.ctl.drain(0.5)
    n_more = len([e for e in evs if e.get('event') == 'auth-failed'])
    h.log(f'short ticket: {n_more} more failures ({evs})')
    check(n_more >= 1, 'a short ticket was not counted as a failure')
    st = srv.ctl.status()
    check(st.get('failures') == 4 + n_more, f'status failures: {st}')
    check(st.get('state') == 'active', f'state after {4 + n_more} of 10 failures: {st}')
    no_connected(h, srv)
    # the right ticket still works
    c = h.client(d, srv, codec='lossless')
    c.wait_window()
    c.wait_pattern_exact()
    srv.ctl.event('connected', 10)
    log = srv.proc.stderr()
    for form in (srv.ticket, srv.ticket.replace('-', ''), wrong, wrong.replace('-', '')):
        check(form not in log, f'the server log contains a ticket ({form})')
    out = srv.proc.output()
    check(srv.ticket in out, 'the server did not print the ticket on stdout')
    c.stop()
    srv.stop()

    # every failure takes at least --failure-delay: one xfreerdp run makes two attempts
    delay = 2.0
    srv2 = h.server(capture=STATIC, extra=[f'--failure-delay={int(delay)}s'], name='server-delay')
    _, dt = refused_run(h, d, srv2, wrong_of(srv2.ticket))
    evs = expect_failures(h, srv2, 1, 2, 10)
    h.log(f'--failure-delay={delay:.0f}s: the refused run took {dt:.2f} s for {len(evs)} attempts')
    check(dt >= 2 * delay - 0.2, f'two failed attempts took only {dt:.2f} s with '
          f'--failure-delay={delay:.0f}s')
    check('127.0.0.1' in log, 'the server log does not say where the failures came from')


def lockout(h):
    d = h.xvfb()
    srv = h.server(capture=STATIC, extra=['--failure-delay=0', '--max-failures=4'])
    wrong = wrong_of(srv.ticket)
    refused_run(h, d, srv, wrong)
    expect_failures(h, srv, 1, 2, 4)
    refused_run(h, d, srv, wrong)
    expect_failures(h, srv, 3, 2, 4)
    ev = srv.ctl.event('revoked', 10)
    check(ev.get('failures') == 4, f'revoked event: {ev}')
    st = srv.ctl.status()
    check(st.get('state') == 'revoked', f'state after the budget: {st}')
    # now even the right ticket is refused
    refused_run(h, d, srv, srv.ticket)
    no_connected(h, srv)
    st = srv.ctl.status()
    check(st.get('state') == 'revoked', f'state after the right ticket: {st}')
    # a new ticket lets people in again
    r = srv.ctl.command({'command': 'new-ticket'})
    check(r.get('reply') == 'ok', f'new-ticket: {r}')
    ev = srv.ctl.event('ready', 10)
    new = ev.get('info', {}).get('ticket')
    check(new and new != srv.ticket, f'new-ticket gave {new!r}')
    old = srv.ticket
    srv.info = ev['info']
    st = srv.ctl.status()
    check(st.get('state') == 'active' and st.get('failures') == 0, f'state after new-ticket: {st}')
    c = h.client(d, srv, codec='lossless')
    c.wait_window()
    c.wait_pattern_exact()
    srv.ctl.event('connected', 10)
    h.log(f'after revocation a new ticket works (old {old != new})')


def expiry(h):
    d = h.xvfb()
    srv = h.server(capture=STATIC, extra=['--expire=3s', '--failure-delay=0'])
    srv.ctl.event('expired', 10)
    dt = time.monotonic() - srv.started
    h.log(f'expired event {dt:.2f} s after the server started')
    check(dt >= 2.5, f'the ticket expired too early ({dt:.2f} s for --expire=3s)')
    st = srv.ctl.status()
    check(st.get('state') == 'expired', f'state after expiry: {st}')
    refused_run(h, d, srv, srv.ticket)
    no_connected(h, srv)


def end_session(h):
    d = h.xvfb()
    srv = h.server(capture=STATIC, extra=['--failure-delay=0'])
    c = h.client(d, srv, codec='lossless')
    c.wait_window()
    c.wait_pattern_exact()
    srv.ctl.event('connected', 10)
    t0 = time.monotonic()
    r = srv.ctl.command({'command': 'end-session'})
    check(r.get('reply') == 'ok', f'end-session: {r}')
    srv.ctl.event('ended', 5)
    rc = c.wait_exit(10)
    h.log(f'end-session: xfreerdp exited {rc} after {time.monotonic() - t0:.2f} s')
    srv.ctl.event('disconnected', 10)
    st = srv.ctl.status()
    check(st.get('state') == 'ended', f'state after end-session: {st}')
    refused_run(h, d, srv, srv.ticket)
    no_connected(h, srv)


def new_ticket(h):
    d = h.xvfb()
    srv = h.server(capture=STATIC, extra=['--failure-delay=0'])
    old = srv.ticket
    r = srv.ctl.command({'command': 'new-ticket'})
    check(r.get('reply') == 'ok', f'new-ticket: {r}')
    ev = srv.ctl.event('ready', 10)
    info = ev.get('info', {})
    check(info.get('ticket') and info['ticket'] != old, f'ready after new-ticket: {ev}')
    check(info.get('port') == srv.port, f'the port changed with the ticket: {info}')
    with open(f'{srv.state_dir}/connection.json') as f:
        on_disk = harness.json.load(f)
    check(on_disk.get('ticket') == info['ticket'],
          'connection.json not updated with the new ticket')
    refused_run(h, d, srv, old)
    srv.info = info
    c = h.client(d, srv, codec='lossless')
    c.wait_window()
    c.wait_pattern_exact()
    srv.ctl.event('connected', 10)
    r = srv.ctl.command({'command': 'bogus'})
    check(r.get('reply') == 'error' and r.get('message'), f'unknown command answered {r}')
    r = srv.ctl.command({'no-command': 1})
    check(r.get('reply') == 'error', f'a message without a command answered {r}')
    st = srv.ctl.status()
    check(st.get('state') == 'in-use', f'state after junk commands: {st}')


harness.main({
    'wrong-ticket': wrong_ticket,
    'lockout': lockout,
    'expiry': expiry,
    'end-session': end_session,
    'new-ticket': new_ticket,
})
