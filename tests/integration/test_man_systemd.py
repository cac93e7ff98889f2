"""Running it for real: the manual pages under man/ are lint-clean, name
only pages that exist, and cannot fall behind the code (every option each
program's argv parser accepts is in its page, every configuration key the
parser and the workers read is in cloister.conf(5) and in its worker's
page); `meson install` puts them, the systemd unit and the logrotate file in
place; the unit verifies and agrees with how cloisterd runs and stops; a
server runs under the unit's capability bounding set and no_new_privs, in
the foreground and as the forking daemon the unit starts, reloads and
stops; the logrotate file parses."""
import glob
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import BUILD, TOP, Skip, tool, wait_for

MAN = os.path.join(TOP, "man")
UNIT_SRC = os.path.join(TOP, "dist", "systemd", "cloisterd.service")
LOGROTATE_SRC = os.path.join(TOP, "dist", "logrotate", "cloister")

# page -> the source of its argv parser
ARGV_SOURCES = {
    "cloisterd.8": ["supervisor/*.c"],
    "cloisterctl.8": ["ctl/*.c"],
    "cloister-audit.8": ["policy/audit*.c"],
}
# worker page -> where its options are read (its argv goes through the
# parser all workers share, in common/)
WORKERS = {
    "cloister-imapd.8": ("workers/imap workers/shared", "tls-cert"),
    "cloister-jmapd.8": ("workers/jmap workers/shared", "cors-origins"),
    "cloister-lmtpd.8": ("workers/lmtp", "allow-clients"),
    "cloister-mta-authd.8": ("workers/mtaauth", "secured-only"),
    "cloister-managesieved.8": ("workers/managesieve", "max-script-size"),
    "cloister-authd.8": ("workers/auth", "failure-window"),
    "cloister-stored.8": ("store", "copy-max"),
    "cloister-snmpd.8": ("snmpd-helper", "agentx-retry"),
    "cloister-submitd.8": ("workers/submit", "max-attempts"),
    "cloister-pushd.8": ("workers/push", "vapid-key"),
}
# pages of other packages a SEE ALSO may name
OUTSIDE = {("seccomp", "2"), ("snmpd", "8"), ("saslpasswd2", "8"),
           ("sasldblistusers2", "8")}


def pages():
    found = sorted(glob.glob(os.path.join(MAN, "*.[58]")))
    assert len(found) == 16, found
    return found


def built_pages(build=BUILD):
    """The pages as the build writes them: installed paths filled in."""
    found = [os.path.join(build, "man", os.path.basename(p)) for p in pages()]
    missing = [p for p in found if not os.path.exists(p)]
    assert not missing, missing
    return found


def read(path):
    with open(path) as f:
        return f.read()


def sources(patterns):
    out = []
    for p in patterns:
        out += sorted(glob.glob(os.path.join(TOP, p)))
    assert out, patterns
    return out


def named_in(page_text, word):
    """word appears in the page as a word of its own (an option or key)."""
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])",
                     page_text) is not None


def flag_in(page_text, opt):
    """opt heads an entry of a list (is described, not only in the
    synopsis): --name is written `Fl -name`, -c `Fl c` (mdoc)."""
    return re.search(r"^\.It .*\bFl " + re.escape(opt[1:]) + r"(?![\w-])",
                     page_text, re.M) is not None


def argv_options(files):
    """The options an argv parser compares argv words with, and the
    letters of a getopt string."""
    opts = set()
    for path in files:
        text = read(path)
        if "argv" not in text:
            continue
        opts |= set(re.findall(r'strcmp\(argv\[[^]]+\],\s*"(-[-\w]+)"\)', text))
        for letters in re.findall(r'getopt\(argc, argv, "([^"]+)"\)', text):
            opts |= {"-" + c for c in letters if c != ":"}
    return opts


def worker_argv_options():
    """The parser every worker's argv goes through: wherever the source
    that compares argv with "--config" lives (common/ today)."""
    files = [f for f in sources(["*/*.c", "*/*/*.c"])
             if not f.startswith(os.path.join(TOP, "tests") + os.sep) and
             re.search(r'argv\[[^]]+\],\s*"--config"', read(f))]
    opts = argv_options(files)
    assert {"--config", "--service", "--instance"} <= opts, (files, opts)
    return opts


def option_keys(directory):
    """The `set` options a worker reads: first key of each config_option*
    call (or a wrapper of it), and keys of option tables."""
    keys = set()
    for path in sources([d + "/*.c" for d in directory.split()]):
        text = read(path)
        keys |= set(re.findall(
            r'\b(?:config_option(?:_size|_bool|_range)?|size_opt|opt_size|opt_bool|'
            r'seconds_opt|str)\([^;"]*?"([a-z][a-z0-9-]*)"', text))
        keys |= set(re.findall(
            r'\{\s*"([a-z][a-z0-9-]*)",\s*(?:OPT_|BUDGET_|QUOTA_)', text))
    return keys


def config_keys():
    """Keys of the config file's own syntax and cloisterd's options."""
    text = read(os.path.join(TOP, "common", "config.c"))
    keys = set()
    for table in re.findall(r'_names\[[^]]*\]\s*=\s*\{(.*?)\};', text, re.S):
        keys |= set(re.findall(r'"([a-z][a-z0-9-]*)"', table))
    assert {"worker-uids", "max-prelogin", "connection", "starttls"} <= keys
    for path in sources(["supervisor/*.c"]):
        keys |= set(re.findall(
            r'\b(?:tunable|config_option(?:_size|_bool|_range(?:_check)?)?)'
            r'\([^;"]*?"([a-z][a-z0-9-]*)"',
            read(path)))
    assert {"stop-timeout", "auth"} <= keys, keys
    return keys


def test_every_page_is_mandoc_lint_clean():
    if shutil.which("mandoc") is None:
        raise Skip("mandoc is not installed (scripts/install-deps --test)")
    r = subprocess.run(["mandoc", "-T", "lint", "-W", "warning"] + pages() +
                       built_pages(), capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr


def test_man_renders_every_page_without_a_warning():
    if shutil.which("man") is None:
        raise Skip("man is not installed")
    for p in built_pages():
        r = subprocess.run(["man", "-l", "-Tutf8", p], capture_output=True,
                           text=True, timeout=60,
                           env=dict(os.environ, MANWIDTH="80"))
        assert r.returncode == 0 and r.stderr == "", (p, r.stderr)
        # overstrike bold, as man writes it to a pipe
        assert "SEE ALSO" in re.sub(r".\x08", "", r.stdout), p


def test_every_page_has_the_sections_it_needs():
    for p in pages():
        text = read(p)
        for sec in ("NAME", "SYNOPSIS", "DESCRIPTION", "FILES", "SEE ALSO"):
            assert ".Sh " + sec + "\n" in text, (p, sec)
        if p.endswith(".8"):
            assert ".Sh EXIT STATUS\n" in text, p
        name = os.path.basename(p).rsplit(".", 1)
        assert ".Dt %s %s\n" % (name[0].upper(), name[1]) in text, p


def test_every_page_in_see_also_exists():
    have = {tuple(os.path.basename(p).rsplit(".", 1)) for p in pages()}
    for p in pages():
        text = read(p)
        see = text.split(".Sh SEE ALSO\n", 1)[1].split("\n.Sh ", 1)[0]
        for name, sec in re.findall(r"^\.Xr (\S+) (\d)", see, re.M):
            if name.startswith("cloister"):
                assert (name, sec) in have, (p, name, sec)
            else:
                assert (name, sec) in OUTSIDE, (p, name, sec)
        # and every page the text cites
        for name, sec in re.findall(r"\.Xr (cloister\S*) (\d)", text):
            assert (name, sec) in have, (p, name, sec)


def test_every_argv_option_is_in_its_page():
    missing = []
    for page, patterns in ARGV_SOURCES.items():
        text = read(os.path.join(MAN, page))
        opts = argv_options(sources(patterns)) - {"--"}
        assert opts, page
        missing += [(page, o) for o in sorted(opts) if not flag_in(text, o)]
    wopts = worker_argv_options()
    for page in WORKERS:
        text = read(os.path.join(MAN, page))
        missing += [(page, o) for o in sorted(wopts) if not flag_in(text, o)]
    assert not missing, missing


def test_every_worker_option_is_in_its_page_and_in_cloister_conf():
    conf = read(os.path.join(MAN, "cloister.conf.5"))
    missing = []
    for page, (directory, sentinel) in WORKERS.items():
        keys = option_keys(directory)
        assert sentinel in keys, (directory, keys)
        text = read(os.path.join(MAN, page))
        missing += [(page, k) for k in sorted(keys) if not named_in(text, k)]
        missing += [("cloister.conf.5", k) for k in sorted(keys)
                    if not named_in(conf, k)]
    assert not missing, missing


def test_every_config_key_is_in_cloister_conf():
    conf = read(os.path.join(MAN, "cloister.conf.5"))
    missing = sorted(k for k in config_keys() if not named_in(conf, k))
    assert not missing, missing


# what the pages name, filled in per build (man/meson.build)
PAGE_VARS = re.compile(r"@[A-Z_]+@")


def test_pages_name_the_paths_the_build_installs_to():
    """The sources name no fixed prefix; a build for the Debian layout
    (prefix /usr, sysconfdir /etc) writes pages that name its paths, and
    nothing is left unfilled."""
    for p in pages():
        assert "/usr/local" not in read(p), (p, "a fixed prefix")
    dest = tempfile.mkdtemp(prefix="cloister-man-setup-")
    try:
        r = subprocess.run(["meson", "setup", dest, TOP, "--prefix", "/usr",
                            "--sysconfdir", "/etc", "--libexecdir", "libexec"],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr
        made = {os.path.basename(p): read(p) for p in built_pages(dest)}
        for name, text in made.items():
            assert not PAGE_VARS.search(text), (name, PAGE_VARS.search(text))
            assert "/usr/local" not in text, name
        conf = made["cloister.conf.5"]
        assert ".Pa /etc/cloister/cloister.conf\n" in conf, conf
        assert "/usr/libexec/cloister/cloister-imapd" in conf
        assert ".It Pa /etc/cloister/policy/\n" in conf
        assert ".Pa /etc/cloister/cloister.conf .\n" in made["cloisterctl.8"]
        assert "/usr/share/snmp/mibs/CLOISTER-MIB.txt" in \
            made["cloister-snmpd.8"]
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def install(dest):
    r = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild",
                        "--destdir", dest],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    return r


def test_meson_install_puts_pages_unit_and_logrotate_file_in_place():
    dest = tempfile.mkdtemp(prefix="cloister-man-")
    try:
        install(dest)
        for p in pages():
            sec = p.rsplit(".", 1)[1]
            want = glob.glob(os.path.join(dest, "**", "share", "man",
                                          "man" + sec, os.path.basename(p)),
                             recursive=True)
            assert len(want) == 1, (p, want)
            assert not PAGE_VARS.search(read(want[0])), want[0]
        units = glob.glob(os.path.join(dest, "**", "system",
                                       "cloisterd.service"), recursive=True)
        assert len(units) == 1, units
        assert not re.search(r"@[A-Z]+@", read(units[0])), "unfilled @VAR@"
        assert glob.glob(os.path.join(dest, "**", "logrotate.d", "cloister"),
                         recursive=True)
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def unit_settings(path):
    out = {}
    for line in read(path).splitlines():
        m = re.match(r"^(\w+)=(.*)$", line)
        if m:
            out.setdefault(m.group(1), []).append(m.group(2))
    return out


def test_systemd_analyze_verifies_the_installed_unit():
    if shutil.which("systemd-analyze") is None:
        raise Skip("systemd-analyze is not installed")
    dest = tempfile.mkdtemp(prefix="cloister-unit-")
    try:
        install(dest)
        unit = glob.glob(os.path.join(dest, "**", "system",
                                      "cloisterd.service"), recursive=True)[0]
        sbin = unit_settings(unit)["ExecStart"][0].split()[0]
        # the binaries and pages checked are the ones just installed
        text = read(unit).replace(os.path.dirname(sbin) + "/",
                                  dest + os.path.dirname(sbin) + "/")
        check_dir = tempfile.mkdtemp(prefix="cloister-unit-check-")
        try:
            path = os.path.join(check_dir, "cloisterd.service")
            with open(path, "w") as f:
                f.write(text)
            mandir = glob.glob(os.path.join(dest, "**", "share", "man"),
                               recursive=True)[0]
            r = subprocess.run(["systemd-analyze", "verify", path],
                               capture_output=True, text=True, timeout=120,
                               env=dict(os.environ, MANPATH=mandir))
            assert r.returncode == 0 and r.stdout + r.stderr == "", \
                r.stdout + r.stderr
        finally:
            shutil.rmtree(check_dir, ignore_errors=True)
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def test_the_unit_agrees_with_how_cloisterd_runs_and_stops():
    u = unit_settings(UNIT_SRC)
    main = read(os.path.join(TOP, "supervisor", "main.c"))
    # cloisterd forks into the background unless -f: forking, and the pid
    # file it writes in the default runtime-dir
    assert "daemon(0, 0)" in main
    assert u["Type"] == ["forking"] and " -f" not in u["ExecStart"][0]
    assert '"cloisterd.pid"' in main
    runtime = re.search(r'runtime_dir, "([^"]+)"',
                        read(os.path.join(TOP, "common", "config.c"))).group(1)
    assert u["PIDFile"] == [runtime + "/cloisterd.pid"], u["PIDFile"]
    assert u["ExecReload"][-1] == "/bin/kill -HUP $MAINPID"
    # SIGTERM to cloisterd alone, and time for its own graceful stop: the
    # workers' stop-timeout, then at most 5 s more before it exits
    assert u["KillMode"] == ["mixed"]
    assert "sv.stop_deadline + 5000" in main
    dflt = re.search(r'tunable\(c, "stop-timeout", (\d+),',
                     read(os.path.join(TOP, "supervisor", "check.c")))
    stop = int(re.match(r"(\d+)s?$", u["TimeoutStopSec"][0]).group(1))
    assert stop > int(dflt.group(1)) + 5, (stop, dflt.group(1))
    # what the workers' setup needs is not taken from them
    for opt in ("PrivateUsers", "MemoryDenyWriteExecute"):
        assert opt not in u, opt
    # the empty network namespace: made by cloisterd, joined by each worker
    assert u["RestrictNamespaces"] == ["net"], u["RestrictNamespaces"]
    assert "unshare(CLONE_NEWNET)" in read(os.path.join(TOP, "supervisor",
                                                        "netns.c"))
    assert "setns(fd, CLONE_NEWNET)" in read(os.path.join(TOP, "sandbox",
                                                          "netns.c"))
    # and cloisterd(8) names the capabilities the unit keeps
    page = read(os.path.join(MAN, "cloisterd.8"))
    assert set(re.findall(r"\bCAP_\w+", page)) == \
        set(u["CapabilityBoundingSet"][0].split()), page


def free_low_port():
    for port in random.sample(range(600, 1024), 424):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                pass
    raise Skip("no free port below 1024 on 127.0.0.1")


def cap_args(u, without=()):
    caps = [c for c in u["CapabilityBoundingSet"][0].split() if c not in without]
    arg = "-all," + ",".join("+" + c[len("CAP_"):].lower() for c in caps)
    args = ["setpriv", "--bounding-set", arg, "--inh-caps", "-all"]
    if u.get("NoNewPrivileges") == ["yes"]:
        args.append("--no-new-privs")
    return args


def test_a_server_runs_under_the_units_capabilities_and_no_new_privs():
    """What systemd applies to the process tree that no sandbox of a
    worker replaces: run cloisterd under the unit's CapabilityBoundingSet
    (and no_new_privs), log in over IMAP, deliver over LMTP to a socket it
    chowns, audit the tree and stop it."""
    if shutil.which("setpriv") is None:
        raise Skip("setpriv (util-linux) is not installed")
    from imap_util import ImapServer, have_stored
    from lmtp_util import Lmtp, lmtpd_block
    if not have_stored():
        raise Skip("cloister-stored is not built")
    prefix = cap_args(unit_settings(UNIT_SRC))
    # a socket it gives to another owner (CAP_CHOWN, CAP_FOWNER) and a
    # port below 1024 (CAP_NET_BIND_SERVICE)
    lmtp = lmtpd_block(listens=("lmtpsock unix @path:lmtp@ plain "
                                "owner=nobody mode=0666",
                                "lmtplow tcp 127.0.0.1:%d plain" %
                                free_low_port()))
    # not `with`: entering an ImapServer starts it without the prefix
    isrv = ImapServer(users={"alice": "wonderland"}, extra_services=[lmtp])
    try:
        isrv.srv.start(prefix=prefix)
        isrv.srv.wait_ready(timeout=30)
        isrv.store_user("alice")
        assert os.stat(isrv.srv.paths["lmtp"]).st_uid != 0
        c = Lmtp(unix=isrv.srv.paths["lmtp"])
        ok, rr = c.deliver("sender@example.net", ["alice@example.org"],
                           b"Subject: hi\r\n\r\nunder the unit's caps\r\n")
        assert ok and ok[0][1].startswith("250"), (ok, rr, isrv.srv.log)
        c.close()
        m = isrv.login("alice")
        typ, data = m.select("INBOX")
        assert typ == "OK" and int(data[0]) == 1, data
        # every worker is in the empty namespace (CAP_SYS_ADMIN), which the
        # audit requires
        assert not [l for l in isrv.srv.log if "network namespace" in l], \
            isrv.srv.log
        r = isrv.srv.audit()
        assert r.returncode == 0, r.stdout + r.stderr
        # the unit's ExecReload checks the file first, beside the running
        # server (-n binds nothing)
        r = subprocess.run(prefix + [tool("cloisterd"), "-n", "-c",
                                     isrv.srv.config_path],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and ": ok," in r.stdout, r.stdout + r.stderr
        # the session stays open: its worker, under a uid of its own, must
        # be stopped with a signal, which takes CAP_KILL (a refused kill()
        # leaves it serving its client after cloisterd has gone)
        t0 = time.monotonic()
        assert isrv.srv.stop() == 0, "\n".join(isrv.srv.log)
        took = time.monotonic() - t0
        assert not isrv.srv.leftovers()
        assert took < 8, took
        # it raised its own priority (CAP_SYS_NICE); a refusal is logged
        assert not [l for l in isrv.srv.log if "setpriority" in l], isrv.srv.log
    finally:
        isrv.close()


def test_without_sys_admin_the_workers_get_no_empty_network_namespace():
    """The one capability of the unit the server runs without, at a cost:
    without CAP_SYS_ADMIN cloisterd cannot make the empty namespace and no
    worker can make one, so each says so and the audit reports drift."""
    if shutil.which("setpriv") is None:
        raise Skip("setpriv (util-linux) is not installed")
    from imap_util import ImapServer, have_stored
    if not have_stored():
        raise Skip("cloister-stored is not built")
    prefix = cap_args(unit_settings(UNIT_SRC), without=("CAP_SYS_ADMIN",))
    isrv = ImapServer(users={"alice": "wonderland"})
    try:
        isrv.srv.start(prefix=prefix)
        isrv.srv.wait_ready(timeout=30)
        assert isrv.srv.wait_log(r"cloisterd.*no shared empty network namespace"
                                 r" \(Operation not permitted\)")
        assert isrv.srv.wait_log(r"sandbox imapd: no empty network namespace"
                                 r" \(unshare: Operation not permitted\)")
        r = isrv.srv.audit()
        assert r.returncode == 1, r.stdout + r.stderr
        assert "shares cloisterd's netns, an own netns is required" in r.stderr, \
            r.stderr
    finally:
        isrv.close()


def test_cloisterd_does_what_the_unit_expects_of_a_forking_daemon():
    """What systemd does with the unit, done by hand (PID 1 may not be
    systemd): ExecStart under the unit's capabilities; its exit is the
    readiness signal, the listeners already accept, the PIDFile names the
    daemon; ExecReload's SIGHUP starts a new generation; SIGTERM to it
    alone (KillMode=mixed) stops everything within TimeoutStopSec."""
    if shutil.which("setpriv") is None:
        raise Skip("setpriv (util-linux) is not installed")
    from cloister_server import _proc_children
    from imap_util import ImapServer, have_stored
    if not have_stored():
        raise Skip("cloister-stored is not built")
    u = unit_settings(UNIT_SRC)
    isrv = ImapServer(users={"alice": "wonderland"})
    pid = None
    try:
        start = subprocess.run(cap_args(u) + [tool("cloisterd"), "-c",
                                              isrv.srv.config_path],
                               capture_output=True, text=True, timeout=60)
        assert start.returncode == 0, start.stdout + start.stderr
        socket.create_connection(("127.0.0.1", isrv.port("imap")), 5).close()
        assert wait_for(lambda: os.path.exists(isrv.srv.pidfile), 5)
        with open(isrv.srv.pidfile) as f:
            pid = int(f.read())
        assert os.path.exists("/proc/%d" % pid)
        assert wait_for(lambda: len(_proc_children(pid)) >= 4, 15), \
            _proc_children(pid)
        isrv.store_user("alice")
        m = isrv.login("alice")
        assert m.select("INBOX")[0] == "OK"
        m.logout()
        os.kill(pid, signal.SIGHUP)
        assert wait_for(lambda: os.path.exists(
            os.path.join(isrv.srv.run_dir, "config.1")), 10)
        os.kill(pid, signal.SIGTERM)
        limit = int(re.match(r"(\d+)", u["TimeoutStopSec"][0]).group(1))
        assert wait_for(lambda: not os.path.exists("/proc/%d" % pid), limit)
        pid = None
        assert not os.path.exists(isrv.srv.pidfile)
        assert not isrv.srv.leftovers()
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        isrv.close()


def test_logrotate_parses_the_logrotate_file():
    if shutil.which("logrotate") is None:
        raise Skip("logrotate is not installed (scripts/install-deps --test)")
    state = tempfile.mkdtemp(prefix="cloister-logrotate-")
    try:
        r = subprocess.run(["logrotate", "-d", "-s",
                            os.path.join(state, "status"), LOGROTATE_SRC],
                           capture_output=True, text=True, timeout=60)
        out = r.stdout + r.stderr
        assert r.returncode == 0, out
        assert "error" not in out.lower(), out
        # the file the quickstart config names as log-file
        quick = re.search(r"^logfile=(\S+)$",
                          read(os.path.join(TOP, "scripts", "quickstart")),
                          re.M).group(1)
        assert "rotating pattern: %s " % quick in out, (quick, out)
        text = read(LOGROTATE_SRC)
        # renamed and reopened (SIGUSR1), not copied and truncated
        assert not re.search(r"^\s*copytruncate", text, re.M)
        assert re.search(r"kill -USR1 .*/run/cloister/cloisterd\.pid|"
                         r"pidfile=/run/cloister/cloisterd\.pid", text)
    finally:
        shutil.rmtree(state, ignore_errors=True)


def test_logrotate_renames_and_cloisterd_reopens_its_log_file():
    """With log-file, cloisterd writes the log itself: the shipped
    logrotate file renames it and sends SIGUSR1 (postrotate), and the next
    lines start a new file at the path while the rotated one stays whole."""
    if shutil.which("logrotate") is None:
        raise Skip("logrotate is not installed (scripts/install-deps --test)")
    from imap_util import ImapServer
    isrv = ImapServer(users={"alice": "wonderland"})
    pid = None
    try:
        logfile = os.path.join(isrv.srv.tmp, "cloister.log")
        conf = os.path.join(isrv.srv.tmp, "logrotate.conf")
        with open(conf, "w") as f:
            f.write(read(LOGROTATE_SRC)
                    .replace("/var/log/cloister.log", logfile)
                    .replace("/run/cloister/cloisterd.pid", isrv.srv.pidfile))
        with open(isrv.srv.config_path, "a") as f:
            f.write("log-file %s\n" % logfile)
        proc = subprocess.Popen([tool("cloisterd"), "-f", "-c",
                                 isrv.srv.config_path],
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        pid = proc.pid
        assert wait_for(lambda: os.path.exists(logfile) and
                        "started:" in read(logfile), 10), "no start logged"
        assert wait_for(lambda: os.path.exists(isrv.srv.pidfile), 10)
        r = subprocess.run(["logrotate", "-f", "-s",
                            os.path.join(isrv.srv.tmp, "status"), conf],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "started:" in read(logfile + ".1")
        assert wait_for(lambda: os.path.exists(logfile) and
                        "log-file %s opened" % logfile in read(logfile), 10)
        size = os.path.getsize(logfile + ".1")
        proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: "reloaded" in read(logfile), 10), \
            read(logfile)
        assert os.path.getsize(logfile + ".1") == size
        assert b"started:" not in open(logfile, "rb").read()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        pid = None
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGKILL)
        isrv.close()
