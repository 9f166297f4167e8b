"""The demo hospital's releases: versions of HIS and EMR built, tested and deployed to test,
training and production over the last months, one production deployment rolled back.
Created through the release services, so each production deployment sets the application's
version in the CMDB and shows in its history; loading again adds only the releases missing
by version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from itsm.accounts.models import SupportGroup, User
from itsm.changes.models import Change
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.releases.choices import DeploymentEnvironment as E
from itsm.releases.choices import DeploymentOutcome as O
from itsm.releases.choices import ReleaseStatus as S
from itsm.releases.choices import ReleaseType as T
from itsm.releases.models import Release
from itsm.releases.services import (
    raise_release,
    record_deployment,
    rollback_deployment,
    transition_release,
)
from itsm.releases.workflow import AUTHORISED_CHANGE_STATUSES


@dataclass(frozen=True)
class DemoDeployment:
    item: str
    environment: str
    days_ago: int
    outcome: str = O.SUCCESSFUL
    notes: str = ""
    rollback: str = ""  # rolled back at once, for this reason


@dataclass(frozen=True)
class DemoRelease:
    version: str
    title: str
    release_type: str
    service: str
    items: tuple[str, ...]
    status: str
    days_ago: int  # planned start, relative to today
    description: str
    deployments: tuple[DemoDeployment, ...] = field(default_factory=tuple)


RELEASES: tuple[DemoRelease, ...] = (
    DemoRelease(
        "HIS 5.3.1",
        "HIS 门诊医生站与挂号收费 5.3.1 版本",
        T.MINOR,
        "HIS",
        ("APP-HIS-OPD", "APP-HIS-CHG"),
        S.CLOSED,
        75,
        "修复门诊医生站处方打印错位；挂号收费增加医保电子凭证扫码。",
        (
            DemoDeployment("APP-HIS-OPD", E.TEST, 80),
            DemoDeployment("APP-HIS-CHG", E.TEST, 80),
            DemoDeployment("APP-HIS-OPD", E.PRODUCTION, 75, notes="凌晨 01:00–02:10 停机发布"),
            DemoDeployment("APP-HIS-CHG", E.PRODUCTION, 75, notes="凌晨 01:00–02:10 停机发布"),
        ),
    ),
    DemoRelease(
        "EMR 3.2.0",
        "电子病历 3.2.0：新版病历质控规则",
        T.MAJOR,
        "EMR",
        ("APP-EMR",),
        S.CLOSED,
        45,
        "电子病历升级到 3.2.0，启用新版病历书写规范质控规则。",
        (
            DemoDeployment("APP-EMR", E.TEST, 55),
            DemoDeployment("APP-EMR", E.TRAINING, 50, notes="临床科室培训环境"),
            DemoDeployment("APP-EMR", E.PRODUCTION, 45, notes="凌晨 02:00 发布，03:30 验证完毕"),
        ),
    ),
    DemoRelease(
        "HIS 5.3.2",
        "HIS 5.3.2：门诊处方合理用药接口",
        T.MINOR,
        "HIS",
        ("APP-HIS-OPD", "APP-HIS-CHG"),
        S.DEPLOY,
        3,
        "门诊医生站接入合理用药审查接口；挂号收费适配新版医保目录。",
        (
            DemoDeployment("APP-HIS-OPD", E.TEST, 10),
            DemoDeployment("APP-HIS-CHG", E.TEST, 10),
            DemoDeployment("APP-HIS-OPD", E.PRODUCTION, 3, notes="凌晨 01:00 发布"),
            DemoDeployment(
                "APP-HIS-CHG",
                E.PRODUCTION,
                3,
                notes="凌晨 01:00 发布",
                rollback="早高峰医保结算报错（目录编码不匹配），按回退方案恢复 5.3.1",
            ),
        ),
    ),
    DemoRelease(
        "EMR 3.2.1",
        "EMR 3.2.1 紧急补丁：护理记录保存失败",
        T.EMERGENCY,
        "EMR",
        ("APP-EMR",),
        S.TEST,
        -1,
        "护理记录单在特定模板下保存失败，厂商提供紧急补丁。",
        (DemoDeployment("APP-EMR", E.TEST, 0, notes="厂商远程部署到测试环境"),),
    ),
    DemoRelease(
        "HIS 5.4.0",
        "HIS 5.4.0：住院电子医嘱闭环",
        T.MAJOR,
        "HIS",
        ("APP-HIS-OPD", "APP-HIS-IPD"),
        S.BUILD,
        -30,
        "住院医嘱执行闭环管理，厂商开发中。",
    ),
)

STAGES = (S.BUILD, S.TEST, S.DEPLOY, S.CLOSED)


def _authorised_changes(items: list[ConfigurationItem]) -> list[Change]:
    """An approved (or further on) demo change on the release's items, one no other release
    bundles if there is one, else any approved change: the release's authority to deploy.
    None when the change demo has none."""
    authorised = Change.objects.filter(status__in=AUTHORISED_CHANGE_STATUSES).order_by("number")
    unbundled = authorised.filter(releases__isnull=True)
    found = (
        unbundled.filter(configuration_items__in=items).distinct().first()
        or authorised.filter(configuration_items__in=items).distinct().first()
        or unbundled.first()
        or authorised.first()
    )
    return [found] if found is not None else []


def load_releases() -> int:
    """Plan, test and deploy the demo releases that do not exist yet; the number created."""
    manager = User.objects.filter(username="manager1").first()
    engineer = User.objects.filter(username="eng8").first()
    group = SupportGroup.objects.filter(name="应用组").first()
    if manager is None or engineer is None:
        return 0
    existing = set(Release.objects.values_list("release_version", flat=True))
    services = Service.objects.in_bulk(field_name="code")
    now = timezone.now().replace(second=0, microsecond=0)
    created = 0
    for spec in RELEASES:
        if spec.version in existing:
            continue
        items = list(ConfigurationItem.objects.filter(code__in=spec.items).order_by("code"))
        if len(items) != len(spec.items):
            continue
        start = (now - timedelta(days=spec.days_ago)).replace(hour=1, minute=0)
        changes = _authorised_changes(items)
        release = raise_release(
            {
                "title": spec.title,
                "release_version": spec.version,
                "release_type": spec.release_type,
                "description": spec.description,
                "service": services.get(spec.service),
                "planned_start": start,
                "planned_end": start + timedelta(hours=2),
                "assignment_group": group,
                "assignee": engineer,
                "configuration_items": items,
                "changes": changes,
            },
            actor=engineer,
        )
        created += 1
        target = STAGES.index(spec.status)
        if target >= 1:
            release = transition_release(release, "start_test", actor=engineer)
        if target >= 2 and not changes:
            continue  # no approved change to deploy under: it stays in test
        by_code = {i.code: i for i in items}
        for step in spec.deployments:
            if step.environment == E.PRODUCTION and release.status == S.TEST:
                release = transition_release(release, "start_deploy", actor=manager)
            done = record_deployment(
                release,
                {
                    "configuration_item": by_code[step.item],
                    "environment": step.environment,
                    "version_deployed": spec.version.split()[-1],
                    "outcome": step.outcome,
                    "notes": step.notes,
                    "deployed_at": now - timedelta(days=step.days_ago, hours=1),
                },
                actor=engineer,
            )
            if step.rollback:
                rollback_deployment(done, actor=engineer, notes=step.rollback)
        release = Release.objects.get(pk=release.pk)
        if target >= 2 and release.status == S.TEST:
            release = transition_release(release, "start_deploy", actor=manager)
        if target >= 3:
            transition_release(release, "close", actor=manager)
    return created
