"""Template helpers of the web interface: Bootstrap form widgets, status and priority
badges, icons from the locally served sprite."""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

# Soft colours per status value, shared by every process (incidents, problems, changes…).
STATUS_STYLES = {
    "new": "info",
    "assigned": "primary",
    "in_progress": "warning",
    "pending": "secondary",
    "resolved": "success",
    "closed": "dark",
    "cancelled": "muted",
}


@register.simple_tag
def icon(name: str, css: str = "") -> SafeString:
    """An icon from the sprite in static/vendor/bootstrap-icons (no icon font, no CDN)."""
    return format_html(
        '<svg class="bi {}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>',
        css,
        static("vendor/bootstrap-icons/icons.svg"),
        name,
    )


@register.simple_tag
def status_badge(obj: Any) -> SafeString:
    status = getattr(obj, "status", "")
    return format_html(
        '<span class="badge rounded-pill status-badge status-{}">{}</span>',
        STATUS_STYLES.get(status, "secondary"),
        obj.get_status_display(),
    )


@register.simple_tag
def priority_badge(obj: Any) -> SafeString:
    """P1…P5 as a coloured badge, its full label as the tooltip. Takes a ticket or a
    priority number."""
    if isinstance(obj, int):
        from itsm.core.choices import TicketPriority

        value, label = obj, TicketPriority(obj).label if obj in TicketPriority.values else obj
    else:
        value, label = obj.priority, obj.get_priority_display()
    return format_html(
        '<span class="badge priority-badge priority-{}" title="{}">P{}</span>', value, label, value
    )


def _css_for(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return ""
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


@register.filter
def bs(field: BoundField, extra: str = "") -> SafeString:
    """Render a form field's widget with Bootstrap classes, marked invalid when it has
    errors, its error text linked for screen readers."""
    widget = field.field.widget
    attrs: dict[str, Any] = {}
    css = " ".join(c for c in (_css_for(widget), widget.attrs.get("class", ""), extra) if c)
    if field.errors:
        css += " is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = "%s-errors" % field.auto_id
    elif field.help_text:
        attrs["aria-describedby"] = "%s-help" % field.auto_id
    if css:
        attrs["class"] = css
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_hidden_field(field: BoundField) -> bool:
    return field.is_hidden


@register.filter
def age(value: Any) -> str:
    """How long ago, in its largest unit only ("3 hours"): the queue's age column."""
    from django.utils.timesince import timesince

    if not value:
        return ""
    return timesince(value, depth=1)


@register.simple_tag(takes_context=True)
def sort_link(context: dict[str, Any], key: str, label: Any) -> SafeString:
    """A column header that sorts the list by `key`, and reverses it when clicked again.
    Keeps the other query parameters, starts again at page 1."""
    request = context["request"]
    current = context.get("sort", "")
    params = request.GET.copy()
    params.pop("page", None)
    params["sort"] = "-" + key if current == key else key
    url = "?" + params.urlencode()
    arrow = ""
    if current.lstrip("-") == key:
        arrow = icon("caret-down-fill" if current.startswith("-") else "caret-up-fill", "ms-1")
    return format_html(
        '<a class="sort-link" href="{}" hx-get="{}">{}{}</a>', url, url, label, arrow
    )
