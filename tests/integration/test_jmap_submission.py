"""JMAP EmailSubmission (RFC 8621 section 7) against a real server:
cloisterd, authd, keyd, stored, imapd, jmapd and submitd, with an SMTP
sink on loopback as the relay (submit_util.Sink). Python's http.client is
the JMAP client, imaplib checks what IMAP sees.

- the submission capability: maxDelayedSend and FUTURERELEASE;
- create with onSuccessUpdateEmail: the sink gets the message without its
  Bcc header, envelope from From, To/Cc/Bcc; the draft is in Sent with
  $seen and without $draft (over IMAP too); undoStatus ends final;
- onSuccessDestroyEmail destroys the Email;
- undo send (undo-send-seconds): canceled while pending, the Email back in
  Drafts with $draft, the sink never gets it; too late is cannotUnsend;
- send later (HOLDUNTIL, sendAt): released at send_at, never before, at
  most a second after;
- an Identity whose address is not the From (forbiddenFrom) or the
  envelope's (forbiddenMailFrom) is refused;
- another user reaches none of it;
- push: an event stream hears EmailSubmission when one is queued and
  when submitd records its result, with the state /get then reports.
"""
import json
import time

import test_jmap_http as jh
import test_jmap_http_push as jp
from imap_util import ImapServer, need_stored
from submit_util import Sink, submitd_block

USERS = {"alice": "wonderland", "bob": "builder"}
USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail",
         "urn:ietf:params:jmap:submission"]
SUB = "urn:ietf:params:jmap:submission"


def server(sink, **options):
    need_stored()
    opts = {"default-domain": "example.net"}
    opts.update({k.replace("_", "-"): v for k, v in options.items()})
    return ImapServer(users=USERS, extra_services=[
        jh.jmapd_block(opts), submitd_block(sink.port)])


class Client:
    def __init__(self, srv, user="alice"):
        self.c = jh.client(srv)
        self.user = user
        _, body = jh.request(self.c, "GET", "/jmap/session", headers={
            "Authorization": jh.auth_header(user)})
        self.session = json.loads(body)
        self.acct = self.session["primaryAccounts"][SUB]
        boxes = self.call("Mailbox/get", properties=["role"])["list"]
        self.box = {b["role"]: b["id"] for b in boxes if b["role"]}

    def calls(self, calls):
        r, body = jh.request(self.c, "POST", "/jmap/api/", json.dumps(
            {"using": USING, "methodCalls": calls}).encode(), headers={
                "Authorization": jh.auth_header(self.user),
                "Content-Type": "application/json"})
        assert r.status == 200, (r.status, body)
        return json.loads(body)["methodResponses"]

    def call(self, name, **args):
        args.setdefault("accountId", self.acct)
        (got, res, _), = self.calls([[name, args, "0"]])
        assert got == name, (got, res)
        return res

    def draft(self, frm="alice@example.net", bcc=True, subject="hello"):
        email = {"mailboxIds": {self.box["drafts"]: True},
                 "keywords": {"$draft": True},
                 "from": [{"email": frm}],
                 "to": [{"email": "bob@example.org"}],
                 "cc": [{"email": "carol@example.org"}],
                 "subject": subject,
                 "bodyStructure": {"type": "text/plain", "partId": "1"},
                 "bodyValues": {"1": {"value": "Hi Bob.\r\n"}}}
        if bcc:
            email["bcc"] = [{"email": "dave@example.org"}]
        res = self.call("Email/set", create={"d": email})
        return res["created"]["d"]["id"]

    def submit(self, email_id, envelope=None, send_at=None, **more):
        sub = {"identityId": "I0", "emailId": email_id}
        if envelope is not None:
            sub["envelope"] = envelope
        if send_at is not None:
            sub["sendAt"] = send_at
        return self.calls([["EmailSubmission/set", dict(
            accountId=self.acct, create={"s": sub}, **more), "0"]])

    def submission(self, sid):
        return self.call("EmailSubmission/get", ids=[sid])["list"][0]

    def email(self, eid):
        return self.call("Email/get", ids=[eid],
                         properties=["mailboxIds", "keywords"])


def to_sent(c):
    return {"#s": {"mailboxIds/" + c.box["drafts"]: None,
                   "mailboxIds/" + c.box["sent"]: True,
                   "keywords/$draft": None, "keywords/$seen": True}}


def wait(cond, timeout=15.0, step=0.01):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


def utc(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def test_capability_and_send_moves_the_draft_to_sent():
    sink = Sink()
    try:
        with server(sink, max_delayed_send=3600) as srv:
            c = Client(srv)
            cap = c.session["accounts"][c.acct]["accountCapabilities"][SUB]
            assert cap == {"maxDelayedSend": 3600,
                           "submissionExtensions": {"FUTURERELEASE": ["3600"]}}, cap
            eid = c.draft()
            (n1, s, _), (n2, e, _) = c.submit(eid, onSuccessUpdateEmail=to_sent(c))
            assert n1 == "EmailSubmission/set" and n2 == "Email/set", (n1, n2, s, e)
            sid = s["created"]["s"]["id"]
            assert s["created"]["s"]["undoStatus"] == "pending"
            assert e["updated"] == {eid: None}, e
            got = wait(lambda: sink.got)
            assert len(got) == 1, got
            mail_from, rcpts, data = got[0]
            assert mail_from == "<alice@example.net>", mail_from
            assert sorted(rcpts) == ["<bob@example.org>", "<carol@example.org>",
                                     "<dave@example.org>"], rcpts
            head = data.split(b"\r\n\r\n")[0].lower()
            assert b"\r\nbcc:" not in b"\r\n" + head and b"dave@" not in head, data
            assert b"to: bob@example.org" in head, data
            m = c.email(eid)["list"][0]
            assert m["mailboxIds"] == {c.box["sent"]: True}, m
            assert m["keywords"] == {"$seen": True}, m
            # the submission: final once submitd recorded the relay's reply
            sub = wait(lambda: (lambda x: x if x["undoStatus"] == "final" else None)(
                c.submission(sid)))
            assert sub["emailId"] == eid and sub["identityId"] == "I0", sub
            st = sub["deliveryStatus"]["bob@example.org"]
            assert st["delivered"] == "unknown" and st["smtpReply"].startswith("250"), st
            assert sub["dsnBlobIds"] == [] and sub["mdnBlobIds"] == []
            q = c.call("EmailSubmission/query", filter={"undoStatus": "final"})
            assert q["ids"] == [sid], q
            # IMAP sees the same: in Sent, \\Seen, not \\Draft
            m = srv.login("alice")
            typ, _ = m.select("Sent")
            assert typ == "OK"
            typ, data = m.fetch("1", "(FLAGS)")
            flags = data[0].decode()
            assert "\\Seen" in flags and "\\Draft" not in flags, flags
            m.logout()
    finally:
        sink.close()


def test_on_success_destroy_email_and_changes():
    sink = Sink()
    try:
        with server(sink) as srv:
            c = Client(srv)
            s0 = c.call("EmailSubmission/get", ids=[])["state"]
            eid = c.draft()
            (_, s, _), (_, e, _) = c.submit(eid, onSuccessDestroyEmail=["#s"])
            sid = s["created"]["s"]["id"]
            assert e["destroyed"] == [eid], e
            assert c.email(eid)["notFound"] == [eid]
            assert wait(lambda: sink.got)
            ch = c.call("EmailSubmission/changes", sinceState=s0)
            assert ch["created"] == [sid], ch
            d = c.call("EmailSubmission/set", destroy=[sid])
            assert d["destroyed"] == [sid], d
            assert c.call("EmailSubmission/get", ids=[sid])["notFound"] == [sid]
            ch2 = c.call("EmailSubmission/changes", sinceState=ch["newState"])
            assert ch2["destroyed"] == [sid], ch2
    finally:
        sink.close()


def test_undo_send_returns_the_draft_and_nothing_is_sent():
    sink = Sink()
    try:
        with server(sink, undo_send_seconds=3) as srv:
            c = Client(srv)
            eid = c.draft()
            (_, s, _), _ = c.submit(eid, onSuccessUpdateEmail=to_sent(c))
            sid = s["created"]["s"]["id"]
            assert c.email(eid)["list"][0]["mailboxIds"] == {c.box["sent"]: True}
            u = c.call("EmailSubmission/set", update={sid: {"undoStatus": "canceled"}})
            assert u["updated"] == {sid: None}, u
            assert c.submission(sid)["undoStatus"] == "canceled"
            m = c.email(eid)["list"][0]
            assert m["mailboxIds"] == {c.box["drafts"]: True}, m
            assert m["keywords"].get("$draft") is True, m
            # a second one is held the window, then sent; the first never
            eid2 = c.draft(subject="second")
            t0 = time.time()
            (_, s2, _), = c.submit(eid2)
            sid2 = s2["created"]["s"]["id"]
            got = wait(lambda: sink.got, timeout=10)
            assert time.time() - t0 >= 3.0, "sent inside the undo window"
            assert len(got) == 1 and b"second" in got[0][2], got
            time.sleep(0.5)
            assert len(sink.got) == 1, sink.got
            wait(lambda: c.submission(sid2)["undoStatus"] == "final")
            late = c.call("EmailSubmission/set", update={sid2: {"undoStatus": "canceled"}})
            assert late["notUpdated"][sid2]["type"] == "cannotUnsend", late
    finally:
        sink.close()


def test_send_later_releases_at_the_second():
    sink = Sink()
    arrived = []
    orig = sink.pick

    def pick(kind, default):
        if kind == "DATA":
            arrived.append(time.time())
        return orig(kind, default)
    sink.pick = pick
    try:
        with server(sink) as srv:
            c = Client(srv)
            # one due later first: submitd's timer is armed for it, and
            # must be re-armed for each earlier one queued after it
            far = c.draft(subject="far")
            (_, s, _), = c.submit(far, send_at=utc(int(time.time()) + 60))
            far_sid = s["created"]["s"]["id"]
            time.sleep(0.5)
            for how in ("HOLDUNTIL", "sendAt"):
                del arrived[:]
                eid = c.draft(subject=how)
                at = int(time.time()) + 3
                env = None
                send_at = None
                if how == "HOLDUNTIL":
                    env = {"mailFrom": {"email": "alice@example.net",
                                        "parameters": {"HOLDUNTIL": utc(at)}},
                           "rcptTo": [{"email": "bob@example.org"}]}
                else:
                    send_at = utc(at)
                (_, s, _), = c.submit(eid, envelope=env, send_at=send_at)
                assert s["created"]["s"]["sendAt"] == utc(at), s
                assert wait(lambda: arrived, timeout=10), how
                late = arrived[0] - at
                # correctness bounds, not a benchmark (bench/jmap has figures)
                assert late >= 0, "%s: sent %.3f s early" % (how, -late)
                assert late <= 1.0, "%s: sent %.3f s late" % (how, late)
            u = c.call("EmailSubmission/set",
                       update={far_sid: {"undoStatus": "canceled"}})
            assert u["updated"] == {far_sid: None}, u
            # a hold past maxDelayedSend is refused
            eid = c.draft()
            (_, s, _), = c.submit(eid, send_at=utc(int(time.time()) + 30 * 86400))
            assert s["notCreated"]["s"]["type"] == "invalidProperties", s
    finally:
        sink.close()


def test_identity_must_match_from_and_mail_from():
    sink = Sink()
    try:
        with server(sink) as srv:
            c = Client(srv)
            eid = c.draft(frm="mallory@example.com")
            (_, s, _), = c.submit(eid)
            assert s["notCreated"]["s"]["type"] == "forbiddenMailFrom", s
            env = {"mailFrom": {"email": "alice@example.net"},
                   "rcptTo": [{"email": "bob@example.org"}]}
            (_, s, _), = c.submit(eid, envelope=env)
            assert s["notCreated"]["s"]["type"] == "forbiddenFrom", s
            ok = c.draft()
            env["mailFrom"]["email"] = "boss@example.net"
            (_, s, _), = c.submit(ok, envelope=env)
            assert s["notCreated"]["s"]["type"] == "forbiddenMailFrom", s
            (_, s, _), = c.submit(ok, envelope={
                "mailFrom": {"email": "alice@example.net"}, "rcptTo": []})
            assert s["notCreated"]["s"]["type"] == "noRecipients", s
            # envelope parameters past what a submission keeps
            (_, s, _), = c.submit(ok, envelope={
                "mailFrom": {"email": "alice@example.net",
                             "parameters": {"X-BIG": "x" * 2000}},
                "rcptTo": [{"email": "bob@example.org"}]})
            assert s["notCreated"]["s"]["type"] == "invalidProperties", s
            time.sleep(1.5)
            assert sink.got == []
    finally:
        sink.close()


def test_another_user_reaches_nothing():
    sink = Sink()
    try:
        with server(sink, undo_send_seconds=30) as srv:
            a = Client(srv)
            (_, s, _), = a.submit(a.draft())
            sid = s["created"]["s"]["id"]
            b = Client(srv, "bob")
            assert b.call("EmailSubmission/get", ids=[sid])["notFound"] == [sid]
            assert b.call("EmailSubmission/query")["ids"] == []
            u = b.call("EmailSubmission/set", update={sid: {"undoStatus": "canceled"}},
                       destroy=[sid])
            assert u["notUpdated"][sid]["type"] == "notFound", u
            assert u["notDestroyed"][sid]["type"] == "notFound", u
            (_, r, _), = b.calls([["EmailSubmission/get", {"accountId": a.acct},
                                   "0"]])
            assert r["type"] == "accountNotFound", r
            # an Identity created in the same request, by its creation id
            eid = a.draft()
            r = a.calls([
                ["Identity/set", {"accountId": a.acct, "create": {
                    "w": {"name": "Work", "email": "alice@example.net"}}}, "i"],
                ["EmailSubmission/set", {"accountId": a.acct, "create": {"s": {
                    "identityId": "#w", "emailId": eid}}}, "s"]])
            wid = r[0][1]["created"]["w"]["id"]
            made = r[1][1]["created"]["s"]["id"]
            assert a.submission(made)["identityId"] == wid, r
            # bob cannot send alice's Email either
            (_, s, _), = b.submit(a.submission(sid)["emailId"])
            assert s["notCreated"]["s"]["type"] == "invalidProperties", s
            assert a.submission(sid)["undoStatus"] == "pending"
    finally:
        sink.close()


def test_push_names_email_submission():
    sink = Sink()
    try:
        with server(sink, undo_send_seconds=1) as srv:
            c = Client(srv)
            stream = jp.open_stream(srv, "types=EmailSubmission&closeafter=no&ping=0")
            (_, s, _), = c.submit(c.draft())
            sid = s["created"]["s"]["id"]
            name, data, _ = jp.next_event(stream, 5)
            assert name == "state", (name, data)
            assert data["changed"] == {c.acct: {"EmailSubmission": s["newState"]}}, data
            # submitd's send, a second later, is pushed too: the mark it
            # makes before the final dot and the relay's reply each move
            # the state (one push or two, as they fall); a push names the
            # final state /get answers
            for _ in range(3):
                name, data, _ = jp.next_event(stream, 5)
                assert name == "state", (name, data)
                pushed = data["changed"][c.acct]["EmailSubmission"]
                g = c.call("EmailSubmission/get", ids=[sid])
                if g["list"][0]["undoStatus"] == "final" and \
                        pushed == g["state"]:
                    break
            else:
                raise AssertionError("no push named the final state: %r, %r"
                                     % (pushed, g))
            assert sink.got
            stream.close()
    finally:
        sink.close()
