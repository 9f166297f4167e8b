"""Reading incidents over the API: the list (filters, pagination, constant queries) and one
incident, for every role."""

from __future__ import annotations

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from itsm.api.tests.support import ApiTestCase, page
from itsm.core.api import Pagination
from itsm.core.choices import TicketImpact, TicketUrgency
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.services import link_incidents
from itsm.incidents.tests.factories import incident_in, log

S = IncidentStatus
LIST = "/api/incidents/"

INCIDENT_FIELDS = {
    "id",
    "solved_by_article",
    "first_contact",
    "responded_at",
    "response_due_at",
    "resolution_due_at",
    "sla_paused",
    "sla_breached",
    "sla",
    "number",
    "kind",
    "channel",
    "title",
    "description",
    "impact",
    "urgency",
    "priority",
    "status",
    "reported_at",
    "requester",
    "department",
    "service",
    "category",
    "configuration_items",
    "assignment_group",
    "assignee",
    "major",
    "parent",
    "version",
    "created_at",
    "updated_at",
    "resolved_at",
    "closed_at",
    "pending_reason",
    "resolution_code",
    "resolution_notes",
    "reassignment_count",
    "related",
    "url",
    "display",
}


def detail(incident_id: int) -> str:
    return "%s%d/" % (LIST, incident_id)


class IncidentReadTests(ApiTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        # The nurse's HIS fault is with the HIS vendor; the doctor's PACS fault with the
        # PACS vendor; a second call of the nurse's still waits at the desk.
        cls.his_case = incident_in(
            cls,
            S.ASSIGNED,
            requester=cls.nurse,
            group=cls.vendor_group,
            service=cls.his,
            configuration_items=[cls.printer],
            title="门诊收费HIS无法登录",
        )
        cls.pacs_case = incident_in(
            cls,
            S.ASSIGNED,
            requester=cls.doctor,
            group=cls.other_vendor_group,
            service=cls.pacs,
            title="PACS影像调阅缓慢",
        )
        cls.desk_case = incident_in(cls, S.NEW, requester=cls.nurse, title="分诊台打印机卡纸")

    def test_the_list_shows_each_role_only_what_it_may_see(self) -> None:
        everything = {self.his_case.pk, self.pacs_case.pk, self.desk_case.pk}
        visible = {
            "nurse": {self.his_case.pk, self.desk_case.pk},
            "doctor": {self.pacs_case.pk},
            "agent": everything,
            "engineer": everything,
            "vendor": {self.his_case.pk},
            "other_vendor": {self.pacs_case.pk},
            "manager": everything,
            "admin": everything,
        }
        answers = self.assert_statuses(
            lambda client, role: client.get(LIST),
            {**dict.fromkeys(visible, 200), "outsider": 403, "anonymous": 401},
        )
        for role, ids in visible.items():
            with self.subTest(role=role):
                self.assertEqual({row["id"] for row in page(answers[role])}, ids)
                self.assertEqual(answers[role].data["count"], len(ids))

    def test_one_incident_answers_404_to_those_who_may_not_see_it(self) -> None:
        self.assert_statuses(
            lambda client, role: client.get(detail(self.his_case.pk)),
            {
                "nurse": 200,
                "doctor": 404,
                "agent": 200,
                "engineer": 200,
                "vendor": 200,
                "other_vendor": 404,
                "manager": 200,
                "admin": 200,
                "outsider": 403,
                "anonymous": 401,
            },
        )

    def test_an_unknown_id_answers_404(self) -> None:
        response = self.api(self.agent).get(detail(987654))
        self.assertEqual(response.status_code, 404)
        self.assertEqual(set(response.data), {"detail"})

    def test_an_incident_reads_back_every_promised_field(self) -> None:
        response = self.api(self.agent).get(detail(self.his_case.pk))
        self.assertEqual(response.status_code, 200)
        data = response.data
        self.assertEqual(set(data), INCIDENT_FIELDS)
        self.assertRegex(data["number"], re.compile(r"^INC\d+$"))
        self.assertEqual(data["status"], S.ASSIGNED)
        self.assertEqual(data["requester"], self.nurse.pk)
        self.assertEqual(data["department"], self.emergency.pk)
        self.assertEqual(data["service"], self.his.pk)
        self.assertEqual(data["configuration_items"], [self.printer.pk])
        self.assertEqual(data["assignment_group"], self.vendor_group.pk)
        self.assertEqual(data["version"], self.his_case.version)
        self.assertTrue(data["url"].endswith(detail(self.his_case.pk)))
        self.assertEqual(data["display"]["requester"], "王芳")
        self.assertEqual(data["display"]["assignment_group"], self.vendor_group.name)
        self.assertEqual(data["display"]["configuration_items"], [str(self.printer)])
        self.assertIsNone(data["display"]["assignee"])
        self.assertIsNone(data["category"])
        self.assertIsNone(data["display"]["category"])
        self.assertIsNone(data["solved_by_article"])
        self.assertFalse(data["first_contact"])

    def test_put_and_delete_are_not_allowed(self) -> None:
        client = self.api(self.admin)
        self.assertEqual(client.put(detail(self.his_case.pk), {}, format="json").status_code, 405)
        self.assertEqual(client.delete(detail(self.his_case.pk)).status_code, 405)
        self.assertEqual(client.delete(LIST).status_code, 405)


class IncidentFilterTests(ApiTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.urgent = log(
            cls.agent,
            requester=cls.nurse,
            impact=TicketImpact.HIGH,
            urgency=TicketUrgency.HIGH,
            title="急诊HIS全部中断",
            service=cls.his,
        )
        cls.routine = incident_in(
            cls, S.IN_PROGRESS, requester=cls.doctor, title="放射科打印机缺墨", service=cls.pacs
        )

    def rows(self, query: str) -> set[int]:
        response = self.api(self.agent).get(LIST + query)
        self.assertEqual(response.status_code, 200, response.data)
        return {row["id"] for row in page(response)}

    def test_it_filters_with_the_same_filters_as_the_queue_page(self) -> None:
        self.assertEqual(self.rows("?status=new"), {self.urgent.pk})
        self.assertEqual(
            self.rows("?status=new&status=in_progress"), {self.urgent.pk, self.routine.pk}
        )
        self.assertEqual(self.rows("?priority=1"), {self.urgent.pk})
        self.assertEqual(self.rows("?service=%d" % self.pacs.pk), {self.routine.pk})
        self.assertEqual(self.rows("?major=true"), {self.urgent.pk})
        self.assertEqual(self.rows("?department=%d" % self.emergency.pk), {self.urgent.pk})
        self.assertEqual(self.rows("?q=%s" % self.routine.number), {self.routine.pk})
        self.assertEqual(self.rows("?q=打印机"), {self.routine.pk})
        self.assertEqual(self.rows("?queue=unassigned"), {self.urgent.pk})
        self.assertEqual(self.rows("?open=true"), {self.urgent.pk, self.routine.pk})

    def test_the_queue_of_my_groups_follows_the_caller(self) -> None:
        response = self.api(self.engineer).get(LIST + "?queue=my_groups")
        self.assertEqual({row["id"] for row in page(response)}, {self.routine.pk})

    def test_an_invalid_filter_answers_400_naming_it(self) -> None:
        response = self.api(self.agent).get(LIST + "?status=bogus&priority=9")
        self.assert_error_fields(response, "status", "priority")

    def test_the_list_filters_do_not_apply_to_one_incident(self) -> None:
        """A record's endpoint takes no list filters: they neither hide it nor answer 400."""
        detail = LIST + "%d/" % self.routine.pk
        for query in ("?status=new", "?status=bogus&priority=9"):
            response = self.api(self.agent).get(detail + query)
            self.assertEqual(response.status_code, 200, response.data)
            self.assertEqual(response.data["id"], self.routine.pk)

    def test_pages_are_linked_and_the_size_is_chosen_by_the_client(self) -> None:
        response = self.api(self.agent).get(LIST + "?page_size=1")
        self.assertEqual(response.data["count"], 2)
        self.assertEqual(len(response.data["results"]), 1)
        self.assertIn("page=2", response.data["next"])
        self.assertIsNone(response.data["previous"])
        second = self.api(self.agent).get(response.data["next"])
        self.assertEqual(len(second.data["results"]), 1)
        self.assertIsNone(second.data["next"])

    def test_a_page_past_the_end_answers_404(self) -> None:
        self.assertEqual(self.api(self.agent).get(LIST + "?page=99").status_code, 404)

    def test_the_page_size_is_capped_at_200(self) -> None:
        request = Request(APIRequestFactory().get(LIST, {"page_size": "5000"}))
        self.assertEqual(Pagination().get_page_size(request), 200)


class IncidentListQueryCountTests(ApiTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        previous = None
        for index in range(55):
            incident = log(
                cls.agent,
                requester=cls.nurse if index % 2 else cls.doctor,
                title="测试故障%d" % index,
                service=cls.his,
                configuration_items=[cls.printer],
                assignment_group=cls.vendor_group if index % 3 else cls.front_group,
            )
            if previous is not None and index % 5 == 0:
                link_incidents(incident, previous, actor=cls.agent)
            previous = incident

    def count_queries(self, role: str, page_size: int) -> int:
        client = self.as_role(role)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIST, {"page_size": page_size})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.data["results"]), min(page_size, response.data["count"]))
        return len(queries)

    def test_the_list_runs_the_same_number_of_queries_whatever_the_page_size(self) -> None:
        for role in ("agent", "vendor", "nurse"):
            with self.subTest(role=role):
                self.count_queries(role, 5)  # warm the content-type cache
                expected = self.count_queries(role, 5)
                client = self.as_role(role)
                with self.assertNumQueries(expected):
                    response = client.get(LIST, {"page_size": 50})
                self.assertGreater(len(response.data["results"]), 5)
