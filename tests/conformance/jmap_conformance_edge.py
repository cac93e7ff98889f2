"""RFC 8620 edge cases of the generic methods: duplicate ids in /get,
creation ids given in createdIds and used inside objects, willDestroy and
invalidPatch in /set, maxChanges paging in /changes, ifInState that
matches; the limits of SearchSnippet/get (RFC 8621 5.1); and the object
rules of Mailbox, Email and VacationResponse a client leans on."""
from jmap_conformance import CORE, MAIL, MSG1, need, short


def edge(c):
    a = c.acct
    lim = c.session["capabilities"][CORE]

    def dup_ids():
        inbox = c.role_id("inbox")
        r = c.ok("Mailbox/get", {"ids": [inbox, inbox, "nope", "nope"],
                                 "properties": ["name"]})
        need(len(r["list"]) == 1 and r["notFound"] == ["nope"], short(r))
    c.check("/get lists a repeated id once", dup_ids)

    def request_created_ids():
        inbox = c.role_id("inbox")
        out = c.api([["Mailbox/get", {"accountId": a, "ids": ["#given"],
                                      "properties": ["role"]}, "g"]],
                    created_ids={"given": inbox})
        g = out["methodResponses"][0]
        need(g[0] == "Mailbox/get" and [m["id"] for m in g[1]["list"]] ==
             [inbox], short(g))
    c.check("createdIds of the request resolve #references", request_created_ids)

    def foreign_key():
        name = "conformance-fk-%s" % c.tag
        out = c.api([
            ["Mailbox/set", {"accountId": a, "create": {
                "mb": {"name": name, "parentId": None}}}, "s"],
            ["Email/set", {"accountId": a, "create": {"em": {
                "mailboxIds": {"#mb": True}, "subject": "fk",
                "from": [{"email": "c@example.org"}],
                "bodyValues": {"1": {"value": "x"}},
                "textBody": [{"partId": "1", "type": "text/plain"}]}}}, "e"],
            ["Email/get", {"accountId": a, "ids": ["#em"],
                           "properties": ["mailboxIds"]}, "g"]])
        s, e, g = out["methodResponses"]
        mid = s[1]["created"]["mb"]["id"]
        try:
            need(e[0] == "Email/set" and "em" in (e[1].get("created") or {}),
                 short(e))
            need(g[1]["list"][0]["mailboxIds"] == {mid: True}, short(g))
        finally:
            c.ok("Mailbox/set", {"destroy": [mid],
                                 "onDestroyRemoveEmails": True})
    c.check("#creationId inside an object (mailboxIds)", foreign_key)

    def will_destroy():
        mid = c.make_mailbox("conformance-wd-%s" % c.tag)
        r = c.ok("Mailbox/set", {"update": {mid: {"name": "x-%s" % c.tag}},
                                 "destroy": [mid]})
        need(r.get("destroyed") == [mid], short(r))
        # RFC 8620 5.3: the server may skip the update (willDestroy) or
        # make it before the destroy; either way the id is destroyed
        if mid in (r.get("updated") or {}):
            return "updated, then destroyed"
        need((r.get("notUpdated") or {}).get(mid, {}).get("type") ==
             "willDestroy", short(r))
        return "willDestroy"
    c.check("/set update and destroy of one id", will_destroy)

    def invalid_patch():
        inbox = c.role_id("inbox")
        e = c.import_msg(MSG1.replace(b"conf-1@", b"conf-patch@"), [inbox])
        try:
            r = c.ok("Email/set", {"update": {e["id"]: {
                "noSuchProperty/x": True}}})
            t = (r.get("notUpdated") or {}).get(e["id"], {}).get("type")
            need(t in ("invalidPatch", "invalidProperties"), short(r))
            return t
        finally:
            c.ok("Email/set", {"destroy": [e["id"]]})
    c.check("/set patch of a path that does not exist is refused",
            invalid_patch)

    def if_in_state_ok():
        st = c.ok("Mailbox/get", {"ids": []})["state"]
        r = c.ok("Mailbox/set", {"ifInState": st, "create": {
            "m": {"name": "conformance-iis-%s" % c.tag, "parentId": None}}})
        mid = r["created"]["m"]["id"]
        need(r["oldState"] == st, short(r))
        c.ok("Mailbox/set", {"destroy": [mid]})
    c.check("/set with the current ifInState runs", if_in_state_ok)

    def paging():
        st = c.ok("Mailbox/get", {"ids": []})["state"]
        made = [c.make_mailbox("conformance-pg%d-%s" % (i, c.tag))
                for i in range(3)]
        try:
            seen, since = [], st
            for _ in range(10):
                r = c.ok("Mailbox/changes", {"sinceState": since,
                                             "maxChanges": 1})
                n = len(r["created"]) + len(r["updated"]) + \
                    len(r["destroyed"])
                need(n <= 1, "maxChanges 1 gave %d" % n)
                seen += r["created"]
                since = r["newState"]
                if not r["hasMoreChanges"]:
                    break
            need(sorted(seen) == sorted(made), "created %s, want %s" %
                 (seen, made))
        finally:
            c.ok("Mailbox/set", {"destroy": made})
    c.check("/changes maxChanges pages with hasMoreChanges", paging)

    def snippet_limit():
        n = lim["maxObjectsInGet"] + 1
        return c.method_error("SearchSnippet/get", {
            "accountId": a, "filter": {"text": "x"},
            "emailIds": ["E%d" % i for i in range(n)]}, "requestTooLarge",
            using=(CORE, MAIL))
    c.check("SearchSnippet/get past maxObjectsInGet is requestTooLarge",
            snippet_limit)

    def email_unknown_property():
        return c.method_error("Email/get", {"accountId": a, "ids": [],
                              "properties": ["noSuchProperty"]},
                              "invalidArguments")
    c.check("Email/get unknown property is invalidArguments",
            email_unknown_property)



def objects(c):
    """Object rules of RFC 8621: Mailbox names and roles (2), the htmlBody
    fallback (4.1.4), VacationResponse property types (8)."""
    a = c.acct
    m = c.session["accounts"][a]["accountCapabilities"][MAIL]

    def refused(args, what):
        r = c.ok("Mailbox/set", {"create": {"x": args}})
        made = (r.get("created") or {}).get("x")
        if made:
            c.ok("Mailbox/set", {"destroy": [made["id"]]})
        e = (r.get("notCreated") or {}).get("x", {})
        need(e.get("type") == "invalidProperties", "%s: %s" % (what, short(r)))

    c.check("Mailbox/set a second inbox role is refused", lambda: refused(
        {"name": "conformance-inbox2-%s" % c.tag, "role": "inbox"},
        "role inbox twice"))
    c.check("Mailbox/set an empty name is refused", lambda: refused(
        {"name": ""}, "empty name"))
    c.check("Mailbox/set a name over maxSizeMailboxName is refused",
            lambda: refused({"name": "n" * (m["maxSizeMailboxName"] + 1)},
                            "long name"))

    c.check("/get ids of the wrong type is invalidArguments",
            lambda: c.method_error("Mailbox/get", {"accountId": a,
                                   "ids": [1, 2]}, "invalidArguments"))

    def html_fallback():
        inbox = c.role_id("inbox")
        e = c.import_msg(MSG1.replace(b"conf-1@", b"conf-html@"), [inbox])
        try:
            g = c.ok("Email/get", {"ids": [e["id"]], "properties": [
                "textBody", "htmlBody"]})["list"][0]
            need([p["partId"] for p in g["htmlBody"]] ==
                 [p["partId"] for p in g["textBody"]], short(g))
        finally:
            c.ok("Email/set", {"destroy": [e["id"]]})
    c.check("htmlBody falls back to textBody for a plain message",
            html_fallback)

    def vacation_types():
        use = (CORE, MAIL, "urn:ietf:params:jmap:vacationresponse")
        r = c.ok("VacationResponse/set", {"update": {"singleton": {
            "isEnabled": "yes"}}}, using=use)
        e = (r.get("notUpdated") or {}).get("singleton", {})
        need(e.get("type") == "invalidProperties", short(r))
    c.check("VacationResponse/set of a mistyped property is refused",
            vacation_types)

    def import_bad_keyword():
        blob = c.upload(MSG1)["blobId"]
        r = c.ok("Email/import", {"emails": {"x": {
            "blobId": blob, "mailboxIds": {c.role_id("inbox"): True},
            "keywords": {"bad keyword": True}}}})
        made = (r.get("created") or {}).get("x")
        if made:
            c.ok("Email/set", {"destroy": [made["id"]]})
        need((r.get("notCreated") or {}).get("x", {}).get("type") ==
             "invalidProperties", short(r))
    c.check("Email/import with an invalid keyword is invalidProperties",
            import_bad_keyword)


SECTIONS = [edge, objects]
