from django import template
from django.utils.safestring import SafeString, mark_safe

from itsm.knowledge.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    """Article Markdown as sanitised HTML (itsm.knowledge.markdown)."""
    return mark_safe(render_markdown(text))
