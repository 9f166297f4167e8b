"""What of an article the shared search indexes: its title, keywords and text, while it
is published. A public article is found by everyone signed in, an internal one by IT staff
(those who may view articles): for a published article that is what
`Article.objects.visible_to` decides too, so the search reads it from the document."""

from __future__ import annotations

from typing import Any

from itsm.core.choices import SearchKind, SearchVisibility
from itsm.core.search import index_object, lineage_names, register
from itsm.knowledge.choices import ArticleAudience, ArticleStatus
from itsm.knowledge.models import Article


def article_document(article: Article) -> dict[str, Any] | None:
    if article.status != ArticleStatus.PUBLISHED:
        return None
    return {
        "title": article.title,
        # The text first: the result's snippet is cut from the start of the body.
        "body": "\n".join(text for text in (article.body, article.keywords) if text),
        "visibility": (
            SearchVisibility.PUBLIC
            if article.audience == ArticleAudience.PUBLIC
            else SearchVisibility.INTERNAL
        ),
        "service_ids": list(article.services.values_list("pk", flat=True)),
        "category": lineage_names(article.category),
        "helpful": article.helpful_count - article.unhelpful_count,
        "updated_at": article.updated_at,
    }


def index_article(article: Article) -> None:
    index_object(article, SearchKind.ARTICLE)


def register_articles() -> None:
    register(Article, SearchKind.ARTICLE, article_document, visible_by_document=True)
