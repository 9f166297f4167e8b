"""GET /api/reports/sla-compliance/: the report's rows as JSON, 400 with a message per
field, 401 and 403."""

from __future__ import annotations

from itsm.reports.tests.factories import NOW, ReportCase, frozen

URL = "/api/reports/sla-compliance/"


class ApiTests(ReportCase):
    def test_it_answers_the_rows(self) -> None:
        with frozen(NOW):
            response = self.api(self.manager).get(
                URL + "?year=2026&month=10&dimension=service&metric=response&kind=sla"
            )

        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(
            {k: body[k] for k in ("year", "month", "dimension", "metric", "kind")},
            {
                "year": 2026,
                "month": 10,
                "dimension": "service",
                "metric": "response",
                "kind": "sla",
            },
        )
        his = body["rows"][0]
        self.assertEqual(
            {
                k: his[k]
                for k in (
                    "month",
                    "metric",
                    "key",
                    "name",
                    "measured",
                    "met",
                    "breached",
                    "compliance",
                )
            },
            {
                "month": "2026-10",
                "metric": "response",
                "key": self.his.pk,
                "name": "HIS",
                "measured": 2,
                "met": 1,
                "breached": 1,
                "compliance": 50.0,
            },
        )
        self.assertIn("/reports/sla/breached/?", his["breached_url"])
        self.assertEqual(len(body["rows"]), 2)

    def test_bad_parameters_are_400_with_a_message_per_field(self) -> None:
        response = self.api(self.manager).get(
            URL + "?year=20x6&month=13&dimension=foo&metric=all&kind=x"
        )

        self.assertEqual(response.status_code, 400)
        errors = response.json()
        self.assertEqual(set(errors), {"year", "month", "dimension", "metric", "kind"})
        self.assertTrue(all(isinstance(m, list) and m for m in errors.values()))

    def test_a_requester_is_refused_with_403(self) -> None:
        for user in (self.nurse, self.outsider, self.vendor):
            with self.subTest(user=user.username):
                self.assertEqual(self.api(user).get(URL).status_code, 403)

    def test_without_a_token_it_is_401(self) -> None:
        self.assertEqual(self.api(None).get(URL).status_code, 401)

    def test_it_is_in_the_schema(self) -> None:
        response = self.client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

        self.assertIn(b"/api/reports/sla-compliance/:", response.content)
