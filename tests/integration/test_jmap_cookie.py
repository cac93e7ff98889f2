"""The web session cookie of jmapd (docs/jmap.md, "Push and downloads
from a browser"): a Session GET that logs in by password or app token sets
a short-lived token authd minted, as a Secure, HttpOnly, SameSite=Strict
cookie on the event source and download paths only. The cookie alone opens
an event stream (which hears a push) and a download, and nothing else: the
API and uploads refuse it (401), on a fresh connection and on the one it
logged in. A forged, malformed, expired or revoked-app-token cookie is
refused; with a listed Origin the event source answers the exact origin
with Access-Control-Allow-Credentials, never "*"."""
import hashlib
import json
import time

import test_jmap_http as jh
import test_jmap_http_push as jp
from imap_util import ImapServer, need_stored
from test_jmap_http_confine import ctl

NAME = "__Secure-cloister-jmap"
LIFETIME = 3


def server():
    need_stored()
    return ImapServer(users=jh.USERS, extra_services=[jh.jmapd_block()],
                      authd_options={"session-token-lifetime": LIFETIME})


def session(srv, authorization, extra=None):
    """(status, Set-Cookie headers, account id) of a Session GET."""
    c = jh.client(srv)
    r, body = jh.request(c, "GET", "/jmap/session",
                         headers={"Authorization": authorization,
                                  **(extra or {})})
    cookies = r.msg.get_all("Set-Cookie") or []
    c.close()
    acct = json.loads(body)["primaryAccounts"][
        "urn:ietf:params:jmap:mail"] if r.status == 200 else None
    return r.status, cookies, acct


def token_of(cookies):
    values = {c.split(";")[0] for c in cookies}
    assert len(values) == 1, cookies
    name, _, value = values.pop().partition("=")
    assert name == NAME, cookies
    return value


def with_cookie(srv, method, path, token, body=None, extra=None):
    c = jh.client(srv)
    r, got = jh.request(c, method, path, body=body,
                        headers={"Cookie": "%s=%s" % (NAME, token),
                                 **(extra or {})})
    hdrs = dict(r.getheaders())
    c.close()
    return r.status, got, hdrs


def test_cookie_opens_push_and_download_only():
    with server() as srv:
        st, cookies, acct = session(srv, jh.auth_header())
        assert st == 200 and len(cookies) == 2, cookies
        paths = sorted(a.strip() for c in cookies for a in c.split(";")
                       if a.strip().startswith("Path="))
        assert paths == ["Path=/jmap/download/",
                         "Path=/jmap/eventsource/"], cookies
        for c in cookies:
            attrs = {a.strip().split("=")[0] for a in c.split(";")[1:]}
            assert {"Secure", "HttpOnly", "SameSite"} <= attrs, c
            assert "SameSite=Strict" in c, c
        tok = token_of(cookies)
        assert tok.startswith("clws_") and len(tok) == 69, tok
        # the event source by the cookie alone hears an IMAP change
        raw = jh.Raw(srv, timeout=10)
        raw.send(("GET /jmap/eventsource/?types=*&closeafter=state&ping=0 "
                  "HTTP/1.1\r\nHost: x\r\nCookie: a=b; %s=%s\r\n\r\n"
                  % (NAME, tok)).encode())
        jp.read_stream_head(raw)
        m = srv.login("alice")
        m.append("INBOX", None, None, jp.MSG)
        name, data, _ = jp.next_event(raw, 5)
        assert name == "state" and acct in data["changed"], data
        raw.close()
        # a download by the cookie
        blob = "G" + hashlib.sha256(jp.MSG).hexdigest()
        st, got, _ = with_cookie(srv, "GET", "/jmap/download/%s/%s/m.eml"
                                 % (acct, blob), tok)
        assert st == 200 and got == jp.MSG, (st, got[:200])
        # the API and uploads refuse it: no change by a cross-site request
        req = json.dumps({"using": ["urn:ietf:params:jmap:core"],
                          "methodCalls": [["Core/echo", {}, "0"]]})
        st, _, _ = with_cookie(srv, "POST", "/jmap/api/", tok, req,
                               {"Content-Type": "application/json"})
        assert st == 401, st
        st, _, _ = with_cookie(srv, "POST", "/jmap/upload/%s/" % acct, tok,
                               b"x", {"Content-Type": "text/plain"})
        assert st == 401, st
        st, _, _ = with_cookie(srv, "GET", "/jmap/session", tok)
        assert st == 401, st
        # nor on the connection the cookie logged in
        c = jh.client(srv)
        r, _ = jh.request(c, "GET", "/jmap/download/%s/%s/m.eml"
                          % (acct, blob),
                          headers={"Cookie": "%s=%s" % (NAME, tok)})
        assert r.status == 200
        r, _ = jh.request(c, "POST", "/jmap/api/", req,
                          {"Cookie": "%s=%s" % (NAME, tok),
                           "Content-Type": "application/json"})
        assert r.status == 401, r.status
        c.close()
        # a forged token (well formed) costs authd one failed lookup and
        # stored nothing; a malformed one never reaches authd
        forged = "clws_" + "0" * 64
        before = len(srv.srv.log)
        st, _, _ = with_cookie(srv, "GET", "/jmap/download/%s/%s/m.eml"
                               % (acct, blob), forged)
        assert st == 401, st
        st, _, _ = with_cookie(srv, "GET", "/jmap/download/%s/%s/m.eml"
                               % (acct, blob), "clws_nonsense")
        assert st == 401, st
        tried = [l for l in srv.srv.log[before:] if "auth failed" in l]
        assert len(tried) == 1 and "mech=X-CLOISTER-SESSION" in tried[0] \
            and "unknown or expired session" in tried[0], tried
        assert not [l for l in srv.srv.log[before:] if "stored" in l and
                    "alice" in l], srv.srv.log[before:]
        # a login by the cookie mints no new cookie
        st, _, hdrs = with_cookie(srv, "GET", "/jmap/download/%s/%s/m.eml"
                                  % (acct, blob), tok)
        assert st == 200 and "Set-Cookie" not in hdrs, hdrs
        # expired: refused, with no cue for a password prompt
        time.sleep(LIFETIME + 1)
        st, _, hdrs = with_cookie(srv, "GET", "/jmap/download/%s/%s/m.eml"
                                  % (acct, blob), tok)
        assert st == 401, st
        assert hdrs["WWW-Authenticate"].startswith("Bearer "), hdrs
        m.logout()


def test_revoked_app_token_takes_its_cookies_and_cors():
    with server() as srv:
        r = ctl(srv, "token", "add", "alice", "web")
        assert r.returncode == 0, r.stderr
        bearer = "Bearer " + r.stdout.strip()
        origin = jh.CORS.split()[0]
        st, cookies, acct = session(srv, bearer, {"Origin": origin})
        assert st == 200, st
        tok = token_of(cookies)
        path = "/jmap/eventsource/?types=*&closeafter=state&ping=1"
        raw = jh.Raw(srv, timeout=10)
        raw.send(("GET %s HTTP/1.1\r\nHost: x\r\nOrigin: %s\r\n"
                  "Cookie: %s=%s\r\n\r\n" % (path, origin, NAME, tok)).encode())
        head = jp.read_stream_head(raw)
        assert "Access-Control-Allow-Origin: %s\r\n" % origin in head, head
        assert "Access-Control-Allow-Credentials: true" in head, head
        raw.close()
        # the API never allows credentials
        c = jh.client(srv)
        r, _ = jh.request(c, "POST", "/jmap/api/", json.dumps(
            {"using": ["urn:ietf:params:jmap:core"],
             "methodCalls": [["Core/echo", {}, "0"]]}),
            {"Authorization": bearer, "Origin": origin,
             "Content-Type": "application/json"})
        assert r.status == 200
        assert r.getheader("Access-Control-Allow-Origin") == origin
        assert r.getheader("Access-Control-Allow-Credentials") is None
        c.close()
        r = ctl(srv, "token", "revoke", "alice", "web")
        assert r.returncode == 0, r.stderr
        st, _, _ = with_cookie(srv, "GET", path, tok)
        assert st == 401, st
        # a password login's cookie lives until its user is deleted
        st, cookies, bacct = session(srv, jh.auth_header("bob"))
        tok = token_of(cookies)
        nothing = "/jmap/download/%s/G%s/x" % (bacct, "0" * 64)
        assert with_cookie(srv, "GET", nothing, tok)[0] == 404  # logged in
        r = ctl(srv, "user", "del", "bob")
        assert r.returncode == 0, r.stderr
        st, _, _ = with_cookie(srv, "GET", nothing, tok)
        assert st == 401, st
