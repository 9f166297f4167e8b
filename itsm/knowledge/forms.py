from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from itsm.knowledge.models import Article, Category


class ReviewNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the author"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectForm(forms.Form):
    note = forms.CharField(
        label=_("What needs to change"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class RetireForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ArticleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Article
        fields = (
            "title",
            "body",
            "category",
            "keywords",
            "audience",
            "services",
            "ci_classes",
            "configuration_items",
        )
        widgets = {"body": forms.Textarea(attrs={"rows": 18, "class": "font-monospace"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category: Any = self.fields["category"]
        category.queryset = Category.objects.select_related("parent")
        items: Any = self.fields["configuration_items"]
        items.queryset = items.queryset.order_by("code")


class CompareForm(forms.Form):
    a = forms.IntegerField(label=_("From revision"), min_value=1)
    b = forms.IntegerField(label=_("To revision"), min_value=1)
