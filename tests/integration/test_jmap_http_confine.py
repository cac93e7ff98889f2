"""jmapd's confinement on a live server: jmapd.policy allows neither
socket() nor any open (read with the policy parser's own rules: the audit
compiles it), memfds only under a file size limit; cloister-audit over a server holding 20 logged-in JMAP
sessions exits 0 with every jmapd's live seccomp filter matching its
policy; a jmapd holds no regular file and no listener, only its client,
its peers' channels and nothing of authd once logged in; and the curl line
scripts/quickstart prints works against a server laid out like the
quickstart's."""
import json
import os
import re
import shlex
import stat
import subprocess

import test_jmap_http as jh
from harness import TOP, policy, worker_fds

FORBIDDEN = {"socket", "socketpair", "open", "openat", "openat2", "creat",
             "accept", "accept4", "connect", "bind", "listen", "execve",
             "execveat", "fork", "vfork", "clone", "clone3", "ptrace",
             "kill", "tkill", "tgkill"}


def allowed_syscalls(text):
    names = set()
    for line in text.splitlines():
        line = line.split("#")[0]
        m = re.match(r"\s*syscall(?:-if)?\s+(.*?)(?:\s+:|$)", line)
        if not m:
            continue
        words = m.group(1).split()
        if line.lstrip().startswith("syscall-if"):
            words = words[:1]
        names |= set(words)
    return names


def test_policy_allows_no_socket_open_or_exec():
    with open(policy("jmapd")) as f:
        names = allowed_syscalls(f.read())
    assert "read" in names and "poll" in names, names
    assert not names & FORBIDDEN, names & FORBIDDEN
    # memfds (uploads, import metadata) only under a file size limit
    with open(policy("jmapd")) as f:
        fsize = [l.split()[2] for l in f if l.startswith("rlimit fsize")]
    assert "memfd_create" in names and fsize and fsize[0] != "0", fsize


def jmapd_pids(srv):
    return [c.pid for c in srv.srv.children("jmapd")]


def test_audit_with_20_sessions_and_what_each_jmapd_holds():
    with jh.server() as srv:
        sessions = []
        for i in range(20):
            raw = jh.Raw(srv)
            raw.send(jh.head("/jmap/session", user="alice" if i % 2 else "bob"))
            st, _, body = raw.response()
            assert st == 200, (i, st, body)
            sessions.append(raw)
        srv.srv.wait_ready(timeout=30)
        r = srv.srv.audit()
        assert r.returncode == 0, r.stdout + r.stderr
        doc = json.loads(srv.srv.audit(json_out=True).stdout)
        live = [p for p in doc["processes"] if p["service"] == "jmapd"]
        assert len(live) >= 20, len(live)
        for p in live:
            assert p["live"]["seccomp_filter"]["match"], p
        # a logged-in jmapd: sockets and pipes only, never a regular file;
        # authd's channel (fd 6) closed after login
        busy = 0
        for pid in jmapd_pids(srv):
            fds = {}
            for fd in worker_fds(pid):
                try:
                    fds[fd] = os.stat("/proc/%d/fd/%d" % (pid, fd))
                except FileNotFoundError:
                    pass
            assert not any(stat.S_ISREG(s.st_mode) for s in fds.values()), fds
            if 6 not in fds:
                busy += 1
        assert busy >= 20, busy
        for raw in sessions:
            raw.send(jh.head("/jmap/session", user="alice"))
        # each still serves (bob's got 401 for alice's credentials)
        codes = sorted(raw.response()[0] for raw in sessions)
        assert codes == [200] * 10 + [401] * 10, codes
        for raw in sessions:
            raw.close()


def quickstart_curl():
    with open(os.path.join(TOP, "scripts", "quickstart")) as f:
        lines = [l.strip() for l in f if l.strip().startswith("curl ") and
                 "8443" in l]
    assert len(lines) == 1, lines
    return lines[0]


def test_the_quickstart_curl_line_works():
    line = quickstart_curl()
    with open(os.path.join(TOP, "docs", "examples", "quickstart.conf")) as f:
        conf = f.read()
    assert re.search(r"listen\s+jmap\s+tcp\s+127\.0\.0\.1:8443\s+tls", conf)
    with jh.server(users={"demo": "demo-pass"}) as srv:
        cmd = (line.replace("$demo_user", "demo")
               .replace("$demo_pass", "demo-pass")
               .replace("127.0.0.1:8443", "127.0.0.1:%d" % srv.port("jmap")))
        r = subprocess.run(shlex.split(cmd), capture_output=True, timeout=30)
        assert r.returncode == 0, r.stderr
        sess = json.loads(r.stdout)
        assert sess["username"] == "demo"
        assert "urn:ietf:params:jmap:mail" in sess["capabilities"]


def ctl(srv, *args):
    return subprocess.run([os.path.join(os.environ["CLOISTER_BUILD"], "ctl",
                                        "cloisterctl"),
                           "-c", srv.srv.config_path, "--no-store"] + list(args),
                          capture_output=True, text=True, timeout=60)


def bearer_status(srv, token):
    c = jh.client(srv)
    r, body = jh.request(c, "GET", "/jmap/session",
                         headers={"Authorization": "Bearer " + token})
    c.close()
    return r.status, body


def test_bearer_tokens_minted_listed_revoked():
    with jh.server() as srv:
        r = ctl(srv, "token", "add", "alice", "phone")
        assert r.returncode == 0, r.stderr
        token = r.stdout.strip()
        assert re.fullmatch(r"cltk_[0-9a-f]{64}", token), token
        # the file beside sasldb2 holds the hash, never the token
        path = os.path.join(srv.srv.roots["authd"], "tokens")
        st = os.stat(path)
        assert stat.S_IMODE(st.st_mode) == 0o640 and st.st_uid == 0
        with open(path) as f:
            text = f.read()
        assert token not in text and token[5:] not in text
        assert re.fullmatch(r"[0-9a-f]{64} alice phone \d+\n", text), text
        status, body = bearer_status(srv, token)
        assert status == 200 and json.loads(body)["username"] == "alice"
        r = ctl(srv, "token", "list", "alice")
        assert r.returncode == 0 and r.stdout.startswith("phone\t"), r.stdout
        assert ctl(srv, "token", "add", "alice", "phone").returncode == 1
        assert ctl(srv, "token", "add", "nobody").returncode == 1
        # a token that is not one, or one changed by a digit: 401
        assert bearer_status(srv, "cltk_" + "0" * 64)[0] == 401
        assert bearer_status(srv, token[:-1] + ("0" if token[-1] != "0"
                                                else "1"))[0] == 401
        assert ctl(srv, "token", "revoke", "alice", "phone").returncode == 0
        assert bearer_status(srv, token)[0] == 401
        assert ctl(srv, "token", "revoke", "alice", "phone").returncode == 1
        # imapd never offers the pseudo-mechanism
        m = srv.imap()
        assert "X-CLOISTER-TOKEN" not in " ".join(m.capabilities)
        m.logout()
