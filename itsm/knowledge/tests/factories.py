"""Articles for tests, built through the service verbs."""

from __future__ import annotations

from typing import Any

from itsm.accounts.models import User
from itsm.knowledge.choices import ArticleAudience, ArticleStatus
from itsm.knowledge.models import Article
from itsm.knowledge.services import create_article, transition_article


def write(author: User, **fields: Any) -> Article:
    data: dict[str, Any] = {
        "title": "打印机不出纸的处理方法",
        "body": "## 症状\n\n条码打印机无反应。\n\n## 处理\n\n1. 重新装纸\n2. 校准标签",
        "audience": ArticleAudience.PUBLIC,
        **fields,
    }
    return create_article(data, actor=author)


def article_in(status: str, *, author: User, reviewer: User, **fields: Any) -> Article:
    """An article that reached `status` the way a real one does."""
    article = write(author, **fields)
    if status == ArticleStatus.DRAFT:
        return article
    article = transition_article(article, "submit", actor=author)
    if status == ArticleStatus.IN_REVIEW:
        return article
    article = transition_article(article, "approve", actor=reviewer, data={"note": "好"})
    if status == ArticleStatus.PUBLISHED:
        return article
    assert status == ArticleStatus.RETIRED, status
    return transition_article(article, "retire", actor=reviewer, data={"reason": "系统已升级"})
