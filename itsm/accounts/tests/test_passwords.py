"""The password policy: the rules and their messages, history, Argon2, expiry, and the
forced change after an administrator set the password (through the real admin forms)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from itsm.accounts.models import PasswordHistory, User
from itsm.accounts.services import change_password
from itsm.core.models import AuditEntry
from itsm.core.testing import PASSWORD, BaseTestCase

NEW = "Ward7#night"
ARGON2_FIRST = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]


def messages_for(password: str, user: User, language: str) -> list[str]:
    with translation.override(language):
        try:
            validate_password(password, user)
        except ValidationError as exc:
            return list(exc.messages)
    return []


class PasswordRuleTests(BaseTestCase):
    def setUp(self) -> None:
        self.user = User(username="zhangwei", last_name="张", first_name="伟")

    def test_it_accepts_a_long_mixed_password(self) -> None:
        self.assertEqual(messages_for(NEW, self.user, "en"), [])

    def test_it_rejects_a_short_password(self) -> None:
        self.assertEqual(
            messages_for("Ab1!x", self.user, "en"),
            ["The password must have at least 8 characters."],
        )
        self.assertEqual(messages_for("Ab1!x", self.user, "zh-hans"), ["密码至少需要 8 个字符。"])

    def test_it_rejects_too_few_character_classes(self) -> None:
        self.assertEqual(
            messages_for("wardnight7", self.user, "en"),
            [
                "The password must mix at least 3 of: lower-case letters, upper-case letters, "
                "digits and other characters."
            ],
        )
        self.assertEqual(
            messages_for("wardnight7", self.user, "zh-hans"),
            ["密码须至少包含小写字母、大写字母、数字、其他字符中的 3 类。"],
        )

    def test_it_counts_chinese_and_punctuation_as_other_characters(self) -> None:
        self.assertEqual(messages_for("急诊wardnight7", self.user, "en"), [])

    @override_settings(ITSM_PASSWORD_MIN_LENGTH=12, ITSM_PASSWORD_MIN_CLASSES=4)
    def test_the_length_and_classes_come_from_the_settings(self) -> None:
        self.assertEqual(
            messages_for("Wardnight77", self.user, "en"),
            [
                "The password must have at least 12 characters.",
                "The password must mix at least 4 of: lower-case letters, upper-case letters, "
                "digits and other characters.",
            ],
        )

    def test_it_rejects_a_password_containing_the_user_name(self) -> None:
        self.assertEqual(
            messages_for("Zhangwei@2026 night", self.user, "en"),
            ["The password may not contain your user name."],
        )
        self.assertEqual(
            messages_for("Zhangwei@2026 night", self.user, "zh-hans"),
            ["密码不能包含您的用户名。"],
        )

    def test_it_rejects_a_password_similar_to_the_user_name(self) -> None:
        user = User(username="wangfang")
        self.assertIn(
            "The password is too similar to the username.", messages_for("Wangfan9!", user, "en")
        )
        self.assertIn("密码跟 用户名 太相似了。", messages_for("Wangfan9!", user, "zh-hans"))

    def test_it_rejects_a_common_password(self) -> None:
        self.assertEqual(
            messages_for("P@ssw0rd", self.user, "en"), ["This password is too common."]
        )
        self.assertEqual(messages_for("P@ssw0rd", self.user, "zh-hans"), ["这个密码太常见了。"])


class ChangePasswordTests(BaseTestCase):
    @override_settings(PASSWORD_HASHERS=ARGON2_FIRST)
    def test_a_new_password_is_hashed_with_argon2(self) -> None:
        change_password(self.nurse, NEW, actor=self.nurse)
        self.nurse.refresh_from_db()
        self.assertTrue(self.nurse.password.startswith("argon2$"))
        self.assertTrue(self.nurse.check_password(NEW))

    def test_it_records_the_change_and_audits_it_without_the_password(self) -> None:
        self.nurse.must_change_password = True
        self.nurse.save(update_fields=["must_change_password"])
        change_password(self.nurse, NEW, actor=self.nurse)
        self.nurse.refresh_from_db()
        self.assertFalse(self.nurse.must_change_password)
        self.assertIsNotNone(self.nurse.password_changed_at)
        entry = AuditEntry.objects.get(action="password_changed", object_id=self.nurse.pk)
        self.assertEqual(entry.actor, self.nurse)
        self.assertEqual(entry.changes, {"must_change_password": [True, False]})
        text = "%s %s" % (entry.changes, entry.note)
        self.assertNotIn(NEW, text)
        self.assertNotIn(self.nurse.password, text)

    def test_it_refuses_the_current_password(self) -> None:
        with self.assertRaises(ValidationError) as caught:
            change_password(self.nurse, PASSWORD, actor=self.nurse)
        self.assertEqual(caught.exception.code, "password_reused")

    @override_settings(ITSM_PASSWORD_HISTORY=3)
    def test_it_refuses_the_last_passwords_and_allows_older_ones(self) -> None:
        for password in (NEW, "Ward8#night"):
            change_password(self.nurse, password, actor=self.nurse)
        with (
            translation.override("en"),
            self.assertRaisesMessage(ValidationError, "differs from your last 3 passwords"),
        ):
            change_password(self.nurse, PASSWORD, actor=self.nurse)
        change_password(self.nurse, "Ward9#night", actor=self.nurse)
        change_password(self.nurse, PASSWORD, actor=self.nurse)  # four passwords ago
        self.assertTrue(User.objects.get(pk=self.nurse.pk).check_password(PASSWORD))
        self.assertEqual(PasswordHistory.objects.filter(user=self.nurse).count(), 2)

    @override_settings(ITSM_PASSWORD_HISTORY=0)
    def test_history_zero_turns_the_rule_off(self) -> None:
        change_password(self.nurse, PASSWORD, actor=self.nurse)
        self.assertFalse(PasswordHistory.objects.exists())

    def test_it_refuses_a_weak_password_and_changes_nothing(self) -> None:
        with self.assertRaises(ValidationError):
            change_password(self.nurse, "short", actor=self.nurse)
        self.nurse.refresh_from_db()
        self.assertTrue(self.nurse.check_password(PASSWORD))
        self.assertFalse(AuditEntry.objects.filter(action="password_changed").exists())

    def test_a_password_set_by_someone_else_must_be_changed(self) -> None:
        change_password(self.nurse, NEW, actor=self.admin)
        self.nurse.refresh_from_db()
        self.assertTrue(self.nurse.must_change_password)
        entry = AuditEntry.objects.get(action="password_reset", object_id=self.nurse.pk)
        self.assertEqual(entry.actor, self.admin)


class PasswordPageTests(BaseTestCase):
    url = reverse("accounts:password_change")

    def post(self, old: str, new: str, **extra: str) -> Any:
        data = {"old_password": old, "new_password1": new, "new_password2": new}
        return self.client.post(self.url, {**data, **extra})

    def test_the_user_changes_his_password_and_stays_signed_in(self) -> None:
        self.login(self.nurse)
        response = self.post(PASSWORD, NEW)
        self.assertRedirects(response, reverse("home"), fetch_redirect_response=False)
        self.nurse.refresh_from_db()
        self.assertTrue(self.nurse.check_password(NEW))
        self.assertEqual(self.client.get(reverse("portal:home")).status_code, 200)

    def test_a_wrong_old_password_is_a_400(self) -> None:
        self.login(self.nurse)
        response = self.post("Wrong#pass1", NEW)
        self.assertEqual(response.status_code, 400)
        self.nurse.refresh_from_db()
        self.assertTrue(self.nurse.check_password(PASSWORD))

    def test_a_reused_password_is_refused_on_the_page(self) -> None:
        self.nurse.language = "en"
        self.nurse.save(update_fields=["language"])
        self.login(self.nurse)
        response = self.post(PASSWORD, PASSWORD)
        self.assertContains(response, "You have used this password before", status_code=400)

    def test_a_weak_password_is_refused_in_the_users_language(self) -> None:
        self.nurse.language = "en"
        self.nurse.save(update_fields=["language"])
        self.login(self.nurse)
        response = self.post(PASSWORD, "wardnight7")
        self.assertContains(response, "must mix at least 3 of", status_code=400)

    def test_it_returns_to_the_page_the_user_was_going_to(self) -> None:
        self.login(self.nurse)
        response = self.post(PASSWORD, NEW, next="/notifications/")
        self.assertRedirects(response, "/notifications/", fetch_redirect_response=False)

    def test_the_user_menu_links_to_it(self) -> None:
        self.login(self.nurse)
        self.assertContains(self.client.get(reverse("portal:home")), 'href="%s"' % self.url)

    def test_anonymous_users_are_sent_to_sign_in(self) -> None:
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("login")))


class ForcedChangeTests(BaseTestCase):
    page = reverse("accounts:password_change")

    def expire(self, user: User, days: int) -> None:
        user.password_changed_at = timezone.now() - datetime.timedelta(days=days)
        user.save(update_fields=["password_changed_at"])

    @override_settings(ITSM_PASSWORD_MAX_AGE_DAYS=90)
    def test_an_expired_password_sends_pages_to_the_password_page(self) -> None:
        self.expire(self.agent, 91)
        self.login(self.agent)
        response = self.client.get(reverse("incidents:incident_list"))
        self.assertRedirects(
            response,
            "%s?next=%s" % (self.page, reverse("incidents:incident_list")),
            fetch_redirect_response=False,
        )
        self.assertContains(self.client.get(self.page), "alert-warning")

    @override_settings(ITSM_PASSWORD_MAX_AGE_DAYS=90)
    def test_a_password_younger_than_the_maximum_age_is_fine(self) -> None:
        self.expire(self.agent, 89)
        self.login(self.agent)
        self.assertEqual(self.client.get(reverse("incidents:incident_list")).status_code, 200)

    def test_passwords_never_expire_by_default(self) -> None:
        self.expire(self.agent, 3650)
        self.login(self.agent)
        self.assertEqual(self.client.get(reverse("incidents:incident_list")).status_code, 200)

    def test_api_requests_of_such_a_session_get_a_403_saying_why(self) -> None:
        self.agent.must_change_password = True
        self.agent.save(update_fields=["must_change_password"])
        self.login(self.agent)
        with translation.override("en"):
            response = self.client.get("/api/incidents/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertEqual(response.status_code, 403)
        self.assertIn("choose your own", response.json()["detail"])

    def test_sign_out_static_files_and_the_page_itself_stay_open(self) -> None:
        self.agent.must_change_password = True
        self.agent.save(update_fields=["must_change_password"])
        self.login(self.agent)
        self.assertEqual(self.client.get(self.page).status_code, 200)
        self.assertEqual(self.client.get("/static/itsm/app.css").status_code, 200)
        response = self.client.post(reverse("logout"))
        self.assertRedirects(response, reverse("login"), fetch_redirect_response=False)

    def test_an_account_made_in_the_admin_must_change_its_password_at_first_sign_in(
        self,
    ) -> None:
        self.login(self.admin)
        response = self.client.post(
            reverse("admin:accounts_user_add"),
            {
                "username": "liuyang",
                "usable_password": "true",
                "password1": NEW,
                "password2": NEW,
                "last_name": "刘",
                "first_name": "洋",
                "SupportGroup_members-TOTAL_FORMS": "0",
                "SupportGroup_members-INITIAL_FORMS": "0",
                "_save": "1",
            },
        )
        self.assertEqual(response.status_code, 302)
        user = User.objects.get(username="liuyang")
        self.assertTrue(user.must_change_password)
        self.assertTrue(user.check_password(NEW))
        entry = AuditEntry.objects.get(action="password_reset", object_id=user.pk)
        self.assertEqual(entry.actor, self.admin)

        self.client.logout()
        response = self.client.post(reverse("login"), {"username": "liuyang", "password": NEW})
        self.assertEqual(response.status_code, 302)
        response = self.client.get(reverse("home"))
        self.assertRedirects(response, self.page, fetch_redirect_response=False)
        response = self.client.post(
            self.page,
            {"old_password": NEW, "new_password1": "Own#choice9", "new_password2": "Own#choice9"},
        )
        self.assertRedirects(response, reverse("home"), fetch_redirect_response=False)
        user.refresh_from_db()
        self.assertFalse(user.must_change_password)
        self.assertEqual(self.client.get(reverse("notification_list")).status_code, 200)

    def test_the_admin_add_form_applies_the_same_rules(self) -> None:
        self.login(self.admin)
        response = self.client.post(
            reverse("admin:accounts_user_add"),
            {
                "username": "liuyang",
                "usable_password": "true",
                "password1": "liuyang2026",
                "password2": "liuyang2026",
                "SupportGroup_members-TOTAL_FORMS": "0",
                "SupportGroup_members-INITIAL_FORMS": "0",
                "_save": "1",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(User.objects.filter(username="liuyang").exists())

    def test_a_password_reset_in_the_admin_must_be_changed_and_respects_history(self) -> None:
        self.login(self.admin)
        url = reverse("admin:auth_user_password_change", args=[self.nurse.pk])
        refused = self.client.post(
            url, {"usable_password": "true", "password1": PASSWORD, "password2": PASSWORD}
        )
        self.assertEqual(refused.status_code, 200)
        self.assertTrue(refused.context["adminForm"].form.errors)
        response = self.client.post(
            url, {"usable_password": "true", "password1": NEW, "password2": NEW}
        )
        self.assertEqual(response.status_code, 302)
        self.nurse.refresh_from_db()
        self.assertTrue(self.nurse.check_password(NEW))
        self.assertTrue(self.nurse.must_change_password)
        entry = AuditEntry.objects.get(action="password_reset", object_id=self.nurse.pk)
        self.assertEqual(entry.actor, self.admin)
