"""The release and deployment API over real HTTP: reads, writes through the services, and
each refusal with its status (400 per field, 403, 404, 409)."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.changes.choices import ChangeStatus
from itsm.cmdb.choices import ConfigurationItemStatus
from itsm.cmdb.models import ConfigurationItem
from itsm.core.testing import BaseTestCase
from itsm.releases.choices import DeploymentEnvironment, ReleaseStatus
from itsm.releases.models import Deployment, Release
from itsm.releases.services import transition_release
from itsm.releases.tests.factories import application, change, deploy, release, release_in

E = DeploymentEnvironment


class ReleaseApiTests(BaseTestCase):
    def test_an_engineer_plans_a_release_with_items_and_changes(self) -> None:
        item = application()
        rfc = change(self.engineer)
        response = self.api(self.engineer).post(
            "/api/releases/",
            {
                "title": "HIS 5.3.2",
                "release_version": "HIS 5.3.2",
                "release_type": "minor",
                "configuration_items": [item.pk],
                "changes": [rfc.pk],
                "assignment_group": self.front_group.pk,
            },
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertTrue(body["number"].startswith("REL"))
        self.assertEqual(body["status"], ReleaseStatus.BUILD)
        self.assertEqual(body["changes"], [rfc.number])

    def test_it_refuses_bad_input_per_field(self) -> None:
        response = self.api(self.engineer).post(
            "/api/releases/",
            {
                "title": "x",
                "release_version": "",
                "release_type": "huge",
                "planned_start": "2026-12-02T02:00:00+08:00",
                "planned_end": "2026-12-01T02:00:00+08:00",
                "status": "deploy",
            },
            format="json",
        )
        self.assertEqual(response.status_code, 400)
        body = response.json()
        self.assertIn("release_version", body)
        self.assertIn("release_type", body)
        self.assertIn("status", body)
        response = self.api(self.engineer).post(
            "/api/releases/",
            {
                "title": "x",
                "release_version": "1.0",
                "planned_start": "2026-12-02T02:00:00+08:00",
                "planned_end": "2026-12-01T02:00:00+08:00",
            },
            format="json",
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("planned_end", response.json())
        self.assertFalse(Release.objects.exists())

    def test_requesters_and_outsiders_cannot_see_releases(self) -> None:
        rel = release(self)
        for user in (self.nurse, self.outsider):
            with self.subTest(user=user.username):
                self.assertEqual(self.api(user).get("/api/releases/").status_code, 403)
                self.assertIn(
                    self.api(user).get("/api/releases/%d/" % rel.pk).status_code, (403, 404)
                )
        self.assertEqual(self.api(None).get("/api/releases/").status_code, 401)

    def test_a_vendor_engineer_does_not_see_other_groups_releases(self) -> None:
        other = release(self, assignment_group=self.other_vendor_group)
        self.assertEqual(self.api(self.vendor).get("/api/releases/%d/" % other.pk).status_code, 404)

    def test_a_stale_edit_is_refused_with_409(self) -> None:
        rel = release(self)
        client = self.api(self.engineer)
        ok = client.patch(
            "/api/releases/%d/" % rel.pk, {"title": "新标题", "version": rel.version}, format="json"
        )
        self.assertEqual(ok.status_code, 200, ok.content)
        stale = client.patch(
            "/api/releases/%d/" % rel.pk, {"title": "旧标题", "version": rel.version}, format="json"
        )
        self.assertEqual(stale.status_code, 409)
        self.assertEqual(Release.objects.get(pk=rel.pk).title, "新标题")

    def test_transitions_are_listed_and_taken_and_wrong_order_is_409(self) -> None:
        rel = release_in(self, ReleaseStatus.BUILD)
        client = self.api(self.manager)
        menu = client.get("/api/releases/%d/transitions/" % rel.pk).json()
        self.assertEqual({t["name"] for t in menu["transitions"]}, {"start_test", "cancel"})
        wrong = client.post(
            "/api/releases/%d/transitions/" % rel.pk, {"name": "close"}, format="json"
        )
        self.assertEqual(wrong.status_code, 409)
        stale = client.post(
            "/api/releases/%d/transitions/" % rel.pk,
            {"name": "start_test", "version": rel.version + 5},
            format="json",
        )
        self.assertEqual(stale.status_code, 409)
        done = client.post(
            "/api/releases/%d/transitions/" % rel.pk,
            {"name": "start_test", "version": rel.version},
            format="json",
        )
        self.assertEqual(done.status_code, 200, done.content)
        self.assertEqual(done.json()["status"], ReleaseStatus.TEST)
        engineer = self.api(self.engineer).post(
            "/api/releases/%d/transitions/" % rel.pk, {"name": "start_deploy"}, format="json"
        )
        self.assertEqual(engineer.status_code, 403)

    def test_the_list_runs_the_same_queries_whatever_the_rows(self) -> None:
        client = self.api(self.manager)
        release_in(self, ReleaseStatus.CLOSED)
        client.get("/api/releases/")
        with CaptureQueriesContext(connection) as small:
            client.get("/api/releases/")
        for _ in range(3):
            release_in(self, ReleaseStatus.CLOSED)
        with self.assertNumQueries(len(small)):
            response = client.get("/api/releases/")
        self.assertEqual(response.json()["count"], 4)


class DeploymentApiTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.opd = application("APP-HIS-OPD", "5.3.1")

    def deploy_stage(self) -> Release:
        return release_in(self, ReleaseStatus.DEPLOY, item=self.opd)

    def test_recording_a_production_deployment_updates_the_item(self) -> None:
        rel = self.deploy_stage()
        response = self.api(self.engineer).post(
            "/api/deployments/",
            {
                "release": rel.pk,
                "configuration_item": self.opd.pk,
                "environment": "production",
                "version_deployed": "5.3.2",
                "notes": "02:00-02:40 完成",
            },
            format="json",
        )
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual(body["previous_version"], "5.3.1")
        self.assertEqual(body["release_number"], rel.number)
        item = ConfigurationItem.objects.get(pk=self.opd.pk)
        self.assertEqual(item.attributes["software_version"], "5.3.2")
        listed = self.api(self.agent).get("/api/deployments/?ci=%d" % self.opd.pk).json()
        self.assertEqual([d["version_deployed"] for d in listed["results"]], ["5.3.2"])
        detail = self.api(self.agent).get("/api/releases/%d/" % rel.pk).json()
        self.assertEqual(len(detail["deployments"]), 1)

    def test_bad_deployments_are_refused_with_the_reason(self) -> None:
        rel = self.deploy_stage()
        client = self.api(self.engineer)
        base = {"release": rel.pk, "configuration_item": self.opd.pk}
        same = client.post(
            "/api/deployments/",
            {**base, "environment": "production", "version_deployed": "5.3.1"},
            format="json",
        )
        self.assertEqual(same.status_code, 400)
        self.assertIn("version_deployed", same.json())
        bogus = client.post(
            "/api/deployments/",
            {**base, "environment": "moon", "version_deployed": "x", "extra": 1},
            format="json",
        )
        self.assertEqual(bogus.status_code, 400)
        self.assertIn("environment", bogus.json())
        self.assertIn("extra", bogus.json())
        ConfigurationItem.objects.filter(pk=self.opd.pk).update(
            status=ConfigurationItemStatus.RETIRED
        )
        retired = client.post(
            "/api/deployments/",
            {**base, "environment": "production", "version_deployed": "5.3.2"},
            format="json",
        )
        self.assertEqual(retired.status_code, 400)
        self.assertIn("APP-HIS-OPD", retired.json()["configuration_item"][0])
        self.assertFalse(Deployment.objects.exists())

    def test_production_before_deploy_stage_is_409(self) -> None:
        rel = release_in(self, ReleaseStatus.TEST, item=self.opd)
        response = self.api(self.engineer).post(
            "/api/deployments/",
            {
                "release": rel.pk,
                "configuration_item": self.opd.pk,
                "environment": "production",
                "version_deployed": "5.3.2",
            },
            format="json",
        )
        self.assertEqual(response.status_code, 409)

    def test_who_may_record_deployments(self) -> None:
        rel = self.deploy_stage()
        data = {
            "release": rel.pk,
            "configuration_item": self.opd.pk,
            "environment": "test",
            "version_deployed": "5.3.2",
        }
        self.assertEqual(
            self.api(self.agent).post("/api/deployments/", data, format="json").status_code, 403
        )
        self.assertEqual(
            self.api(self.nurse).post("/api/deployments/", data, format="json").status_code, 403
        )
        # A vendor engineer does not see a release of another group: its id is unknown.
        hidden = self.api(self.vendor).post("/api/deployments/", data, format="json")
        self.assertEqual(hidden.status_code, 400)
        self.assertIn("release", hidden.json())
        self.assertEqual(
            self.api(self.manager).post("/api/deployments/", data, format="json").status_code, 201
        )

    def test_rollback_endpoint(self) -> None:
        rel = self.deploy_stage()
        done = deploy(self, rel, self.opd)
        client = self.api(self.engineer)
        response = client.post(
            "/api/deployments/%d/rollback/" % done.pk, {"notes": "收费报错"}, format="json"
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["rollback_of"], done.pk)
        self.assertEqual(response.json()["version_deployed"], "5.3.1")
        self.assertEqual(
            ConfigurationItem.objects.get(pk=self.opd.pk).attributes["software_version"], "5.3.1"
        )
        again = client.post("/api/deployments/%d/rollback/" % done.pk, {}, format="json")
        self.assertEqual(again.status_code, 409)
        self.assertEqual(
            self.api(self.agent).post("/api/deployments/%d/rollback/" % done.pk).status_code, 403
        )
        self.assertEqual(
            self.api(self.other_vendor).post("/api/deployments/%d/rollback/" % done.pk).status_code,
            404,
        )

    def test_rollback_without_previous_version_is_409(self) -> None:
        rel = release_in(self, ReleaseStatus.TEST, item=self.opd)
        first = deploy(self, rel, self.opd, E.TEST)
        response = self.api(self.engineer).post("/api/deployments/%d/rollback/" % first.pk)
        self.assertEqual(response.status_code, 409)
        self.assertIn("detail", response.json())

    def test_deployments_are_not_edited(self) -> None:
        rel = self.deploy_stage()
        done = deploy(self, rel, self.opd)
        response = self.api(self.admin).patch(
            "/api/deployments/%d/" % done.pk, {"notes": "x"}, format="json"
        )
        self.assertEqual(response.status_code, 405)

    def test_change_status_is_irrelevant_for_test_deployments(self) -> None:
        rel = release(self, items=[self.opd], changes=[change(self.engineer, ChangeStatus.DRAFT)])
        rel = transition_release(rel, "start_test", actor=self.engineer)
        self.assertEqual(deploy(self, rel, self.opd, E.TEST).environment, E.TEST)
