"""The Content-Security-Policy in a real browser: every main page of the demo hospital,
opened by the persona who uses it, runs under the policy of itsm/settings.py (no inline
script, no eval, styles only from our files) without a single refused script, style,
image or connection and without a page error: the pages do not lean on anything the
policy forbids. On the way the requester attaches a picture on the portal (the
attachments card, through htmx) and opens it."""

from __future__ import annotations

import io
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    FilePayload,
    Page,
    Response,
    ViewportSize,
    expect,
)

from itsm.accounts.models import User
from itsm.changes.models import Change
from itsm.cmdb.builtin import install
from itsm.cmdb.models import AttributeDefinition, CIClass, Relationship
from itsm.core.attachments import add_attachment
from itsm.incidents.tests.factories import log
from itsm.knowledge.models import Article

TIMEOUT_MS = 15_000
DESKTOP: ViewportSize = {"width": 1366, "height": 900}


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (13, 110, 253)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def site(transactional_db: None, tmp_path: Path, settings: Any) -> Any:
    """The demo hospital without its incident history, plus one incident with an
    attachment and a reply; files go to a temporary data directory."""
    settings.MEDIA_ROOT = tmp_path
    install(CIClass, AttributeDefinition)
    call_command("demo", "--no-incidents", stdout=StringIO())
    users = {u.username: u for u in User.objects.all()}
    relationship = Relationship.objects.select_related("source").order_by("pk").first()
    assert relationship is not None
    incident = log(
        users["desk1"],
        requester=users["nurse1"],
        title="急诊分诊台条码打印机不出纸",
        configuration_items=[relationship.source],
    )
    add_attachment(
        incident,
        SimpleUploadedFile("分诊台照片.png", png(), content_type="image/png"),
        actor=users["desk1"],
    )
    change = Change.objects.order_by("pk").first()
    article = Article.objects.filter(status="published").order_by("pk").first()
    assert change is not None and article is not None
    return SimpleNamespace(
        users=users, incident=incident, ci=relationship.source, change=change, article=article
    )


class Watcher:
    """Everything the browser refused or failed at, as readable lines."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.current = ""

    def console(self, message: ConsoleMessage) -> None:
        text = message.text
        if self.current == "/api/redoc/" and "https://cdn.redoc.ly/" in text:
            # Redoc's sidebar always asks for its maker's logo from their CDN (no option
            # turns it off): the policy refusing it is the policy working, not a page
            # leaning on something it forbids. Any other refusal on that page counts.
            return
        if "Content Security Policy" in text or "Refused to" in text:
            self.problems.append("%s: CSP: %s" % (self.current, text))

    def page_error(self, error: Any) -> None:
        self.problems.append("%s: page error: %s" % (self.current, error))

    def response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append("%s: %s %s" % (self.current, response.status, response.url))

    def attach(self, page: Page) -> None:
        page.on("console", self.console)
        page.on("pageerror", self.page_error)
        page.on("response", self.response)


def new_page(browser: Browser, base_url: str, watcher: Watcher) -> Page:
    context = browser.new_context(base_url=base_url, locale="zh-CN", viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watcher.attach(page)
    return page


def sign_in(browser: Browser, base_url: str, username: str, watcher: Watcher) -> Page:
    page = new_page(browser, base_url, watcher)
    watcher.current = "login as %s" % username
    page.goto("/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(settings.ITSM_DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def visit(page: Page, watcher: Watcher, url: str, ready: str = "main") -> None:
    """Open the page and wait until it has done all it does by itself (htmx loads, the
    API documentation's rendering of the schema)."""
    watcher.current = url
    page.goto(url)
    expect(page.locator(ready).first).to_be_visible(timeout=60_000)
    page.wait_for_load_state("networkidle")


def test_the_main_pages_run_under_the_policy_without_a_refusal(
    browser: Browser, live_server: Any, site: Any, screenshots: Path
) -> None:
    watcher = Watcher()
    base = live_server.url

    # The login page, before anyone signs in, carries the policy.
    page = new_page(browser, base, watcher)
    watcher.current = "/login/"
    response = page.goto("/login/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ):
        assert directive in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "unsafe-eval" not in policy
    page.context.close()

    # The desk: queue, incident page (SLA, impact, attachments), console, search.
    page = sign_in(browser, base, "desk1", watcher)
    visit(page, watcher, "/incidents/?queue=all")
    visit(page, watcher, site.incident.get_absolute_url(), "[data-attachments]")
    expect(page.locator("[data-attachments]")).to_contain_text("分诊台照片.png")
    page.screenshot(path=str(screenshots / "incident.png"), full_page=True)
    visit(page, watcher, "/incidents/new/")
    page.keyboard.press("/")  # the keyboard shortcuts of app.js still work
    visit(page, watcher, "/search/?q=打印机")
    page.context.close()

    # The requester: portal home, his incident (attaching a file), reporting a fault.
    page = sign_in(browser, base, "nurse1", watcher)
    visit(page, watcher, "/portal/")
    portal_incident = "/portal/incidents/%d/" % site.incident.pk
    visit(page, watcher, portal_incident, "[data-attachments]")
    card = page.locator("[data-attachments]")
    card.locator("input[type=file]").set_input_files(
        files=[FilePayload(name="打印机报错.png", mimeType="image/png", buffer=png())]
    )
    card.locator("button[type=submit]").click()
    expect(page.locator("[data-attachments]")).to_contain_text("打印机报错.png")
    # A refused file: the reason shows in the card, nothing is stored.
    page.locator("[data-attachments] input[type=file]").set_input_files(
        files=[FilePayload(name="说明.html", mimeType="text/html", buffer=b"<script>x</script>")]
    )
    page.locator("[data-attachments]").locator("button[type=submit]").click()
    expect(page.locator("#attachment-errors")).to_be_visible()
    # The refusal is a 400 by design: not a problem of the page.
    watcher.problems = [p for p in watcher.problems if " 400 " not in p]
    page.screenshot(path=str(screenshots / "portal-attachments.png"), full_page=True)
    with page.context.expect_page() as opened:
        page.locator("[data-attachments] a", has_text="打印机报错.png").click()
    picture = opened.value
    picture.wait_for_load_state()
    assert picture.evaluate("document.contentType") == "image/png"
    picture.close()
    visit(page, watcher, "/portal/report/")
    page.context.close()

    # The engineer: a configuration item with its impact graph.
    page = sign_in(browser, base, "eng6", watcher)
    visit(page, watcher, site.ci.get_absolute_url(), "[data-impact-graph]")
    expect(page.locator("[data-impact-graph]")).to_have_attribute("data-graph-state", "drawn")
    page.locator("[data-impact-graph] canvas").first.hover()
    page.screenshot(path=str(screenshots / "ci.png"), full_page=True)
    page.context.close()

    # The IT manager: home, change calendar and change, reports, knowledge, API docs.
    page = sign_in(browser, base, "manager1", watcher)
    visit(page, watcher, "/")
    visit(page, watcher, "/changes/calendar/")
    visit(page, watcher, site.change.get_absolute_url())
    visit(page, watcher, "/changes/report/")
    visit(page, watcher, "/reports/sla/")
    visit(page, watcher, "/reports/first-contact/")
    visit(page, watcher, "/kb/")
    visit(page, watcher, site.article.get_absolute_url())
    visit(page, watcher, "/api/docs/", ".swagger-ui .opblock")
    page.screenshot(path=str(screenshots / "api-docs.png"))
    visit(page, watcher, "/api/redoc/", "redoc h1")
    page.context.close()

    # The administrator: Django's admin.
    page = sign_in(browser, base, "admin", watcher)
    visit(page, watcher, "/admin/", "#content")
    page.context.close()

    assert watcher.problems == []
