"""The 等保 self-check: live values with a verdict per line, for the security administrator
and the auditor only, as a page and as a PDF."""

from __future__ import annotations

import datetime

from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from itsm.accounts.choices import CheckVerdict
from itsm.accounts.models import User
from itsm.accounts.selfcheck import Check, run_checks
from itsm.core.models import AuditArchive, AuditEntry, BackupRecord
from itsm.core.services import write_audit
from itsm.core.testing import BaseTestCase, make_user

TEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PRODUCTION = {
    "DEBUG": False,
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 31536000,
}


def line(name: str) -> Check:
    """The check of that (English) name."""
    with translation.override("en"):
        (found,) = [check for check in run_checks() if str(check.name) == name]
    return found


class SelfCheckLineTests(BaseTestCase):
    def setUp(self) -> None:
        User.objects.update(last_login=timezone.now())

    def test_the_defaults_pass_the_password_lockout_and_session_lines(self) -> None:
        for name in (
            "Password minimum length",
            "Password character classes",
            "Password validators",
            "Password history",
            "Lockout after failed sign-ins",
            "Session idle timeout",
            "Audit log retention",
        ):
            with self.subTest(name=name):
                self.assertEqual(line(name).verdict, CheckVerdict.PASS, line(name))

    def test_password_storage_passes_with_argon2_first(self) -> None:
        argon2 = "django.contrib.auth.hashers.Argon2PasswordHasher"
        md5 = "django.contrib.auth.hashers.MD5PasswordHasher"  # the tests' fast hasher
        with override_settings(PASSWORD_HASHERS=[argon2, md5]):
            self.assertEqual(line("Password storage").verdict, CheckVerdict.PASS)
        with override_settings(PASSWORD_HASHERS=[md5, argon2]):
            self.assertEqual(line("Password storage").verdict, CheckVerdict.ATTENTION)

    @override_settings(ITSM_PASSWORD_MIN_LENGTH=6, ITSM_LOCKOUT_FAILURES=10)
    def test_weaker_settings_need_attention(self) -> None:
        self.assertEqual(line("Password minimum length").value, "6")
        self.assertEqual(line("Password minimum length").verdict, CheckVerdict.ATTENTION)
        self.assertEqual(line("Lockout after failed sign-ins").verdict, CheckVerdict.ATTENTION)

    @override_settings(ITSM_SESSION_IDLE_MINUTES=120, ITSM_AUDIT_RETENTION_DAYS=90)
    def test_a_long_idle_time_and_a_short_retention_need_attention(self) -> None:
        self.assertEqual(line("Session idle timeout").verdict, CheckVerdict.ATTENTION)
        self.assertIn("120", line("Session idle timeout").value)
        self.assertEqual(line("Audit log retention").verdict, CheckVerdict.ATTENTION)

    def test_a_superuser_is_a_finding_by_name(self) -> None:
        self.assertEqual(line("Superuser accounts").verdict, CheckVerdict.PASS)
        make_user("root", is_superuser=True)
        self.assertEqual(line("Superuser accounts").verdict, CheckVerdict.ATTENTION)
        self.assertIn("root", line("Superuser accounts").value)

    def test_separation_of_duties_passes_with_three_people_and_not_with_two_roles_in_one(
        self,
    ) -> None:
        name = "Separation of duties (三员分立)"
        self.assertEqual(line(name).verdict, CheckVerdict.PASS)
        # Behind the service's back (a shell, an old installation): the check still sees it.
        self.admin.groups.add(*self.auditor.groups.all())
        self.assertEqual(line(name).verdict, CheckVerdict.ATTENTION)
        self.assertIn("admin", line(name).value)

    def test_dormant_and_expired_accounts_still_active_are_findings(self) -> None:
        User.objects.filter(pk=self.doctor.pk).update(
            last_login=timezone.now() - datetime.timedelta(days=120)
        )
        User.objects.filter(pk=self.vendor.pk).update(
            expires_on=timezone.localdate() - datetime.timedelta(days=3)
        )
        dormant = line("Dormant accounts still active")
        self.assertEqual(dormant.verdict, CheckVerdict.ATTENTION)
        self.assertIn("doctor", dormant.value)
        expired = line("Expired accounts still active")
        self.assertEqual(expired.verdict, CheckVerdict.ATTENTION)
        self.assertIn("vendor", expired.value)

    def test_backups_and_restore_tests_are_read_from_their_records(self) -> None:
        self.assertEqual(line("Last backup").verdict, CheckVerdict.ATTENTION)
        self.assertEqual(line("Last restore test").verdict, CheckVerdict.ATTENTION)
        BackupRecord.objects.create(kind=BackupRecord.Kind.BACKUP, path="b1.tar")
        BackupRecord.objects.create(kind=BackupRecord.Kind.RESTORE, path="b1.tar")
        self.assertEqual(line("Last backup").verdict, CheckVerdict.PASS)
        self.assertEqual(line("Last restore test").verdict, CheckVerdict.PASS)
        BackupRecord.objects.create(kind=BackupRecord.Kind.BACKUP, path="b2.tar", ok=False)
        self.assertEqual(line("Last backup").verdict, CheckVerdict.ATTENTION)

    def test_an_old_backup_needs_attention(self) -> None:
        BackupRecord.objects.create(
            kind=BackupRecord.Kind.BACKUP,
            path="old.tar",
            created_at=timezone.now() - datetime.timedelta(days=5),
        )
        self.assertEqual(line("Last backup").verdict, CheckVerdict.ATTENTION)

    def test_the_oldest_audit_entry_is_shown_from_the_database_or_the_archive(self) -> None:
        entry = write_audit(self.nurse, actor=self.admin, action="update")
        AuditEntry.objects.filter(pk=entry.pk).update(
            created_at=datetime.datetime(2025, 1, 2, 3, 4, tzinfo=datetime.UTC)
        )
        self.assertIn("2025", line("Oldest audit entry").value)
        self.assertEqual(line("Oldest audit entry").verdict, CheckVerdict.INFO)
        AuditArchive.objects.create(
            path="audit-2024.jsonl.gz",
            first_seq=1,
            last_seq=10,
            last_hash="0" * 64,
            entries=10,
            oldest=datetime.datetime(2024, 5, 6, 7, 8, tzinfo=datetime.UTC),
            newest=datetime.datetime(2024, 6, 6, 7, 8, tzinfo=datetime.UTC),
            sha256="0" * 64,
        )
        self.assertIn("2024", line("Oldest audit entry").value)

    def test_mfa_coverage_counts_the_administrators(self) -> None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        mfa = line("Second factor (TOTP) for administrators")
        self.assertEqual(mfa.verdict, CheckVerdict.ATTENTION)
        self.assertIn("0", mfa.value)
        for persona in (self.admin, self.security_admin, self.auditor):
            TOTPDevice.objects.create(user=persona, name="phone", confirmed=True)
        self.assertEqual(line("Second factor (TOTP) for administrators").verdict, CheckVerdict.PASS)

    def test_development_settings_need_attention_and_production_ones_pass(self) -> None:
        names = ("Debug mode", "HTTPS redirect", "Secure cookies", "HSTS")
        with override_settings(DEBUG=True, SECURE_SSL_REDIRECT=False, SESSION_COOKIE_SECURE=False):
            for name in names:
                self.assertEqual(line(name).verdict, CheckVerdict.ATTENTION, name)
        with override_settings(**PRODUCTION):
            for name in names:
                self.assertEqual(line(name).verdict, CheckVerdict.PASS, name)


@override_settings(STORAGES=TEST_STORAGES)
class SelfCheckPageTests(BaseTestCase):
    url = reverse("accounts:self_check")
    pdf_url = reverse("accounts:self_check_pdf")

    def test_the_security_officers_read_the_page_in_chinese(self) -> None:
        for persona in (self.security_admin, self.auditor):
            self.login(persona)
            page = self.client.get(self.url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            with self.subTest(persona=persona.username):
                self.assertEqual(page.status_code, 200)
                self.assertEqual(len(page.context["checks"]), len(run_checks()))
                self.assertContains(page, 'data-verdict="attention"')

    def test_nobody_else_reads_it_not_even_a_superuser(self) -> None:
        superuser = make_user("root", is_superuser=True, is_staff=True)
        for persona in (self.admin, self.manager, self.vendor, self.nurse, superuser):
            self.login(persona)
            for url in (self.url, self.pdf_url):
                with self.subTest(persona=persona.username, url=url):
                    self.assertEqual(self.client.get(url).status_code, 403)

    def test_anonymous_visitors_are_sent_to_sign_in(self) -> None:
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])

    def test_it_changes_nothing(self) -> None:
        self.login(self.auditor)
        before = AuditEntry.objects.count()
        self.client.get(self.url)
        self.assertEqual(AuditEntry.objects.count(), before)
        self.assertEqual(self.client.post(self.url).status_code, 405)

    def test_the_pdf_is_a_pdf_of_the_same_lines(self) -> None:
        self.login(self.security_admin)
        response = self.client.get(self.pdf_url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertTrue(response.content.startswith(b"%PDF-"))
        self.assertIn("attachment;", response["Content-Disposition"])
