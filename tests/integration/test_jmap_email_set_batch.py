"""Email/set updates of many emails in one request (RFC 8621 section 4.6):
each id gets its own answer whatever the others do (updated, notFound,
invalidPatch, invalidProperties), every copy of an email takes the
keyword change, moves land, and IMAP sees the result; requests past
maxObjectsInSet are refused whole."""
import json
import time

import test_jmap_http as jh
from test_jmap_mail_http import MAIL, api, msg


def session(srv):
    c = jh.client(srv)
    _, body = jh.request(c, "GET", "/jmap/session",
                         headers={"Authorization": jh.auth_header()})
    sess = json.loads(body)
    return c, sess["primaryAccounts"][MAIL[1]], sess


def ids_by_subject(c, acct):
    q, g = api(c, [
        ["Email/query", {"accountId": acct}, "q"],
        ["Email/get", {"accountId": acct, "#ids": {
            "resultOf": "q", "name": "Email/query", "path": "/ids"},
            "properties": ["subject"]}, "g"]])
    return {e["subject"]: e["id"] for e in g["list"]}


def imap_flags(m, box):
    """{subject: flags bytes} of every message of box (\\Recent aside:
    it says which session saw the message first, not what Email/set
    did)."""
    m.select(box)
    typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK", data
    out = {}
    for item in data:
        if isinstance(item, tuple):
            subj = item[1].decode().split(":", 1)[1].strip()
            flags = item[0].split(b"FLAGS (", 1)[1].split(b")", 1)[0]
            out[subj] = b" ".join(f for f in flags.split()
                                  if f != b"\\Recent")
    return out


def test_mixed_request_answers_each_id_and_imap_sees_the_changes():
    with jh.server() as srv:
        m = srv.login("alice")
        m.create("Box")
        for i in range(1, 11):
            m.append("INBOX", "(\\Seen)" if i == 4 else None, None,
                     msg("m%d" % i))
        m.select("INBOX")
        typ, _ = m.uid("COPY", "3", "Box")     # m3 has two copies
        assert typ == "OK"
        c, acct, _ = session(srv)
        ids = ids_by_subject(c, acct)
        boxes, = api(c, [["Mailbox/get", {"accountId": acct}, "b"]])
        box = [x["id"] for x in boxes["list"] if x["name"] == "Box"][0]
        inbox = [x["id"] for x in boxes["list"] if x["role"] == "inbox"][0]
        unknown = "E999999999"
        update = {
            ids["m1"]: {"keywords/$seen": True},
            ids["m2"]: {"keywords/$seen": True},
            ids["m3"]: {"keywords/$flagged": True, "keywords/custom1": True},
            ids["m4"]: {"keywords": {"$draft": True, "k2": True}},
            ids["m5"]: {"mailboxIds": {box: True}},
            ids["m6"]: {"keywords/$seen": "yes"},
            ids["m7"]: {"keywords/a b": True},
            ids["m8"]: {"mailboxIds/" + inbox: None},
            ids["m9"]: "not a patch",
            ids["m10"]: {"subject": "x"},
            unknown: {"keywords/$seen": True},
            "Mnot-an-email": {"keywords/$seen": True},
        }
        s, = api(c, [["Email/set", {"accountId": acct, "update": update},
                      "s"]])
        assert s["updated"] == {ids["m%d" % i]: None for i in range(1, 6)}, s
        nu = {k: (v["type"], v.get("properties"))
              for k, v in s["notUpdated"].items()}
        assert nu == {
            ids["m6"]: ("invalidProperties", ["keywords/$seen"]),
            ids["m7"]: ("invalidProperties", ["keywords/a b"]),
            ids["m8"]: ("invalidProperties", ["mailboxIds"]),
            ids["m9"]: ("invalidPatch", None),
            ids["m10"]: ("invalidProperties", ["subject"]),
            unknown: ("notFound", None),
            "Mnot-an-email": ("notFound", None),
        }, nu
        assert s["newState"] != s["oldState"], s
        inb = imap_flags(m, "INBOX")
        assert inb["m1"] == b"\\Seen" and inb["m2"] == b"\\Seen", inb
        assert set(inb["m3"].split()) == {b"\\Flagged", b"custom1"}, inb
        assert set(inb["m4"].split()) == {b"\\Draft", b"k2"}, inb
        for i in (6, 7, 8, 9, 10):
            assert inb["m%d" % i] == b"", inb
        assert "m5" not in inb, inb
        other = imap_flags(m, "Box")
        assert set(other["m3"].split()) == {b"\\Flagged", b"custom1"}, other
        assert other["m5"] == b"", other
        # the state of the request is the one Email/get reports next
        g, = api(c, [["Email/get", {"accountId": acct, "ids": [],
                                    "properties": ["id"]}, "g"]])
        assert g["state"] == s["newState"], (g, s)
        c.close()
        m.logout()


def test_many_emails_with_two_patches_each_get_their_own():
    with jh.server() as srv:
        m = srv.login("alice")
        n = 120
        for i in range(n):
            m.append("INBOX", None, None, msg("n%d" % i))
        c, acct, sess = session(srv)
        ids = ids_by_subject(c, acct)
        update = {ids["n%d" % i]: {"keywords/" + ("$seen" if i % 2 else
                                                  "$flagged"): True}
                  for i in range(n)}
        s, = api(c, [["Email/set", {"accountId": acct, "update": update},
                      "s"]])
        assert len(s["updated"]) == n and s["notUpdated"] == {}, s
        got = imap_flags(m, "INBOX")
        for i in range(n):
            want = b"\\Seen" if i % 2 else b"\\Flagged"
            assert got["n%d" % i] == want, (i, got["n%d" % i])
        # undo half of them in the same request as a move of the others
        m.create("Done")
        boxes, = api(c, [["Mailbox/get", {"accountId": acct}, "b"]])
        done = [x["id"] for x in boxes["list"] if x["name"] == "Done"][0]
        update = {ids["n%d" % i]: ({"keywords/$seen": None} if i % 2 else
                                   {"mailboxIds": {done: True}})
                  for i in range(n)}
        s, = api(c, [["Email/set", {"accountId": acct, "update": update},
                      "s"]])
        assert len(s["updated"]) == n and s["notUpdated"] == {}, s
        got = imap_flags(m, "INBOX")
        assert sorted(got) == sorted("n%d" % i for i in range(1, n, 2))
        assert set(got.values()) == {b""}, got
        moved = imap_flags(m, "Done")
        assert sorted(moved) == sorted("n%d" % i for i in range(0, n, 2))
        assert set(moved.values()) == {b"\\Flagged"}, moved
        limit = sess["capabilities"]["urn:ietf:params:jmap:core"][
            "maxObjectsInSet"]
        big = {"E%d" % (10**6 + i): {"keywords/$seen": True}
               for i in range(limit + 1)}
        r, body = jh.request(c, "POST", "/jmap/api/", json.dumps(
            {"using": MAIL, "methodCalls": [["Email/set", {
                "accountId": acct, "update": big}, "s"]]}).encode(),
            headers={"Authorization": jh.auth_header(),
                     "Content-Type": "application/json"})
        resp = json.loads(body)["methodResponses"][0]
        assert resp[0] == "error" and resp[1]["type"] == "requestTooLarge", \
            resp
        c.close()
        m.logout()


def test_store_requests_do_not_grow_with_the_emails():
    """The updates of one call are a few store requests, not one or two
    per email: stored's request counter (cloister-snmpd's /metrics)
    moves by a bounded amount for 200 emails."""
    from harness import wait_for
    from snmp_util import metrics, sample
    from supervisor_util import block
    stats = block("snmpd-helper", "stats", "snmpd-helper",
                  ["metrics tcp 127.0.0.1:@port:metrics@ plain"],
                  binary="@bin:cloister-snmpd@", options={"agentx": "no"})
    jh.need_stored()
    from imap_util import ImapServer
    srv = ImapServer(users=jh.USERS, extra_services=[jh.jmapd_block(), stats])
    with srv:
        m = srv.login("alice")
        n = 200
        for i in range(n):
            m.append("INBOX", None, None, msg("s%d" % i))
        m.logout()
        c, acct, _ = session(srv)
        ids = list(ids_by_subject(c, acct).values())

        def ops():
            samples, _ = metrics(srv.srv.port("metrics"))
            return sample(samples, "cloister_store_operations_total",
                          service="stored") or 0

        def settled():
            """The counter once everything before is in it: stored sends
            its figures in a turn after the second changed, so two cheap
            calls a second apart (Email/get of no ids: one state request
            each) flush them, then the aggregate stops moving."""
            for _ in range(2):
                time.sleep(1.1)
                api(c, [["Email/get", {"accountId": acct, "ids": []}, "g"]])
            last = [None]

            def same():
                now = ops()
                done = now == last[0]
                last[0] = now
                return done
            assert wait_for(same, 20, step=1.5), last
            return last[0]
        before = settled()
        s, = api(c, [["Email/set", {"accountId": acct, "update": {
            e: {"keywords/$seen": True} for e in ids}}, "s"]])
        assert len(s["updated"]) == n, s
        used = settled() - before
        # a locate, the flags, the states, the flushing calls: a handful,
        # whatever n is (one locate and one flags request per email
        # before)
        assert used <= 20, used
        c.close()


def test_mailboxes_added_and_left_for_many_emails():
    """A mailbox added to emails that stay where they are (copies), then
    the first mailbox left by some of them (their copies there expunged)
    and a whole-set replace on others, all in one call each."""
    with jh.server() as srv:
        m = srv.login("alice")
        m.create("Label")
        m.create("Other")
        n = 12
        for i in range(n):
            m.append("INBOX", "(\\Flagged)" if i % 3 == 0 else None, None,
                     msg("c%d" % i))
        c, acct, _ = session(srv)
        ids = ids_by_subject(c, acct)
        boxes, = api(c, [["Mailbox/get", {"accountId": acct}, "b"]])
        byname = {x["name"]: x["id"] for x in boxes["list"]}
        label, other = byname["Label"], byname["Other"]
        inbox = [x["id"] for x in boxes["list"] if x["role"] == "inbox"][0]
        s, = api(c, [["Email/set", {"accountId": acct, "update": {
            ids["c%d" % i]: {"mailboxIds/" + label: True}
            for i in range(n)}}, "s"]])
        assert len(s["updated"]) == n and s["notUpdated"] == {}, s
        assert sorted(imap_flags(m, "INBOX")) == sorted(ids)
        labelled = imap_flags(m, "Label")
        assert sorted(labelled) == sorted(ids), labelled
        assert labelled["c0"] == b"\\Flagged" and labelled["c1"] == b""
        # even ones leave INBOX; odd ones are replaced into Other + Label;
        # c1 would be left in none: refused alone
        update = {ids["c%d" % i]: {"mailboxIds/" + inbox: None}
                  for i in range(0, n, 2)}
        update.update({ids["c%d" % i]: {"mailboxIds": {other: True,
                                                        label: True}}
                       for i in range(3, n, 2)})
        update[ids["c1"]] = {"mailboxIds/" + inbox: None,
                             "mailboxIds/" + label: None}
        s, = api(c, [["Email/set", {"accountId": acct, "update": update},
                      "s"]])
        assert len(s["updated"]) == n - 1, s
        assert s["notUpdated"][ids["c1"]]["properties"] == ["mailboxIds"]
        assert sorted(imap_flags(m, "INBOX")) == ["c1"]
        assert sorted(imap_flags(m, "Label")) == sorted(ids)
        others = imap_flags(m, "Other")
        assert sorted(others) == sorted("c%d" % i for i in range(3, n, 2))
        assert others["c3"] == b"\\Flagged" and others["c5"] == b""
        g, = api(c, [["Email/get", {"accountId": acct, "ids": [ids["c3"]],
                                    "properties": ["mailboxIds"]}, "g"]])
        assert g["list"][0]["mailboxIds"] == {other: True, label: True}, g
        c.close()
        m.logout()
