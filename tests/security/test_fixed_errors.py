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
