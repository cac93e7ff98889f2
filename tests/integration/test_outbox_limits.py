"""What the delivery right may queue in the outbox (store/outbox_auto.h):
lmtpd faces the network and names any user, so a compromised lmtpd must
not make submitd an open relay. With lmtpd's service identity (a channel
announced as lmtpd, no ticket, lmtpd's policy) an entry is refused unless
its envelope sender is <> or the user's own address (when the user's
name is one), it has one recipient, and its user has queued fewer than
outbox-delivery-per-day such entries this UTC day, and the shard fewer
than outbox-delivery-per-day-shard; the counts survive a restart of
stored. A user's own session and the admin channel are not
held to these rules. Runs cloister-stored as the supervisor would."""
from store_util import ERR, StoreError, new_user, s
from submit_util import queue
from test_submit_outbox import OutboxStore, add, rows


class Admin:
    """The admin channel as submit_util.queue takes it."""

    def __init__(self, chan):
        self.chan = chan

FORGED = ("ceo@bank.example", "alice@example.org", "postmaster",
          "bob@example.org.evil", "BOB@example.org")


def refusal(c, rcpts, mail_from, user):
    try:
        add(c, rcpts, mail_from=mail_from, user=user)
    except StoreError as e:
        return e.code
    raise AssertionError("queued for %s from <%s> to %r" % (user, mail_from, rcpts))


def entries(st):
    return rows(st, "user, mail_from, rcpts")


def test_the_delivery_right_cannot_forge_a_sender_or_fan_out():
    with OutboxStore() as st:
        new_user(st, "alice")
        new_user(st, "bob@example.org")
        lm = st.connect("lmtpd")
        for user in ("alice", "bob@example.org"):
            for frm in FORGED:
                assert refusal(lm, ["victim@example.net"], frm, user) == \
                    ERR["DENIED"], (user, frm)
            # one recipient per entry (vacation, notify, redirect send one)
            assert refusal(lm, ["a@example.net", "b@example.net"], "", user) \
                == ERR["LIMIT"], user
        # what Sieve sends: <> for anyone, the user's own address as a
        # redirect's sender when the user's name is an address
        assert add(lm, ["carol@example.net"], mail_from="", user="alice")[0] > 0
        assert add(lm, ["carol@example.net"], mail_from="bob@example.org",
                   user="bob@example.org")[0] > 0
        # a user's session queues as the user: not held to the rules
        jm = new_user(st, "dave@example.org", service="jmapd")
        assert add(jm, ["a@example.net", "b@example.net"],
                   mail_from="dave@example.org", user="dave@example.org")[0] > 0
        st.stop()
        got = entries(st)
        assert [(u, f) for u, f, _ in got] == \
            [("alice", ""), ("bob@example.org", "bob@example.org"),
             ("dave@example.org", "dave@example.org")], got


def test_the_daily_cap_holds_per_user_and_across_a_restart():
    with OutboxStore(options=" set outbox-delivery-per-day 3\n") as st:
        new_user(st, "alice")
        new_user(st, "erin")
        lm = st.connect("lmtpd")
        for i in range(3):
            assert add(lm, ["r%d@example.net" % i], mail_from="",
                       user="alice")[0] > 0
        assert refusal(lm, ["r3@example.net"], "", "alice") == ERR["LIMIT"]
        # another user has a day of her own
        assert add(lm, ["r@example.net"], mail_from="", user="erin")[0] > 0
        # the admin channel (cloisterctl) is not counted
        adm = st.admin()
        assert queue(Admin(adm), "alice", ["r@example.net"], b"Subject: a\r\n\r\nb\r\n",
                     mail_from="alice@example.org") > 0
        adm.close()
        st.stop()
        st.start()
        lm = st.connect("lmtpd")
        assert refusal(lm, ["r4@example.net"], "", "alice") == ERR["LIMIT"]
        assert "outbox: alice: 3 messages queued at delivery today" in \
            st.log_text()
        st.stop()
        assert len(entries(st)) == 5


def test_the_shard_cap_holds_whatever_the_number_of_users():
    opts = " set outbox-delivery-per-day 2\n set outbox-delivery-per-day-shard 3\n"
    with OutboxStore(options=opts) as st:
        lm = st.connect("lmtpd")
        for user in ("u1", "u2"):
            new_user(st, user)
        assert add(lm, ["a@example.net"], user="u1")[0] > 0
        assert add(lm, ["b@example.net"], user="u1")[0] > 0
        assert add(lm, ["c@example.net"], user="u2")[0] > 0
        # u2 has one of her 2 left, but the shard has none
        assert refusal(lm, ["d@example.net"], "", "u2") == ERR["LIMIT"]
        new_user(st, "u3")
        assert refusal(lm, ["e@example.net"], "", "u3") == ERR["LIMIT"]
        assert "outbox: 3 messages queued at delivery today on this shard" \
            in st.log_text()
        st.stop()
        assert len(entries(st)) == 3


def test_a_cap_of_zero_lets_the_delivery_right_queue_nothing():
    with OutboxStore(options=" set outbox-delivery-per-day 0\n") as st:
        new_user(st, "alice")
        lm = st.connect("lmtpd")
        assert refusal(lm, ["r@example.net"], "", "alice") == ERR["LIMIT"]
        st.stop()
        assert entries(st) == []


def test_a_sieve_redirect_goes_out_from_the_users_own_address():
    """Over LMTP with user-is-address: a redirect is queued with the
    user's address as envelope sender (never the original sender, which
    the store refuses), and the vacation answer with <>."""
    from lmtp_sieve_util import lmtp_send, message, script_file, server
    from test_lmtp_imap import have_imap
    from test_lmtp_sieve_vacation import wait_outbox
    if not have_imap():
        return
    script = script_file('require ["vacation"];\n'
                         'if header :contains "subject" "fwd" {\n'
                         '  redirect "elsewhere@example.com";\n'
                         '} else { vacation "away"; }\n')
    with server(users={"alice@example.org": "wonderland"},
                **{"sieve-before": script, "user-is-address": "yes"}) as isrv:
        lmtp_send(isrv, "alice@example.org", message("fwd 1"),
                  sender="carol@example.net")
        lmtp_send(isrv, "alice@example.org", message("hello"),
                  sender="carol@example.net")
        got = wait_outbox(isrv, 2)
        assert [(u, f, r) for u, f, r, _ in got] == \
            [("alice@example.org", "alice@example.org", ["elsewhere@example.com"]),
             ("alice@example.org", "", ["carol@example.net"])], got


def test_a_store_started_without_a_stats_pipe_keeps_its_registry_whole():
    """Started by hand (no fd 4 from cloisterd), stored must not write its
    statistics records into the file that happens to get fd 4: the
    registry holding the outbox and its daily counts was one."""
    import time
    with OutboxStore() as st:
        for i in range(3):
            new_user(st, "s%d" % i)
            # stats go out a second after the last ones
            time.sleep(1.2)
        st.stop()
        for path in st.user_dbs():
            with open(path, "rb") as f:
                assert b"2SLC" not in f.read(), path     # STATS_MAGIC, host order
        assert entries(st) == []
        assert rows(st, "count(*)") == [(0,)]
