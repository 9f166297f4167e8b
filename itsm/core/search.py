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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path
from time import monotonic
from typing import Any

import rjieba
from django import forms
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
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
# The documents of each type the score is computed over: the newest holding every query
# word, and the newest holding any. The database finds both through its full-text index
# without reading every match, so a word found in half a million incidents costs no more
# than a rare one; a hit older than the newest few hundred of its type is rarely what a
# desk agent is after.
ALL_WORDS_CANDIDATES = 300
ANY_WORD_CANDIDATES = 200
# PostgreSQL walks a type's newest documents looking for matches, first a hundredth of
# them within these bounds, then as many more as the matches found so far say it needs,
# unless reading every older match through the full-text index and sorting them is
# expected to cost less: a row read that way costs about INDEX_ROW_COST rows walked.
FIRST_WALK_SHARE = 100
FIRST_WALK_BOUNDS = (1_000, 10_000)
INDEX_ROW_COST = 3
# A reader who may see at most this many records of a type (a requester's own incidents)
# is searched from those records, each checked for the words.
FEW_VISIBLE = 5_000
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
    visible_by_document: bool = False


_registry: dict[str, Registration] = {}


def register(
    model: type[models.Model],
    kind: str,
    to_document: Callable[[Any], dict[str, Any] | None],
    *,
    visible_by_document: bool = False,
) -> None:
    """Make a model searchable. `to_document(obj)` returns `index_document`'s keyword
    arguments (title, body, visibility, service_id or service_ids, category, helpful,
    open, updated_at), or None when the record should not be found (a draft, a deleted
    article). With `visible_by_document` the document's visibility alone decides who finds
    it (public: everyone signed in; internal: who holds the model's view permission), for
    records indexed only while they are that visible (published articles); otherwise the
    model's `objects.visible_to(user)` decides. A new kind needs its full-text indexes:
    a migration calling `create_indexes` of core/migrations/0007_search_candidates.py."""
    _registry[kind] = Registration(
        model=model,
        kind=kind,
        to_document=to_document,
        visible_by_document=visible_by_document,
    )


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
    category: str | Sequence[str] = "",
    helpful: int = 0,
    open: bool = False,
    updated_at: datetime | None = None,
) -> SearchDocument:
    """Write (or rewrite) the search document of `obj`. Call it in the service verb that
    writes the record, inside its transaction, so the index never lags a committed write.
    `service_id` for a record of one service, `service_ids` for one of several; `category`
    a name, or the names from the top of a category tree down to the record's, so that a
    search in a category finds its subcategories too; `open` for a ticket still being
    worked on."""
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
            "category": category_path(category),
            "helpful": helpful,
            "open": open,
            "updated_at": updated_at or timezone.now(),
        },
    )
    return document


def category_path(category: str | Sequence[str]) -> str:
    """A category as stored: "/硬件/打印机/" for the path 硬件 › 打印机, found by a search in
    either ("" when none)."""
    names = [category] if isinstance(category, str) else list(category)
    names = [name.replace("/", " ") for name in names if name]
    return "/%s/" % "/".join(names) if names else ""


def lineage_names(node: Any) -> list[str]:
    """The names from the top of a tree (records with `parent` and `name`) down to `node`:
    a category as `index_document` takes it."""
    names: list[str] = []
    while node is not None:
        names.insert(0, node.name)
        node = node.parent
    return names


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


@dataclass(frozen=True)
class Scope:
    """The documents of one type a reader may see: `condition` on SearchDocument, and
    whether they are `few` (a requester's own incidents), in which case the search starts
    from them instead of from the words."""

    kind: str
    condition: Q
    few: bool = False


def _scopes(user: Any, kinds: Iterable[str]) -> list[Scope]:
    """What `user` may see of each of `kinds`: for each registered model, the documents
    of the records its `objects.visible_to(user)` gives; a model registered
    `visible_by_document` (or without `visible_to`) shows public documents to every
    signed-in user and internal ones to those with its view permission. A type of which
    the user sees nothing is left out."""
    if not getattr(user, "is_authenticated", False):
        return []
    scopes = []
    for kind in kinds:
        registration = _registry[kind]
        model = registration.model
        content_type = ContentType.objects.get_for_model(model)
        manager: Any = model._default_manager
        condition, few = Q(content_type=content_type), False
        if not hasattr(manager, "visible_to") or registration.visible_by_document:
            view = "%s.view_%s" % (model._meta.app_label, model._meta.model_name)
            if not user.has_perm(view):
                condition &= Q(visibility=SearchVisibility.PUBLIC)
        else:
            visible = manager.visible_to(user)
            # Everything (IT staff see every incident): no condition on the records.
            if visible.query.has_filters():
                # A model may name the ids its reader sees as index lookups (repeated ids
                # count twice: "few" is then decided on the safe side).
                keys = manager.visible_keys(user) if hasattr(manager, "visible_keys") else None
                if keys is None:
                    keys = visible.order_by().values("pk")
                seen = keys[: FEW_VISIBLE + 1].count()
                if seen == 0:
                    continue
                few = seen <= FEW_VISIBLE
                if few:
                    condition &= Q(object_id__in=keys)
                else:
                    # Many but not all (a vendor's routed incidents): an EXISTS on the
                    # record's key, checked for the candidates the words find.
                    condition &= Q(Exists(visible.filter(pk=OuterRef("object_id"))))
        scopes.append(Scope(kind, condition, few=few))
    return scopes


CANDIDATE_FIELDS = (
    "id",
    "kind",
    "content_type_id",
    "object_id",
    "title",
    "tokens",
    "helpful",
    "updated_at",
)


def _newest_matching(
    documents: models.QuerySet[SearchDocument],
    scope: Scope,
    terms: list[str],
    *,
    every: bool,
    open_only: bool,
    size: int = 0,
) -> list[tuple[Any, ...]]:
    """The newest documents of the scope's type (open ones only, or all) with every (or
    any) of the terms, through the database's full-text index; newest is the highest id,
    the same on both databases."""
    limit = ALL_WORDS_CANDIDATES if every else ANY_WORD_CANDIDATES
    kind = scope.kind
    queryset = documents.filter(kind=kind, **({"open": True} if open_only else {}))
    if connection.vendor == "postgresql":
        return _newest_postgresql(
            queryset, scope, terms, every=every, open_only=open_only, limit=limit, size=size
        )
    if connection.vendor == "sqlite":
        # Each type has its own FTS5 table (core_searchdocument_fts_<type>).
        fts = "core_searchdocument_fts_%s" % kind
        words = (" " if every else " OR ").join('"%s"' % term for term in terms)
        if scope.few:
            # From the reader's few records, each looked up in the index by its rowid;
            # `id + 0` keeps SQLite from walking every document by id instead.
            queryset = queryset.extra(
                where=[
                    "EXISTS (SELECT 1 FROM %(t)s WHERE %(t)s MATCH %%s"
                    " AND %(t)s.rowid = core_searchdocument.id)" % {"t": fts}
                ],
                params=["tokens : (%s)" % words],
            ).order_by((F("id") + 0).desc())
            return list(queryset.values_list(*CANDIDATE_FIELDS)[:limit])
        # FTS5 yields its matches by rowid, newest first, so the limit stops it early.
        queryset = queryset.extra(
            select={"fts_rowid": "%s.rowid" % fts},
            tables=[fts],
            where=["%s.rowid = core_searchdocument.id" % fts, "%s MATCH %%s" % fts],
            params=["%stokens : (%s)" % ('open : "1" AND ' * open_only, words)],
            order_by=["-fts_rowid"],
        )
    else:
        condition = Q()
        for term in terms:
            condition = (
                (condition & Q(tokens__contains=term))
                if every
                else (condition | Q(tokens__contains=term))
            )
        queryset = queryset.filter(condition).order_by("-id")
    return list(queryset.values_list(*CANDIDATE_FIELDS)[:limit])


def _newest_postgresql(
    queryset: models.QuerySet[SearchDocument],
    scope: Scope,
    terms: list[str],
    *,
    every: bool,
    open_only: bool,
    limit: int,
    size: int,
) -> list[tuple[Any, ...]]:
    """PostgreSQL's newest matches of one type (about `size` documents). Its planner takes
    a word to be spread evenly over the types and over time, so left alone it walks a
    million incidents newest first for a word only articles hold, or reads half a million
    matches of a common word to keep the newest 300. Instead the type's documents are
    walked newest first, a window of ids at a time, each row checked; a first window of a
    hundredth of them, the next ones as large as the matches found so far say is needed.
    When the older documents are expected to hold few matches, those are read through the
    type's own full-text index (a partial GIN index) and sorted. Every window gives the
    same candidates: the newest `limit` matches. A reader who sees few records is searched
    from those records."""
    query = (" & " if every else " | ").join("'%s'" % term for term in terms)
    # ts_match_vq is the function behind @@, in a form no index serves: checked row by row.
    checked = queryset.extra(
        where=["ts_match_vq(core_searchdocument.tsv, %s::tsquery)"], params=[query]
    )
    if scope.few:
        # `id + 0`: from the reader's records, not from a walk of every document by id.
        checked = checked.order_by((F("id") + 0).desc())
        return list(checked.values_list(*CANDIDATE_FIELDS)[:limit])
    walked = checked.order_by("-id")
    top = SearchDocument.objects.filter(kind=scope.kind).aggregate(top=Max("id"))["top"]
    window = min(max(size // FIRST_WALK_SHARE, FIRST_WALK_BOUNDS[0]), FIRST_WALK_BOUNDS[1])
    if open_only or top is None or size <= window:
        return list(walked.values_list(*CANDIDATE_FIELDS)[:limit])
    ids_per_document = top / size
    rows: list[tuple[Any, ...]] = []
    high, walked_documents = top + 1, 0
    while high > 0 and len(rows) < limit:
        low = max(int(high - window * ids_per_document), 0)
        step = walked.filter(id__gte=low, id__lt=high)
        rows += step.values_list(*CANDIDATE_FIELDS)[: limit - len(rows)]
        walked_documents += window
        high = low
        needed = limit - len(rows)
        if not needed or high <= 0:
            break
        density = len(rows) / walked_documents
        # Walk on while that is cheaper than reading every older match through the index.
        window = int(2 * needed / density) + 1 if density else 0
        if density * (high / ids_per_document) * INDEX_ROW_COST <= window or not density:
            # `id + 0` keeps the planner from walking the index by id instead.
            rest = (
                queryset.filter(id__lt=high)
                .extra(where=["core_searchdocument.tsv @@ %s::tsquery"], params=[query])
                .order_by((F("id") + 0).desc())
            )
            rows += rest.values_list(*CANDIDATE_FIELDS)[:needed]
            break
    return rows


# The sizes read last, per database, and until when they are kept: they steer how far
# PostgreSQL walks, never which candidates it finds, and ANALYZE changes them rarely.
_sizes_read: dict[str, tuple[float, dict[str, int]]] = {}
SIZES_SECONDS = 300.0


def _sizes() -> dict[str, int]:
    """About how many documents of each type PostgreSQL holds, from the statistics
    ANALYZE keeps (the share of each value of `kind`): no count of a million rows. A type
    too rare to be among the most common values is left out."""
    kept = _sizes_read.get(connection.alias)
    if kept is not None and kept[0] > monotonic():
        return kept[1]
    sizes = _read_sizes()
    _sizes_read[connection.alias] = (monotonic() + SIZES_SECONDS, sizes)
    return sizes


def _read_sizes() -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.reltuples, s.most_common_vals::text::text[], s.most_common_freqs"
            " FROM pg_class c LEFT JOIN pg_stats s ON s.tablename = c.relname"
            " AND s.attname = 'kind' WHERE c.relname = 'core_searchdocument'"
        )
        row = cursor.fetchone()
    if row is None or row[1] is None:
        return {}
    rows, kinds, shares = row
    return {kind: int(rows * share) for kind, share in zip(kinds, shares, strict=False)}


def _candidates(
    documents: models.QuerySet[SearchDocument],
    scopes: list[Scope],
    terms: list[str],
    *,
    open_only: bool,
) -> list[tuple[Any, ...]]:
    """Each type's newest documents with every term, then (unless those are a full pool)
    its newest with any."""
    rows: dict[int, tuple[Any, ...]] = {}
    postgresql = connection.vendor == "postgresql"
    # A transaction for PostgreSQL's SET LOCAL only: on SQLite every transaction takes the
    # write lock (IMMEDIATE, settings.py), which a search must not hold.
    with transaction.atomic() if postgresql else nullcontext():
        sizes: dict[str, int] = {}
        if postgresql:
            sizes = _sizes()
            # For a common word the planner expects tens of thousands of matches and
            # starts parallel workers and JIT compilation (some 40 ms) for index reads
            # that find a few hundred rows or none: not for this transaction.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        for scope in scopes:
            visible = documents.filter(scope.condition)
            for every in (True, False) if len(terms) > 1 else (True,):
                found = _newest_matching(
                    visible,
                    scope,
                    terms,
                    every=every,
                    open_only=open_only,
                    size=sizes.get(scope.kind, 0),
                )
                for row in found:
                    rows.setdefault(row[0], row)
                # A full pool of records with every word: those with some of them would
                # rank below (the share of words found counts squared), so not read.
                if every and len(found) == ALL_WORDS_CANDIDATES:
                    break
    return list(rows.values())


@lru_cache(maxsize=4096)
def _title_words(title: str) -> frozenset[str]:
    """The words a title is indexed under; incident titles repeat, so they are kept."""
    return frozenset(index_tokens(title))


def _score(terms: list[str], title: str, tokens: str, helpful: int, age_days: float) -> float:
    """Relevance × recency × usefulness, from plain numbers so that every database ranks
    alike. Relevance: the share of query words found (all words first), each found word
    worth more in the title and (a little) with each repetition. Recency halves the
    weight of the text's age factor in about a year; helpful votes add slowly."""
    # Counted in C, whole words only, for the query's few words: this runs for every
    # candidate, and splitting a long article into its words costs more than counting.
    # Each word gets spaces of its own on both sides, so that repeats side by side count.
    padded = "  %s  " % tokens.replace(" ", "  ")
    counts = {term: padded.count(" %s " % term) for term in terms}
    found = [term for term in terms if counts[term]]
    if not found:
        return 0.0
    # A title word is part of the lower-cased title: segment only titles that may hold one.
    lowered = title.lower()
    title_words = _title_words(title) if any(term in lowered for term in found) else frozenset()
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
    counts: bool = False,
) -> SearchPage:
    """The records `user` may see that contain words of `query`, best first. An empty or
    punctuation-only query finds nothing; a query over 200 characters is a
    ValidationError. `open_only` keeps the tickets still being worked on (the console's
    suggestions of open incidents);
    `counts` also counts the matches of the types not asked for (the search page's tabs)."""
    terms = parse_query(query)
    page = SearchPage(query=query, terms=terms)
    if not terms:
        return page
    documents = SearchDocument.objects.all()
    if service is not None:
        documents = documents.filter(service_ids__contains=",%d," % service)
    if category:
        documents = documents.filter(category__contains=category_path(category))
    if since is not None:
        documents = documents.filter(updated_at__gte=since)
    if until is not None:
        documents = documents.filter(updated_at__lt=until)
    wanted = list(dict.fromkeys(kinds)) if kinds else None
    searched = [r.kind for r in registrations()] if counts or wanted is None else wanted
    now = timezone.now()
    scored = []
    candidates = _candidates(documents, _scopes(user, searched), terms, open_only=open_only)
    for pk, kind, content_type_id, object_id, title, tokens, helpful, updated_at in candidates:
        age_days = (now - updated_at).total_seconds() / 86400.0
        score = _score(terms, title, tokens, helpful, age_days)
        if score > 0:
            scored.append((score, updated_at, pk, kind, content_type_id, object_id))
            page.counts[kind] = page.counts.get(kind, 0) + 1
    if wanted is not None:
        scored = [row for row in scored if row[3] in wanted]
    scored.sort(key=lambda row: (-row[0], -row[1].timestamp(), -row[2]))
    page.total = len(scored)
    chosen = scored[offset : offset + limit]
    page.hits = _hits(chosen, terms)
    return page


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
