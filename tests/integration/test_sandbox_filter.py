"""cloisterd compiles each service's seccomp filter once and hands it over:
every worker of the tree loads the sealed program cloisterd compiled (its
log line says "precompiled"), holds no fd of it afterwards, and its live
filter is, byte for byte, the one its policy compiles to (cloister-audit);
cloisterd's copy cannot be changed; a worker handed a filter it could
change, or that anyone could, refuses to start; a reload recompiles."""
import fcntl
import os
import re
import shutil
import socket
import subprocess
import tempfile

from harness import (FILTER_MEMFD, TOP, policy, proc_fds, proc_status, tool,
                     wait_for)
from imap_util import ImapServer, need_stored

FD_SECCOMP = int(re.search(r"#define CLOISTER_FD_SECCOMP (\d+)",
                           open(os.path.join(TOP, "common", "fds.h")).read()).group(1))
ALL_SEALS = (fcntl.F_SEAL_WRITE | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK |
             fcntl.F_SEAL_SEAL)


def filter_fds(pid):
    """{service: fd number} of pid's seccomp filter memfds."""
    # the name after the prefix; the kernel may append " (deleted)"
    return {link[len(FILTER_MEMFD):].split()[0]: fd
            for fd, link in proc_fds(pid).items()
            if link.startswith(FILTER_MEMFD)}


def filter_fd_count(pid):
    """How many fds of pid are filter memfds (a leak would grow it)."""
    return sum(link.startswith(FILTER_MEMFD)
               for link in proc_fds(pid).values())


def fd_flags(pid, fd):
    with open("/proc/%d/fdinfo/%d" % (pid, fd)) as f:
        return int(re.search(r"^flags:\s+(\d+)", f.read(), re.M).group(1), 8)


def filter_bytes(pid, fd):
    with open("/proc/%d/fd/%d" % (pid, fd), "rb") as f:
        return f.read()


def test_every_worker_loads_the_filter_cloisterd_compiled():
    if not need_stored():
        return
    with ImapServer(spares=2) as srv:
        srv.raw_login().close()
        srv.srv.wait_ready(timeout=30)
        sv = srv.srv.pid
        fds = filter_fds(sv)
        assert set(fds) == {"imapd", "authd", "stored", "keyd"}, fds
        for name, fd in fds.items():
            # read-only, and the file itself sealed against every change
            assert fd_flags(sv, fd) & os.O_ACCMODE == os.O_RDONLY, name
            rw = os.open("/proc/%d/fd/%d" % (sv, fd), os.O_RDWR)
            try:
                assert fcntl.fcntl(rw, fcntl.F_GET_SEALS) == ALL_SEALS, name
                for attempt in (lambda: os.pwrite(rw, b"\0" * 8, 0),
                                lambda: os.ftruncate(rw, 0),
                                lambda: os.write(rw, b"x")):
                    try:
                        attempt()
                        raise AssertionError("%s: filter memfd changed" % name)
                    except PermissionError:
                        pass
            finally:
                os.close(rw)
            assert len(filter_bytes(sv, fd)) % 8 == 0
        confined = [l for l in srv.srv.log if ": confined (uid " in l]
        assert confined, srv.srv.log[-20:]
        for line in confined:
            assert "syscalls, precompiled)" in line, line
        # no worker keeps the fd once confined
        workers = srv.srv.children()
        assert len(workers) >= 4
        for w in workers:
            assert filter_fds(w.pid) == {}, w
            assert not os.path.exists("/proc/%d/fd/%d" % (w.pid, FD_SECCOMP)), w
        # and what each holds is its policy's filter, byte for byte
        r = srv.srv.audit()
        assert r.returncode == 0, r.stdout + r.stderr
        # (counted on the audit's own list: a spare may have been started
        # or have ended since the look above)
        audited = [name for name in re.findall(r"^(\S+) pid \d+ ", r.stdout,
                                               re.M) if name != "supervisor"]
        matches = re.findall(r"seccomp filter: matches (\S+) ", r.stdout)
        assert len(audited) >= 4, r.stdout
        assert len(matches) == len(audited), r.stdout


def test_a_reload_compiles_the_edited_policy():
    if not need_stored():
        return
    with ImapServer(spares=1) as srv:
        srv.srv.wait_ready(timeout=30)
        sv = srv.srv.pid
        before = filter_bytes(sv, filter_fds(sv)["imapd"])
        old = {w.pid for w in srv.srv.children("imapd")}
        path = os.path.join(srv.srv.policy_dir, "imapd.policy")
        with open(path, "a") as f:
            f.write("syscall getcpu : the reload test's one more call\n")
        line = srv.srv.reload()
        assert line and "reloaded" in line, line
        after = filter_bytes(sv, filter_fds(sv)["imapd"])
        assert after != before and len(after) > len(before)
        assert wait_for(lambda: srv.srv.children("imapd") and
                        not {w.pid for w in srv.srv.children("imapd")} & old,
                        timeout=20)
        srv.srv.wait_ready(timeout=30)
        r = srv.srv.audit()
        assert r.returncode == 0, r.stdout + r.stderr
        # each reload replaces the filters, it does not pile them up
        held = filter_fd_count(sv)
        for _ in range(3):
            line = srv.srv.reload()
            assert line and "reloaded" in line, line
        assert filter_fd_count(sv) == held, (held, filter_fd_count(sv))


class HandedWorker:
    """cloister-testworker (named cloister-imapd, for the audit) under
    imapd.policy, given memfd at the fd where cloisterd puts the filter."""

    def __init__(self, memfd):
        self.dir = tempfile.mkdtemp(prefix="cloister-filter-")
        exe = os.path.join(self.dir, "cloister-imapd")
        shutil.copy2(tool("cloister-testworker"), exe)
        self.r, self.w = os.pipe()
        os.dup2(memfd, FD_SECCOMP, inheritable=True)
        try:
            self.p = subprocess.Popen([exe, policy("imapd")], stdin=self.r,
                                      stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE,
                                      pass_fds=(FD_SECCOMP,))
        finally:
            os.close(FD_SECCOMP)
            os.close(self.r)
        wait_for(lambda: self.p.poll() is not None or
                 proc_status(self.p.pid).get("Seccomp") == "2")

    def stop(self):
        os.close(self.w)
        self.p.wait(timeout=10)
        err = self.p.stderr.read().decode(errors="replace")
        self.p.stderr.close()
        shutil.rmtree(self.dir)
        return err


def memfd(data, seals, mode):
    fd = os.memfd_create("handed", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.write(fd, data)
    if seals:
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS, seals)
    if mode == os.O_RDWR:
        return fd
    ro = os.open("/proc/self/fd/%d" % fd, mode)
    os.close(fd)
    return ro


def handed_memfd(data, seals, mode):
    fd = memfd(data, seals, mode)
    try:
        return HandedWorker(fd)
    finally:
        os.close(fd)


def imapd_filter():
    """imapd's filter as cloisterd compiled it."""
    with ImapServer(spares=1) as srv:
        srv.srv.wait_ready(timeout=30)
        sv = srv.srv.pid
        return filter_bytes(sv, filter_fds(sv)["imapd"])


def test_a_worker_refuses_a_filter_that_could_change():
    if not need_stored():
        return
    good = imapd_filter()
    # the control: sealed and read-only, loaded as handed over
    w = handed_memfd(good, ALL_SEALS, os.O_RDONLY)
    try:
        assert w.p.poll() is None, "the sealed filter was refused"
        assert not os.path.exists("/proc/%d/fd/%d" % (w.p.pid, FD_SECCOMP))
        r = subprocess.run([tool("cloister-audit"), "-d",
                            os.path.dirname(policy("imapd")), str(w.p.pid)],
                           capture_output=True, text=True, timeout=60)
        assert "seccomp filter: matches" in r.stdout, r.stdout + r.stderr
    finally:
        err = w.stop()
    assert "precompiled" in err, err
    # a socket at fd 26 (inherited by a process started by hand) is no
    # filter: the worker compiles its own and step 8 closes the fd
    a, b = socket.socketpair()
    w = HandedWorker(a.fileno())
    try:
        assert w.p.poll() is None, "a socket at fd 26 stopped the worker"
        assert not os.path.exists("/proc/%d/fd/%d" % (w.p.pid, FD_SECCOMP))
    finally:
        err = w.stop()
        a.close()
        b.close()
    assert "syscalls, compiled)" in err, err
    cases = {
        "unsealed": (0, os.O_RDONLY, "not sealed"),
        "writable": (ALL_SEALS, os.O_RDWR, "open for writing"),
        "without the write seal": (ALL_SEALS & ~fcntl.F_SEAL_WRITE,
                                   os.O_RDONLY, "not sealed"),
        "seals still open": (ALL_SEALS & ~fcntl.F_SEAL_SEAL, os.O_RDONLY,
                             "not sealed"),
    }
    for what, (seals, mode, why) in cases.items():
        w = handed_memfd(good, seals, mode)
        assert wait_for(lambda: w.p.poll() is not None, timeout=10), what
        rc = w.p.returncode
        err = w.stop()
        assert rc != 0, what
        assert "seccomp filter at fd %d: %s" % (FD_SECCOMP, why) in err, \
            (what, err)
        assert "confined" not in err, (what, err)
