"""Problem pages for IT staff: the list, the problem page with its root-cause analysis and
linked incidents, create and edit (also from an incident), the workflow's actions and the
proposed problems. Each view fetches through `visible_to` (404) and calls a verb of
`services.py`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.core.exports import Column
from itsm.core.views import (
    ItsmView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectTransitionView,
    error_response,
    get_object_for_user,
    redirect_after_post,
)
from itsm.core.workflow import Transition
from itsm.incidents.models import Incident
from itsm.problems import services
from itsm.problems.choices import ProposalStatus
from itsm.problems.filters import ProblemFilterSet, ProposedProblemFilterSet
from itsm.problems.forms import LinkIncidentForm, ProblemForm
from itsm.problems.models import Problem, ProblemIncident, ProblemQuerySet, ProposedProblem
from itsm.problems.workflow import PROBLEM_WORKFLOW


class ProblemListView(ObjectListView):
    model = Problem
    permission = "problems.view_problem"
    filterset_class = ProblemFilterSet
    template_name = "problems/problem_list.html"
    select_related = ("service", "assignment_group")
    sort_fields = {
        "priority": ("priority", "created_at"),
        "created": ("created_at",),
        "number": ("number",),
    }
    default_sort = "priority"
    export_name = "problems"
    export_columns = (
        Column(_("Number"), lambda p: p.number),
        Column(_("Title"), lambda p: p.title),
        Column(_("Status"), lambda p: p.get_status_display()),
        Column(_("Priority"), lambda p: p.get_priority_display()),
        Column(_("Service"), lambda p: str(p.service) if p.service_id else ""),
        Column(_("Assignment group"), lambda p: str(p.assignment_group or "")),
        Column(_("Cause category"), lambda p: p.get_cause_category_display()),
        Column(_("Permanent-fix change"), lambda p: p.change_number),
        Column(_("Created at"), lambda p: p.created_at),
        Column(_("Resolved at"), lambda p: p.resolved_at),
    )

    def get_queryset(self) -> QuerySet[Any]:
        queryset: ProblemQuerySet = super().get_queryset()  # type: ignore[assignment]
        return queryset.with_incident_count()

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        open_proposals = 0
        if self.request.user.has_perm("problems.view_proposedproblem"):
            open_proposals = ProposedProblem.objects.filter(status=ProposalStatus.PROPOSED).count()
        return {**context, "nav": "problems", "open_proposals": open_proposals}


class ProblemDetailView(ObjectDetailView):
    model = Problem
    permission = "problems.view_problem"
    template_name = "problems/problem_detail.html"
    context_object_name = "problem"
    select_related = ("service", "assignment_group", "assignee", "requester")

    def get_context_data(self, obj: Any, **context: Any) -> dict[str, Any]:
        user = self.request.user
        links = (
            ProblemIncident.objects.filter(problem=obj)
            .select_related("incident", "linked_by")
            .order_by("-incident__reported_at")
        )
        weeks = services.incidents_per_week(obj)
        most = max((w.count for w in weeks), default=0)
        can_work = user.has_perm("problems.change_problem") and obj.is_open
        return super().get_context_data(
            obj,
            nav="problems",
            actions=[(t, t.form is not None) for t in PROBLEM_WORKFLOW.available(obj, user)],
            links=links,
            weeks=[(w, int(100 * w.count / most) if most else 0) for w in weeks],
            configuration_items=obj.configuration_items.order_by("code"),
            affected_services=obj.affected_services.order_by("code"),
            can_edit=can_work,
            can_link=can_work,
            link_form=context.pop("link_form", None) or LinkIncidentForm(),
            **context,
        )


class ProblemEditView(ObjectEditView):
    """Raise a problem (proactively, or from an incident: `?incident=<id>`) or edit one."""

    model = Problem
    form_class = ProblemForm
    versioned = True
    template_name = "problems/problem_edit.html"
    success_message = _("Problem %(object)s saved.")

    def check_permission(self) -> None:
        permission = "problems.change_problem" if "pk" in self.kwargs else "problems.add_problem"
        if not self.request.user.has_perm(permission):
            raise PermissionDenied(gettext("You may not raise or edit problems."))

    def source_incident(self) -> Incident | None:
        raw = self.request.GET.get("incident") or self.request.POST.get("incident") or ""
        if "pk" in self.kwargs or not raw.isdigit():
            return None
        incident: Incident = get_object_for_user(self.request, Incident, int(raw))
        return incident

    def get_initial(self, obj: Any) -> dict[str, Any]:
        incident = self.source_incident()
        if incident is None:
            return {}
        return {
            "title": incident.title,
            "symptoms": incident.description,
            "impact": incident.impact,
            "urgency": incident.urgency,
            "service": incident.service_id,
            "configuration_items": list(incident.configuration_items.all()),
        }

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        return super().get_context_data(
            obj, form, nav="problems", incident=self.source_incident(), **context
        )

    def save(self, form: forms.BaseForm, obj: Any, version: int | None) -> Any:
        data = form.cleaned_data
        if obj is None:
            incident = self.source_incident()
            return services.raise_problem(
                data, actor=self.request.user, incidents=[incident] if incident else []
            )
        assert version is not None
        return services.update_problem(obj, data, actor=self.request.user, version=version)


class ProblemTransitionView(ObjectTransitionView):
    model = Problem
    workflow = PROBLEM_WORKFLOW
    template_name = "problems/problem_transition.html"
    partial_template_name = "problems/_transition_form.html"

    def get_context_data(
        self, obj: Any, transition: Transition, form: forms.Form | None, **context: Any
    ) -> dict[str, Any]:
        context = super().get_context_data(obj, transition, form, **context)
        version = self.request.GET.get("version") or self.request.POST.get("version")
        return {
            **context,
            "problem": obj,
            "nav": "problems",
            "version": version or obj.version,
            "open_incidents": Incident.objects.open().filter(problem_links__problem=obj).count(),
            "action_url": reverse("problems:problem_transition", args=[obj.pk, transition.name]),
        }

    def perform(
        self, obj: Any, transition: Transition, data: dict[str, Any], version: int | None
    ) -> Any:
        return services.transition_problem(
            obj, transition.name, actor=self.request.user, data=data, version=version
        )


class ProblemLinkView(ItsmView):
    """Link an incident to the problem by its number."""

    check_permission_first = False

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        problem: Problem = get_object_for_user(request, Problem, pk)
        form = LinkIncidentForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(
                    list(form.errors.get("number") or [gettext("Enter an incident number.")])
                )
            incident = services.find_incident(form.cleaned_data["number"], viewer=request.user)
            services.link_incidents_to_problem(problem, [incident], actor=request.user)
        except ValidationError as exc:
            return error_response(
                request, 400, " ".join(exc.messages), back_url=problem.get_absolute_url()
            )
        messages.success(request, gettext("%(number)s linked.") % {"number": incident.number})
        return redirect_after_post(request, problem.get_absolute_url())


class ProblemUnlinkView(ItsmView):
    check_permission_first = False

    def post(self, request: HttpRequest, pk: int, incident: int) -> HttpResponse:
        problem: Problem = get_object_for_user(request, Problem, pk)
        linked = get_object_or_404(Incident, pk=incident)
        services.unlink_incident(problem, linked, actor=request.user)
        messages.success(request, gettext("%(number)s unlinked.") % {"number": linked.number})
        return redirect_after_post(request, problem.get_absolute_url())


class ProposalListView(ObjectListView):
    model = ProposedProblem
    permission = "problems.view_proposedproblem"
    filterset_class = ProposedProblemFilterSet
    template_name = "problems/proposal_list.html"
    select_related = ("problem", "decided_by")
    sort_fields = {"created": ("-created_at",)}
    default_sort = "created"

    def get_queryset(self) -> QuerySet[Any]:
        return (
            ProposedProblem.objects.select_related(*self.select_related)
            .annotate(incident_count=Count("incidents"))
            .prefetch_related(
                Prefetch(
                    "incidents",
                    queryset=Incident.objects.only("id", "number", "title", "reported_at").order_by(
                        "reported_at"
                    ),
                )
            )
        )

    def get_filter_data(self) -> QueryDict:
        data = self.request.GET.copy()
        data.setdefault("status", ProposalStatus.PROPOSED)
        return data

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        return {
            **context,
            "nav": "problems",
            "can_decide": self.request.user.has_perm("problems.manage_problem"),
        }


class ProposalDecisionView(ItsmView):
    """Accept (raise the problem) or dismiss a proposed problem."""

    permission = "problems.manage_problem"

    def post(self, request: HttpRequest, pk: int, decision: str) -> HttpResponse:
        if decision not in ("accept", "dismiss"):
            raise Http404(gettext("Unknown action."))
        proposal = get_object_or_404(ProposedProblem, pk=pk)
        if decision == "accept":
            problem = services.accept_proposal(proposal, actor=request.user)
            messages.success(
                request, gettext("Problem %(number)s raised.") % {"number": problem.number}
            )
            return redirect_after_post(request, problem.get_absolute_url())
        services.dismiss_proposal(
            proposal, actor=request.user, reason=request.POST.get("reason", "")
        )
        messages.success(request, gettext("Proposal dismissed."))
        return redirect_after_post(request, reverse("problems:proposal_list"))


class PublishKnownErrorView(ItsmView):
    """Send a known error's root cause and workaround to the knowledge base (a draft
    article for review), then open the article."""

    check_permission_first = False

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        problem: Problem = get_object_for_user(request, Problem, pk)
        article = services.publish_known_error(problem, actor=request.user)
        messages.success(
            request,
            gettext("Sent to the knowledge base for review as %(article)s.")
            % {"article": article.title},
        )
        return redirect_after_post(request, article.get_absolute_url())


class IncidentKnownErrorsView(ItsmView):
    """The incident page's known-error card, loaded after the page: the workarounds of the
    known errors the incident is linked to, or the known errors its title matches, with
    a button to link it."""

    permission = "incidents.work_incident"
    template_name = "problems/_incident_known_errors.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident: Incident = get_object_for_user(request, Incident, pk)
        if not request.user.has_perm("problems.view_problem"):
            return HttpResponse("")
        found = services.known_errors_for(incident, viewer=request.user)
        return self.render(
            {
                "incident": incident,
                "known": found,
                "can_link": request.user.has_perm("problems.change_problem"),
            }
        )


class LinkToKnownErrorView(ItsmView):
    """From the incident page: link the incident to a known error it matches."""

    check_permission_first = False

    def post(self, request: HttpRequest, pk: int, incident: int) -> HttpResponse:
        problem: Problem = get_object_for_user(request, Problem, pk)
        linked: Incident = get_object_for_user(request, Incident, incident)
        services.link_incidents_to_problem(problem, [linked], actor=request.user)
        messages.success(
            request,
            gettext("%(number)s linked to %(problem)s.")
            % {"number": linked.number, "problem": problem.number},
        )
        return redirect_after_post(request, linked.get_absolute_url())
