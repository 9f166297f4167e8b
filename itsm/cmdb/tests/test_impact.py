"""Impact analysis: what fails with a configuration item, up to the business services and
the departments they serve, and what the item relies on."""

from __future__ import annotations

from itertools import pairwise

from django.db import connection
from django.test.utils import CaptureQueriesContext

from itsm.accounts.choices import DepartmentKind
from itsm.accounts.models import Department
from itsm.cmdb.choices import ConfigurationItemClass as C
from itsm.cmdb.choices import RelationshipType as T
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.cmdb.services import MAX_DEPTH, impact_of
from itsm.cmdb.tests.factories import link, make_ci
from itsm.core.testing import BaseTestCase


class PacsImpactTests(BaseTestCase):
    """Storage array ← PACS database server ← PACS application ← PACS service (radiology,
    emergency, outpatient); RIS depends on PACS."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.outpatient = Department.objects.create(
            name="门诊部", code="OPD", kind=DepartmentKind.CLINICAL, cost_centre="C3001"
        )
        cls.ris = Service.objects.create(code="RIS", name="放射信息系统")
        cls.ris.departments.set([cls.radiology])
        cls.pacs.departments.set([cls.radiology, cls.emergency, cls.outpatient])
        cls.array = make_ci("SAN-01", C.STORAGE, name="PACS 存储阵列")
        cls.db_server = make_ci("SRV-PACSDB", C.SERVER)
        cls.database = make_ci("DB-PACS", C.DATABASE)
        cls.pacs_app = make_ci("APP-PACS", C.APPLICATION)
        cls.pacs_service = make_ci("BS-PACS", C.BUSINESS_SERVICE)
        cls.ris_app = make_ci("APP-RIS", C.APPLICATION)
        cls.unrelated = make_ci("SRV-HIS", C.SERVER)
        link(cls.db_server, T.HOSTED_ON, cls.array)
        link(cls.database, T.RUNS_ON, cls.db_server)
        link(cls.pacs_app, T.DEPENDS_ON, cls.database)
        link(cls.pacs_service, T.DEPENDS_ON, cls.pacs_app)
        link(cls.ris_app, T.DEPENDS_ON, cls.pacs_app)
        link(cls.unrelated, T.HOSTED_ON, make_ci("SAN-02", C.STORAGE))
        for ci in (cls.pacs_app, cls.pacs_service, cls.database):
            ci.services.add(cls.pacs)
        cls.ris_app.services.add(cls.ris)

    def test_the_storage_array_takes_pacs_and_ris_down_with_their_departments(self) -> None:
        impact = impact_of(self.array)
        self.assertEqual(
            [(r.ci.code, r.depth) for r in impact.affected],
            [
                ("SRV-PACSDB", 1),
                ("DB-PACS", 2),
                ("APP-PACS", 3),
                ("APP-RIS", 4),
                ("BS-PACS", 4),
            ],
        )
        by_code = {r.ci.code: r for r in impact.affected}
        self.assertEqual(
            by_code["APP-RIS"].via, (T.HOSTED_ON, T.RUNS_ON, T.DEPENDS_ON, T.DEPENDS_ON)
        )
        self.assertEqual({s.code for s in impact.services}, {"PACS", "RIS"})
        self.assertEqual({d.name for d in impact.departments}, {"放射科", "急诊科", "门诊部"})
        self.assertFalse(impact.whole_hospital)
        self.assertEqual(impact.depends_on, [])
        self.assertFalse(impact.truncated)

    def test_what_the_application_relies_on_is_listed_downwards(self) -> None:
        impact = impact_of(self.pacs_app)
        self.assertEqual(
            [(r.ci.code, r.depth, r.via) for r in impact.depends_on],
            [
                ("DB-PACS", 1, (T.DEPENDS_ON,)),
                ("SRV-PACSDB", 2, (T.DEPENDS_ON, T.RUNS_ON)),
                ("SAN-01", 3, (T.DEPENDS_ON, T.RUNS_ON, T.HOSTED_ON)),
            ],
        )
        self.assertEqual({r.ci.code for r in impact.affected}, {"APP-RIS", "BS-PACS"})

    def test_an_item_nothing_relies_on_affects_only_its_own_services(self) -> None:
        impact = impact_of(self.ris_app)
        self.assertEqual(impact.affected, [])
        self.assertEqual([s.code for s in impact.services], ["RIS"])
        self.assertEqual([d.name for d in impact.departments], ["放射科"])

    def test_a_service_serving_no_department_serves_the_whole_hospital(self) -> None:
        self.db_server.services.add(self.his)  # the fixture's HIS names no department
        self.assertTrue(impact_of(self.array).whole_hospital)

    def test_affected_items_own_departments_are_counted(self) -> None:
        self.ris_app.department = self.it_department
        self.ris_app.save(update_fields=["department"])
        self.assertIn("信息科", {d.name for d in impact_of(self.array).departments})


class ImpactWalkTests(BaseTestCase):
    def test_a_ring_of_connected_switches_terminates(self) -> None:
        switches = [make_ci("SW-%02d" % n, C.NETWORK_DEVICE) for n in range(5)]
        for n, switch in enumerate(switches):
            link(switch, T.CONNECTED_TO, switches[(n + 1) % 5])
            link(switches[(n + 1) % 5], T.CONNECTED_TO, switch)
        pc = make_ci("PC-01", C.WORKSTATION)
        link(pc, T.CONNECTED_TO, switches[2])
        impact = impact_of(switches[0])
        self.assertEqual(
            sorted(r.ci.code for r in impact.affected),
            ["PC-01", "SW-01", "SW-02", "SW-03", "SW-04"],
        )
        self.assertEqual({r.ci.code: r.depth for r in impact.affected}["PC-01"], 3)
        self.assertEqual(len(impact.depends_on), 4)

    def test_the_walk_stops_at_the_depth_limit_and_says_so(self) -> None:
        chain = [make_ci("APP-%02d" % n, C.APPLICATION) for n in range(MAX_DEPTH + 3)]
        for lower, upper in pairwise(chain):
            link(upper, T.DEPENDS_ON, lower)
        impact = impact_of(chain[0])
        self.assertEqual(len(impact.affected), MAX_DEPTH)
        self.assertTrue(impact.truncated)
        self.assertFalse(impact_of(chain[3]).truncated)

    def test_the_query_count_does_not_grow_with_the_graph(self) -> None:
        def build(width: int, prefix: str) -> ConfigurationItem:
            array = make_ci(prefix + "SAN", C.STORAGE)
            service = Service.objects.create(code=prefix + "S", name=prefix + "service")
            service.departments.add(self.radiology)
            servers = ConfigurationItem.objects.bulk_create(
                ConfigurationItem(code="%sSRV%03d" % (prefix, n), name="s", ci_class_id=C.SERVER)
                for n in range(width)
            )
            apps = ConfigurationItem.objects.bulk_create(
                ConfigurationItem(
                    code="%sAPP%03d" % (prefix, n), name="a", ci_class_id=C.APPLICATION
                )
                for n in range(width)
            )
            for server, app in zip(servers, apps, strict=True):
                link(server, T.HOSTED_ON, array)
                link(app, T.RUNS_ON, server)
                app.services.add(service)
            return array

        small, large = build(2, "A-"), build(60, "B-")
        with CaptureQueriesContext(connection) as few:
            self.assertEqual(len(impact_of(small).affected), 4)
        with CaptureQueriesContext(connection) as many:
            self.assertEqual(len(impact_of(large).affected), 120)
        self.assertEqual(len(many), len(few))
        self.assertLessEqual(len(few), 12)
