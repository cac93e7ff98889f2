"""The documents stay true: every IPC message type is documented and the
documents list no message the code does not have (docs/design.md, "one
enum, one version"); the tree points at its own documents, never at a
file or a tracker outside it."""
import os
import re

from harness import TOP, tree_files

DOC_FOR_HEADER = {
    "ipc_types.h": "docs/ipc.md",
    "ipc_types_ctl.h": "docs/ipc.md",
    "ipc_types_auth.h": "docs/auth-protocol.md",
    "ipc_types_store.h": "docs/store-protocol.md",
    "ipc_types_key.h": "docs/keyd.md",
}


def names_in(header):
    with open(os.path.join(TOP, "common", header)) as f:
        return re.findall(r"\bX\((\w+),\s*(\d+)\)", f.read())


def test_every_message_type_is_documented_with_its_value():
    for header, doc in DOC_FOR_HEADER.items():
        with open(os.path.join(TOP, doc)) as f:
            text = f.read()
        for name, value in names_in(header):
            row = re.search(r"^\|\s*%s\s*\|\s*%s\s*\|" % (name, value), text, re.M)
            assert row, "%s (%s) from %s is not in %s" % (name, value, header, doc)


def test_documents_name_no_unknown_message():
    known = {n for h in DOC_FOR_HEADER for n, _ in names_in(h)}
    for doc in set(DOC_FOR_HEADER.values()):
        with open(os.path.join(TOP, doc)) as f:
            for name in re.findall(r"^\|\s*([A-Z][A-Z_]+)\s*\|\s*\d+\s*\|", f.read(), re.M):
                assert name in known, "%s documents %s, which the code lacks" % (doc, name)


# What a reference outside the tree looks like: a design or style file that
# is not in docs/, a path beside the checkout, a tracker's issue number, a
# numbered habit of an outside list. Written in pieces so that this file
# does not match itself.
OUTSIDE_REFERENCE = re.compile("|".join([
    r"DESIGN" + r"\.md", r"STYLE" + r"\.md", r"BRI" + r"EF",
    r"\.\./" + r"shared", r"/work/" + r"shared",
    r"[Ii]ssue" + r" #?[0-9]", r"[Hh]abit" + r"s? [0-9]",
]))

# Test data that only looks like a reference: the Subject of the MIME
# corpus's mailing-list digest, in the corpus and its copies.
DATA_EXEMPT = ("tests/mime/", "tests/fuzz/seeds/mime/")
DATA_PHRASE = "List digest, Vol 1, " + "Issue" + " 2"


def outside_references():
    found = []
    for rel in tree_files():
        with open(os.path.join(TOP, rel), "rb") as f:
            data = f.read()
        if b"\0" in data:
            continue
        text = data.decode("utf-8", "replace")
        for n, line in enumerate(text.splitlines(), 1):
            if not OUTSIDE_REFERENCE.search(line):
                continue
            if rel.startswith(DATA_EXEMPT) and DATA_PHRASE in line \
                    and not OUTSIDE_REFERENCE.search(line.replace(DATA_PHRASE, "")):
                continue
            found.append("%s:%d: %s" % (rel, n, line.strip()))
    return found


def test_the_tree_points_only_at_its_own_documents():
    found = outside_references()
    assert not found, "references outside the tree (point at docs/ instead):\n" \
        + "\n".join(found)


def docs_index_links():
    with open(os.path.join(TOP, "docs", "README.md")) as f:
        return re.findall(r"\]\(([^)#]+)\)", f.read())


def test_the_docs_index_lists_every_document_and_only_real_ones():
    links = docs_index_links()
    listed = {os.path.normpath(os.path.join("docs", l)) for l in links}
    for name in sorted(os.listdir(os.path.join(TOP, "docs"))):
        if name.endswith(".md") and name != "README.md":
            assert "docs/" + name in listed, \
                "docs/%s is not in the reading list of docs/README.md" % name
    for link in links:
        assert os.path.exists(os.path.join(TOP, "docs", link)), \
            "docs/README.md links %s, which does not exist" % link


# `path/file.c:function` in request-path.md: the file and the function's
# definition (its name at the start of a line, the code's style) must exist.
HOP = re.compile(r"`([\w./-]+\.[ch]):(\w+)`")


def request_path_hops():
    with open(os.path.join(TOP, "docs", "request-path.md")) as f:
        return HOP.findall(f.read())


def missing_hops(hops):
    missing = []
    for path, func in hops:
        full = os.path.join(TOP, path)
        if not os.path.isfile(full):
            missing.append("%s:%s (no such file)" % (path, func))
            continue
        with open(full) as f:
            if not re.search(r"^%s\(" % re.escape(func), f.read(), re.M):
                missing.append("%s:%s (no such function there)" % (path, func))
    return missing


def test_every_hop_of_the_request_path_exists():
    hops = request_path_hops()
    assert len(hops) >= 20, "request-path.md names only %d hops" % len(hops)
    missing = missing_hops(hops)
    assert not missing, "docs/request-path.md names code that is gone:\n" \
        + "\n".join(missing)


# A path into the tree, as the documents write them ("store/chan.c",
# "tests/unit/test_ipc.c::test_malformed"); one followed by "*" or "{" is a
# pattern, not a path.
TREE_PATH = re.compile(
    r"(?<![\w/.$-])((?:common|sandbox|policy|supervisor|workers|store|"
    r"snmpd-helper|ctl|tests|bench|docs|scripts)/[\w./-]*[\w/])(?![*{\w])")


def documents():
    out = ["README.md", "SECURITY.md"]
    for rel in tree_files():
        if (rel.startswith("docs/") and rel.endswith(".md")) or \
                rel.endswith("/README.md"):
            out.append(rel)
    return sorted(out)


def dead_paths(doc, text):
    dead = []
    for n, line in enumerate(text.splitlines(), 1):
        for path in TREE_PATH.findall(line):
            if not any(os.path.exists(os.path.join(TOP, base, path))
                       for base in ("", os.path.dirname(doc))):
                dead.append("%s:%d: %s" % (doc, n, path))
    return dead


def test_every_path_the_documents_name_exists():
    dead = []
    for doc in documents():
        with open(os.path.join(TOP, doc)) as f:
            dead += dead_paths(doc, f.read())
    assert not dead, "documents name files that are gone:\n" + "\n".join(dead)
    assert dead_paths("docs/x.md", "see `store/gone.c` and store/chan.c"), \
        "the check must see a dead path"
