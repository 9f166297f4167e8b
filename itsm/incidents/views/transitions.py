"""Workflow actions on an incident: the dialog with the transition's form, and its POST."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from itsm.accounts.choices import SupportTier
from itsm.accounts.models import User
from itsm.core.views import ItsmView, ObjectTransitionView, parse_version
from itsm.core.workflow import Transition
from itsm.incidents.models import Incident
from itsm.incidents.services import transition_incident
from itsm.incidents.workflow import INCIDENT_WORKFLOW

# --------------------------------------------------------------------------------------
# Transitions


class IncidentTransitionView(ObjectTransitionView):
    """The form of one workflow action (a dialog on the incident page) and its POST."""

    model = Incident
    workflow = INCIDENT_WORKFLOW
    select_related = ("assignment_group", "parent")
    template_name = "incidents/incident_transition.html"
    partial_template_name = "incidents/_transition_form.html"

    def get_transition_form(
        self, transition: Transition, obj: Any, data: QueryDict | None = None
    ) -> forms.Form | None:
        form = super().get_transition_form(transition, obj, data)
        if form is not None and "assignee" in form.fields and "assignment_group" in form.fields:
            # Offer the members of the chosen group only; the service checks membership.
            group_field: Any = form.fields["assignment_group"]
            group_field.widget.attrs.update(
                {
                    "hx-get": reverse("incidents:group_members"),
                    "hx-target": "#%s" % form["assignee"].auto_id,
                    "hx-trigger": "change",
                }
            )
            group = data.get("assignment_group", "") if data is not None else ""
            assignee_field: Any = form.fields["assignee"]
            assignee_field.queryset = group_members(str(group))
            assignee_field.empty_label = _("Anyone in the group")
            group_field.empty_label = _("Choose a group")
        if form is not None and "assignment_group" in form.fields:
            group_by_tier(form.fields["assignment_group"])
        return form

    def get_context_data(
        self, obj: Any, transition: Transition, form: forms.Form | None, **context: Any
    ) -> dict[str, Any]:
        context = super().get_context_data(obj, transition, form, **context)
        posted = parse_version(self.request.POST) or parse_version(self.request.GET)
        context.update(incident=obj, version=posted or obj.version, nav="queues")
        context["action_url"] = reverse(
            "incidents:incident_transition", args=[obj.pk, transition.name]
        )
        return context

    def perform(
        self, obj: Any, transition: Transition, data: dict[str, Any], version: int | None
    ) -> Any:
        return transition_incident(
            obj, transition.name, actor=self.request.user, data=data, version=version
        )


def group_by_tier(field: Any) -> None:
    """Show support groups under their tier, in escalation order (desk, front, back). Only
    the display changes: the field still validates against its queryset."""
    groups = list(field.queryset)
    choices: list[Any] = [("", field.empty_label)] if field.empty_label is not None else []
    for tier, label in SupportTier.choices:
        options = [(group.pk, str(group)) for group in groups if group.tier == tier]
        if options:
            choices.append((label, options))
    field.choices = choices


def group_members(group_pk: str) -> QuerySet[User]:
    if not group_pk.isdigit():
        return User.objects.none()
    return User.objects.filter(support_groups=int(group_pk), is_active=True).order_by(
        "last_name", "first_name", "username"
    )


class GroupMembersView(ItsmView):
    """The assignee options for a support group, for the routing dialogs."""

    permission = "incidents.work_incident"
    template_name = "incidents/_assignee_options.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        members = group_members(request.GET.get("assignment_group", ""))
        return self.render({"members": members})
