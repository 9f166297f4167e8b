"""The impact graph in a real browser: an engineer opens a page with the graph of the PACS
database (loaded with the page, and inserted later by htmx), sees it drawn with Chinese
labels, reads a node's tooltip and clicks through to an item's page.

The test serves small pages of its own around the partial, so that it checks the partial
alone, whatever page includes it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template import RequestContext, Template
from django.urls import path, reverse
from django.utils import translation
from playwright.sync_api import Browser, Page, Response, expect

from itsm.cmdb import graph
from itsm.cmdb.choices import ConfigurationItemClass as C
from itsm.cmdb.choices import RelationshipType as T
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.cmdb.tests.factories import link, make_ci
from itsm.core.testing import PASSWORD
from itsm.urls import urlpatterns as site_urlpatterns

TIMEOUT_MS = 10_000
SCREENSHOT = Path("/tmp/impact_graph.png")
CHART = "[data-impact-graph]"

PAGE = Template(
    '{% extends "base.html" %}{% block content %}<h1 class="h4">{{ ci }}</h1>'
    '{% include "cmdb/_impact_graph.html" %}{% endblock %}'
)
# A page that loads the graph's partial with htmx after it has loaded itself.
HTMX_PAGE = Template(
    '{% extends "base.html" %}{% block content %}<h1 class="h4">{{ ci }}</h1>'
    '<div hx-get="{{ partial_url }}" hx-trigger="load" hx-swap="innerHTML"></div>'
    "{% endblock %}"
)
PARTIAL = Template('{% include "cmdb/_impact_graph.html" %}')


def _render(template: Template, request: HttpRequest, pk: int, **context: Any) -> HttpResponse:
    ci = get_object_or_404(ConfigurationItem, pk=pk)
    return HttpResponse(template.render(RequestContext(request, {"ci": ci, **context})))


def graph_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(PAGE, request, pk)


def htmx_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(HTMX_PAGE, request, pk, partial_url="/test-graph/%d/partial/" % pk)


def partial(request: HttpRequest, pk: int) -> HttpResponse:
    return _render(PARTIAL, request, pk)


# The site, and the pages above.
urlpatterns = [
    path("test-graph/<int:pk>/", graph_page),
    path("test-graph/<int:pk>/htmx/", htmx_page),
    path("test-graph/<int:pk>/partial/", partial),
    *site_urlpatterns,
]


def pacs(hospital: SimpleNamespace) -> dict[str, ConfigurationItem]:
    """Storage ← database server ← PACS database ← PACS application ← RIS application; the
    PACS service serves radiology and emergency, the RIS service the whole hospital."""
    hospital.pacs.departments.set([hospital.radiology, hospital.emergency])
    ris = Service.objects.create(code="RIS", name="放射信息系统")
    items = {
        "array": make_ci("SAN-01", C.STORAGE, name="PACS 存储阵列"),
        "server": make_ci("SRV-PACSDB", C.SERVER, name="PACS 数据库服务器"),
        "database": make_ci("DB-PACS", C.DATABASE, name="PACS 数据库"),
        "app": make_ci("APP-PACS", C.APPLICATION, name="PACS 影像归档"),
        "ris": make_ci("APP-RIS", C.APPLICATION, name="放射信息系统应用"),
        "viewer": make_ci("APP-VIEW", C.APPLICATION, name="影像浏览器"),
    }
    link(items["server"], T.HOSTED_ON, items["array"])
    link(items["database"], T.RUNS_ON, items["server"])
    link(items["app"], T.DEPENDS_ON, items["database"])
    link(items["ris"], T.DEPENDS_ON, items["app"])
    link(items["viewer"], T.USES, items["app"])
    for key in ("database", "app", "viewer"):
        items[key].services.add(hospital.pacs)
    items["ris"].services.add(ris)
    return items


def sign_in(browser: Browser, base_url: str, user: Any, errors: list[str]) -> Page:
    context = browser.new_context(
        base_url=base_url, locale="zh-CN", viewport={"width": 1366, "height": 900}
    )
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


def chart(page: Page, expression: str) -> Any:
    return page.evaluate(
        "(el) => { const chart = echarts.getInstanceByDom(el); return %s; }" % expression,
        page.locator(CHART).element_handle(),
    )


def wait_until_drawn(page: Page) -> None:
    """Drawn: ECharts finished rendering (and animating) the graph."""
    expect(page.locator(CHART)).to_have_attribute("data-graph-state", "drawn")
    expect(page.locator(CHART + " canvas").first).to_be_visible()


def test_the_engineer_sees_what_fails_with_the_pacs_database(
    browser: Browser,
    live_server: Any,
    hospital: SimpleNamespace,
    settings: Any,
    screenshots: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.ROOT_URLCONF = __name__
    items = pacs(hospital)
    database = items["database"]
    errors: list[str] = []
    page = sign_in(browser, live_server.url, hospital.engineer, errors)

    page.goto("/test-graph/%d/" % database.pk)
    wait_until_drawn(page)
    # The item, 4 items above and below it, 2 services, 2 departments and the whole hospital.
    assert chart(page, "chart.getOption().series[0].data.length") == 1 + 5 + 2 + 3
    assert chart(page, "chart.getOption().series[0].links.length") == 5 + 4 + 3
    assert chart(page, "chart.getOption().legend[0].data") == [
        "本配置项",
        "受影响（随之故障）",
        "所依赖",
        "业务服务",
        "科室",
    ]
    assert "Noto Sans CJK SC" in chart(page, "chart.getOption().textStyle.fontFamily")
    centre = chart(page, "chart.getOption().series[0].data[0]")
    assert (centre["name"], centre["title"], centre["symbolSize"]) == ("DB-PACS", "PACS 数据库", 38)
    expect(page.locator("[data-graph-omitted]")).to_be_hidden()
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    shutil.copy(SCREENSHOT, screenshots / "impact-graph.png")

    # Hovering the RIS application tells its class, depth and the path to the database.
    point = node_position(page, "APP-RIS")
    page.mouse.move(*point)
    tooltip = page.locator("div").filter(has_text=re.compile("^APP-RIS")).last
    with translation.override("zh-hans"):
        class_name = str(ConfigurationItem.objects.get(pk=items["ris"].pk).ci_class)
    expect(tooltip).to_contain_text("类别：%s" % class_name)
    expect(tooltip).to_contain_text("深度：2")
    expect(tooltip).to_contain_text("APP-RIS —依赖→ … —依赖→ DB-PACS")
    page.screenshot(path=str(screenshots / "impact-graph-tooltip.png"), full_page=True)

    # Clicking the storage array opens its page.
    page.mouse.click(*node_position(page, "SAN-01"))
    page.wait_for_url("**" + reverse("cmdb:ci_detail", args=[items["array"].pk]))
    expect(page.locator("main")).to_contain_text("SAN-01")

    # The same partial inserted by htmx into a page that did not load ECharts draws too.
    page.goto("/test-graph/%d/htmx/" % items["server"].pk)
    wait_until_drawn(page)
    assert chart(page, "chart.getOption().series[0].data[0].name") == "SRV-PACSDB"
    page.screenshot(path=str(screenshots / "impact-graph-htmx.png"), full_page=True)

    # A graph too large to draw one by one draws the farther items as a box per class.
    monkeypatch.setattr(graph, "MAX_NODES", 6)
    page.goto("/test-graph/%d/" % database.pk)
    wait_until_drawn(page)
    names = chart(page, "chart.getOption().series[0].data.map(function (n) { return n.name; })")
    assert len([name for name in names if "×" not in name]) == 6
    assert "应用系统 ×1" in names
    expect(page.locator("[data-graph-omitted]")).to_have_text(
        "节点过多：仅逐个显示最近的部分，其余 5 个按类别合并为方框（×数量）。"
    )
    page.screenshot(path=str(screenshots / "impact-graph-omitted.png"), full_page=True)
    assert errors == []


def node_position(page: Page, name: str) -> tuple[float, float]:
    """The node's centre on the page, in CSS pixels."""
    x, y = page.evaluate(
        """([el, name]) => {
            const chart = echarts.getInstanceByDom(el);
            const node = chart.getOption().series[0].data.find((n) => n.name === name);
            return chart.convertToPixel({seriesIndex: 0}, [node.x, node.y]);
        }""",
        [page.locator(CHART).element_handle(), name],
    )
    box = page.locator(CHART).bounding_box()
    assert box is not None
    return box["x"] + x, box["y"] + y
