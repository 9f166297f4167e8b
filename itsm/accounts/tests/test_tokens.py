"""API tokens: made with a key shown once (only its hash is kept), listed by their owner,
refused with a 401 that says why once expired or revoked, revoked by their owner only."""

from __future__ import annotations

import datetime

from django.test import override_settings
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.test import APIClient

from itsm.accounts.models import ApiToken
from itsm.accounts.tokens import create_token, hash_key, revoke_token
from itsm.api.tests.support import ApiTestCase, page
from itsm.core.models import AuditEntry
from itsm.core.testing import PASSWORD

ME = "/api/users/me/"
TOKENS = "/api/auth/tokens/"


def client_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + key)
    return client


class CreateTokenTests(ApiTestCase):
    @override_settings(ITSM_API_TOKEN_DAYS=30)
    def test_it_keeps_only_a_hash_and_expires_after_the_configured_days(self) -> None:
        token, key = create_token(self.engineer, actor=self.engineer, name="监控")
        self.assertEqual(token.key_hash, hash_key(key))
        self.assertNotIn(key, str(ApiToken.objects.filter(pk=token.pk).values().get()))
        self.assertEqual(token.prefix, key[:8])
        assert token.expires_at is not None
        self.assertEqual(token.expires_at - token.created_at, datetime.timedelta(days=30))
        entry = AuditEntry.objects.get(action="token:create", object_id=token.pk)
        self.assertEqual((entry.actor, entry.note), (self.engineer, "监控"))

    def test_two_tokens_have_different_keys(self) -> None:
        keys = {create_token(self.engineer, actor=self.engineer)[1] for _ in range(2)}
        self.assertEqual(len(keys), 2)


class TokenAuthenticationTests(ApiTestCase):
    def setUp(self) -> None:
        self.token, self.key = create_token(self.engineer, actor=self.engineer, name="脚本")

    def test_a_valid_key_signs_in_and_marks_the_token_used(self) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            response = client_with(self.key).get(ME)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.data["username"], "engineer")
        self.token.refresh_from_db()
        self.assertIsNotNone(self.token.last_used_at)

    def test_the_last_use_is_written_at_most_once_a_minute(self) -> None:
        recent = timezone.now() - datetime.timedelta(seconds=30)
        ApiToken.objects.filter(pk=self.token.pk).update(last_used_at=recent)
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            self.assertEqual(client_with(self.key).get(ME).status_code, 200)
        self.assertEqual(callbacks, [])
        self.token.refresh_from_db()
        self.assertEqual(self.token.last_used_at, recent)

    def assert_refused(self, key: str, message: str) -> None:
        response = client_with(key).get(ME)
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response["WWW-Authenticate"], "Token")
        self.assertEqual(str(response.data["detail"]), gettext(message))

    def test_an_expired_token_is_refused_with_a_clear_401(self) -> None:
        self.token.expires_at = timezone.now() - datetime.timedelta(seconds=1)
        self.token.save(update_fields=["expires_at"])
        self.assert_refused(self.key, "This token has expired: make a new one.")

    def test_a_revoked_token_is_refused_with_a_clear_401(self) -> None:
        revoke_token(self.token, actor=self.engineer)
        self.assert_refused(self.key, "This token has been revoked.")
        self.assertTrue(AuditEntry.objects.filter(action="token:revoke").exists())

    def test_an_unknown_key_and_a_malformed_header_are_refused(self) -> None:
        self.assert_refused("x" + self.key[1:], "Invalid token.")
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token")
        self.assertEqual(client.get(ME).status_code, 401)
        client.credentials(HTTP_AUTHORIZATION="Token a b")
        self.assertEqual(client.get(ME).status_code, 401)

    def test_a_disabled_users_token_is_refused(self) -> None:
        self.engineer.is_active = False
        self.engineer.save(update_fields=["is_active"])
        self.assert_refused(self.key, "This token's user is disabled.")

    def test_the_calendar_feed_accepts_a_token_until_it_is_revoked(self) -> None:
        feed = "/changes/calendar.ics"
        self.assertEqual(client_with(self.key).get(feed).status_code, 200)
        revoke_token(self.token, actor=self.engineer)
        self.assertEqual(client_with(self.key).get(feed).status_code, 401)


class TokenEndpointTests(ApiTestCase):
    URL = "/api/auth/token/"

    def test_a_sign_in_makes_a_new_token_each_time(self) -> None:
        answers = [
            APIClient().post(self.URL, {"username": "nurse", "password": PASSWORD})
            for _ in range(2)
        ]
        for answer in answers:
            self.assertEqual(answer.status_code, 200)
            self.assertEqual(set(answer.data), {"token", "expires_at"})
            self.assertEqual(client_with(answer.data["token"]).get(ME).status_code, 200)
        self.assertNotEqual(answers[0].data["token"], answers[1].data["token"])
        self.assertEqual(
            ApiToken.objects.filter(user=self.nurse, key_hash=hash_key(answers[0].data["token"]))
            .get()
            .expires_at,
            answers[0].data["expires_at"],
        )

    def test_a_wrong_password_makes_no_token(self) -> None:
        before = ApiToken.objects.count()
        response = APIClient().post(self.URL, {"username": "nurse", "password": "x"})
        self.assert_error_fields(response, "non_field_errors")
        self.assertEqual(ApiToken.objects.count(), before)


class TokenApiTests(ApiTestCase):
    def setUp(self) -> None:
        self.mine, _key = create_token(self.engineer, actor=self.engineer, name="mine")
        self.theirs, _key = create_token(self.agent, actor=self.agent, name="theirs")

    def test_the_list_shows_only_the_users_own_tokens_without_keys(self) -> None:
        rows = page(self.api(self.engineer).get(TOKENS))
        self.assertEqual(
            set(rows[0]),
            {"id", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"},
        )
        ids = {row["id"] for row in rows}
        self.assertIn(self.mine.pk, ids)
        self.assertNotIn(self.theirs.pk, ids)
        self.assertEqual(
            set(ApiToken.objects.filter(pk__in=ids).values_list("user", flat=True)),
            {self.engineer.pk},
        )

    def test_delete_revokes_the_users_own_token(self) -> None:
        response = self.api(self.engineer).delete("%s%d/" % (TOKENS, self.mine.pk))
        self.assertEqual(response.status_code, 204)
        self.mine.refresh_from_db()
        self.assertIsNotNone(self.mine.revoked_at)
        # Still listed, as revoked: the history stays.
        rows = page(self.api(self.engineer).get(TOKENS))
        self.assertTrue(any(r["id"] == self.mine.pk and r["revoked_at"] for r in rows))

    def test_another_users_token_is_404_and_stays_valid(self) -> None:
        response = self.api(self.engineer).delete("%s%d/" % (TOKENS, self.theirs.pk))
        self.assertEqual(response.status_code, 404)
        self.theirs.refresh_from_db()
        self.assertIsNone(self.theirs.revoked_at)

    def test_anonymous_requests_are_401(self) -> None:
        self.assertEqual(APIClient().get(TOKENS).status_code, 401)
        self.assertEqual(APIClient().delete("%s%d/" % (TOKENS, self.mine.pk)).status_code, 401)


class TokenPageTests(ApiTestCase):
    URL = "/account/tokens/"

    def setUp(self) -> None:
        self.login(self.engineer)

    def test_making_a_token_shows_its_key_once(self) -> None:
        response = self.client.post(self.URL, {"name": "Zabbix 告警", "days": 30})
        self.assertEqual(response.status_code, 200)
        token = ApiToken.objects.get(user=self.engineer, name="Zabbix 告警")
        key = response.context["new_key"]
        self.assertEqual(hash_key(key), token.key_hash)
        self.assertContains(response, key)
        self.assertEqual(client_with(key).get(ME).status_code, 200)
        listing = self.client.get(self.URL)
        self.assertContains(listing, "Zabbix 告警")
        self.assertNotContains(listing, key)

    @override_settings(ITSM_API_TOKEN_DAYS=90)
    def test_a_token_cannot_outlive_the_configured_days(self) -> None:
        before = ApiToken.objects.count()
        response = self.client.post(self.URL, {"name": "长期", "days": 91})
        self.assertEqual(response.status_code, 400)
        self.assertIn("days", response.context["form"].errors)
        response = self.client.post(self.URL, {"name": "", "days": 10})
        self.assertIn("name", response.context["form"].errors)
        self.assertEqual(ApiToken.objects.count(), before)

    def test_the_user_revokes_his_own_token_but_not_anothers(self) -> None:
        mine, key = create_token(self.engineer, actor=self.engineer, name="mine")
        theirs, _key = create_token(self.agent, actor=self.agent, name="theirs")
        response = self.client.post("%s%d/revoke/" % (self.URL, mine.pk))
        self.assertRedirects(response, self.URL, fetch_redirect_response=False)
        self.assertEqual(client_with(key).get(ME).status_code, 401)
        self.assertEqual(self.client.post("%s%d/revoke/" % (self.URL, theirs.pk)).status_code, 404)
        theirs.refresh_from_db()
        self.assertIsNone(theirs.revoked_at)

    def test_the_list_shows_only_the_users_tokens(self) -> None:
        create_token(self.agent, actor=self.agent, name="别人的令牌")
        response = self.client.get(self.URL)
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "别人的令牌")
        self.assertTrue(all(t.user_id == self.engineer.pk for t, _ in response.context["rows"]))
