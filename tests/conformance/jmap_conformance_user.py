"""RFC 8621 checks: Email/set, Email/import and Email/parse (4.6-4.9),
SearchSnippet (5), Identity (6) and VacationResponse (8); and the removal
of what the checks made."""
from jmap_conformance import (MAIL, MSG1, SUBMISSION, VACATION, CORE, need,
                              short)

VACATION_PROPS = ("id", "isEnabled", "fromDate", "toDate", "subject",
                  "textBody", "htmlBody")


def email_set(c):
    d = c.data
    e1 = d["e1"]["id"]

    def get(props):
        return c.ok("Email/get", {"ids": [e1], "properties": props})["list"][0]

    def kw_patch():
        r = c.ok("Email/set", {"update": {e1: {"keywords/$flagged": True}}})
        need(e1 in r["updated"], short(r))
        need(get(["keywords"])["keywords"] == {"$seen": True,
                                               "$flagged": True}, "after add")
        r = c.ok("Email/set", {"update": {e1: {"keywords/$flagged": None}}})
        need(get(["keywords"])["keywords"] == {"$seen": True}, "after remove")
    c.check("Email/set keywords/... patch", kw_patch)

    def kw_replace():
        c.ok("Email/set", {"update": {e1: {"keywords": {"$answered": True,
                                                       "$seen": True}}}})
        need(get(["keywords"])["keywords"] == {"$answered": True,
                                               "$seen": True}, "replace")
    c.check("Email/set keywords replaced whole", kw_replace)

    def mb_patch():
        c.ok("Email/set", {"update": {e1: {"mailboxIds/%s" % d["other"]:
                                           True}}})
        need(get(["mailboxIds"])["mailboxIds"] == {d["child"]: True,
                                                   d["other"]: True}, "add")
        c.ok("Email/set", {"update": {e1: {"mailboxIds/%s" % d["other"]:
                                           None}}})
        need(get(["mailboxIds"])["mailboxIds"] == {d["child"]: True},
             "remove")
    c.check("Email/set mailboxIds/... patch", mb_patch)

    def no_mailbox():
        r = c.ok("Email/set", {"update": {e1: {"mailboxIds": {}}}})
        need(r["notUpdated"][e1]["type"] == "invalidProperties", short(r))
    c.check("Email/set with no mailbox is invalidProperties", no_mailbox)

    def immutable():
        r = c.ok("Email/set", {"update": {e1: {"subject": "changed"}}})
        need(r["notUpdated"][e1]["type"] == "invalidProperties", short(r))
    c.check("Email/set of an immutable property is invalidProperties",
            immutable)

    def bad_keyword():
        r = c.ok("Email/set", {"update": {e1: {"keywords/a b": True}}})
        need(r["notUpdated"][e1]["type"] == "invalidProperties", short(r))
    c.check("Email/set of an invalid keyword is invalidProperties",
            bad_keyword)

    def changes():
        st = c.ok("Email/get", {"ids": []})["state"]
        c.ok("Email/set", {"update": {e1: {"keywords/$flagged": True}}})
        r = c.ok("Email/changes", {"sinceState": st})
        need(e1 in r["updated"] and r["newState"] != st, short(r))
    c.check("Email/changes shows an update", changes)

    def create():
        r = c.ok("Email/set", {"create": {"n": {
            "mailboxIds": {d["child"]: True}, "keywords": {"$draft": True},
            "from": [{"name": "Conformance", "email": "c@example.org"}],
            "subject": "created by Email/set",
            "bodyValues": {"1": {"value": "Body text."}},
            "textBody": [{"partId": "1", "type": "text/plain"}]}}})
        cr = (r.get("created") or {}).get("n")
        need(cr, short(r))
        for f in ("id", "blobId", "threadId", "size"):
            need(f in cr, "created lacks %s" % f)
        d["made"] = cr["id"]
        m = c.ok("Email/get", {"ids": [cr["id"]], "properties": ["subject"],
                               })["list"][0]
        need(m["subject"] == "created by Email/set", short(m))
    c.check("Email/set create", create)

    def destroy():
        r = c.ok("Email/set", {"destroy": [d["made"]]})
        need(r.get("destroyed") == [d["made"]], short(r))
        g = c.ok("Email/get", {"ids": [d["made"]], "properties": ["id"]})
        need(g["notFound"] == [d["made"]], short(g))
        r = c.ok("Email/set", {"destroy": [d["made"]]})
        need(r["notDestroyed"][d["made"]]["type"] == "notFound", short(r))
    c.check("Email/set destroy, then notFound", destroy)


def email_import_parse(c):
    d = c.data

    def import_missing_blob():
        # RFC 8621 4.8: an id not found in blobId is invalidProperties
        r = c.ok("Email/import", {"emails": {"x": {
            "blobId": "no-such-blob", "mailboxIds": {d["child"]: True}}}})
        e = r["notCreated"]["x"]
        need(e["type"] == "invalidProperties" and "blobId" in
             e.get("properties", []), short(r))
    c.check("Email/import of an unknown blob is invalidProperties",
            import_missing_blob)

    def import_no_mailbox():
        blob = c.upload(MSG1)["blobId"]
        r = c.ok("Email/import", {"emails": {"x": {"blobId": blob,
                                                   "mailboxIds": {}}}})
        need(r["notCreated"]["x"]["type"] == "invalidProperties", short(r))
    c.check("Email/import without a mailbox is invalidProperties",
            import_no_mailbox)

    def parse():
        blob = c.upload(MSG1)["blobId"]
        r = c.ok("Email/parse", {"blobIds": [blob], "properties": [
            "subject", "from", "size"]})
        p = r["parsed"][blob]
        need(p["subject"] == "conformance caf\u00e9", short(p))
        need(p["from"][0]["email"] == "alice@example.org", short(p))
    c.check("Email/parse of an uploaded message", parse)

    def parse_missing():
        r = c.ok("Email/parse", {"blobIds": ["no-such-blob"]})
        need(r.get("notFound") == ["no-such-blob"], short(r))
    c.check("Email/parse of an unknown blob is notFound", parse_missing)


def snippet(c):
    d = c.data

    def get():
        r = c.ok("SearchSnippet/get", {"emailIds": [d["e1"]["id"]],
                                       "filter": {"text": "zebracorn"}})
        s = r["list"][0]
        need(s["emailId"] == d["e1"]["id"], short(s))
        for f in ("subject", "preview"):
            need(s.get(f) is None or isinstance(s[f], str), "%s %r" % (f, s))
    c.check("SearchSnippet/get", get)

    def not_found():
        r = c.ok("SearchSnippet/get", {"emailIds": ["no-such-email"],
                                       "filter": {"text": "x"}})
        need(r.get("notFound") == ["no-such-email"], short(r))
    c.check("SearchSnippet/get unknown id is notFound", not_found)


def identity(c):
    use = (CORE, MAIL, SUBMISSION)

    def get():
        r = c.ok("Identity/get", {"ids": None}, using=use)
        need(r["list"], "no identity")
        for i in r["list"]:
            for f, t in (("id", str), ("name", str), ("email", str),
                         ("mayDelete", bool)):
                need(isinstance(i.get(f), t), "%s: %r" % (f, i))
        return "%d identities" % len(r["list"])
    c.check("Identity/get", get)

    def changes():
        st = c.ok("Identity/get", {"ids": []}, using=use)["state"]
        r = c.ok("Identity/changes", {"sinceState": st}, using=use)
        need(r["created"] == [] and r["oldState"] == st, short(r))
    c.check("Identity/changes", changes)

    c.check("Identity/get without the submission capability is "
            "unknownMethod", lambda: c.method_error(
                "Identity/get", {"accountId": c.acct}, "unknownMethod"))


def vacation(c):
    use = (CORE, MAIL, VACATION)

    def advertised():
        need(VACATION in c.session["capabilities"], "not in capabilities")
        need(VACATION in c.session["accounts"][c.acct]["accountCapabilities"],
             "not in the account's capabilities")
    c.check("vacationresponse capability advertised", advertised)

    def get():
        r = c.ok("VacationResponse/get", {"ids": None}, using=use)
        need(len(r["list"]) == 1, short(r))
        v = r["list"][0]
        need(v["id"] == "singleton", "id %r" % v["id"])
        missing = [p for p in VACATION_PROPS if p not in v]
        need(not missing, "missing %s" % missing)
        need(isinstance(v["isEnabled"], bool), "isEnabled")
    c.check("VacationResponse/get gives the singleton", get)

    def update():
        r = c.ok("VacationResponse/set", {"update": {"singleton": {
            "isEnabled": True, "subject": "Away", "textBody": "Back soon.",
            "fromDate": "2030-01-01T00:00:00Z"}}}, using=use)
        need("singleton" in (r.get("updated") or {}), short(r))
        v = c.ok("VacationResponse/get", {"ids": ["singleton"]},
                 using=use)["list"][0]
        need(v["isEnabled"] is True and v["subject"] == "Away" and
             v["textBody"] == "Back soon." and
             v["fromDate"].startswith("2030-01-01T00:00:00"), short(v))
        c.ok("VacationResponse/set", {"update": {"singleton": {
            "isEnabled": False, "subject": None, "textBody": None,
            "fromDate": None}}}, using=use)
        v = c.ok("VacationResponse/get", {"ids": None}, using=use)["list"][0]
        need(v["isEnabled"] is False and v["subject"] is None, short(v))
    c.check("VacationResponse/set update works", update)

    def create():
        r = c.ok("VacationResponse/set", {"create": {"v": {
            "isEnabled": True}}}, using=use)
        need((r.get("notCreated") or {}).get("v", {}).get("type") ==
             "singleton", short(r))
    c.check("VacationResponse/set create refused (singleton)", create)

    def destroy():
        r = c.ok("VacationResponse/set", {"destroy": ["singleton"]},
                 using=use)
        need((r.get("notDestroyed") or {}).get("singleton", {}).get("type") ==
             "singleton", short(r))
    c.check("VacationResponse/set destroy refused (singleton)", destroy)

    def update_and_destroy():
        # the destroy is refused, so nothing excuses skipping the update
        r = c.ok("VacationResponse/set", {
            "update": {"singleton": {"subject": "both"}},
            "destroy": ["singleton"]}, using=use)
        need("singleton" in (r.get("notDestroyed") or {}), short(r))
        need("singleton" in (r.get("updated") or {}), short(r))
        v = c.ok("VacationResponse/get", {"ids": None}, using=use)["list"][0]
        need(v["subject"] == "both", short(v))
        c.ok("VacationResponse/set", {"update": {"singleton": {
            "subject": None}}}, using=use)
    c.check("VacationResponse/set update with a refused destroy is made",
            update_and_destroy)

    def other_id():
        r = c.ok("VacationResponse/set", {"update": {"other": {
            "isEnabled": True}}}, using=use)
        need((r.get("notUpdated") or {}).get("other", {}).get("type") ==
             "notFound", short(r))
    c.check("VacationResponse/set update of another id is notFound",
            other_id)

    def not_found():
        r = c.ok("VacationResponse/get", {"ids": ["other"]}, using=use)
        need(r["notFound"] == ["other"] and r["list"] == [], short(r))
    c.check("VacationResponse/get other id is notFound", not_found)


def cleanup(c):
    """Remove the test mailboxes and the mail in them (not a check)."""
    d = c.data
    if not c.acct or "top" not in d:
        return
    try:
        mine = [m for m in c.mailboxes() if m["id"] in
                (d.get("child"), d.get("other"), d.get("kwbox"))]
        ids = [m["id"] for m in mine] + [d["top"]]
        c.api([["Mailbox/set", {"accountId": c.acct, "destroy": ids,
                                "onDestroyRemoveEmails": True}, "x"]])
    except Exception as e:  # leftovers are harmless; say so and go on
        print("# cleanup: %s" % e)


SECTIONS = [email_set, email_import_parse, snippet, identity, vacation]
