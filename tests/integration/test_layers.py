"""The second layer under chroot and seccomp: every worker runs in an empty
network namespace (under cloisterd the one it made at start, shared by all
its workers; started by hand, one of its own) and under Landlock (its confined line names
the ABI and what it handles), and cloister-probe --second-layer, whose
filter lets open, openat, socket, connect and kill through, shows each
layer refusing on its own what seccomp would otherwise be the only guard
for; with the layers skipped the same escapes succeed."""
import ctypes
import os
import re

from harness import WORKER_POLICIES, ConfinedWorker, policy, run, tool, wait_for

KILL = "kill() a process outside the domain"
FILE = "open a file in its own root"
TCP = "TCP connect to the host's 127.0.0.1"
ABSTRACT = "connect to an abstract unix socket"
LAYER2 = (KILL, FILE, TCP, ABSTRACT)
# `network host` (pushd, docs/pushd.md): the host's namespace is its
# policy; Landlock's TCP rule and scope refuse in its place
HOST_NETWORK = {"pushd"}


def landlock_abi():
    libc = ctypes.CDLL(None, use_errno=True)
    # landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION)
    return max(libc.syscall(444, None, 0, 1), 0)


def probe(*args):
    r = run([tool("cloister-probe"), "--second-layer"] + list(args), timeout=120)
    got = dict(re.findall(r"^(.*?)\s+(refused|ALLOWED|error)$", r.stdout, re.M))
    return r.returncode, got, r.stdout + r.stderr


def full_landlock():
    """Landlock with TCP rules and scopes (ABI 6); an older kernel starts
    the workers with a warning instead, and these checks do not apply."""
    if landlock_abi() >= 6:
        return True
    print("    (Landlock ABI %d: no scopes, second-layer checks skipped)"
          % landlock_abi())
    return False


def test_second_layer_refuses_under_every_policy():
    if not full_landlock():
        return
    for name in WORKER_POLICIES + ["probe"]:
        rc, got, out = probe(policy(name))
        assert rc == 0, name + ":\n" + out
        assert all(got.get(a) == "refused" for a in LAYER2), name + ":\n" + out
        assert "filter weakened: open openat socket connect kill" in out, out
        # the filter let each call through: the refusal is the second
        # layer's, named by its errno
        assert "kill the sibling: Operation not permitted" in out, name + out
        assert "connect to 127.0.0.1: Permission denied" in out, name + out
        # the empty namespace refuses it; in the host's, Landlock's scope
        assert ("connect to an abstract unix socket: " + (
            "Operation not permitted" if name in HOST_NETWORK else
            "Connection refused")) in out, out
        if name != "stored":   # the spool is stored's own to read and write
            assert "open a file in the root: Permission denied" in out, name + out


def test_each_layer_holds_alone_and_the_escapes_work_without_them():
    if not full_landlock():
        return
    # Landlock alone: TCP by its net rules, the abstract socket by its scope
    rc, got, out = probe("--without", "netns", policy("imapd"))
    assert rc == 0 and all(got[a] == "refused" for a in LAYER2), out
    assert "connect to 127.0.0.1: Permission denied" in out, out
    assert "connect to an abstract unix socket: Operation not permitted" in out, out
    # the empty namespace alone: nothing to route to, no outside names
    rc, got, out = probe("--without", "landlock", policy("imapd"))
    assert rc == 1, out
    assert got[TCP] == "refused" and got[ABSTRACT] == "refused", out
    assert "connect to 127.0.0.1: Network is unreachable" in out, out
    assert "connect to an abstract unix socket: Connection refused" in out, out
    assert got[KILL] == "ALLOWED" and got[FILE] == "ALLOWED", out
    # neither: every escape works, so each refusal above was the layer's
    rc, got, out = probe("--without", "netns,landlock", policy("imapd"))
    assert rc == 1 and all(got[a] == "ALLOWED" for a in LAYER2), out
    # authd reads its tree and may not write it: without Landlock it could
    rc, got, out = probe("--without", "landlock", policy("authd"))
    assert got[FILE] == "ALLOWED", out


def netns(pid):
    return os.readlink("/proc/%d/ns/net" % pid)


def interfaces(pid):
    with open("/proc/%d/net/dev" % pid) as f:
        return sorted(l.split(":")[0].strip() for l in f.readlines()[2:])


def lo_is_up(pid):
    """IFF_UP of pid's loopback, read inside its namespace."""
    r = run(["nsenter", "--net=/proc/%d/ns/net" % pid, "ip", "-o", "link",
             "show", "lo"], timeout=10)
    assert r.returncode == 0, r.stderr
    flags = re.search(r"<([^>]*)>", r.stdout).group(1).split(",")
    return "UP" in flags


def open_netns_fds(pid):
    """The fds of pid that hold a network namespace."""
    found = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("net:"):
                found.append(int(fd))
        except FileNotFoundError:
            pass
    return found


def test_every_policy_gets_an_empty_network_namespace_of_its_own():
    workers = [ConfinedWorker(policy(n)) for n in WORKER_POLICIES]
    try:
        seen = {netns(os.getpid())}
        for name, w in zip(WORKER_POLICIES, workers):
            ns = netns(w.pid)
            if name in HOST_NETWORK:
                assert ns == netns(os.getpid()), (name, ns)
                continue
            assert ns not in seen, (name, ns, seen)
            seen.add(ns)
            assert interfaces(w.pid) == ["lo"], (name, interfaces(w.pid))
    finally:
        for w in workers:
            w.stop()


def test_supervised_workers_log_their_layers_and_live_apart():
    from imap_util import ImapServer, have_stored
    from lmtp_util import lmtpd_block
    from supervisor_util import block
    if not have_stored():
        return
    abi = landlock_abi()
    snmpd = block("snmpd-helper", "stats", "snmpd-helper",
                  ["metrics tcp 127.0.0.1:@port:metrics@ plain"],
                  binary="@bin:cloister-snmpd@")
    with ImapServer(extra_services=[lmtpd_block(spares=1), snmpd]) as s:
        m = s.login()           # a TLS session on a confined imapd
        assert m.select("INBOX")[0] == "OK"
        m.logout()
        srv = s.srv
        handled = "fs" + (", net" if abi >= 4 else "") + (", scope" if abi >= 6 else "")
        for svc in ("authd", "stored", "imapd", "lmtpd", "snmpd-helper"):
            line = srv.wait_log(r"sandbox %s: confined \(.*; netns shared;"
                                r" landlock ABI %d: %s; seccomp" % (svc, abi, handled),
                                timeout=20)
            assert line, (svc, "\n".join(srv.log))
        sup = netns(srv.pid)
        kids = srv.children()
        assert {c.service for c in kids} >= {"authd", "stored", "imapd", "lmtpd",
                                             "snmpd-helper"}, kids
        # one empty namespace, not cloisterd's, shared by every worker (a
        # spare started after the logout may still be confining itself)
        def shared_ns():
            try:
                return {netns(c.pid) for c in srv.children()}
            except FileNotFoundError:
                return set()
        assert wait_for(lambda: len(shared_ns()) == 1 and sup not in shared_ns(),
                        timeout=10), (shared_ns(), sup)
        kids = srv.children()
        assert interfaces(kids[0].pid) == ["lo"], interfaces(kids[0].pid)
        assert not lo_is_up(kids[0].pid)
        # the namespace's fd went with confinement: a live (idle, confined)
        # imapd and lmtpd hold none
        for svc in ("imapd", "lmtpd"):
            live = [c for c in kids if c.service == svc]
            assert live, (svc, kids)
            for c in live:
                assert open_netns_fds(c.pid) == [], (c, open_netns_fds(c.pid))
        # /metrics still answers from inside the empty namespace (its
        # listener was made in the host's)
        from snmp_util import http_get
        status, _headers, body = http_get(srv.port("metrics"))
        assert status == 200 and b"cloister_" in body, (status, body[:200])
        # a reload keeps the namespace: a worker spawned after it (the
        # spare that replaces the imapd of the next session) joins the same
        (ns,) = shared_ns()
        before = {c.pid for c in srv.children()}
        assert "reloaded" in (srv.reload() or ""), srv.log[-5:]
        m = s.login()
        m.logout()
        assert wait_for(lambda: any(c.pid not in before and c.service == "imapd"
                                    for c in srv.children()), timeout=10)
        assert wait_for(lambda: shared_ns() == {ns}, timeout=10), (shared_ns(), ns)
