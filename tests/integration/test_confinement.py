"""Invariants 1 and 2 on live processes: the probe under every policy, a
weakened policy the probe must catch, /proc after confinement, audit."""
import os
import re

from harness import (WORKER_POLICIES, ConfinedWorker, policy, policy_copy,
                     proc_status, run, tool)


def probe(path, *opts):
    r = run([tool("cloister-probe")] + list(opts) + [path], timeout=120)
    return r.returncode, r.stdout + r.stderr


# Landlock and the empty network namespace refuse most of what a weakened
# filter lets through (test_layers.py); to see the filter's own part fail,
# the probe skips them
FILTER_ONLY = ("--without", "netns,landlock")


def test_probe_refuses_every_escape_under_every_policy():
    for name in WORKER_POLICIES + ["probe"]:
        rc, out = probe(policy(name))
        lines = [l for l in out.splitlines() if re.search(r"\s(refused|ALLOWED|error)$", l)]
        assert len(lines) >= 38, name + ": too few attempts\n" + out
        assert "ALLOWED" not in out and rc == 0, name + ":\n" + out


def test_probe_catches_a_weakened_policy():
    # the probe must be able to fail: give imapd socket() and openat
    weak = policy_copy("imapd", lambda t: t + "\nsyscall socket openat : weakened on purpose\n")
    rc, out = probe(weak, *FILTER_ONLY)
    assert rc == 1, out
    assert re.search(r"socket\(AF_INET\)\s+ALLOWED", out), out
    # a directory fd cannot be kept any more; one that arrives later
    # (SCM_RIGHTS) meets the AT_FDCWD rule, which the weakened policy lacks
    assert re.search(r"openat/fchdir via a received dir fd\s+ALLOWED", out), out
    assert re.search(r"escape chroot via a kept directory fd\s+refused", out), out
    # with Landlock the received dir fd leads nowhere either
    rc, out = probe(weak)
    assert re.search(r"openat/fchdir via a received dir fd\s+refused", out), out


def test_probe_catches_a_weakened_policy_that_lets_a_sibling_be_signalled():
    # pidfd_send_signal is kill() by another name; execveat of a memfd is
    # execve by another name: the probe must see the sibling die and the
    # kernel try the exec
    weak = policy_copy("imapd", lambda t: t + "\nsyscall pidfd_open pidfd_send_signal"
                       " execveat : weakened on purpose\n")
    rc, out = probe(weak, *FILTER_ONLY)
    assert rc == 1, out
    assert re.search(r"pidfd_open \+ pidfd_send_signal\s+ALLOWED", out), out
    assert re.search(r"memfd_create \+ execveat\s+ALLOWED", out), out
    assert "stopped or killed the sibling" in out, out


def test_probe_catches_a_policy_that_does_not_kill_setuid():
    weak = policy_copy("imapd", lambda t: t + "\nsyscall setuid kill ptrace : weakened\n")
    rc, out = probe(weak, *FILTER_ONLY)
    # setuid(0) itself still fails (no capability), but kill/ptrace of a
    # same-uid sibling are real escapes the probe must report
    assert rc == 1, out
    assert re.search(r"kill\(\) a sibling\s+ALLOWED", out), out
    assert re.search(r"setuid\(0\)\s+refused", out), out
    # Landlock keeps a process outside its domain out of reach of both
    rc, out = probe(weak)
    assert re.search(r"kill\(\) a sibling\s+refused", out), out
    assert re.search(r"ptrace-attach a sibling\s+refused", out), out


def test_proc_shows_the_drop():
    for name in WORKER_POLICIES:
        with ConfinedWorker(policy(name)) as w:
            st = proc_status(w.pid)
            assert st["Uid"].split()[0] != "0", st["Uid"]
            assert set(st["Uid"].split()) == {st["Uid"].split()[0]}
            for cap in ("CapEff", "CapPrm", "CapBnd", "CapAmb", "CapInh"):
                assert int(st[cap], 16) == 0, (name, cap, st[cap])
            assert st["NoNewPrivs"] == "1"
            assert st["Seccomp"] == "2"
            root = os.readlink("/proc/%d/root" % w.pid)
            with open(policy(name)) as f:
                want = re.search(r"^root\s+(\S+)", f.read(), re.M).group(1)
            assert root == want, (root, want)


def test_audit_passes_on_confined_processes():
    workers = [ConfinedWorker(policy(n)) for n in WORKER_POLICIES]
    try:
        args = ["%d:%s" % (w.pid, n) for w, n in zip(workers, WORKER_POLICIES)]
        r = run([tool("cloister-audit"), "-d", os.path.dirname(policy("imapd"))] + args)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "%d processes audited, 0 drifts" % len(workers) in r.stdout
        rj = run([tool("cloister-audit"), "--json", "-d",
                  os.path.dirname(policy("imapd"))] + args)
        import json
        doc = json.loads(rj.stdout)
        assert rj.returncode == 0 and doc["drifts"] == 0
        assert all(p["Seccomp"] == 2 and p["CapEff"] == "0" * 16 for p in doc["processes"])
    finally:
        for w in workers:
            w.stop()


def test_audit_names_the_drift_of_a_wrong_policy():
    # started under a policy with another user and a looser fd limit,
    # audited against the real imapd policy
    wrong = policy_copy("imapd", lambda t: t.replace("cloister-imap\n", "cloister-lmtp\n")
                        .replace("rlimit nofile 64", "rlimit nofile 1000"))
    with ConfinedWorker(wrong) as w:
        r = run([tool("cloister-audit"), "-d", os.path.dirname(policy("imapd")),
                 "%d:imapd" % w.pid])
        assert r.returncode == 1, r.stdout + r.stderr
        assert "DRIFT imapd[%d]: real uid is" % w.pid in r.stderr, r.stderr
        assert "rlimit nofile is 1000/1000, policy wants 64" in r.stderr, r.stderr
    # an unconfined process is drift on every field; a directory fd outside
    # the root and an O_ASYNC fd (a signal path) are named too
    import fcntl
    dirfd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    pr, pw = os.pipe()
    fcntl.fcntl(pw, fcntl.F_SETFL, os.O_ASYNC)   # no owner: nobody signalled
    try:
        r = run([tool("cloister-audit"), "-d", os.path.dirname(policy("imapd")),
                 "%d:imapd" % os.getpid()])
    finally:
        for fd in (dirfd, pr, pw):
            os.close(fd)
    assert r.returncode == 1
    for field in ("CapEff", "NoNewPrivs", "Seccomp", "root dir",
                  "fd %d has O_ASYNC set" % pw,
                  "fd %d is directory /, outside the root" % dirfd):
        assert field in r.stderr, (field, r.stderr)


def test_bad_policy_files_are_refused_with_file_and_line():
    cases = [
        ("colour blue\n", "unknown key 'colour'"),
        ("syscall frobnicate : x\n", "unknown syscall 'frobnicate'"),
        ("syscall read : twice\n", "duplicate syscall 'read'"),
        ("user cloister-imap\n", "duplicate 'user'"),
    ]
    for extra, msg in cases:
        bad = policy_copy("imapd", lambda t, e=extra: t + e)
        nlines = open(bad).read().count("\n")
        r = run([tool("cloister-testworker"), bad], input="")
        assert r.returncode != 0, (extra, r.stderr)
        assert "%s:%d: %s" % (bad, nlines, msg) in r.stderr, (extra, r.stderr)
    # a user that does not exist
    bad = policy_copy("imapd", lambda t: t.replace("user          cloister-imap",
                                                   "user          cloister-nobody-here"))
    r = run([tool("cloister-testworker"), bad], input="")
    assert r.returncode != 0 and re.search(re.escape(bad) + r":\d+: no such user", r.stderr), r.stderr
    # nothing ran: the probe refuses too, before any attempt
    r = run([tool("cloister-probe"), bad])
    assert r.returncode == 2 and "refused" not in r.stdout, r.stdout


def test_every_policy_syscall_line_has_a_reason():
    for name in WORKER_POLICIES + ["probe", "sanitizer"]:
        with open(policy(name)) as f:
            for i, line in enumerate(f, 1):
                s = line.split("#")[0].strip()
                if s.startswith(("syscall", "errno", "store-op")):
                    assert ":" in s and s.split(":", 1)[1].strip(), "%s:%d" % (name, i)


def test_probe_in_a_workers_place_refuses_every_escape_on_the_real_fds():
    # cloisterd starts cloister-probe-worker as a connection worker under
    # imapd.policy: it holds the real log, stats, control, authd and store
    # fds; a stand-in imapd of the same user runs beside it as the sibling
    from cloister_server import CloisterServer
    from supervisor_util import AUTHD, STORED, block, imapd
    probe_svc = block("probe", "connection", "imapd",
                      ["imap tcp 127.0.0.1:@port:probe@ plain"],
                      binary="@bin:cloister-probe-worker@",
                      settings={"spares": 1}, options={"auth": "yes"})
    with CloisterServer([AUTHD, STORED, imapd(spares=2, auth=True), probe_svc]) as srv:
        srv.start()
        line = srv.wait_log(r"probe-worker: \d+ allowed, \d+ errors, sibling \d+", timeout=120)
        log = "\n".join(srv.log)
        assert line, "probe-worker did not finish\n" + log
        m = re.search(r"(\d+) allowed, (\d+) errors, sibling (\d+)", line)
        assert m.group(1) == "0" and m.group(2) == "0", log
        sibling = int(m.group(3))
        spares = [c.pid for c in srv.children("imapd")]
        # the sibling is a stand-in imapd spare, alive, never restarted
        assert sibling in spares, (sibling, spares, log)
        assert proc_status(sibling)["State"][0] in "RS", proc_status(sibling)
        for what in ("fcntl F_SETOWN+F_SETSIG+O_ASYNC refused",
                     "F_SETPIPE_SZ on a shared pipe (log fd) refused",
                     "F_SETPIPE_SZ on a shared pipe (stats fd) refused",
                     "F_SETFL O_NONBLOCK on a shared pipe (log fd) refused",
                     "F_SETFL O_ASYNC on a shared pipe (stats fd) refused"):
            assert "probe-worker: " + what in log, (what, log)
