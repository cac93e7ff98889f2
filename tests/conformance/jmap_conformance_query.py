"""RFC 8621 section 4.4 checks on keywords across a thread: the filters
someInThreadHaveKeyword, noneInThreadHaveKeyword, allInThreadHaveKeyword
and the sorts hasKeyword, someInThreadHaveKeyword, allInThreadHaveKeyword.
The check imports its own threads and computes every expected answer from
what Email/get and Thread/get say about them."""
import uuid

from jmap_conformance import MAIL, need, short

# (thread, keywords): three threads of different keyword mixes
EMAILS = [("a", ["$seen"]), ("a", ["$seen", "$flagged"]),
          ("b", ["$seen"]), ("b", []), ("c", ["$flagged"])]
KEYWORDS = ("$seen", "$flagged", "$draft")
PROPS = ("someInThreadHaveKeyword", "noneInThreadHaveKeyword",
         "allInThreadHaveKeyword")


def message(tag, i, thread):
    root = "<kw-%s-%s@example.org>" % (tag, thread)
    ref = "" if i == 0 else "In-Reply-To: %s\r\nReferences: %s\r\n" % (
        root, root)
    mid = root if i == 0 else "<kw-%s-%s-%d@example.org>" % (tag, thread, i)
    return ("From: kw@example.org\r\nTo: kw@example.org\r\n"
            "Subject: keyword thread %s %d\r\nMessage-ID: %s\r\n%s\r\n"
            "Body.\r\n" % (thread, i, mid, ref)).encode()


def fill(c):
    """The emails (oldest first) and, per email, its thread's keyword
    sets, as the server reports them."""
    d = c.data
    d["kwbox"] = c.make_mailbox("conformance keywords %s" %
                                uuid.uuid4().hex[:8], d.get("top"))
    tag = uuid.uuid4().hex[:12]
    ids, nth = [], {}
    for n, (thread, kws) in enumerate(EMAILS):
        i = nth.get(thread, 0)
        nth[thread] = i + 1
        made = c.import_msg(message(tag, i, thread), [d["kwbox"]],
                            {k: True for k in kws},
                            "2021-07-%02dT10:00:00Z" % (n + 1))
        ids.append(made["id"])
    got = c.ok("Email/get", {"ids": ids, "properties": ["threadId"]})["list"]
    tids = sorted({e["threadId"] for e in got})
    need(len(tids) == 3, "3 threads expected: %s" % short(got))
    threads = c.ok("Thread/get", {"ids": tids})["list"]
    members = [x for t in threads for x in t["emailIds"]]
    kws = {e["id"]: set(e["keywords"]) for e in c.ok("Email/get", {
        "ids": members, "properties": ["keywords"]})["list"]}
    of = {x: t["emailIds"] for t in threads for x in t["emailIds"]}
    return ids, {e: [kws[x] for x in of[e]] for e in ids}, kws


def value(prop, kw, e, thread, kws):
    if prop == "hasKeyword":
        return kw in kws[e]
    some = any(kw in k for k in thread[e])
    return {"someInThreadHaveKeyword": some,
            "noneInThreadHaveKeyword": not some,
            "allInThreadHaveKeyword": all(kw in k for k in thread[e])}[prop]


def thread_keywords(c):
    state = {}

    def q(args):
        return c.ok("Email/query", dict({"filter": {
            "inMailbox": c.data["kwbox"]}}, **args))["ids"]

    def setup():
        state["ids"], state["thread"], state["kws"] = fill(c)
    c.check("import threads with keywords", setup)

    def filters():
        ids, thread = state["ids"], state["thread"]
        for prop in PROPS:
            for kw in KEYWORDS:
                want = [e for e in ids if value(prop, kw, e, thread, None)]
                got = q({"filter": {"operator": "AND", "conditions": [
                    {"inMailbox": c.data["kwbox"]}, {prop: kw}]}})
                need(got == want, "%s %s: %s, want %s" % (prop, kw, got,
                                                          want))
    c.check("Email/query thread keyword filters", filters)

    def sorts():
        opts = c.session["accounts"][c.acct]["accountCapabilities"][MAIL][
            "emailQuerySortOptions"]
        ids, thread, kws = state["ids"], state["thread"], state["kws"]
        for prop in ("hasKeyword",) + PROPS[::2]:
            need(prop in opts, "%s not in emailQuerySortOptions" % prop)
            for kw in KEYWORDS[:2]:
                for asc in (True, False):
                    # receivedAt (the import order) breaks ties
                    want = sorted(ids, key=lambda e: (
                        value(prop, kw, e, thread, kws) != (not asc),
                        ids.index(e)))
                    got = q({"sort": [{"property": prop, "keyword": kw,
                                       "isAscending": asc},
                                      {"property": "receivedAt"}]})
                    need(got == want, "%s %s asc=%s: %s, want %s" % (
                        prop, kw, asc, got, want))
    c.check("Email/query keyword sorts", sorts)


SECTIONS = [thread_keywords]
