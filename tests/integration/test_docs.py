"""Habit 1 of STYLE.md: every IPC message type is documented, and the
documents list no message the code does not have."""
import os
import re

from harness import TOP

DOC_FOR_HEADER = {
    "ipc_types.h": "docs/ipc.md",
    "ipc_types_ctl.h": "docs/ipc.md",
    "ipc_types_auth.h": "docs/auth-protocol.md",
    "ipc_types_store.h": "docs/store-protocol.md",
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
