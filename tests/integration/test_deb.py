"""The Debian package (debian/): scripts/deb-test builds it with
dpkg-buildpackage from a copy of the tree (lintian: no error), then, in a
copy-on-write view of this machine's root inside namespaces of its own,
installs it with apt, serves IMAPS, STARTTLS and LMTP with the shipped
config to a user made with cloisterctl, has cloister-audit pass the
running tree, removes it (prerm stops cloisterd, state stays) and purges it
(no account, state, config or libexec dir left). 1 to 2.5 minutes on
2 vCPUs."""
import os
import re
import shutil
import subprocess

from harness import TOP, Skip


def test_package_builds_installs_serves_and_purges_clean():
    if shutil.which("dpkg-buildpackage") is None:
        raise Skip("dpkg-buildpackage is absent (apt-get install dpkg-dev "
                   "debhelper lintian, or scripts/install-deps --test)")
    if os.environ.get("ASAN_OPTIONS"):
        # the package is built from the tree, not from CLOISTER_BUILD: the
        # sanitizer pass would build and test the same .deb a second time
        raise Skip("the package is tested once, in the normal build's pass")
    r = subprocess.run(["bash", os.path.join(TOP, "scripts", "deb-test")],
                       capture_output=True, text=True, timeout=900)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-6000:]
    m = re.search(r"^deb-test: (\d+) checks passed$", r.stdout, re.M)
    # every stage ran: install, config, serving, remove and purge checks
    assert m and int(m.group(1)) >= 50, out[-3000:]
