"""The API fuzzed from its own OpenAPI schema (schemathesis), in-process through the WSGI
application, as several roles with their API tokens: no generated request may get a 5xx,
and every answer (errors included) must be one the schema documents, with the documented
body. `make test` runs a few cases per operation; `make fuzz` sets ITSM_FUZZ_EXAMPLES to run
at least 1,000 in all."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from itsm.accounts.models import User
from itsm.wsgi import application
from tests.security.hospital import HospitalTestCase

# Examples per operation and role: `make fuzz` raises it and then wants at least 1,000 cases
# in all. The smoke run of `make test` sends one case per operation, each role taking every
# other operation (so each operation is tried by three roles).
EXAMPLES = int(os.environ.get("ITSM_FUZZ_EXAMPLES", "1"))
FULL = EXAMPLES > 1
ROLES = ("nurse", "agent", "engineer", "vendor", "manager", "admin")
MINIMUM = 1000 // len(ROLES) + 1 if FULL else 1
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


class FuzzTests(HospitalTestCase):
    """One test per role, so that a failure names the role; each runs every operation."""

    def setUp(self) -> None:
        # The WSGI handler closes the database connection when a request ends, which would
        # end the test's transaction: Django's own test client unhooks it the same way.
        super().setUp()
        for signal in (request_started, request_finished):
            signal.disconnect(close_old_connections)
            self.addCleanup(signal.connect, close_old_connections)

    def ids(self, path: str) -> dict[str, int]:
        """Path parameters naming records the fixture holds, for the collection the path
        is about (half the cases use them; the rest are generated, mostly ids of nothing)."""
        side = self.side_a
        records: dict[str, Any] = {
            "incidents": side.incident,
            "problems": side.problem,
            "changes": side.change,
            "releases": side.release,
            "deployments": side.deployment,
            "articles": self.article,
            "cis": self.server,
            "proposed-problems": self.proposal,
            "change-templates": self.change_template,
            "blackout-windows": self.blackout,
            "relationships": self.relationship,
            "contracts": self.contract,
            "calendars": self.calendar,
            "calendar-days": self.calendar_day,
            "agreements": self.agreement,
            "duty-shifts": self.duty,
            "departments": self.emergency,
            "groups": self.vendor_group,
            "users": self.nurse,
            "vendors": self.his_vendor,
            "services": self.his,
        }
        found = records.get(path.split("/")[2])
        ids = {"id": found.pk} if found is not None and "{id}" in path else {}
        if "{update}" in path:
            ids["update"] = side.cmdb_update.pk
        return ids

    def fuzz(self, role: str) -> int:
        user: User = getattr(self, role)
        headers = {"Authorization": "Token " + self.api_key(user)}
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
        sent = 0
        share = 1 if FULL else 2
        for index, result in enumerate(schema.get_all_operations()):
            if index % share != ROLES.index(role) % share:
                continue
            operation = result.ok()  # type: ignore[union-attr]
            fixed = self.ids(operation.path)
            strategy = operation.as_strategy()
            if fixed:
                strategy = st.one_of(operation.as_strategy(path_parameters=fixed), strategy)

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=not FULL,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def run(case: Any) -> None:
                nonlocal sent
                sent += 1
                case.call_and_validate(headers=headers, checks=CHECKS)

            with self.subTest(operation=operation.label):
                run()
        self.assertGreaterEqual(sent, MINIMUM)
        return sent

    def test_requester(self) -> None:
        self.fuzz("nurse")

    def test_service_desk_agent(self) -> None:
        self.fuzz("agent")

    def test_front_line_engineer(self) -> None:
        self.fuzz("engineer")

    def test_vendor_engineer(self) -> None:
        self.fuzz("vendor")

    def test_it_manager(self) -> None:
        self.fuzz("manager")

    def test_administrator(self) -> None:
        self.fuzz("admin")
