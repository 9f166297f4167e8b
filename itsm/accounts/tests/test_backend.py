"""The authentication backend loads the signed-in user with his department, and otherwise
behaves as Django's ModelBackend: sign-in, inactive users, permissions."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from itsm.accounts.backends import UserBackend
from itsm.core.testing import PASSWORD, BaseTestCase


class UserBackendTests(BaseTestCase):
    def test_the_signed_in_user_comes_with_his_department_in_one_query(self) -> None:
        with self.assertNumQueries(1):
            user = UserBackend().get_user(self.nurse.pk)
            assert user is not None
            self.assertEqual(user.department, self.emergency)

    def test_a_user_without_department_is_found_too(self) -> None:
        user = UserBackend().get_user(self.vendor.pk)
        assert user is not None
        self.assertEqual(user.pk, self.vendor.pk)
        self.assertIsNone(user.department)

    def test_an_unknown_or_inactive_user_is_nobody(self) -> None:
        self.assertIsNone(UserBackend().get_user(987654))
        self.nurse.is_active = False
        self.nurse.save(update_fields=["is_active"])
        self.assertIsNone(UserBackend().get_user(self.nurse.pk))

    def test_sign_in_and_permissions_are_django_s(self) -> None:
        self.assertEqual(authenticate(username="agent", password=PASSWORD), self.agent)
        self.assertIsNone(authenticate(username="agent", password="wrong"))
        agent = self.reload(self.agent)
        self.assertTrue(agent.has_perm("incidents.work_incident"))
        self.assertFalse(self.reload(self.nurse).has_perm("incidents.work_incident"))

    def test_pages_do_not_read_the_department_again(self) -> None:
        self.login(self.nurse)
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(reverse("portal:home"))
        self.assertContains(response, self.emergency.name)
        department_table = '"%s"' % self.emergency._meta.db_table
        alone = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].split(" FROM ", 1)[-1].startswith(department_table)
        ]
        self.assertEqual(alone, [])
