"""What an incident on a configuration item affects (services, departments), shown on the
incident page and by the API, and the open incidents near an item the desk console shows
while a call is logged (on the item and on what it depends on)."""

from __future__ import annotations

from typing import Any

import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext, ngettext, override

from itsm.accounts.choices import DepartmentKind
from itsm.accounts.models import Department
from itsm.cmdb.choices import ConfigurationItemClass as C
from itsm.cmdb.choices import RelationshipType as T
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.cmdb.services import relate_cis
from itsm.cmdb.tests.factories import make_ci
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.services import (
    IMPACT_SHOWN,
    incident_impact,
    open_incidents_near,
)
from itsm.incidents.tests.factories import incident_in
from itsm.incidents.tests.ui import UITestCase


class ImpactTestCase(UITestCase):
    """Storage array ← PACS database server ← PACS database ← PACS application, on which
    the PACS business service and the RIS application depend; an unrelated HIS server."""

    outpatient: Department
    ris: Service
    array: ConfigurationItem
    db_server: ConfigurationItem
    database: ConfigurationItem
    pacs_app: ConfigurationItem
    pacs_service: ConfigurationItem
    ris_app: ConfigurationItem
    his_server: ConfigurationItem

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.outpatient = Department.objects.create(
            name="门诊部", code="OPD", kind=DepartmentKind.CLINICAL, cost_centre="C3001"
        )
        cls.ris = Service.objects.create(code="RIS", name="放射信息系统")
        cls.ris.departments.set([cls.radiology])
        cls.pacs.departments.set([cls.radiology, cls.outpatient])
        cls.array = make_ci("SAN-01", C.STORAGE, name="PACS 存储阵列")
        cls.db_server = make_ci("SRV-PACSDB", C.SERVER, name="PACS 数据库服务器")
        cls.database = make_ci("DB-PACS", C.DATABASE, name="PACS 数据库")
        cls.pacs_app = make_ci("APP-PACS", C.APPLICATION, name="PACS 应用")
        cls.pacs_service = make_ci("BS-PACS", C.BUSINESS_SERVICE, name="PACS 业务服务")
        cls.ris_app = make_ci("APP-RIS", C.APPLICATION, name="RIS 应用")
        cls.his_server = make_ci("SRV-HIS", C.SERVER, name="HIS 服务器")
        for source, type, target in (
            (cls.db_server, T.HOSTED_ON, cls.array),
            (cls.database, T.RUNS_ON, cls.db_server),
            (cls.pacs_app, T.DEPENDS_ON, cls.database),
            (cls.pacs_service, T.DEPENDS_ON, cls.pacs_app),
            (cls.ris_app, T.DEPENDS_ON, cls.pacs_app),
        ):
            relate_cis(source, target, type, actor=cls.admin)
        for ci in (cls.pacs_app, cls.pacs_service, cls.database):
            ci.services.add(cls.pacs)
        cls.ris_app.services.add(cls.ris)

    def on(self, *items: ConfigurationItem, **fields: Any) -> Incident:
        return incident_in(
            self, IncidentStatus.IN_PROGRESS, configuration_items=list(items), **fields
        )

    def impact_card(self, incident: Incident) -> str:
        """The card as the browser shows it: the page holds a slot that loads it."""
        response = self.client.get(incident.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        if 'id="impact-slot"' not in response.content.decode():
            return ""
        card = self.client.get(reverse("incidents:incident_impact", args=[incident.pk]))
        self.assertEqual(card.status_code, 200)
        return card.content.decode().split('id="impact"', 1)[1].split("</section>", 1)[0]


class IncidentImpactTests(ImpactTestCase):
    def test_an_incident_on_the_storage_array_affects_pacs_and_ris_and_their_departments(
        self,
    ) -> None:
        incident = self.on(self.array)

        impact = incident_impact(incident)

        assert impact is not None
        self.assertEqual([s.code for s in impact.services], ["PACS", "RIS"])
        self.assertEqual({d.name for d in impact.departments}, {"放射科", "门诊部"})
        self.assertFalse(impact.whole_hospital)
        self.assertFalse(impact.truncated)

    def test_the_items_impacts_are_joined_without_repeating_a_service(self) -> None:
        self.his.departments.set([self.emergency])
        self.his_server.services.add(self.his)
        incident = self.on(self.array, self.pacs_app, self.his_server)

        impact = incident_impact(incident)

        assert impact is not None
        self.assertEqual([s.code for s in impact.services], ["HIS", "PACS", "RIS"])
        self.assertEqual(
            sorted(d.name for d in impact.departments), sorted(["放射科", "门诊部", "急诊科"])
        )

    def test_a_service_serving_no_department_affects_the_whole_hospital(self) -> None:
        self.his_server.services.add(self.his)  # HIS serves every department: none named

        impact = incident_impact(self.on(self.his_server))

        assert impact is not None
        self.assertTrue(impact.whole_hospital)
        self.assertEqual([s.code for s in impact.services], ["HIS"])

    def test_an_incident_without_items_has_no_impact(self) -> None:
        self.assertIsNone(incident_impact(self.on()))

    def test_an_item_nothing_relies_on_affects_only_its_own_department(self) -> None:
        impact = incident_impact(self.on(self.printer))

        assert impact is not None
        self.assertEqual(impact.services, [])
        self.assertEqual([d.name for d in impact.departments], ["急诊科"])


class IncidentPageImpactCardTests(ImpactTestCase):
    def test_the_card_names_the_services_and_departments_the_array_takes_down(self) -> None:
        self.login(self.agent)

        card = self.impact_card(self.on(self.array))

        for name in ("PACS", "放射信息系统", "放射科", "门诊部"):
            self.assertIn(name, card)
        self.assertNotIn("急诊科", card)

    def test_the_card_says_whole_hospital_when_a_service_serves_everyone(self) -> None:
        self.his_server.services.add(self.his)
        self.login(self.engineer)
        incident = self.on(self.his_server)

        card = self.impact_card(incident)

        with override("zh-hans"):
            self.assertIn(gettext("Whole hospital"), card)
        self.assertIn("全院", card)

    def test_an_incident_without_items_has_no_card_and_reads_no_relationship(self) -> None:
        self.login(self.agent)
        incident = self.on()

        with CaptureQueriesContext(connection) as queries:
            card = self.impact_card(incident)

        self.assertEqual(card, "")
        relationship_table = '"cmdb_relationship"'
        self.assertFalse([q for q in queries.captured_queries if relationship_table in q["sql"]])

    def test_a_long_list_of_departments_is_cut_with_how_many_more(self) -> None:
        many = [
            Department.objects.create(
                name="病区%02d" % n, code="W%02d" % n, kind=DepartmentKind.CLINICAL
            )
            for n in range(IMPACT_SHOWN + 5)
        ]
        self.pacs.departments.add(*many)
        self.login(self.agent)

        incident = self.on(self.array)

        response = self.client.get(reverse("incidents:incident_impact", args=[incident.pk]))
        card = self.impact_card(incident)

        # 27 departments (the wards, radiology, outpatients), 20 named, "and 7 more".
        self.assertEqual(response.context["impact"].more_departments, 7)
        with override(response["Content-Language"]):
            more = ngettext("and %(counter)s more", "and %(counter)s more", 7) % {"counter": 7}
        self.assertIn(more, card)
        self.assertIn("病区00", card)
        self.assertNotIn(many[-1].name, card)

    def test_the_card_queries_grow_with_the_graphs_depth_not_its_width(self) -> None:
        self.login(self.agent)
        incident = self.on(self.array)
        url = reverse("incidents:incident_impact", args=[incident.pk])
        self.client.get(url)
        with CaptureQueriesContext(connection) as narrow:
            self.client.get(url)
        # Ten more applications on the PACS database and their services and departments:
        # the same levels of the graph, so the same queries.
        for n in range(10):
            app = make_ci("APP-X%02d" % n, C.APPLICATION)
            relate_cis(app, self.database, T.DEPENDS_ON, actor=self.admin)
            service = Service.objects.create(code="SVC-%02d" % n, name="服务%02d" % n)
            service.departments.set([self.emergency])
            app.services.add(service)

        with CaptureQueriesContext(connection) as wide:
            response = self.client.get(url)

        self.assertContains(response, "服务09")
        self.assertEqual(len(wide.captured_queries), len(narrow.captured_queries))

    def test_the_page_itself_does_not_walk_the_cmdb(self) -> None:
        self.login(self.agent)
        bare = self.on()
        on_array = self.on(self.array)
        self.client.get(bare.get_absolute_url())
        with CaptureQueriesContext(connection) as without:
            self.client.get(bare.get_absolute_url())
        with CaptureQueriesContext(connection) as with_item:
            response = self.client.get(on_array.get_absolute_url())

        # The card is loaded after the page: the page costs the same with or without items.
        self.assertEqual(len(with_item.captured_queries), len(without.captured_queries))
        self.assertContains(response, reverse("incidents:incident_impact", args=[on_array.pk]))
        relationship_table = '"cmdb_relationship"'
        self.assertFalse([q for q in with_item.captured_queries if relationship_table in q["sql"]])

    def test_the_card_is_for_it_staff_only(self) -> None:
        incident = self.on(self.array)
        url = reverse("incidents:incident_impact", args=[incident.pk])
        self.login(self.nurse)
        self.assertEqual(self.client.get(url).status_code, 403)
        self.login(self.other_vendor)
        self.assertIn(self.client.get(url).status_code, (403, 404))

    def test_requesters_do_not_see_the_incident_page_at_all(self) -> None:
        incident = self.on(self.array)
        self.login(self.nurse)

        response = self.client.get(incident.get_absolute_url())

        self.assertRedirects(response, reverse("portal:incident_detail", args=[incident.pk]))


class OpenIncidentsNearTests(ImpactTestCase):
    def test_incidents_on_the_item_and_on_what_it_depends_on_are_found(self) -> None:
        on_app = self.on(self.pacs_app, title="PACS 调阅慢")
        on_array = self.on(self.array, title="存储阵列告警")
        self.on(self.his_server, title="HIS 卡顿")
        self.on(self.ris_app, title="RIS 登录失败")  # relies on PACS: above, not below

        near, more = open_incidents_near(self.pacs_app, viewer=self.agent)

        self.assertFalse(more)
        self.assertEqual({row.incident.pk for row in near}, {on_app.pk, on_array.pk})
        by_pk = {row.incident.pk: row for row in near}
        self.assertTrue(by_pk[on_app.pk].direct)
        self.assertEqual(by_pk[on_app.pk].on.code, "APP-PACS")
        self.assertFalse(by_pk[on_array.pk].direct)
        self.assertEqual(by_pk[on_array.pk].on.code, "SAN-01")

    def test_closed_and_cancelled_incidents_are_not_listed(self) -> None:
        incident_in(self, IncidentStatus.RESOLVED, configuration_items=[self.array])
        incident_in(self, IncidentStatus.CANCELLED, configuration_items=[self.array])

        near, _more = open_incidents_near(self.array, viewer=self.agent)

        self.assertEqual(near, [])

    def test_the_incident_being_worked_is_left_out(self) -> None:
        incident = self.on(self.array)

        near, _more = open_incidents_near(self.array, viewer=self.agent, exclude=incident)

        self.assertEqual(near, [])

    def test_a_vendor_sees_only_the_incidents_routed_to_his_group(self) -> None:
        self.on(self.array, title="阵列告警（桌面运维组）")
        theirs = self.on(self.database, title="数据库连接数满", group=self.vendor_group)

        near, _more = open_incidents_near(self.pacs_app, viewer=self.vendor)

        self.assertEqual([row.incident.pk for row in near], [theirs.pk])

    def test_an_incident_on_both_the_item_and_below_is_listed_once_as_on_the_item(self) -> None:
        both = self.on(self.array, self.pacs_app)

        near, _more = open_incidents_near(self.pacs_app, viewer=self.agent)

        self.assertEqual([(row.incident.pk, row.direct) for row in near], [(both.pk, True)])

    def test_the_list_is_cut_at_the_limit_and_says_there_are_more(self) -> None:
        for n in range(3):
            self.on(self.array, title="阵列告警 %d" % n)

        near, more = open_incidents_near(self.array, viewer=self.agent, limit=2)

        self.assertEqual(len(near), 2)
        self.assertTrue(more)

    def test_the_incidents_are_read_in_one_query(self) -> None:
        for item in (self.array, self.db_server, self.database, self.pacs_app):
            self.on(item)
        with CaptureQueriesContext(connection) as queries:
            open_incidents_near(self.pacs_app, viewer=self.agent)
        incident_table = '"incidents_incident"'
        reading = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].lstrip().upper().startswith("SELECT")
            and ("FROM %s" % incident_table) in q["sql"]
        ]
        self.assertEqual(len(reading), 1)


class ConsoleNearIncidentsTests(ImpactTestCase):
    def test_choosing_an_item_shows_the_open_incidents_on_it_and_below(self) -> None:
        on_array = self.on(self.array, title="存储阵列告警")
        self.on(self.his_server, title="HIS 卡顿")
        self.login(self.agent)

        response = self.htmx(
            "get", reverse("incidents:ci_incidents"), {"configuration_items": [self.pacs_app.pk]}
        )

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, on_array.number)
        self.assertContains(response, "SAN-01")
        self.assertNotContains(response, "HIS 卡顿")

    def test_nothing_open_nearby_shows_nothing(self) -> None:
        self.login(self.agent)

        response = self.htmx(
            "get", reverse("incidents:ci_incidents"), {"configuration_items": [self.array.pk]}
        )

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content.decode().strip(), "")

    def test_bad_or_missing_ids_show_nothing(self) -> None:
        self.login(self.agent)

        for data in ({}, {"configuration_items": ["x", "999999"]}):
            response = self.htmx("get", reverse("incidents:ci_incidents"), data)
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.content.decode().strip(), "")

    def test_only_the_service_desk_may_ask(self) -> None:
        self.login(self.nurse)

        response = self.htmx(
            "get", reverse("incidents:ci_incidents"), {"configuration_items": [self.array.pk]}
        )

        self.assertEqual(response.status_code, 403)

    def test_the_console_asks_when_the_items_change(self) -> None:
        self.login(self.agent)

        response = self.client.get(reverse("incidents:incident_create"))

        self.assertContains(response, 'hx-get="%s"' % reverse("incidents:ci_incidents"))
        self.assertContains(response, 'hx-trigger="change from:#id_configuration_items"')


class IncidentImpactApiTests(ImpactTestCase):
    def url(self, pk: int) -> str:
        return "/api/incidents/%d/impact/" % pk

    def test_it_lists_the_services_and_departments(self) -> None:
        incident = self.on(self.array)

        response = self.api(self.agent).get(self.url(incident.pk))

        self.assertEqual(response.status_code, 200)
        data = response.json()
        self.assertEqual([s["code"] for s in data["services"]], ["PACS", "RIS"])
        self.assertEqual({d["name"] for d in data["departments"]}, {"放射科", "门诊部"})
        self.assertIs(data["whole_hospital"], False)
        self.assertIs(data["truncated"], False)

    def test_an_incident_without_items_has_empty_lists(self) -> None:
        incident = self.on()

        response = self.api(self.agent).get(self.url(incident.pk))

        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {"services": [], "departments": [], "whole_hospital": False, "truncated": False},
        )

    def test_whole_hospital(self) -> None:
        self.his_server.services.add(self.his)
        incident = self.on(self.his_server)

        response = self.api(self.manager).get(self.url(incident.pk))

        self.assertIs(response.json()["whole_hospital"], True)

    def test_the_requester_may_not_read_it(self) -> None:
        incident = self.on(self.array)

        response = self.api(self.nurse).get(self.url(incident.pk))

        self.assertEqual(response.status_code, 403)

    def test_an_incident_the_user_may_not_see_is_not_found(self) -> None:
        incident = self.on(self.array)

        self.assertEqual(
            self.api(self.vendor).get(self.url(incident.pk)).status_code,
            404,
        )
        self.assertEqual(self.api(self.agent).get(self.url(999999)).status_code, 404)

    def test_anonymous_callers_are_refused(self) -> None:
        incident = self.on(self.array)

        response = self.api(None).get(self.url(incident.pk))

        self.assertIn(response.status_code, (401, 403))

    def test_the_schema_documents_it(self) -> None:
        self.login(self.agent)

        response = self.client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

        schema = yaml.safe_load(response.content)
        operation = schema["paths"]["/api/incidents/{id}/impact/"]["get"]
        ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
        self.assertEqual(ok, {"$ref": "#/components/schemas/IncidentImpact"})
        self.assertIn("403", operation["responses"])
        self.assertIn("404", operation["responses"])
