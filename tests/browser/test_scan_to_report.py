"""Scan to report on a phone: the nurse scans the label on the triage desk's printer, signs
in, reports "打印机卡纸" in one line and lands on her report's page, which names the printer."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.urls import reverse
from playwright.sync_api import Browser, ViewportSize, expect

from itsm.core.testing import PASSWORD
from itsm.incidents.choices import IncidentChannel
from itsm.incidents.models import Incident
from tests.browser.test_incident_story import PHONE, TIMEOUT_MS, Story, assert_assets_loaded


def test_the_nurse_scans_the_printer_label_and_reports_a_paper_jam(
    browser: Browser, live_server: Any, hospital: SimpleNamespace, screenshots: Path
) -> None:
    story = Story(browser, live_server.url, screenshots)
    printer = hospital.printer
    scan_path = reverse("scan:report", args=[printer.code])

    # The camera opens the label's address in a fresh browser: not signed in yet.
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        viewport=ViewportSize(width=PHONE["width"], height=PHONE["height"]),
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    nurse = context.new_page()
    nurse.on("pageerror", lambda error: story.errors.append(str(error)))
    nurse.on("response", lambda r: story.check_response(hospital.nurse, r))
    nurse.goto(scan_path)
    assert "/login/" in nurse.url and "next=" in nurse.url
    story.shot(nurse, "login")
    nurse.locator("input[name=username]").fill(hospital.nurse.username)
    nurse.locator("input[name=password]").fill(PASSWORD)
    nurse.locator("input[name=password]").press("Enter")
    nurse.wait_for_url(re.compile(re.escape(scan_path) + "$"))

    # The item, big and clear, and one line to fill in.
    assert_assets_loaded(nurse)
    expect(nurse.locator("#scan-item")).to_have_text(printer.name)
    expect(nurse.locator("[data-scan-item]")).to_contain_text(printer.place)
    expect(nurse.locator("[data-scan-item]")).to_contain_text(hospital.emergency.name)
    title = nurse.locator("input[name=title]")
    expect(title).to_be_focused()
    # Nothing on the page is wider than the phone.
    assert nurse.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    story.shot(nurse, "scan-page")

    # Sending an empty line is refused in Chinese, nothing written.
    nurse.get_by_role("button", name="提交报修").click()
    expect(nurse.locator("#id_title-errors")).to_have_text("该字段是必填项。")
    assert not Incident.objects.exists()

    nurse.locator("input[name=title]").fill("打印机卡纸")
    nurse.get_by_role("button", name="提交报修").click()
    nurse.wait_for_url(re.compile(r"/portal/incidents/\d+/$"))
    incident = Incident.objects.get()
    assert nurse.url.endswith(reverse("portal:incident_detail", args=[incident.pk]))
    assert (incident.requester, incident.department) == (hospital.nurse, hospital.emergency)
    assert incident.channel == IncidentChannel.PORTAL
    assert list(incident.configuration_items.all()) == [printer]
    expect(nurse.locator("h1")).to_have_text("打印机卡纸")
    expect(nurse.locator("main")).to_contain_text(printer.code)
    expect(nurse.locator("main")).to_contain_text(printer.place)
    story.shot(nurse, "her-report")

    # Scanning the label again shows that it is already reported, and by her.
    nurse.goto(scan_path)
    expect(nurse.locator("[data-open-incidents]")).to_contain_text(incident.number)
    story.shot(nurse, "already-reported")
    context.close()

    # The agent prints the label sheet for the emergency department's items.
    agent = story.open_as(hospital.agent)
    agent.goto(reverse("cmdb:labels"))
    agent.locator("select[name=department]").select_option(str(hospital.emergency.pk))
    agent.get_by_role("button", name="查找配置项").click()
    expect(agent.locator("input[name=codes]")).to_have_count(1)
    with agent.context.expect_page() as sheet_opened:  # the sheet opens in a new tab
        agent.get_by_role("button", name="打印所选配置项的标签").click()
    sheet = sheet_opened.value
    sheet.wait_for_load_state()
    label = sheet.locator(".label")
    expect(label).to_have_count(1)
    expect(label).to_have_attribute("data-url", re.compile(re.escape(scan_path) + "$"))
    expect(label).to_contain_text("医院信息科 扫码报修")
    sheet.emulate_media(media="print")
    story.shot(sheet, "label-sheet-print")
    assert story.errors == []
    agent.context.close()
