"""EmailSubmission/queryChanges (RFC 8620 section 5.6, RFC 8621 section
7.4) against a real server (cloisterd, stored, jmapd, submitd and an SMTP
sink as the relay): a client keeps each query's old result list, applies
every queryChanges answer (removed, then added by ascending index) and
must hold exactly what a new EmailSubmission/query returns, over a seeded
random run of send-later creates (they stay pending), soon-due creates
(submitd sends them: undoStatus turns final behind the client's back),
cancels and destroys, for several filters and sorts. Then the rules
around it: a queryState of another query or a malformed one is
cannotCalculateChanges, maxChanges is tooManyChanges, calculateTotal and
upToId (the sort and filter are immutable there); and the committing mark
(undoStatus final before the relay answers the final dot) is a change."""
import random
import time

from test_jmap_query_changes import apply_changes
from test_jmap_submission import Client, server, utc, wait
from submit_util import Sink

STEPS = 24

QUERIES = [
    {"filter": {"undoStatus": "pending"}, "sort": [{"property": "sentAt"}]},
    {"sort": [{"property": "emailId", "isAscending": False}]},
    {"filter": {"operator": "OR", "conditions": [
        {"undoStatus": "final"}, {"undoStatus": "canceled"}]}},
    {},
]


def query_pair(c, query, old_state):
    """queryChanges from old_state and a new /query read at the same
    store state (submitd may change it in between: asked again, bounded)."""
    for _ in range(20):
        (_, ans, _), (_, new, _) = c.calls([
            ["EmailSubmission/queryChanges", dict(
                query, accountId=c.acct, sinceQueryState=old_state,
                calculateTotal=True), "a"],
            ["EmailSubmission/query", dict(
                query, accountId=c.acct, calculateTotal=True), "b"]])
        assert "newQueryState" in ans, (query, ans)
        if ans["newQueryState"] == new["queryState"]:
            return ans, new
        time.sleep(0.05)
    raise AssertionError("the store state never held still")


def check(c, query, old_ids, old_state):
    ans, new = query_pair(c, query, old_state)
    assert ans["oldQueryState"] == old_state
    got = apply_changes(old_ids, ans)
    assert got == new["ids"], (query, old_ids, ans, new["ids"])
    assert ans["total"] == new["total"] == len(new["ids"])
    return got, ans["newQueryState"]


class Outbox:
    """Random changes to one user's submissions."""

    def __init__(self, c, rng):
        self.c = c
        self.rng = rng
        self.n = 0

    def visible(self):
        return self.c.call("EmailSubmission/get", ids=None,
                           properties=["undoStatus", "sendAt"])["list"]

    def due_pending(self):
        """Pending ones due within the next minute (the soon ones)."""
        soon = utc(int(time.time()) + 60)
        return [s for s in self.visible()
                if s["undoStatus"] == "pending" and s["sendAt"] < soon]

    def create(self, soon, ahead=1):
        """soon: due in ahead seconds (whole seconds: a little less)."""
        self.n += 1
        eid = self.c.draft(subject="q%d" % self.n)
        if not soon:
            ahead = 3600 + self.rng.randrange(3600)
        (_, s, _), = self.c.submit(eid, send_at=utc(int(time.time()) + ahead))
        assert "s" in s["created"], s

    def step(self):
        subs = self.visible()
        pending = [s["id"] for s in subs if s["undoStatus"] == "pending"]
        roll = self.rng.random()
        if roll < 0.35 or not subs:
            self.create(soon=False)
        elif roll < 0.5:
            self.create(soon=True)
        elif roll < 0.75 and pending:
            sid = self.rng.choice(pending)
            u = self.c.call("EmailSubmission/set",
                            update={sid: {"undoStatus": "canceled"}})
            assert sid in u.get("updated", {}) or sid in u.get(
                "notUpdated", {}), u
        else:
            sid = self.rng.choice(subs)["id"]
            d = self.c.call("EmailSubmission/set", destroy=[sid])
            assert d["destroyed"] == [sid], d


def test_submission_query_changes_random_runs():
    sink = Sink()
    try:
        with server(sink) as srv:
            c = Client(srv)
            for seed in (3, 11):
                rng = random.Random(seed)
                box = Outbox(c, rng)
                held = []
                for q in QUERIES:
                    r = c.call("EmailSubmission/query", **q)
                    assert r["canCalculateChanges"] is True, r
                    held.append((r["ids"], r["queryState"]))
                first = list(held)
                for n in range(STEPS):
                    box.step()
                    time.sleep(0.15)  # submitd sends the soon ones meanwhile
                    for i, q in enumerate(QUERIES):
                        try:
                            held[i] = check(c, q, *held[i])
                        except AssertionError as e:
                            raise AssertionError("seed %d step %d: %s"
                                                 % (seed, n, e))
                # let submitd send the soon-due ones, then carry on from
                # the last answers and from the very first query too
                assert wait(lambda: not box.due_pending(), timeout=20)
                for i, q in enumerate(QUERIES):
                    check(c, q, *held[i])
                    check(c, q, *first[i])
            final = [s for s in box.visible() if s["undoStatus"] == "final"]
            assert final, "submitd sent none: undoStatus never changed"
    finally:
        sink.close()


def ask(c, name, **args):
    (got, res, _), = c.calls([[name, dict(args, accountId=c.acct), "0"]])
    return got, res


def test_query_changes_rules():
    sink = Sink()
    try:
        with server(sink) as srv:
            c = Client(srv)
            box = Outbox(c, random.Random(5))
            for _ in range(3):
                box.create(soon=False)
            pend = QUERIES[0]
            by_email = [{"sort": [{"property": "emailId", "isAscending": up}]}
                        for up in (True, False)]
            r0 = c.call("EmailSubmission/query", **pend)
            r1 = [c.call("EmailSubmission/query", **q) for q in by_email]
            for _ in range(3):
                box.create(soon=False)
            # a state of another query, or one made up
            for bad in (r1[0]["queryState"], r0["queryState"].split("-")[0],
                        "s1-0000000000000000", "x" + r0["queryState"],
                        r0["queryState"][1:], "-"):
                got, e = ask(c, "EmailSubmission/queryChanges",
                             sinceQueryState=bad, **pend)
                assert (got, e["type"]) == ("error",
                                            "cannotCalculateChanges"), (bad, e)
            # an Email/query state of the same (empty) shape is not one
            eqs = c.call("Email/query")["queryState"]
            got, e = ask(c, "EmailSubmission/queryChanges", sinceQueryState=eqs)
            assert e["type"] == "cannotCalculateChanges", (eqs, e)
            # three created: three removed and three added
            got, e = ask(c, "EmailSubmission/queryChanges", maxChanges=5,
                         sinceQueryState=r0["queryState"], **pend)
            assert (got, e["type"]) == ("error", "tooManyChanges"), e
            a = c.call("EmailSubmission/queryChanges", maxChanges=6,
                       calculateTotal=True,
                       sinceQueryState=r0["queryState"], **pend)
            assert len(a["removed"]) == len(a["added"]) == 3, a
            assert a["total"] == 6, a
            # upToId: emailId order is immutable, so added stops there (in
            # the order where an added one sorts after an old one: email
            # ids are not in creation order)
            for q, r in zip(by_email, r1):
                new = c.call("EmailSubmission/query", **q)["ids"]
                full = c.call("EmailSubmission/queryChanges",
                              sinceQueryState=r["queryState"], **q)
                assert len(full["added"]) == 3, full
                assert apply_changes(r["ids"], full) == new
                last = max(x["index"] for x in full["added"])
                before = [i for i in r["ids"] if new.index(i) < last]
                if before:
                    break
            assert before, (r1, new)
            up = before[0]
            cut = new.index(up)
            a = c.call("EmailSubmission/queryChanges", upToId=up,
                       sinceQueryState=r["queryState"], **q)
            assert a["added"] == [x for x in full["added"]
                                  if x["index"] <= cut], (a, full, cut)
            # undoStatus is mutable: upToId is no cut there
            newp = c.call("EmailSubmission/query", **pend)["ids"]
            up = min(r0["ids"], key=newp.index)
            added = [i for i in newp if i not in r0["ids"]]
            assert any(newp.index(i) > newp.index(up) for i in added), newp
            a = c.call("EmailSubmission/queryChanges", upToId=up,
                       sinceQueryState=r0["queryState"], **pend)
            assert len(a["added"]) == 3, a
    finally:
        sink.close()


def test_the_committing_mark_is_a_change():
    """undoStatus turns final when submitd marks the entry committing,
    before its final dot and long before the relay answers it: that is a
    change of its own (state and queryChanges), not one a client would
    only see with the result."""
    sink = Sink(delay=3.0)     # the reply to the final dot comes late
    try:
        with server(sink) as srv:
            c = Client(srv)
            box = Outbox(c, random.Random(1))
            box.create(soon=False)
            box.create(soon=True, ahead=3)   # still pending at the query
            pend = QUERIES[0]
            r = c.call("EmailSubmission/query", **pend)
            assert len(r["ids"]) == 2, r
            before = c.call("EmailSubmission/get", ids=[])["state"]
            assert wait(lambda: len(box.visible()) == 2 and any(
                s["undoStatus"] == "final" for s in box.visible()),
                timeout=10)
            assert not sink.got, "the relay answered already"
            now = c.call("EmailSubmission/get", ids=[])["state"]
            assert now != before, "undoStatus changed, the state did not"
            check(c, pend, r["ids"], r["queryState"])
    finally:
        sink.close()
