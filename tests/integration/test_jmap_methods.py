"""The JMAP methods (workers/jmap) against a live stored, without HTTP:
jmap-api-check runs jmap_api_handle() on a jmapd store channel and the
tests speak JMAP requests to it line by line."""
import json
import os
import subprocess
import tempfile

from harness import tool
from store_util import Store, s, ticket

CORE = "urn:ietf:params:jmap:core"
MAIL = "urn:ietf:params:jmap:mail"

MESSAGE = (b"From: \"Doe, Jane\" <jane@example.com>\r\n"
           b"To: bob@example.net, Carol <carol@example.org>\r\n"
           b"Subject: %s\r\n"
           b"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
           b"Message-ID: <%s@example.com>\r\n%s"
           b"\r\n"
           b"Hello there, this is the body.\r\n")


class Api:
    """jmap-api-check on a fresh user's jmapd channel."""

    def __init__(self, st, user="carol"):
        st.admin().call("STORE_ADM_USER_CREATE", s(user))
        ch = st.connect("jmapd")
        fd = os.dup(ch.sock.fileno())
        self.tmp = tempfile.mkdtemp(prefix="cloister-jmap-")
        self.proc = subprocess.Popen(
            [tool("jmap-api-check"), str(fd),
             ticket(st.key, user, "jmapd", ch.instance).hex()],
            pass_fds=[fd], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        os.close(fd)
        self.n = 0

    def line(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        out = self.proc.stdout.readline()
        assert out, "jmap-api-check died"
        return out.rstrip("\n")

    def request(self, calls, using=(CORE, MAIL)):
        status, _, body = self.line(json.dumps(
            {"using": list(using), "methodCalls": calls})).partition(" ")
        assert status == "200", status + " " + body
        return json.loads(body)["methodResponses"]

    def call(self, name, args):
        """One call; its [name, args] response."""
        args.setdefault("accountId", "a1")
        r = self.request([[name, args, "c"]])
        assert len(r) == 1 and r[0][2] == "c", r
        return r[0][0], r[0][1]

    def ok(self, name, args):
        n, a = self.call(name, args)
        assert n == name, (name, n, a)
        return a

    def append(self, mailbox, subject, msgid, flags=0, extra=b""):
        self.n += 1
        path = os.path.join(self.tmp, "m%d" % self.n)
        with open(path, "wb") as f:
            f.write(MESSAGE % (subject.encode(), msgid.encode(), extra))
        assert self.line("!append %s %d %s" % (mailbox, flags, path)) == "OK"

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=20)


def test_a_lost_store_is_reported_and_not_used_again():
    with Store() as st:
        api = Api(st)
        mailboxes(api)
        st.kill()
        req = json.dumps({"using": [CORE, MAIL], "methodCalls": [
            ["Mailbox/get", {"accountId": "a1"}, "a"],
            ["Mailbox/get", {"accountId": "a1"}, "b"],
            ["Core/echo", {"still": "here"}, "c"]]})
        out = api.line(req)
        assert out.startswith("LOST 200 "), out
        r = json.loads(out[len("LOST 200 "):])["methodResponses"]
        assert r[0][1]["type"] == "serverUnavailable", r
        assert r[1][1] == {"type": "serverFail", "description": "no store"}
        assert r[2] == ["Core/echo", {"still": "here"}, "c"]
        api.close()


def mailboxes(api):
    got = api.ok("Mailbox/get", {"ids": None})
    return {m["name"]: m for m in got["list"]}, got["state"]


def test_mailbox_set_get_query_and_changes():
    with Store() as st:
        api = Api(st)
        mbs, state0 = mailboxes(api)
        assert mbs["INBOX"]["role"] == "inbox"
        inbox = mbs["INBOX"]["id"]
        # create a parent and a child that names it by creation id
        r = api.ok("Mailbox/set", {"create": {
            "kid": {"name": "Kid", "parentId": "#top"},
            "top": {"name": "Projects", "isSubscribed": True},
            "arch": {"name": "Old", "role": "important"},
            "bad": {"name": "a/b"},
            "dup": {"name": "Another", "role": "trash"}}})
        assert set(r["created"]) == {"kid", "top", "arch"}, r
        assert r["notCreated"]["bad"]["type"] == "invalidProperties"
        assert r["notCreated"]["dup"]["properties"] == ["role"], r
        assert r["oldState"] == state0 and r["newState"] != state0
        top, kid = r["created"]["top"]["id"], r["created"]["kid"]["id"]
        mbs, state1 = mailboxes(api)
        assert mbs["Kid"]["parentId"] == top and mbs["Kid"]["id"] == kid
        assert mbs["Projects"]["isSubscribed"] is True
        assert mbs["Old"]["role"] == "important"
        # getting by id, unknown ids, properties
        g = api.ok("Mailbox/get", {"ids": [kid, "M999999", kid, "nonsense",
                                           "M999999"],
                                   "properties": ["name"]})
        assert g["list"] == [{"id": kid, "name": "Kid"}], g
        assert g["notFound"] == ["M999999", "nonsense"]
        n, e = api.call("Mailbox/get", {"properties": ["nope"]})
        assert n == "error" and e["type"] == "invalidArguments"
        n, e = api.call("Mailbox/get", {"accountId": "other"})
        assert n == "error" and e["type"] == "accountNotFound"
        # query: filter and sort
        q = api.ok("Mailbox/query", {"filter": {"parentId": None},
                                     "sort": [{"property": "name"}]})
        names = {m["id"]: n for n, m in mbs.items()}
        assert [names[i] for i in q["ids"]] == ["Archive", "Drafts", "INBOX",
                                                "Junk", "Old", "Projects",
                                                "Sent", "Trash"]
        q = api.ok("Mailbox/query", {"filter": {"hasAnyRole": False}})
        assert sorted(names[i] for i in q["ids"]) == ["Kid", "Projects"]
        q = api.ok("Mailbox/query", {"filter": {"operator": "NOT",
                   "conditions": [{"role": "inbox"}]}, "calculateTotal": True})
        assert q["total"] == 8 and inbox not in q["ids"]
        q = api.ok("Mailbox/query", {"sort": [{"property": "sortOrder",
                   "isAscending": False}, {"property": "name"}], "limit": 2})
        assert [names[i] for i in q["ids"]] == ["INBOX", "Archive"], q
        n, e = api.call("Mailbox/query", {"filter": {"nope": 1}})
        assert e["type"] == "unsupportedFilter"
        # update: rename under another parent; destroy rules
        r = api.ok("Mailbox/set", {"update": {kid: {"name": "Child",
                                                    "parentId": None}}})
        assert kid in r["updated"], r
        r = api.ok("Mailbox/set", {"update": {top: {"parentId": top}}})
        assert r["notUpdated"][top]["type"] == "invalidProperties"
        api.append("Projects", "hello", "p1")
        r = api.ok("Mailbox/set", {"destroy": [top, inbox]})
        assert r["notDestroyed"][top]["type"] == "mailboxHasEmail", r
        assert r["notDestroyed"][inbox]["type"] == "forbidden"
        r = api.ok("Mailbox/set", {"destroy": [top],
                                   "onDestroyRemoveEmails": True})
        assert r["destroyed"] == [top], r
        mbs, _ = mailboxes(api)
        assert "Child" in mbs and "Projects" not in mbs and "Kid" not in mbs
        # a parent and its child in one destroy, parent named first
        r = api.ok("Mailbox/set", {"create": {
            "p2": {"name": "P2"}, "c2": {"name": "C2", "parentId": "#p2"}}})
        p2, c2 = r["created"]["p2"]["id"], r["created"]["c2"]["id"]
        r = api.ok("Mailbox/set", {"destroy": [p2, c2]})
        assert sorted(r["destroyed"]) == sorted([p2, c2]), r
        ch = api.ok("Mailbox/changes", {"sinceState": state1})
        assert top in ch["destroyed"] and kid in ch["updated"], ch
        n, e = api.call("Mailbox/changes", {"sinceState": "99999999"})
        assert e["type"] == "cannotCalculateChanges", e
        n, e = api.call("Mailbox/set", {"ifInState": "1", "destroy": []})
        assert e["type"] == "stateMismatch"
        api.close()


def test_email_query_get_thread_and_references():
    with Store() as st:
        api = Api(st)
        api.append("INBOX", "first", "a1", flags=1)   # \Seen
        api.append("INBOX", "second", "a2",
                   extra=b"In-Reply-To: <a1@example.com>\r\n"
                         b"References: <a1@example.com>\r\n")
        mbs, _ = mailboxes(api)
        inbox = mbs["INBOX"]["id"]
        assert mbs["INBOX"]["totalEmails"] == 2
        assert mbs["INBOX"]["unreadEmails"] == 1
        # query + get in one request through a result reference
        r = api.request([
            ["Email/query", {"accountId": "a1", "filter": {"inMailbox": inbox},
                             "sort": [{"property": "receivedAt",
                                       "isAscending": False}],
                             "calculateTotal": True}, "q"],
            ["Email/get", {"accountId": "a1", "#ids": {
                "resultOf": "q", "name": "Email/query", "path": "/ids"}},
             "g"],
            ["Thread/get", {"accountId": "a1", "#ids": {
                "resultOf": "g", "name": "Email/get",
                "path": "/list/*/threadId"}}, "t"]])
        q, g, t = r[0][1], r[1][1], r[2][1]
        assert q["total"] == 2 and len(q["ids"]) == 2, r
        by_subject = {e["subject"]: e for e in g["list"]}
        first, second = by_subject["first"], by_subject["second"]
        assert first["keywords"] == {"$seen": True}
        assert second["keywords"] == {}
        assert first["mailboxIds"] == {inbox: True}
        assert first["from"] == [{"name": "Doe, Jane",
                                  "email": "jane@example.com"}], first["from"]
        assert second["to"][1] == {"name": "Carol",
                                   "email": "carol@example.org"}
        assert first["messageId"] == ["a1@example.com"]
        assert second["inReplyTo"] == ["a1@example.com"]
        assert first["sentAt"] == "2026-12-01T10:00:00Z"
        assert first["blobId"].startswith("G") and first["size"] > 0
        assert first["id"] in q["ids"]
        assert t["list"], t
        assert all(e in sum((x["emailIds"] for x in t["list"]), [])
                   for e in q["ids"])
        # filters
        ids = api.ok("Email/query", {"filter": {"notKeyword": "$seen"}})["ids"]
        assert ids == [second["id"]]
        ids = api.ok("Email/query", {"filter": {"subject": "first"}})["ids"]
        assert ids == [first["id"]]
        ids = api.ok("Email/query", {"filter": {"operator": "OR",
                     "conditions": [{"subject": "first"},
                                    {"subject": "second"}]}})["ids"]
        assert sorted(ids) == sorted(q["ids"])
        ids = api.ok("Email/query", {"filter": {"operator": "OR",
                     "conditions": [{"subject": "first"}]}})["ids"]
        assert ids == [first["id"]]
        ids = api.ok("Email/query", {"filter": {"operator": "NOT",
                     "conditions": [{"subject": "first"}]}})["ids"]
        assert ids == [second["id"]]
        ids = api.ok("Email/query", {"filter": {"header": ["In-Reply-To"]}})
        assert ids["ids"] == [second["id"]], ids
        ids = api.ok("Email/query", {"filter": {"header": ["Subject",
                                                           "firs"]}})
        assert ids["ids"] == [first["id"]], ids
        ids = api.ok("Email/query", {"filter": {"inMailboxOtherThan":
                                                [inbox]}})["ids"]
        assert ids == []
        n, e = api.call("Email/query", {"sort": [{"property": "nope"}]})
        assert e["type"] == "unsupportedSort"
        page = api.ok("Email/query", {"position": 1, "limit": 5})
        assert page["position"] == 1 and len(page["ids"]) == 1
        g = api.ok("Email/get", {"ids": ["E424242"], "properties": ["size"]})
        assert g["notFound"] == ["E424242"] and g["list"] == []
        n, e = api.call("Email/get", {"ids": ["E1"] * 501})
        assert e["type"] == "requestTooLarge"
        # one thread: collapsed, the first in the sort stands for it
        assert first["threadId"] == second["threadId"]
        c = api.ok("Email/query", {"filter": {"inMailbox": inbox},
                                   "collapseThreads": True,
                                   "sort": [{"property": "subject",
                                             "isAscending": False}]})
        assert c["ids"] == [second["id"]], c
        c = api.ok("Email/query", {"collapseThreads": True,
                                   "calculateTotal": True})
        assert c["total"] == 1 and len(c["ids"]) == 1, c
        # the body, read from the message itself
        g = api.ok("Email/get", {"ids": [first["id"]], "fetchTextBodyValues":
                                 True, "properties": ["textBody",
                                                      "bodyValues", "replyTo"]})
        e = g["list"][0]
        part = e["textBody"][0]["partId"]
        assert e["bodyValues"][part]["value"] == \
            "Hello there, this is the body.\r\n", e
        assert e["replyTo"] is None
        g = api.ok("Email/get", {"ids": [second["id"]], "properties": [
            "header:In-Reply-To:asMessageIds", "header:Subject:asText"]})
        assert g["list"][0]["header:In-Reply-To:asMessageIds"] == \
            ["a1@example.com"], g
        assert g["list"][0]["header:Subject:asText"] == "second"
        n, e = api.call("Email/get", {"ids": [second["id"]],
                                      "properties": ["header:X:asWhat"]})
        assert e["type"] == "invalidArguments"
        sn = api.ok("SearchSnippet/get", {"emailIds": [first["id"], "bogus"],
                                          "filter": {"text": "body"}})
        assert sn["list"] == [{"emailId": first["id"], "subject": None,
                               "preview": "Hello there, this is the "
                                          "<mark>body</mark>."}], sn
        assert sn["notFound"] == ["bogus"]
        for m in ("Email/queryChanges", "Mailbox/queryChanges"):
            n, e = api.call(m, {"sinceQueryState": "1"})
            assert e["type"] == "cannotCalculateChanges", (m, e)
        n, e = api.call("Email/queryChanges", {})
        assert e["type"] == "invalidArguments"
        ch = api.ok("Email/changes", {"sinceState": "0"})
        assert sorted(ch["created"]) == sorted(q["ids"]), ch
        # in pieces: maxChanges 1, then on from newState
        got, state, more = [], "0", True
        for _ in range(5):
            if not more:
                break
            ch = api.ok("Email/changes", {"sinceState": state,
                                          "maxChanges": 1})
            got += ch["created"]
            state, more = ch["newState"], ch["hasMoreChanges"]
        assert sorted(got) == sorted(q["ids"]) and not more, got
        n, e = api.call("Email/changes", {"sinceState": "0", "maxChanges": 0})
        assert e["type"] == "invalidArguments"
        api.close()


def test_email_set_keywords_mailboxes_and_destroy():
    with Store() as st:
        api = Api(st)
        api.append("INBOX", "one", "s1")
        api.append("INBOX", "two", "s2", flags=4)    # \Flagged
        mbs, _ = mailboxes(api)
        inbox, arch, trash = (mbs[n]["id"] for n in ("INBOX", "Archive",
                                                     "Trash"))
        ids = api.ok("Email/query", {"sort": [{"property": "subject"}]})["ids"]
        one, two = ids

        def get(i, props=("keywords", "mailboxIds")):
            return api.ok("Email/get", {"ids": [i],
                                        "properties": list(props)})["list"][0]
        r = api.ok("Email/set", {"update": {
            one: {"keywords/$seen": True, "keywords/Work": True},
            two: {"keywords": {"$answered": True}}}})
        assert set(r["updated"]) == {one, two}, r
        # lower case, as JMAP has them
        assert get(one)["keywords"] == {"$seen": True, "work": True}
        # the whole set: $flagged and everything else went
        assert get(two)["keywords"] == {"$answered": True}
        r = api.ok("Email/set", {"update": {one: {"keywords/$seen": None}}})
        assert get(one)["keywords"] == {"work": True}
        # copy into Archive, then move out of INBOX
        r = api.ok("Email/set", {"update": {one: {"mailboxIds/" + arch: True}}})
        assert get(one)["mailboxIds"] == {inbox: True, arch: True}, r
        r = api.ok("Email/set", {"update": {one: {"mailboxIds": {trash: True}}}})
        assert get(one)["mailboxIds"] == {trash: True}, r
        assert get(one)["keywords"] == {"work": True}
        mbs, _ = mailboxes(api)
        assert mbs["INBOX"]["totalEmails"] == 1
        assert mbs["Trash"]["totalEmails"] == 1
        # no mailbox at all, a bad keyword, an unknown property, creation
        r = api.ok("Email/set", {
            "update": {one: {"mailboxIds/" + trash: None},
                       two: {"keywords/bad(kw": True},
                       "E999999": {"keywords/$seen": True}},
            "create": {"k": {"subject": "x"}}})
        assert r["notUpdated"][one]["type"] == "invalidProperties", r
        assert r["notUpdated"][two]["type"] == "invalidProperties"
        assert r["notUpdated"]["E999999"]["type"] == "notFound"
        # a create without mailboxIds (test_jmap_create.py does the rest)
        assert r["notCreated"]["k"]["properties"] == ["mailboxIds"], r
        r = api.ok("Email/set", {"update": {two: {"subject": "x"}}})
        assert r["notUpdated"][two]["properties"] == ["subject"], r
        # destroy: every copy goes
        api.ok("Email/set", {"update": {two: {"mailboxIds/" + arch: True}}})
        r = api.ok("Email/set", {"destroy": [two, "E999999"]})
        assert r["destroyed"] == [two], r
        assert r["notDestroyed"]["E999999"]["type"] == "notFound"
        g = api.ok("Email/get", {"ids": [two], "properties": ["size"]})
        assert g["notFound"] == [two]
        mbs, _ = mailboxes(api)
        assert mbs["INBOX"]["totalEmails"] == 0
        assert mbs["Archive"]["totalEmails"] == 0
        n, e = api.call("Email/set", {"destroy": ["E1"] * 501})
        assert e["type"] == "requestTooLarge"
        api.close()
