"""The IMAP import source against Dovecot and Cyrus, the servers users
come from: the peers that bench/peers starts on 127.0.0.1 (Debian's
dovecot-core with dovecot-imapd unpacked beside it, cyrus-imapd; user
bench). Messages with flags, keywords, dates, 8-bit bodies and UID gaps
go in over imaplib under a folder of this run's own; the import must hand
over the same UIDVALIDITY, UIDs, flags, keywords, dates and byte-identical
bodies, and a second run fetches nothing. Cyrus's admin logs in for bench
(AUTHENTICATE PLAIN with an authorization identity), and so does a master
user of a private Dovecot the test starts from the peers' configuration.

Skipped, with the reason, when the peers do not answer: `bench/peers up`
(as root) installs and starts them."""
import contextlib
import imaplib
import os
import re
import shutil
import subprocess
import time
import socket
import ssl
import tempfile

from harness import Skip
from test_import_imap import (CONTENT, compare, delimiter, fill, mutf7, q,
                              run_dump)

PEERS_DIR = os.environ.get("PEERS_DIR", "/tmp/cloister-peers")
CA = os.path.join(PEERS_DIR, "tls", "server.crt")
PEERS = {"dovecot": (3143, 3993), "cyrus": (2143, 2993)}
USER, PASSWORD = "bench", "bench-pass-1"


def peer(name):
    """An imaplib session as bench on the peer's imaps port, or Skip."""
    port = PEERS[name][1]
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        raise Skip("%s does not answer on 127.0.0.1:%d (bench/peers up)"
                   % (name, port))
    m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ssl.create_default_context(
        cafile=CA), timeout=60)
    m.login(USER, PASSWORD)
    return m


def remove_tree(m, top, delim):
    typ, data = m.list('""', q(top + delim + "*"))
    names = [top] + sorted((l.rsplit(b" ", 1)[1].decode().strip('"')
                            for l in data if l), key=len, reverse=True)
    for n in names[1:] + names[:1]:
        m.delete('"%s"' % n if not n.startswith('"') else n)


@contextlib.contextmanager
def filled(name, prefix):
    """The peer's session with CONTENT put in under a folder of this run's
    own, (session, separator, top, {folder: messages}); removed after."""
    m = peer(name)
    delim = delimiter(m)
    top = "%s-%d" % (prefix, os.getpid())
    content = {top + "/" + ("In" if k == "INBOX" else k): v
               for k, v in CONTENT.items()}
    try:
        fill(m, content, delim)
        yield m, delim, top, content
    finally:
        remove_tree(m, top, delim)
        m.logout()


def import_from(name, url_user, password, tls_port_kind=1):
    with filled(name, "import-test") as (m, delim, top, content):
        m.subscribe(q((top + "/Work").replace("/", delim)))
        with tempfile.TemporaryDirectory() as d:
            state = os.path.join(d, "state")
            scheme = "imaps" if tls_port_kind else "imap"
            url = "%s://%s@localhost:%d" % (scheme, url_user,
                                            PEERS[name][tls_port_kind])
            r, folders, msgs, done = run_dump(url, password, "--ca-file", CA,
                                              "--state", state)
            assert r.returncode == 0 and done["rc"] == 0, r.stderr
            mine = [f for f in folders if f.startswith(top + "/")]
            # the servers make the parents real folders too
            parents = {top + "/Projekte"}
            assert set(mine) - parents == set(content), (mine, sorted(folders))
            compare(m, mine, folders, msgs, delim)
            r, _f, msgs2, done2 = run_dump(url, password, "--ca-file", CA,
                                           "--state", state)
            assert r.returncode == 0, r.stderr
            assert sum(len(v) for v in msgs2.values()) == 0
            assert done2["present"] == done["messages"], (done, done2)


def test_import_from_dovecot():
    import_from("dovecot", USER, PASSWORD)


def test_import_from_dovecot_over_starttls():
    import_from("dovecot", USER, PASSWORD, tls_port_kind=0)


def test_import_from_cyrus():
    import_from("cyrus", USER, PASSWORD)


def test_import_from_cyrus_as_its_admin_for_bench():
    """bench*cyrus: Cyrus's admin authenticates and acts for bench."""
    path = os.path.join(PEERS_DIR, "cyrus", "admin-pass")
    if not os.path.exists(path):
        raise Skip("no Cyrus admin password in " + path)
    with open(path) as f:
        admin_pw = f.read().strip()
    import_from("cyrus", USER + "*cyrus", admin_pw, tls_port_kind=0)


def cloisterctl_from(name):
    """cloisterctl import of bench on the peer into a Cloister server's bob;
    this run's folders as imaplib sees them on both sides."""
    from imap_util import ImapServer, need_stored
    from test_import_imap import ctl_import, folder_view
    if not need_stored():
        return
    with filled(name, "import-ctl") as (m, delim, _top, content):
        with ImapServer({"bob": "builder"}) as dst:
            url = "imaps://%s@localhost:%d" % (USER, PEERS[name][1])
            r = ctl_import(dst, "bob", url, PASSWORD, "--ca-file", CA)
            assert r.returncode == 0, (r.stdout, r.stderr)
            t = dst.login("bob", kind="tls")
            tdelim = delimiter(t)
            for box in content:
                assert folder_view(t, box.replace("/", tdelim)) == \
                    folder_view(m, box.replace("/", delim)), box
            r = ctl_import(dst, "bob", url, PASSWORD, "--ca-file", CA)
            assert r.returncode == 0 and " 0 copied" in r.stdout, r.stdout
            t.logout()


def test_cloisterctl_imports_from_dovecot():
    cloisterctl_from("dovecot")


def test_cloisterctl_imports_from_cyrus():
    cloisterctl_from("cyrus")


def private_dovecot(d):
    """A Dovecot of this test's own beside the peers' (their config with
    its own directories, a free IMAPS port, a user file whose home is in
    d, and a master user "migrator"): (port, stop)."""
    from cloister_server import free_port
    conf = os.path.join(PEERS_DIR, "dovecot", "dovecot.conf")
    if not os.path.exists(conf):
        raise Skip("no %s (bench/peers up)" % conf)
    with open(conf) as f:
        text = f.read()
    port = free_port()
    for sub in ("run", "state", "log", "mail"):
        os.makedirs(os.path.join(d, sub))
    old = os.path.join(PEERS_DIR, "dovecot")
    text = re.sub(r"instance_name = .*", "instance_name = import-test-%d"
                  % os.getpid(), text)
    for key, sub in (("base_dir", "run"), ("state_dir", "state")):
        text = re.sub(r"%s = .*" % key, "%s = %s/%s" % (key, d, sub), text)
    text = re.sub(r"log_path = .*", "log_path = %s/log/dovecot.log" % d, text)
    text = text.replace(old + "/users", d + "/users")
    text = text.replace("port = 3993", "port = %d" % port)
    text = re.sub(r"port = (3143|3424)", lambda m: "port = %d" % free_port(),
                  text)
    text = text.replace("passdb {", "auth_master_user_separator = *\n"
                        "passdb {\n  driver = passwd-file\n  master = yes\n"
                        "  pass = yes\n  args = scheme=PLAIN %s/masters\n}\n"
                        "passdb {" % d, 1)
    with open(os.path.join(old, "users")) as f:
        line = f.read().split("\n")[0].split(":")
    line[5] = os.path.join(d, "mail", USER)
    os.makedirs(line[5])
    subprocess.run(["chown", "-R", "%s:%s" % (line[2], line[3]),
                    os.path.join(d, "mail")], check=True)
    with open(os.path.join(d, "users"), "w") as f:
        f.write(":".join(line) + "\n")
    with open(os.path.join(d, "masters"), "w") as f:
        f.write("migrator:{PLAIN}master-pass-1\n")
    for name in ("users", "masters"):
        subprocess.run(["chown", "root:dovecot", os.path.join(d, name)])
        os.chmod(os.path.join(d, name), 0o640)
    with open(os.path.join(d, "dovecot.conf"), "w") as f:
        f.write(text)
    # it forks into the background: its output to a file, not a pipe
    with open(os.path.join(d, "log", "start.log"), "w") as out:
        r = subprocess.run(["dovecot", "-c", os.path.join(d, "dovecot.conf")],
                           stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                           timeout=60)
    assert r.returncode == 0, open(os.path.join(d, "log", "start.log")).read()

    def stop():
        subprocess.run(["doveadm", "-c", os.path.join(d, "dovecot.conf"),
                        "stop"], capture_output=True, timeout=60)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return port, stop
        except OSError:
            time.sleep(0.1)
    stop()
    raise AssertionError("the private Dovecot does not answer")


def test_import_from_dovecot_as_its_master_user():
    """bench*migrator: Dovecot's master user migrator logs in for bench
    (AUTHENTICATE PLAIN, authzid bench) with its own password; a wrong one
    is refused."""
    if shutil.which("dovecot") is None:
        raise Skip("no dovecot (bench/peers up installs it)")
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        port, stop = private_dovecot(d)
        try:
            m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=
                                  ssl.create_default_context(cafile=CA),
                                  timeout=60)
            m.login(USER, PASSWORD)
            delim = delimiter(m)
            fill(m, {"Moved": CONTENT["INBOX"]}, delim)
            url = "imaps://%s*migrator@localhost:%d" % (USER, port)
            r, folders, msgs, _done = run_dump(url, "master-pass-1",
                                               "--ca-file", CA)
            assert r.returncode == 0, r.stderr
            compare(m, ["Moved"], folders, msgs, delim)
            r, folders, _m, _d = run_dump(url, PASSWORD, "--ca-file", CA)
            assert r.returncode == 1 and folders == {}, r.stderr
            m.logout()
        finally:
            stop()
