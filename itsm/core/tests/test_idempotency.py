"""Idempotency-Key on the API's POSTs: a retried create is answered from the first one and
creates nothing; the same key for another request is refused; refused requests keep no key;
keys are per user and expire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import override_settings
from django.utils import timezone

from itsm.core.idempotency import purge_idempotency_keys
from itsm.core.models import AuditEntry, Comment, IdempotencyKey
from itsm.core.testing import BaseTestCase
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import incident_in

INCIDENTS = "/api/incidents/"
BODY = {"title": "急诊分诊台条码打印机不出纸", "description": "打印腕带时无反应"}


class IdempotencyTests(BaseTestCase):
    def post(self, user: Any, key: str | None, body: Any = BODY, path: str = INCIDENTS) -> Any:
        headers: dict[str, Any] = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
        return self.api(user).post(path, body, format="json", **headers)

    def test_a_retry_with_the_same_key_replays_the_first_answer_and_creates_nothing(
        self,
    ) -> None:
        first = self.post(self.nurse, "order-0001")
        self.assertEqual(first.status_code, 201, first.data)
        self.assertNotIn("Idempotent-Replayed", first.headers)
        written = (Incident.objects.count(), AuditEntry.objects.count())

        again = self.post(self.nurse, "order-0001", {"description": BODY["description"], **BODY})

        self.assertEqual(again.status_code, 201)
        self.assertEqual(again.headers["Idempotent-Replayed"], "true")
        self.assertEqual(again.json(), first.json())
        self.assertEqual((Incident.objects.count(), AuditEntry.objects.count()), written)

    def test_without_a_key_each_post_creates_a_record(self) -> None:
        self.post(self.nurse, None)
        self.post(self.nurse, None)
        self.assertEqual(Incident.objects.count(), 2)
        self.assertFalse(IdempotencyKey.objects.exists())

    def test_the_same_key_for_another_body_is_refused_with_422_and_nothing_written(
        self,
    ) -> None:
        self.post(self.nurse, "k-1")
        other = self.post(self.nurse, "k-1", {**BODY, "title": "另一个故障"})
        self.assertEqual(other.status_code, 422)
        self.assertIn("Idempotency-Key", other.data["detail"])
        self.assertEqual(Incident.objects.count(), 1)

    def test_the_same_key_on_another_path_is_refused(self) -> None:
        incident = incident_in(self, "new")
        self.post(self.agent, "k-2")
        comment = self.post(
            self.agent, "k-2", {"body": "已联系"}, "/api/incidents/%d/comments/" % incident.pk
        )
        self.assertEqual(comment.status_code, 422)
        self.assertFalse(Comment.objects.filter(body="已联系").exists())

    def test_keys_are_per_user(self) -> None:
        self.assertEqual(self.post(self.nurse, "shared").status_code, 201)
        theirs = self.post(self.doctor, "shared")
        self.assertEqual(theirs.status_code, 201)
        self.assertNotIn("Idempotent-Replayed", theirs.headers)
        self.assertEqual(Incident.objects.count(), 2)

    def test_a_refused_request_keeps_no_key_and_may_be_corrected(self) -> None:
        refused = self.post(self.nurse, "k-3", {"description": "没有标题"})
        self.assertEqual(refused.status_code, 400)
        self.assertFalse(IdempotencyKey.objects.exists())
        self.assertEqual(self.post(self.nurse, "k-3").status_code, 201)

    def test_a_forbidden_request_stores_nothing(self) -> None:
        self.assertEqual(self.post(self.outsider, "k-4").status_code, 403)
        self.assertFalse(IdempotencyKey.objects.exists())

    def test_an_action_post_is_replayed_too(self) -> None:
        incident = incident_in(self, "new")
        path = "/api/incidents/%d/comments/" % incident.pk
        first = self.post(self.agent, "note-1", {"body": "已联系厂商"}, path)
        again = self.post(self.agent, "note-1", {"body": "已联系厂商"}, path)
        self.assertEqual((first.status_code, again.status_code), (201, 201))
        self.assertEqual(again.json(), first.json())
        self.assertEqual(Comment.objects.filter(body="已联系厂商").count(), 1)

    def test_other_create_endpoints_honour_the_key(self) -> None:
        body = {"code": "PRN-ED-009", "name": "急诊打印机", "ci_class": "printer"}
        first = self.post(self.admin, "ci-1", body, "/api/cis/")
        again = self.post(self.admin, "ci-1", body, "/api/cis/")
        self.assertEqual(first.status_code, 201, first.data)
        self.assertEqual(again.headers["Idempotent-Replayed"], "true")
        self.assertEqual(again.json(), first.json())

    def test_a_malformed_key_is_refused_with_400(self) -> None:
        for key in ("", " ", "x" * 256, "键"):
            with self.subTest(key=key):
                response = self.api(self.nurse).post(
                    INCIDENTS,
                    BODY,
                    format="json",
                    HTTP_IDEMPOTENCY_KEY=key.encode().decode("latin-1"),
                )
                self.assertEqual(response.status_code, 400)
                self.assertIn("Idempotency-Key", response.data)
        self.assertEqual(Incident.objects.count(), 0)

    def test_an_expired_key_is_a_new_request(self) -> None:
        self.post(self.nurse, "old")
        IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
        again = self.post(self.nurse, "old", {**BODY, "title": "新的故障"})
        self.assertEqual(again.status_code, 201)
        self.assertEqual(Incident.objects.count(), 2)

    @override_settings(ITSM_IDEMPOTENCY_HOURS=24)
    def test_the_periodic_job_forgets_keys_older_than_a_day(self) -> None:
        self.post(self.nurse, "old")
        self.post(self.nurse, "new", {**BODY, "title": "新的故障"})
        IdempotencyKey.objects.filter(key="old").update(
            created_at=timezone.now() - timedelta(hours=24, minutes=1)
        )
        self.assertEqual(purge_idempotency_keys(), 1)
        self.assertEqual(list(IdempotencyKey.objects.values_list("key", flat=True)), ["new"])


class IdempotencySchemaTests(BaseTestCase):
    def test_every_post_documents_the_header_and_the_422(self) -> None:
        schema = self.api(self.admin).get("/api/schema/", HTTP_ACCEPT="application/json").json()
        posts = [
            (path, operations["post"])
            for path, operations in schema["paths"].items()
            if "post" in operations and not path.startswith("/api/auth/")
        ]
        self.assertGreater(len(posts), 10)
        for path, operation in posts:
            with self.subTest(path=path):
                names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
                self.assertIn("Idempotency-Key", names)
                self.assertIn("422", operation["responses"])
