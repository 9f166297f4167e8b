"""Forms of the problem pages and of the workflow's transitions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import SupportGroup
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.problems.choices import CauseCategory
from itsm.problems.models import Problem


class ProblemForm(forms.ModelForm):  # type: ignore[type-arg]
    configuration_items = forms.ModelMultipleChoiceField(
        label=_("Configuration items"),
        queryset=ConfigurationItem.objects.order_by("code"),
        required=False,
    )
    affected_services = forms.ModelMultipleChoiceField(
        label=_("Affected services"), queryset=Service.objects.order_by("code"), required=False
    )
    assignment_group = forms.ModelChoiceField(
        label=_("Assignment group"),
        queryset=SupportGroup.objects.filter(active=True).order_by("name"),
        required=False,
    )

    class Meta:
        model = Problem
        fields = (
            "title",
            "description",
            "impact",
            "urgency",
            "service",
            "affected_services",
            "configuration_items",
            "assignment_group",
            "symptoms",
            "root_cause",
            "cause_category",
            "five_whys",
            "workaround",
            "change_number",
        )
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("description", "symptoms", "root_cause", "five_whys", "workaround")
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs["maxlength"] = 200


class LinkIncidentForm(forms.Form):
    number = forms.CharField(
        label=_("Incident number"),
        max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "INC0000123"}),
    )


class RootCauseForm(forms.Form):
    root_cause = forms.CharField(
        label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )
    cause_category = forms.ChoiceField(label=_("Cause category"), choices=CauseCategory.choices)
    five_whys = forms.CharField(
        label=_("Five-why notes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20000,
        required=False,
    )


class WorkaroundForm(forms.Form):
    workaround = forms.CharField(
        label=_("Workaround"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )


class ResolveProblemForm(forms.Form):
    resolution_notes = forms.CharField(
        label=_("Resolution notes"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )
    change_number = forms.CharField(label=_("Permanent-fix change"), max_length=40, required=False)
    resolve_incidents = forms.BooleanField(
        label=_("Also resolve the linked open incidents"), required=False
    )
    message = forms.CharField(
        label=_("Message to their requesters"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=20000,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("resolve_incidents") and not data.get("message"):
            self.add_error("message", _("Tell the requesters what was done."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
