"""The second factor (TOTP): enrolment through the page, the code asked after the password,
wrong codes audited and ended at five, the API token sign-in asking for the code, and
ITSM_MFA_REQUIRED sending administrators to enrol."""

from __future__ import annotations

import time
from typing import Any

from django.test import Client, override_settings
from django_otp.oath import hotp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from itsm.accounts.mfa import MAX_FAILURES
from itsm.accounts.models import User
from itsm.api.tests.support import ApiTestCase
from itsm.core.models import AuditEntry
from itsm.core.testing import PASSWORD

PAGE = "/notifications/"
ENROL = "/account/mfa/"
VERIFY = "/account/mfa/verify/"


def next_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now, or the next one if now's was used (a
    code is accepted once; django-otp allows one step of clock drift)."""
    device.refresh_from_db()
    now_t = (int(time.time()) - device.t0) // device.step + device.drift
    return "%0*d" % (device.digits, hotp(device.bin_key, max(now_t, device.last_t + 1)))


def wrong_code(device: TOTPDevice) -> str:
    right = {next_code(device)}
    return next(c for c in ("000000", "111111", "222222") if c not in right)


def enrolled(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="TOTP", confirmed=True)


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
class EnrolmentTests(ApiTestCase):
    def setUp(self) -> None:
        self.login(self.engineer)

    def test_the_user_enrols_by_scanning_and_confirming_a_code(self) -> None:
        page = self.client.get(ENROL)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "<svg")
        device = TOTPDevice.objects.get(user=self.engineer, confirmed=False)
        self.assertContains(page, page.context["secret"])
        # The same device (and QR code) on reload.
        self.client.get(ENROL)
        self.assertEqual(TOTPDevice.objects.filter(user=self.engineer).count(), 1)

        response = self.client.post(ENROL, {"otp": wrong_code(device)})
        self.assertEqual(response.status_code, 400)
        self.assertIn("otp", response.context["form"].errors)
        device.refresh_from_db()
        self.assertFalse(device.confirmed)
        self.assertTrue(AuditEntry.objects.filter(action="mfa:failed").exists())

        response = self.client.post(ENROL, {"otp": next_code(device)})
        self.assertRedirects(response, ENROL, fetch_redirect_response=False)
        device.refresh_from_db()
        self.assertTrue(device.confirmed)
        self.assertTrue(AuditEntry.objects.filter(action="mfa:enable").exists())
        # This session counts as verified: pages open without asking again.
        self.assertEqual(self.client.get(PAGE).status_code, 200)

    def test_enrolling_ends_the_users_other_sessions(self) -> None:
        other = Client()
        other.force_login(self.engineer)
        self.client.get(ENROL)
        device = TOTPDevice.objects.get(user=self.engineer)
        self.client.post(ENROL, {"otp": next_code(device)})
        self.assertEqual(other.get(PAGE).status_code, 302)
        self.assertEqual(self.client.get(PAGE).status_code, 200)

    def test_the_qr_code_carries_the_issuer_and_the_key(self) -> None:
        page = self.client.get(ENROL)
        device = TOTPDevice.objects.get(user=self.engineer)
        self.assertIn("issuer=", device.config_url)
        self.assertEqual(
            page.context["secret"].replace(" ", ""),
            device.config_url.split("secret=")[1].split("&")[0],
        )

    def test_turning_it_off_needs_a_right_code(self) -> None:
        device = enrolled(self.engineer)
        self.login(self.engineer)
        self.client.post(VERIFY, {"otp": next_code(device)})
        response = self.client.post(ENROL, {"otp": wrong_code(device)})
        self.assertEqual(response.status_code, 400)
        self.assertTrue(TOTPDevice.objects.filter(user=self.engineer).exists())
        response = self.client.post(ENROL, {"otp": next_code(device)})
        self.assertRedirects(response, ENROL, fetch_redirect_response=False)
        self.assertFalse(TOTPDevice.objects.filter(user=self.engineer).exists())
        self.assertTrue(AuditEntry.objects.filter(action="mfa:disable").exists())


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
class VerificationTests(ApiTestCase):
    def setUp(self) -> None:
        self.device = enrolled(self.engineer)

    def sign_in(self) -> None:
        response = self.client.post("/login/", {"username": "engineer", "password": PASSWORD})
        self.assertEqual(response.status_code, 302)

    def test_after_the_password_pages_ask_for_the_code_then_open(self) -> None:
        self.sign_in()
        response = self.client.get(PAGE)
        self.assertRedirects(response, "%s?next=%s" % (VERIFY, PAGE), fetch_redirect_response=False)
        self.assertEqual(self.client.get(response["Location"]).status_code, 200)
        response = self.client.post(VERIFY, {"otp": next_code(self.device), "next": PAGE})
        self.assertRedirects(response, PAGE, fetch_redirect_response=False)
        self.assertEqual(self.client.get(PAGE).status_code, 200)
        self.assertTrue(AuditEntry.objects.filter(action="mfa:verify").exists())

    def test_an_unverified_session_cannot_use_the_api_nor_other_account_pages(self) -> None:
        self.sign_in()
        response = self.client.get("/api/users/me/", headers={"Accept": "application/json"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.client.get(ENROL).status_code, 302)
        self.assertEqual(self.client.get("/account/tokens/").status_code, 302)

    def test_an_htmx_request_is_sent_to_the_code_page(self) -> None:
        self.sign_in()
        response = self.client.get(PAGE, headers={"HX-Request": "true"})
        self.assertTrue(response["HX-Redirect"].startswith(VERIFY))

    def test_a_wrong_code_is_refused_and_audited(self) -> None:
        self.sign_in()
        response = self.client.post(VERIFY, {"otp": wrong_code(self.device)})
        self.assertEqual(response.status_code, 400)
        self.assertIn("otp", response.context["form"].errors)
        self.assertEqual(self.client.get(PAGE).status_code, 302)
        entry = AuditEntry.objects.get(action="mfa:failed")
        self.assertEqual(entry.actor, self.engineer)

    def test_a_code_is_accepted_only_once(self) -> None:
        code = next_code(self.device)
        self.sign_in()
        self.client.post(VERIFY, {"otp": code})
        other = Client()
        other.post("/login/", {"username": "engineer", "password": PASSWORD})
        self.assertEqual(other.post(VERIFY, {"otp": code}).status_code, 400)

    def test_the_fifth_wrong_code_ends_the_session(self) -> None:
        self.sign_in()
        for _ in range(MAX_FAILURES - 1):
            self.assertEqual(
                self.client.post(VERIFY, {"otp": wrong_code(self.device)}).status_code, 400
            )
        response = self.client.post(VERIFY, {"otp": wrong_code(self.device), "next": PAGE})
        self.assertRedirects(response, "/login/?next=%s" % PAGE, fetch_redirect_response=False)
        self.assertNotIn("_auth_user_id", self.client.session)
        # Signed out: even the right code now needs a new sign-in first.
        self.assertEqual(self.client.post(VERIFY, {"otp": next_code(self.device)}).status_code, 302)
        self.assertEqual(self.client.get(PAGE).status_code, 302)
        self.assertEqual(AuditEntry.objects.filter(action="mfa:failed").count(), MAX_FAILURES)
        self.assertTrue(AuditEntry.objects.filter(action="mfa:too_many_failures").exists())

    def test_the_code_page_may_be_left_by_signing_out(self) -> None:
        self.sign_in()
        self.assertEqual(self.client.post("/logout/").status_code, 302)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_a_user_without_a_device_is_never_asked(self) -> None:
        self.login(self.nurse)
        self.assertEqual(self.client.get(PAGE).status_code, 200)
        self.assertRedirects(self.client.get(VERIFY), "/", fetch_redirect_response=False)

    def test_a_next_address_elsewhere_is_ignored(self) -> None:
        self.sign_in()
        response = self.client.post(
            VERIFY, {"otp": next_code(self.device), "next": "https://evil.example/"}
        )
        self.assertRedirects(response, "/", fetch_redirect_response=False)


@override_settings(OTP_TOTP_THROTTLE_FACTOR=3600)
class ThrottleTests(ApiTestCase):
    def test_a_code_sent_right_after_a_wrong_one_waits_and_does_not_count(self) -> None:
        device = enrolled(self.engineer)
        self.client.post("/login/", {"username": "engineer", "password": PASSWORD})
        self.client.post(VERIFY, {"otp": wrong_code(device)})
        response = self.client.post(VERIFY, {"otp": next_code(device)})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.client.get(PAGE).status_code, 302)
        self.assertEqual(AuditEntry.objects.filter(action="mfa:failed").count(), 1)


@override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
class TokenSignInTests(ApiTestCase):
    URL = "/api/auth/token/"

    def setUp(self) -> None:
        self.device = enrolled(self.engineer)

    def post(self, **extra: str) -> Any:
        body = {"username": "engineer", "password": PASSWORD, **extra}
        return APIClient().post(self.URL, body, format="json")

    def test_a_user_with_a_device_must_send_the_code(self) -> None:
        self.assert_error_fields(self.post(), "otp")
        self.assert_error_fields(self.post(otp=""), "otp")

    def test_a_wrong_code_is_refused_and_audited(self) -> None:
        self.assert_error_fields(self.post(otp=wrong_code(self.device)), "otp")
        self.assertTrue(AuditEntry.objects.filter(action="mfa:failed", note="api").exists())

    def test_the_right_code_gives_a_token(self) -> None:
        response = self.post(otp=next_code(self.device))
        self.assertEqual(response.status_code, 200)

    def test_a_wrong_password_is_refused_before_the_code_is_looked_at(self) -> None:
        response = APIClient().post(self.URL, {"username": "engineer", "password": "x"})
        self.assert_error_fields(response, "non_field_errors")


@override_settings(ITSM_MFA_REQUIRED=True, OTP_TOTP_THROTTLE_FACTOR=0)
class RequiredTests(ApiTestCase):
    def test_an_administrator_without_a_device_is_sent_to_enrol(self) -> None:
        self.login(self.admin)
        response = self.client.get(PAGE)
        self.assertRedirects(response, ENROL, fetch_redirect_response=False)
        self.assertEqual(self.client.get(ENROL).status_code, 200)
        api = self.client.get("/api/users/me/", headers={"Accept": "application/json"})
        self.assertEqual(api.status_code, 403)

    def test_after_enrolling_the_administrator_goes_on(self) -> None:
        self.login(self.admin)
        self.client.get(ENROL)
        device = TOTPDevice.objects.get(user=self.admin)
        self.client.post(ENROL, {"otp": next_code(device)})
        self.assertEqual(self.client.get(PAGE).status_code, 200)

    def test_an_administrator_cannot_turn_it_off(self) -> None:
        device = enrolled(self.admin)
        self.login(self.admin)
        self.client.post(VERIFY, {"otp": next_code(device)})
        response = self.client.post(ENROL, {"otp": next_code(device)})
        self.assertEqual(response.status_code, 400)
        self.assertTrue(TOTPDevice.objects.filter(user=self.admin).exists())

    def test_an_administrator_gets_no_api_token_without_a_device(self) -> None:
        response = APIClient().post(
            "/api/auth/token/", {"username": "admin", "password": PASSWORD}, format="json"
        )
        self.assert_error_fields(response, "otp")

    def test_other_roles_are_not_asked(self) -> None:
        self.login(self.agent)
        self.assertEqual(self.client.get(PAGE).status_code, 200)

    @override_settings(ITSM_MFA_REQUIRED=False)
    def test_without_the_setting_administrators_are_not_asked(self) -> None:
        self.login(self.admin)
        self.assertEqual(self.client.get(PAGE).status_code, 200)
