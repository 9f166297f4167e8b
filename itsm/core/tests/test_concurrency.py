"""Many writers at once: numbers, transitions and edits stay correct under real concurrent
transactions (one database connection per thread)."""

from __future__ import annotations

import threading
import unittest
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import TransactionTestCase

from itsm.accounts.choices import Role, SupportTier
from itsm.accounts.models import SupportGroup
from itsm.core.exceptions import StaleVersion, TransitionNotAllowed
from itsm.core.services import next_number
from itsm.core.testing import make_user
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident, IncidentAssignment
from itsm.incidents.services import log_incident, transition_incident, update_incident


def run_at_once(count: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run `work(i)` in `count` threads released together; collect results and errors."""
    barrier = threading.Barrier(count)
    lock = threading.Lock()
    results: list[Any] = []
    errors: list[BaseException] = []

    def target(index: int) -> None:
        try:
            barrier.wait()
            result = work(index)
            with lock:
                results.append(result)
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


@unittest.skipUnless(
    connection.vendor == "postgresql",
    "the SQLite test database lives in memory and is shared by the threads without row"
    " locks; concurrency is proved on PostgreSQL, the engine for many processes",
)
class ConcurrencyTests(TransactionTestCase):
    """TransactionTestCase: the threads must see each other's commits."""

    def test_concurrent_writers_never_share_a_number_and_leave_no_gap(self) -> None:
        def take(_: int) -> list[str]:
            return [next_number("CON") for _ in range(25)]

        results, errors = run_at_once(8, take)
        self.assertEqual(errors, [])
        taken = sorted(n for batch in results for n in batch)
        self.assertEqual(taken, ["CON%07d" % n for n in range(1, 8 * 25 + 1)])

    def test_concurrent_incidents_get_distinct_numbers(self) -> None:
        agent = make_user("agent_c", Role.AGENT)

        def log(index: int) -> str:
            return log_incident({"title": "并发报修 %d" % index}, actor=agent).number

        results, errors = run_at_once(6, log)
        self.assertEqual(errors, [])
        self.assertEqual(len(set(results)), 6)

    def test_only_one_of_two_simultaneous_transitions_wins(self) -> None:
        agent = make_user("agent_t", Role.AGENT)
        group = SupportGroup.objects.create(name="桌面组", tier=SupportTier.FRONT_LINE)
        incident = log_incident({"title": "打印机故障"}, actor=agent)

        def assign(_: int) -> Incident:
            return transition_incident(
                incident, "assign", actor=agent, data={"assignment_group": group.pk}
            )

        results, errors = run_at_once(4, assign)
        self.assertEqual(len(results), 1)
        self.assertEqual(len(errors), 3)
        self.assertTrue(all(isinstance(e, TransitionNotAllowed) for e in errors), errors)
        incident.refresh_from_db()
        self.assertEqual((incident.status, incident.version), (IncidentStatus.ASSIGNED, 2))
        self.assertEqual(IncidentAssignment.objects.filter(incident=incident).count(), 1)

    def test_only_one_of_two_edits_from_the_same_version_wins(self) -> None:
        agent = make_user("agent_u", Role.AGENT)
        incident = log_incident({"title": "原标题"}, actor=agent)

        def edit(index: int) -> Incident:
            return update_incident(incident, {"title": "修改 %d" % index}, actor=agent, version=1)

        results, errors = run_at_once(4, edit)
        self.assertEqual(len(results), 1)
        self.assertEqual(len(errors), 3)
        self.assertTrue(all(isinstance(e, StaleVersion) for e in errors), errors)
        incident.refresh_from_db()
        self.assertEqual((incident.title, incident.version), (results[0].title, 2))
