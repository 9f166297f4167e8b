"""Server errors the permission matrix and the fuzzer found, each kept fixed by a test."""

from __future__ import annotations

from django.urls import reverse

from itsm.changes.models import ChangeIncident
from itsm.core.services import write_audit
from tests.security.hospital import HospitalTestCase


class FixedServerErrorTests(HospitalTestCase):
    def test_unlinking_an_incident_a_change_does_not_name_is_refused_not_a_500(self) -> None:
        change = self.side_a.change
        self.login(self.engineer)
        url = reverse(
            "changes:change_unlink", args=[change.pk, "incident", self.side_a.incident.pk]
        )
        response = self.client.post(url)
        self.assertLess(response.status_code, 500)
        self.assertFalse(ChangeIncident.objects.filter(change=change).exists())

    def test_the_audit_log_shows_entries_naming_records_by_number(self) -> None:
        """Linking an incident to a change audits its number (INC…), not its id (as
        changes.services.link_incident writes it, which wants an implemented change)."""
        number = self.side_a.incident.number
        write_audit(
            self.side_a.change,
            actor=self.engineer,
            action="link_incident",
            changes={"induced_incidents": [[], [number]]},
        )
        self.login(self.auditor)
        response = self.client.get(reverse("audit_log"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, self.side_a.incident.number)

    def test_a_format_suffix_on_an_api_action_is_not_a_route(self) -> None:
        """`/api/incidents/1/clocks.json` answered 500 (the actions take no `format`)."""
        response = self.api(self.agent).get(f"/api/incidents/{self.side_a.incident.pk}/clocks.json")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.api(self.agent).get("/api/incidents/?format=json").status_code, 200)

    def test_a_year_that_is_no_calendar_year_is_a_400_not_a_500(self) -> None:
        for year in ("-6.302743904314538e-37", "2026.5", "0", "123456"):
            with self.subTest(year=year):
                response = self.api(self.admin).get("/api/calendar-days/", {"year": year})
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIn("year", response.json())
        self.assertEqual(
            self.api(self.admin).get("/api/calendar-days/", {"year": "2026"}).status_code, 200
        )

    def test_a_page_past_the_last_is_a_documented_404(self) -> None:
        response = self.api(self.admin).get("/api/vendors/", {"page": 4000})
        self.assertEqual(response.status_code, 404)
        schema = self.api(self.admin).get("/api/schema/", {"format": "json"}).json()
        self.assertIn("404", schema["paths"]["/api/vendors/"]["get"]["responses"])

    def test_an_id_no_column_can_hold_in_a_list_filter_is_a_400_not_a_500(self) -> None:
        huge = "-6871682963911500783106916352"
        for url, name in (("/api/users/", "support_groups"), ("/api/services/", "departments")):
            with self.subTest(url=url):
                response = self.api(self.admin).get(url, {name: [huge, "1"]})
                self.assertEqual(response.status_code, 400, response.content)
                self.assertIn(name, response.json())

    def test_every_edit_with_a_version_documents_its_409(self) -> None:
        """PATCH /api/duty-shifts/{id}/ with a stale version answered an undocumented 409:
        every edit whose body carries `version` documents it now."""
        shift = self.api(self.admin).get("/api/duty-shifts/").json()["results"]
        if shift:
            response = self.api(self.admin).patch(
                "/api/duty-shifts/%d/" % shift[0]["id"], {"version": 24282414}, format="json"
            )
            self.assertEqual(response.status_code, 409, response.content)
        schema = self.api(self.admin).get("/api/schema/", {"format": "json"}).json()
        components = schema["components"]["schemas"]
        versioned = []
        for path, operations in schema["paths"].items():
            patch = operations.get("patch")
            if patch is None:
                continue
            body = patch.get("requestBody", {}).get("content", {}).get("application/json", {})
            reference = body.get("schema", {}).get("$ref", "")
            properties = components.get(reference.rpartition("/")[2], {}).get("properties", {})
            if "version" in properties:
                versioned.append(path)
                self.assertIn("409", patch["responses"], path)
        self.assertIn("/api/duty-shifts/{id}/", versioned)

    def test_a_moment_no_database_can_store_is_a_400_not_a_500(self) -> None:
        """An offset beyond PostgreSQL's ±15:59, or a moment that leaves the years 1–9999
        once moved to UTC, answered 500 (the CI's as-of view and the list filters)."""
        bad = (
            "0079-12-09T18:08:48-19:36",
            "0001-01-01T00:00:00+05:00",
            "9999-12-31T23:00:00-09:00",
        )
        checks = (
            ("/api/cis/%d/as-of/" % self.server.pk, "at"),
            ("/api/changes/", "starts_after"),
            ("/api/duty-shifts/", "on"),
        )
        for url, name in checks:
            for moment in bad:
                with self.subTest(url=url, moment=moment):
                    response = self.api(self.admin).get(url, {name: moment})
                    if moment.startswith("2026"):  # a valid moment, in an odd offset
                        self.assertEqual(response.status_code, 200, response.content)
                    else:
                        self.assertEqual(response.status_code, 400, response.content)
                        self.assertIn(name, response.json())

    def test_a_nul_character_in_a_looked_up_code_is_a_400_not_a_500(self) -> None:
        """PostgreSQL refuses NUL even in a query: a class code with one answered 500."""
        response = self.api(self.admin).post(
            "/api/ci-attributes/",
            {"ci_class": "\x00SRV", "code": "rack", "name": "机柜", "type": "text"},
            format="json",
        )
        self.assertEqual(response.status_code, 400, response.content)
        self.assertIn("ci_class", response.json())

    def test_a_moment_before_1901_is_refused_not_read_back_in_local_mean_time(self) -> None:
        """A change planned in the year 306 read back with the offset +08:05:43 (local mean
        time, before 1901), which the schema's date-time refuses."""
        for moment, expected in (("0306-10-05T00:00:00+08:00", 400), ("1901-01-01T08:00", 201)):
            with self.subTest(moment=moment):
                response = self.api(self.agent).post(
                    "/api/incidents/",
                    {"title": "门诊打印机卡纸", "requester": self.nurse.pk, "reported_at": moment},
                    format="json",
                )
                self.assertEqual(response.status_code, expected, response.content)
                if expected == 400:
                    self.assertIn("reported_at", response.json())

    def test_a_nul_character_is_refused_before_any_field_looks_it_up(self) -> None:
        """With an unknown key alongside, the fields were still validated, and the class
        looked up with its NUL: a 500 on PostgreSQL."""
        response = self.api(self.admin).post(
            "/api/cis/",
            {"bogus": [], "code": "\x021", "ci_class": "$\x00SRV", "name": "交换机"},
            format="json",
        )
        self.assertEqual(response.status_code, 400, response.content)
        self.assertEqual(set(response.json()), {"bogus", "ci_class"})
