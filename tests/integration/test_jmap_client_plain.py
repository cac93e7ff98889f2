"""curl against a jmapd whose only listener is plain HTTP on loopback, the
set-up behind a TLS-terminating front end on the same machine
(docs/jmapd.md): the Session and an API call with Basic credentials.

No TLS worker sets up libcrypto's providers before it confines itself
(that waits for the first use), so jmapd's first SHA-256 (of the
Authorization value) runs confined and must not need anything the
sandbox forbids (libcrypto's one-time set-up ends in a futex wake, which
the policy allows as a private wake only)."""
import json
import shutil
import subprocess

import test_jmap_http as jh
from harness import service_block
from imap_util import ImapServer, need_stored


def curl(*args):
    if shutil.which("curl") is None:
        raise AssertionError("curl is not installed (scripts/install-deps)")
    return subprocess.run(["curl", "-sS", "--max-time", "20",
                           "-w", "\n%{http_code}"] + list(args),
                          capture_output=True, text=True, timeout=60)


def test_curl_over_a_plain_only_loopback_listener():
    need_stored()
    block = service_block(
        "jmapd", "connection", "@bin:cloister-jmapd@", "jmapd",
        ("jmap tcp 127.0.0.1:@port:jmap@ plain",),
        settings={"spares": 2, "max-processes": 40, "max-per-ip": 0,
                  "prelogin-timeout": 20},
        options={"auth": "yes", "keyd": "yes"})
    with ImapServer(users=jh.USERS, extra_services=[block]) as srv:
        base = "http://127.0.0.1:%d" % srv.port("jmap")
        r = curl("-u", "alice:wonderland", base + "/jmap/session")
        body, _, code = r.stdout.rpartition("\n")
        assert code == "200", (code, r.stdout, r.stderr,
                               "\n".join(srv.srv.log[-10:]))
        sess = json.loads(body)
        assert sess["username"] == "alice"
        acct = sess["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        req = {"using": ["urn:ietf:params:jmap:core",
                         "urn:ietf:params:jmap:mail"],
               "methodCalls": [["Mailbox/get", {"accountId": acct,
                                                "properties": ["name"]}, "m"]]}
        r = curl("-u", "alice:wonderland", "-H",
                 "Content-Type: application/json", "--data-binary",
                 json.dumps(req), base + "/jmap/api/")
        body, _, code = r.stdout.rpartition("\n")
        assert code == "200", (code, r.stdout, r.stderr)
        names = {m["name"] for m in
                 json.loads(body)["methodResponses"][0][1]["list"]}
        assert "INBOX" in names, names
        assert not any("killed by signal" in l for l in srv.srv.log), \
            [l for l in srv.srv.log if "killed by signal" in l]
