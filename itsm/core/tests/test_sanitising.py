"""User text never becomes markup: script, event-handler and javascript: payloads typed
into an incident, a comment, a knowledge article or a configuration item come out of every
page that shows them escaped (plain text) or stripped (Markdown), and so do e-mails."""

from __future__ import annotations

from html.parser import HTMLParser

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from itsm.cmdb.services import create_ci
from itsm.core.choices import DeliveryChannel
from itsm.core.models import Delivery
from itsm.core.services import render_delivery
from itsm.core.testing import PASSWORD, BaseTestCase
from itsm.incidents.models import Incident
from itsm.incidents.services import comment_on_incident
from itsm.incidents.tests.factories import log
from itsm.knowledge.choices import ArticleStatus
from itsm.knowledge.markdown import render_markdown
from itsm.knowledge.tests.factories import article_in

TITLE = "<script>alert('t')</script>打印机卡纸"
DESCRIPTION = (
    "<img src=x onerror=\"alert('d')\"> 点这里 <a href=\"javascript:alert('d')\">详情</a>"
    " [链接](javascript:alert('d'))"
)
COMMENT = "<svg onload=alert('c')></svg><script>alert('c')</script>已重启"
MARKDOWN = (
    "## 处理步骤\n\n<script>alert('m')</script>\n\n<img src=x onerror=\"alert('m')\">\n\n"
    "[打开](javascript:alert('m')) <a href=\"javascript:alert('m')\">旧链接</a>\n\n"
    '<iframe src="https://evil.example/"></iframe><p style="x" onclick="alert(\'m\')">段落</p>\n\n'
    "**安全的文字**"
)


class ActiveContent(HTMLParser):
    """Collects whatever in a page could run script: script elements with a payload,
    event-handler attributes, javascript: URLs, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("iframe", "object", "embed"):
            self.found.append("<%s>" % tag)
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append("%s %s=%r" % (tag, name, value))
            if name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.found.append("%s %s=%r" % (tag, name, value))

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert(" in data:
            self.found.append("<script>%s" % data.strip()[:40])


def active_content(html: str) -> list[str]:
    parser = ActiveContent()
    parser.feed(html)
    return parser.found


class SanitisingTests(BaseTestCase):
    def assert_inert(self, html: str, *shown: str) -> None:
        self.assertEqual(active_content(html), [])
        for text in shown:
            self.assertIn(text, html)

    def incident(self) -> Incident:
        incident = log(self.agent, requester=self.nurse, title=TITLE, description=DESCRIPTION)
        comment_on_incident(incident, actor=self.engineer, body=COMMENT)
        return incident

    def test_the_detector_finds_each_payload_when_it_is_not_escaped(self) -> None:
        """The negative control: unescaped, every payload is caught."""
        for payload in (TITLE, DESCRIPTION, COMMENT):
            with self.subTest(payload=payload):
                self.assertNotEqual(active_content(payload), [])
        self.assertNotEqual(active_content(MARKDOWN.replace("\n\n", "<br>")), [])

    def test_incident_text_is_escaped_on_the_desk_page_the_queue_and_the_portal(self) -> None:
        incident = self.incident()
        escaped_title = "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;打印机卡纸"
        self.client.login(username="agent", password=PASSWORD)
        page = self.client.get(incident.get_absolute_url()).content.decode()
        self.assert_inert(page, escaped_title, "&lt;img src=x onerror=", "已重启")
        queue = self.client.get(reverse("incidents:incident_list") + "?queue=all")
        self.assert_inert(queue.content.decode(), escaped_title)
        self.client.login(username="nurse", password=PASSWORD)
        portal = reverse("portal:incident_detail", args=[incident.pk])
        self.assert_inert(self.client.get(portal).content.decode(), escaped_title, "已重启")
        home = self.client.get(reverse("portal:home")).content.decode()
        self.assert_inert(home, escaped_title)
        notifications = self.client.get(reverse("notification_list")).content.decode()
        self.assert_inert(notifications)

    def test_the_api_returns_the_text_as_typed(self) -> None:
        """JSON carries the text unchanged: escaping is the renderer's job, and a client
        showing it as text shows what the user typed."""
        incident = self.incident()
        data = self.api(self.agent).get("/api/incidents/%d/" % incident.pk).json()
        self.assertEqual((data["title"], data["description"]), (TITLE, DESCRIPTION))

    def test_notification_e_mails_escape_the_record_and_the_message(self) -> None:
        incident = self.incident()
        delivery = Delivery(
            channel=DeliveryChannel.EMAIL,
            recipient=self.nurse,
            content_type=ContentType.objects.get_for_model(Incident),
            object_id=incident.pk,
            language="zh-hans",
            subject=COMMENT,
        )
        render_delivery(delivery)
        self.assert_inert(delivery.html_body, "&lt;script&gt;")

    def test_markdown_articles_are_sanitised_wherever_they_show(self) -> None:
        article = article_in(
            ArticleStatus.PUBLISHED,
            author=self.engineer,
            reviewer=self.manager,
            title=TITLE,
            body=MARKDOWN,
        )
        html = render_markdown(MARKDOWN)
        self.assert_inert(html, "<strong>安全的文字</strong>", "段落")
        for markup in ("<script", "<img", "<iframe", "<p style", '<a href="javascript'):
            self.assertNotIn(markup, html)
        for user in ("admin", "nurse"):
            with self.subTest(user=user):
                self.client.login(username=user, password=PASSWORD)
                page = self.client.get(article.get_absolute_url())
                self.assertEqual(page.status_code, 200)
                self.assert_inert(page.content.decode(), "<strong>安全的文字</strong>")
                listing = self.client.get(reverse("knowledge:article_list"))
                self.assert_inert(listing.content.decode())

    def test_configuration_item_names_and_attributes_are_escaped(self) -> None:
        item = create_ci(
            actor=self.admin,
            fields={"code": "PRN-XSS", "name": TITLE, "ci_class": "printer"},
            attributes={"model": DESCRIPTION},
        )
        self.client.login(username="admin", password=PASSWORD)
        page = self.client.get(item.get_absolute_url()).content.decode()
        self.assert_inert(page, "&lt;script&gt;", "&lt;img src=x onerror=")
        listing = self.client.get(reverse("cmdb:ci_list") + "?q=PRN-XSS").content.decode()
        self.assert_inert(listing)
