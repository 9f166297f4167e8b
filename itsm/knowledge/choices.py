from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ArticleAudience(models.TextChoices):
    INTERNAL = "internal", _("IT staff only")
    PUBLIC = "public", _("Everyone")
