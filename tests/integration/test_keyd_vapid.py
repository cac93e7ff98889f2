"""keyd's VAPID tokens (docs/keyd.md, "VAPID tokens"): with vapid-key and
vapid-subject in its block, keyd signs a token for each KEY_VAPID_SIGN on
the one channel cloisterd marked CTL_PEER_PUSH (pushd's), as many as it
asks; the token verifies with the key's public half and carries the asked
origin, the expiry and keyd's own subject. Every other channel is refused
one (logged), pushd's channel gets no TLS signature, and an audience that
is not an https origin or an expiry past 24 hours is refused."""
import os
import re
import time

from auth_util import ERROR, T, s, send, recv
from cloister_ipc import u64
from harness import service_block, tool
from push_receiver import check_vapid, vapid_key_file
from test_keyd import KEY_SIGN, ERR_DENIED, Keyd, cv_input, sign

PUSH = 4            # IPC_CTL_PEER_PUSH
SUBJECT = "mailto:postmaster@example.org"


class VapidKeyd(Keyd):
    def __init__(self):
        super().__init__()
        self.vkey, vpath = vapid_key_file(self.tmp)
        with open(self.config) as f:
            text = f.read()
        block = service_block("keyd", "key", tool("cloister-keyd"), "keyd",
                              options={"cert1": "default %s %s" % self.ec,
                                       "vapid-key": vpath,
                                       "vapid-subject": SUBJECT})
        text = re.sub(r"service keyd \{.*\}\n", lambda m: block + "\n", text,
                      flags=re.S)
        with open(self.config, "w") as f:
            f.write(text)


def vapid(w, aud, exp):
    w.reqid += 1
    send(w.sock, T["KEY_VAPID_SIGN"], s(aud) + u64(exp), w.reqid)
    return recv(w.sock)


def test_pushd_gets_tokens_and_no_one_else_does():
    with VapidKeyd() as k:
        p = k.worker(service="pushd", flags=PUSH, addr=None)
        origin = "https://push.example:8443"
        for _ in range(3):               # as many as it asks
            exp = int(time.time()) + 3600
            typ, _, f = vapid(p, origin, exp)
            assert typ == T["KEY_VAPID"], (f, k.log())
            claims = check_vapid(f[0].decode(), origin, k.vkey)
            assert claims == {"aud": origin, "exp": exp, "sub": SUBJECT}
        # pushd's channel signs no TLS handshake
        typ, _, f = sign(p, "default", 0x0403, cv_input())
        assert typ == ERROR and f[0] == ERR_DENIED, f
        assert k.wait_log(r"pushd/\d+: key_sign from pushd; refused")
        # no other channel gets a token
        w = k.worker(addr=None)
        typ, _, f = vapid(w, origin, int(time.time()) + 60)
        assert typ == ERROR and f[0] == ERR_DENIED, f
        assert k.wait_log(r"imapd/\d+: key_vapid_sign from imapd; refused")
        assert k.alive()


def test_only_an_origin_and_a_day_are_signed():
    with VapidKeyd() as k:
        p = k.worker(service="pushd", flags=PUSH, addr=None)
        now = int(time.time())
        for aud, exp in (("https://push.example/path", now + 60),
                         ("http://push.example", now + 60),
                         ('https://a","sub":"x', now + 60),
                         ("https://push.example", now - 1),
                         ("https://push.example", now + 25 * 3600)):
            typ, _, f = vapid(p, aud, exp)
            assert typ == ERROR and f[0] == ERR_DENIED, (aud, exp, f)
        assert vapid(p, "https://push.example", now + 60)[0] == T["KEY_VAPID"]
