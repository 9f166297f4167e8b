"""Service verbs of incident management. The desk console, the portal, the API and the
scheduled jobs all call these; each is atomic and audited."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.accounts.choices import Role
from itsm.accounts.models import User
from itsm.cmdb.services import impact_of
from itsm.core.choices import CommentVisibility, TicketPriority
from itsm.core.exceptions import ConflictError, StaleVersion
from itsm.core.models import AuditEntry, Comment
from itsm.core.services import (
    SYSTEM,
    add_comment,
    compute_priority,
    diff,
    next_number,
    notify,
    write_audit,
)
from itsm.core.workflow import apply_transition
from itsm.incidents.choices import IncidentResolutionCode, IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.search import index_incident
from itsm.incidents.workflow import INCIDENT_WORKFLOW, WORKING, is_routed_to_actor
from itsm.knowledge.models import Article
from itsm.knowledge.services import link_article
from itsm.sla.choices import AgreementKind, TicketEvent
from itsm.sla.models import Clock, EscalationRule
from itsm.sla.services import (
    ClockState,
    SweepResult,
    alert_on_duty,
    clock_state,
    record_event,
    sweep_clocks,
    ticket_clocks,
)

EDITABLE_FIELDS = (
    "kind",
    "channel",
    "title",
    "description",
    "impact",
    "urgency",
    "requester",
    "department",
    "service",
    "category",
    "parent",
)


def _check_parent(incident: Incident | None, parent: Incident | None) -> None:
    if parent is None:
        return
    if incident is not None and parent.pk == incident.pk:
        raise ValidationError({"parent": _("An incident cannot be its own parent.")})
    if parent.parent_id is not None:
        raise ValidationError({"parent": _("The parent is itself a child of another incident.")})


def _clock_changes(incident: Incident, event: str, *, at: datetime) -> dict[str, list[Any]]:
    """Move the incident's SLA clocks on (record_event) and return what that set on the
    incident itself (due times, first response), for the audit entry of the write."""
    before = incident.field_snapshot()
    record_event(incident, event, at=at)
    return diff(before, incident.field_snapshot())


def _announce_major(incident: Incident) -> None:
    managers = User.objects.filter(groups__name=Role.MANAGER, is_active=True)
    notify(
        managers,
        incident,
        gettext_lazy("Major incident %(number)s: %(title)s"),
        params={"number": incident.number, "title": incident.title},
        groups=[incident.assignment_group] if incident.assignment_group_id else [],
    )


@transaction.atomic
def log_incident(data: Mapping[str, Any], *, actor: Any) -> Incident:
    """Log a call, visit, portal report or alert. Priority comes from impact × urgency;
    a priority-1 incident is a major incident at once. With an assignment group the
    incident is assigned in the same transaction."""
    if not actor.has_perm("incidents.add_incident"):
        raise PermissionDenied(_("You may not report incidents."))
    fields = dict(data)
    group = fields.pop("assignment_group", None)
    assignee = fields.pop("assignee", None)
    items = fields.pop("configuration_items", None) or []
    requester = fields.get("requester") or actor
    if requester != actor and not actor.has_perm("incidents.log_incident_for_others"):
        raise PermissionDenied(_("You may only report incidents for yourself."))
    fields["requester"] = requester
    if fields.get("department") is None:
        fields["department"] = requester.department
    if not fields.get("reported_at"):
        fields["reported_at"] = timezone.now()
    _check_parent(None, fields.get("parent"))
    incident = Incident(**fields)
    incident.priority = compute_priority(incident.impact, incident.urgency)
    incident.major = incident.priority == TicketPriority.CRITICAL
    incident.full_clean(exclude=("number", "status", "requester"))
    incident.number = next_number(Incident.NUMBER_PREFIX)
    incident.status = INCIDENT_WORKFLOW.initial
    incident.save()
    if items:
        incident.configuration_items.set(items)
    # The SLA's clocks first: the creation entry then holds the due times they set.
    record_event(incident, TicketEvent.LOGGED, at=incident.created_at)
    write_audit(
        incident,
        actor=actor,
        action="create",
        changes=diff({}, incident.field_snapshot()),
    )
    alert_on_duty(incident)
    if incident.major:
        _announce_major(incident)
    if group is not None:
        incident = apply_transition(
            incident,
            INCIDENT_WORKFLOW,
            "assign",
            actor=actor,
            data={"assignment_group": group.pk, "assignee": getattr(assignee, "pk", None)},
        )
    index_incident(incident)
    return incident


@transaction.atomic
def solve_incident_by_article(data: Mapping[str, Any], *, article: Article, actor: Any) -> Incident:
    """Log a call and resolve it at once with a knowledge article (first-contact
    resolution at the desk): the incident is logged, resolved with the code "solved by
    KB" and a note naming the article, marked as solved at first contact, and linked to
    the article, all or nothing. Only a published article the actor may read will do,
    and an incident solved at the desk is not assigned to any group."""
    if not actor.has_perm("incidents.resolve_incident"):
        raise PermissionDenied(_("You may not resolve incidents."))
    if not Article.objects.visible_to(actor).published().filter(pk=article.pk).exists():
        raise ValidationError(
            {"solved_by_article": _("Only a published article you may read can solve a call.")}
        )
    if data.get("assignment_group") is not None:
        raise ValidationError(
            {"assignment_group": _("A call solved at first contact is not assigned.")}
        )
    incident = log_incident(data, actor=actor)
    notes = _("Solved at first contact with %(number)s %(title)s: %(url)s") % {
        "number": article.number,
        "title": article.title,
        "url": settings.ITSM_BASE_URL + article.get_absolute_url(),
    }
    incident = transition_incident(
        incident,
        "resolve",
        actor=actor,
        data={"resolution_code": IncidentResolutionCode.SOLVED_BY_KB, "resolution_notes": notes},
    )
    incident.solved_by_article = article
    incident.first_contact = True
    incident.save(update_fields=["solved_by_article", "first_contact"])
    write_audit(
        incident,
        actor=actor,
        action="link",
        changes={"solved_by_article_id": [None, article.pk], "first_contact": [False, True]},
        note=article.number,
    )
    link_article(article, incident, actor=actor)
    return incident


@transaction.atomic
def update_incident(
    incident: Incident, changes: Mapping[str, Any], *, actor: Any, version: int
) -> Incident:
    """Edit an incident's own fields. The write applies only if nobody changed the record
    since `version` was read (409 otherwise); priority follows impact × urgency."""
    if not actor.has_perm("incidents.change_incident"):
        raise PermissionDenied(_("You may not edit incidents."))
    refusal = is_routed_to_actor(incident, actor)
    if refusal:
        raise PermissionDenied(refusal)
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.version != version:
        raise StaleVersion()
    if not locked.is_open and locked.status != IncidentStatus.RESOLVED:
        raise ValidationError(_("A closed or cancelled incident cannot be edited."))
    before = locked.field_snapshot()
    items = changes.get("configuration_items")
    for name, value in changes.items():
        if name in EDITABLE_FIELDS:
            setattr(locked, name, value)
    _check_parent(locked, locked.parent)
    locked.priority = compute_priority(locked.impact, locked.urgency)
    became_major = locked.priority == TicketPriority.CRITICAL and not locked.major
    if became_major:
        locked.major = True
    locked.full_clean(exclude=("number", "status"))
    changed = diff(before, locked.field_snapshot())
    old_items = set(locked.configuration_items.values_list("pk", flat=True))
    if items is not None and {i.pk for i in items} != old_items:
        locked.configuration_items.set(items)
        changed["configuration_items"] = [sorted(old_items), sorted(i.pk for i in items)]
    if not changed:
        return locked
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(
        update_fields=[
            Incident._meta.get_field(k).name for k in changed if k != "configuration_items"
        ]
        + ["version", "updated_at"]
    )
    if {"priority", "service_id", "department_id"} & set(changed):
        # New targets move the SLA's due times: the entry holds them too.
        changed.update(_clock_changes(locked, TicketEvent.CHANGED, at=locked.updated_at))
    write_audit(locked, actor=actor, action="update", changes=changed)
    if became_major:
        _announce_major(locked)
    index_incident(locked)
    return locked


def transition_incident(
    incident: Incident,
    name: str,
    *,
    actor: Any,
    data: Mapping[str, Any] | None = None,
    version: int | None = None,
) -> Incident:
    """Apply one transition of the incident workflow; the search index follows the new
    status and resolution notes in the same transaction."""
    with transaction.atomic():
        incident = apply_transition(
            incident, INCIDENT_WORKFLOW, name, actor=actor, data=dict(data or {}), version=version
        )
        index_incident(incident)
        if name == "resolve":
            # Resolving a parent resolves its open children with the same notes.
            for child in incident.children.all():
                index_incident(child)
    return incident


@transaction.atomic
def set_major_incident(incident: Incident, *, actor: Any, major: bool, reason: str) -> Incident:
    """Declare (or stand down) a major incident; declaring tells every IT manager."""
    if not actor.has_perm("incidents.set_major_incident"):
        raise PermissionDenied(_("You may not declare major incidents."))
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.major == major:
        return locked
    locked.major = major
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=["major", "version", "updated_at"])
    write_audit(
        locked, actor=actor, action="update", changes={"major": [not major, major]}, note=reason
    )
    if major:
        _announce_major(locked)
    return locked


@transaction.atomic
def comment_on_incident(
    incident: Incident, *, actor: Any, body: str, internal: bool = False
) -> Comment:
    """A public reply goes to the requester; an internal work note only to IT staff."""
    if not body.strip():
        raise ValidationError({"body": _("This field is required.")})
    if internal and not actor.has_perm("incidents.add_work_note"):
        raise PermissionDenied(_("You may not write internal work notes."))
    if incident.status in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED):
        raise ValidationError({"body": _("A closed incident takes no more comments.")})
    visibility = CommentVisibility.INTERNAL if internal else CommentVisibility.PUBLIC
    responded: dict[str, list[Any]] = {}
    if (
        not internal
        and actor.pk != incident.requester_id
        and is_routed_to_actor(incident, actor) is None
    ):
        # A public reply by whoever works the incident is its first response: what the
        # SLA's clocks set on the incident (responded_at) goes into the reply's entry.
        responded = _clock_changes(incident, TicketEvent.RESPONDED, at=timezone.now())
    comment = add_comment(
        incident, actor=actor, body=body, visibility=visibility, changes=responded
    )
    if actor.pk != incident.requester_id and not internal:
        notify(
            [incident.requester],
            incident,
            gettext_lazy("New reply on %(number)s"),
            params={"number": incident.number},
        )
    elif actor.pk == incident.requester_id and incident.assignee_id:
        notify(
            [incident.assignee],
            incident,
            gettext_lazy("The requester replied on %(number)s"),
            params={"number": incident.number},
        )
    return comment


@transaction.atomic
def link_incidents(incident: Incident, other: Incident, *, actor: Any) -> None:
    """Mark two incidents as related (both ways)."""
    if not actor.has_perm("incidents.link_incident"):
        raise PermissionDenied(_("You may not link incidents."))
    if other.pk == incident.pk:
        raise ValidationError({"related": _("An incident cannot be related to itself.")})
    incident.related.add(other)
    write_audit(incident, actor=actor, action="link", note=other.number)
    write_audit(other, actor=actor, action="link", note=incident.number)


def close_resolved_incidents(now: datetime | None = None) -> int:
    """Close incidents resolved more than ITSM_AUTO_CLOSE_DAYS ago that the requester
    neither confirmed nor reopened. Idempotent: safe to run from several workers."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.ITSM_AUTO_CLOSE_DAYS)
    closed = 0
    for incident in Incident.objects.filter(status=IncidentStatus.RESOLVED, resolved_at__lt=cutoff):
        try:
            transition_incident(
                incident, "close", actor=SYSTEM, data={"note": _("Closed automatically.")}
            )
            closed += 1
        except ConflictError:
            continue  # another worker closed or someone reopened it meanwhile
    return closed


# Audit actions that move clocks, for replaying an incident's history.
REPLAYED_ACTIONS: dict[str, str] = {
    "transition:assign": TicketEvent.ROUTED,
    "transition:escalate": TicketEvent.ROUTED,
    "transition:reassign": TicketEvent.ROUTED,
    "transition:accept": TicketEvent.RESPONDED,
    "transition:pend": TicketEvent.PENDED,
    "transition:resume": TicketEvent.RESUMED,
    "transition:resolve": TicketEvent.RESOLVED,
    "transition:reopen": TicketEvent.REOPENED,
    "transition:confirm": TicketEvent.CLOSED,
    "transition:close": TicketEvent.CLOSED,
    "transition:cancel": TicketEvent.CANCELLED,
}


@transaction.atomic
def rebuild_incident_clocks(incident: Incident) -> None:
    """Recompute an incident's clocks from its audit trail, as if the agreements in force
    now had applied from the start: for history imported with its own times (the demo),
    or after the agreements were corrected. The incident's state is replayed change by
    change, so each event sees the group, priority and pending reason it had then."""
    from django.contrib.contenttypes.models import ContentType

    Clock.objects.for_ticket(incident).delete()
    mirrored = {
        "responded_at",
        "response_due_at",
        "resolution_due_at",
        "sla_paused",
        "sla_breached",
    }
    fields = {f.attname: f for f in Incident._meta.concrete_fields if f.attname not in mirrored}
    blank = {
        f.attname: f.get_default() for f in Incident._meta.concrete_fields if f.attname in mirrored
    }
    before = Incident.objects.get(pk=incident.pk).field_snapshot()
    Incident.objects.filter(pk=incident.pk).update(**blank)
    state = Incident.objects.get(pk=incident.pk)
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk
    ).order_by("created_at", "id")
    workers: dict[int, bool] = {}
    for entry in entries:
        for name, (_old, new) in entry.changes.items():
            if name in fields:
                setattr(state, name, fields[name].to_python(new))
        if entry.action == "create":
            record_event(state, TicketEvent.LOGGED, at=state.reported_at)
        elif entry.action in REPLAYED_ACTIONS:
            record_event(state, REPLAYED_ACTIONS[entry.action], at=entry.created_at)
        elif entry.action == "update" and {"priority", "service_id", "department_id"} & set(
            entry.changes
        ):
            record_event(state, TicketEvent.CHANGED, at=entry.created_at)
        elif entry.action == "comment:public" and entry.actor_id not in (None, state.requester_id):
            if entry.actor_id not in workers:
                actor = User.objects.get(pk=entry.actor_id)
                workers[entry.actor_id] = actor.has_perm("incidents.work_incident")
            if workers[entry.actor_id]:
                record_event(state, TicketEvent.RESPONDED, at=entry.created_at)
    rebuilt = Incident.objects.get(pk=incident.pk).field_snapshot()
    changes = {k: v for k, v in diff(before, rebuilt).items() if k in mirrored}
    if changes:
        write_audit(state, actor=SYSTEM, action="update", changes=changes)


def incident_clocks(incident: Incident, *, viewer: Any) -> list[ClockState]:
    """The incident's clocks as they stand now: the SLA's, and for IT staff also the OLA
    or underpinning contract of each group that held it."""
    clocks = ticket_clocks(incident)
    if not viewer.has_perm("incidents.work_incident"):
        clocks = [c for c in clocks if c.kind == AgreementKind.SLA]
    now = timezone.now()
    return [clock_state(c, now) for c in clocks]


def _act_on_escalation(incident: Incident, rule: EscalationRule, clock: Clock) -> None:
    """What an escalation rule does to the incident itself: route it to the rule's group
    and raise its priority one step (through urgency, so the matrix still holds)."""
    reason = _("SLA escalation: %(agreement)s") % {"agreement": clock.agreement.name}
    incident = Incident.objects.get(pk=incident.pk)
    group = rule.reassign_to
    if group is not None and incident.assignment_group_id != group.pk and incident.is_open:
        name = "assign" if incident.status == IncidentStatus.NEW else "reassign"
        if name == "assign" or incident.status in WORKING:
            incident = transition_incident(
                incident,
                name,
                actor=SYSTEM,
                data={"assignment_group": group.pk, "reason": reason},
            )
    if rule.raise_priority and incident.priority > TicketPriority.CRITICAL and incident.is_open:
        change = (
            {"urgency": incident.urgency - 1}
            if incident.urgency > 1
            else {"impact": incident.impact - 1}
        )
        update_incident(incident, change, actor=SYSTEM, version=incident.version)


def escalate_incidents(now: datetime | None = None) -> SweepResult:
    """The SLA sweep for incidents (every minute in `itsm worker`): warnings, breaches and
    the escalation rules' actions. Safe to run from several workers at once."""
    return sweep_clocks(Incident, now=now, act=_act_on_escalation)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # "comment" or "audit"
    actor: Any
    comment: Comment | None = None
    audit: AuditEntry | None = None


def incident_comments(incident: Incident, *, viewer: Any) -> QuerySet[Comment]:
    """Replies and work notes on an incident, oldest first. Only those who may write
    internal work notes see them; requesters see the public replies."""
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(Incident)
    comments = Comment.objects.filter(content_type=content_type, object_id=incident.pk)
    if not viewer.has_perm("incidents.add_work_note"):
        comments = comments.filter(visibility=CommentVisibility.PUBLIC)
    return comments.order_by("created_at", "id")


# The columns of the timeline's one query: (kind, id, time, actor, visibility or action,
# body or note, changes, request id, IP address, and the actor's names).
_TIMELINE_USER_FIELDS = ["id", "username", "first_name", "last_name"]
# The fields of the records built from those columns (named: a field added to the models
# later is deferred, read if ever used, not shifted).
_TIMELINE_COMMENT_FIELDS = [
    "id",
    "content_type_id",
    "object_id",
    "author_id",
    "visibility",
    "body",
    "created_at",
]
_TIMELINE_AUDIT_FIELDS = [
    "id",
    "content_type_id",
    "object_id",
    "actor_id",
    "action",
    "changes",
    "note",
    "created_at",
    "request_id",
    "ip_address",
]


def _timeline_rows(queryset: QuerySet[Any], kind: str, user: str, **columns: Any) -> QuerySet[Any]:
    """One part of the timeline's UNION ALL: every column an annotation, so that both
    parts list them in the same order."""
    from django.db.models import CharField, F, Value

    named: dict[str, Any] = {"tl_kind": Value(kind, output_field=CharField())}
    named.update(columns)
    for name in _TIMELINE_USER_FIELDS[1:]:
        named["tl_" + name] = F("%s__%s" % (user, name))
    rows: QuerySet[Any] = queryset.order_by().annotate(**named).values_list(*named)
    return rows


def incident_timeline(incident: Incident, *, viewer: Any) -> list[TimelineEntry]:
    """Replies, work notes and every audited change, oldest first. Requesters do not see
    internal work notes. Comments and audit entries are read in one query (a UNION ALL,
    each with its author's names); the records are built with `from_db`, the authors with
    their names only (any other field deferred: read if ever used, never a wrong value)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField, F, GenericIPAddressField, JSONField, Value

    content_type = ContentType.objects.get_for_model(Incident)
    db = incident._state.db or "default"
    comments = incident_comments(incident, viewer=viewer)
    audits = AuditEntry.objects.filter(content_type=content_type, object_id=incident.pk).exclude(
        Q(action__startswith="comment:")
    )
    parts = [
        # The audit entries first: their columns give the union its types.
        _timeline_rows(
            audits,
            "audit",
            "actor",
            tl_id=F("id"),
            tl_at=F("created_at"),
            tl_actor=F("actor_id"),
            tl_code=F("action"),
            tl_text=F("note"),
            tl_changes=F("changes"),
            tl_request=F("request_id"),
            tl_ip=F("ip_address"),
        ),
        _timeline_rows(
            comments,
            "comment",
            "author",
            tl_id=F("id"),
            tl_at=F("created_at"),
            tl_actor=F("author_id"),
            tl_code=F("visibility"),
            tl_text=F("body"),
            tl_changes=Value(None, output_field=JSONField()),
            tl_request=Value(None, output_field=CharField()),
            tl_ip=Value(None, output_field=GenericIPAddressField()),
        ),
    ]
    rows: Any = parts[0].union(parts[1], all=True)
    entries: list[tuple[Any, int, int, TimelineEntry]] = []
    for kind, pk, at, actor_id, code, text, changes, request, ip, *names in rows:
        actor = (
            None
            if actor_id is None
            else User.from_db(db, _TIMELINE_USER_FIELDS, [actor_id, *names])
        )
        if kind == "comment":
            comment = Comment.from_db(
                db,
                _TIMELINE_COMMENT_FIELDS,
                [pk, content_type.pk, incident.pk, actor_id, code, text, at],
            )
            if actor is not None:  # always: a comment has its author
                comment.author = actor
            entry = TimelineEntry(at=at, kind="comment", actor=actor, comment=comment)
            entries.append((at, 0, pk, entry))
        else:
            audit = AuditEntry.from_db(
                db,
                _TIMELINE_AUDIT_FIELDS,
                [pk, content_type.pk, incident.pk, actor_id, code, changes, text, at, request, ip],
            )
            audit.actor = actor
            entry = TimelineEntry(at=at, kind="audit", actor=actor, audit=audit)
            entries.append((at, 1, pk, entry))
    # Oldest first; at the same time the comments before the audit entries, each kind in
    # the order it was written (ids): as the two ordered lists merged by a stable sort.
    entries.sort(key=lambda row: row[:3])
    return [row[3] for row in entries]


# --------------------------------------------------------------------------------------
# Impact of an incident and open incidents near a configuration item (CMDB)
#
# Only incidents: there is no change management yet, so the open changes on an item and on
# what it depends on cannot be shown; they will join these functions when changes exist.

# How many services and departments the incident page names before "and N more": a storage
# array can reach half the hospital, and a list of forty departments helps no one.
IMPACT_SHOWN = 20
# How many open incidents the console shows near an item (the most urgent first).
NEAR_SHOWN = 8


@dataclass(frozen=True)
class IncidentImpact:
    """What the failures of an incident's configuration items affect: the union of
    `impact_of` over them. The lists are whole (the API gives them all); `shown_*` and
    `more_*` are what a page names."""

    services: list[Any]
    departments: list[Any]
    whole_hospital: bool
    truncated: bool

    @property
    def shown_services(self) -> list[Any]:
        return self.services[:IMPACT_SHOWN]

    @property
    def more_services(self) -> int:
        return max(0, len(self.services) - IMPACT_SHOWN)

    @property
    def shown_departments(self) -> list[Any]:
        return self.departments[:IMPACT_SHOWN]

    @property
    def more_departments(self) -> int:
        return max(0, len(self.departments) - IMPACT_SHOWN)


def incident_impact(incident: Incident, items: list[Any] | None = None) -> IncidentImpact | None:
    """The business services and departments the incident's configuration items affect,
    and whether a service serving the whole hospital is among them; None when the
    incident names no item. One `impact_of` per item: an incident names few items, and
    each analysis costs queries by the depth of the graph, not by its size. `items`: the
    incident's items if already read with their department (the incident page reads them
    with its links), else one query reads them. A caller that knows the incident has no
    item should not call it at all."""
    if items is None:
        items = list(
            incident.configuration_items.only("id", "code", "name", "department_id").order_by(
                "code"
            )
        )
    if not items:
        return None
    services: dict[int, Any] = {}
    departments: dict[int, Any] = {}
    whole_hospital = truncated = False
    for item in items:
        impact = impact_of(item)
        services.update((service.pk, service) for service in impact.services)
        departments.update((department.pk, department) for department in impact.departments)
        whole_hospital = whole_hospital or impact.whole_hospital
        truncated = truncated or impact.truncated
    return IncidentImpact(
        services=sorted(services.values(), key=lambda service: service.code),
        departments=sorted(departments.values(), key=lambda department: department.name),
        whole_hospital=whole_hospital,
        truncated=truncated,
    )


@dataclass(frozen=True)
class NearIncident:
    """An open incident on a configuration item or on something the item depends on:
    `on` is the item it was logged on (code and name), `direct` whether it is the item
    itself."""

    incident: Incident
    on: Any
    direct: bool


def open_incidents_near(
    ci: Any, *, viewer: Any, exclude: Incident | None = None, limit: int = NEAR_SHOWN
) -> tuple[list[NearIncident], bool]:
    """Open incidents the viewer may see on `ci` or on any item it depends on (downwards,
    `impact_of(ci).depends_on`): when the PACS application fails, an open incident on its
    storage array is likely the same fault, to link rather than log again. The most urgent
    first, at most `limit`, and whether there are more. One query for the incidents (each
    with the first of these items it names); the item walk costs `impact_of`'s."""
    items: dict[int, Any] = {ci.pk: ci}
    items.update((reached.ci.id, reached.ci) for reached in impact_of(ci).depends_on)
    through: Any = Incident.configuration_items.through
    on_items = through.objects.filter(
        incident_id=OuterRef("pk"), configurationitem_id__in=list(items)
    )
    incidents = (
        Incident.objects.visible_to(viewer)
        .open()
        .filter(Exists(on_items))
        .annotate(
            # The item itself before what it depends on, so `direct` says the most.
            on_id=Subquery(
                on_items.annotate(
                    mine=Case(When(configurationitem_id=ci.pk, then=Value(0)), default=Value(1))
                )
                .order_by("mine", "configurationitem_id")
                .values("configurationitem_id")[:1]
            )
        )
        .only("id", "number", "title", "status", "priority", "reported_at")
        .order_by("priority", "reported_at", "pk")
    )
    if exclude is not None and exclude.pk is not None:
        incidents = incidents.exclude(pk=exclude.pk)
    found: list[Any] = list(incidents[: limit + 1])
    near = [
        NearIncident(incident=incident, on=items[incident.on_id], direct=incident.on_id == ci.pk)
        for incident in found[:limit]
    ]
    return near, len(found) > limit
