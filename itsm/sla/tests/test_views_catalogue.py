"""The service catalogue pages and the duty roster."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from itsm.cmdb.models import Service
from itsm.core.testing import BaseTestCase
from itsm.sla.models import Agreement, BusinessCalendar, DutyShift
from itsm.sla.tests.factories import agreement, office_hours


class CataloguePageTests(BaseTestCase):
    office: BusinessCalendar
    sla: Agreement
    everything: Agreement

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        Service.objects.filter(pk=cls.his.pk).update(
            owner_group=cls.vendor_group.pk,
            service_hours="7×24",
            availability_target=Decimal("99.95"),
        )
        cls.his.departments.set([cls.emergency, cls.radiology])
        cls.office = office_hours()
        cls.sla = agreement(cls.office, services=[cls.his])
        cls.everything = agreement(cls.office, name="全院兜底SLA")

    def test_the_catalogue_lists_owner_hours_target_and_departments(self) -> None:
        self.login(self.agent)
        response = self.client.get(reverse("sla:service_list"))
        self.assertContains(response, "卫宁HIS二线")
        self.assertContains(response, "7×24")
        self.assertContains(response, "99.95 %")
        self.assertContains(response, "2 个科室")
        self.assertContains(response, "全院")

    def test_the_catalogue_costs_the_same_queries_for_many_services(self) -> None:
        self.login(self.agent)
        url = reverse("sla:service_list")
        with CaptureQueriesContext(connection) as few:
            self.client.get(url)
        self.assertLessEqual(len(few.captured_queries), 8)
        for n in range(10):
            service = Service.objects.create(
                code="S%d" % n, name="服务%d" % n, owner_group=self.front_group
            )
            service.departments.set([self.emergency])
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get(url)

    def test_the_catalogue_filters_by_department_served(self) -> None:
        self.login(self.agent)
        response = self.client.get(
            reverse("sla:service_list"), {"department": self.it_department.pk}
        )
        self.assertNotContains(response, 'data-service="HIS"')
        self.assertContains(response, 'data-service="PACS"')

    def test_a_service_page_lists_the_agreements_measuring_it(self) -> None:
        self.login(self.engineer)
        response = self.client.get(reverse("sla:service_detail", args=[self.his.pk]))
        self.assertContains(response, self.sla.name)
        self.assertContains(response, "全院兜底SLA")
        self.assertContains(response, "急诊科")
        response = self.client.get(reverse("sla:service_detail", args=[self.pacs.pk]))
        self.assertNotContains(response, self.sla.name)
        self.assertContains(response, "全院兜底SLA")

    def test_a_service_page_costs_the_same_queries_for_many_agreements(self) -> None:
        self.login(self.agent)
        url = reverse("sla:service_detail", args=[self.his.pk])
        with CaptureQueriesContext(connection) as few:
            self.client.get(url)
        for n in range(6):
            agreement(office_hours("历%d" % n), name="SLA %d" % n, services=[self.his])
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get(url)

    def test_the_catalogue_answers_htmx_with_the_table_only(self) -> None:
        self.login(self.agent)
        response = self.client.get(reverse("sla:service_list"), headers={"HX-Request": "true"})
        self.assertNotContains(response, "<html")
        self.assertContains(response, 'data-service="HIS"')

    def test_requesters_and_outsiders_may_not_open_the_catalogue_pages(self) -> None:
        for user in (self.nurse, self.outsider):
            self.login(user)
            self.assertEqual(self.client.get(reverse("sla:service_list")).status_code, 403)
        self.login(self.manager)
        url = reverse("sla:service_detail", args=[98765])
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_it_staff_find_service_levels_in_the_navigation(self) -> None:
        self.login(self.engineer)
        response = self.client.get(reverse("sla:service_list"))
        self.assertContains(response, reverse("sla:calendar_list"))
        self.login(self.nurse)
        response = self.client.get(reverse("portal:home"))
        self.assertNotContains(response, reverse("sla:agreement_list"))


class DutyRosterPageTests(BaseTestCase):
    def test_a_manager_puts_a_colleague_on_duty_and_removes_the_shift(self) -> None:
        self.login(self.manager)
        now = timezone.localtime()
        data = {
            "user": self.admin.pk,
            "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"),
            "note": "国庆值班",
        }
        response = self.client.post(reverse("sla:duty_create"), data)
        self.assertRedirects(response, reverse("sla:duty_list"))
        shift = DutyShift.objects.get()
        response = self.client.get(reverse("sla:duty_list"))
        self.assertContains(response, "国庆值班")
        response = self.client.post(reverse("sla:duty_delete", args=[shift.pk]))
        self.assertRedirects(response, reverse("sla:duty_list"))
        self.assertFalse(DutyShift.objects.exists())

    def test_an_engineer_reads_the_roster_but_may_not_change_it(self) -> None:
        now = timezone.now()
        shift = DutyShift.objects.create(
            user=self.manager, starts_at=now, ends_at=now + dt.timedelta(hours=1)
        )
        self.login(self.engineer)
        self.assertEqual(self.client.get(reverse("sla:duty_list")).status_code, 200)
        self.assertEqual(self.client.get(reverse("sla:duty_create")).status_code, 403)
        url = reverse("sla:duty_edit", args=[shift.pk])
        self.assertEqual(self.client.get(url).status_code, 403)
        url = reverse("sla:duty_delete", args=[shift.pk])
        self.assertEqual(self.client.post(url).status_code, 403)
        self.assertTrue(DutyShift.objects.exists())

    def test_a_shift_that_ends_before_it_starts_is_refused(self) -> None:
        self.login(self.manager)
        now = timezone.localtime()
        data = {
            "user": self.manager.pk,
            "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        }
        response = self.client.post(reverse("sla:duty_create"), data)
        self.assertEqual(response.status_code, 400)
        self.assertFalse(DutyShift.objects.exists())
