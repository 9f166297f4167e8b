"""The self-service portal: a requester reports a fault, follows it, replies, and confirms
or rejects the resolution. Made for a phone. Only his own incidents, public replies only."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.core.choices import SearchKind
from itsm.core.search import MAX_QUERY_LENGTH, search
from itsm.core.views import (
    ItsmView,
    ObjectDetailView,
    ObjectEditView,
    ObjectMixin,
    ObjectTransitionView,
    add_service_errors,
)
from itsm.core.workflow import Transition
from itsm.incidents.choices import OPEN_STATUSES, IncidentChannel, IncidentStatus
from itsm.incidents.forms import CommentForm, PortalIncidentForm
from itsm.incidents.models import Incident
from itsm.incidents.services import comment_on_incident, log_incident, transition_incident
from itsm.incidents.views import timeline_items
from itsm.incidents.workflow import INCIDENT_WORKFLOW
from itsm.knowledge.choices import ArticleAudience, ArticleStatus

# What a requester may do to his own incident from the portal.
PORTAL_TRANSITIONS = ("confirm", "reopen", "cancel")


class OwnIncidentsMixin(ObjectMixin):
    """The portal shows the user's own incidents only, whatever else he may see."""

    model = Incident
    permission = "incidents.add_incident"
    permission_message = _("Your account may not report faults here. Please call the service desk.")
    select_related = ("service", "assignment_group", "assignee")

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().filter(requester=self.request.user)

    def get_object(self) -> Any:
        obj = super().get_object()
        self.check_permission()
        return obj


class PortalHomeView(OwnIncidentsMixin):
    """My incidents, newest first: open ones by default."""

    template_name = "portal/home.html"
    page_size: ClassVar[int] = 15

    def get(self, request: HttpRequest) -> HttpResponse:
        self.check_permission()
        show = request.GET.get("show", "open")
        incidents = self.get_queryset().order_by("-reported_at", "-pk")
        if show == "open":
            incidents = incidents.filter(status__in=(*OPEN_STATUSES, IncidentStatus.RESOLVED))
        page = Paginator(incidents, self.page_size).get_page(request.GET.get("page"))
        waiting = self.get_queryset().filter(status=IncidentStatus.RESOLVED).count()
        return self.render(
            {"page_obj": page, "show": show, "waiting_for_me": waiting, "nav": "portal"}
        )


class PortalReportView(OwnIncidentsMixin, ObjectEditView):
    """Report a fault for oneself; it reaches the service desk at once."""

    form_class = PortalIncidentForm
    template_name = "portal/report.html"

    def get_form(self, obj: Any, data: QueryDict | None = None) -> forms.BaseForm:
        form = super().get_form(obj, data)
        for name in ("kind", "urgency"):
            field: Any = form.fields[name]
            field.widget = forms.RadioSelect(choices=field.choices)
        service: Any = form.fields["service"]
        service.empty_label = _("Not sure")
        form.fields["title"].widget.attrs.update(
            {
                "autofocus": True,
                "placeholder": gettext("e.g. The barcode printer at the triage desk is blank"),
            }
        )
        return form

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        return super().get_context_data(obj, form, nav="portal_new", **context)

    def save(self, form: forms.BaseForm, obj: Any, version: int | None) -> Any:
        data = {**form.cleaned_data, "channel": IncidentChannel.PORTAL}
        return log_incident(data, actor=self.request.user)

    def get_success_message(self, obj: Any) -> str:
        return report_received_message(obj)

    def get_success_url(self, obj: Any) -> str:
        return reverse("portal:incident_detail", args=[obj.pk])


class PortalArticleSuggestView(ItsmView):
    """While a requester types what is wrong: the published articles meant for everyone
    that look like it, so that she may help herself before sending the report. Never an
    incident and never an internal article, whoever asks (IT staff report faults here
    too, and see more elsewhere)."""

    permission = "incidents.add_incident"
    permission_message = OwnIncidentsMixin.permission_message
    template_name = "portal/_article_suggestions.html"
    shown: ClassVar[int] = 3
    # Hits read before the public ones are kept: internal articles may rank first.
    candidates: ClassVar[int] = 12

    def get(self, request: HttpRequest) -> HttpResponse:
        text = (request.GET.get("title") or "")[:MAX_QUERY_LENGTH]
        found = search(text, user=request.user, kinds=[SearchKind.ARTICLE], limit=self.candidates)
        articles = [
            hit
            for hit in found.hits
            if hit.object.status == ArticleStatus.PUBLISHED
            and hit.object.audience == ArticleAudience.PUBLIC
        ]
        return self.render({"articles": articles[: self.shown]})


def report_received_message(incident: Incident) -> str:
    return gettext("Thank you. Your report %(number)s has reached the service desk.") % {
        "number": incident.number
    }


def portal_page_context(request: HttpRequest, incident: Incident, **context: Any) -> dict[str, Any]:
    available = INCIDENT_WORKFLOW.available(incident, request.user)
    actions = {t.name: t for t in available if t.name in PORTAL_TRANSITIONS}
    base: dict[str, Any] = {
        "object": incident,
        "incident": incident,
        "timeline": timeline_items(incident, request.user, public=True),
        "actions": actions,
        "confirm_form": _form_for(actions.get("confirm")),
        "reopen_form": _form_for(actions.get("reopen")),
        "cancel_form": _form_for(actions.get("cancel")),
        "comment_form": CommentForm(),
        "can_reply": incident.status not in (IncidentStatus.CLOSED, IncidentStatus.CANCELLED),
        "steps": progress_steps(incident),
        "auto_close_days": settings.ITSM_AUTO_CLOSE_DAYS,
        "nav": "portal",
    }
    base.update(context)
    return base


def _form_for(transition: Transition | None) -> forms.Form | None:
    if transition is None or transition.form is None:
        return None
    return transition.form()


def progress_steps(incident: Incident) -> list[dict[str, Any]]:
    """The four steps a requester recognises, with the one reached marked."""
    steps = [
        ("reported", _("Submitted")),
        ("working", _("Being worked on")),
        ("resolved", _("Resolved")),
        ("closed", _("Closed")),
    ]
    reached = {
        IncidentStatus.NEW: 0,
        IncidentStatus.ASSIGNED: 1,
        IncidentStatus.IN_PROGRESS: 1,
        IncidentStatus.PENDING: 1,
        IncidentStatus.RESOLVED: 2,
        IncidentStatus.CLOSED: 3,
        IncidentStatus.CANCELLED: 3,
    }.get(IncidentStatus(incident.status), 0)
    return [
        {"key": key, "label": label, "done": index < reached, "current": index == reached}
        for index, (key, label) in enumerate(steps)
    ]


class PortalIncidentView(OwnIncidentsMixin, ObjectDetailView):
    """One of my incidents: where it stands, who has it, the public conversation."""

    template_name = "portal/incident_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        incident = self.get_object()
        return self.render(portal_page_context(request, incident))


class PortalReplyView(OwnIncidentsMixin):
    template_name = "portal/incident_detail.html"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident = self.get_object()
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                comment_on_incident(incident, actor=request.user, body=form.cleaned_data["body"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, gettext("Your reply was sent."))
                return redirect(reverse("portal:incident_detail", args=[pk]) + "#reply")
        return self.render(portal_page_context(request, incident, comment_form=form), status=400)


class PortalTransitionView(OwnIncidentsMixin, ObjectTransitionView):
    """Confirm, reopen (reject the resolution) or cancel one's own incident."""

    workflow = INCIDENT_WORKFLOW
    transition_names = PORTAL_TRANSITIONS
    template_name = "portal/incident_detail.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return redirect("portal:incident_detail", pk=kwargs["pk"])

    def get_context_data(
        self, obj: Any, transition: Transition, form: forms.Form | None, **context: Any
    ) -> dict[str, Any]:
        return portal_page_context(
            self.request, obj, **{"%s_form" % transition.name: form, "open_form": transition.name}
        )

    def perform(
        self, obj: Any, transition: Transition, data: dict[str, Any], version: int | None
    ) -> Any:
        return transition_incident(
            obj, transition.name, actor=self.request.user, data=data, version=version
        )

    def get_success_url(self, obj: Any) -> str:
        return reverse("portal:incident_detail", args=[obj.pk])
