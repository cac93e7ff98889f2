"""Snooze (Cyrus's JMAP mail extension, docs/jmap.md "Snooze") end to
end: a JMAP client moves an email into the \\Snoozed mailbox and sets
`snoozed`; stored wakes it at `until` (never before, within a second
after), moving it back through MOVE, which an IMAP session selected on
INBOX sees as EXISTS; the snooze's keywords are applied and `snoozed`
is null. A snooze survives kill -9 of stored, even one that fell due
while stored was down; setting `snoozed` to null moves nothing; another
user's session cannot snooze, read or wake my email."""
import calendar
import json
import os
import re
import signal
import time

from imap_util import ImapServer
from store_util import (ERR, T, Store, append_to, memfd_message, meta_block,
                        new_user, s, u32, u64)

import test_jmap_http as jh
import test_jmap_http_push as push

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail",
         "https://cyrusimap.org/ns/jmap/mail"]


class Jmap:
    def __init__(self, srv, user="alice"):
        self.srv, self.user = srv, user
        self.headers = {"Authorization": jh.auth_header(user),
                        "Content-Type": "application/json"}
        self.c = jh.client(srv)
        got = jh.request(self.c, "GET", "/jmap/session", headers=self.headers)
        self.session = json.loads(got[1])
        self.acct = self.session["primaryAccounts"][USING[1]]

    def api(self, calls):
        req = json.dumps({"using": USING, "methodCalls": calls}).encode()
        r, body = jh.request(self.c, "POST", "/jmap/api/", req,
                             headers=self.headers)
        assert r.status == 200, (r.status, body)
        return json.loads(body)["methodResponses"]

    def call(self, name, args, acct=None):
        """One method call (in acct, default my own); its response."""
        return self.api([[name, dict(args, accountId=acct or self.acct),
                          "0"]])[0]

    def ok(self, name, args):
        n, a, _ = self.call(name, args)
        assert n == name, (name, n, a)
        return a

    def mailboxes(self):
        got = self.ok("Mailbox/get", {})["list"]
        return {m["name"]: m for m in got}

    def snoozed_box(self):
        boxes = self.mailboxes()
        if "Snoozed" in boxes:
            return boxes["Snoozed"]["id"]
        res = self.ok("Mailbox/set", {"create": {"s": {
            "name": "Snoozed", "role": "snoozed"}}})
        return res["created"]["s"]["id"]

    def email(self, props=("mailboxIds", "keywords", "snoozed"), ids=None):
        if ids is None:
            ids = self.ok("Email/query", {})["ids"]
        got = self.ok("Email/get", {"ids": ids, "properties": list(props)})
        return got["list"]

    def update(self, eid, patch):
        return self.ok("Email/set", {"update": {eid: patch}})


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def from_utc(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def append(srv, subject, flags="(\\Seen)"):
    m = srv.login("alice")
    msg = ("From: a@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\n"
           "Message-ID: <%s@example.org>\r\n\r\nbody\r\n" % (subject, subject))
    typ, _ = m.append("INBOX", flags, None, msg.encode())
    assert typ == "OK"
    m.logout()


def idle(srv, box, exists=None):
    """A raw IMAP session IDLE in box (holding exists messages)."""
    c = srv.raw_login()
    out = c.cmd("S", "SELECT " + box)
    assert out[-1].startswith(b"S OK"), out
    assert exists is None or b"* %d EXISTS" % exists in out, out
    c.send("I IDLE\r\n")
    assert c.line().startswith(b"+"), "no IDLE continuation"
    return c


def untagged(c, pattern, deadline):
    """Arrival time of the first line matching pattern, or None."""
    rx = re.compile(pattern)
    while time.time() < deadline:
        ln = c.line(timeout=max(0.01, deadline - time.time()))
        if ln is None:
            return None
        if rx.search(ln):
            return time.time()
    return None


def state_event_after(stream, t, deadline):
    """Arrival time of the first StateChange naming Email at or after t."""
    while time.time() < deadline:
        ev = push.next_event(stream, max(0.01, deadline - time.time()))
        if ev is None:
            return None
        name, data, at = ev
        changed = list(data.get("changed", {}).values())
        if at >= t and name == "state" and changed and "Email" in changed[0]:
            return at
    return None


def snooze(j, eid, inbox, sbox, until, **extra):
    res = j.update(eid, {"mailboxIds/" + inbox: None,
                         "mailboxIds/" + sbox: True,
                         "snoozed": dict({"until": utc(until)}, **extra)})
    assert res.get("updated", {}).get(eid, 0) is None, res


def setup(srv, subject="snooze me"):
    append(srv, subject)
    j = Jmap(srv)
    sbox = j.snoozed_box()
    inbox = j.mailboxes()["INBOX"]["id"]
    eid = j.ok("Email/query", {"filter": {"subject": subject}})["ids"][0]
    return j, inbox, sbox, eid


def server():
    return ImapServer(users=jh.USERS, extra_services=[jh.jmapd_block()])


def test_session_mailbox_role_and_imap_special_use():
    with server() as srv:
        j = Jmap(srv)
        assert USING[2] in j.session["capabilities"]
        acct = j.session["accounts"][j.acct]
        assert USING[2] in acct["accountCapabilities"]
        sbox = j.snoozed_box()
        assert j.mailboxes()["Snoozed"]["role"] == "snoozed"
        assert j.ok("Mailbox/get", {"ids": [sbox]})["list"][0]["id"] == sbox
        m = srv.login("alice")
        typ, data = m.list()
        line = [d for d in data if d.endswith(b'"Snoozed"')]
        assert line and b"\\Snoozed" in line[0], data
        # and IMAP CREATE (USE (\Snoozed)) makes one too
        typ, _ = m._simple_command("CREATE", "Later", "(USE (\\Snoozed))")
        assert typ == "OK"
        typ, data = m.list('""', "Later")
        assert b"\\Snoozed" in data[0], data
        m.logout()


def test_snooze_wakes_at_the_second_with_its_keywords():
    with server() as srv:
        j, inbox, sbox, eid = setup(srv)
        # IMAP sessions IDLE in both mailboxes and a JMAP event stream
        # are open before the snooze: all is seen as it happens
        in_inbox = idle(srv, "INBOX", 1)
        in_snoozed = idle(srv, "Snoozed", 0)
        stream = push.open_stream(srv, "types=*&closeafter=no&ping=0")
        until = int(time.time()) + 3
        snooze(j, eid, inbox, sbox, until,
               setKeywords={"$seen": False, "$awakened": True})
        assert untagged(in_inbox, rb"^\* 1 EXPUNGE", time.time() + 2)
        assert untagged(in_snoozed, rb"^\* 1 EXISTS", time.time() + 2)
        e = j.email()[0]
        assert e["mailboxIds"] == {sbox: True}, e
        assert e["snoozed"] == {"until": utc(until), "setKeywords": {
            "$seen": False, "$awakened": True}}, e
        assert "$seen" in e["keywords"]
        # the IMAP client FETCHes it in Snoozed, then IDLEs again
        in_snoozed.send("DONE\r\n")
        assert in_snoozed.until_tagged("I")[-1].startswith(b"I OK")
        out = in_snoozed.cmd("F", "FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert out[-1].startswith(b"F OK") and b"snooze me" in b"".join(out), out
        in_snoozed.send("I IDLE\r\n")
        assert in_snoozed.line().startswith(b"+")
        # IDLE in INBOX: EXISTS at the second, not before, within 1 s
        woke = untagged(in_inbox, rb"^\* 1 EXISTS", until + 5)
        assert woke is not None, "never woke: " + "\n".join(srv.srv.log[-40:])
        assert until <= woke < until + 1.2, (woke, until)
        assert untagged(in_snoozed, rb"^\* 1 EXPUNGE", until + 3)
        pushed = state_event_after(stream, until, until + 3)
        assert pushed is not None and pushed < until + 1.2, (pushed, until)
        e = j.email()[0]
        assert e["mailboxIds"] == {inbox: True}, e
        assert e["snoozed"] is None, e
        assert "$seen" not in e["keywords"] and "$awakened" in e["keywords"], e
        in_inbox.send("DONE\r\n")
        out = in_inbox.until_tagged("I")
        assert out[-1].startswith(b"I OK"), out
        out = in_inbox.cmd("F", "FETCH 1 (FLAGS)")
        fetched = [ln for ln in out if ln.startswith(b"* 1 FETCH")]
        assert fetched and b"\\Seen" not in fetched[-1], out
        assert b"$awakened" in fetched[-1], out
        for c in (in_inbox, in_snoozed, stream):
            c.close()
        assert "woke 1 snoozed email" in "\n".join(srv.srv.log)
        print("woke %.0f ms after the second; push %.0f ms"
              % ((woke - until) * 1000, (pushed - until) * 1000))


def test_default_keywords_and_move_to_another_mailbox():
    """Without setKeywords nothing changes on the email's keywords (as
    Cyrus does); moveToMailboxId takes it elsewhere than INBOX."""
    with server() as srv:
        j, inbox, sbox, eid = setup(srv)
        later = j.ok("Mailbox/set", {"create": {"l": {"name": "Later"}}})
        later = later["created"]["l"]["id"]
        until = int(time.time()) + 2
        snooze(j, eid, inbox, sbox, until, moveToMailboxId=later)
        assert j.email()[0]["snoozed"]["moveToMailboxId"] == later
        for _ in range(100):
            e = j.email()[0]
            if e["snoozed"] is None:
                break
            time.sleep(0.1)
        assert e["mailboxIds"] == {later: True}, e
        assert e["keywords"] == {"$seen": True}, e


def test_validation():
    with server() as srv:
        j, inbox, sbox, eid = setup(srv)
        now = int(time.time())
        for bad, prop in ((utc(now - 10), "snoozed/until"),
                          ("tomorrow", "snoozed/until")):
            res = j.update(eid, {"snoozed": {"until": bad}})
            err = res["notUpdated"][eid]
            assert err["type"] == "invalidProperties", err
            assert err["properties"] == [prop], err
        res = j.update(eid, {"snoozed": {"until": utc(now + 60),
                                         "moveToMailboxId": "M999999"}})
        err = res["notUpdated"][eid]
        assert err["properties"] == ["snoozed/moveToMailboxId"], err
        res = j.update(eid, {"snoozed": {"until": utc(now + 60),
                                         "setKeywords": {"a b": True}}})
        assert res["notUpdated"][eid]["type"] == "invalidProperties"
        res = j.update(eid, {"snoozed": {"until": utc(now + 60), "x": 1}})
        assert res["notUpdated"][eid]["type"] == "invalidProperties"
        assert j.email()[0]["snoozed"] is None
        # a path of a null snooze has nothing to patch
        res = j.update(eid, {"snoozed/until": utc(now + 60)})
        assert res["notUpdated"][eid]["type"] == "invalidProperties"
        # paths patch a snooze that exists (as Cyrus's clients send them)
        j.update(eid, {"snoozed": {"until": utc(now + 60)}})
        j.update(eid, {"snoozed/until": utc(now + 120),
                       "snoozed/setKeywords/$awakened": True})
        assert j.email()[0]["snoozed"] == {
            "until": utc(now + 120), "setKeywords": {"$awakened": True}}
        # a fraction of a second rounds up: never woken before it
        j.update(eid, {"snoozed/until": utc(now + 60)[:-1] + ".25Z"})
        assert j.email()[0]["snoozed"]["until"] == utc(now + 61)


def test_unsnooze_moves_nothing():
    with server() as srv:
        j, inbox, sbox, eid = setup(srv)
        until = int(time.time()) + 2
        snooze(j, eid, inbox, sbox, until, setKeywords={"$seen": False})
        state = j.ok("Email/get", {"ids": [eid], "properties": ["id"]})["state"]
        res = j.update(eid, {"snoozed": None})
        assert res["updated"] == {eid: None}, res
        ch = j.ok("Email/changes", {"sinceState": state})
        assert ch["updated"] == [eid], ch
        time.sleep(until - time.time() + 1.5)
        e = j.email()[0]
        assert e["snoozed"] is None
        assert e["mailboxIds"] == {sbox: True}, e
        assert "$seen" in e["keywords"], e


def stored_pid(srv):
    kids = [c.pid for c in srv.srv.children("stored")]
    assert len(kids) == 1, kids
    return kids[0]


def wait_email(j, pred, seconds):
    end = time.time() + seconds
    e = None
    while time.time() < end:
        try:
            e = j.email()[0]
            if pred(e):
                return e
        except (OSError, AssertionError):
            j.c.close()
            j.__init__(j.srv, j.user)
        time.sleep(0.1)
    return e


def test_snooze_survives_kill_9_of_stored():
    with server() as srv:
        j, inbox, sbox, eid = setup(srv)
        until = int(time.time()) + 3
        snooze(j, eid, inbox, sbox, until)
        os.kill(stored_pid(srv), signal.SIGKILL)
        e = wait_email(j, lambda e: e["snoozed"] is None, 15)
        assert e["mailboxIds"] == {inbox: True}, e
        assert time.time() >= until

        # one that falls due while stored is down wakes when it starts
        until = int(time.time()) + 2
        snooze(j, eid, inbox, sbox, until)
        pid = stored_pid(srv)
        os.kill(pid, signal.SIGSTOP)
        time.sleep(until - time.time() + 1)
        os.kill(pid, signal.SIGKILL)     # a stopped process dies too
        e = wait_email(j, lambda e: e["snoozed"] is None, 15)
        assert e["mailboxIds"] == {inbox: True}, e
        log = "\n".join(srv.srv.log)
        assert len(re.findall("woke 1 snoozed email", log)) == 2, log[-3000:]


def test_another_user_cannot_snooze_mine():
    with server() as srv:
        j, inbox, sbox, eid = setup(srv)
        bob = Jmap(srv, "bob")
        until = int(time.time()) + 60
        # bob names alice's email in his own account: he has no such email
        res = bob.update(eid, {"snoozed": {"until": utc(until)}})
        assert res["notUpdated"][eid]["type"] == "notFound", res
        # nor may he use her account
        n, a, _ = bob.call("Email/set", {"update": {eid: {
            "snoozed": {"until": utc(until)}}}}, acct=j.acct)
        assert n == "error" and a["type"] == "accountNotFound", (n, a)
        n, a, _ = bob.call("Email/get", {"ids": [eid],
                                         "properties": ["snoozed"]},
                           acct=j.acct)
        assert n == "error", (n, a)
        assert j.email()[0]["snoozed"] is None


def test_store_scopes_and_checks_snooze_requests():
    """The store's own checks, whatever a worker sends: a session acts
    on its own user's emails only, only jmapd's policy grants the
    requests, and every field is checked."""
    with Store() as st:
        alice = new_user(st, "alice", "jmapd")
        eid = append_to(alice, b"Subject: x\r\n\r\nhi\r\n")[4]
        later = int(time.time()) + 60

        def req(e=eid, until=later, mb=0, add="", rm=""):
            return u64(e) + u64(until) + u64(mb) + s(add) + s(rm)
        bob = new_user(st, "bob", "jmapd")
        assert bob.error("STORE_SNOOZE_SET", req())[0] == ERR["NOTFOUND"]
        imap = st.connect("imapd")
        imap.hello(st.key, "alice")
        assert imap.error("STORE_SNOOZE_SET", req())[0] == ERR["UNEXPECTED"]
        assert imap.error("STORE_SNOOZE_GET", u32(1) + u64(eid))[0] == \
            ERR["UNEXPECTED"]
        lm = st.connect("lmtpd")
        assert lm.error("STORE_SNOOZE_SET", req())[0] == ERR["UNEXPECTED"]
        for bad in (req(until=int(time.time()) - 1), req(until=1 << 40),
                    req(add="\\Bogus"), req(add="a  b"), req(rm=" a"),
                    req(add="x" * 65)):
            assert alice.error("STORE_SNOOZE_SET", bad)[0] == \
                ERR["MALFORMED"], bad
        assert alice.error("STORE_SNOOZE_SET", req(mb=999))[0] == \
            ERR["NOTFOUND"]
        assert alice.error("STORE_SNOOZE_GET", u32(0))[0] == ERR["LIMIT"]
        assert alice.call("STORE_SNOOZE_SET", req(add="\\Seen $x")) == []
        # bob's copy of the same bytes has the same id, and is bob's own
        append_to(bob, b"Subject: x\r\n\r\nhi\r\n")
        assert bob.call("STORE_SNOOZE_SET", req(until=0)) == []
        got = alice.raw(T["STORE_SNOOZE_GET"], u32(1) + u64(eid))
        assert b"$x" in b"".join(r[2] for r in got), got


def test_a_full_keyword_table_does_not_stop_a_wake_up():
    """A keyword the user's table (64) cannot take is left out and
    logged; the email still wakes, moved out of \\Snoozed."""
    with Store() as st:
        alice = new_user(st, "alice", "jmapd")
        alice.call("STORE_MBOX_CREATE", s("Snoozed") + u32(1 << 14))
        kws = tuple("k%d" % i for i in range(64))
        fd, size, mlen = memfd_message(b"Subject: x\r\n\r\nhi\r\n",
                                       meta_block(keywords=kws))
        eid = alice.call("STORE_APPEND", u64(0) + s("Snoozed") + u64(size) +
                         u32(mlen), fd=fd)[4]
        os.close(fd)
        append_to(alice, b"Subject: y\r\n\r\nother\r\n")
        until = int(time.time()) + 2
        alice.call("STORE_SNOOZE_SET", u64(eid) + u64(until) + u64(0) +
                   s("$new \\Flagged") + s("k1"))

        def count(box):
            return alice.call("STORE_MBOX_STATUS", u64(0) + s(box))[4]
        end = time.time() + 6
        while count("INBOX") < 2 and time.time() < end:
            time.sleep(0.1)
        assert count("INBOX") == 2 and count("Snoozed") == 0
        assert time.time() >= until
        log = open(st.log).read()
        assert "keyword $new left out (keyword table full)" in log, log
        assert "woke 1 snoozed email" in log


def snooze_all(ch, ids, until, rm=""):
    for eid in ids:
        ch.call("STORE_SNOOZE_SET", u64(eid) + u64(until) + u64(0) + s("") +
                s(rm))


def snoozed_store(st, n):
    """alice with n emails in \\Snoozed; their email ids."""
    alice = new_user(st, "alice", "jmapd")
    alice.call("STORE_MBOX_CREATE", s("Snoozed") + u32(1 << 14))
    ids = [append_to(alice, b"Subject: %d\r\n\r\nbody %d\r\n" % (i, i),
                     box="Snoozed")[4] for i in range(n)]
    return alice, ids


def inbox_count(ch):
    return ch.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))[4]


def test_a_freeze_holds_the_wake_up_until_the_thaw():
    with Store() as st:
        alice, (eid,) = snoozed_store(st, 1)
        until = int(time.time()) + 2
        alice.call("STORE_SNOOZE_SET", u64(eid) + u64(until) + u64(0) +
                   s("") + s(""))
        adm = st.admin()
        assert adm.call("STORE_ADM_FREEZE", u32(30)) == []
        time.sleep(until - time.time() + 1.5)
        assert inbox_count(alice) == 0      # a backup's snapshot holds
        assert adm.call("STORE_ADM_THAW") == [0]
        end = time.time() + 3
        while inbox_count(alice) == 0 and time.time() < end:
            time.sleep(0.05)
        assert inbox_count(alice) == 1
        assert time.time() < end


def test_many_snoozes_due_at_one_second():
    """200 emails of one user due at the same second all wake, in
    batches of 16 a turn; the time the last one took is printed."""
    n = 200
    with Store() as st:
        alice, ids = snoozed_store(st, n)
        until = int(time.time()) + 5      # 200 requests first, loaded or not
        snooze_all(alice, ids, until, "\\Seen")
        first = last = None
        end = until + 20
        while time.time() < end:
            c = inbox_count(alice)
            if c > 0 and first is None:
                first = time.time()
            if c == n:
                last = time.time()
                break
            time.sleep(0.02)
        assert first is not None and first >= until, (first, until)
        assert last is not None, inbox_count(alice)
        print("%d snoozes due at one second: first woke %.0f ms after it,"
              " the last %.0f ms" % (n, (first - until) * 1000,
                                     (last - until) * 1000))
        assert last - until < 10, last - until


def test_autocreate_names_a_snoozed_mailbox():
    with Store(autocreate="INBOX Snoozed=snoozed") as st:
        alice = new_user(st, "alice", "jmapd")
        attrs = alice.call("STORE_MBOX_STATUS", u64(0) + s("Snoozed"))[1]
        assert attrs & (1 << 14), hex(attrs)


def test_kill_9_in_the_middle_of_the_wake_ups():
    """stored killed while it wakes 200 emails due at one second: after
    the restart every one is in INBOX exactly once, none in Snoozed."""
    n = 200
    with Store() as st:
        alice, ids = snoozed_store(st, n)
        until = int(time.time()) + 5
        snooze_all(alice, ids, until)
        time.sleep(until - time.time() + 0.005)
        st.kill()
        st.start()
        alice = st.connect("jmapd")
        alice.hello(st.key, "alice")
        end = time.time() + 10
        while inbox_count(alice) < n and time.time() < end:
            time.sleep(0.05)
        assert inbox_count(alice) == n
        assert alice.call("STORE_MBOX_STATUS", u64(0) + s("Snoozed"))[4] == 0
        runs = open(st.log).read().split("ready")
        before = sum(int(w) for w in re.findall(r"woke (\d+) snoozed",
                                                runs[-2]))
        print("%d of %d woken before the kill, the rest after the restart"
              % (before, n))


def test_create_does_not_take_snoozed():
    """snoozed is set by update only: a create naming it is refused, so a
    client never believes in a snooze that was not made."""
    with server() as srv:
        j = Jmap(srv)
        inbox = j.mailboxes()["INBOX"]["id"]
        res = j.ok("Email/set", {"create": {"c": {
            "mailboxIds": {inbox: True}, "subject": "later",
            "snoozed": {"until": utc(int(time.time()) + 60)}}}})
        err = res["notCreated"]["c"]
        assert err["type"] == "invalidProperties", err
        assert j.ok("Email/query", {})["ids"] == []


def test_one_users_failing_wake_up_holds_back_no_other_user():
    """alice's snooze cannot wake (its mailbox has no UIDs left): it is
    rolled back, logged and tried again 30 s later; bob's, due a second
    after it on the same shard, wakes on time."""
    with Store() as st:
        alice, (a_eid,) = snoozed_store(st, 1)
        bob = new_user(st, "bob", "jmapd")
        bob.call("STORE_MBOX_CREATE", s("Snoozed") + u32(1 << 14))
        b_eid = append_to(bob, b"Subject: b\r\n\r\nbob's\r\n", box="Snoozed")[4]
        full = st.admin().call("STORE_ADM_IMPORT_MBOX", s("alice") +
                               s("Full") + u32(0) + u32(4294967294) + u32(0) +
                               u32(0))[0]
        until = int(time.time()) + 2
        alice.call("STORE_SNOOZE_SET", u64(a_eid) + u64(until) + u64(full) +
                   s("") + s(""))
        bob.call("STORE_SNOOZE_SET", u64(b_eid) + u64(until + 1) + u64(0) +
                 s("") + s(""))
        end = until + 4
        while inbox_count(bob) == 0 and time.time() < end:
            time.sleep(0.05)
        assert inbox_count(bob) == 1 and time.time() < until + 2.2
        log = open(st.log).read()
        assert "waking user alice failed; again in 30 s" in log, log
        assert alice.call("STORE_MBOX_STATUS", u64(0) + s("Snoozed"))[4] == 1


def test_taken_out_by_hand_or_snoozed_in_place():
    """An email taken out of \\Snoozed before its time was woken by its
    user: at the time nothing is done to it (it stays read) and snoozed
    goes null. One snoozed where it is (never in \\Snoozed) stays there
    and gets its keywords at the time."""
    with server() as srv:
        j, inbox, sbox, eid = setup(srv)
        until = int(time.time()) + 3
        snooze(j, eid, inbox, sbox, until, setKeywords={"$seen": False})
        m = srv.login("alice")
        assert m.select("Snoozed")[0] == "OK"
        typ, _ = m._simple_command("MOVE", "1", "INBOX")
        assert typ == "OK"
        m.logout()
        append(srv, "remind me")
        other = j.ok("Email/query", {"filter": {"subject": "remind me"}})
        other = other["ids"][0]
        res = j.update(other, {"snoozed": {"until": utc(until), "setKeywords": {
            "$seen": False, "$flagged": True}}})
        assert res["updated"] == {other: None}, res
        time.sleep(until - time.time() + 1.5)
        by_id = {e["id"]: e for e in j.email(ids=[eid, other])}
        e = by_id[eid]
        assert e["mailboxIds"] == {inbox: True} and e["snoozed"] is None, e
        assert e["keywords"] == {"$seen": True}, e
        e = by_id[other]
        assert e["mailboxIds"] == {inbox: True} and e["snoozed"] is None, e
        assert e["keywords"] == {"$flagged": True}, e
