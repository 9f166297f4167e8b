"""Accounts unused for ITSM_DORMANT_DAYS and accounts past their expiry date are disabled by
the periodic job, audited; an expired account cannot sign in even before the job runs."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from itsm.accounts.models import User
from itsm.accounts.services import disable_dormant_accounts
from itsm.accounts.tokens import create_token
from itsm.core.models import AuditEntry
from itsm.core.testing import PASSWORD, BaseTestCase

TEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def disabled_entries(user: User) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type__model="user", object_id=user.pk, action="account_disabled"
        )
    )


class DormantAccountTests(BaseTestCase):
    def setUp(self) -> None:
        # Every persona signed in yesterday; each test makes its own one dormant.
        User.objects.update(last_login=days_ago(1))

    def test_an_account_unused_for_the_dormant_days_is_disabled_and_audited(self) -> None:
        User.objects.filter(pk=self.doctor.pk).update(last_login=days_ago(91))
        self.assertEqual(disable_dormant_accounts(), 1)
        doctor = self.reload(self.doctor)
        self.assertFalse(doctor.is_active)
        (entry,) = disabled_entries(doctor)
        self.assertIsNone(entry.actor)
        self.assertEqual(entry.note, "dormant")
        self.assertEqual(entry.changes, {"is_active": [True, False]})

    def test_an_account_used_within_the_dormant_days_stays(self) -> None:
        User.objects.filter(pk=self.doctor.pk).update(last_login=days_ago(89))
        self.assertEqual(disable_dormant_accounts(), 0)
        self.assertTrue(self.reload(self.doctor).is_active)

    @override_settings(ITSM_DORMANT_DAYS=30)
    def test_the_dormant_days_are_a_setting(self) -> None:
        User.objects.filter(pk=self.doctor.pk).update(last_login=days_ago(31))
        self.assertEqual(disable_dormant_accounts(), 1)

    def test_an_account_never_used_counts_from_the_day_it_was_made(self) -> None:
        User.objects.filter(pk=self.doctor.pk).update(last_login=None, date_joined=days_ago(91))
        User.objects.filter(pk=self.nurse.pk).update(last_login=None, date_joined=days_ago(10))
        self.assertEqual(disable_dormant_accounts(), 1)
        self.assertFalse(self.reload(self.doctor).is_active)
        self.assertTrue(self.reload(self.nurse).is_active)

    def test_an_integration_that_uses_its_api_token_is_not_dormant(self) -> None:
        token, _ = create_token(self.agent, actor=self.agent, name="zabbix")
        token.last_used_at = days_ago(2)
        token.save(update_fields=["last_used_at"])
        User.objects.filter(pk=self.agent.pk).update(last_login=None, date_joined=days_ago(400))
        self.assertEqual(disable_dormant_accounts(), 0)
        self.assertTrue(self.reload(self.agent).is_active)

    def test_running_again_disables_nothing_more(self) -> None:
        User.objects.filter(pk=self.doctor.pk).update(last_login=days_ago(91))
        disable_dormant_accounts()
        self.assertEqual(disable_dormant_accounts(), 0)
        self.assertEqual(len(disabled_entries(self.doctor)), 1)

    def test_the_job_runs_periodically(self) -> None:
        paths = [path for path, _ in settings.ITSM_PERIODIC_JOBS]
        self.assertIn("itsm.accounts.services.disable_dormant_accounts", paths)


class ExpiredAccountTests(BaseTestCase):
    def expire(self, user: User, days: int) -> None:
        User.objects.filter(pk=user.pk).update(
            expires_on=timezone.localdate() + datetime.timedelta(days=days),
            last_login=days_ago(1),
        )

    def test_an_account_past_its_last_day_is_disabled_with_the_reason(self) -> None:
        User.objects.update(last_login=days_ago(1))
        self.expire(self.vendor, -1)
        self.expire(self.other_vendor, 0)
        self.assertEqual(disable_dormant_accounts(), 1)
        self.assertFalse(self.reload(self.vendor).is_active)
        self.assertTrue(self.reload(self.other_vendor).is_active)
        (entry,) = disabled_entries(self.vendor)
        self.assertEqual(entry.note, "expired")

    def test_an_expired_account_cannot_sign_in_even_before_the_job(self) -> None:
        self.expire(self.vendor, -1)
        self.assertIsNone(authenticate(username="vendor", password=PASSWORD))
        response = self.client.post(reverse("login"), {"username": "vendor", "password": PASSWORD})
        self.assertNotEqual(response.status_code, 302)

    def test_on_its_last_day_the_account_still_signs_in(self) -> None:
        self.expire(self.vendor, 0)
        self.assertIsNotNone(authenticate(username="vendor", password=PASSWORD))

    def test_a_session_signed_in_before_the_expiry_ends(self) -> None:
        self.login(self.vendor)
        self.assertEqual(self.client.get(reverse("incidents:incident_list")).status_code, 200)
        self.expire(self.vendor, -1)
        response = self.client.get(reverse("incidents:incident_list"))
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])


@override_settings(STORAGES=TEST_STORAGES)
class ExpiryInTheAdminTests(BaseTestCase):
    def test_the_system_administrator_sets_the_expiry_date(self) -> None:
        self.login(self.admin)
        url = reverse("admin:accounts_user_change", args=[self.vendor.pk])
        form = self.client.get(url).context["adminform"].form
        data = {
            name: value
            for name, value in form.initial.items()
            if value is not None and name in form.fields and name != "password"
        }
        data.update(
            {
                "username": "vendor",
                "expires_on": "2027-03-31",
                "is_active": "on",
                "date_joined_0": "2026-01-01",
                "date_joined_1": "08:00:00",
                "SupportGroup_members-TOTAL_FORMS": "0",
                "SupportGroup_members-INITIAL_FORMS": "0",
            }
        )
        data.pop("last_login", None)
        data.pop("date_joined", None)
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 302, response.content[:3000])
        self.assertEqual(self.reload(self.vendor).expires_on, datetime.date(2027, 3, 31))
