# SPDX-License-Identifier: MIT
"""tests/cluster/ reuses the e2e harness (daemonlib, etcdlib, clusterlib)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
