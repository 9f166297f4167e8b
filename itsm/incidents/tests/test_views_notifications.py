"""The bell and the notifications page: count, open (marks read), mark read."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from itsm.core.models import Notification
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.tests.factories import incident_in
from itsm.incidents.tests.ui import UITestCase


class NotificationPageTests(UITestCase):
    def setUp(self) -> None:
        self.incident = incident_in(self, IncidentStatus.IN_PROGRESS)
        Notification.objects.all().delete()  # those the routing wrote: start from a known set
        content_type = ContentType.objects.get_for_model(Incident)
        self.notes = [
            Notification.objects.create(
                recipient=self.engineer,
                content_type=content_type,
                object_id=self.incident.pk,
                message="%s 已分派给您 %d" % (self.incident.number, i),
            )
            for i in range(3)
        ]

    def test_the_bell_shows_the_unread_count(self) -> None:
        self.login(self.engineer)
        response = self.client.get(reverse("notification_list"))
        self.assertContains(response, 'data-unread="3"')
        self.assertContains(response, self.notes[0].message)

    def test_opening_a_notification_marks_it_read_and_goes_to_the_incident(self) -> None:
        self.login(self.engineer)
        response = self.client.get(reverse("notification_open", args=[self.notes[0].pk]))
        self.assertRedirects(
            response, self.incident.get_absolute_url(), fetch_redirect_response=False
        )
        self.notes[0].refresh_from_db()
        self.assertIsNotNone(self.notes[0].read_at)

    def test_one_or_all_are_marked_read(self) -> None:
        self.login(self.engineer)
        self.client.post(reverse("notification_read"), {"pk": self.notes[1].pk})
        self.assertEqual(Notification.objects.filter(read_at__isnull=True).count(), 2)
        self.client.post(reverse("notification_read"))
        self.assertFalse(Notification.objects.filter(read_at__isnull=True).exists())
        response = self.client.get(reverse("notification_list"))
        self.assertNotContains(response, "data-unread")

    def test_nobody_opens_or_marks_someone_elses_notification(self) -> None:
        self.login(self.nurse)
        response = self.client.get(reverse("notification_open", args=[self.notes[0].pk]))
        self.assertEqual(response.status_code, 404)
        self.client.post(reverse("notification_read"), {"pk": self.notes[0].pk})
        self.client.post(reverse("notification_read"))
        self.assertEqual(Notification.objects.filter(read_at__isnull=True).count(), 3)

    def test_mark_read_needs_a_post(self) -> None:
        self.login(self.engineer)
        self.assertEqual(self.client.get(reverse("notification_read")).status_code, 405)
