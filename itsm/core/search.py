"""One search over articles, incidents and problems.

Chinese has no spaces, so every record's text is cut into words (rjieba with a hospital
dictionary) when it is written, and stored lower-case and space-joined in SearchDocument.
The database only finds candidates (SQLite FTS5 / PostgreSQL full text over those same
tokens, newest first); the score is computed here from the matched words, the record's
age and its helpful votes, so both databases give the same order on the same data.

Apps register their models with `register(model, kind, to_document)` and call
`index_document` (or `index_object`) in their service verbs; `itsm reindex_search`
rebuilds every registered model."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import rjieba
from django import forms
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from itsm.core.choices import SearchKind, SearchVisibility
from itsm.core.models import SearchDocument

MAX_QUERY_LENGTH = 200
# At most this many query words are looked for; the rest of a pasted paragraph is noise.
MAX_TERMS = 12
# The newest matching documents the score is computed over. A hit older than the newest
# thousand matches of every word is rarely what a desk agent is after.
CANDIDATES = 1000
SNIPPET_CHARS = 120
DICTIONARY = Path(__file__).with_name("search_dict.txt")

# Words that match nearly every record and say nothing about it.
STOP_WORDS = frozenset(
    "的 了 是 在 和 与 或 及 也 都 就 我 你 他 她 请 吗 呢 啊 吧 有 无 不 很".split()
)
# What FTS5's unicode61 tokenizer keeps inside a token: letters and digits (not "_").
_WORD = re.compile(r"[^\W_]+")


@cache
def _segmenter() -> rjieba.Jieba:
    jieba = rjieba.Jieba()
    for line in DICTIONARY.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and not parts[0].startswith("#"):
            jieba.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None, None)
    return jieba


def _words(pieces: Iterable[str]) -> Iterator[str]:
    """Lower-case words of the pieces, punctuation dropped: "192.168.1.10" is four words,
    as FTS5 would read it."""
    for piece in pieces:
        for word in _WORD.findall(piece):
            yield word.lower()


def segment(text: str) -> list[str]:
    """The words of a query: "HIS 挂号 打印机 卡纸" → his, 挂号, 打印机, 卡纸. English words
    and codes (Win10, 0x0000007B, INC0000123) stay whole, lower-cased; punctuation is
    dropped; each word once, in order."""
    seen: dict[str, None] = {}
    for word in _words(_segmenter().cut(text)):
        seen.setdefault(word, None)
    return list(seen)


def index_tokens(text: str) -> list[str]:
    """The words a document is indexed under: the search-mode cut, which adds the shorter
    words inside long ones (医保结算 → 医保, 结算, 医保结算), so a query with either finds it."""
    return list(_words(_segmenter().cut_for_search(text)))


# ----------------------------------------------------------------------------------------
# Registry and indexing


@dataclass(frozen=True)
class Registration:
    model: type[models.Model]
    kind: str
    to_document: Callable[[Any], dict[str, Any] | None]


_registry: dict[str, Registration] = {}


def register(
    model: type[models.Model], kind: str, to_document: Callable[[Any], dict[str, Any] | None]
) -> None:
    """Make a model searchable. `to_document(obj)` returns `index_document`'s keyword
    arguments (title, body, visibility, service_id or service_ids, category, helpful,
    updated_at), or
    None when the record should not be found (a draft, a deleted article)."""
    _registry[kind] = Registration(model=model, kind=kind, to_document=to_document)


def registrations() -> list[Registration]:
    return list(_registry.values())


def index_document(
    obj: models.Model,
    *,
    kind: str,
    title: str,
    body: str,
    visibility: str = SearchVisibility.INTERNAL,
    service_id: int | None = None,
    service_ids: Iterable[int] = (),
    category: str = "",
    helpful: int = 0,
    updated_at: datetime | None = None,
) -> SearchDocument:
    """Write (or rewrite) the search document of `obj`. Call it in the service verb that
    writes the record, inside its transaction, so the index never lags a committed write.
    `service_id` for a record of one service, `service_ids` for one of several."""
    services = sorted({*service_ids, *([service_id] if service_id is not None else [])})
    tokens = index_tokens("%s\n%s" % (title, body))
    document, _created = SearchDocument.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        defaults={
            "kind": kind,
            "title": title[:300],
            "body": body,
            "tokens": " ".join(tokens),
            "visibility": visibility,
            "service_ids": ",%s," % ",".join(map(str, services)) if services else "",
            "category": category[:100],
            "helpful": helpful,
            "updated_at": updated_at or timezone.now(),
        },
    )
    return document


def remove_document(obj: models.Model) -> None:
    SearchDocument.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).delete()


def index_object(obj: models.Model, kind: str) -> None:
    """Index `obj` through its registration: rewrite or remove its document."""
    document = _registry[kind].to_document(obj)
    if document is None:
        remove_document(obj)
    else:
        index_document(obj, kind=kind, **document)


def reindex(kinds: Iterable[str] | None = None) -> dict[str, int]:
    """Rebuild the documents of every registered model (or of `kinds`); returns how many
    records of each kind were indexed."""
    counts: dict[str, int] = {}
    for registration in registrations():
        if kinds is not None and registration.kind not in kinds:
            continue
        content_type = ContentType.objects.get_for_model(registration.model)
        SearchDocument.objects.filter(content_type=content_type).delete()
        counts[registration.kind] = 0
        for obj in registration.model._default_manager.order_by("pk").iterator(chunk_size=500):
            document = registration.to_document(obj)
            if document is not None:
                index_document(obj, kind=registration.kind, **document)
                counts[registration.kind] += 1
    return counts


# ----------------------------------------------------------------------------------------
# Searching


@dataclass(frozen=True)
class SearchHit:
    kind: str
    object: Any
    title: SafeString
    snippet: SafeString
    score: float
    updated_at: datetime
    plain_title: str

    @property
    def url(self) -> str:
        return str(self.object.get_absolute_url())

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


@dataclass
class SearchPage:
    query: str
    terms: list[str]
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    # Matches per kind before the kind filter: the counts on the type tabs.
    counts: dict[str, int] = field(default_factory=dict)


def _visible(user: Any) -> Q:
    """The documents `user` may see: for each registered model, those of its records
    its `objects.visible_to(user)` gives; a model without it shows public documents to
    every signed-in user and internal ones to those with its view permission."""
    condition = Q(pk__in=[])
    if not getattr(user, "is_authenticated", False):
        return condition
    for registration in registrations():
        model = registration.model
        content_type = ContentType.objects.get_for_model(model)
        manager: Any = model._default_manager
        if hasattr(manager, "visible_to"):
            visible = manager.visible_to(user)
            if not visible.query.has_filters():
                # Everything (IT staff see every incident): no subquery of a million ids,
                # which PostgreSQL cannot hash and would scan once per candidate.
                condition |= Q(content_type=content_type)
                continue
            condition |= Q(
                content_type=content_type,
                object_id__in=visible.values("pk"),
            )
        else:
            rows = Q(content_type=content_type)
            view = "%s.view_%s" % (model._meta.app_label, model._meta.model_name)
            if not user.has_perm(view):
                rows &= Q(visibility=SearchVisibility.PUBLIC)
            condition |= rows
    return condition


def _match(queryset: models.QuerySet[SearchDocument], terms: list[str]) -> Any:
    """Documents with any of the terms, through the database's full-text index."""
    if connection.vendor == "postgresql":
        query = " | ".join("'%s'" % term for term in terms)
        return queryset.extra(
            where=[
                "array_to_tsvector(string_to_array(core_searchdocument.tokens, ' ')) @@ %s::tsquery"
            ],
            params=[query],
        )
    if connection.vendor == "sqlite":
        query = " OR ".join('"%s"' % term for term in terms)
        return queryset.extra(
            where=[
                "core_searchdocument.id IN (SELECT rowid FROM core_searchdocument_fts"
                " WHERE core_searchdocument_fts MATCH %s)"
            ],
            params=[query],
        )
    condition = Q()
    for term in terms:
        condition |= Q(tokens__contains=term)
    return queryset.filter(condition)


def _score(terms: list[str], title: str, tokens: str, helpful: int, age_days: float) -> float:
    """Relevance × recency × usefulness, from plain numbers so that every database ranks
    alike. Relevance: the share of query words found (all words first), each found word
    worth more in the title and (a little) with each repetition. Recency halves the
    weight of the text's age factor in about a year; helpful votes add slowly."""
    # Counted in C for the query's few words: this runs for every candidate.
    words = tokens.split(" ")
    counts = {term: words.count(term) for term in terms}
    found = [term for term in terms if counts[term]]
    if not found:
        return 0.0
    # A title word is part of the lower-cased title: segment only titles that may hold one.
    lowered = title.lower()
    title_words = set(index_tokens(title)) if any(term in lowered for term in found) else set[str]()
    weight = sum(
        (2.0 if term in title_words else 0.0) + 1.0 + math.log(counts[term]) for term in found
    )
    coverage = len(found) / len(terms)
    relevance = coverage * coverage * weight
    recency = 0.6 + 0.4 / (1.0 + max(age_days, 0.0) / 365.0)
    usefulness = 1.0 + 0.1 * math.log1p(max(helpful, 0))
    return round(relevance * recency * usefulness, 6)


def highlight(text: str, terms: list[str]) -> SafeString:
    """`text` escaped, with the query words wrapped in <mark>."""
    if not terms:
        return mark_safe(escape(text))
    pattern = re.compile(
        "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)),
        re.IGNORECASE,
    )
    parts: list[str] = []
    position = 0
    for found in pattern.finditer(text):
        parts.append(escape(text[position : found.start()]))
        parts.append("<mark>%s</mark>" % escape(found.group()))
        position = found.end()
    parts.append(escape(text[position:]))
    # Words found side by side are one highlight: 挂号 + 单 → <mark>挂号单</mark>.
    return mark_safe("".join(parts).replace("</mark><mark>", ""))


def snippet(text: str, terms: list[str], length: int = SNIPPET_CHARS) -> SafeString:
    """About `length` characters of `text` around its first query word, highlighted."""
    text = " ".join(text.split())
    lowered = text.lower()
    starts = [lowered.find(term) for term in terms if lowered.find(term) >= 0]
    start = max(0, min(starts) - length // 3) if starts else 0
    piece = text[start : start + length]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + length < len(text) else ""
    return mark_safe(prefix + highlight(piece, terms) + suffix)


def parse_query(query: str) -> list[str]:
    """The words to look for; ValidationError when the query is too long."""
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationError(
            {"q": _("A search is at most %(limit)d characters long.") % {"limit": MAX_QUERY_LENGTH}}
        )
    terms = [term for term in segment(query) if term not in STOP_WORDS]
    return terms[:MAX_TERMS]


def search(
    query: str,
    *,
    user: Any,
    kinds: Iterable[str] | None = None,
    service: int | None = None,
    category: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 20,
    offset: int = 0,
    open_only: bool = False,
) -> SearchPage:
    """The records `user` may see that contain words of `query`, best first. An empty or
    punctuation-only query finds nothing; a query over 200 characters is a
    ValidationError. `open_only` keeps open incidents only (the console's suggestions)."""
    terms = parse_query(query)
    page = SearchPage(query=query, terms=terms)
    if not terms:
        return page
    documents = SearchDocument.objects.filter(_visible(user))
    if service is not None:
        documents = documents.filter(service_ids__contains=",%d," % service)
    if category:
        documents = documents.filter(category=category)
    if since is not None:
        documents = documents.filter(updated_at__gte=since)
    if until is not None:
        documents = documents.filter(updated_at__lt=until)
    if open_only:
        documents = documents.filter(_open_incidents())
    rows = list(
        _match(documents, terms)
        .order_by("-updated_at", "-id")
        .values_list(
            "id", "kind", "content_type_id", "object_id", "title", "tokens", "helpful", "updated_at"
        )[:CANDIDATES]
    )
    now = timezone.now()
    scored = []
    for pk, kind, content_type_id, object_id, title, tokens, helpful, updated_at in rows:
        age_days = (now - updated_at).total_seconds() / 86400.0
        score = _score(terms, title, tokens, helpful, age_days)
        if score > 0:
            scored.append((score, updated_at, pk, kind, content_type_id, object_id))
            page.counts[kind] = page.counts.get(kind, 0) + 1
    wanted = set(kinds) if kinds else None
    if wanted is not None:
        scored = [row for row in scored if row[3] in wanted]
    scored.sort(key=lambda row: (-row[0], -row[1].timestamp(), -row[2]))
    page.total = len(scored)
    chosen = scored[offset : offset + limit]
    page.hits = _hits(chosen, terms)
    return page


def _open_incidents() -> Q:
    """Open incidents only (their manager's `open()`), and every other kind as it is."""
    model = apps.get_model("incidents", "Incident")
    content_type = ContentType.objects.get_for_model(model)
    manager: Any = model._default_manager
    return ~Q(content_type=content_type) | Q(object_id__in=manager.open().values("pk"))


def _hits(chosen: list[tuple[Any, ...]], terms: list[str]) -> list[SearchHit]:
    """The page's hits with their records: one query for the documents' text, one per
    content type for the records."""
    ids = [row[2] for row in chosen]
    documents = SearchDocument.objects.only("id", "title", "body").in_bulk(ids)
    by_type: dict[int, list[int]] = {}
    for row in chosen:
        by_type.setdefault(row[4], []).append(row[5])
    objects: dict[tuple[int, int], Any] = {}
    for content_type_id, object_ids in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        for pk, record in model._default_manager.in_bulk(object_ids).items():
            objects[(content_type_id, pk)] = record
    hits = []
    for score, updated_at, pk, kind, content_type_id, object_id in chosen:
        obj = objects.get((content_type_id, object_id))
        document = documents.get(pk)
        if obj is None or document is None:
            continue
        hit = SearchHit(
            kind=kind,
            object=obj,
            title=highlight(document.title, terms),
            snippet=snippet(document.body, terms),
            score=score,
            updated_at=updated_at,
            plain_title=document.title,
        )
        hits.append(hit)
    return hits


def kind_label(kind: str) -> str:
    return str(SearchKind(kind).label) if kind in SearchKind.values else kind


class SearchForm(forms.Form):
    """The search's parameters, read alike by the search page and `GET /api/search/`."""

    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=MAX_QUERY_LENGTH)
    type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        required=False,
        choices=[("", gettext_lazy("All")), *SearchKind.choices],
    )
    service: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=gettext_lazy("Service"), required=False, queryset=None
    )
    category = forms.CharField(label=gettext_lazy("Category"), required=False, max_length=100)
    since = forms.DateField(
        label=gettext_lazy("Updated from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=gettext_lazy("Updated until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        service: Any = self.fields["service"]
        service.queryset = apps.get_model("cmdb", "Service")._default_manager.order_by("code")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def filters(self) -> dict[str, Any]:
        """`search`'s keyword arguments (dates as whole days in the current time zone)."""
        data = self.cleaned_data
        service = data.get("service")
        since, until = data.get("since"), data.get("until")
        zone = timezone.get_current_timezone()
        return {
            "kinds": [data["type"]] if data.get("type") else None,
            "service": service.pk if service is not None else None,
            "category": data.get("category") or None,
            "since": datetime.combine(since, time.min, zone) if since else None,
            "until": datetime.combine(until + timedelta(days=1), time.min, zone) if until else None,
        }
