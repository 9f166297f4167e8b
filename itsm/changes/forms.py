"""Forms of the change pages and of the workflow's transitions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import SupportGroup, User
from itsm.changes.choices import ApprovalDecision, ChangeType, CmdbUpdateKind
from itsm.changes.models import Change, ChangeTemplate, RiskQuestion
from itsm.cmdb.choices import RelationshipType
from itsm.cmdb.models import CIClass, ConfigurationItem
from itsm.core.moments import datetime_field


class ChangeForm(forms.ModelForm):  # type: ignore[type-arg]
    change_type = forms.ChoiceField(
        label=_("Type"),
        choices=[c for c in ChangeType.choices if c[0] != ChangeType.STANDARD],
        help_text=_("Standard changes are raised from a template."),
    )
    configuration_items = forms.ModelMultipleChoiceField(
        label=_("Affected configuration items"),
        queryset=ConfigurationItem.objects.order_by("code"),
        required=False,
    )
    assignment_group = forms.ModelChoiceField(
        label=_("Assignment group"),
        queryset=SupportGroup.objects.filter(active=True).order_by("name"),
        required=False,
    )
    implementer = forms.ModelChoiceField(
        label=_("Implementer"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
    )
    planned_start = datetime_field(_("Planned start"))
    planned_end = datetime_field(_("Planned end"))

    class Meta:
        model = Change
        fields = (
            "title",
            "change_type",
            "description",
            "reason",
            "urgency",
            "service",
            "configuration_items",
            "assignment_group",
            "implementer",
            "planned_start",
            "planned_end",
            "downtime_expected",
            "downtime_minutes",
            "implementation_plan",
            "backout_plan",
            "test_plan",
        )
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in (
                "description",
                "reason",
                "implementation_plan",
                "backout_plan",
                "test_plan",
            )
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs["maxlength"] = 200
        instance = kwargs.get("instance")
        if instance is not None and instance.change_type == ChangeType.STANDARD:
            # A standard change stays standard: its type is not offered for edit.
            del self.fields["change_type"]


class FromTemplateForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Standard change template"),
        queryset=ChangeTemplate.objects.filter(active=True).order_by("name"),
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    planned_start = datetime_field(_("Planned start"), required=True)
    configuration_items = forms.ModelMultipleChoiceField(
        label=_("Affected configuration items"),
        queryset=ConfigurationItem.objects.order_by("code"),
        required=False,
        help_text=_("Leave empty to take the template's."),
    )
    implementer = forms.ModelChoiceField(
        label=_("Implementer"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
    )


class RiskForm(forms.Form):
    """One choice field per active risk question."""

    def __init__(self, *args: Any, questions: list[RiskQuestion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in questions:
            self.fields["q%d" % question.pk] = forms.TypedChoiceField(
                label=question.label,
                help_text=question.help_text,
                coerce=int,
                choices=[("", "—")]
                + [(c.pk, "%s (%d)" % (c.label, c.score)) for c in question.choices.all()],
            )

    def answers(self) -> dict[int, int]:
        return {int(name[1:]): value for name, value in self.cleaned_data.items()}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=ApprovalDecision.choices)
    comment = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        required=False,
    )


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=20000,
        required=False,
    )


class LinkNumberForm(forms.Form):
    number = forms.CharField(label=_("Number"), max_length=20)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


# Transition forms ---------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class ScheduleForm(forms.Form):
    """Confirm the planned window, or move it. A window in a blackout is scheduled only
    with the change manager's override and its reason."""

    planned_start = datetime_field(_("Planned start"))
    planned_end = datetime_field(_("Planned end"))
    blackout_override = forms.BooleanField(
        label=_("Override the blackout window (change manager)"), required=False
    )
    blackout_override_reason = forms.CharField(
        label=_("Reason for the override"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=4000,
        required=False,
    )


class CompleteForm(forms.Form):
    note = forms.CharField(
        label=_("Outcome notes"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=20000,
        required=False,
    )


class OutcomeForm(forms.Form):
    note = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )


class CloseForm(forms.Form):
    review_notes = forms.CharField(
        label=_("Post-implementation review"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=20000,
        required=False,
        help_text=_("Required for failed, backed-out and emergency changes."),
    )


class CmdbUpdateForm(forms.Form):
    """Declare a CMDB update on the change page. Which fields each kind takes, and every
    rule, is `itsm.changes.cmdb_updates`; the form only reads the input."""

    kind = forms.ChoiceField(label=_("Update"), choices=CmdbUpdateKind.choices)
    ci_code = forms.CharField(
        label=_("Configuration item (code)"),
        max_length=64,
        help_text=_("For a relationship: the item that relies on the other."),
    )
    ci_class = forms.ChoiceField(label=_("Class of the new item"), required=False)
    name = forms.CharField(label=_("Name of the new item"), max_length=200, required=False)
    attributes = forms.CharField(
        label=_("Attribute values"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line: code=value, e.g. software_version=6.0"),
    )
    relationship_type = forms.ChoiceField(
        label=_("Relationship type"),
        choices=[("", "—"), *RelationshipType.choices],
        required=False,
    )
    other_code = forms.CharField(label=_("Item relied on (code)"), max_length=64, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        classes = CIClass.objects.order_by("code")
        self.fields["ci_class"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (c.code, "%s (%s)" % (c.label, c.code)) for c in classes
        ]

    def clean_attributes(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for line in self.cleaned_data["attributes"].splitlines():
            if not line.strip():
                continue
            code, sep, value = line.partition("=")
            if not sep or not code.strip():
                raise forms.ValidationError(_("Write each value as code=value."))
            values[code.strip()] = value.strip()
        return values
