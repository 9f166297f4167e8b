"""Releases for tests, built through the service verbs, with the application items and the
changes they need."""

from __future__ import annotations

from typing import Any

from itsm.accounts.models import User
from itsm.changes.choices import ChangeStatus
from itsm.changes.models import Change
from itsm.cmdb.choices import ConfigurationItemClass, ConfigurationItemStatus
from itsm.cmdb.models import ConfigurationItem
from itsm.core.models import AuditEntry
from itsm.core.services import next_number
from itsm.core.testing import BaseTestCase
from itsm.releases.choices import DeploymentEnvironment, ReleaseStatus, ReleaseType
from itsm.releases.models import Deployment, Release
from itsm.releases.services import raise_release, record_deployment, transition_release

S = ReleaseStatus


def application(
    code: str = "APP-HIS-OPD", version: str = "5.3.1", **fields: Any
) -> ConfigurationItem:
    attributes = {"software_version": version} if version else {}
    return ConfigurationItem.objects.create(
        code=code,
        name=fields.pop("name", "HIS门诊系统"),
        ci_class_id=ConfigurationItemClass.APPLICATION,
        status=fields.pop("status", ConfigurationItemStatus.IN_USE),
        attributes=attributes,
        **fields,
    )


def change(requester: User, status: str = ChangeStatus.APPROVED, **fields: Any) -> Change:
    """A change in a given status, written directly: the release rules read the status
    only, and change management's own workflow is tested in the changes app."""
    return Change.objects.create(
        number=next_number(Change.NUMBER_PREFIX),
        title=fields.pop("title", "HIS 门诊模块升级"),
        status=status,
        requester=requester,
        **fields,
    )


def release(
    case: BaseTestCase,
    *,
    items: list[ConfigurationItem] | None = None,
    changes: list[Change] | None = None,
    **fields: Any,
) -> Release:
    data: dict[str, Any] = {
        "title": "HIS 门诊医生站 5.3.2 版本",
        "release_version": "5.3.2",
        "release_type": ReleaseType.MINOR,
        "assignment_group": case.front_group,
        **fields,
    }
    if items is not None:
        data["configuration_items"] = items
    if changes is not None:
        data["changes"] = changes
    return raise_release(data, actor=case.engineer)


def release_in(case: BaseTestCase, status: str, **fields: Any) -> Release:
    """A release of one application item with one approved change, walked to `status`
    through the services (a closed one was deployed to production first)."""
    item = fields.pop("item", None) or application(code="APP-%s" % next_number("TST"))
    rel = release(case, items=[item], changes=[change(case.engineer)], **fields)
    if status == S.BUILD:
        return rel
    if status == S.CANCELLED:
        return transition_release(rel, "cancel", actor=case.manager, data={"reason": "取消"})
    rel = transition_release(rel, "start_test", actor=case.engineer)
    if status == S.TEST:
        return rel
    rel = transition_release(rel, "start_deploy", actor=case.manager)
    if status == S.DEPLOY:
        return rel
    assert status == S.CLOSED, status
    deploy(case, rel, item)
    return transition_release(Release.objects.get(pk=rel.pk), "close", actor=case.manager)


def deploy(
    case: BaseTestCase,
    rel: Release,
    item: ConfigurationItem,
    environment: str = DeploymentEnvironment.PRODUCTION,
    **fields: Any,
) -> Deployment:
    data: dict[str, Any] = {
        "configuration_item": item,
        "environment": environment,
        "version_deployed": rel.release_version,
        **fields,
    }
    return record_deployment(Release.objects.get(pk=rel.pk), data, actor=case.engineer)


def audit_count(target: Any) -> int:
    return AuditEntry.objects.filter(
        content_type__model=target._meta.model_name, object_id=target.pk
    ).count()
