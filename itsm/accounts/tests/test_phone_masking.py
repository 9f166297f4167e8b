"""Requesters' phone numbers are masked for vendors' engineers (138****1234) wherever they
appear: the incident page, the API's people; the hospital's own staff read them whole."""

from __future__ import annotations

from django.test import SimpleTestCase

from itsm.accounts.choices import Role
from itsm.accounts.models import User
from itsm.accounts.privacy import display_phone, is_vendor_engineer, mask_phone
from itsm.core.testing import BaseTestCase, make_user
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.tests.factories import incident_in

PHONE = "13812341234"
MASKED = "138****1234"


class MaskTests(SimpleTestCase):
    def test_a_mobile_number_keeps_its_first_three_and_last_four_digits(self) -> None:
        self.assertEqual(mask_phone(PHONE), MASKED)

    def test_other_lengths_hide_all_but_the_ends(self) -> None:
        self.assertEqual(mask_phone("0571-87654321"), "057******4321")
        self.assertEqual(mask_phone("8123"), "**23")
        self.assertEqual(mask_phone("12"), "**")
        self.assertEqual(display_phone("", None), "")


class WhoIsMaskedTests(BaseTestCase):
    def test_only_engineers_in_a_vendors_group_are_vendor_engineers(self) -> None:
        hospital_dba = make_user("dba", Role.BACK_LINE)
        expected = {
            self.vendor: True,
            self.other_vendor: True,
            hospital_dba: False,
            self.agent: False,
            self.engineer: False,
            self.manager: False,
            self.nurse: False,
        }
        for user, masked in expected.items():
            with self.subTest(user=user.username):
                self.assertEqual(is_vendor_engineer(self.reload(user)), masked)
                self.assertEqual(
                    display_phone(PHONE, self.reload(user)), MASKED if masked else PHONE
                )


class MaskedWhereShownTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        User.objects.filter(pk=cls.nurse.pk).update(phone=PHONE)

    def test_the_incident_page_masks_the_requesters_phone_for_the_vendor(self) -> None:
        incident = incident_in(self, IncidentStatus.ASSIGNED, group=self.vendor_group)
        url = incident.get_absolute_url()
        self.login(self.vendor)
        page = self.client.get(url)
        self.assertContains(page, MASKED)
        self.assertNotContains(page, PHONE)
        self.login(self.agent)
        self.assertContains(self.client.get(url), PHONE)

    def test_the_api_masks_people_s_phones_for_the_vendor(self) -> None:
        for user, expected in ((self.vendor, MASKED), (self.agent, PHONE)):
            client = self.api(user)
            with self.subTest(user=user.username):
                detail = client.get("/api/users/%d/" % self.nurse.pk).json()
                self.assertEqual(detail["phone"], expected)
                listed = client.get("/api/users/", {"page_size": 100}).json()
                rows = listed["results"] if isinstance(listed, dict) else listed
                (row,) = [r for r in rows if r["id"] == self.nurse.pk]
                self.assertEqual(row["phone"], expected)
        self.assertNotIn(PHONE, self.api(self.vendor).get("/api/users/").content.decode())
