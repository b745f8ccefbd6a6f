# SPDX-License-Identifier: MIT
"""make demo's script runs to the end, leaves no emulator behind and no temporary directory."""

import glob
import os
import subprocess

from conftest import BUILD, ROOT


def test_demo(tmp_path):
    env = {**os.environ, "ASYNCFG_BUILD_DIR": BUILD, "TMPDIR": str(tmp_path), "NO_COLOR": "1"}
    r = subprocess.run([os.path.join(ROOT, "tests", "demo")], capture_output=True, text=True,
                       timeout=60, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert "Plan: 0 to create, 0 to update, 6 in sync, 0 errors." in r.stdout
    assert "maxRetryAttempts: 2 → 1   (drift)" in r.stdout
    assert "Demo finished successfully" in r.stdout
    assert "fakesecret" not in r.stdout + r.stderr
    assert glob.glob(str(tmp_path / "asyncfg-demo.*")) == []
