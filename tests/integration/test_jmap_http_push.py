"""jmapd's EventSource (RFC 8620 section 7.3) and blob download (section
6.2) against a real server: a state event reaches an open event stream
within 100 ms of an IMAP STORE by the same user; `types` filters what the
event names, `closeafter=state` ends the stream after it, `ping` sends
ping events at the (clamped) interval; a message APPENDed over IMAP is
downloaded by its content id with the Content-Type asked for, and another
user's account or an unknown blob is 404."""
import hashlib
import json
import time

import test_jmap_http as jh

MSG = (b"From: a@example.org\r\nTo: alice@example.org\r\nSubject: push\r\n"
       b"Message-ID: <push-1@example.org>\r\n\r\nHello over JMAP.\r\n")


def open_stream(srv, query):
    raw = jh.Raw(srv, timeout=10)
    raw.send(jh.head("/jmap/eventsource/?" + query,
                     extra="Accept: text/event-stream\r\n"))
    read_stream_head(raw)
    return raw


def read_stream_head(raw):
    """The head of an event stream's 200 answer, taken off raw.buf."""
    while b"\r\n\r\n" not in raw.buf:
        d = raw.s.recv(65536)
        assert d, "EOF before the stream's head"
        raw.buf += d
    headpart, _, raw.buf = raw.buf.partition(b"\r\n\r\n")
    assert headpart.startswith(b"HTTP/1.1 200"), headpart
    assert b"Content-Type: text/event-stream" in headpart, headpart
    return headpart.decode()


def next_event(raw, timeout):
    """(name, data dict, arrival time) of the next event, or None at EOF."""
    raw.s.settimeout(timeout)
    while b"\n\n" not in raw.buf:
        d = raw.s.recv(65536)
        if not d:
            return None
        raw.buf += d
    ev, _, raw.buf = raw.buf.partition(b"\n\n")
    fields = dict(l.split(b": ", 1) for l in ev.split(b"\n"))
    return fields[b"event"].decode(), json.loads(fields[b"data"]), time.time()


def test_state_event_within_100ms_of_an_imap_store():
    with jh.server() as srv:
        m = srv.login("alice")
        m.append("INBOX", None, None, MSG)
        m.select("INBOX")
        stream = open_stream(srv, "types=*&closeafter=no&ping=0")
        narrow = open_stream(srv, "types=Mailbox&closeafter=state&ping=0")
        lags = []
        for flag in ("\\Seen", "\\Flagged", "$Junk"):
            # from before the command: an upper bound on the lag
            sent = time.time()
            m.store("1", "+FLAGS", "(%s)" % flag)
            name, data, at = next_event(stream, 5)
            assert name == "state" and data["@type"] == "StateChange", data
            (acct, changed), = data["changed"].items()
            assert acct.startswith("A") and set(changed) == {"Mailbox", "Email",
                                                            "Thread"}, data
            lags.append(at - sent)
        assert max(lags) < 0.1, lags
        # the state an event names is the one Email/get then reports
        c = jh.client(srv)
        req = {"using": ["urn:ietf:params:jmap:core",
                         "urn:ietf:params:jmap:mail"],
               "methodCalls": [["Email/get", {"accountId": acct, "ids": []},
                                "g"]]}
        r, body = jh.request(c, "POST", "/jmap/api/", json.dumps(req),
                             {"Authorization": jh.auth_header(),
                              "Content-Type": "application/json"})
        assert r.status == 200, body
        got = json.loads(body)["methodResponses"][0][1]["state"]
        assert got == changed["Email"], (got, changed)
        c.close()
        print("state event after IMAP STORE was sent: %.1f ms at most"
              % (max(lags) * 1000))
        # types=Mailbox names only Mailbox; closeafter=state ends the stream
        name, data, _ = next_event(narrow, 5)
        assert set(list(data["changed"].values())[0]) == {"Mailbox"}, data
        assert narrow.closed(3)
        m.logout()
        stream.close()


def test_ping_events_at_the_clamped_interval():
    with jh.server() as srv:
        raw = open_stream(srv, "types=*&closeafter=no&ping=1")
        t0 = time.time()
        for i in range(2):
            name, data, at = next_event(raw, 5)
            assert name == "ping" and data == {"interval": 1}, (name, data)
        assert 1.5 < time.time() - t0 < 4
        raw.close()
        bad = jh.Raw(srv)
        bad.send(jh.head("/jmap/eventsource/?types=*&closeafter=maybe&ping=1"))
        assert bad.response()[0] == 400
        bad.close()


def test_download_a_message_blob():
    with jh.server() as srv:
        m = srv.login("alice")
        m.append("INBOX", None, None, MSG)
        m.logout()
        c = jh.client(srv)
        _, body = jh.request(c, "GET", "/jmap/session",
                             headers={"Authorization": jh.auth_header()})
        acct = json.loads(body)["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        blob = "G" + hashlib.sha256(MSG).hexdigest()
        r, got = jh.request(c, "GET", "/jmap/download/%s/%s/push%%20mail.eml"
                            "?accept=message/rfc822" % (acct, blob),
                            headers={"Authorization": jh.auth_header()})
        assert r.status == 200, (r.status, got)
        assert got == MSG
        assert r.getheader("Content-Type") == "message/rfc822"
        assert "filename*=UTF-8''push%20mail.eml" in \
            r.getheader("Content-Disposition")
        # a header-breaking accept falls back to octet-stream
        r, _ = jh.request(c, "GET", "/jmap/download/%s/%s/x?accept=text/html"
                          "%%0d%%0aX-Evil:%%201" % (acct, blob),
                          headers={"Authorization": jh.auth_header()})
        assert r.status == 200 and r.getheader("X-Evil") is None
        assert r.getheader("Content-Type") == "application/octet-stream"
        wrong = "G" + hashlib.sha256(b"nothing").hexdigest()
        r, _ = jh.request(c, "GET", "/jmap/download/%s/%s/x" % (acct, wrong),
                          headers={"Authorization": jh.auth_header()})
        assert r.status == 404
        c.close()
        # bob's account id, or bob asking for alice's blob: 404
        c = jh.client(srv)
        r, _ = jh.request(c, "GET", "/jmap/download/%s/%s/x" % (acct, blob),
                          headers={"Authorization": jh.auth_header("bob")})
        assert r.status == 404
        _, body = jh.request(c, "GET", "/jmap/session",
                             headers={"Authorization": jh.auth_header("bob")})
        bacct = json.loads(body)["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        r, _ = jh.request(c, "GET", "/jmap/download/%s/%s/x" % (bacct, blob),
                          headers={"Authorization": jh.auth_header("bob")})
        assert r.status == 404
        c.close()


def test_a_slow_download_outlives_the_request_timeout():
    """request-timeout (5 s here) bounds reading a request, not sending the
    answer: a 10 MB blob (more than the kernel's send buffer holds) read
    slowly over ~7 s arrives whole."""
    import socket
    body = b"".join(b"line %07d of a large message\r\n" % i
                    for i in range(330000))
    msg = MSG.replace(b"Hello over JMAP.\r\n", body)
    with jh.server(options={"request-timeout": 5}) as srv:
        m = srv.login("alice")
        m.append("INBOX", None, None, msg)
        m.logout()
        c = jh.client(srv)
        _, sess = jh.request(c, "GET", "/jmap/session",
                             headers={"Authorization": jh.auth_header()})
        acct = json.loads(sess)["primaryAccounts"]["urn:ietf:params:jmap:mail"]
        c.close()
        raw = jh.Raw(srv, timeout=40)
        raw.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
        raw.send(jh.head("/jmap/download/%s/G%s/big.eml"
                         % (acct, hashlib.sha256(msg).hexdigest())))
        got, t0 = b"", time.time()
        while len(got) < len(msg) + 100 and time.time() - t0 < 40:
            d = raw.s.recv(16384)
            if not d:
                break
            got += d
            time.sleep(0.02)
        took = time.time() - t0
        head_part, _, data = got.partition(b"\r\n\r\n")
        assert head_part.startswith(b"HTTP/1.1 200"), head_part[:100]
        assert data == msg, (len(data), len(msg))
        assert took > 5, took
        print("10 MB download read slowly: %.1f s" % took)
        raw.close()
