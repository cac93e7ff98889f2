"""maxConcurrentRequests (RFC 8620 section 2) across connections: jmapd
runs one process per connection, so stored counts the API requests in
flight per user (STORE_API_SLOT, tied to the store channel). With 4 (the
advertised limit) slow requests of alice open on 4 connections, a 5th on
another connection is refused at once with 429 and the request-level
`urn:ietf:params:jmap:error:limit` problem naming maxConcurrentRequests;
bob is not limited by alice's requests; a finished request frees its
slot, and so does a jmapd killed mid-request. Prints the cost per request
(the best of 5 rounds of 100 on one connection: a Core/echo, which
takes a slot, against a Session GET, which does not)."""
import json
import os
import signal
import time

import test_jmap_http as jh

ECHO = json.dumps({"using": ["urn:ietf:params:jmap:core"],
                   "methodCalls": [["Core/echo", {"x": 1}, "0"]]}).encode()


def api_head(user, length):
    return ("POST /jmap/api/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Authorization: %s\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n\r\n" % (jh.auth_header(user), length)
            ).encode()


def slow_request(srv, user="alice"):
    """A connection inside an API request: head and half the body sent."""
    raw = jh.Raw(srv, timeout=10)
    raw.send(api_head(user, len(ECHO)) + ECHO[:10])
    return raw


def finish(raw):
    raw.send(ECHO[10:])
    return raw.response()


def one_request(srv, user="alice"):
    raw = jh.Raw(srv, timeout=10)
    raw.send(api_head(user, len(ECHO)) + ECHO)
    r = raw.response()
    raw.close()
    return r


def refused_eventually(srv):
    """The first 429 within 3 s (the slow requests reach stored in their
    own time); its (status, headers, body)."""
    r = None
    for _ in range(30):
        r = one_request(srv)
        if r[0] == 429:
            return r
        time.sleep(0.1)
    raise AssertionError("never refused: %r" % (r,))


def test_limit_across_connections():
    with jh.server() as srv:
        c = jh.client(srv)
        _, body = jh.request(c, "GET", "/jmap/session",
                             headers={"Authorization": jh.auth_header()})
        limit = json.loads(body)["capabilities"][
            "urn:ietf:params:jmap:core"]["maxConcurrentRequests"]
        c.close()
        held = [slow_request(srv) for _ in range(limit)]
        st, hdrs, body = refused_eventually(srv)
        problem = json.loads(body)
        assert problem["type"] == "urn:ietf:params:jmap:error:limit", problem
        assert problem["limit"] == "maxConcurrentRequests", problem
        assert hdrs["content-type"] == "application/problem+json", hdrs
        assert "retry-after" in hdrs, hdrs
        # another user has slots of its own
        assert one_request(srv, "bob")[0] == 200
        # a finished request gives its slot back
        st, _, body = finish(held.pop())
        assert st == 200 and json.loads(body)["methodResponses"][0][0] == \
            "Core/echo", body
        assert one_request(srv)[0] == 200
        # the slot of a request in progress is not handed out twice
        held.append(slow_request(srv))
        refused_eventually(srv)
        # a jmapd killed mid-request frees its slot with its store channel
        for k in srv.srv.children("jmapd"):
            try:
                os.kill(k.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass   # a worker whose connection ended meanwhile
        ok = False
        for _ in range(50):
            try:
                ok = one_request(srv)[0] == 200
            except (OSError, TypeError):
                ok = False
            if ok:
                break
            time.sleep(0.1)
        assert ok, "slots of killed jmapds were not freed"
        for raw in held:
            raw.close()


def test_cost_per_request():
    with jh.server() as srv:
        raw = jh.Raw(srv, timeout=10)
        n = 100
        timings = {}
        for name, req in (
                ("session", jh.head("/jmap/session")),
                ("echo", api_head("alice", len(ECHO)) + ECHO)):
            raw.send(req)
            assert raw.response()[0] == 200
            # the best of 5 rounds: the machine is shared
            best = None
            for _ in range(5):
                t0 = time.perf_counter()
                for _ in range(n):
                    raw.send(req)
                    assert raw.response()[0] == 200
                took = (time.perf_counter() - t0) / n * 1e6
                best = took if best is None else min(best, took)
            timings[name] = best
        raw.close()
        print("per request: Session GET %.0f us, Core/echo (with its "
              "request slot) %.0f us" % (timings["session"], timings["echo"]))


def test_store_counts_slots_per_user_and_frees_them_with_the_channel():
    """At the store: slots are per user, a channel holds one at most, a
    closed channel's slot is free again, and no worker's limit goes past
    stored's 64; imapd's policy has no right to them."""
    from cloister_ipc import u32
    from store_util import Store, StoreError, new_user
    take = u32(1) + u32(2)
    with Store() as st:
        a = new_user(st, "alice", "jmapd")
        bob = new_user(st, "bob", "jmapd")
        a2 = st.connect("jmapd")
        a2.hello(st.key, "alice")
        a3 = st.connect("jmapd")
        a3.hello(st.key, "alice")
        assert a.call("STORE_API_SLOT", take) == [1]
        assert a.call("STORE_API_SLOT", take) == [1]   # the same slot
        assert a2.call("STORE_API_SLOT", take) == [2]
        assert a3.error("STORE_API_SLOT", take)[0] == 10     # LIMIT
        assert bob.call("STORE_API_SLOT", take) == [1]
        assert a.call("STORE_API_SLOT", u32(0) + u32(2)) == [1]
        assert a3.call("STORE_API_SLOT", take) == [2]
        a2.close()
        for _ in range(50):          # the close is seen in stored's turn
            try:
                if a.call("STORE_API_SLOT", take) == [2]:
                    break
            except StoreError:
                pass
            time.sleep(0.05)
        else:
            raise AssertionError("a closed channel kept its slot")
        many = []
        for _ in range(70):
            c = st.connect("jmapd")
            c.hello(st.key, "bob")
            many.append(c)
        # bob holds one already: 63 more, then LIMIT whatever is asked
        got = [c.error("STORE_API_SLOT", u32(1) + u32(1000))[0] == 10
               if i >= 63 else c.call("STORE_API_SLOT", u32(1) + u32(1000))
               for i, c in enumerate(many)]
        assert all(x is True for x in got[63:]), got[60:]
        imap = st.connect("imapd")
        imap.hello(st.key, "alice")
        assert imap.error("STORE_API_SLOT", take)[0] == 2    # UNEXPECTED
