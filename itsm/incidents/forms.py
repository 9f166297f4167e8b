"""Forms for logging and editing incidents and for each workflow transition. The API feeds
the same transition forms, so a rule about a transition's input is written once."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import SupportGroup, User
from itsm.incidents.choices import IncidentPendingReason, IncidentResolutionCode
from itsm.incidents.models import Incident, IncidentCategory, IncidentCategoryQuerySet
from itsm.knowledge.models import Article

INCIDENT_FIELDS = (
    "kind",
    "channel",
    "requester",
    "department",
    "title",
    "description",
    "impact",
    "urgency",
    "service",
    "category",
    "configuration_items",
    "reported_at",
)


class CategoryChoiceIterator(forms.models.ModelChoiceIterator):  # type: ignore[type-arg]
    """The categories in tree order, each labelled with its path ("硬件 › 打印机"), read
    in one query whatever the depth of the tree."""

    # The filter bar's selects (the `bs` filter) take these options, not the queryset's.
    reads_own_options = True

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        categories: IncidentCategoryQuerySet = self.queryset  # type: ignore[assignment]
        for category in categories.tree():
            yield (
                forms.models.ModelChoiceIteratorValue(self.field.prepare_value(category), category),
                category.path,
            )


class CategoryChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A select of incident categories by their paths (the form, the filter bar)."""

    iterator = CategoryChoiceIterator

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", IncidentCategory.objects.all())
        super().__init__(**kwargs)


class IncidentForm(forms.ModelForm):  # type: ignore[type-arg]
    """What the service desk fills in when it logs a call; also the edit form."""

    assignment_group = forms.ModelChoiceField(
        label=_("Assign to group"),
        queryset=SupportGroup.objects.filter(active=True),
        required=False,
    )

    class Meta:
        model = Incident
        fields = INCIDENT_FIELDS
        field_classes = {"category": CategoryChoiceField}
        widgets = {
            "reported_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requester"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        )
        self.fields["configuration_items"].required = False
        if self.instance.pk:
            del self.fields["assignment_group"]
            self.fields["reported_at"].disabled = True


class ConsoleIncidentForm(IncidentForm):
    """The console's form: a suggested article's "solve with this article" button sends
    the article, and the call is logged and resolved at once. Which articles may solve a
    call is the service's rule (published, readable by the agent)."""

    solved_by_article = forms.ModelChoiceField(
        label=_("Solved by article"),
        queryset=Article.objects.all(),
        required=False,
        widget=forms.HiddenInput,
    )


class PortalIncidentForm(forms.ModelForm):  # type: ignore[type-arg]
    """What a requester fills in on the self-service portal."""

    class Meta:
        model = Incident
        fields = ("kind", "title", "description", "service", "urgency")
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}


class RouteForm(forms.Form):
    assignment_group = forms.ModelChoiceField(
        label=_("Support group"), queryset=SupportGroup.objects.filter(active=True)
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.filter(is_active=True), required=False
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        group, assignee = data.get("assignment_group"), data.get("assignee")
        if group and assignee and not group.members.filter(pk=assignee.pk).exists():
            self.add_error(
                "assignee",
                _("%(user)s is not a member of %(group)s.") % {"user": assignee, "group": group},
            )
        return data


class AssignForm(RouteForm):
    reason = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class PendForm(forms.Form):
    pending_reason = forms.ChoiceField(
        label=_("Pending reason"), choices=IncidentPendingReason.choices
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ResolveForm(forms.Form):
    resolution_code = forms.ChoiceField(
        label=_("Resolution code"), choices=IncidentResolutionCode.choices
    )
    resolution_notes = forms.CharField(
        label=_("Resolution notes"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )
    internal = forms.BooleanField(label=_("Internal work note"), required=False)


class MajorForm(forms.Form):
    major = forms.BooleanField(label=_("Major incident"), required=False)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


def now_local_input() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")
