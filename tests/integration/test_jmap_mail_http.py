"""The JMAP mail methods end to end: messages APPENDed over IMAP are found
over HTTP with Email/query, read with Email/get through a result
reference (keywords from the IMAP flags), their blobId downloads the very
bytes, and a mailbox made with Mailbox/set is in the IMAP LIST."""
import json

import test_jmap_http as jh

MAIL = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]


def msg(subject):
    return ("From: Ann Example <ann@example.org>\r\nTo: alice@example.org\r\n"
            "Subject: %s\r\nMessage-ID: <%s@example.org>\r\n\r\n"
            "Body of %s.\r\n" % (subject, subject, subject)).encode()


def api(c, calls):
    r, body = jh.request(c, "POST", "/jmap/api/", json.dumps(
        {"using": MAIL, "methodCalls": calls}).encode(),
        headers={"Authorization": jh.auth_header(),
                 "Content-Type": "application/json"})
    assert r.status == 200, (r.status, body)
    return [x[1] for x in json.loads(body)["methodResponses"]]


def test_imap_mail_read_over_jmap_and_a_jmap_mailbox_in_imap():
    with jh.server() as srv:
        m = srv.login("alice")
        m.append("INBOX", "(\\Seen \\Flagged)", None, msg("one"))
        m.append("INBOX", None, None, msg("two"))
        c = jh.client(srv)
        _, body = jh.request(c, "GET", "/jmap/session",
                             headers={"Authorization": jh.auth_header()})
        sess = json.loads(body)
        acct = sess["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        mboxes, = api(c, [["Mailbox/get", {"accountId": acct}, "m"]])
        inbox = [x for x in mboxes["list"] if x["role"] == "inbox"][0]
        assert inbox["totalEmails"] == 2 and inbox["unreadEmails"] == 1
        q, g = api(c, [
            ["Email/query", {"accountId": acct,
                             "filter": {"inMailbox": inbox["id"]},
                             "sort": [{"property": "receivedAt"}]}, "q"],
            ["Email/get", {"accountId": acct, "#ids": {
                "resultOf": "q", "name": "Email/query", "path": "/ids"},
                "properties": ["subject", "keywords", "from", "blobId"]},
             "g"]])
        assert len(q["ids"]) == 2, q
        got = {e["subject"]: e for e in g["list"]}
        assert got["one"]["keywords"] == {"$seen": True, "$flagged": True}
        assert got["two"]["keywords"] == {}
        assert got["one"]["from"] == [{"name": "Ann Example",
                                       "email": "ann@example.org"}]
        url = sess["downloadUrl"].split("/jmap/", 1)[1]
        path = "/jmap/" + url.replace("{accountId}", acct).replace(
            "{blobId}", got["two"]["blobId"]).replace("{name}", "m.eml") \
            .replace("{type}", "message/rfc822")
        r, data = jh.request(c, "GET", path,
                             headers={"Authorization": jh.auth_header()})
        assert r.status == 200 and data == msg("two"), (r.status, data[:80])
        s, = api(c, [["Mailbox/set", {"accountId": acct, "create": {
            "p": {"name": "From JMAP", "isSubscribed": True}}}, "s"]])
        assert "p" in s["created"], s
        typ, lines = m.list()
        assert typ == "OK" and any(b'"From JMAP"' in l for l in lines), lines
        c.close()
        m.logout()
