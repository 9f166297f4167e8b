"""Service verbs of problem management. The problem pages, the API, the demo data and the
trend detection's periodic job all call these; each is atomic and audited."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.accounts.models import User
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.core.choices import SearchKind
from itsm.core.exceptions import ConflictError
from itsm.core.search import search
from itsm.core.services import (
    Notice,
    compute_priority,
    diff,
    lock_version,
    next_number,
    notify_all,
    save_version,
    write_audit,
)
from itsm.core.workflow import apply_transition
from itsm.incidents.choices import IncidentKind, IncidentStatus
from itsm.incidents.models import Incident, IncidentCategory
from itsm.knowledge.models import Article, ArticleLink
from itsm.knowledge.services import draft_from_incident, transition_article
from itsm.problems.choices import ProblemStatus, ProposalStatus, TrendKind
from itsm.problems.models import Problem, ProblemIncident, ProposedProblem
from itsm.problems.search import index_problem
from itsm.problems.workflow import PROBLEM_WORKFLOW, is_routed_to_actor

EDITABLE_FIELDS = (
    "title",
    "description",
    "impact",
    "urgency",
    "service",
    "assignment_group",
    "assignee",
    "symptoms",
    "root_cause",
    "cause_category",
    "five_whys",
    "workaround",
    "change_number",
)
RELATION_SETS = ("configuration_items", "affected_services")


def _set_relations(problem: Problem, fields: Mapping[str, Any]) -> dict[str, list[Any]]:
    changed: dict[str, list[Any]] = {}
    for name in RELATION_SETS:
        values = fields.get(name)
        if values is None:
            continue
        manager = getattr(problem, name)
        old = sorted(manager.values_list("pk", flat=True))
        new = sorted(v.pk for v in values)
        if old != new:
            manager.set(values)
            changed[name] = [old, new]
    return changed


def _link(problem: Problem, incidents: Iterable[Incident], actor: Any) -> list[Incident]:
    """Link the incidents not linked yet; the ones linked now."""
    present = set(problem.links.values_list("incident_id", flat=True))
    added = [i for i in incidents if i.pk not in present]
    ProblemIncident.objects.bulk_create(
        ProblemIncident(
            problem=problem,
            incident=incident,
            linked_by=actor if getattr(actor, "pk", None) else None,
        )
        for incident in added
    )
    return added


@transaction.atomic
def raise_problem(
    data: Mapping[str, Any], *, actor: Any, incidents: Iterable[Incident] = ()
) -> Problem:
    """Raise a problem, proactively or from one or more incidents (linked at once).
    Priority comes from impact × urgency; the actor is recorded as who raised it."""
    if not actor.has_perm("problems.add_problem"):
        raise PermissionDenied(_("You may not raise problems."))
    fields = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    problem = Problem(**fields, requester=actor)
    problem.priority = compute_priority(problem.impact, problem.urgency)
    problem.full_clean(exclude=("number", "status", "requester"))
    problem.number = next_number(Problem.NUMBER_PREFIX)
    problem.status = PROBLEM_WORKFLOW.initial
    problem.save()
    changes = diff({}, problem.field_snapshot())
    changes.update(_set_relations(problem, data))
    linked = _link(problem, incidents, actor)
    if linked:
        changes["incidents"] = [[], [i.number for i in linked]]
    write_audit(problem, actor=actor, action="create", changes=changes)
    index_problem(problem)
    return problem


def _check_can_work(problem: Problem, actor: Any) -> None:
    if not actor.has_perm("problems.change_problem"):
        raise PermissionDenied(_("You may not edit problems."))
    refusal = is_routed_to_actor(problem, actor)
    if refusal:
        raise PermissionDenied(refusal)


@transaction.atomic
def update_problem(
    problem: Problem, changes: Mapping[str, Any], *, actor: Any, version: int
) -> Problem:
    """Edit a problem's fields and its root-cause analysis. Applies only if nobody changed
    the problem since `version` was read (409 otherwise)."""
    _check_can_work(problem, actor)
    locked = lock_version(problem, version)
    if locked.status in (ProblemStatus.CLOSED, ProblemStatus.CANCELLED):
        raise ConflictError(_("A closed or cancelled problem cannot be edited."))
    before = locked.field_snapshot()
    for name, value in changes.items():
        if name in EDITABLE_FIELDS:
            setattr(locked, name, value)
    locked.priority = compute_priority(locked.impact, locked.urgency)
    locked.full_clean(exclude=("number", "status"))
    changed = diff(before, locked.field_snapshot())
    changed.update(_set_relations(locked, changes))
    if not changed:
        return locked
    save_version(locked, changed)
    write_audit(locked, actor=actor, action="update", changes=changed)
    index_problem(locked)
    return locked


@transaction.atomic
def link_incidents_to_problem(
    problem: Problem, incidents: Iterable[Incident], *, actor: Any
) -> list[Incident]:
    """Link incidents to a problem (those already linked are left as they are)."""
    _check_can_work(problem, actor)
    locked = lock_version(problem, None)
    if not locked.is_open:
        raise ConflictError(_("Incidents are linked to open problems only."))
    added = _link(locked, incidents, actor)
    if added:
        changed = {"incidents": [[], [i.number for i in added]]}
        save_version(locked, {})
        write_audit(locked, actor=actor, action="link_incidents", changes=changed)
    return added


@transaction.atomic
def unlink_incident(problem: Problem, incident: Incident, *, actor: Any) -> None:
    _check_can_work(problem, actor)
    locked = lock_version(problem, None)
    deleted, _rows = ProblemIncident.objects.filter(problem=locked, incident=incident).delete()
    if not deleted:
        raise ValidationError({"incident": _("This incident is not linked to the problem.")})
    save_version(locked, {})
    write_audit(
        locked,
        actor=actor,
        action="unlink_incident",
        changes={"incidents": [[incident.number], []]},
    )


def find_incident(number: str, *, viewer: Any) -> Incident:
    """An incident the viewer can see, by its number (400 when there is none)."""
    incident = Incident.objects.visible_to(viewer).filter(number__iexact=number.strip()).first()
    if incident is None:
        raise ValidationError(
            {"number": _("There is no incident %(number)s.") % {"number": number}}
        )
    return incident


def transition_problem(
    problem: Problem,
    name: str,
    *,
    actor: Any,
    data: Mapping[str, Any] | None = None,
    version: int | None = None,
) -> Problem:
    with transaction.atomic():
        saved: Problem = apply_transition(
            problem, PROBLEM_WORKFLOW, name, actor=actor, data=dict(data or {}), version=version
        )
        index_problem(saved)
    return saved


@transaction.atomic
def publish_known_error(problem: Problem, *, actor: Any) -> Article:
    """Write a known error's root cause and workaround into the knowledge base: a draft
    article linked to the problem, sent for review (published by a reviewer, as every
    article is). Once per problem: 409 when it has one already."""
    _check_can_work(problem, actor)
    locked = lock_version(problem, None)
    if locked.status != ProblemStatus.KNOWN_ERROR or not locked.workaround.strip():
        raise ConflictError(_("Only a known error with a workaround can be published."))
    if ArticleLink.objects.filter(
        content_type=ContentType.objects.get_for_model(Problem), object_id=locked.pk
    ).exists():
        raise ConflictError(_("This known error is in the knowledge base already."))
    resolution = "### %s\n\n%s\n\n### %s\n\n%s" % (
        _("Root cause"),
        locked.root_cause.strip() or "…",
        _("Workaround"),
        locked.workaround.strip(),
    )
    article = draft_from_incident(
        actor=actor,
        title=_("Known error: %(title)s") % {"title": locked.title},
        symptoms=locked.symptoms or locked.description,
        resolution=resolution,
        source=locked,
    )
    write_audit(
        locked, actor=actor, action="publish_known_error", changes={"article": [None, article.pk]}
    )
    return transition_article(article, "submit", actor=actor)


def known_errors_for(incident: Incident, *, viewer: Any, limit: int = 3) -> KnownErrors:
    """The known errors an incident's engineer should read: those it is linked to (with
    their workarounds), or else the known errors the search finds for its title, offered
    to be linked."""
    linked = list(
        Problem.objects.visible_to(viewer)
        .filter(incidents=incident)
        .exclude(workaround="")
        .order_by("-updated_at")
    )
    if linked:
        return KnownErrors(linked=linked, suggested=[])
    hits = search(incident.title, user=viewer, kinds=[SearchKind.PROBLEM], limit=10).hits
    suggested = [
        hit.object
        for hit in hits
        if hit.object.status == ProblemStatus.KNOWN_ERROR and hit.object.workaround
    ]
    return KnownErrors(linked=[], suggested=suggested[:limit])


@dataclass(frozen=True)
class KnownErrors:
    linked: list[Problem]
    suggested: list[Problem]


def resolve_problem(
    problem: Problem,
    *,
    actor: Any,
    resolution_notes: str,
    resolve_incidents: bool = False,
    message: str = "",
    change_number: str = "",
    version: int | None = None,
) -> Problem:
    """Resolve a problem; with `resolve_incidents`, its open incidents are resolved in the
    same transaction with `message` as their resolution, which tells their requesters."""
    return transition_problem(
        problem,
        "resolve",
        actor=actor,
        version=version,
        data={
            "resolution_notes": resolution_notes,
            "resolve_incidents": resolve_incidents,
            "message": message,
            "change_number": change_number,
        },
    )


@dataclass(frozen=True)
class WeekCount:
    week: Any
    count: int


def incidents_per_week(problem: Problem) -> list[WeekCount]:
    """How many of the linked incidents were reported each week (weeks with none left out)."""
    rows = (
        Incident.objects.filter(problem_links__problem=problem)
        .annotate(week=TruncWeek("reported_at"))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by("week")
    )
    return [WeekCount(row["week"], row["n"]) for row in rows]


# --------------------------------------------------------------------------------------
# Trend detection


def problem_managers() -> list[User]:
    """The active users with the problem manager's permission, by role or of their own."""
    manage = Q(content_type__app_label="problems", codename="manage_problem")
    permission = Permission.objects.filter(manage).first()
    users = User.objects.filter(is_active=True)
    return list(
        users.filter(
            Q(is_superuser=True)
            | Q(groups__permissions=permission)
            | Q(user_permissions=permission)
        ).distinct()
    )


def detect_trends(now: datetime | None = None) -> int:
    """Find N or more incidents on one configuration item, one service or one incident
    category within D days (ITSM_PROBLEM_TREND_COUNT, ITSM_PROBLEM_TREND_DAYS) that no
    problem covers and propose a problem for each such cluster, telling the problem
    managers. A category clusters the incidents filed under exactly it, not under its
    subcategories: "硬件" would lump printers and monitors together. A cluster already
    proposed gains its new incidents; incidents of a dismissed proposal are not proposed
    again. Returns the number of new proposals."""
    now = now or timezone.now()
    threshold = settings.ITSM_PROBLEM_TREND_COUNT
    candidates = Incident.objects.filter(
        kind=IncidentKind.INCIDENT,
        reported_at__gte=now - timedelta(days=settings.ITSM_PROBLEM_TREND_DAYS),
        reported_at__lte=now,
        problem_links__isnull=True,
    ).exclude(status=IncidentStatus.CANCELLED)
    clusters: list[tuple[str, str, str, list[int]]] = []
    by_service: dict[int, list[int]] = {}
    for pk, service_id in candidates.filter(service__isnull=False).values_list("pk", "service_id"):
        by_service.setdefault(service_id, []).append(pk)
    by_ci: dict[int, list[int]] = {}
    through = Incident.configuration_items.through
    for pk, ci_id in through.objects.filter(incident__in=candidates).values_list(
        "incident_id", "configurationitem_id"
    ):
        by_ci.setdefault(ci_id, []).append(pk)
    by_category: dict[int, list[int]] = {}
    for pk, category_id in candidates.filter(category__isnull=False).values_list(
        "pk", "category_id"
    ):
        by_category.setdefault(category_id, []).append(pk)
    services = Service.objects.in_bulk([k for k, v in by_service.items() if len(v) >= threshold])
    items = ConfigurationItem.objects.in_bulk([k for k, v in by_ci.items() if len(v) >= threshold])
    for ci_id, item in items.items():
        clusters.append((TrendKind.CI, str(ci_id), "%s %s" % (item.code, item.name), by_ci[ci_id]))
    for service_id, service in services.items():
        clusters.append((TrendKind.SERVICE, str(service_id), str(service), by_service[service_id]))
    if any(len(v) >= threshold for v in by_category.values()):
        for category in IncidentCategory.objects.tree():
            found = by_category.get(category.pk, [])
            if len(found) >= threshold:
                clusters.append((TrendKind.CATEGORY, str(category.pk), category.path, found))
    created: list[ProposedProblem] = []
    with transaction.atomic():
        for kind, key, label, incident_ids in clusters:
            proposal = _propose(kind, key, label, incident_ids, threshold)
            if proposal is not None:
                created.append(proposal)
        if created:
            managers = problem_managers()
            notify_all(
                [
                    Notice(
                        managers,
                        proposal,
                        gettext_lazy("Proposed problem: %(count)s incidents on %(about)s"),
                        params={"count": proposal.incidents.count(), "about": proposal.label},
                    )
                    for proposal in created
                ]
            )
    return len(created)


def _propose(
    kind: str, key: str, label: str, incident_ids: list[int], threshold: int
) -> ProposedProblem | None:
    through = ProposedProblem.incidents.through
    seen = set(
        through.objects.filter(proposedproblem__kind=kind, proposedproblem__key=key).values_list(
            "incident_id", flat=True
        )
    )
    fresh = [pk for pk in incident_ids if pk not in seen]
    open_proposal = ProposedProblem.objects.filter(
        kind=kind, key=key, status=ProposalStatus.PROPOSED
    ).first()
    if open_proposal is not None:
        if fresh:
            open_proposal.incidents.add(*fresh)
        return None
    if len(fresh) < threshold:
        return None
    proposal = ProposedProblem.objects.create(kind=kind, key=key, label=label[:200])
    proposal.incidents.set(fresh)
    write_audit(proposal, actor=None, action="create", changes={"incidents": [[], sorted(fresh)]})
    return proposal


def _decide(proposal: ProposedProblem, actor: Any) -> ProposedProblem:
    if not actor.has_perm("problems.manage_problem"):
        raise PermissionDenied(_("Only problem managers decide on proposed problems."))
    locked = ProposedProblem.objects.select_for_update().get(pk=proposal.pk)
    if locked.status != ProposalStatus.PROPOSED:
        raise ConflictError(_("This proposal was already decided."))
    return locked


@transaction.atomic
def accept_proposal(
    proposal: ProposedProblem, *, actor: Any, data: Mapping[str, Any] | None = None
) -> Problem:
    """Raise the proposed problem with its incidents linked: on the proposal's service or
    configuration item, or, for an incident category, with the category named in the
    description (a problem has no incident category of its own)."""
    locked = _decide(proposal, actor)
    incidents = list(locked.incidents.order_by("reported_at", "pk"))
    fields: dict[str, Any] = {
        "title": _("Repeated incidents on %(about)s") % {"about": locked.label},
        "symptoms": "\n".join("%s %s" % (i.number, i.title) for i in incidents),
    }
    if locked.kind == TrendKind.SERVICE:
        fields["service"] = Service.objects.filter(pk=int(locked.key)).first()
    if locked.kind == TrendKind.CATEGORY:
        category = IncidentCategory.objects.filter(pk=int(locked.key)).first()
        fields["description"] = _(
            "Proposed by trend detection: %(count)d incidents of the category %(category)s."
        ) % {"count": len(incidents), "category": locked.label if category is None else category}
    fields.update(data or {})
    problem = raise_problem(fields, actor=actor, incidents=incidents)
    if locked.kind == TrendKind.CI:
        problem.configuration_items.set(ConfigurationItem.objects.filter(pk=int(locked.key)))
    locked.status = ProposalStatus.ACCEPTED
    locked.problem = problem
    locked.decided_at = timezone.now()
    locked.decided_by = actor
    locked.save(update_fields=["status", "problem", "decided_at", "decided_by"])
    write_audit(
        locked,
        actor=actor,
        action="accept",
        changes={"status": [ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED]},
        note=problem.number,
    )
    return problem


@transaction.atomic
def dismiss_proposal(proposal: ProposedProblem, *, actor: Any, reason: str = "") -> ProposedProblem:
    """Dismiss a proposal; its incidents are not proposed again."""
    locked = _decide(proposal, actor)
    locked.status = ProposalStatus.DISMISSED
    locked.decided_at = timezone.now()
    locked.decided_by = actor
    locked.save(update_fields=["status", "decided_at", "decided_by"])
    write_audit(
        locked,
        actor=actor,
        action="dismiss",
        changes={"status": [ProposalStatus.PROPOSED, ProposalStatus.DISMISSED]},
        note=reason,
    )
    return locked
