"""cloisterctl: users in sasldb2 (checked by logging in through a real
authd, and with sasldblistusers2), and the store admin commands against a
stand-in of stored's admin channel (auth_util.FakeStoreAdmin) until stored
lands."""
import grp
import os
import pwd
import re
import shutil
import stat
import subprocess
import time

import auth_util as au
from auth_util import AUTH_SUCCESS, FAIL_CREDENTIALS, REALM, Authd
from harness import run, tool


def ctl(a, *args, password=None, store=True, timeout=60, **kw):
    argv = [tool("cloisterctl"), "-c", a.config] + ([] if store else ["--no-store"])
    return subprocess.run(argv + list(args), input=password, capture_output=True,
                          text=True, timeout=timeout, **kw)


def login_ok(a, user, password, scram=True):
    r = a.worker().plain(user, password)
    if r[0] != AUTH_SUCCESS:
        return False
    if scram:
        r, sc = a.worker().scram("sha256", "SCRAM-SHA-256", user, password)
        return r[0] == AUTH_SUCCESS and sc.check_server_final(r[2][3])
    return True


def sasldb_users(a):
    r = run(["sasldblistusers2", "-f", a.sasldb])
    return sorted(set(re.findall(r"^(\S+): (\S+)$", r.stdout, re.M)))


def test_help_usage_and_exit_codes():
    a = Authd({})
    try:
        r = ctl(a, "--help")
        assert r.returncode == 0
        for cmd in ("user add USER", "user passwd USER", "user del USER", "user list",
                    "mailbox create USER NAME [--special-use", "mailbox delete",
                    "mailbox rename USER OLD NEW", "mailbox list USER", "quota get USER",
                    "quota set USER [--storage N] [--messages N]",
                    "freeze --timeout S -- COMMAND"):
            assert cmd in r.stdout, cmd
        assert ctl(a, "user", "add", "--help").stdout.startswith("usage: cloisterctl user add USER")
        for args in ((), ("frobnicate",), ("user",), ("user", "add"), ("user", "add", "a", "b"),
                     ("quota", "set", "alice"), ("quota", "set", "alice", "--storage", "lots"),
                     ("freeze", "--", "true"), ("freeze", "--timeout", "0", "--", "true"),
                     ("mailbox", "create", "alice", "X", "--special-use", "\\Bogus")):
            r = ctl(a, *args)
            assert r.returncode == 64, (args, r.returncode, r.stderr)
        # a missing config is a config error, named
        r = subprocess.run([tool("cloisterctl"), "-c", "/nonexistent.conf", "user", "list"],
                           capture_output=True, text=True)
        assert r.returncode == 78 and "/nonexistent.conf" in r.stderr, r.stderr
        # root only
        nobody = pwd.getpwnam("nobody")

        def drop():
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
        r = subprocess.run([tool("cloisterctl"), "-c", a.config, "user", "list"],
                           capture_output=True, text=True, preexec_fn=drop)
        assert r.returncode == 77 and "root" in r.stderr, r.stderr
    finally:
        a.stop()


def test_user_add_passwd_del_in_sasldb_with_real_logins():
    with Authd({}) as a:
        r = ctl(a, "user", "add", "alice", password="s3cret\n", store=False)
        assert r.returncode == 0, r.stderr
        st = os.stat(a.sasldb)
        assert st.st_uid == 0 and st.st_gid == grp.getgrnam("cloister-auth").gr_gid
        assert stat.S_IMODE(st.st_mode) == 0o640, oct(st.st_mode)
        # the plaintext entry and the SCRAM secrets, as saslpasswd2 with
        # scram_secret_generate writes them
        assert ("alice@" + REALM, "userPassword") in sasldb_users(a), sasldb_users(a)
        assert ("alice@" + REALM, "authPassword") in sasldb_users(a), sasldb_users(a)
        assert login_ok(a, "alice", "s3cret")

        r = ctl(a, "user", "add", "alice", password="other\n", store=False)
        assert r.returncode == 1 and "exists" in r.stderr, r.stderr
        r = ctl(a, "user", "add", "alice@" + REALM, password="other\n", store=False)
        assert r.returncode == 1 and "exists" in r.stderr, r.stderr
        assert login_ok(a, "alice", "s3cret")

        # another domain keeps its domain
        assert ctl(a, "user", "add", "carol@example.org", password="c4r0l\n",
                   store=False).returncode == 0
        assert login_ok(a, "carol@example.org", "c4r0l")
        assert ctl(a, "user", "list", store=False).stdout == "alice\ncarol@example.org\n"

        # new password: takes effect at once, the old one is gone
        r = ctl(a, "user", "passwd", "alice", password="n3w pass phrase\r\n", store=False)
        assert r.returncode == 0, r.stderr
        assert login_ok(a, "alice", "n3w pass phrase")
        assert a.worker().plain("alice", "s3cret")[2][0] == FAIL_CREDENTIALS
        assert ctl(a, "user", "passwd", "bob", password="x\n", store=False).returncode == 1

        # bad input
        for bad in ("a b", "a/b", "x@", "@x"):
            r = ctl(a, "user", "add", bad, password="x\n", store=False)
            assert r.returncode == 1 and "not a valid user name" in r.stderr, (bad, r.stderr)
        r = ctl(a, "user", "add", "dave", password="", store=False)
        assert r.returncode == 64 and "no password" in r.stderr
        r = ctl(a, "user", "add", "dave", password="x" * 2000 + "\n", store=False)
        assert r.returncode == 64 and "longer" in r.stderr
        assert "dave" not in ctl(a, "user", "list", store=False).stdout

        r = ctl(a, "user", "del", "alice", store=False)
        assert r.returncode == 0, r.stderr
        assert a.worker().plain("alice", "n3w pass phrase")[2][0] == FAIL_CREDENTIALS
        assert not any(u.startswith("alice@") for u, _ in sasldb_users(a)), sasldb_users(a)
        assert ctl(a, "user", "del", "alice", store=False).returncode == 1
        assert ctl(a, "user", "list", store=False).stdout == "carol@example.org\n"


def test_store_unreachable_leaves_the_password_database_alone():
    with Authd({}) as a:
        r = ctl(a, "user", "add", "bob", password="b\n")
        assert r.returncode == 69 and "store-admin.0.sock" in r.stderr, r.stderr
        assert not os.path.exists(a.sasldb) or not sasldb_users(a)
        assert ctl(a, "user", "list").returncode == 69


def test_user_commands_with_the_store():
    with Authd({}) as a:
        store = au.FakeStoreAdmin(a.state)
        try:
            r = ctl(a, "user", "add", "alice", password="s3cret\n")
            assert r.returncode == 0, r.stderr
            assert ("user_create", ["alice"]) in store.log
            assert login_ok(a, "alice", "s3cret")
            # a store that already has the user keeps it (mail survives)
            store.users["bob"] = {"boxes": {"INBOX": 0}, "quota": [5, 0, 1, 0]}
            r = ctl(a, "user", "add", "bob", password="b\n")
            assert r.returncode == 0 and "keeping its mail" in r.stderr, r.stderr
            out = ctl(a, "user", "list")
            assert out.returncode == 0, out.stderr
            assert out.stdout == "alice\tok\t0\t0\t0\t0\nbob\tok\t5\t0\t1\t0\n", out.stdout
            # a store user without a password is shown as such
            store.users["zed"] = {"boxes": {}, "quota": [0, 0, 0, 0]}
            assert "zed\tno-password\t" in ctl(a, "user", "list").stdout
            # del removes both; the store's NOTFOUND for a password-only user is fine
            assert ctl(a, "user", "del", "alice").returncode == 0
            assert "alice" not in store.users and not login_ok(a, "alice", "s3cret", False)
            assert ctl(a, "user", "del", "zed").returncode == 0
            assert ctl(a, "user", "del", "nobody").returncode == 1
        finally:
            store.close()


def test_user_add_is_undone_in_the_store_if_the_password_cannot_be_written():
    with Authd({"keep": "k33p"}) as a:
        store = au.FakeStoreAdmin(a.state)
        before = open(a.sasldb, "rb").read()
        # the work file cloisterctl builds the new database in cannot be made
        work = os.path.join(a.root, ".sasldb2.new")
        os.mkdir(work)
        os.mknod(os.path.join(work, "x"))
        try:
            r = ctl(a, "user", "add", "erin", password="e\n")
            assert r.returncode == 74 and ".sasldb2.new" in r.stderr, (r.returncode, r.stderr)
            assert ("user_create", ["erin"]) in store.log, store.log
            assert ("user_delete", ["erin"]) in store.log, store.log
            assert "erin" not in store.users
            # a store user that existed before is never removed by a failed add
            store.users["fred"] = {"boxes": {"INBOX": 0}, "quota": [9, 0, 1, 0]}
            r = ctl(a, "user", "add", "fred", password="f\n")
            assert r.returncode == 74 and "fred" in store.users, store.log
            # and the database is as it was
            assert open(a.sasldb, "rb").read() == before
            assert login_ok(a, "keep", "k33p")
        finally:
            store.close()
            shutil.rmtree(work)


def test_changes_replace_the_database_whole():
    """authd reads sasldb2 per lookup while cloisterctl writes: every
    change is a new file renamed into place (never an in-place write)."""
    with Authd({"keep": "k33p"}) as a:
        inode = os.stat(a.sasldb).st_ino
        assert ctl(a, "user", "add", "gina", password="g\n", store=False).returncode == 0
        assert os.stat(a.sasldb).st_ino != inode
        assert not os.path.exists(os.path.join(a.root, ".sasldb2.new"))
        assert login_ok(a, "gina", "g") and login_ok(a, "keep", "k33p")


def test_mailbox_and_quota_commands():
    with Authd({}) as a:
        store = au.FakeStoreAdmin(a.state)
        try:
            assert ctl(a, "user", "add", "alice", password="x\n").returncode == 0
            r = ctl(a, "mailbox", "create", "alice", "Lists/cloister", "--special-use",
                    "\\Archive", "--special-use", "Flagged")
            assert r.returncode == 0, r.stderr
            assert ("mbox_create", ["alice", "Lists/cloister", 1 | 64]) in store.log
            r = ctl(a, "mailbox", "create", "alice", "Sent")
            assert r.returncode == 1 and "already exists: mailbox exists" in r.stderr
            assert ctl(a, "mailbox", "rename", "alice", "Lists/cloister", "Old").returncode == 0
            assert ctl(a, "mailbox", "delete", "alice", "Nope").returncode == 1
            out = ctl(a, "mailbox", "list", "alice").stdout.splitlines()
            assert "INBOX\t-\t0\t0" in out and "Sent\t\\Sent\t2\t200" in out, out
            assert any(l.startswith("Old\t") for l in out)
            assert ctl(a, "mailbox", "delete", "alice", "Old").returncode == 0
            assert ctl(a, "mailbox", "list", "nobody").returncode == 1

            r = ctl(a, "quota", "set", "alice", "--storage", "2G")
            assert r.returncode == 0, r.stderr
            r = ctl(a, "quota", "set", "alice", "--messages", "1000")
            assert r.returncode == 0, r.stderr
            assert ctl(a, "quota", "get", "alice").stdout == \
                "storage\t0\t2147483648\nmessages\t0\t1000\n"
            ctl(a, "quota", "set", "alice", "--storage", "none")
            assert ctl(a, "quota", "get", "alice").stdout == \
                "storage\t0\tnone\nmessages\t0\t1000\n"
            assert ctl(a, "quota", "get", "nobody").returncode == 1
        finally:
            store.close()


def test_freeze_runs_the_command_and_reports_an_early_release():
    with Authd({}) as a:
        store = au.FakeStoreAdmin(a.state)
        try:
            r = ctl(a, "freeze", "--timeout", "30", "--", "sh", "-c", "exit 3")
            assert r.returncode == 3, r.stderr
            ops = [op for op, _ in store.log]
            assert ops == ["freeze", "thaw"], store.log
            assert store.log[0] == ("freeze", [30])
            assert not store.frozen
            r = ctl(a, "freeze", "--timeout", "5", "--", "true")
            assert r.returncode == 0
            # the store's freeze ran out before the command ended
            store.thaw_timed_out = True
            r = ctl(a, "freeze", "--timeout", "5", "--", "true")
            assert r.returncode == 75 and "may be inconsistent" in r.stderr, r.stderr
            r = ctl(a, "freeze", "--timeout", "5", "--", "/nonexistent/cmd")
            assert r.returncode == 75      # early release wins over 127
        finally:
            store.close()
        # no store: nothing runs
        mark = os.path.join(a.state, "ran")
        r = ctl(a, "freeze", "--timeout", "5", "--", "touch", mark)
        assert r.returncode == 69 and not os.path.exists(mark)


def test_against_the_real_store():
    """cloisterctl with cloister-stored (store_util.Store) behind an admin
    socket relayed as the supervisor does, and authd for the logins."""
    from store_util import Store
    with Authd({}) as a, Store() as st:
        relay = au.AdminRelay(a.state, st)
        try:
            r = ctl(a, "user", "add", "alice", password="s3cret\n")
            assert r.returncode == 0, r.stderr + st.log_text()[-2000:]
            assert login_ok(a, "alice", "s3cret")
            boxes = ctl(a, "mailbox", "list", "alice").stdout.splitlines()
            names = {l.split("\t")[0]: l.split("\t")[1] for l in boxes}
            assert names == {"INBOX": "-", "Drafts": "\\Drafts", "Sent": "\\Sent",
                             "Junk": "\\Junk", "Trash": "\\Trash",
                             "Archive": "\\Archive"}, boxes
            assert ctl(a, "user", "add", "alice", password="x\n").returncode == 1
            assert ctl(a, "mailbox", "create", "alice", "Lists", "--special-use",
                       "\\Flagged").returncode == 0
            r = ctl(a, "mailbox", "create", "alice", "Lists")
            assert r.returncode == 1 and "already exists" in r.stderr, r.stderr
            assert ctl(a, "mailbox", "rename", "alice", "Lists", "Old").returncode == 0
            out = ctl(a, "mailbox", "list", "alice").stdout
            assert "Old\t\\Flagged\t0\t0" in out and "Lists\t" not in out, out
            assert ctl(a, "mailbox", "delete", "alice", "Old").returncode == 0
            assert ctl(a, "mailbox", "delete", "alice", "Old").returncode == 1

            assert ctl(a, "quota", "set", "alice", "--storage", "10M",
                       "--messages", "500").returncode == 0
            assert ctl(a, "quota", "get", "alice").stdout == \
                "storage\t0\t10485760\nmessages\t0\t500\n"
            assert ctl(a, "user", "list").stdout == "alice\tok\t0\t10485760\t0\t500\n"

            r = ctl(a, "freeze", "--timeout", "30", "--", "sh", "-c", "exit 0")
            assert r.returncode == 0, r.stderr
            # the store's timeout releases the shard before the command ends
            r = ctl(a, "freeze", "--timeout", "1", "--", "sleep", "2.5")
            assert r.returncode == 75 and "may be inconsistent" in r.stderr, \
                (r.returncode, r.stderr)

            assert ctl(a, "user", "del", "alice").returncode == 0
            assert ctl(a, "mailbox", "list", "alice").returncode == 1
            assert ctl(a, "user", "list").stdout == ""
        finally:
            relay.close()
