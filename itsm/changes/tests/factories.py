"""Changes for tests, built through the service verbs, and the change management set-up
(risk questionnaire, CAB and emergency CAB) they need."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from itsm.accounts.models import User
from itsm.changes.choices import BoardKind, ChangeStatus, ChangeType
from itsm.changes.models import (
    AdvisoryBoard,
    Change,
    ChangeTemplate,
    RiskChoice,
    RiskQuestion,
)
from itsm.changes.services import (
    approve_change,
    assess_risk,
    raise_change,
    reject_change,
    transition_change,
)
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase

S = ChangeStatus


def set_up_change_management(case: Any) -> None:
    """Two risk questions (a low-risk answer scores 1, a high-risk one 9), a CAB of the
    manager, the admin and the engineer with a quorum of 2, and an emergency CAB of the
    manager and the admin with a quorum of 1."""
    outage = RiskQuestion.objects.create(text="是否影响门急诊业务？", position=1)
    RiskChoice.objects.create(question=outage, text="不影响", score=1, position=1)
    RiskChoice.objects.create(question=outage, text="影响门急诊挂号收费", score=9, position=2)
    tested = RiskQuestion.objects.create(text="是否在测试环境验证？", position=2)
    RiskChoice.objects.create(question=tested, text="已验证", score=0, position=1)
    RiskChoice.objects.create(question=tested, text="未验证", score=9, position=2)
    cab = AdvisoryBoard.objects.create(name="变更咨询委员会", kind=BoardKind.CAB, quorum=2)
    cab.members.set([case.manager, case.admin, case.engineer])
    ecab = AdvisoryBoard.objects.create(name="紧急变更委员会", kind=BoardKind.EMERGENCY, quorum=1)
    ecab.members.set([case.manager, case.admin])


def low_risk_answers() -> dict[int, int]:
    return {
        q.pk: q.choices.order_by("score").first().pk  # type: ignore[union-attr]
        for q in RiskQuestion.objects.filter(active=True)
    }


def high_risk_answers() -> dict[int, int]:
    return {
        q.pk: q.choices.order_by("-score").first().pk  # type: ignore[union-attr]
        for q in RiskQuestion.objects.filter(active=True)
    }


def window(days: int = 2, hours: int = 4) -> tuple[Any, Any]:
    start = (timezone.now() + timedelta(days=days)).replace(microsecond=0)
    return start, start + timedelta(hours=hours)


def rfc(actor: User, **fields: Any) -> Change:
    start, end = window()
    data: dict[str, Any] = {
        "title": "急诊分诊台条码打印机驱动升级",
        "change_type": ChangeType.NORMAL,
        "reason": "驱动版本与 HIS 打印控件不兼容，腕带打印卡纸",
        "implementation_plan": "1. 停止打印服务 2. 安装新驱动 3. 打印测试腕带",
        "backout_plan": "卸载新驱动，恢复原版本",
        "test_plan": "打印 10 张腕带，核对条码可扫描",
        "planned_start": start,
        "planned_end": end,
        **fields,
    }
    return raise_change(data, actor=actor)


def template(case: BaseTestCase, **fields: Any) -> ChangeTemplate:
    data: dict[str, Any] = {
        "name": "医保接口证书更新",
        "reason": "医保接口证书年度到期",
        "implementation_plan": "替换前置机证书并重启接口服务",
        "backout_plan": "恢复旧证书",
        "test_plan": "医保结算测试交易一笔",
        "duration_minutes": 30,
        "assignment_group": case.front_group,
        **fields,
    }
    return ChangeTemplate.objects.create(**data)


def change_in(case: BaseTestCase, status: str, **fields: Any) -> Change:
    """A normal change raised by the engineer and walked to `status` through the services:
    assessed at low risk, approved by the manager."""
    change = rfc(case.engineer, **fields)
    if status == S.DRAFT:
        return change
    if status == S.CANCELLED:
        return transition_change(change, "cancel", actor=case.engineer, data={"reason": "不需要了"})
    change = transition_change(change, "submit", actor=case.engineer)
    if status == S.SUBMITTED:
        return change
    change = transition_change(change, "assess", actor=case.manager)
    change = assess_risk(change, low_risk_answers(), actor=case.manager)
    if status == S.ASSESSMENT:
        return change
    change = transition_change(change, "request_approval", actor=case.manager)
    if status == S.AWAITING_APPROVAL:
        return change
    if status == S.REJECTED:
        reject_change(change, actor=case.manager, comment="回退方案不完整")
        return Change.objects.get(pk=change.pk)
    approve_change(change, actor=case.manager, comment="同意")
    change = Change.objects.get(pk=change.pk)
    if status == S.APPROVED:
        return change
    change = transition_change(change, "schedule", actor=case.engineer)
    if status == S.SCHEDULED:
        return change
    change = transition_change(change, "start", actor=case.engineer)
    if status == S.IMPLEMENTING:
        return change
    if status == S.FAILED:
        return transition_change(change, "fail", actor=case.engineer, data={"note": "驱动无法安装"})
    if status == S.BACKED_OUT:
        return transition_change(change, "back_out", actor=case.engineer, data={"note": "已回退"})
    change = transition_change(change, "complete", actor=case.engineer)
    if status == S.IMPLEMENTED:
        return change
    if status == S.REVIEW:
        return transition_change(change, "review", actor=case.manager)
    assert status == S.CLOSED, status
    return transition_change(change, "close", actor=case.manager)


def audit_count(change: Change) -> int:
    return AuditEntry.objects.filter(content_type__model="change", object_id=change.pk).count()


def state_of(change: Change) -> tuple[dict[str, Any], int]:
    return Change.objects.get(pk=change.pk).field_snapshot(), audit_count(change)
