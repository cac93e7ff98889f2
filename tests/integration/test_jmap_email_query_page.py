"""Email/query's window (RFC 8620 section 5.5: position, anchor,
anchorOffset, limit, total) and collapseThreads, cut in stored: every
page is checked against the whole sorted list cut here, and stored is
checked to send the page only."""
from cloister_ipc import b, u32, u64
from store_util import Store
from test_jmap_methods import Api, mailboxes
from test_jmap_thread_counts import reply_to

SORT = [{"property": "subject", "isAscending": True}]
STORE_S_ALL, STORE_SORT_SUBJECT = 1, 6


def fill(api):
    """Twelve emails in INBOX and Archive, threads of one to three, one
    email in both mailboxes."""
    for i in range(12):
        box = "INBOX" if i % 3 else "Archive"
        extra = reply_to("m%d" % (i - 1)) if i % 4 in (1, 2) else b""
        api.append(box, "s%02d" % i, "m%d" % i, extra=extra)
    mbs, _ = mailboxes(api)
    one = api.ok("Email/query", {"filter": {"subject": "s05"}})["ids"][0]
    api.ok("Email/set", {"update": {one: {
        "mailboxIds/" + mbs["Archive"]["id"]: True}}})


def window(ids, args):
    """The RFC's window over the whole list, computed here."""
    n = len(ids)
    if args.get("anchor") is not None:
        if args["anchor"] not in ids:
            return None
        start = max(0, ids.index(args["anchor"]) + args.get("anchorOffset",
                                                           0))
    else:
        p = args.get("position", 0)
        start = max(0, n + p) if p < 0 else p
    start = min(start, n)
    end = n if "limit" not in args else min(n, start + args["limit"])
    return start, ids[start:end]


def collapsed(api, ids):
    threads = {e["id"]: e["threadId"] for e in api.ok("Email/get", {
        "ids": ids, "properties": ["threadId"]})["list"]}
    out, seen = [], set()
    for i in ids:
        if threads[i] not in seen:
            seen.add(threads[i])
            out.append(i)
    return out


def test_pages_match_the_whole_list():
    with Store() as st:
        api = Api(st)
        fill(api)
        whole = api.ok("Email/query", {"sort": SORT, "calculateTotal": True})
        ids = whole["ids"]
        assert len(ids) == 12 and whole["total"] == 12 and \
            whole["position"] == 0, whole
        short = collapsed(api, ids)
        assert 3 < len(short) < 12, short
        cases = [{"position": 3, "limit": 4}, {"position": -5, "limit": 2},
                 {"position": -50}, {"position": 11, "limit": 9},
                 {"position": 40, "limit": 2}, {"limit": 0},
                 {"anchor": ids[6], "anchorOffset": -2, "limit": 3},
                 {"anchor": ids[1], "anchorOffset": -9, "limit": 2},
                 {"anchor": ids[10], "anchorOffset": 5},
                 {"anchor": ids[4]}]
        for collapse, full in ((False, ids), (True, short)):
            for args in cases:
                if args.get("anchor") not in (None,) + tuple(full):
                    continue
                q = dict(args, sort=SORT, calculateTotal=True,
                         collapseThreads=collapse)
                got = api.ok("Email/query", q)
                start, page = window(full, args)
                assert (got["position"], got["ids"], got["total"]) == \
                    (start, page, len(full)), (args, collapse, got)
        # an anchor that is not among the results (collapsed away)
        gone = [i for i in ids if i not in short][0]
        n, e = api.call("Email/query", {"sort": SORT, "anchor": gone,
                                        "collapseThreads": True})
        assert (n, e["type"]) == ("error", "anchorNotFound"), e
        n, e = api.call("Email/query", {"anchor": "E999999"})
        assert (n, e["type"]) == ("error", "anchorNotFound"), e
        n, e = api.call("Email/query", {"anchor": "nonsense"})
        assert (n, e["type"]) == ("error", "anchorNotFound"), e
        n, e = api.call("Email/query", {"position": "3"})
        assert (n, e["type"]) == ("error", "invalidArguments"), e
        api.close()


def test_stored_sends_the_page_only():
    with Store() as st:
        api = Api(st)
        fill(api)
        ch = st.connect("jmapd")
        ch.hello(st.key, "carol")
        payload = (b(bytes([STORE_S_ALL])) + u32(1) + u32(STORE_SORT_SUBJECT)
                   + u64(2) + u64(0) + u64(0) + u64(3) + u32(0))
        entries, trailer = ch.call("STORE_EMAIL_QUERY", payload)
        assert len(entries) == 3 and trailer[1:] == [12, 2], \
            (entries, trailer)
        whole, _ = ch.call("STORE_SEARCH", u64(0) + b(bytes([STORE_S_ALL]))
                           + u32(1) + u32(STORE_SORT_SUBJECT))
        assert entries == whole[2:5], (entries, whole)
        api.close()
