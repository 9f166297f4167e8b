"""The hospital's organisation as the IT department sees it: departments, people, support
groups by tier, and the vendors whose engineers work in back-line groups."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from itsm.accounts.choices import DepartmentKind, RobotKind, Role, SupportTier, UserLanguage


class Department(models.Model):
    """A clinical, medical-technical or administrative department (科室) of the hospital;
    costs are charged to its cost centre."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.CharField(_("code"), max_length=32, unique=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    kind = models.CharField(
        _("kind"), max_length=20, choices=DepartmentKind.choices, default=DepartmentKind.CLINICAL
    )
    cost_centre = models.CharField(_("cost centre"), max_length=32, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        ordering = ("code",)
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:accounts_department_change", args=[self.pk])


class Vendor(models.Model):
    """A company whose engineers do back-line work under a maintenance contract (厂商)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    contact_name = models.CharField(_("contact"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    class Meta:
        ordering = ("name",)
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:accounts_vendor_change", args=[self.pk])


class SupportGroup(models.Model):
    """A team that works tickets at one tier: the service desk, a front-line team, or a
    back-line team (often a vendor's)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    tier = models.CharField(_("tier"), max_length=20, choices=SupportTier.choices)
    vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("vendor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="groups",
    )
    lead = models.ForeignKey(
        "User",
        verbose_name=_("group lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_groups",
    )
    members: models.ManyToManyField[User, Any] = models.ManyToManyField(
        "User", verbose_name=_("members"), blank=True, related_name="support_groups"
    )
    email = models.EmailField(_("e-mail"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    # The group's chat robot (群机器人): notifications for the group are posted to it.
    robot_kind = models.CharField(
        _("chat robot"),
        max_length=16,
        choices=RobotKind.choices,
        default=RobotKind.NONE,
        blank=True,  # a form that leaves it out means "no robot" (see clean)
    )
    robot_webhook_url = models.URLField(
        _("robot webhook URL"),
        max_length=500,
        blank=True,
        help_text=_("The webhook address the chat app showed when the robot was added."),
    )
    robot_secret = models.CharField(
        _("robot signing secret"),
        max_length=200,
        blank=True,
        help_text=_(
            "Only for DingTalk and Feishu robots whose security setting is signing "
            "(加签 / 签名校验)."
        ),
    )

    class Meta:
        ordering = ("tier", "name")
        verbose_name = _("support group")
        verbose_name_plural = _("support groups")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("admin:accounts_supportgroup_change", args=[self.pk])

    def clean(self) -> None:
        """A robot needs its webhook address; WeCom robots have no signing secret."""
        super().clean()
        if not self.robot_kind:
            self.robot_kind = RobotKind.NONE
        if self.robot_kind != RobotKind.NONE and not self.robot_webhook_url:
            raise ValidationError(
                {"robot_webhook_url": _("Give the webhook address of the chat robot.")}
            )
        if self.robot_kind == RobotKind.WECOM and self.robot_secret:
            raise ValidationError(
                {"robot_secret": _("WeChat Work robots are not signed: leave this empty.")}
            )

    @property
    def has_robot(self) -> bool:
        return self.robot_kind != RobotKind.NONE and bool(self.robot_webhook_url)


class User(AbstractUser):
    """A person who signs in: hospital staff who report faults, and IT staff and vendor
    engineers who work them. Roles are Django groups named after `Role`."""

    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    job_title = models.CharField(_("job title"), max_length=100, blank=True)
    language = models.CharField(
        _("language"), max_length=10, choices=UserLanguage.choices, blank=True, default=""
    )
    # Security (docs/security.md): when the password was last set, whether the user must set
    # his own at the next sign-in (accounts an administrator created or reset), and the day
    # the account stops working (a vendor engineer's maintenance contract ends).
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    expires_on = models.DateField(
        _("account expires on"),
        null=True,
        blank=True,
        help_text=_("The account is disabled after this day, e.g. when a vendor's contract ends."),
    )
    # Raised by "sign out everywhere": it is part of the session hash, so every session
    # signed in before the raise stops working at its next request.
    session_epoch = models.PositiveIntegerField(_("session epoch"), default=0, editable=False)

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    class Meta:
        ordering = ("username",)
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        full = self.get_full_name()
        return full or self.username

    def get_full_name(self) -> str:
        # Chinese names are written family name first, without a space.
        return ("%s%s" % (self.last_name, self.first_name)).strip()

    def get_absolute_url(self) -> str:
        return reverse("admin:accounts_user_change", args=[self.pk])

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's session hash (an HMAC of the password hash) plus the session epoch, so
        that a password change or a raised epoch ends the user's sessions. Epoch 0 keeps
        Django's own value: sessions made before the epoch existed stay valid."""
        if not self.session_epoch:
            return str(super()._get_session_auth_hash(secret))  # type: ignore[misc]
        return salted_hmac(
            "itsm.accounts.User.session_auth_hash",
            "%s:%d" % (self.password, self.session_epoch),
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def _prime_permission_cache(self) -> None:
        """Django's ModelBackend reads a user's permissions in two queries (his own, his
        groups'), once per user object. Read both in one query and fill the backend's
        caches, exactly as it would: same permissions, one round trip less per request.
        Superusers and inactive users keep the backend's own path."""
        if (
            hasattr(self, "_perm_cache")
            or not self.is_active
            or self.is_superuser
            or self.pk is None
        ):
            return
        from django.contrib.auth.models import Group, Permission

        fields = ("content_type__app_label", "codename")

        def source(value: int) -> models.Value:
            return models.Value(value, output_field=models.IntegerField())

        own = Permission.objects.filter(user=self).order_by().annotate(source=source(0))
        via_groups = (
            Permission.objects.filter(group__user=self).order_by().annotate(source=source(1))
        )
        # The user's roles (group names) come along in the same query: the menu reads them.
        roles_query = (
            Group.objects.filter(user=self)
            .order_by()
            .annotate(
                source=source(2),
                role=models.F("name"),
                blank=models.Value("", output_field=models.CharField()),
            )
        )
        rows = own.values_list("source", *fields).union(
            via_groups.values_list("source", *fields),
            roles_query.values_list("source", "role", "blank"),
            all=True,
        )
        user_perms: set[str] = set()
        group_perms: set[str] = set()
        roles: set[str] = set()
        for source_kind, app_label, codename in rows:
            if source_kind == 2:
                roles.add(app_label)
            else:
                target = group_perms if source_kind else user_perms
                target.add("%s.%s" % (app_label, codename))
        self._role_cache = roles
        self._user_perm_cache = user_perms
        self._group_perm_cache = group_perms
        self._perm_cache = user_perms | group_perms

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        self._prime_permission_cache()
        return super().has_perm(perm, obj)

    def has_module_perms(self, app_label: str) -> bool:
        self._prime_permission_cache()
        return super().has_module_perms(app_label)

    def get_all_permissions(self, obj: Any = None) -> set[str]:
        self._prime_permission_cache()
        return super().get_all_permissions(obj)

    def role_names(self) -> set[str]:
        self._prime_permission_cache()
        cache: set[str] | None = getattr(self, "_role_cache", None)
        if cache is None:
            cache = set(self.groups.values_list("name", flat=True))
            self._role_cache = cache
        return cache

    def has_role(self, *roles: Any) -> bool:
        return bool(self.role_names() & {str(r) for r in roles})

    @property
    def is_it_staff(self) -> bool:
        return self.has_role(Role.AGENT, Role.FRONT_LINE, Role.BACK_LINE, Role.MANAGER, Role.ADMIN)

    def group_ids(self) -> list[int]:
        cache: list[int] | None = getattr(self, "_group_id_cache", None)
        if cache is None:
            cache = list(SupportGroup.objects.filter(members=self).values_list("pk", flat=True))
            self._group_id_cache = cache
        return cache


class PasswordHistory(models.Model):
    """A password a user had (its hash), so that the last N are not used again."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(_("password hash"), max_length=128)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("previous password")
        verbose_name_plural = _("password history")

    def __str__(self) -> str:
        return "%s %s" % (self.user, self.created_at)

    def get_absolute_url(self) -> str:
        return reverse("admin:accounts_user_change", args=[self.user_id])


class ApiToken(models.Model):
    """A named API token of one user. Only a hash of the key is kept (the key is shown once,
    when it is made); a token stops working when it expires or is revoked."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True)
    prefix = models.CharField(_("key prefix"), max_length=8)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return "%s…" % self.prefix

    def get_absolute_url(self) -> str:
        return reverse("accounts:tokens")
