"""log-file: cloisterd writes its log (its own lines and the lines it
relays for its workers) to the file itself, and opens it anew on SIGUSR1
and SIGHUP, which is what logrotate's postrotate does after renaming it
(dist/logrotate/cloister); log-syslog is checked by the config parser."""
import os
import re
import signal
import socket
import subprocess
import time

from cloister_server import CloisterServer
from harness import tool, wait_for
from supervisor_util import STORED, imapd


def _text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def _server(tmp_name="cloister-test.log"):
    srv = CloisterServer([STORED, imapd(spares=1)])
    path = os.path.join(srv.tmp, tmp_name)
    srv.write_config([STORED, imapd(spares=1)],
                     globals_text="log-file %s\nlog-syslog no" % path)
    return srv, path


def _started_server():
    srv, path = _server()
    try:
        srv.start()
        srv.wait_ready()
        assert wait_for(lambda: "started:" in _text(path), 10)
    except BaseException:
        srv.close()
        raise
    return srv, path


def _kill_one_worker(srv):
    """A line cloisterd is sure to write: the exit of a worker it killed."""
    kid = srv.children("imapd")[0]
    os.kill(kid.pid, signal.SIGKILL)
    return kid.pid


def test_lines_go_to_the_log_file_not_stderr():
    srv, path = _server()
    try:
        srv.start()
        srv.wait_ready()
        assert wait_for(lambda: "started:" in _text(path), 10), _text(path)
        text = _text(path)
        assert " cloisterd[%d]: info: started:" % srv.proc.pid in text
        # a worker's line, relayed under the identity cloisterd knows
        assert re.search(r" stored/\d+\[\d+\]: info: ", text), text[-2000:]
        # file mode: the log names users and addresses
        assert os.stat(path).st_mode & 0o777 == 0o640
        # no worker holds the file: their lines come through cloisterd
        for kid in srv.children():
            fds = os.listdir("/proc/%d/fd" % kid.pid)
            held = [os.readlink("/proc/%d/fd/%s" % (kid.pid, fd)) for fd in fds]
            assert path not in held, (kid, held)
        # nothing but startup output on stderr
        assert not any("started:" in line for line in srv.log), srv.log
    finally:
        srv.close()


def test_sigusr1_reopens_the_renamed_log_file():
    srv, path = _started_server()
    try:
        rotated = path + ".1"
        os.rename(path, rotated)
        os.kill(srv.proc.pid, signal.SIGUSR1)
        assert wait_for(lambda: os.path.exists(path), 10), \
            "no new file at %s after SIGUSR1:\n%s" % (path, _text(rotated)[-2000:])
        assert wait_for(lambda: "log-file %s opened" % path in _text(path), 10)
        size_old = os.path.getsize(rotated)
        pid = _kill_one_worker(srv)
        gone = re.compile(r"pid %d instance \d+ killed by signal 9" % pid)
        assert wait_for(lambda: gone.search(_text(path)), 10), _text(path)
        time.sleep(0.3)
        # the old file stopped growing: the new line is only in the new one
        assert os.path.getsize(rotated) == size_old
        assert not gone.search(_text(rotated))
        # and cloisterd holds the new file only
        held = [os.readlink("/proc/%d/fd/%s" % (srv.proc.pid, fd))
                for fd in os.listdir("/proc/%d/fd" % srv.proc.pid)]
        assert path in held and rotated not in held, held
    finally:
        srv.close()


def test_sighup_reloads_and_reopens():
    srv, path = _started_server()
    try:
        os.rename(path, path + ".1")
        os.kill(srv.proc.pid, signal.SIGHUP)
        # the reload's own line went to the old file, what follows to the new
        assert wait_for(lambda: "opened" in _text(path), 10)
        assert "reloaded" in _text(path + ".1")
    finally:
        srv.close()


def test_log_file_that_cannot_be_opened_stops_the_start():
    srv = CloisterServer([STORED])
    try:
        bad = os.path.join(srv.tmp, "no", "such", "dir", "x.log")
        srv.write_config([STORED], globals_text="log-file %s" % bad)
        r = subprocess.run([tool("cloisterd"), "-f", "-c", srv.config_path],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode != 0
        assert "log-file %s: No such file or directory" % bad in r.stderr
    finally:
        srv.close()


def test_log_syslog_values_are_checked():
    srv = CloisterServer([STORED])
    try:
        for value, ok in (("mail", True), ("yes", True), ("no", True),
                          ("local7", True), ("kern", False), ("", False)):
            srv.write_config([STORED], globals_text="log-syslog %s" % value)
            r = subprocess.run([tool("cloisterd"), "-n", "-c",
                                srv.config_path], capture_output=True,
                               text=True, timeout=30)
            assert (r.returncode == 0) == ok, (value, r.stderr)
            if not ok:
                assert "log-syslog" in r.stderr, r.stderr
        srv.write_config([STORED], globals_text="log-file relative.log")
        r = subprocess.run([tool("cloisterd"), "-n", "-c", srv.config_path],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode != 0 and "absolute path" in r.stderr, r.stderr
    finally:
        srv.close()


def test_log_syslog_sends_every_line_to_dev_log_too():
    """log-syslog mail: each line also goes to /dev/log as an RFC 3164
    datagram under the mail facility. cloisterd runs in a mount namespace
    of its own whose /dev/log is this test's socket (an overlay on /dev,
    the socket bound over it): the host's /dev is untouched."""
    srv, path = _server()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        devlog = os.path.join(srv.tmp, "devlog.sock")
        sock.bind(devlog)
        sock.settimeout(10)
        upper, work = os.path.join(srv.tmp, "up"), os.path.join(srv.tmp, "wk")
        os.makedirs(upper)
        os.makedirs(work)
        srv.write_config([STORED, imapd(spares=1)],
                         globals_text="log-file %s\nlog-syslog mail" % path)
        setup = ("mount --make-rprivate / && mount -t overlay overlay -o"
                 " lowerdir=/dev,upperdir=%s,workdir=%s /dev && touch /dev/log"
                 " && mount --bind %s /dev/log && exec \"$@\"" %
                 (upper, work, devlog))
        srv.start(prefix=["unshare", "-m", "sh", "-c", setup, "sh"])
        srv.wait_ready()
        got = []
        end = time.time() + 10
        while time.time() < end and not any(b"started:" in d for d in got):
            got.append(sock.recv(4096))
        started = [d for d in got if b"started:" in d]
        # <22>: LOG_MAIL (16) | LOG_INFO (6); no newline in a datagram
        assert started and started[0].startswith(b"<22>"), got
        assert b" cloisterd[%d]: info: started:" % srv.proc.pid in started[0]
        assert not started[0].endswith(b"\n")
        # and the file has the same line
        assert wait_for(lambda: "started:" in _text(path), 10)
        # workers' lines too, under the names cloisterd gives them
        end = time.time() + 10
        while time.time() < end and not any(
                re.search(rb"<\d+>.{16}stored/\d+\[\d+\]: ", d) for d in got):
            got.append(sock.recv(4096))
        assert any(re.search(rb"<\d+>.{16}stored/\d+\[\d+\]: ", d)
                   for d in got), got
    finally:
        sock.close()
        srv.close()


def test_a_reload_moves_the_log_to_a_new_path():
    srv, path = _started_server()
    try:
        moved = path + ".moved"
        srv.write_config([STORED, imapd(spares=1)],
                         globals_text="log-file %s" % moved)
        os.kill(srv.proc.pid, signal.SIGHUP)
        assert wait_for(lambda: "log-file %s opened" % moved in _text(moved),
                        10), _text(path)[-2000:]
        assert "reloaded" in _text(path)
        size = os.path.getsize(path)
        pid = _kill_one_worker(srv)
        gone = re.compile(r"pid %d instance \d+ killed by signal 9" % pid)
        assert wait_for(lambda: gone.search(_text(moved)), 10), _text(moved)
        assert os.path.getsize(path) == size
    finally:
        srv.close()


def test_a_symbolic_link_at_the_log_path_is_refused():
    """Whoever may write the log directory must not aim root's appends at
    another file."""
    srv = CloisterServer([STORED])
    try:
        target = os.path.join(srv.tmp, "precious")
        with open(target, "w") as f:
            f.write("keep\n")
        link = os.path.join(srv.tmp, "link.log")
        os.symlink(target, link)
        srv.write_config([STORED], globals_text="log-file %s" % link)
        r = subprocess.run([tool("cloisterd"), "-f", "-c", srv.config_path],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode != 0 and "log-file %s" % link in r.stderr, r.stderr
        assert _text(target) == "keep\n"
    finally:
        srv.close()


def test_a_daemon_writes_its_log_file_too():
    """Without -f cloisterd forks and its stdio goes to /dev/null: with
    log-file its lines, and its workers', still reach the file."""
    srv, path = _server()
    pid = None
    try:
        r = subprocess.run([tool("cloisterd"), "-c", srv.config_path],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert wait_for(lambda: os.path.exists(srv.pidfile), 10)
        with open(srv.pidfile) as f:
            pid = int(f.read())
        assert wait_for(lambda: re.search(r" stored/\d+\[\d+\]: info: ",
                                          _text(path)), 10), _text(path)
        assert " cloisterd[%d]: info: started:" % pid in _text(path)
        os.kill(pid, signal.SIGTERM)
        assert wait_for(lambda: not os.path.exists("/proc/%d" % pid), 30)
        pid = None
        assert "info: stopped" in _text(path)
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        srv.close()
