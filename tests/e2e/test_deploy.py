"""The shipped systemd unit: installs with PREFIX/DESTDIR and stays hardened."""
import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_install_honours_prefix_and_destdir(tmp_path):
    subprocess.run(["make", "-s", "-C", ROOT, "install", f"DESTDIR={tmp_path}", "PREFIX=/opt/af",
                    "SYSCONFDIR=/opt/af/etc"], check=True, capture_output=True)
    for rel in ("opt/af/bin/asyncfgd", "opt/af/bin/asyncfg", "opt/af/etc/asyncfg/asyncfgd.yaml",
                "opt/af/lib/systemd/system/asyncfgd.service", "opt/af/lib/tmpfiles.d/asyncfg.conf"):
        assert (tmp_path / rel).exists(), rel
    unit = (tmp_path / "opt/af/lib/systemd/system/asyncfgd.service").read_text()
    assert "ExecStart=/opt/af/bin/asyncfgd" in unit
    assert "@BINDIR@" not in unit


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_unit_is_hardened(tmp_path):
    unit = tmp_path / "asyncfgd.service"
    text = open(os.path.join(ROOT, "deploy/asyncfgd.service")).read().replace("@BINDIR@", "/usr/bin")
    unit.write_text(text)
    for needle in ("Type=notify", "WatchdogSec=", "DynamicUser=yes", "StateDirectory=",
                   "ProtectSystem=strict", "CapabilityBoundingSet=\n",
                   "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                   "SystemCallFilter=@system-service", "ExecReload="):
        assert needle in text, needle
    out = subprocess.run(["systemd-analyze", "security", "--offline=true", str(unit)],
                         capture_output=True, text=True)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out.stdout + out.stderr)
    assert m, out.stdout + out.stderr
    assert float(m.group(1)) <= 2.0, out.stdout


def test_install_keeps_an_edited_configuration(tmp_path):
    """Re-running make install never overwrites /etc/asyncfg/asyncfgd.yaml: the shipped one goes
    next to it as asyncfgd.yaml.dist (issue 14)."""
    args = ["make", "-s", "-C", ROOT, "install", f"DESTDIR={tmp_path}", "PREFIX=/usr",
            "SYSCONFDIR=/etc"]
    subprocess.run(args, check=True, capture_output=True)
    config = tmp_path / "etc/asyncfg/asyncfgd.yaml"
    shipped = open(os.path.join(ROOT, "config/asyncfgd.yaml")).read()
    assert config.read_text() == shipped
    assert not (tmp_path / "etc/asyncfg/asyncfgd.yaml.dist").exists()
    config.write_text(shipped + "# edited by the operator\n")
    p = subprocess.run(args, check=True, capture_output=True, text=True)
    assert config.read_text() == shipped + "# edited by the operator\n"
    assert (tmp_path / "etc/asyncfg/asyncfgd.yaml.dist").read_text() == shipped
    assert "asyncfgd.yaml exists, left alone" in p.stdout
    # What the unit's Documentation= names is installed too.
    for rel in ("usr/share/doc/asyncfg/README.md", "usr/share/man/man8/asyncfgd.8",
                "usr/share/man/man1/asyncfg.1", "usr/share/man/man5/asyncfg.yaml.5",
                "usr/share/man/man5/asyncfg-desired.5"):
        assert (tmp_path / rel).exists(), rel
    unit = (tmp_path / "usr/lib/systemd/system/asyncfgd.service").read_text()
    assert "file:///usr/share/doc/asyncfg/README.md" in unit
    assert "--config /etc/asyncfg/asyncfgd.yaml" in unit
