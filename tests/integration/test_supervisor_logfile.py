"""cloisterd -f with stderr on a regular file (e.g. `cloisterd -f >> log`,
what scripts/quickstart does with a config that has no log-file): confined workers, whose fsize rlimit is 0,
must neither die of SIGXFSZ nor hold the file; their lines still reach it,
copied by the supervisor from a pipe."""
import os
import re
import subprocess
import time

from cloister_server import CloisterServer
from harness import tool, wait_for
from lmtp_util import stored_block
from supervisor_util import LineClient, imapd


def test_workers_log_to_a_file_through_the_supervisor():
    # the real stored logs at start; the stand-in imapd shows service goes on
    srv = CloisterServer([stored_block(), imapd()])
    logpath = os.path.join(srv.tmp, "file.log")
    try:
        with open(logpath, "ab") as log:
            proc = subprocess.Popen([tool("cloisterd"), "-f", "-d", "-c",
                                     srv.config_path], stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=log)
        try:
            assert wait_for(lambda: os.path.exists(srv.pidfile), 10)
            with LineClient("127.0.0.1", srv.port("imap")) as c:
                assert c.readline().startswith("* OK cloister-standin")
            time.sleep(1.5)
            text = open(logpath, errors="replace").read()
            # lines of confined workers arrived (not only the supervisor's)
            assert re.search(r" stored/\d+\[\d+\]: info: ", text), text[-2000:]
            # and nobody died of SIGXFSZ (signal 25) writing them
            assert "signal 25" not in text, text[-3000:]
            kids = subprocess.run(["pgrep", "-P", str(proc.pid)],
                                  capture_output=True, text=True).stdout.split()
            assert kids
            for k in kids:
                fds = [os.readlink("/proc/%s/fd/%s" % (k, fd))
                       for fd in os.listdir("/proc/%s/fd" % k)]
                assert logpath not in fds, (k, fds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        srv.close()
