"""The knowledge base pages: the list with search and filters, the article, the editor,
the workflow actions, votes and the comparison of two revisions. Requesters use the same
pages: `Article.objects.visible_to` shows them published articles meant for everyone."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from itsm.core.exceptions import TransitionNotAllowed
from itsm.core.views import (
    ObjectDetailView,
    ObjectEditView,
    ObjectListView,
    ObjectMixin,
    ObjectTransitionView,
    error_response,
    parse_version,
    redirect_after_post,
)
from itsm.core.workflow import Transition
from itsm.knowledge.filters import ArticleFilterSet
from itsm.knowledge.forms import ArticleForm, CompareForm
from itsm.knowledge.models import VIEW_PERMISSION, Article, ArticleVersion, ArticleVote
from itsm.knowledge.services import (
    EDITABLE_FIELDS,
    compare_versions,
    create_article,
    may_edit,
    record_view,
    transition_article,
    update_article,
    vote,
)
from itsm.knowledge.workflow import ARTICLE_WORKFLOW


class ArticleListView(ObjectListView):
    model = Article
    filterset_class = ArticleFilterSet
    select_related = ("category", "category__parent", "author")
    sort_fields = {
        "updated": ("updated_at",),
        "title": ("title",),
        "views": ("view_count",),
        "helpful": ("helpful_count",),
    }
    default_sort = "-updated"
    template_name = "knowledge/article_list.html"
    partial_template_name = "knowledge/_article_table.html"

    def get_context_data(self, **context: Any) -> dict[str, Any]:
        user = self.request.user
        return {
            **context,
            "nav": "kb",
            "is_staff_reader": user.has_perm(VIEW_PERMISSION),
            "can_write": user.has_perm("knowledge.add_article"),
        }


class ArticleDetailView(ObjectDetailView):
    model = Article
    select_related = ("category", "category__parent", "author", "reviewer")
    template_name = "knowledge/article_detail.html"
    context_object_name = "article"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        article = self.get_object()
        record_view(article)
        return self.render(self.get_context_data(article))

    def get_context_data(self, obj: Any, **context: Any) -> dict[str, Any]:
        user: Any = self.request.user
        staff = user.has_perm(VIEW_PERMISSION)
        my_vote = ArticleVote.objects.filter(article=obj, user=user).first()
        actions = [(t, t.form is not None) for t in ARTICLE_WORKFLOW.available(obj, user)]
        return super().get_context_data(
            obj,
            nav="kb",
            staff=staff,
            actions=actions,
            can_edit=may_edit(obj, user),
            my_vote=my_vote,
            services=obj.services.all(),
            ci_classes=obj.ci_classes.all(),
            configuration_items=obj.configuration_items.all(),
            links=list(obj.links.select_related("content_type")) if staff else [],
            versions=obj.versions.select_related("author") if staff else [],
            **context,
        )


class ArticleEditView(ObjectEditView):
    """Write a new article (no pk) or edit a draft, with its version: 409 when someone
    saved in between, 400 per field."""

    model = Article
    form_class = ArticleForm
    versioned = True
    template_name = "knowledge/article_edit.html"
    success_message = _("Article saved.")

    def check_permission(self) -> None:
        perm = "knowledge.change_article" if "pk" in self.kwargs else "knowledge.add_article"
        if not self.request.user.has_perm(perm):
            raise PermissionDenied(gettext("You do not have permission to write articles."))

    def fetch(self) -> Any:
        obj = super().fetch()
        if obj is not None and not may_edit(obj, self.request.user):
            self.check_permission()
            raise TransitionNotAllowed(
                gettext("Only a draft can be edited: revise the article to change it.")
            )
        return obj

    def save(self, form: forms.BaseForm, obj: Any, version: int | None) -> Any:
        fields = {k: v for k, v in form.cleaned_data.items() if k in EDITABLE_FIELDS}
        if obj is None:
            return create_article(fields, actor=self.request.user)
        return update_article(obj, fields, actor=self.request.user, version=version)

    def get_context_data(self, obj: Any, form: forms.BaseForm, **context: Any) -> dict[str, Any]:
        posted = parse_version(self.request.POST)
        version = posted if posted is not None else (obj.version if obj is not None else 1)
        return {"object": obj, "form": form, "version": version, "nav": "kb", **context}


class ArticleTransitionView(ObjectTransitionView):
    model = Article
    workflow = ARTICLE_WORKFLOW
    template_name = "knowledge/article_transition.html"
    partial_template_name = "knowledge/_transition_form.html"

    def get_context_data(
        self, obj: Any, transition: Transition, form: forms.Form | None, **context: Any
    ) -> dict[str, Any]:
        context = super().get_context_data(obj, transition, form, **context)
        posted = parse_version(self.request.POST) or parse_version(self.request.GET)
        context.update(article=obj, version=posted or obj.version, nav="kb")
        context["action_url"] = reverse(
            "knowledge:article_transition", args=[obj.pk, transition.name]
        )
        return context

    def perform(
        self, obj: Any, transition: Transition, data: dict[str, Any], version: int | None
    ) -> Any:
        return transition_article(
            obj, transition.name, actor=self.request.user, data=data, version=version
        )


class ArticleVoteView(ObjectMixin):
    """POST helpful=1 or helpful=0: the reader's vote on a published article."""

    model = Article

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        article = self.get_object()
        raw = request.POST.get("helpful", "")
        if raw not in ("0", "1"):
            return error_response(request, 400, gettext("Say whether the article helped."))
        vote(article, actor=request.user, helpful=raw == "1")
        messages.success(request, gettext("Thank you for your feedback."))
        return redirect_after_post(request, article.get_absolute_url())


class ArticleCompareView(ObjectMixin):
    """The changes from one revision to another (?a=1&b=3), for IT staff."""

    model = Article
    permission = VIEW_PERMISSION
    template_name = "knowledge/article_compare.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        article = self.get_object()
        self.check_permission()
        form = CompareForm(request.GET)
        if not form.is_valid():
            return self.render({"article": article, "form": form, "nav": "kb"}, status=400)
        old = self._version(article, form.cleaned_data["a"])
        new = self._version(article, form.cleaned_data["b"])
        context = {
            "article": article,
            "form": form,
            "old": old,
            "new": new,
            "lines": compare_versions(old, new),
            "versions": article.versions.all(),
            "nav": "kb",
        }
        return self.render(context)

    @staticmethod
    def _version(article: Article, number: int) -> ArticleVersion:
        try:
            return get_object_or_404(ArticleVersion, article=article, number=number)
        except Http404:
            raise Http404(gettext("No such revision.")) from None
