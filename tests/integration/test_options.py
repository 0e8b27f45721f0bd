#!/usr/bin/env python3
"""Bad options and config values: exit 2 and a clear message; --help and --version."""

import os

import harness
from harness import check


def expect_usage_error(h, args, mentions, config=None):
    state = os.path.join(h.tmp, 'state-should-not-be-used')
    full = [f'--state-dir={state}', '--port-range=1', *args]
    if config is not None:
        path = os.path.join(h.tmp, 'bad.conf')
        with open(path, 'w') as f:
            f.write(config)
        full.append(f'--config={path}')
    try:
        r = h.run_server_once(full)
    except harness.subprocess.TimeoutExpired:
        raise harness.Failure(f'lifeline-server {args} config={config!r} kept running '
                              '(it accepted a bad value)')
    err = r.stderr.decode(errors='replace')
    h.log(f'{args} config={config!r} -> exit {r.returncode}: {err.strip()}')
    check(r.returncode == 2, f'{args} config={config!r}: exit {r.returncode}, expected 2; '
          f'stderr: {err!r}')
    check(err.strip(), f'{args}: no message on stderr')
    low = err.lower()
    for m in mentions:
        check(m.lower() in low,
              f'{args} config={config!r}: message does not mention {m!r}: {err!r}')
    check(not r.stdout.strip(), f'{args}: printed on stdout: {r.stdout!r}')
    check('Traceback' not in err and 'Segmentation' not in err, f'{args}: crashed: {err!r}')


def bad_options(h):
    # --port-range=1 above keeps a server that wrongly accepts the bad value from binding
    # anything useful; each case must fail in option parsing, before any listening.
    cases = [
        (['--port-range=70000'], ['port-range', '70000']),
        (['--port-range=60000-50000'], ['port-range']),
        (['--port-range=abc'], ['port-range']),
        (['--security=foo'], ['security', 'foo']),
        (['--capture=nope'], ['nope']),
        (['--capture=test:size=0x0'], ['size']),
        (['--capture=test:mode=wobble'], ['wobble']),
        (['--injector=nope'], ['nope']),
        (['--expire=soon'], ['expire', 'soon']),
        (['--max-failures=0'], ['max-failures']),
        (['--max-failures=-3'], ['max-failures']),
        (['--failure-delay=fast'], ['failure-delay']),
        (['--handshake-timeout=0'], ['handshake-timeout']),
        (['--info-format=xml'], ['info-format', 'xml']),
        (['--no-such-option'], ['no-such-option']),
        (['extra-argument'], ['extra-argument']),
    ]
    failures = []

    def attempt(*a, **kw):
        try:
            expect_usage_error(h, *a, **kw)
        except harness.Failure as e:
            h.log(f'FAILED: {e}')
            failures.append(str(e))
    for args, mentions in cases:
        attempt(args, mentions)
    configs = [
        ('[server]\nsecurity = maybe\n', ['security', 'maybe']),
        ('[server]\nport-range = 99999\n', ['port-range', '99999']),
        ('[server]\nexpire = later\n', ['expire']),
        ('[server]\nno-such-key = 1\n', ['no-such-key']),
        ('[elsewhere]\nsecurity = nla\n', ['elsewhere']),
        ('this is not an ini file\n', ['line 1']),
    ]
    for text, mentions in configs:
        attempt([], mentions, config=text)
    # a config file that does not exist
    r = h.run_server_once([f'--state-dir={h.tmp}/s', f'--config={h.tmp}/missing.conf'])
    err = r.stderr.decode(errors='replace')
    h.log(f'missing config -> exit {r.returncode}: {err.strip()}')
    if not (r.returncode == 2 and 'missing.conf' in err):
        failures.append(f'missing config file: exit {r.returncode}, stderr {err!r}')
    check(not failures, f'{len(failures)} cases failed:\n' + '\n'.join(failures))


def help_version(h):
    r = h.run_server_once(['--help'])
    out = r.stdout.decode()
    check(r.returncode == 0, f'--help exit {r.returncode}')
    for opt in ['--config', '--state-dir', '--port-range', '--security', '--expire',
                '--max-failures', '--view-only', '--capture', '--injector', '--bind']:
        check(opt in out, f'--help does not describe {opt}')
    r = h.run_server_once(['--version'])
    out = r.stdout.decode()
    check(r.returncode == 0 and out.strip(), f'--version exit {r.returncode}: {out!r}')
    h.log(f'--version: {out.strip()}')
    # a config file sets values; the command line wins over it
    other = harness.free_port()
    cfg = os.path.join(h.tmp, 'ok.conf')
    with open(cfg, 'w') as f:
        f.write(f'# comment\n[server]\nport-range = {other}\nsecurity = tls\n'
                'max-failures = 7\n')
    srv = h.server(extra=[f'--config={cfg}'])
    check(srv.info['port'] == srv.port != other,
          f'command line --port-range={srv.port} did not win over the config file: '
          f'{srv.info["port"]}')
    check(srv.info['security'] == 'tls', f'config security=tls not applied: {srv.info}')
    st = srv.ctl.status()
    check(st.get('state') == 'active', f'status: {st}')
    srv.stop()
    check(srv.proc.returncode() == 0, f'server exit {srv.proc.returncode()} after SIGTERM')


harness.main({'bad-options': bad_options, 'help-version': help_version},
             without_display=('bad-options', 'help-version'))
