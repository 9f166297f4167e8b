"""The 等保 (classified protection, level 3) self-check: the live values of the security
controls an assessor asks about, each with a verdict. One function computes the lines; the
page and its PDF show them. Read-only: it changes nothing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.db.models import Count, Max, Min, Q
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from itsm.accounts.choices import SEPARATED_ROLES, CheckVerdict, Role
from itsm.accounts.models import User
from itsm.accounts.services import dormant_accounts, expired_accounts
from itsm.core.models import AuditArchive, AuditEntry, AuditSeal, BackupRecord

# What level 3 asks, and what the hospital's security officer expects, as thresholds.
MIN_PASSWORD_LENGTH = 8
MIN_PASSWORD_CLASSES = 3
MAX_LOCKOUT_FAILURES = 5
MIN_LOCKOUT_MINUTES = 15
MAX_IDLE_MINUTES = 30
MIN_AUDIT_RETENTION_DAYS = 180  # the Cybersecurity Law: logs kept at least six months
MAX_BACKUP_AGE = datetime.timedelta(days=2)  # a daily backup, with a day's slack
MAX_RESTORE_TEST_AGE = datetime.timedelta(days=92)  # a restore drill every quarter
MIN_HSTS_SECONDS = 180 * 24 * 3600

AREA_AUTHENTICATION = _("Identification and authentication")
AREA_ACCESS = _("Access control")
AREA_AUDIT = _("Security audit")
AREA_BACKUP = _("Data backup and recovery")
AREA_TRANSPORT = _("Transport and deployment")


@dataclass(frozen=True)
class Check:
    """One line of the self-check: what is checked, its live value, the verdict, and what
    passes."""

    area: Promise
    name: Promise
    value: str
    verdict: CheckVerdict
    expected: Promise | str = ""

    @property
    def passed(self) -> bool:
        return self.verdict == CheckVerdict.PASS


def _verdict(ok: bool) -> CheckVerdict:
    return CheckVerdict.PASS if ok else CheckVerdict.ATTENTION


def _yes_no(value: bool) -> str:
    return str(_("on") if value else _("off"))


def _when(value: datetime.datetime | None) -> str:
    if value is None:
        return str(_("never"))
    return str(formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT"))


def _names(users: Any, limit: int = 5) -> str:
    """Up to `limit` user names, then how many more."""
    names = [user.username for user in users[: limit + 1]]
    shown = ", ".join(names[:limit])
    return shown + (" …" if len(names) > limit else "")


def _counted(count: int, users: Any) -> str:
    if not count:
        return str(_("none"))
    return "%d (%s)" % (count, _names(users))


def administrators() -> Any:
    """Active holders of the three administrators' roles, and superusers."""
    return User.objects.filter(is_active=True).filter(
        Q(groups__name__in=SEPARATED_ROLES) | Q(is_superuser=True)
    )


def password_checks() -> list[Check]:
    configured: list[Any] = settings.AUTH_PASSWORD_VALIDATORS
    validators = [str(v["NAME"]).rsplit(".", 1)[-1] for v in configured]
    hasher = settings.PASSWORD_HASHERS[0].rsplit(".", 1)[-1]
    max_age = settings.ITSM_PASSWORD_MAX_AGE_DAYS
    area = AREA_AUTHENTICATION
    return [
        Check(
            area,
            _("Password minimum length"),
            str(settings.ITSM_PASSWORD_MIN_LENGTH),
            _verdict(settings.ITSM_PASSWORD_MIN_LENGTH >= MIN_PASSWORD_LENGTH),
            _("at least %(n)d characters") % {"n": MIN_PASSWORD_LENGTH},
        ),
        Check(
            area,
            _("Password character classes"),
            str(settings.ITSM_PASSWORD_MIN_CLASSES),
            _verdict(settings.ITSM_PASSWORD_MIN_CLASSES >= MIN_PASSWORD_CLASSES),
            _("at least %(n)d of lower case, upper case, digits, symbols")
            % {"n": MIN_PASSWORD_CLASSES},
        ),
        Check(
            area,
            _("Password validators"),
            ", ".join(validators),
            _verdict(
                "UserAttributeSimilarityValidator" in validators
                and "CommonPasswordValidator" in validators
            ),
            _("checked against the user's name and a common-password list"),
        ),
        Check(
            area,
            _("Password storage"),
            hasher,
            _verdict(hasher.startswith("Argon2")),
            _("Argon2"),
        ),
        Check(
            area,
            _("Password expiry"),
            str(
                ngettext("%(n)d day", "%(n)d days", max_age) % {"n": max_age}
                if max_age
                else _("does not expire")
            ),
            _verdict(max_age > 0),
            _("passwords are changed periodically"),
        ),
        Check(
            area,
            _("Password history"),
            str(
                ngettext(
                    "the last %(n)d password",
                    "the last %(n)d passwords",
                    settings.ITSM_PASSWORD_HISTORY,
                )
                % {"n": settings.ITSM_PASSWORD_HISTORY}
            ),
            _verdict(settings.ITSM_PASSWORD_HISTORY > 0),
            _("earlier passwords are not used again"),
        ),
    ]


def session_checks() -> list[Check]:
    failures = settings.ITSM_LOCKOUT_FAILURES
    minutes = settings.ITSM_LOCKOUT_MINUTES
    idle = settings.ITSM_SESSION_IDLE_MINUTES
    return [
        Check(
            AREA_AUTHENTICATION,
            _("Lockout after failed sign-ins"),
            str(
                _("%(failures)d failures in %(window)d minutes lock for %(minutes)d minutes")
                % {
                    "failures": failures,
                    "window": settings.ITSM_LOCKOUT_WINDOW_MINUTES,
                    "minutes": minutes,
                }
            ),
            _verdict(0 < failures <= MAX_LOCKOUT_FAILURES and minutes >= MIN_LOCKOUT_MINUTES),
            _("at most %(failures)d failures, locked at least %(minutes)d minutes")
            % {"failures": MAX_LOCKOUT_FAILURES, "minutes": MIN_LOCKOUT_MINUTES},
        ),
        Check(
            AREA_AUTHENTICATION,
            _("Session idle timeout"),
            str(ngettext("%(n)d minute", "%(n)d minutes", idle) % {"n": idle}),
            _verdict(0 < idle <= MAX_IDLE_MINUTES),
            _("at most %(n)d minutes") % {"n": MAX_IDLE_MINUTES},
        ),
        mfa_check(),
    ]


def mfa_check() -> Check:
    """Administrators with a confirmed TOTP device, of all administrators. django-otp is
    read only when it is installed."""
    name = _("Second factor (TOTP) for administrators")
    expected = _("every administrator, security administrator and auditor")
    if not apps.is_installed("django_otp.plugins.otp_totp"):
        return Check(
            AREA_AUTHENTICATION, name, str(_("not available")), CheckVerdict.ATTENTION, expected
        )
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admins = administrators().distinct()
    total = admins.count()
    enrolled = (
        admins.filter(pk__in=TOTPDevice.objects.filter(confirmed=True).values("user_id"))
        .distinct()
        .count()
    )
    value = _("%(enrolled)d of %(total)d") % {"enrolled": enrolled, "total": total}
    if settings.ITSM_MFA_REQUIRED:
        value = "%s · %s" % (value, _("required by the settings"))
    return Check(AREA_AUTHENTICATION, name, str(value), _verdict(enrolled == total), expected)


def account_checks(now: datetime.datetime) -> list[Check]:
    superusers = User.objects.filter(is_active=True, is_superuser=True).order_by("username")
    dormant = dormant_accounts(now).order_by("username")
    expired = expired_accounts(now).order_by("username")
    doubled = (
        User.objects.filter(is_active=True, groups__name__in=SEPARATED_ROLES)
        .annotate(separated=Count("groups"))
        .filter(separated__gt=1)
        .order_by("username")
    )
    holders = set(
        Group.objects.filter(name__in=SEPARATED_ROLES, user__is_active=True).values_list(
            "name", flat=True
        )
    )
    missing = [str(Role(role).label) for role in SEPARATED_ROLES if role not in holders]
    doubled_count = doubled.count()
    separation = (
        str(_("roles without anybody: %(roles)s") % {"roles": ", ".join(missing)})
        if missing
        else str(_("three roles, three people"))
        if not doubled_count
        else str(_("held together by: %(users)s") % {"users": _names(doubled)})
    )
    superuser_count = superusers.count()
    dormant_count = dormant.count()
    expired_count = expired.count()
    return [
        Check(
            AREA_ACCESS,
            _("Separation of duties (三员分立)"),
            separation,
            _verdict(not missing and not doubled_count),
            _("system administrator, security administrator and auditor are three people"),
        ),
        Check(
            AREA_ACCESS,
            _("Superuser accounts"),
            _counted(superuser_count, superusers),
            _verdict(not superuser_count),
            _("none: a superuser bypasses every role"),
        ),
        Check(
            AREA_ACCESS,
            _("Dormant accounts still active"),
            _counted(dormant_count, dormant),
            _verdict(not dormant_count),
            _("none unused for more than %(n)d days") % {"n": settings.ITSM_DORMANT_DAYS},
        ),
        Check(
            AREA_ACCESS,
            _("Expired accounts still active"),
            _counted(expired_count, expired),
            _verdict(not expired_count),
            _("none past its expiry date"),
        ),
    ]


def audit_checks(now: datetime.datetime) -> list[Check]:
    retention = settings.ITSM_AUDIT_RETENTION_DAYS
    oldest_candidates = [
        value
        for value in (
            AuditEntry.objects.aggregate(oldest=Min("created_at"))["oldest"],
            AuditArchive.objects.aggregate(oldest=Min("oldest"))["oldest"],
        )
        if value is not None
    ]
    oldest = min(oldest_candidates) if oldest_candidates else None
    seal = AuditSeal.objects.first()
    newest_seq = AuditEntry.objects.aggregate(newest=Max("seq"))["newest"]
    unsealed = AuditEntry.objects.filter(seq__isnull=True).count()
    sealed_to = seal.last_seq if seal is not None else 0
    chain = _("sealed up to no. %(seq)d") % {"seq": sealed_to}
    if unsealed:
        chain = "%s · %s" % (
            chain,
            ngettext("%(n)d entry waits", "%(n)d entries wait", unsealed) % {"n": unsealed},
        )
    return [
        Check(
            AREA_AUDIT,
            _("Audit log retention"),
            str(ngettext("%(n)d day", "%(n)d days", retention) % {"n": retention}),
            _verdict(retention >= MIN_AUDIT_RETENTION_DAYS),
            _("at least %(n)d days (six months)") % {"n": MIN_AUDIT_RETENTION_DAYS},
        ),
        Check(
            AREA_AUDIT,
            _("Oldest audit entry"),
            _when(oldest),
            CheckVerdict.INFO,
            _("in the database or its archive files"),
        ),
        Check(
            AREA_AUDIT,
            _("Audit hash chain"),
            str(chain),
            _verdict(newest_seq is None or sealed_to >= newest_seq),
            _("every entry chained; `itsm audit verify` checks it"),
        ),
    ]


def backup_checks(now: datetime.datetime) -> list[Check]:
    lines = []
    for kind, name, max_age, expected in (
        (
            BackupRecord.Kind.BACKUP,
            _("Last backup"),
            MAX_BACKUP_AGE,
            _("a successful backup in the last %(n)d days") % {"n": MAX_BACKUP_AGE.days},
        ),
        (
            BackupRecord.Kind.RESTORE,
            _("Last restore test"),
            MAX_RESTORE_TEST_AGE,
            _("a successful restore test in the last %(n)d days")
            % {"n": MAX_RESTORE_TEST_AGE.days},
        ),
    ):
        last = BackupRecord.objects.filter(kind=kind).order_by("-created_at", "-id").first()
        if last is None:
            value = str(_("never"))
        else:
            value = "%s · %s" % (_when(last.created_at), _("succeeded") if last.ok else _("failed"))
        ok = last is not None and last.ok and now - last.created_at <= max_age
        lines.append(Check(AREA_BACKUP, name, value, _verdict(ok), expected))
    return lines


def transport_checks() -> list[Check]:
    hsts = settings.SECURE_HSTS_SECONDS
    return [
        Check(
            AREA_TRANSPORT,
            _("Debug mode"),
            _yes_no(settings.DEBUG),
            _verdict(not settings.DEBUG),
            _("off in production"),
        ),
        Check(
            AREA_TRANSPORT,
            _("HTTPS redirect"),
            _yes_no(settings.SECURE_SSL_REDIRECT),
            _verdict(settings.SECURE_SSL_REDIRECT),
            _("on (or done by the reverse proxy)"),
        ),
        Check(
            AREA_TRANSPORT,
            _("Secure cookies"),
            _yes_no(settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE),
            _verdict(settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE),
            _("session and CSRF cookies sent over HTTPS only"),
        ),
        Check(
            AREA_TRANSPORT,
            _("HSTS"),
            str(ngettext("%(n)d day", "%(n)d days", hsts // 86400) % {"n": hsts // 86400})
            if hsts
            else _yes_no(False),
            _verdict(hsts >= MIN_HSTS_SECONDS),
            _("at least %(n)d days") % {"n": MIN_HSTS_SECONDS // 86400},
        ),
    ]


def run_checks(now: datetime.datetime | None = None) -> list[Check]:
    """Every line of the self-check, by area, with the values of this moment."""
    now = now or timezone.now()
    return [
        *password_checks(),
        *session_checks(),
        *account_checks(now),
        *audit_checks(now),
        *backup_checks(now),
        *transport_checks(),
    ]
