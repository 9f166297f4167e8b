"""Sign-in failures lock the name (and, past a higher threshold, the address), over real
HTTP requests to the sign-in page and the API token endpoint; the answer never tells whether
the name exists; the lockout and its release are audited."""

from __future__ import annotations

import datetime
import io
import re
from typing import Any

from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db.models import F
from django.test import override_settings
from django.urls import reverse

from itsm.accounts.lockout import LOCK_EXPIRED, UNLOCKED, USER_LOCKED
from itsm.accounts.models import User
from itsm.core.models import AuditEntry
from itsm.core.testing import PASSWORD, BaseTestCase

LOGIN = reverse("login")
WRONG = "Wrong#pass1"
LOCKED_EN = (
    "The user name or password is wrong, or the account is locked for a while after too many "
    "failed sign-ins. Try again in 15 minutes, or call the service desk."
)


def alert(response: Any) -> str:
    """The text of the sign-in page's error box."""
    match = re.search(
        r'<div class="alert alert-danger[^"]*" role="alert">(.*?)</div>', response.content.decode()
    )
    return match.group(1) if match else ""


def page(response: Any, name: str) -> str:
    """The page without the user name it echoes and without CSRF tokens (64 characters)."""
    text = response.content.decode().replace(name, "NAME")
    return re.sub(r"[A-Za-z0-9]{64}", "", text)


class LockoutTests(BaseTestCase):
    def sign_in(self, username: str, password: str, address: str = "10.1.1.7") -> Any:
        return self.client.post(
            LOGIN,
            {"username": username, "password": password},
            REMOTE_ADDR=address,
            HTTP_ACCEPT_LANGUAGE="en",
        )

    def fail_sign_in(self, username: str, times: int, address: str = "10.1.1.7") -> list[Any]:
        return [self.sign_in(username, WRONG, address) for _ in range(times)]

    def test_four_failures_do_not_lock(self) -> None:
        for response in self.fail_sign_in("nurse", 4):
            self.assertEqual(response.status_code, 200)
            self.assertNotIn("locked", alert(response))
        self.assertEqual(self.sign_in("nurse", PASSWORD).status_code, 302)

    def test_the_fifth_failure_locks_the_name_even_for_the_right_password(self) -> None:
        *_, fifth = self.fail_sign_in("nurse", 5)
        self.assertEqual(fifth.status_code, 429)
        self.assertEqual(alert(fifth), LOCKED_EN)
        right = self.sign_in("nurse", PASSWORD)
        self.assertEqual(right.status_code, 429)
        self.assertEqual(alert(right), LOCKED_EN)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_the_lock_holds_from_another_address(self) -> None:
        self.fail_sign_in("nurse", 5)
        self.assertEqual(self.sign_in("nurse", PASSWORD, address="10.9.9.9").status_code, 429)

    def test_an_unknown_name_gets_exactly_the_same_answers(self) -> None:
        known = [*self.fail_sign_in("nurse", 5), self.sign_in("nurse", PASSWORD)]
        unknown = [*self.fail_sign_in("nobody", 5), self.sign_in("nobody", PASSWORD)]
        for real, made_up in zip(known, unknown, strict=True):
            self.assertEqual(real.status_code, made_up.status_code)
            self.assertEqual(alert(real), alert(made_up))
        # Whole pages too, once the name echoed in the form and the CSRF token are taken out.
        self.assertEqual(page(known[-1], "nurse"), page(unknown[-1], "nobody"))
        self.assertEqual(page(known[0], "nurse"), page(unknown[0], "nobody"))

    def test_failures_of_different_people_on_one_ward_address_lock_nobody(self) -> None:
        for name in ("nurse", "doctor", "agent", "engineer", "manager"):
            self.fail_sign_in(name, 4)
        self.assertEqual(self.sign_in("nurse", PASSWORD).status_code, 302)

    @override_settings(ITSM_LOCKOUT_ADDRESS_FAILURES=8)
    def test_many_names_from_one_address_lock_the_address(self) -> None:
        for name in ("a1", "a2", "a3", "a4"):
            self.fail_sign_in(name, 2)
        self.assertEqual(self.sign_in("nurse", PASSWORD).status_code, 429)
        self.assertEqual(self.sign_in("nurse", PASSWORD, address="10.2.2.2").status_code, 302)
        entry = AuditEntry.objects.get(action="login_address_locked")
        self.assertEqual(entry.note, "10.1.1.7")

    @override_settings(ITSM_LOCKOUT_ADDRESS_FAILURES=0)
    def test_address_zero_never_locks_an_address(self) -> None:
        for name in ("a1", "a2", "a3", "a4", "a5", "a6"):
            self.fail_sign_in(name, 4)
        self.assertEqual(self.sign_in("nurse", PASSWORD).status_code, 302)

    def test_the_lockout_of_a_user_is_audited_on_the_user(self) -> None:
        self.fail_sign_in("nurse", 7)
        entry = AuditEntry.objects.get(action=USER_LOCKED)
        self.assertEqual(entry.target, self.nurse)
        self.assertIsNone(entry.actor)
        self.assertEqual(entry.note, "nurse")
        self.assertEqual(entry.ip_address, "10.1.1.7")

    def test_the_lockout_of_an_unknown_name_is_audited_with_the_name(self) -> None:
        self.fail_sign_in("nobody", 5)
        entry = AuditEntry.objects.get(action=USER_LOCKED)
        self.assertEqual(entry.content_type, ContentType.objects.get_for_model(AccessAttempt))
        self.assertIsNone(entry.actor)
        self.assertEqual(entry.note, "nobody")

    def test_the_lock_expires_after_the_cool_off_and_the_release_is_audited(self) -> None:
        self.fail_sign_in("nurse", 5)
        AccessAttempt.objects.update(
            attempt_time=F("attempt_time") - datetime.timedelta(minutes=16)
        )
        self.assertEqual(self.sign_in("nurse", PASSWORD).status_code, 302)
        entry = AuditEntry.objects.get(action=LOCK_EXPIRED)
        self.assertEqual(entry.target, self.nurse)
        self.assertIsNone(entry.actor)
        self.assertFalse(AccessAttempt.objects.exists())

    def test_the_lock_still_holds_before_the_cool_off_ends(self) -> None:
        self.fail_sign_in("nurse", 5)
        AccessAttempt.objects.update(
            attempt_time=F("attempt_time") - datetime.timedelta(minutes=14)
        )
        self.assertEqual(self.sign_in("nurse", PASSWORD).status_code, 429)
        self.assertFalse(AuditEntry.objects.filter(action__in=(LOCK_EXPIRED, UNLOCKED)).exists())

    def test_an_administrator_unlocks_in_the_admin_and_is_audited(self) -> None:
        self.fail_sign_in("nurse", 5)
        # The security administrator unlocks (the roles grant him these; given here so the
        # test does not depend on the role table).
        officer = self.security_admin
        officer.is_staff = True
        officer.save(update_fields=["is_staff"])
        officer.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label="axes",
                codename__in=("view_accessattempt", "delete_accessattempt"),
            )
        )
        self.client.force_login(officer)
        response = self.client.post(
            reverse("admin:axes_accessattempt_changelist"),
            {
                "action": "delete_selected",
                "_selected_action": list(AccessAttempt.objects.values_list("pk", flat=True)),
                "post": "yes",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertFalse(AccessAttempt.objects.exists())
        entry = AuditEntry.objects.get(action=UNLOCKED)
        self.assertEqual(entry.target, self.nurse)
        self.assertEqual(entry.actor, officer)
        self.client.logout()
        self.assertEqual(self.sign_in("nurse", PASSWORD).status_code, 302)

    def test_axes_reset_unlocks_once_and_is_audited(self) -> None:
        self.fail_sign_in("nurse", 5, address="10.1.1.7")
        self.fail_sign_in("nurse", 1, address="10.1.1.8")  # refused, not counted: no second row
        call_command("axes_reset_username", "nurse", stdout=io.StringIO())
        self.assertEqual(AuditEntry.objects.filter(action=UNLOCKED).count(), 1)
        self.assertEqual(self.sign_in("nurse", PASSWORD).status_code, 302)

    def test_a_success_resets_the_count(self) -> None:
        self.fail_sign_in("nurse", 4)
        self.assertEqual(self.sign_in("nurse", PASSWORD).status_code, 302)
        self.client.logout()
        self.fail_sign_in("nurse", 4)
        self.assertEqual(self.sign_in("nurse", PASSWORD).status_code, 302)
        self.assertFalse(AuditEntry.objects.filter(action=USER_LOCKED).exists())

    def test_inactive_and_unknown_users_get_the_wrong_password_answer(self) -> None:
        User.objects.filter(pk=self.doctor.pk).update(is_active=False)
        inactive = self.sign_in("doctor", PASSWORD)
        unknown = self.sign_in("nobody", PASSWORD)
        self.assertEqual(inactive.status_code, unknown.status_code)
        self.assertEqual(alert(inactive), alert(unknown))


class ApiTokenLockoutTests(BaseTestCase):
    url = reverse("api:token")

    def token(self, username: str, password: str) -> Any:
        return self.client.post(
            self.url,
            {"username": username, "password": password},
            content_type="application/json",
            REMOTE_ADDR="10.3.3.3",
            HTTP_ACCEPT_LANGUAGE="en",
        )

    def test_the_token_endpoint_counts_failures_and_answers_a_lock_with_429(self) -> None:
        for _ in range(4):
            self.assertEqual(self.token("agent", WRONG).status_code, 400)
        fifth = self.token("agent", WRONG)
        self.assertEqual(fifth.status_code, 429)
        self.assertEqual(fifth.json(), {"detail": LOCKED_EN})
        right = self.token("agent", PASSWORD)
        self.assertEqual(right.status_code, 429)
        self.assertNotIn("token", right.json())
        self.assertEqual(AuditEntry.objects.filter(action=USER_LOCKED).count(), 1)

    def test_an_unknown_name_is_answered_the_same(self) -> None:
        answers = [self.token("nobody", WRONG) for _ in range(5)]
        self.assertEqual([r.status_code for r in answers], [400, 400, 400, 400, 429])
        self.assertEqual(answers[-1].json(), {"detail": LOCKED_EN})

    def test_failures_on_the_page_and_the_api_add_up(self) -> None:
        for _ in range(3):
            self.client.post(LOGIN, {"username": "agent", "password": WRONG})
        self.token("agent", WRONG)
        self.assertEqual(self.token("agent", WRONG).status_code, 429)
