"""JMAP uploads (RFC 8620 section 6.1) end to end against a real server:
curl uploads a message and a binary and downloads them back byte for
byte; an upload over maxSizeUpload gets 413 with the limit problem; an
upload counts against the storage quota; another user's upload is not
downloadable by its blob id."""
import hashlib
import json
import shutil
import subprocess

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
                            (binary, "application/x-test")):
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
