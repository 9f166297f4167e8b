"""Service verbs of release management. The release pages, the API and the demo data call
these; each is atomic and audited.

Recording a deployment to production is also a CMDB write: the item's `software_version`
attribute is set through `itsm.cmdb.services.set_deployed_version`, audited on the item with the
release's number (and its changes' numbers) as the change it was made under, so the item's
history shows every version it ran."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from itsm.cmdb.attributes import ClassTree
from itsm.cmdb.choices import ConfigurationItemStatus
from itsm.cmdb.models import AttributeDefinition, ConfigurationItem
from itsm.cmdb.services import DEPLOYED_VERSION_ATTRIBUTE, set_deployed_version
from itsm.core.exceptions import ConflictError
from itsm.core.services import diff, lock_version, next_number, save_version, write_audit
from itsm.core.workflow import apply_transition
from itsm.releases.choices import (
    DeploymentEnvironment,
    DeploymentOutcome,
    ReleaseStatus,
)
from itsm.releases.models import Deployment, Release
from itsm.releases.workflow import RELEASE_WORKFLOW, is_routed_to_actor

VERSION_ATTRIBUTE = DEPLOYED_VERSION_ATTRIBUTE

EDITABLE_FIELDS = (
    "title",
    "release_version",
    "release_type",
    "description",
    "service",
    "planned_start",
    "planned_end",
    "assignment_group",
    "assignee",
)
RELATION_SETS = ("configuration_items", "changes")

# Where a deployment may be recorded, by the release's stage: test copies while testing,
# anything once the release is approved for deployment.
ENVIRONMENTS_BY_STAGE: dict[str, tuple[str, ...]] = {
    ReleaseStatus.TEST: (DeploymentEnvironment.TEST, DeploymentEnvironment.TRAINING),
    ReleaseStatus.DEPLOY: tuple(DeploymentEnvironment.values),
}


def _set_relations(release: Release, fields: Mapping[str, Any]) -> dict[str, list[Any]]:
    changed: dict[str, list[Any]] = {}
    for name in RELATION_SETS:
        values = fields.get(name)
        if values is None:
            continue
        manager = getattr(release, name)
        old = sorted(manager.values_list("pk", flat=True))
        new = sorted(v.pk for v in values)
        if old != new:
            manager.set(values)
            changed[name] = [old, new]
    return changed


def _check_items(fields: Mapping[str, Any]) -> None:
    items = fields.get("configuration_items")
    if not items:
        return
    retired = [i.code for i in items if i.status == ConfigurationItemStatus.RETIRED]
    if retired:
        raise ValidationError(
            {
                "configuration_items": _("These items are retired: %(codes)s.")
                % {"codes": ", ".join(retired)}
            }
        )


@transaction.atomic
def raise_release(data: Mapping[str, Any], *, actor: Any) -> Release:
    """Plan a release. It starts in build; the actor is recorded as who raised it."""
    if not actor.has_perm("releases.add_release"):
        raise PermissionDenied(_("You may not plan releases."))
    fields = {k: v for k, v in data.items() if k in EDITABLE_FIELDS}
    release = Release(**fields, requester=actor)
    release.full_clean(exclude=("number", "status", "requester"))
    _check_items(data)
    release.number = next_number(Release.NUMBER_PREFIX)
    release.status = RELEASE_WORKFLOW.initial
    release.save()
    changes = diff({}, release.field_snapshot())
    changes.update(_set_relations(release, data))
    write_audit(release, actor=actor, action="create", changes=changes)
    return release


def _check_can_work(release: Release, actor: Any) -> None:
    if not actor.has_perm("releases.change_release"):
        raise PermissionDenied(_("You may not edit releases."))
    refusal = is_routed_to_actor(release, actor)
    if refusal:
        raise PermissionDenied(refusal)


@transaction.atomic
def update_release(
    release: Release, changes: Mapping[str, Any], *, actor: Any, version: int
) -> Release:
    """Edit an open release's plan, if nobody changed it since `version` was read (409
    otherwise)."""
    _check_can_work(release, actor)
    locked = lock_version(release, version)
    if not locked.is_open:
        raise ConflictError(_("A closed or cancelled release cannot be edited."))
    before = locked.field_snapshot()
    for name, value in changes.items():
        if name in EDITABLE_FIELDS:
            setattr(locked, name, value)
    locked.full_clean(exclude=("number", "status"))
    _check_items(changes)
    changed = diff(before, locked.field_snapshot())
    changed.update(_set_relations(locked, changes))
    if not changed:
        return locked
    save_version(locked, changed)
    write_audit(locked, actor=actor, action="update", changes=changed)
    return locked


def transition_release(
    release: Release,
    name: str,
    *,
    actor: Any,
    data: Mapping[str, Any] | None = None,
    version: int | None = None,
) -> Release:
    """Move a release to its next stage through the workflow table (who may, and what must
    hold, is there)."""
    saved: Release = apply_transition(
        release, RELEASE_WORKFLOW, name, actor=actor, data=dict(data or {}), version=version
    )
    return saved


# Deployments -----------------------------------------------------------------------------


def software_classes() -> set[str]:
    """The codes of the classes whose items carry a software version (applications and
    databases, and any class below them)."""
    tree = ClassTree.load()
    owners = AttributeDefinition.objects.filter(code=VERSION_ATTRIBUTE).values_list(
        "ci_class__code", flat=True
    )
    return {code for owner in owners for code in tree.descendants(owner)}


def current_version(item: ConfigurationItem, environment: str) -> str:
    """The version an item runs in an environment: in production, what the CMDB records;
    elsewhere, what the last successful deployment there installed."""
    if environment == DeploymentEnvironment.PRODUCTION:
        return str(item.attributes.get(VERSION_ATTRIBUTE) or "")
    last = (
        Deployment.objects.filter(
            configuration_item=item,
            environment=environment,
            outcome=DeploymentOutcome.SUCCESSFUL,
        )
        .order_by("-deployed_at", "-id")
        .values_list("version_deployed", flat=True)
        .first()
    )
    return last or ""


def _audit_reference(release: Release) -> str:
    """What the item's history names as the change it was made under: the release, and
    the changes it bundles."""
    numbers = list(release.changes.order_by("number").values_list("number", flat=True))
    if not numbers:
        return release.number
    return "%s (%s)" % (release.number, ", ".join(numbers))


def _write(
    release: Release,
    item: ConfigurationItem,
    deployment: Deployment,
    *,
    actor: Any,
) -> Deployment:
    """Save a checked deployment, set the item's production version through the CMDB and
    audit both the deployment and the release."""
    deployment.full_clean(exclude=("release", "configuration_item", "deployed_by", "rollback_of"))
    deployment.save(force_insert=True)
    if (
        deployment.environment == DeploymentEnvironment.PRODUCTION
        and deployment.outcome == DeploymentOutcome.SUCCESSFUL
    ):
        set_deployed_version(
            item,
            actor=actor,
            software_version=deployment.version_deployed,
            change_number=_audit_reference(release),
        )
    summary = "%s %s %s → %s" % (
        item.code,
        deployment.get_environment_display(),
        deployment.previous_version or "—",
        deployment.version_deployed,
    )
    write_audit(deployment, actor=actor, action="create", changes=diff({}, _snapshot(deployment)))
    write_audit(
        release,
        actor=actor,
        action="rollback" if deployment.rollback_of_id else "deployment",
        changes={"deployment": [None, summary]},
        note=deployment.notes,
    )
    return deployment


def _snapshot(deployment: Deployment) -> dict[str, Any]:
    return {f.attname: getattr(deployment, f.attname) for f in deployment._meta.concrete_fields}


def _check_can_deploy(release: Release, actor: Any, environment: str) -> None:
    if not actor.has_perm("releases.add_deployment"):
        raise PermissionDenied(_("You may not record deployments."))
    refusal = is_routed_to_actor(release, actor)
    if refusal:
        raise PermissionDenied(refusal)
    allowed = ENVIRONMENTS_BY_STAGE.get(release.status, ())
    if environment not in allowed:
        if allowed:
            raise ConflictError(
                _("While the release is in “%(stage)s”, it is deployed to test copies only.")
                % {"stage": release.get_status_display()}
            )
        raise ConflictError(
            _("A release in “%(stage)s” cannot be deployed.")
            % {"stage": release.get_status_display()}
        )


def _check_item(release: Release, item: ConfigurationItem) -> None:
    if item.status == ConfigurationItemStatus.RETIRED:
        raise ValidationError(
            {
                "configuration_item": _("%(code)s is retired: nothing can be deployed to it.")
                % {"code": item.code}
            }
        )
    if not release.configuration_items.filter(pk=item.pk).exists():
        raise ValidationError(
            {
                "configuration_item": _("%(code)s is not among the items this release ships.")
                % {"code": item.code}
            }
        )
    if item.ci_class_id not in software_classes():
        raise ValidationError(
            {
                "configuration_item": _("%(code)s does not carry a software version.")
                % {"code": item.code}
            }
        )


@transaction.atomic
def record_deployment(release: Release, data: Mapping[str, Any], *, actor: Any) -> Deployment:
    """Record that the release's version was installed on one of its items in one
    environment. Production deployments need the release in deploy; test and training
    ones may be recorded from test on (409 otherwise). A retired item, one the release does
    not ship or one without a software version is refused (400), and so is deploying the
    version the item already runs in that environment: it would record a change that did
    not happen (write a note on the release instead). A successful deployment to production
    sets the item's version in the CMDB."""
    environment = str(data.get("environment") or "")
    if environment not in DeploymentEnvironment.values:
        raise ValidationError({"environment": _("Choose an environment.")})
    locked = lock_version(release, None)
    _check_can_deploy(locked, actor, environment)
    item = data.get("configuration_item")
    if not isinstance(item, ConfigurationItem):
        raise ValidationError({"configuration_item": _("Choose a configuration item.")})
    item = ConfigurationItem.objects.select_for_update().get(pk=item.pk)
    _check_item(locked, item)
    version = str(data.get("version_deployed") or "").strip()
    if not version:
        raise ValidationError({"version_deployed": _("Say which version was deployed.")})
    previous = current_version(item, environment)
    if version == previous:
        raise ValidationError(
            {
                "version_deployed": _("%(code)s already runs %(version)s in %(environment)s.")
                % {
                    "code": item.code,
                    "version": version,
                    "environment": DeploymentEnvironment(environment).label,
                }
            }
        )
    deployed_at: datetime | None = data.get("deployed_at")
    if deployed_at is not None and deployed_at > timezone.now():
        raise ValidationError({"deployed_at": _("A deployment cannot be recorded in advance.")})
    deployment = Deployment(
        release=locked,
        configuration_item=item,
        environment=environment,
        version_deployed=version,
        previous_version=previous,
        deployed_at=deployed_at or timezone.now(),
        deployed_by=actor,
        outcome=str(data.get("outcome") or DeploymentOutcome.SUCCESSFUL),
        notes=str(data.get("notes") or ""),
    )
    return _write(locked, item, deployment, actor=actor)


@transaction.atomic
def rollback_deployment(deployment: Deployment, *, actor: Any, notes: str = "") -> Deployment:
    """Put an item back on the version a deployment replaced: a new deployment of the
    previous version, linked to the one it undoes and recorded the same way (in production,
    the CMDB's version goes back too). Only the latest successful deployment on that item
    and environment can be rolled back, and only when it replaced a version (409
    otherwise)."""
    release = lock_version(deployment.release, None)
    _check_can_deploy(release, actor, deployment.environment)
    item = ConfigurationItem.objects.select_for_update().get(pk=deployment.configuration_item_id)
    if item.status == ConfigurationItemStatus.RETIRED:
        raise ConflictError(
            _("%(code)s is retired: nothing can be deployed to it.") % {"code": item.code}
        )
    if not deployment.previous_version:
        raise ConflictError(
            _("This deployment replaced no recorded version: there is nothing to roll back to.")
        )
    latest = (
        Deployment.objects.filter(
            configuration_item=item,
            environment=deployment.environment,
            outcome=DeploymentOutcome.SUCCESSFUL,
        )
        .order_by("-deployed_at", "-id")
        .first()
    )
    if latest is None or latest.pk != deployment.pk:
        raise ConflictError(
            _("Only the latest successful deployment on an item can be rolled back.")
        )
    rollback = Deployment(
        release=release,
        configuration_item=item,
        environment=deployment.environment,
        version_deployed=deployment.previous_version,
        previous_version=current_version(item, deployment.environment),
        deployed_at=timezone.now(),
        deployed_by=actor,
        outcome=DeploymentOutcome.SUCCESSFUL,
        notes=notes,
        rollback_of=deployment,
    )
    return _write(release, item, rollback, actor=actor)
