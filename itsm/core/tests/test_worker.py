"""`itsm worker` runs the periodic sweeps listed in settings."""

from __future__ import annotations

import threading

from django.test import SimpleTestCase, override_settings
from django.utils.module_loading import import_string

from itsm.core.management.commands.worker import run_sweeps

CALLS: list[str] = []
STOP = threading.Event()


def sweep_once() -> None:
    CALLS.append("swept")
    STOP.set()


class WorkerSweepTests(SimpleTestCase):
    # run_sweeps closes stale connections between sweeps, which touches the connection
    # when an earlier test in this process opened it.
    databases = {"default"}

    @override_settings(ITSM_PERIODIC_JOBS=[("itsm.core.tests.test_worker.sweep_once", 60)])
    def test_it_runs_each_listed_sweep_until_stopped(self) -> None:
        CALLS.clear()
        STOP.clear()
        run_sweeps(STOP)
        self.assertEqual(CALLS, ["swept"])

    def test_every_configured_sweep_can_be_imported(self) -> None:
        from django.conf import settings

        for path, interval in settings.ITSM_PERIODIC_JOBS:
            with self.subTest(path=path):
                self.assertTrue(callable(import_string(path)))
                self.assertGreater(interval, 0)
