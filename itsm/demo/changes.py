"""The demo hospital's change management: the risk questionnaire, the CAB and the emergency
CAB, a few standard change templates, the hospital's blackout windows, and some fifty
changes over the last and the next ninety days in every status — HIS upgrades at night,
PACS storage expansion, core switch firmware, EMR patches, the 医保 interface certificate —
with their approvals recorded. A few are in conflict: a database patch booked on the night
of the HIS upgrade, and a 医保 interface fix in the outpatient peak, scheduled with the
change manager's recorded override.

Every change is told through the change services with a window a few days ahead, then its
rows (the change's times, its approvals, tasks, audit entries and notifications) are moved
to the time the story says it happened, as the incident demo does. Loaded once: when any
change exists, nothing is added."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from itsm.accounts.models import SupportGroup, User
from itsm.changes.choices import (
    PLANNING_STATUSES,
    BlackoutKind,
    BoardKind,
    ChangeStatus,
    ChangeType,
    RiskLevel,
)
from itsm.changes.cmdb_updates import declare_cmdb_update
from itsm.changes.models import (
    AdvisoryBoard,
    Approval,
    ApprovalStep,
    BlackoutWindow,
    Change,
    ChangeTask,
    ChangeTemplate,
    DeclaredCmdbUpdate,
    RiskChoice,
    RiskQuestion,
)
from itsm.changes.services import (
    add_change_task,
    approve_change,
    assess_risk,
    finish_change_task,
    link_incident,
    link_problem,
    raise_change,
    raise_standard_change,
    reject_change,
    transition_change,
)
from itsm.cmdb.models import ConfigurationItem, Service, ServiceOutage
from itsm.core.models import AuditEntry, Notification
from itsm.incidents.models import Incident
from itsm.problems.models import Problem

S = ChangeStatus
T = ChangeType

# (question, answers with their scores: low, medium, high)
QUESTIONS: tuple[tuple[str, str, tuple[tuple[str, int], ...]], ...] = (
    (
        "变更是否影响门急诊挂号、收费或医保结算？",
        "Does the change affect registration, billing or insurance settlement?",
        (("不影响", 0), ("可能短时影响", 2), ("需要停止业务", 5)),
    ),
    (
        "变更期间是否需要停机？",
        "Is downtime needed during the change?",
        (("无需停机", 0), ("停机 30 分钟以内", 2), ("停机超过 30 分钟", 5)),
    ),
    (
        "是否已在测试环境验证？",
        "Was the change verified in the test environment?",
        (("已完整验证", 0), ("部分验证", 2), ("无法验证", 5)),
    ),
    (
        "回退方案是否演练过？",
        "Was the back-out plan rehearsed?",
        (("已演练", 0), ("有方案未演练", 2), ("无法回退", 5)),
    ),
    (
        "涉及的系统和接口数量",
        "How many systems and interfaces are involved?",
        (("单一系统", 0), ("2–3 个", 2), ("4 个及以上", 5)),
    ),
)
# Which answer (0 low, 1 medium, 2 high) each question gets for a risk level: the scores add
# up to 0 (low), 10 (medium) and 25 (high) with the default thresholds 8 and 15.
ANSWERS: dict[str, tuple[int, ...]] = {
    RiskLevel.LOW: (0, 0, 0, 0, 0),
    RiskLevel.MEDIUM: (2, 2, 0, 0, 0),
    RiskLevel.HIGH: (2, 2, 2, 2, 2),
}


@dataclass(frozen=True)
class Template:
    name: str
    service: str
    items: tuple[str, ...]
    group: str
    minutes: int
    downtime: int
    reason: str
    plan: str
    backout: str
    test: str


TEMPLATES: tuple[Template, ...] = (
    Template(
        "医保接口数字证书更新",
        "MEDINS",
        ("SRV-YB-01",),
        "应用组",
        30,
        10,
        "医保局前置机数字证书每年到期，需在到期前更换。",
        "1. 备份旧证书\n2. 导入新证书并重启医保接口服务\n3. 通知收费处",
        "恢复旧证书并重启接口服务。",
        "在收费处做一笔医保结算测试交易并撤销。",
    ),
    Template(
        "PACS 在线存储扩容（新增存储卷）",
        "PACS",
        ("STO-PACS-01",),
        "系统组",
        120,
        0,
        "影像在线存储剩余空间低于 15%。",
        "1. 在存储阵列划分新卷\n2. 映射到 PACS 归档服务器\n3. 在 PACS 中添加存储卷",
        "从 PACS 中移除新卷，取消映射。",
        "调阅一例新归档影像，核对存储位置。",
    ),
    Template(
        "终端防病毒病毒库与补丁批量推送",
        "OFFICE",
        (),
        "桌面运维组",
        240,
        0,
        "每月例行终端补丁与病毒库更新。",
        "1. 在管理控制台选定终端分组\n2. 分批推送，每批 200 台",
        "在控制台撤回补丁。",
        "抽查 10 台终端补丁状态，确认 HIS 客户端正常登录。",
    ),
)


@dataclass(frozen=True)
class Story:
    title: str
    service: str
    items: tuple[str, ...]
    group: str
    requester: str
    implementer: str
    hour: int  # local start hour
    hours: int  # planned duration
    downtime: int  # minutes, 0 for none
    risk: str
    reason: str
    plan: str
    backout: str
    test: str


STORIES: dict[str, Story] = {
    "his": Story(
        "HIS 门诊系统版本升级",
        "HIS",
        ("APP-HIS-CHG", "APP-HIS-OPD", "DB-HIS-ORA"),
        "应用组",
        "eng8",
        "eng8",
        0,
        6,
        240,
        RiskLevel.HIGH,
        "厂商发布新版本，修复门诊收费与医保结算缺陷，支持新的医保目录。",
        "1. 23:30 通知全院，停止门诊挂号收费\n2. 00:00 备份数据库\n3. 部署新版应用与数据库脚本\n"
        "4. 04:00 业务验证\n5. 06:00 前恢复服务",
        "恢复 00:00 的数据库备份与旧版应用，06:00 前恢复服务。",
        "挂号、收费、医保结算、处方各做一笔测试业务。",
    ),
    "pacs": Story(
        "PACS 存储阵列扩容与近线迁移任务调整",
        "PACS",
        ("STO-PACS-01", "SRV-PACS-APP01"),
        "系统组",
        "eng6",
        "eng7",
        1,
        4,
        0,
        RiskLevel.MEDIUM,
        "在线存储 IO 饱和、空间不足，影像调阅缓慢。",
        "1. 新增磁盘组并扩容\n2. 将近线迁移任务改到 01:00–05:00",
        "回退迁移任务时间配置；新磁盘组不投入使用。",
        "放射科调阅 CT 影像，记录打开时间。",
    ),
    "core_switch": Story(
        "核心交换机固件升级",
        "OFFICE",
        ("SW-CORE-01", "SW-CORE-02"),
        "网络组",
        "eng4",
        "eng5",
        2,
        3,
        30,
        RiskLevel.HIGH,
        "厂商安全公告：当前固件存在高危漏洞。",
        "1. 备份配置\n2. 先升级 SW-CORE-02，确认堆叠与路由正常\n3. 再升级 SW-CORE-01",
        "回退到原固件版本并恢复配置。",
        "检查 HIS、EMR、PACS 访问及无线网络。",
    ),
    "emr": Story(
        "EMR 电子病历补丁",
        "EMR",
        ("APP-EMR", "SRV-EMR-APP01"),
        "应用组",
        "eng9",
        "eng9",
        1,
        2,
        30,
        RiskLevel.MEDIUM,
        "修复病历质控规则误报与护理病历打印错位。",
        "1. 备份应用目录\n2. 部署补丁\n3. 重启应用服务",
        "恢复备份的应用目录并重启。",
        "打开门诊与住院病历各一份，打印护理记录单。",
    ),
    "lis": Story(
        "LIS 仪器接口程序升级",
        "LIS",
        ("APP-LIS", "SRV-LIS-APP01"),
        "应用组",
        "eng10",
        "eng10",
        2,
        2,
        20,
        RiskLevel.MEDIUM,
        "生化仪结果偶发不回传，厂商提供新版接口程序。",
        "1. 停止接口服务\n2. 替换接口程序\n3. 重启并观察数据回传",
        "恢复旧版接口程序。",
        "生化仪做质控样本，核对结果回传 LIS。",
    ),
    "db_patch": Story(
        "HIS 数据库季度补丁",
        "HIS",
        ("DB-HIS-ORA", "SRV-HIS-DB01"),
        "系统组",
        "eng6",
        "eng6",
        0,
        4,
        120,
        RiskLevel.HIGH,
        "Oracle 季度安全补丁。",
        "1. 切换到备库\n2. 主库打补丁\n3. 切回主库",
        "回滚补丁并切回。",
        "HIS 全流程冒烟测试。",
    ),
    "ad": Story(
        "域控制器系统补丁",
        "OFFICE",
        ("SRV-AD-01",),
        "系统组",
        "eng7",
        "eng7",
        22,
        2,
        0,
        RiskLevel.LOW,
        "每月 Windows 安全补丁。",
        "依次重启两台域控制器，间隔 30 分钟。",
        "卸载补丁。",
        "终端登录、文件共享访问。",
    ),
    "kiosk": Story(
        "门诊自助机软件更新",
        "KIOSK",
        ("SRV-KSK-01",),
        "桌面运维组",
        "eng1",
        "eng2",
        21,
        2,
        0,
        RiskLevel.LOW,
        "新增医保电子凭证扫码缴费。",
        "分批推送自助机客户端。",
        "推送旧版客户端。",
        "自助挂号、缴费、打印发票各一笔。",
    ),
    "ris": Story(
        "RIS 分诊叫号系统升级",
        "RIS",
        ("APP-RIS", "SRV-RIS-APP01"),
        "应用组",
        "eng10",
        "eng10",
        20,
        2,
        30,
        RiskLevel.MEDIUM,
        "新增检查预约短信提醒。",
        "1. 备份\n2. 升级应用\n3. 重启叫号屏服务",
        "恢复备份。",
        "登记一例检查并叫号。",
    ),
    "esb": Story(
        "集成平台（ESB）新增检验结果推送接口",
        "LIS",
        ("SRV-ESB-01",),
        "应用组",
        "eng8",
        "eng10",
        23,
        2,
        0,
        RiskLevel.MEDIUM,
        "检验危急值需推送到护士站。",
        "部署新路由与消息模板。",
        "停用新路由。",
        "模拟一条危急值消息。",
    ),
}
EMERGENCY = Story(
    "紧急更换核心交换机故障板卡",
    "OFFICE",
    ("SW-CORE-01",),
    "网络组",
    "eng4",
    "eng4",
    3,
    1,
    15,
    RiskLevel.HIGH,
    "核心交换机业务板卡故障告警，部分楼层网络中断。",
    "热插拔更换故障板卡，检查端口与链路。",
    "换回原板卡，流量切到 SW-CORE-02。",
    "各楼层接入交换机上联、HIS 访问。",
)

# (story, days from today, status, change type); emergency changes use EMERGENCY.
PLAN: tuple[tuple[str, int, str, str], ...] = (
    ("his", -86, S.CLOSED, T.NORMAL),
    ("core_switch", -80, S.CLOSED, T.NORMAL),
    ("emr", -75, S.CLOSED, T.NORMAL),
    ("emergency", -72, S.CLOSED, T.EMERGENCY),
    ("lis", -68, S.FAILED, T.NORMAL),
    ("ad", -62, S.CLOSED, T.NORMAL),
    ("kiosk", -58, S.CLOSED, T.NORMAL),
    ("pacs", -55, S.BACKED_OUT, T.NORMAL),
    ("ris", -50, S.REJECTED, T.NORMAL),
    ("db_patch", -47, S.CLOSED, T.NORMAL),
    ("esb", -44, S.CANCELLED, T.NORMAL),
    ("emr", -40, S.CLOSED, T.NORMAL),
    ("his", -35, S.REVIEW, T.NORMAL),
    ("emergency", -31, S.REVIEW, T.EMERGENCY),
    ("pacs", -28, S.CLOSED, T.NORMAL),
    ("ad", -26, S.IMPLEMENTED, T.NORMAL),
    ("lis", -21, S.BACKED_OUT, T.NORMAL),
    ("core_switch", -18, S.FAILED, T.NORMAL),
    ("kiosk", -14, S.IMPLEMENTED, T.NORMAL),
    ("ris", -10, S.CLOSED, T.NORMAL),
    ("esb", -7, S.REJECTED, T.NORMAL),
    ("db_patch", -5, S.CANCELLED, T.NORMAL),
    ("emr", -3, S.IMPLEMENTED, T.NORMAL),
    ("standard:0", -60, S.CLOSED, T.STANDARD),
    ("standard:1", -33, S.CLOSED, T.STANDARD),
    ("standard:2", -12, S.CLOSED, T.STANDARD),
    ("pacs", 0, S.IMPLEMENTING, T.NORMAL),
    ("emergency", 0, S.IMPLEMENTING, T.EMERGENCY),
    ("his", 3, S.SCHEDULED, T.NORMAL),
    # Booked on the HIS database the same night as the HIS upgrade: a same-item conflict.
    ("db_patch", 3, S.APPROVED, T.NORMAL),
    ("standard:1", 4, S.SCHEDULED, T.STANDARD),
    ("ad", 6, S.SCHEDULED, T.NORMAL),
    ("lis", 9, S.APPROVED, T.NORMAL),
    ("kiosk", 12, S.SCHEDULED, T.NORMAL),
    ("core_switch", 15, S.AWAITING_APPROVAL, T.NORMAL),
    ("emr", 19, S.APPROVED, T.NORMAL),
    ("ris", 23, S.AWAITING_APPROVAL, T.NORMAL),
    ("standard:2", 27, S.SCHEDULED, T.STANDARD),
    ("esb", 30, S.ASSESSMENT, T.NORMAL),
    ("db_patch", 35, S.AWAITING_APPROVAL, T.NORMAL),
    ("pacs", 41, S.ASSESSMENT, T.NORMAL),
    ("standard:0", 46, S.SUBMITTED, T.STANDARD),
    ("his", 52, S.SUBMITTED, T.NORMAL),
    ("emr", 58, S.SUBMITTED, T.NORMAL),
    ("lis", 64, S.DRAFT, T.NORMAL),
    ("core_switch", 71, S.DRAFT, T.NORMAL),
    ("kiosk", 79, S.DRAFT, T.NORMAL),
    ("ris", 86, S.DRAFT, T.NORMAL),
)
# The CMDB updates some changes declare while planned (applied when implemented): the first
# change of a story told to one of `when` declares them. The HIS upgrades' downtime becomes
# a planned outage of HIS by itself (their stories expect downtime).
DONE = (S.IMPLEMENTED, S.REVIEW, S.CLOSED)
DECLARED: tuple[tuple[str, tuple[str, ...], tuple[dict[str, Any], ...]], ...] = (
    (
        "his",
        DONE,
        (
            {
                "kind": "set_attributes",
                "ci_code": "APP-HIS-OPD",
                "attributes": {"software_version": "5.3.0"},
            },
        ),
    ),
    (
        "pacs",
        DONE,
        (
            {
                "kind": "create",
                "ci_code": "STO-PACS-03",
                "ci_class": "storage",
                "name": "PACS 在线存储扩展节点 03",
                "fields": {"criticality": 2},
                "attributes": {"capacity_tb": 200},
            },
            {
                "kind": "relate",
                "ci_code": "SRV-PACS-APP01",
                "relationship_type": "uses",
                "other_code": "STO-PACS-03",
                "note": "PACS 在线存储扩容",
            },
            {
                "kind": "relate",
                "ci_code": "STO-PACS-03",
                "relationship_type": "backed_up_by",
                "other_code": "STO-PACS-02",
            },
            *(
                {
                    "kind": "relate",
                    "ci_code": "STO-PACS-03",
                    "relationship_type": "connected_to",
                    "other_code": switch,
                }
                for switch in ("SW-SAN-01", "SW-SAN-02")
            ),
        ),
    ),
    # Planned, not applied yet: shown on the change page as "on completion".
    (
        "his",
        (S.SCHEDULED,),
        (
            {
                "kind": "set_attributes",
                "ci_code": "APP-HIS-OPD",
                "attributes": {"software_version": "5.4.0"},
            },
        ),
    ),
    (
        "pacs",
        (S.ASSESSMENT,),
        ({"kind": "set_attributes", "ci_code": "STO-PACS-03", "attributes": {"capacity_tb": 300}},),
    ),
)
PAST_OUTCOMES: dict[str, str] = {
    S.FAILED: "升级脚本执行报错，按回退方案恢复，业务于 05:40 恢复。",
    S.BACKED_OUT: "验证发现调阅变慢，按回退方案恢复原配置。",
}
REVIEWS = {
    T.EMERGENCY: "紧急变更事后评审：板卡故障原因为电源模块老化，已申请备件并纳入巡检。",
    S.FAILED: "失败原因：厂商脚本未适配本院数据库字符集；已要求厂商在测试环境复现后再排期。",
    S.BACKED_OUT: "回退原因：新卷性能低于预期；联系存储厂商调优后重新申请变更。",
}


def load_configuration(users: dict[str, User]) -> None:
    """The risk questionnaire, the boards and the standard templates, once each."""
    if not RiskQuestion.objects.exists():
        for position, (text, text_en, choices) in enumerate(QUESTIONS, start=1):
            question = RiskQuestion.objects.create(text=text, text_en=text_en, position=position)
            for index, (answer, score) in enumerate(choices, start=1):
                RiskChoice.objects.create(
                    question=question, text=answer, score=score, position=index
                )
    if not AdvisoryBoard.objects.exists():
        cab = AdvisoryBoard.objects.create(
            name="变更咨询委员会（CAB）", kind=BoardKind.CAB, quorum=3
        )
        cab.members.set(
            [users[u] for u in ("manager1", "manager2", "eng4", "eng6", "eng8") if u in users]
        )
        ecab = AdvisoryBoard.objects.create(
            name="紧急变更委员会（ECAB）", kind=BoardKind.EMERGENCY, quorum=1
        )
        ecab.members.set([users[u] for u in ("manager1", "manager2", "admin") if u in users])
    if not ChangeTemplate.objects.exists():
        services = Service.objects.in_bulk(field_name="code")
        groups = {g.name: g for g in SupportGroup.objects.all()}
        for spec in TEMPLATES:
            template = ChangeTemplate.objects.create(
                name=spec.name,
                service=services.get(spec.service),
                assignment_group=groups.get(spec.group),
                duration_minutes=spec.minutes,
                downtime_expected=bool(spec.downtime),
                downtime_minutes=spec.downtime or None,
                reason=spec.reason,
                implementation_plan=spec.plan,
                backout_plan=spec.backout,
                test_plan=spec.test,
            )
            template.configuration_items.set(ConfigurationItem.objects.filter(code__in=spec.items))


def _start_at(days: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())


def _answers(level: str) -> dict[int, int]:
    picks = ANSWERS[level]
    answers: dict[int, int] = {}
    for question, pick in zip(RiskQuestion.objects.filter(active=True), picks, strict=False):
        choices = list(question.choices.order_by("score"))
        answers[question.pk] = choices[min(pick, len(choices) - 1)].pk
    return answers


def _decide_all(change: Change, users: dict[str, User]) -> None:
    """Approve every step with as many of its approvers as it needs."""
    for step in ApprovalStep.objects.filter(change=change).order_by("position"):
        needed = step.required
        for approver in step.approvers.order_by("username"):
            if needed == 0 or approver.pk == change.requester_id:
                continue
            approve_change(change, actor=approver, comment="同意，注意提前通知临床科室。")
            needed -= 1


class Teller:
    """Tells one change through the services, then moves its rows to the story's time."""

    def __init__(self, users: dict[str, User]) -> None:
        self.users = users
        self.manager = users["manager1"]
        self.content_type = ContentType.objects.get_for_model(Change)
        self.services = Service.objects.in_bulk(field_name="code")
        self.groups = {g.name: g for g in SupportGroup.objects.all()}
        self.templates = list(ChangeTemplate.objects.order_by("pk"))
        self.declared: set[int] = set()

    def _declare(self, key: str, change: Change, status: str) -> None:
        """The CMDB updates of DECLARED, once each, while the change is a draft."""
        for n, (story, when, updates) in enumerate(DECLARED):
            if story != key or status not in when or n in self.declared:
                continue
            try:
                with transaction.atomic():
                    for update in updates:
                        declare_cmdb_update(change, update, actor=change.requester)
            except ValidationError:
                continue  # The demo's CMDB is not loaded (or lacks these items).
            self.declared.add(n)

    def tell(self, key: str, days: int, status: str, kind: str) -> Change:
        story = EMERGENCY if key == "emergency" else STORIES.get(key)
        # Told a few days ahead, then moved back (or forward) to the planned day.
        rehearsal_days = 3
        if kind == T.STANDARD:
            template = self.templates[int(key.split(":")[1])]
            change = self._standard(template, rehearsal_days)
            hour, hours = 22, max(1, template.duration_minutes // 60)
        else:
            assert story is not None
            change = self._raise(story, kind, rehearsal_days, days)
            hour, hours = story.hour, story.hours
            self._declare(key, change, status)
        target = _start_at(days, hour)
        if status == S.IMPLEMENTING:
            target = timezone.now().replace(microsecond=0) - timedelta(hours=1)
        change = self._walk(change, story, status, kind)
        self._move(change, target, hours, status)
        return Change.objects.get(pk=change.pk)

    def _raise(self, story: Story, kind: str, ahead: int, days: int) -> Change:
        start = _start_at(ahead, story.hour)
        label = "%s（%s）" % (story.title, _start_at(days, story.hour).strftime("%m-%d"))
        return raise_change(
            {
                "title": label,
                "change_type": kind,
                "reason": story.reason,
                "description": story.reason,
                "implementation_plan": story.plan,
                "backout_plan": story.backout,
                "test_plan": story.test,
                "planned_start": start,
                "planned_end": start + timedelta(hours=story.hours),
                "downtime_expected": bool(story.downtime),
                "downtime_minutes": story.downtime or None,
                "service": self.services.get(story.service),
                "assignment_group": self.groups.get(story.group),
                "implementer": self.users.get(story.implementer),
                "configuration_items": list(ConfigurationItem.objects.filter(code__in=story.items)),
                "urgency": 1 if kind == T.EMERGENCY else 3,
            },
            actor=self.users[story.requester],
        )

    def _standard(self, template: ChangeTemplate, ahead: int) -> Change:
        return raise_standard_change(
            template,
            {"planned_start": _start_at(ahead, 22), "implementer": self.users.get("eng2")},
            actor=self.users["eng1"],
        )

    def _walk(self, change: Change, story: Story | None, status: str, kind: str) -> Change:
        requester = change.requester
        implementer = change.implementer or requester
        if status == S.DRAFT:
            return change
        if status == S.CANCELLED:
            return transition_change(
                change, "cancel", actor=requester, data={"reason": "与其他变更合并实施。"}
            )
        change = transition_change(change, "submit", actor=requester)
        if kind == T.EMERGENCY:
            change = transition_change(change, "start", actor=implementer)
            add_change_task(
                change, {"title": "更换板卡", "assignee": implementer}, actor=implementer
            )
            for task in change.tasks.all():
                finish_change_task(task, actor=implementer, notes="已完成")
            if status == S.IMPLEMENTING:
                return change
            change = transition_change(change, "complete", actor=implementer)
            if status == S.CLOSED:
                _decide_all(change, self.users)
            change = transition_change(change, "review", actor=self.manager)
            if status == S.REVIEW:
                return change
            return transition_change(
                change, "close", actor=self.manager, data={"review_notes": REVIEWS[T.EMERGENCY]}
            )
        if kind == T.NORMAL:
            assert story is not None
            if status == S.SUBMITTED:
                return change
            change = transition_change(change, "assess", actor=self.manager)
            change = assess_risk(change, _answers(story.risk), actor=self.manager)
            if status == S.ASSESSMENT:
                return change
            change = transition_change(change, "request_approval", actor=self.manager)
            if status == S.AWAITING_APPROVAL:
                return change
            if status == S.REJECTED:
                reject_change(
                    change,
                    actor=self.manager,
                    comment="回退方案未经演练，且与门诊高峰冲突，请补充后重新申请。",
                )
                return Change.objects.get(pk=change.pk)
            _decide_all(change, self.users)
            change = Change.objects.get(pk=change.pk)
            if status == S.APPROVED:
                return change
        elif status == S.SUBMITTED:
            return change
        change = transition_change(change, "schedule", actor=requester)
        for title in ("通知相关临床科室与服务台", "实施前备份"):
            add_change_task(change, {"title": title, "assignee": implementer}, actor=requester)
        if status == S.SCHEDULED:
            return change
        for task in change.tasks.all():
            finish_change_task(task, actor=implementer, notes="已完成")
        if status == S.IMPLEMENTING:
            # Started in _move, once the window has begun.
            return change
        change = transition_change(change, "start", actor=implementer)
        if status in (S.FAILED, S.BACKED_OUT):
            name = "fail" if status == S.FAILED else "back_out"
            return transition_change(
                change, name, actor=implementer, data={"note": PAST_OUTCOMES[status]}
            )
        change = transition_change(
            change, "complete", actor=implementer, data={"note": "按计划完成，业务验证正常。"}
        )
        if status == S.IMPLEMENTED:
            return change
        if status == S.REVIEW:
            return transition_change(change, "review", actor=self.manager)
        return transition_change(change, "close", actor=self.manager)

    def _move(self, change: Change, target: datetime, hours: int, status: str) -> None:
        """Move the change's times by the difference between its told and its story's
        window; the actual times follow the planned window."""
        assert change.planned_start is not None
        delta = target - change.planned_start
        if target > timezone.now():
            # A change planned ahead was raised and assessed now: only its window moves.
            Change.objects.filter(pk=change.pk).update(
                planned_start=F("planned_start") + delta, planned_end=F("planned_end") + delta
            )
            return
        shifted = {
            name: F(name) + delta
            for name in (
                "created_at",
                "updated_at",
                "submitted_at",
                "approved_at",
                "planned_start",
                "planned_end",
                "resolved_at",
                "closed_at",
            )
        }
        Change.objects.filter(pk=change.pk).update(**shifted)
        fresh = Change.objects.get(pk=change.pk)
        if change.actual_start is not None:
            assert fresh.planned_start is not None and fresh.planned_end is not None
            actual_start = fresh.planned_start + timedelta(minutes=5)
            actual_end = fresh.planned_end - timedelta(minutes=20)
            if status in (S.FAILED, S.BACKED_OUT):
                actual_end = fresh.planned_end + timedelta(minutes=25)
            closed = actual_end + timedelta(days=2) if fresh.closed_at else None
            Change.objects.filter(pk=change.pk).update(
                actual_start=actual_start,
                actual_end=actual_end if change.actual_end else None,
                resolved_at=actual_end if fresh.resolved_at else None,
                closed_at=closed,
                updated_at=closed or actual_end,
            )
        audit = AuditEntry.objects.filter(content_type=self.content_type, object_id=change.pk)
        audit.update(created_at=F("created_at") + delta)
        # What the change wrote in the CMDB (items' history, outages) moves with it.
        AuditEntry.objects.filter(note=change.number).exclude(
            content_type=self.content_type
        ).update(created_at=F("created_at") + delta)
        DeclaredCmdbUpdate.objects.filter(change=change, applied_at__isnull=False).update(
            applied_at=F("applied_at") + delta
        )
        if fresh.downtime_minutes and change.actual_start is not None:
            assert fresh.planned_start is not None
            start = fresh.planned_start + timedelta(minutes=5)
            ServiceOutage.objects.filter(change_number=change.number).update(
                start=start, end=start + timedelta(minutes=fresh.downtime_minutes)
            )
        notes = Notification.objects.filter(content_type=self.content_type, object_id=change.pk)
        notes.update(created_at=F("created_at") + delta)
        if target < timezone.now():
            notes.filter(read_at__isnull=True).update(read_at=F("created_at"))
        ApprovalStep.objects.filter(change=change).update(
            created_at=F("created_at") + delta, decided_at=F("decided_at") + delta
        )
        Approval.objects.filter(step__change=change).update(decided_at=F("decided_at") + delta)
        ChangeTask.objects.filter(change=change).update(done_at=F("done_at") + delta)
        if fresh.status == S.SCHEDULED and status == S.IMPLEMENTING:
            implementer = fresh.implementer or fresh.requester
            transition_change(fresh, "start", actor=implementer)


# The hospital's standard blackout windows (变更冻结期): recurring ones in local time, dated
# ones for the Spring Festival, an inspection week and the 医保 month-end settlement.
RECURRING_BLACKOUTS: tuple[tuple[str, str, str, tuple[int, int], tuple[int, int], str], ...] = (
    (
        "门诊早高峰",
        "",
        "1,2,3,4,5",
        (7, 30),
        (11, 30),
        "门诊挂号、收费、医生站业务高峰，禁止变更。",
    ),
    ("HIS 下午门诊", "HIS", "1,2,3,4,5", (14, 0), (17, 0), "下午专家门诊，HIS 不得中断。"),
    ("周六上午门诊", "HIS", "6", (8, 0), (12, 0), "周六上午门诊与体检业务。"),
)
SPRING_FESTIVAL_2027 = (
    (2027, 2, 5),
    (2027, 2, 12),
    "2027 年春节假期：值班人员有限，非紧急变更一律冻结。",
)
# The 医保 month-end settlement runs from the last day of the month 18:00 to the 1st 08:00.
MONTH_END_HOURS = (18, 8)
OVERRIDE_STORY = Story(
    "医保结算接口紧急修复（异地结算报文）",
    "MEDINS",
    ("SRV-YB-01",),
    "应用组",
    "eng8",
    "eng8",
    9,
    1,
    10,
    RiskLevel.MEDIUM,
    "医保局通知异地结算报文格式变更，须在新格式生效当日上午完成切换。",
    "1. 通知门诊收费处\n2. 替换前置机报文模板\n3. 重启医保接口服务",
    "恢复旧报文模板并重启。",
    "异地医保患者挂号结算一笔。",
)
OVERRIDE_REASON = (
    "医保局规定新报文格式当日 09:30 起生效，只能在门诊时段切换；已通知门诊收费处准备手工登记。"
)


def _local(day: Any, hour: int, minute: int = 0) -> datetime:
    return datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=timezone.get_default_timezone()
    )


def load_blackout_windows() -> int:
    """The standard windows, once (nothing when any exists); how many were added."""
    if BlackoutWindow.objects.exists():
        return 0
    services = Service.objects.in_bulk(field_name="code")
    windows: list[BlackoutWindow] = []
    for name, service, days, (h1, m1), (h2, m2), reason in RECURRING_BLACKOUTS:
        windows.append(
            BlackoutWindow(
                name=name,
                kind=BlackoutKind.RECURRING,
                service=services.get(service) if service else None,
                weekdays=days,
                start_time=time(h1, m1),
                end_time=time(h2, m2),
                reason=reason,
            )
        )
    (y1, mo1, d1), (y2, mo2, d2), reason = SPRING_FESTIVAL_2027
    windows.append(
        BlackoutWindow(
            name="2027 年春节",
            kind=BlackoutKind.DATED,
            starts_at=_local(date(y1, mo1, d1), 0),
            ends_at=_local(date(y2, mo2, d2), 0),
            reason=reason,
        )
    )
    # The inspection week (等级评审): the working week six weeks from now.
    monday = timezone.localdate() + timedelta(days=42)
    monday -= timedelta(days=monday.weekday())
    windows.append(
        BlackoutWindow(
            name="三级医院等级评审现场检查周",
            kind=BlackoutKind.DATED,
            starts_at=_local(monday, 0),
            ends_at=_local(monday + timedelta(days=5), 0),
            reason="评审专家现场检查信息系统运行，全院冻结非紧急变更。",
        )
    )
    first = timezone.localdate().replace(day=1)
    for _month in range(4):
        following = (first + timedelta(days=32)).replace(day=1)
        last_day = following - timedelta(days=1)
        windows.append(
            BlackoutWindow(
                name="医保月末结算（%s）" % first.strftime("%Y-%m"),
                kind=BlackoutKind.DATED,
                service=services.get("MEDINS"),
                starts_at=_local(last_day, MONTH_END_HOURS[0]),
                ends_at=_local(following, MONTH_END_HOURS[1]),
                reason="医保月末对账与结算清单上传，医保接口不得中断。",
            )
        )
        first = following
    for window in windows:
        window.full_clean()
    BlackoutWindow.objects.bulk_create(windows)
    return len(windows)


def _tell_override(teller: Teller, users: dict[str, User]) -> Change | None:
    """A change in the outpatient morning peak, scheduled by the change manager with a
    recorded override: on the first working day at least three days ahead, 09:30–10:30."""
    day = timezone.localdate() + timedelta(days=3)
    while day.isoweekday() > 5:
        day += timedelta(days=1)
    start = _local(day, 9, 30)
    story = OVERRIDE_STORY
    if story.requester not in users:
        return None
    change = raise_change(
        {
            "title": story.title,
            "change_type": T.NORMAL,
            "reason": story.reason,
            "description": story.reason,
            "implementation_plan": story.plan,
            "backout_plan": story.backout,
            "test_plan": story.test,
            "planned_start": start,
            "planned_end": start + timedelta(hours=story.hours),
            "downtime_expected": True,
            "downtime_minutes": story.downtime,
            "service": teller.services.get(story.service),
            "assignment_group": teller.groups.get(story.group),
            "implementer": users.get(story.implementer),
            "configuration_items": list(ConfigurationItem.objects.filter(code__in=story.items)),
            "urgency": 2,
        },
        actor=users[story.requester],
    )
    change = teller._walk(change, story, S.APPROVED, T.NORMAL)
    return transition_change(
        change,
        "schedule",
        actor=teller.manager,
        data={"blackout_override": True, "blackout_override_reason": OVERRIDE_REASON},
    )


def _link_records(changes: list[Change], users: dict[str, User]) -> None:
    """The problems some changes fix, and a few incidents that changes caused."""
    actor = users["manager1"]
    fixes = (
        ("PACS 存储阵列扩容", "PACS 影像调阅缓慢"),
        ("LIS 仪器接口程序升级", "LIS 仪器接口"),
    )
    for change_words, problem_words in fixes:
        change = next(
            (c for c in changes if change_words in c.title and c.status in PLANNING_STATUSES),
            None,
        )
        problem = Problem.objects.filter(title__contains=problem_words).first()
        if change is not None and problem is not None:
            link_problem(change, problem, actor=actor)
    caused = [c for c in changes if c.status in (S.FAILED, S.BACKED_OUT, S.REVIEW)][:3]
    for change in caused:
        assert change.actual_end is not None
        incident = (
            Incident.objects.filter(
                service=change.service,
                reported_at__gte=change.actual_start,
                reported_at__lte=change.actual_end + timedelta(days=2),
            )
            .order_by("reported_at")
            .first()
        )
        if incident is not None:
            link_incident(change, incident, actor=actor, note="变更实施后出现，已关联。")


def load_changes() -> int:
    """The demo's change management; the number of changes told (0 when there are some)."""
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    if "manager1" not in users or Change.objects.exists():
        return 0
    load_configuration(users)
    teller = Teller(users)
    told: list[Change] = []
    for key, days, status, kind in PLAN:
        if key != "emergency" and not key.startswith("standard:") and key not in STORIES:
            continue
        told.append(teller.tell(key, days, status, kind))
    # The windows come after the plan: its changes are told a few days ahead, whatever
    # windows that day falls in, and moved to their story's day afterwards.
    load_blackout_windows()
    overridden = _tell_override(teller, users)
    if overridden is not None:
        told.append(overridden)
    _link_records(told, users)
    return len(told)


def summary() -> dict[str, Any]:
    """The changes per status, for the demo command's report."""
    from django.db.models import Count

    return dict(Change.objects.values_list("status").annotate(n=Count("pk")))
