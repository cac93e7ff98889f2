"""RFC 8621 checks: Mailbox (section 2), Thread (3) and Email/get and
Email/query (4.1-4.4). The data they read is made here: a test mailbox
tree and two messages imported into it."""
from jmap_conformance import MAIL, MAILBOX_PROPS, MSG1, MSG2, RIGHTS, need, short

ROLES = {"all", "archive", "drafts", "flagged", "important", "inbox", "junk",
         "sent", "subscribed", "trash"}


def mailbox(c):
    a = c.acct
    d = c.data

    def inbox():
        mids = [m for m in c.mailboxes() if m.get("role") == "inbox"]
        need(len(mids) == 1, "%d mailboxes with role inbox" % len(mids))
        d["inbox"] = mids[0]["id"]
    c.check("exactly one Mailbox has role inbox", inbox)

    def props():
        for m in c.mailboxes():
            missing = [p for p in MAILBOX_PROPS if p not in m]
            need(not missing, "%s lacks %s" % (m.get("name"), missing))
            need(isinstance(m["name"], str) and m["name"], "name")
            for p in ("totalEmails", "unreadEmails", "totalThreads",
                      "unreadThreads", "sortOrder"):
                need(isinstance(m[p], int) and m[p] >= 0, "%s=%r" % (p, m[p]))
    c.check("Mailbox objects carry every property", props)

    def rights():
        for m in c.mailboxes():
            r = m["myRights"]
            need(set(r) == set(RIGHTS) and all(isinstance(v, bool)
                                               for v in r.values()),
                 "%s myRights %s" % (m["name"], short(r)))
    c.check("myRights has the nine booleans", rights)

    def roles():
        seen = [m["role"] for m in c.mailboxes() if m["role"] is not None]
        need(len(seen) == len(set(seen)), "a role twice: %s" % seen)
        need(all(r in ROLES or r.startswith("x-") or r == r.lower()
                 for r in seen), "roles %s" % seen)
        return ", ".join(sorted(seen))
    c.check("roles are unique and lower case", roles)

    def role_filter():
        r = c.ok("Mailbox/query", {"filter": {"role": "inbox"}})
        need(r["ids"] == [d["inbox"]], short(r))
        r = c.ok("Mailbox/query", {"filter": {"hasAnyRole": True}})
        need(d["inbox"] in r["ids"], short(r))
    c.check("Mailbox/query filter role and hasAnyRole", role_filter)

    def tree():
        d["top"] = c.make_mailbox("conformance-%s" % c.tag)
        d["child"] = c.make_mailbox("child", d["top"])
        d["other"] = c.make_mailbox("other", d["top"])
        g = c.ok("Mailbox/get", {"ids": [d["child"]]})["list"][0]
        need(g["parentId"] == d["top"], short(g))
        r = c.ok("Mailbox/query", {"filter": {"parentId": d["top"]}})
        need(sorted(r["ids"]) == sorted([d["child"], d["other"]]), short(r))
    c.check("Mailbox/set create with parentId, query filter parentId", tree)

    def as_tree():
        r = c.ok("Mailbox/query", {"sortAsTree": True, "filterAsTree": True,
                                   "filter": {"name": "conformance-%s"
                                              % c.tag}})
        need(r["ids"] and r["ids"][0] == d["top"], short(r))
    c.check("Mailbox/query sortAsTree/filterAsTree", as_tree)

    def cycle():
        r = c.ok("Mailbox/set", {"update": {d["top"]: {"parentId":
                                                       d["child"]}}})
        e = (r.get("notUpdated") or {}).get(d["top"], {})
        need(e.get("type") == "invalidProperties", short(r))
    c.check("Mailbox/set refuses a parent cycle", cycle)

    def subscribe():
        r = c.ok("Mailbox/set", {"update": {d["other"]: {"isSubscribed":
                                                         False}}})
        need(d["other"] in r["updated"], short(r))
        g = c.ok("Mailbox/get", {"ids": [d["other"]],
                                 "properties": ["isSubscribed"]})
        need(g["list"][0]["isSubscribed"] is False, short(g))
    c.check("Mailbox/set isSubscribed", subscribe)

    def has_child():
        r = c.ok("Mailbox/set", {"destroy": [d["top"]]})
        e = (r.get("notDestroyed") or {}).get(d["top"], {})
        need(e.get("type") == "mailboxHasChild", short(r))
    c.check("Mailbox/set destroy with a child is mailboxHasChild", has_child)

    def counts():
        d["e1"] = c.import_msg(MSG1, [d["child"]], {"$seen": True},
                               "2021-06-01T10:00:00Z")
        d["e2"] = c.import_msg(MSG2, [d["child"], d["other"]], {},
                               "2021-06-02T10:00:00Z")
        m = c.ok("Mailbox/get", {"ids": [d["child"]]})["list"][0]
        need(m["totalEmails"] == 2 and m["unreadEmails"] == 1, short(m))
        need(m["totalThreads"] >= 1, short(m))
    c.check("Mailbox counts follow imported mail", counts)

    def has_email():
        r = c.ok("Mailbox/set", {"destroy": [d["other"]]})
        e = (r.get("notDestroyed") or {}).get(d["other"], {})
        need(e.get("type") == "mailboxHasEmail", short(r))
    c.check("Mailbox/set destroy of a non-empty one is mailboxHasEmail",
            has_email)

    def remove_emails():
        tmp = c.make_mailbox("doomed", d["top"])
        eid = c.import_msg(MSG1.replace(b"conf-1@", b"conf-doomed@"),
                           [tmp])["id"]
        r = c.ok("Mailbox/set", {"destroy": [tmp],
                                 "onDestroyRemoveEmails": True})
        need(r.get("destroyed") == [tmp], short(r))
        g = c.ok("Email/get", {"ids": [eid], "properties": ["id"]})
        need(g["notFound"] == [eid], "email still there: %s" % short(g))
    c.check("onDestroyRemoveEmails removes mail only in that mailbox",
            remove_emails)


def thread(c):
    d = c.data

    def get():
        e = c.ok("Email/get", {"ids": [d["e1"]["id"], d["e2"]["id"]],
                               "properties": ["threadId"]})["list"]
        tids = {m["threadId"] for m in e}
        need(len(tids) == 1, "a reply is in another thread: %s" % tids)
        t = c.ok("Thread/get", {"ids": list(tids)})["list"][0]
        need(t["emailIds"] == [d["e1"]["id"], d["e2"]["id"]],
             "emailIds %s (oldest first)" % t["emailIds"])
        d["thread"] = t["id"]
    c.check("Thread/get lists a reply with its parent", get)

    def not_found():
        r = c.ok("Thread/get", {"ids": ["no-such-thread"]})
        need(r["notFound"] == ["no-such-thread"], short(r))
    c.check("Thread/get unknown id is notFound", not_found)

    def changes():
        st = c.ok("Thread/get", {"ids": []})["state"]
        r = c.call("Thread/changes", {"accountId": c.acct, "sinceState": st})
        if r[0] == "error":
            need(r[1]["type"] == "cannotCalculateChanges", short(r))
            return "cannotCalculateChanges (allowed)"
        need(r[1]["created"] == [] and r[1]["destroyed"] == [], short(r))
        return "answered"
    c.check("Thread/changes answers or says cannotCalculateChanges", changes)


def email_get(c):
    d = c.data
    a = c.acct

    def get(props, eid=None, **kw):
        args = {"ids": [eid or d["e1"]["id"]], "properties": props}
        args.update(kw)
        r = c.ok("Email/get", args)
        need(len(r["list"]) == 1, short(r))
        return r["list"][0]

    def created():
        for k in ("e1", "e2"):
            cr = d[k]
            for f in ("id", "blobId", "threadId", "size"):
                need(f in cr, "import result lacks %s" % f)
    c.check("Email/import result has id, blobId, threadId, size", created)

    def default():
        r = c.ok("Email/get", {"ids": [d["e1"]["id"]]})["list"][0]
        want = ("id", "blobId", "threadId", "mailboxIds", "keywords", "size",
                "receivedAt", "messageId", "inReplyTo", "references", "sender",
                "from", "to", "cc", "bcc", "replyTo", "subject", "sentAt",
                "hasAttachment", "preview", "bodyValues", "textBody",
                "htmlBody", "attachments")
        missing = [p for p in want if p not in r]
        need(not missing, "missing %s" % missing)
    c.check("Email/get default properties", default)

    def convenience():
        m = get(["subject", "from", "to", "messageId", "sentAt", "receivedAt",
                 "keywords", "mailboxIds", "size"])
        need(m["subject"] == "conformance caf\u00e9", "subject %r" % m["subject"])
        need(m["from"] == [{"name": "Alice Example",
                            "email": "alice@example.org"}], short(m["from"]))
        need(m["to"][1] == {"name": None, "email": "carol@example.com"},
             short(m["to"]))
        need(m["messageId"] == ["conf-1@example.org"], short(m["messageId"]))
        need(m["sentAt"].startswith("2021-06-01T10:00:00"), m["sentAt"])
        need(m["receivedAt"] == "2021-06-01T10:00:00Z", m["receivedAt"])
        need(m["keywords"] == {"$seen": True}, short(m["keywords"]))
        need(m["mailboxIds"] == {d["child"]: True}, short(m["mailboxIds"]))
        need(m["size"] == len(MSG1), "size %d, want %d" % (m["size"], len(MSG1)))
    c.check("Email/get parsed header properties", convenience)

    def raw():
        m = get(["header:Subject"])
        need(m["header:Subject"] ==
             " =?UTF-8?Q?conformance_caf=C3=A9?=", repr(m["header:Subject"]))
    c.check("header:Subject is the raw value", raw)

    def forms():
        m = get(["header:Subject:asText", "header:From:asAddresses",
                 "header:Message-ID:asMessageIds", "header:Date:asDate",
                 "header:List-Post:asURLs", "header:X-Conformance:all",
                 "header:X-Conformance:asRaw", "header:X-Missing"])
        need(m["header:Subject:asText"] == "conformance caf\u00e9",
             repr(m["header:Subject:asText"]))
        need(m["header:From:asAddresses"][0]["email"] == "alice@example.org",
             short(m["header:From:asAddresses"]))
        need(m["header:Message-ID:asMessageIds"] == ["conf-1@example.org"],
             short(m["header:Message-ID:asMessageIds"]))
        need(str(m["header:Date:asDate"]).startswith("2021-06-01T10:00:00"),
             repr(m["header:Date:asDate"]))
        need(m["header:List-Post:asURLs"] == ["mailto:list@example.org"],
             short(m["header:List-Post:asURLs"]))
        need(m["header:X-Conformance:all"] == [" one", " two"],
             short(m["header:X-Conformance:all"]))
        need(m["header:X-Conformance:asRaw"] == " two",
             "the last instance: %r" % m["header:X-Conformance:asRaw"])
        need(m["header:X-Missing"] is None, repr(m["header:X-Missing"]))
    c.check("header:...:as* forms and :all", forms)

    c.check("a form not allowed for a header is invalidArguments",
            lambda: c.method_error("Email/get", {
                "accountId": a, "ids": [d["e1"]["id"]],
                "properties": ["header:Subject:asAddresses"]},
                "invalidArguments"))

    def headers_list():
        m = get(["headers"])
        names = [h["name"] for h in m["headers"]]
        need(names[:2] == ["From", "To"] and names.count("X-Conformance") == 2,
             "names %s" % names)
    c.check("headers lists every field in order", headers_list)

    def body_values():
        m = get(["textBody", "bodyValues"], fetchTextBodyValues=True)
        part = m["textBody"][0]
        need(part["type"] == "text/plain", short(part))
        v = m["bodyValues"][part["partId"]]
        need("zebracorn" in v["value"] and v["isTruncated"] is False, short(v))
    c.check("bodyValues with fetchTextBodyValues", body_values)

    def truncated():
        m = get(["textBody", "bodyValues"], fetchTextBodyValues=True,
                maxBodyValueBytes=10)
        v = m["bodyValues"][m["textBody"][0]["partId"]]
        need(v["isTruncated"] is True and len(v["value"].encode()) <= 10,
             short(v))
    c.check("maxBodyValueBytes truncates and says so", truncated)

    def attachments():
        m = get(["attachments", "hasAttachment", "textBody", "preview"],
                eid=d["e2"]["id"])
        need(m["hasAttachment"] is True, "hasAttachment")
        need(len(m["attachments"]) == 1 and
             m["attachments"][0]["name"] == "data.bin" and
             m["attachments"][0]["size"] == 10, short(m["attachments"]))
        need(isinstance(m["preview"], str) and "Second" in m["preview"],
             repr(m["preview"]))
    c.check("attachments, hasAttachment and preview", attachments)

    def body_props():
        m = get(["bodyStructure"], eid=d["e2"]["id"],
                bodyProperties=["partId", "type"])
        bs = m["bodyStructure"]
        need(set(bs) <= {"partId", "type", "subParts"} and
             bs["type"] == "multipart/mixed" and len(bs["subParts"]) == 2,
             short(bs))
    c.check("bodyProperties limits bodyStructure", body_props)

    def not_found():
        r = c.ok("Email/get", {"ids": ["no-such-email"], "properties": ["id"]})
        need(r["notFound"] == ["no-such-email"], short(r))
    c.check("Email/get unknown id is notFound", not_found)


def email_query(c):
    d = c.data
    e1, e2 = d["e1"]["id"], d["e2"]["id"]

    def q(flt, sort=None, **kw):
        args = {"filter": flt}
        if sort:
            args["sort"] = sort
        args.update(kw)
        return c.ok("Email/query", args)["ids"]

    def in_mailbox():
        need(sorted(q({"inMailbox": d["child"]})) == sorted([e1, e2]),
             "inMailbox child")
        need(q({"inMailbox": d["other"]}) == [e2], "inMailbox other")
    c.check("Email/query inMailbox", in_mailbox)

    def conditions():
        base = {"inMailbox": d["child"]}
        for cond, want in ((("from", "dave@example.com"), [e2]),
                           (("subject", "second"), [e2]),
                           (("hasKeyword", "$seen"), [e1]),
                           (("notKeyword", "$seen"), [e2]),
                           (("text", "zebracorn"), [e1]),
                           (("body", "zebracorn"), [e1]),
                           (("before", "2021-06-02T00:00:00Z"), [e1]),
                           (("after", "2021-06-02T00:00:00Z"), [e2]),
                           (("hasAttachment", True), [e2]),
                           (("header", ["X-Conformance"]), [e1]),
                           (("minSize", len(MSG1) + 1), [e2] if len(MSG2) >
                            len(MSG1) else [])):
            got = q(dict(base, **{cond[0]: cond[1]}))
            need(got == want, "%s=%r gave %s, want %s" % (cond[0], cond[1],
                                                         got, want))
    c.check("Email/query filter conditions", conditions)

    def operators():
        got = q({"operator": "OR", "conditions": [
            {"inMailbox": d["other"]}, {"text": "zebracorn"}]})
        need(sorted(got) == sorted([e1, e2]), "OR %s" % got)
        got = q({"operator": "AND", "conditions": [
            {"inMailbox": d["child"]},
            {"operator": "NOT", "conditions": [{"hasKeyword": "$seen"}]}]})
        need(got == [e2], "AND/NOT %s" % got)
    c.check("Email/query FilterOperator AND, OR, NOT", operators)

    def sorts():
        flt = {"inMailbox": d["child"]}
        need(q(flt, [{"property": "receivedAt", "isAscending": True}]) ==
             [e1, e2], "receivedAt asc")
        need(q(flt, [{"property": "receivedAt", "isAscending": False}]) ==
             [e2, e1], "receivedAt desc")
        need(q(flt, [{"property": "receivedAt"}]) == [e1, e2],
             "isAscending defaults to true")
        s = q(flt, [{"property": "size"}])
        need(s == ([e1, e2] if len(MSG1) < len(MSG2) else [e2, e1]), "size")
        need(q(flt, [{"property": "subject"}]) == [e1, e2], "subject")
    c.check("Email/query sorts", sorts)

    def keyword_sort():
        # e1 has $seen, e2 not: descending puts e1 first
        sort = [{"property": "hasKeyword", "keyword": "$seen",
                 "isAscending": False}]
        opts = c.session["accounts"][c.acct]["accountCapabilities"][MAIL][
            "emailQuerySortOptions"]
        need("hasKeyword" in opts, "hasKeyword not in %s" % opts)
        got = q({"inMailbox": d["child"]}, sort)
        need(got == [e1, e2], "hasKeyword $seen desc: %s" % got)
        sort[0]["isAscending"] = True
        got = q({"inMailbox": d["child"]}, sort)
        need(got == [e2, e1], "hasKeyword $seen asc: %s" % got)
    c.check("Email/query sort hasKeyword", keyword_sort)

    def collapse():
        got = q({"inMailbox": d["child"]}, collapseThreads=True)
        need(len(got) == 1, "collapseThreads: %s" % got)
    c.check("Email/query collapseThreads", collapse)

    def total():
        r = c.ok("Email/query", {"filter": {"inMailbox": d["child"]},
                                 "calculateTotal": True, "limit": 1})
        need(r["total"] == 2 and len(r["ids"]) == 1 and r["position"] == 0,
             short(r))
    c.check("Email/query limit and calculateTotal", total)

    def query_changes():
        qs = c.ok("Email/query", {"filter": {"inMailbox": d["child"]}})
        r = c.call("Email/queryChanges", {
            "accountId": c.acct, "filter": {"inMailbox": d["child"]},
            "sinceQueryState": qs["queryState"]})
        if r[0] == "error":
            need(r[1]["type"] == "cannotCalculateChanges", short(r))
            return "cannotCalculateChanges (allowed)"
        need(r[1]["removed"] == [] and r[1]["added"] == [], short(r))
        return "answered"
    c.check("Email/queryChanges answers or says cannotCalculateChanges",
            query_changes)

    def chained():
        out = c.api([
            ["Email/query", {"accountId": c.acct,
                             "filter": {"inMailbox": d["child"]}}, "q"],
            ["Email/get", {"accountId": c.acct, "properties": ["threadId"],
                           "#ids": {"resultOf": "q", "name": "Email/query",
                                    "path": "/ids"}}, "g"],
            ["Thread/get", {"accountId": c.acct, "#ids": {
                "resultOf": "g", "name": "Email/get",
                "path": "/list/*/threadId"}}, "t"]])
        t = out["methodResponses"][2]
        need(t[0] == "Thread/get" and t[1]["list"], short(t))
    c.check("Email/query -> Email/get -> Thread/get by reference", chained)


SECTIONS = [mailbox, thread, email_get, email_query]
