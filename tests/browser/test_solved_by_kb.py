"""Solved by the knowledge base: the agent types a call's title, the console suggests an
article, "用此文章解决" logs and resolves the call at once; the nurse's report form
suggests the public article as she types; the manager reads the monthly rates."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.urls import reverse
from playwright.sync_api import Browser, expect

from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.knowledge.choices import ArticleAudience, ArticleStatus
from itsm.knowledge.tests.factories import article_in
from tests.browser.test_incident_story import PHONE, Story


def test_the_desk_solves_a_call_with_an_article_and_the_report_counts_it(
    browser: Browser, live_server: Any, hospital: SimpleNamespace, screenshots: Path
) -> None:
    story = Story(browser, live_server.url, screenshots)
    article = article_in(ArticleStatus.PUBLISHED, author=hospital.agent, reviewer=hospital.manager)
    internal = article_in(
        ArticleStatus.PUBLISHED,
        author=hospital.agent,
        reviewer=hospital.manager,
        title="打印机不出纸：驱动重装步骤",
        audience=ArticleAudience.INTERNAL,
    )

    agent = story.open_as(hospital.agent)
    agent.goto(reverse("incidents:incident_create"))
    agent.locator("input[name=requester]").evaluate(
        "(field, pk) => { field.value = pk; }", str(hospital.nurse.pk)
    )
    agent.locator("#id_title").press_sequentially("打印机不出纸")
    button = agent.locator("[data-solve-article='%d']" % article.pk)
    expect(button).to_be_visible()
    story.shot(agent, "console-suggests-article")
    agent.once("dialog", lambda dialog: dialog.accept())
    button.click()
    agent.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.solved_by_article == article and incident.first_contact
    solved = agent.locator("[data-solved-by-article]")
    expect(solved).to_contain_text("由知识库解决")
    expect(solved).to_contain_text("KB%d" % article.pk)
    story.shot(agent, "incident-solved-by-kb")

    nurse = story.open_as(hospital.nurse, viewport=PHONE, is_mobile=True, has_touch=True)
    nurse.goto(reverse("portal:incident_create"))
    nurse.locator("#id_title").press_sequentially("打印机不出纸")
    suggestions = nurse.locator("#portal-article-suggestions")
    expect(suggestions).to_contain_text(article.title)
    expect(suggestions).not_to_contain_text(internal.title)
    story.shot(nurse, "portal-suggests-public-article")

    manager = story.open_as(hospital.manager)
    manager.goto(reverse("reports:sla_compliance"))
    manager.get_by_role("link", name="一线解决率 / 知识库解决率").click()
    manager.wait_for_url(re.compile(r"/reports/first-contact/"))
    expect(manager.locator("[data-first-contact-report] tfoot")).to_contain_text("100.0%")
    story.shot(manager, "first-contact-report")

    for shot in sorted(screenshots.glob("*.png")):
        shutil.copy(shot, Path("/tmp") / ("fcr-" + shot.name))
    assert not story.errors, story.errors
