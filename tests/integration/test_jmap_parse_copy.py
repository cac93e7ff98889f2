"""Email/parse (RFC 8621 section 4.9) and Email/copy (section 4.7) end to
end over HTTP: an uploaded message is parsed without being stored (its
header fields, body values and parts), a stored message's blob parses as
Email/get shows it, a message/rfc822 attachment's part blob parses as the
inner message, a part that is not a message and bytes that are not one
are notParsable, unknown blob ids and another user's upload are
notFound; Email/copy answers fromAccountNotFound and, within the one
account, invalidArguments."""
import json

import test_jmap_http as jh
from test_jmap_create_identity import api

MAIL = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]

INNER = (b"From: Bob Inner <bob@inner.example>\r\n"
         b"To: carol@example.org\r\n"
         b"Subject: =?utf-8?q?inn=C3=A9r?=\r\n"
         b"Message-ID: <inner@example.org>\r\n"
         b"Date: Tue, 8 Feb 1994 10:00:00 +0000\r\n\r\n"
         b"Inner body.\r\n")

OUTER = (b"From: Ann Example <ann@example.org>\r\n"
         b"To: alice@example.org, Dave <dave@example.org>\r\n"
         b"Subject: outer\r\n"
         b"Message-ID: <outer@example.org>\r\n"
         b"In-Reply-To: <before@example.org>\r\n"
         b"X-Probe: one\r\n"
         b"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n"
         b"MIME-Version: 1.0\r\n"
         b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
         b"--b1\r\n"
         b"Content-Type: text/plain; charset=utf-8\r\n"
         b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
         b"Caf=C3=A9 body text.\r\n"
         b"--b1\r\n"
         b"Content-Type: message/rfc822\r\n"
         b"Content-Disposition: attachment; filename=\"fwd.eml\"\r\n\r\n"
         + INNER +
         b"--b1\r\n"
         b"Content-Type: text/plain\r\n"
         b"Content-Disposition: attachment; filename=\"note.txt\"\r\n\r\n"
         b"Note: a text that starts like a header field\r\n"
         b"--b1--\r\n")


def session(c, user="alice"):
    _, body = jh.request(c, "GET", "/jmap/session",
                         headers={"Authorization": jh.auth_header(user)})
    return json.loads(body)["primaryAccounts"][MAIL[1]]


def upload(c, acct, data, ctype="message/rfc822", user="alice"):
    r, body = jh.request(c, "POST", "/jmap/upload/%s/" % acct, data,
                         headers={"Authorization": jh.auth_header(user),
                                  "Content-Type": ctype})
    assert r.status == 201, (r.status, body)
    return json.loads(body)["blobId"]


def parse(c, acct, blobs, **args):
    res, = api(c, [["Email/parse", dict(accountId=acct, blobIds=blobs,
                                        **args), "p"]])
    return res


def test_parse_an_upload_and_its_message_part():
    with jh.server() as srv:
        c = jh.client(srv)
        acct = session(c)
        blob = upload(c, acct, OUTER)
        res = parse(c, acct, [blob], fetchTextBodyValues=True)
        assert res["notFound"] == [] and res["notParsable"] == [], res
        e = res["parsed"][blob]
        # the default properties (section 4.9): nothing store-given
        assert "id" not in e and "mailboxIds" not in e, e
        assert e["subject"] == "outer" and e["messageId"] == \
            ["outer@example.org"] and e["inReplyTo"] == \
            ["before@example.org"], e
        assert e["from"] == [{"name": "Ann Example",
                              "email": "ann@example.org"}], e
        assert [a["email"] for a in e["to"]] == \
            ["alice@example.org", "dave@example.org"], e
        # the Date field as RFC 8621's Date form: its own offset kept
        assert e["sentAt"] == "1994-02-07T21:52:25-08:00", e
        assert e["hasAttachment"] is True and \
            e["preview"].startswith("Café body text"), e
        text = e["textBody"][0]
        assert e["bodyValues"][text["partId"]]["value"] == \
            "Café body text.", e["bodyValues"]
        att = [a for a in e["attachments"] if a["type"] == "message/rfc822"]
        assert len(att) == 1 and att[0]["name"] == "fwd.eml", e
        assert att[0]["blobId"].startswith(blob + "P"), att
        # the store-given properties asked for by name are null
        res = parse(c, acct, [blob], properties=[
            "id", "threadId", "mailboxIds", "keywords", "receivedAt",
            "blobId", "size", "header:X-Probe:asText"])
        assert res["parsed"][blob] == {
            "id": None, "threadId": None, "mailboxIds": None,
            "keywords": None, "receivedAt": None, "blobId": blob,
            "size": len(OUTER), "header:X-Probe:asText": "one"}, res
        # the attached message by its part blob
        part = att[0]["blobId"]
        res = parse(c, acct, [part], fetchAllBodyValues=True,
                    maxBodyValueBytes=5, properties=[
                        "subject", "from", "size", "bodyValues", "textBody"])
        inner = res["parsed"][part]
        # the CRLF before a boundary belongs to the boundary
        assert inner["subject"] == "innér" and inner["from"][0]["email"] \
            == "bob@inner.example" and inner["size"] == len(INNER) - 2, \
            inner
        # its parts have no blob id: "G..P3P1" is no blob of the server
        assert inner["textBody"][0]["blobId"] is None, inner
        value, = inner["bodyValues"].values()
        assert value["value"] == "Inner" and value["isTruncated"], value


def test_not_parsable_and_not_found():
    with jh.server() as srv:
        c = jh.client(srv)
        acct = session(c)
        blob = upload(c, acct, OUTER)
        e = parse(c, acct, [blob])["parsed"][blob]
        text = e["textBody"][0]
        # looks like a message, but its type is text/plain
        note, = [a for a in e["attachments"] if a["name"] == "note.txt"]
        binary = upload(c, acct, b"\x00\x01 no header here\r\n",
                        "application/octet-stream")
        cb = jh.client(srv)   # one user per connection
        bob = session(cb, "bob")
        bobs = upload(cb, bob, INNER, user="bob")
        missing = "G" + "0" * 64
        res = parse(c, acct, [text["blobId"], note["blobId"], binary,
                              missing, "junk", blob + "P99", bobs])
        assert res["parsed"] == {}, res
        assert sorted(res["notParsable"]) == sorted(
            [text["blobId"], note["blobId"], binary]), res
        # another user's upload is not this user's blob
        assert sorted(res["notFound"]) == sorted(
            [missing, "junk", blob + "P99", bobs]), res
        # while bob parses his own
        res, = api(cb, [["Email/parse", {"accountId": bob,
                                         "blobIds": [bobs]}, "p"]], "bob")
        assert res["parsed"][bobs]["subject"] == "innér", res
        bad, = api(c, [["Email/parse", {"accountId": acct,
                                        "blobIds": "x"}, "p"]])
        assert bad["type"] == "invalidArguments", bad


def test_email_copy_answers():
    """One account per user: /copy from another account finds none, and
    within the account RFC 8620 section 5.4 forbids it (accountId MUST
    differ from fromAccountId); the email is left as it was, even with
    onSuccessDestroyOriginal."""
    with jh.server() as srv:
        c = jh.client(srv)
        acct = session(c)
        cb = jh.client(srv)
        bob = session(cb, "bob")
        blob = upload(c, acct, INNER)
        boxes, = api(c, [["Mailbox/get", {"accountId": acct}, "m"]])
        inbox = [m["id"] for m in boxes["list"] if m["role"] == "inbox"][0]
        imp, = api(c, [["Email/import", {"accountId": acct, "emails": {
            "k": {"blobId": blob, "mailboxIds": {inbox: True}}}}, "i"]])
        eid = imp["created"]["k"]["id"]
        create = {"k": {"id": eid, "mailboxIds": {inbox: True}}}

        def copy(**args):
            return api(c, [["Email/copy", dict(create=create, **args),
                            "c"]])[0]
        for other in (bob, "nope"):
            r = copy(accountId=acct, fromAccountId=other,
                     onSuccessDestroyOriginal=True)
            assert r["type"] == "fromAccountNotFound", (other, r)
        r = copy(accountId=acct, fromAccountId=acct,
                 onSuccessDestroyOriginal=True)
        assert r["type"] == "invalidArguments" and \
            "fromAccountId" in r["description"], r
        # the target account is checked as every method's accountId
        r = copy(accountId=bob, fromAccountId=acct)
        assert r["type"] == "accountNotFound", r
        r, = api(c, [["Email/copy", {"accountId": acct,
                                     "fromAccountId": acct}, "c"]])
        assert r["type"] == "invalidArguments", r
        got, = api(c, [["Email/get", {"accountId": acct, "ids": [eid],
                                      "properties": ["mailboxIds"]}, "g"]])
        assert got["list"] == [{"id": eid, "mailboxIds": {inbox: True}}], got


def test_parse_a_stored_message_by_its_blob():
    """A message delivered over IMAP parses by the blobId Email/get gives,
    with the same header values and body parts as Email/get's."""
    with jh.server() as srv:
        srv.login("alice").append("INBOX", None, None, OUTER)
        c = jh.client(srv)
        acct = session(c)
        props = ["blobId", "subject", "from", "messageId", "attachments",
                 "textBody", "bodyValues", "header:X-Probe:asText"]
        q, g = api(c, [
            ["Email/query", {"accountId": acct}, "q"],
            ["Email/get", {"accountId": acct, "#ids": {
                "resultOf": "q", "name": "Email/query", "path": "/ids"},
                "properties": props, "fetchTextBodyValues": True}, "g"]])
        e, = g["list"]
        res = parse(c, acct, [e["blobId"]], properties=props,
                    fetchTextBodyValues=True)
        p = res["parsed"][e["blobId"]]
        del e["id"]
        assert p == e, (p, e)
