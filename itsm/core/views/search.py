"""The search page: articles, incidents and problems in one list, with type tabs and
filters. A ticket number typed into the menu's box opens the incident list on it."""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from itsm.core.choices import SearchKind
from itsm.core.search import MAX_QUERY_LENGTH, SearchForm, search
from itsm.core.views.generic import ItsmView

# What the incident list's own box takes as a number: INC0000123 or just 123.
TICKET_NUMBER = re.compile(r"^(INC\d+|\d+)$", re.IGNORECASE)


class SearchView(ItsmView):
    """Everything the user may see that matches the words, best first."""

    template_name = "core/search.html"
    page_size: ClassVar[int] = 20

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "").strip()
        if request.GET.get("jump") and TICKET_NUMBER.match(query):
            params = {"queue": "all", "open": "unknown", "q": query}
            return HttpResponseRedirect(
                "%s?%s" % (reverse("incidents:incident_list"), urlencode(params))
            )
        form = SearchForm(request.GET)
        context: dict[str, Any] = {"form": form, "query": query, "kinds": SearchKind.choices}
        if not form.is_valid():
            return self.render(context, status=400)
        page_param = request.GET.get("page", "")
        page_number = int(page_param) if page_param.isdigit() and int(page_param) > 0 else 1
        try:
            found = search(
                form.cleaned_data["q"],
                user=request.user,
                limit=self.page_size,
                offset=(page_number - 1) * self.page_size,
                counts=True,
                **form.filters(),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.render(context, status=400)
        pages = Paginator(range(found.total), self.page_size)
        context.update(
            {
                "found": found,
                "page_obj": pages.get_page(page_number),
                "kind_counts": [
                    (value, label, found.counts.get(value, 0))
                    for value, label in SearchKind.choices
                ],
                "all_count": sum(found.counts.values()),
                "chosen_type": form.cleaned_data.get("type") or "",
            }
        )
        return self.render(context)


class SearchSuggestView(ItsmView):
    """While an agent types a call's title: the open incidents and the articles that look
    like it, so that he links the call or answers it instead of logging the fault again."""

    template_name = "core/_search_suggestions.html"
    incidents_shown: ClassVar[int] = 5
    articles_shown: ClassVar[int] = 3

    def get(self, request: HttpRequest) -> HttpResponse:
        text = (request.GET.get("title") or request.GET.get("q") or "")[:MAX_QUERY_LENGTH]
        incidents = search(
            text,
            user=request.user,
            kinds=[SearchKind.INCIDENT],
            open_only=True,
            limit=self.incidents_shown,
        )
        articles = search(
            text, user=request.user, kinds=[SearchKind.ARTICLE], limit=self.articles_shown
        )
        return self.render({"incidents": incidents.hits, "articles": articles.hits})
