"""The JMAP mail methods end to end: messages APPENDed over IMAP are found
over HTTP with Email/query, read with Email/get through a result
reference (keywords from the IMAP flags), their blobId downloads the very
bytes, and a mailbox made with Mailbox/set is in the IMAP LIST; curl
marks a message read and moves it with Email/set, which IMAP then sees."""
import json
import shutil
import subprocess

from harness import Skip

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


def test_curl_marks_read_and_moves_with_one_request():
    """curl as the client: one POST with Email/query and an Email/set that
    takes the ids by result reference ($seen and a move to Archive), seen
    from IMAP afterwards."""
    if shutil.which("curl") is None:
        raise Skip("no curl")
    with jh.server() as srv:
        m = srv.login("alice")
        m.append("INBOX", None, None, msg("curl"))
        c = jh.client(srv)
        _, body = jh.request(c, "GET", "/jmap/session",
                             headers={"Authorization": jh.auth_header()})
        c.close()
        acct = json.loads(body)["primaryAccounts"][MAIL[1]]
        base = "https://127.0.0.1:%d" % srv.port("jmap")

        def curl(calls):
            req = json.dumps({"using": MAIL, "methodCalls": calls})
            r = subprocess.run(
                ["curl", "-s", "-k", "--max-time", "30", "-u",
                 "alice:wonderland", "-H", "Content-Type: application/json",
                 "--data-binary", req, base + "/jmap/api/"],
                capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, r.stderr
            return json.loads(r.stdout)["methodResponses"]
        boxes = curl([["Mailbox/query", {"accountId": acct,
                                         "filter": {"role": "archive"}}, "a"]])
        archive = boxes[0][1]["ids"][0]
        r = curl([
            ["Email/query", {"accountId": acct, "filter": {
                "subject": "curl"}}, "q"],
            ["Email/set", {"accountId": acct, "#update": {
                "resultOf": "q", "name": "Email/query", "path": "/ids"}},
             "bad"]])
        # update is a map, not the id list: the method says so
        assert r[1][0] == "error", r
        q = r[0][1]["ids"]
        r = curl([["Email/set", {"accountId": acct, "update": {
            q[0]: {"keywords/$seen": True,
                   "mailboxIds": {archive: True}}}}, "s"]])
        assert q[0] in r[0][1]["updated"], r
        m.select("Archive")
        typ, data = m.fetch("1", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert typ == "OK" and b"\\Seen" in data[0][0], data
        assert b"Subject: curl" in data[0][1]
        m.select("INBOX")
        typ, data = m.search(None, "ALL")
        assert data == [b""], data
        m.logout()


def test_an_attachment_downloads_decoded_by_its_part_blob_id():
    payload = bytes(range(256)) * 3
    import base64
    b64 = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    m_bytes = (b"From: ann@example.org\r\nTo: alice@example.org\r\n"
               b"Subject: att\r\nMIME-Version: 1.0\r\n"
               b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n"
               b"--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
               b"--b1\r\nContent-Type: application/x-test\r\n"
               b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 +
               b"--b1--\r\n")
    with jh.server() as srv:
        m = srv.login("alice")
        m.append("INBOX", None, None, m_bytes)
        c = jh.client(srv)
        _, body = jh.request(c, "GET", "/jmap/session",
                             headers={"Authorization": jh.auth_header()})
        sess = json.loads(body)
        acct = sess["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        _, g = api(c, [
            ["Email/query", {"accountId": acct}, "q"],
            ["Email/get", {"accountId": acct, "#ids": {
                "resultOf": "q", "name": "Email/query", "path": "/ids"},
                "properties": ["attachments", "blobId"]}, "g"]])
        att, = g["list"][0]["attachments"]
        assert att["blobId"] != g["list"][0]["blobId"], att
        path = "/jmap/" + sess["downloadUrl"].split("/jmap/", 1)[1] \
            .replace("{accountId}", acct).replace("{blobId}", att["blobId"]) \
            .replace("{name}", "a.bin").replace("{type}", "")
        path = path.replace("accept=&", "").replace("type=&", "")
        r, data = jh.request(c, "GET", path,
                             headers={"Authorization": jh.auth_header()})
        assert r.status == 200 and data == payload, (r.status, data[:40])
        assert r.getheader("Content-Type") == "application/x-test", \
            r.getheader("Content-Type")
        c.close()
        m.logout()
