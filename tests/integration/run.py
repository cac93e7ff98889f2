#!/usr/bin/env python3
"""Run the integration tests: every test_* function in tests/integration/
test_*.py, or what the command line names: a module (test_store_mail) runs
all its tests, module::test (test_store_mail::test_append) runs one. Prints
one line per test and ends with "N passed, N failed"."""
import importlib
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    names = argv or sorted(f[:-3] for f in os.listdir(here)
                           if f.startswith("test_") and f.endswith(".py"))
    from harness import Skip
    passed = failed = skipped = 0
    for arg in names:
        modname, _, only = arg.partition("::")
        mod = importlib.import_module(modname)
        tests = [(n, getattr(mod, n)) for n in dir(mod)
                 if n.startswith("test_") and callable(getattr(mod, n))
                 and (not only or n == only)]
        if only and not tests:
            print("FAIL %s: no test %s in %s" % (arg, only, modname))
            failed += 1
            continue
        tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
        for name, fn in tests:
            t0 = time.time()
            try:
                fn()
            except Skip as e:
                skipped += 1
                print("SKIP %s.%s: %s" % (modname, name, e))
            except Exception:
                failed += 1
                print("FAIL %s.%s (%.1fs)" % (modname, name, time.time() - t0))
                traceback.print_exc(file=sys.stdout)
            else:
                passed += 1
                print("ok   %s.%s (%.1fs)" % (modname, name, time.time() - t0))
            sys.stdout.flush()
    if skipped:
        print("%d skipped" % skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
