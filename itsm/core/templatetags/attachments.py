"""{% attachments_card record %}: the attachments card of any record's page."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from itsm.core.views.attachments import attachment_card_context

register = template.Library()


@register.simple_tag(takes_context=True)
def attachments_card(context: template.Context, target: Any) -> SafeString:
    request = context["request"]
    return render_to_string(
        "core/_attachments.html", attachment_card_context(target, request), request=request
    )
