"""Debian's sieve-connect, a real ManageSieve client, against
cloister-managesieved under cloisterd: STARTTLS and SASL PLAIN as it does
them, CHECKSCRIPT of a bad script (the error names line and column), then
upload, list, activate, download and delete."""
import atexit
import os
import shutil
import subprocess
import tempfile

from harness import Skip
from imap_util import have_stored
from managesieve_util import SieveServer

GOOD = 'require ["fileinto", "vacation"];\nif address :is "from" "boss@example.org" {\n  fileinto "Boss";\n}\n'
BAD = 'require "fileinto";\nif true {\n  fileinto;\n}\n'

_SRV = None


def server():
    global _SRV
    if _SRV is None:
        _SRV = SieveServer().start()
        atexit.register(_SRV.close)
    return _SRV


def sieve_connect(srv, user, *args, listener="sieve"):
    """Run sieve-connect with the password on a pipe; (rc, stdout+stderr)."""
    if shutil.which("sieve-connect") is None:
        raise Skip("sieve-connect is not installed (scripts/install-deps --test)")
    r, w = os.pipe()
    os.write(w, srv.users[user].encode() + b"\n")
    os.close(w)
    try:
        p = subprocess.run(
            ["sieve-connect", "--server", "127.0.0.1", "--port",
             str(srv.port(listener)), "--user", user, "--passwordfd", str(r),
             "--notlsverify", "--authmech", "PLAIN"] + list(args),
            capture_output=True, text=True, timeout=60, pass_fds=(r,))
    finally:
        os.close(r)
    return p.returncode, p.stdout + p.stderr


def script_file(text):
    d = tempfile.mkdtemp(prefix="cloister-sieve-")
    path = os.path.join(d, "s.sieve")
    with open(path, "w") as f:
        f.write(text)
    return path


def test_checkscript_names_line_and_column_of_the_error():
    srv = server()
    rc, out = sieve_connect(srv, "alice", "--checkscript", "--localsieve",
                            script_file(BAD))
    assert rc != 0 and "line 3, column" in out, (rc, out)
    rc, out = sieve_connect(srv, "alice", "--checkscript", "--localsieve",
                            script_file(GOOD))
    assert rc == 0, (rc, out)


def test_wrong_password_is_refused():
    srv = server()
    saved = srv.users["alice"]
    srv.users["alice"] = "not-the-password"
    try:
        rc, out = sieve_connect(srv, "alice", "--list")
    finally:
        srv.users["alice"] = saved
    assert rc != 0, out


def need_scripts(srv):
    if not have_stored():
        raise Skip("cloister-stored is not built in this tree")
    rc, out = sieve_connect(srv, "alice", "--list")
    if rc != 0 or "TRYLATER" in out:
        raise Skip("the store does not serve Sieve scripts: " + out.strip())


def test_upload_list_activate_download_delete():
    srv = server()
    need_scripts(srv)
    src = script_file(GOOD)
    rc, out = sieve_connect(srv, "alice", "--upload", "--localsieve", src,
                            "--remotesieve", "filters")
    assert rc == 0, out
    rc, out = sieve_connect(srv, "alice", "--upload", "--localsieve",
                            script_file(BAD), "--remotesieve", "broken")
    assert rc != 0 and "line 3" in out, out
    rc, out = sieve_connect(srv, "alice", "--activate", "--remotesieve",
                            "filters")
    assert rc == 0, out
    rc, out = sieve_connect(srv, "alice", "--list")
    assert rc == 0 and "filters" in out and "broken" not in out, out
    assert any("filters" in l and ("active" in l.lower() or "*" in l)
               for l in out.splitlines()), out
    dst = os.path.join(os.path.dirname(src), "back.sieve")
    rc, out = sieve_connect(srv, "alice", "--download", "--remotesieve",
                            "filters", "--localsieve", dst)
    assert rc == 0, out
    with open(dst) as f:
        assert f.read() == GOOD
    # bob sees none of alice's scripts
    rc, out = sieve_connect(srv, "bob", "--list")
    assert rc == 0 and "filters" not in out, out
    rc, out = sieve_connect(srv, "alice", "--deactivate")
    assert rc == 0, out
    rc, out = sieve_connect(srv, "alice", "--delete", "--remotesieve",
                            "filters")
    assert rc == 0, out
    rc, out = sieve_connect(srv, "alice", "--list")
    assert rc == 0 and "filters" not in out, out
