#!/usr/bin/env python3
"""One controlling client at a time; a client stalled in the handshake freezes the first
client for no longer than the cut-off; SIGTERM stops the server within 2 s."""

import signal
import threading
import time

import harness
from harness import check, Failure

ANIMATED = 'test:size=1024x768,mode=animated'


class CounterSampler(threading.Thread):
    """Reads the frame counter from a client's screenshots as fast as it can."""

    def __init__(self, h, client):
        super().__init__(daemon=True)
        self.h, self.client = h, client
        self.samples = []  # (monotonic time, counter)
        self.errors = 0
        self.halt = threading.Event()

    def run(self):
        w, hh = self.client.server.width, self.client.server.height
        while not self.halt.is_set():
            try:
                img = self.client.screenshot()
            except Exception:
                self.errors += 1
                time.sleep(0.05)
                continue
            n = harness.read_counter(img, w, hh)
            if n is not None:
                self.samples.append((time.monotonic(), n))

    def stop(self):
        self.halt.set()
        self.join(10)

    def changes(self, t0, t1):
        """Times at which a new counter value was first seen within [t0, t1]."""
        out, last = [], None
        for t, n in self.samples:
            if t < t0 or t > t1:
                continue
            if n != last:
                out.append((t, n))
                last = n
        return out

    def longest_gap(self, t0, t1):
        ch = self.changes(t0, t1)
        if len(ch) < 2:
            return t1 - t0, ch
        times = [t0] + [t for t, _ in ch] + [t1]
        gaps = [b - a for a, b in zip(times, times[1:])]
        return max(gaps), ch

    def sample_period(self, t0, t1):
        ts = [t for t, _ in self.samples if t0 <= t <= t1]
        return (ts[-1] - ts[0]) / max(1, len(ts) - 1) if len(ts) > 1 else None


def first_client(h, srv, d):
    c = h.client(d, srv, codec='lossless')
    c.wait_window()
    img, n = c.wait_picture(lambda im: harness.read_counter(im, 1024, 768) is not None, 20,
                            'a readable counter in the first client')
    srv.ctl.event('connected', 10)
    return c


def second_client(h):
    d = h.xvfb()
    d2 = h.xvfb()  # the second window must not cover the first one
    srv = h.server(capture=ANIMATED, extra=['--failure-delay=0'])
    c1 = first_client(h, srv, d)
    sampler = CounterSampler(h, c1)
    sampler.start()
    try:
        harness.wait_until(lambda: len(sampler.samples) > 3, 10, 'counter samples')
        t_start = time.monotonic()
        c2 = h.client(d2, srv, codec='lossless', name='xfreerdp-second')
        rc = c2.wait_exit(40)
        t_end = time.monotonic()
        h.log(f'second client exit {rc} after {t_end - t_start:.1f} s')
        check(rc != 0, 'the second client was not refused (exit 0)')
        ev = srv.ctl.event('refused', 10)
        h.log(f'refused event: {ev}')
        check(ev.get('reason'), f'refused without a reason: {ev}')
        # keep watching the first client a little after the refusal
        harness.wait_until(lambda: sampler.samples and sampler.samples[-1][0] > t_end + 2.0,
                           10, 'samples after the refusal')
    finally:
        sampler.stop()
    check(c1.alive(), 'the first client was disconnected by the second one')
    connected = srv.ctl.events('connected')
    check(len(connected) == 1, f'{len(connected)} connected events, expected 1: {connected}')
    gap, ch = sampler.longest_gap(t_start, t_end + 2.0)
    period = sampler.sample_period(t_start, t_end + 2.0)
    h.log(f'first client during the second attempt: {len(ch)} counter changes, '
          f'{ch[0][1] if ch else None} -> {ch[-1][1] if ch else None}, longest gap {gap:.2f} s, '
          f'sampling every {period or 0:.3f} s')
    check(len(ch) >= 5, f'the first client hardly updated: {ch}')
    check(gap < 1.0, f'the first client froze for {gap:.2f} s while the second was refused')
    st = srv.ctl.status()
    check(st.get('state') == 'in-use', f'state: {st}')
    h.log(f'server log excerpt: {[ln for ln in srv.proc.stderr().splitlines() if "refus" in ln]}')


def stalled_handshake(h):
    """A raw client that stops after the X.224 request (server waits for TLS), after TLS
    (server waits for NLA) or after TCP connect must not freeze the picture for longer than
    the handshake cut-off, whether it arrives while a client is connected (A) or before the
    client connects (B)."""
    d = h.xvfb()
    cutoff, margin = 2.0, 1.0
    srv = h.server(capture=ANIMATED, extra=['--failure-delay=0',
                                            f'--handshake-timeout={int(cutoff)}s'])
    problems = []

    def judge(what, st, closed, gap, ev):
        h.log(f'{what}: closed {closed if closed is None else round(closed, 2)} s after the '
              f'stall (early refusal: {st.refused_early}); longest gap of counter progress '
              f'{gap:.2f} s; event {ev}')
        if closed is None or closed > cutoff + margin:
            problems.append(f'{what}: connection not cut within {cutoff + margin} s ({closed})')
        if gap >= cutoff + margin:
            problems.append(f'{what}: the viewer froze {gap:.2f} s (limit {cutoff + margin} s)')
        if ev is None or not ev.get('reason'):
            problems.append(f'{what}: no refused event with a reason ({ev})')

    def refused_event():
        try:
            return srv.ctl.event('refused', cutoff + 3)
        except Failure:
            return None

    # A: stalls while a client is connected
    c1 = first_client(h, srv, d)
    sampler = CounterSampler(h, c1)
    sampler.start()
    try:
        harness.wait_until(lambda: len(sampler.samples) > 3, 10, 'counter samples')
        for mode in ('cr', 'tls', 'tcp'):
            t0 = time.monotonic()
            st = h.stall(srv.port, mode)
            closed = st.wait_closed(cutoff + 5)
            t1 = time.monotonic()
            ev = refused_event()
            harness.wait_until(lambda: sampler.samples[-1][0] > t1 + 1.5, 10,
                               'samples after the cut-off')
            gap, ch = sampler.longest_gap(t0, t1 + 1.5)
            judge(f'A/{mode}', st, closed, gap, ev)
            st.close()
    finally:
        sampler.stop()
    check(c1.alive(), 'the first client was disconnected by a stalled one')
    c1.stop()
    srv.ctl.event('disconnected', 10)

    # B: the stall comes first, then the helpdesk connects.  A longer cut-off than xfreerdp
    # needs to connect (~2 s) makes a freeze visible as a late first picture.
    srv.stop()
    cutoff = 4.0
    srv = h.server(capture=ANIMATED, extra=['--failure-delay=0',
                                            f'--handshake-timeout={int(cutoff)}s'],
                   name='server-b')
    for mode in ('cr', 'tls'):
        st = h.stall(srv.port, mode)
        t0 = time.monotonic()
        c = h.client(d, srv, codec='lossless', name=f'xfreerdp-after-{mode}')
        c.wait_window()
        c.wait_picture(lambda im: harness.read_counter(im, 1024, 768) is not None, 30,
                       'a readable counter')
        t_first = time.monotonic() - t0
        sampler = CounterSampler(h, c)
        sampler.start()
        try:
            closed = st.wait_closed(cutoff + 5)
            t1 = time.monotonic()
            ev = refused_event()
            harness.wait_until(lambda: sampler.samples and sampler.samples[-1][0] > t1 + 1.5,
                               10, 'samples after the cut-off')
            gap, ch = sampler.longest_gap(t0 + t_first, t1 + 1.5)
        finally:
            sampler.stop()
        h.log(f'B/{mode}: xfreerdp showed the counter {t_first:.2f} s after it started '
              f'(cut-off {cutoff} s)')
        if t_first >= cutoff + margin + 3.0:
            problems.append(f'B/{mode}: first picture only after {t_first:.2f} s')
        judge(f'B/{mode}', st, closed, gap, ev)
        srv.ctl.event('connected', 10)
        st.close()
        c.stop()
        srv.ctl.event('disconnected', 10)
    check(not problems, '; '.join(problems))
    log = srv.proc.stderr()
    check(any('127.0.0.1' in ln and ('timeout' in ln.lower() or 'handshake' in ln.lower()
                                     or 'authenticat' in ln.lower())
              for ln in log.splitlines() if 'refus' in ln.lower() or 'cut' in ln.lower()),
          'the server log does not report the handshake cut-off')


def sigterm_case(h, srv, what):
    t0 = time.monotonic()
    srv.proc.signal(signal.SIGTERM)
    try:
        rc = srv.proc.wait(2.0)
    except Failure:
        dt = time.monotonic() - t0
        rc = srv.proc.wait(10)
        raise Failure(f'{what}: SIGTERM took {time.monotonic() - t0:.2f} s (> 2 s, exit {rc}), '
                      f'still running at {dt:.2f} s')
    dt = time.monotonic() - t0
    h.log(f'{what}: stopped {dt * 1000:.0f} ms after SIGTERM, exit {rc}')
    check(rc == 0, f'{what}: exit {rc} after SIGTERM, expected 0')
    return dt


def sigterm(h):
    # idle
    srv = h.server(capture=ANIMATED, name='server-idle')
    sigterm_case(h, srv, 'idle server')
    # a client stalled after TLS (long handshake timeout so only SIGTERM can end it)
    srv = h.server(capture=ANIMATED, extra=['--handshake-timeout=60s'], name='server-stalled')
    st = h.stall(srv.port, 'tls')
    st2 = h.stall(srv.port, 'cr')
    sigterm_case(h, srv, 'server with two stalled handshakes')
    st.close()
    st2.close()
    # a connected client plus a stalled one
    d = h.xvfb()
    srv = h.server(capture=ANIMATED, extra=['--handshake-timeout=60s'], name='server-busy')
    st = h.stall(srv.port, 'tls')
    c = h.client(d, srv, codec='lossless')
    c.wait_window()
    sigterm_case(h, srv, 'server with a client and a stalled handshake')
    rc = c.wait_exit(10)
    h.log(f'the connected xfreerdp exited {rc} after the server stopped')
    # SIGINT too
    srv = h.server(capture=ANIMATED, name='server-sigint')
    t0 = time.monotonic()
    srv.proc.signal(signal.SIGINT)
    rc = srv.proc.wait(2.0)
    h.log(f'SIGINT: exit {rc} after {(time.monotonic() - t0) * 1000:.0f} ms')
    check(rc == 0, f'exit {rc} after SIGINT')


harness.main({
    'second-client': second_client,
    'stalled-handshake': stalled_handshake,
    'sigterm': sigterm,
})
