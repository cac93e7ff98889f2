"""scripts/quickstart prints only commands that exist: each line of its
"Try" block runs a program this tree builds (with a subcommand its argv
parser knows) or one scripts/install-deps installs without --test, and
the cloisterctl lines it prints answer against a running server."""
import os
import re
import shlex
import shutil
import subprocess

from harness import TOP, tool
from imap_util import ImapServer

BUILT = {"cloisterctl", "cloister-audit", "cloisterd"}


def read(rel):
    with open(os.path.join(TOP, rel)) as f:
        return f.read()


def printed_commands():
    text = read("scripts/quickstart")
    block = re.search(r"^Try.*?:\n(.*?)^Stop:", text, re.S | re.M)
    assert block, "no Try block in scripts/quickstart"
    out = []
    for line in block.group(1).splitlines():
        line = line.split("  #")[0].strip()
        if line:
            out.append(shlex.split(line.replace("$", "")))
    return out


def runtime_packages():
    text = read("scripts/install-deps")
    body = re.search(r"^build_pkgs=\((.*?)^\)", text, re.S | re.M).group(1)
    words = []
    for line in body.splitlines():
        words += line.split("#")[0].split()
    return set(words)


def test_every_printed_command_exists_after_install_deps():
    cmds = printed_commands()
    assert len(cmds) >= 4, cmds
    pkgs = runtime_packages()
    helptext = subprocess.run([tool("cloisterctl"), "--help"],
                              capture_output=True, text=True).stdout
    seen = set()
    for argv in cmds:
        prog = argv[0]
        seen.add(prog)
        if prog in BUILT:
            tool(prog)
            if prog == "cloisterctl":
                assert re.search(r"^  %s\b" % re.escape(argv[1]), helptext,
                                 re.M), (argv, helptext)
            continue
        assert prog in pkgs, "%s: not in install-deps' runtime list" % prog
        assert shutil.which(prog), "%s is not installed" % prog
    assert {"curl", "swaks", "cloisterctl"} <= seen, seen


def test_printed_cloisterctl_lines_answer_on_a_running_server():
    ran = 0
    with ImapServer() as isrv:
        for argv in printed_commands():
            if argv[0] != "cloisterctl":
                continue
            ran += 1
            r = subprocess.run([tool("cloisterctl"), "-c",
                                isrv.srv.config_path] + argv[1:],
                               capture_output=True, text=True, timeout=60)
            assert r.returncode == 0 and r.stdout, (argv, r.stderr)
    assert ran >= 2, "the quickstart prints no cloisterctl status/who line"
