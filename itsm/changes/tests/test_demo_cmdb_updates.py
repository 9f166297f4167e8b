"""The whole demo's changes update its CMDB: the PACS storage expansion adds a storage node
related to the PACS server, the HIS upgrade sets the version of the HIS applications, each
in the items' history with the change's number, and the HIS upgrades' downtime is a
planned outage of HIS."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from itsm.changes.models import Change, DeclaredCmdbUpdate
from itsm.cmdb.history import history_of
from itsm.cmdb.models import ConfigurationItem, Relationship, ServiceOutage


class DemoCmdbUpdateTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        call_command("demo", stdout=StringIO())

    def test_the_pacs_expansion_added_a_storage_node_under_its_number(self) -> None:
        node = ConfigurationItem.objects.get(code="STO-PACS-03")
        self.assertTrue(
            Relationship.objects.filter(source__code="SRV-PACS-APP01", target=node).exists()
        )
        applied = DeclaredCmdbUpdate.objects.filter(ci_code="STO-PACS-03", kind="create").get()
        self.assertIsNotNone(applied.applied_at)
        numbers = {entry.change_number for entry in history_of(node)}
        self.assertEqual(numbers, {applied.change.number})

    def test_the_his_upgrade_set_the_version_and_took_a_planned_outage(self) -> None:
        his = ConfigurationItem.objects.get(code="APP-HIS-OPD")
        upgrade = DeclaredCmdbUpdate.objects.get(
            ci_code="APP-HIS-OPD", applied_at__isnull=False
        ).change
        # The upgrade to 5.3.0 is in the item's history under its number (the releases
        # deployed since carry it further).
        entry = next(e for e in history_of(his) if e.change_number == upgrade.number)
        versions = [c.new_value for c in entry.changes if c.key == "attributes.software_version"]
        self.assertEqual(versions, ["5.3.0"])
        outages = ServiceOutage.objects.filter(service__code="HIS", planned=True)
        self.assertTrue(outages.exists())
        for outage in outages:
            change = Change.objects.get(number=outage.change_number)
            self.assertEqual(outage.minutes, change.downtime_minutes)
            self.assertEqual(outage.start.date(), change.actual_start.date())  # type: ignore[union-attr]

    def test_changes_still_planned_declare_updates_not_yet_applied(self) -> None:
        pending = DeclaredCmdbUpdate.objects.filter(applied_at__isnull=True)
        self.assertTrue(pending.exists())
        self.assertFalse(pending.filter(change__status="closed").exists())
