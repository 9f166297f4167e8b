"""The demo hospital's service levels: office hours with a lunch break and 7×24, an SLA for
the clinical core systems and one for everything else, OLAs for the IT department's own
groups, underpinning contracts with the vendors, and a duty roster of IT managers."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from itsm.accounts.models import SupportGroup, User
from itsm.cmdb.models import Service
from itsm.core.choices import TicketPriority
from itsm.sla.choices import AgreementKind, ClockMetric
from itsm.sla.models import Agreement, AgreementTarget, BusinessCalendar, DutyShift, EscalationRule

P = TicketPriority
MIN = 60
HOUR = 3600

OFFICE = "工作日 08:00–17:30（午休 12:00–13:30）"
ROUND_THE_CLOCK = "7×24"

# code: (service hours, availability target %)
SERVICE_LEVELS: dict[str, tuple[str, str]] = {
    "HIS": ("7×24", "99.95"),
    "EMR": ("7×24", "99.90"),
    "MEDINS": ("7×24", "99.90"),
    "PACS": ("7×24", "99.90"),
    "LIS": ("7×24", "99.90"),
    "RIS": ("7×24", "99.50"),
    "KIOSK": ("每日 07:00–22:00", "99.00"),
    "OFFICE": ("工作日 08:00–17:30", "99.00"),
}
CLINICAL = ("HIS", "EMR", "MEDINS", "PACS", "LIS", "RIS")

Targets = dict[int, tuple[int, int]]
SLA_CLINICAL: Targets = {
    P.CRITICAL: (10 * MIN, 2 * HOUR),
    P.HIGH: (30 * MIN, 4 * HOUR),
    P.MEDIUM: (1 * HOUR, 24 * HOUR),
    P.LOW: (4 * HOUR, 72 * HOUR),
    P.PLANNING: (8 * HOUR, 240 * HOUR),
}
SLA_GENERAL: Targets = {
    P.CRITICAL: (15 * MIN, 4 * HOUR),
    P.HIGH: (30 * MIN, 8 * HOUR),
    P.MEDIUM: (1 * HOUR, 16 * HOUR),
    P.LOW: (4 * HOUR, 40 * HOUR),
    P.PLANNING: (8 * HOUR, 80 * HOUR),
}
OLA: Targets = {
    P.CRITICAL: (5 * MIN, 1 * HOUR),
    P.HIGH: (15 * MIN, 4 * HOUR),
    P.MEDIUM: (30 * MIN, 8 * HOUR),
    P.LOW: (2 * HOUR, 16 * HOUR),
    P.PLANNING: (4 * HOUR, 40 * HOUR),
}
# A vendor's maintenance contract: 1 h remote response, 2 working days to fix.
UC: Targets = {
    P.CRITICAL: (30 * MIN, 4 * HOUR),
    P.HIGH: (1 * HOUR, 8 * HOUR),
    P.MEDIUM: (1 * HOUR, 16 * HOUR),
    P.LOW: (1 * HOUR, 16 * HOUR),
    P.PLANNING: (1 * HOUR, 40 * HOUR),
}
# (metric, percent, notify assignee, notify group lead, notify managers)
RULES: tuple[tuple[str, int, bool, bool, bool], ...] = (
    (ClockMetric.RESPONSE, 100, False, True, False),
    (ClockMetric.RESOLUTION, 75, True, True, False),
    (ClockMetric.RESOLUTION, 100, True, True, True),
)


def _calendars() -> tuple[BusinessCalendar, BusinessCalendar]:
    office, created = BusinessCalendar.objects.get_or_create(
        name=OFFICE, defaults={"description": "信息科工作时间；法定节假日与调休按国务院安排"}
    )
    if created:
        for weekday in range(5):
            office.periods.create(weekday=weekday, starts=time(8), ends=time(12))
            office.periods.create(weekday=weekday, starts=time(13, 30), ends=time(17, 30))
    always, _ = BusinessCalendar.objects.get_or_create(
        name=ROUND_THE_CLOCK,
        defaults={"always_open": True, "description": "临床核心系统全年无休"},
    )
    return office, always


def _agreement(
    name: str, kind: str, calendar: BusinessCalendar, targets: Targets, **fields: object
) -> Agreement:
    services = fields.pop("services", ())
    agreement, created = Agreement.objects.get_or_create(
        name=name, defaults={"kind": kind, "calendar": calendar, **fields}
    )
    if created:
        agreement.services.set(services)  # type: ignore[arg-type]
        AgreementTarget.objects.bulk_create(
            AgreementTarget(
                agreement=agreement,
                priority=priority,
                response_seconds=response,
                resolution_seconds=resolution,
            )
            for priority, (response, resolution) in targets.items()
        )
        EscalationRule.objects.bulk_create(
            EscalationRule(
                agreement=agreement,
                metric=metric,
                percent=percent,
                notify_assignee=assignee,
                notify_group_lead=lead,
                notify_managers=managers,
            )
            for metric, percent, assignee, lead, managers in RULES
        )
    return agreement


def _duty_roster(users: dict[str, User], now: datetime) -> None:
    """manager1 and manager2 take turns, 08:00 to 08:00, from a week ago to a week ahead."""
    if DutyShift.objects.exists():
        return
    today = timezone.localtime(now).replace(hour=8, minute=0, second=0, microsecond=0)
    managers = [users["manager1"], users["manager2"]]
    DutyShift.objects.bulk_create(
        DutyShift(
            user=managers[day % 2],
            starts_at=today + timedelta(days=day),
            ends_at=today + timedelta(days=day + 1),
            note="信息科值班",
        )
        for day in range(-7, 8)
    )


def load_service_levels(
    users: dict[str, User],
    groups: dict[str, SupportGroup],
    services: dict[str, Service],
    now: datetime,
) -> None:
    for code, (hours, availability) in SERVICE_LEVELS.items():
        Service.objects.filter(code=code, service_hours="").update(
            service_hours=hours, availability_target=availability
        )
    office, always = _calendars()
    _agreement(
        "临床核心系统 SLA",
        AgreementKind.SLA,
        always,
        SLA_CLINICAL,
        description="HIS、EMR、医保、PACS、LIS、RIS：全年 7×24 小时",
        services=[services[code] for code in CLINICAL],
    )
    _agreement(
        "全院信息服务 SLA",
        AgreementKind.SLA,
        office,
        SLA_GENERAL,
        description="其余信息服务：工作时间内响应与解决",
    )
    for name in ("服务台", "桌面运维组", "网络组", "系统组", "应用组", "数据库二线"):
        _agreement("%s OLA" % name, AgreementKind.OLA, office, OLA, support_group=groups[name])
    vendors = {g.vendor for g in groups.values() if g.vendor is not None}
    for vendor in sorted(vendors, key=lambda v: v.name):
        _agreement("%s 维保合同" % vendor.name, AgreementKind.UC, office, UC, vendor=vendor)
    _duty_roster(users, now)
