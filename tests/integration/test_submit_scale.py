"""1,000 messages in a row through submitd and the relay: every one
arrives once, and neither submitd nor stored grows in fds, memory or
processes per message (/proc before and after, the figures printed)."""
import os
import time

from cloister_server import CloisterServer
from harness import is_sanitized, proc_status, wait_for
from lmtp_util import have_store
from submit_util import Admin, Sink, queue, services

N = 1000
WARM = 50


def snapshot(pid):
    st = proc_status(pid)
    return {"fds": len(os.listdir("/proc/%d/fd" % pid)),
            "rss_kb": int(st["VmRSS"].split()[0]),
            "threads": int(st["Threads"])}


def test_a_thousand_messages_leave_no_growth():
    if not have_store():
        return
    sink = Sink()
    try:
        with CloisterServer(services(sink.port)) as srv:
            srv.start()
            srv.wait_ready()
            adm = Admin(srv)
            adm.user("alice")
            # warm up: caches, the allocator's arenas, the statements
            for i in range(WARM):
                queue(adm, "alice", ["bob@example.net"], b"X-Seq: w%d\r\n\r\nx\r\n" % i)
            assert wait_for(lambda: len(sink.got) == WARM, 60), len(sink.got)
            sub = srv.children("submitd")[0].pid
            sto = srv.children("stored")[0].pid
            before = {"submitd": snapshot(sub), "stored": snapshot(sto)}
            t0 = time.time()
            for i in range(N):
                queue(adm, "alice", ["bob@example.net", "carol@example.net"],
                      b"X-Seq: %d\r\n\r\n" % i + b"line of text\r\n" * 20)
            assert wait_for(lambda: len(sink.got) == WARM + N, 180), len(sink.got)
            took = time.time() - t0
            time.sleep(0.5)
            after = {"submitd": snapshot(sub), "stored": snapshot(sto)}
            print("%d messages in %.1fs; before %r; after %r" % (N, took, before, after))
            # the same processes, no new ones
            assert [c.pid for c in srv.children("submitd")] == [sub]
            assert [c.pid for c in srv.children("stored")] == [sto]
            for name in ("submitd", "stored"):
                b, a = before[name], after[name]
                assert a["fds"] == b["fds"], (name, b, a)
                assert a["threads"] == b["threads"], (name, b, a)
                # less than 2 bytes a message would be noise; a leak of a
                # buffer per message (>= 4 KiB) shows as 4 MB. Under ASan
                # its quarantine keeps freed blocks: the normal pass checks
                pid = sub if name == "submitd" else sto
                if not is_sanitized(pid):
                    assert a["rss_kb"] - b["rss_kb"] < 2048, (name, b, a)
            seqs = [g[2].split(b"\r\n")[0] for g in sink.got]
            assert len(set(seqs)) == WARM + N
    finally:
        sink.close()
