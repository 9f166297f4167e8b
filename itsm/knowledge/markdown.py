"""Article text: Markdown rendered to HTML that is safe to show. markdown-it-py renders
CommonMark with raw HTML off (tags people type are shown as text), then nh3 keeps only an
allow-list of tags and attributes, and links to http, https and mailto addresses (or to
pages of this site)."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
SAFE_URL = re.compile(r"^(https?://|mailto:)", re.I)

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_renderer.enable("strikethrough")


def _only_safe_urls(tag: str, attribute: str, value: str) -> str | None:
    """Drop a link whose address looks like it has a scheme other than http, https or
    mailto, also one a browser would read as a relative address ("%6Aavascript:…"):
    links to pages of this site (/kb/12/) stay."""
    if attribute in ("href", "src"):
        head = re.split(r"[/?#]", value.strip(), maxsplit=1)[0]
        if ":" in head and not SAFE_URL.match(value.strip()):
            return None
    return value


def render_markdown(text: str) -> str:
    """Markdown as sanitised HTML: no scripts, styles, frames or event attributes, links
    only to http, https and mailto (with rel="noopener noreferrer")."""
    html = _renderer.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
        attribute_filter=_only_safe_urls,
        strip_comments=True,
    )
