"""keyd's SCRAM-SHA-256 proofs for submitd's relay AUTH (docs/keyd.md,
"Relay AUTH"): on the one channel cloisterd marked CTL_PEER_SUBMIT, keyd
answers KEY_SCRAM_PROOF with the ClientProof and ServerSignature a
client knowing the password computes (checked with hashlib), for the
configured user only and within 4096..100000 iterations; any other
channel (imapd's, pushd's) is refused and logged, and submitd's channel
gets no TLS signature. PBKDF2 runs once per (salt, iterations), for at
most four new pairs a minute."""
import os
import shutil

from auth_util import ERROR, T, send, recv
from cloister_ipc import b as by, u32
from harness import POLICY_DIR, service_block, tool
from scram_util import proof
from test_keyd import ERR_DENIED, Keyd, cv_input, sign

SUBMIT, PUSH = 8, 4      # IPC_CTL_PEER_SUBMIT, IPC_CTL_PEER_PUSH
USER, PASSWORD = "cloister@relay.test", "pencil and paper"


class ScramKeyd(Keyd):
    """keyd with a submit service whose relay password it reads."""

    def __init__(self):
        super().__init__()
        secret = os.path.join(self.tmp, "relay.secret")
        with open(secret, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(secret, 0o600)
        # the config names submitd's policy; keyd only checks it exists
        shutil.copy(os.path.join(POLICY_DIR, "submitd.policy"),
                    os.path.dirname(self.policy))
        with open(self.config, "a") as f:
            f.write(service_block("submitd", "submit", tool("cloister-submitd"), "submitd",
                                  options={"relay": "127.0.0.1:25",
                                           "relay-auth-user": USER,
                                           "relay-auth-secret-file": secret}) + "\n")


def ask(w, salt, i, am):
    w.reqid += 1
    send(w.sock, T["KEY_SCRAM_PROOF"], by(salt) + u32(i) + by(am), w.reqid)
    return recv(w.sock)


def auth_message(user=USER):
    return ("n=%s,r=abc,r=abcdef,s=c2FsdA==,i=4096,c=biws,r=abcdef" % user).encode()


def test_submitd_gets_the_proof_and_no_one_else_does():
    with ScramKeyd() as k:
        s = k.worker(service="submitd", flags=SUBMIT, addr=None)
        for salt, i in ((b"salt", 4096), (os.urandom(16), 10000), (b"salt", 4096)):
            typ, _, f = ask(s, salt, i, auth_message())
            assert typ == T["KEY_SCRAM"], (f, k.log())
            assert (f[0], f[1]) == proof(PASSWORD, salt, i, auth_message())
        # submitd's channel signs no TLS handshake
        typ, _, f = sign(s, "default", 0x0403, cv_input())
        assert typ == ERROR and f[0] == ERR_DENIED, f
        for service, flags in (("imapd", 0), ("pushd", PUSH)):
            w = k.worker(service=service, flags=flags, addr=None)
            typ, _, f = ask(w, b"salt", 4096, auth_message())
            assert typ == ERROR and f[0] == ERR_DENIED, (service, f)
            assert k.wait_log(r"%s/\d+: key_scram_proof from %s; refused" %
                              (service, service)), k.log()
        assert k.alive()


def test_only_the_user_and_bounded_iterations():
    with ScramKeyd() as k:
        s = k.worker(service="submitd", flags=SUBMIT, addr=None)
        for salt, i, am in ((b"salt", 4095, auth_message()),
                            (b"salt", 100001, auth_message()),
                            (b"salt", 2 ** 31, auth_message()),
                            (b"", 4096, auth_message()),
                            (b"salt", 4096, auth_message("someone@else")),
                            (b"salt", 4096, b"n=" + USER.encode())):
            typ, _, f = ask(s, salt, i, am)
            assert typ == ERROR and f[0] == ERR_DENIED, (salt, i, am, f)
        assert ask(s, b"salt", 100000, auth_message())[0] == T["KEY_SCRAM"]
        assert k.alive()


def test_pbkdf2_runs_once_per_salt_and_four_new_salts_a_minute():
    with ScramKeyd() as k:
        s = k.worker(service="submitd", flags=SUBMIT, addr=None)
        salts = [os.urandom(16) for _ in range(5)]
        for salt in salts[:4]:
            assert ask(s, salt, 4096, auth_message())[0] == T["KEY_SCRAM"]
        typ, _, f = ask(s, salts[4], 4096, auth_message())
        assert typ == ERROR and f[0] == ERR_DENIED, f
        assert k.wait_log(r"submitd/\d+: key_scram_proof: more than 4 new salts"
                          r" in a minute; refused"), k.log()
        # a salt already derived costs no PBKDF2: still answered
        typ, _, f = ask(s, salts[1], 4096, auth_message())
        assert typ == T["KEY_SCRAM"] and f[0] == proof(PASSWORD, salts[1], 4096,
                                                       auth_message())[0]
