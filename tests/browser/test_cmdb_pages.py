"""The configuration item pages in a real browser, on the demo hospital's CMDB: an engineer
filters the list by class (the class's attributes join the filters), opens a server's page
with its relationships and impact graph, and edits an item, changing its class and seeing
the attribute fields follow. The pages are also looked at on a phone's width."""

from __future__ import annotations

import shutil
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Browser, Page, Response, expect

from itsm.accounts.choices import Role
from itsm.cmdb.builtin import install
from itsm.cmdb.models import AttributeDefinition, CIClass, ConfigurationItem
from itsm.core.testing import PASSWORD, make_user
from itsm.incidents.tests.factories import log

TIMEOUT_MS = 10_000
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def demo(transactional_db: None) -> Any:
    """The demo hospital's organisation and CMDB (no incidents), and an engineer. The
    built-in classes are put back first: an earlier live-server test's flush removed the
    rows their migration wrote."""
    install(CIClass, AttributeDefinition)
    call_command("demo", "--no-incidents", stdout=StringIO())
    return make_user("cmdb_engineer", Role.FRONT_LINE, last_name="周", first_name="工")


def sign_in(browser: Browser, base_url: str, user: Any, errors: list[str], viewport: Any) -> Page:
    context = browser.new_context(base_url=base_url, locale="zh-CN", viewport=viewport)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("response", lambda r: check_response(r, errors))
    page.goto("/login/")
    page.locator("input[name=username]").fill(user.username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)
    return page


def check_response(response: Response, errors: list[str]) -> None:
    if response.status >= 400:
        errors.append("%s %s" % (response.status, response.url))


def test_an_engineer_finds_reads_and_edits_configuration_items(
    browser: Browser, live_server: Any, demo: Any, screenshots: Path
) -> None:
    errors: list[str] = []
    server = ConfigurationItem.objects.get(code="SRV-HIS-DB01")
    call = log(
        demo,
        title="HIS 数据库服务器 CPU 持续 100%",
        requester=demo,
        configuration_items=[server],
    )
    page = sign_in(browser, live_server.url, demo, errors, DESKTOP)

    # The menu leads to the list; choosing a class narrows it and offers its attributes.
    page.goto("/")
    page.locator("#main-nav .nav-link", has_text="配置管理").click()
    page.locator("#main-nav .dropdown-menu a", has_text="配置项").first.click()
    page.wait_for_url("**/cmdb/cis/")
    expect(page.locator("h1")).to_have_text("配置项")
    expect(page.locator("#ci-table tbody tr").first).to_be_visible()
    page.select_option("#id_ci_class", "server")
    expect(page.locator("#attribute-filters input[name=attr_os]")).to_be_visible()
    expect(page.locator("#ci-table tbody tr[data-ci^=SRV-]").first).to_be_visible()
    assert page.locator("#ci-table tbody tr:not([data-ci^=SRV-])").count() == 0
    page.locator("#attribute-filters input[name=attr_os]").fill("Oracle Linux")
    page.locator("#attribute-filters input[name=attr_os]").press("Enter")
    expect(page.locator("#ci-table tbody tr[data-ci=SRV-HIS-DB01]")).to_be_visible()
    expect(page.locator("#ci-table tbody tr[data-ci=SRV-AD-01]")).to_have_count(0)
    page.screenshot(path="/tmp/ci_list.png", full_page=True)
    shutil.copy("/tmp/ci_list.png", screenshots / "ci-list.png")

    # The HIS database server: its fields, attributes, relationships and impact graph.
    page.locator("#ci-table tr[data-ci=SRV-HIS-DB01]").get_by_role(
        "link", name="SRV-HIS-DB01"
    ).click()
    page.wait_for_url("**/cmdb/cis/*/")
    expect(page.locator("h1")).to_contain_text("HIS")
    expect(page.locator("#ci-attributes")).to_contain_text("操作系统")
    expect(page.locator("[data-relied-on-by] li").first).to_be_visible()
    expect(page.locator("[data-impact-graph]")).to_have_attribute("data-graph-state", "drawn")
    expect(page.locator("#ci-history")).to_be_visible()
    expect(page.locator("#ci-incidents [data-incident=%s]" % call.number)).to_be_visible()
    page.screenshot(path="/tmp/ci_detail.png", full_page=True)
    shutil.copy("/tmp/ci_detail.png", screenshots / "ci-detail.png")

    # Editing a virtual machine: another class brings other attribute fields; back to a
    # server, the values typed and stored come back; saving records the change.
    vm = ConfigurationItem.objects.get(code="SRV-AD-01")
    page.goto("/cmdb/cis/%d/edit/" % vm.pk)
    expect(page.locator("[name='attributes.os']")).to_have_value(vm.attributes["os"])
    page.select_option("#id_ci_class", "storage")
    expect(page.locator("[name='attributes.raid_level']")).to_be_visible()
    expect(page.locator("[name='attributes.os']")).to_have_count(0)
    page.screenshot(path="/tmp/ci_edit.png", full_page=True)
    shutil.copy("/tmp/ci_edit.png", screenshots / "ci-edit.png")
    page.select_option("#id_ci_class", "physical_server")
    expect(page.locator("[name='attributes.os']")).to_have_value(vm.attributes["os"])
    page.locator("[name='attributes.cpu_cores']").fill("24")
    page.locator("#id_change_number").fill("CHG0000321")
    page.get_by_role("button", name="保存修改").click()
    page.wait_for_url("**/cmdb/cis/%d/" % vm.pk)
    expect(page.locator(".alert-success")).to_contain_text("已保存")
    expect(page.locator("[data-attribute=cpu_cores]")).to_have_text("24")
    expect(page.locator("#ci-history")).to_contain_text("CHG0000321")
    vm.refresh_from_db()
    assert vm.ci_class_id == "physical_server"

    # The item as it was at the end of a day: today's view has the change.
    page.locator("#id_as_of").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#ci-as-of")).to_contain_text("物理服务器")
    page.screenshot(path=str(screenshots / "ci-as-of.png"), full_page=True)
    assert errors == []

    # On a phone: the list and the page read without sideways scrolling.
    phone = sign_in(browser, live_server.url, demo, errors, PHONE)
    phone.goto("/cmdb/cis/?ci_class=server")
    expect(phone.locator("#ci-table tbody tr").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path="/tmp/ci_list_phone.png", full_page=True)
    phone.goto("/cmdb/cis/%d/" % vm.pk)
    expect(phone.locator("h1")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path="/tmp/ci_detail_phone.png", full_page=True)
    phone.goto("/cmdb/cis/%d/edit/" % vm.pk)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path="/tmp/ci_edit_phone.png", full_page=True)
    assert errors == []
