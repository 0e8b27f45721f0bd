"""VM tests of lifeline-shell: qemu (TCG by default) boots the real recovery media; the shell
draws on KMS; qemu's send-key is the person's keyboard; the real xfreerdp (under Xvfb, through a
loopback port forward) is the helpdesk.  The shell's marker lines (lifeline.announce=/dev/ttyS0)
come back on the serial line.

Usage: test_vm_shell.py SCENARIO   (exit 0 pass, 1 fail, 77 skip)
"""

import os
import shutil
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import shellvm  # noqa: E402

ROOT = os.environ.get('LIFELINE_SOURCE_ROOT',
                      os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'integration'))

BOOT_TIMEOUT = 900  # TCG is slow; the marker says when the shell is up
HEADER_BG = (11, 61, 97)
LIST_BG = (240, 243, 246)


def check(cond, msg):
    if not cond:
        raise shellvm.Failure(msg)


def layout(w, h):
    """The tool list geometry of recovery-shell/layout.c (unit, list width, header height)."""
    u = max(12, min(72, min(h // 40, w // 56)))
    return u, min(u * 16, w // 3), u * 5 // 2


TOOLS = ['remote', 'shell', 'network', 'sysinfo', 'locksmith', 'fsck', 'bootrepair', 'fstab',
         'services', 'logs', 'packages', 'restore', 'files', 'disks', 'systems', 'keyboard',
         'power']


def tool_row_centre(w, h, index):
    u, list_w, header_h = layout(w, h)
    # rows of three units, closer when they do not fit above the banner and the key hint
    row_h = min(u * 3, (h - header_h - u * 3 - u * 3) // len(TOOLS))
    return list_w // 2, header_h + u + index * row_h + (row_h - u // 4) // 2


def tool_keys(tool):
    """Keys that open `tool` from anywhere: F1, then its digit, or End and Up to it."""
    i = TOOLS.index(tool)
    if i < 9:
        return ['F1', str(i + 1)]
    return ['F1', 'End'] + ['Up'] * (len(TOOLS) - 1 - i) + ['Return']


class Run:
    def __init__(self):
        self.t0 = time.monotonic()
        self.guest = None
        self.h = None
        self.d = None
        self.hp = None
        self.relay = None

    def log(self, msg):
        print('[%7.1f] %s' % (time.monotonic() - self.t0, msg), flush=True)

    def boot(self, append='', ask_keymap=False):
        kernel, initrd = shellvm.find_media(ROOT)
        if not shutil.which('qemu-system-x86_64'):
            raise shellvm.Skip('qemu-system-x86_64 is not installed')
        self.guest = shellvm.Guest(kernel, initrd, append=append, log=self.log,
                                   ask_keymap=ask_keymap)
        m = self.guest.wait_serial(r'lifeline-shell: on screen \((\w+) (\d+)x(\d+)\)',
                                   BOOT_TIMEOUT)
        self.log('shell on screen: %s' % m.group(0))
        check(m.group(1) == 'kms', 'the shell is on %s, not KMS' % m.group(1))
        self.w, self.h_px = int(m.group(2)), int(m.group(3))
        return m

    def open_remote_locally(self):
        mark = self.guest.mark()
        self.guest.send_key('1')  # the tool list has the focus at start; 1 = Remote Connection
        self.wait_ticket(mark)

    def wait_ticket(self, mark):
        """The connection info on the serial line, then the ticket drawn on the screen."""
        g = self.guest
        m = g.wait_serial(r'remote waiting ticket=(\d{3}-\d{3}-\d{3}) port=(\d+) '
                          r'addresses=(\S*) sha256=([0-9A-F:]+)\n', 300, after=mark)
        g.wait_serial(r'ticket on screen', 60, after=mark)
        self.ticket, self.port, self.fp = m.group(1), int(m.group(2)), m.group(4)
        self.log('ticket %s port %d' % (self.ticket, self.port))

    def wait_ticket_digits(self):
        def digits(img):
            u, list_w, header_h = layout(img.w, img.h)
            box = (list_w, header_h + u * 4, img.w, header_h + u * 10)
            return img.count(HEADER_BG, box, tol=20) > 500
        self.guest.wait_screen(digits, 30, 'no large ticket digits on the screen')

    def client_display(self):
        """The helpdesk's side, made once: the client's Xvfb and the host port forwarded to
        the server's port in the guest."""
        import harness
        if not self.h:
            self.h = harness.Harness()
            self.h.require_tools('Xvfb', 'xfreerdp', 'xdotool')
            self.d = self.h.xvfb(self.w + 64, self.h_px + 64)
            self.hp = self.guest.forward(self.port)
        return self.d, self.hp

    def connect_client(self, codec='lossless', relay=None, extra=(), xkb=None):
        """The real xfreerdp with the ticket and the pinned certificate; codec 'lossless'
        (-gfx /bpp:32: planar bitmaps) or 'default' (xfreerdp's own choice: the graphics
        pipeline with H.264). relay: (delay, jitter) in seconds puts a vmharness.DelayRelay
        between the client and the forwarded port. extra: more xfreerdp arguments; xkb:
        setxkbmap arguments for the client's X keyboard. Called again (after the client left),
        it connects a new xfreerdp on the same display through the same forward."""
        d, hp = self.client_display()
        if xkb:
            self.h.require_tools('setxkbmap')
            d.run(['setxkbmap', *xkb])
        if relay:
            self.relay = shellvm.vmharness.DelayRelay(hp, *relay)
            hp = self.relay.port
        mark = self.guest.mark()
        codec_args = {'lossless': ['-gfx', '/bpp:32'], 'default': []}[codec]
        self.client = self.h.client(d, argv=[
            'xfreerdp', '/v:127.0.0.1:%d' % hp, '/u:helpdesk', '/p:' + self.ticket,
            '/cert:deny,fingerprint:sha256:' + self.fp, *codec_args, *extra, '/timeout:60000'])
        deadline = time.monotonic() + 240
        while True:
            try:
                self.guest.wait_serial(r'remote in-use peer=', 5, after=mark)
                break
            except shellvm.Failure:
                # a client that gave up is a failure now, not after the whole timeout
                if not self.client.alive() or time.monotonic() > deadline:
                    raise shellvm.Failure('the client %s without a session (see its log)' % (
                        'exited' if not self.client.alive() else 'is still'))
        self.client.wait_window(60)

    def client_click_tool(self, tool):
        x, y = tool_row_centre(self.w, self.h_px, TOOLS.index(tool))
        mark = self.guest.mark()
        self.d.xdotool('mousemove', '--window', self.client.window, x, y)
        self.d.xdotool('click', '--window', self.client.window, 1)
        self.guest.wait_serial(r'clicked %s \(remote\)' % tool, 120, after=mark)

    def client_type(self, text):
        self.client.focus()
        self.d.xdotool('type', '--delay', '80', text)
        self.d.xdotool('key', 'Return')

    def evidence(self):
        """What a failure leaves for the reader: the guest's screen, and whether the serial
        line (the markers' path) still carries output, with the UART's counters."""
        try:
            img = self.guest.screendump()
            self.log('guest screen at the failure: %s' % img.path)
            self.log('serial line: %s' % self.guest.shell(
                'echo SERIAL-ALIVE; cat /proc/tty/driver/serial | head -2; '
                'for p in $(pidof lifeline-shell lifeline-server); do echo "pid $p state '
                '$(cut -d" " -f3 /proc/$p/stat) wchan $(cat /proc/$p/wchan)"; done', timeout=20))
        except Exception as e:  # noqa: BLE001 (evidence only)
            self.log('no evidence from the guest: %s' % e)

    def cleanup(self, failed):
        if failed and self.guest:
            self.evidence()
        if self.relay:
            self.relay.close()
        if self.h:
            self.h.cleanup()
            if failed:
                self.h.dump_logs()
        if self.guest:
            if failed:
                print('---- serial\n' + self.guest.serial[-6000:])
            self.guest.stop()


def scenario_boot(r):
    """Boot the media: the shell is on the screen (qemu screendump)."""
    r.boot()
    img = r.guest.screendump()
    check((img.w, img.h) == (r.w, r.h_px), 'screendump %dx%d' % (img.w, img.h))
    check(img.near(4, 4, HEADER_BG), 'no header at the top: %s' % (img.pixel(4, 4),))
    u, list_w, header_h = layout(img.w, img.h)
    check(img.near(4, img.h - 4, LIST_BG), 'no tool list: %s' % (img.pixel(4, img.h - 4),))


def scenario_keymap_at_start(r):
    """Booted without lifeline.keymap, the shell asks for the keyboard layout first (as DaRT
    does); the answer typed on the local keyboard becomes the layout."""
    r.boot(ask_keymap=True)
    r.guest.wait_serial(r'lifeline-shell: pane keyboard', 60)
    mark = r.guest.mark()
    r.guest.send_key('d')
    r.guest.send_key('e')
    r.guest.send_key('ret')
    r.guest.wait_serial(r'lifeline-shell: keymap de\n', 60, after=mark)


def scenario_local_keys(r):
    """A local key (qemu send-key) opens Remote Connection; the connection info is on the serial
    line and on the screen."""
    r.boot()
    r.open_remote_locally()
    r.wait_ticket_digits()
    # the console's own key: what the tools' audit lines will say (toolset/audit.c)
    last = r.guest.shell('cat /run/lifeline/last-input').strip()
    check(last == 'keyboard', '/run/lifeline/last-input holds %r after a local key' % last)


def scenario_remote_auto(r):
    """Remote Connection at boot (lifeline.remote=auto, the GRUB entry): the shell attaches to
    the server the boot started and puts the ticket in front, without asking for the keyboard
    layout first; the real xfreerdp connects with it."""
    r.boot(append='lifeline.remote=auto', ask_keymap=True)
    r.guest.wait_serial(r'lifeline-shell: view remote', 300)
    r.wait_ticket(0)
    r.wait_ticket_digits()
    r.guest.absent_serial(r'lifeline-shell: pane keyboard', 0)
    r.connect_client()


def scenario_client_connects(r):
    """The real xfreerdp connects with the ticket; the banner shows on the guest screen."""
    r.boot()
    r.open_remote_locally()
    r.connect_client()
    img = r.guest.screendump()
    u = layout(img.w, img.h)[0]
    check(img.count((216, 67, 21), (0, img.h - u * 3, img.w, img.h), tol=20) > img.w * u,
          'no session banner at the bottom of the guest screen')


def scenario_client_click(r):
    """A click in the client opens a tool, and the guest screen shows it."""
    r.boot()
    r.open_remote_locally()
    r.connect_client()
    mark = r.guest.mark()
    r.client_click_tool('sysinfo')
    r.guest.wait_serial(r'pane sysinfo', 60, after=mark)

    def terminal_pane(img):
        # the System information pane: a terminal (black) in the content area
        u, list_w, header_h = layout(img.w, img.h)
        cx, cy = (list_w + img.w) // 2, img.h // 2
        return img.count((0, 0, 0), (cx - 50, cy - 50, cx + 50, cy + 50), tol=8) > 2000
    r.guest.wait_screen(terminal_pane, 30, 'the guest screen does not show a terminal pane')


def types_in_shell_pane(r, tag, append='', timeout=120):
    """Boot, connect, open a Shell pane from the client and type a command there that prints
    LIFELINE-<tag>-42 on the serial line (computed by the guest's shell, so an echo of the typed
    text does not count)."""
    r.boot(append=append)
    r.open_remote_locally()
    r.connect_client()
    r.client_click_tool('shell')
    mark = r.guest.mark()
    r.client_type('echo LIFELINE-%s-$((6*7)) >/dev/ttyS0' % tag)
    r.guest.wait_serial(r'LIFELINE-%s-42' % tag, timeout, after=mark)


def scenario_client_types(r):
    """Keys typed in the client run a command in the Shell pane; a tool there sees that it runs
    in a pane and that the helpdesk typed last (what its audit line will say)."""
    types_in_shell_pane(r, 'SHELLTEST')
    mark = r.guest.mark()
    r.client_type('echo LL-$LIFELINE_PANE-$(cat /run/lifeline/last-input)-END >/dev/ttyS0')
    r.guest.wait_serial(r'LL-1-helpdesk-END', 120, after=mark)


def scenario_end_session(r):
    """The end-session key from the client does nothing; pressed locally it disconnects."""
    r.boot()
    r.open_remote_locally()
    r.connect_client()
    mark = r.guest.mark()
    r.client.focus()
    r.d.xdotool('key', 'F12')
    r.guest.wait_serial(r'remote key end-session ignored: local only', 120, after=mark)
    r.guest.absent_serial(r'remote ended', 5, after=mark)
    check(r.client.alive(), 'the client was disconnected by its own F12')
    r.guest.send_key('f12')
    r.guest.wait_serial(r'remote ended', 120, after=mark)
    r.client.wait_exit(60)


def scenario_view_only(r):
    """View-only (local F11) blocks the client's input; F11 again gives it back."""
    r.boot()
    r.open_remote_locally()
    r.connect_client()
    r.client_click_tool('shell')
    mark = r.guest.mark()
    r.client_type('echo LIFELINE-VO-$((1+1)) >/dev/ttyS0')
    r.guest.wait_serial(r'LIFELINE-VO-2', 120, after=mark)
    r.guest.send_key('f11')
    r.guest.wait_serial(r'view-only on', 60, after=mark)
    mark = r.guest.mark()
    r.client_type('echo LIFELINE-VO-$((2+1)) >/dev/ttyS0')
    r.guest.absent_serial(r'LIFELINE-VO-3', 20, after=mark)
    # and the client cannot switch it back
    r.client.focus()
    r.d.xdotool('key', 'F11')
    r.guest.absent_serial(r'view-only off', 5, after=mark)
    r.guest.send_key('f11')
    r.guest.wait_serial(r'view-only off', 60, after=mark)
    # control is back: the next command runs, and the one typed during view-only never did
    r.client_type('echo LIFELINE-VO-$((3+1)) >/dev/ttyS0')
    r.guest.wait_serial(r'LIFELINE-VO-4', 120, after=mark)
    r.guest.absent_serial(r'LIFELINE-VO-3', 0, after=mark)


def scenario_busy_typing(r):
    """Keys typed while the shell's main loop is busy all arrive. lifeline.debug-stall makes the
    loop sleep 1.5 s after each frame, as a redraw under heavy load would; the kernel keeps only
    64 events per reader (8 characters with Shift), so the devices must be read meanwhile."""
    types_in_shell_pane(r, 'BUSY', append='lifeline.debug-stall=1500', timeout=180)


def scenario_crash_restart(r):
    """A crashed shell is started again by the init and attaches to the running session: the
    helpdesk stays connected and drives the new shell."""
    r.boot()
    r.open_remote_locally()
    r.connect_client()
    mark = r.guest.mark()
    r.guest.shell('kill -SEGV $(pidof lifeline-shell)')
    m = r.guest.wait_serial(r'lifeline-shell ended with status (\d+) .*starting it again', 60,
                            after=mark)
    check(m.group(1) == '139', 'the shell ended with status %s, not by SIGSEGV' % m.group(1))
    r.guest.wait_serial(r'lifeline-shell: on screen', 120, after=m.end())
    r.guest.wait_serial(r'remote in-use peer=10\.0\.2\.2', 120, after=m.end())
    check(r.client.alive(), 'the client lost its session when the shell crashed')
    r.client_click_tool('sysinfo')


# What the helpdesk types: 246 characters with every kind of key a command line has (letters,
# digits, shifted symbols, doubled letters as in 'bookkeeper', runs of capitals).
HELPDESK_TEXT = ("Bookkeeper Anna's committee met at 10:45; coffee & cookies cost $12.50 + 7% tax "
                 "~= $13.38! Mississippi balloons (33) {urgent} [p1] | C:\\Temp\\logs "
                 "/var/log/*.log <ok>? \"quoted\" help-desk_2@example.com #4471 ^_^ "
                 "aabbccddee 1122334455 `x` WORKS=100%")
TYPING_RATE = 12.0      # keys a second, at least


def client_types_like_a_person(r, text, rng):
    """Type text in the client with key downs and ups as a fast person makes them (one xdotool
    run under the client's Xvfb, XTEST, so xfreerdp sees real key events)."""
    events, rate = shellvm.Typist(rng).schedule(text)
    check(rate >= TYPING_RATE, 'the schedule types %.1f keys a second' % rate)
    r.client.focus()
    t0 = time.monotonic()
    r.d.xdotool(*shellvm.Typist.xdotool_args(events), timeout=120)
    took = time.monotonic() - t0
    real = (len(text) - 1) / took if len(text) > 1 else rate
    r.log('typed %d characters in %.1f s: %.1f keys a second (the schedule: %.1f)'
          % (len(text), took, real, rate))
    check(len(text) < 20 or real >= TYPING_RATE,
          'xdotool typed only %.1f keys a second; the test wants %.0f' % (real, TYPING_RATE))


def char_diff(want, got):
    """Where got differs from want, as a list of readable edits."""
    import difflib
    out = []
    ops = difflib.SequenceMatcher(None, want, got, autojunk=False).get_opcodes()
    for op, a0, a1, b0, b1 in ops:
        if op != 'equal':
            out.append('%s at %d: %r -> %r (context %r)'
                       % (op, a0, want[a0:a1], got[b0:b1], want[max(0, a0 - 12):a1 + 12]))
    return out


def helpdesk_typing(r, relay=None, append=''):
    """Remote Connection at boot; the real xfreerdp connects with its default settings (the
    graphics pipeline with H.264), opens the Shell tool with the keyboard (F1, 2) and types a
    line of HELPDESK_TEXT into `cat >/tmp/typed` at a fast person's pace (key downs and ups
    overlapping, Shift too). What arrived in the file must be exactly what was typed: no
    repeated, lost or swapped characters."""
    import random
    seed = int(os.environ.get('LIFELINE_TYPING_SEED', random.randrange(1 << 30)))
    r.log('typing seed %d (LIFELINE_TYPING_SEED=%d repeats it)' % (seed, seed))
    rng = random.Random(seed)
    check(len(HELPDESK_TEXT) >= 200, 'the text is only %d characters' % len(HELPDESK_TEXT))
    r.boot(append='lifeline.remote=auto ' + append)
    r.guest.wait_serial(r'lifeline-shell: view remote', 300)
    r.wait_ticket(0)
    r.connect_client(codec='default', relay=relay)
    g = r.guest
    mark = g.mark()
    r.client.focus()
    r.d.xdotool('key', 'F1')    # the tool list, from anywhere
    r.d.xdotool('key', '2')     # Shell: a fresh pane
    g.wait_serial(r'lifeline-shell: pane shell\n', 120, after=mark)
    g.shell('rm -f /tmp/typed')
    # The command that records what arrives goes in with xdotool's own quick press-release
    # keys: a mistake in it would leave nothing to compare.
    r.d.xdotool('type', '--delay', '100', 'cat >/tmp/typed')
    r.d.xdotool('key', 'Return')
    try:
        g.shell('SECONDS=0; until pidof cat >/dev/null || [ $SECONDS -ge 60 ]; do sleep 0.2; '
                'done; pidof cat', timeout=120)
    except shellvm.Failure:
        raise shellvm.Failure('`cat >/tmp/typed` typed in the client did not start cat')
    client_types_like_a_person(r, HELPDESK_TEXT + '\n', rng)
    # the end of the input (Ctrl-D): cat exits, and the file holds everything that arrived
    r.d.xdotool('key', 'ctrl+d')
    left = g.shell('SECONDS=0; while pidof cat >/dev/null && [ $SECONDS -lt 90 ]; do sleep 0.2; '
                   'done; pidof cat && kill $(pidof cat); true', timeout=150)
    got = g.shell('cat /tmp/typed')
    want = HELPDESK_TEXT + '\n'
    if left.strip():
        r.log('Ctrl-D did not end cat; killed it (a last line without Return is lost)')
    if got != want or left.strip():
        r.log('typed:    %r' % want)
        r.log('received: %r' % got)
        for line in char_diff(want, got):
            r.log('  ' + line)
        raise shellvm.Failure('the guest received %d characters that differ from the %d typed '
                              '(%d edits, listed above)'
                              % (len(got), len(want), len(char_diff(want, got))))
    r.log('the guest received exactly the %d typed characters' % len(want))


def scenario_helpdesk_typing(r):
    """A helpdesk types 200+ characters on the default codec at 12+ keys a second."""
    helpdesk_typing(r)


def scenario_helpdesk_typing_slow_link(r):
    """The same over a link that delays each chunk 150 ms +- 100 ms each way, with the
    server's default options: the connection sequence takes some 20 round trips (6 s and more
    at 300 ms), but only giving the ticket must fit the 5 s handshake timeout."""
    helpdesk_typing(r, relay=(0.150, 0.100))


# helpdesk-layout-clipboard: what a German helpdesk types on a US console and the other way
# round, the clipboard both ways and Unicode keyboard events, all on one boot.
# The German client types every key that differs from US, AltGr ones too (no dead keys: ^ ` ´).
LAYOUT_TEXT_DE = ("Grüße aus Köln: zy ZY yz äöü ÄÖÜ ß @ € # ' \" { } [ ] \\ | ~ < > "
                  "Ärger über Öl: 42% & $5 (ok) = ja; a+b*c/d_e-f! Zürich?")
# The US client on the German console: the keys whose places differ.
LAYOUT_TEXT_US = ("zy ZY yz @ ; ' [ ] { } \\ | ~ ^ ` < > / ? : \" = + - _ # $ % & * ( ) "
                  "Yes, zebra lazy-day: x@example.org [ok]; 'quoted' {braces}")
COPY_TEXT = 'copied-from-the-guest äö €'
UNICODE_TEXT = 'ünï-€-😀'


def check_exact(r, what, want, got):
    """Failure with the exact differences when got is not want."""
    if got == want:
        r.log('%s: exactly the %d characters' % (what, len(want)))
        return
    r.log('%s: want     %r' % (what, want))
    r.log('%s: received %r' % (what, got))
    for line in char_diff(want, got):
        r.log('  ' + line)
    raise shellvm.Failure('%s: %d characters arrived that differ from the %d wanted '
                          '(%d edits, listed above)'
                          % (what, len(got), len(want), len(char_diff(want, got))))


def client_key(r, *keys):
    r.client.focus()
    r.d.xdotool('key', '--delay', '100', *keys)


def client_open_shell(r):
    """F1 (the tool list, from anywhere) and 2: a fresh Shell pane in front."""
    mark = r.guest.mark()
    client_key(r, 'F1', '2')
    r.guest.wait_serial(r'lifeline-shell: pane shell\n', 120, after=mark)


def client_types_text(r, text, delay_ms=70):
    """xdotool type in the client: its own press-release keys, with AltGr and Shift as the
    client's X layout needs them, faster than TYPING_RATE."""
    r.client.focus()
    t0 = time.monotonic()
    r.d.xdotool('type', '--delay', str(delay_ms), text, timeout=120)
    took = time.monotonic() - t0
    r.log('typed %d characters in %.1f s (%.1f a second)' % (len(text), took, len(text) / took))
    check(len(text) < 20 or len(text) / took >= TYPING_RATE,
          'xdotool typed only %.1f characters a second' % (len(text) / took))


def guest_wait(r, cond, what, seconds=60):
    """Poll a shell condition in the guest (bounded); Failure names what did not happen."""
    try:
        r.guest.shell('SECONDS=0; until %s || [ $SECONDS -ge %d ]; do sleep 0.2; done; %s'
                      % (cond, seconds, cond), timeout=seconds + 60)
    except shellvm.Failure:
        raise shellvm.Failure(what)


def cat_in_client(r, path, text, local_keys=()):
    """`cat >PATH` typed in the client's Shell pane, TEXT typed there, Return, then the local
    keys (qemu send-key, with LOCAL_KEYS = (qcodes, the line they type)) once the helpdesk's
    line is in the file, Ctrl-D; what the file holds must be exactly what was typed."""
    g = r.guest
    g.shell('rm -f %s' % path)
    r.client.focus()
    r.d.xdotool('type', '--delay', '100', 'cat >%s' % path)
    r.d.xdotool('key', 'Return')
    guest_wait(r, 'pidof cat >/dev/null', '`cat >%s` typed in the client did not start cat'
               % path)
    client_types_text(r, text)
    client_key(r, 'Return')
    want = text + '\n'
    if local_keys:
        qcodes, line = local_keys
        # the helpdesk's line first (cat writes each line as it comes)
        guest_wait(r, '[ "$(wc -c <%s)" -ge %d ]' % (path, len(want.encode())),
                   'the helpdesk\'s line did not reach %s' % path, 90)
        for q in qcodes:
            g.send_key(q)
        g.send_key('ret')
        want += line + '\n'
    client_key(r, 'ctrl+d')
    left = g.shell('SECONDS=0; while pidof cat >/dev/null && [ $SECONDS -lt 90 ]; do '
                   'sleep 0.2; done; pidof cat && kill $(pidof cat); true', timeout=150)
    if left.strip():
        r.log('Ctrl-D did not end cat; killed it (a last line without Return is lost)')
    check_exact(r, path, want, g.shell('cat %s' % path))
    check(not left.strip(), 'Ctrl-D typed in the client did not end cat')


def client_pastes(r, want_bytes, attempts=10):
    """Ctrl+Shift+V and Return at once in the client; the shell holds Return until the paste
    is in. The client tells the server about a new X clipboard owner on its own time: a paste
    that finds no text yet (the Return runs an empty line) is tried again."""
    for attempt in range(attempts):
        mark = r.guest.mark()
        r.client.focus()
        r.d.xdotool('key', '--delay', '0', 'ctrl+shift+v', 'Return')
        m = r.guest.wait_serial(r'lifeline-shell: paste (bytes=(\d+)|error=(\S+))', 60,
                                after=mark)
        if m.group(2):
            check(int(m.group(2)) == want_bytes, 'the paste brought %s bytes, not the %d on '
                  'the client\'s clipboard' % (m.group(2), want_bytes))
            return
        check(m.group(3) in ('empty', 'no-text', 'no-channel', 'timeout'),
              'the paste failed: %s' % m.group(0))
        r.log('paste attempt %d: %s; again' % (attempt + 1, m.group(3)))
        time.sleep(1)
    raise shellvm.Failure('no paste in %d attempts' % attempts)


def helpdesk_connects(r, kbd, layout):
    """xfreerdp (default codec) with /kbd:KBD on an X keyboard of LAYOUT; the shell must read
    the helpdesk's keys with LAYOUT."""
    mark = r.guest.mark()
    r.connect_client(codec='default', extra=['/kbd:' + kbd], xkb=['-layout', layout])
    m = r.guest.wait_serial(r'lifeline-shell: remote keyboard layout=(\S*) variant=(.*)\n',
                            60, after=mark)
    check(m.group(1, 2) == (layout, ''), 'the shell took the helpdesk\'s layout as %r'
          % (m.group(0),))


def wait_client_left(r):
    mark = r.guest.mark()
    r.client.stop()
    r.guest.wait_serial(r'lifeline-shell: remote waiting ticket=', 120, after=mark)


def pane_grid(w, h, in_session=True):
    """Where a pane's text sits (recovery-shell/layout.c, render.c): the content rectangle
    under the tabs (above the session banner when a helpdesk is in), a padding of unit/2, and
    room for the "finished" line (2 units) under the grid. Returns (x0, y0, text width, text
    height) of the text area."""
    u, list_w, header_h = layout(w, h)
    banner_h = u * 3 if in_session else 0
    content_y, content_h = header_h + u * 2, h - header_h - banner_h - u * 2
    pad = u // 2
    return list_w + pad, content_y + pad, w - list_w - 2 * pad, content_h - 2 * pad - u * 2


def cell_size(avail, cells, what):
    """The whole-pixel cell size that divides AVAIL into CELLS (the shell's grid is
    avail // cell): the font's metrics are the shell's, the grid tells them."""
    fit = [c for c in range(1, avail + 1) if avail // c == cells]
    check(len(fit) == 1, 'the pane\'s %d %s in %d pixels leave the cell size %s, not one'
          % (cells, what, avail, fit or 'impossible'))
    return fit[0]


def ink(img, box, bg):
    """Pixels in box that are not the pane's background (text)."""
    x0, y0, x1, y1 = box
    return sum(1 for y in range(y0, y1) for x in range(x0, x1)
               if sum(abs(a - b) for a, b in zip(img.pixel(x, y), bg)) > 90)


def client_selects(r, clip, tag):
    """In the Shell pane, a known line at a known row between brackets; the helpdesk drags the
    left button from the first to the last character inside the brackets (xdotool under the
    client's Xvfb). libtsm selects both end cells (inclusive) and drops the line break, so the
    shell must copy exactly the text, and the client's X clipboard must hold exactly it."""
    import harness
    g = r.guest
    text = 'SELECT-ME-%s' % tag
    row, col = 2, 1  # "row 0", "row 1", then "[TEXT]": the text from column 1
    g.shell('rm -f /tmp/selgrid')
    client_types_text(r, "printf '\\033[H\\033[2Jrow 0\\nrow 1\\n[%s]\\n'; "
                      "stty size >/tmp/selgrid" % text)
    client_key(r, 'Return')
    guest_wait(r, '[ -s /tmp/selgrid ]', 'the line to select was not printed in the pane')
    rows, cols = (int(v) for v in g.shell('cat /tmp/selgrid').split())
    x0, y0, tw, th = pane_grid(r.w, r.h_px)
    cw, ch = cell_size(tw, cols, 'columns'), cell_size(th, rows, 'rows')
    r.log('pane grid %dx%d at (%d,%d), cell %dx%d' % (cols, rows, x0, y0, cw, ch))

    def cell_box(c0, c1, rw):
        return x0 + c0 * cw, y0 + rw * ch, x0 + c1 * cw, y0 + (rw + 1) * ch

    def line_there(img):
        bg = img.pixel(x0 + (cols - 1) * cw + cw // 2, y0 + row * ch + ch // 2)
        return (ink(img, cell_box(col, col + len(text), row), bg) > 3 * len(text) and
                ink(img, cell_box(col + len(text) + 2, cols - 1, row), bg) == 0 and
                ink(img, cell_box(0, 5, 1), bg) > 10 and
                ink(img, cell_box(6, cols - 1, 1), bg) == 0)
    g.wait_screen(line_there, 30, 'the line to select is not where the pane geometry puts it '
                  '(row %d, columns %d-%d)' % (row, col, col + len(text) - 1))

    def centre(c):
        return x0 + c * cw + cw // 2, y0 + row * ch + ch // 2
    first, last = centre(col), centre(col + len(text) - 1)
    mark = g.mark()
    win = r.client.window
    r.client.focus()
    r.d.xdotool('mousemove', '--window', win, *first)
    r.d.xdotool('mousedown', 1)
    r.d.xdotool('mousemove', '--window', win, *centre(col + len(text) // 2))
    r.d.xdotool('mousemove', '--window', win, *last)
    r.d.xdotool('mouseup', 1)
    r.log('dragged from %r to %r (cells %d-%d of row %d)' % (first, last, col,
                                                              col + len(text) - 1, row))

    def evidence(why, got):
        img = g.screendump()
        copies = [ln for ln in g.serial[mark:].splitlines() if 'lifeline-shell: copy' in ln]
        r.log('selection: screendump %s' % img.path)
        r.log('selection: announced %r' % (copies,))
        r.log('selection: xclip -o returned %r' % (got,))
        raise shellvm.Failure('%s: want %r, the client\'s clipboard holds %r, announced %r '
                              '(screendump %s)' % (why, text, got, copies, img.path))
    try:
        m = g.wait_serial(r'lifeline-shell: copy selection bytes=(\d+)([^\n]*)\n', 60,
                          after=mark)
    except shellvm.Failure:
        evidence('no `copy selection` on the serial line within 60 s', clip.get())
    last_got = [None]

    def copied():
        last_got[0] = clip.get()
        return last_got[0] == text
    if int(m.group(1)) != len(text.encode()) or m.group(2):
        # what did arrive, once the client has it (bounded)
        try:
            harness.wait_until(lambda: copied() or last_got[0] != COPY_TEXT, 15,
                               'a new clipboard', interval=0.2)
        except harness.Failure:
            pass
        evidence('the shell copied %s bytes%s, not the %d of the selected text'
                 % (m.group(1), m.group(2), len(text.encode())), last_got[0])
    try:
        harness.wait_until(copied, 30, 'the selection on the client\'s clipboard',
                           interval=0.2)
    except harness.Failure:
        evidence('the client\'s clipboard did not hold the selection within 30 s',
                 last_got[0])
    r.log('the client\'s X clipboard holds exactly the selection %r' % text)


def scenario_helpdesk_layout_clipboard(r):
    """One boot (Remote Connection at boot, console US), the real xfreerdp on its default
    codec, the Shell pane opened by the helpdesk:
    1. a German client (X layout de, /kbd:0x407) types umlauts, z/y, AltGr symbols into
       `cat`: the file holds exactly that; the console is switched to German with the Keyboard
       layout tool (OSC 777), a US client (/kbd:0x409) types the keys whose places differ, and
       local keys follow the German layout: exact again;
    2. Ctrl+Shift+V, Return pastes the client's X clipboard (xclip) and runs it;
    3. OSC 52 from a program in the pane reaches the client's X clipboard, and so does a
       text the helpdesk selects with the mouse (a left-drag over known cells);
    4. after xfreerdp left, rdp-text-client types a command as Unicode keyboard events."""
    import random
    import harness
    from test_clipboard import XClip
    tag = '%08x' % random.randrange(1 << 32)
    r.boot(append='lifeline.remote=auto')
    r.guest.wait_serial(r'lifeline-shell: view remote', 300)
    r.wait_ticket(0)
    g = r.guest

    # the clipboard is the client's before it connects: it announces it at once
    d, hp = r.client_display()
    r.h.require_tools('xclip', 'setxkbmap')
    paste_cmd = ("echo 'pasted-OK-%s' \"dq: \\\"in\\\" 'sq'\" "
                 "'sym: <>|;&{}[]()*?~^%%$#@!=+,.:\\' $((6*7)) 'äöü €' "
                 "'C:\\Temp\\logs' >/tmp/pasted" % tag)
    paste_out = ("pasted-OK-%s dq: \"in\" 'sq' sym: <>|;&{}[]()*?~^%%$#@!=+,.:\\ 42 äöü € "
                 "C:\\Temp\\logs\n" % tag)
    check(len(paste_cmd) >= 100, 'the paste command is only %d characters' % len(paste_cmd))
    clip = XClip(r.h, d)
    clip.set(paste_cmd)

    # 1a. German helpdesk, US console
    helpdesk_connects(r, '0x407', 'de')
    client_open_shell(r)
    cat_in_client(r, '/tmp/layout', LAYOUT_TEXT_DE)

    # 2. paste and run at once
    g.shell('rm -f /tmp/pasted')
    client_pastes(r, len(paste_cmd.encode()))
    guest_wait(r, '[ -s /tmp/pasted ]', 'the pasted command did not write /tmp/pasted')
    check_exact(r, '/tmp/pasted', paste_out, g.shell('cat /tmp/pasted'))

    # 3. OSC 52 from the pane to the client's clipboard
    mark = g.mark()
    client_types_text(r, "printf '\\e]52;c;%%s\\a' \"$(printf %%s '%s' | base64 -w0)\""
                      % COPY_TEXT)
    client_key(r, 'Return')
    g.wait_serial(r'lifeline-shell: copy osc52 bytes=%d\n' % len(COPY_TEXT.encode()), 60,
                  after=mark)
    last = [None]

    def copied():
        last[0] = clip.get()
        return last[0] == COPY_TEXT
    try:
        harness.wait_until(copied, 30, 'the copy on the client\'s clipboard', interval=0.2)
    except harness.Failure:
        check_exact(r, 'the client\'s clipboard', COPY_TEXT, last[0] or '')
        raise
    r.log('the client\'s X clipboard holds exactly %r' % COPY_TEXT)

    # 3b. a mouse selection in the pane to the client's clipboard
    client_selects(r, clip, '%08d' % random.randrange(10 ** 8))

    # 1b. the console becomes German (the Keyboard layout tool), a US helpdesk
    mark = g.mark()
    client_key(r, *tool_keys('keyboard'))
    g.wait_serial(r'lifeline-shell: pane keyboard\n', 120, after=mark)
    client_types_text(r, 'de')
    client_key(r, 'Return')
    g.wait_serial(r'lifeline-shell: keymap de\n', 60, after=mark)
    wait_client_left(r)
    helpdesk_connects(r, '0x409', 'us')
    client_open_shell(r)
    # qemu's y and z keys are the US places: the German console swaps them
    cat_in_client(r, '/tmp/layout2', LAYOUT_TEXT_US, local_keys=(['y', 'z'], 'zy'))

    # 4. Unicode keyboard events, the Shell pane still in front
    wait_client_left(r)
    exe = os.environ.get('RDP_TEXT_CLIENT', '')
    check(os.access(exe, os.X_OK), 'RDP_TEXT_CLIENT=%r is not an executable' % exe)
    g.shell('rm -f /tmp/uni')
    p = r.h.spawn('rdp-text-client', [
        exe, '--host', '127.0.0.1', '--port', str(hp), '--user', 'helpdesk',
        '--password', r.ticket, '--sha256', r.fp, '--text', 'echo %s >/tmp/uni' % UNICODE_TEXT,
        '--key-after', '0x1c', '--delay-ms', '70'],
        env={'HOME': r.h.tmp, 'XDG_CONFIG_HOME': os.path.join(r.h.tmp, 'xdg-text')})
    rc = p.wait(240)
    r.log('rdp-text-client exit %d: %s' % (rc, p.output().strip()))
    check(rc == 0, 'rdp-text-client failed (exit %d)' % rc)
    guest_wait(r, '[ -s /tmp/uni ]', 'the command typed as Unicode did not write /tmp/uni')
    check_exact(r, '/tmp/uni', UNICODE_TEXT + '\n', g.shell('cat /tmp/uni'))


SCENARIOS = {
    'boot': scenario_boot,
    'keymap-at-start': scenario_keymap_at_start,
    'local-keys': scenario_local_keys,
    'remote-auto': scenario_remote_auto,
    'client-connects': scenario_client_connects,
    'client-click': scenario_client_click,
    'client-types': scenario_client_types,
    'end-session': scenario_end_session,
    'view-only': scenario_view_only,
    'crash-restart': scenario_crash_restart,
    'busy-typing': scenario_busy_typing,
    'helpdesk-typing': scenario_helpdesk_typing,
    'helpdesk-typing-slow-link': scenario_helpdesk_typing_slow_link,
    'helpdesk-layout-clipboard': scenario_helpdesk_layout_clipboard,
}


def main(scenarios=None, make_run=Run, prog='test_vm_shell.py'):
    """Runs the scenario named on the command line (also for the VM tiers that build on Run)."""
    scenarios = scenarios or SCENARIOS
    if len(sys.argv) != 2 or sys.argv[1] not in scenarios:
        print('usage: %s {%s}' % (prog, ','.join(scenarios)), file=sys.stderr)
        return 1
    r = make_run()
    failed = True
    try:
        scenarios[sys.argv[1]](r)
        failed = False
        r.log('PASS')
        return 0
    except shellvm.Skip as e:
        failed = False
        r.log('SKIP: %s' % e)
        return 1 if os.environ.get('CI') else 77  # the VM tier does not skip in CI
    except Exception as e:  # harness.Skip / Failure too
        if type(e).__name__ == 'Skip':
            failed = False
            r.log('SKIP: %s' % e)
            return 1 if os.environ.get('CI') else 77
        r.log('FAIL: %s' % e)
        if not isinstance(e, shellvm.Failure) and type(e).__name__ != 'Failure':
            traceback.print_exc()
        return 1
    finally:
        r.cleanup(failed)


if __name__ == '__main__':
    sys.exit(main())
