"""The incident page's links: children and related incidents, each in its own list, read
in one query."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext, override

from itsm.incidents.choices import IncidentStatus
from itsm.incidents.services import link_incidents
from itsm.incidents.tests.factories import incident_in, log
from itsm.incidents.tests.ui import UITestCase


class IncidentPageLinksTests(UITestCase):
    def test_it_lists_children_and_related_incidents_apart(self) -> None:
        incident = incident_in(self, IncidentStatus.IN_PROGRESS)
        child = log(self.agent, parent=incident, title="二号楼打印机卡纸")
        related = log(self.agent, title="三号楼网络中断")
        both = log(self.agent, parent=incident, title="药房扫码枪无响应")
        link_incidents(incident, related, actor=self.agent)
        link_incidents(incident, both, actor=self.agent)
        self.login(self.agent)

        response = self.client.get(incident.get_absolute_url())

        page = response.content.decode()
        with override(response["Content-Language"]):
            children_label, related_label = gettext("Children:"), gettext("Related:")
        children_part = page.split('id="link-modal"')[0].split(children_label)[-1]
        children_html, related_html = children_part.split(related_label, 1)
        self.assertIn(child.number, children_html)
        self.assertIn(both.number, children_html)
        self.assertNotIn(related.number, children_html)
        self.assertIn(related.number, related_html)
        self.assertIn(both.number, related_html)
        self.assertNotIn(child.number, related_html)

    def test_its_queries_do_not_grow_with_the_links(self) -> None:
        incident = incident_in(self, IncidentStatus.IN_PROGRESS)
        self.login(self.agent)
        self.client.get(incident.get_absolute_url())
        with CaptureQueriesContext(connection) as alone:
            self.client.get(incident.get_absolute_url())
        for title in ("二号楼打印机卡纸", "药房扫码枪无响应"):
            log(self.agent, parent=incident, title=title)
            link_incidents(incident, log(self.agent, title=title), actor=self.agent)

        with CaptureQueriesContext(connection) as linked:
            self.client.get(incident.get_absolute_url())

        self.assertEqual(len(linked.captured_queries), len(alone.captured_queries))

    def test_configuration_items_come_with_the_links_in_one_query_in_code_order(self) -> None:
        from itsm.cmdb.choices import ConfigurationItemClass
        from itsm.cmdb.models import ConfigurationItem

        incident = incident_in(self, IncidentStatus.IN_PROGRESS)
        first = ConfigurationItem.objects.create(
            code="AAA-ED-001", name="急诊分诊台电脑", ci_class_id=ConfigurationItemClass.PRINTER
        )
        incident.configuration_items.add(self.printer, first)
        child = log(self.agent, parent=incident, title="二号楼打印机卡纸")
        self.login(self.agent)

        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(incident.get_absolute_url())

        items = response.context["configuration_items"]
        self.assertEqual([item.pk for item in items], [first.pk, self.printer.pk])
        self.assertContains(response, "<div>%s</div>" % self.printer)
        self.assertEqual([c.pk for c in response.context["children"]], [child.pk])
        ci_table = '"%s"' % ConfigurationItem._meta.db_table
        reading_items = [q["sql"] for q in queries.captured_queries if ci_table in q["sql"]]
        self.assertEqual(len(reading_items), 1)
        self.assertIn("UNION ALL", reading_items[0])

    def test_an_incident_without_links_or_items_shows_dashes(self) -> None:
        incident = incident_in(self, IncidentStatus.IN_PROGRESS)
        self.login(self.agent)
        response = self.client.get(incident.get_absolute_url())
        for name in ("children", "related_incidents", "configuration_items"):
            self.assertEqual(list(response.context[name]), [])
