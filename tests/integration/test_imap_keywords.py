"""imapd's keyword table: FETCH formats FLAGS with the table the store
client keeps, asks the store for it again only when a message carries a
keyword the table lacks, and so costs one store round trip (STORE_FETCH)
when nothing new appeared. Runs a real cloisterd with authd, stored and
imapd (imap_util.ImapServer)."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from imap_util import ImapServer, need_stored

USERS = {"alice": "wonderland"}

MSG = (b"From: Ann <ann@example.org>\r\nTo: alice@example.org\r\n"
       b"Subject: keywords\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n"
       b"Message-ID: <kw@example.org>\r\n\r\nbody\r\n")


def tagged(out, tag):
    return out[-1] is not None and out[-1].startswith(tag.encode() + b" OK")


def flags_of(out):
    """The FLAGS list of the '* 1 FETCH' lines, as sets of names
    (\\Recent left out: it depends on who selected first)."""
    found = []
    for ln in out[:-1]:
        m = ln is not None and re.search(rb"^\* 1 FETCH \(.*FLAGS \(([^)]*)\)", ln)
        if m:
            found.append(set(m.group(1).decode().split()) - {"\\Recent"})
    return found


def announced_first(out, kw):
    """Every FETCH line naming kw comes after a '* FLAGS' line naming it
    (a client must have seen a keyword in FLAGS first, RFC 9051 7.3.5)."""
    seen = False
    for ln in out[:-1]:
        names = re.findall(rb"[^\s()]+", ln or b"")
        if ln is not None and ln.startswith(b"* FLAGS (") and \
                kw.encode() in names:
            seen = True
        elif b" FETCH (" in (ln or b"") and kw.encode() in names and not seen:
            return False
    return True


def test_fetch_names_a_keyword_another_session_made():
    if not need_stored():
        return
    with ImapServer(users=USERS) as srv:
        a = srv.raw_login()
        b = srv.raw_login()
        b.send(b"b1 APPEND INBOX {%d+}\r\n" % len(MSG) + MSG + b"\r\n")
        assert tagged(b.until_tagged("b1"), "b1")
        assert tagged(a.cmd("a1", "SELECT INBOX"), "a1")
        assert tagged(b.cmd("b2", "SELECT INBOX"), "b2")
        out = a.cmd("a2", "FETCH 1 (FLAGS)")
        assert tagged(out, "a2") and flags_of(out) == [set()], out
        # a holds a table without the new keyword and has read nothing
        # from the store since: its FETCH meets an unknown bit
        assert tagged(b.cmd("b3", "STORE 1 +FLAGS.SILENT ($Cached1)"), "b3")
        out = a.cmd("a3", "FETCH 1 (FLAGS)")
        assert tagged(out, "a3") and {"$Cached1"} in flags_of(out), out
        assert all(f <= {"$Cached1"} for f in flags_of(out)), out
        assert announced_first(out, "$Cached1"), out
        # two at once, streamed with other items
        assert tagged(b.cmd("b4", "STORE 1 +FLAGS.SILENT ($Cached2 $Cached3)"),
                      "b4")
        out = a.cmd("a4", "FETCH 1:* (UID RFC822.SIZE FLAGS)")
        assert tagged(out, "a4"), out
        assert {"$Cached1", "$Cached2", "$Cached3"} in flags_of(out), out
        assert announced_first(out, "$Cached3"), out
        # body mode (metadata in batches, then the bodies)
        assert tagged(b.cmd("b5", "STORE 1 +FLAGS.SILENT ($Cached4)"), "b5")
        out = a.cmd("a5", "FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert tagged(out, "a5"), out
        assert any("$Cached4" in f for f in flags_of(out)), out
        assert announced_first(out, "$Cached4"), out
        a.close()
        b.close()


def sendmsg_calls(pids, action, call="sendmsg", match=None):
    """sendmsg(2) calls (store requests: the IMAP socket is written with
    write) the processes make while action runs, counted with strace (or
    the calls of another system call named by call; with match, only the
    calls whose line, with the first 4 bytes of each buffer in \\x hex,
    the regular expression matches)."""
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "trace")
        args = ["strace", "-f", "-qq", "-xx", "-s", "4", "-e",
                "trace=" + call, "-o", log]
        for p in pids:
            args += ["-p", str(p)]
        tr = subprocess.Popen(args, stderr=subprocess.DEVNULL)
        time.sleep(1.0)          # attached (strace has no ready signal)
        action()
        time.sleep(0.3)
        tr.send_signal(signal.SIGINT)
        tr.wait(timeout=10)
        with open(log) as f:
            return sum(1 for ln in f if call + "(" in ln and
                       (match is None or re.search(match, ln)))


def can_count():
    if not need_stored():
        return False
    if shutil.which("strace") is None or os.geteuid() != 0:
        print("  (no strace or not root: round trips not counted)")
        return False
    return True


def selected_with_known(srv):
    """A session with one message carrying $Known in INBOX, selected."""
    a = srv.raw_login()
    a.send(b"a0 APPEND INBOX ($Known) {%d+}\r\n" % len(MSG) + MSG + b"\r\n")
    assert tagged(a.until_tagged("a0"), "a0")
    assert tagged(a.cmd("a1", "SELECT INBOX"), "a1")
    return a


def test_fetch_costs_one_store_round_trip():
    if not can_count():
        return
    with ImapServer(users=USERS) as srv:
        a = selected_with_known(srv)
        assert tagged(a.cmd("a2", "FETCH 1 (FLAGS)"), "a2")
        outs = []
        n = sendmsg_calls(srv.imapd_pids(),
                          lambda: outs.append(a.cmd("a3", "FETCH 1 (FLAGS)")))
        assert tagged(outs[0], "a3") and flags_of(outs[0]) == [{"$Known"}], outs
        assert n == 1, "FETCH FLAGS made %d store requests, not 1" % n
        a.close()


def test_store_and_sync_use_the_cached_table():
    """STORE and the sync after another session's change ask the store for
    the keyword table only when a keyword is new to it: STORE of known
    flags is STORE_FLAGS + STORE_FETCH, NOOP after another session's flag
    change is STORE_CHANGES alone; a new keyword still reaches the client,
    in FLAGS first."""
    if not can_count():
        return
    with ImapServer(users=USERS) as srv:
        a = selected_with_known(srv)
        b = srv.raw_login()
        assert tagged(b.cmd("b1", "SELECT INBOX"), "b1")
        outs = []
        n = sendmsg_calls(srv.imapd_pids(), lambda: outs.append(
            a.cmd("a2", "STORE 1 +FLAGS (\\Flagged $Known)")))
        assert tagged(outs[0], "a2") and \
            flags_of(outs[0]) == [{"\\Flagged", "$Known"}], outs
        assert n == 2, "STORE made %d store requests, not 2" % n
        assert tagged(b.cmd("b2", "STORE 1 -FLAGS.SILENT (\\Flagged)"), "b2")
        time.sleep(0.2)          # the notification reaches a's imapd
        outs = []
        n = sendmsg_calls(srv.imapd_pids(),
                          lambda: outs.append(a.cmd("a3", "NOOP")))
        assert tagged(outs[0], "a3") and flags_of(outs[0]) == [{"$Known"}], \
            outs
        assert n == 1, "NOOP sync made %d store requests, not 1" % n
        # a keyword new to a's table: asked for, announced, then shown
        assert tagged(b.cmd("b3", "STORE 1 +FLAGS.SILENT ($Fresh)"), "b3")
        time.sleep(0.2)
        out = a.cmd("a4", "NOOP")
        assert tagged(out, "a4") and {"$Known", "$Fresh"} in flags_of(out), out
        assert announced_first(out, "$Fresh"), out
        out = b.cmd("b4", "STORE 1 +FLAGS ($Newer)")
        assert tagged(out, "b4") and announced_first(out, "$Newer"), out
        assert {"$Known", "$Fresh", "$Newer"} in flags_of(out), out
        a.close()
        b.close()
