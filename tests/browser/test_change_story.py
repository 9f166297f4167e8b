"""The change main line in a real browser: an engineer raises a normal RFC for a patch of the
HIS database next week at night and submits it; the IT manager (the change manager) assesses
it with the risk questionnaire and sends it for approval; he approves, then two CAB members
approve until the quorum is reached. He schedules it; the HIS vendor's draft on the same
database at the same time shows the conflict on its page (to the vendor without naming the
patch, which is not his); a change moved into the outpatient peak is refused until he
overrides the blackout window with a reason. The change calendar shows the changes on their
days, and the personal iCalendar feed from the calendar page carries them. Last, the
engineer bundles the patch into a release and records its deployment to the test copy."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.utils import timezone, translation
from playwright.sync_api import Browser, Page, Response, expect

from itsm.accounts.choices import Role
from itsm.changes.blackouts import save_blackout_window
from itsm.changes.choices import (
    ApprovalStepKind,
    ApprovalStepStatus,
    BlackoutKind,
    BoardKind,
    ChangeStatus,
    ConflictKind,
    RiskLevel,
)
from itsm.changes.models import AdvisoryBoard, Change, RiskChoice, RiskQuestion
from itsm.changes.services import approve_change, assess_risk, raise_change, transition_change
from itsm.cmdb.choices import ConfigurationItemClass
from itsm.cmdb.models import ConfigurationItem
from itsm.core.testing import make_user
from itsm.releases.choices import DeploymentEnvironment, ReleaseStatus, ReleaseType
from itsm.releases.models import Deployment, Release
from tests.browser.test_incident_story import Story, assert_assets_loaded

TITLE = "HIS数据库补丁升级（Oracle 19c RU 19.24）"
OVERRIDE_REASON = "LIS厂商工程师仅工作日白天可到场，已与检验科确认该时段手工登记标本。"


class ChangeStory(Story):
    """The incident story's people and screenshots, where some refusals are the story: a
    (status, path) listed in `refusals` is expected, any other 4xx is an error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refusals: list[tuple[int, str]] = []

    def check_response(self, user: Any, response: Response) -> None:
        if any(
            response.status == status and path in response.url for status, path in self.refusals
        ):
            return
        super().check_response(user, response)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment in the hospital's time (Asia/Shanghai)."""
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_default_timezone())


def field_value(moment: datetime) -> str:
    """What a datetime-local field holds: the hospital's wall-clock time."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def wall_clock(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def zh(label: Any) -> str:
    """What the pages say in Chinese: a lazy label, or a message id."""
    with translation.override("zh-hans"):
        return translation.gettext(label) if isinstance(label, str) else str(label)


def set_up_change_management(hospital: SimpleNamespace) -> None:
    """What the administrators and the change manager entered before the story: the risk
    questionnaire, the CAB (the IT director, i.e. the admin, the DBA and the IT manager;
    two must approve), the HIS database and the LIS interface server in the CMDB, the
    outpatient-peak blackout window, and two other changes: a draft of the HIS vendor on
    the same database, and an approved LIS change."""
    hospital.dba = make_user(
        "dba",
        Role.FRONT_LINE,
        department=hospital.it_department,
        last_name="赵",
        first_name="磊",
    )
    hospital.front_group.members.add(hospital.dba)
    outage = RiskQuestion.objects.create(text="是否影响门急诊业务？", position=1)
    RiskChoice.objects.create(question=outage, text="不影响", score=1, position=1)
    hospital.night_outage = RiskChoice.objects.create(
        question=outage, text="夜间停机，影响急诊挂号收费", score=6, position=2
    )
    RiskChoice.objects.create(question=outage, text="影响门诊高峰业务", score=12, position=3)
    tested = RiskQuestion.objects.create(text="是否在测试环境验证？", position=2)
    hospital.tested = RiskChoice.objects.create(
        question=tested, text="已在测试环境验证", score=2, position=1
    )
    RiskChoice.objects.create(question=tested, text="未验证", score=9, position=2)
    hospital.questions = (outage, tested)
    cab = AdvisoryBoard.objects.create(name="变更咨询委员会", kind=BoardKind.CAB, quorum=2)
    cab.members.set([hospital.admin, hospital.dba, hospital.manager])
    hospital.cab = cab

    hospital.his_db = ConfigurationItem.objects.create(
        code="HIS-DB-01",
        name="HIS核心数据库（Oracle RAC）",
        ci_class_id=ConfigurationItemClass.DATABASE,
        owner_group=hospital.front_group,
        attributes={"software_version": "19.23"},
    )
    hospital.his_db.services.add(hospital.his)
    hospital.lis_server = ConfigurationItem.objects.create(
        code="LIS-IF-01",
        name="LIS接口服务器",
        ci_class_id=ConfigurationItemClass.SERVER,
        owner_group=hospital.front_group,
    )
    save_blackout_window(
        None,
        {
            "name": "门诊早高峰",
            "reason": "门诊挂号收费高峰，禁止变更",
            "kind": BlackoutKind.RECURRING,
            "weekdays": "1,2,3,4,5",
            "start_time": time(7, 30),
            "end_time": time(11, 30),
        },
        actor=hospital.manager,
    )

    # Next week: Monday, then the night of Tuesday for the HIS patch.
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    hospital.tuesday = monday + timedelta(days=1)
    hospital.wednesday = monday + timedelta(days=2)
    hospital.window = (local(hospital.tuesday, 1), local(hospital.tuesday, 3))

    hospital.vendor_change = raise_change(
        {
            "title": "HIS数据库统计信息收集任务调整",
            "change_type": "normal",
            "reason": "夜间统计信息收集耗时过长",
            "implementation_plan": "调整 DBMS_STATS 作业时间窗口",
            "backout_plan": "恢复原作业配置",
            "planned_start": local(hospital.tuesday, 2),
            "planned_end": local(hospital.tuesday, 4),
            "configuration_items": [hospital.his_db],
            "assignment_group": hospital.vendor_group,
        },
        actor=hospital.vendor,
    )

    lis = raise_change(
        {
            "title": "LIS接口服务器网卡固件升级",
            "change_type": "normal",
            "reason": "网卡固件存在丢包缺陷",
            "implementation_plan": "升级网卡固件并重启接口服务",
            "backout_plan": "回刷原固件版本",
            "test_plan": "发送检验申请并回传结果各一笔",
            "planned_start": local(hospital.wednesday, 2),
            "planned_end": local(hospital.wednesday, 3),
            "configuration_items": [hospital.lis_server],
            "assignment_group": hospital.front_group,
            "implementer": hospital.dba,
        },
        actor=hospital.engineer,
    )
    lis = transition_change(lis, "submit", actor=hospital.engineer)
    lis = transition_change(lis, "assess", actor=hospital.manager)
    low = {q.pk: q.choices.order_by("score").first().pk for q in hospital.questions}
    lis = assess_risk(lis, low, actor=hospital.manager)
    lis = transition_change(lis, "request_approval", actor=hospital.manager)
    approve_change(lis, actor=hospital.manager, comment="同意")
    hospital.lis_change = Change.objects.get(pk=lis.pk)
    assert hospital.lis_change.status == ChangeStatus.APPROVED


def assert_no_template_text(page: Page) -> None:
    """No template syntax shows on the page (a `{# … #}` comment over two lines does)."""
    text = page.locator("body").inner_text()
    assert not re.search(r"\{[#%]|[#%]\}|\{\{|\}\}", text), "template syntax on %s" % page.url


def decide(page: Page, comment: str) -> None:
    """Approve on the change page's approval card, with a comment."""
    card = page.locator("#approvals")
    card.locator("textarea[name=comment]").fill(comment)
    card.locator("button[name=decision][value=approve]").click()


def test_a_his_database_patch_goes_from_request_through_the_cab_to_the_change_calendar(
    browser: Browser, live_server: Any, hospital: SimpleNamespace, screenshots: Path
) -> None:
    set_up_change_management(hospital)
    story = ChangeStory(browser, live_server.url, screenshots)
    start, end = hospital.window

    # 1. The engineer raises the RFC from the change list and submits it.
    engineer = story.open_as(hospital.engineer)
    engineer.goto("/changes/")
    engineer.get_by_role("link", name="新建变更").click()
    engineer.wait_for_url("**/changes/new/")
    assert_assets_loaded(engineer)
    engineer.locator("input[name=title]").fill(TITLE)
    expect(engineer.locator("select[name=change_type]")).to_have_value("normal")
    engineer.locator("textarea[name=reason]").fill(
        "厂商发布安全补丁，修复执行计划异常导致门诊收费查询变慢的缺陷"
    )
    engineer.locator("textarea[name=description]").fill("HIS核心库两节点滚动打补丁。")
    engineer.locator("textarea[name=implementation_plan]").fill(
        "1. 全库备份\n2. 节点1停库打补丁\n3. 节点2停库打补丁\n4. 执行 datapatch"
    )
    engineer.locator("textarea[name=backout_plan]").fill(
        "opatch rollback 回退补丁，必要时从备份恢复"
    )
    engineer.locator("textarea[name=test_plan]").fill("挂号、收费、医嘱各做一笔测试交易")
    engineer.locator("input[name=planned_start]").fill(field_value(start))
    engineer.locator("input[name=planned_end]").fill(field_value(end))
    engineer.locator("input[name=downtime_expected]").check()
    engineer.locator("input[name=downtime_minutes]").fill("30")
    engineer.locator("select[name=service]").select_option(str(hospital.his.pk))
    engineer.locator("select[name=configuration_items]").select_option(str(hospital.his_db.pk))
    engineer.locator("select[name=assignment_group]").select_option(str(hospital.front_group.pk))
    engineer.locator("select[name=implementer]").select_option(str(hospital.engineer.pk))
    story.shot(engineer, "rfc-form")
    engineer.get_by_role("button", name="保存").click()
    engineer.wait_for_url(re.compile(r"/changes/\d+/$"))
    change = Change.objects.exclude(
        pk__in=[hospital.vendor_change.pk, hospital.lis_change.pk]
    ).get()
    assert engineer.url.endswith("/changes/%d/" % change.pk)
    assert (change.title, change.requester, change.status) == (
        TITLE,
        hospital.engineer,
        ChangeStatus.DRAFT,
    )
    assert (change.planned_start, change.planned_end) == (start, end)
    assert list(change.configuration_items.all()) == [hospital.his_db]
    expect(engineer.locator(".alert-success")).to_contain_text(change.number)
    expect(engineer.locator("h1")).to_have_text(TITLE)
    # The CMDB's impact: the critical HIS service, for the whole hospital.
    impact = engineer.locator("#impact")
    expect(impact).to_contain_text("HIS-DB-01")
    expect(impact).to_contain_text(zh("The whole hospital"))
    assert_no_template_text(engineer)
    engineer.locator("button[data-transition=submit]").click()
    expect(engineer.locator("header .status-badge")).to_have_text(zh(ChangeStatus.SUBMITTED.label))
    story.shot(engineer, "rfc-submitted")
    engineer.context.close()

    # 2. The change manager assesses it, answers the questionnaire, sends it for approval.
    manager = story.open_as(hospital.manager)
    manager.goto("/changes/")
    manager.locator("a[href='/changes/%d/']" % change.pk).first.click()
    manager.wait_for_url("**/changes/%d/" % change.pk)
    manager.locator("button[data-transition=assess]").click()
    expect(manager.locator("header .status-badge")).to_have_text(zh(ChangeStatus.ASSESSMENT.label))
    outage, tested = hospital.questions
    risk = manager.locator("#risk")
    risk.locator("select[name=q%d]" % outage.pk).select_option(str(hospital.night_outage.pk))
    risk.locator("select[name=q%d]" % tested.pk).select_option(str(hospital.tested.pk))
    risk.get_by_role("button", name="评估风险").click()
    # 6 + 2 = 8: medium risk (the threshold is 8).
    expect(manager.locator(".alert-success")).to_contain_text(
        zh("Risk assessed: %(level)s (%(score)s).")
        % {"level": zh(RiskLevel.MEDIUM.label), "score": 8}
    )
    expect(manager.locator("header")).to_contain_text("(8)")
    manager.locator("button[data-transition=request_approval]").click()
    expect(manager.locator("header .status-badge")).to_have_text(
        zh(ChangeStatus.AWAITING_APPROVAL.label)
    )
    # The path: the change manager, then the CAB with its quorum of 2 of 3.
    approvals = manager.locator("#approvals")
    steps = approvals.locator("li.list-group-item")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text(zh(ApprovalStepKind.CHANGE_MANAGER.label))
    expect(steps.nth(1)).to_contain_text(zh(ApprovalStepKind.CAB.label))
    expect(steps.nth(1)).to_contain_text(hospital.cab.name)
    story.shot(manager, "approval-steps")
    decide(manager, "同意，注意提前通知急诊")
    expect(manager.locator(".alert-success")).to_contain_text(
        zh("You approved %(number)s.") % {"number": change.number}
    )
    expect(approvals.locator("[data-approval=approve]")).to_have_count(1)
    expect(manager.locator("header .status-badge")).to_have_text(
        zh(ChangeStatus.AWAITING_APPROVAL.label)
    )
    manager.context.close()

    # 3. The CAB: the DBA approves (1 of 2: still waiting), the IT director makes the quorum.
    dba = story.open_as(hospital.dba)
    dba.goto("/changes/%d/" % change.pk)
    decide(dba, "补丁已在测试库验证")
    expect(dba.locator("#approvals [data-approval=approve]")).to_have_count(2)
    expect(dba.locator("header .status-badge")).to_have_text(
        zh(ChangeStatus.AWAITING_APPROVAL.label)
    )
    expect(dba.locator("#approvals button[value=approve]")).to_have_count(0)  # decided once
    dba.context.close()
    director = story.open_as(hospital.admin)
    director.goto("/changes/%d/" % change.pk)
    decide(director, "同意")
    expect(director.locator("header .status-badge")).to_have_text("已批准")
    expect(director.locator("#approvals [data-approval=approve]")).to_have_count(3)
    story.shot(director, "approved")
    director.locator("#approvals").screenshot(
        path=str(screenshots / ("%02d-approval-card.png" % story.step))
    )
    director.context.close()
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED
    assert [s.status for s in change.approval_steps.order_by("position")] == [
        ApprovalStepStatus.APPROVED,
        ApprovalStepStatus.APPROVED,
    ]

    # 4. The change manager schedules it (keeping its window), in the action dialog.
    manager = story.open_as(hospital.manager)
    manager.goto("/changes/%d/" % change.pk)
    manager.locator("[data-transition=schedule]").click()
    form = manager.locator("#action-modal form[data-transition-form=schedule]")
    expect(form).to_be_visible()
    form.locator("button[type=submit]").click()
    expect(manager.locator("#action-modal")).to_be_hidden()
    expect(manager.locator("header .status-badge")).to_have_text(zh(ChangeStatus.SCHEDULED.label))
    change.refresh_from_db()
    assert change.status == ChangeStatus.SCHEDULED
    assert (change.planned_start, change.planned_end) == (start, end)

    # 5. The HIS vendor's draft on the same database at the same time shows the conflict.
    manager.goto("/changes/%d/" % hospital.vendor_change.pk)
    conflict = manager.locator("#conflicts [data-conflict=%s]" % ConflictKind.SAME_ITEM)
    expect(conflict).to_have_count(1)
    expect(conflict).to_contain_text(zh(ConflictKind.SAME_ITEM.label))
    expect(conflict).to_contain_text(change.number)
    expect(conflict).to_contain_text("HIS-DB-01")
    expect(conflict).to_contain_text("%s – %s" % (wall_clock(start), wall_clock(end)))
    story.shot(manager, "conflict-panel")
    manager.locator("#conflicts").screenshot(
        path=str(screenshots / ("%02d-conflict-card.png" % story.step))
    )

    # The HIS vendor sees that his window collides, not with what: the patch is not his.
    vendor = story.open_as(hospital.vendor)
    vendor.goto("/changes/%d/" % hospital.vendor_change.pk)
    hidden = vendor.locator("#conflicts [data-conflict=%s]" % ConflictKind.SAME_ITEM)
    expect(hidden).to_contain_text(zh("Another change is booked on the same item at that time."))
    expect(hidden).not_to_contain_text(change.number)
    vendor.context.close()

    # 6. The LIS change moved into Wednesday's outpatient peak: refused, with the reason.
    lis = hospital.lis_change
    story.refusals.append((409, "/changes/%d/transitions/schedule/" % lis.pk))
    manager.goto("/changes/%d/" % lis.pk)
    peak_start, peak_end = local(hospital.wednesday, 9), local(hospital.wednesday, 10)
    manager.locator("[data-transition=schedule]").click()
    form = manager.locator("#action-modal form[data-transition-form=schedule]")
    expect(form).to_be_visible()
    form.locator("input[name=planned_start]").fill(field_value(peak_start))
    form.locator("input[name=planned_end]").fill(field_value(peak_end))
    form.locator("button[type=submit]").click()
    refusal = manager.locator("#action-modal [data-status='409']")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("门诊早高峰")
    expect(refusal).to_contain_text(zh("hospital-wide"))
    expect(manager.locator("#action-modal .modal-title")).to_have_text(zh("Not possible now"))
    story.shot(manager, "blackout-refused")
    lis.refresh_from_db()
    assert lis.status == ChangeStatus.APPROVED
    assert lis.planned_start == local(hospital.wednesday, 2)  # nothing written

    # ... and scheduled with the change manager's override and its reason.
    manager.locator("#action-modal button[data-bs-dismiss=modal]").first.click()
    expect(manager.locator("#action-modal")).to_be_hidden()
    manager.locator("[data-transition=schedule]").click()
    form = manager.locator("#action-modal form[data-transition-form=schedule]")
    expect(form).to_be_visible()
    form.locator("input[name=planned_start]").fill(field_value(peak_start))
    form.locator("input[name=planned_end]").fill(field_value(peak_end))
    form.locator("input[name=blackout_override]").check()
    form.locator("textarea[name=blackout_override_reason]").fill(OVERRIDE_REASON)
    story.shot(manager, "blackout-override-dialog")
    form.locator("button[type=submit]").click()
    expect(manager.locator("#action-modal")).to_be_hidden()
    expect(manager.locator("header .status-badge")).to_have_text(zh(ChangeStatus.SCHEDULED.label))
    lis.refresh_from_db()
    assert lis.status == ChangeStatus.SCHEDULED
    assert (lis.planned_start, lis.planned_end) == (peak_start, peak_end)
    assert (lis.blackout_override_by, lis.blackout_override_reason) == (
        hospital.manager,
        OVERRIDE_REASON,
    )
    override = manager.locator("#conflicts [data-blackout-override]")
    expect(override).to_contain_text(str(hospital.manager))
    expect(override).to_contain_text(OVERRIDE_REASON)
    # The history records the override: who, and that a reason was given.
    latest = manager.locator("#history li").first
    expect(latest).to_contain_text(zh(Change._meta.get_field("blackout_override_by").verbose_name))
    expect(latest).to_contain_text(str(hospital.manager))
    expect(latest).to_contain_text(
        zh(Change._meta.get_field("blackout_override_reason").verbose_name)
    )
    story.shot(manager, "blackout-overridden")

    # 7. The change calendar, month view: the patch on Tuesday night, the LIS change on
    # Wednesday morning under the outpatient peak.
    manager.goto("/changes/")
    manager.get_by_role("link", name="变更日历").first.click()
    manager.wait_for_url("**/changes/calendar/")
    assert_assets_loaded(manager)
    expect(manager.locator("table.change-calendar")).to_have_attribute("data-view", "month")
    if hospital.tuesday.month != timezone.localdate().month:
        manager.locator("a[rel=next]").click()
        expect(manager.locator("[data-period]")).to_have_text(hospital.tuesday.strftime("%Y-%m"))
    tuesday = manager.locator("td[data-day='%s']" % hospital.tuesday.isoformat())
    expect(tuesday.locator("[data-change='%s']" % change.number)).to_be_visible()
    expect(tuesday.locator("[data-change='%s']" % change.number)).to_contain_text("01:00")
    wednesday = manager.locator("td[data-day='%s']" % hospital.wednesday.isoformat())
    expect(wednesday.locator("[data-change='%s']" % lis.number)).to_be_visible()
    expect(wednesday.locator("[data-blackout]")).to_contain_text("门诊早高峰")
    # The HIS vendor's draft is not booked: not on the calendar.
    expect(manager.locator("[data-change='%s']" % hospital.vendor_change.number)).to_have_count(0)
    assert_no_template_text(manager)
    story.shot(manager, "calendar-month")

    # 8. The iCalendar feed, from the calendar page's personal link, read without a session
    # (as a calendar application does).
    feed = manager.locator("a[data-feed]").get_attribute("href")
    assert feed is not None and "/changes/calendar.ics?token=" in feed
    manager.context.close()
    outside = browser.new_context(base_url=live_server.url)
    try:
        answer = outside.request.get(feed)
        assert answer.status == 200
        assert answer.headers["content-type"].startswith("text/calendar")
        body = answer.text().replace("\r\n ", "")  # unfolded
        assert "SUMMARY:%s %s" % (change.number, "HIS") in body
        assert "SUMMARY:%s" % lis.number in body
        assert "DTSTART:%s" % start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") in body
        assert hospital.vendor_change.number not in body
        anonymous = outside.request.get("/changes/calendar.ics")
        assert anonymous.status == 401
    finally:
        outside.close()

    # 9. The engineer bundles the approved patch into a release and records its deployment
    # to the test copy of the database.
    engineer = story.open_as(hospital.engineer)
    engineer.goto("/releases/")
    engineer.get_by_role("link", name=zh("New release")).click()
    engineer.wait_for_url("**/releases/new/")
    engineer.locator("input[name=title]").fill("HIS数据库 19.24 补丁发布")
    engineer.locator("input[name=release_version]").fill("19.24")
    engineer.locator("select[name=release_type]").select_option(ReleaseType.MINOR)
    engineer.locator("select[name=service]").select_option(str(hospital.his.pk))
    engineer.locator("select[name=configuration_items]").select_option(str(hospital.his_db.pk))
    engineer.locator("select[name=changes]").select_option(str(change.pk))
    engineer.locator("select[name=assignment_group]").select_option(str(hospital.front_group.pk))
    engineer.get_by_role("button", name="保存").click()
    engineer.wait_for_url(re.compile(r"/releases/\d+/$"))
    release = Release.objects.get()
    assert list(release.changes.all()) == [change]
    expect(engineer.locator("body")).to_contain_text(change.number)
    engineer.locator("button[data-transition=start_test]").click()
    expect(engineer.locator("header .status-badge").first).to_have_text(
        zh(ReleaseStatus.TEST.label)
    )
    engineer.locator("a[data-record-deployment]").click()
    engineer.wait_for_url("**/releases/%d/deploy/" % release.pk)
    engineer.locator("select[name=configuration_item]").select_option(str(hospital.his_db.pk))
    engineer.locator("select[name=environment]").select_option(DeploymentEnvironment.TEST)
    expect(engineer.locator("input[name=version_deployed]")).to_have_value("19.24")
    engineer.locator("textarea[name=notes]").fill("测试库打补丁完成，datapatch 执行成功")
    story.shot(engineer, "deployment-form")
    engineer.get_by_role("button", name=zh("Record deployment")).click()
    engineer.wait_for_url("**/releases/%d/" % release.pk)
    expect(engineer.locator(".alert-success")).to_contain_text("HIS-DB-01")
    row = engineer.locator("[data-deployments] tr[data-deployment]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(zh(DeploymentEnvironment.TEST.label))
    expect(row).to_contain_text("— → 19.24")  # the test copy had no recorded version
    assert_no_template_text(engineer)
    story.shot(engineer, "release-test-deployment")
    engineer.context.close()
    deployment = Deployment.objects.get()
    assert (deployment.environment, deployment.version_deployed, deployment.deployed_by) == (
        DeploymentEnvironment.TEST,
        "19.24",
        hospital.engineer,
    )
    hospital.his_db.refresh_from_db()
    # A test deployment leaves the production version the CMDB records alone.
    assert hospital.his_db.attributes["software_version"] == "19.23"

    assert story.errors == []
