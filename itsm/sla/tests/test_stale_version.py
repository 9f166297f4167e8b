"""Optimistic locking on the duty roster (the SLA records edited in the product's pages and
API; agreements and calendars have their own tests): a stale edit is refused with 409 and
writes nothing, on the page with a clear message and the form kept."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from itsm.api.tests.support import ApiTestCase
from itsm.core.models import AuditEntry
from itsm.sla.models import DutyShift


class DutyShiftStaleVersionTests(ApiTestCase):
    def setUp(self) -> None:
        start = timezone.now().replace(microsecond=0, second=0)
        self.shift = DutyShift.objects.create(
            user=self.manager, starts_at=start, ends_at=start + dt.timedelta(hours=8)
        )
        self.url = "/api/duty-shifts/%d/" % self.shift.pk

    def test_a_stale_patch_answers_409_and_writes_nothing(self) -> None:
        client = self.api(self.manager)
        ok = client.patch(self.url, {"note": "白班", "version": 1}, format="json")
        self.assertEqual((ok.status_code, ok.data["version"]), (200, 2))
        audits = AuditEntry.objects.count()

        stale = client.patch(self.url, {"note": "夜班", "version": 1}, format="json")

        self.assertEqual(stale.status_code, 409, stale.data)
        self.shift.refresh_from_db()
        self.assertEqual((self.shift.note, self.shift.version), ("白班", 2))
        self.assertEqual(AuditEntry.objects.count(), audits)

    def test_a_patch_without_a_version_is_refused(self) -> None:
        response = self.api(self.manager).patch(self.url, {"note": "夜班"}, format="json")
        self.assert_error_fields(response, "version")
        self.shift.refresh_from_db()
        self.assertEqual((self.shift.note, self.shift.version), ("", 1))

    def form(self, note: str, version: object) -> dict[str, object]:
        local = timezone.localtime(self.shift.starts_at)
        return {
            "user": self.manager.pk,
            "starts_at": local.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (local + dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
            "note": note,
            "version": version,
        }

    def test_the_page_refuses_a_stale_form_with_a_message_and_keeps_the_input(self) -> None:
        self.login(self.manager)
        url = reverse("sla:duty_edit", args=[self.shift.pk])
        page = self.client.get(url)
        self.assertContains(page, 'name="version" value="1"')
        DutyShift.objects.filter(pk=self.shift.pk).update(note="别人改的", version=2)

        response = self.client.post(url, self.form("我的修改", 1))

        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "data-conflict", status_code=409)
        self.assertContains(response, "我的修改", status_code=409)
        self.shift.refresh_from_db()
        self.assertEqual((self.shift.note, self.shift.version), ("别人改的", 2))

    def test_the_page_saves_with_the_current_version(self) -> None:
        self.login(self.manager)
        url = reverse("sla:duty_edit", args=[self.shift.pk])
        response = self.client.post(url, self.form("白班", 1))
        self.assertRedirects(response, reverse("sla:duty_list"))
        self.shift.refresh_from_db()
        self.assertEqual((self.shift.note, self.shift.version), ("白班", 2))

    def test_a_form_without_its_version_is_refused(self) -> None:
        self.login(self.manager)
        data = self.form("我的修改", "")
        response = self.client.post(reverse("sla:duty_edit", args=[self.shift.pk]), data)
        self.assertEqual(response.status_code, 400)
        self.shift.refresh_from_db()
        self.assertEqual(self.shift.note, "")
