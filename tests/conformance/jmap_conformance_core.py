"""RFC 8620 checks: the Session resource (section 2), the request envelope
and request-level errors (3.3, 3.4, 3.6.1), method-level errors (3.6.2),
result references (3.7), Core/echo (4) and the generic /get, /changes,
/set, /copy, /query and /queryChanges semantics (5.1-5.6) shown on
Mailbox."""
import json

from jmap_conformance import CORE, CORE_LIMITS, ERR, MAIL, need, short


def is_uint(v):
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2 ** 53


def post_early_answer(c, body):
    """POST body to the API, reading the answer even when the server sends
    it and closes before the whole body is in (RFC 9112 9.6 allows that)."""
    conn = c.http.conn()
    try:
        conn.putrequest("POST", c.http.path_of(c.session["apiUrl"]))
        conn.putheader("Authorization", c.http.auth)
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        try:
            for i in range(0, len(body), 65536):
                conn.send(body[i:i + 65536])
        except OSError:
            pass  # refused early: the answer is already on its way
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def session(c):
    got = {}

    def fetch():
        st, hdrs, body = c.http.request("GET", c.base + "/.well-known/jmap")
        hops = 0
        while st in (301, 302, 303, 307, 308) and hops < 5:
            loc = hdrs.get("location", "")
            need(loc, "redirect without Location")
            url = loc if "://" in loc else c.base + loc
            st, hdrs, body = c.http.request("GET", url)
            hops += 1
        need(st == 200, "HTTP %d" % st)
        got["hdrs"] = hdrs
        c.session = json.loads(body)
        return "%d redirect(s)" % hops
    c.check("session at /.well-known/jmap", fetch)
    if c.session is None:
        return
    s = c.session

    def ctype():
        t = got["hdrs"].get("content-type", "")
        need(t.split(";")[0].strip() == "application/json", repr(t))
    c.check("session Content-Type application/json", ctype)

    def unauth():
        st, hdrs, _ = c.http.request("GET", c.base + "/.well-known/jmap",
                                     auth=False)
        if st in (301, 302, 307, 308):
            loc = hdrs.get("location", "")
            url = loc if "://" in loc else c.base + loc
            st, hdrs, _ = c.http.request("GET", url, auth=False)
        need(st == 401, "HTTP %d" % st)
        need("www-authenticate" in hdrs, "401 without WWW-Authenticate")
    c.check("session needs authentication (401)", unauth)

    def fields():
        want = ("capabilities", "accounts", "primaryAccounts", "username",
                "apiUrl", "downloadUrl", "uploadUrl", "eventSourceUrl", "state")
        missing = [f for f in want if f not in s]
        need(not missing, "missing %s" % missing)
        need(isinstance(s["state"], str) and s["state"], "state %r" % s["state"])
    c.check("session has every required field", fields)

    def limits():
        core = s["capabilities"].get(CORE)
        need(isinstance(core, dict), "no %s capability" % CORE)
        bad = [k for k in CORE_LIMITS if not is_uint(core.get(k)) or
               core.get(k) == 0]
        need(not bad, "bad or missing limits %s" % bad)
        ca = core.get("collationAlgorithms")
        need(isinstance(ca, list) and all(isinstance(x, str) for x in ca),
             "collationAlgorithms %r" % ca)
        return ", ".join("%s=%s" % (k, core[k]) for k in CORE_LIMITS)
    c.check("core capability limits", limits)

    def username():
        need(s["username"] == c.user, "username %r" % s["username"])
    c.check("session username", username)

    def accounts():
        need(isinstance(s["accounts"], dict) and s["accounts"], "no accounts")
        for aid, a in s["accounts"].items():
            for f, t in (("name", str), ("isPersonal", bool),
                         ("isReadOnly", bool), ("accountCapabilities", dict)):
                need(isinstance(a.get(f), t), "account %s: %s=%r" %
                     (aid, f, a.get(f)))
    c.check("accounts have name/isPersonal/isReadOnly/accountCapabilities",
            accounts)

    def primary():
        aid = s["primaryAccounts"].get(MAIL)
        need(aid in s["accounts"], "primary mail account %r not in accounts"
             % aid)
        c.acct = aid
        need(MAIL in s["accounts"][aid]["accountCapabilities"],
             "mail not in the account's capabilities")
        for cap in s["primaryAccounts"]:
            need(cap in s["capabilities"], "primaryAccounts names %s" % cap)
    c.check("primaryAccounts names the mail account", primary)
    if c.acct is None:
        c.session = None
        return

    def mailcap():
        need(MAIL in s["capabilities"], "no mail capability")
        m = s["accounts"][c.acct]["accountCapabilities"][MAIL]
        mpe = m.get("maxMailboxesPerEmail")
        need(mpe is None or (is_uint(mpe) and mpe >= 1), "maxMailboxesPerEmail")
        mmd = m.get("maxMailboxDepth")
        need(mmd is None or is_uint(mmd), "maxMailboxDepth %r" % mmd)
        need(is_uint(m.get("maxSizeMailboxName")) and
             m["maxSizeMailboxName"] >= 100, "maxSizeMailboxName")
        need(is_uint(m.get("maxSizeAttachmentsPerEmail")),
             "maxSizeAttachmentsPerEmail")
        so = m.get("emailQuerySortOptions")
        need(isinstance(so, list) and "receivedAt" in so,
             "emailQuerySortOptions %r" % so)
        need(isinstance(m.get("mayCreateTopLevelMailbox"), bool),
             "mayCreateTopLevelMailbox")
    c.check("mail account capability (RFC 8621 1.3.1)", mailcap)

    def templates():
        for f, vs in (("downloadUrl", ("{accountId}", "{blobId}", "{type}",
                                       "{name}")),
                      ("uploadUrl", ("{accountId}",)),
                      ("eventSourceUrl", ("{types}", "{closeafter}",
                                          "{ping}"))):
            for v in vs:
                need(v in s[f], "%s lacks %s" % (f, v))
    c.check("URL templates carry their variables", templates)


def envelope(c):
    lim = c.session["capabilities"][CORE]

    def echo():
        args = {"hello": True, "nested": {"list": [1, "two", None]}}
        out = c.api([["Core/echo", args, "e1"]], using=(CORE,))
        need(out["methodResponses"] == [["Core/echo", args, "e1"]],
             short(out["methodResponses"]))
    c.check("Core/echo returns its arguments", echo)

    def resp_fields():
        st, hdrs, body = c.post_api({"using": [CORE], "methodCalls": []})
        need(st == 200, "HTTP %d" % st)
        t = hdrs.get("content-type", "")
        need(t.split(";")[0].strip() == "application/json", repr(t))
        out = json.loads(body)
        need(out.get("methodResponses") == [], short(out))
        need(isinstance(out.get("sessionState"), str), "no sessionState")
    c.check("Response has methodResponses and sessionState", resp_fields)

    def session_state():
        out = c.api([["Core/echo", {}, "e"]], using=(CORE,))
        need(out["sessionState"] == c.session["state"], "%r vs %r" % (
            out["sessionState"], c.session["state"]))
    c.check("sessionState matches the Session's state", session_state)

    def created_ids():
        out = c.api([["Core/echo", {}, "e"]], using=(CORE,),
                    created_ids={"k1": "someid"})
        need(out.get("createdIds") == {"k1": "someid"},
             "createdIds %r" % out.get("createdIds"))
    c.check("createdIds given are returned", created_ids)

    def order():
        out = c.api([["Core/echo", {"n": i}, "e%d" % i] for i in range(3)],
                    using=(CORE,))
        need([r[2] for r in out["methodResponses"]] == ["e0", "e1", "e2"],
             short(out))
    c.check("calls answered in order with their callIds", order)

    def unauth():
        st, _, _ = c.post_api({"using": [CORE], "methodCalls": []}, auth=False)
        need(st == 401, "HTTP %d" % st)
    c.check("API needs authentication (401)", unauth)

    def not_json():
        c.problem(*c.post_api(b'{"using": [', ), "notJSON")
    c.check("notJSON for broken JSON", not_json)

    def not_json_dup():
        # I-JSON (RFC 7493) forbids duplicate member names
        c.problem(*c.post_api(b'{"using":[],"using":[],"methodCalls":[]}'),
                  "notJSON")
    c.check("notJSON for a duplicate member name (I-JSON)", not_json_dup)

    def not_request():
        c.problem(*c.post_api({"foo": 1}), "notRequest")
    c.check("notRequest for JSON that is not a Request", not_request)

    def not_request_call():
        c.problem(*c.post_api({"using": [CORE],
                               "methodCalls": [["Core/echo", {}]]}),
                  "notRequest")
    c.check("notRequest for a call that is not a triple", not_request_call)

    def not_request_types():
        c.problem(*c.post_api({"using": CORE, "methodCalls": []}),
                  "notRequest")
    c.check("notRequest for using not an array", not_request_types)

    def unknown_cap():
        c.problem(*c.post_api({"using": [CORE, "urn:example:nope"],
                               "methodCalls": [["Core/echo", {}, "e"]]}),
                  "unknownCapability")
    c.check("unknownCapability for an unknown using entry", unknown_cap)

    def too_many_calls():
        n = lim["maxCallsInRequest"] + 1
        if n > 10000:
            return "skipped: maxCallsInRequest %d" % (n - 1)
        p = c.problem(*c.post_api({"using": [CORE], "methodCalls": [
            ["Core/echo", {}, "e%d" % i] for i in range(n)]}), "limit")
        need(p.get("limit") == "maxCallsInRequest", "limit %r" % p.get("limit"))
        return "%d calls refused" % n
    c.check("limit maxCallsInRequest at request level", too_many_calls)

    def too_big():
        n = lim["maxSizeRequest"] + 1
        if n > 64 << 20:
            return "skipped: maxSizeRequest %d" % (n - 1)
        head = b'{"using":[],"methodCalls":[]'
        body = head + b" " * (n - len(head) - 1) + b"}"
        st, hdrs, body = post_early_answer(c, body)
        need(st in (400, 413), "HTTP %d" % st)
        if hdrs.get("content-type", "").startswith("application/problem+json"):
            p = json.loads(body)
            need(p.get("type") == ERR + "limit" and
                 p.get("limit") == "maxSizeRequest", short(p))
        return "HTTP %d" % st
    c.check("limit maxSizeRequest", too_big)


def method_errors(c):
    lim = c.session["capabilities"][CORE]
    a = c.acct

    c.check("unknownMethod", lambda: c.method_error(
        "Nothing/here", {}, "unknownMethod"))
    c.check("unknownMethod when the capability is not in using",
            lambda: c.method_error("Mailbox/get", {"accountId": a},
                                   "unknownMethod", using=(CORE,)))
    c.check("invalidArguments for an unknown argument", lambda: c.method_error(
        "Mailbox/get", {"accountId": a, "noSuchArgument": 1},
        "invalidArguments"))
    c.check("invalidArguments for a mistyped argument", lambda: c.method_error(
        "Mailbox/get", {"accountId": a, "ids": "notalist"},
        "invalidArguments"))
    c.check("invalidArguments for a missing accountId", lambda: c.method_error(
        "Mailbox/get", {"ids": None}, "invalidArguments"))
    c.check("accountNotFound", lambda: c.method_error(
        "Mailbox/get", {"accountId": "no-such-account-x", "ids": None},
        "accountNotFound"))

    def too_many_get():
        n = lim["maxObjectsInGet"] + 1
        return c.method_error("Mailbox/get", {"accountId": a, "ids": [
            "x%d" % i for i in range(n)]}, "requestTooLarge")
    c.check("requestTooLarge past maxObjectsInGet", too_many_get)

    def too_many_set():
        n = lim["maxObjectsInSet"] + 1
        return c.method_error("Mailbox/set", {"accountId": a, "destroy": [
            "x%d" % i for i in range(n)]}, "requestTooLarge")
    c.check("requestTooLarge past maxObjectsInSet", too_many_set)

    def goes_on():
        out = c.api([["Nothing/here", {}, "a"], ["Core/echo", {"x": 1}, "b"]])
        r = out["methodResponses"]
        need(len(r) == 2 and r[0][0] == "error" and r[1] == [
            "Core/echo", {"x": 1}, "b"], short(r))
    c.check("a method error does not stop later calls", goes_on)


def references(c):
    a = c.acct

    def good():
        out = c.api([
            ["Mailbox/query", {"accountId": a}, "q"],
            ["Mailbox/get", {"accountId": a, "#ids": {
                "resultOf": "q", "name": "Mailbox/query", "path": "/ids"}},
             "g"]])
        q, g = out["methodResponses"]
        need(g[0] == "Mailbox/get", short(g))
        need(sorted(m["id"] for m in g[1]["list"]) == sorted(q[1]["ids"]),
             "ids differ")
    c.check("result reference /ids", good)

    def star():
        out = c.api([
            ["Mailbox/get", {"accountId": a, "ids": None}, "g"],
            ["Mailbox/get", {"accountId": a, "#ids": {
                "resultOf": "g", "name": "Mailbox/get", "path": "/list/*/id"}},
             "h"]])
        g, h = out["methodResponses"]
        need(h[0] == "Mailbox/get" and len(h[1]["list"]) == len(g[1]["list"]),
             short(h))
    c.check("result reference through /list/*/id", star)

    def bad(ref, what):
        def fn():
            out = c.api([["Mailbox/query", {"accountId": a}, "q"],
                         ["Mailbox/get", {"accountId": a, "#ids": ref}, "g"]])
            r = out["methodResponses"][1]
            need(r[0] == "error" and r[1]["type"] == "invalidResultReference",
                 short(r))
        c.check("invalidResultReference: " + what, fn)
    bad({"resultOf": "nope", "name": "Mailbox/query", "path": "/ids"},
        "unknown resultOf")
    bad({"resultOf": "q", "name": "Mailbox/get", "path": "/ids"},
        "name does not match")
    bad({"resultOf": "q", "name": "Mailbox/query", "path": "/nothing"},
        "path does not resolve")

    def both():
        out = c.api([["Mailbox/query", {"accountId": a}, "q"],
                     ["Mailbox/get", {"accountId": a, "ids": [], "#ids": {
                         "resultOf": "q", "name": "Mailbox/query",
                         "path": "/ids"}}, "g"]])
        r = out["methodResponses"][1]
        need(r[0] == "error" and r[1]["type"] == "invalidArguments", short(r))
    c.check("invalidArguments for both ids and #ids", both)

    def creation_ref():
        name = "conformance-ref-%s" % c.tag
        out = c.api([["Mailbox/set", {"accountId": a, "create": {
                         "k": {"name": name, "parentId": None}}}, "s"],
                     ["Mailbox/get", {"accountId": a, "ids": ["#k"],
                                      "properties": ["name"]}, "g"],
                     ["Mailbox/set", {"accountId": a, "destroy": ["#k"]}, "d"]],
                    created_ids={})
        s, g, d = out["methodResponses"]
        mid = s[1]["created"]["k"]["id"]
        need(g[1]["list"] == [{"id": mid, "name": name}], short(g))
        need(d[1].get("destroyed") == [mid], short(d))
        need(out.get("createdIds", {}).get("k") == mid,
             "createdIds %r" % out.get("createdIds"))
    c.check("#creationId used as an id in later calls", creation_ref)


def generic_get_changes(c):
    a = c.acct

    def get_all():
        r = c.ok("Mailbox/get", {"ids": None})
        need(isinstance(r.get("state"), str) and r["state"], "state")
        need(r.get("accountId") == a, "accountId %r" % r.get("accountId"))
        need(isinstance(r.get("list"), list) and r.get("notFound") == [],
             short(r))
        return "%d mailboxes" % len(r["list"])
    c.check("/get ids null returns everything", get_all)

    def not_found():
        r = c.ok("Mailbox/get", {"ids": ["no-such-mailbox-id"]})
        need(r["list"] == [] and r["notFound"] == ["no-such-mailbox-id"],
             short(r))
    c.check("/get unknown id is in notFound", not_found)

    def props():
        r = c.ok("Mailbox/get", {"ids": None, "properties": ["name"]})
        need(all(set(m) == {"id", "name"} for m in r["list"]), short(r))
    c.check("/get properties limits what is returned (id always)", props)

    c.check("/get unknown property is invalidArguments",
            lambda: c.method_error("Mailbox/get", {"accountId": a, "ids": None,
                                   "properties": ["noSuchProperty"]},
                                   "invalidArguments"))

    def changes_none():
        st = c.ok("Mailbox/get", {"ids": []})["state"]
        r = c.ok("Mailbox/changes", {"sinceState": st})
        need(r["oldState"] == st and r["newState"] == st, short(r))
        need(r["created"] == [] and r["updated"] == [] and
             r["destroyed"] == [] and r["hasMoreChanges"] is False, short(r))
    c.check("/changes from the current state is empty", changes_none)

    def changes_create():
        st = c.ok("Mailbox/get", {"ids": []})["state"]
        mid = c.make_mailbox("conformance-chg-%s" % c.tag)
        r = c.ok("Mailbox/changes", {"sinceState": st})
        need(mid in r["created"], short(r))
        need(r["newState"] != st, "state did not move")
        c.ok("Mailbox/set", {"destroy": [mid]})
        r2 = c.ok("Mailbox/changes", {"sinceState": r["newState"]})
        need(mid in r2["destroyed"], short(r2))
    c.check("/changes shows created and destroyed ids", changes_create)

    c.check("/changes unknown state is cannotCalculateChanges",
            lambda: c.method_error("Mailbox/changes", {
                "accountId": a, "sinceState": "garbage-state-xyz"},
                "cannotCalculateChanges"))

    def max_changes_zero():
        st = c.ok("Mailbox/get", {"ids": []})["state"]
        return c.method_error("Mailbox/changes", {"accountId": a,
                              "sinceState": st, "maxChanges": 0},
                              "invalidArguments")
    c.check("/changes maxChanges 0 is invalidArguments", max_changes_zero)


def generic_set(c):
    a = c.acct
    name = "conformance-set-%s" % c.tag
    ids = {}

    def create():
        r = c.ok("Mailbox/set", {"create": {"n": {"name": name,
                                                  "parentId": None}}})
        need(isinstance(r.get("oldState"), str) or r.get("oldState") is None,
             "oldState")
        need(isinstance(r.get("newState"), str), "newState")
        cr = r["created"]["n"]
        need(isinstance(cr.get("id"), str), short(cr))
        ids["m"] = cr["id"]
    c.check("/set create returns the id and states", create)

    def update():
        r = c.ok("Mailbox/set", {"update": {ids["m"]: {"name": name + "-r"}}})
        need(ids["m"] in (r.get("updated") or {}), short(r))
        g = c.ok("Mailbox/get", {"ids": [ids["m"]], "properties": ["name"]})
        need(g["list"][0]["name"] == name + "-r", short(g))
    c.check("/set update changes the object", update)

    def update_missing():
        r = c.ok("Mailbox/set", {"update": {"no-such-id": {"name": "x"}}})
        need(r["notUpdated"]["no-such-id"]["type"] == "notFound", short(r))
    c.check("/set update of an unknown id is notFound", update_missing)

    def bad_prop():
        r = c.ok("Mailbox/set", {"create": {"b": {"name": 5}}})
        e = r["notCreated"]["b"]
        need(e["type"] == "invalidProperties" and "name" in
             e.get("properties", []), short(e))
    c.check("/set create with a mistyped property is invalidProperties",
            bad_prop)

    def server_set():
        r = c.ok("Mailbox/set", {"update": {ids["m"]: {"totalEmails": 7}}})
        e = r["notUpdated"][ids["m"]]
        need(e["type"] == "invalidProperties", short(e))
    c.check("/set update of a server-set property is invalidProperties",
            server_set)

    def state_mismatch():
        return c.method_error("Mailbox/set", {"accountId": a,
                              "ifInState": "not-the-state",
                              "destroy": [ids["m"]]}, "stateMismatch")
    c.check("/set ifInState mismatch is stateMismatch", state_mismatch)

    def destroy():
        r = c.ok("Mailbox/set", {"destroy": [ids["m"]]})
        need(r.get("destroyed") == [ids["m"]], short(r))
    c.check("/set destroy", destroy)

    def destroy_again():
        r = c.ok("Mailbox/set", {"destroy": [ids["m"]]})
        need((r.get("notDestroyed") or {}).get(ids["m"], {}).get("type") ==
             "notFound", short(r))
    c.check("/set destroying an already destroyed id is notFound",
            destroy_again)


def generic_query(c):
    a = c.acct

    def query():
        r = c.ok("Mailbox/query", {"calculateTotal": True})
        for f in ("queryState", "canCalculateChanges", "position", "ids"):
            need(f in r, "no %s" % f)
        need(r["position"] == 0 and r["total"] == len(r["ids"]), short(r))
    c.check("/query returns ids, queryState, position, total", query)

    def sort_name():
        r = c.ok("Mailbox/query", {"sort": [{"property": "name",
                                             "isAscending": True}]})
        g = c.ok("Mailbox/get", {"ids": r["ids"], "properties": ["name"]})
        by = {m["id"]: m["name"] for m in g["list"]}
        names = [by[i] for i in r["ids"]]
        need(names == sorted(names, key=lambda s: s.lower()) or
             names == sorted(names), "order %s" % names)
    c.check("/query sort by name", sort_name)

    def window():
        r = c.ok("Mailbox/query", {})
        if len(r["ids"]) < 2:
            return "skipped: fewer than two mailboxes"
        r1 = c.ok("Mailbox/query", {"position": 1, "limit": 1})
        need(r1["ids"] == r["ids"][1:2] and r1["position"] == 1, short(r1))
        rn = c.ok("Mailbox/query", {"position": -1})
        need(rn["ids"] == r["ids"][-1:] and
             rn["position"] == len(r["ids"]) - 1, short(rn))
    c.check("/query position, limit and negative position", window)

    def anchor():
        r = c.ok("Mailbox/query", {})
        if len(r["ids"]) < 2:
            return "skipped: fewer than two mailboxes"
        r1 = c.ok("Mailbox/query", {"anchor": r["ids"][1], "anchorOffset": 0,
                                    "limit": 1})
        need(r1["ids"] == [r["ids"][1]] and r1["position"] == 1, short(r1))
    c.check("/query anchor", anchor)

    c.check("/query anchorNotFound", lambda: c.method_error(
        "Mailbox/query", {"accountId": a, "anchor": "no-such-id"},
        "anchorNotFound"))
    c.check("/query unsupportedFilter", lambda: c.method_error(
        "Mailbox/query", {"accountId": a, "filter": {"noSuchCondition": 1}},
        "unsupportedFilter"))
    c.check("/query unsupportedSort", lambda: c.method_error(
        "Mailbox/query", {"accountId": a, "sort": [{"property": "noSuchProp"}]},
        "unsupportedSort"))
    c.check("/query negative limit is invalidArguments", lambda: c.method_error(
        "Mailbox/query", {"accountId": a, "limit": -1}, "invalidArguments"))

    def query_changes():
        q = c.ok("Mailbox/query", {})
        r = c.call("Mailbox/queryChanges", {"accountId": a, "sinceQueryState":
                                            q["queryState"]})
        if r[0] == "error":
            need(r[1]["type"] == "cannotCalculateChanges", short(r))
            return "cannotCalculateChanges (allowed)"
        need(r[0] == "Mailbox/queryChanges", short(r))
        b = r[1]
        need(b["oldQueryState"] == q["queryState"] and
             isinstance(b["newQueryState"], str) and b["removed"] == [] and
             b["added"] == [], short(b))
        return "answered"
    c.check("/queryChanges answers or says cannotCalculateChanges",
            query_changes)

    def copy_same():
        return c.method_error("Email/copy", {"accountId": a, "fromAccountId": a,
                              "create": {}}, "invalidArguments")
    c.check("/copy within one account is invalidArguments", copy_same)
    c.check("/copy from an unknown account is fromAccountNotFound",
            lambda: c.method_error("Email/copy", {
                "accountId": a, "fromAccountId": "no-such-account-x",
                "create": {}}, "fromAccountNotFound"))


SECTIONS = [session, envelope, method_errors, references, generic_get_changes,
            generic_set, generic_query]
