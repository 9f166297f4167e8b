"""Forms of the release pages and of the release workflow's transitions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from itsm.accounts.models import SupportGroup, User
from itsm.changes.models import Change
from itsm.cmdb.choices import ConfigurationItemStatus
from itsm.cmdb.models import ConfigurationItem
from itsm.core.moments import datetime_field
from itsm.releases.choices import DeploymentEnvironment, DeploymentOutcome
from itsm.releases.models import TEXT_LIMIT, VERSION_LENGTH, Release


class ReleaseForm(forms.ModelForm):  # type: ignore[type-arg]
    configuration_items = forms.ModelMultipleChoiceField(
        label=_("Configuration items shipped"),
        queryset=ConfigurationItem.objects.exclude(status=ConfigurationItemStatus.RETIRED)
        .select_related("ci_class")
        .order_by("code"),
        required=False,
        help_text=_("The applications this release installs a new version of."),
    )
    changes = forms.ModelMultipleChoiceField(
        label=_("Bundled changes"),
        queryset=Change.objects.order_by("-created_at"),
        required=False,
        help_text=_("The requests for change this release carries out."),
    )
    assignment_group = forms.ModelChoiceField(
        label=_("Assignment group"),
        queryset=SupportGroup.objects.filter(active=True).order_by("name"),
        required=False,
    )
    assignee = forms.ModelChoiceField(
        label=_("Release owner"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
    )
    planned_start = datetime_field(_("Planned start"))
    planned_end = datetime_field(_("Planned end"))

    class Meta:
        model = Release
        fields = (
            "title",
            "release_version",
            "release_type",
            "description",
            "service",
            "configuration_items",
            "changes",
            "planned_start",
            "planned_end",
            "assignment_group",
            "assignee",
        )
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, viewer: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs["maxlength"] = 200
        if viewer is not None:
            field: Any = self.fields["changes"]
            field.queryset = Change.objects.visible_to(viewer).order_by("-created_at")


class DeploymentForm(forms.Form):
    """Record one deployment of the release: the item is one of those the release ships."""

    configuration_item = forms.ModelChoiceField(
        label=_("Configuration item"), queryset=ConfigurationItem.objects.none()
    )
    environment = forms.ChoiceField(label=_("Environment"), choices=DeploymentEnvironment.choices)
    version_deployed = forms.CharField(label=_("Version deployed"), max_length=VERSION_LENGTH)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=DeploymentOutcome.choices,
        initial=DeploymentOutcome.SUCCESSFUL,
    )
    deployed_at = datetime_field(_("Deployed at"))
    notes = forms.CharField(
        label=_("Notes"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=TEXT_LIMIT,
        required=False,
    )

    def __init__(self, *args: Any, release: Release, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["configuration_item"]
        field.queryset = release.configuration_items.order_by("code")
        self.fields["version_deployed"].initial = release.release_version
        self.fields["deployed_at"].help_text = _("Empty: now.")


class RollbackForm(forms.Form):
    notes = forms.CharField(
        label=_("Why roll back"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=TEXT_LIMIT,
        required=False,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
