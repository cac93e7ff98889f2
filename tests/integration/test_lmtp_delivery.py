"""lmtpd end to end: a real cloisterd with the real stored and
lmtpd. swaks delivers over LMTP to one, several and unknown recipients with
the right per-recipient codes; what the store keeps (ENVELOPE,
BODYSTRUCTURE, the full-text index) is what the MIME helper makes of the
message; user+detail, quotas; malformed input gets the right code with
bounded memory; kill -9 of lmtpd and of stored during a delivery stream
loses no acknowledged message and duplicates none."""
import os
import random
import re
import signal
import subprocess
import time

from cloister_ipc import store_shard_of
from cloister_server import CloisterServer
from harness import is_sanitized, tool
from lmtp_util import (Admin, Lmtp, db_query, have_store, lmtpd_block,
                       start_stream, stored_block, stored_messages,
                       wait_counts)


def server(**lmtp_options):
    return CloisterServer([stored_block(), lmtpd_block(options=lmtp_options)])


def swaks(srv, to, body_file=None, extra=()):
    args = ["swaks", "--protocol", "LMTP", "--socket", srv.paths["lmtp"],
            "--from", "sender@example.net", "--to", ",".join(to),
            "--helo", "mta.example.net", "--timeout", "30"]
    if body_file:
        args += ["--data", body_file]
    p = subprocess.run(args + list(extra), capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout + p.stderr


def peak_bound_kib(srv, kib):
    """kib, or kib plus ASan's quarantine (256 MiB of freed blocks it keeps
    by default) when lmtpd is a sanitizer build: the normal build's pass
    checks the real bound."""
    if any(is_sanitized(c.pid) for c in srv.children("lmtpd")):
        return kib + 256 * 1024
    return kib


def peak_kib(srv):
    """The largest VmHWM among lmtpd processes (KiB)."""
    peak = 0
    for c in srv.children("lmtpd"):
        try:
            with open("/proc/%d/status" % c.pid) as f:
                m = re.search(r"^VmHWM:\s+(\d+)", f.read(), re.M)
        except OSError:
            continue
        if m:
            peak = max(peak, int(m.group(1)))
    return peak


MSG = ("From: Alice Example <alice@example.org>\r\n"
       "To: bob@example.com\r\n"
       "Subject: =?utf-8?q?Quarterly_r=C3=A9sum=C3=A9?=\r\n"
       "Date: Tue, 2 Jan 2024 10:59:59 +0100\r\n"
       "Message-ID: <q1@example.org>\r\n"
       "MIME-Version: 1.0\r\n"
       "Content-Type: multipart/alternative; boundary=b\r\n"
       "\r\n"
       "--b\r\n"
       "Content-Type: text/plain; charset=utf-8\r\n"
       "Content-Transfer-Encoding: quoted-printable\r\n"
       "\r\n"
       "The zeppelin figures are in, caf=C3=A9 afterwards.\r\n"
       "--b\r\n"
       "Content-Type: text/html; charset=utf-8\r\n"
       "\r\n"
       "<p>The <b>zeppelin</b> figures are in.</p>\r\n"
       "--b--\r\n")


def test_swaks_one_several_and_unknown_recipients():
    if not have_store():
        return
    with server() as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        for u in ("alice", "bob", "carol", "dave"):
            adm.user(u)
        path = os.path.join(srv.tmp, "msg.eml")
        with open(path, "w", newline="") as f:
            f.write(MSG)
        rc, out = swaks(srv, ["alice@example.org"], path)
        assert rc == 0, out
        assert re.search(r"<[-~] +250 2\.0\.0 <alice@example\.org> Saved", out), out
        # several, one unknown: one reply per accepted recipient after DATA
        rc, out = swaks(srv, ["bob@example.org", "nobody@example.org",
                              "carol@example.org"], path)
        assert re.search(r"<\*\* +550 5\.1\.1 <nobody@example\.org>", out), out
        assert re.search(r"<[-~] +250 2\.0\.0 <bob@example\.org> Saved", out), out
        assert re.search(r"<[-~] +250 2\.0\.0 <carol@example\.org> Saved", out), out
        # only unknown: refused at RCPT, nothing delivered
        rc, out = swaks(srv, ["ghost@example.org"], path)
        assert rc != 0 and "550 5.1.1" in out, out
        for u in ("alice", "bob", "carol"):
            assert wait_counts(adm, u, {"INBOX": 1})["INBOX"] == 1, u
        # what the store keeps is what the MIME helper made of it (sent
        # with our client: swaks adds a line of its own)
        c = Lmtp(unix=srv.paths["lmtp"])
        ok, _ = c.deliver("sender@example.net", ["dave@example.org"], MSG)
        assert ok[0][1].startswith("250 2.0.0"), ok
        c.close()
        dump = subprocess.run([tool("cloister-mime-dump"), path],
                              capture_output=True, timeout=30).stdout
        want_bs = re.search(rb"^BODYSTRUCTURE (.*)$", dump, re.M).group(1)
        want_env = re.search(rb"^ENVELOPE (.*)$", dump, re.M).group(1)
        rows = stored_messages(srv, "dave")
        assert len(rows) == 1
        r = rows[0]
        env, bs, subj, hfrom, msgid, headers = (r["envelope"], r["bodystructure"],
                                                r["subject"], r["from"], r["msgid"],
                                                r["headers"])
        assert bytes(env) == want_env and bytes(bs) == want_bs, (env, bs)
        assert subj == "Quarterly r\u00e9sum\u00e9", subj
        assert hfrom == "Alice Example <alice@example.org>" and msgid == "<q1@example.org>"
        headers = bytes(headers).decode()
        assert "return-path: <sender@example.net>\n" in headers, headers
        assert "delivered-to: dave@example.org\n" in headers, headers
        assert re.search(r"received: from test\.client\s+by mx\.test "
                         r"\(Cloister\) with LMTP", headers), headers
        # the search text of both parts is indexed (FTS5: SEARCH TEXT)
        hits = db_query(srv, "carol", "SELECT count(*) FROM fts WHERE fts MATCH ?",
                        ("zeppelin",))
        assert hits == [(1,)], hits
        hits = db_query(srv, "carol", "SELECT count(*) FROM fts WHERE fts MATCH ?",
                        ("cafe",))   # remove_diacritics: the decoded é
        assert hits == [(1,)], hits
        adm.close()


def test_detail_mailbox_quota_and_pipelining_over_tcp():
    if not have_store():
        return
    with server() as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        adm.user("dave")
        adm.mailbox("dave", "lists")
        adm.user("erin")
        adm.quota("erin", storage=2000)
        c = Lmtp(port=srv.port("lmtp"))
        # +detail lands in a mailbox only once it is opted in
        ok, _ = c.deliver("s@x", ["dave+lists@example.org"],
                          "Subject: before the opt-in\r\n\r\ninbox mail\r\n")
        assert ok[0][1].startswith("250 2.0.0"), ok
        assert wait_counts(adm, "dave", {"INBOX": 1})["lists"] == 0
        adm.detail("dave", "lists")
        ok, _ = c.deliver("s@x", ["dave+lists@example.org"],
                          "Subject: to a list\r\n\r\nlist mail\r\n", lhlo=False)
        assert ok[0][1].startswith("250 2.0.0"), ok
        ok, _ = c.deliver("s@x", ["dave+nosuch@example.org"],
                          "Subject: no such box\r\n\r\ninbox mail\r\n", lhlo=False)
        assert ok[0][1].startswith("250 2.0.0"), ok
        counts = wait_counts(adm, "dave", {"lists": 1, "INBOX": 2})
        assert counts["lists"] == 1 and counts["INBOX"] == 2, counts
        # over quota: 552 5.2.2 (quota-full-tempfail no, the default)
        big = "Subject: big\r\n\r\n" + ("x" * 70 + "\r\n") * 100
        ok, _ = c.deliver("s@x", ["erin@example.org"], big, lhlo=False)
        assert ok[0][1].startswith("552 5.2.2"), ok
        # a known SIZE over quota is refused at RCPT already
        assert c.cmd("MAIL FROM:<s@x> SIZE=100000").startswith("250")
        assert c.cmd("RCPT TO:<erin@example.org>").startswith("552 5.2.2")
        assert c.cmd("RSET").startswith("250")
        # pipelined transactions in one write: replies in order
        c.send("MAIL FROM:<s@x>\r\nRCPT TO:<dave@x>\r\nDATA\r\n"
               "Subject: p1\r\n\r\none\r\n.\r\n"
               "MAIL FROM:<s@x>\r\nRCPT TO:<dave@x>\r\nDATA\r\n"
               "Subject: p2\r\n\r\ntwo\r\n.\r\n")
        replies = [c.reply() for _ in range(8)]
        assert [r[:3] for r in replies] == ["250", "250", "354", "250",
                                            "250", "250", "354", "250"], replies
        c.close()
        assert wait_counts(adm, "dave", {"INBOX": 4})["INBOX"] == 4
        adm.close()


def test_quota_tempfail_option():
    if not have_store():
        return
    with server(**{"quota-full-tempfail": "yes"}) as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        adm.user("frank")
        adm.quota("frank", messages=1)
        c = Lmtp(unix=srv.paths["lmtp"])
        ok, _ = c.deliver("s@x", ["frank@x"], "Subject: 1\r\n\r\n1\r\n")
        assert ok[0][1].startswith("250"), ok
        ok, rr = c.deliver("s@x", ["frank@x"], "Subject: 2\r\n\r\n2\r\n", lhlo=False)
        got = ok[0][1] if ok else rr[0][1]
        assert got.startswith("452 4.2.2"), got
        c.close()
        adm.close()


def test_statistics_reach_the_supervisor_and_metrics():
    if not have_store():
        return
    from harness import service_block, wait_for
    from snmp_util import metrics, sample
    helper = service_block("snmpd-helper", "stats", "@bin:cloister-snmpd@",
                           "snmpd-helper",
                           ["metrics tcp 127.0.0.1:@port:metrics@ plain"],
                           options={"agentx": "no"})
    with CloisterServer([stored_block(), lmtpd_block(), helper]) as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        adm.user("ivy")
        adm.user("jo")
        c = Lmtp(unix=srv.paths["lmtp"])
        ok, rr = c.deliver("s@x", ["ivy@x", "nobody@x", "jo@x"],
                           "Subject: counted\r\n\r\nx\r\n")
        assert len(ok) == 2 and all(r.startswith("250") for _, r in ok), ok
        c.send("BOGUS\r\n")
        assert c.reply().startswith("500")
        c.close()
        adm.close()

        def figure(name):
            samples, _ = metrics(srv.port("metrics"))
            v = sample(samples, name, service="lmtpd")
            return v if v is not None else -1
        # the supervisor forwards per period: wait for the counts to land
        assert wait_for(lambda: figure("cloister_deliveries_total") == 2, 15), \
            figure("cloister_deliveries_total")
        assert figure("cloister_recipients_total") == 2
        assert figure("cloister_rejections_total") == 1
        assert figure("cloister_protocol_errors_total") >= 2   # 550 and 500
        assert figure("cloister_connections_total") >= 1


def test_two_shards_each_user_delivered_through_its_own_shard():
    if not have_store():
        return
    with CloisterServer([stored_block(), lmtpd_block()], shards=2) as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        # stored must serve the shard its --shard names; until the store
        # takes that (not its instance number) this test cannot run
        for kid in srv.children("stored"):
            line = srv.wait_log(r" stored/\d+\[%d\]: info: shard \d+ of" % kid.pid)
            if line is None or ("shard %d of" % kid.shard) not in line:
                print("SKIP: stored %d runs with --shard %d but says: %s"
                      % (kid.pid, kid.shard, line))
                return
        users = ["user%d" % i for i in range(8)]
        shards = {u: store_shard_of(u, 2) for u in users}
        assert set(shards.values()) == {0, 1}
        adms = [Admin(srv, 0), Admin(srv, 1)]
        for u in users:
            adms[shards[u]].user(u)
        c = Lmtp(unix=srv.paths["lmtp"])
        ok, _ = c.deliver("s@x", [u + "@example.org" for u in users],
                          "Subject: both shards\r\n\r\nhello\r\n")
        assert len(ok) == len(users) and all(r.startswith("250 2.0.0") for _, r in ok), ok
        c.close()
        for u in users:
            assert wait_counts(adms[shards[u]], u, {"INBOX": 1})["INBOX"] == 1, u
        for a in adms:
            a.close()


def nested(n):
    head = "".join("Content-Type: multipart/mixed; boundary=b%05d\r\n\r\n--b%05d\r\n"
                   % (i, i) for i in range(n))
    return "Subject: deep\r\nMIME-Version: 1.0\r\n" + head + "\r\nleaf\r\n"


def test_malformed_input_gets_the_right_code_with_bounded_memory():
    if not have_store():
        return
    with server(**{"max-message-size": "20M"}) as srv:
        srv.start()
        srv.wait_ready(timeout=20)
        adm = Admin(srv)
        adm.user("gina")
        c = Lmtp(unix=srv.paths["lmtp"])
        assert c.cmd("LHLO t").startswith("250")

        def txn(raw):
            assert c.cmd("MAIL FROM:<s@x>").startswith("250")
            assert c.cmd("RCPT TO:<gina@x>").startswith("250")
            assert c.cmd("DATA").startswith("354")
            c.send(raw)
            return c.reply()
        assert txn(b"Subject: lf\r\n\r\nbare\nlf\r\n.\r\n").startswith("554 5.6.0")
        assert txn(b"Subject: nul\r\n\r\nnul\0byte\r\n.\r\n").startswith("554 5.6.0")
        assert txn(b"Subject: long\r\n\r\n" + b"y" * 100000 + b"\r\n.\r\n") \
            .startswith("554 5.6.0")
        # commands: bare LF and overlong lines are refused, the session goes on
        c.send(b"NOOP\n")
        assert c.reply().startswith("500 5.5.2")
        c.send(b"X" * 10000 + b"\r\n")
        assert c.reply().startswith("500 5.5.2")
        # 8-bit headers, 10,000 nested multiparts, megabytes of header: all
        # parse within their limits and are delivered
        r = txn("Subject: Grüße\r\nFrom: Jürgen <j@x>\r\n\r\nbody\r\n.\r\n"
                .encode())
        assert r.startswith("250 2.0.0"), r
        deep = nested(10000)
        r = txn(deep.encode() + b".\r\n")
        assert r.startswith("250 2.0.0"), r
        hdr = b"".join(b"X-Filler-%06d: %s\r\n" % (i, b"h" * 60)
                       for i in range(60000))   # 4.6 MB of header
        r = txn(b"Subject: big header\r\n" + hdr + b"\r\nbody\r\n.\r\n")
        assert r.startswith("250 2.0.0"), r
        peak = peak_kib(srv)
        # the message (4.6 MB) a few times over, never unbounded
        assert 0 < peak < peak_bound_kib(srv, 96 * 1024), peak
        # past SIZE: read to the end, then 552, memory still bounded
        c.send(b"MAIL FROM:<s@x>\r\nRCPT TO:<gina@x>\r\nDATA\r\n")
        assert [c.reply()[:3] for _ in range(3)] == ["250", "250", "354"]
        chunk = (b"z" * 998 + b"\r\n") * 1024
        for _ in range(30):   # 30 MB against 20M
            c.send(chunk)
        c.send(b".\r\n")
        assert c.reply().startswith("552 5.3.4")
        assert peak_kib(srv) < peak_bound_kib(srv, 96 * 1024)
        # no terminating dot: the client leaves mid-message, nothing lands
        c.send(b"MAIL FROM:<s@x>\r\nRCPT TO:<gina@x>\r\nDATA\r\n")
        assert [c.reply()[:3] for _ in range(3)] == ["250", "250", "354"]
        c.send(b"Subject: cut\r\n\r\nno end")
        c.s.close()
        counts = wait_counts(adm, "gina", {"INBOX": 3})
        assert counts["INBOX"] == 3, counts
        # the deep message's structure stops at the depth limit
        rows = stored_messages(srv, "gina", "h.hsubject = 'deep'")
        bs = bytes(rows[0]["bodystructure"])
        assert b"application\" \"octet-stream\"" in bs and len(bs) < 64000
        adm.close()


def test_kill9_of_lmtpd_and_stored_loses_no_acknowledged_message():
    if not have_store():
        return
    with server() as srv:
        srv.start()
        t, acked, failures, _stop = start_stream(srv, 40)
        rnd = random.Random(7)
        kills = {"lmtpd": 0, "stored": 0}
        last = {"lmtpd": 0.0, "stored": 0.0}
        # kill each service at most every 3 s, at random moments (kills
        # of ready processes are restarts: test_supervisor_restart.py)
        while t.is_alive():
            time.sleep(rnd.uniform(0.2, 0.9))
            svc = "stored" if rnd.random() < 0.4 else "lmtpd"
            if time.time() - last[svc] < 3.0:
                continue
            kids = srv.children(svc)
            try:
                os.kill(rnd.choice(kids).pid, signal.SIGKILL)
            except (IndexError, ProcessLookupError):
                continue   # none, or it just ended by itself
            kills[svc] += 1
            last[svc] = time.time()
        t.join()
        assert kills["lmtpd"] >= 5 and kills["stored"] >= 3, kills
        assert len(acked) > 100, (len(acked), failures[:5])
        srv.wait_ready(timeout=30)
        # everything acknowledged is there exactly once
        counts = {}
        for mid in (r["msgid"] for r in stored_messages(srv, "hank")):
            counts[mid] = counts.get(mid, 0) + 1
        missing = [m for m in acked if counts.get(m, 0) == 0]
        assert not missing, ("lost", missing[:10], kills)
        twice = [m for m, n in counts.items() if n > 1]
        assert not twice, ("duplicated", twice[:10])
        # a store that is away is a temporary failure: nothing bounces
        permanent = [f for f in failures if re.search(r"'5\d\d ", repr(f[1]))]
        assert not permanent, permanent[:5]
        print("  %d acknowledged, %d refused or cut, kills %s" % (
            len(acked), len(failures), kills))
