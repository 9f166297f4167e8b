"""Recording deployments and rollbacks: what each writes (the deployment, the item's version
in the CMDB with the release's number in its history, the audit), and each bad input
refused with its reason and nothing written."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from itsm.changes.choices import ChangeStatus
from itsm.cmdb.choices import ConfigurationItemClass, ConfigurationItemStatus
from itsm.cmdb.models import ConfigurationItem
from itsm.core.exceptions import ConflictError, TransitionNotAllowed
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase
from itsm.releases.choices import DeploymentEnvironment, DeploymentOutcome, ReleaseStatus
from itsm.releases.models import Deployment, Release
from itsm.releases.services import (
    record_deployment,
    rollback_deployment,
    transition_release,
)
from itsm.releases.tests.factories import application, audit_count, change, deploy, release

E = DeploymentEnvironment


class DeploymentTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.opd = application("APP-HIS-OPD", "5.3.1")

    def release_in(self, stage: str, **fields: object) -> Release:
        rel = release(
            self, items=[self.opd], changes=[change(self.engineer, ChangeStatus.SCHEDULED)]
        )
        rel = transition_release(rel, "start_test", actor=self.engineer)
        if stage == ReleaseStatus.DEPLOY:
            rel = transition_release(rel, "start_deploy", actor=self.manager)
        return rel

    def item(self) -> ConfigurationItem:
        return ConfigurationItem.objects.get(pk=self.opd.pk)

    def test_a_production_deployment_sets_the_items_version_with_the_release_in_history(
        self,
    ) -> None:
        rel = self.release_in(ReleaseStatus.DEPLOY)
        done = deploy(self, rel, self.opd, notes="夜间 02:00 部署")
        self.assertEqual(done.previous_version, "5.3.1")
        self.assertEqual(done.version_deployed, "5.3.2")
        self.assertEqual(done.deployed_by, self.engineer)
        item = self.item()
        self.assertEqual(item.attributes["software_version"], "5.3.2")
        self.assertEqual(item.version, self.opd.version + 1)
        entry = AuditEntry.objects.filter(
            content_type__model="configurationitem", object_id=item.pk
        ).latest("id")
        self.assertEqual(entry.actor, self.engineer)
        self.assertIn(rel.number, entry.note)
        self.assertIn(rel.changes.get().number, entry.note)
        self.assertEqual(entry.changes["attributes.software_version"], ["5.3.1", "5.3.2"])
        self.assertEqual(
            AuditEntry.objects.filter(
                content_type__model="release", object_id=rel.pk, action="deployment"
            ).count(),
            1,
        )
        self.assertEqual(audit_count(done), 1)

    def test_a_release_manager_without_cmdb_rights_records_the_version_too(self) -> None:
        self.assertFalse(self.manager.has_perm("cmdb.change_configurationitem"))
        rel = self.release_in(ReleaseStatus.DEPLOY)
        done = record_deployment(
            Release.objects.get(pk=rel.pk),
            {
                "configuration_item": self.opd,
                "environment": E.PRODUCTION,
                "version_deployed": "5.3.2",
            },
            actor=self.manager,
        )
        self.assertEqual(self.item().attributes["software_version"], "5.3.2")
        entry = AuditEntry.objects.filter(
            content_type__model="configurationitem", object_id=self.opd.pk
        ).latest("id")
        self.assertEqual(entry.actor, self.manager)
        self.assertFalse(self.reload(self.manager).has_perm("cmdb.change_configurationitem"))
        self.assertEqual(done.deployed_by, self.manager)

    def test_a_test_deployment_leaves_the_production_version_alone(self) -> None:
        rel = self.release_in(ReleaseStatus.TEST)
        first = deploy(self, rel, self.opd, E.TEST, version_deployed="5.3.2-rc1")
        self.assertEqual(first.previous_version, "")
        second = deploy(self, rel, self.opd, E.TEST)
        self.assertEqual(second.previous_version, "5.3.2-rc1")
        self.assertEqual(self.item().attributes["software_version"], "5.3.1")

    def test_a_failed_production_deployment_keeps_the_recorded_version(self) -> None:
        rel = self.release_in(ReleaseStatus.DEPLOY)
        failed = deploy(self, rel, self.opd, outcome=DeploymentOutcome.FAILED, notes="脚本报错")
        self.assertEqual(failed.outcome, DeploymentOutcome.FAILED)
        self.assertEqual(self.item().attributes["software_version"], "5.3.1")

    def test_it_refuses_production_before_the_deploy_stage(self) -> None:
        rel = self.release_in(ReleaseStatus.TEST)
        with self.assertRaises(ConflictError):
            deploy(self, rel, self.opd)
        self.assertFalse(Deployment.objects.exists())
        self.assertEqual(self.item().attributes["software_version"], "5.3.1")

    def test_it_refuses_any_deployment_in_build(self) -> None:
        rel = release(self, items=[self.opd])
        with self.assertRaises(ConflictError):
            deploy(self, rel, self.opd, E.TEST)

    def test_it_refuses_the_version_the_item_already_runs(self) -> None:
        rel = self.release_in(ReleaseStatus.DEPLOY)
        with self.assertRaises(ValidationError) as caught:
            deploy(self, rel, self.opd, version_deployed="5.3.1")
        self.assertIn("version_deployed", caught.exception.message_dict)
        self.assertIn("5.3.1", caught.exception.message_dict["version_deployed"][0])
        self.assertFalse(Deployment.objects.exists())

    def test_it_refuses_a_retired_item_with_the_reason(self) -> None:
        rel = self.release_in(ReleaseStatus.DEPLOY)
        ConfigurationItem.objects.filter(pk=self.opd.pk).update(
            status=ConfigurationItemStatus.RETIRED
        )
        with self.assertRaises(ValidationError) as caught:
            deploy(self, rel, self.item())
        message = caught.exception.message_dict["configuration_item"][0]
        self.assertIn("APP-HIS-OPD", message)
        self.assertFalse(Deployment.objects.exists())
        self.assertEqual(self.item().attributes["software_version"], "5.3.1")

    def test_it_refuses_an_item_the_release_does_not_ship(self) -> None:
        rel = self.release_in(ReleaseStatus.DEPLOY)
        other = application("APP-EMR", "3.1")
        with self.assertRaises(ValidationError) as caught:
            deploy(self, rel, other)
        self.assertIn("configuration_item", caught.exception.message_dict)

    def test_it_refuses_an_item_without_a_software_version(self) -> None:
        rel = self.release_in(ReleaseStatus.DEPLOY)
        Release.objects.get(pk=rel.pk).configuration_items.add(self.printer)
        self.assertEqual(self.printer.ci_class_id, ConfigurationItemClass.PRINTER)
        with self.assertRaises(ValidationError) as caught:
            deploy(self, rel, self.printer)
        self.assertIn("configuration_item", caught.exception.message_dict)

    def test_it_refuses_a_deployment_dated_in_the_future(self) -> None:
        rel = self.release_in(ReleaseStatus.DEPLOY)
        with self.assertRaises(ValidationError) as caught:
            deploy(self, rel, self.opd, deployed_at=timezone.now() + timedelta(hours=2))
        self.assertIn("deployed_at", caught.exception.message_dict)

    def test_requesters_and_desk_agents_cannot_record_deployments(self) -> None:
        rel = self.release_in(ReleaseStatus.DEPLOY)
        for user in (self.nurse, self.agent):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                record_deployment(
                    rel,
                    {
                        "configuration_item": self.opd,
                        "environment": E.TEST,
                        "version_deployed": "x",
                    },
                    actor=user,
                )

    def test_a_rollback_restores_the_previous_version_and_links_the_deployment(self) -> None:
        rel = self.release_in(ReleaseStatus.DEPLOY)
        done = deploy(self, rel, self.opd)
        back = rollback_deployment(done, actor=self.manager, notes="挂号收费报错，回退")
        self.assertEqual(back.rollback_of, done)
        self.assertEqual(back.version_deployed, "5.3.1")
        self.assertEqual(back.previous_version, "5.3.2")
        self.assertEqual(self.item().attributes["software_version"], "5.3.1")
        history = AuditEntry.objects.filter(
            content_type__model="configurationitem", object_id=self.opd.pk
        )
        self.assertEqual(history.count(), 2)
        self.assertTrue(
            AuditEntry.objects.filter(
                content_type__model="release", object_id=rel.pk, action="rollback"
            ).exists()
        )

    def test_it_refuses_a_rollback_without_a_previous_version(self) -> None:
        rel = self.release_in(ReleaseStatus.TEST)
        first = deploy(self, rel, self.opd, E.TRAINING)
        self.assertEqual(first.previous_version, "")
        with self.assertRaises(ConflictError):
            rollback_deployment(first, actor=self.engineer)
        self.assertEqual(Deployment.objects.count(), 1)

    def test_it_refuses_rolling_back_a_deployment_that_is_not_the_latest(self) -> None:
        rel = self.release_in(ReleaseStatus.TEST)
        first = deploy(self, rel, self.opd, E.TEST, version_deployed="5.3.2-rc1")
        deploy(self, rel, self.opd, E.TEST, version_deployed="5.3.2-rc2")
        with self.assertRaises(ConflictError):
            rollback_deployment(first, actor=self.engineer)

    def test_it_refuses_a_rollback_on_a_retired_item(self) -> None:
        rel = self.release_in(ReleaseStatus.DEPLOY)
        done = deploy(self, rel, self.opd)
        ConfigurationItem.objects.filter(pk=self.opd.pk).update(
            status=ConfigurationItemStatus.RETIRED
        )
        with self.assertRaises(ConflictError):
            rollback_deployment(done, actor=self.engineer)
        self.assertEqual(Deployment.objects.count(), 1)

    def test_a_closed_release_is_closed_only_after_production(self) -> None:
        rel = self.release_in(ReleaseStatus.DEPLOY)
        deploy(self, rel, self.opd, E.TRAINING)
        with self.assertRaises(TransitionNotAllowed):
            transition_release(rel, "close", actor=self.manager)
        deploy(self, rel, self.opd)
        done = transition_release(rel, "close", actor=self.manager)
        self.assertEqual(done.status, ReleaseStatus.CLOSED)
        self.assertIsNotNone(done.closed_at)
