"""Bench data: N incidents with their timelines (audit entries, routing hops, comments),
written straight into the tables with bulk inserts in batches.

This deliberately bypasses the service layer: a million incidents through log_incident and
transition_incident would take hours. The rows have the shape the services write (the same
actions, field changes, hops and timestamps), which is what the measured queries read; the
demo (`itsm demo`) is the place where every record goes through the services.

The organisation comes from the demo's own loaders (departments, people, groups, services,
CIs), plus a couple of thousand extra requesters so that requester filters look like a big
hospital's. A `bench_meta` table records what was generated: a database with incidents but
without it is not a bench database and is never touched."""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from itsm.accounts.choices import DepartmentKind, Role, SupportTier
from itsm.accounts.models import Department, SupportGroup, User, Vendor
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.audit_chain import seal_audit
from itsm.core.choices import CommentVisibility
from itsm.core.models import AuditEntry, Comment, Notification, NumberSequence
from itsm.demo.catalogue import load_configuration_items, load_services
from itsm.demo.faults import FAULTS
from itsm.demo.hospital import load_departments, load_users, load_vendors_and_groups
from itsm.incidents.choices import (
    IncidentChannel,
    IncidentPendingReason,
    IncidentResolutionCode,
    IncidentRoutingKind,
    IncidentStatus,
)
from itsm.incidents.models import Incident, IncidentAssignment

GENERATOR_VERSION = "1"
META_TABLE = "bench_meta"
BATCH = 5000
EXTRA_REQUESTERS = 2000
INCIDENTS_PER_DAY = 600  # a large hospital group's desk; sets how many days N spans
NOTIFICATION_DAYS = 30  # in-app notifications are generated for the last month only
S = IncidentStatus
PENDING_REASONS = [str(v) for v in IncidentPendingReason.values]
RESOLUTION_CODES = [str(v) for v in IncidentResolutionCode.values[:4]]
Say = Callable[[str], None]


# --------------------------------------------------------------------------------------
# The bench_meta marker


def read_meta(table: str = META_TABLE) -> dict[str, str] | None:
    """What was generated into this database, or None if it is not a bench database. The
    other benches (SLA sweep, CMDB impact) keep their marker in a table of their own."""
    if table not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, value FROM %s" % table)
        return dict(cursor.fetchall())


def write_meta(values: dict[str, str], table: str = META_TABLE) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS %s (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)"
            % table
        )
        cursor.execute("DELETE FROM %s" % table)
        for key, value in values.items():
            cursor.execute("INSERT INTO %s (key, value) VALUES (%%s, %%s)" % table, [key, value])


def holds_other_data() -> bool:
    """True for a database with people or incidents that the bench did not make: somebody's
    real or demo data, which the bench must never overwrite."""
    tables = connection.introspection.table_names()
    if META_TABLE in tables:
        return False
    if User._meta.db_table in tables and User.objects.exists():
        return True
    return Incident._meta.db_table in tables and Incident.objects.exists()


def reset_database() -> None:
    """Start from an empty database: the SQLite file is deleted; on PostgreSQL the public
    schema is dropped and made again. Only ever called on a bench database."""
    if connection.vendor == "sqlite":
        name = Path(str(settings.DATABASES["default"]["NAME"]))
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(name) + suffix).unlink(missing_ok=True)
    else:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")


# --------------------------------------------------------------------------------------
# The organisation


@dataclass
class Organisation:
    """Ids the incident generator draws from."""

    requesters: list[tuple[int, int]]  # (user id, department id)
    desk: list[int]
    front: dict[int, list[int]]  # group id -> member ids
    back: dict[int, list[int]]
    services: dict[str, int]
    items: list[int]
    departments: dict[int, str]  # id -> name


def load_organisation(rng: random.Random) -> Organisation:
    departments = load_departments()
    users, created = load_users(departments, settings.ITSM_DEMO_PASSWORD)
    groups = load_vendors_and_groups(users, created)
    services = load_services(groups)
    load_configuration_items(departments, groups, services)
    if not User.objects.filter(username="bench00001").exists():
        clinical = [d for d in departments.values() if d.kind != DepartmentKind.ADMINISTRATIVE]
        family, given = (
            "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗",
            "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚",
        )
        extra = User.objects.bulk_create(
            User(
                username="bench%05d" % n,
                last_name=rng.choice(family),
                first_name=rng.choice(given) + rng.choice(given),
                department=rng.choice(clinical),
                job_title=rng.choice(("护士", "护师", "住院医师", "主治医师")),
                password="!",  # no login
            )
            for n in range(1, EXTRA_REQUESTERS + 1)
        )
        requester_role = Group.objects.get(name=str(Role.REQUESTER))
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=user.pk, group_id=requester_role.pk) for user in extra
        )
    requesters = list(
        User.objects.filter(groups__name=str(Role.REQUESTER), department__isnull=False).values_list(
            "pk", "department_id"
        )
    )
    members: dict[int, list[int]] = {}
    for group_id, user_id in SupportGroup.members.through.objects.values_list(
        "supportgroup_id", "user_id"
    ):
        members.setdefault(group_id, []).append(user_id)
    tiers = dict(SupportGroup.objects.values_list("pk", "tier"))
    return Organisation(
        requesters=sorted(requesters),
        desk=[u for g, t in tiers.items() if t == SupportTier.SERVICE_DESK for u in members[g]],
        front={g: members[g] for g, t in tiers.items() if t == SupportTier.FRONT_LINE},
        back={g: members[g] for g, t in tiers.items() if t == SupportTier.BACK_LINE},
        services=dict(Service.objects.values_list("code", "pk")),
        items=sorted(ConfigurationItem.objects.values_list("pk", flat=True)),
        departments=dict(Department.objects.values_list("pk", "name")),
    )


# --------------------------------------------------------------------------------------
# One incident and its timeline


def status_for(age_days: float, draw: float) -> str:
    """Open work is recent; history is closed (or cancelled)."""
    table: tuple[tuple[str, float], ...]
    if age_days < 1:
        table = (
            (S.NEW, 0.15),
            (S.ASSIGNED, 0.40),
            (S.IN_PROGRESS, 0.70),
            (S.PENDING, 0.80),
            (S.RESOLVED, 0.95),
            (S.CLOSED, 0.98),
        )
    elif age_days < 3:
        table = (
            (S.NEW, 0.02),
            (S.ASSIGNED, 0.12),
            (S.IN_PROGRESS, 0.32),
            (S.PENDING, 0.47),
            (S.RESOLVED, 0.82),
            (S.CLOSED, 0.97),
        )
    elif age_days < 14:
        table = (
            (S.ASSIGNED, 0.03),
            (S.IN_PROGRESS, 0.08),
            (S.PENDING, 0.18),
            (S.RESOLVED, 0.20),
            (S.CLOSED, 0.96),
        )
    else:
        table = ((S.PENDING, 0.002), (S.CLOSED, 0.955))
    for status, limit in table:
        if draw < limit:
            return status
    return S.CANCELLED


class Table:
    """Bulk insert into one model's table: rows are dicts keyed by attribute name, missing
    fields take the model's default, and a batch is written with one executemany (SQLite)
    or one COPY (PostgreSQL). The ORM's bulk_create spends ~30 µs per row preparing values,
    which is most of the time for a million incidents' eight million rows."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        pk = model._meta.pk
        self.fields = [
            # Incidents get their ids here (hops and audits refer to them); others are
            # numbered by the database.
            f
            for f in model._meta.concrete_fields
            if f is not pk or model is Incident
        ]
        self.names = [f.attname for f in self.fields]
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        kinds = [f.get_internal_type() for f in self.fields]
        self.json_columns = [i for i, kind in enumerate(kinds) if kind == "JSONField"]
        self.time_columns = [i for i, kind in enumerate(kinds) if kind == "DateTimeField"]
        self.rows: list[tuple[Any, ...]] = []

    def add(self, values: dict[str, Any]) -> None:
        self.rows.append(
            tuple(values[name] if name in values else self.defaults[name] for name in self.names)
        )

    def flush(self) -> int:
        if not self.rows:
            return 0
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        columns = ", ".join(quote(str(f.column)) for f in self.fields)
        rows = self.adapted(connection.vendor == "sqlite")
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy("COPY %s (%s) FROM STDIN" % (table, columns)) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.fields))
                cursor.executemany(
                    "INSERT INTO %s (%s) VALUES (%s)" % (table, columns, marks), rows
                )
        count = len(self.rows)
        self.rows = []
        return count

    def adapted(self, sqlite: bool) -> list[list[Any]]:
        """JSON as text; on SQLite, datetimes the way Django's backend stores them (naive
        UTC, "YYYY-MM-DD HH:MM:SS.ffffff"). All generated times are UTC already."""
        rows = []
        dumps = json.dumps
        for row in self.rows:
            values = list(row)
            for index in self.json_columns:
                values[index] = dumps(values[index])
            if sqlite:
                for index in self.time_columns:
                    value = values[index]
                    if value is not None:
                        values[index] = str(value.replace(tzinfo=None))
            rows.append(values)
        return rows


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class Timeline:
    """The rows one incident's history writes, built in time order, the way
    apply_transition writes them: status, changed fields and version in one audit entry."""

    def __init__(self, incident: dict[str, Any], at: datetime, content_type: int) -> None:
        self.incident = incident
        self.at = at
        self.content_type = content_type
        self.audits: list[dict[str, Any]] = []
        self.hops: list[dict[str, Any]] = []

    def audit(
        self, action: str, actor: int | None, changes: dict[str, Any], note: str = ""
    ) -> None:
        self.audits.append(
            {
                "content_type_id": self.content_type,
                "object_id": self.incident["id"],
                "actor_id": actor,
                "action": action,
                "changes": changes,
                "note": note,
                "created_at": self.at,
            }
        )

    def move(
        self,
        minutes: float,
        name: str,
        actor: int | None,
        status: str,
        note: str = "",
        stamp: str = "",
        **fields: Any,
    ) -> None:
        self.at += timedelta(minutes=minutes)
        incident = self.incident
        if stamp:
            fields[stamp] = self.at
        changes: dict[str, Any] = {"status": [incident["status"], status]}
        for key, value in fields.items():
            changes[key] = [_json(incident.get(key)), _json(value)]
            incident[key] = value
        incident["status"] = status
        incident["version"] += 1
        changes["version"] = [incident["version"] - 1, incident["version"]]
        incident["updated_at"] = self.at
        self.audit("transition:%s" % name, actor, changes, note)

    def route(self, minutes: float, kind: str, actor: int, group: int, note: str) -> None:
        incident = self.incident
        previous = incident.get("assignment_group_id")
        count = incident.get("reassignment_count", 0) + (previous is not None)
        self.move(
            minutes,
            kind,
            actor,
            S.ASSIGNED,
            note,
            assignment_group_id=group,
            assignee_id=None,
            reassignment_count=count,
        )
        self.hops.append(
            {
                "incident_id": incident["id"],
                "kind": kind,
                "from_group_id": previous,
                "group_id": group,
                "assignee_id": None,
                "actor_id": actor,
                "reason": note,
                "created_at": self.at,
            }
        )


class Generator:
    def __init__(self, n: int, organisation: Organisation, now: datetime, seed: int) -> None:
        self.n = n
        self.org = organisation
        self.now = now
        self.rng = random.Random(seed)
        assert now.utcoffset() == timedelta(0), "times are generated in UTC"
        self.days = max(90.0, n / INCIDENTS_PER_DAY)
        self.start = now - timedelta(days=self.days)
        self.content_type = ContentType.objects.get_for_model(Incident).pk
        self.faults = [f for f in FAULTS if f.service in organisation.services]
        self.weights = [f.weight for f in self.faults]
        self.front = sorted(organisation.front)
        self.back = sorted(organisation.back)
        self.tables = {
            "incidents": Table(Incident),
            "items": Table(Incident.configuration_items.through),
            "hops": Table(IncidentAssignment),
            "audits": Table(AuditEntry),
            "comments": Table(Comment),
            "notifications": Table(Notification),
        }
        self.notify_after = now - timedelta(days=NOTIFICATION_DAYS)
        self.read_before = now - timedelta(days=2)

    def incident(self, pk: int) -> None:
        rng, org, tables = self.rng, self.org, self.tables
        reported = self.start + timedelta(days=self.days * (pk - 0.5) / self.n)
        reported += timedelta(seconds=rng.uniform(-30, 30))
        age = (self.now - reported).total_seconds() / 86400
        fault = rng.choices(self.faults, weights=self.weights)[0]
        requester, department = rng.choice(org.requesters)
        department_name = org.departments[department]
        impact, urgency = fault.impact, min(3, fault.urgency + (rng.random() < 0.2))
        priority = impact + urgency - 1
        channel = rng.choices(
            (
                IncidentChannel.PHONE,
                IncidentChannel.PORTAL,
                IncidentChannel.WALK_IN,
                IncidentChannel.EMAIL,
                IncidentChannel.API,
            ),
            weights=(50, 30, 8, 7, 5),
        )[0]
        desk = rng.choice(org.desk)
        created = min(
            reported + timedelta(minutes=rng.uniform(0.2, 5)), self.now - timedelta(minutes=1)
        )
        reported = min(reported, created)
        title = fault.title.format(dept=department_name)[:200]
        incident: dict[str, Any] = {
            "id": pk,
            "number": "INC%07d" % pk,
            "kind": str(fault.kind),
            "channel": str(channel),
            "title": title,
            "description": fault.description.format(dept=department_name),
            "status": S.NEW,
            "impact": impact,
            "urgency": urgency,
            "priority": priority,
            "major": priority == 1,
            "requester_id": requester,
            "department_id": department,
            "service_id": org.services[fault.service],
            "reported_at": reported,
            "created_at": created,
            "updated_at": created,
            "version": 1,
            "reassignment_count": 0,
        }
        line = Timeline(incident, created, self.content_type)
        creator = requester if channel == IncidentChannel.PORTAL else desk
        line.audit(
            "create",
            creator,
            {"status": [None, S.NEW], "title": [None, title], "priority": [None, priority]},
        )
        self.work(line, status_for(age, rng.random()), requester, desk)
        self.fit_before_now(line, created)
        incident["status"] = str(incident["status"])
        tables["incidents"].add(incident)
        for row in line.audits:
            tables["audits"].add(row)
        for row in line.hops:
            tables["hops"].add(row)
        for row in self.comments(line, requester):
            tables["comments"].add(row)
        if rng.random() < 0.6:
            tables["items"].add({"incident_id": pk, "configurationitem_id": rng.choice(org.items)})
        if created > self.notify_after:
            self.notifications(line, requester)

    def notifications(self, line: Timeline, requester: int) -> None:
        """What the workflow's effects send: each routing hop to the group's members, the
        accept and resolve to the requester. Read after two days."""
        members = {**self.org.front, **self.org.back}
        number = line.incident["number"]
        for hop in line.hops:
            for user in members[hop["group_id"]]:
                self.notification(user, hop["created_at"], "%s was routed to you" % number)
        for audit in line.audits:
            if audit["action"] in ("transition:accept", "transition:resolve"):
                self.notification(
                    requester, audit["created_at"], "%s: %s" % (number, audit["action"])
                )

    def notification(self, user: int, at: datetime, message: str) -> None:
        self.tables["notifications"].add(
            {
                "recipient_id": user,
                "content_type_id": self.content_type,
                "object_id": int(message[3:10]),
                "message": message,
                "created_at": at,
                "read_at": at + timedelta(hours=4) if at < self.read_before else None,
            }
        )

    def work(self, line: Timeline, target: str, requester: int, desk: int) -> None:
        rng, incident = self.rng, line.incident
        pace = 0.3 if incident["priority"] <= 2 else 1.0
        if target == S.NEW:
            return
        if target == S.CANCELLED and rng.random() < 0.5:
            line.move(
                rng.uniform(5, 90),
                "cancel",
                requester,
                S.CANCELLED,
                "已自行恢复",
                stamp="closed_at",
            )
            return
        front = rng.choice(self.front)
        line.route(rng.uniform(1, 30) * pace, IncidentRoutingKind.ASSIGN, desk, front, "")
        if target == S.CANCELLED:
            line.move(
                rng.uniform(10, 120), "cancel", desk, S.CANCELLED, "重复报修", stamp="closed_at"
            )
            return
        worker = rng.choice(self.org.front[front])
        escalate = rng.random() < 0.3
        if target == S.ASSIGNED and not escalate:
            return
        line.move(rng.uniform(5, 60) * pace, "accept", worker, S.IN_PROGRESS, assignee_id=worker)
        if escalate:
            back = rng.choice(self.back)
            line.route(
                rng.uniform(30, 240) * pace,
                IncidentRoutingKind.ESCALATE,
                worker,
                back,
                "需要厂商处理",
            )
            if target == S.ASSIGNED:
                return
            worker = rng.choice(self.org.back[back])
            line.move(
                rng.uniform(10, 180) * pace, "accept", worker, S.IN_PROGRESS, assignee_id=worker
            )
        if target == S.IN_PROGRESS:
            return
        if target == S.PENDING or rng.random() < 0.15:
            reason = rng.choice(PENDING_REASONS)
            line.move(
                rng.uniform(10, 120), "pend", worker, S.PENDING, "等待", pending_reason=reason
            )
            if target == S.PENDING:
                return
            line.move(rng.uniform(120, 2880), "resume", worker, S.IN_PROGRESS, pending_reason="")
        line.move(
            rng.uniform(20, 480) * pace,
            "resolve",
            worker,
            S.RESOLVED,
            stamp="resolved_at",
            resolution_code=rng.choice(RESOLUTION_CODES),
            resolution_notes="已处理，恢复正常。",
        )
        if target == S.RESOLVED:
            return
        draw = rng.random()
        if draw < 0.55:
            line.move(
                rng.uniform(10, 2880),
                "confirm",
                requester,
                S.CLOSED,
                "已恢复，谢谢",
                stamp="closed_at",
            )
        elif draw < 0.8:
            line.move(
                rng.uniform(60, 1440), "close", desk, S.CLOSED, "电话回访确认", stamp="closed_at"
            )
        else:
            line.move(
                settings.ITSM_AUTO_CLOSE_DAYS * 1440 + rng.uniform(1, 10),
                "close",
                None,
                S.CLOSED,
                "超过3天未确认，系统自动关闭。",
                stamp="closed_at",
            )

    def fit_before_now(self, line: Timeline, created: datetime) -> None:
        """Squeeze a recent incident's timeline so that it ends before now."""
        latest = self.now - timedelta(seconds=10)
        if line.at <= latest:
            return
        factor = (latest - created) / (line.at - created)

        def squeeze(at: datetime) -> datetime:
            return created + (at - created) * factor

        for row in [*line.audits[1:], *line.hops]:
            row["created_at"] = squeeze(row["created_at"])
        incident = line.incident
        for name in ("updated_at", "resolved_at", "closed_at"):
            if incident.get(name) is not None:
                incident[name] = squeeze(incident[name])
        line.at = latest

    def comments(self, line: Timeline, requester: int) -> list[dict[str, Any]]:
        rng, incident = self.rng, line.incident
        count = rng.choices((0, 1, 2), weights=(50, 40, 10))[0]
        assignee = incident.get("assignee_id")
        if count == 0 or assignee is None:
            return []
        span = (line.at - incident["created_at"]).total_seconds()
        rows = []
        for _ in range(count):
            internal = rng.random() < 0.5
            rows.append(
                {
                    "content_type_id": self.content_type,
                    "object_id": incident["id"],
                    "author_id": assignee if internal else rng.choice((assignee, requester)),
                    "visibility": str(
                        CommentVisibility.INTERNAL if internal else CommentVisibility.PUBLIC
                    ),
                    "body": "已远程查看，正在处理。" if internal else "请问处理进度如何？",
                    "created_at": incident["created_at"] + timedelta(seconds=rng.uniform(0, span)),
                }
            )
        return rows

    def batch(self, first: int, last: int) -> dict[str, int]:
        for pk in range(first, last + 1):
            self.incident(pk)
        with transaction.atomic():
            return {name: table.flush() for name, table in self.tables.items()}


def generate(n: int, *, seed: int, say: Say) -> None:
    """Fill an empty, migrated database with N incidents and their timelines."""
    started = time.monotonic()
    now = timezone.now()
    fast_writes()
    organisation = load_organisation(random.Random(seed))
    generator = Generator(n, organisation, now, seed)
    totals = dict.fromkeys(generator.tables, 0)
    batches = math.ceil(n / BATCH)
    for index in range(batches):
        first = index * BATCH + 1
        counts = generator.batch(first, min(n, first + BATCH - 1))
        for key, value in counts.items():
            totals[key] += value
        if index % 20 == 19 or index == batches - 1:
            done = min(n, first + BATCH - 1)
            rate = done / (time.monotonic() - started)
            say("  %9d incidents  (%.0f/s)" % (done, rate))
    NumberSequence.objects.update_or_create(prefix=Incident.NUMBER_PREFIX, defaults={"last": n})
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Incident]):
                cursor.execute(sql)
    say(
        "  rows: %s; %.0f s"
        % (", ".join("%s %d" % item for item in totals.items()), time.monotonic() - started)
    )


def fast_writes() -> None:
    """Bulk-load settings for this connection only: the bench database can be generated
    again, so it need not survive a power failure while it is being written."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if not connection.in_atomic_block:  # SQLite refuses it inside a transaction
                cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-500000")
        else:
            cursor.execute("SET synchronous_commit TO OFF")


def analyze() -> None:
    """Planner statistics. PostgreSQL's autovacuum gathers them by itself soon after a bulk
    load, and also vacuums the new rows, which marks their pages all-visible: until then the
    capped count's index-only scan reads every row's page too (20 ms instead of 1 ms for the
    open backlog at 1M). VACUUM does both now, so the first run measures what production
    would. SQLite only has statistics when someone runs ANALYZE."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE")


def seal(say: Say) -> int:
    """Chain the audit entries the generator wrote unsealed (in bulk, as a restore or an
    import would), as a running hospital's are sealed when they commit. Left to the run,
    each write would seal the next 5,000 of them on the way (130 ms a create at 1M)."""
    started = time.monotonic()
    sealed = seal_audit()
    if sealed:
        say("Sealed %d audit entries in %.0f s." % (sealed, time.monotonic() - started))
    return sealed


def ensure_data(n: int, *, regenerate: bool, analyze_sqlite: bool, seed: int, say: Say) -> bool:
    """Make the bench database hold exactly the generated N incidents. Returns True if
    existing data was reused."""
    if holds_other_data():
        raise SystemExit(
            "This database has data that the bench did not generate; it will not be "
            "touched. Give the bench a database of its own (--database-url)."
        )
    meta = read_meta() or {}
    wanted = {"incidents": str(n), "generator": GENERATOR_VERSION, "seed": str(seed)}
    if (
        not regenerate
        and meta.get("state") == "complete"
        and all(meta.get(k) == v for k, v in wanted.items())
    ):
        # Migrations written since the generation (new tables, columns, indexes): the
        # server would otherwise fail on them. Nothing to do takes a second.
        call_command("migrate", verbosity=0, interactive=False)
        remove_bench_writes(n)
        if seal(say) and connection.vendor == "postgresql":
            say("VACUUM (ANALYZE) …")  # every sealed row was written again
            analyze()
        return True
    if connection.introspection.table_names():
        say("Emptying the bench database …")
        reset_database()
    say("Migrating …")
    call_command("migrate", verbosity=0, interactive=False)
    write_meta({**wanted, "state": "generating"})  # marks it a bench database at once
    say("Generating %d incidents …" % n)
    generate(n, seed=seed, say=say)
    seal(say)
    if connection.vendor == "postgresql" or analyze_sqlite:
        say("VACUUM (ANALYZE) …" if connection.vendor == "postgresql" else "ANALYZE …")
        analyze()
    write_meta({**wanted, "state": "complete", "generated_at": timezone.now().isoformat()})
    return False


def remove_bench_writes(n: int) -> None:
    """Delete what a previous run's create scenarios added, so every run starts from the
    same N incidents and the organisation the generator wrote."""
    from bench.scenarios import FLOOR_VENDOR_PREFIX

    incident_type = ContentType.objects.get_for_model(Incident)
    with transaction.atomic():
        vendors = Vendor.objects.filter(name__startswith=FLOOR_VENDOR_PREFIX)
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Vendor),
            object_id__in=vendors.values("pk"),
        ).delete()
        vendors.delete()
        extra = Incident.objects.filter(pk__gt=n)
        if not extra.exists():
            return
        for model in (AuditEntry, Comment, Notification):
            model._default_manager.filter(content_type=incident_type, object_id__gt=n).delete()
        IncidentAssignment.objects.filter(incident_id__gt=n).delete()
        extra.delete()
        NumberSequence.objects.filter(prefix=Incident.NUMBER_PREFIX).update(last=n)
