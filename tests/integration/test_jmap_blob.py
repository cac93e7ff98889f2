"""JMAP uploads (RFC 8620 section 6.1), Email/import (RFC 8621 section
4.8) and Blob/copy (RFC 8620 section 6.3) end to end against a real
server: curl uploads a message and a binary and downloads them back byte
for byte; an upload over maxSizeUpload gets 413 with the limit problem; an
upload counts against the storage quota and is swept when it expires;
another user's upload is not downloadable by its blob id; an imported
upload is seen over IMAP with its flags and INTERNALDATE."""
import glob
import hashlib
import json
import os
import shutil
import subprocess
import time

from harness import Skip
from lmtp_util import Admin

import test_jmap_http as jh

MAIL = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]
PASSWORDS = {"alice": "wonderland", "bob": "builder"}


def message(subject):
    return ("From: Ann Example <ann@example.org>\r\nTo: alice@example.org\r\n"
            "Subject: %s\r\nMessage-ID: <%s@example.org>\r\n"
            "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\n"
            "Body of %s.\r\n" % (subject, subject, subject)).encode()


def need_curl():
    if shutil.which("curl") is None:
        raise Skip("no curl")


def base(srv):
    return "https://127.0.0.1:%d" % srv.port("jmap")


def curl(srv, args, user="alice", data=None):
    """curl's status code and body for one request."""
    r = subprocess.run(
        ["curl", "-s", "-k", "--max-time", "60", "-u",
         "%s:%s" % (user, PASSWORDS[user]), "-o", "-",
         "-w", "\n%{http_code}"] + args,
        input=data, capture_output=True, timeout=90)
    assert r.returncode == 0, r.stderr
    body, _, code = r.stdout.rpartition(b"\n")
    return int(code), body


def account(srv, user="alice"):
    code, body = curl(srv, [base(srv) + "/jmap/session"], user)
    assert code == 200, (code, body)
    return json.loads(body)["primaryAccounts"][MAIL[1]]


def upload(srv, acct, data, ctype, user="alice"):
    return curl(srv, ["-H", "Content-Type: " + ctype, "--data-binary", "@-",
                      base(srv) + "/jmap/upload/%s/" % acct], user, data)


def download(srv, acct, blob, user="alice", name="f"):
    return curl(srv, [base(srv) + "/jmap/download/%s/%s/%s" %
                      (acct, blob, name)], user)


def test_curl_uploads_and_downloads_back_byte_identical():
    need_curl()
    binary = bytes(range(256)) * 40 + b"\x00\r\n\x00"
    with jh.server() as srv:
        acct = account(srv)
        for data, ctype in ((message("up"), "message/rfc822"),
                            (binary, "application/x-test"),
                            (b"", "text/plain; charset=utf-8")):
            code, body = upload(srv, acct, data, ctype)
            assert code == 201, (code, body)
            got = json.loads(body)
            # the content id is the SHA-256, the same form as messages'
            assert got == {"accountId": acct, "type": ctype,
                           "size": len(data), "blobId": "G" +
                           hashlib.sha256(data).hexdigest()}, got
            code, back = download(srv, acct, got["blobId"])
            assert code == 200 and back == data, (code, back[:60])
        # the same bytes again: the same id, still downloadable
        code, body = upload(srv, acct, binary, "application/x-test")
        assert code == 201 and json.loads(body)["blobId"] == \
            "G" + hashlib.sha256(binary).hexdigest()


def test_upload_over_max_size_is_413_limit():
    need_curl()
    with jh.server(options={"max-size-upload": "4096"}) as srv:
        acct = account(srv)
        code, body = upload(srv, acct, b"x" * 5000, "text/plain")
        assert code == 413, (code, body)
        problem = json.loads(body)
        assert problem["type"] == "urn:ietf:params:jmap:error:limit" and \
            problem["limit"] == "maxSizeUpload", problem
        code, body = upload(srv, acct, b"x" * 4096, "text/plain")
        assert code == 201, (code, body)
        # chunked: no length declared, the limit holds as the body streams
        chunked = ["-H", "Transfer-Encoding: chunked", "-H",
                   "Content-Type: text/plain", "--data-binary", "@-",
                   base(srv) + "/jmap/upload/%s/" % acct]
        code, body = curl(srv, chunked, data=b"y" * 5000)
        assert code == 413 and b"maxSizeUpload" in body, (code, body)
        code, body = curl(srv, chunked, data=b"z" * 4000)
        assert code == 201 and json.loads(body)["size"] == 4000, (code, body)
        code, back = download(srv, acct, json.loads(body)["blobId"])
        assert code == 200 and back == b"z" * 4000


def test_uploads_count_against_the_quota():
    need_curl()
    with jh.server() as srv:
        acct = account(srv)   # the first login makes the store
        adm = Admin(srv.srv, srv.shard_of("alice"))
        adm.quota("alice", storage=30000)
        adm.close()
        code, body = upload(srv, acct, b"a" * 20000, "text/plain")
        assert code == 201, (code, body)
        # 20000 + 20000 is over 30000: refused, the first still there
        code, body = upload(srv, acct, b"b" * 20000, "text/plain")
        assert code == 413 and b"quota" in body.lower(), (code, body)
        m = srv.login("alice")
        typ, data = m.getquotaroot("INBOX")
        assert typ == "OK" and b"STORAGE 20 29" in data[1][0], data
        m.logout()


def test_another_users_upload_is_not_downloadable():
    need_curl()
    with jh.server() as srv:
        acct = account(srv)
        bob = account(srv, "bob")
        secret = b"alice's private upload\r\n"
        code, body = upload(srv, acct, secret, "text/plain")
        assert code == 201, (code, body)
        blob = json.loads(body)["blobId"]
        code, back = download(srv, acct, blob)
        assert code == 200 and back == secret
        # bob knows the id (a hash of guessable bytes): still not his
        code, _ = download(srv, bob, blob, user="bob")
        assert code == 404, code
        code, _ = download(srv, acct, blob, user="bob")
        assert code == 404, code


def api(srv, calls, user="alice"):
    req = json.dumps({"using": MAIL, "methodCalls": calls}).encode()
    code, body = curl(srv, ["-H", "Content-Type: application/json",
                            "--data-binary", "@-", base(srv) + "/jmap/api/"],
                      user, req)
    assert code == 200, (code, body)
    return json.loads(body)["methodResponses"]


def inbox_id(srv, acct):
    r = api(srv, [["Mailbox/query", {"accountId": acct,
                                     "filter": {"role": "inbox"}}, "q"]])
    return r[0][1]["ids"][0]


def test_email_import_of_an_upload_is_seen_over_imap():
    """curl uploads a message, Email/import files it in INBOX with
    keywords and receivedAt; imaplib sees the flags, INTERNALDATE and the
    very bytes. The import's errors are SetErrors per creation id."""
    need_curl()
    raw = message("imported")
    with jh.server() as srv:
        acct = account(srv)
        inbox = inbox_id(srv, acct)
        code, body = upload(srv, acct, raw, "message/rfc822")
        assert code == 201, (code, body)
        blob = json.loads(body)["blobId"]
        code, body = upload(srv, acct, b"\x00\x01binary", "application/x-b")
        binary = json.loads(body)["blobId"]
        r = api(srv, [["Email/import", {"accountId": acct, "emails": {
            "a": {"blobId": blob, "mailboxIds": {inbox: True},
                  "keywords": {"$seen": True, "$flagged": True,
                               "Work": True},
                  "receivedAt": "2024-03-05T10:20:30Z"},
            "nf": {"blobId": "G" + "0" * 64, "mailboxIds": {inbox: True}},
            "bin": {"blobId": binary, "mailboxIds": {inbox: True}},
            "mb": {"blobId": blob, "mailboxIds": {"M999999": True}},
            "kw": {"blobId": blob, "mailboxIds": {inbox: True},
                   "keywords": {"bad word": True}},
        }}, "i"], ["Email/get", {"accountId": acct, "ids": ["#a"],
                                 "properties": ["keywords", "receivedAt",
                                                "mailboxIds"]}, "g"]])
        name, res, _ = r[0]
        assert name == "Email/import", r
        assert set(res["created"]) == {"a"}, res
        a = res["created"]["a"]
        assert a["blobId"] == blob and a["size"] == len(raw) and \
            a["id"].startswith("E") and a["threadId"].startswith("T"), a
        ne = res["notCreated"]
        assert ne["nf"]["type"] == "blobNotFound" and \
            ne["nf"]["notFound"] == ["G" + "0" * 64], ne
        assert ne["bin"]["type"] == "invalidEmail", ne
        assert ne["mb"]["type"] == "invalidProperties" and \
            ne["mb"]["properties"] == ["mailboxIds"], ne
        assert ne["kw"]["type"] == "invalidProperties", ne
        assert res["oldState"] != res["newState"], res
        got = r[1][1]["list"][0]
        assert got["keywords"] == {"$seen": True, "$flagged": True,
                                   "work": True}, got
        assert got["receivedAt"] == "2024-03-05T10:20:30Z", got
        assert got["mailboxIds"] == {inbox: True}, got
        m = srv.login("alice")
        m.select("INBOX")
        typ, data = m.fetch("1", "(FLAGS INTERNALDATE BODY.PEEK[])")
        assert typ == "OK", data
        meta = data[0][0]
        assert b"\\Seen" in meta and b"\\Flagged" in meta and \
            b"work" in meta, meta
        assert b'INTERNALDATE " 5-Mar-2024 10:20:30 +0000"' in meta, meta
        assert data[0][1] == raw
        # the message expunged, its bytes stay while the upload lives
        m.store("1", "+FLAGS", "\\Deleted")
        m.expunge()
        code, back = download(srv, acct, blob)
        assert code == 200 and back == raw, (code, back[:60])
        m.logout()
        # ifInState that is not the state: the whole call is refused
        r = api(srv, [["Email/import", {"accountId": acct,
                                        "ifInState": res["oldState"],
                                        "emails": {}}, "i"]])
        assert r[0][0] == "error" and r[0][1]["type"] == "stateMismatch", r


def test_import_over_quota_and_blob_copy():
    need_curl()
    with jh.server() as srv:
        acct = account(srv)
        inbox = inbox_id(srv, acct)
        adm = Admin(srv.srv, srv.shard_of("alice"))
        adm.quota("alice", storage=30000)
        adm.close()
        big = message("big") + b"x" * 18000 + b"\r\n"
        code, body = upload(srv, acct, big, "message/rfc822")
        assert code == 201, (code, body)
        blob = json.loads(body)["blobId"]
        # the upload holds 18 KB of the 30: a message of it does not fit
        r = api(srv, [["Email/import", {"accountId": acct, "emails": {
            "q": {"blobId": blob, "mailboxIds": {inbox: True}}}}, "i"]])
        assert r[0][1]["notCreated"]["q"]["type"] == "overQuota", r
        r = api(srv, [["Blob/copy", {"fromAccountId": acct,
                                     "accountId": acct,
                                     "blobIds": [blob, "G" + "1" * 64,
                                                 "nonsense"]}, "c"],
                      ["Blob/copy", {"fromAccountId": "Aother",
                                     "accountId": acct,
                                     "blobIds": [blob]}, "d"]])
        c = r[0][1]
        assert c["copied"] == {blob: blob}, c
        assert set(c["notCopied"]) == {"G" + "1" * 64, "nonsense"} and \
            c["notCopied"]["nonsense"]["type"] == "notFound", c
        assert r[1][0] == "error" and \
            r[1][1]["type"] == "fromAccountNotFound", r
        # bob cannot copy (or see) alice's upload into his account
        bob = account(srv, "bob")
        r = api(srv, [["Blob/copy", {"fromAccountId": bob, "accountId": bob,
                                     "blobIds": [blob]}, "c"]], "bob")
        assert r[0][1]["copied"] is None and \
            r[0][1]["notCopied"][blob]["type"] == "notFound", r


def test_expired_uploads_are_swept_and_give_their_quota_back():
    """upload-ttl 2: an upload is downloadable until it expires, then 404;
    the next upload sweeps it (its charge given back, its file removed),
    but an upload imported as a message keeps its file for the message."""
    need_curl()
    from imap_util import ImapServer, need_stored
    need_stored()
    with ImapServer(users=jh.USERS, extra_services=[jh.jmapd_block()],
                    stored_options={"upload-ttl": "2"}) as srv:
        acct = account(srv)
        inbox = inbox_id(srv, acct)
        gone, kept = b"g" * 30000, message("kept") + b"k" * 20000 + b"\r\n"
        ids = []
        for data in (gone, kept):
            code, body = upload(srv, acct, data, "application/x-a")
            assert code == 201, (code, body)
            ids.append(json.loads(body)["blobId"])
        r = api(srv, [["Email/import", {"accountId": acct, "emails": {
            "k": {"blobId": ids[1], "mailboxIds": {inbox: True}}}}, "i"]])
        assert "k" in r[0][1]["created"], r
        spool = srv.srv.roots["stored"]
        files = {i: glob.glob(os.path.join(spool, "**", i[1:]),
                              recursive=True) for i in ids}
        assert all(len(f) == 1 for f in files.values()), files
        time.sleep(3)
        code, _ = download(srv, acct, ids[0])
        assert code == 404, code
        m = srv.login("alice")
        typ, q = m.getquotaroot("INBOX")
        before = int(q[1][0].split()[2])
        assert before >= 70, q   # 30000 + 20000 uploaded + the message
        code, body = upload(srv, acct, b"tiny", "text/plain")
        assert code == 201, (code, body)
        typ, q = m.getquotaroot("INBOX")
        after = int(q[1][0].split()[2])
        # 49 KB back, 4 KB taken: a tiny upload is charged a block
        assert before - 46 <= after <= before - 44, (before, after)
        assert not os.path.exists(files[ids[0]][0])
        assert os.path.exists(files[ids[1]][0])
        m.select("INBOX")
        typ, data = m.fetch("1", "(BODY.PEEK[])")
        assert typ == "OK" and data[0][1] == kept
        # the message's blob is still readable after its upload went
        code, back = download(srv, acct, ids[1])
        assert code == 200 and back == kept
        m.logout()


def test_an_import_that_fails_part_way_leaves_no_copy():
    """Two mailboxes, room for one copy: overQuota, and the copy made in
    the first mailbox is gone again (an import is all or nothing)."""
    need_curl()
    with jh.server() as srv:
        acct = account(srv)
        adm = Admin(srv.srv, srv.shard_of("alice"))
        adm.quota("alice", storage=80000)   # the upload and one copy
        adm.close()
        r = api(srv, [["Mailbox/query", {"accountId": acct}, "q"],
                      ["Mailbox/get", {"accountId": acct, "#ids": {
                          "resultOf": "q", "name": "Mailbox/query",
                          "path": "/ids"}, "properties": ["name"]}, "g"]])
        ids = {m["name"]: m["id"] for m in r[1][1]["list"]}
        big = message("twice") + b"t" * 20000 + b"\r\n"
        code, body = upload(srv, acct, big, "message/rfc822")
        assert code == 201, (code, body)
        blob = json.loads(body)["blobId"]
        r = api(srv, [["Email/import", {"accountId": acct, "emails": {
            "t": {"blobId": blob, "mailboxIds": {ids["INBOX"]: True,
                                                 ids["Archive"]: True}}}},
            "i"]])
        assert r[0][1]["notCreated"]["t"]["type"] == "overQuota", r
        m = srv.login("alice")
        for box in ("INBOX", "Archive"):
            typ, data = m.status(box, "(MESSAGES)")
            assert typ == "OK" and b"MESSAGES 0" in data[0], (box, data)
        m.logout()
