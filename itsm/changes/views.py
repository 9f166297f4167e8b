"""Change pages for IT staff: the list, the change page (plans, CMDB impact, risk,
approvals, tasks, links), raise (normal, emergency or from a standard template) and edit,
the workflow's actions, the approvers' decisions and the monthly report. Each view fetches
through `visible_to` (404) and calls a verb of `services.py`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.changes import services
from itsm.changes.approvals import can_decide
from itsm.changes.calendar import conflicts_for_viewer
from itsm.changes.calendar_views import calendar_context
from itsm.changes.choices import OPEN_CHANGE_STATUSES, ApprovalDecision, ChangeTaskStatus
from itsm.changes.cmdb_updates import declare_cmdb_update, remove_cmdb_update
from itsm.changes.cmdb_updates import describe as describe_cmdb_update
from itsm.changes.filters import ChangeFilterSet
from itsm.changes.forms import (
    ChangeForm,
    CmdbUpdateForm,
    DecisionForm,
    FromTemplateForm,
    LinkNumberForm,
    RiskForm,
    TaskForm,
)
from itsm.changes.impact import impact_of_change
from itsm.changes.models import (
    Approval,
    ApprovalStep,
    Change,
    ChangeIncident,
    ChangeTask,
    ChangeTemplate,
    DeclaredCmdbUpdate,
    RiskQuestion,
)
from itsm.changes.services import PLAN_EDIT_STATUSES
from itsm.changes.workflow import CHANGE_WORKFLOW
from itsm.cmdb.models import ConfigurationItem
from itsm.cmdb.services import impact_of
from itsm.core.exports import Column
from itsm.core.models import AuditEntry
from itsm.core.views import (
    ItsmView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectTransitionView,
    audit_headline,
    describe_audit_entries,
    error_response,
    get_object_for_user,
    redirect_after_post,
)
from itsm.core.workflow import Transition
from itsm.incidents.models import Incident
from itsm.problems.models import Problem

# What the change's own audit actions say in its history (the others: audit_headline).
HEADLINES = {
    "approval:approve": _("approved the change"),
    "approval:reject": _("rejected the change"),
    "approval_path": _("set the approval steps"),
    "assess_risk": _("assessed the risk"),
    "add_task": _("added a task"),
    "finish_task": _("finished a task"),
    "link_problem": _("linked a problem it fixes"),
    "unlink_problem": _("unlinked a problem"),
    "link_incident": _("linked an incident it caused"),
    "unlink_incident": _("unlinked an incident"),
    "declare_cmdb_update": _("declared a CMDB update"),
    "remove_cmdb_update": _("withdrew a CMDB update"),
}


def change_history(change: Change) -> list[tuple[AuditEntry, str, Any]]:
    """The change's audit entries, newest first, each with what was done and its field
    changes in words."""
    entries = list(
        AuditEntry.objects.filter(content_type__model="change", content_type__app_label="changes")
        .filter(object_id=change.pk)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )
    described = describe_audit_entries(entries, Change)
    return [
        (
            entry,
            str(HEADLINES.get(entry.action) or audit_headline(entry, CHANGE_WORKFLOW)),
            # Keys that are not fields of the change (the approval, the task) are told by
            # the headline and the note.
            [line for line in described.get(entry.pk, []) if line.field != line.key],
        )
        for entry in entries
    ]


class ChangeListView(ObjectListView):
    model = Change
    permission = "changes.view_change"
    filterset_class = ChangeFilterSet
    template_name = "changes/change_list.html"
    select_related = ("service", "assignment_group", "implementer")
    sort_fields = {
        "start": ("planned_start",),
        "created": ("-created_at",),
        "number": ("number",),
    }
    default_sort = "created"
    export_name = "changes"
    export_columns = (
        Column(_("Number"), lambda c: c.number),
        Column(_("Title"), lambda c: c.title),
        Column(_("Type"), lambda c: c.get_change_type_display()),
        Column(_("Status"), lambda c: c.get_status_display()),
        Column(_("Risk level"), lambda c: c.get_risk_level_display()),
        Column(_("Service"), lambda c: str(c.service) if c.service_id else ""),
        Column(_("Assignment group"), lambda c: str(c.assignment_group or "")),
        Column(_("Implementer"), lambda c: str(c.implementer or "")),
        Column(_("Planned start"), lambda c: c.planned_start),
        Column(_("Planned end"), lambda c: c.planned_end),
        Column(_("Outcome"), lambda c: c.get_outcome_display()),
    )

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        return {**context, "nav": "changes"}


class ChangeDetailView(ObjectDetailView):
    model = Change
    permission = "changes.view_change"
    template_name = "changes/change_detail.html"
    context_object_name = "change"
    select_related = ("service", "assignment_group", "assignee", "requester", "implementer")

    def get_context_data(self, obj: Any, **context: Any) -> dict[str, Any]:
        user = self.request.user
        can_work = user.has_perm("changes.change_change") and obj.is_open
        steps = (
            ApprovalStep.objects.filter(change=obj)
            .select_related("board")
            .prefetch_related(
                "approvers",
                Prefetch("approvals", queryset=Approval.objects.select_related("approver")),
            )
        )
        questions = list(RiskQuestion.objects.filter(active=True).prefetch_related("choices"))
        answers = {a.question_id: a.choice_id for a in obj.risk_answers.all()}
        return super().get_context_data(
            obj,
            nav="changes",
            actions=[(t, t.form is not None) for t in CHANGE_WORKFLOW.available(obj, user)],
            impact=impact_of_change(obj),
            configuration_items=obj.configuration_items.order_by("code"),
            steps=steps,
            can_decide=can_decide(obj, user),
            decision_form=DecisionForm(),
            tasks=ChangeTask.objects.filter(change=obj).select_related("assignee", "done_by"),
            problems=obj.problems.order_by("number"),
            incident_links=ChangeIncident.objects.filter(change=obj).select_related("incident"),
            can_edit=can_work,
            can_assess=can_work and obj.status in PLAN_EDIT_STATUSES,
            risk_form=RiskForm(
                questions=questions, initial={"q%d" % k: v for k, v in answers.items()}
            ),
            task_form=TaskForm(),
            link_form=LinkNumberForm(),
            history=change_history(obj),
            **calendar_context(obj, user),
            **cmdb_update_context(obj, can_work),
            **context,
        )


class ChangeEditView(ObjectEditView):
    """Raise a normal or emergency change, or edit one."""

    model = Change
    form_class = ChangeForm
    versioned = True
    template_name = "changes/change_edit.html"
    success_message = _("Change %(object)s saved.")

    def check_permission(self) -> None:
        permission = "changes.change_change" if "pk" in self.kwargs else "changes.add_change"
        if not self.request.user.has_perm(permission):
            raise PermissionDenied(gettext("You may not raise or edit changes."))

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        return super().get_context_data(obj, form, nav="changes", **context)

    def save(self, form: forms.BaseForm, obj: Any, version: int | None) -> Any:
        data = form.cleaned_data
        if obj is None:
            return services.raise_change(data, actor=self.request.user)
        assert version is not None
        return services.update_change(obj, data, actor=self.request.user, version=version)


class FromTemplateView(ObjectEditView):
    """Raise a standard change from a pre-approved template."""

    model = ChangeTemplate
    form_class = FromTemplateForm
    template_name = "changes/change_from_template.html"
    success_message = _("Change %(object)s saved.")

    def check_permission(self) -> None:
        if not self.request.user.has_perm("changes.add_change"):
            raise PermissionDenied(gettext("You may not raise or edit changes."))

    def fetch(self) -> Any:
        return None

    def get_initial(self, obj: Any) -> dict[str, Any]:
        raw = self.request.GET.get("template", "")
        return {"template": int(raw)} if raw.isdigit() else {}

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        return super().get_context_data(
            obj,
            form,
            nav="changes",
            templates=ChangeTemplate.objects.filter(active=True).select_related("service"),
            **context,
        )

    def save(self, form: forms.BaseForm, obj: Any, version: int | None) -> Any:
        data = dict(form.cleaned_data)
        template = data.pop("template")
        return services.raise_standard_change(template, data, actor=self.request.user)


class ChangeTransitionView(ObjectTransitionView):
    model = Change
    workflow = CHANGE_WORKFLOW
    template_name = "changes/change_transition.html"
    partial_template_name = "changes/_transition_form.html"

    def get_transition_form(
        self, transition: Transition, obj: Any, data: QueryDict | None = None
    ) -> forms.Form | None:
        form = super().get_transition_form(transition, obj, data)
        if form is not None and data is None and transition.name == "schedule":
            # The window the change was planned with, to confirm or move.
            form.initial = {"planned_start": obj.planned_start, "planned_end": obj.planned_end}
        return form

    def get_context_data(
        self, obj: Any, transition: Transition, form: forms.Form | None, **context: Any
    ) -> dict[str, Any]:
        context = super().get_context_data(obj, transition, form, **context)
        version = self.request.GET.get("version") or self.request.POST.get("version")
        return {
            **context,
            "change": obj,
            "nav": "changes",
            "version": version or obj.version,
            "action_url": reverse("changes:change_transition", args=[obj.pk, transition.name]),
            "conflicts": (
                conflicts_for_viewer(obj, self.request.user)
                if transition.name == "schedule"
                else []
            ),
        }

    def perform(
        self, obj: Any, transition: Transition, data: dict[str, Any], version: int | None
    ) -> Any:
        return services.transition_change(
            obj, transition.name, actor=self.request.user, data=data, version=version
        )


def _refused(request: HttpRequest, change: Change, exc: ValidationError) -> HttpResponse:
    return error_response(request, 400, " ".join(exc.messages), back_url=change.get_absolute_url())


class DecisionView(ItsmView):
    """An approver approves or rejects the change's current step, with a comment."""

    check_permission_first = False

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        change: Change = get_object_for_user(request, Change, pk)
        form = DecisionForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(gettext("Approve or reject."))
            decision = form.cleaned_data["decision"]
            comment = form.cleaned_data["comment"]
            if decision == ApprovalDecision.APPROVE:
                services.approve_change(change, actor=request.user, comment=comment)
            else:
                services.reject_change(change, actor=request.user, comment=comment)
        except ValidationError as exc:
            return _refused(request, change, exc)
        if decision == ApprovalDecision.APPROVE:
            for conflict in conflicts_for_viewer(change, request.user):
                messages.warning(request, conflict.reason)
        message = (
            gettext("You approved %(number)s.")
            if decision == ApprovalDecision.APPROVE
            else gettext("You rejected %(number)s.")
        )
        messages.success(request, message % {"number": change.number})
        return redirect_after_post(request, change.get_absolute_url())


class RiskView(ItsmView):
    """Answer the risk questionnaire."""

    check_permission_first = False

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        change: Change = get_object_for_user(request, Change, pk)
        questions = list(RiskQuestion.objects.filter(active=True).prefetch_related("choices"))
        form = RiskForm(request.POST, questions=questions)
        try:
            if not form.is_valid():
                raise ValidationError(gettext("Answer every question."))
            saved = services.assess_risk(change, form.answers(), actor=request.user)
        except ValidationError as exc:
            return _refused(request, change, exc)
        messages.success(
            request,
            gettext("Risk assessed: %(level)s (%(score)s).")
            % {"level": saved.get_risk_level_display(), "score": saved.risk_score},
        )
        return redirect_after_post(request, change.get_absolute_url())


class TaskAddView(ItsmView):
    check_permission_first = False

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        change: Change = get_object_for_user(request, Change, pk)
        form = TaskForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError([str(e) for errors in form.errors.values() for e in errors])
            services.add_change_task(change, form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            return _refused(request, change, exc)
        messages.success(request, gettext("Task added."))
        return redirect_after_post(request, change.get_absolute_url())


class TaskFinishView(ItsmView):
    check_permission_first = False

    def post(self, request: HttpRequest, pk: int, task: int) -> HttpResponse:
        change: Change = get_object_for_user(request, Change, pk)
        found = get_object_or_404(ChangeTask, change=change, pk=task)
        status = request.POST.get("status", ChangeTaskStatus.DONE)
        try:
            services.finish_change_task(
                found, actor=request.user, status=status, notes=request.POST.get("notes", "")
            )
        except ValidationError as exc:
            return _refused(request, change, exc)
        messages.success(request, gettext("Task updated."))
        return redirect_after_post(request, change.get_absolute_url())


class LinkView(ItsmView):
    """Link a problem the change fixes, or an incident it caused, by its number."""

    check_permission_first = False

    def post(self, request: HttpRequest, pk: int, kind: str) -> HttpResponse:
        change: Change = get_object_for_user(request, Change, pk)
        form = LinkNumberForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError(gettext("Enter a record number."))
            number = form.cleaned_data["number"]
            if kind == "problem":
                problem = services.find_by_number(
                    Problem, number, viewer=request.user, field="number"
                )
                services.link_problem(change, problem, actor=request.user)
            else:
                incident = services.find_by_number(
                    Incident, number, viewer=request.user, field="number"
                )
                services.link_incident(
                    change, incident, actor=request.user, note=form.cleaned_data["note"]
                )
        except ValidationError as exc:
            return _refused(request, change, exc)
        messages.success(request, gettext("%(number)s linked.") % {"number": number.upper()})
        return redirect_after_post(request, change.get_absolute_url())


class UnlinkView(ItsmView):
    check_permission_first = False

    def post(self, request: HttpRequest, pk: int, kind: str, other: int) -> HttpResponse:
        change: Change = get_object_for_user(request, Change, pk)
        try:
            if kind == "problem":
                problem = get_object_or_404(Problem, pk=other)
                services.unlink_problem(change, problem, actor=request.user)
            else:
                incident = get_object_or_404(Incident, pk=other)
                services.unlink_incident(change, incident, actor=request.user)
        except ValidationError as exc:  # not linked: a message, not a 500
            return _refused(request, change, exc)
        messages.success(request, gettext("Unlinked."))
        return redirect_after_post(request, change.get_absolute_url())


class TemplateListView(ItsmView):
    permission = "changes.view_changetemplate"
    template_name = "changes/template_list.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        templates: QuerySet[ChangeTemplate] = ChangeTemplate.objects.filter(
            active=True
        ).select_related("service", "assignment_group")
        return self.render({"templates": templates, "nav": "changes"})


class ChangeReportView(ItsmView):
    """Per month: changes finished, success rate, change-induced incident rate."""

    permission = "changes.view_change"
    template_name = "changes/report.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        raw = request.GET.get("months", "12")
        months = int(raw) if raw.isdigit() and 1 <= int(raw) <= 36 else 12
        return self.render(
            {"rows": services.change_report(months=months), "months": months, "nav": "changes"}
        )


# Declared CMDB updates --------------------------------------------------------------------


def cmdb_update_context(change: Change, can_work: bool) -> dict[str, Any]:
    """The change page's CMDB updates card: the updates in words, and the form while the
    plan may be edited."""
    updates = list(DeclaredCmdbUpdate.objects.filter(change=change).order_by("position"))
    return {
        "cmdb_updates": [(u, describe_cmdb_update(u)) for u in updates],
        "can_declare": can_work and change.status in PLAN_EDIT_STATUSES,
        "cmdb_update_form": CmdbUpdateForm(),
    }


class CmdbUpdateAddView(ItsmView):
    """Declare a CMDB update the change will make."""

    check_permission_first = False

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        change: Change = get_object_for_user(request, Change, pk)
        form = CmdbUpdateForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError([str(e) for errors in form.errors.values() for e in errors])
            declare_cmdb_update(change, form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            return _refused(request, change, exc)
        messages.success(request, gettext("CMDB update declared."))
        return redirect_after_post(request, change.get_absolute_url() + "#cmdb-updates")


class CmdbUpdateRemoveView(ItsmView):
    """Withdraw a declared CMDB update."""

    check_permission_first = False

    def post(self, request: HttpRequest, pk: int, update: int) -> HttpResponse:
        change: Change = get_object_for_user(request, Change, pk)
        found = get_object_or_404(DeclaredCmdbUpdate, change=change, pk=update)
        try:
            remove_cmdb_update(found, actor=request.user)
        except ValidationError as exc:
            return _refused(request, change, exc)
        messages.success(request, gettext("CMDB update withdrawn."))
        return redirect_after_post(request, change.get_absolute_url() + "#cmdb-updates")


# Most open changes the configuration item and incident pages list.
OPEN_CHANGES_SHOWN = 20


def open_changes_on(items: list[ConfigurationItem], viewer: Any) -> tuple[list[Change], bool]:
    """The open changes the viewer can see on these items, on what they rely on (a change on
    the server under an application touches the application too), or declaring a CMDB
    update of one of them: by planned start, at most OPEN_CHANGES_SHOWN, and whether there
    are more. Each change's `via` names the items relied on it is on. A constant number of
    queries per item analysed, whatever the number of changes."""
    own = {item.pk for item in items}
    below: set[int] = set()
    for item in items:
        below.update(r.ci.id for r in impact_of(item).depends_on)
    ids = sorted(own | below)
    codes = [item.code for item in items]
    found = list(
        Change.objects.visible_to(viewer)
        .filter(status__in=OPEN_CHANGE_STATUSES)
        .filter(
            Q(configuration_items__in=ids)
            | Q(cmdb_updates__ci_code__in=codes)
            | Q(cmdb_updates__other_code__in=codes)
        )
        .distinct()
        .prefetch_related(
            Prefetch(
                "configuration_items",
                queryset=ConfigurationItem.objects.filter(pk__in=ids).order_by("code"),
                to_attr="items_here",
            )
        )
        .order_by("planned_start", "pk")[: OPEN_CHANGES_SHOWN + 1]
    )
    for change in found:
        here = change.items_here  # type: ignore[attr-defined]
        change.via = [i.code for i in here if i.pk not in own]  # type: ignore[attr-defined]
        change.declares_only = not here  # type: ignore[attr-defined]
    return found[:OPEN_CHANGES_SHOWN], len(found) > OPEN_CHANGES_SHOWN


class CiOpenChangesView(ItsmView):
    """The configuration item page's open-changes card, loaded after the page (served
    here: the CMDB imports nothing from the change process)."""

    permission = "changes.view_change"
    template_name = "changes/_open_changes.html"

    def get(self, request: HttpRequest, ci: int) -> HttpResponse:
        item: ConfigurationItem = get_object_for_user(request, ConfigurationItem, ci)
        changes, more = open_changes_on([item], request.user)
        return self.render({"changes": changes, "more": more, "card_id": "ci-changes"})


class IncidentOpenChangesView(ItsmView):
    """The incident page's open-changes card, loaded after the page: the changes under way
    or just done on its configuration items and what they rely on — the first suspects of
    an incident."""

    permission = "changes.view_change"
    template_name = "changes/_open_changes.html"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        incident: Incident = get_object_for_user(request, Incident, pk)
        items = list(incident.configuration_items.only("id", "code"))
        if not items:
            return HttpResponse("")
        changes, more = open_changes_on(items, request.user)
        return self.render({"changes": changes, "more": more, "card_id": "incident-changes"})
