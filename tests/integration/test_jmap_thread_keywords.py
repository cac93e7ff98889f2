"""Email/query's thread keyword filters (someInThreadHaveKeyword,
noneInThreadHaveKeyword, allInThreadHaveKeyword, RFC 8621 section 4.4.1)
and keyword sorts (hasKeyword and the two thread ones, section 4.4.2) over
HTTP, on threads spread across three mailboxes with copies whose flags
differ (set over IMAP). Every answer is checked against the RFC's rule
computed here from what IMAP FETCH reports for every copy."""
import itertools
import json
import re

import test_jmap_http as jh
from cloister_ipc import C, b, u32, u64
from store_util import Store
from test_jmap_methods import Api
from test_jmap_email_set_batch import session
from test_jmap_mail_http import api

SYSTEM = {"\\seen": "$seen", "\\flagged": "$flagged",
          "\\answered": "$answered", "\\draft": "$draft"}
KEYWORDS = ["$seen", "$flagged", "$answered", "todo", "nobody"]


def msg(i, parent):
    ref = ""
    if parent is not None:
        ref = ("In-Reply-To: <m%d@example.org>\r\nReferences: "
               "<m%d@example.org>\r\n" % (parent, parent))
    return ("From: ann@example.org\r\nTo: alice@example.org\r\n"
            "Subject: s%02d\r\nMessage-ID: <m%d@example.org>\r\n%s\r\n"
            "Body %d.\r\n" % (i, i, ref, i)).encode()


# (mailbox, thread parent or None, IMAP flags): five threads
MAILS = [
    ("INBOX", None, "(\\Seen)"), ("Kept", 0, "(\\Seen todo)"),
    ("Work", 1, "(\\Seen)"),                        # thread 0: all seen
    ("INBOX", None, "(\\Flagged)"), ("Work", 3, "()"),  # thread 3
    ("Kept", None, "(\\Seen \\Answered)"),       # thread 5: one email
    ("INBOX", None, "(todo)"), ("INBOX", 6, "(\\Seen)"),
    ("Kept", 7, "(\\Seen \\Flagged)"),           # thread 6
    ("Work", None, "()"),                           # thread 9: none
]


def fill(m):
    for box in ("Kept", "Work"):
        assert m.create(box)[0] == "OK"
    for i, (box, parent, flags) in enumerate(MAILS):
        assert m.append(box, flags, None, msg(i, parent))[0] == "OK"
    # m0 also in Work, unseen there; m2 also in INBOX, flagged there: a
    # thread is all-seen only if every copy is, some-flagged if any is
    m.select("INBOX")
    typ, data = m.search(None, "HEADER", "Message-ID", "<m0@example.org>")
    assert m.copy(data[0], "Work")[0] == "OK"
    m.select("Work")
    typ, data = m.search(None, "HEADER", "Message-ID", "<m0@example.org>")
    assert m.store(data[0], "-FLAGS", "(\\Seen)")[0] == "OK"
    typ, data = m.search(None, "HEADER", "Message-ID", "<m2@example.org>")
    assert m.copy(data[0], "INBOX")[0] == "OK"
    m.select("INBOX")
    typ, data = m.search(None, "HEADER", "Message-ID", "<m2@example.org>")
    assert m.store(data[0], "+FLAGS", "(\\Flagged)")[0] == "OK"


def copies(m):
    """{message number: [keyword set of each copy]} from IMAP."""
    out = {}
    for box in ("INBOX", "Kept", "Work"):
        m.select(box, readonly=True)
        typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS "
                                   "(MESSAGE-ID)])")
        for part in data:
            if not isinstance(part, tuple):
                continue
            flags = re.search(rb"FLAGS \(([^)]*)\)", part[0]).group(1)
            kws = {SYSTEM.get(f.lower(), f.lower()) for f in
                   flags.decode().split() if f.lower() != "\\recent"}
            n = int(re.search(rb"<m(\d+)@", part[1]).group(1))
            out.setdefault(n, []).append(kws)
    return out


class Model:
    """The RFC's definitions over the data above."""

    def __init__(self, emails, kws):
        self.num = {e["id"]: int(re.match(r"m(\d+)@", e["messageId"][0])
                                 .group(1)) for e in emails}
        self.thread = {e["id"]: e["threadId"] for e in emails}
        self.kws = {e: kws[n] for e, n in self.num.items()}

    def in_thread(self, t):
        return [k for e in self.thread if self.thread[e] == t
                for k in self.kws[e]]

    def some(self, e, kw):
        return any(kw in k for k in self.in_thread(self.thread[e]))

    def all(self, e, kw):
        return all(kw in k for k in self.in_thread(self.thread[e]))

    def match(self, e, f):
        if "operator" in f:
            r = [self.match(e, c) for c in f["conditions"]]
            return {"AND": all(r), "OR": any(r),
                    "NOT": not any(r)}[f["operator"]]
        (k, v), = f.items()
        return {"someInThreadHaveKeyword": self.some,
                "noneInThreadHaveKeyword": lambda e, v: not self.some(e, v),
                "allInThreadHaveKeyword": self.all,
                "hasKeyword": lambda e, v: any(v in c for c in self.kws[e]),
                }[k](e, v)

    def sorted(self, prop, kw, asc, collapse):
        """Subject breaks ties. An email in several mailboxes takes the
        place of its copy the sort meets first (hasKeyword: a copy with
        the keyword when descending, without when ascending)."""
        rows = []
        for e in self.num:
            for c in self.kws[e]:
                v = {"hasKeyword": kw in c,
                     "someInThreadHaveKeyword": self.some(e, kw),
                     "allInThreadHaveKeyword": self.all(e, kw)}[prop]
                rows.append((v if asc else not v, self.num[e], e))
        out, seen = [], set()
        for _, _, e in sorted(rows):
            key = self.thread[e] if collapse else e
            if e not in out and key not in seen:
                seen.add(key)
                out.append(e)
        return out


def setup(srv):
    fill(srv.login("alice"))
    kws = copies(srv.login("alice"))
    c, acct, sess = session(srv)
    q, g = api(c, [
        ["Email/query", {"accountId": acct}, "q"],
        ["Email/get", {"accountId": acct, "#ids": {
            "resultOf": "q", "name": "Email/query", "path": "/ids"},
            "properties": ["threadId", "messageId"]}, "g"]])
    assert len(q["ids"]) == len(MAILS), q
    return c, acct, sess, Model(g["list"], kws)


def test_thread_keyword_filters_follow_the_rfc():
    with jh.server() as srv:
        c, acct, _, model = setup(srv)
        conds = [{p: kw} for p in ("someInThreadHaveKeyword",
                                   "noneInThreadHaveKeyword",
                                   "allInThreadHaveKeyword")
                 for kw in KEYWORDS]
        combos = [{"operator": op, "conditions": list(pair)}
                  for op in ("AND", "OR", "NOT")
                  for pair in itertools.combinations(conds[::2], 2)]
        combos.append({"operator": "AND", "conditions": [
            {"hasKeyword": "$seen"}, {"noneInThreadHaveKeyword": "todo"}]})
        nonempty = set()
        for f in conds + combos:
            got, = api(c, [["Email/query", {"accountId": acct,
                                            "filter": f}, "q"]])
            want = {e for e in model.num if model.match(e, f)}
            assert set(got["ids"]) == want, (f, got)
            if 0 < len(want) < len(MAILS):
                nonempty.add(json.dumps(f))
        # the data tells the rules apart
        assert len(nonempty) > 20, len(nonempty)
        for kw, some, all_ in (("$seen", 3, 1), ("$flagged", 3, 0)):
            n = [len({model.thread[e] for e in model.num if r(e, kw)})
                 for r in (model.some, model.all)]
            assert n == [some, all_], (kw, n)


def test_keyword_sorts_with_collapse_and_window():
    with jh.server() as srv:
        c, acct, sess, model = setup(srv)
        opts = sess["accounts"][acct]["accountCapabilities"][
                "urn:ietf:params:jmap:mail"]["emailQuerySortOptions"]
        props = ("hasKeyword", "someInThreadHaveKeyword",
                 "allInThreadHaveKeyword")
        assert set(props) <= set(opts), opts
        for prop, kw, asc, collapse in itertools.product(
                props, ("$seen", "$flagged", "todo", "nobody"),
                (True, False), (False, True)):
            sort = [{"property": prop, "keyword": kw, "isAscending": asc},
                    {"property": "subject"}]
            want = model.sorted(prop, kw, asc, collapse)
            got, = api(c, [["Email/query", {
                "accountId": acct, "sort": sort, "calculateTotal": True,
                "collapseThreads": collapse}, "q"]])
            assert got.get("ids") == want and got["total"] == len(want), \
                (prop, kw, asc, collapse, got, want)
            page, = api(c, [["Email/query", {
                "accountId": acct, "sort": sort, "collapseThreads": collapse,
                "anchor": want[1], "anchorOffset": 1, "limit": 2}, "q"]])
            assert page["ids"] == want[2:4] and page["position"] == 2, page
        bad, = api(c, [["Email/query", {"accountId": acct, "sort": [
            {"property": "hasKeyword"}]}, "q"]])
        assert bad["type"] == "unsupportedSort", bad


def kw_key(op, flag, kw):
    return bytes([op]) + u32(flag)[1:] + u32(len(kw))[1:] + kw


def test_stored_refuses_bad_keyword_operands():
    """The store decodes the operands itself: a worker's bad program is
    MALFORMED, not a wrong answer."""
    with Store() as st:
        api = Api(st)
        api.append("INBOX", "one", "o1", flags=1)
        ch = st.connect("jmapd")
        ch.hello(st.key, "carol")
        some, every, sortkw = (C["STORE_S_THREAD_SOME"],
                               C["STORE_S_THREAD_ALL"],
                               C["STORE_S_SORT_KEYWORD"])
        seen = C["STORE_FLAG_SEEN"]
        has = C["STORE_SORT_HASKEYWORD"]

        def search(prog, sort=()):
            return ch.call("STORE_SEARCH", u64(0) + b(prog) + u32(len(sort))
                           + b"".join(u32(k) for k in sort))

        assert len(search(kw_key(some, seen, b""))[0]) == 1
        assert len(search(kw_key(every, 0, b"$nobody"))[0]) == 0
        operand = kw_key(sortkw, seen, b"") + bytes([2])   # AND
        assert len(search(bytes([1]) + operand, [has])[0]) == 1
        for prog, sort in (
                (kw_key(some, seen, b"x"), ()),       # both operands
                (kw_key(some, 0, b""), ()),           # neither
                (kw_key(every, 1 << 20, b""), ()),    # not a flag
                (kw_key(some, 0, b"k" * 65), ()),     # too long a keyword
                (bytes([1]), [has]),                  # no operand 0
                (bytes([1]) + operand, [has | (1 << 16)]),  # no operand 1
                (bytes([1]) + operand, [has | (1 << 24)]),  # stray bits
                (bytes([1]) + operand * 9, [has])):   # over 8 operands
            code, msg = ch.error("STORE_SEARCH", u64(0) + b(prog) +
                                 u32(len(sort)) +
                                 b"".join(u32(k) for k in sort))
            assert code == C["IPC_ERR_MALFORMED"], (prog, sort, code, msg)
        api.close()
