"""Sessions end after ITSM_SESSION_IDLE_MINUTES without a request, and SESSION_COOKIE_AGE
after sign-in at the latest; "sign out everywhere" ends every session of the user."""

from __future__ import annotations

import time

from django.conf import settings
from django.test import Client, override_settings
from django.utils.translation import gettext

from itsm.accounts.sessions import LAST_SEEN, SIGNED_IN_AT, WRITE_EVERY_SECONDS
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase

PAGE = "/notifications/"
TIMED_OUT = "Your session timed out. Please sign in again."


class IdleTimeoutTests(BaseTestCase):
    def setUp(self) -> None:
        self.login(self.agent)

    def move_back(self, key: str, seconds: float) -> None:
        """Pretend the session's clock was set `seconds` earlier."""
        session = self.client.session
        session[key] = session[key] - seconds
        session.save()

    def test_a_session_idle_past_the_limit_is_sent_to_sign_in_with_a_message(self) -> None:
        self.move_back(LAST_SEEN, settings.ITSM_SESSION_IDLE_MINUTES * 60 + 5)
        response = self.client.get(PAGE)
        self.assertRedirects(response, "/login/?next=%s" % PAGE, fetch_redirect_response=False)
        login_page = self.client.get(response["Location"])
        self.assertContains(login_page, gettext(TIMED_OUT))
        self.assertNotIn("_auth_user_id", self.client.session)
        # Signed out for good: the next page asks for a sign-in too, without the message.
        again = self.client.get(PAGE)
        self.assertEqual(again.status_code, 302)

    def test_a_session_used_within_the_limit_stays_and_its_clock_restarts(self) -> None:
        self.move_back(LAST_SEEN, settings.ITSM_SESSION_IDLE_MINUTES * 60 - 60)
        before = self.client.session[LAST_SEEN]
        response = self.client.get(PAGE)
        self.assertEqual(response.status_code, 200)
        self.assertGreater(self.client.session[LAST_SEEN], before)

    def test_requests_within_a_minute_do_not_write_the_session(self) -> None:
        self.move_back(LAST_SEEN, WRITE_EVERY_SECONDS - 20)
        stored = self.client.session[LAST_SEEN]
        self.assertEqual(self.client.get(PAGE).status_code, 200)
        self.assertEqual(self.client.session[LAST_SEEN], stored)

    @override_settings(ITSM_SESSION_IDLE_MINUTES=5)
    def test_the_idle_limit_is_configurable(self) -> None:
        self.move_back(LAST_SEEN, 6 * 60)
        self.assertEqual(self.client.get(PAGE).status_code, 302)

    def test_an_htmx_request_is_redirected_with_hx_redirect(self) -> None:
        self.move_back(LAST_SEEN, settings.ITSM_SESSION_IDLE_MINUTES * 60 + 5)
        response = self.client.get(
            PAGE, headers={"HX-Request": "true", "HX-Current-URL": "/incidents/"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["HX-Redirect"], "/login/?next=/incidents/")

    def test_an_api_request_on_a_timed_out_session_is_refused(self) -> None:
        self.move_back(LAST_SEEN, settings.ITSM_SESSION_IDLE_MINUTES * 60 + 5)
        response = self.client.get("/api/incidents/", headers={"Accept": "application/json"})
        self.assertEqual(response.status_code, 401)

    def test_an_active_session_still_ends_at_the_absolute_limit(self) -> None:
        self.move_back(SIGNED_IN_AT, settings.SESSION_COOKIE_AGE + 5)
        self.assertEqual(self.client.get(PAGE).status_code, 302)

    def test_a_session_from_before_the_clocks_gets_them(self) -> None:
        session = self.client.session
        del session[LAST_SEEN], session[SIGNED_IN_AT]
        session.save()
        self.assertEqual(self.client.get(PAGE).status_code, 200)
        self.assertAlmostEqual(self.client.session[LAST_SEEN], time.time(), delta=60)
        self.assertIn(SIGNED_IN_AT, self.client.session)

    def test_anonymous_requests_are_untouched(self) -> None:
        self.client.logout()
        self.assertEqual(self.client.get("/login/").status_code, 200)


class SignOutEverywhereTests(BaseTestCase):
    URL = "/account/sessions/end/"

    def test_it_ends_every_session_of_the_user_and_no_one_elses(self) -> None:
        here, elsewhere, colleague = Client(), Client(), Client()
        here.force_login(self.engineer)
        elsewhere.force_login(self.engineer)
        colleague.force_login(self.agent)
        self.assertEqual(elsewhere.get(PAGE).status_code, 200)

        response = here.post(self.URL)
        self.assertRedirects(response, "/login/", fetch_redirect_response=False)
        self.assertEqual(here.get(PAGE).status_code, 302)
        self.assertEqual(elsewhere.get(PAGE).status_code, 302)
        self.assertEqual(colleague.get(PAGE).status_code, 200)
        entry = AuditEntry.objects.get(action="session:end_all")
        self.assertEqual((entry.actor, entry.object_id), (self.engineer, self.engineer.pk))

    def test_the_user_can_sign_in_again_afterwards(self) -> None:
        self.login(self.engineer)
        self.client.post(self.URL)
        self.client.force_login(self.reload(self.engineer))
        self.assertEqual(self.client.get(PAGE).status_code, 200)

    def test_api_tokens_keep_working(self) -> None:
        self.login(self.engineer)
        self.client.post(self.URL)
        self.assertEqual(self.api(self.engineer).get("/api/users/me/").status_code, 200)

    def test_it_takes_only_a_post_from_a_signed_in_user(self) -> None:
        self.assertEqual(self.client.post(self.URL).status_code, 302)
        self.login(self.engineer)
        self.assertEqual(self.client.get(self.URL).status_code, 405)
        self.assertFalse(AuditEntry.objects.filter(action="session:end_all").exists())


class SecurityPageTests(BaseTestCase):
    def test_it_shows_the_user_his_security_settings(self) -> None:
        self.login(self.nurse)
        response = self.client.get("/account/")
        self.assertEqual(response.status_code, 200)
        for url in ("/account/tokens/", "/account/mfa/", "/account/sessions/end/"):
            self.assertContains(response, url)
        self.assertContains(response, str(settings.ITSM_SESSION_IDLE_MINUTES))

    def test_the_user_menu_links_to_it(self) -> None:
        self.login(self.nurse)
        self.assertContains(self.client.get(PAGE), 'href="/account/"')

    def test_it_asks_for_a_sign_in(self) -> None:
        response = self.client.get("/account/")
        self.assertRedirects(response, "/login/?next=/account/", fetch_redirect_response=False)
