"""The OpenAPI 3 schema at /api/schema/ and its documentation pages, served from our own
static files."""

from __future__ import annotations

import io
from typing import Any

import yaml
from django.core.management import call_command

from itsm.api.tests.support import ApiTestCase

PATHS = {
    "/api/auth/token/": {"post"},
    "/api/incidents/": {"get", "post"},
    "/api/incidents/{id}/": {"get", "patch"},
    "/api/incidents/{id}/transitions/": {"get", "post"},
    "/api/incidents/{id}/comments/": {"get", "post"},
    "/api/incidents/{id}/timeline/": {"get"},
    "/api/incidents/{id}/major/": {"post"},
    "/api/incidents/{id}/link/": {"post"},
    "/api/departments/": {"get", "post"},
    "/api/departments/{id}/": {"get", "patch"},
    "/api/groups/": {"get", "post"},
    "/api/groups/{id}/": {"get", "patch"},
    "/api/users/": {"get"},
    "/api/users/{id}/": {"get"},
    "/api/users/me/": {"get"},
    "/api/vendors/": {"get", "post"},
    "/api/vendors/{id}/": {"get", "patch"},
    "/api/services/": {"get", "post"},
    "/api/services/{id}/": {"get", "patch"},
    "/api/cis/": {"get", "post"},
    "/api/cis/{id}/": {"get", "patch"},
}


class SchemaTests(ApiTestCase):
    def schema(self) -> dict[str, Any]:
        response = self.client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
        self.assertEqual(response.status_code, 200)
        loaded: dict[str, Any] = yaml.safe_load(response.content)
        return loaded

    def operations(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {
            (path, method): operation
            for path, item in self.schema()["paths"].items()
            for method, operation in item.items()
            if method in {"get", "post", "patch", "put", "delete"}
        }

    def test_it_is_openapi_3_with_every_endpoint_and_method(self) -> None:
        schema = self.schema()
        self.assertTrue(schema["openapi"].startswith("3."))
        for path, methods in PATHS.items():
            with self.subTest(path=path):
                self.assertIn(path, schema["paths"])
                self.assertEqual(set(schema["paths"][path]) - {"parameters"}, methods)

    def test_every_operation_describes_its_errors(self) -> None:
        for (path, method), operation in self.operations().items():
            codes = set(operation["responses"])
            with self.subTest(path=path, method=method):
                if path != "/api/auth/token/":
                    self.assertLessEqual({"401", "403"}, codes)
                if "{id}" in path:
                    self.assertIn("404", codes)
                if method in {"post", "patch"}:
                    self.assertIn("400", codes)
        operations = self.operations()
        for key in (
            ("/api/incidents/{id}/", "patch"),
            ("/api/incidents/{id}/transitions/", "post"),
        ):
            self.assertIn("409", operations[key]["responses"])
        self.assertIn("400", operations[("/api/incidents/", "get")]["responses"])
        self.assertEqual(
            operations[("/api/incidents/{id}/", "patch")]["responses"]["409"]["content"][
                "application/json"
            ]["schema"]["$ref"],
            "#/components/schemas/Error",
        )

    def test_the_incident_filters_and_the_patch_version_are_documented(self) -> None:
        operations = self.operations()
        parameters = {p["name"] for p in operations[("/api/incidents/", "get")]["parameters"]}
        self.assertLessEqual(
            {
                "q",
                "queue",
                "status",
                "priority",
                "assignment_group",
                "service",
                "department",
                "page",
                "page_size",
            },
            parameters,
        )
        components = self.schema()["components"]["schemas"]
        self.assertIn("version", components["IncidentUpdateRequest"]["required"])
        self.assertIn("name", components["IncidentTransitionRequestRequest"]["required"])

    def test_it_generates_and_validates_without_warnings(self) -> None:
        out = io.StringIO()
        call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
        self.assertIn("openapi:", out.getvalue())

    def test_the_docs_pages_use_local_assets_only(self) -> None:
        for url in ("/api/docs/", "/api/redoc/"):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                html = response.content.decode()
                self.assertIn("/static/drf_spectacular_sidecar/", html)
                self.assertNotIn("cdn.jsdelivr", html)
                self.assertNotIn("unpkg.com", html)
        script = self.client.get(
            "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
        )
        self.assertEqual(script.status_code, 200)
