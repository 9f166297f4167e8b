"""Blackout windows, related configuration items and changes on a fixed future week, for the
change calendar's tests. 2027-03-01 is a Monday; all times are Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from itsm.changes.choices import BlackoutKind, ChangeStatus
from itsm.changes.models import BlackoutWindow, Change
from itsm.changes.services import approve_change, transition_change
from itsm.changes.tests.factories import change_in
from itsm.cmdb.choices import ConfigurationItemClass, RelationshipType
from itsm.cmdb.models import ConfigurationItem, Relationship
from itsm.core.testing import BaseTestCase

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2027, 3, 1, tzinfo=SHANGHAI)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of the test week: day 0 is Monday 2027-03-01."""
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def outpatient_peak(**fields: Any) -> BlackoutWindow:
    data: dict[str, Any] = {
        "name": "门诊早高峰",
        "reason": "门诊挂号收费高峰",
        "kind": BlackoutKind.RECURRING,
        "weekdays": "1,2,3,4,5",
        "start_time": time(7, 30),
        "end_time": time(11, 30),
        **fields,
    }
    return BlackoutWindow.objects.create(**data)


def dated_window(start: datetime, end: datetime, **fields: Any) -> BlackoutWindow:
    data: dict[str, Any] = {
        "name": "等级评审周",
        "kind": BlackoutKind.DATED,
        "starts_at": start,
        "ends_at": end,
        **fields,
    }
    return BlackoutWindow.objects.create(**data)


def item(code: str, ci_class: str = ConfigurationItemClass.SERVER) -> ConfigurationItem:
    return ConfigurationItem.objects.create(code=code, name=code, ci_class_id=ci_class)


def depends(source: ConfigurationItem, target: ConfigurationItem) -> Relationship:
    return Relationship.objects.create(
        source=source, target=target, type=RelationshipType.DEPENDS_ON
    )


def booked(
    case: BaseTestCase,
    start: datetime,
    end: datetime,
    *,
    status: str = ChangeStatus.APPROVED,
    **fields: Any,
) -> Change:
    """A change walked to `status` with this window: approved by the manager and, when its
    impact needs the CAB, by the CAB (manager and admin); the schedule transition's
    blackout check applies on the way to scheduled."""
    if status not in (ChangeStatus.APPROVED, ChangeStatus.SCHEDULED, ChangeStatus.IMPLEMENTING):
        return change_in(case, status, planned_start=start, planned_end=end, **fields)
    change = change_in(
        case, ChangeStatus.AWAITING_APPROVAL, planned_start=start, planned_end=end, **fields
    )
    for approver in (case.manager, case.manager, case.admin):
        if Change.objects.get(pk=change.pk).status == ChangeStatus.APPROVED:
            break
        approve_change(change, actor=approver, comment="同意")
    change = Change.objects.get(pk=change.pk)
    if status == ChangeStatus.APPROVED:
        return change
    change = transition_change(change, "schedule", actor=case.engineer)
    if status == ChangeStatus.SCHEDULED:
        return change
    return transition_change(change, "start", actor=case.engineer)
