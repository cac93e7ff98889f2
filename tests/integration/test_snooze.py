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

import test_jmap_http as jh

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


def exists(m):
    """The message count of the selected mailbox, after a NOOP."""
    m.noop()
    typ, data = m.select(m._snooze_box)
    assert typ == "OK", data
    return int(data[0])


def selected(srv, box):
    m = srv.login("alice")
    m._snooze_box = box
    typ, _ = m.select(box)
    assert typ == "OK"
    return m


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
        watcher = selected(srv, "INBOX")
        assert exists(watcher) == 1
        until = int(time.time()) + 3
        snooze(j, eid, inbox, sbox, until,
               setKeywords={"$seen": False, "$awakened": True})
        e = j.email()[0]
        assert e["mailboxIds"] == {sbox: True}, e
        assert e["snoozed"] == {"until": utc(until), "setKeywords": {
            "$seen": False, "$awakened": True}}, e
        assert "$seen" in e["keywords"]
        snoozed_imap = selected(srv, "Snoozed")
        assert exists(snoozed_imap) == 1
        assert exists(watcher) == 0
        # not before the second, and within a second after it
        woke = None
        deadline = until + 5
        while time.time() < deadline:
            n = exists(watcher)
            now = time.time()
            if n == 1:
                woke = now
                break
            time.sleep(0.05)
        assert woke is not None, "never woke: " + "\n".join(srv.srv.log[-40:])
        assert woke >= until, (woke, until)
        assert woke < until + 1.5, (woke, until)
        e = j.email()[0]
        assert e["mailboxIds"] == {inbox: True}, e
        assert e["snoozed"] is None, e
        assert "$seen" not in e["keywords"] and "$awakened" in e["keywords"], e
        assert exists(snoozed_imap) == 0
        typ, data = watcher.fetch("1", "(FLAGS)")
        assert b"\\Seen" not in data[0] and b"$awakened" in data[0], data
        watcher.logout()
        snoozed_imap.logout()
        assert "woke 1 snoozed email" in "\n".join(srv.srv.log)


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
        os.kill(pid, signal.SIGKILL)
        os.kill(pid, signal.SIGCONT)
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
    from store_util import ERR, T, Store, append_to, new_user, s, u32, u64
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
