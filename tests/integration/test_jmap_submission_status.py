"""EmailSubmission deliveryStatus per recipient and dsnBlobIds (RFC 8621
section 7) against a real server: cloisterd, authd, stored, jmapd,
submitd with an SMTP sink on loopback as the relay, and lmtpd delivering
DSNs back. Python's http.client is the JMAP client.

- the relay takes one recipient and refuses another with a 550: each has
  its own smtpReply, delivered "unknown" (taken) and "no" (refused);
- a 451 to one RCPT TO: the whole entry waits (nobody gets it twice),
  that recipient shows the 451 and "queued", then all go once;
- a relay that offers DSN sees RET=HDRS, ENVID naming the submission,
  NOTIFY and ORCPT; one that does not sees none of them;
- submissions due in the same second go on one kept relay connection:
  every transaction on it has its own DSN parameters, and every
  recipient its own reply;
- a DSN delivered over LMTP to the sender links to the submission:
  dsnBlobIds names the delivered message's blob and delivered follows
  each recipient's Action;
- the same DSN delivered to another user (the envelope id guessed) links
  nothing anywhere;
- an MDN (RFC 8098) back to the sender naming the message's Message-ID
  links to mdnBlobIds and makes that recipient displayed "yes"; the same
  MDN to another user links nothing;
- Debian's Postfix as the relay: the DSN it makes for recipients it
  cannot deliver to comes back over LMTP and is linked.
"""
import re
import time

import test_jmap_http as jh
from imap_util import ImapServer, need_stored
from lmtp_util import Lmtp, lmtpd_block
from submit_util import Sink, submitd_block
from test_jmap_submission import Client, utc, wait

RCPTS = ["bob@example.org", "carol@example.org", "dave@example.org"]


def server(sink, lmtp=False, **submitd):
    need_stored()
    extra = [jh.jmapd_block({"default-domain": "example.net"}),
             submitd_block(sink.port, **submitd)]
    if lmtp:
        extra.append(lmtpd_block())
    return ImapServer(users=jh.USERS, extra_services=extra)


def recorded(sub):
    """Whether submitd's result is in: undoStatus is final from the
    committing mark on, while every recipient the relay did not refuse is
    still delivered "queued"."""
    return sub["undoStatus"] == "final" and all(
        v["delivered"] != "queued" for v in sub["deliveryStatus"].values())


def final(c, sid):
    sub = wait(lambda: (lambda x: x if recorded(x) else None)(
        c.submission(sid)))
    assert sub, c.submission(sid)
    return sub


def send(c):
    """A draft to bob, cc carol, bcc dave, submitted: its id."""
    (_, s, _), = c.submit(c.draft())
    return s["created"]["s"]["id"]


def send_from(c, frm, to=None, cc=None):
    """A draft from frm (to bob, cc carol, bcc dave, unless to and cc are
    given), submitted: its id."""
    if to is None:
        eid = c.draft(frm=frm)
    else:
        res = c.call("Email/set", create={"d": {
            "mailboxIds": {c.box["drafts"]: True}, "keywords": {"$draft": True},
            "from": [{"email": frm}], "to": [{"email": to}],
            "cc": [{"email": cc}], "subject": "hello",
            "bodyStructure": {"type": "text/plain", "partId": "1"},
            "bodyValues": {"1": {"value": "Hi.\r\n"}}}})
        eid = res["created"]["d"]["id"]
    (_, s, _), = c.submit(eid)
    return s["created"]["s"]["id"]


def rcpt_order(sink):
    return [re.match(r"RCPT TO:<([^>]*)>", x).group(1)
            for x in sink.commands if x.startswith("RCPT")]


def second_rcpt_gets(reply, every=0):
    """The Sink's choice of reply: this one to the second RCPT TO (of each
    transaction of every recipients, when given), its default to others."""
    return lambda kind, n: reply if kind == "RCPT" and (
        n % every if every else n) == 1 else None


def test_each_recipient_has_the_relays_own_reply():
    refused = "550 5.1.1 <second>: Recipient address rejected: no such user"
    with Sink(second_rcpt_gets(refused)) as sink, server(sink) as srv:
        c = Client(srv)
        sub = final(c, send(c))
        order = rcpt_order(sink)
        assert sorted(order) == RCPTS, sink.commands
        ds = sub["deliveryStatus"]
        assert sorted(ds) == RCPTS, ds
        assert ds[order[1]] == {"smtpReply": refused, "delivered": "no",
                                "displayed": "unknown"}, ds
        for a in (order[0], order[2]):
            assert ds[a] == {"smtpReply": "250 2.0.0 queued",
                             "delivered": "unknown",
                             "displayed": "unknown"}, ds
        assert len(sink.got) == 1 and len(sink.got[0][1]) == 2, sink.got


def test_a_4xx_to_one_recipient_waits_for_all_and_shows_it():
    busy = "451 4.2.1 mailbox busy, try later"
    with Sink(second_rcpt_gets(busy)) as sink, \
            server(sink, **{"retry-base": 3}) as srv:
        c = Client(srv)
        sid = send(c)

        def deferred():
            s = c.submission(sid)
            return s if any(v["smtpReply"] == busy for v in
                            s["deliveryStatus"].values()) else None
        sub = wait(deferred, 10, 0.05)
        assert sub, c.submission(sid)
        order = rcpt_order(sink)
        assert sub["undoStatus"] == "pending", sub
        ds = sub["deliveryStatus"]
        assert ds[order[1]] == {"smtpReply": busy, "delivered": "queued",
                                "displayed": "unknown"}, ds
        # the one taken before it shows what the relay said to it; the
        # one never asked, the reply that ended the try
        assert ds[order[0]]["smtpReply"] == "250 2.1.5 ok", ds
        unasked, = set(RCPTS) - set(order)
        assert ds[unasked]["smtpReply"] == busy, ds
        assert all(v["delivered"] == "queued" for v in ds.values()), ds
        assert sink.got == [], sink.got          # nothing sent yet
        sub = final(c, sid)
        assert all(v == {"smtpReply": "250 2.0.0 queued",
                         "delivered": "unknown", "displayed": "unknown"}
                   for v in sub["deliveryStatus"].values()), sub
        time.sleep(1)
        assert len(sink.got) == 1 and sorted(
            sink.got[0][1]) == ["<%s>" % a for a in RCPTS], sink.got


def dsn_message(envid, actions, to="alice@example.net"):
    """A Postfix-like DSN: multipart/report; report-type=delivery-status."""
    blocks = "".join(
        "\r\nFinal-Recipient: rfc822; %s\r\nOriginal-Recipient: rfc822;%s\r\n"
        "Action: %s\r\nStatus: %s\r\n" % (a, a, act,
                                           "5.1.1" if act == "failed" else "2.0.0")
        for a, act in actions)
    return ("From: MAILER-DAEMON@relay.test (Mail Delivery System)\r\n"
            "To: %s\r\nSubject: Delivery Status Notification\r\n"
            "Message-ID: <dsn.%s@relay.test>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n"
            "\tboundary=\"B0\"\r\n\r\n"
            "--B0\r\nContent-Type: text/plain\r\n\r\nYour message could not be"
            " delivered to some recipients.\r\n"
            "--B0\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; relay.test\r\nOriginal-Envelope-Id: %s\r\n"
            "%s\r\n"
            "--B0\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            "Subject: hello\r\n\r\n--B0--\r\n" % (to, time.time(), envid, blocks))


def lmtp_deliver(srv, rcpt, msg):
    lmtp = Lmtp(unix=srv.srv.paths["lmtp"])
    try:
        ok, rr = lmtp.deliver("", [rcpt], msg)
        assert ok and ok[0][1].startswith("250"), (ok, rr)
    finally:
        lmtp.close()


def test_the_relay_sees_dsn_parameters_only_when_it_offers_dsn():
    for offers in (True, False):
        with Sink(dsn=offers) as sink, server(sink) as srv:
            c = Client(srv)
            final(c, send(c))
            mail = [x for x in sink.commands if x.startswith("MAIL")]
            rcpt = [x for x in sink.commands if x.startswith("RCPT")]
            assert len(mail) == 1 and len(rcpt) == 3, sink.commands
            if not offers:
                assert mail[0] == "MAIL FROM:<alice@example.net>", mail
                assert all(x.endswith(">") for x in rcpt), rcpt
                continue
            assert re.fullmatch(r"MAIL FROM:<alice@example\.net> RET=HDRS"
                                r" ENVID=cloister-S\d+", mail[0]), mail
            for x in rcpt:
                a = re.match(r"RCPT TO:<([^>]*)>", x).group(1)
                assert x == ("RCPT TO:<%s> NOTIFY=FAILURE,DELAY"
                             " ORCPT=rfc822;%s" % (a, a)), x


def test_every_transaction_on_a_kept_connection_has_dsn_and_own_replies():
    refused = "550 5.1.1 no such user here"
    # the second recipient of each transaction (three each) is refused
    n = 4
    with Sink(second_rcpt_gets(refused, every=3), dsn=True) as sink, \
            server(sink) as srv:
        c = Client(srv)
        at = utc(int(time.time()) + 3)   # all due in the same second
        sids = []
        for i in range(n):
            (_, s, _), = c.submit(c.draft(subject="kept %d" % i),
                                  send_at=at)
            sids.append(s["created"]["s"]["id"])
        subs = [final(c, sid) for sid in sids]
        mail = [x for x in sink.commands if x.startswith("MAIL")]
        rcpt = [x for x in sink.commands if x.startswith("RCPT")]
        assert len(mail) == n and len(rcpt) == 3 * n, sink.commands
        # fewer connections than transactions: some went on a kept one
        assert sink.connections <= 2, sink.connections
        envids = [re.fullmatch(r"MAIL FROM:<alice@example\.net> RET=HDRS"
                               r" ENVID=(cloister-S\d+)", x) for x in mail]
        assert all(envids), mail
        assert len({m.group(1) for m in envids}) == n, mail
        assert all(re.fullmatch(r"RCPT TO:<([^>]*)> NOTIFY=FAILURE,DELAY"
                                r" ORCPT=rfc822;\1", x) for x in rcpt), rcpt
        for sub in subs:
            ds = sorted((v["smtpReply"], v["delivered"])
                        for v in sub["deliveryStatus"].values())
            assert ds == [("250 2.0.0 queued", "unknown")] * 2 + [
                (refused, "no")], sub


def envid_of(sink):
    mail = [x for x in sink.commands if x.startswith("MAIL")]
    return re.search(r"ENVID=(\S+)", mail[-1]).group(1)


def inbox_blob(c, subject="Delivery Status Notification"):
    q = c.call("Email/query", filter={"inMailbox": c.box["inbox"],
                                      "subject": subject})
    if not q["ids"]:
        return None
    return c.call("Email/get", ids=q["ids"], properties=["blobId"])["list"]


def test_a_dsn_back_to_the_sender_links_to_its_submission():
    with Sink(dsn=True) as sink, server(sink, lmtp=True) as srv:
        c = Client(srv)
        sid = send(c)
        sub = final(c, sid)
        assert sub["dsnBlobIds"] == [], sub
        envid = envid_of(sink)
        lmtp_deliver(srv, "alice@example.org", dsn_message(
            envid, [("bob@example.org", "failed"),
                    ("carol@example.org", "delivered")]))
        got = wait(lambda: (lambda s: s if s["dsnBlobIds"] else None)(
            c.submission(sid)), 10, 0.05)
        assert got, c.submission(sid)
        blobs = inbox_blob(c)
        assert blobs and got["dsnBlobIds"] == [blobs[0]["blobId"]], (got, blobs)
        ds = got["deliveryStatus"]
        assert ds["bob@example.org"]["delivered"] == "no", ds
        assert ds["carol@example.org"]["delivered"] == "yes", ds
        assert ds["dave@example.org"]["delivered"] == "unknown", ds
        # the relay's reply stays what the relay said
        assert ds["bob@example.org"]["smtpReply"] == "250 2.0.0 queued", ds
        # a delay report later: queued again
        lmtp_deliver(srv, "alice@example.org", dsn_message(
            envid, [("dave@example.org", "delayed")]))
        got = wait(lambda: (lambda s: s if len(s["dsnBlobIds"]) == 2 else None)(
            c.submission(sid)), 10, 0.05)
        assert got and got["deliveryStatus"]["dave@example.org"][
            "delivered"] == "queued", c.submission(sid)


def test_a_dsn_to_another_user_with_a_guessed_envelope_id_links_nothing():
    with Sink(dsn=True) as sink, server(sink, lmtp=True) as srv:
        alice = Client(srv)
        sid = send(alice)
        final(alice, sid)
        envid = envid_of(sink)
        # bob receives a report naming alice's submission
        lmtp_deliver(srv, "bob@example.org", dsn_message(
            envid, [("bob@example.org", "delivered"),
                    ("carol@example.org", "delivered")], to="bob@example.net"))
        bob = Client(srv, "bob")
        assert wait(lambda: inbox_blob(bob), 10, 0.05), "bob got no report"
        assert srv.srv.wait_log(r"a report for bob names \d+: not linked", 10), \
            srv.srv.log[-20:]
        sub = alice.submission(sid)
        assert sub["dsnBlobIds"] == [], sub
        assert all(v["delivered"] == "unknown"
                   for v in sub["deliveryStatus"].values()), sub
        assert bob.call("EmailSubmission/get")["list"] == []


def mdn_message(msgid, rcpt, to="alice@example.net"):
    """An RFC 8098 disposition notification: rcpt displayed msgid."""
    return ("From: %s\r\nTo: %s\r\nSubject: Read: hello\r\n"
            "Message-ID: <mdn.%s@example.org>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/report;"
            " report-type=disposition-notification; boundary=\"M0\"\r\n\r\n"
            "--M0\r\nContent-Type: text/plain\r\n\r\nYour message was"
            " displayed.\r\n"
            "--M0\r\nContent-Type: message/disposition-notification\r\n\r\n"
            "Reporting-UA: mua.example.org; Mail\r\n"
            "Final-Recipient: rfc822; %s\r\nOriginal-Message-ID: <%s>\r\n"
            "Disposition: manual-action/MDN-sent-manually; displayed\r\n"
            "\r\n--M0--\r\n" % (rcpt, to, time.time(), rcpt, msgid))


def test_an_mdn_back_to_the_sender_links_and_shows_displayed():
    with Sink() as sink, server(sink, lmtp=True) as srv:
        c = Client(srv)
        eid = c.draft()
        (_, s, _), = c.submit(eid)
        sid = s["created"]["s"]["id"]
        final(c, sid)
        msgid, = c.call("Email/get", ids=[eid],
                        properties=["messageId"])["list"][0]["messageId"]
        # to bob, naming alice's message: nothing anywhere
        lmtp_deliver(srv, "bob@example.org", mdn_message(
            msgid, "carol@example.org", to="bob@example.net"))
        assert srv.srv.wait_log(r"a report for bob names 0: not linked", 10), \
            srv.srv.log[-20:]
        assert c.submission(sid)["mdnBlobIds"] == []
        lmtp_deliver(srv, "alice@example.org", mdn_message(
            msgid, "carol@example.org"))
        got = wait(lambda: (lambda x: x if x["mdnBlobIds"] else None)(
            c.submission(sid)), 10, 0.05)
        assert got, c.submission(sid)
        blobs = inbox_blob(c, "Read: hello")
        assert blobs and got["mdnBlobIds"] == [blobs[0]["blobId"]], (got, blobs)
        ds = got["deliveryStatus"]
        assert ds["carol@example.org"]["displayed"] == "yes", ds
        assert ds["bob@example.org"]["displayed"] == "unknown", ds
        assert all(v["delivered"] == "unknown" for v in ds.values()), ds
        assert got["dsnBlobIds"] == [], got


def test_postfix_refuses_some_and_bounces_others_and_its_dsn_links():
    """Debian's Postfix as the relay (it offers DSN). Recipients outside
    it refuses at RCPT TO: each shows Postfix's own 550 and "no". A
    recipient of its own domain that Cloister's lmtpd does not know is
    taken, then bounced: Postfix's DSN comes back to the sender over LMTP
    and is linked; the recipient delivered stays "unknown"."""
    import os
    import shutil
    from cloister_server import free_port
    from test_lmtp_postfix import make_instance, postfix
    if shutil.which("postfix") is None:
        raise AssertionError("postfix is not installed (scripts/install-deps --test)")
    need_stored()
    port = free_port()
    with ImapServer(users=jh.USERS, extra_services=[
            jh.jmapd_block({"default-domain": "test.local"}),
            submitd_block(port), lmtpd_block()]) as srv:
        top, conf = make_instance(srv.srv.paths["lmtp"],
                                  "127.0.0.1:%d inet n - n - - smtpd\n" % port)
        try:
            postfix(conf, "set-permissions", "create-missing")
            postfix(conf, "start")
            c = Client(srv)
            sub = final(c, send_from(c, "alice@test.local"))
            ds = sub["deliveryStatus"]
            assert sorted(ds) == RCPTS, ds
            for a, v in ds.items():
                assert v["delivered"] == "no" and v["smtpReply"].startswith(
                    "550 5.1.1 <%s>: Recipient address rejected" % a), ds
            sid = send_from(c, "alice@test.local", to="nobody@test.local",
                            cc="bob@test.local")
            got = wait(lambda: (lambda x: x if x["dsnBlobIds"] else None)(
                c.submission(sid)), 60, 0.2)
            log = ""
            if os.path.exists(os.path.join(top, "maillog")):
                with open(os.path.join(top, "maillog")) as f:
                    log = f.read()
            assert got, (c.submission(sid), log[-3000:], srv.srv.log[-20:])
            ds = got["deliveryStatus"]
            assert ds["nobody@test.local"]["delivered"] == "no", ds
            assert ds["bob@test.local"]["delivered"] == "unknown", ds
            assert all(v["smtpReply"].startswith("250") for v in ds.values()), ds
            blobs = inbox_blob(c, "Undelivered Mail Returned to Sender")
            assert blobs and got["dsnBlobIds"] == [blobs[0]["blobId"]], (got, blobs)
        finally:
            postfix(conf, "stop", check=False)
            time.sleep(0.2)
            shutil.rmtree(top, ignore_errors=True)
