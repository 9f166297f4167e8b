"""Sign-ins in the audit log: login, logout and failed logins, with the source address and
the browser, written through the real sign-in page."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.test import TestCase
from django.urls import reverse

from itsm.accounts.models import User
from itsm.core.models import AuditEntry
from itsm.core.testing import PASSWORD

BROWSER = "Mozilla/5.0 (Windows NT 10.0) Chrome/120 护士站"


class SignInAuditTests(TestCase):
    user: User

    @classmethod
    def setUpTestData(cls) -> None:
        cls.user = User.objects.create_user("nurse-wang", password=PASSWORD)

    def sign_in(self, username: str, password: str) -> None:
        self.client.post(
            reverse("login"),
            {"username": username, "password": password},
            REMOTE_ADDR="10.20.30.40",
            HTTP_USER_AGENT=BROWSER,
        )

    def latest(self) -> AuditEntry:
        entry = AuditEntry.objects.order_by("-id").first()
        assert entry is not None
        return entry

    def test_a_login_is_recorded_with_address_and_browser(self) -> None:
        self.sign_in("nurse-wang", PASSWORD)
        entry = AuditEntry.objects.get(action="login")
        self.assertEqual(entry.actor, self.user)
        self.assertEqual(entry.target, self.user)
        self.assertEqual(entry.ip_address, "10.20.30.40")
        self.assertEqual(entry.note, BROWSER)
        self.assertTrue(entry.request_id)

    def test_a_logout_is_recorded(self) -> None:
        self.sign_in("nurse-wang", PASSWORD)
        self.client.post(reverse("logout"), REMOTE_ADDR="10.20.30.41", HTTP_USER_AGENT=BROWSER)
        entry = AuditEntry.objects.get(action="logout")
        self.assertEqual((entry.actor, entry.target), (self.user, self.user))
        self.assertEqual(entry.ip_address, "10.20.30.41")

    def test_signing_out_while_signed_out_records_nothing(self) -> None:
        self.client.post(reverse("logout"))
        self.assertFalse(AuditEntry.objects.filter(action="logout").exists())

    def test_a_wrong_password_is_recorded_against_the_account(self) -> None:
        self.sign_in("nurse-wang", "wrong-password")
        entry = AuditEntry.objects.get(action="login_failed")
        self.assertIsNone(entry.actor)
        self.assertEqual(entry.target, self.user)
        self.assertEqual(entry.ip_address, "10.20.30.40")
        self.assertIn(BROWSER, entry.note)
        self.assertNotIn("wrong-password", entry.note)
        self.assertFalse(AuditEntry.objects.filter(action="login").exists())

    def test_an_unknown_name_is_recorded_against_no_account(self) -> None:
        self.sign_in("no-such-user", "whatever-1A")
        entry = AuditEntry.objects.get(action="login_failed")
        self.assertIsNone(entry.actor)
        self.assertEqual(entry.content_type, ContentType.objects.get_for_model(get_user_model()))
        self.assertEqual(entry.object_id, 0)
        self.assertIn("no-such-user", entry.note)
        self.assertNotIn("whatever-1A", entry.note)

    def test_the_page_answers_the_same_for_unknown_and_known_names(self) -> None:
        known = self.client.post(
            reverse("login"), {"username": "nurse-wang", "password": "wrong-password"}
        )
        unknown = self.client.post(
            reverse("login"), {"username": "no-such-user", "password": "wrong-password"}
        )
        self.assertEqual(known.status_code, unknown.status_code)
        self.assertEqual(AuditEntry.objects.filter(action="login_failed").count(), 2)

    def test_a_very_long_user_agent_is_cut(self) -> None:
        self.client.post(
            reverse("login"),
            {"username": "nurse-wang", "password": PASSWORD},
            HTTP_USER_AGENT="x" * 5000,
        )
        self.assertEqual(len(AuditEntry.objects.get(action="login").note), 300)
