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


def tool_row_centre(w, h, index):
    u, list_w, header_h = layout(w, h)
    return list_w // 2, header_h + u + index * u * 3 + (u * 3 - u // 4) // 2


TOOLS = ['remote', 'shell', 'network', 'sysinfo', 'keyboard', 'reboot', 'poweroff']


class Run:
    def __init__(self):
        self.t0 = time.monotonic()
        self.guest = None
        self.h = None

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

    def connect_client(self):
        import harness
        self.h = harness.Harness()
        self.h.require_tools('Xvfb', 'xfreerdp', 'xdotool')
        d = self.h.xvfb(self.w + 64, self.h_px + 64)
        hp = self.guest.forward(self.port)
        mark = self.guest.mark()
        self.client = self.h.client(d, argv=[
            'xfreerdp', '/v:127.0.0.1:%d' % hp, '/u:helpdesk', '/p:' + self.ticket,
            '/cert:deny,fingerprint:sha256:' + self.fp, '/sec:nla', '-gfx', '/bpp:32',
            '/timeout:60000'])
        self.guest.wait_serial(r'remote in-use peer=', 240, after=mark)
        self.client.wait_window(60)
        self.d = d

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
    """Keys typed in the client run a command in the Shell pane."""
    types_in_shell_pane(r, 'SHELLTEST')


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
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in SCENARIOS:
        print('usage: test_vm_shell.py {%s}' % ','.join(SCENARIOS), file=sys.stderr)
        return 1
    r = Run()
    failed = True
    try:
        SCENARIOS[sys.argv[1]](r)
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
