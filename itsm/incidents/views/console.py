"""The desk console, where an agent logs a call with the keyboard, and the edit page."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Concat
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import User
from itsm.cmdb.models import ConfigurationItem
from itsm.core.choices import TicketImpact, TicketUrgency
from itsm.core.services import compute_priority
from itsm.core.views import ItsmView, ObjectEditView, parse_version
from itsm.incidents.forms import ConsoleIncidentForm, IncidentForm, now_local_input
from itsm.incidents.models import Incident
from itsm.incidents.services import (
    NEAR_SHOWN,
    NearIncident,
    log_incident,
    open_incidents_near,
    solve_incident_by_article,
    update_incident,
)
from itsm.incidents.views.page import DETAIL_RELATIONS
from itsm.incidents.views.transitions import group_by_tier
from itsm.incidents.workflow import is_routed_to_actor

# --------------------------------------------------------------------------------------
# Desk console and edit


class RequesterPickerMixin:
    """The requester is chosen with a search box (name, user name, phone, department)
    that fills a hidden field: a select of every member of staff would be too long."""

    request: HttpRequest

    def picker_context(self, form: forms.BaseForm) -> dict[str, Any]:
        raw = form["requester"].value()
        requester = None
        if raw not in (None, "") and str(raw).isdigit():
            requester = (
                User.objects.filter(pk=int(raw), is_active=True)
                .select_related("department")
                .first()
            )
        return {"selected_requester": requester}

    def use_picker(self, form: forms.BaseForm) -> forms.BaseForm:
        form.fields["requester"].widget = forms.HiddenInput()
        # The browser's date-time picker takes ISO format only, whatever the language.
        widget: Any = form.fields["reported_at"].widget
        widget.format = "%Y-%m-%dT%H:%M"
        return form


class IncidentCreateView(RequesterPickerMixin, ObjectEditView):
    """The desk console: an agent logs a phone call with the keyboard alone."""

    model = Incident
    permission = "incidents.log_incident_for_others"
    permission_message = _("Only the service desk can log incidents for other people.")
    form_class = ConsoleIncidentForm
    template_name = "incidents/incident_console.html"

    def get_initial(self, obj: Any) -> dict[str, Any]:
        return {"reported_at": now_local_input()}

    def get_form(self, obj: Any, data: QueryDict | None = None) -> forms.BaseForm:
        form = self.use_picker(super().get_form(obj, data))
        form.fields["configuration_items"].widget.attrs["size"] = 4
        label_empty_choices(form)
        group_by_tier(form.fields["assignment_group"])
        return form

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        context = super().get_context_data(obj, form, nav="console", **context)
        context.update(self.picker_context(form))
        context["initial_priority"] = compute_priority(
            _int(form["impact"].value(), TicketImpact.LOW),
            _int(form["urgency"].value(), TicketUrgency.LOW),
        )
        return context

    def save(self, form: forms.BaseForm, obj: Any, version: int | None) -> Any:
        data = dict(form.cleaned_data)
        article = data.pop("solved_by_article", None)
        if article is not None:
            return solve_incident_by_article(data, article=article, actor=self.request.user)
        return log_incident(data, actor=self.request.user)

    def get_success_message(self, obj: Any) -> str:
        if obj.solved_by_article_id:
            return gettext("%(number)s solved at first contact with %(article)s") % {
                "number": obj.number,
                "article": obj.solved_by_article.number,
            }
        return gettext("%(number)s logged: %(title)s") % {
            "number": obj.number,
            "title": obj.title,
        }

    def get_success_url(self, obj: Any) -> str:
        if "another" in self.request.POST:
            return reverse("incidents:incident_create")
        return super().get_success_url(obj)


class IncidentEditView(RequesterPickerMixin, ObjectEditView):
    """Edit an incident's fields. The page's version travels with the form: if someone
    changed the incident meanwhile, nothing is overwritten (409)."""

    model = Incident
    permission = "incidents.change_incident"
    permission_message = _("You may not edit incidents.")
    form_class = IncidentForm
    template_name = "incidents/incident_edit.html"
    select_related = DETAIL_RELATIONS
    versioned = True
    success_message = _("Changes saved.")

    def fetch(self) -> Any:
        incident = super().fetch()
        # The same rule the service applies, checked early so the form is not offered.
        refusal = is_routed_to_actor(incident, self.request.user)
        if refusal and self.request.user.has_perm(self.permission):
            raise PermissionDenied(refusal)
        return incident

    def get_form(self, obj: Any, data: QueryDict | None = None) -> forms.BaseForm:
        return label_empty_choices(self.use_picker(super().get_form(obj, data)))

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        context = super().get_context_data(obj, form, nav="queues", **context)
        context.update(self.picker_context(form))
        context["version"] = parse_version(self.request.POST) or obj.version
        return context

    def save(self, form: forms.BaseForm, obj: Any, version: int | None) -> Any:
        assert version is not None
        return update_incident(obj, form.cleaned_data, actor=self.request.user, version=version)


EMPTY_LABELS = {
    "service": _("Not known"),
    "category": _("Not classified"),
    "assignment_group": _("Leave unassigned"),
    "department": _("The requester's department"),
}


def label_empty_choices(form: forms.BaseForm) -> forms.BaseForm:
    """Say what an empty choice means instead of showing dashes."""
    for name, label in EMPTY_LABELS.items():
        field: Any = form.fields.get(name)
        if field is not None and hasattr(field, "empty_label"):
            field.empty_label = label
    return form


def _int(value: Any, default: int) -> int:
    return int(value) if str(value).isdigit() else int(default)


class RequesterLookupView(ItsmView):
    """Search results for the console's requester box."""

    permission = "incidents.log_incident_for_others"
    template_name = "incidents/_requester_results.html"
    limit: ClassVar[int] = 8

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("requester_q", "").strip()
        users: list[User] = []
        if query:
            users = list(
                User.objects.filter(is_active=True)
                .annotate(full_name=Concat("last_name", "first_name"))
                .filter(
                    Q(full_name__icontains=query)
                    | Q(username__icontains=query)
                    | Q(phone__icontains=query)
                    | Q(department__name__icontains=query)
                )
                .annotate(
                    # Exact matches first (the caller gave his staff number), then prefixes.
                    rank=Case(
                        When(
                            Q(username__iexact=query) | Q(full_name=query) | Q(phone=query),
                            then=Value(0),
                        ),
                        When(
                            Q(username__istartswith=query)
                            | Q(full_name__startswith=query)
                            | Q(phone__startswith=query),
                            then=Value(1),
                        ),
                        default=Value(2),
                        output_field=IntegerField(),
                    )
                )
                .select_related("department")
                .order_by("rank", "last_name", "first_name", "username")[: self.limit]
            )
        return self.render({"users": users, "query": query})


class PriorityPreviewView(ItsmView):
    """The priority the matrix gives for an impact and an urgency, as a badge."""

    permission = "incidents.add_incident"
    template_name = "incidents/_priority.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        impact = _int(request.GET.get("impact"), 0)
        urgency = _int(request.GET.get("urgency"), 0)
        if impact not in TicketImpact.values or urgency not in TicketUrgency.values:
            return self.render({"priority": None}, status=400)
        return self.render({"priority": compute_priority(impact, urgency)})


class CiIncidentsView(ItsmView):
    """The console's warning under the configuration items: the open incidents on the
    chosen items and on what they depend on, so that the agent links the call to the
    incident already logged instead of logging the same fault again. Incidents only:
    there is no change management yet, so open changes cannot be shown."""

    permission = "incidents.log_incident_for_others"
    template_name = "incidents/_ci_incidents.html"
    # Items looked at: an agent picks one or two; each costs an impact walk.
    max_items: ClassVar[int] = 3

    def get(self, request: HttpRequest) -> HttpResponse:
        ids = [int(v) for v in request.GET.getlist("configuration_items") if v.isdigit()]
        items = list(
            ConfigurationItem.objects.filter(pk__in=ids[: self.max_items]).only(
                "id", "code", "name", "department_id"
            )
        )
        rows: dict[int, NearIncident] = {}
        more = False
        for item in items:
            near, more_here = open_incidents_near(item, viewer=request.user)
            more = more or more_here
            for row in near:
                rows.setdefault(row.incident.pk, row)
        ordered = sorted(
            rows.values(),
            key=lambda row: (row.incident.priority, row.incident.reported_at, row.incident.pk),
        )
        return self.render(
            {
                "near": ordered[:NEAR_SHOWN],
                "more": more or len(ordered) > NEAR_SHOWN,
                "items": items,
            }
        )
