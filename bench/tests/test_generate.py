"""The bench's generator writes rows straight into the tables; these tests check that what
it writes is what the application reads: valid incidents with consistent timelines."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count

from bench.generate import generate, read_meta, write_meta
from itsm.core.models import AuditEntry, NumberSequence
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident, IncidentAssignment
from itsm.incidents.services import incident_timeline, log_incident

N = 600


class GeneratorTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        generate(N, seed=1, say=lambda message: None)

    def test_it_writes_n_numbered_incidents_that_pass_model_validation(self) -> None:
        self.assertEqual(Incident.objects.count(), N)
        numbers = set(Incident.objects.values_list("number", flat=True))
        self.assertEqual(numbers, {"INC%07d" % n for n in range(1, N + 1)})
        for incident in Incident.objects.order_by("?")[:50]:
            with self.subTest(number=incident.number):
                incident.full_clean()

    def test_open_work_is_recent_and_history_is_closed(self) -> None:
        statuses = dict(Incident.objects.values_list("status").annotate(n=Count("pk")))
        self.assertGreater(statuses[IncidentStatus.CLOSED], N / 2)
        # Only a few incidents wait (pending) for weeks; the rest of the open work is recent.
        working = Incident.objects.open().exclude(status=IncidentStatus.PENDING)
        oldest_open = working.order_by("reported_at").first()
        newest = Incident.objects.order_by("-reported_at").first()
        assert oldest_open is not None and newest is not None
        self.assertLess((newest.reported_at - oldest_open.reported_at).days, 15)

    def test_every_timeline_starts_with_the_creation_and_ends_with_the_last_change(self) -> None:
        content_type = ContentType.objects.get_for_model(Incident)
        for incident in Incident.objects.order_by("?")[:50]:
            audits = AuditEntry.objects.filter(content_type=content_type, object_id=incident.pk)
            first, last = audits.order_by("created_at", "id")[0], audits.order_by("-id")[0]
            with self.subTest(number=incident.number):
                self.assertEqual(first.action, "create")
                self.assertEqual(first.created_at, incident.created_at)
                self.assertEqual(last.created_at, incident.updated_at)
                self.assertEqual(audits.count(), incident.version)
                self.assertLessEqual(incident.reported_at, incident.created_at)
                if incident.assignment_group_id:
                    hop = IncidentAssignment.objects.filter(incident=incident).last()
                    assert hop is not None
                    self.assertEqual(hop.group_id, incident.assignment_group_id)
                entries = incident_timeline(incident, viewer=self.agent)
                self.assertEqual([e.at for e in entries], sorted(e.at for e in entries))

    def test_the_application_numbers_on_after_the_generated_incidents(self) -> None:
        self.assertEqual(NumberSequence.objects.get(prefix="INC").last, N)
        incident = log_incident({"title": "急诊分诊台条码打印机不出纸"}, actor=self.nurse)
        self.assertEqual(incident.number, "INC%07d" % (N + 1))

    def test_the_marker_table_round_trips(self) -> None:
        write_meta({"incidents": str(N), "state": "complete"})
        self.assertEqual(read_meta(), {"incidents": str(N), "state": "complete"})
