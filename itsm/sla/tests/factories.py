"""Calendars and agreements for tests: the hospital's usual office hours with a lunch break,
and agreements with targets and escalation rules."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from itsm.core.choices import TicketPriority
from itsm.sla.choices import AgreementKind, ClockMetric
from itsm.sla.models import Agreement, AgreementTarget, BusinessCalendar, EscalationRule

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600
MINUTE = 60


def local(text: str) -> datetime:
    """'2026-09-30 09:00' in Beijing time, aware."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def office_hours(name: str = "工作日 8:00–17:30") -> BusinessCalendar:
    """Monday to Friday 08:00–12:00 and 13:30–17:30, China's holidays and 调休 observed."""
    calendar = BusinessCalendar.objects.create(name=name)
    for weekday in range(5):
        calendar.periods.create(weekday=weekday, starts=time(8), ends=time(12))
        calendar.periods.create(weekday=weekday, starts=time(13, 30), ends=time(17, 30))
    return calendar


def round_the_clock(name: str = "7×24") -> BusinessCalendar:
    return BusinessCalendar.objects.create(name=name, always_open=True)


# Targets in working seconds per priority: (response, resolution).
DEFAULT_TARGETS: dict[int, tuple[int, int]] = {
    TicketPriority.CRITICAL: (15 * MINUTE, 4 * HOUR),
    TicketPriority.HIGH: (30 * MINUTE, 8 * HOUR),
    TicketPriority.MEDIUM: (1 * HOUR, 16 * HOUR),
    TicketPriority.LOW: (4 * HOUR, 40 * HOUR),
}


def agreement(
    calendar: BusinessCalendar,
    *,
    kind: str = AgreementKind.SLA,
    name: str = "全院信息服务SLA",
    targets: dict[int, tuple[int, int]] | None = None,
    rules: tuple[tuple[str, int, dict[str, Any]], ...] = (),
    **fields: Any,
) -> Agreement:
    """An agreement with targets per priority and escalation rules given as
    (metric, percent, {field: value})."""
    services = fields.pop("services", ())
    departments = fields.pop("departments", ())
    made = Agreement.objects.create(kind=kind, name=name, calendar=calendar, **fields)
    made.services.set(services)
    made.departments.set(departments)
    for priority, (response, resolution) in (targets or DEFAULT_TARGETS).items():
        AgreementTarget.objects.create(
            agreement=made,
            priority=priority,
            response_seconds=response,
            resolution_seconds=resolution,
        )
    for metric, percent, options in rules:
        EscalationRule.objects.create(agreement=made, metric=metric, percent=percent, **options)
    return made


WARN_AND_BREACH = (
    (ClockMetric.RESOLUTION, 75, {}),
    (ClockMetric.RESOLUTION, 100, {"notify_managers": True}),
)
