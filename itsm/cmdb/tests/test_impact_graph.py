"""The impact analysis drawn as a graph: the item in the centre, what fails with it above,
what it relies on below, the services and departments on top; real relationship
directions; bounded in size; served as JSON to IT staff only."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import translation

from itsm.cmdb import urls as cmdb_urls
from itsm.cmdb.choices import ConfigurationItemClass as C
from itsm.cmdb.choices import RelationshipType as T
from itsm.cmdb.graph import Category, impact_graph
from itsm.cmdb.models import ConfigurationItem, Service
from itsm.cmdb.services import impact_of
from itsm.cmdb.tests.factories import link, make_ci
from itsm.core.testing import BaseTestCase


class WithoutItemPages:
    """A site whose item pages do not exist (yet): only the graph and the service pages."""

    urlpatterns = [
        path(
            "cmdb/",
            include(([p for p in cmdb_urls.urlpatterns if p.name == "ci_graph"], "cmdb")),
        ),
        path("sla/", include("itsm.sla.urls")),
    ]


def by_id(graph: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["id"]: node for node in graph["nodes"]}


def edges(graph: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(link["source"], link["target"], link["type"]) for link in graph["links"]}


class ImpactGraphTests(BaseTestCase):
    """SAN-01 ← SRV-PACSDB ← DB-PACS ← APP-PACS ← APP-RIS; DB-PACS and APP-PACS support the
    PACS service (radiology, emergency), APP-RIS the RIS service (no departments: the whole
    hospital). SRV-PACSDB stands in the IT department."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.pacs.departments.set([cls.radiology, cls.emergency])
        cls.ris = Service.objects.create(code="RIS", name="放射信息系统")
        cls.array = make_ci("SAN-01", C.STORAGE, name="PACS 存储阵列")
        cls.server = make_ci("SRV-PACSDB", C.SERVER, department=cls.it_department)
        cls.database = make_ci("DB-PACS", C.DATABASE, name="PACS 数据库")
        cls.app = make_ci("APP-PACS", C.APPLICATION)
        cls.ris_app = make_ci("APP-RIS", C.APPLICATION)
        cls.other = make_ci("SRV-HIS", C.SERVER)
        link(cls.server, T.HOSTED_ON, cls.array)
        link(cls.database, T.RUNS_ON, cls.server)
        link(cls.app, T.DEPENDS_ON, cls.database)
        link(cls.ris_app, T.DEPENDS_ON, cls.app)
        link(cls.other, T.HOSTED_ON, make_ci("SAN-02", C.STORAGE))
        cls.database.services.add(cls.pacs)
        cls.app.services.add(cls.pacs)
        cls.ris_app.services.add(cls.ris)

    def graph_of(self, ci: Any, **options: Any) -> dict[str, Any]:
        with translation.override("zh-hans"):
            return impact_graph(impact_of(ci), **options)

    def test_the_item_is_in_the_centre_with_what_fails_above_and_what_it_relies_on_below(
        self,
    ) -> None:
        graph = self.graph_of(self.database)
        nodes = by_id(graph)
        centre = nodes[graph["centre"]]
        self.assertEqual(
            (centre["name"], centre["title"], centre["category"], centre["layer"]),
            ("DB-PACS", "PACS 数据库", Category.ITEM, 0),
        )
        layers = {node["name"]: (node["category"], node["layer"]) for node in graph["nodes"]}
        self.assertEqual(layers["APP-PACS"], (Category.AFFECTED, -1))
        self.assertEqual(layers["APP-RIS"], (Category.AFFECTED, -2))
        self.assertEqual(layers["SRV-PACSDB"], (Category.DEPENDS_ON, 1))
        self.assertEqual(layers["SAN-01"], (Category.DEPENDS_ON, 2))
        self.assertEqual(layers["PACS"], (Category.SERVICE, -3))
        self.assertEqual(layers["RIS"], (Category.SERVICE, -3))
        self.assertEqual(layers["放射科"], (Category.DEPARTMENT, -4))
        self.assertEqual(layers["全院"], (Category.DEPARTMENT, -4))
        self.assertNotIn("SRV-HIS", layers)
        self.assertNotIn("SAN-02", layers)
        self.assertEqual(graph["omitted"], 0)
        self.assertFalse(graph["truncated"])

    def test_links_keep_the_real_direction_and_say_the_type_in_the_language(self) -> None:
        graph = self.graph_of(self.database)
        ids = {node["name"]: node["id"] for node in graph["nodes"]}
        self.assertEqual(
            edges(graph),
            {
                (ids["APP-RIS"], ids["APP-PACS"], T.DEPENDS_ON),
                (ids["APP-PACS"], ids["DB-PACS"], T.DEPENDS_ON),
                (ids["DB-PACS"], ids["SRV-PACSDB"], T.RUNS_ON),
                (ids["SRV-PACSDB"], ids["SAN-01"], T.HOSTED_ON),
                (ids["DB-PACS"], ids["PACS"], "supports"),
                (ids["APP-PACS"], ids["PACS"], "supports"),
                (ids["APP-RIS"], ids["RIS"], "supports"),
                (ids["PACS"], ids["放射科"], "serves"),
                (ids["PACS"], ids["急诊科"], "serves"),
                (ids["RIS"], ids["全院"], "serves"),
            },
        )
        relations = {link["type"]: link["relation"] for link in graph["links"]}
        self.assertEqual(relations[T.RUNS_ON], "运行于")
        self.assertEqual(relations[T.DEPENDS_ON], "依赖")
        self.assertEqual(relations["serves"], "服务于")

    def test_the_legend_and_the_tooltip_details_are_translated(self) -> None:
        graph = self.graph_of(self.database)
        self.assertEqual(
            [c["name"] for c in graph["categories"]],
            ["本配置项", "受影响（随之故障）", "所依赖", "业务服务", "科室"],
        )
        ris_app = next(node for node in graph["nodes"] if node["name"] == "APP-RIS")
        self.assertEqual(ris_app["ci_class"], C.APPLICATION)
        self.assertEqual(ris_app["depth"], 2)
        with translation.override("zh-hans"):
            class_name = str(ConfigurationItem.objects.get(pk=self.ris_app.pk).ci_class)
        self.assertEqual(
            ris_app["details"],
            ["类别：%s" % class_name, "深度：2", "APP-RIS —依赖→ … —依赖→ DB-PACS"],
        )
        array = next(node for node in graph["nodes"] if node["name"] == "SAN-01")
        self.assertEqual(array["details"][2], "DB-PACS —运行于→ … —托管于→ SAN-01")

    def test_an_affected_items_own_department_is_concerned_too(self) -> None:
        graph = self.graph_of(self.array)
        ids = {node["name"]: node["id"] for node in graph["nodes"]}
        self.assertIn((ids["SRV-PACSDB"], ids["信息科"], "belongs_to"), edges(graph))

    def test_an_item_nothing_relies_on_is_drawn_alone(self) -> None:
        graph = self.graph_of(make_ci("PRN-LONE", C.PRINTER))
        self.assertEqual([node["name"] for node in graph["nodes"]], ["PRN-LONE"])
        self.assertEqual(graph["links"], [])

    def test_a_large_graph_keeps_the_services_and_the_nearest_items_and_counts_the_rest(
        self,
    ) -> None:
        # 7 nodes at most: the item, 2 services, 3 departments (whole hospital first), and
        # room for one item: the nearest (depth 1, affected before relied-on).
        graph = self.graph_of(self.database, limit=7)
        single = [node for node in graph["nodes"] if node["kind"] != "group"]
        self.assertEqual(len(single), 7)
        names = {node["name"] for node in single}
        self.assertEqual(names, {"DB-PACS", "PACS", "RIS", "全院", "急诊科", "放射科", "APP-PACS"})
        # Not drawn one by one: APP-RIS, SRV-PACSDB, SAN-01 — one box per side, depth, class.
        self.assertEqual(graph["omitted"], 3)
        groups = {
            (node["layer"], node["name"]) for node in graph["nodes"] if node["kind"] == "group"
        }
        self.assertEqual(groups, {(-2, "应用系统 ×1"), (1, "服务器 ×1"), (2, "存储 ×1")})
        ids = {node["id"] for node in graph["nodes"]}
        for link_ in graph["links"]:
            self.assertIn(link_["source"], ids)
            self.assertIn(link_["target"], ids)

    def test_even_services_and_departments_are_cut_when_the_limit_is_tiny(self) -> None:
        graph = self.graph_of(self.database, limit=2)
        single = [node["name"] for node in graph["nodes"] if node["kind"] != "group"]
        self.assertEqual(single, ["DB-PACS", "PACS"])
        self.assertEqual(graph["omitted"], 1 + 3 + 4)

    def test_the_graph_reads_a_fixed_number_of_queries_whatever_its_size(self) -> None:
        impact = impact_of(self.database)
        with CaptureQueriesContext(connection) as small:
            impact_graph(impact)
        previous = self.ris_app
        for number in range(30):
            item = make_ci("APP-%02d" % number, C.APPLICATION)
            link(item, T.DEPENDS_ON, previous if number % 3 else self.app)
            item.services.add(self.ris)
            previous = item
        impact = impact_of(self.database)
        with CaptureQueriesContext(connection) as large:
            graph = impact_graph(impact)
        # Every reached item is drawn: one by one, or in a box of its class and depth.
        reached = {r.ci.id for r in [*impact.affected, *impact.depends_on]}
        single = [node for node in graph["nodes"] if node["kind"] == "ci"]
        self.assertEqual(len(single) - 1 + graph["omitted"], len(reached))
        self.assertTrue(any(node["kind"] == "group" for node in graph["nodes"]))
        self.assertEqual(len(large), len(small))
        self.assertLessEqual(len(large), 3)

    def test_nodes_link_to_the_item_and_service_pages(self) -> None:
        graph = self.graph_of(self.database)
        nodes = {node["name"]: node for node in graph["nodes"]}
        self.assertEqual(
            nodes["DB-PACS"]["url"], reverse("cmdb:ci_detail", args=[self.database.pk])
        )
        self.assertEqual(nodes["SAN-01"]["url"], reverse("cmdb:ci_detail", args=[self.array.pk]))
        self.assertEqual(nodes["PACS"]["url"], reverse("sla:service_detail", args=[self.pacs.pk]))
        self.assertNotIn("url", nodes["放射科"])

    @override_settings(ROOT_URLCONF=WithoutItemPages)
    def test_nodes_have_no_page_link_where_the_item_pages_do_not_exist(self) -> None:
        graph = self.graph_of(self.database)
        nodes = {node["name"]: node for node in graph["nodes"]}
        self.assertNotIn("url", nodes["DB-PACS"])
        self.assertEqual(nodes["PACS"]["url"], reverse("sla:service_detail", args=[self.pacs.pk]))


class ImpactGraphViewTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.server = make_ci("SRV-EMR", C.SERVER, name="电子病历服务器")
        cls.app = make_ci("APP-EMR", C.APPLICATION, name="电子病历")
        link(cls.app, T.RUNS_ON, cls.server)

    def url(self, pk: int) -> str:
        return reverse("cmdb:ci_graph", args=[pk])

    def test_it_staff_get_the_graph_as_json(self) -> None:
        self.login(self.engineer)
        response = self.client.get(self.url(self.server.pk), headers={"Accept-Language": "zh"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/json")
        data = response.json()
        self.assertEqual(
            [(node["name"], node["title"]) for node in data["nodes"]],
            [("SRV-EMR", "电子病历服务器"), ("APP-EMR", "电子病历")],
        )
        self.assertEqual(
            [(link["source"], link["target"], link["type"]) for link in data["links"]],
            [("ci-%d" % self.app.pk, "ci-%d" % self.server.pk, T.RUNS_ON)],
        )
        self.assertIn("电子病历".encode(), response.content)

    def test_it_is_refused_to_those_who_may_not_view_items(self) -> None:
        for user in (self.outsider, self.nurse):
            with self.subTest(user=user.username):
                self.login(user)
                self.assertEqual(self.client.get(self.url(self.server.pk)).status_code, 403)

    def test_an_unknown_item_is_not_found(self) -> None:
        self.login(self.engineer)
        self.assertEqual(self.client.get(self.url(999_999)).status_code, 404)

    def test_an_anonymous_visitor_is_sent_to_sign_in(self) -> None:
        response = self.client.get(self.url(self.server.pk))
        self.assertEqual(response.status_code, 302)
        self.assertIn("/login/", response["Location"])
