"""The browser's own EventSource hears a push (docs/jmap.md, "Push and
downloads from a browser"): headless Chromium runs
tests/browser/jmap_eventsource.html from another https origin of the same
site, listed in jmapd's `cors-origins`. One credentialed fetch() of the
Session with an app token sets the web session cookie (HttpOnly: the page
cannot read it); `new EventSource(url, {withCredentials: true})`, which
can send no Authorization header, logs in by that cookie alone and hears
the state change an IMAP APPEND made after the stream opened."""
import os
import shutil
import tempfile
import time

import test_jmap_http as jh
from imap_util import ImapServer, make_cert, need_stored
from test_jmap_client_browser import PageServer, run_browser
from test_jmap_http_confine import ctl

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PAGE = os.path.join(TOP, "tests", "browser", "jmap_eventsource.html")
PUSHED = (b"From: dave@example.org\r\nTo: alice@example.org\r\n"
          b"Subject: pushed\r\nMessage-ID: <cookie-push@example.org>\r\n\r\n"
          b"New.\r\n")


def test_native_eventsource_hears_a_push_by_the_cookie():
    need_stored()
    certdir = tempfile.mkdtemp(prefix="cloister-pagecert-")
    box, appended = {}, {}

    def append_over_imap():
        m = box["srv"].login("alice")
        appended["at"] = time.time()
        m.append("INBOX", None, None, PUSHED)
        m.logout()

    page = PageServer(append_over_imap, page=PAGE, tls=make_cert(certdir))
    try:
        block = jh.jmapd_block(options={"cors-origins": page.origin})
        with ImapServer(users=jh.USERS, extra_services=[block]) as srv:
            box["srv"] = srv
            r = ctl(srv, "token", "add", "alice", "browser")
            assert r.returncode == 0, r.stderr
            url = "%s/%s#base=https://127.0.0.1:%d&token=%s" % (
                page.origin, os.path.basename(PAGE), srv.port("jmap"),
                r.stdout.strip())
            err = run_browser(url, page.done)
            assert page.report is not None, \
                "the page never reported:\n" + err[-3000:]
    finally:
        page.close()
        shutil.rmtree(certdir, ignore_errors=True)
    rep = page.report
    assert rep["errors"] == [], rep
    s = rep["steps"]
    assert s["sessionStatus"] == 200 and s["opened"] is True, s
    assert s["cookieVisible"] is False, s
    assert s["pushData"]["@type"] == "StateChange", s
    assert set(s["pushData"]["changed"][s["account"]]) >= {"Email"}, s
    lag = s["pushAt"] / 1000.0 - appended["at"]
    assert -0.05 < lag < 5, lag
    print("native EventSource by the cookie: push %.0f ms after the IMAP "
          "APPEND began" % (lag * 1000))
