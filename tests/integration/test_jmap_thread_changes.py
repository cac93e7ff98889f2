"""Thread/changes (RFC 8621 section 3.2) end to end: mail delivered over
LMTP, APPENDed, flagged, copied and expunged over IMAP, moved, created and
destroyed over JMAP; after each step the answer from the previous state
names exactly the threads whose list of emails changed, as a client
finds by reading every email's threadId, and a client that applies it
(Thread/get for created and updated, forget destroyed) holds what
Thread/get says now."""
import json

from imap_util import ImapServer
from lmtp_util import Lmtp, lmtpd_block

import test_jmap_http as jh

MAIL = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]


def msg(msgid, subject, reply=None):
    refs = ("In-Reply-To: <%s@example.org>\r\nReferences: <%s@example.org>"
            "\r\n" % (reply, reply)) if reply else ""
    return ("From: Ann <ann@example.org>\r\nTo: alice@example.org\r\n"
            "Subject: %s\r\nMessage-ID: <%s@example.org>\r\n%s\r\n"
            "Body of %s.\r\n" % (subject, msgid, refs, msgid)).encode()


class Jmap:
    def __init__(self, srv):
        self.c = jh.client(srv)
        _, body = jh.request(self.c, "GET", "/jmap/session",
                             headers={"Authorization": jh.auth_header()})
        self.acct = json.loads(body)["primaryAccounts"][MAIL[1]]

    def call(self, name, args):
        r, body = jh.request(self.c, "POST", "/jmap/api/", json.dumps(
            {"using": MAIL, "methodCalls": [
                [name, dict(args, accountId=self.acct), "0"]]}).encode(),
            headers={"Authorization": jh.auth_header(),
                     "Content-Type": "application/json"})
        assert r.status == 200, (r.status, body)
        return json.loads(body)["methodResponses"][0]

    def ok(self, name, args):
        n, a, _ = self.call(name, args)
        assert n == name, (name, n, a)
        return a

    def threads(self):
        """{threadId: set of emailIds} from every email, and the state."""
        ids = self.ok("Email/query", {})["ids"]
        got = self.ok("Email/get", {"ids": ids, "properties": ["threadId"]})
        out = {}
        for e in got["list"]:
            out.setdefault(e["threadId"], set()).add(e["id"])
        return out, got["state"]

    def email(self, subject):
        ids = self.ok("Email/query", {"filter": {"subject": subject}})["ids"]
        assert len(ids) == 1, (subject, ids)
        return ids[0]


def expected(before, after):
    return ({t for t in after if t not in before},
            {t for t in after if t in before and after[t] != before[t]},
            {t for t in before if t not in after})


def test_thread_changes_over_lmtp_imap_and_jmap():
    with ImapServer(users=jh.USERS, extra_services=[
            jh.jmapd_block(), lmtpd_block()]) as srv:
        j = Jmap(srv)
        imap = srv.login("alice")
        lmtp = Lmtp(unix=srv.srv.paths["lmtp"])
        assert lmtp.cmd("LHLO t").startswith("250")

        def deliver(m):
            ok, rr = lmtp.deliver("s@example.net", ["alice@example.org"], m,
                                  lhlo=False)
            assert ok and ok[0][1].startswith("250"), (ok, rr)

        def imap_ok(typ_data):
            assert typ_data[0] == "OK", typ_data
            return typ_data[1]

        def expunge_subject(box, subject):
            imap_ok(imap.select(box))
            uids = imap_ok(imap.uid("SEARCH", None, "SUBJECT", subject))
            for u in uids[0].split():
                imap_ok(imap.uid("STORE", u, "+FLAGS", "(\\Deleted)"))
            imap_ok(imap.expunge())

        def mailbox(role):
            got = j.ok("Mailbox/get", {})["list"]
            return [m["id"] for m in got if m["role"] == role][0]

        steps = [
            ("LMTP delivers a new thread",
             lambda: deliver(msg("a1", "alpha"))),
            ("LMTP delivers a reply into it",
             lambda: deliver(msg("a2", "re alpha", reply="a1"))),
            ("IMAP APPENDs another thread",
             lambda: imap_ok(imap.append("Archive", None, None,
                                         msg("b1", "beta")))),
            ("IMAP flags a message: no thread changes",
             lambda: (imap_ok(imap.select("INBOX")), imap_ok(imap.uid(
                 "STORE", "1:*", "+FLAGS", "(\\Flagged)")))),
            ("IMAP copies beta to INBOX: its thread keeps its emails",
             lambda: (imap_ok(imap.select("Archive")), imap_ok(imap.uid(
                 "COPY", "1:*", "INBOX")))),
            ("JMAP moves the reply to Archive: no thread changes",
             lambda: j.ok("Email/set", {"update": {j.email("re alpha"): {
                 "mailboxIds": {mailbox("archive"): True}}}})),
            ("JMAP destroys the reply",
             lambda: j.ok("Email/set", {"destroy": [j.email("re alpha")]})),
            ("IMAP expunges one copy of beta: it still exists",
             lambda: expunge_subject("INBOX", "beta")),
            ("IMAP expunges the other: beta's thread is gone",
             lambda: expunge_subject("Archive", "beta")),
            ("LMTP delivers into alpha's thread and a new thread",
             lambda: (deliver(msg("a3", "re alpha again", reply="a1")),
                      deliver(msg("c1", "gamma")))),
            ("JMAP creates an email: a new thread",
             lambda: j.ok("Email/set", {"create": {"d": {
                 "mailboxIds": {mailbox("drafts"): True},
                 "subject": "delta", "keywords": {"$draft": True},
                 "bodyValues": {"1": {"value": "hello"}},
                 "textBody": [{"partId": "1", "type": "text/plain"}]}}})),
        ]
        model, state = j.threads()
        first_state = state
        seen = {"created": 0, "updated": 0, "destroyed": 0, "none": 0}
        for name, do in steps:
            do()
            now, _ = j.threads()
            ch = j.ok("Thread/changes", {"sinceState": state})
            want = expected(model, now)
            got = (set(ch["created"]), set(ch["updated"]),
                   set(ch["destroyed"]))
            assert got == want, (name, got, want)
            assert not ch["hasMoreChanges"]
            # the client applies it: Thread/get for what is new or changed
            g = j.ok("Thread/get", {"ids": sorted(got[0] | got[1])})
            assert g["state"] == ch["newState"], (g["state"], ch)
            for t in g["list"]:
                model[t["id"]] = set(t["emailIds"])
            for t in got[2]:
                model.pop(t, None)
            assert model == now, (name, model, now)
            # Email/changes agrees: a moved or copied email is updated
            ech = j.ok("Email/changes", {"sinceState": state})
            if "moves" in name or "copies" in name:
                assert ech["created"] == [] and ech["updated"], (name, ech)
            for k, v in zip(("created", "updated", "destroyed"), got):
                seen[k] += len(v)
            seen["none"] += not any(got)
            state = ch["newState"]
        assert all(seen.values()), seen
        # the whole run from the first state, one change at a time
        got, s, more, rounds = set(), first_state, True, 0
        while more and rounds < 20:
            ch = j.ok("Thread/changes", {"sinceState": s, "maxChanges": 1})
            got |= set(ch["created"]) | set(ch["updated"])
            s, more, rounds = ch["newState"], ch["hasMoreChanges"], rounds + 1
        assert not more and s == state, (s, state, rounds)
        assert set(model) <= got, (model, got)
        n, e, _ = j.call("Thread/changes", {"sinceState": "99999999"})
        assert e["type"] == "cannotCalculateChanges", e
        n, e, _ = j.call("Thread/changes", {"sinceState": state,
                                            "maxChanges": 0})
        assert e["type"] == "invalidArguments", e
        lmtp.close()
        imap.logout()


def reopen(st, user):
    """A new jmap-api-check for a user that exists already."""
    from test_jmap_methods import Api

    class NoAdmin:
        def call(self, *args):
            pass
    real = st.admin
    st.admin = NoAdmin
    try:
        return Api(st, user=user)
    finally:
        st.admin = real


def test_expunges_from_before_the_records_cannot_be_calculated():
    """A database from before schema 7 has tombstones without the copy's
    age and no threads of gone emails: Thread/changes and collapsed
    Email/queryChanges from a state before such an expunge answer
    cannotCalculateChanges, and from a state after the upgrade they
    answer."""
    import sqlite3
    from store_util import Store
    from test_jmap_methods import Api
    from test_store_recent import alice_db
    with Store() as st:
        api = Api(st, user="alice")
        api.append("INBOX", "one", "o1")
        api.append("INBOX", "two", "o2")
        state = api.ok("Thread/get", {"ids": []})["state"]
        q = {"collapseThreads": True}
        qs = api.ok("Email/query", q)["queryState"]
        two = api.ok("Email/query", {"filter": {"subject": "two"}})["ids"]
        api.ok("Email/set", {"destroy": two})
        api.close()
        st.stop()
        db = sqlite3.connect(alice_db(st))
        db.executescript("DROP TABLE email_tomb;"
                         "DROP INDEX tomb_emailid;"
                         "ALTER TABLE tomb DROP COLUMN created_modseq;"
                         "DROP TABLE sieve; DROP TABLE seen;"
                         "DROP TABLE snooze;"
                         "PRAGMA user_version=6;")
        db.close()
        st.start()
        api = reopen(st, "alice")
        n, e = api.call("Thread/changes", {"sinceState": state})
        assert e["type"] == "cannotCalculateChanges", e
        n, e = api.call("Email/queryChanges", dict(q, sinceQueryState=qs))
        assert e["type"] == "cannotCalculateChanges", e
        # without collapseThreads the email records are enough: the
        # plain query's state at the same point
        shape = api.ok("Email/query", {})["queryState"].split("-")[1]
        ok = api.ok("Email/queryChanges",
                    {"sinceQueryState": state + "-" + shape})
        assert two[0] in ok["removed"], ok
        now = api.ok("Thread/get", {"ids": []})["state"]
        api.append("INBOX", "three", "o3")
        ch = api.ok("Thread/changes", {"sinceState": now})
        assert len(ch["created"]) == 1 and not ch["updated"], ch
        api.close()


def test_the_thread_records_answer_for_the_callers_own_mail():
    """STORE_THREAD_CHANGES and STORE_THREAD_PEERS read the caller's user
    alone: alice, with mail of her own, never sees bob's email or thread
    ids, whatever state she names; a state past hers is refused."""
    from cloister_ipc import u32, u64
    from store_util import Store, StoreError
    from test_store_mail import append, user
    with Store() as st:
        bob = user(st, "bob", "jmapd")
        alice = user(st, "alice", "jmapd")
        bobs = set()           # thread ids are per user: emails tell
        for i in range(6):
            r = append(bob, "INBOX", b"bob %d\r\n" % i,
                       message_id=b"<b%d@x>" % i)
            bobs.add(r[4])
        emails, threads = set(), set()
        for i in range(2):
            r = append(alice, "INBOX", b"alice %d\r\n" % i,
                       message_id=b"<a%d@x>" % i)
            emails.add(r[4])
            threads.add(r[5])
        top = bob.call("STORE_STATE")[0]
        assert top > alice.call("STORE_STATE")[0]
        for since in (0, 1, 2):
            entries, trailer = alice.call("STORE_THREAD_CHANGES",
                                          u64(since) + u32(0))
            got = {e[1] for e in entries}
            assert got and got <= threads, (got, threads)
            entries, _ = alice.call("STORE_THREAD_PEERS", u64(since))
            got = {e[0] for e in entries}
            assert got and got <= emails and not got & bobs, (got, emails)
        for name, payload in (("STORE_THREAD_CHANGES", u64(top) + u32(0)),
                              ("STORE_THREAD_PEERS", u64(top))):
            try:
                alice.call(name, payload)
                refused = False
            except StoreError:
                refused = True
            assert refused, name
