"""One home per kind of test: C unit tests live in tests/unit/ and fuzz
targets in tests/fuzz/ beside their seeds, and tests/meson.build (with
tests/fuzz/meson.build) is the only build file that registers them, so a
reader finds every test of a kind in one place."""
import os
import re

from harness import TOP, tree_files

TEST_CALL = re.compile(r"(?<![\w.])test\s*\(")


def code_of(path):
    """The build file's text without its comments."""
    with open(os.path.join(TOP, path)) as f:
        return "\n".join(line.split("#", 1)[0] for line in f)


def misplaced():
    found = []
    for rel in tree_files():
        name = os.path.basename(rel)
        home = os.path.dirname(rel)
        if name == "meson.build" and not rel.startswith("tests/"):
            code = code_of(rel)
            if TEST_CALL.search(code):
                found.append("%s registers a test (tests/meson.build does)" % rel)
            if "fuzz_" in code:
                found.append("%s builds a fuzz target (tests/fuzz/meson.build does)" % rel)
        elif re.fullmatch(r"test_\w+\.c", name) and home != "tests/unit":
            found.append("%s: C unit tests live in tests/unit/" % rel)
        elif re.fullmatch(r"fuzz_\w+\.c", name) and home != "tests/fuzz":
            found.append("%s: fuzz targets live in tests/fuzz/" % rel)
    return found


def unregistered():
    found = []
    unit_build = code_of("tests/meson.build")
    for name in sorted(os.listdir(os.path.join(TOP, "tests", "unit"))):
        m = re.fullmatch(r"test_(\w+)\.c", name)
        if m and "'%s'" % m.group(1) not in unit_build \
                and "unit/%s" % name not in unit_build:
            found.append("tests/unit/%s is not registered in tests/meson.build" % name)
    fuzz_dir = os.path.join(TOP, "tests", "fuzz")
    fuzz_build = code_of("tests/fuzz/meson.build")
    for name in sorted(os.listdir(fuzz_dir)):
        m = re.fullmatch(r"fuzz_(\w+)\.c", name)
        if not m:
            continue
        target = m.group(1)
        if "'%s'" % target not in fuzz_build and name not in fuzz_build:
            found.append("tests/fuzz/%s is not built by tests/fuzz/meson.build" % name)
        seeds = os.path.join(fuzz_dir, "seeds", target)
        if not os.path.isdir(seeds) or not os.listdir(seeds):
            found.append("tests/fuzz/%s has no seeds in tests/fuzz/seeds/%s"
                         % (name, target))
    return found


def test_unit_tests_and_fuzz_targets_live_and_are_registered_in_tests():
    found = misplaced()
    assert not found, "\n".join(found)


def test_every_unit_test_and_fuzz_target_is_registered_with_its_seeds():
    found = unregistered()
    assert not found, "\n".join(found)
