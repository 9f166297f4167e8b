"""The incident page: header, details, routing, links, the timeline in words, the
actions this user may take, and the forms on the page (reply, major incident, links)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.models import ConfigurationItem
from itsm.core.models import AuditEntry, Comment
from itsm.core.views import (
    AuditLine,
    ObjectDetailView,
    ObjectMixin,
    add_service_errors,
    audit_headline,
    describe_audit_entries,
    get_object_for_user,
    parse_version,
    redirect_after_post,
)
from itsm.incidents.forms import CommentForm, MajorForm
from itsm.incidents.models import Incident
from itsm.incidents.services import (
    comment_on_incident,
    incident_clocks,
    incident_impact,
    incident_timeline,
    link_incidents,
    set_major_incident,
    update_incident,
)
from itsm.incidents.workflow import INCIDENT_WORKFLOW, is_routed_to_actor


def get_incident_for_user(request: HttpRequest, pk: Any) -> Incident:
    """The incident if this user may see it, else 404."""
    incident: Incident = get_object_for_user(request, Incident, pk)
    return incident


# --------------------------------------------------------------------------------------
# Forms only these pages use (an incident named by its number)


def normalise_number(value: str) -> str:
    value = value.strip().upper()
    if value.isdigit():
        return "%s%07d" % (Incident.NUMBER_PREFIX, int(value))
    return value


class RelatedIncidentForm(forms.Form):
    related = forms.CharField(
        label=_("Related incident number"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "INC0000123", "autocomplete": "off"}),
    )


class ParentIncidentForm(forms.Form):
    parent = forms.CharField(
        label=_("Parent incident number"),
        max_length=20,
        required=False,
        help_text=_("Leave empty to detach this incident from its parent."),
        widget=forms.TextInput(attrs={"placeholder": "INC0000123", "autocomplete": "off"}),
    )


def find_visible_incident(request: HttpRequest, number: str) -> Incident | None:
    return Incident.objects.visible_to(request.user).filter(number=normalise_number(number)).first()


# --------------------------------------------------------------------------------------
# The incident page


@dataclass(frozen=True)
class TimelineItem:
    """One row of the timeline as the page shows it."""

    at: datetime
    actor: Any
    comment: Comment | None
    audit: AuditEntry | None
    headline: str
    lines: list[AuditLine]
    note: str = ""


# What a requester sees of the audit trail on the portal.
PUBLIC_AUDIT_FIELDS = frozenset(
    {"status", "assignment_group_id", "assignee_id", "resolution_code", "pending_reason", "major"}
)


def timeline_items(
    incident: Incident,
    viewer: Any,
    *,
    public: bool = False,
    known: Iterable[models.Model | None] = (),
) -> list[TimelineItem]:
    """The incident's timeline with each audited change described readably. `public`
    keeps only what a requester should read: replies and the main status changes.
    `known`: groups and people already loaded, which the descriptions may name."""
    entries = incident_timeline(incident, viewer=viewer)
    audits = [entry.audit for entry in entries if entry.audit is not None]
    described = describe_audit_entries(audits, Incident, known)
    items: list[TimelineItem] = []
    for entry in entries:
        if entry.comment is not None:
            if public and not entry.comment.is_public:
                continue
            items.append(TimelineItem(entry.at, entry.actor, entry.comment, None, "", []))
            continue
        audit = entry.audit
        assert audit is not None
        lines = described.get(audit.pk, [])
        note = "" if audit.action == "link" else audit.note
        if public:
            if audit.action not in ("create",) and not audit.action.startswith("transition:"):
                continue
            lines = [line for line in lines if line.key in PUBLIC_AUDIT_FIELDS]
            # Routing reasons are written for engineers; the requester reads his own notes.
            if audit.actor_id != getattr(viewer, "pk", None):
                note = ""
        headline = audit_headline(audit, INCIDENT_WORKFLOW)
        items.append(TimelineItem(entry.at, entry.actor, None, audit, headline, lines, note))
    return items


# Not "parent": few incidents have one (none costs no query), and a ninth joined table
# costs PostgreSQL's planner about 1 ms on every incident page. Not the requester's
# department either (the page names the incident's): with eight tables PostgreSQL spent
# 2.2 ms planning this one-row query, with seven 1.3 ms (round 5).
DETAIL_RELATIONS = (
    "requester",
    "department",
    "service",
    "category__parent",
    "assignment_group__vendor",
    "assignee",
)


LINK_FIELDS = ("id", "number", "title", "status")
CI_FIELDS = ("id", "code", "name")


def _link_rows(queryset: models.QuerySet[Any], link: str, *fields: Any) -> models.QuerySet[Any]:
    """(link, id, three columns) of each record: the parts of one UNION ALL. Every column
    is an annotation, so that all parts list them in the same order. A field is a name,
    an expression, or "" for an empty column."""
    columns: dict[str, Any] = {"link": models.Value(link, output_field=models.CharField())}
    for index, name in enumerate(fields):
        if not isinstance(name, str):
            columns["c%d" % index] = name
        elif name:
            columns["c%d" % index] = models.F(name)
        else:
            columns["c%d" % index] = models.Value("", output_field=models.CharField())
    rows: models.QuerySet[Any] = queryset.order_by().annotate(**columns).values_list(*columns)
    return rows


def linked_incidents(incident: Incident) -> dict[str, list[Any]]:
    """The incident's children, related incidents and configuration items, read in one
    query (a UNION ALL of the three, with only the columns the page shows) instead of
    three. The records are built with `from_db`: any other field is deferred, read from
    the database if ever used, never a wrong default."""
    db = incident._state.db or "default"
    parts = [
        _link_rows(incident.children.all(), "child", *LINK_FIELDS),
        _link_rows(incident.related.all(), "related", *LINK_FIELDS),
        # The item's department as text in the column of the incidents' status: the
        # impact card needs it, and so reads no item again.
        _link_rows(
            incident.configuration_items.all(),
            "ci",
            *CI_FIELDS,
            Cast("department_id", output_field=models.CharField()),
        ),
    ]
    found: dict[str, list[Any]] = {
        "children": [],
        "related_incidents": [],
        "configuration_items": [],
    }
    rows: Any = parts[0].union(*parts[1:], all=True)
    for link, *values in rows:
        if link == "ci":
            department = int(values[3]) if values[3] not in (None, "") else None
            item = ConfigurationItem.from_db(
                db, [*CI_FIELDS, "department_id"], [*values[:3], department]
            )
            found["configuration_items"].append(item)
        else:
            other = Incident.from_db(db, list(LINK_FIELDS), values)
            found["children" if link == "child" else "related_incidents"].append(other)
    found["children"].sort(key=lambda other: other.number)
    found["related_incidents"].sort(key=lambda other: other.number)
    found["configuration_items"].sort(key=lambda item: item.code)
    return found


def incident_page_context(
    request: HttpRequest, incident: Incident, **context: Any
) -> dict[str, Any]:
    """Everything the incident page shows. The POST views of the page (comment, major,
    link, parent) re-render it with their bound form and its errors."""
    user: Any = request.user
    transitions = INCIDENT_WORKFLOW.available(incident, user)
    editable = incident.is_open or incident.status == "resolved"
    routing = list(
        incident.routing.select_related("from_group", "group", "assignee", "actor").order_by(
            "created_at", "id"
        )
    )
    # The groups and people the audit trail names are mostly these: no query to name them.
    known: list[models.Model | None] = [
        incident.requester,
        incident.assignee,
        incident.assignment_group,
        incident.department,
        incident.service,
    ]
    for hop in routing:
        known += [hop.from_group, hop.group, hop.assignee, hop.actor]
    links = linked_incidents(incident)
    base: dict[str, Any] = {
        "object": incident,
        "incident": incident,
        "transitions": transitions,
        "actions": [(t, t.form is not None) for t in transitions],
        "timeline": timeline_items(incident, user, known=known),
        "routing": routing,
        "clocks": incident_clocks(incident, viewer=user),
        **links,
        # The impact card walks the CMDB: loaded after the page (HTMX), and only when the
        # incident names an item, so that the page itself pays nothing for it.
        "has_impact": bool(links["configuration_items"]),
        "can_edit": editable
        and user.has_perm("incidents.change_incident")
        and not is_routed_to_actor(incident, user),
        "can_comment": incident.status not in ("closed", "cancelled"),
        "can_note": user.has_perm("incidents.add_work_note"),
        "can_set_major": user.has_perm("incidents.set_major_incident") and incident.is_open,
        "can_link": user.has_perm("incidents.link_incident"),
        "comment_form": CommentForm(),
        "major_form": MajorForm(initial={"major": not incident.major}),
        "related_form": RelatedIncidentForm(),
        "parent_form": ParentIncidentForm(
            initial={"parent": incident.parent.number if incident.parent else ""}
        ),
        "nav": "queues",
    }
    base.update(context)
    return base


class IncidentDetailView(ObjectDetailView):
    model = Incident
    permission = "incidents.view_incident"
    template_name = "incidents/incident_detail.html"
    select_related = DETAIL_RELATIONS

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        incident = self.get_object()
        self.check_permission()
        if not request.user.has_perm("incidents.work_incident"):
            # Requesters follow their incidents on the portal, which shows public replies.
            return redirect("portal:incident_detail", pk=incident.pk)
        return self.render(incident_page_context(request, incident))


class IncidentImpactView(ObjectDetailView):
    """The incident page's impact card, loaded after the page: what its configuration
    items take down (services and departments), from the CMDB's impact analysis."""

    model = Incident
    permission = "incidents.work_incident"
    template_name = "incidents/_impact.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        incident = self.get_object()
        self.check_permission()
        items = list(incident.configuration_items.only("id", "code", "name", "department_id"))
        impact = incident_impact(incident, items) if items else None
        return self.render({"incident": incident, "impact": impact})


class IncidentPagePostView(ObjectMixin):
    """A form on the incident page (comment, major, link, parent): on success back to the
    page, on bad input the page again with the form's errors and status 400."""

    model = Incident
    permission = "incidents.view_incident"
    select_related = DETAIL_RELATIONS
    template_name = "incidents/incident_detail.html"
    modal_id: ClassVar[str] = ""

    def invalid(self, incident: Incident, **forms_: Any) -> HttpResponse:
        context = incident_page_context(self.request, incident, open_modal=self.modal_id, **forms_)
        return self.render(context, status=400)

    def done(self, incident: Incident, message: str, anchor: str = "") -> HttpResponse:
        messages.success(self.request, message)
        return redirect_after_post(self.request, incident.get_absolute_url() + anchor)


class IncidentCommentView(IncidentPagePostView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.get_object()
        self.check_permission()
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                comment_on_incident(
                    incident,
                    actor=request.user,
                    body=form.cleaned_data["body"],
                    internal=form.cleaned_data["internal"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                message = (
                    gettext("Work note added.")
                    if form.cleaned_data["internal"]
                    else gettext("Reply sent to the requester.")
                )
                return self.done(incident, message, "#timeline-end")
        return self.invalid(incident, comment_form=form)


class IncidentMajorView(IncidentPagePostView):
    modal_id = "major-modal"
    permission = "incidents.set_major_incident"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.get_object()
        self.check_permission()
        form = MajorForm(request.POST)
        if not form.is_valid():
            return self.invalid(incident, major_form=form)
        major = form.cleaned_data["major"]
        set_major_incident(
            incident, actor=request.user, major=major, reason=form.cleaned_data["reason"]
        )
        message = (
            gettext("%(number)s is now a major incident; the IT managers have been told.")
            if major
            else gettext("%(number)s is no longer a major incident.")
        )
        return self.done(incident, message % {"number": incident.number})


class IncidentLinkView(IncidentPagePostView):
    modal_id = "link-modal"
    permission = "incidents.link_incident"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.get_object()
        self.check_permission()
        form = RelatedIncidentForm(request.POST)
        if form.is_valid():
            other = find_visible_incident(request, form.cleaned_data["related"])
            if other is None:
                form.add_error("related", gettext("There is no incident with this number."))
            else:
                try:
                    link_incidents(incident, other, actor=request.user)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    return self.done(
                        incident, gettext("Linked with %(number)s.") % {"number": other.number}
                    )
        return self.invalid(incident, related_form=form)


class IncidentParentView(IncidentPagePostView):
    modal_id = "parent-modal"
    permission = "incidents.change_incident"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.get_object()
        self.check_permission()
        form = ParentIncidentForm(request.POST)
        version = parse_version(request.POST)
        if form.is_valid():
            number = form.cleaned_data["parent"]
            parent = find_visible_incident(request, number) if number else None
            if number and parent is None:
                form.add_error("parent", gettext("There is no incident with this number."))
            elif version is None:
                form.add_error(None, gettext("The form is incomplete: reload the page."))
            else:
                try:
                    update_incident(
                        incident, {"parent": parent}, actor=request.user, version=version
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    message = (
                        gettext("%(number)s is now the parent incident.")
                        % {"number": parent.number}
                        if parent
                        else gettext("Detached from the parent incident.")
                    )
                    return self.done(incident, message)
        return self.invalid(incident, parent_form=form)
