"""SECURITY.md's boundary table says who each process runs as, where its
root is and what files it may hold; policy/*.policy is what the sandbox
enforces. They must say the same: every policy has a row, every row but
cloisterd's (root, no policy) has a policy, and user, root and files agree."""
import os
import re

from harness import TOP

NO_POLICY = {"cloisterd"}   # the root supervisor confines nothing


def policies():
    """service -> {process, user, group, root, files} of every policy
    that names a service (sanitizer.policy is a fragment added to others)."""
    out = {}
    pdir = os.path.join(TOP, "policy")
    for name in sorted(os.listdir(pdir)):
        if not name.endswith(".policy"):
            continue
        keys = {}
        with open(os.path.join(pdir, name)) as f:
            for line in f:
                words = line.split("#", 1)[0].split()
                if len(words) >= 2 and words[0] in (
                        "service", "process", "user", "group", "root", "files"):
                    keys[words[0]] = words[1]
        if "service" in keys:
            out[keys["service"]] = dict(keys, file="policy/" + name)
    return out


def boundary_rows(text):
    """The rows of the first table under "## Boundaries", as dicts keyed by
    the header's column names."""
    section = text.split("\n## Boundaries", 1)[1].split("\n## ", 1)[0]
    lines = [l for l in section.splitlines() if l.startswith("|")]
    cells = [[c.strip() for c in l.strip().strip("|").split("|")] for l in lines]
    header, rows = cells[0], cells[2:]
    return [dict(zip(header, r)) for r in rows]


def first_word(cell):
    return cell.split()[0].strip("`") if cell.split() else ""


def disagreements(text, pols):
    found = []
    rows = boundary_rows(text)
    by_name = {p["process"]: s for s, p in pols.items()}
    seen = set()
    for row in rows:
        name = first_word(row["process"])
        service = name if name in pols else by_name.get(name)
        if service is None:
            if name not in NO_POLICY:
                found.append("SECURITY.md row %s has no policy" % name)
            continue
        seen.add(service)
        pol = pols[service]
        for column, key in (("runs as", "user"), ("root dir", "root"),
                            ("files", "files")):
            if first_word(row[column]) != pol.get(key):
                found.append("%s: SECURITY.md says %s %r, %s says %s %r" % (
                    name, column, first_word(row[column]), pol["file"], key,
                    pol.get(key)))
    for service in sorted(set(pols) - seen):
        found.append("%s has no row in SECURITY.md's boundary table"
                     % pols[service]["file"])
    return found


def security_md():
    with open(os.path.join(TOP, "SECURITY.md")) as f:
        return f.read()


def test_the_boundary_table_agrees_with_every_policy():
    pols = policies()
    assert len(pols) >= 6, "only %d policies found" % len(pols)
    found = disagreements(security_md(), pols)
    assert not found, "\n".join(found)


def test_the_comparison_sees_a_wrong_row():
    """A table edited out of step is caught (the check is not vacuous)."""
    text = security_md()
    pols = policies()
    wrong_user = re.sub(r"(\| imapd \| )cloister-imap ", r"\1cloister-mail ", text)
    wrong_root = text.replace("/var/lib/cloister/spool |", "/var/lib/cloister |")
    no_row = re.sub(r"^\| lmtpd \|.*\n", "", text, flags=re.M)
    for edited, what in ((wrong_user, "imapd"), (wrong_root, "stored"),
                         (no_row, "lmtpd")):
        assert edited != text
        assert any(what in d for d in disagreements(edited, pols)), what
