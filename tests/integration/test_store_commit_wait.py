"""stored's group-commit wait (`commit-wait`, docs/store-protocol.md,
"Durability"): a turn with writes to commit waits in 1 ms polls for the
peers it answered early, so that their writes share its commit; `set
commit-wait 0` never waits. Counted with strace: stored's epoll_wait
calls with a 1 ms timeout while four channels of one user each read and
then append, again and again (the read is answered early, the append
comes back while another channel's write is open)."""
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

from store_util import Store, append_to, new_user, s, u64

CHANNELS = 4
ROUNDS = 60


def short_waits(options):
    """stored's 1 ms epoll_waits during the workload."""
    with Store(options=options) as st:
        chans = [new_user(st, "alice")]
        for _ in range(CHANNELS - 1):
            c = st.connect("imapd")
            c.hello(st.key, "alice")
            chans.append(c)
        out = tempfile.mktemp(prefix="cw-strace-")
        tr = subprocess.Popen(["strace", "-f", "-e", "trace=epoll_wait",
                               "-o", out, "-p", str(st.proc.pid)],
                              stderr=subprocess.DEVNULL)
        time.sleep(0.5)   # attached

        def work(c, k):
            for i in range(ROUNDS):
                c.call("STORE_MBOX_STATUS", u64(0) + s("INBOX"))
                append_to(c, b"Subject: %d.%d\r\n\r\nbody\r\n" % (k, i))
        ts = [threading.Thread(target=work, args=(c, k))
              for k, c in enumerate(chans)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        tr.terminate()
        tr.wait(10)
        with open(out) as f:
            text = f.read()
        os.unlink(out)
        return len(re.findall(r"epoll_wait\(\d+, .*, \d+, 1\)", text))


def test_commit_wait_zero_never_waits_and_the_default_does():
    if shutil.which("strace") is None or os.geteuid() != 0:
        print("  (no strace or not root: waits not counted)")
        return
    default = short_waits("")
    none = short_waits(" set commit-wait 0\n")
    print("  1 ms waits: %d with the default, %d with commit-wait 0"
          % (default, none))
    assert none == 0, none
    # the count is not vacuous: the same workload waits by default
    assert default > 0, default
