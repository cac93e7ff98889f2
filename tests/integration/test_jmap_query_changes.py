"""Email/queryChanges and Mailbox/queryChanges (RFC 8620 section 5.6)
against a live stored: a client keeps the old result list, applies each
answer (removed, then added by ascending index) and must hold exactly what
a new /query returns, over a seeded random run of creates, keyword
changes, moves and destroys for several filters and sorts."""
import random

from cloister_ipc import T, s, u32
from store_util import Store
from test_jmap_methods import Api, mailboxes
from test_jmap_thread_counts import reply_to

SEEN = 1
STEPS = 40

EMAIL_QUERIES = [
    {},
    {"sort": [{"property": "receivedAt", "isAscending": False}]},
    {"filter": {"inMailbox": "@INBOX"},
     "sort": [{"property": "subject"}]},
    {"filter": {"hasKeyword": "$flagged"},
     "sort": [{"property": "size", "isAscending": False},
              {"property": "subject"}]},
    {"filter": {"operator": "OR", "conditions": [
        {"notKeyword": "$seen"}, {"subject": "odd"}]},
     "sort": [{"property": "from"}, {"property": "subject",
                                      "isAscending": False}]},
    {"filter": {"inMailboxOtherThan": ["@Trash"], "subject": "odd"}},
    {"collapseThreads": True},
    {"filter": {"inMailbox": "@INBOX"}, "collapseThreads": True,
     "sort": [{"property": "subject", "isAscending": False}]},
    {"filter": {"notKeyword": "$seen"}, "collapseThreads": True,
     "sort": [{"property": "size"}]},
]


def apply_changes(old, answer):
    """What a client does with a queryChanges answer (RFC 8620 5.6)."""
    removed = set(answer["removed"])
    out = [i for i in old if i not in removed]
    for a in sorted(answer["added"], key=lambda a: a["index"]):
        out.insert(a["index"], a["id"])
    return out


def resolve(query, boxes):
    """The query with "@Name" mailbox references made ids."""
    def fix(v):
        if isinstance(v, str) and v.startswith("@"):
            return boxes[v[1:]]
        if isinstance(v, list):
            return [fix(x) for x in v]
        if isinstance(v, dict):
            return {k: fix(x) for k, x in v.items()}
        return v
    return fix(query)


class Mail:
    """Random changes to one user's mail over JMAP and APPEND."""

    def __init__(self, api, rng, boxes):
        self.api, self.rng, self.boxes, self.n = api, rng, boxes, 0
        self.msgids = []

    def all_ids(self):
        return self.api.ok("Email/query", {})["ids"]

    def create(self):
        self.n += 1
        box = self.rng.choice(["INBOX", "Archive", "Trash"])
        subject = ("odd %d" if self.n % 2 else "even %d") % self.n
        subject += " " + "x" * self.rng.randrange(0, 40)
        msgid = "q%d-%d" % (self.n, self.rng.random() * 1e9)
        # about half are replies: threads of several emails
        extra = b""
        if self.msgids and self.rng.random() < 0.5:
            extra = reply_to(self.rng.choice(self.msgids))
        self.msgids.append(msgid)
        self.api.append(box, subject, msgid, extra=extra,
                        flags=self.rng.choice([0, SEEN]))

    def update(self, patch):
        ids = self.all_ids()
        if not ids:
            return self.create()
        target = self.rng.choice(ids)
        r = self.api.ok("Email/set", {"update": {target: patch}})
        assert target in r["updated"], r

    def step(self):
        what = self.rng.choice(["create", "create", "flag", "seen", "move",
                                "destroy"])
        if what == "create":
            self.create()
        elif what == "flag":
            self.update({"keywords/$flagged":
                         self.rng.choice([True, None])})
        elif what == "seen":
            self.update({"keywords/$seen": self.rng.choice([True, None])})
        elif what == "move":
            box = self.boxes[self.rng.choice(["INBOX", "Archive", "Trash"])]
            self.update({"mailboxIds": {box: True}})
        else:
            ids = self.all_ids()
            if ids:
                r = self.api.ok("Email/set",
                                {"destroy": [self.rng.choice(ids)]})
                assert len(r["destroyed"]) == 1, r


def check_query(api, query, old_ids, old_state):
    """queryChanges from old_state applied to old_ids gives the new
    /query; returns the new ids and queryState."""
    args = dict(query, sinceQueryState=old_state, calculateTotal=True)
    ans = api.ok("Email/queryChanges", args)
    new = api.ok("Email/query", dict(query, calculateTotal=True))
    assert ans["oldQueryState"] == old_state
    got = apply_changes(old_ids, ans)
    assert got == new["ids"], (query, old_ids, ans, new["ids"])
    assert ans["total"] == new["total"] == len(new["ids"])
    if ans["added"] and len(new["ids"]) > 1:
        # the check itself must notice an answer that is off by one
        bad = dict(ans, added=[dict(a, index=(a["index"] + 1) %
                                    len(new["ids"])) for a in ans["added"]])
        assert apply_changes(old_ids, bad) != new["ids"]
    # a client carries on from the answer's state, not from a new query
    return got, ans["newQueryState"], ans


def test_email_query_changes_random_runs():
    with Store() as st:
        api = Api(st)
        mbs, _ = mailboxes(api)
        boxes = {n: mbs[n]["id"] for n in ("INBOX", "Archive", "Trash")}
        for seed in (1, 2, 3):
            rng = random.Random(seed)
            mail = Mail(api, rng, boxes)
            for _ in range(4):
                mail.create()
            queries = [resolve(q, boxes) for q in EMAIL_QUERIES]
            known = []
            for q in queries:
                r = api.ok("Email/query", q)
                assert r["canCalculateChanges"] is True
                known.append((r["ids"], r["queryState"]))
            nonempty = 0
            for step in range(STEPS):
                mail.step()
                # some queries catch up after every change, others after
                # several
                for i, q in enumerate(queries):
                    if (step + i) % (1 + i % 3) != 0:
                        continue
                    ids, qs, ans = check_query(api, q, *known[i])
                    nonempty += bool(ans["added"] or ans["removed"])
                    known[i] = (ids, qs)
            assert nonempty > STEPS, nonempty
        api.close()


def test_query_changes_arguments_and_state_shape():
    with Store() as st:
        api = Api(st)
        mbs, _ = mailboxes(api)
        for i in range(3):
            api.append("INBOX", "m%d" % i, "m%d" % i)
        q = {"sort": [{"property": "subject"}]}
        r = api.ok("Email/query", q)
        qs = r["queryState"]
        same = api.ok("Email/queryChanges", dict(q, sinceQueryState=qs))
        assert same["removed"] == [] and same["added"] == [], same
        assert same["newQueryState"] == qs
        # a state from another filter or sort is not answered wrongly
        for other in ({}, {"sort": [{"property": "size"}]},
                      dict(q, filter={"subject": "m1"})):
            n, e = api.call("Email/queryChanges",
                            dict(other, sinceQueryState=qs))
            assert e["type"] == "cannotCalculateChanges", (other, e)
        for bad in ("1", "", "x-1", qs + "0", "99999999" + qs[qs.index("-"):]):
            n, e = api.call("Email/queryChanges", dict(q, sinceQueryState=bad))
            assert e["type"] == "cannotCalculateChanges", (bad, e)
        for args in ({"maxChanges": 0}, {"maxChanges": "1"},
                     {"upToId": 5}, {"calculateTotal": "yes"}):
            n, e = api.call("Email/queryChanges",
                            dict(q, sinceQueryState=qs, **args))
            assert e["type"] == "invalidArguments", (args, e)
        # maxChanges: more changes than that is tooManyChanges
        api.append("INBOX", "m3", "m3")
        api.append("INBOX", "m4", "m4")
        n, e = api.call("Email/queryChanges",
                        dict(q, sinceQueryState=qs, maxChanges=3))
        assert e["type"] == "tooManyChanges", e
        ok = api.ok("Email/queryChanges",
                    dict(q, sinceQueryState=qs, maxChanges=4))
        assert len(ok["removed"]) + len(ok["added"]) == 4, ok
        api.close()


def test_up_to_id_on_an_immutable_query():
    with Store() as st:
        api = Api(st)
        for i in range(6):
            api.append("INBOX", "s%d" % i, "u%d" % i)
        q = {"filter": {"subject": "s"}, "sort": [{"property": "subject"}]}
        r = api.ok("Email/query", q)
        prefix = r["ids"][:3]
        api.append("INBOX", "s0a", "u0a")   # sorts inside the prefix
        api.append("INBOX", "s9", "u9")     # sorts after it
        ans = api.ok("Email/queryChanges", dict(
            q, sinceQueryState=r["queryState"], upToId=prefix[-1]))
        new = api.ok("Email/query", q)["ids"]
        cut = new.index(prefix[-1])
        assert apply_changes(prefix, ans) == new[:cut + 1], (ans, new)
        assert all(a["index"] <= cut for a in ans["added"]), ans
        # a mutable filter: upToId is ignored, the whole answer comes
        q2 = {"filter": {"notKeyword": "$flagged"},
              "sort": [{"property": "subject"}]}
        r = api.ok("Email/query", q2)
        api.append("INBOX", "zz", "uzz")
        ans = api.ok("Email/queryChanges", dict(
            q2, sinceQueryState=r["queryState"], upToId=r["ids"][0]))
        new = api.ok("Email/query", q2)["ids"]
        assert apply_changes(r["ids"], ans) == new, (ans, new)
        api.close()


MAILBOX_QUERIES = [
    {},
    {"sort": [{"property": "name", "isAscending": False}]},
    {"filter": {"hasAnyRole": False}, "sort": [{"property": "name"}]},
    {"filter": {"parentId": None},
     "sort": [{"property": "sortOrder"}, {"property": "name"}]},
    {"filter": {"isSubscribed": True}, "sort": [{"property": "name"}]},
]


def test_mailbox_query_changes_random_runs():
    with Store() as st:
        api = Api(st)
        rng = random.Random(7)
        known = []
        for q in MAILBOX_QUERIES:
            r = api.ok("Mailbox/query", q)
            assert r["canCalculateChanges"] is True
            known.append((r["ids"], r["queryState"]))
        made, deep, widened = [], [], 0
        for step in range(40):
            what = rng.choice(["create", "create", "rename", "destroy",
                               "deep", "ancestor", "subscribe"])
            # IMAP makes what JMAP cannot: a deep mailbox whose ancestors
            # are implied, an ancestor made real later or deleted under
            # children (a channel per change: nobody reads its
            # notifications)
            imap = st.connect("imapd")
            imap.hello(st.key, "carol")
            if what == "deep":
                imap.call("STORE_MBOX_CREATE", s("D%d/x/y" % step) + u32(0))
                deep.append("D%d" % step)
            elif what == "ancestor":
                if deep:
                    name = rng.choice(deep) + rng.choice(["", "/x"])
                    # either may fail (exists, implied): that is a step too
                    if rng.random() < 0.5:
                        imap.raw(T["STORE_MBOX_CREATE"], s(name) + u32(0))
                    else:
                        imap.raw(T["STORE_MBOX_DELETE"], s(name))
            elif what == "create" or not made:
                parent = rng.choice([None] + made)
                r = api.ok("Mailbox/set", {"create": {"n": {
                    "name": "B%d" % step, "parentId": parent}}})
                made.append(r["created"]["n"]["id"])
            elif what == "subscribe":
                r = api.ok("Mailbox/set", {"update": {rng.choice(made): {
                    "isSubscribed": rng.random() < 0.5}}})
            elif what == "rename":
                r = api.ok("Mailbox/set", {"update": {rng.choice(made): {
                    "name": "R%d" % step}}})
            else:
                victim = rng.choice(made)
                r = api.ok("Mailbox/set", {"destroy": [victim]})
                if victim in r["destroyed"]:
                    made.remove(victim)
            imap.close()
            for i, q in enumerate(MAILBOX_QUERIES):
                ans = api.ok("Mailbox/queryChanges",
                             dict(q, sinceQueryState=known[i][1]))
                new = api.ok("Mailbox/query", q)
                assert apply_changes(known[i][0], ans) == new["ids"], \
                    (q, known[i][0], ans, new["ids"])
                if what == "ancestor" and i == 3 and ans["added"]:
                    widened += 1
                known[i] = (ans["newQueryState"], new["ids"])[::-1]
        assert widened > 0, "no ancestor change moved a mailbox"
        api.close()


def test_many_mailboxes_are_sorted_under_seccomp():
    """A sort of more than 1 KiB in a confined stored (60 mailboxes
    listed) must not need a call the policy refuses."""
    with Store() as st:
        api = Api(st)
        imap = st.connect("imapd")
        imap.hello(st.key, "carol")
        for i in range(60):
            imap.call("STORE_MBOX_CREATE", s("Many%02d" % i) + u32(0))
        imap.close()
        r = api.ok("Mailbox/query", {"sort": [{"property": "name"}]})
        assert len(r["ids"]) == 66, r
        assert st.proc.poll() is None
        api.close()
