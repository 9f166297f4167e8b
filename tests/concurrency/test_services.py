"""8 processes × 100 updates of one incident through the service layer (update_incident
with the version each read): zero lost updates, conflicts only as StaleVersion. And the
negative control: the same work as plain read-modify-write loses updates, so the harness
does see a loss when there is one."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import pytest

from tests.concurrency import work
from tests.concurrency.harness import run_in, run_processes, size

pytestmark = pytest.mark.concurrency

PROCESSES = size("PROCESSES", 8)
UPDATES = size("UPDATES", 25)


def tokens_in(text: str) -> Counter[str]:
    return Counter(" " + part for part in text.split(" ")[1:])


def test_no_update_is_lost_through_the_services(shared: SimpleNamespace) -> None:
    incident = shared.incident
    results = run_processes(
        shared.url,
        work.update_through_services,
        [(p, incident.pk, shared.agent.pk, UPDATES) for p in range(PROCESSES)],
    )
    final = run_in(shared.url, work.incident_state, incident.pk)

    acknowledged = [t for result in results for t in result["done"]]
    print(
        "\nservices: %d×%d updates, %d conflicts (StaleVersion), %d lock waits retried"
        % (
            PROCESSES,
            UPDATES,
            sum(r["conflicts"] for r in results),
            sum(r["busy"] for r in results),
        )
    )
    assert len(acknowledged) == PROCESSES * UPDATES
    present = tokens_in(final["description"])
    assert [t for t in acknowledged if present[t] != 1] == []  # each exactly once
    assert sum(present.values()) == len(acknowledged)  # and nothing else
    assert final["version"] == incident.version + len(acknowledged)
    assert final["audits"] == len(acknowledged)
    # Each process's own updates appear in its own order.
    order = final["description"].split(" ")[1:]
    for p in range(PROCESSES):
        mine = [t for t in order if t.startswith("p%d-" % p)]
        assert mine == ["p%d-%d" % (p, step) for step in range(UPDATES)]


def test_the_negative_control_does_lose_updates(shared: SimpleNamespace) -> None:
    """Without the version check the same harness finds lost updates: it can detect them."""
    incident = shared.incident
    results = run_processes(
        shared.url,
        work.update_without_version,
        [(p, incident.pk, UPDATES) for p in range(PROCESSES)],
    )
    final = run_in(shared.url, work.incident_state, incident.pk)

    acknowledged = [t for result in results for t in result["done"]]
    present = tokens_in(final["description"])
    lost = [t for t in acknowledged if not present[t]]
    print("\nnegative control: %d of %d acknowledged updates lost" % (len(lost), len(acknowledged)))
    assert len(acknowledged) == PROCESSES * UPDATES
    assert len(lost) > 0
