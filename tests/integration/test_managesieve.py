"""cloister-managesieved under a real cloisterd (authd, keyd, stored): the
protocol's edges with exact bytes — the greeting's capabilities, STARTTLS
then AUTHENTICATE, what may happen before login (password mechanisms only
under TLS, bounded lines and literals, the deadline), literals of both
forms, UNAUTHENTICATE refused without 'set max-relogins' (offered with it:
test_managesieve_unauth), scripts (compile errors with line and column), one
user's scripts out of another's reach — and the worker passing
cloister-audit while it serves."""
import atexit
import base64
import json
import os
import re
import time

from harness import POLICY_DIR, Skip
from imap_util import have_stored
from managesieve_util import SieveServer
from store_util import Store, T, s

GOOD = 'require ["fileinto"];\r\nif header :contains "subject" "x" {\r\n  fileinto "X";\r\n}\r\n'
BAD = 'require ["fileinto"];\r\nif true {\r\n  frobnicate "x";\r\n}\r\n'

_SRV = None


def server():
    """One server for the module's tests (cloisterd takes seconds), closed
    when the run ends."""
    global _SRV
    if _SRV is None:
        _SRV = SieveServer(settings={"prelogin-timeout": 5}).start()
        atexit.register(_SRV.close)
    return _SRV


def need_scripts():
    """Skip unless the store serves the Sieve calls (a store client without
    them answers every script command NO (TRYLATER))."""
    if not have_stored():
        raise Skip("cloister-stored is not built in this tree")
    c = server().login("alice")
    st, _ = c.cmd(b"LISTSCRIPTS")
    c.close()
    if not st.startswith(b"OK"):
        raise Skip("the store does not serve Sieve scripts: %r" % st)


def test_greeting_capabilities_before_and_after_starttls():
    c = server().client()
    st, lines = c.greeting
    assert st.startswith(b"OK"), st
    caps = c.capabilities(lines)
    assert caps["IMPLEMENTATION"] == "Cloister"
    assert caps["VERSION"] == "1.0"
    assert "STARTTLS" in caps
    assert caps["NOTIFY"] == "mailto" and caps["MAXREDIRECTS"] == "4"
    ext = caps["SIEVE"].split()
    for e in ("fileinto", "vacation", "variables", "envelope", "imap4flags",
              "enotify", "include", "relational"):
        assert e in ext, ext
    # no password mechanism in clear on a non-loopback-plain listener
    assert "PLAIN" not in caps["SASL"].split(), caps
    tls = c.starttls()
    assert "PLAIN" in tls["SASL"].split(), tls
    assert "STARTTLS" not in tls, tls
    c.close()


def test_plain_before_starttls_is_refused_and_logged():
    srv = server()
    c = srv.client()
    mark = len(srv.srv.log)
    st, _ = c.auth_plain("alice", "wonderland")
    assert st.startswith(b"NO (ENCRYPT-NEEDED)"), st
    assert srv.srv.wait_log(r"login refused: user=- .*reason=no-tls", 10, mark)
    c.close()


def test_starttls_then_authenticate_both_forms_and_wrong_password():
    srv = server()
    c = srv.client()
    c.starttls()
    st, _ = c.auth_plain("alice", "wrong")
    assert st.startswith(b"NO"), st
    st, _ = c.auth_plain("alice", "wonderland", initial=False)
    assert st.startswith(b"OK"), st
    st, lines = c.cmd(b"CAPABILITY")
    assert c.capabilities(lines).get("OWNER") == "alice", lines
    c.close()


def test_authenticate_cancel_with_star():
    c = server().client()
    c.starttls()
    c.send(b'AUTHENTICATE "PLAIN"\r\n')
    assert c.line() == b'""'
    st, _ = c.cmd(b'"*"')
    assert st.startswith(b"NO"), st
    st, _ = c.auth_plain("alice", "wonderland")
    assert st.startswith(b"OK"), st
    c.close()


def test_pipelined_bytes_after_starttls_are_dropped():
    c = server().client()
    ir = base64.b64encode(b"\0alice\0wonderland")
    c.send(b'STARTTLS\r\nAUTHENTICATE "PLAIN" "' + ir + b'"\r\n')
    st, _ = c.response()
    assert st.startswith(b"OK"), st
    from imap_util import client_context
    c.s = client_context().wrap_socket(c.s)
    c.buf = b""
    st, _ = c.response()        # capabilities after TLS
    assert st.startswith(b"OK"), st
    st, _ = c.cmd(b"LISTSCRIPTS")   # the clear-text login never counted
    assert st.startswith(b"NO"), st
    c.close()


def test_prelogin_literal_over_the_limit_ends_the_connection():
    c = server().client("sieveplain")
    t0 = time.time()
    c.send(b'AUTHENTICATE "PLAIN" {100000+}\r\n')
    st, _ = c.response()
    assert st is not None and st.startswith(b"BYE") and b"too large" in st, st
    assert time.time() - t0 < 2      # at once, not at the deadline
    assert c.line() is None        # closed: nothing of it was read
    c.close()


def test_prelogin_long_line_ends_the_connection():
    c = server().client("sieveplain")
    c.send(b"NOOP " + b"x" * 30000 + b"\r\n")
    st, _ = c.response()
    assert st is not None and st.startswith(b"BYE"), st
    c.close()


def test_malformed_literal_size_and_unknown_commands():
    c = server().client("sieveplain")
    st, _ = c.cmd(b"FROBNICATE")
    assert st.startswith(b"NO"), st
    st, _ = c.cmd(b'NOOP "unterminated')
    assert st.startswith(b"NO"), st
    st, _ = c.cmd(b'NOOP "tag\\"q"')
    assert st == b'OK (TAG {5}\r\ntag"q) "Done"', st
    st, _ = c.cmd(b"LISTSCRIPTS")
    assert st.startswith(b"NO"), st
    c.send(b"NOOP {99999999999999999999999}\r\n")
    st, _ = c.response()
    assert st is not None and st.startswith(b"BYE"), st
    c.close()


def test_prelogin_deadline():
    """prelogin-timeout (5 s here) is one deadline: a byte now and then
    does not hold the process."""
    c = server().client("sieveplain")
    t0 = time.time()
    closed = None
    for _ in range(40):
        try:
            c.send(b"N")
        except OSError:
            closed = time.time() - t0
            break
        time.sleep(0.25)
    assert closed is not None and 4 <= closed < 8, closed
    st, _ = c.response()
    assert st is None or st.startswith(b"BYE"), st
    c.close()


def test_plain_on_loopback_plain_listener():
    c = server().client("sieveplain")
    caps = c.capabilities(c.greeting[1])
    assert "PLAIN" in caps["SASL"].split(), caps
    st, _ = c.auth_plain("bob", "builder")
    assert st.startswith(b"OK"), st
    c.close()


def test_implicit_tls_listener():
    c = server().client("sieves")
    caps = c.capabilities(c.greeting[1])
    assert "STARTTLS" not in caps and "PLAIN" in caps["SASL"].split(), caps
    st, _ = c.auth_plain("alice", "wonderland")
    assert st.startswith(b"OK"), st
    st, _ = c.cmd(b"LOGOUT")
    assert st.startswith(b"OK"), st
    c.close()


def test_checkscript_reports_line_and_column():
    c = server().login("alice")
    st, _ = c.cmd(b"CHECKSCRIPT {%d+}\r\n" % len(BAD) + BAD.encode())
    assert st.startswith(b"NO"), st
    assert re.search(rb"line 3, column \d+: .*frobnicate", st), st
    st, _ = c.cmd(b"CHECKSCRIPT {%d}\r\n" % len(GOOD) + GOOD.encode())
    assert st.startswith(b"OK"), st
    c.close()


def test_unauthenticate_is_not_offered_and_the_session_goes_on():
    """Without 'set max-relogins' a connection serves one login (authd's
    one ticket per worker channel): UNAUTHENTICATE is neither advertised
    nor answered OK, so no client believes it may log in as another user
    on this connection."""
    c = server().login("alice")
    st, lines = c.cmd(b"CAPABILITY")
    assert st.startswith(b"OK") and b'"OWNER" "alice"' in lines, lines
    assert not any(b"UNAUTHENTICATE" in l for l in lines), lines
    st, _ = c.cmd(b"UNAUTHENTICATE")
    assert st.startswith(b"NO") and b"LOGOUT and connect again" in st, st
    st, _ = c.cmd(b"LISTSCRIPTS")               # still alice's session
    assert st.startswith(b"OK"), st
    st, _ = c.auth_plain("bob", "builder")
    assert st.startswith(b"NO"), st
    st, _ = c.cmd(b"LOGOUT")
    assert st.startswith(b"OK"), st
    c.close()


def test_script_lifecycle_and_response_codes():
    need_scripts()
    c = server().login("alice")
    st, _ = c.put("lifecycle", GOOD)
    assert st.startswith(b"OK"), st
    st, _ = c.put("broken", BAD, plus=False)
    assert st.startswith(b"NO") and b"line 3" in st, st
    st, lines = c.cmd(b"LISTSCRIPTS")
    assert b'"lifecycle"' in lines and not any(b"broken" in l for l in lines)
    st, _ = c.cmd(b'SETACTIVE "lifecycle"')
    assert st.startswith(b"OK"), st
    st, lines = c.cmd(b"LISTSCRIPTS")
    assert b'"lifecycle" ACTIVE' in lines, lines
    st, lines = c.cmd(b'GETSCRIPT "lifecycle"')
    assert st.startswith(b"OK") and lines == [b"{%d}\r\n" % len(GOOD) + GOOD.encode()], lines
    st, _ = c.cmd(b'DELETESCRIPT "lifecycle"')
    assert st.startswith(b"NO (ACTIVE)"), st
    st, _ = c.cmd(b'GETSCRIPT "nope"')
    assert st.startswith(b"NO (NONEXISTENT)"), st
    st, _ = c.put("other", "keep;\r\n")
    st, _ = c.cmd(b'RENAMESCRIPT "other" "lifecycle"')
    assert st.startswith(b"NO (ALREADYEXISTS)"), st
    st, _ = c.cmd(b'RENAMESCRIPT "other" "renamed"')
    assert st.startswith(b"OK"), st
    st, _ = c.cmd(b'HAVESPACE "x" 999999999')
    assert st.startswith(b"NO (QUOTA/MAXSIZE)"), st
    st, _ = c.cmd(b'HAVESPACE "x" 100')
    assert st.startswith(b"OK"), st
    st, _ = c.cmd(b'SETACTIVE ""')
    assert st.startswith(b"OK"), st
    st, _ = c.cmd(b'DELETESCRIPT "lifecycle"')
    assert st.startswith(b"OK"), st
    st, _ = c.cmd(b'PUTSCRIPT "bad/name" {6+}\r\nkeep;\n')
    assert st.startswith(b"NO"), st
    c.close()


def test_literal_over_max_script_size_is_read_through_after_login():
    c = server().login("alice")
    big = b"#" * (70 * 1024) + b"\r\nkeep;\r\n"
    st, _ = c.cmd(b'PUTSCRIPT "big" {%d+}\r\n' % len(big) + big)
    assert st.startswith(b"NO (QUOTA/MAXSIZE)"), st
    st, _ = c.cmd(b'NOOP "still"')         # the session goes on
    assert st.startswith(b"OK"), st
    c.close()


def test_another_users_script_is_unreachable():
    need_scripts()
    srv = server()
    a = srv.login("alice")
    st, _ = a.put("secret", "keep;\r\n")
    assert st.startswith(b"OK"), st
    b = srv.login("bob")
    for cmd in (b'GETSCRIPT "secret"', b'GETSCRIPT "alice/secret"',
                b'DELETESCRIPT "secret"', b'SETACTIVE "secret"'):
        st, lines = b.cmd(cmd)
        assert st.startswith(b"NO"), (cmd, st)
        assert not any(b"keep" in l for l in lines)
    st, lines = b.cmd(b"LISTSCRIPTS")
    assert not any(b"secret" in l for l in lines), lines
    st, lines = a.cmd(b'GETSCRIPT "secret"')
    assert st.startswith(b"OK"), st
    a.close()
    b.close()


def test_the_running_worker_passes_cloister_audit():
    srv = server()
    c = srv.login("alice")            # one confined session, logged in
    r = srv.srv.audit(json_out=True)
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    ms = [p for p in doc["processes"] if p["service"] == "managesieved"]
    assert len(ms) >= 2, [p["service"] for p in doc["processes"]]
    for p in ms:
        assert p["live"]["seccomp_filter"]["match"], p
        assert p["live"]["netns"] in ("own", "shared"), p
    st, _ = c.cmd(b"NOOP")
    assert st.startswith(b"OK"), st
    c.close()


def policy_store_ops(name):
    """The store-op lines of a policy, as they are written."""
    with open(os.path.join(POLICY_DIR, name + ".policy")) as f:
        return [l for l in f if l.startswith("store-op")]


def test_the_store_grants_managesieved_the_session_sieve_calls_only():
    """An attacker running code in managesieved holds a store channel
    bound to its user: with managesieved.policy's store-op lines (given to
    a stand-in channel: the store test harness names its services), every
    message but ping, hello and the seven user-session Sieve calls is
    refused — no mail, no delivery right (another user's program), no
    admin call."""
    mine = policy_store_ops("managesieved")

    def rights(name, text):
        if name == "imapd":
            text = re.sub(r"^store-op.*\n", "", text, flags=re.M) + "".join(mine)
        return text
    allowed = {w.upper() for l in mine for w in l.split(":", 1)[0].split()[1:]}
    assert allowed == {"PING", "STORE_HELLO"} | {
        "STORE_SIEVE_" + op for op in ("LIST", "PUT", "GET", "ACTIVATE",
                                       "DELETE", "RENAME", "HAVESPACE")}, allowed
    with Store(policy_edit=rights) as st:
        st.admin().call("STORE_ADM_USER_CREATE", s("alice"))
        refused = 0
        for name, value in sorted(T.items()):
            if name in ("OK", "ERROR", "PONG", "STORE_HELLO") or \
                    not name.startswith(("STORE_", "PING")):
                continue
            ch = st.connect("imapd")
            ch.hello(st.key, "alice")
            recs = ch.raw(value, b"")
            ch.close()
            expect = ("unexpected %s from imapd" % name.lower()).encode()
            refusal = recs[-1][0] == 2 and expect in recs[-1][2]
            assert refusal == (name not in allowed), (name, recs[-1][2])
            refused += refusal
        assert refused > 40, refused


def test_store_quota_answers_name_which_limit():
    """The store's per-user limits (sieve-max-scripts, sieve-max-script-size)
    come back as RFC 5804's QUOTA/MAXSCRIPTS and QUOTA/MAXSIZE, from
    HAVESPACE and from PUTSCRIPT."""
    if not have_stored():
        raise Skip("cloister-stored is not built in this tree")
    with SieveServer(stored_options={"sieve-max-scripts": 2,
                                     "sieve-max-script-size": 2048}) as srv:
        c = srv.login("alice")
        for name in ("one", "two"):
            st, _ = c.put(name, "keep;\r\n")
            assert st.startswith(b"OK"), st
        st, _ = c.cmd(b'HAVESPACE "three" 10')
        assert st.startswith(b"NO (QUOTA/MAXSCRIPTS)"), st
        st, _ = c.put("three", "keep;\r\n")
        assert st.startswith(b"NO (QUOTA/MAXSCRIPTS)"), st
        st, _ = c.put("one", "keep;\r\n")          # replacing is not a new one
        assert st.startswith(b"OK"), st
        st, _ = c.cmd(b'HAVESPACE "one" 4096')
        assert st.startswith(b"NO (QUOTA/MAXSIZE)"), st
        big = "#" + "x" * 3000 + "\r\nkeep;\r\n"
        st, _ = c.put("one", big)
        assert st.startswith(b"NO (QUOTA/MAXSIZE)"), st
        c.close()
