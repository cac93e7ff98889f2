"""Worker identity and process environment: every worker instance under a
uid and gid of its own from worker-uids (never two live holders), the
groups its policy needs and no other, its own session, a fixed
environment; the range claimed per host; the fcntl F_SETOWN/F_SETSIG trick
stopped by uid separation alone; stored restarted under new uids keeps
serving the spool its predecessors wrote."""
import grp
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time

from cloister_server import CloisterServer
from harness import tool, wait_for
from lmtp_util import (Admin, Lmtp, have_store, lmtpd_block, stored_block,
                       wait_counts)
from supervisor_util import FULL, LineClient, imapd, lmtpd, STORED

STANDIN_GROUP = {"stored": "cloister-store", "authd": "cloister-auth"}


def ids(pid):
    """(uids, gids, groups) of a live process, from /proc."""
    with open("/proc/%d/status" % pid) as f:
        st = dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)
    return ([int(x) for x in st["Uid"].split()],
            [int(x) for x in st["Gid"].split()],
            sorted(int(x) for x in st["Groups"].split()))


def test_every_worker_has_a_uid_and_gid_of_its_own():
    with CloisterServer([s for s in FULL if "service lmtpd" not in s] +
                        [lmtpd(spares=2)]) as srv:
        srv.start()
        srv.wait_ready()
        kids = srv.children()
        first, last = srv.uids
        seen = {}
        for k in kids:
            uids, gids, groups = ids(k.pid)
            u = uids[0]
            assert set(uids) == {u} and set(gids) == {u}, (k, uids, gids)
            assert first <= u <= last, (k, u, srv.uids)
            assert u not in seen, ("shared uid", k, seen[u])
            seen[u] = k
            # the one supplementary group: the policy's, for the services
            # that reach their files through it; none for the others
            want = [grp.getgrnam(STANDIN_GROUP[k.service]).gr_gid] \
                if k.service in STANDIN_GROUP else []
            assert groups == want, (k, groups, want)
            # the ids are the ones cloisterd put on its argv
            with open("/proc/%d/cmdline" % k.pid, "rb") as f:
                argv = f.read().split(b"\0")
            assert argv[argv.index(b"--uid") + 1] == str(u).encode()
            assert argv[argv.index(b"--gid") + 1] == str(u).encode()
        # two imapd spares and two lmtpd spares, all apart
        assert len([k for k in kids if k.service == "imapd"]) == 2
        assert len([k for k in kids if k.service == "lmtpd"]) == 2
        assert len(seen) == len(kids) == 7
        # a busy worker's id comes back only after it is reaped: new
        # workers never take an id a live one holds
        for _ in range(3):
            with LineClient("127.0.0.1", srv.port("imap")) as c:
                assert c.readline().startswith("* OK")
                assert wait_for(lambda: len(srv.children("imapd")) == 3, 5)
                srv.wait_ready()
                live = [ids(k.pid)[0][0] for k in srv.children()]
                assert len(set(live)) == len(live), live


def test_the_audit_checks_the_ids_and_names_their_drift():
    with CloisterServer(FULL) as srv:
        srv.start()
        srv.wait_ready()
        r = srv.audit()
        assert r.returncode == 0, r.stdout + r.stderr
        # against another range every worker is drift, named
        other = os.path.join(srv.tmp, "other.conf")
        with open(other, "w") as f:
            f.write(re.sub(r"^worker-uids\s+\S+", "worker-uids 3000000-3065535",
                           srv.config_text, flags=re.M))
        r = subprocess.run([tool("cloister-audit"), "-d", srv.policy_dir,
                            "-p", srv.pidfile, "-c", other],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 1
        for k in srv.children():
            assert re.search(r"DRIFT \S+\[%d\]: real uid is \d+, outside "
                             r"worker-uids 3000000-3065535" % k.pid, r.stderr), \
                r.stderr
    # two processes of one uid, and groups a policy does not need: two
    # imapd workers started by hand (both cloister-imap, groups {gid}),
    # audited as if cloisterd had started them with a range holding that uid
    from harness import ConfinedWorker, policy
    imap = __import__("pwd").getpwnam("cloister-imap").pw_uid
    with ConfinedWorker(policy("imapd")) as a, ConfinedWorker(policy("imapd")) as b:
        conf = os.path.join(tempfile.mkdtemp(prefix="cloister-ids-"), "one.conf")
        with open(conf, "w") as f:
            f.write("policy-dir %s\nworker-uids %d-%d\n" %
                    (os.path.dirname(policy("imapd")), imap, imap))
        r = subprocess.run([tool("cloister-audit"), "-d",
                            os.path.dirname(policy("imapd")), "-c", conf,
                            "%d:imapd" % a.pid, "%d:imapd" % b.pid],
                           capture_output=True, text=True, timeout=60)
        shutil.rmtree(os.path.dirname(conf))
        assert r.returncode == 1, r.stdout + r.stderr
        assert "DRIFT imapd[%d]: uid %d is also held by pid %d: two live " \
            "workers share a uid" % (b.pid, imap, a.pid) in r.stderr, r.stderr
        assert re.search(r"DRIFT imapd\[%d\]: supplementary groups are \{\d+\}, "
                         r"policy needs none" % a.pid, r.stderr), r.stderr


def test_each_worker_has_its_own_session_and_process_group():
    with CloisterServer(FULL) as srv:
        srv.start()
        srv.wait_ready()
        for k in srv.children():
            with open("/proc/%d/stat" % k.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            pgrp, sid = int(fields[2]), int(fields[3])
            assert pgrp == k.pid and sid == k.pid, (k, pgrp, sid)
        # a signal to cloisterd's group reaches cloisterd alone
        with open("/proc/%d/stat" % srv.pid) as f:
            sv_pgrp = int(f.read().rsplit(")", 1)[1].split()[2])
        assert all(k.pid != sv_pgrp for k in srv.children())


def test_workers_get_a_fixed_environment():
    os.environ["CLOISTER_JUNK"] = "leaked"
    try:
        srv = CloisterServer(FULL)
        srv.start()
    finally:
        del os.environ["CLOISTER_JUNK"]
    with srv:
        srv.wait_ready()
        with open("/proc/%d/environ" % srv.pid, "rb") as f:
            assert b"CLOISTER_JUNK=leaked" in f.read().split(b"\0")
        allowed = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}
        for k in srv.children():
            with open("/proc/%d/environ" % k.pid, "rb") as f:
                env = [e.decode() for e in f.read().split(b"\0") if e]
            assert env[:2] == ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"], \
                (k, env)
            assert all(e.split("=", 1)[0] in allowed for e in env[2:]), (k, env)


def test_two_servers_on_one_host_need_ranges_of_their_own():
    one = CloisterServer([STORED, imapd()])
    two = CloisterServer([STORED, imapd()])
    try:
        one.start()
        # an overlapping range is refused, naming the holder
        a, b = one.uids
        two.uids = (a + 1000, b + 1000)
        two.write_config([STORED, imapd()])
        try:
            two.start()
            raise AssertionError("an overlapping range was accepted")
        except RuntimeError as e:
            assert re.search(r"worker-uids %d-%d overlaps %d-%d, in use by the "
                             r"cloisterd of pid %d" % (a + 1000, b + 1000, a, b,
                                                       one.pid), str(e)), str(e)
        # a range of its own runs beside it
        two.uids = (b + 1, b + 65536)
        two.write_config([STORED, imapd()])
        two.start()
        two.wait_ready()
        one.wait_ready()
        u1 = {ids(k.pid)[0][0] for k in one.children()}
        u2 = {ids(k.pid)[0][0] for k in two.children()}
        assert not u1 & u2
        two.stop()
        # a cloisterd killed with SIGKILL leaves its lock file, but not its
        # lock: the range is free again
        os.kill(one.pid, signal.SIGKILL)
        one.proc.wait(timeout=5)
        assert os.path.exists("/run/cloister-worker-uids/%d-%d" % (a, b))
        assert wait_for(lambda: not one.leftovers(), 10)
        two.uids = (a + 1000, b + 1000)
        two.write_config([STORED, imapd()])
        two.start()
        two.wait_ready()
    finally:
        one.close()
        two.close()


def test_the_config_refuses_a_range_that_is_taken_or_too_small():
    srv = CloisterServer(FULL)
    try:
        imap = __import__("pwd").getpwnam("cloister-imap").pw_uid
        for rng, want in [
                ("%d-%d" % (imap - 150, imap + 150),
                 r"worker-uids %d-%d: user \S+ has id \d+ inside it"
                 % (imap - 150, imap + 150)),
                ("1000000000-1000000009",
                 r"worker-uids 1000000000-1000000009 holds 10 ids; the services "
                 r"need up to \d+"),
                ("5-4", r"FIRST must be above 0 and at most LAST"),
                ("0-100", r"FIRST must be above 0"),
                ("abc", r"worker-uids is FIRST-LAST")]:
            text = re.sub(r"^worker-uids\s+\S+", "worker-uids " + rng,
                          srv.config_text, flags=re.M)
            line = text[:text.index("worker-uids")].count("\n") + 1
            with open(srv.config_path, "w") as f:
                f.write(text)
            r = subprocess.run([tool("cloisterd"), "-n", "-c", srv.config_path],
                               capture_output=True, text=True, timeout=30)
            assert r.returncode == 1, (rng, r.stdout, r.stderr)
            assert re.search(r"%s:%d: .*%s" % (re.escape(srv.config_path), line,
                                               want), r.stderr), (rng, r.stderr)
    finally:
        srv.close()


def _sigio_as(uid, gid, target):
    """Arm the fcntl trick with the credentials of uid: a child that holds
    exactly that uid (as a worker would, were seccomp to let it) sets
    F_SETOWN(target) + F_SETSIG(SIGKILL) + O_ASYNC on a socket and makes a
    byte arrive. The kernel checks uid against the target's when it sends
    the signal. Returns once the byte has been written."""
    import fcntl
    import socket
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            a, b = socket.socketpair()
            fcntl.fcntl(a, fcntl.F_SETOWN, target)
            fcntl.fcntl(a, 10, signal.SIGKILL)           # F_SETSIG
            fcntl.fcntl(a, fcntl.F_SETFL,
                        fcntl.fcntl(a, fcntl.F_GETFL) | os.O_ASYNC)
            b.send(b"x")
            time.sleep(0.2)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_worker_cannot_signal_a_sibling_through_fcntl_setown_setsig():
    """No policy may allow F_SETOWN any more (the parser refuses it), so the
    trick is armed by a process holding one worker's uid: uid separation
    alone must stop it reaching the siblings, while the same trick reaches a
    process of that same uid (the control that shows the test can fail)."""
    with CloisterServer([STORED, imapd(spares=2)]) as srv:
        srv.start()
        srv.wait_ready()
        assert wait_for(lambda: len(srv.children("imapd")) >= 2, 5)
        srv.wait_ready()
        kids = srv.children("imapd")
        me, sibs = kids[0], kids[1:]
        (uid, _, _, _), (gid, _, _, _), _ = ids(me.pid)
        assert uid not in {ids(k.pid)[0][0] for k in sibs}
        for sib in sibs + srv.children("stored"):
            _sigio_as(uid, gid, sib.pid)
            assert _alive(sib.pid), sib
        # the trick itself works on a process of the same uid
        victim = os.fork()
        if victim == 0:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            time.sleep(10)
            os._exit(0)
        time.sleep(0.1)
        _sigio_as(uid, gid, victim)
        _, st = os.waitpid(victim, 0)
        assert os.WIFSIGNALED(st) and os.WTERMSIG(st) == signal.SIGKILL, st
        # the siblings still serve
        with LineClient("127.0.0.1", srv.port("imap")) as b:
            assert b.readline().startswith("* OK")
            assert b.cmd("hello") == "hello"


def test_stored_restarted_under_new_uids_keeps_serving_the_same_mail():
    if not have_store():
        return
    with CloisterServer([stored_block(), lmtpd_block()]) as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        adm.user("ida")
        adm.close()

        def deliver(n):
            c = Lmtp(unix=srv.paths["lmtp"], timeout=20)
            ok, _ = c.deliver("s@x", ["ida@x"], "Message-ID: <r%d@x>\r\n"
                              "Subject: r%d\r\n\r\nbody %d\r\n" % (n, n, n))
            c.close()
            assert ok and ok[0][1].startswith("250"), ok

        deliver(0)
        used = set()
        for n in range(1, 5):
            old = srv.children("stored")[0]
            u = ids(old.pid)[0][0]
            used.add(u)
            os.kill(old.pid, signal.SIGKILL)
            assert wait_for(lambda: [k for k in srv.children("stored")
                                     if k.pid != old.pid], 10)
            srv.wait_ready(timeout=20)
            new = srv.children("stored")[0]
            nu = ids(new.pid)[0][0]
            assert nu not in used and srv.uids[0] <= nu <= srv.uids[1], (nu, used)
            # the new instance reads what the old ones wrote and adds to it
            # (lmtpd's spares held channels to the old one: they are new)
            assert wait_for(lambda: _try(deliver, n), 15), n
            adm = Admin(srv)
            got = wait_counts(adm, "ida", {"INBOX": n + 1})
            adm.close()
            assert got.get("INBOX") == n + 1, got
        # everything in the spool is the group's, directories setgid, the
        # databases (and their -wal/-shm) group-writable
        data = os.path.join(srv.roots["stored"], "data")
        gid = grp.getgrnam("cloister-store").gr_gid
        owners = set()
        for top, dirs, files in os.walk(data):
            for name in dirs + files:
                st = os.lstat(os.path.join(top, name))
                owners.add(st.st_uid)
                assert st.st_gid == gid, (top, name)
                if stat.S_ISDIR(st.st_mode):
                    assert st.st_mode & 0o2070 == 0o2070, (top, name, oct(st.st_mode))
                elif re.search(r"\.db(-wal|-shm)?$", name):
                    assert st.st_mode & 0o060 == 0o060, (name, oct(st.st_mode))
                else:
                    assert st.st_mode & 0o040, (name, oct(st.st_mode))
        assert len(owners & used) >= 2, (owners, used)


def _try(fn, *args):
    try:
        fn(*args)
        return True
    except (OSError, EOFError, AssertionError):
        time.sleep(0.2)
        return False


def test_setup_system_migrates_a_spool_of_one_uid():
    # a spool as a stored of one fixed uid left it: 0700 directories, 0600
    # files and databases, group cloister-store only on data/ itself
    from harness import TOP
    state = tempfile.mkdtemp(prefix="cloister-state-")
    os.chmod(state, 0o755)
    try:
        store = __import__("pwd").getpwnam("cloister-store")
        data = os.path.join(state, "spool", "data")
        user = os.path.join(data, "s0", "u", "1")
        os.makedirs(user, mode=0o700)
        for name in ("registry.db", "registry.db-wal"):
            open(os.path.join(data, "s0", name), "w").close()
        for name in ("mail.db", "mail.db-shm", "ab" * 32):
            open(os.path.join(user, name), "w").close()
        for top, dirs, files in os.walk(data):
            for n in [top] + [os.path.join(top, f) for f in files]:
                os.chown(n, store.pw_uid, store.pw_gid if n == data else 0)
                os.chmod(n, 0o700 if os.path.isdir(n) else 0o600)
        r = subprocess.run(["bash", os.path.join(TOP, "scripts", "setup-system"),
                            state], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        gid = grp.getgrnam("cloister-store").gr_gid
        for top, dirs, files in os.walk(data):
            st = os.stat(top)
            assert st.st_gid == gid and st.st_mode & 0o2070 == 0o2070, \
                (top, oct(st.st_mode))
            for f in files:
                st = os.stat(os.path.join(top, f))
                assert st.st_gid == gid and st.st_mode & 0o060 == 0o060, \
                    (f, oct(st.st_mode))
    finally:
        shutil.rmtree(state, ignore_errors=True)
