"""Restart without hold: a start failure is an exit before the worker's
CTL_READY; authd and stored are never held; deaths that outside events
can cause (kill -9 of a ready process, a worker that dies with its client)
are restarts, never a reason to hold a service."""
import os
import random
import signal
import re
import time

from cloister_ipc import CTL_READY_RECORD, IPC_VERSION, T, record
from cloister_server import CloisterServer, _seccomp
from harness import steal_fd, wait_for
from lmtp_util import (Lmtp, have_store, lmtpd_block, start_stream,
                       stored_block, stored_messages)
from supervisor_util import (BOUND, FULL, LineClient, login, metrics)

# a burst this small would hold a service after three counted failures
STRICT = {"restart-burst": 3, "restart-window": 60}
CTL_READY = CTL_READY_RECORD


def _delivers(srv, n):
    """One LMTP session that delivers a message: the whole path works."""
    try:
        c = Lmtp(unix=srv.paths["lmtp"], timeout=5)
        ok, _ = c.deliver("s@x", ["hank@x"], "Subject: probe %d\r\n\r\nx\r\n" % n)
        c.close()
        return bool(ok) and ok[0][1].startswith("250")
    except (OSError, EOFError, AssertionError):
        return False


def test_stored_killed_every_few_seconds_under_lmtp_load_is_never_held():
    if not have_store():
        return
    with CloisterServer([stored_block(), lmtpd_block()], options=STRICT) as srv:
        srv.start()
        t, acked, failures, stop = start_stream(srv, 40)
        rnd = random.Random(11)
        kills, worst, n = 0, 0.0, 0
        try:
            while t.is_alive():
                time.sleep(rnd.uniform(1.0, 3.0))
                kids = srv.children("stored")
                if not kids:
                    continue
                os.kill(kids[0].pid, signal.SIGKILL)
                kills += 1
                t0 = time.monotonic()
                # a session works again within a bounded time after each kill
                assert wait_for(lambda: _delivers(srv, kills), 10, 0.05), (
                    "no delivery 10 s after kill %d" % kills, srv.log[-20:])
                worst = max(worst, time.monotonic() - t0)
                assert not srv.wait_log(r"stored: held", 0), srv.log[-20:]
        finally:
            stop.set()
            t.join()
        assert kills >= 10, kills
        assert not srv.wait_log(r"held after", 0)
        assert len(acked) > 100, (len(acked), failures[:5])
        srv.wait_ready(timeout=10)
        have = {r["msgid"] for r in stored_messages(srv, "hank")}
        missing = [m for m in acked if m not in have]
        assert not missing, ("lost", missing[:10], kills)
        print("  %d kills, %d acknowledged, worst recovery %.2fs" % (
            kills, len(acked), worst))


def test_a_required_service_that_cannot_start_backs_off_capped_and_is_never_held():
    # stored that fails before CTL_READY every time: backoff doubles up to
    # required-backoff-max and it keeps being started, never held
    opts = dict(STRICT, **{"required-backoff-max": 400})
    crashing = FULL[1].replace("}", "  set standin-crash yes\n}")
    with CloisterServer([FULL[0], crashing] + FULL[2:], options=opts) as srv:
        srv.start()
        assert wait_for(lambda: len([l for l in srv.log if "stored: spawned" in l]) >= 8, 10), \
            srv.log[-20:]
        assert not srv.wait_log(r"stored: held", 0)
        delays = [int(l.split("next start in ")[1].split()[0])
                  for l in srv.log if "stored: " in l and "next start in" in l]
        assert delays[:3] == [100, 200, 400] and max(delays) == 400, delays
        assert all("(required: never held)" in l for l in srv.log
                   if "stored: " in l and "next start in" in l)
        assert wait_for(lambda: metrics(srv)["stored"]["backoffs"] >= 7, 3), metrics(srv)
        m = metrics(srv)["stored"]
        assert m["start_failures"] >= 7 and m["held"] == 0, m
        # the pools wait for it rather than refuse: nothing is held
        assert srv.proc.poll() is None


def test_dead_ready_workers_never_get_a_connection_service_held():
    # what a pre-auth exploit could do to its siblings, or a client to its
    # own worker: every death after CTL_READY is a restart, not a failure
    with CloisterServer(FULL, options=STRICT) as srv:
        srv.start()
        srv.wait_ready()
        for i in range(8):
            # a client whose worker dies under it
            c = LineClient("127.0.0.1", srv.port("imap"))
            inst = int(c.readline().split()[-1])
            busy = next(k for k in srv.children("imapd") if k.instance == inst)
            os.kill(busy.pid, signal.SIGKILL)
            c.close()
            # and a ready spare killed by someone else
            srv.wait_ready()
            time.sleep(0.05)   # past confinement: CTL_READY has been sent
            spare = next(k for k in srv.children("imapd") if k.pid != busy.pid)
            os.kill(spare.pid, signal.SIGKILL)
            # reaped (else the next client could be handed to the corpse)
            assert srv.wait_log(r"pid %d instance \d+ killed by signal" % spare.pid, 5)
            assert login("127.0.0.1", srv.port("imap")) < BOUND
        assert not srv.wait_log(r"imapd: held|start failure", 0), srv.log[-30:]
        srv.wait_ready()
        # a spare that replaces the last login's worker may have been
        # forked since: it confines itself within moments
        assert wait_for(lambda: all(_seccomp(k.pid) == 2
                                    for k in srv.children("imapd")), 5), \
            srv.children("imapd")
        # a second: the aggregates are published once a second
        assert wait_for(lambda: metrics(srv)["imapd"]["restarts"] >= 8, 3), metrics(srv)
        m = metrics(srv)["imapd"]
        assert m["start_failures"] == 0 and m["held"] == 0, m


def test_anything_but_one_ctl_ready_on_a_control_channel_kills_the_worker():
    with CloisterServer(FULL, options=STRICT) as srv:
        srv.start()
        srv.wait_ready()
        time.sleep(0.05)
        other = record(T["CTL_READY"], version=IPC_VERSION + 1)
        why_other = "IPC version %d from peer, expected %d" % (IPC_VERSION + 1,
                                                              IPC_VERSION)
        for rec, why in ((CTL_READY, "unexpected record"),
                         (b"\xff" * 40, "unexpected record"), (other, why_other)):
            spare = srv.children("imapd")[0]
            assert srv.wait_log(r"imapd: pid %d instance \d+ ready" % spare.pid, 5)
            fd = steal_fd(spare.pid, 5)   # its control channel, as it sees it
            try:
                os.write(fd, rec)   # a second CTL_READY, garbage, another version's
            finally:
                os.close(fd)
            assert srv.wait_log(r"imapd: pid %d instance \d+: %s on its control channel;"
                                r" killing it" % (spare.pid, why), 5), srv.log[-10:]
            assert srv.wait_log(r"imapd: pid %d instance \d+ killed by signal 9" % spare.pid, 5)
            srv.wait_ready()
        assert not srv.wait_log(r"held after", 0)
        assert login("127.0.0.1", srv.port("imap")) < BOUND


def test_real_imapd_workers_killed_with_their_sessions_or_as_spares_never_hold_imapd():
    from imap_util import ImapServer, have_stored as have_imap_store
    if not have_imap_store():
        return
    with ImapServer(options=STRICT) as s:
        srv = s.srv
        for _ in range(5):
            m = s.login()
            assert m.select("INBOX")[0] == "OK"
            srv.wait_ready()
            time.sleep(0.2)   # confined, and past CTL_READY
            kids = srv.children("imapd")   # the session's worker and spares
            for k in kids:
                os.kill(k.pid, signal.SIGKILL)
            for k in kids:
                assert srv.wait_log(r"imapd: pid %d instance \d+ killed by signal 9"
                                    % k.pid, 10)
            try:
                m.noop()
                raise AssertionError("the session outlived its worker")
            except (OSError, EOFError, s_abort(m)):
                pass
        assert not srv.wait_log(r"imapd: held|imapd: .*start failure", 0), srv.log[-30:]
        m = s.login()
        assert m.select("INBOX")[0] == "OK"
        m.logout()


def s_abort(m):
    """imaplib's error for a connection that went away."""
    return type(m).abort


def test_a_process_that_dies_as_soon_as_it_is_ready_is_paced_not_held():
    # restarted at once, but no fork+exec loop: past 10 restarts in a
    # second the next start waits for the next second; never held
    quitter = FULL[1].replace("}", "  set standin-exit-when-ready yes\n}")
    with CloisterServer([FULL[0], quitter] + FULL[2:], options=STRICT) as srv:
        srv.start()
        time.sleep(3)
        spawns = len([l for l in srv.log if "stored: spawned" in l])
        assert 10 <= spawns <= 3 * 11 + 5, spawns
        assert srv.wait_log(r"stored: \d+ restarts within a second, next start in \d+ ms", 0)
        bad = [l for l in srv.log if re.search(r"held|start failure", l)]
        assert not bad, bad
        assert wait_for(lambda: metrics(srv)["stored"]["backoffs"] >= 1, 3), metrics(srv)
        assert srv.proc.poll() is None
