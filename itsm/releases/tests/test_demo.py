"""The demo's releases, loaded on the demo hospital's organisation, applications and
changes: HIS and EMR versions deployed to test, training and production, one rolled back,
each production deployment in the application's CMDB history."""

from __future__ import annotations

from django.test import TestCase

from itsm.accounts.roles import sync_roles
from itsm.cmdb.models import ConfigurationItem
from itsm.core.models import AuditEntry
from itsm.demo.catalogue import load_configuration_items, load_services
from itsm.demo.changes import load_changes
from itsm.demo.hospital import load_departments, load_users, load_vendors_and_groups
from itsm.demo.releases import RELEASES, load_releases
from itsm.releases.choices import DeploymentEnvironment, ReleaseStatus
from itsm.releases.models import Deployment, Release


class DemoReleaseTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        sync_roles()
        departments = load_departments()
        users, new_users = load_users(departments, "Demo#2026")
        groups = load_vendors_and_groups(users, new_users)
        services = load_services(groups)
        load_configuration_items(departments, groups, services)
        load_changes()
        cls.loaded = load_releases()

    def test_every_demo_release_is_loaded_at_its_stage(self) -> None:
        self.assertEqual(self.loaded, len(RELEASES))
        stages = dict(Release.objects.values_list("release_version", "status"))
        self.assertEqual(stages, {spec.version: spec.status for spec in RELEASES})
        self.assertIn(ReleaseStatus.CLOSED, stages.values())

    def test_deployments_reach_every_environment_and_one_is_rolled_back(self) -> None:
        environments = set(Deployment.objects.values_list("environment", flat=True))
        self.assertEqual(environments, set(DeploymentEnvironment.values))
        rollback = Deployment.objects.get(rollback_of__isnull=False)
        self.assertEqual(rollback.version_deployed, "5.3.1")
        charging = ConfigurationItem.objects.get(code="APP-HIS-CHG")
        self.assertEqual(charging.attributes["software_version"], "5.3.1")
        self.assertEqual(
            ConfigurationItem.objects.get(code="APP-HIS-OPD").attributes["software_version"],
            "5.3.2",
        )
        history = AuditEntry.objects.filter(
            content_type__model="configurationitem", object_id=charging.pk
        )
        self.assertEqual(history.count(), 3)

    def test_loading_again_adds_nothing(self) -> None:
        count = Deployment.objects.count()
        self.assertEqual(load_releases(), 0)
        self.assertEqual(Deployment.objects.count(), count)
