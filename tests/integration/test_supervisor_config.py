"""Bad configs are refused with file:line, and nothing starts."""
import os
import socket
import subprocess
import time

from cloister_server import CloisterServer
from harness import tool
from supervisor_util import AUTHD, STORED, LineClient, block, imapd


def refused(services, marker, message, **kw):
    """Start with services; expect exit 1 naming the line holding marker."""
    with CloisterServer(services, **kw) as srv:
        lines = srv.config_text.splitlines()
        line = next(i for i, l in enumerate(lines, 1) if marker in l)
        r = subprocess.run([tool("cloisterd"), "-f", "-c", srv.config_path],
                           capture_output=True, text=True, timeout=10)
        want = "%s:%d: %s" % (srv.config_path, line, message)
        assert r.returncode == 1 and want in r.stderr, (want, r.stderr)
        assert not os.path.exists(srv.pidfile)
        assert srv.leftovers() == []
        return srv


def test_unknown_keys_are_refused():
    refused([STORED, imapd()], "colour", "unknown key 'colour'",
            globals_text="colour blue")
    svc = imapd().replace("  spares", "  sparez 3\n  spares")
    refused([svc], "sparez", "unknown key 'sparez' in service imapd")


def test_bad_port_is_refused():
    svc = imapd(listens=["imap tcp 127.0.0.1:70000 plain"])
    refused([svc], "70000", "bad port '70000'")
    svc = imapd(listens=["imap tcp 127.0.0.1:0 plain"])
    refused([svc], ":0 plain", "bad port '0'")


def test_missing_binary_is_refused():
    svc = block("imapd", "connection", "imapd", ["imap tcp 127.0.0.1:@port:imap@ plain"],
                binary="/nonexistent/cloister-imapd")
    refused([svc], "/nonexistent", "binary /nonexistent/cloister-imapd: No such file")


def test_duplicate_service_is_refused():
    with CloisterServer([imapd(), imapd(listens=["x tcp 127.0.0.1:@port:x@ plain"])]) as srv:
        lines = srv.config_text.splitlines()
        blocks = [i for i, l in enumerate(lines, 1) if l.startswith("service imapd")]
        r = subprocess.run([tool("cloisterd"), "-f", "-c", srv.config_path],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 1
        assert "%s:%d: duplicate service 'imapd' (first at line %d)" % (
            srv.config_path, blocks[1], blocks[0]) in r.stderr, r.stderr


def test_roles_that_must_be_single_are_refused_twice():
    auth2 = AUTHD.replace("service authd", "service authd2")
    refused([AUTHD, auth2], "service authd2",
            "service authd2: only one service may have role auth (authd has it)")


def test_auth_channel_without_authd_is_refused():
    refused([STORED, imapd(auth=True)], "service imapd",
            "service imapd: 'set auth yes' but no service has role auth")
    refused([STORED, imapd(options={"auth": "maybe"})], "set auth maybe",
            "auth is yes or no, not 'maybe'")


def test_tunables_are_checked():
    refused([STORED], "restart-burst", "restart-burst is 1..16",
            options={"restart-burst": "99"})
    refused([STORED], "required-backoff-max", "required-backoff-max is 1..60000",
            options={"required-backoff-max": "0"})
    refused([STORED], "log-rate", "log-rate is 1..100000",
            options={"log-rate": "0"})
    refused([STORED], "log-burst", "log-burst is 1..100000",
            options={"log-burst": "1000000"})


def test_a_broken_policy_is_refused_before_anything_starts():
    with CloisterServer([STORED, imapd()],
                        policy_edits={"imapd": lambda t: t + "colour blue\n"}) as srv:
        pol = os.path.join(srv.policy_dir, "imapd.policy")
        # the line of the bad key (lines may follow it: syscalls added
        # for a service the stand-in plays)
        n = open(pol).read().splitlines().index("colour blue") + 1
        r = subprocess.run([tool("cloisterd"), "-f", "-c", srv.config_path],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 1 and "%s:%d: unknown key 'colour'" % (pol, n) in r.stderr, \
            r.stderr
        assert srv.leftovers() == []


def test_a_port_in_use_is_refused_and_nothing_binds():
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        svc = imapd(listens=["imap tcp 127.0.0.1:@port:imap@ plain",
                             "imap2 tcp 127.0.0.1:%d plain" % port])
        srv = refused([STORED, svc], ":%d plain" % port,
                      "listener imap2 (127.0.0.1:%d): bind: Address already in use" % port)
        # the first listener was not left bound
        s = socket.socket()
        assert s.connect_ex(("127.0.0.1", srv.port("imap"))) != 0
        s.close()
    finally:
        busy.close()


def test_a_good_config_still_starts():
    # the checks above must not refuse everything
    with CloisterServer([AUTHD, STORED, imapd(auth=True)]) as srv:
        srv.start()
        with LineClient("127.0.0.1", srv.port("imap")) as c:
            assert c.readline().startswith("* OK")
        time.sleep(0.1)


def _example(name, tmp):
    """docs/examples/NAME with binaries that are not built yet replaced by
    the stand-in, and the policy dir of this tree."""
    import re
    import shutil
    from harness import POLICY_DIR, TOP
    with open(os.path.join(TOP, "docs", "examples", name)) as f:
        text = f.read()

    def binary(m):
        try:
            return tool(m.group(1))
        except FileNotFoundError:
            path = os.path.join(tmp, m.group(1))
            shutil.copy2(tool("cloister-standin"), path)
            return path
    text = re.sub(r"/usr/local/libexec/cloister/(cloister-[\w-]+)", binary, text)
    text = re.sub(r"^policy-dir\s+\S+", "policy-dir " + POLICY_DIR, text, flags=re.M)
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_the_example_configs_parse():
    import tempfile
    tmp = tempfile.mkdtemp(prefix="cloister-ex-")
    for name in ("quickstart.conf", "production.conf"):
        path = _example(name, tmp)
        r = subprocess.run([tool("cloisterd"), "-n", "-c", path],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 0 and "ok" in r.stdout, (name, r.stdout + r.stderr)
    # and -n does refuse: the same file with a typo
    with open(path, "a") as f:
        f.write("sparez 3\n")
    r = subprocess.run([tool("cloisterd"), "-n", "-c", path], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 1 and "unknown key 'sparez'" in r.stderr


def test_quickstart_listens_on_loopback_only_at_the_agreed_ports():
    import re
    from harness import TOP
    with open(os.path.join(TOP, "docs", "examples", "quickstart.conf")) as f:
        text = "\n".join(l.split("#")[0] for l in f)
    addrs = re.findall(r"^\s*listen\s+\S+\s+tcp\s+(\S+)", text, re.M)
    assert all(a.startswith("127.0.0.1:") for a in addrs), addrs
    assert {a.split(":")[1] for a in addrs} == {"1143", "1993", "4190", "8443", "9465"}
    # LMTP on the unix socket only (whoever connects can deliver to anyone)
    assert re.search(r"^\s*listen\s+\S+\s+unix\s+/\S+ plain mode=0600", text, re.M)


def test_every_config_key_is_documented():
    import re
    from harness import TOP
    with open(os.path.join(TOP, "common", "config.c")) as f:
        src = f.read()
    keys = set()
    for arr in ("gkey_names", "skey_names"):
        body = re.search(arr + r"\[[^]]*\] = \{(.*?)\};", src, re.S).group(1)
        keys |= set(re.findall(r'"([\w-]+)"', body))
    keys |= {"set", "listen", "service"}
    with open(os.path.join(TOP, "supervisor", "check.c")) as f:
        opts = set(re.findall(r'"(restart-[\w-]+|required-[\w-]+|log-[\w-]+|'
                              r'stop-timeout|auth)"', f.read()))
    assert len(keys) >= 14 and len(opts) == 8, (keys, opts)
    with open(os.path.join(TOP, "docs", "configuration.md")) as f:
        doc = f.read()
    for k in keys | opts:
        assert re.search(r"`%s[ `]" % re.escape(k), doc), k + " is not in docs/configuration.md"


def _nofile(pid):
    """(soft, hard) Max open files of pid."""
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return int(soft), int(hard)
    raise AssertionError("no Max open files line")


def _can_raise_hard_limits():
    """CAP_SYS_RESOURCE in our effective set (some containers drop it)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> 24 & 1)
    return False


def test_the_open_file_limit_follows_max_processes():
    """cloisterd started under a small fd limit (a shell's 1024/4096)
    raises its own to what the services' max-processes need (a few fds per
    live worker: docs/supervisor.md), and again when a reload raises
    max-processes; where it may not (no CAP_SYS_RESOURCE, as in some
    containers) it says how many it needs."""
    srv = CloisterServer([AUTHD, STORED, imapd(auth=True, max_processes=20000)])
    srv.start(prefix=["prlimit", "--nofile=1024:4096", "--"])
    with srv:
        with LineClient("127.0.0.1", srv.port("imap")) as c:
            assert c.readline().startswith("* OK")
        soft, hard = _nofile(srv.proc.pid)
        if not _can_raise_hard_limits():
            assert (soft, hard) == (4096, 4096), (soft, hard)
            assert srv.wait_log(r"open files: the services' max-processes "
                                r"and policies need about \d{5}, the limit "
                                r"is 4096"), \
                srv.log[-10:]
            print("  (no CAP_SYS_RESOURCE here: the warning is checked)")
            return
        assert soft == hard >= 2 * 20000, (soft, hard)
        line = srv.reload([AUTHD, STORED,
                           imapd(auth=True, max_processes=30000)])
        assert "reloaded" in line, line
        soft, hard = _nofile(srv.proc.pid)
        assert soft == hard >= 2 * 30000, (soft, hard)
