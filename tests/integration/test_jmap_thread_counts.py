"""Mailbox/get totalThreads and unreadThreads (RFC 8621 section 2) for
threads that span mailboxes, the trash included, checked against the rule
computed here from Email/get."""
from store_util import Store
from test_jmap_methods import Api, mailboxes

SEEN, DRAFT = 1, 16


def reply_to(msgid):
    ref = b"<%s@example.com>" % msgid.encode()
    return b"In-Reply-To: " + ref + b"\r\nReferences: " + ref + b"\r\n"


def expected_counts(emails, trash):
    """{mailbox: (totalThreads, unreadThreads)}: a thread is unread in M
    when it has an email in M and an email with neither $seen nor $draft
    that is in the trash (M is the trash) or elsewhere (M is not)."""
    out = {}
    for m in {mb for e in emails for mb in e["mailboxIds"]}:
        threads = {e["threadId"] for e in emails if m in e["mailboxIds"]}
        unread = set()
        for e in emails:
            kw = e["keywords"]
            if e["threadId"] not in threads or "$seen" in kw or "$draft" in kw:
                continue
            where = set(e["mailboxIds"])
            if (trash in where) if m == trash else bool(where - {trash}):
                unread.add(e["threadId"])
        out[m] = (len(threads), len(unread))
    return out


def test_thread_counts_across_mailboxes_and_trash():
    with Store() as st:
        api = Api(st)
        # A spans INBOX (read) and Archive (unread)
        api.append("INBOX", "a", "a1", flags=SEEN)
        api.append("Archive", "re: a", "a2", extra=reply_to("a1"))
        # B: an unseen draft only
        api.append("Archive", "b", "b1", flags=DRAFT)
        # C: read in INBOX, unread only in the trash
        api.append("INBOX", "c", "c1", flags=SEEN)
        api.append("Trash", "re: c", "c2", extra=reply_to("c1"))
        # D: read in the trash, unread in INBOX
        api.append("Trash", "d", "d1", flags=SEEN)
        api.append("INBOX", "re: d", "d2", extra=reply_to("d1"))
        # E: two read messages in INBOX, one thread
        api.append("INBOX", "e", "e1", flags=SEEN)
        api.append("INBOX", "re: e", "e2", flags=SEEN, extra=reply_to("e1"))
        # F: one unread email in Archive and INBOX both
        api.append("Archive", "f", "f1")
        mbs, _ = mailboxes(api)
        inbox, arch, trash = (mbs[n]["id"] for n in ("INBOX", "Archive",
                                                     "Trash"))
        ids = api.ok("Email/query", {"filter": {"subject": "f"}})["ids"]
        r = api.ok("Email/set", {"update": {
            i: {"mailboxIds/" + inbox: True} for i in ids}})
        assert len(r["updated"]) == 1, r
        ids = api.ok("Email/query", {})["ids"]
        emails = api.ok("Email/get", {"ids": ids, "properties": [
            "threadId", "mailboxIds", "keywords"]})["list"]
        assert len(emails) == 10
        want = expected_counts(emails, trash)
        mbs, _ = mailboxes(api)
        got = {m["id"]: (m["totalThreads"], m["unreadThreads"])
               for m in mbs.values() if m["totalEmails"]}
        assert got == want, (got, want)
        # the rule, spelled out: A, C, D, E, F in INBOX, A, D, F unread;
        # A, B, F in Archive, A, F unread (B is a draft)
        assert want[inbox] == (5, 3) and want[arch] == (3, 2)
        assert want[trash] == (2, 1)
        # only the thread counts asked for: one request still answers
        g = api.ok("Mailbox/get", {"ids": [inbox],
                                   "properties": ["unreadThreads"]})
        assert g["list"][0]["unreadThreads"] == 3, g
        # reading D's reply in INBOX makes D read everywhere
        d2 = api.ok("Email/query", {"filter": {"subject": "re: d"}})["ids"]
        api.ok("Email/set", {"update": {d2[0]: {"keywords/$seen": True}}})
        mbs, _ = mailboxes(api)
        assert mbs["INBOX"]["unreadThreads"] == 2
        assert mbs["Trash"]["unreadThreads"] == 1
        api.close()
