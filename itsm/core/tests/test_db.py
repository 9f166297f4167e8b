"""joins_in_written_order: PostgreSQL plans the joins inside in the written order, and the
connection is as before afterwards, after an error too; other databases are untouched."""

from __future__ import annotations

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from itsm.core.db import joins_in_written_order
from itsm.incidents.models import Incident
from itsm.incidents.views.page import DETAIL_RELATIONS

# The incident page's row: the incident and eight tables.
NINE_TABLES = DETAIL_RELATIONS


def collapse_limit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        return str(cursor.fetchone()[0])


class JoinsInWrittenOrderTests(TestCase):
    def test_postgresql_plans_the_joins_inside_as_written_and_then_as_before(self) -> None:
        if connection.vendor != "postgresql":
            self.skipTest("a PostgreSQL setting")
        before = collapse_limit()
        with joins_in_written_order(Incident.objects.select_related(*NINE_TABLES)):
            self.assertEqual(collapse_limit(), "1")
            list(Incident.objects.select_related(*NINE_TABLES))
        self.assertEqual(collapse_limit(), before)

    def test_postgresql_plans_a_few_joins_as_it_would(self) -> None:
        if connection.vendor != "postgresql":
            self.skipTest("a PostgreSQL setting")
        few = Incident.objects.select_related("requester", "assignment_group__vendor")
        with CaptureQueriesContext(connection) as queries:
            with joins_in_written_order(few):
                list(few)
        self.assertEqual(len(queries), 1)

    def test_the_setting_is_reset_after_an_error_inside(self) -> None:
        if connection.vendor != "postgresql":
            self.skipTest("a PostgreSQL setting")
        before = collapse_limit()
        with self.assertRaises(Incident.DoesNotExist):
            with joins_in_written_order(Incident.objects.select_related(*NINE_TABLES)):
                Incident.objects.get(pk=0)
        self.assertEqual(collapse_limit(), before)

    def test_other_databases_run_nothing_more(self) -> None:
        if connection.vendor == "postgresql":
            self.skipTest("not PostgreSQL")
        many = Incident.objects.select_related(*NINE_TABLES)
        with CaptureQueriesContext(connection) as queries:
            with joins_in_written_order(many):
                list(many)
        self.assertEqual(len(queries), 1)
