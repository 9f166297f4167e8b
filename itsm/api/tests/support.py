"""Shared by the API tests of every app: the personas as API clients and a helper that runs
one request as every role and checks each answer's status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework.response import Response
from rest_framework.test import APIClient

from itsm.accounts.models import User
from itsm.core.testing import BaseTestCase

# Every role the product knows, plus a signed-in user without one and nobody at all.
ROLES = (
    "nurse",
    "doctor",
    "agent",
    "engineer",
    "vendor",
    "other_vendor",
    "manager",
    "admin",
    "outsider",
    "anonymous",
)


class ApiTestCase(BaseTestCase):
    def persona(self, role: str) -> User | None:
        user: User | None = None if role == "anonymous" else getattr(self, role)
        return user

    def as_role(self, role: str) -> APIClient:
        return self.api(self.persona(role))

    def assert_statuses(
        self, request: Callable[[APIClient, str], Response], expected: dict[str, int]
    ) -> dict[str, Response]:
        """Send the request as every role (request(client, role)) and compare each answer's
        status with `expected`, which must name every role."""
        self.assertEqual(set(expected), set(ROLES), "name every role")
        answers: dict[str, Response] = {}
        for role in ROLES:
            with self.subTest(role=role):
                response = request(self.as_role(role), role)
                answers[role] = response
                self.assertEqual(
                    response.status_code, expected[role], getattr(response, "data", None)
                )
        return answers

    def assert_error_fields(self, response: Response, *fields: str) -> None:
        """A 400 naming exactly these fields, each with a list of messages."""
        self.assertEqual(response.status_code, 400, response.data)
        self.assertEqual(set(response.data), set(fields), response.data)
        for messages in response.data.values():
            self.assertIsInstance(messages, list)
            self.assertTrue(all(isinstance(m, str) and m for m in messages))


def page(response: Response) -> list[dict[str, Any]]:
    """The rows of a paginated answer."""
    keys = {"count", "count_capped", "next", "previous", "results"}
    assert set(response.data) == keys, response.data
    rows: list[dict[str, Any]] = response.data["results"]
    return rows
