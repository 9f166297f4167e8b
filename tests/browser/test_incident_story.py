"""The incident main line in a real browser: the desk logs a phone call with the keyboard,
escalates it to a vendor's back-line group, the vendor's engineer accepts and resolves it
(the other vendor's engineer cannot even see it), and the nurse who called confirms the
resolution on the portal, on a phone."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from playwright.sync_api import Browser, Page, Request, Response, expect

from itsm.core.testing import PASSWORD
from itsm.incidents.choices import IncidentRoutingKind, IncidentStatus
from itsm.incidents.models import Incident

TIMEOUT_MS = 10_000
CATALOG = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.mo"
TITLE = "急诊分诊台HIS挂号界面卡死"
DESCRIPTION = "点击挂号后界面无响应，已重启客户端无效。"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


class Story:
    """One browser context (its own cookies) per person, screenshots numbered in order."""

    def __init__(self, browser: Browser, base_url: str, folder: Path) -> None:
        self.browser = browser
        self.base_url = base_url
        self.folder = folder
        self.step = 0
        self.errors: list[str] = []

    def open_as(self, user: Any, *, viewport: dict[str, int] = DESKTOP, **options: Any) -> Page:
        context = self.browser.new_context(
            base_url=self.base_url, locale="zh-CN", viewport=viewport, **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        # Script errors, and any asset or htmx request that failed (the pages themselves
        # may answer 4xx: the 404 page is part of the story).
        page.on("pageerror", lambda error: self.errors.append("%s: %s" % (user, error)))
        page.on("requestfailed", lambda r: self.check_failure(user, r))
        page.on("response", lambda r: self.check_response(user, r))
        page.goto("/login/")
        page.locator("input[name=username]").fill(user.username)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("input[name=password]").press("Enter")
        page.wait_for_url(lambda url: "/login/" not in url)
        return page

    def check_response(self, user: Any, response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append("%s: %s %s" % (user, response.status, response.url))

    def check_failure(self, user: Any, request: Request) -> None:
        # htmx aborts a superseded request on purpose (hx-sync="this:replace").
        if "ERR_ABORTED" not in (request.failure or ""):
            self.errors.append("%s: %s %s" % (user, request.failure, request.url))

    def shot(self, page: Page, name: str) -> None:
        self.step += 1
        page.screenshot(path=str(self.folder / ("%02d-%s.png" % (self.step, name))), full_page=True)


def assert_assets_loaded(page: Page) -> None:
    """Bootstrap's CSS and JS, htmx and our app.js are served locally and did load."""
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("typeof bootstrap") == "object"
    assert page.evaluate(
        "getComputedStyle(document.body).getPropertyValue('--bs-primary').trim() !== ''"
    )


def test_a_phone_call_goes_from_the_desk_to_the_vendor_and_back_to_the_nurse(
    browser: Browser, live_server: Any, hospital: SimpleNamespace, screenshots: Path
) -> None:
    story = Story(browser, live_server.url, screenshots)

    # 1. The agent takes the nurse's call at the desk console, keyboard only.
    agent = story.open_as(hospital.agent)
    agent.goto("/incidents/new/")
    assert_assets_loaded(agent)
    assert agent.locator("html").get_attribute("lang") == "zh-hans"
    picker = agent.locator("#requester-search")
    expect(picker).to_be_focused()  # autofocus: the agent types at once
    agent.keyboard.type("nurse")  # a user name, as the caller gives it
    # Wait for the answer to the whole word (a slow server may first show the list for "n").
    results = agent.locator("#requester-results [data-pk]")
    expect(results).to_have_count(1)
    expect(results).to_have_attribute("data-pk", str(hospital.nurse.pk))
    story.shot(agent, "console-requester-search")
    agent.keyboard.press("Tab")  # takes the highlighted person, moves on to the title
    expect(agent.locator("input[name=requester]")).to_have_value(str(hospital.nurse.pk))
    expect(agent.locator("select[name=department]")).to_have_value(str(hospital.emergency.pk))
    expect(agent.locator("input[name=title]")).to_be_focused()
    agent.keyboard.type(TITLE)
    agent.keyboard.press("Tab")
    expect(agent.locator("textarea[name=description]")).to_be_focused()
    agent.keyboard.type(DESCRIPTION)
    agent.keyboard.press("Tab")
    expect(agent.locator("select[name=impact]")).to_be_focused()
    agent.keyboard.press("ArrowUp")  # low → medium
    agent.keyboard.press("Tab")
    expect(agent.locator("select[name=urgency]")).to_be_focused()
    agent.keyboard.press("ArrowUp")
    agent.keyboard.press("ArrowUp")  # low → high
    # The priority preview follows impact × urgency (ITIL: 2 + 1 − 1 = P2).
    expect(agent.locator("#priority-preview")).to_contain_text("P2")
    agent.keyboard.press("Tab")
    expect(agent.locator("select[name=service]")).to_be_focused()
    agent.keyboard.press("Tab")
    expect(agent.locator("select[name=category]")).to_be_focused()
    agent.keyboard.press("Tab")
    group = agent.locator("select[name=assignment_group]")
    expect(group).to_be_focused()
    agent.keyboard.press("ArrowDown")  # the first group in tier order: the service desk
    expect(group).to_have_value(str(hospital.desk_group.pk))
    story.shot(agent, "console-filled")
    agent.keyboard.press("Control+Enter")  # the console's "save" shortcut
    agent.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident = Incident.objects.get()
    assert agent.url.endswith("/incidents/%d/" % incident.pk)
    assert (incident.requester, incident.department) == (hospital.nurse, hospital.emergency)
    assert (incident.title, incident.description) == (TITLE, DESCRIPTION)
    assert (incident.impact, incident.urgency, incident.priority) == (2, 1, 2)
    assert incident.assignment_group == hospital.desk_group
    assert incident.status == IncidentStatus.ASSIGNED
    expect(agent.locator(".alert-success")).to_contain_text(incident.number)
    expect(agent.locator("h1")).to_have_text(TITLE)
    assert_assets_loaded(agent)
    story.shot(agent, "incident-logged")

    # 2. The desk escalates it to the HIS vendor's back-line group, in the action dialog.
    agent.locator("[data-transition=escalate]").click()
    dialog = agent.locator("#action-modal")
    form = dialog.locator("form[data-transition-form=escalate]")
    expect(form).to_be_visible()
    form.locator("select[name=assignment_group]").select_option(str(hospital.vendor_group.pk))
    # Choosing the group loads its members as the assignee choices (htmx).
    expect(
        form.locator("select[name=assignee] option[value='%d']" % hospital.vendor.pk)
    ).to_have_count(1)
    form.locator("textarea[name=reason]").fill("HIS挂号模块故障，需厂商排查")
    story.shot(agent, "escalate-dialog")
    form.locator("textarea[name=reason]").press("Control+Enter")
    expect(dialog).to_be_hidden()  # htmx got HX-Redirect: the page reloads with the hop
    expect(agent.locator(".routing-hop")).to_have_count(2)
    incident.refresh_from_db()
    assert incident.assignment_group == hospital.vendor_group
    assert incident.status == IncidentStatus.ASSIGNED
    hops = list(incident.routing.order_by("created_at", "id").values_list("kind", "group"))
    assert hops == [
        (IncidentRoutingKind.ASSIGN, hospital.desk_group.pk),
        (IncidentRoutingKind.ESCALATE, hospital.vendor_group.pk),
    ]
    story.shot(agent, "escalated")
    agent.context.close()

    # 3. The other vendor's engineer gets the 404 page: the incident is not shared with him.
    other = story.open_as(hospital.other_vendor)
    response = other.goto("/incidents/%d/" % incident.pk)
    assert response is not None and response.status == 404
    expect(other.locator(".error-code")).to_have_text("404")
    assert incident.number not in other.content()
    assert_assets_loaded(other)
    story.shot(other, "other-vendor-404")
    other.context.close()

    # 4. The HIS vendor's engineer finds it in his queue, accepts it and resolves it.
    vendor = story.open_as(hospital.vendor)
    assert "/incidents/" in vendor.url  # engineers land on their queue
    vendor.locator("a[href='/incidents/%d/']" % incident.pk).first.click()
    vendor.wait_for_url("**/incidents/%d/" % incident.pk)
    vendor.locator("button[data-transition=accept]").click()
    expect(vendor.locator("[data-transition=accept]")).to_have_count(0)
    expect(vendor.locator("[data-transition=pend]")).to_be_visible()  # in progress now
    incident.refresh_from_db()
    assert (incident.status, incident.assignee) == (IncidentStatus.IN_PROGRESS, hospital.vendor)
    vendor.locator("[data-transition=resolve]").click()
    form = vendor.locator("#action-modal form[data-transition-form=resolve]")
    expect(form).to_be_visible()
    form.locator("select[name=resolution_code]").select_option("fixed")
    form.locator("textarea[name=resolution_notes]").fill("修复挂号模块数据库连接池配置，已验证。")
    story.shot(vendor, "resolve-dialog")
    form.locator("button[type=submit]").click()
    expect(vendor.locator("#action-modal")).to_be_hidden()
    expect(vendor.locator(".status-badge.status-success").first).to_be_visible()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolved_at is not None
    story.shot(vendor, "resolved")
    vendor.context.close()

    # 5. The nurse confirms on her phone (390 px wide), on the portal.
    nurse = story.open_as(
        hospital.nurse, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    assert "/portal/" in nurse.url  # requesters land on the portal
    assert_assets_loaded(nurse)
    nurse.locator("a[href='/portal/incidents/%d/']" % incident.pk).first.click()
    nurse.wait_for_url("**/portal/incidents/%d/" % incident.pk)
    expect(nurse.locator("h1")).to_have_text(TITLE)
    confirm = nurse.locator(
        "form[action='/portal/incidents/%d/confirm/'] button[type=submit]" % incident.pk
    )
    expect(confirm).to_be_visible()
    expect(confirm).to_be_in_viewport()  # no scrolling past a desktop layout to find it
    assert nurse.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = confirm.bounding_box()
    assert box is not None and box["height"] >= 40  # a finger-sized target
    # Under the title: when it was reported; no longer who "is on it", as it is resolved.
    header = nurse.locator("h1 + div")
    expect(header).to_contain_text(timezone.localtime(incident.reported_at).strftime("%Y-%m-%d"))
    expect(header).not_to_contain_text(hospital.vendor_group.name)
    story.shot(nurse, "portal-resolved-phone")
    confirm.tap()
    expect(confirm).to_have_count(0)
    expect(nurse.locator(".alert-success")).to_contain_text(incident.number)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert incident.closed_at is not None
    # The page speaks the hospital's language: whatever the zh-hans catalog holds today,
    # the badge reads what Django's zh-hans translation of "Closed" is.
    assert nurse.locator("html").get_attribute("lang") == "zh-hans"
    with translation.override("zh-hans"):
        closed_label = str(IncidentStatus.CLOSED.label)
    if CATALOG.exists():
        assert re.search("[\u4e00-\u9fff]", closed_label), "zh-hans catalog lacks 'Closed'"
    expect(nurse.locator(".status-badge").first).to_have_text(closed_label)
    expect(nurse.locator(".steps li[aria-current=step]")).to_have_count(1)
    expect(nurse.locator(".steps li").last).to_have_attribute("aria-current", "step")
    story.shot(nurse, "portal-closed-phone")
    nurse.context.close()

    assert story.errors == []
