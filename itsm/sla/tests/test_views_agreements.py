"""The agreement pages: IT staff read the list and an agreement with its targets and rules;
IT managers and administrators create and edit them; a stale page is refused."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase
from itsm.sla.choices import AgreementKind, ClockMetric
from itsm.sla.models import Agreement, BusinessCalendar, EscalationRule
from itsm.sla.tests.factories import HOUR, WARN_AND_BREACH, agreement, office_hours


def form_data(calendar_pk: int, **overrides: Any) -> dict[str, Any]:
    """A filled agreement page: the fields, five target rows (P1–P5) and two rule rows."""
    data: dict[str, Any] = {
        "kind": AgreementKind.SLA,
        "name": "急诊科SLA",
        "calendar": calendar_pk,
        "pause_reasons": ["requester"],
        "active": "on",
        "targets-TOTAL_FORMS": "5",
        "targets-INITIAL_FORMS": "5",
        "rules-TOTAL_FORMS": "2",
        "rules-INITIAL_FORMS": "0",
    }
    for index in range(5):
        data["targets-%d-priority" % index] = str(index + 1)
        data["targets-%d-response" % index] = ""
        data["targets-%d-resolution" % index] = ""
    data.update({"targets-0-response": "15m", "targets-0-resolution": "4h"})
    data.update({"targets-1-response": "30m", "targets-1-resolution": "2d"})
    data.update({"rules-0-metric": ClockMetric.RESOLUTION, "rules-0-percent": "75"})
    data.update({"rules-0-notify_assignee": "on", "rules-0-notify_group_lead": "on"})
    data.update(overrides)
    return data


class AgreementPageTests(BaseTestCase):
    office: BusinessCalendar
    sla: Agreement
    uc: Agreement

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.office = office_hours()
        cls.sla = agreement(
            cls.office,
            services=[cls.his],
            departments=[cls.emergency],
            rules=WARN_AND_BREACH,
            targets={1: (15 * 60, 2 * 8 * HOUR), 2: (HOUR, 5400)},
        )
        cls.uc = agreement(
            cls.office, kind=AgreementKind.UC, name="联影PACS维保", vendor=cls.pacs_vendor
        )

    def test_it_staff_see_the_list_with_kind_tabs(self) -> None:
        self.login(self.engineer)
        response = self.client.get(reverse("sla:agreement_list"))
        self.assertContains(response, self.sla.name)
        self.assertContains(response, "联影PACS维保")
        response = self.client.get(reverse("sla:agreement_list"), {"kind": AgreementKind.UC})
        self.assertContains(response, "联影PACS维保")
        self.assertNotContains(response, self.sla.name)

    def test_the_list_costs_the_same_queries_for_many_agreements(self) -> None:
        self.login(self.agent)
        url = reverse("sla:agreement_list")
        self.client.get(url)
        with CaptureQueriesContext(connection) as few:
            self.client.get(url)
        self.assertLessEqual(len(few.captured_queries), 8)
        for n in range(8):
            agreement(self.office, name="SLA %d" % n, services=[self.pacs], rules=WARN_AND_BREACH)
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get(url)

    def test_the_detail_shows_targets_in_working_days_hours_and_minutes(self) -> None:
        self.login(self.engineer)
        response = self.client.get(self.sla.get_absolute_url())
        self.assertContains(response, "15 分钟")
        self.assertContains(response, "2 个工作日")
        self.assertContains(response, "1 小时 30 分钟")
        self.assertContains(response, "急诊科")
        self.assertContains(response, "HIS")
        self.assertContains(response, "等待报告人")
        self.assertNotContains(response, reverse("sla:agreement_edit", args=[self.sla.pk]))

    def test_requesters_vendors_and_outsiders_may_not_open_the_pages(self) -> None:
        for user in (self.nurse, self.vendor, self.outsider):
            self.login(user)
            self.assertEqual(self.client.get(reverse("sla:agreement_list")).status_code, 403)
            self.assertEqual(self.client.get(self.sla.get_absolute_url()).status_code, 403)

    def test_a_missing_agreement_is_404(self) -> None:
        self.login(self.manager)
        self.assertEqual(
            self.client.get(reverse("sla:agreement_detail", args=[98765])).status_code, 404
        )
        self.assertEqual(
            self.client.get(reverse("sla:agreement_edit", args=[98765])).status_code, 404
        )

    def test_a_manager_creates_an_agreement_with_targets_and_rules(self) -> None:
        self.login(self.manager)
        response = self.client.post(
            reverse("sla:agreement_create"),
            form_data(self.office.pk, departments=[self.emergency.pk]),
        )
        created = Agreement.objects.get(name="急诊科SLA")
        self.assertRedirects(response, created.get_absolute_url())
        self.assertEqual(
            list(created.targets.values_list("priority", "response_seconds", "resolution_seconds")),
            [(1, 900, 4 * HOUR), (2, 1800, 2 * 8 * HOUR)],
        )
        rule = created.escalation_rules.get()
        self.assertEqual(
            (rule.metric, rule.percent, rule.notify_managers), ("resolution", 75, False)
        )
        self.assertEqual(list(created.departments.all()), [self.emergency])
        self.assertTrue(
            AuditEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(Agreement),
                object_id=created.pk,
                action="create",
                actor=self.manager,
            ).exists()
        )

    def test_engineers_may_not_create_or_edit_agreements(self) -> None:
        self.login(self.engineer)
        self.assertEqual(self.client.get(reverse("sla:agreement_create")).status_code, 403)
        response = self.client.post(reverse("sla:agreement_create"), form_data(self.office.pk))
        self.assertEqual(response.status_code, 403)
        edit = reverse("sla:agreement_edit", args=[self.sla.pk])
        self.assertEqual(
            self.client.post(edit, form_data(self.office.pk, version=1)).status_code, 403
        )
        self.assertFalse(Agreement.objects.filter(name="急诊科SLA").exists())

    def test_errors_show_under_their_fields_in_chinese(self) -> None:
        self.login(self.manager)
        response = self.client.post(
            reverse("sla:agreement_create"),
            form_data(
                self.office.pk,
                kind=AgreementKind.OLA,
                **{"targets-0-response": "soon", "targets-1-resolution": ""},
            ),
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "OLA 须指定", status_code=400)
        self.assertContains(response, "30m、4h", status_code=400)
        self.assertContains(response, "两个时限都填，或都不填", status_code=400)
        self.assertFalse(Agreement.objects.filter(name="急诊科SLA").exists())

    def test_a_response_longer_than_the_resolution_is_refused(self) -> None:
        self.login(self.manager)
        response = self.client.post(
            reverse("sla:agreement_create"),
            form_data(self.office.pk, **{"targets-0-response": "5h"}),
        )
        self.assertContains(response, "响应时限长于解决时限", status_code=400)

    def test_the_edit_page_shows_targets_as_typed_and_saves_changes(self) -> None:
        self.login(self.admin)
        url = reverse("sla:agreement_edit", args=[self.sla.pk])
        response = self.client.get(url)
        self.assertContains(response, 'value="2d"')
        self.assertContains(response, 'value="1h30m"')
        kept = self.sla.escalation_rules.get(percent=75)
        data = form_data(
            self.office.pk,
            name=self.sla.name,
            version=1,
            **{"rules-INITIAL_FORMS": "2", "rules-TOTAL_FORMS": "3"},
        )
        data.update({"rules-1-metric": "resolution", "rules-1-percent": "100"})
        data.update({"rules-1-notify_managers": "on", "rules-1-DELETE": "on"})
        data.update({"rules-2-metric": "", "rules-2-percent": ""})
        response = self.client.post(url, data)
        self.assertRedirects(response, self.sla.get_absolute_url())
        self.sla.refresh_from_db()
        self.assertEqual(self.sla.version, 2)
        self.assertEqual(list(self.sla.escalation_rules.values_list("pk", flat=True)), [kept.pk])
        self.assertFalse(EscalationRule.objects.filter(percent=100, agreement=self.sla).exists())

    def test_a_stale_page_is_refused_with_409_and_nothing_is_overwritten(self) -> None:
        self.login(self.manager)
        url = reverse("sla:agreement_edit", args=[self.sla.pk])
        Agreement.objects.filter(pk=self.sla.pk).update(version=2, description="别人改过")
        response = self.client.post(url, form_data(self.office.pk, version=1, description="我的"))
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "data-conflict", status_code=409)
        self.sla.refresh_from_db()
        self.assertEqual(self.sla.description, "别人改过")

    def test_an_edit_without_version_is_refused(self) -> None:
        self.login(self.manager)
        url = reverse("sla:agreement_edit", args=[self.sla.pk])
        response = self.client.post(url, form_data(self.office.pk, name=self.sla.name))
        self.assertEqual(response.status_code, 400)
