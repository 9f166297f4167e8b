"""The SLA compliance report: how many of the clocks started in a month met their target,
broken down by service, department, support group, priority or agreement kind, and the
breached tickets behind each number. Pure queries: nothing here writes.

The numbers are counted by the database (one aggregate query plus one for the names),
whatever the number of incidents. A clock counts ("is measured") once it has a result:

- stopped for any reason but a cancellation: met if it stopped by its due time, breached
  if after it (a handed-over OLA/UC clock is measured too: the group had the ticket and
  handed it on in time or not);
- still running (or paused) but already breached: breached;
- cancelled clocks are never counted, and clocks still running within their target are
  not counted yet.

A clock belongs to the month (in settings.TIME_ZONE) in which it started: the report time
for the SLA's clocks, the time the group got the ticket for OLA/UC clocks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import Department, SupportGroup
from itsm.cmdb.models import Service
from itsm.core.choices import TicketPriority
from itsm.incidents.choices import IncidentChannel, IncidentStatus
from itsm.incidents.models import Incident
from itsm.reports.choices import ReportDimension, ReportMetric
from itsm.sla.choices import AgreementKind, ClockMetric, ClockStopReason
from itsm.sla.forms import format_duration
from itsm.sla.models import Clock
from itsm.sla.services import elapsed_seconds

# Who may open the reports: IT staff who see every incident (service desk, front line, IT
# managers, administrators). The report counts every incident, so it is shown only to
# those who could open each one; back-line vendor engineers and requesters get 403.
REPORT_PERMISSION = "incidents.view_all_incidents"

# Compliance below these shares is shown as a warning, and below the second as a danger.
WARNING_BELOW = 95.0
DANGER_BELOW = 80.0

# A dimension value in a drill-down link: a key, "none" for tickets without one.
NO_VALUE = "none"

METRICS_OF: dict[str, tuple[str, ...]] = {
    ReportMetric.RESPONSE: (ClockMetric.RESPONSE,),
    ReportMetric.RESOLUTION: (ClockMetric.RESOLUTION,),
    ReportMetric.BOTH: (ClockMetric.RESPONSE, ClockMetric.RESOLUTION),
}

Key = int | str | None


def can_view_reports(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.has_perm(REPORT_PERMISSION))


# The selection --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportQuery:
    """What a report counts: the clocks started in `year` (or in one `month` of it), of one
    metric or both, of one agreement kind or all (""), broken down by `dimension`."""

    year: int
    month: int | None = None
    dimension: str = ReportDimension.SERVICE
    metric: str = ReportMetric.BOTH
    kind: str = ""

    @property
    def metrics(self) -> tuple[str, ...]:
        return METRICS_OF[self.metric]

    def period(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) of the month or the year, in the hospital's time zone."""
        zone = ZoneInfo(settings.TIME_ZONE)
        if self.month is None:
            return (
                dt.datetime(self.year, 1, 1, tzinfo=zone),
                dt.datetime(self.year + 1, 1, 1, tzinfo=zone),
            )
        start = dt.datetime(self.year, self.month, 1, tzinfo=zone)
        end = dt.datetime(self.year + self.month // 12, self.month % 12 + 1, 1, tzinfo=zone)
        return start, end


def _incident_value(name: str) -> Subquery:
    """A field of the clock's incident, looked up by the clock's object id (clocks reach
    their ticket through a generic relation, which cannot be joined)."""
    return Subquery(Incident.objects.filter(pk=OuterRef("object_id")).order_by().values(name)[:1])


def dimension_expression(dimension: str) -> Expression | F | Subquery:
    """The value a clock is counted under. "group" is the group measured by an OLA/UC
    clock, and the incident's (current) assignment group for an SLA clock."""
    if dimension == ReportDimension.SERVICE:
        return _incident_value("service_id")
    if dimension == ReportDimension.DEPARTMENT:
        return _incident_value("department_id")
    if dimension == ReportDimension.GROUP:
        return Case(
            When(kind=AgreementKind.SLA, then=_incident_value("assignment_group_id")),
            default=F("support_group_id"),
            output_field=BigIntegerField(),
        )
    if dimension == ReportDimension.PRIORITY:
        return F("priority")
    if dimension == ReportDimension.KIND:
        return F("kind")
    raise ValueError("unknown report dimension %r" % dimension)


def breached_condition(now: dt.datetime) -> Q:
    """Breached: marked by the engine, stopped after its due time, or running past it."""
    return (
        Q(breached_at__isnull=False)
        | Q(stopped_at__isnull=False, due_at__isnull=False, stopped_at__gt=F("due_at"))
        | Q(stopped_at__isnull=True, paused_since__isnull=True, due_at__lte=now)
    )


def measured_condition(now: dt.datetime) -> Q:
    """Has a result: stopped (cancelled clocks are excluded before), or already breached."""
    return Q(stopped_at__isnull=False) | breached_condition(now)


def report_clocks(query: ReportQuery) -> QuerySet[Clock]:
    """The incidents' clocks in the report's period, metric and kind; cancelled ones left
    out. Served by the clocks' (started_at, kind) index."""
    start, end = query.period()
    clocks = Clock.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident),
        started_at__gte=start,
        started_at__lt=end,
        metric__in=query.metrics,
    ).exclude(stop_reason=ClockStopReason.CANCELLED)
    if query.kind:
        clocks = clocks.filter(kind=query.kind)
    return clocks


# The numbers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplianceRow:
    """One number of the report: the clocks of one metric started in one month under one
    dimension value."""

    month: dt.date
    metric: str
    key: Key
    label: str
    measured: int
    breached: int

    @property
    def met(self) -> int:
        return self.measured - self.breached

    @property
    def compliance(self) -> float | None:
        """Met as a share of measured, in per cent with one decimal (None: nothing measured)."""
        if not self.measured:
            return None
        return round(100 * self.met / self.measured, 1)

    @property
    def level(self) -> str:
        return compliance_level(self.compliance)

    @property
    def value(self) -> str:
        """The dimension value as a drill-down link names it."""
        return NO_VALUE if self.key is None else str(self.key)


def compliance_level(percent: float | None) -> str:
    """ "ok", "warning" (below 95 %) or "danger" (below 80 %); "" when nothing was measured."""
    if percent is None:
        return ""
    if percent < DANGER_BELOW:
        return "danger"
    if percent < WARNING_BELOW:
        return "warning"
    return "ok"


def sla_compliance(
    *,
    year: int,
    month: int | None = None,
    dimension: str,
    metric: str = ReportMetric.BOTH,
    kind: str = "",
    now: dt.datetime | None = None,
) -> list[ComplianceRow]:
    """The report's rows, by month, dimension value and metric; months and values with
    nothing measured have no row. Two queries: the counts, and the names of the values."""
    return compliance_rows(
        ReportQuery(year=year, month=month, dimension=dimension, metric=metric, kind=kind),
        now=now,
    )


def compliance_rows(query: ReportQuery, *, now: dt.datetime | None = None) -> list[ComplianceRow]:
    now = now or timezone.now()
    zone = ZoneInfo(settings.TIME_ZONE)
    counted = (
        report_clocks(query)
        .filter(measured_condition(now))
        .annotate(
            report_month=TruncMonth("started_at", tzinfo=zone),
            report_key=dimension_expression(query.dimension),
        )
        .values("report_month", "metric", "report_key")
        .annotate(measured=Count("pk"), breached=Count("pk", filter=breached_condition(now)))
        .order_by()
    )
    found = list(counted)
    labels = dimension_labels(query.dimension, {row["report_key"] for row in found})
    rows = [
        ComplianceRow(
            month=timezone.localtime(row["report_month"], zone).date(),
            metric=row["metric"],
            key=row["report_key"],
            label=labels.get(row["report_key"], ""),
            measured=row["measured"],
            breached=row["breached"],
        )
        for row in found
    ]
    order = value_order(query.dimension, labels)
    metric_order = {m: i for i, m in enumerate(METRICS_OF[ReportMetric.BOTH])}
    rows.sort(key=lambda r: (r.month, order(r.key), metric_order[r.metric]))
    return rows


def dimension_labels(dimension: str, keys: Iterable[Key]) -> dict[Key, str]:
    """The names of the values found, in the active language: one query for services,
    departments and groups, none for priorities and kinds."""
    keys = set(keys)
    labels: dict[Key, str] = {None: str(_("(none)"))}
    models: dict[str, Any] = {
        ReportDimension.SERVICE: Service,
        ReportDimension.DEPARTMENT: Department,
        ReportDimension.GROUP: SupportGroup,
    }
    if dimension in models:
        ids = [k for k in keys if k is not None]
        if ids:
            names = models[dimension].objects.filter(pk__in=ids).values_list("pk", "name")
            labels.update({pk: str(name) for pk, name in names})
    elif dimension == ReportDimension.PRIORITY:
        labels.update({value: str(label) for value, label in TicketPriority.choices})
    elif dimension == ReportDimension.KIND:
        labels.update({value: str(label) for value, label in AgreementKind.choices})
    return labels


def value_order(dimension: str, labels: dict[Key, str]) -> Any:
    """Sort key of the values: priorities and kinds in their own order, names by name;
    "(none)" last."""
    if dimension == ReportDimension.PRIORITY:
        return lambda key: (key is None, key or 0, "")
    if dimension == ReportDimension.KIND:
        kinds = {value: i for i, value in enumerate(AgreementKind.values)}
        return lambda key: (key is None, kinds.get(key, 99), "")
    return lambda key: (key is None, 0, labels.get(key, ""))


# The table of a page: months × values, the metrics side by side -------------------------


@dataclass
class ReportLine:
    """One line of the table: a dimension value (or a total) with a cell per metric."""

    label: str
    value: str
    cells: list[ComplianceRow | None]
    total: bool = False


@dataclass
class ReportMonth:
    month: dt.date
    lines: list[ReportLine] = field(default_factory=list)
    total: ReportLine | None = None


def _sum(month: dt.date, metric: str, rows: Sequence[ComplianceRow], label: str) -> ComplianceRow:
    return ComplianceRow(
        month=month,
        metric=metric,
        key=None,
        label=label,
        measured=sum(r.measured for r in rows),
        breached=sum(r.breached for r in rows),
    )


def pivot(rows: Sequence[ComplianceRow], metrics: Sequence[str]) -> list[ReportMonth]:
    """The rows as the page shows them: per month, a line per dimension value with one
    cell per metric, then the month's total line. The rows come sorted."""
    months: dict[dt.date, ReportMonth] = {}
    lines: dict[tuple[dt.date, Key], ReportLine] = {}
    for row in rows:
        month = months.setdefault(row.month, ReportMonth(row.month))
        line = lines.get((row.month, row.key))
        if line is None:
            line = ReportLine(row.label, row.value, [None] * len(metrics))
            lines[(row.month, row.key)] = line
            month.lines.append(line)
        line.cells[metrics.index(row.metric)] = row
    total_label = str(_("Month total"))
    for month in months.values():
        month.total = ReportLine(
            total_label,
            "",
            [
                _sum(
                    month.month,
                    m,
                    [r for r in rows if r.month == month.month and r.metric == m],
                    "",
                )
                for m in metrics
            ],
            total=True,
        )
    return list(months.values())


def grand_total(rows: Sequence[ComplianceRow], metrics: Sequence[str], label: str) -> ReportLine:
    first = rows[0].month if rows else dt.date.min
    return ReportLine(
        label,
        "",
        [_sum(first, m, [r for r in rows if r.metric == m], "") for m in metrics],
        total=True,
    )


# The breached tickets behind a number ---------------------------------------------------


@dataclass(frozen=True)
class BreachedTicket:
    """A breached clock with its incident, as the drill-down lists it."""

    clock: Clock
    incident: Incident
    group: SupportGroup | None
    due_at: dt.datetime | None
    late_seconds: int

    @property
    def month(self) -> dt.date:
        started = timezone.localtime(self.clock.started_at, ZoneInfo(settings.TIME_ZONE))
        return started.date().replace(day=1)

    @property
    def metric_label(self) -> str:
        return str(ReportMetric(self.clock.metric).label)

    @property
    def late(self) -> str:
        """How late, in working time ("2 h 30 min")."""
        return format_duration(self.late_seconds)


def parse_value(dimension: str, raw: str) -> Key:
    """A dimension value from a link: "none", an id or priority, or an agreement kind.
    Raises ValueError for anything else."""
    if raw == NO_VALUE:
        return None
    if dimension == ReportDimension.KIND:
        if raw not in AgreementKind.values:
            raise ValueError(raw)
        return raw
    number = int(raw)
    if number < 0:
        raise ValueError(raw)
    return number


def breached_tickets(
    query: ReportQuery,
    *,
    user: Any,
    value: str = "",
    now: dt.datetime | None = None,
    limit: int = 1000,
) -> list[BreachedTicket]:
    """The breached clocks of the selection (of one dimension value when `value` is given,
    "none" for tickets without one), on the incidents the user may see, oldest first.
    Three queries plus at most three per business calendar the first time it is used (the
    working-time arithmetic is cached per process). How late is counted in working time
    on the agreement's calendar, up to the stop or to now."""
    now = now or timezone.now()
    clocks = report_clocks(query).filter(breached_condition(now))
    if value:
        key = parse_value(query.dimension, value)
        clocks = clocks.annotate(report_key=dimension_expression(query.dimension))
        clocks = (
            clocks.filter(report_key__isnull=True) if key is None else clocks.filter(report_key=key)
        )
    clocks = (
        clocks.filter(object_id__in=Incident.objects.visible_to(user).order_by().values("pk"))
        .select_related("agreement__calendar", "support_group")
        .order_by("started_at", "id")
    )
    found = list(clocks[:limit])
    incidents = Incident.objects.select_related(
        "service", "department", "assignment_group"
    ).in_bulk({c.object_id for c in found})
    tickets = []
    for clock in found:
        incident = incidents.get(clock.object_id)
        if incident is None:
            continue
        due = clock.due_at or clock.breached_at
        late = max(0, elapsed_seconds(clock, now) - clock.target_seconds)
        group = (
            incident.assignment_group if clock.kind == AgreementKind.SLA else clock.support_group
        )
        tickets.append(BreachedTicket(clock, incident, group, due, late))
    return tickets


# First-contact and knowledge-base resolution ---------------------------------------------
#
# First-contact resolution rate: of the calls the service desk logged in a month, the share
# it resolved while logging them, without assigning them (`Incident.first_contact`).
# Knowledge-base resolution rate: of the incidents resolved in a month, the share solved by
# an article (`Incident.solved_by_article`). A month is a calendar month in
# settings.TIME_ZONE: the report time's for the first, the resolution time's for the second.

# The channels of the calls the desk logs itself. Portal reports, monitoring alerts and API
# calls reach the desk already logged, so they do not count as its calls.
DESK_CHANNELS = (IncidentChannel.PHONE, IncidentChannel.WALK_IN, IncidentChannel.EMAIL)
FIRST_CONTACT_MONTHS = 12


def share(part: int, whole: int) -> float | None:
    """`part` as a share of `whole` in per cent (one decimal); None when there is none."""
    return round(100.0 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class FirstContactRow:
    """One month: the desk's calls and those resolved at first contact; the incidents
    resolved and those solved by an article."""

    month: dt.date
    logged: int
    first_contact: int
    resolved: int
    kb_solved: int

    @property
    def first_contact_rate(self) -> float | None:
        return share(self.first_contact, self.logged)

    @property
    def kb_rate(self) -> float | None:
        return share(self.kb_solved, self.resolved)


def report_months(year: int, month: int, count: int = FIRST_CONTACT_MONTHS) -> list[dt.date]:
    """The first days of the `count` months that end with `month` of `year`, oldest first."""
    index = year * 12 + month - 1
    return [dt.date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def first_contact_rows(
    year: int, month: int, *, count: int = FIRST_CONTACT_MONTHS
) -> list[FirstContactRow]:
    """The `count` months ending with `month` of `year`, each with its numbers (months
    without incidents too). Two aggregate queries, whatever the number of incidents;
    cancelled incidents are left out (a call logged twice, or by mistake)."""
    zone = ZoneInfo(settings.TIME_ZONE)
    months = report_months(year, month, count)
    last = months[-1]
    start = dt.datetime(months[0].year, months[0].month, 1, tzinfo=zone)
    end = dt.datetime(last.year + last.month // 12, last.month % 12 + 1, 1, tzinfo=zone)
    incidents = Incident.objects.exclude(status=IncidentStatus.CANCELLED)
    logged = (
        incidents.filter(channel__in=DESK_CHANNELS, reported_at__gte=start, reported_at__lt=end)
        .annotate(report_month=TruncMonth("reported_at", tzinfo=zone))
        .values("report_month")
        .annotate(logged=Count("pk"), first_contact=Count("pk", filter=Q(first_contact=True)))
        .order_by()
    )
    resolved = (
        incidents.filter(resolved_at__gte=start, resolved_at__lt=end)
        .annotate(report_month=TruncMonth("resolved_at", tzinfo=zone))
        .values("report_month")
        .annotate(
            resolved=Count("pk"), kb_solved=Count("pk", filter=Q(solved_by_article__isnull=False))
        )
        .order_by()
    )

    def by_month(rows: Iterable[Any]) -> dict[dt.date, dict[str, Any]]:
        return {timezone.localtime(row["report_month"], zone).date(): row for row in rows}

    logged_in = by_month(logged)
    resolved_in = by_month(resolved)
    return [
        FirstContactRow(
            month=first_day,
            logged=logged_in.get(first_day, {}).get("logged", 0),
            first_contact=logged_in.get(first_day, {}).get("first_contact", 0),
            resolved=resolved_in.get(first_day, {}).get("resolved", 0),
            kb_solved=resolved_in.get(first_day, {}).get("kb_solved", 0),
        )
        for first_day in months
    ]
