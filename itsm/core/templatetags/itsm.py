"""Template helpers of the web interface: Bootstrap form widgets, status and priority
badges, icons from the locally served sprite."""

from __future__ import annotations

import functools
from typing import Any

from django import forms, template
from django.conf import settings
from django.forms.boundfield import BoundField
from django.forms.models import ModelChoiceIterator
from django.templatetags.static import static
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

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


@functools.cache
def _sprite_url(static_url: str) -> str:
    """The sprite's (hashed) URL: looked up once per process, not once per icon — a page
    shows dozens. Keyed by STATIC_URL so that a changed setting is noticed."""
    return static("vendor/bootstrap-icons/icons.svg")


@register.simple_tag
def icon(name: str, css: str = "") -> SafeString:
    """An icon from the sprite in static/vendor/bootstrap-icons (no icon font, no CDN)."""
    return format_html(
        '<svg class="bi {}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>',
        css,
        _sprite_url(settings.STATIC_URL),
        name,
    )


def status_badge_html(status: str, label: Any) -> SafeString:
    """The status badge of `status` with its label (shared by the tag and the queue rows)."""
    return format_html(
        '<span class="badge rounded-pill status-badge status-{}">{}</span>',
        STATUS_STYLES.get(status, "secondary"),
        label,
    )


def priority_badge_html(value: Any, label: Any) -> SafeString:
    """P1…P5 as a coloured badge with its full label as the tooltip."""
    return format_html(
        '<span class="badge priority-badge priority-{}" title="{}">P{}</span>', value, label, value
    )


@register.simple_tag
def status_badge(obj: Any) -> SafeString:
    return status_badge_html(getattr(obj, "status", ""), obj.get_status_display())


@register.simple_tag
def priority_badge(obj: Any) -> SafeString:
    """P1…P5 as a coloured badge, its full label as the tooltip. Takes a ticket or a
    priority number."""
    if isinstance(obj, int):
        from itsm.core.choices import TicketPriority

        value, label = obj, TicketPriority(obj).label if obj in TicketPriority.values else obj
    else:
        value, label = obj.priority, obj.get_priority_display()
    return priority_badge_html(value, label)


def _css_for(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return ""
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _html_attrs(attrs: dict[str, Any]) -> str:
    """Django's widgets/attrs.html in Python."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(" %s" % conditional_escape(name))
        else:
            parts.append(' %s="%s"' % (conditional_escape(name), conditional_escape(str(value))))
    return "".join(parts)


def _render_select(field: BoundField, attrs: dict[str, Any]) -> SafeString:
    """A single <select> exactly as Django's widget templates write it, without one
    template include per option: the queue's filter bar has hundreds of options (every
    department, group and service) and rendering them through templates cost a quarter of
    the page."""
    widget = field.field.widget
    choices = widget.choices
    if isinstance(choices, ModelChoiceIterator):
        options: list[tuple[Any, Any]]
        if not getattr(choices, "reads_own_options", False):
            # Django reads a model field's options with `queryset.iterator()`, which on
            # PostgreSQL is a server-side cursor: DECLARE, FETCH and CLOSE, three round
            # trips per select. One plain query gives the same options.
            options = [choices.choice(obj) for obj in choices.queryset]
            if choices.field.empty_label is not None:
                options.insert(0, ("", choices.field.empty_label))
        else:
            # Its own reading and labels (the category tree); iter(): list() would ask
            # the iterator its length first, a COUNT query.
            options = list(iter(choices))
        widget.choices = options
    attrs = field.build_widget_attrs(attrs, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    html = [
        '<select name="%s"%s>'
        % (conditional_escape(context["name"]), _html_attrs(context["attrs"]))
    ]
    for group_name, group_choices, _index in context["optgroups"]:
        if group_name:
            html.append('\n  <optgroup label="%s">' % conditional_escape(group_name))
        for option in group_choices:
            html.append(
                '\n  <option value="%s"%s>%s</option>\n'
                % (
                    conditional_escape(str(option["value"])),
                    _html_attrs(option["attrs"]),
                    conditional_escape(option["label"]),
                )
            )
        if group_name:
            html.append("\n  </optgroup>")
    html.append("\n</select>")
    # Every value above is escaped.
    return mark_safe("".join(html))


def _is_plain_select(widget: forms.Widget) -> bool:
    return (
        isinstance(widget, forms.Select)
        and not widget.allow_multiple_selected
        and widget.template_name == SELECT_TEMPLATE
        and widget.option_template_name == OPTION_TEMPLATE
    )


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
    if _is_plain_select(widget) and not field.field.localize:
        return _render_select(field, attrs)
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


@register.filter
def working_time(seconds: int | None) -> str:
    """A span of working time as people say it: "2 h 15 min", "45 min", "3 d 2 h" (days of
    24 hours of the clock's working time, as targets are written)."""
    from django.utils.translation import gettext

    if seconds is None:
        return ""
    minutes = abs(int(seconds)) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(gettext("%(count)d d") % {"count": days})
    if hours:
        parts.append(gettext("%(count)d h") % {"count": hours})
    if minutes and not days:
        parts.append(gettext("%(count)d min") % {"count": minutes})
    return " ".join(parts) or gettext("%(count)d min") % {"count": 0}


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
