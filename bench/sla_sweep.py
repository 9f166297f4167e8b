"""The SLA sweep at scale: N open incidents (default 100,000) with their SLA and OLA clocks,
swept as `itsm worker` sweeps every minute. Target (issue 3, item 13): one sweep over
100,000 open incidents in at most 1 s, on SQLite and on PostgreSQL.

    python -m bench.sla_sweep                                     # var/bench-sla.sqlite3
    python -m bench.sla_sweep --database-url postgres://postgres@127.0.0.1:5432/bench_sla

The data lives in a database of its own (never the application's, never the read bench's):
the demo's organisation and service levels, then N open incidents reported over the last
five days (P1 1 %, P2 9 %, P3 60 %, P4 30 %; a tenth of them pending on the requester),
each with the clocks the engine would have started, written in bulk. A first sweep
catches up with everything already due (its time and size are printed, not targeted);
then the clock is moved on a minute at a time and each minute's sweep is timed, as the
worker runs it. A rerun reuses the data and goes on from the minute the last run reached."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from bench.__main__ import PROJECT, check_database_url, say

DEFAULT_URL = "sqlite:///" + str(PROJECT / "var" / "bench-sla.sqlite3")
META_TABLE = "bench_sla_meta"
VERSION = "1"
PRIORITIES = ((1, 1), (2, 9), (3, 60), (4, 30))  # (priority, weight)
BATCH = 5000
IMPACT_URGENCY = {1: (1, 1), 2: (1, 2), 3: (2, 2), 4: (3, 2)}  # ITIL's matrix


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.sla_sweep")
    parser.add_argument("--open", type=int, default=100_000, help="open incidents")
    parser.add_argument(
        "--database-url", default=os.environ.get("ITSM_BENCH_SLA_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument("--minutes", type=int, default=30, help="timed one-minute sweeps")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def meta() -> dict[str, str]:
    from bench.generate import read_meta

    return read_meta(META_TABLE) or {}


def write_meta(values: dict[str, str]) -> None:
    from bench import generate

    generate.write_meta(values, META_TABLE)


def generate(n: int, seed: int, now: datetime) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection, transaction

    from bench.generate import fast_writes, load_organisation, reset_database
    from itsm.accounts.models import SupportGroup, User
    from itsm.cmdb.models import Service
    from itsm.demo.service_levels import load_service_levels
    from itsm.incidents.choices import IncidentPendingReason, IncidentStatus
    from itsm.incidents.models import Incident
    from itsm.sla.choices import ClockMetric, ClockStopReason
    from itsm.sla.models import Clock, EscalationFiring
    from itsm.sla.services import (
        METRICS,
        _new_clock,
        _pause,
        _rule_instant,
        _rules,
        _schedule,
        _stop,
        find_group_agreements,
        find_sla,
        one_reading,
    )

    if connection.introspection.table_names():
        if META_TABLE not in connection.introspection.table_names():
            raise SystemExit("This database holds data the bench did not generate.")
        reset_database()
    call_command("migrate", verbosity=0, interactive=False)
    write_meta({"state": "generating"})
    fast_writes()
    rng = random.Random(seed)
    organisation = load_organisation(rng)
    users = {u.username: u for u in User.objects.all()}
    groups = {g.name: g for g in SupportGroup.objects.all()}
    services = {s.code: s for s in Service.objects.all()}
    load_service_levels(users, groups, services, now)
    groups_by_pk = {g.pk: g for g in groups.values()}
    front = list(organisation.front.items())
    service_ids = list(organisation.services.values())
    content_type = ContentType.objects.get_for_model(Incident)
    started = time.monotonic()
    with one_reading():
        for first in range(1, n + 1, BATCH):
            incidents: list[Incident] = []
            clocks: list[Clock] = []
            firings: list[tuple[Clock, int]] = []
            for pk in range(first, min(n, first + BATCH - 1) + 1):
                reported = now - timedelta(seconds=rng.uniform(60, 5 * 86400))
                priority = rng.choices([p for p, _ in PRIORITIES], [w for _, w in PRIORITIES])[0]
                group_id, members = rng.choice(front)
                requester, department = rng.choice(organisation.requesters)
                pending = rng.random() < 0.1
                responded = reported + timedelta(minutes=rng.uniform(1, 30))
                incident = Incident(
                    pk=pk,
                    number="INC%07d" % pk,
                    title="bench %d" % pk,
                    status=IncidentStatus.PENDING if pending else IncidentStatus.IN_PROGRESS,
                    pending_reason=IncidentPendingReason.REQUESTER if pending else "",
                    impact=IMPACT_URGENCY[priority][0],
                    urgency=IMPACT_URGENCY[priority][1],
                    priority=priority,
                    requester_id=requester,
                    department_id=department,
                    service_id=rng.choice(service_ids),
                    assignment_group_id=group_id,
                    assignee_id=rng.choice(members),
                    reported_at=reported,
                    created_at=reported,
                    updated_at=reported,
                    responded_at=responded,
                )
                incident.assignment_group = groups_by_pk[group_id]
                mine: list[Clock] = []
                sla = find_sla(incident)
                if sla is not None:
                    mine += [_new_clock(incident, sla, m, reported, None) for m in METRICS]
                for agreement in find_group_agreements(
                    incident, incident.assignment_group, reported
                ):
                    mine += [
                        _new_clock(incident, agreement, m, reported, incident.assignment_group)
                        for m in METRICS
                    ]
                for clock in mine:
                    clock.content_type = content_type
                    if clock.metric == ClockMetric.RESPONSE:
                        _stop(clock, responded, ClockStopReason.RESPONDED)
                    elif pending:
                        _pause(clock, reported + (responded - reported) * 2)
                    else:
                        # As if the worker had been sweeping all along: what was due is done.
                        fired = {r.pk for r in _rules(clock) if _rule_instant(clock, r) <= now}
                        firings.extend((clock, rule) for rule in fired)
                        if clock.due_at is not None and clock.due_at <= now:
                            clock.breached_at = clock.due_at
                        _schedule(clock, fired)
                sla_clocks = {c.metric: c for c in mine if c.kind == "sla"}
                if ClockMetric.RESOLUTION in sla_clocks:
                    incident.resolution_due_at = sla_clocks[ClockMetric.RESOLUTION].due_at
                    incident.response_due_at = sla_clocks[ClockMetric.RESPONSE].due_at
                    incident.sla_paused = pending
                incidents.append(incident)
                clocks += mine
            with transaction.atomic():
                Incident.objects.bulk_create(incidents, batch_size=1000)
                Clock.objects.bulk_create(clocks, batch_size=2000)
                EscalationFiring.objects.bulk_create(
                    (EscalationFiring(clock=c, rule_id=rule, fired_at=now) for c, rule in firings),
                    batch_size=5000,
                )
            done = min(n, first + BATCH - 1)
            say("  %7d open incidents (%.0f/s)" % (done, done / (time.monotonic() - started)))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def busiest_minute(start: datetime, end: datetime) -> tuple[datetime | None, int]:
    """The minute in [start, end) when most clocks have an escalation due."""
    from django.db.models import Count
    from django.db.models.functions import TruncMinute

    from itsm.sla.models import Clock

    row = (
        Clock.objects.filter(next_escalation_at__gte=start, next_escalation_at__lt=end)
        .annotate(minute=TruncMinute("next_escalation_at"))
        .values("minute")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    if row is None:
        return None, 0
    return row["minute"] + timedelta(seconds=59), row["n"]


def timed_sweep(at: datetime) -> tuple[float, Any]:
    from itsm.incidents.services import escalate_incidents

    started = time.perf_counter()
    result = escalate_incidents(at)
    return time.perf_counter() - started, result


def main(argv: list[str]) -> None:
    args = parse_args(argv)
    check_database_url(args.database_url)
    os.environ["ITSM_DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from itsm.incidents.choices import OPEN_STATUSES
    from itsm.incidents.models import Incident
    from itsm.sla.models import Clock

    say("SLA sweep bench: %s (%s)" % (args.database_url, connection.vendor))
    current = meta()
    if (
        args.regenerate
        or current.get("state") != "complete"
        or current.get("open") != str(args.open)
        or current.get("version") != VERSION
    ):
        now = timezone.now().replace(microsecond=0)
        say("Generating %d open incidents with their clocks …" % args.open)
        started = time.monotonic()
        generate(args.open, args.seed, now)
        say("  generated in %.0f s" % (time.monotonic() - started))
        seconds, result = timed_sweep(now)
        say(
            "First sweep: %.1f s, %d clocks, %d escalations, %d breaches"
            % (seconds, result.clocks, result.fired, result.breached)
        )
        current = {
            "state": "complete",
            "open": str(args.open),
            "version": VERSION,
            "at": now.isoformat(),
        }
        write_meta(current)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)  # new indexes, reused data
    at = datetime.fromisoformat(current["at"])
    open_count = Incident.objects.filter(status__in=OPEN_STATUSES).count()
    running = Clock.objects.running().count()
    say("%d open incidents, %d running clocks" % (open_count, running))
    durations: list[float] = []
    fired = 0
    for _ in range(args.minutes):
        at += timedelta(minutes=1)
        seconds, result = timed_sweep(at)
        durations.append(seconds)
        fired += result.fired
    write_meta({**current, "at": at.isoformat()})
    durations.sort()
    p95 = durations[max(0, round(0.95 * len(durations)) - 1)]
    say(
        "One-minute sweeps: %d runs, p50 %.0f ms, p95 %.0f ms, max %.0f ms; %.1f escalations "
        "per minute (target: ≤ 1 s per sweep)"
        % (
            len(durations),
            1000 * statistics.median(durations),
            1000 * p95,
            1000 * durations[-1],
            fired / max(1, len(durations)),
        )
    )
    busiest, _ = busiest_minute(at, at + timedelta(days=1))
    if busiest is not None:
        timed_sweep(busiest - timedelta(minutes=1))  # the day before it, untimed
        seconds, result = timed_sweep(busiest)
        write_meta({**current, "at": busiest.isoformat()})
        say(
            "Busiest minute of the next day (%s, working hours ending together): "
            "%d escalations in %.0f ms"
            % (timezone.localtime(busiest).strftime("%H:%M"), result.fired, 1000 * seconds)
        )


if __name__ == "__main__":
    main(sys.argv[1:])
