"""The incident lifecycle: new → assigned → in_progress ⇄ pending → resolved → closed, with
routing between tiers, reopen and cancel. Drawn in docs/processes/incident.md."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.accounts.choices import TIER_RANK
from itsm.core.services import notify
from itsm.core.workflow import Transition, Workflow, apply_transition
from itsm.incidents.choices import IncidentRoutingKind, IncidentStatus
from itsm.incidents.forms import AssignForm, NoteForm, PendForm, ReasonForm, ResolveForm, RouteForm
from itsm.incidents.models import Incident, IncidentAssignment
from itsm.sla.choices import TicketEvent
from itsm.sla.services import record_event

S = IncidentStatus
WORKING = (S.ASSIGNED, S.IN_PROGRESS, S.PENDING)


# Guards: who may (403). Conditions: the record's state (409).


def is_requester_or_staff(perm: str) -> Any:
    def guard(incident: Incident, actor: Any) -> str | None:
        if incident.requester_id == actor.pk or actor.has_perm(perm):
            return None
        return _("Only the requester or the service desk can do this.")

    return guard


def is_routed_to_actor(incident: Incident, actor: Any) -> str | None:
    """Engineers without view_all work only what sits with one of their groups now, and
    the children of such an incident: resolving a mass outage's parent resolves them."""
    if actor.has_perm("incidents.view_all_incidents"):
        return None
    group_ids = actor.group_ids()
    if incident.assignment_group_id and incident.assignment_group_id in group_ids:
        return None
    parent = incident.parent if incident.parent_id else None
    if parent is not None and parent.assignment_group_id in group_ids:
        return None
    return _("This incident is not with one of your groups.")


def requester_cancels_only_new(incident: Incident, actor: Any) -> str | None:
    if actor.has_perm("incidents.assign_incident") or incident.status == S.NEW:
        return None
    return _("Once an engineer has it, ask the service desk to cancel it.")


# Actions: run inside the transaction, before the status is set.


def route(kind: str) -> Any:
    def action(incident: Incident, *, actor: Any, data: dict[str, Any]) -> None:
        group = data["assignment_group"]
        previous = incident.assignment_group
        if kind == IncidentRoutingKind.ESCALATE and previous is not None:
            if TIER_RANK[group.tier] <= TIER_RANK[previous.tier]:
                raise ValidationError(
                    {
                        "assignment_group": _("Escalation goes to a higher tier than %(tier)s.")
                        % {"tier": previous.get_tier_display()}
                    }
                )
        if previous is not None and group.pk == previous.pk and kind != IncidentRoutingKind.ASSIGN:
            raise ValidationError(
                {"assignment_group": _("The incident is already with this group.")}
            )
        if previous is not None:
            incident.reassignment_count += 1
        incident.assignment_group = group
        incident.assignee = data.get("assignee")
        incident.pending_reason = ""  # routed on from pending: the new group starts afresh
        IncidentAssignment.objects.create(
            incident=incident,
            kind=kind,
            from_group=previous,
            group=group,
            assignee=incident.assignee,
            reason=data.get("reason", ""),
            actor=actor if getattr(actor, "pk", None) else None,
        )

    return action


def take_on(incident: Incident, *, actor: Any, data: dict[str, Any]) -> None:
    if incident.assignee_id is None and getattr(actor, "pk", None):
        incident.assignee = actor


def set_pending(incident: Incident, *, actor: Any, data: dict[str, Any]) -> None:
    incident.pending_reason = data["pending_reason"]


def clear_pending(incident: Incident, *, actor: Any, data: dict[str, Any]) -> None:
    incident.pending_reason = ""


def set_resolution(incident: Incident, *, actor: Any, data: dict[str, Any]) -> None:
    """Whoever resolves an unassigned incident (the desk, at first contact) owns it, so a
    reopen has somewhere to go. Open children are resolved with the same resolution."""
    if incident.assignment_group_id is None and getattr(actor, "pk", None):
        group = actor.support_groups.order_by("pk").first()
        if group is not None:
            incident.assignment_group = group
            IncidentAssignment.objects.create(
                incident=incident, kind=IncidentRoutingKind.ASSIGN, group=group, actor=actor
            )
    if incident.assignee_id is None and getattr(actor, "pk", None):
        incident.assignee = actor
    incident.resolution_code = data["resolution_code"]
    incident.resolution_notes = data["resolution_notes"]
    incident.pending_reason = ""
    for child in incident.children.filter(status__in=(S.NEW, *WORKING)):
        apply_transition(child, INCIDENT_WORKFLOW, "resolve", actor=actor, data=data)


def clear_resolution(incident: Incident, *, actor: Any, data: dict[str, Any]) -> None:
    incident.resolved_at = None


# Effects: run inside the transaction, after the status is saved.


def clock(event: str) -> Any:
    """Move the incident's SLA, OLA and UC clocks on (sla.services.record_event)."""

    def effect(incident: Incident, *, actor: Any, data: dict[str, Any]) -> None:
        record_event(incident, event, at=incident.updated_at)

    return effect


def tell_requester(message: Any) -> Any:
    def effect(incident: Incident, *, actor: Any, data: dict[str, Any]) -> None:
        if incident.requester_id != getattr(actor, "pk", None):
            notify([incident.requester], incident, message, params={"number": incident.number})

    return effect


def tell_assignees(incident: Incident, *, actor: Any, data: dict[str, Any]) -> None:
    group = incident.assignment_group
    if incident.assignee_id:
        recipients = [incident.assignee] if incident.assignee else []
    else:
        recipients = list(group.members.all()) if group else []
    notify(
        [u for u in recipients if u.pk != getattr(actor, "pk", None)],
        incident,
        gettext_lazy("%(number)s was routed to you: %(title)s"),
        params={"number": incident.number, "title": incident.title},
        groups=[group] if group is not None else [],
    )


INCIDENT_WORKFLOW: Workflow[Incident] = Workflow(
    initial=S.NEW,
    timestamps={S.RESOLVED: "resolved_at", S.CLOSED: "closed_at", S.CANCELLED: "closed_at"},
    transitions=(
        Transition(
            "assign",
            gettext_lazy("Assign"),
            (S.NEW,),
            S.ASSIGNED,
            "incidents.assign_incident",
            form=AssignForm,
            action=route(IncidentRoutingKind.ASSIGN),
            effects=(
                clock(TicketEvent.ROUTED),
                tell_assignees,
            ),
            style="primary",
        ),
        Transition(
            "accept",
            gettext_lazy("Accept"),
            (S.ASSIGNED,),
            S.IN_PROGRESS,
            "incidents.work_incident",
            guards=(is_routed_to_actor,),
            action=take_on,
            effects=(
                clock(TicketEvent.RESPONDED),
                tell_requester(gettext_lazy("An engineer is working on %(number)s.")),
            ),
            style="primary",
        ),
        Transition(
            "escalate",
            gettext_lazy("Escalate"),
            WORKING,
            S.ASSIGNED,
            "incidents.escalate_incident",
            form=RouteForm,
            guards=(is_routed_to_actor,),
            action=route(IncidentRoutingKind.ESCALATE),
            effects=(
                clock(TicketEvent.ROUTED),
                tell_assignees,
            ),
            style="warning",
        ),
        Transition(
            "reassign",
            gettext_lazy("Reassign"),
            WORKING,
            S.ASSIGNED,
            "incidents.escalate_incident",
            form=RouteForm,
            guards=(is_routed_to_actor,),
            action=route(IncidentRoutingKind.REASSIGN),
            effects=(
                clock(TicketEvent.ROUTED),
                tell_assignees,
            ),
        ),
        Transition(
            "pend",
            gettext_lazy("Put on hold"),
            (S.IN_PROGRESS,),
            S.PENDING,
            "incidents.work_incident",
            form=PendForm,
            guards=(is_routed_to_actor,),
            action=set_pending,
            effects=(clock(TicketEvent.PENDED),),
        ),
        Transition(
            "resume",
            gettext_lazy("Resume"),
            (S.PENDING,),
            S.IN_PROGRESS,
            "incidents.work_incident",
            guards=(is_routed_to_actor,),
            action=clear_pending,
            effects=(clock(TicketEvent.RESUMED),),
        ),
        Transition(
            "resolve",
            gettext_lazy("Resolve"),
            (S.NEW, *WORKING),
            S.RESOLVED,
            "incidents.resolve_incident",
            form=ResolveForm,
            guards=(is_routed_to_actor,),
            action=set_resolution,
            effects=(
                clock(TicketEvent.RESOLVED),
                tell_requester(gettext_lazy("%(number)s is resolved: please confirm.")),
            ),
            style="success",
        ),
        Transition(
            "confirm",
            gettext_lazy("Confirm resolution"),
            (S.RESOLVED,),
            S.CLOSED,
            "incidents.confirm_incident",
            form=NoteForm,
            guards=(is_requester_or_staff("incidents.close_incident"),),
            style="success",
            effects=(clock(TicketEvent.CLOSED),),
        ),
        Transition(
            "close",
            gettext_lazy("Close"),
            (S.RESOLVED,),
            S.CLOSED,
            "incidents.close_incident",
            form=NoteForm,
            effects=(clock(TicketEvent.CLOSED),),
        ),
        Transition(
            "reopen",
            gettext_lazy("Reopen"),
            (S.RESOLVED,),
            S.ASSIGNED,
            "incidents.reopen_incident",
            form=ReasonForm,
            guards=(is_requester_or_staff("incidents.work_incident"),),
            action=clear_resolution,
            effects=(
                clock(TicketEvent.REOPENED),
                tell_assignees,
            ),
            style="warning",
        ),
        Transition(
            "cancel",
            gettext_lazy("Cancel"),
            (S.NEW, *WORKING),
            S.CANCELLED,
            "incidents.cancel_incident",
            form=ReasonForm,
            guards=(is_requester_or_staff("incidents.assign_incident"), requester_cancels_only_new),
            style="danger",
            effects=(clock(TicketEvent.CANCELLED),),
        ),
    ),
)
