#!/usr/bin/env python3
"""A JMAP conformance check written from RFC 8620 (core) and RFC 8621
(mail) alone: it knows nothing of the server it talks to beyond what the
Session resource says.

    jmap_conformance.py [--insecure] BASE_URL USER PASSWORD

BASE_URL is where the server lives (https://host:port); the Session is
found through /.well-known/jmap. Each check prints one line
`PASS n name: detail` or `FAIL n name: detail`; the last line is
`N passed, N failed`, and the exit status is non-zero when a check failed.

The checks create their own data in the account (mailboxes named
"conformance-..." and a few messages) and remove it at the end. Where the
RFC lets a server answer either way (cannotCalculateChanges for a
/queryChanges or Thread/changes it cannot compute), either answer passes
as long as it is well formed."""
import argparse
import base64
import http.client
import json
import socket
import ssl
import sys
import time
import urllib.parse
import uuid

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"
SUBMISSION = "urn:ietf:params:jmap:submission"
VACATION = "urn:ietf:params:jmap:vacationresponse"
ERR = "urn:ietf:params:jmap:error:"
RIGHTS = ("mayReadItems", "mayAddItems", "mayRemoveItems", "maySetSeen",
          "maySetKeywords", "mayCreateChild", "mayRename", "mayDelete",
          "maySubmit")
MAILBOX_PROPS = ("id", "name", "parentId", "role", "sortOrder", "totalEmails",
                 "unreadEmails", "totalThreads", "unreadThreads", "myRights",
                 "isSubscribed")
CORE_LIMITS = ("maxSizeUpload", "maxConcurrentUpload", "maxSizeRequest",
               "maxConcurrentRequests", "maxCallsInRequest", "maxObjectsInGet",
               "maxObjectsInSet")

MSG1 = (b"From: Alice Example <alice@example.org>\r\n"
        b"To: Bob <bob@example.net>, carol@example.com\r\n"
        b"Subject: =?UTF-8?Q?conformance_caf=C3=A9?=\r\n"
        b"Date: Tue, 01 Jun 2021 10:00:00 +0000\r\n"
        b"Message-ID: <conf-1@example.org>\r\n"
        b"X-Conformance: one\r\n"
        b"X-Conformance: two\r\n"
        b"List-Post: <mailto:list@example.org>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Hello from the conformance check. The word zebracorn is rare.\r\n"
        b"A second line of text to make the body a little longer.\r\n")
MSG2 = (b"From: Dave <dave@example.com>\r\n"
        b"To: alice@example.org\r\n"
        b"Subject: Re: conformance second\r\n"
        b"Date: Wed, 02 Jun 2021 10:00:00 +0000\r\n"
        b"Message-ID: <conf-2@example.org>\r\n"
        b"In-Reply-To: <conf-1@example.org>\r\n"
        b"References: <conf-1@example.org>\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
        b"--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        b"Second message body.\r\n"
        b"--b1\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Disposition: attachment; filename=\"data.bin\"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"AAECAwQFBgcICQ==\r\n--b1--\r\n")


class Http:
    """One HTTPS (or HTTP) origin with Basic credentials."""

    def __init__(self, base, user, password, insecure):
        u = urllib.parse.urlsplit(base)
        self.scheme, self.host = u.scheme, u.hostname
        self.port = u.port or (443 if u.scheme == "https" else 80)
        self.ctx = None
        if self.scheme == "https":
            self.ctx = ssl.create_default_context()
            if insecure:
                self.ctx.check_hostname = False
                self.ctx.verify_mode = ssl.CERT_NONE
        self.auth = "Basic " + base64.b64encode(
            ("%s:%s" % (user, password)).encode()).decode()

    def conn(self, timeout=30):
        if self.ctx is not None:
            return http.client.HTTPSConnection(self.host, self.port,
                                               timeout=timeout, context=self.ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def path_of(self, url):
        u = urllib.parse.urlsplit(url)
        return (u.path or "/") + ("?" + u.query if u.query else "")

    def request(self, method, url, body=None, headers=None, auth=True):
        """(status, headers dict with lower-case names, body bytes)."""
        h = dict(headers or {})
        if auth:
            h["Authorization"] = self.auth
        c = self.conn()
        try:
            c.request(method, self.path_of(url), body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()


class Failed(Exception):
    pass


def need(cond, detail):
    if not cond:
        raise Failed(detail)


def short(obj, n=200):
    s = obj if isinstance(obj, str) else json.dumps(obj, sort_keys=True)
    return s if len(s) <= n else s[:n] + "..."


class Checker:
    def __init__(self, base, user, password, insecure):
        self.base = base.rstrip("/")
        self.user = user
        self.http = Http(self.base, user, password, insecure)
        self.n = 0
        self.passed = 0
        self.failed = 0
        self.session = None
        self.acct = None
        self.tag = uuid.uuid4().hex[:8]
        self.data = {}  # ids made by one section for the next

    # -- reporting -----------------------------------------------------
    def check(self, name, fn):
        self.n += 1
        try:
            detail = fn()
            self.passed += 1
            print("PASS %d %s: %s" % (self.n, name, detail or "ok"), flush=True)
        except Failed as e:
            self.failed += 1
            print("FAIL %d %s: %s" % (self.n, name, e), flush=True)
        except Exception as e:  # a crash in one check is that check's failure
            self.failed += 1
            print("FAIL %d %s: %s: %s" % (self.n, name, type(e).__name__, e),
                  flush=True)

    # -- talking to the API --------------------------------------------
    def post_api(self, body, ctype="application/json", auth=True):
        if not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        return self.http.request("POST", self.session["apiUrl"], body,
                                 {"Content-Type": ctype}, auth=auth)

    def api(self, calls, using=(CORE, MAIL), created_ids=None):
        req = {"using": list(using), "methodCalls": calls}
        if created_ids is not None:
            req["createdIds"] = created_ids
        st, hdrs, body = self.post_api(req)
        need(st == 200, "HTTP %d: %s" % (st, short(body.decode("utf-8", "replace"))))
        return json.loads(body)

    def call(self, name, args, using=(CORE, MAIL)):
        """The one response [name, args, callId] of a single call."""
        out = self.api([[name, args, "c0"]], using)
        need(len(out["methodResponses"]) == 1, "not one response: %s"
             % short(out))
        return out["methodResponses"][0]

    def ok(self, name, args, using=(CORE, MAIL)):
        r = self.call(name, dict({"accountId": self.acct}, **args), using)
        need(r[0] == name, "%s answered %s" % (name, short(r)))
        return r[1]

    def method_error(self, name, args, want, using=(CORE, MAIL)):
        r = self.call(name, args, using)
        need(r[0] == "error" and r[1].get("type") == want,
             "want error %s, got %s" % (want, short(r)))
        need(r[2] == "c0", "callId not echoed: %s" % short(r))
        return "error %s" % want

    def problem(self, st, hdrs, body, want_type, want_status=400):
        ctype = hdrs.get("content-type", "")
        need(st == want_status, "HTTP %d, want %d: %s" % (
            st, want_status, short(body.decode("utf-8", "replace"))))
        need(ctype.split(";")[0].strip() == "application/problem+json",
             "Content-Type %r, want application/problem+json" % ctype)
        p = json.loads(body)
        need(p.get("type") == ERR + want_type, "type %r" % p.get("type"))
        need(p.get("status") in (None, st), "status member %r" % p.get("status"))
        return p

    def mailboxes(self):
        return self.ok("Mailbox/get", {"ids": None})["list"]

    def role_id(self, role):
        for m in self.mailboxes():
            if m.get("role") == role:
                return m["id"]
        return None

    def upload(self, data, ctype="message/rfc822"):
        url = self.session["uploadUrl"].replace("{accountId}", self.acct)
        st, hdrs, body = self.http.request("POST", url, data,
                                           {"Content-Type": ctype})
        need(st in (200, 201), "upload HTTP %d: %s" % (st, short(body.decode(
            "utf-8", "replace"))))
        return json.loads(body)

    def import_msg(self, data, mailbox_ids, keywords=None, received=None):
        blob = self.upload(data)["blobId"]
        em = {"blobId": blob, "mailboxIds": {m: True for m in mailbox_ids},
              "keywords": keywords or {}}
        if received:
            em["receivedAt"] = received
        r = self.ok("Email/import", {"emails": {"i": em}})
        need("i" in (r.get("created") or {}), "not imported: %s" % short(r))
        return r["created"]["i"]

    def make_mailbox(self, name, parent=None):
        r = self.ok("Mailbox/set", {"create": {"m": {"name": name,
                                                     "parentId": parent}}})
        need("m" in (r.get("created") or {}), "not created: %s" % short(r))
        return r["created"]["m"]["id"]

    # -- runner --------------------------------------------------------
    def run(self):
        import jmap_conformance_core as core
        import jmap_conformance_blob as blob
        import jmap_conformance_edge as edge
        import jmap_conformance_mail as mail
        import jmap_conformance_query as query
        import jmap_conformance_user as user
        for section in (core.SECTIONS + edge.SECTIONS + blob.SECTIONS +
                        mail.SECTIONS + query.SECTIONS + user.SECTIONS):
            section(self)
            if self.session is None:
                break  # without a Session nothing else can be reached
        user.cleanup(self)
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 0 if self.failed == 0 else 1


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--insecure", action="store_true",
                    help="accept any TLS certificate (self-signed test servers)")
    ap.add_argument("base_url")
    ap.add_argument("user")
    ap.add_argument("password")
    a = ap.parse_args(argv)
    socket.setdefaulttimeout(60)
    return Checker(a.base_url, a.user, a.password, a.insecure).run()


if __name__ == "__main__":
    sys.path.insert(0, __import__("os").path.dirname(__file__))
    sys.exit(main(sys.argv[1:]))
