from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketImpact(models.IntegerChoices):
    HIGH = 1, _("1 - High")
    MEDIUM = 2, _("2 - Medium")
    LOW = 3, _("3 - Low")


class TicketUrgency(models.IntegerChoices):
    HIGH = 1, _("1 - High")
    MEDIUM = 2, _("2 - Medium")
    LOW = 3, _("3 - Low")


class TicketPriority(models.IntegerChoices):
    CRITICAL = 1, _("P1 Critical")
    HIGH = 2, _("P2 High")
    MEDIUM = 3, _("P3 Medium")
    LOW = 4, _("P4 Low")
    PLANNING = 5, _("P5 Planning")


class CommentVisibility(models.TextChoices):
    PUBLIC = "public", _("Public reply")
    INTERNAL = "internal", _("Internal work note")


class DeliveryChannel(models.TextChoices):
    """Where a notification leaves the product. The robot values equal
    accounts.choices.RobotKind's, so a group's robot kind names its channel."""

    EMAIL = "email", _("E-mail")
    WECOM = "wecom", _("WeChat Work robot")
    DINGTALK = "dingtalk", _("DingTalk robot")
    FEISHU = "feishu", _("Feishu robot")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class TicketPendingReason(models.TextChoices):
    """Why a ticket waits. Agreements choose which of these pause their clocks."""

    REQUESTER = "requester", _("Waiting for the requester")
    VENDOR = "vendor", _("Waiting for the vendor")
    PARTS = "parts", _("Waiting for parts")
    CHANGE = "change", _("Waiting for a change")


class SearchKind(models.TextChoices):
    """What a search hit is: the type tabs of the search page and `type=` of the API."""

    ARTICLE = "article", _("Article")
    INCIDENT = "incident", _("Incident")
    PROBLEM = "problem", _("Problem")


class SearchVisibility(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")
