"""bench/jmap/cyrus_alarmd.py: a Cyrus JMAP peer instance for
submission.py, and its calalarmd.

Cyrus keeps a held EmailSubmission (HOLDUNTIL) in its alarm database and
sends it from calalarmd, a DAEMON entry of cyrus.conf. The bench instance
(DIR/imapd.conf, DIR/cyrus.conf with an http listener, an SMTP sink
writing DIR/smtpsink/N.eml) runs master without it, so this starts
calalarmd for the instance the way master would (the instance's owner,
-C DIR/imapd.conf, -d: in the foreground) with its defaults (no option
sets the poll: it scans the alarm database every 10 s, sooner only for an
alarm it already knows), writes DIR/run/calalarmd.pid and stops only
that process afterwards."""
import os
import re
import signal
import subprocess
import time

CALALARMD = "/usr/lib/cyrus/bin/calalarmd"


def http_url(d):
    """The instance's JMAP base URL: the http service's listen address."""
    with open(os.path.join(d, "cyrus.conf")) as f:
        for line in f:
            m = re.match(r'\s*http\s.*listen="([0-9.]+):(\d+)"', line)
            if m:
                return "http://%s:%s/" % m.groups()
    raise SystemExit("%s/cyrus.conf: no http listener" % d)


def _ours(pid, conf):
    """True when pid is a calalarmd started for this instance's config."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            args = f.read().split(b"\0")
    except OSError:
        return False
    return args[:1] == [CALALARMD.encode()] and conf.encode() in args


def _stop(pid, conf):
    if not _ours(pid, conf):
        return
    os.kill(pid, signal.SIGTERM)
    # calalarmd looks at signals between scans: up to its 10 s sleep
    for _ in range(150):
        if not _ours(pid, conf):
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


class CalAlarmd:
    def __init__(self, d):
        self.dir = os.path.abspath(d)
        self.conf = os.path.join(self.dir, "imapd.conf")
        self.pidfile = os.path.join(self.dir, "run", "calalarmd.pid")
        self.proc = None

    def _leftover(self):
        try:
            with open(self.pidfile) as f:
                _stop(int(f.read().strip() or 0), self.conf)
        except (OSError, ValueError):
            pass

    def __enter__(self):
        if not os.path.exists(self.conf):
            raise SystemExit("%s: no Cyrus instance" % self.conf)
        self._leftover()
        st = os.stat(self.dir)
        log = open(os.path.join(self.dir, "run", "calalarmd.log"), "ab")
        self.proc = subprocess.Popen(
            ["setpriv", "--reuid=%d" % st.st_uid, "--regid=%d" % st.st_gid,
             "--init-groups", CALALARMD, "-C", self.conf, "-d"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True)
        log.close()
        with open(self.pidfile, "w") as f:
            f.write("%d\n" % self.proc.pid)
        self.started = time.time()
        time.sleep(0.5)
        if self.proc.poll() is not None:
            raise SystemExit("calalarmd exited: %d" % self.proc.returncode)
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            _stop(self.proc.pid, self.conf)
            self.proc.wait(timeout=5)
        try:
            os.unlink(self.pidfile)
        except OSError:
            pass
        return False
