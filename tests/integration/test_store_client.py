"""The worker client library (store/store_client.h), every call, against a
live stored: store-client-check (C) drives it and checks each answer."""
import os
import subprocess

from harness import tool
from store_util import Store, s, ticket


def test_the_client_library_against_a_live_store():
    with Store() as st:
        st.admin().call("STORE_ADM_USER_CREATE", s("carol"))
        imap, lmtp, adm, watch = (st.connect("imapd"), st.connect("lmtpd"),
                                  st.admin(), st.connect("jmapd"))
        fds = [os.dup(c.sock.fileno()) for c in (imap, lmtp, adm, watch)]
        args = [tool("store-client-check"),
                str(fds[0]), ticket(st.key, "carol", "imapd", imap.instance).hex(),
                str(fds[1]), str(fds[2]),
                str(fds[3]), ticket(st.key, "carol", "jmapd", watch.instance).hex()]
        r = subprocess.run(args, pass_fds=fds, capture_output=True, text=True,
                           timeout=int(os.environ.get("CLIENT_TIMEOUT", "120")))
        for fd in fds:
            os.close(fd)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "0 failed" in r.stdout, r.stdout
