#!/usr/bin/env python3
"""Integration tests of issue #15 (reach and hand-off): what leaves the console without dictation.

qr-connects: lifeline-shell (headless display) starts the real lifeline-server on the test picture
and draws the Remote Connection panel; the QR code is decoded from the PNG screenshot with zbarimg
(zbar-tools), and the command it carries starts the real xfreerdp, which gets in with the ticket,
pins the certificate and shows the exact test picture.
"""

import base64
import hashlib
import http.server
import json
import os
import re
import shlex
import signal
import socket
import ssl
import subprocess
import threading
import time
import types

import harness
from harness import check

STATIC = 'test:size=1024x768,mode=static'


class ShellServer:
    """The server that lifeline-shell started: ended by its pid when the test finishes."""

    def __init__(self, h, shell_log):
        m = re.search(r'started lifeline-server \(pid (\d+)\)', shell_log)
        check(m, 'the shell did not start lifeline-server')
        self.pid = int(m.group(1))
        h.log(f'the shell started lifeline-server pid {self.pid}')

    def stop(self):
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def shell_panel(h, png, port):
    """Runs lifeline-shell until its first frame with the ticket; returns (state dir, server)."""
    shell = os.environ.get('LIFELINE_SHELL', '')
    check(os.access(shell, os.X_OK), f'LIFELINE_SHELL={shell!r} is not an executable')
    state = os.path.join(h.tmp, 'st')
    argv = [shell, '--display=headless', '--size=1024x768', '--no-input', '--no-vt',
            '--tools-dir=' + os.environ.get('LIFELINE_SHELL_TOOLS', ''),
            '--socket=' + os.path.join(state, 'control.sock'), '--server=' + h.server_bin,
            '--server-arg=--state-dir=' + state, '--server-arg=--capture=' + STATIC,
            '--server-arg=--injector=recording:path=' + os.path.join(h.tmp, 'rec.txt'),
            # every address: the command in the code names the machine's best one
            f'--server-arg=--port-range={port}',
            '--server-log=' + os.path.join(h.tmp, 'server.log'),
            '--run-dir=' + h.tmp, '--cmdline=/dev/null', '--hostname=recovery-pc',
            '--open=remote', '--screenshot=' + png, '--exit-after-frame']
    p = h.spawn('shell', argv)
    try:
        rc = p.wait(60)
    finally:
        srv = ShellServer(h, p.output())
        h.cleanup_extra.append(srv)
    check(rc == 0, f'lifeline-shell exited with {rc}')
    return state, srv


def decode_qr(h, png):
    r = subprocess.run(['zbarimg', '--quiet', '--raw', png], capture_output=True, timeout=30)
    check(r.returncode == 0, f'zbarimg found no code in {png}: {r.stderr.decode()}')
    text = r.stdout.decode('utf-8')
    h.log('decoded %d bytes: %r' % (len(text), re.sub(r'/p:\S+', '/p:***', text)))
    return text


def qr_connects(h):
    h.require_tools('zbarimg')
    d = h.xvfb()
    png = os.path.join(h.tmp, 'panel.png')
    port = harness.free_port()
    state, srv = shell_panel(h, png, port)
    with open(os.path.join(state, 'connection.json')) as f:
        info = json.load(f)
    text = decode_qr(h, png)
    lines = text.rstrip('\n').split('\n')
    argv = shlex.split(lines[0])
    check(os.path.basename(argv[0]) == 'xfreerdp', f'the code does not run xfreerdp: {argv[0]}')
    check(f'/p:{info["ticket"]}' in argv, 'the code does not carry the ticket')
    check(f'/cert:deny,fingerprint:sha256:{info["sha256_fingerprint"]}' in argv,
          'the code does not pin the certificate')
    check(any(a.startswith('/v:') and a.endswith(f':{port}') for a in argv),
          f'the code does not carry the port {port}')
    others = info['addresses'][1:]
    if others:
        check(len(lines) == 2 and lines[1] == '# other addresses: ' + ' '.join(others),
              f'the other addresses are not in the code: {lines[1:]}')

    ctl = harness.Control(h, os.path.join(state, 'control.sock'))
    ctl.event('state', 5)
    t0 = time.monotonic()
    # the decoded command as it is; only the picture codec for an exact comparison
    c = h.client(d, types.SimpleNamespace(width=1024, height=768), argv=argv + ['-gfx', '/bpp:32'])
    c.wait_window()
    c.wait_pattern_exact()
    ev = ctl.event('connected', 10)
    h.log(f'connected with the decoded command as {ev.get("user")!r} from {ev.get("peer")}: '
          f'exact picture after {(time.monotonic() - t0) * 1000:.0f} ms')

    # a code for another certificate is refused (the pin is enforced, not decoration)
    c.stop()
    ctl.event('disconnected', 10)
    bad = [a if not a.startswith('/cert:') else
           '/cert:deny,fingerprint:sha256:' + ':'.join(['00'] * 32) for a in argv]
    c2 = h.client(d, None, argv=bad + ['-gfx', '/bpp:32'], name='xfreerdp-wrong-pin')
    rc = c2.wait_exit(30)
    check(rc != 0, 'xfreerdp with a wrong pin connected')
    check(len(ctl.events('connected')) == 1, 'a connected event for the wrong pin')


class Endpoint:
    """The helpdesk's HTTPS endpoint, made by the test: its own key and self-signed certificate
    (for 127.0.0.1), records every POST."""

    def __init__(self, h, name='endpoint'):
        self.h = h
        self.key = os.path.join(h.tmp, f'{name}.key')
        self.cert = os.path.join(h.tmp, f'{name}.crt')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
                        'ec_paramgen_curve:P-256', '-nodes', '-keyout', self.key, '-out',
                        self.cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext',
                        'subjectAltName=IP:127.0.0.1'], check=True, capture_output=True,
                       timeout=30)
        self.posts = []
        self.handshakes_failed = 0
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get('Content-Length', '0'))
                body = self.rfile.read(min(n, 1 << 20))
                endpoint.posts.append((self.path, self.headers.get('Content-Type'), body))
                self.send_response(200)
                self.send_header('Content-Length', '0')
                self.end_headers()

            def log_message(self, fmt, *args):
                pass

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                endpoint.handshakes_failed += 1

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        self.httpd = Server(('127.0.0.1', 0), Handler)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True,
                                            do_handshake_on_connect=False)
        self.port = self.httpd.server_address[1]
        self.url = f'https://127.0.0.1:{self.port}/lifeline/announce'
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        h.cleanup_extra.append(self)
        h.log(f'HTTPS endpoint on {self.url}')

    def pin(self):
        """curl's pin: sha256// and the base64 of the SHA-256 of the public key (DER)."""
        pub = subprocess.run(['openssl', 'x509', '-in', self.cert, '-noout', '-pubkey'],
                             check=True, capture_output=True, timeout=10).stdout
        der = subprocess.run(['openssl', 'pkey', '-pubin', '-outform', 'DER'], input=pub,
                             check=True, capture_output=True, timeout=10).stdout
        return 'sha256//' + base64.b64encode(hashlib.sha256(der).digest()).decode()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def check_post(h, ep, srv, count):
    harness.wait_until(lambda: len(ep.posts) >= count, 15, f'POST number {count}')
    path, ctype, body = ep.posts[count - 1]
    info = json.loads(body)
    check(path == '/lifeline/announce', f'posted to {path}')
    check(ctype == 'application/json', f'Content-Type {ctype}')
    with open(os.path.join(srv.state_dir, 'connection.json')) as f:
        current = json.load(f)
    check(info == current, 'the posted JSON differs from connection.json')
    st = announce_status(srv, lambda a: a.get('state') == 'sent')
    check(st.get('http_status') == 200, f'announce status: {st}')
    return info


def announce_status(srv, pred, timeout=15):
    """The server's last announce report (the state event's "announce") once pred holds."""
    found = {}

    def probe():
        a = srv.ctl.status().get('announce') or {}
        found['last'] = a
        return a if pred(a) else None
    try:
        return harness.wait_until(probe, timeout, 'the announce status', interval=0.2)
    except harness.Failure:
        raise harness.Failure(f'announce status stayed {found.get("last")}')


def announce_post(h):
    """The connection info reaches the helpdesk's HTTPS endpoint, checked by a pinned key and
    by a CA; a new ticket is posted again."""
    ep = Endpoint(h)
    t0 = time.monotonic()
    srv = h.server(capture=STATIC, extra=[f'--announce-url={ep.url}',
                                          f'--announce-pin={ep.pin()}'])
    info = check_post(h, ep, srv, 1)
    h.log(f'pinned key: POST received {(time.monotonic() - t0) * 1000:.0f} ms after the start')
    check(info['ticket'] == srv.ticket, 'the posted ticket is not the current one')
    reply = srv.ctl.command({'command': 'new-ticket'})
    check(reply.get('reply') == 'ok', f'new-ticket: {reply}')
    info2 = check_post(h, ep, srv, 2)
    check(info2['ticket'] != info['ticket'], 'the new ticket was not posted')
    srv.stop()

    # a CA file instead of a pin: the certificate chains to it and names 127.0.0.1
    srv = h.server(capture=STATIC, name='server-ca', extra=[f'--announce-url={ep.url}',
                                                            f'--announce-ca={ep.cert}'])
    check_post(h, ep, srv, 3)
    h.log('CA file: POST received')


def announce_wrong_pin(h):
    """A wrong pin: nothing is posted, the failure reaches the control socket with curl's
    reason, it is retried with a growing delay, and Remote Connection works meanwhile."""
    ep = Endpoint(h)
    other = Endpoint(h, name='impostor-key')
    d = h.xvfb()
    srv = h.server(capture=STATIC, extra=[f'--announce-url={ep.url}',
                                          f'--announce-pin={other.pin()}'])
    first = announce_status(srv, lambda a: a.get('state') == 'failed')
    t1 = time.monotonic()
    h.log(f'failed: {first}')
    reason = (first.get('reason') or '').lower()
    check('pinned' in reason or 'public key' in reason, f'the reason does not name the pin: {first}')
    check(first.get('attempts') == 1 and first.get('retry_in_ms') == 2000,
          f'first retry not in 2 s: {first}')
    second = announce_status(srv, lambda a: a.get('state') == 'failed' and a.get('attempts') >= 2)
    waited = time.monotonic() - t1
    check(second.get('attempts') == 2 and second.get('retry_in_ms') == 4000,
          f'the delay did not grow: {second}')
    check(1.0 < waited < 6, f'second try after {waited:.1f} s, not about 2 s')
    # Remote Connection is not held up: the helpdesk connects while the post keeps failing
    c = h.client(d, srv, codec='lossless')
    c.wait_window()
    c.wait_pattern_exact()
    srv.ctl.event('connected', 10)
    check(not ep.posts, f'something was posted despite the wrong pin: {ep.posts}')
    h.log(f'second try {waited:.1f} s later, refused again; nothing posted')


def handoff_usb(h):
    """lifeline-handoff lists a FAT stick (a loop device here), writes the .rdp, JSON and
    xfreerdp files to it, syncs and unmounts; the files, read back with mtools without mounting,
    are the server's, and the command from the stick connects. A stick that is no FAT is refused
    with a message."""
    handoff = os.environ.get('LIFELINE_HANDOFF', '')
    check(os.access(handoff, os.X_OK), f'LIFELINE_HANDOFF={handoff!r} is not an executable')
    if os.geteuid() != 0:
        raise harness.Skip('needs root (loop devices, mount)')
    h.require_tools('losetup', 'mkfs.vfat', 'mcopy')
    with open('/proc/filesystems') as f:
        if 'vfat' not in f.read().split():
            raise harness.Skip('this kernel has no vfat (the VM test covers it)')
    img = os.path.join(h.tmp, 'stick.img')
    with open(img, 'wb') as f:
        f.truncate(64 << 20)
    subprocess.run(['mkfs.vfat', '-n', 'HELPDESK', img], check=True, capture_output=True,
                   timeout=30)
    loop = subprocess.run(['losetup', '-f', '--show', img], check=True, capture_output=True,
                          text=True, timeout=30).stdout.strip()
    h.cleanup_extra.append(types.SimpleNamespace(
        stop=lambda: subprocess.run(['losetup', '-d', loop], capture_output=True, timeout=30)))
    h.log(f'the stick: {img} on {loop}')
    d = h.xvfb()
    srv = h.server(capture=STATIC, bind=None)

    r = subprocess.run([handoff, '--list'], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and any(line.split('\t')[0] == loop and 'HELPDESK' in line
                                    for line in r.stdout.splitlines()),
          f'--list does not show {loop}: {r.stdout!r} {r.stderr!r}')
    t0 = time.monotonic()
    r = subprocess.run([handoff, '--state-dir=' + srv.state_dir, loop], capture_output=True,
                       text=True, timeout=60)
    h.log(f'lifeline-handoff: exit {r.returncode} after {(time.monotonic() - t0) * 1000:.0f} ms:'
          f' {r.stdout.strip()} {r.stderr.strip()}')
    check(r.returncode == 0, f'lifeline-handoff failed: {r.stderr}')
    with open('/proc/mounts') as f:
        check(loop not in f.read(), f'{loop} is still mounted')

    def from_stick(name):
        return subprocess.run(['mcopy', '-n', '-i', img, '::' + name, '-'], check=True,
                              capture_output=True, timeout=30).stdout
    info = json.loads(from_stick('lifeline-connection.json'))
    check(info == srv.info, 'the JSON on the stick differs from connection.json')
    rdp = from_stick('lifeline-connection.rdp').decode()
    check(f'full address:s:{info["addresses"][0]}:{srv.port}\r\n' in rdp or
          f'full address:s:[{info["addresses"][0]}]:{srv.port}\r\n' in rdp,
          f'the .rdp file does not name the address and port: {rdp!r}')
    check(info['ticket'] not in rdp, 'the .rdp file holds the ticket')
    line = from_stick('lifeline-connection.txt').decode().strip()
    check(line == info['xfreerdp'], 'the command on the stick is not the server\'s')
    c = h.client(d, srv, argv=shlex.split(line) + ['-gfx', '/bpp:32'])
    c.wait_window()
    c.wait_pattern_exact()
    srv.ctl.event('connected', 10)
    h.log('the command from the stick connected; exact picture')

    # not a FAT filesystem: refused, said why, nothing left mounted
    with open(img, 'r+b') as f:
        f.write(bytes(1 << 20))
    r = subprocess.run([handoff, '--state-dir=' + srv.state_dir, loop], capture_output=True,
                       text=True, timeout=60)
    check(r.returncode == 1 and 'cannot mount' in r.stderr, f'not FAT: {r.returncode} {r.stderr}')
    r = subprocess.run([handoff, '--state-dir=/nonexistent', loop], capture_output=True,
                       text=True, timeout=60)
    check(r.returncode == 1 and 'Remote Connection running' in r.stderr,
          f'no server: {r.returncode} {r.stderr}')


class Bastion:
    """The helpdesk's OpenSSH server, started by the test: its own config and host key,
    loopback only, keys only, remote forwards only (GatewayPorts no: the forwarded port listens
    on the bastion's loopback)."""

    def __init__(self, h, port=None):
        self.h = h
        self.dir = os.path.join(h.tmp, 'bastion')
        os.makedirs(self.dir, exist_ok=True)
        self.host_key = os.path.join(self.dir, 'ssh_host_ed25519_key')
        if not os.path.exists(self.host_key):
            subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', self.host_key],
                           check=True, timeout=30)
        self.authorized = os.path.join(self.dir, 'authorized_keys')
        open(self.authorized, 'a').close()
        self.port = port or harness.free_port()
        self.config = os.path.join(self.dir, 'sshd_config')
        with open(self.config, 'w') as f:
            f.write(f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.host_key}
PidFile {self.dir}/sshd.pid
AuthorizedKeysFile {self.authorized}
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowTcpForwarding remote
GatewayPorts no
PermitTTY no
X11Forwarding no
AllowAgentForwarding no
PermitTunnel no
ClientAliveInterval 10
""")
        os.makedirs('/run/sshd', mode=0o755, exist_ok=True)  # sshd's privilege separation
        self.proc = h.spawn('sshd', ['/usr/sbin/sshd', '-D', '-e', '-f', self.config])
        harness.wait_until(self._listening, 10, 'sshd to listen')
        h.log(f'bastion sshd on 127.0.0.1:{self.port}')

    def _listening(self):
        check(self.proc.alive(), f'sshd exited: {self.proc.output()}')
        try:
            socket.create_connection(('127.0.0.1', self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def public_host_key(self):
        with open(self.host_key + '.pub') as f:
            return ' '.join(f.read().split()[:2])

    def authorise(self, key):
        # what the README tells the helpdesk to write: the key may only listen, on loopback
        with open(self.authorized, 'w') as f:
            f.write(f'restrict,port-forwarding,permitlisten="localhost:*" {key}\n')

    def drop_connections(self):
        """Ends the per-connection processes of this sshd (its children), as a broken link
        would; the listener stays."""
        for pid in os.listdir('/proc'):
            if not pid.isdigit():
                continue
            try:
                with open(f'/proc/{pid}/stat') as f:
                    ppid = int(f.read().rsplit(')', 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == self.proc.pid:
                os.kill(int(pid), signal.SIGKILL)

    def stop(self):
        if self.proc.alive():
            self.drop_connections()
        self.proc.stop()


def reverse_status(srv, pred, timeout=20):
    found = {}

    def probe():
        rv = srv.ctl.status().get('reverse') or {}
        found['last'] = rv
        return rv if pred(rv) else None
    try:
        return harness.wait_until(probe, timeout, 'the reverse status', interval=0.2)
    except harness.Failure:
        raise harness.Failure(f'reverse status stayed {found.get("last")}')


def reverse_ssh(h):
    """The server dials out to the bastion (ssh -N -R 0:...), pinning its host key; until the
    helpdesk authorises the machine key shown it is refused and retries; then the bastion-side
    port leads a real xfreerdp in with the ticket, to a server that listens on loopback only on
    another port. When the bastion restarts the tunnel comes back."""
    h.require_tools('sshd', 'ssh', 'ssh-keygen')
    if not os.path.exists('/usr/sbin/sshd'):
        raise harness.Skip('no /usr/sbin/sshd (openssh-server)')
    if os.geteuid() != 0:
        raise harness.Skip('sshd needs root here')
    bastion = Bastion(h)
    d = h.xvfb()
    srv = h.server(capture=STATIC, bind='127.0.0.1', extra=[
        f'--reverse=root@127.0.0.1:{bastion.port}',
        f'--reverse-host-key={bastion.public_host_key()}'])
    down = reverse_status(srv, lambda r: r.get('state') == 'down')
    h.log(f'before the key is authorised: {down}')
    check('denied' in (down.get('reason') or '').lower(), f'not refused as expected: {down}')
    key = down.get('machine_key') or ''
    check(key.startswith('ssh-ed25519 '), f'no machine key shown: {down}')
    t0 = time.monotonic()
    bastion.authorise(key)
    up = reverse_status(srv, lambda r: r.get('state') == 'up' and r.get('port'))
    port = up['port']
    h.log(f'tunnel up {time.monotonic() - t0:.1f} s after the key was authorised: bastion port '
          f'{port} (the server itself listens on 127.0.0.1:{srv.port})')
    check(port != srv.port, 'the bastion port is the server port')
    argv = ['xfreerdp', f'/v:127.0.0.1:{port}', '/u:helpdesk', f'/p:{srv.ticket}',
            f'/cert:deny,fingerprint:sha256:{srv.fingerprint}', '/sec:nla', '-gfx', '/bpp:32']
    c = h.client(d, srv, argv=argv)
    c.wait_window()
    c.wait_pattern_exact()
    ev = srv.ctl.event('connected', 10)
    h.log(f'xfreerdp in through the bastion: {ev.get("peer")}')
    c.stop()
    srv.ctl.event('disconnected', 10)
    # a wrong ticket through the tunnel is refused like any other
    bad = h.client(d, srv, argv=[a if not a.startswith('/p:') else '/p:000-000-000' for a in argv],
                   name='xfreerdp-wrong-ticket')
    check(bad.wait_exit(30) != 0, 'a wrong ticket got in through the bastion')
    # the link drops (the bastion's side of the connection dies): the tunnel comes back
    t1 = time.monotonic()
    bastion.drop_connections()
    reverse_status(srv, lambda r: r.get('state') == 'down')
    again = reverse_status(srv, lambda r: r.get('state') == 'up', timeout=30)
    h.log(f'tunnel back {time.monotonic() - t1:.1f} s after the link dropped: port '
          f'{again["port"]}')
    c = h.client(d, srv, argv=[a if not a.startswith('/v:') else f'/v:127.0.0.1:{again["port"]}'
                               for a in argv], name='xfreerdp-after-reconnect')
    c.wait_window()
    c.wait_pattern_exact()
    h.log('xfreerdp in again through the new tunnel')


def reverse_wrong_host_key(h):
    """A bastion whose host key is not the pinned one is never trusted: ssh refuses it (no key
    is offered to it), the console is told why, and it is retried."""
    h.require_tools('ssh', 'ssh-keygen')
    if not os.path.exists('/usr/sbin/sshd') or os.geteuid() != 0:
        raise harness.Skip('needs /usr/sbin/sshd and root')
    bastion = Bastion(h)
    other = os.path.join(h.tmp, 'other_key')
    subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', other], check=True,
                   timeout=30)
    with open(other + '.pub') as f:
        wrong = ' '.join(f.read().split()[:2])
    srv = h.server(capture=STATIC, extra=[f'--reverse=root@127.0.0.1:{bastion.port}',
                                          f'--reverse-host-key={wrong.replace(" ", ":")}'])
    down = reverse_status(srv, lambda r: r.get('state') == 'down')
    bastion.authorise(down.get('machine_key'))
    down = reverse_status(srv, lambda r: r.get('state') == 'down' and
                          r.get('retry_in_ms', 0) >= 4000, timeout=30)
    h.log(f'impostor bastion: {down}')
    check('host key verification failed' in (down.get('reason') or '').lower(),
          f'not refused for its host key: {down}')


def xwd_rgb(data):
    """(width, height, rows of (r, g, b)) of an xwd dump of 24-bit TrueColor in 32-bit pixels."""
    import struct
    hdr = struct.unpack('>25I', data[:100])
    hsize, w, hh, bpl, ncolors = hdr[0], hdr[4], hdr[5], hdr[12], hdr[19]
    off, step = hsize + ncolors * 12, bpl // w
    return w, hh, [[tuple(data[off + y * bpl + x * step + 2 - c] for c in range(3))
                    for x in range(w)] for y in range(hh)]


def remmina(h):
    """Debian's Remmina (with its RDP plugin) beside xfreerdp: started with the connection on
    its command line (rdp://USER:TICKET@HOST:PORT), the helpdesk accepts the certificate in its
    dialog, gets in with the ticket, sees the picture and types."""
    h.require_tools('remmina')
    if not os.path.exists('/usr/lib/x86_64-linux-gnu/remmina/plugins/remmina-plugin-rdp.so'):
        raise harness.Skip('no remmina-plugin-rdp')
    d = h.xvfb()
    srv = h.server(capture=STATIC)
    home = os.path.join(h.tmp, 'remmina-home')
    os.makedirs(home)
    env = dict(d.env, HOME=home, XDG_CONFIG_HOME=os.path.join(home, '.config'),
               XDG_DATA_HOME=os.path.join(home, '.local', 'share'), XDG_RUNTIME_DIR=h.tmp,
               NO_AT_BRIDGE='1')
    t0 = time.monotonic()
    p = h.spawn('remmina', ['remmina', '-c',
                            f'rdp://helpdesk:{srv.ticket}@127.0.0.1:{srv.port}'], env=env)

    def connected():
        check(p.alive(), f'remmina exited with {p.returncode()}')
        try:
            return srv.ctl.event('connected', 0.5)
        except harness.Failure:
            # the certificate dialog (self-signed): its Yes button, where Remmina 1.4.29 puts
            # it in a new window on a 1280x1024 screen
            d.run(['xdotool', 'mousemove', '80', '232', 'click', '1'], check_rc=False)
            return None
    ev = harness.wait_until(connected, 40, 'Remmina to connect', interval=1.0)
    h.log(f'Remmina in as {ev.get("user")!r} after {time.monotonic() - t0:.1f} s '
          f'(keyboard layout {ev.get("keyboard_layout_id")})')

    def picture():
        data = d.run(['xwd', '-root', '-silent']).stdout
        with open(os.path.join(h.tmp, 'remmina-screen.xwd'), 'wb') as f:
            f.write(data)
        w, hh, rows = xwd_rgb(data)
        # the static test picture, as Remmina scales it into its window: its white block and
        # its dark grey (0x40) field, several colours in its stripes
        samples = [rows[y][x] for y in range(50, 440, 3) for x in range(90, 560, 3)]
        white = sum(1 for c in samples if min(c) >= 252)
        grey = sum(1 for c in samples if all(56 <= v <= 72 for v in c))
        colors = len(set(samples))
        ok = white > len(samples) // 20 and grey > len(samples) // 3 and colors >= 6
        return (colors, white, grey) if ok else None
    n, white, grey = harness.wait_until(picture, 20, 'the picture in Remmina', interval=0.5)
    h.log(f'the picture in Remmina: {n} colours, {white} white and {grey} grey samples')

    start = len(srv.recorded())
    d.run(['xdotool', 'mousemove', '400', '300', 'click', '1'])
    d.run(['xdotool', 'type', '--delay', '120', 'lifeline'])
    codes = [38, 23, 33, 18, 38, 23, 49, 18]  # l i f e l i n e (evdev)
    srv.wait_recorded([f'key {c} {v}' for c in codes for v in (1, 0)], start, timeout=15,
                      what='the keys typed in Remmina')
    h.log('typed "lifeline" in Remmina: every key arrived in order')


def run(main):
    """harness.run, plus the servers the shell starts (not the harness's own processes)."""
    def wrapped(h):
        h.cleanup_extra = []
        try:
            main(h)
        finally:
            for s in h.cleanup_extra:
                s.stop()
    harness.run(wrapped)


SCENARIOS = {'qr-connects': qr_connects, 'announce-post': announce_post,
             'announce-wrong-pin': announce_wrong_pin, 'handoff-usb': handoff_usb,
             'reverse-ssh': reverse_ssh, 'reverse-wrong-host-key': reverse_wrong_host_key,
             'remmina': remmina}

if __name__ == '__main__':
    import sys
    name = sys.argv[1] if len(sys.argv) > 1 else ''
    if name not in SCENARIOS:
        print(f'usage: {sys.argv[0]} {"|".join(SCENARIOS)}', file=sys.stderr)
        sys.exit(harness.EXIT_FAIL)
    run(SCENARIOS[name])
