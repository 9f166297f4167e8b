from __future__ import annotations

from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.tests.factories import log
from itsm.problems.choices import ProblemStatus, ProposalStatus
from itsm.problems.models import Problem, ProposedProblem
from itsm.problems.services import detect_trends
from itsm.problems.tests.factories import problem


class ProblemApiTests(BaseTestCase):
    def test_create_read_update_with_version(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        api = self.api(self.engineer)
        response = api.post(
            "/api/problems/",
            {"title": "医保接口超时", "impact": 2, "urgency": 1, "incidents": [incident.pk]},
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.data)
        self.assertEqual(response.data["priority"], 2)
        self.assertEqual(response.data["incidents"], [incident.number])
        pk = response.data["id"]
        patched = api.patch(
            "/api/problems/%d/" % pk, {"symptoms": "高峰期超时", "version": 1}, format="json"
        )
        self.assertEqual(patched.status_code, 200)
        self.assertEqual(patched.data["version"], 2)
        stale = api.patch("/api/problems/%d/" % pk, {"symptoms": "x", "version": 1}, format="json")
        self.assertEqual(stale.status_code, 409)
        self.assertEqual(api.get("/api/problems/%d/" % pk).data["symptoms"], "高峰期超时")

    def test_bad_input_is_400_per_field(self) -> None:
        api = self.api(self.engineer)
        response = api.post(
            "/api/problems/",
            {"title": "", "impact": 9, "status": "closed", "cause_category": "bogus"},
            format="json",
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            set(response.data), {"title", "impact", "status", "cause_category"}, response.data
        )
        found = problem(self.engineer)
        missing = api.patch("/api/problems/%d/" % found.pk, {"title": "x"}, format="json")
        self.assertEqual(missing.status_code, 400)
        self.assertIn("version", missing.data)

    def test_access(self) -> None:
        mine = problem(self.engineer, assignment_group=self.vendor_group)
        other = problem(self.engineer, assignment_group=self.other_vendor_group)
        self.assertEqual(self.api(self.nurse).get("/api/problems/").status_code, 403)
        self.assertEqual(self.api(None).get("/api/problems/").status_code, 401)
        vendor = self.api(self.vendor)
        ids = [row["id"] for row in vendor.get("/api/problems/").data["results"]]
        self.assertEqual(ids, [mine.pk])
        self.assertEqual(vendor.get("/api/problems/%d/" % other.pk).status_code, 404)
        self.assertEqual(
            self.api(self.agent).post("/api/problems/", {"title": "x"}).status_code, 403
        )

    def test_transitions_and_resolve_with_incidents(self) -> None:
        incident = log(self.agent, requester=self.nurse)
        found = problem(self.engineer, incidents=[incident])
        api = self.api(self.manager)
        menu = api.get("/api/problems/%d/transitions/" % found.pk).data
        self.assertIn("investigate", [t["name"] for t in menu["transitions"]])
        url = "/api/problems/%d/transitions/" % found.pk
        self.assertEqual(api.post(url, {"name": "close"}, format="json").status_code, 409)
        self.assertEqual(
            api.post(url, {"name": "investigate", "version": 1}, format="json").status_code, 200
        )
        bad = api.post(url, {"name": "resolve", "resolve_incidents": True}, format="json")
        self.assertEqual(bad.status_code, 400)
        self.assertEqual(set(bad.data), {"resolution_notes", "message"})
        done = api.post(
            url,
            {
                "name": "resolve",
                "resolution_notes": "扩容存储",
                "resolve_incidents": True,
                "message": "已扩容",
            },
            format="json",
        )
        self.assertEqual(done.status_code, 200, done.data)
        self.assertEqual(done.data["status"], ProblemStatus.RESOLVED)
        incident.refresh_from_db()
        self.assertEqual(incident.status, IncidentStatus.RESOLVED)

    def test_link_and_unlink(self) -> None:
        found = problem(self.engineer)
        incident = log(self.agent, requester=self.nurse)
        api = self.api(self.engineer)
        url = "/api/problems/%d/" % found.pk
        linked = api.post(url + "link/", {"incident": incident.pk}, format="json")
        self.assertEqual(linked.data["incidents"], [incident.number])
        self.assertEqual(api.post(url + "link/", {"incident": 0}, format="json").status_code, 400)
        api.post(url + "unlink/", {"incident": incident.pk}, format="json")
        self.assertEqual(found.links.count(), 0)


class ProposedProblemApiTests(BaseTestCase):
    def test_accept_and_dismiss(self) -> None:
        for _ in range(3):
            log(self.agent, requester=self.nurse, configuration_items=[self.printer])
        for _ in range(3):
            log(self.agent, requester=self.doctor, service=self.pacs)
        detect_trends()
        ci, service = ProposedProblem.objects.order_by("kind")
        self.assertEqual(
            len(self.api(self.agent).get("/api/proposed-problems/").data["results"]), 2
        )
        self.assertEqual(
            self.api(self.agent).post("/api/proposed-problems/%d/accept/" % ci.pk).status_code,
            403,
        )
        api = self.api(self.manager)
        accepted = api.post("/api/proposed-problems/%d/accept/" % ci.pk)
        self.assertEqual(accepted.status_code, 201)
        self.assertEqual(len(accepted.data["incidents"]), 3)
        again = api.post("/api/proposed-problems/%d/accept/" % ci.pk)
        self.assertEqual(again.status_code, 409)
        dismissed = api.post(
            "/api/proposed-problems/%d/dismiss/" % service.pk, {"reason": "网络已知"}, format="json"
        )
        self.assertEqual(dismissed.data["status"], ProposalStatus.DISMISSED)
        self.assertEqual(Problem.objects.count(), 1)


class ProblemApiListTests(BaseTestCase):
    def test_list_query_count_does_not_grow_with_rows(self) -> None:
        api = self.api(self.manager)
        found = problem(self.engineer, service=self.his, incidents=[log(self.agent)])
        found.configuration_items.set([self.printer])
        api.get("/api/problems/")
        with self.assertNumQueries(7) as small:
            api.get("/api/problems/")
        for _ in range(4):
            more = problem(self.engineer, service=self.pacs, incidents=[log(self.agent)])
            more.affected_services.set([self.his, self.pacs])
        with self.assertNumQueries(len(small)):
            response = api.get("/api/problems/")
        self.assertEqual(response.data["count"], 5)
        self.assertEqual({row["incident_count"] for row in response.data["results"]}, {1})
