from django.db import models
from django.utils.translation import gettext_lazy as _


class DepartmentKind(models.TextChoices):
    CLINICAL = "clinical", _("Clinical")
    MEDICAL_TECHNICAL = "medical_technical", _("Medical technical")
    ADMINISTRATIVE = "administrative", _("Administrative")


class SupportTier(models.TextChoices):
    SERVICE_DESK = "service_desk", _("Service desk")
    FRONT_LINE = "front_line", _("Front line")
    BACK_LINE = "back_line", _("Back line")


# Tiers in escalation order: functional escalation moves a ticket to a higher rank.
TIER_RANK: dict[str, int] = {
    SupportTier.SERVICE_DESK: 0,
    SupportTier.FRONT_LINE: 1,
    SupportTier.BACK_LINE: 2,
}


class Role(models.TextChoices):
    """A user's roles are Django groups of these names; their permissions are in roles.py."""

    REQUESTER = "requester", _("Requester")
    AGENT = "service_desk_agent", _("Service desk agent")
    FRONT_LINE = "front_line_engineer", _("Front-line engineer")
    BACK_LINE = "back_line_engineer", _("Back-line engineer")
    MANAGER = "it_manager", _("IT manager")
    ADMIN = "administrator", _("Administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDITOR = "auditor", _("Security auditor")


# Separation of duties (三员分立): the system administrator (accounts, organisation,
# configuration), the security administrator (roles, security policy) and the auditor (the
# audit log) are three people; nobody holds two of these roles.
SEPARATED_ROLES: tuple[str, ...] = (Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR)


class UserLanguage(models.TextChoices):
    DEFAULT = "", _("Browser default")
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


class RobotKind(models.TextChoices):
    """The group chat robot a support group's notifications are posted to. The values are
    the delivery channels of core.choices.DeliveryChannel."""

    NONE = "none", _("No robot")
    WECOM = "wecom", _("WeChat Work")
    DINGTALK = "dingtalk", _("DingTalk")
    FEISHU = "feishu", _("Feishu")


class CheckVerdict(models.TextChoices):
    """A line of the security self-check (selfcheck.py)."""

    PASS = "pass", _("Pass")
    ATTENTION = "attention", _("Attention")
    INFO = "info", _("For information")
