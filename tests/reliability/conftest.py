# SPDX-License-Identifier: MIT
"""Fixtures of the reliability suites (RELIABILITY.md): they reuse the daemon's end-to-end
helpers (tests/e2e/daemonlib.py) and add what the suites share (rellib.py)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))

from daemonlib import fake  # noqa: E402,F401
