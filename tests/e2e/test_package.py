# SPDX-License-Identifier: MIT
"""The Debian package (issue 14): `make deb` builds build/deb/asyncfg_<version>_<arch>.deb with
dpkg-buildpackage from the objects already in build/; it installs (dpkg -x into a scratch root)
the binaries, the unit, tmpfiles, the configuration as a conffile, the manual pages, the README
where the unit's Documentation= points, and whatever deploy/ holds of Prometheus rules and
Grafana dashboards; lintian finds no error in it."""

import glob
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, ROOT

VERSION = open(os.path.join(ROOT, "VERSION")).read().strip()


def make_env():
    """The environment of a plain `make` in ROOT (not the one of the make that runs pytest)."""
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "SANITIZE"):
        env.pop(k, None)
    return env


@pytest.fixture(scope="module")
def deb():
    if os.path.basename(os.path.normpath(BUILD)) == "san":
        pytest.skip("the package is built from the plain build, not the sanitizer one")
    for tool in ("dpkg-buildpackage", "dh"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing (make deps installs dpkg-dev and debhelper)")
    arch = subprocess.run(["dpkg-architecture", "-qDEB_HOST_ARCH"], capture_output=True,
                          text=True, check=True).stdout.strip()
    p = subprocess.run(["make", "-s", "-C", ROOT, "deb"], capture_output=True, text=True,
                       env=make_env(), timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    path = os.path.join(ROOT, "build", "deb", f"asyncfg_{VERSION}_{arch}.deb")
    assert os.path.exists(path), p.stdout
    return path


def test_changelog_version_is_the_version():
    first = open(os.path.join(ROOT, "debian/changelog")).readline()
    assert first.startswith(f"asyncfg ({VERSION}) "), first


def test_package_installs_every_file(deb, tmp_path):
    subprocess.run(["dpkg", "-x", deb, str(tmp_path)], check=True)
    files = {os.path.relpath(p, tmp_path) for p in glob.glob(f"{tmp_path}/**", recursive=True)
             if os.path.isfile(p)}
    expected = {"usr/bin/asyncfgd", "usr/bin/asyncfg", "lib/systemd/system/asyncfgd.service",
                "usr/lib/tmpfiles.d/asyncfg.conf", "etc/asyncfg/asyncfgd.yaml",
                "usr/share/doc/asyncfg/README.md", "usr/share/doc/asyncfg/copyright",
                "usr/share/man/man8/asyncfgd.8.gz", "usr/share/man/man1/asyncfg.1.gz",
                "usr/share/man/man5/asyncfg.yaml.5.gz", "usr/share/man/man5/asyncfg-desired.5.gz"}
    for src in glob.glob(os.path.join(ROOT, "deploy/*.rules.yaml")) + \
            glob.glob(os.path.join(ROOT, "deploy/prometheus/*.y*ml")):
        expected.add(f"usr/share/asyncfg/prometheus/{os.path.basename(src)}")
    for src in glob.glob(os.path.join(ROOT, "deploy/grafana/*.json")):
        expected.add(f"usr/share/asyncfg/grafana/{os.path.basename(src)}")
    assert expected <= files, sorted(expected - files)
    assert os.path.isdir(tmp_path / "etc/asyncfg/desired.d")
    assert os.access(tmp_path / "usr/bin/asyncfgd", os.X_OK)
    unit = (tmp_path / "lib/systemd/system/asyncfgd.service").read_text()
    assert "ExecStart=/usr/bin/asyncfgd --config /etc/asyncfg/asyncfgd.yaml\n" in unit
    assert "ExecStartPre=/usr/bin/asyncfg validate --config /etc/asyncfg/asyncfgd.yaml\n" in unit
    assert "file:///usr/share/doc/asyncfg/README.md" in unit
    assert not re.search(r"@[A-Z]+@", unit), unit
    assert (tmp_path / "etc/asyncfg/asyncfgd.yaml").read_text() == \
        open(os.path.join(ROOT, "config/asyncfgd.yaml")).read()
    p = subprocess.run([str(tmp_path / "usr/bin/asyncfg"), "--version"], capture_output=True,
                       text=True, check=True)
    assert p.stdout == f"asyncfg {VERSION}\n"


def test_configuration_is_a_conffile(deb, tmp_path):
    """dpkg never overwrites an edited conffile on upgrade (it asks, or keeps it)."""
    subprocess.run(["dpkg-deb", "-e", deb, str(tmp_path)], check=True)
    assert (tmp_path / "conffiles").read_text().split() == ["/etc/asyncfg/asyncfgd.yaml"]
    control = (tmp_path / "control").read_text()
    assert f"Version: {VERSION}\n" in control
    assert "Depends: " in control and "libsystemd0" in control
    # debhelper's snippets: tmpfiles created and the unit enabled on install.
    postinst = (tmp_path / "postinst").read_text()
    assert "systemd-tmpfiles" in postinst and "asyncfgd.service" in postinst


def test_lintian_finds_no_error(deb):
    if shutil.which("lintian") is None:
        pytest.skip("lintian is missing (make deps installs it)")
    p = subprocess.run(["lintian", "--suppress-tags", "running-with-root-privileges", deb],
                       capture_output=True, text=True, timeout=300)
    errors = [line for line in p.stdout.splitlines() if line.startswith("E:")]
    assert errors == [], p.stdout
    print(p.stdout)
