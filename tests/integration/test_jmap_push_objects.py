"""Push for per-user objects (RFC 8620 sections 7.1 and 7.3): an
Identity/set or VacationResponse/set on one connection reaches another
connection's event stream within 100 ms as a StateChange naming only the
type whose document changed, with the state Identity/get then reports; a
listener for `types=Email` hears nothing of it, and neither does an IMAP
IDLE on the user's INBOX."""
import select
import socket
import time

import test_jmap_http as jh
import test_jmap_create_identity as ji
import test_jmap_http_push as jp


def quiet(raw, seconds):
    """True if nothing arrives on raw within seconds."""
    raw.s.settimeout(seconds)
    try:
        d = raw.s.recv(65536)
    except socket.timeout:
        return True
    raw.buf += d
    return False


def test_identity_and_vacation_changes_are_pushed():
    with jh.server() as srv:
        c = jh.client(srv)
        acct = ji.account(c)
        # an IMAP client idling on INBOX must not be woken
        m = srv.login("alice")
        m.select("INBOX")
        tag = m._new_tag()
        m.send(tag + b" IDLE\r\n")
        assert m.readline().startswith(b"+"), "IDLE not accepted"
        stream = jp.open_stream(srv, "types=*&closeafter=no&ping=0")
        email = jp.open_stream(srv, "types=Email&closeafter=no&ping=0")
        ident = jp.open_stream(srv, "types=Identity&closeafter=no&ping=0")
        sent = time.time()
        s, = ji.api(c, [["Identity/set", {"accountId": acct, "create": {
            "w": {"name": "Work", "email": "alice@localhost"}}}, "s"]])
        assert "w" in s["created"], s
        name, data, at = jp.next_event(stream, 5)
        assert name == "state", (name, data)
        assert data["changed"] == {acct: {"Identity": s["newState"]}}, data
        lag = at - sent
        assert lag < 0.1, lag
        name, data, _ = jp.next_event(ident, 5)
        assert data["changed"] == {acct: {"Identity": s["newState"]}}, data
        g, = ji.api(c, [["Identity/get", {"accountId": acct}, "g"]])
        assert g["state"] == s["newState"], (g, s)
        # a VacationResponse change names only VacationResponse
        v, = ji.api(c, [["VacationResponse/set", {"accountId": acct,
                         "update": {"singleton": {"isEnabled": True}}},
                         "v"]])
        assert v["updated"] == {"singleton": None}, v
        name, data, _ = jp.next_event(stream, 5)
        assert data["changed"] == {acct: {
            "VacationResponse": v["newState"]}}, data
        assert quiet(ident, 0.3), ident.buf
        assert quiet(email, 0.3), email.buf
        # nothing for IDLE: its socket stays unreadable
        assert select.select([m.sock], [], [], 0.3)[0] == [], "IDLE woken"
        m.send(b"DONE\r\n")
        assert m.readline().startswith(tag + b" OK"), "IDLE did not end"
        # a mail change still reaches the Email listener
        m.append("INBOX", None, None, jp.MSG)
        name, data, _ = jp.next_event(email, 5)
        assert set(data["changed"][acct]) == {"Email"}, data
        print("Identity/set heard on another connection: %.1f ms at most"
              % (lag * 1000))
        m.logout()
        for r in (stream, email, ident):
            r.close()
        c.close()


def test_store_wakes_only_all_mailbox_watchers_for_objects():
    """At the store: a STORE_OBJ_SET by one channel sends the user's
    channels that watch all mailboxes one NOTIFY with mailbox id 0 and the
    new state; a channel watching INBOX (IMAP IDLE) gets nothing, and
    neither does the channel that made the change."""
    from cloister_ipc import b, s, u32, u64
    from store_util import Store, new_user
    with Store() as st:
        writer = new_user(st, "alice", "jmapd")
        everything = st.connect("jmapd")
        everything.hello(st.key, "alice")
        everything.call("STORE_WATCH", u64(0) + u32(1))
        idle = st.connect("imapd")
        idle.hello(st.key, "alice")
        idle.call("STORE_WATCH", u64(1) + u32(1))
        writer.call("STORE_WATCH", u64(0) + u32(1))
        m, = writer.call("STORE_OBJ_SET", s("jmap.identity") + u64(0) +
                         b(b"{}"))
        n = everything.wait_notify(5)
        assert n[0] == 0 and n[4] == m, (n, m)
        for c in (idle, writer):
            assert not c.notifications, c.notifications
            assert select.select([c.sock], [], [], 0.3)[0] == [], c.service
