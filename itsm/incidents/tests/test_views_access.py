"""Who may open which page: sign-in required everywhere, invisible incidents are 404,
missing permissions 403, and each persona lands where his work is."""

from __future__ import annotations

from django.urls import reverse

from itsm.incidents.choices import IncidentStatus
from itsm.incidents.tests.factories import incident_in
from itsm.incidents.tests.ui import UITestCase


class PageAccessTests(UITestCase):
    def setUp(self) -> None:
        # Routed desk → front line → the HIS vendor's back line: vendor sees it, the PACS
        # vendor does not.
        self.incident = incident_in(self, IncidentStatus.IN_PROGRESS, group=self.vendor_group)
        self.detail = reverse("incidents:incident_detail", args=[self.incident.pk])

    def test_every_page_sends_an_anonymous_visitor_to_the_login_page(self) -> None:
        for url in (
            reverse("home"),
            reverse("incidents:incident_list"),
            reverse("incidents:incident_create"),
            self.detail,
            reverse("incidents:incident_edit", args=[self.incident.pk]),
            reverse("notification_list"),
            reverse("portal:home"),
            reverse("portal:incident_create"),
        ):
            response = self.client.get(url)
            self.assertEqual(response.status_code, 302, url)
            self.assertTrue(response["Location"].startswith(reverse("login")), url)

    def test_an_htmx_request_without_a_session_is_sent_to_the_login_page_in_full(self) -> None:
        response = self.htmx("get", reverse("incidents:incident_list"))
        self.assertTrue(response["HX-Redirect"].startswith(reverse("login")))

    def test_the_login_page_renders(self) -> None:
        response = self.client.get(reverse("login"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="password"')

    def test_home_sends_it_staff_to_the_queue_and_requesters_to_the_portal(self) -> None:
        for user in (self.agent, self.engineer, self.vendor, self.manager, self.admin):
            self.login(user)
            self.assertRedirects(
                self.client.get(reverse("home")), reverse("incidents:incident_list")
            )
        self.login(self.nurse)
        self.assertRedirects(self.client.get(reverse("home")), reverse("portal:home"))

    def test_it_staff_open_the_queue_and_the_incident_page(self) -> None:
        for user in (self.agent, self.engineer, self.vendor, self.manager, self.admin):
            self.login(user)
            self.assertEqual(self.client.get(reverse("incidents:incident_list")).status_code, 200)
            response = self.client.get(self.detail)
            self.assertEqual(response.status_code, 200, user)
            self.assertContains(response, self.incident.number)

    def test_the_desk_console_opens_for_the_desk_and_front_line(self) -> None:
        for user in (self.agent, self.engineer, self.manager):
            self.login(user)
            self.assertEqual(self.client.get(reverse("incidents:incident_create")).status_code, 200)

    def test_a_requester_cannot_open_the_desk_console(self) -> None:
        self.login(self.nurse)
        response = self.client.get(reverse("incidents:incident_create"))
        self.assertEqual(response.status_code, 403)
        self.assertContains(response, "403", status_code=403)

    def test_a_vendor_engineer_cannot_open_the_desk_console(self) -> None:
        self.login(self.vendor)
        self.assertEqual(self.client.get(reverse("incidents:incident_create")).status_code, 403)

    def test_a_requester_cannot_open_the_queues(self) -> None:
        self.login(self.nurse)
        self.assertEqual(self.client.get(reverse("incidents:incident_list")).status_code, 403)

    def test_a_requester_following_a_link_to_his_incident_lands_on_the_portal(self) -> None:
        self.login(self.nurse)
        self.assertRedirects(
            self.client.get(self.detail),
            reverse("portal:incident_detail", args=[self.incident.pk]),
        )

    def test_another_vendors_engineer_gets_404_on_an_incident_not_routed_to_him(self) -> None:
        self.login(self.other_vendor)
        for url in (
            self.detail,
            reverse("incidents:incident_edit", args=[self.incident.pk]),
            reverse("incidents:incident_transition", args=[self.incident.pk, "resolve"]),
        ):
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_an_outsider_gets_404_on_an_incident_and_403_on_the_pages(self) -> None:
        self.login(self.outsider)
        self.assertEqual(self.client.get(self.detail).status_code, 404)
        self.assertEqual(
            self.client.get(reverse("portal:incident_detail", args=[self.incident.pk])).status_code,
            404,
        )
        self.assertEqual(self.client.get(reverse("incidents:incident_list")).status_code, 403)
        self.assertEqual(self.client.get(reverse("portal:home")).status_code, 403)

    def test_another_requester_gets_404_on_someone_elses_incident(self) -> None:
        self.login(self.doctor)
        self.assertEqual(self.client.get(self.detail).status_code, 404)
        self.assertEqual(
            self.client.get(reverse("portal:incident_detail", args=[self.incident.pk])).status_code,
            404,
        )

    def test_the_not_found_page_is_our_own_in_the_users_language(self) -> None:
        self.login(self.other_vendor)
        response = self.client.get(self.detail)
        self.assertContains(response, "404", status_code=404)
        self.assertContains(response, '<html lang="zh-hans">', status_code=404)

    def test_the_helper_endpoints_need_the_desks_permission(self) -> None:
        self.login(self.nurse)
        for url in (
            reverse("incidents:requester_lookup") + "?requester_q=王",
            reverse("incidents:group_members") + "?assignment_group=1",
        ):
            self.assertEqual(self.client.get(url).status_code, 403, url)
