"""The release lifecycle: build → test → deploy → closed, with a return from test to build
and cancel. Drawn in docs/processes/releases.md.

Who: engineers (releases.change_release) move a release of their groups from build to test
and back; the release manager (releases.manage_release: IT managers) lets it into deploy,
closes and cancels it. What must hold: a release enters deploy only when it bundles at
least one change and every bundled change is approved or further on (approved, scheduled,
implementing, implemented, under review, closed); it is closed only after a successful
deployment to production."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.changes.choices import ChangeStatus
from itsm.core.workflow import Transition, Workflow
from itsm.releases.choices import DeploymentEnvironment, DeploymentOutcome, ReleaseStatus
from itsm.releases.forms import ReasonForm
from itsm.releases.models import Release

S = ReleaseStatus

# The statuses of a change that authorise deploying the release bundling it. A change that
# failed or was backed out, rejected or cancelled does not: take it out of the release or
# raise a new one.
AUTHORISED_CHANGE_STATUSES = (
    ChangeStatus.APPROVED,
    ChangeStatus.SCHEDULED,
    ChangeStatus.IMPLEMENTING,
    ChangeStatus.IMPLEMENTED,
    ChangeStatus.REVIEW,
    ChangeStatus.CLOSED,
)


def is_routed_to_actor(release: Release, actor: Any) -> str | None:
    """Engineers who do not see every incident work only the releases of their groups."""
    if actor.has_perm("incidents.view_all_incidents"):
        return None
    if release.assignment_group_id and release.assignment_group_id in actor.group_ids():
        return None
    if release.assignee_id is not None and release.assignee_id == actor.pk:
        return None
    return _("This release is not with one of your groups.")


def changes_authorised(release: Release, actor: Any) -> str | None:
    """Deploy only what change management approved."""
    changes = list(release.changes.order_by("number").values_list("number", "status"))
    if not changes:
        return _("Bundle at least one approved change before deploying.")
    waiting = [number for number, status in changes if status not in AUTHORISED_CHANGE_STATUSES]
    if waiting:
        return _("These bundled changes are not approved: %(numbers)s.") % {
            "numbers": ", ".join(waiting)
        }
    return None


def deployed_to_production(release: Release, actor: Any) -> str | None:
    if release.deployments.filter(
        environment=DeploymentEnvironment.PRODUCTION, outcome=DeploymentOutcome.SUCCESSFUL
    ).exists():
        return None
    return _("Record a successful deployment to production before closing the release.")


RELEASE_WORKFLOW: Workflow[Release] = Workflow(
    initial=S.BUILD,
    timestamps={S.CLOSED: "closed_at", S.CANCELLED: "closed_at"},
    transitions=(
        Transition(
            "start_test",
            gettext_lazy("Start testing"),
            (S.BUILD,),
            S.TEST,
            "releases.change_release",
            guards=(is_routed_to_actor,),
            style="primary",
        ),
        Transition(
            "return_to_build",
            gettext_lazy("Return to build"),
            (S.TEST,),
            S.BUILD,
            "releases.change_release",
            form=ReasonForm,
            guards=(is_routed_to_actor,),
            style="warning",
        ),
        Transition(
            "start_deploy",
            gettext_lazy("Approve for deployment"),
            (S.TEST,),
            S.DEPLOY,
            "releases.manage_release",
            conditions=(changes_authorised,),
            style="primary",
        ),
        Transition(
            "close",
            gettext_lazy("Close"),
            (S.DEPLOY,),
            S.CLOSED,
            "releases.manage_release",
            conditions=(deployed_to_production,),
            style="success",
        ),
        Transition(
            "cancel",
            gettext_lazy("Cancel"),
            (S.BUILD, S.TEST, S.DEPLOY),
            S.CANCELLED,
            "releases.manage_release",
            form=ReasonForm,
            style="danger",
        ),
    ),
)
