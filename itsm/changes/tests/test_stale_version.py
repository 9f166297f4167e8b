"""Optimistic locking on what change management edits over the API besides changes
themselves: standard change templates and blackout windows. A PATCH carries the version
read; stale → 409 and nothing written, missing → 400."""

from __future__ import annotations

from itsm.api.tests.support import ApiTestCase
from itsm.changes.tests.calendar_factories import outpatient_peak
from itsm.changes.tests.factories import template
from itsm.core.models import AuditEntry

TEMPLATES = "/api/change-templates/%d/"
BLACKOUTS = "/api/blackout-windows/%d/"


class ChangeTemplateStaleVersionTests(ApiTestCase):
    def test_a_stale_version_answers_409_and_writes_nothing(self) -> None:
        record = template(self)
        client = self.api(self.admin)
        first = client.patch(
            TEMPLATES % record.pk, {"duration_minutes": 45, "version": 1}, format="json"
        )
        self.assertEqual(first.status_code, 200, first.data)
        self.assertEqual(first.data["version"], 2)
        audits = AuditEntry.objects.count()

        stale = client.patch(
            TEMPLATES % record.pk, {"duration_minutes": 90, "version": 1}, format="json"
        )

        self.assertEqual(stale.status_code, 409, stale.data)
        record.refresh_from_db()
        self.assertEqual((record.duration_minutes, record.version), (45, 2))
        self.assertEqual(AuditEntry.objects.count(), audits)

    def test_a_patch_without_a_version_is_refused(self) -> None:
        record = template(self)
        response = self.api(self.admin).patch(
            TEMPLATES % record.pk, {"duration_minutes": 90}, format="json"
        )
        self.assert_error_fields(response, "version")
        record.refresh_from_db()
        self.assertEqual((record.duration_minutes, record.version), (30, 1))


class BlackoutStaleVersionTests(ApiTestCase):
    def test_a_patch_without_a_version_is_refused(self) -> None:
        window = outpatient_peak()
        response = self.api(self.manager).patch(
            BLACKOUTS % window.pk, {"active": False}, format="json"
        )
        self.assert_error_fields(response, "version")
        window.refresh_from_db()
        self.assertTrue(window.active)

    def test_a_stale_version_answers_409_and_writes_nothing(self) -> None:
        window = outpatient_peak()
        client = self.api(self.manager)
        ok = client.patch(
            BLACKOUTS % window.pk, {"reason": "挂号高峰", "version": 1}, format="json"
        )
        self.assertEqual(ok.status_code, 200, ok.data)
        stale = client.patch(BLACKOUTS % window.pk, {"active": False, "version": 1}, format="json")
        self.assertEqual(stale.status_code, 409)
        window.refresh_from_db()
        self.assertEqual((window.active, window.reason, window.version), (True, "挂号高峰", 2))
