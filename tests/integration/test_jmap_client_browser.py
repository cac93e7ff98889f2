"""A real JMAP client against cloister-jmapd: headless Chromium (Debian's
`chromium`, scripts/install-deps --test) runs tests/browser/jmap_client.html,
served from another origin (a local http.server on 127.0.0.1) that
jmapd's `cors-origins` lists. With a Bearer token from `cloisterctl token
add`, the page's fetch() calls get the Session, Mailbox/get, Email/query
and Email/get through a result reference, set a keyword, download a
message blob, upload 256 bytes and download them back unchanged, and hear, through an event stream read with fetch(), the
state change an IMAP APPEND made after the stream was open. What the page
saw comes back as JSON (POST /report) and is asserted here. The same page
from an origin jmapd does not list gets nothing: the browser withholds
every answer.

The browser's own EventSource cannot send an Authorization header, only
what the browser attaches by itself (cookies, cached HTTP credentials);
with a Bearer token alone and no session cookie jmapd answers it 401,
which the page records and this test prints. test_jmap_cookie_browser.py
opens it with the session cookie."""
import http.server
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import threading
import time

import test_jmap_http as jh
from harness import service_block
from imap_util import ImapServer, need_stored
from test_jmap_http_confine import ctl

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PAGE = os.path.join(TOP, "tests", "browser", "jmap_client.html")
MSGS = [(b"From: Carol <carol@example.org>\r\nTo: alice@example.org\r\n"
         b"Subject: browser %d\r\nMessage-ID: <browser-%d@example.org>\r\n"
         b"Date: Mon, 2 Nov 2026 10:0%d:00 +0000\r\n\r\nBody number %d.\r\n"
         % (i, i, i, i)) for i in range(1, 4)]
PUSHED = (b"From: dave@example.org\r\nTo: alice@example.org\r\n"
          b"Subject: pushed\r\nMessage-ID: <pushed@example.org>\r\n\r\nNew.\r\n")


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    raise AssertionError("chromium is not installed (scripts/install-deps --test)")


class PageServer:
    """The page's origin: GET the page, POST /ready (the stream is open:
    on_ready runs), POST /report (the page's result)."""

    def __init__(self, on_ready, page=PAGE, tls=None):
        outer = self
        self.report = None
        self.ready_at = None
        self.done = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def answer(self, status, body=b"", ctype="text/plain"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path.split("#")[0] != "/" + os.path.basename(page):
                    return self.answer(404)
                with open(page, "rb") as f:
                    self.answer(200, f.read(), "text/html; charset=utf-8")

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n) if n else b""
                if self.path == "/ready":
                    outer.ready_at = time.time()
                    on_ready()
                    return self.answer(204)
                if self.path == "/report":
                    outer.report = json.loads(body)
                    outer.done.set()
                    return self.answer(204)
                self.answer(404)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.origin = "http://127.0.0.1:%d" % self.port
        if tls is not None:
            # (cert, key): an https origin, same site as an https jmapd
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                                server_side=True)
            self.origin = "https://127.0.0.1:%d" % self.port
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def run_browser(url, done, timeout=90):
    """Chromium on url until done is set (or timeout); its stderr."""
    profile = tempfile.mkdtemp(prefix="cloister-chromium-")
    # as root Chromium runs only without its sandbox; the page is ours
    p = subprocess.Popen([chromium(), "--headless", "--no-sandbox",
                          "--disable-gpu", "--no-first-run",
                          "--disable-extensions", "--disable-dev-shm-usage",
                          "--ignore-certificate-errors",
                          "--user-data-dir=" + profile, url],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         start_new_session=True)
    try:
        done.wait(timeout)
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        _, err = p.communicate(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)
    return err.decode(errors="replace")


def browse(cors_origin, appended):
    """Run the page in Chromium against a fresh server whose jmapd lists
    cors_origin (None: the page's own origin); the page's report."""
    need_stored()
    box = {}

    def append_over_imap():
        m = box["srv"].login("alice")
        appended["at"] = time.time()
        m.append("INBOX", None, None, PUSHED)
        m.logout()

    page = PageServer(append_over_imap)
    try:
        block = service_block(
            "jmapd", "connection", "@bin:cloister-jmapd@", "jmapd",
            ("jmap tcp 127.0.0.1:@port:jmap@ tls",),
            settings={"spares": 2, "max-processes": 40, "max-per-ip": 0,
                      "prelogin-timeout": 20},
            options={"auth": "yes", "keyd": "yes",
                     "cors-origins": cors_origin or page.origin})
        with ImapServer(users=jh.USERS, extra_services=[block]) as srv:
            box["srv"] = srv
            m = srv.login("alice")
            for msg in MSGS:
                m.append("INBOX", None, None, msg)
            m.logout()
            r = ctl(srv, "token", "add", "alice", "browser")
            assert r.returncode == 0, r.stderr
            token = r.stdout.strip()
            url = "%s/jmap_client.html#base=https://127.0.0.1:%d&token=%s" % (
                page.origin, srv.port("jmap"), token)
            err = run_browser(url, page.done)
            assert page.report is not None, \
                "the page never reported:\n" + err[-3000:]
            return page.report
    finally:
        page.close()


def test_chromium_drives_session_api_download_and_push():
    appended = {}
    rep = browse(None, appended)
    assert rep["errors"] == [], rep
    s = rep["steps"]
    assert s["sessionStatus"] == 200 and s["username"] == "alice", s
    assert {"INBOX", "Drafts", "Sent", "Trash"} <= set(s["mailboxes"]), s
    assert s["inboxTotal"] == 3 and s["queryIds"] == 3, s
    assert s["subjects"] == ["browser 1", "browser 2", "browser 3"], s
    assert len(s["setUpdated"]) == 1 and s["keywordsAfter"].get("$flagged"), s
    assert s["downloadStatus"] == 200, s
    assert s["downloadType"] == "message/rfc822", s
    assert s["downloadText"].encode() == MSGS[0], s["downloadText"]
    assert s["downloadSize"] == len(MSGS[0]), s
    assert s["uploadStatus"] == 201 and s["uploadSize"] == 256, s
    assert s["uploadType"] == "application/octet-stream", s
    assert s["uploadBackStatus"] == 200 and s["uploadBackSame"] is True, s
    assert s["pushType"] == "text/event-stream", s
    assert s["pushData"]["@type"] == "StateChange", s
    assert s["pushedState"] == s["stateAfterPush"], s
    assert s["inboxTotalAfterPush"] == 4, s
    # the event came after the APPEND began, and not long after
    lag = s["pushAt"] / 1000.0 - appended["at"]
    assert -0.05 < lag < 5, lag
    print("browser: push %.0f ms after the IMAP APPEND began; the browser's "
          "own EventSource: %s" % (lag * 1000, s["nativeEventSource"]))


def test_a_page_from_an_unlisted_origin_reads_nothing():
    # the same page, but jmapd lists another origin: the browser withholds
    # every answer from it, so it learns nothing, not even the Session
    rep = browse("https://mail.example.org", {})
    assert rep["steps"] == {}, rep
    assert len(rep["errors"]) == 1 and "Failed to fetch" in rep["errors"][0], rep
