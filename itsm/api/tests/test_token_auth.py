"""Signing in to the API: POST /api/auth/token/ exchanges a username and password for a
token sent as `Authorization: Token <token>`; browsers use their session."""

from __future__ import annotations

from rest_framework.test import APIClient

from itsm.api.tests.support import ApiTestCase
from itsm.core.testing import PASSWORD

TOKEN = "/api/auth/token/"


class TokenAuthTests(ApiTestCase):
    def test_good_credentials_give_a_token_that_signs_requests_in(self) -> None:
        client = APIClient()
        response = client.post(TOKEN, {"username": "nurse", "password": PASSWORD}, format="json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(set(response.data), {"token", "expires_at"})
        client.credentials(HTTP_AUTHORIZATION="Token " + response.data["token"])
        me = client.get("/api/users/me/")
        self.assertEqual(me.status_code, 200)
        self.assertEqual(me.data["username"], "nurse")
        # Every sign-in makes its own token (only a hash of each key is kept).
        again = APIClient().post(TOKEN, {"username": "nurse", "password": PASSWORD})
        self.assertNotEqual(again.data["token"], response.data["token"])

    def test_bad_credentials_are_refused_with_400(self) -> None:
        for body in (
            {"username": "nurse", "password": "wrong"},
            {"username": "nobody", "password": PASSWORD},
        ):
            with self.subTest(body=body):
                response = APIClient().post(TOKEN, body, format="json")
                self.assert_error_fields(response, "non_field_errors")

    def test_missing_credentials_are_named(self) -> None:
        response = APIClient().post(TOKEN, {}, format="json")
        self.assert_error_fields(response, "username", "password")

    def test_a_deactivated_user_gets_no_token(self) -> None:
        self.nurse.is_active = False
        self.nurse.save(update_fields=["is_active"])
        response = APIClient().post(TOKEN, {"username": "nurse", "password": PASSWORD})
        self.assertEqual(response.status_code, 400)

    def test_the_token_endpoint_only_takes_post(self) -> None:
        self.assertEqual(APIClient().get(TOKEN).status_code, 405)

    def test_requests_without_or_with_a_bad_token_answer_401(self) -> None:
        anonymous = APIClient().get("/api/incidents/")
        self.assertEqual(anonymous.status_code, 401)
        self.assertEqual(anonymous["WWW-Authenticate"], "Token")
        self.assertEqual(set(anonymous.data), {"detail"})
        forged = APIClient()
        forged.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
        self.assertEqual(forged.get("/api/incidents/").status_code, 401)

    def test_a_browser_session_works_too(self) -> None:
        self.client.force_login(self.agent)
        response = self.client.get("/api/incidents/", HTTP_ACCEPT="application/json")
        self.assertEqual(response.status_code, 200)

    def test_a_session_write_needs_the_csrf_token(self) -> None:
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(self.nurse)
        response = client.post("/api/incidents/", {"title": "打印机卡纸"}, format="json")
        self.assertEqual(response.status_code, 403)

    def test_the_api_root_lists_the_endpoints(self) -> None:
        response = self.api(self.agent).get("/api/")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(
            {"incidents", "departments", "groups", "users", "vendors", "services", "cis"}
            <= set(response.data)
        )
        self.assertEqual(APIClient().get("/api/").status_code, 401)
