"""Who may make stored create a user at delivery time: only authd's word.
authd answers AUTH_RCPT only on a channel the supervisor marked as a
delivery worker's (CTL_PEER_DELIVERY), with a ticket bound to that worker;
stored creates a store for STORE_RCPT_PROVISION only from a service with
the delivery right and only with a valid ticket for that very channel."""
from auth_util import (AUTH_FAILURE, AUTH_SUCCESS, FAIL_CREDENTIALS, REALM,
                       Authd, ticket_parse)
from cloister_ipc import C, ERROR, T, u64
from cloister_ipc import b as by
from cloister_ipc import s as sfield
from store_util import Store, StoreError, ticket

AUTH_RCPT = T["AUTH_RCPT"]
DELIVERY = C["IPC_CTL_PEER_DELIVERY"]


def test_authd_answers_rcpt_for_delivery_workers_only():
    with Authd({"carol": "c-pass-1"}) as a:
        imapd = a.worker("imapd")
        typ, _, f = imapd.request(AUTH_RCPT, sfield("carol"))
        assert typ == ERROR and f[0] == C["IPC_ERR_UNEXPECTED"], (typ, f)
        lmtpd = a.worker("lmtpd", instance=4242, flags=DELIVERY)
        typ, _, f = lmtpd.request(AUTH_RCPT, sfield("carol"))
        assert typ == AUTH_SUCCESS, (typ, f)
        user, t = f[0].decode(), f[1]
        tk = ticket_parse(a.key, t)
        assert user == "carol" and tk["user"] == "carol", (user, tk)
        assert tk["service"] == "lmtpd" and tk["instance"] == 4242, tk
        # the default realm is stripped as at login: one account, one name
        typ, _, f = lmtpd.request(AUTH_RCPT, sfield("carol@" + REALM))
        assert typ == AUTH_SUCCESS and f[0] == b"carol", (typ, f)
        typ, _, f = lmtpd.request(AUTH_RCPT, sfield("nobody"))
        assert typ == AUTH_FAILURE and f[0] == FAIL_CREDENTIALS, (typ, f)
        # a malformed name is refused, and authd stays up
        typ, _, f = lmtpd.request(AUTH_RCPT, sfield(""))
        assert typ == ERROR, (typ, f)
        assert a.alive()
        assert "login: user=carol" not in a.log()


def provision(c, t):
    return c.call("STORE_RCPT_PROVISION", by(t))


def users(st):
    a = st.admin()
    try:
        entries, _ = a.call("STORE_ADM_USER_LIST")
        return sorted(u[0].decode() for u in entries)
    finally:
        a.close()


def test_store_creates_only_what_a_valid_ticket_for_this_channel_names():
    with Store() as st:
        lm = st.connect("lmtpd")
        # forged (another key), another instance's, another service's
        for t in (ticket(b"k" * 32, "gina", "lmtpd", lm.instance),
                  ticket(st.key, "gina", "lmtpd", lm.instance + 1),
                  ticket(st.key, "gina", "imapd", lm.instance),
                  ticket(st.key, "gina", "lmtpd", lm.instance, expiry=1)):
            code, _ = lm.error("STORE_RCPT_PROVISION", by(t))
            assert code == C["IPC_ERR_DENIED"], code
        assert users(st) == []
        # a service without the delivery right, even with its own ticket
        im = st.connect("imapd")
        code, _ = im.error("STORE_RCPT_PROVISION",
                           by(ticket(st.key, "gina", "imapd", im.instance)))
        assert code == C["IPC_ERR_UNEXPECTED"], code
        assert users(st) == []
        # the real thing: created once, with its mailboxes; again is a no-op
        provision(lm, ticket(st.key, "gina", "lmtpd", lm.instance))
        provision(lm, ticket(st.key, "gina", "lmtpd", lm.instance))
        assert users(st) == ["gina"]
        lm.call("STORE_RCPT_CHECK", sfield("gina") + u64(10))
        assert st.log_text().count("created user gina at first delivery") == 1
        try:
            lm.call("STORE_HELLO", by(ticket(st.key, "gina", "lmtpd",
                                             lm.instance)))
            raise AssertionError("lmtpd bound to a user")
        except StoreError:
            pass
