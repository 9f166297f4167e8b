from __future__ import annotations

import re
from html.parser import HTMLParser

from django.template import Context, Template
from django.test import SimpleTestCase

from itsm.knowledge.markdown import render_markdown

XSS_PAYLOADS = (
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](%6Aavascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](javascript:alert(1))",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<body onload="alert(1)">',
    '<object data="evil.swf"></object>',
    '<embed src="evil.swf">',
    '<form action="https://evil.example"><input name=p></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<details open ontoggle=alert(1)>",
    '[x](https://ok.example "title\\" onmouseover=\\"alert(1)")',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<<script>script>alert(1)<</script>/script>",
    "`<script>alert(1)</script>`",
    "<!-- <script>alert(1)</script> -->",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "[x](file:///etc/passwd)",
    "[x](//evil.example/%0a:alert(1))",
)

SAFE_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
SAFE_URL = re.compile(r"^(https?://|mailto:|/)", re.I)


class ElementCollector(HTMLParser):
    """The elements and attributes a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, attrs))


def problems(html: str) -> list[str]:
    collector = ElementCollector()
    collector.feed(html)
    found: list[str] = []
    for tag, attrs in collector.elements:
        if tag not in SAFE_TAGS:
            found.append("tag %s" % tag)
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                found.append("attribute %s" % name)
            if name in ("href", "src") and not SAFE_URL.match((value or "").strip()):
                found.append("url %s" % value)
    return found


class XssTests(SimpleTestCase):
    def test_no_payload_survives(self) -> None:
        self.assertGreaterEqual(len(XSS_PAYLOADS), 20)
        for payload in XSS_PAYLOADS:
            with self.subTest(payload=payload):
                html = render_markdown(payload)
                self.assertEqual(problems(html), [], html)
                self.assertNotIn("<script", html.lower())

    def test_payloads_inside_a_document_do_not_survive_either(self) -> None:
        html = render_markdown("# 标题\n\n" + "\n\n".join(XSS_PAYLOADS))
        self.assertEqual(problems(html), [])

    def test_the_checker_finds_what_it_looks_for(self) -> None:
        self.assertEqual(
            problems('<script></script><a href="javascript:x" onclick="y">'),
            ["tag script", "url javascript:x", "attribute onclick"],
        )


class RenderTests(SimpleTestCase):
    def test_markdown_is_rendered(self) -> None:
        html = render_markdown(
            "## 处理\n\n1. **重新装纸**\n2. `calibrate`\n\n| a | b |\n|---|---|\n| 1 | 2 |"
        )
        self.assertIn("<h2>处理</h2>", html)
        self.assertIn("<strong>重新装纸</strong>", html)
        self.assertIn("<code>calibrate</code>", html)
        self.assertIn("<td>1</td>", html)

    def test_safe_links_are_kept_with_noopener(self) -> None:
        html = render_markdown("[手册](https://example.org/a) [邮件](mailto:it@example.org)")
        self.assertIn('href="https://example.org/a"', html)
        self.assertIn('href="mailto:it@example.org"', html)
        self.assertIn('rel="noopener noreferrer"', html)

    def test_typed_html_is_shown_as_text(self) -> None:
        self.assertIn("&lt;b&gt;", render_markdown("<b>粗</b>"))

    def test_the_template_filter_renders_safely(self) -> None:
        template = Template("{% load knowledge %}{{ text|markdown }}")
        html = template.render(Context({"text": "**a** <script>x</script>"}))
        self.assertIn("<strong>a</strong>", html)
        self.assertNotIn("<script>", html)
