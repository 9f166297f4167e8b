"""Release pages over real HTTP: lists (with constant query counts), the release page with
its stage buttons and deployments, planning and editing, stages, recording a deployment and
rolling one back, and who may see and do what."""

from __future__ import annotations

from django.urls import reverse

from itsm.cmdb.choices import ConfigurationItemStatus
from itsm.cmdb.models import ConfigurationItem
from itsm.core.testing import BaseTestCase
from itsm.releases.choices import DeploymentEnvironment, ReleaseStatus
from itsm.releases.models import Deployment, Release
from itsm.releases.tests.factories import application, change, deploy, release, release_in

E = DeploymentEnvironment


class ReleaseListPageTests(BaseTestCase):
    def test_requesters_cannot_see_releases(self) -> None:
        rel = release(self)
        self.login(self.nurse)
        self.assertEqual(self.client.get(reverse("releases:release_list")).status_code, 403)
        self.assertEqual(self.client.get(rel.get_absolute_url()).status_code, 404)
        self.assertEqual(self.client.get(reverse("releases:deployment_list")).status_code, 403)
        self.assertNotContains(self.client.get(reverse("home"), follow=True), "/releases/")

    def test_the_desk_reads_releases_and_the_menu_links_them(self) -> None:
        release(self, title="EMR 护理病历 3.2")
        self.login(self.agent)
        response = self.client.get(reverse("releases:release_list"))
        self.assertContains(response, "EMR 护理病历 3.2")
        self.assertContains(response, 'href="%s"' % reverse("releases:release_list"))

    def test_list_query_count_does_not_grow_with_rows(self) -> None:
        self.login(self.engineer)
        url = reverse("releases:release_list")
        release(self, service=self.his)
        self.client.get(url)
        with self.assertNumQueries(7) as small:
            self.client.get(url)
        for n in range(5):
            release(self, service=self.pacs, release_version="6.%d" % n, assignee=self.engineer)
        with self.assertNumQueries(len(small)):
            response = self.client.get(url)
        self.assertContains(response, "REL", count=None)

    def test_the_pages_speak_chinese_by_default(self) -> None:
        rel = release_in(self, ReleaseStatus.TEST)
        self.login(self.manager)
        response = self.client.get(rel.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans")
        self.assertContains(response, "批准部署")
        self.assertContains(response, "发布管理")

    def test_filters_and_bad_filters(self) -> None:
        release(self, release_version="HIS 5.3.2")
        release(self, release_version="EMR 3.2.0", title="EMR")
        self.login(self.agent)
        response = self.client.get(reverse("releases:release_list") + "?q=EMR")
        self.assertContains(response, "EMR 3.2.0")
        self.assertNotContains(response, "HIS 5.3.2")
        bad = self.client.get(reverse("releases:release_list") + "?status=bogus")
        self.assertEqual(bad.status_code, 400)

    def test_deployment_list_of_one_item_query_count_does_not_grow(self) -> None:
        item = application("APP-HIS-OPD", "5.3.1")
        rel = release_in(self, ReleaseStatus.DEPLOY, item=item)
        deploy(self, rel, item, E.TEST)
        self.login(self.engineer)
        url = reverse("releases:deployment_list") + "?ci=%d" % item.pk
        self.client.get(url)
        with self.assertNumQueries(8) as small:
            self.client.get(url)
        deploy(self, rel, item)
        deploy(self, rel, item, E.TRAINING)
        deploy(self, rel, item, E.TEST, version_deployed="5.3.3")
        with self.assertNumQueries(len(small)):
            response = self.client.get(url)
        self.assertContains(response, "5.3.3")
        self.assertContains(response, "APP-HIS-OPD")


class ReleasePageTests(BaseTestCase):
    def test_detail_shows_stage_buttons_changes_and_deployments(self) -> None:
        item = application("APP-HIS-OPD", "5.3.1")
        rel = release_in(self, ReleaseStatus.DEPLOY, item=item)
        deploy(self, rel, item, notes="夜间部署")
        self.login(self.manager)
        response = self.client.get(rel.get_absolute_url())
        self.assertContains(response, 'data-transition="close"')
        self.assertContains(response, 'data-transition="cancel"')
        self.assertContains(response, rel.changes.get().number)
        self.assertContains(response, "5.3.1 → <strong>5.3.2</strong>", html=False)
        self.assertContains(response, "夜间部署")
        self.assertContains(response, "data-rollback=")
        self.assertContains(response, "data-record-deployment")

    def test_the_desk_sees_no_buttons(self) -> None:
        item = application()
        rel = release_in(self, ReleaseStatus.DEPLOY, item=item)
        deploy(self, rel, item)
        self.login(self.agent)
        response = self.client.get(rel.get_absolute_url())
        self.assertNotContains(response, "data-transition=")
        self.assertNotContains(response, "data-rollback=")
        self.assertNotContains(response, "data-record-deployment")

    def test_a_vendor_engineer_sees_only_his_groups_releases(self) -> None:
        mine = release(self, assignment_group=self.vendor_group)
        other = release(self, assignment_group=self.other_vendor_group)
        self.login(self.vendor)
        self.assertEqual(self.client.get(mine.get_absolute_url()).status_code, 200)
        self.assertEqual(self.client.get(other.get_absolute_url()).status_code, 404)

    def test_plan_a_release_and_bad_input_is_400_per_field(self) -> None:
        item = application()
        rfc = change(self.engineer)
        self.login(self.engineer)
        url = reverse("releases:release_create")
        self.assertEqual(self.client.get(url).status_code, 200)
        bad = self.client.post(
            url,
            {
                "title": "HIS 5.3.2",
                "release_version": "",
                "release_type": "minor",
                "planned_start": "2026-12-02T02:00",
                "planned_end": "2026-12-01T02:00",
            },
        )
        self.assertEqual(bad.status_code, 400)
        self.assertIn("release_version", bad.context["form"].errors)
        response = self.client.post(
            url,
            {
                "title": "HIS 5.3.2",
                "release_version": "HIS 5.3.2",
                "release_type": "minor",
                "configuration_items": [item.pk],
                "changes": [rfc.pk],
                "planned_start": "2026-12-02T02:00",
                "planned_end": "2026-12-02T04:00",
            },
        )
        self.assertEqual(response.status_code, 302)
        rel = Release.objects.get()
        self.assertEqual(list(rel.changes.all()), [rfc])
        self.assertEqual(rel.requester, self.engineer)

    def test_planned_end_before_start_is_refused(self) -> None:
        self.login(self.engineer)
        response = self.client.post(
            reverse("releases:release_create"),
            {
                "title": "HIS 5.3.2",
                "release_version": "5.3.2",
                "release_type": "minor",
                "planned_start": "2026-12-02T02:00",
                "planned_end": "2026-12-01T02:00",
            },
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("planned_end", response.context["form"].errors)
        self.assertFalse(Release.objects.exists())

    def test_a_stale_edit_is_409_and_nothing_is_overwritten(self) -> None:
        rel = release(self)
        self.login(self.engineer)
        url = reverse("releases:release_edit", args=[rel.pk])
        data = {"title": "改名", "release_version": "5.3.2", "release_type": "minor"}
        ok = self.client.post(url, {**data, "version": rel.version})
        self.assertEqual(ok.status_code, 302)
        stale = self.client.post(url, {**data, "title": "旧页面", "version": rel.version})
        self.assertEqual(stale.status_code, 409)
        self.assertEqual(Release.objects.get(pk=rel.pk).title, "改名")

    def test_requesters_cannot_plan_releases(self) -> None:
        self.login(self.nurse)
        self.assertEqual(self.client.get(reverse("releases:release_create")).status_code, 403)

    def test_stage_buttons_go_through_the_transition_view(self) -> None:
        rel = release_in(self, ReleaseStatus.BUILD)
        self.login(self.engineer)
        url = reverse("releases:release_transition", args=[rel.pk, "start_test"])
        response = self.client.post(url, {"version": rel.version})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Release.objects.get(pk=rel.pk).status, ReleaseStatus.TEST)
        again = self.client.post(url, {"version": rel.version + 1})
        self.assertEqual(again.status_code, 409)
        forbidden = self.client.post(
            reverse("releases:release_transition", args=[rel.pk, "start_deploy"])
        )
        self.assertEqual(forbidden.status_code, 403)
        form = self.client.get(
            reverse("releases:release_transition", args=[rel.pk, "return_to_build"])
        )
        self.assertContains(form, 'name="reason"')
        no_reason = self.client.post(
            reverse("releases:release_transition", args=[rel.pk, "return_to_build"]),
            {"version": rel.version + 1},
        )
        self.assertEqual(no_reason.status_code, 400)


class DeploymentPageTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.opd = application("APP-HIS-OPD", "5.3.1")

    def test_record_a_deployment_from_the_form(self) -> None:
        rel = release_in(self, ReleaseStatus.DEPLOY, item=self.opd)
        self.login(self.engineer)
        url = reverse("releases:deployment_create", args=[rel.pk])
        page = self.client.get(url)
        self.assertContains(page, "APP-HIS-OPD")
        response = self.client.post(
            url,
            {
                "configuration_item": self.opd.pk,
                "environment": E.PRODUCTION,
                "version_deployed": "5.3.2",
                "outcome": "successful",
                "notes": "02:00 完成",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(
            ConfigurationItem.objects.get(pk=self.opd.pk).attributes["software_version"], "5.3.2"
        )

    def test_the_form_shows_each_refusal_under_its_field(self) -> None:
        rel = release_in(self, ReleaseStatus.DEPLOY, item=self.opd)
        self.login(self.engineer)
        url = reverse("releases:deployment_create", args=[rel.pk])
        same = self.client.post(
            url,
            {
                "configuration_item": self.opd.pk,
                "environment": E.PRODUCTION,
                "version_deployed": "5.3.1",
                "outcome": "successful",
            },
        )
        self.assertEqual(same.status_code, 400)
        self.assertIn("version_deployed", same.context["form"].errors)
        ConfigurationItem.objects.filter(pk=self.opd.pk).update(
            status=ConfigurationItemStatus.RETIRED
        )
        retired = self.client.post(
            url,
            {
                "configuration_item": self.opd.pk,
                "environment": E.PRODUCTION,
                "version_deployed": "5.3.2",
                "outcome": "successful",
            },
        )
        self.assertEqual(retired.status_code, 400)
        self.assertIn("configuration_item", retired.context["form"].errors)
        self.assertFalse(Deployment.objects.exists())

    def test_production_before_the_deploy_stage_is_409(self) -> None:
        rel = release_in(self, ReleaseStatus.TEST, item=self.opd)
        self.login(self.engineer)
        response = self.client.post(
            reverse("releases:deployment_create", args=[rel.pk]),
            {
                "configuration_item": self.opd.pk,
                "environment": E.PRODUCTION,
                "version_deployed": "5.3.2",
                "outcome": "successful",
            },
        )
        self.assertEqual(response.status_code, 409)

    def test_who_may_open_the_form(self) -> None:
        rel = release_in(self, ReleaseStatus.DEPLOY, item=self.opd)
        url = reverse("releases:deployment_create", args=[rel.pk])
        self.login(self.agent)
        self.assertEqual(self.client.get(url).status_code, 403)
        self.login(self.nurse)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.login(self.manager)
        self.assertEqual(self.client.get(url).status_code, 200)

    def test_the_rollback_button(self) -> None:
        rel = release_in(self, ReleaseStatus.DEPLOY, item=self.opd)
        done = deploy(self, rel, self.opd)
        self.login(self.engineer)
        url = reverse("releases:deployment_rollback", args=[done.pk])
        response = self.client.post(url, {"notes": "收费报错"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(
            ConfigurationItem.objects.get(pk=self.opd.pk).attributes["software_version"], "5.3.1"
        )
        again = self.client.post(url)
        self.assertEqual(again.status_code, 409)
        self.login(self.agent)
        self.assertEqual(self.client.post(url).status_code, 403)
