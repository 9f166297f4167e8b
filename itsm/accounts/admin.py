"""Administration of the organisation: people and their roles, departments, vendors and
support groups. Roles themselves are code (accounts/roles.py), so they are shown, not edited."""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from itsm.accounts.choices import Role
from itsm.accounts.lockout import releasing
from itsm.accounts.models import Department, SupportGroup, User, Vendor
from itsm.accounts.passwords import AdminPasswordForm
from itsm.accounts.services import change_password
from itsm.core.admin import AuditedAdmin, ReadOnlyAdmin
from itsm.core.services import notify, write_audit

# Rendered in the site's language, like every robot post.
ROBOT_TEST_MESSAGE = _(
    "Test message for support group %(group)s: its notifications reach this chat."
)


def role_label(name: str) -> str:
    return str(Role(name).label) if name in Role.values else name


class SupportGroupMembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SupportGroup.members.through
    extra = 0
    autocomplete_fields = ("supportgroup",)
    verbose_name = _("support group")
    verbose_name_plural = _("support groups")


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):  # type: ignore[type-arg]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Personal info"),
            {
                "fields": (
                    "last_name",
                    "first_name",
                    "email",
                    "phone",
                    "department",
                    "job_title",
                    "language",
                )
            },
        ),
        # Roles are assigned by the security administrator on their own page (separation
        # of duties: services.set_user_roles), never here; groups, permissions and the
        # staff and superuser flags are not edited by hand.
        (_("Roles"), {"fields": ("roles_link",)}),
        (_("Account"), {"fields": ("is_active", "expires_on")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        (
            _("Personal info"),
            {"fields": ("last_name", "first_name", "phone", "department", "job_title")},
        ),
        (_("Account"), {"fields": ("expires_on",)}),
    )
    list_display = (
        "username",
        "full_name",
        "department",
        "job_title",
        "phone",
        "roles",
        "is_active",
    )
    list_select_related = ("department",)
    list_filter = ("groups", "is_active", "is_staff", "department__kind", "language")
    search_fields = (
        "username",
        "last_name",
        "first_name",
        "email",
        "phone",
        "job_title",
        "department__name",
    )
    autocomplete_fields = ("department",)
    inlines = (SupportGroupMembershipInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    # Passwords (accounts/passwords.py): a password an administrator sets, on a new account
    # or on "change password", goes through services.change_password: the same rules as
    # the user's own, audited, and to be changed by the user at his next sign-in.
    change_password_form = AdminPasswordForm

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        password = None if change else form.cleaned_data.get("password1")
        if password and form.cleaned_data.get("set_usable_password"):
            obj.set_unusable_password()
        else:
            password = None
        super().save_model(request, obj, form, change)
        if password:
            change_password(obj, password, actor=request.user)

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        # The form must know the administrator: a per-request copy, not a shared attribute.
        per_request = copy.copy(self)
        per_request.change_password_form = partial(  # type: ignore[assignment]
            AdminPasswordForm, actor=request.user
        )
        return super(UserAdmin, per_request).user_change_password(request, id, form_url)

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, user: User) -> str:
        return user.get_full_name()

    @admin.display(description=_("roles"))
    def roles_link(self, user: User) -> str:
        """The roles, and where the security administrator changes them."""
        return format_html(
            '{} <a class="ms-2" href="{}">{}</a>',
            self.roles(user) or "—",
            reverse("accounts:user_roles", args=[user.pk]),
            _("Change roles"),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return (*super().get_readonly_fields(request, obj), "roles_link")

    @admin.display(description=_("roles"))
    def roles(self, user: User) -> str:
        # Reads the prefetched groups: no query per row.
        # Translators: the separator between the items of a list ("、" in Chinese).
        return str(_(", ")).join(sorted(role_label(g.name) for g in user.groups.all()))


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "kind", "cost_centre", "parent", "location", "phone")
    list_select_related = ("parent",)
    list_filter = ("kind",)
    search_fields = ("code", "name", "cost_centre", "location")
    autocomplete_fields = ("parent",)


@admin.register(Vendor)
class VendorAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "contact_name", "phone", "email")
    search_fields = ("name", "contact_name", "phone", "email")


@admin.register(SupportGroup)
class SupportGroupAdmin(AuditedAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "name",
        "tier",
        "vendor",
        "lead",
        "member_count",
        "email",
        "robot_kind",
        "active",
    )
    list_select_related = ("vendor", "lead")
    list_filter = ("tier", "active", "vendor", "robot_kind")
    fieldsets = (
        (None, {"fields": ("name", "tier", "vendor", "lead", "members", "email", "active")}),
        (
            _("Chat robot"),
            {
                "description": _(
                    "Notifications for this group are also posted to its WeChat Work, "
                    "DingTalk or Feishu group through the group's custom robot."
                ),
                "fields": ("robot_kind", "robot_webhook_url", "robot_secret"),
            },
        ),
    )
    search_fields = ("name", "vendor__name", "email")
    autocomplete_fields = ("vendor", "lead")
    filter_horizontal = ("members",)

    actions = ("send_robot_test",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[SupportGroup]:
        queryset: QuerySet[SupportGroup] = super().get_queryset(request)
        return queryset.annotate(member_total=Count("members"))

    @admin.action(description=_("Send a test message to the chat robot"), permissions=("change",))
    def send_robot_test(self, request: HttpRequest, queryset: QuerySet[SupportGroup]) -> None:
        """Post a test message through each selected group's robot, the way real
        notifications go (a background task): the deliveries list shows the outcome."""
        groups = [group for group in queryset if group.has_robot]
        with transaction.atomic():
            for group in groups:
                notify([], group, ROBOT_TEST_MESSAGE, params={"group": group.name}, groups=[group])
                write_audit(group, actor=request.user, action="robot_test")
        self.message_user(
            request,
            ngettext(
                "A test message to %(count)d chat robot is queued: see Deliveries.",
                "Test messages to %(count)d chat robots are queued: see Deliveries.",
                len(groups),
            )
            % {"count": len(groups)},
        )

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, group: Any) -> int:
        return int(group.member_total)


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Roles are Django groups whose permissions are reset from accounts/roles.py after
    every migrate; edits here would silently vanish, so they are read-only. Give a user a
    role on the user's page."""

    list_display = ("name", "label")
    fields = ("name", "permissions")
    filter_horizontal = ("permissions",)

    @admin.display(description=_("role"))
    def label(self, group: Group) -> str:
        return role_label(group.name)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Sign-in lockouts (accounts/lockout.py): deleting a user name's attempts unlocks it; the
# release is audited with the administrator as its actor.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class LockoutAdmin(AccessAttemptAdmin):  # type: ignore[misc]
    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with releasing(request.user):
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        with releasing(request.user):
            super().delete_queryset(request, queryset)


# django-axes' records of sign-ins and failed sign-ins: a security log, read-only here
# (axes keeps and purges them by its own settings).
admin.site.unregister(AccessLog)
admin.site.unregister(AccessFailureLog)


@admin.register(AccessLog)
class SignInLogAdmin(ReadOnlyAdmin, AccessLogAdmin):  # type: ignore[misc]
    pass


@admin.register(AccessFailureLog)
class FailedSignInLogAdmin(ReadOnlyAdmin, AccessFailureLogAdmin):  # type: ignore[misc]
    pass


# A user's second-factor devices (accounts/mfa.py): an administrator may remove a lost
# phone's device, audited like every admin edit; the secret key is never shown again
# (OTP_ADMIN_HIDE_SENSITIVE_DATA) nor written into the audit log.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class MfaDeviceAdmin(AuditedAdmin, TOTPDeviceAdmin):  # type: ignore[misc]
    pass
