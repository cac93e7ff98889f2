"""With real traffic: IMAP logins (good and bad) through imapd and
authd, LMTP deliveries through lmtpd and stored, under one cloisterd whose
stats service is the real cloister-snmpd. The figures must move by exactly
what the test did, and SNMP and /metrics must agree."""
import smtplib
import imaplib

from harness import wait_for
from imap_util import ImapServer
from lmtp_util import lmtpd_block
from snmp_util import (Snmpd, metrics, need_agentx, sample, scalars,
                       service_rows, snmpwalk)
from supervisor_util import block

LOGINS_OK, LOGINS_FAILED, DELIVERIES, RECIPIENTS = 6, 7, 18, 19


def helper(master_socket):
    return block("snmpd-helper", "stats", "snmpd-helper",
                 ["metrics tcp 127.0.0.1:@port:metrics@ plain"],
                 binary="@bin:cloister-snmpd@",
                 options={"agentx": "yes", "agentx-socket": master_socket,
                          "agentx-retry": 3})


def test_logins_and_deliveries_move_snmp_and_metrics():
    need_agentx()
    m = Snmpd()
    try:
        srv = ImapServer(users={"alice": "wonderland"}, delay_ms=50,
                         extra_services=[lmtpd_block(), helper(m.socket)])
        with srv:
            assert wait_for(lambda: "imapd" in service_rows(snmpwalk(m.port)), 15)
            before = service_rows(snmpwalk(m.port))
            for _ in range(3):
                c = srv.login("alice", "wonderland")
                c.logout()
            for _ in range(2):
                c = srv.imap()
                try:
                    c.login("alice", "not-the-password")
                    raise AssertionError("a wrong password logged in")
                except imaplib.IMAP4.error:
                    pass
                c.logout()
            with smtplib.LMTP("127.0.0.1", srv.port("lmtp")) as lm:
                for i in range(4):
                    lm.sendmail("sender@example.org", ["alice"],
                                "Subject: %d\r\n\r\nbody %d\r\n" % (i, i))

            def moved():
                r = service_rows(snmpwalk(m.port))
                return (r["imapd"][LOGINS_OK] - before["imapd"][LOGINS_OK] == 3 and
                        r["imapd"][LOGINS_FAILED] - before["imapd"][LOGINS_FAILED] == 2 and
                        r["lmtpd"][DELIVERIES] - before["lmtpd"][DELIVERIES] == 4)
            assert wait_for(moved, 15), (before, service_rows(snmpwalk(m.port)))
            rows = service_rows(snmpwalk(m.port))
            assert rows["lmtpd"][RECIPIENTS] - before["lmtpd"][RECIPIENTS] == 4
            # the store's own figures: one user, four messages
            def store_figures():
                sc = scalars(snmpwalk(m.port))
                return int(sc["3.1"]) >= 1 and int(sc["3.2"]) >= 4 and \
                    int(sc["3.3"]) >= 4 and int(sc["3.5"]) >= 4
            assert wait_for(store_figures, 10), scalars(snmpwalk(m.port))
            samples, _ = metrics(srv.srv.port("metrics"))
            assert sample(samples, "cloister_logins_total", service="imapd",
                          result="ok") == rows["imapd"][LOGINS_OK]
            assert sample(samples, "cloister_logins_total", service="imapd",
                          result="failed") == rows["imapd"][LOGINS_FAILED]
            assert sample(samples, "cloister_deliveries_total",
                          service="lmtpd") == rows["lmtpd"][DELIVERIES]
    finally:
        m.stop()
