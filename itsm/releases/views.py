"""Release pages for IT staff: the list, the release page with its stages, bundled changes
and deployments, plan and edit, the workflow's stages, recording a deployment, rolling one
back, and the deployments of one configuration item (what version went where and when).
Each view fetches through `visible_to` (404) and calls a verb of `services.py`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.cmdb.models import ConfigurationItem
from itsm.core.exports import Column
from itsm.core.views import (
    ItsmView,
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectTransitionView,
    add_service_errors,
    error_response,
    get_object_for_user,
    redirect_after_post,
)
from itsm.core.workflow import Transition
from itsm.releases import services
from itsm.releases.choices import DeploymentOutcome
from itsm.releases.filters import DeploymentFilterSet, ReleaseFilterSet
from itsm.releases.forms import DeploymentForm, ReleaseForm, RollbackForm
from itsm.releases.models import Deployment, Release
from itsm.releases.workflow import RELEASE_WORKFLOW, is_routed_to_actor


class ReleaseListView(ObjectListView):
    model = Release
    permission = "releases.view_release"
    filterset_class = ReleaseFilterSet
    template_name = "releases/release_list.html"
    select_related = ("service", "assignment_group", "assignee")
    sort_fields = {
        "created": ("-created_at",),
        "planned": ("planned_start",),
        "number": ("number",),
    }
    default_sort = "created"
    export_name = "releases"
    export_columns = (
        Column(_("Number"), lambda r: r.number),
        Column(_("Version"), lambda r: r.release_version),
        Column(_("Title"), lambda r: r.title),
        Column(_("Type"), lambda r: r.get_release_type_display()),
        Column(_("Stage"), lambda r: r.get_status_display()),
        Column(_("Service"), lambda r: str(r.service) if r.service_id else ""),
        Column(_("Assignment group"), lambda r: str(r.assignment_group or "")),
        Column(_("Planned start"), lambda r: r.planned_start),
        Column(_("Planned end"), lambda r: r.planned_end),
        Column(_("Created at"), lambda r: r.created_at),
    )

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        return {**context, "nav": "releases"}


def rollbackable(deployments: list[Deployment]) -> set[int]:
    """Of these deployments, the ids of those that are the latest successful one on their
    item and environment and replaced a version: the ones a rollback button is shown for."""
    items = {d.configuration_item_id for d in deployments}
    latest: dict[tuple[int, str], int] = {}
    rows = (
        Deployment.objects.filter(
            configuration_item_id__in=items, outcome=DeploymentOutcome.SUCCESSFUL
        )
        .order_by("configuration_item_id", "environment", "-deployed_at", "-id")
        .values_list("configuration_item_id", "environment", "pk")
    )
    for item, environment, pk in rows:
        latest.setdefault((item, environment), pk)
    return {
        d.pk
        for d in deployments
        if d.previous_version and latest.get((d.configuration_item_id, d.environment)) == d.pk
    }


class ReleaseDetailView(ObjectDetailView):
    model = Release
    permission = "releases.view_release"
    template_name = "releases/release_detail.html"
    context_object_name = "release"
    select_related = ("service", "assignment_group", "assignee", "requester")

    def get_context_data(self, obj: Any, **context: Any) -> dict[str, Any]:
        user = self.request.user
        deployments = list(
            obj.deployments.select_related("configuration_item", "deployed_by", "rollback_of")
        )
        can_deploy = (
            user.has_perm("releases.add_deployment")
            and obj.status in services.ENVIRONMENTS_BY_STAGE
            and is_routed_to_actor(obj, user) is None
        )
        return super().get_context_data(
            obj,
            nav="releases",
            actions=[(t, t.form is not None) for t in RELEASE_WORKFLOW.available(obj, user)],
            deployments=deployments,
            rollbackable=rollbackable(deployments) if can_deploy else set(),
            configuration_items=obj.configuration_items.order_by("code"),
            changes=obj.changes.visible_to(user).order_by("number"),
            can_edit=user.has_perm("releases.change_release") and obj.is_open,
            can_deploy=can_deploy,
            **context,
        )


class ReleaseEditView(ObjectEditView):
    """Plan a release or edit one."""

    model = Release
    form_class = ReleaseForm
    versioned = True
    template_name = "releases/release_edit.html"
    success_message = _("Release %(object)s saved.")

    def check_permission(self) -> None:
        permission = "releases.change_release" if "pk" in self.kwargs else "releases.add_release"
        if not self.request.user.has_perm(permission):
            raise PermissionDenied(gettext("You may not plan or edit releases."))

    def get_form(self, obj: Any, data: Any = None) -> forms.BaseForm:
        return ReleaseForm(data=data, instance=obj, viewer=self.request.user)

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        return super().get_context_data(obj, form, nav="releases", **context)

    def save(self, form: forms.BaseForm, obj: Any, version: int | None) -> Any:
        data = form.cleaned_data
        if obj is None:
            return services.raise_release(data, actor=self.request.user)
        assert version is not None
        return services.update_release(obj, data, actor=self.request.user, version=version)


class ReleaseTransitionView(ObjectTransitionView):
    model = Release
    workflow = RELEASE_WORKFLOW
    template_name = "releases/release_transition.html"
    partial_template_name = "releases/_transition_form.html"

    def get_context_data(
        self, obj: Any, transition: Transition, form: forms.Form | None, **context: Any
    ) -> dict[str, Any]:
        context = super().get_context_data(obj, transition, form, **context)
        version = self.request.GET.get("version") or self.request.POST.get("version")
        return {
            **context,
            "release": obj,
            "nav": "releases",
            "version": version or obj.version,
            "action_url": reverse("releases:release_transition", args=[obj.pk, transition.name]),
        }

    def perform(
        self, obj: Any, transition: Transition, data: dict[str, Any], version: int | None
    ) -> Any:
        return services.transition_release(
            obj, transition.name, actor=self.request.user, data=data, version=version
        )


class DeploymentCreateView(ItsmView):
    """Record a deployment of the release on one of its items."""

    template_name = "releases/deployment_form.html"
    check_permission_first = False
    permission = "releases.add_deployment"
    permission_message = _("You may not record deployments.")

    def page(self, release: Release, form: DeploymentForm, status: int = 200) -> HttpResponse:
        return self.render({"release": release, "form": form, "nav": "releases"}, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        release: Release = get_object_for_user(request, Release, pk)
        self.check_permission()
        return self.page(release, DeploymentForm(release=release))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        release: Release = get_object_for_user(request, Release, pk)
        self.check_permission()
        form = DeploymentForm(request.POST, release=release)
        if form.is_valid():
            try:
                deployment = services.record_deployment(
                    release, form.cleaned_data, actor=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    gettext("Deployment of %(version)s to %(code)s recorded.")
                    % {
                        "version": deployment.version_deployed,
                        "code": deployment.configuration_item.code,
                    },
                )
                return redirect_after_post(request, release.get_absolute_url())
        return self.page(release, form, status=400)


class DeploymentRollbackView(ItsmView):
    """Roll an item back to the version a deployment replaced (POST, optional notes)."""

    check_permission_first = False
    permission = "releases.add_deployment"
    permission_message = _("You may not record deployments.")

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        deployment: Deployment = get_object_for_user(request, Deployment, pk)
        self.check_permission()
        back_url = deployment.get_absolute_url()
        form = RollbackForm(request.POST)
        if not form.is_valid():
            return error_response(
                request, 400, " ".join(str(e) for e in form.errors.get("notes") or [])
            )
        back = services.rollback_deployment(
            deployment, actor=request.user, notes=form.cleaned_data["notes"]
        )
        messages.success(
            request,
            gettext("%(code)s rolled back to %(version)s.")
            % {"code": back.configuration_item.code, "version": back.version_deployed},
        )
        return redirect_after_post(request, back_url)


class DeploymentListView(ObjectListView):
    """What version went where and when: every deployment, newest first, for one item
    (`?ci=<id>`, linked from the item's page) or filtered by environment and outcome."""

    model = Deployment
    permission = "releases.view_deployment"
    filterset_class = DeploymentFilterSet
    template_name = "releases/deployment_list.html"
    select_related = ("release", "configuration_item", "deployed_by", "rollback_of")
    sort_fields = {"deployed": ("-deployed_at",)}
    default_sort = "deployed"
    export_name = "deployments"
    export_columns = (
        Column(_("Deployed at"), lambda d: d.deployed_at),
        Column(_("Configuration item"), lambda d: d.configuration_item.code),
        Column(_("Environment"), lambda d: d.get_environment_display()),
        Column(_("Version deployed"), lambda d: d.version_deployed),
        Column(_("Previous version"), lambda d: d.previous_version),
        Column(_("Outcome"), lambda d: d.get_outcome_display()),
        Column(_("Release"), lambda d: d.release.number),
        Column(_("Deployed by"), lambda d: str(d.deployed_by)),
    )

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        raw = self.request.GET.get("ci", "")
        item = ConfigurationItem.objects.filter(pk=raw).first() if raw.isdigit() else None
        return {**context, "nav": "releases", "item": item}
