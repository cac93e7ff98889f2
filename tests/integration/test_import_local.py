"""The reader of a local source of cloisterctl import (a Maildir, an mbox)
never runs as root: a root-owned source is refused with what to do about
it, --reader-user names who reads it instead; an mbox is read through an
fd in an empty root, never among the files beside it; import-local.policy
under cloister-probe (every escape refused, with all layers and with the
filter alone) and cloister-audit. Sources are built with test_import's
functions."""
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time

from harness import ConfinedWorker, policy, run, tool
from imap_util import ImapServer, need_stored
from test_import import (MBOX, big_maildir, ctl, dovecot_maildir,
                         reader_of, status, summary, vmail_owns)


def root_maildir():
    """A Dovecot Maildir of root's that others may read (0755, 0644)."""
    src = tempfile.mkdtemp(prefix="cloister-maildir-")
    os.chmod(src, 0o755)
    dovecot_maildir(src)
    return src


def folders(m):
    typ, data = m.list()
    assert typ == "OK", data
    return [d.decode().rsplit(" ", 1)[1].strip('"') for d in data]


def test_a_root_owned_source_is_refused_and_says_what_to_do():
    need_stored()
    src = root_maildir()
    d = tempfile.mkdtemp(prefix="cloister-mbox-")
    path = os.path.join(d, "old.mbox")
    with open(path, "wb") as f:
        f.write(MBOX)
    try:
        with ImapServer() as srv:
            for source in (src, "maildir:" + src, path, "mbox:" + path):
                r = ctl(srv, "import", "alice", source, "--folder", "Old")
                assert r.returncode == 1, (source, r.stdout, r.stderr)
                assert "belongs to root" in r.stderr, r.stderr
                assert "never runs as root" in r.stderr, r.stderr
                assert "chown" in r.stderr and "--reader-user USER" in \
                    r.stderr, r.stderr
                assert "confined" not in r.stderr, r.stderr
            m = srv.login()
            assert not any(f.startswith("Old") for f in folders(m)), folders(m)
            m.logout()
            # nor does --reader-user name root, by name or by a uid-0 alias
            r = ctl(srv, "import", "alice", src, "--reader-user", "root")
            assert r.returncode == 1, (r.stdout, r.stderr)
            assert "--reader-user root: the reader of a source never runs" \
                " as root" in r.stderr, r.stderr
            r = ctl(srv, "import", "alice", src, "--reader-user",
                    "no-such-user-here")
            assert r.returncode == 64 and "no such user" in r.stderr, r.stderr
            r = ctl(srv, "import", "alice", "imaps://a@127.0.0.1:1",
                    "--reader-user", "nobody")
            assert r.returncode == 64 and "--reader-user is for a Maildir" \
                in r.stderr, r.stderr
    finally:
        shutil.rmtree(src)
        shutil.rmtree(d)


def test_reader_user_reads_a_root_owned_source_as_that_user():
    """A root-owned Maildir others may read goes in as --reader-user; its
    reader runs as that user, chrooted in it. A root-owned mbox of 0600
    goes in too: it is opened before confinement and read through the
    fd."""
    need_stored()
    src = root_maildir()
    big = tempfile.mkdtemp(prefix="cloister-maildir-")
    os.chmod(big, 0o755)
    big_maildir(big, 1500)
    d = tempfile.mkdtemp(prefix="cloister-mbox-")
    path = os.path.join(d, "old.mbox")
    with open(path, "wb") as f:
        f.write(MBOX)
    os.chmod(path, 0o600)
    nobody = pwd.getpwnam("nobody")
    try:
        with ImapServer() as srv:
            r = ctl(srv, "import", "alice", src, "--reader-user", "nobody")
            assert r.returncode == 0, (r.stdout, r.stderr)
            assert summary(r)[:3] == (5, 7, 0), r.stdout
            r = ctl(srv, "import", "alice", "mbox:" + path, "--folder", "Old",
                    "--reader-user", "nobody")
            assert r.returncode == 0, (r.stdout, r.stderr)
            assert summary(r)[:3] == (1, 3, 0), r.stdout
            p = subprocess.Popen([tool("cloisterctl"), "-c",
                                  srv.srv.config_path, "import", "alice", big,
                                  "--folder", "Big", "--reader-user", "nobody"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            child, st = reader_of(p, time.monotonic() + 30)
            root = os.readlink("/proc/%d/root" % child)
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
            assert st["Uid"].split() == [str(nobody.pw_uid)] * 4, st["Uid"]
            assert st["Gid"].split() == [str(nobody.pw_gid)] * 4, st["Gid"]
            assert root == big, root
            m = srv.login()
            assert status(m, "Old")[2] == 3 and status(m, "Big")[2] == 1500
            m.logout()
    finally:
        for t in (src, big, d):
            shutil.rmtree(t)


def test_an_mbox_is_read_in_an_empty_root_not_among_its_neighbours():
    """/var/mail holds every user's mbox in one directory: the reader of
    one, as its owner, is not chrooted there but in the policy's empty
    root, where Landlock opens nothing; it reads the fd it was given."""
    need_stored()
    d = tempfile.mkdtemp(prefix="cloister-spool-")
    os.chmod(d, 0o755)
    path = os.path.join(d, "vmail")
    with open(path, "wb") as f:
        for i in range(3000):
            f.write(b"From a@example.net Tue Nov 14 10:00:00 2023\n"
                    b"From: a@example.net\nSubject: m%d\n\n%s\n\n"
                    % (i, b"x" * 400))
    vmail_owns(path)
    try:
        with ImapServer() as srv:
            p = subprocess.Popen([tool("cloisterctl"), "-c",
                                  srv.srv.config_path, "import", "alice", path,
                                  "--folder", "Spool"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
            child, st = reader_of(p, time.monotonic() + 30)
            root = os.readlink("/proc/%d/root" % child)
            fds = [os.readlink("/proc/%d/fd/%s" % (child, n))
                   for n in os.listdir("/proc/%d/fd" % child)]
            out, err = p.communicate(timeout=300)
            assert p.returncode == 0, err
            assert re.search(r"1 folders, 3000 copied, 0 skipped", out), out
            assert root == "/var/lib/cloister/root/imapd", root
            assert st["Uid"].split()[0] == str(pwd.getpwnam("vmail").pw_uid)
            assert not any(f.startswith(d) and f != path for f in fds), fds
    finally:
        shutil.rmtree(d)


def test_a_maildir_of_another_user_or_writable_by_others_is_refused():
    """The reader may be chrooted in a Maildir that is root's or its own,
    never in one another user owns or others may write (it could be
    changed under it)."""
    need_stored()
    src = vmail_owns(tempfile.mkdtemp(prefix="cloister-maildir-"))
    dovecot_maildir(src)
    try:
        with ImapServer() as srv:
            r = ctl(srv, "import", "alice", src, "--reader-user", "nobody")
            assert r.returncode == 1, (r.stdout, r.stderr)
            want = "the Maildir the reader is shut in must be root's or the" \
                " reader's (uid %d) and not writable by group or others"
            assert want % pwd.getpwnam("nobody").pw_uid in r.stderr, r.stderr
            os.chmod(src, 0o770)
            r = ctl(srv, "import", "alice", src)
            assert r.returncode == 1, (r.stdout, r.stderr)
            assert want % pwd.getpwnam("vmail").pw_uid in r.stderr, r.stderr
            m = srv.login()
            assert status(m, "INBOX")[2] == 0
            m.logout()
    finally:
        shutil.rmtree(src)


def test_a_source_that_is_a_symbolic_link_is_refused():
    """A user who shapes the path (a link from the Maildir or mbox of hers
    being imported to another user's spool) would have the reader run as
    that spool's owner and import it into her account: the source is
    opened without following a link, its owner read from what was
    opened."""
    need_stored()
    other = vmail_owns(tempfile.mkdtemp(prefix="cloister-maildir-"))
    dovecot_maildir(other)
    with open(os.path.join(other, "mbox"), "wb") as f:
        f.write(MBOX)
    vmail_owns(other)
    d = tempfile.mkdtemp(prefix="cloister-links-")
    os.chmod(d, 0o755)
    os.symlink(other, os.path.join(d, "Maildir"))
    os.symlink(os.path.join(other, "mbox"), os.path.join(d, "mbox"))
    try:
        with ImapServer() as srv:
            for source in ("maildir:" + os.path.join(d, "Maildir"),
                           "mbox:" + os.path.join(d, "mbox")):
                r = ctl(srv, "import", "alice", source)
                assert r.returncode == 1, (source, r.stdout, r.stderr)
                assert "is a symbolic link: name what it points to" in \
                    r.stderr, r.stderr
            m = srv.login()
            assert status(m, "INBOX")[2] == 0 and status(m, "Sent")[2] == 0
            assert "Lists" not in folders(m), folders(m)
            m.logout()
    finally:
        shutil.rmtree(other)
        shutil.rmtree(d)


# ---- import-local.policy under the probe and the audit ----------------------

def probe_verdicts(*opts):
    """cloister-probe under import-local.policy: its exit code and
    {attempt: "refused" | "ALLOWED" | "error"}."""
    r = run([tool("cloister-probe")] + list(opts) + [policy("import-local")],
            timeout=120)
    found = re.findall(r"^(\S.*?)\s+(refused|ALLOWED|error)$",
                       r.stdout + r.stderr, flags=re.M)
    return r.returncode, dict(found)


def test_probe_refuses_every_escape_under_the_local_import_policy():
    """cloister-probe plays the reader taken over by a hostile source:
    every escape refused, with all layers and with the seccomp filter
    alone; with the filter weakened, Landlock and the empty network
    namespace still refuse theirs."""
    for opts, least in (((), 38), (("--without", "netns,landlock"), 38),
                        (("--second-layer",), 4)):
        rc, verdicts = probe_verdicts(*opts)
        assert len(verdicts) >= least, (opts, verdicts)
        assert rc == 0 and set(verdicts.values()) == {"refused"}, \
            (opts, {a: v for a, v in verdicts.items() if v != "refused"})


def test_audit_passes_on_a_process_under_the_local_import_policy():
    with ConfinedWorker(policy("import-local")) as w:
        r = run([tool("cloister-audit"), "-d", os.path.dirname(
            policy("import-local")), "%d:import-local" % w.pid])
        assert r.returncode == 0, r.stdout + r.stderr
        assert "1 processes audited, 0 drifts" in r.stdout, r.stdout
