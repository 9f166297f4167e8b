"""Issue 7, item 14, small: three rounds of the crash harness (bench/crash.py) on SQLite.
Under a create load through the API, `itsm serve` is killed with SIGKILL at a random
moment; after each restart every incident acknowledged with a 201 is there with its audit
entry, its notification and its queued e-mail task, and SQLite's integrity check is ok.
`make crashtest` runs the full 20 rounds, and on a private PostgreSQL also kills the
database server."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from django.test import SimpleTestCase

PROJECT = Path(__file__).resolve().parent.parent.parent


class CrashSafetyTests(SimpleTestCase):
    def test_nothing_acknowledged_is_lost_when_the_server_is_killed(self) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "bench.crash", "--rounds", "3", "--clients", "2"],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = done.stdout + done.stderr
        self.assertEqual(done.returncode, 0, output[-3000:])
        summary = re.search(r"(\d+) acknowledged, (\d+) verified, lost (\d+)", output)
        assert summary is not None, output[-3000:]
        acknowledged, verified, lost = (int(n) for n in summary.groups())
        self.assertGreater(acknowledged, 0, "the load acknowledged nothing: nothing was tested")
        self.assertEqual((verified, lost), (acknowledged, 0))
        rounds = re.findall(r"^round +\d+: .*, integrity (\w+)$", output, re.MULTILINE)
        self.assertEqual(rounds, ["ok", "ok", "ok"], output[-3000:])
