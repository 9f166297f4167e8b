"""Incidents for tests, built only through the service verbs, so every record in a test went
through the same rules as in production."""

from __future__ import annotations

from typing import Any

from itsm.accounts.models import SupportGroup, User
from itsm.core.choices import TicketImpact, TicketUrgency
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import (
    IncidentChannel,
    IncidentPendingReason,
    IncidentResolutionCode,
    IncidentStatus,
)
from itsm.incidents.models import Incident, IncidentAssignment
from itsm.incidents.services import log_incident, transition_incident

RESOLUTION = {
    "resolution_code": IncidentResolutionCode.FIXED,
    "resolution_notes": "更换打印头后恢复正常",
}


def log(actor: User, **fields: Any) -> Incident:
    """Log an incident as `actor` (a desk agent unless the test says otherwise)."""
    data: dict[str, Any] = {
        "title": "急诊分诊台条码打印机不出纸",
        "description": "分诊台打印腕带时无反应",
        "impact": TicketImpact.MEDIUM,
        "urgency": TicketUrgency.MEDIUM,
        "channel": IncidentChannel.PHONE,
        **fields,
    }
    return log_incident(data, actor=actor)


def incident_in(
    case: BaseTestCase,
    status: str,
    *,
    requester: User | None = None,
    group: SupportGroup | None = None,
    **fields: Any,
) -> Incident:
    """An incident that reached `status` the way a real one does: the agent logs it for the
    requester (the nurse by default), routes it to `group` (front line by default), and the
    group works it."""
    requester = requester or case.nurse
    group = group or case.front_group
    worker = group.members.order_by("pk").first() or case.agent
    if status in (IncidentStatus.NEW, IncidentStatus.CANCELLED):
        incident = log(case.agent, requester=requester, **fields)
        if status == IncidentStatus.CANCELLED:
            incident = transition_incident(
                incident, "cancel", actor=case.agent, data={"reason": "重复报修"}
            )
        return incident
    incident = log(case.agent, requester=requester, assignment_group=group, **fields)
    if status == IncidentStatus.ASSIGNED:
        return incident
    incident = transition_incident(incident, "accept", actor=worker)
    if status == IncidentStatus.IN_PROGRESS:
        return incident
    if status == IncidentStatus.PENDING:
        return transition_incident(
            incident, "pend", actor=worker, data={"pending_reason": IncidentPendingReason.PARTS}
        )
    incident = transition_incident(incident, "resolve", actor=worker, data=RESOLUTION)
    if status == IncidentStatus.RESOLVED:
        return incident
    assert status == IncidentStatus.CLOSED, status
    return transition_incident(incident, "confirm", actor=requester)


def audit_count(incident: Incident) -> int:
    return AuditEntry.objects.filter(content_type__model="incident", object_id=incident.pk).count()


def state_of(incident: Incident) -> tuple[dict[str, Any], int, int]:
    """Everything a refused write must leave unchanged: the row, its audit log and its
    routing hops."""
    fresh = Incident.objects.get(pk=incident.pk)
    hops = IncidentAssignment.objects.filter(incident=incident).count()
    return fresh.field_snapshot(), audit_count(incident), hops
