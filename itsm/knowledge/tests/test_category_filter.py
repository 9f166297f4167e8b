"""Filtering the knowledge base by a category takes in its subcategories, on /kb/ and on
/api/articles/ alike (one FilterSet)."""

from __future__ import annotations

from django.urls import reverse

from itsm.incidents.tests.ui import UITestCase
from itsm.knowledge.choices import ArticleStatus
from itsm.knowledge.models import Article, Category
from itsm.knowledge.tests.factories import article_in

ARTICLES = "/api/articles/"


class CategoryFilterTests(UITestCase):
    def setUp(self) -> None:
        self.his = Category.objects.create(name="HIS")
        self.outpatient = Category.objects.create(name="门诊", parent=self.his)
        self.registration = Category.objects.create(name="挂号", parent=self.outpatient)
        self.printers = Category.objects.create(name="打印机")

        def published(title: str, category: Category | None) -> Article:
            return article_in(
                ArticleStatus.PUBLISHED,
                author=self.engineer,
                reviewer=self.manager,
                title=title,
                category=category,
            )

        self.top = published("HIS 登录失败", self.his)
        self.middle = published("门诊医生站卡顿", self.outpatient)
        self.bottom = published("挂号单打印空白", self.registration)
        self.other = published("条码打印机不出纸", self.printers)
        self.none = published("Win10 蓝屏 0x0000007B", None)

    def api_titles(self, category: Category) -> set[str]:
        response = self.api(self.agent).get(ARTICLES, {"category": category.pk})
        self.assertEqual(response.status_code, 200, response.data)
        return {row["title"] for row in response.data["results"]}

    def test_the_api_lists_a_category_with_every_level_below_it(self) -> None:
        self.assertEqual(
            self.api_titles(self.his), {"HIS 登录失败", "门诊医生站卡顿", "挂号单打印空白"}
        )
        self.assertEqual(self.api_titles(self.outpatient), {"门诊医生站卡顿", "挂号单打印空白"})
        self.assertEqual(self.api_titles(self.registration), {"挂号单打印空白"})
        self.assertEqual(self.api_titles(self.printers), {"条码打印机不出纸"})

    def test_the_list_page_filters_the_same_way(self) -> None:
        self.login(self.agent)
        response = self.client.get(
            reverse("knowledge:article_list"), {"category": self.outpatient.pk}
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(set(response.context["object_list"]), {self.middle, self.bottom})

    def test_a_requester_still_sees_only_what_he_may_read(self) -> None:
        response = self.api(self.nurse).get(ARTICLES, {"category": self.his.pk})
        self.assertEqual(response.status_code, 200)
        visible = set(Article.objects.visible_to(self.nurse).values_list("title", flat=True))
        self.assertTrue({row["title"] for row in response.data["results"]} <= visible)

    def test_an_unknown_category_is_a_400_naming_it(self) -> None:
        response = self.api(self.agent).get(ARTICLES, {"category": 999999})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.data), {"category"})
