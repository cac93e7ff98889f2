"""Identity and VacationResponse over HTTP (RFC 8621 sections 6 and 8),
kept per user by stored: the default identity (the user's address, not
destroyable), identities created, changed and destroyed with
Identity/changes telling which; another address is forbiddenFrom; the
VacationResponse singleton read, changed and kept across connections,
never created nor destroyed (singleton); and another user sees none of
it."""
import json

import test_jmap_http as jh

USING = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail",
         "urn:ietf:params:jmap:submission",
         "urn:ietf:params:jmap:vacationresponse"]


def api(c, calls, user="alice"):
    r, body = jh.request(c, "POST", "/jmap/api/", json.dumps(
        {"using": USING, "methodCalls": calls}).encode(),
        headers={"Authorization": jh.auth_header(user),
                 "Content-Type": "application/json"})
    assert r.status == 200, (r.status, body)
    return [x[1] for x in json.loads(body)["methodResponses"]]


def account(c, user="alice"):
    _, body = jh.request(c, "GET", "/jmap/session",
                         headers={"Authorization": jh.auth_header(user)})
    s = json.loads(body)
    assert "urn:ietf:params:jmap:vacationresponse" in s["capabilities"]
    return s["primaryAccounts"]["urn:ietf:params:jmap:submission"]


def test_identities():
    with jh.server(options={"default-domain": "example.net"}) as srv:
        c = jh.client(srv)
        acct = account(c)
        g, = api(c, [["Identity/get", {"accountId": acct}, "g"]])
        assert g["list"] == [{
            "id": "I0", "name": "", "email": "alice@example.net",
            "replyTo": None, "bcc": None, "textSignature": "",
            "htmlSignature": "", "mayDelete": False}], g
        s0 = g["state"]
        s, = api(c, [["Identity/set", {"accountId": acct, "create": {
            "work": {"name": "Alice at work", "email": "Alice@example.net",
                     "textSignature": "-- \nAlice",
                     "replyTo": [{"name": None, "email": "a@w.example"}]},
            "spoof": {"name": "Bob", "email": "bob@example.net"},
            "bad": {"email": "alice@example.net", "mayDelete": False},
        }, "update": {"I0": {"name": "Alice L."}},
            "destroy": ["I0", "I99"]}, "s"]])
        wid = s["created"]["work"]["id"]
        assert s["created"]["work"]["mayDelete"] is True
        assert s["notCreated"]["spoof"]["type"] == "forbiddenFrom", s
        assert s["notCreated"]["bad"]["type"] == "invalidProperties"
        assert s["notCreated"]["bad"]["properties"] == ["mayDelete"]
        assert s["updated"] == {"I0": None}, s
        assert s["notDestroyed"]["I0"]["type"] == "forbidden", s
        assert s["notDestroyed"]["I99"]["type"] == "notFound", s
        ch, = api(c, [["Identity/changes", {"accountId": acct,
                                           "sinceState": s0}, "c"]])
        assert ch["created"] == [wid] and ch["updated"] == ["I0"], ch
        assert ch["destroyed"] == [] and ch["newState"] == s["newState"]
        # another connection sees them; email cannot change
        c2 = jh.client(srv)
        u, g = api(c2, [
            ["Identity/set", {"accountId": acct, "update": {
                wid: {"email": "x@example.net"}}}, "u"],
            ["Identity/get", {"accountId": acct, "ids": [wid, "I0", "I7"],
                              "properties": ["name", "textSignature"]},
             "g"]])
        assert u["notUpdated"][wid]["properties"] == ["email"], u
        got = {x["id"]: x for x in g["list"]}
        assert got["I0"] == {"id": "I0", "name": "Alice L.",
                             "textSignature": ""}
        assert got[wid]["textSignature"] == "-- \nAlice"
        assert g["notFound"] == ["I7"]
        s1 = g["state"]
        d, ch = api(c2, [
            ["Identity/set", {"accountId": acct, "destroy": [wid]}, "d"],
            ["Identity/changes", {"accountId": acct, "sinceState": s1},
             "c"]])
        assert d["destroyed"] == [wid], d
        assert ch["destroyed"] == [wid] and ch["created"] == [], ch
        assert ch["updated"] == [], ch
        # bob has only his own default identity
        c.close()
        c2.close()
        cb = jh.client(srv)
        bacct = account(cb, "bob")
        g, = api(cb, [["Identity/get", {"accountId": bacct}, "g"]],
                 user="bob")
        assert [x["email"] for x in g["list"]] == ["bob@example.net"], g
        cb.close()


def test_vacation_response():
    with jh.server() as srv:
        c = jh.client(srv)
        acct = account(c)
        g, = api(c, [["VacationResponse/get", {"accountId": acct}, "g"]])
        assert g["list"] == [{"id": "singleton", "isEnabled": False,
                              "fromDate": None, "toDate": None,
                              "subject": None, "textBody": None,
                              "htmlBody": None}], g
        s, = api(c, [["VacationResponse/set", {
            "accountId": acct,
            "create": {"x": {"isEnabled": True}},
            "update": {"singleton": {
                "isEnabled": True, "fromDate": "2026-07-01T00:00:00Z",
                "toDate": "2026-07-31T23:59:59.5Z",
                "subject": "Away", "textBody": "Back in August."},
                "other": {"isEnabled": True}},
            "destroy": ["singleton"]}, "s"]])
        assert s["notCreated"]["x"]["type"] == "singleton", s
        assert s["notDestroyed"]["singleton"]["type"] == "singleton", s
        assert s["updated"] == {"singleton": None}, s
        assert s["notUpdated"]["other"]["type"] == "notFound", s
        bad, = api(c, [["VacationResponse/set", {
            "accountId": acct, "update": {"singleton": {
                "fromDate": "tomorrow", "isEnabled": False}}}, "s"]])
        assert bad["notUpdated"]["singleton"]["type"] == "invalidProperties"
        assert bad["notUpdated"]["singleton"]["properties"] == ["fromDate"]
        c.close()
        c = jh.client(srv)
        g, = api(c, [["VacationResponse/get", {"accountId": acct,
                                               "ids": ["singleton", "x"]},
                      "g"]])
        v = g["list"][0]
        assert (v["isEnabled"], v["fromDate"], v["subject"],
                v["textBody"], v["toDate"], v["htmlBody"]) == (
            True, "2026-07-01T00:00:00Z", "Away", "Back in August.",
            "2026-07-31T23:59:59.5Z", None)
        assert g["notFound"] == ["x"]
        cb = jh.client(srv)
        g, = api(cb, [["VacationResponse/get", {
            "accountId": account(cb, "bob")}, "g"]], user="bob")
        assert g["list"][0]["isEnabled"] is False, g
        c.close()
        cb.close()


def test_store_objects_compare_and_set_and_limits():
    """STORE_OBJ_SET replaces a value only if it is the one read (a
    session that read before another's save gets CONFLICT, not a lost
    update), bounds keys, values and their count, takes the user's next
    modseq, and keeps each user's objects their own; imapd's policy has
    no right to them."""
    from cloister_ipc import b, s, u64
    from store_util import Store, new_user
    with Store() as st:
        a = new_user(st, "alice", "jmapd")
        assert a.call("STORE_OBJ_GET", s("jmap.vacation")) == [0, b""]
        state0 = a.call("STORE_STATE")[0]
        m1, = a.call("STORE_OBJ_SET", s("jmap.vacation") + u64(0) + b(b"{}"))
        assert m1 == state0 + 1 == a.call("STORE_STATE")[0]
        assert a.call("STORE_OBJ_GET", s("jmap.vacation")) == [m1, b"{}"]
        # a writer that read nothing (or an old version) conflicts
        assert a.error("STORE_OBJ_SET", s("jmap.vacation") + u64(0) +
                       b(b"x"))[0] == 7
        m2, = a.call("STORE_OBJ_SET", s("jmap.vacation") + u64(m1) +
                      b(b'{"a":1}'))
        assert a.error("STORE_OBJ_SET", s("jmap.vacation") + u64(m1) +
                       b(b"lost"))[0] == 7
        assert a.call("STORE_OBJ_GET", s("jmap.vacation")) == [m2, b'{"a":1}']
        # keys, sizes, count
        assert a.error("STORE_OBJ_GET", s("../x"))[0] == 1
        assert a.error("STORE_OBJ_GET", s("k" * 33))[0] == 1
        assert a.error("STORE_OBJ_SET", s("big") + u64(0) +
                       b(b"x" * (64 * 1024 + 1)))[0] == 1
        for i in range(15):
            a.call("STORE_OBJ_SET", s("k%d" % i) + u64(0) + b(b"v"))
        assert a.error("STORE_OBJ_SET", s("one-too-many") + u64(0) +
                       b(b"v"))[0] == 10
        # bob's are his own
        bob = new_user(st, "bob", "jmapd")
        assert bob.call("STORE_OBJ_GET", s("jmap.vacation")) == [0, b""]
        imap = new_user(st, "carol", "imapd")
        assert imap.error("STORE_OBJ_GET", s("jmap.vacation"))[0] == 2
