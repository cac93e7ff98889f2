"""Email/set create end to end: http.client creates a plain text email,
an HTML + text alternative with non-ASCII headers and an email with an
attachment taken by blobId from a message APPENDed over IMAP; imaplib
fetches each and Python's email package parses the bytes (headers,
encodings, parts); Email/get of each gives back what was set; and the
errors RFC 8621 names (invalidProperties, blobNotFound, tooLarge)."""
import email
import hashlib
import email.policy
import json
import re

import test_jmap_http as jh
from test_jmap_mail_http import api

def setup(srv):
    c = jh.client(srv)
    _, body = jh.request(c, "GET", "/jmap/session",
                         headers={"Authorization": jh.auth_header()})
    acct = json.loads(body)["primaryAccounts"]["urn:ietf:params:jmap:mail"]
    mb, = api(c, [["Mailbox/get", {"accountId": acct}, "m"]])
    ids = {x["role"] or x["name"]: x["id"] for x in mb["list"]}
    return c, acct, ids


def imap_message(m, mailbox, subject):
    """The bytes IMAP serves for the message with this subject."""
    typ, _ = m.select(mailbox)
    assert typ == "OK"
    m.literal = subject.encode()
    typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", "SUBJECT")
    uids = data[0].split()
    assert typ == "OK" and len(uids) == 1, (typ, data)
    typ, data = m.uid("FETCH", uids[0], "(BODY.PEEK[])")
    assert typ == "OK", data
    raw = data[0][1]
    return raw, email.message_from_bytes(raw, policy=email.policy.default)


def create(c, acct, obj, cid="k"):
    s, = api(c, [["Email/set", {"accountId": acct, "create": {cid: obj}},
                  "s"]])
    return s


def test_text_email_created_and_read_over_imap():
    with jh.server(options={"default-domain": "mail.example.net"}) as srv:
        c, acct, mb = setup(srv)
        s = create(c, acct, {
            "mailboxIds": {mb["drafts"]: True, mb["inbox"]: True},
            "keywords": {"$draft": True, "$seen": True, "project-x": True},
            "from": [{"name": "Alice Liddell", "email": "alice@example.org"}],
            "to": [{"name": "Bob, the \"Builder\"", "email": "bob@example.org"},
                   {"email": "carol@example.org"}],
            "subject": "Plain text",
            "sentAt": "2026-03-04T10:20:30+02:00",
            "receivedAt": "2026-03-04T08:20:31.250Z",
            "inReplyTo": ["parent@example.org"],
            "references": ["root@example.org", "parent@example.org"],
            "header:X-Tracking:asText": "one two",
            "header:List-Post:asURLs": ["mailto:list@example.org"],
            "bodyValues": {"1": {"value": "Line one\nLine two\n"}},
            "textBody": [{"partId": "1", "type": "text/plain"}]})
        made = s["created"]["k"]
        assert set(made) >= {"id", "blobId", "threadId", "size"}, s
        m = srv.login("alice")
        raw, msg = imap_message(m, "Drafts", "Plain text")
        assert len(raw) == made["size"], (len(raw), made)
        assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
        assert msg["Subject"] == "Plain text"
        assert msg["Date"] == "Wed, 04 Mar 2026 10:20:30 +0200", msg["Date"]
        assert msg["To"].addresses[0].display_name == 'Bob, the "Builder"'
        assert msg["To"].addresses[1].addr_spec == "carol@example.org"
        assert msg["In-Reply-To"] == "<parent@example.org>"
        assert msg["References"] == "<root@example.org> <parent@example.org>"
        assert msg["X-Tracking"] == "one two"
        assert msg["List-Post"] == "<mailto:list@example.org>"
        assert re.fullmatch(r"<[0-9a-f]{32}@mail\.example\.net>",
                            msg["Message-ID"]), msg["Message-ID"]
        assert msg.get_content_type() == "text/plain"
        assert msg["Content-Transfer-Encoding"] == "7bit"
        assert msg.get_content().replace("\r\n", "\n") == "Line one\nLine two\n"
        typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
        assert b"\\Draft" in data[0] and b"project-x" in data[0], data
        raw2, _ = imap_message(m, "INBOX", "Plain text")
        assert raw2 == raw
        g, = api(c, [["Email/get", {"accountId": acct, "ids": [made["id"]],
                      "properties": ["subject", "from", "to", "sentAt",
                                     "receivedAt", "keywords", "mailboxIds",
                                     "inReplyTo", "references", "blobId",
                                     "threadId", "size", "textBody",
                                     "bodyValues"],
                      "fetchTextBodyValues": True}, "g"]])
        e = g["list"][0]
        assert e["subject"] == "Plain text"
        assert e["from"] == [{"name": "Alice Liddell",
                              "email": "alice@example.org"}]
        assert e["to"][0] == {"name": 'Bob, the "Builder"',
                              "email": "bob@example.org"}
        assert e["sentAt"] in ("2026-03-04T10:20:30+02:00",
                               "2026-03-04T08:20:30Z"), e["sentAt"]
        assert e["receivedAt"] == "2026-03-04T08:20:31Z"
        assert e["keywords"] == {"$draft": True, "$seen": True,
                                 "project-x": True}, e["keywords"]
        assert e["mailboxIds"] == {mb["drafts"]: True, mb["inbox"]: True}
        assert e["inReplyTo"] == ["parent@example.org"]
        assert e["references"] == ["root@example.org", "parent@example.org"]
        assert (e["blobId"], e["threadId"], e["size"]) == \
            (made["blobId"], made["threadId"], made["size"])
        part = e["textBody"][0]["partId"]
        assert e["bodyValues"][part]["value"] == "Line one\r\nLine two\r\n" \
            or e["bodyValues"][part]["value"] == "Line one\nLine two\n"
        m.logout()
        c.close()


def test_html_alternative_with_non_ascii():
    long_subject = "Grüße aus Köln — " + ("und noch mehr Text " * 6).rstrip()
    text = "Schöne Grüße\n" + "x" * 1200 + "\n"
    html = "<p>Schöne <b>Grüße</b></p>\n"
    with jh.server() as srv:
        c, acct, mb = setup(srv)
        s = create(c, acct, {
            "mailboxIds": {mb["inbox"]: True},
            "from": [{"name": "Jürgen Müller", "email": "jm@example.de"}],
            "to": [{"name": "A very long display name that goes on and on",
                    "email": "long@example.org"}] * 3,
            "subject": long_subject,
            "bodyValues": {"t": {"value": text}, "h": {"value": html}},
            "textBody": [{"partId": "t"}],
            "htmlBody": [{"partId": "h", "type": "text/html"}]})
        assert "k" in s["created"], s
        m = srv.login("alice")
        raw, msg = imap_message(m, "INBOX", "Grüße")
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert all(len(l) <= 78 for l in head.split(b"\r\n")), head
        assert all(b < 128 for b in raw), "8-bit byte in the message"
        assert msg["Subject"] == long_subject, (msg["Subject"], raw[:600])
        assert msg["From"].addresses[0].display_name == "Jürgen Müller"
        assert len(msg["To"].addresses) == 3
        assert msg.get_content_type() == "multipart/alternative"
        tp, hp = msg.iter_parts()
        assert tp.get_content_type() == "text/plain"
        assert hp.get_content_type() == "text/html"
        assert tp["Content-Transfer-Encoding"] == "quoted-printable"
        assert tp.get_content_charset() == "utf-8"
        assert tp.get_content().replace("\r\n", "\n") == text
        assert hp.get_content().replace("\r\n", "\n") == html
        g, = api(c, [["Email/get", {"accountId": acct,
                      "ids": [s["created"]["k"]["id"]],
                      "properties": ["subject", "from", "htmlBody",
                                     "textBody", "bodyValues"],
                      "fetchHTMLBodyValues": True}, "g"]])
        e = g["list"][0]
        assert e["subject"] == long_subject
        assert e["from"][0]["name"] == "Jürgen Müller"
        assert e["htmlBody"][0]["type"] == "text/html"
        v = e["bodyValues"][e["htmlBody"][0]["partId"]]["value"]
        assert v.replace("\r\n", "\n") == html
        m.logout()
        c.close()


def test_attachment_by_blob_id_and_errors():
    with jh.server() as srv:
        m = srv.login("alice")
        data = bytes(range(256)) * 4
        import base64
        src = ("From: a@example.org\r\nSubject: source\r\n"
               "MIME-Version: 1.0\r\n"
               "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
               "--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
               "--b\r\nContent-Type: application/octet-stream\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n" +
               base64.encodebytes(data).decode().replace("\n", "\r\n") +
               "--b--\r\n").encode()
        m.append("INBOX", None, None, src)
        c, acct, mb = setup(srv)
        q, g = api(c, [
            ["Email/query", {"accountId": acct}, "q"],
            ["Email/get", {"accountId": acct, "#ids": {
                "resultOf": "q", "name": "Email/query", "path": "/ids"},
                "properties": ["attachments", "blobId"]}, "g"]])
        att = g["list"][0]["attachments"][0]
        # a blob id is the SHA-256 of the message: bob's is known to alice,
        # but stored serves it only to bob
        assert g["list"][0]["blobId"] == "G" + hashlib.sha256(src).hexdigest()
        mb_bob = srv.login("bob")
        theirs = src.replace(b"source", b"bob's own")
        mb_bob.append("INBOX", None, None, theirs)
        mb_bob.logout()
        bobs = "G" + hashlib.sha256(theirs).hexdigest()
        s = create(c, acct, {
            "mailboxIds": {mb["inbox"]: True},
            "subject": "With attachment",
            "bodyValues": {"1": {"value": "Here it is."}},
            "textBody": [{"partId": "1"}],
            "attachments": [
                {"blobId": att["blobId"], "type": "application/pdf",
                 "name": "Bericht Ü.pdf"},
                {"blobId": g["list"][0]["blobId"],
                 "type": "message/rfc822"}]})
        assert "k" in s["created"], s
        raw, msg = imap_message(m, "INBOX", "With attachment")
        assert msg.get_content_type() == "multipart/mixed"
        body, pdf, inner = msg.iter_parts()
        assert body.get_content() == "Here it is."
        assert pdf.get_content_type() == "application/pdf"
        assert pdf["Content-Transfer-Encoding"] == "base64"
        assert pdf.get_filename() == "Bericht Ü.pdf"
        assert pdf.get_content() == data
        assert inner.get_content_type() == "message/rfc822"
        assert inner.get_content()["Subject"] == "source"

        # the errors
        bad = api(c, [["Email/set", {"accountId": acct, "create": {
            "nombox": {"subject": "x"},
            "badaddr": {"mailboxIds": {mb["inbox"]: True},
                        "from": [{"email": "no at sign"}]},
            "serverset": {"mailboxIds": {mb["inbox"]: True}, "size": 3},
            "twice": {"mailboxIds": {mb["inbox"]: True}, "subject": "a",
                      "header:Subject": " b"},
            "ctype": {"mailboxIds": {mb["inbox"]: True},
                      "header:Content-Type": " text/plain"},
            "noblob": {"mailboxIds": {mb["inbox"]: True},
                       "attachments": [{"blobId": "G" + "0" * 64}]},
            "both": {"mailboxIds": {mb["inbox"]: True},
                     "bodyStructure": {"partId": "1"},
                     "textBody": [{"partId": "1"}],
                     "bodyValues": {"1": {"value": "x"}}},
            "nomailbox": {"mailboxIds": {"M999999": True}},
            "bobsblob": {"mailboxIds": {mb["inbox"]: True},
                         "attachments": [{"blobId": bobs}]},
        }}, "s"]])[0]
        nc = bad["notCreated"]
        assert not bad["created"], bad
        assert nc["nombox"]["properties"] == ["mailboxIds"], nc
        assert nc["badaddr"]["properties"] == ["from"], nc
        assert nc["serverset"]["properties"] == ["size"], nc
        assert nc["twice"]["properties"] == ["header:Subject"], nc
        assert nc["ctype"]["properties"] == ["header:Content-Type"], nc
        assert nc["noblob"]["type"] == "blobNotFound", nc
        assert nc["noblob"]["notFound"] == ["G" + "0" * 64], nc
        assert nc["bobsblob"]["type"] == "blobNotFound", nc
        assert nc["both"]["properties"] == ["bodyStructure"], nc
        assert nc["nomailbox"]["type"] == "invalidProperties", nc
        for k, v in nc.items():
            if k not in ("noblob", "bobsblob"):
                assert v["type"] == "invalidProperties", (k, v)
        m.logout()
        c.close()


def test_too_large():
    with jh.server(options={"max-size-upload": "64K"}) as srv:
        c, acct, mb = setup(srv)
        s = create(c, acct, {
            "mailboxIds": {mb["inbox"]: True},
            "bodyValues": {"1": {"value": "y" * 70000}},
            "textBody": [{"partId": "1"}]})
        assert s["notCreated"]["k"]["type"] == "tooLarge", s
        # blobs are read only while they fit in the message
        m = srv.login("alice")
        big = b"Subject: big\r\n\r\n" + (b"z" * 78 + b"\r\n") * 500
        m.append("INBOX", None, None, big)
        m.logout()
        blob = "G" + hashlib.sha256(big).hexdigest()
        s = create(c, acct, {"mailboxIds": {mb["inbox"]: True},
                             "attachments": [{"blobId": blob}]})
        assert "k" in s["created"], s
        s = create(c, acct, {"mailboxIds": {mb["inbox"]: True},
                             "attachments": [{"blobId": blob}] * 2})
        assert s["notCreated"]["k"]["type"] == "tooLarge", s
        c.close()


def test_over_quota_leaves_nothing_behind():
    """A create whose copy into its second mailbox is over quota is
    overQuota and leaves no copy in the first either."""
    import subprocess
    from harness import tool
    with jh.server() as srv:
        r = subprocess.run([tool("cloisterctl"), "-c", srv.srv.config_path,
                            "quota", "set", "alice", "--messages", "1"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        c, acct, mb = setup(srv)
        s = create(c, acct, {
            "mailboxIds": {mb["inbox"]: True, mb["drafts"]: True},
            "subject": "twice"})
        assert s["notCreated"]["k"]["type"] == "overQuota", s
        q, = api(c, [["Email/query", {"accountId": acct}, "q"]])
        assert q["ids"] == [], q
        s = create(c, acct, {"mailboxIds": {mb["inbox"]: True},
                             "subject": "once"})
        assert "k" in s["created"], s
        c.close()
