"""Relating configuration items: the type rules, loops, duplicates and permissions, each
refused with the reason in the user's language and nothing written; accepted relations
are audited on the source."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from itsm.cmdb.choices import ConfigurationItemClass as C
from itsm.cmdb.choices import RelationshipType as T
from itsm.cmdb.models import FormerRelationship, Relationship
from itsm.cmdb.relationships import ACYCLIC_FAMILIES, ALLOWED, is_allowed
from itsm.cmdb.services import relate_cis, unrelate_cis
from itsm.cmdb.tests.factories import link, make_ci
from itsm.core.models import AuditEntry
from itsm.core.testing import BaseTestCase


class RelationshipRuleTableTests(BaseTestCase):
    def test_every_type_has_rules_keyed_by_class_codes(self) -> None:
        self.assertEqual(set(ALLOWED), set(T.values))
        for pairs in ALLOWED.values():
            for source, target in pairs:
                self.assertIn(source, C.values)
                self.assertIn(target, C.values)
        self.assertEqual(
            set(ACYCLIC_FAMILIES), {T.DEPENDS_ON, T.RUNS_ON, T.HOSTED_ON, T.BACKED_UP_BY}
        )

    def test_an_application_runs_on_a_server_but_not_a_printer(self) -> None:
        self.assertTrue(is_allowed(T.RUNS_ON, (C.APPLICATION,), (C.SERVER,)))
        self.assertFalse(is_allowed(T.RUNS_ON, (C.APPLICATION,), (C.PRINTER,)))


class RelateCisTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.app = make_ci("APP-PACS", C.APPLICATION)
        cls.server = make_ci("SRV-PACS-01", C.SERVER)
        cls.switch = make_ci("SW-CORE-01", C.NETWORK_DEVICE)

    def assert_refused(self, field: str, message_part: str, call: object) -> None:
        before = (Relationship.objects.count(), AuditEntry.objects.count())
        with translation.override("zh-hans"), self.assertRaises(ValidationError) as caught:
            assert callable(call)
            call()
        self.assertIn(field, caught.exception.message_dict)
        with translation.override("zh-hans"):
            message = " ".join(str(m) for m in caught.exception.message_dict[field])
        self.assertIn(message_part, message)
        self.assertEqual((Relationship.objects.count(), AuditEntry.objects.count()), before)

    def test_it_relates_and_audits_on_both_items_with_the_change_record(self) -> None:
        relationship = relate_cis(
            self.app,
            self.server,
            T.RUNS_ON,
            actor=self.admin,
            note="主",
            change_number="CHG0000007",
        )
        self.assertEqual(
            (relationship.source, relationship.target, relationship.type, relationship.note),
            (self.app, self.server, T.RUNS_ON, "主"),
        )
        entries = AuditEntry.objects.filter(action="relate")
        self.assertEqual(
            sorted(entries.values_list("object_id", flat=True)),
            sorted([self.app.pk, self.server.pk]),
        )
        for entry in entries:
            self.assertEqual(entry.changes["relationship"][1], relationship.describe())
            self.assertIn("SRV-PACS-01", entry.changes["relationship"][1])
            self.assertEqual((entry.actor, entry.note), (self.admin, "CHG0000007"))

    def test_it_unrelates_audits_and_keeps_the_former_relationship(self) -> None:
        relationship = relate_cis(self.app, self.server, T.RUNS_ON, actor=self.admin)
        unrelate_cis(relationship, actor=self.admin)
        self.assertFalse(Relationship.objects.exists())
        entries = AuditEntry.objects.filter(action="unrelate")
        self.assertEqual(entries.count(), 2)
        self.assertIn("SRV-PACS-01", entries[0].changes["relationship"][0])
        former = FormerRelationship.objects.get()
        self.assertEqual(
            (former.source_id, former.target_id, former.type, former.created_at),
            (self.app.pk, self.server.pk, T.RUNS_ON, relationship.created_at),
        )

    def test_it_refuses_a_type_not_allowed_between_the_classes(self) -> None:
        self.assert_refused(
            "type",
            "不能",
            lambda: relate_cis(self.server, self.app, T.RUNS_ON, actor=self.admin),
        )

    def test_it_refuses_an_unknown_type(self) -> None:
        self.assert_refused(
            "type", "未知", lambda: relate_cis(self.app, self.server, "eats", actor=self.admin)
        )

    def test_it_refuses_a_self_relationship(self) -> None:
        self.assert_refused(
            "target",
            "自身",
            lambda: relate_cis(self.app, self.app, T.DEPENDS_ON, actor=self.admin),
        )

    def test_it_refuses_a_duplicate(self) -> None:
        relate_cis(self.app, self.server, T.RUNS_ON, actor=self.admin)
        self.assert_refused(
            "target",
            "已存在",
            lambda: relate_cis(self.app, self.server, T.RUNS_ON, actor=self.admin),
        )

    def test_the_same_pair_may_be_related_by_another_type(self) -> None:
        relate_cis(self.app, self.server, T.RUNS_ON, actor=self.admin)
        relate_cis(self.app, self.server, T.DEPENDS_ON, actor=self.admin)
        self.assertEqual(Relationship.objects.count(), 2)

    def test_it_refuses_a_loop_of_an_acyclic_family(self) -> None:
        database = make_ci("DB-PACS", C.DATABASE)
        other = make_ci("APP-RIS", C.APPLICATION)
        link(self.app, T.DEPENDS_ON, database)
        link(database, T.DEPENDS_ON, other)
        # RIS → PACS would close APP-PACS → DB-PACS → APP-RIS → APP-PACS.
        self.assert_refused(
            "target",
            "循环",
            lambda: relate_cis(other, self.app, T.DEPENDS_ON, actor=self.admin),
        )

    def test_runs_on_and_depends_on_are_one_family_for_loops(self) -> None:
        kiosk = make_ci("KIOSK-01", C.KIOSK)
        link(kiosk, T.DEPENDS_ON, self.app)
        # The application running on the kiosk that depends on it is a loop.
        self.assert_refused(
            "target",
            "循环",
            lambda: relate_cis(self.app, kiosk, T.RUNS_ON, actor=self.admin),
        )

    def test_connected_to_may_loop(self) -> None:
        other_switch = make_ci("SW-CORE-02", C.NETWORK_DEVICE)
        relate_cis(self.switch, other_switch, T.CONNECTED_TO, actor=self.admin)
        relate_cis(other_switch, self.switch, T.CONNECTED_TO, actor=self.admin)
        self.assertEqual(Relationship.objects.count(), 2)

    def test_it_refuses_without_the_permission_and_writes_nothing(self) -> None:
        for user in (self.agent, self.manager, self.outsider):
            with self.subTest(user=user.username), self.assertRaises(PermissionDenied):
                relate_cis(self.app, self.server, T.RUNS_ON, actor=user)
        relationship = link(self.app, T.RUNS_ON, self.server)
        with self.assertRaises(PermissionDenied):
            unrelate_cis(relationship, actor=self.agent)
        self.assertEqual(Relationship.objects.count(), 1)
        self.assertFalse(AuditEntry.objects.filter(action__in=("relate", "unrelate")).exists())

    def test_the_relationship_reads_as_a_sentence(self) -> None:
        relationship = link(self.app, T.RUNS_ON, self.server)
        with translation.override("en"):
            self.assertEqual(str(relationship), "APP-PACS runs on SRV-PACS-01")
        self.assertIn(str(self.app.pk), relationship.get_absolute_url())


class RelationshipAdminTests(BaseTestCase):
    def test_the_admin_shows_items_and_relationships_but_writes_none(self) -> None:
        relationship = link(self.printer, T.CONNECTED_TO, make_ci("SW-01", "switch"))
        self.client.force_login(self.admin)
        for url in (
            reverse("admin:cmdb_relationship_changelist"),
            reverse("admin:cmdb_relationship_change", args=[relationship.pk]),
            reverse("admin:cmdb_configurationitem_change", args=[self.printer.pk]),
        ):
            self.assertEqual(self.client.get(url).status_code, 200)
        response = self.client.post(
            reverse("admin:cmdb_relationship_delete", args=[relationship.pk]), {"post": "yes"}
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.client.get(reverse("admin:cmdb_relationship_add")).status_code, 403)
        self.assertTrue(Relationship.objects.filter(pk=relationship.pk).exists())
