"""The demo hospital's CMDB: over a thousand items wired into the dependency chains of the
clinical systems, every relationship within the class rules, no loop where a family
forbids one, an impact analysis that tells the true story, and a loader that adds nothing
the second time."""

from __future__ import annotations

from collections import defaultdict
from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from itsm.accounts.models import Department, SupportGroup
from itsm.cmdb.attributes import ClassTree
from itsm.cmdb.choices import ConfigurationItemClass, RelationshipType
from itsm.cmdb.models import ConfigurationItem, Relationship, Service
from itsm.cmdb.relationships import ACYCLIC_FAMILIES, is_allowed
from itsm.cmdb.services import impact_of
from itsm.demo.cmdb import Row, check_wiring, load_cmdb


def has_loop(edges: list[tuple[int, int]]) -> bool:
    """Depth-first search with colours, iterative (a chain may be deep)."""
    children: dict[int, list[int]] = defaultdict(list)
    for source, target in edges:
        children[source].append(target)
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    for root in list(children):
        if root in state:
            continue
        stack = [(root, iter(children[root]))]
        state[root] = 1
        while stack:
            node, pending = stack[-1]
            child = next(pending, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                return True
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(children[child])))
    return False


class DemoCmdbTests(TestCase):
    """The organisation part of the demo (no incidents: they play no part here and take
    most of the demo's time), loaded once for the class."""

    @classmethod
    def setUpTestData(cls) -> None:
        call_command("demo", "--no-incidents", stdout=StringIO())

    def test_the_hospital_has_over_a_thousand_configuration_items_of_every_class(self) -> None:
        self.assertGreaterEqual(ConfigurationItem.objects.count(), 1000)
        tree = ClassTree.load()
        roots = {
            tree.lineage(c)[-1]
            for c in ConfigurationItem.objects.values_list("ci_class", flat=True)
        }
        self.assertEqual(
            roots,
            set(ConfigurationItemClass.values) - {ConfigurationItemClass.BUSINESS_SERVICE},
        )
        self.assertTrue(ConfigurationItem.objects.filter(ci_class="physical_server").exists())
        self.assertTrue(ConfigurationItem.objects.filter(ci_class="virtual_server").exists())
        self.assertTrue(ConfigurationItem.objects.filter(ci_class="floor").exists())
        self.assertTrue(ConfigurationItem.objects.filter(code="SRV-VMH-01").exists())
        self.assertTrue(ConfigurationItem.objects.filter(code="WS-CARD-DR10").exists())

    def test_every_item_is_related_and_every_application_serves_a_business_service(
        self,
    ) -> None:
        loose = ConfigurationItem.objects.filter(
            relationships_out__isnull=True, relationships_in__isnull=True
        ).exclude(ci_class__in=ClassTree.load().descendants(ConfigurationItemClass.LOCATION))
        self.assertEqual(list(loose.values_list("code", flat=True)), [])
        applications = ConfigurationItem.objects.filter(ci_class=ConfigurationItemClass.APPLICATION)
        self.assertFalse(applications.filter(services__isnull=True).exists())

    def test_every_relationship_is_allowed_by_the_class_rules(self) -> None:
        kinds = set(
            Relationship.objects.values_list("type", "source__ci_class", "target__ci_class")
        )
        self.assertEqual(
            {
                (t, s, g)
                for t, s, g in kinds
                if not is_allowed(t, ClassTree.load().lineage(s), ClassTree.load().lineage(g))
            },
            set(),
        )
        self.assertEqual({t for t, _, _ in kinds}, set(RelationshipType.values))

    def test_no_family_that_forbids_loops_has_one(self) -> None:
        for family in set(ACYCLIC_FAMILIES.values()):
            types = [t for t, f in ACYCLIC_FAMILIES.items() if f == family]
            edges = list(
                Relationship.objects.filter(type__in=types).values_list("source_id", "target_id")
            )
            with self.subTest(family=family):
                self.assertTrue(edges)
                self.assertFalse(has_loop(edges))

    def test_the_loop_finder_finds_a_loop(self) -> None:
        self.assertTrue(has_loop([(1, 2), (2, 3), (3, 1)]))
        self.assertFalse(has_loop([(1, 2), (2, 3), (1, 3)]))

    def test_the_pacs_array_takes_down_pacs_ris_and_the_radiology_department(self) -> None:
        impact = impact_of(ConfigurationItem.objects.get(code="STO-PACS-01"))
        self.assertLessEqual({"PACS", "RIS"}, {s.code for s in impact.services})
        self.assertLessEqual(
            {"放射科", "超声医学科", "急诊科", "门诊部"}, {d.name for d in impact.departments}
        )
        affected = {r.ci.code for r in impact.affected}
        self.assertLessEqual({"APP-PACS-ARCH", "APP-RIS", "MDI-RAD-CT01", "WS-RAD-05"}, affected)
        # The laboratory does not store its results on the PACS array.
        self.assertNotIn("APP-LIS", affected)
        self.assertFalse(impact.truncated)

    def test_a_core_switch_reaches_nearly_everything(self) -> None:
        impact = impact_of(ConfigurationItem.objects.get(code="SW-CORE-01"))
        equipment = ConfigurationItem.objects.exclude(
            ci_class__code__in=ClassTree.load().descendants(ConfigurationItemClass.LOCATION)
        )
        self.assertGreaterEqual(len(impact.affected), 0.9 * equipment.count())
        self.assertEqual(len(impact.services), Service.objects.count())

    def test_loading_again_adds_nothing(self) -> None:
        before = (
            ConfigurationItem.objects.count(),
            Relationship.objects.count(),
            ConfigurationItem.services.through.objects.count(),
        )
        departments = {d.code: d for d in Department.objects.all()}
        groups = {g.name: g for g in SupportGroup.objects.all()}
        services = {s.code: s for s in Service.objects.all()}
        self.assertEqual(load_cmdb(departments, groups, services), (0, 0))
        after = (
            ConfigurationItem.objects.count(),
            Relationship.objects.count(),
            ConfigurationItem.services.through.objects.count(),
        )
        self.assertEqual(after, before)


class CheckWiringTests(TestCase):
    """The loader refuses edges the rules forbid, and dependency edges that do not go down
    a layer (the guarantee that the acyclic families stay acyclic)."""

    rows = {
        code: Row(pk, code, ci_class, "", None)
        for pk, (code, ci_class) in enumerate(
            (
                ("APP-HIS-OPD", ConfigurationItemClass.APPLICATION),
                ("APP-YB", ConfigurationItemClass.APPLICATION),
                ("SRV-HIS-APP01", ConfigurationItemClass.SERVER),
                ("SRV-VMH-01", ConfigurationItemClass.SERVER),
                ("WS-ED-NS01", ConfigurationItemClass.WORKSTATION),
                ("STO-DR-01", ConfigurationItemClass.STORAGE),
                ("STO-TAPE-01", ConfigurationItemClass.STORAGE),
            ),
            start=1,
        )
    }

    def test_it_accepts_edges_that_go_down(self) -> None:
        check_wiring(
            [
                ("APP-HIS-OPD", RelationshipType.RUNS_ON, "SRV-HIS-APP01"),
                ("APP-HIS-OPD", RelationshipType.DEPENDS_ON, "APP-YB"),
                ("SRV-HIS-APP01", RelationshipType.HOSTED_ON, "SRV-VMH-01"),
                ("STO-DR-01", RelationshipType.BACKED_UP_BY, "STO-TAPE-01"),
                ("WS-ED-NS01", RelationshipType.USES, "APP-HIS-OPD"),
            ],
            self.rows,
        )

    def test_it_refuses_a_pair_the_class_rules_forbid(self) -> None:
        with self.assertRaisesRegex(ValueError, "not allowed"):
            check_wiring([("SRV-HIS-APP01", RelationshipType.RUNS_ON, "WS-ED-NS01")], self.rows)

    def test_it_refuses_dependency_and_backup_edges_that_go_up(self) -> None:
        for edge in (
            ("APP-YB", RelationshipType.DEPENDS_ON, "APP-HIS-OPD"),
            ("SRV-VMH-01", RelationshipType.HOSTED_ON, "SRV-HIS-APP01"),
            ("STO-TAPE-01", RelationshipType.BACKED_UP_BY, "STO-DR-01"),
        ):
            with self.subTest(edge=edge), self.assertRaisesRegex(ValueError, "layer"):
                check_wiring([edge], self.rows)
