"""Service levels in a real browser: the IT manager sees that next year's holidays are
missing, imports the State Council's schedule, and the warning goes; the desk sorts its
queue by time left and reads an incident's clocks."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.utils import timezone
from playwright.sync_api import Browser, expect

from itsm.incidents.tests.factories import log
from itsm.sla.models import StatutoryDay
from itsm.sla.tests.factories import HOUR, MINUTE, agreement, office_hours, round_the_clock

from .test_incident_story import Story


def test_the_manager_imports_next_years_holidays_and_the_desk_reads_the_clocks(
    browser: Browser, live_server: Any, hospital: SimpleNamespace, screenshots: Path
) -> None:
    story = Story(browser, live_server.url, screenshots)
    calendar = office_hours()
    agreement(
        round_the_clock(),
        name="临床核心系统 SLA",
        targets={2: (15 * MINUTE, 2 * HOUR), 3: (30 * MINUTE, 4 * HOUR)},
    )
    next_year = timezone.localdate().year + 1

    # 1. The manager opens the office-hours calendar: next year has no statutory days yet
    #    (the warning shows in November and December, when the schedule is published).
    manager = story.open_as(hospital.manager)
    manager.goto("/sla/calendars/%d/" % calendar.pk)
    warnings = manager.locator("[data-warning]")
    if timezone.localdate().month >= 11:
        expect(warnings.filter(has_text=str(next_year))).to_have_count(1)
    story.shot(manager, "calendar-warns")

    # 2. He pastes the State Council's schedule and imports it.
    manager.goto("/sla/statutory-days/import/")
    manager.locator("textarea[name=text]").fill(
        "日期,类型,名称\n%(y)d-01-01,节假日,元旦\n%(y)d-02-06,节假日,春节\n"
        "%(y)d-02-07,调休上班,春节" % {"y": next_year}
    )
    story.shot(manager, "statutory-import")
    manager.get_by_role("button", name="导入").click()
    manager.wait_for_url(lambda url: "/import/" not in url)
    assert StatutoryDay.objects.filter(date__year=next_year).count() == 3
    manager.goto("/sla/calendars/%d/" % calendar.pk)
    expect(warnings.filter(has_text=str(next_year))).to_have_count(0)
    story.shot(manager, "calendar-complete")

    # 3. Two calls come in; the desk sorts its queue by time left and opens the first.
    first = log(hospital.agent, requester=hospital.nurse, title="急诊科打印机卡纸")
    log(hospital.agent, requester=hospital.doctor, title="门诊医生站无法登录", impact=1)
    agent = story.open_as(hospital.agent)
    agent.goto("/incidents/?queue=all")
    agent.locator("a.sort-link", has_text="剩余时间").click()
    rows = agent.locator("table.table-queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("门诊医生站无法登录")  # P2: due sooner
    expect(rows.nth(1)).to_contain_text("剩余")
    story.shot(agent, "queue-by-time-left")
    rows.nth(1).locator("a.incident-title").click()
    card = agent.locator("#sla")
    expect(card).to_contain_text("临床核心系统 SLA")
    expect(card).to_contain_text("响应时限")
    expect(card).to_contain_text("解决时限")
    expect(card.locator(".badge", has_text="计时中")).to_have_count(2)
    assert agent.url.endswith("/incidents/%d/" % first.pk)
    story.shot(agent, "incident-clocks")
    assert story.errors == []
