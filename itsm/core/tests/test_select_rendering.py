"""The `bs` filter writes single selects in Python: the HTML is exactly what Django's
widget templates write, options, selection, optgroups and escaping included."""

from __future__ import annotations

from typing import Any

from django import forms

from itsm.accounts.models import SupportGroup
from itsm.core.templatetags.itsm import bs
from itsm.core.testing import BaseTestCase
from itsm.incidents.filters import IncidentFilterSet
from itsm.incidents.models import Incident


class SampleForm(forms.Form):
    plain = forms.ChoiceField(choices=[("a", "A & <b>"), ("b", '"B"')], help_text="help")
    grouped = forms.ChoiceField(
        choices=[("Group <1>", [("x", "X"), ("y", "Y")]), ("z", "Z")], required=False
    )
    group = forms.ModelChoiceField(queryset=SupportGroup.objects.order_by("pk"))
    flag = forms.NullBooleanField(required=False)


def django_rendering(field: Any, extra: str) -> str:
    """What Django's widget templates write for the attributes `bs` gives a select."""
    attrs: dict[str, Any] = {}
    css = "form-select " + extra
    if field.errors:
        css += " is-invalid"
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = "%s-errors" % field.auto_id
    elif field.help_text:
        attrs["aria-describedby"] = "%s-help" % field.auto_id
    attrs["class"] = css
    return str(field.as_widget(attrs=attrs))


class SelectRenderingTests(BaseTestCase):
    def assert_same_html(self, form: forms.BaseForm) -> None:
        selects = [
            field
            for field in form
            if isinstance(field.field.widget, forms.Select)
            and not field.field.widget.allow_multiple_selected
        ]
        self.assertTrue(selects)
        for field in selects:
            with self.subTest(field=field.name):
                self.assertEqual(
                    str(bs(field, "form-select-sm")), django_rendering(field, "form-select-sm")
                )

    def test_a_select_renders_as_django_renders_it(self) -> None:
        self.assert_same_html(SampleForm())
        self.assert_same_html(
            SampleForm({"plain": "b", "grouped": "y", "group": "x", "flag": "true"})
        )

    def test_the_queue_filter_bar_renders_as_django_renders_it(self) -> None:
        data = {"assignment_group": str(self.front_group.pk), "major": "true", "kind": "incident"}
        filterset = IncidentFilterSet(data, queryset=Incident.objects.all(), request=None)
        self.assert_same_html(filterset.form)
