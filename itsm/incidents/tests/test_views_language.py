"""Chinese first: pages are in Chinese unless the browser asks for English or the user
chose English; the choice is kept on his account."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from itsm.accounts.models import User
from itsm.core.models import AuditEntry
from itsm.incidents.tests.ui import UITestCase


class LanguageTests(UITestCase):
    def test_the_login_page_is_chinese_by_default(self) -> None:
        response = self.client.get(reverse("login"))
        self.assertContains(response, '<html lang="zh-hans">')
        self.assertContains(response, "登录")

    def test_a_browser_asking_for_english_gets_english(self) -> None:
        response = self.client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(response, '<html lang="en">')
        self.assertContains(response, "Log in")
        self.assertNotContains(response, "登录")

    def test_a_users_language_wins_over_the_browsers(self) -> None:
        self.nurse.language = "en"
        self.nurse.save(update_fields=["language"])
        self.login(self.nurse)
        response = self.client.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="zh-CN")
        self.assertContains(response, '<html lang="en">')

    def test_choosing_a_language_saves_it_on_the_account_and_in_the_cookie(self) -> None:
        self.login(self.agent)
        response = self.client.post(
            reverse("user_language"), {"language": "en", "next": reverse("incidents:incident_list")}
        )
        self.assertRedirects(
            response, reverse("incidents:incident_list"), fetch_redirect_response=False
        )
        self.assertEqual(User.objects.get(pk=self.agent.pk).language, "en")
        self.assertEqual(response.cookies[settings.LANGUAGE_COOKIE_NAME].value, "en")
        page = self.client.get(reverse("incidents:incident_list"))
        self.assertContains(page, '<html lang="en">')
        entry = AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User),
            object_id=self.agent.pk,
            action="update",
        ).get()
        self.assertEqual(entry.actor, self.agent)
        self.assertEqual(entry.changes, {"language": ["", "en"]})

    def test_an_unknown_language_is_refused(self) -> None:
        self.login(self.agent)
        response = self.client.post(reverse("user_language"), {"language": "tlh"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(User.objects.get(pk=self.agent.pk).language, "")
        self.assertFalse(AuditEntry.objects.filter(action="update").exists())

    def test_next_may_not_leave_the_site(self) -> None:
        self.login(self.agent)
        response = self.client.post(
            reverse("user_language"), {"language": "en", "next": "https://evil.example/"}
        )
        self.assertEqual(response["Location"], reverse("home"))

    def test_field_errors_come_in_the_users_language(self) -> None:
        self.login(self.agent)
        response = self.client.post(reverse("incidents:incident_create"), {"title": ""})
        self.assertContains(response, "该字段是必填项", status_code=400)
        english = self.client.post(
            reverse("incidents:incident_create"), {"title": ""}, HTTP_ACCEPT_LANGUAGE="en"
        )
        self.assertContains(english, "This field is required.", status_code=400)
