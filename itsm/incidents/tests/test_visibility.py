"""Who sees which incidents: `Incident.objects.visible_to(user)`."""

from __future__ import annotations

from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentStatus
from itsm.incidents.models import Incident
from itsm.incidents.services import transition_incident
from itsm.incidents.tests.factories import incident_in, log

S = IncidentStatus


class VisibilityTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.nurses = log(cls.agent, requester=cls.nurse, title="护士站电脑蓝屏")
        cls.doctors = log(cls.agent, requester=cls.doctor, title="PACS调阅慢")
        cls.his_fault = log(
            cls.agent,
            requester=cls.doctor,
            assignment_group=cls.vendor_group,
            title="HIS医嘱保存失败",
        )
        cls.pacs_fault = log(
            cls.agent,
            requester=cls.doctor,
            assignment_group=cls.other_vendor_group,
            title="PACS影像无法加载",
        )
        # Routed to the HIS vendor once, then on to the PACS vendor.
        moved = log(
            cls.agent,
            requester=cls.nurse,
            assignment_group=cls.vendor_group,
            title="检查申请单打印乱码",
        )
        cls.moved = transition_incident(
            moved,
            "reassign",
            actor=cls.agent,
            data={"assignment_group": cls.other_vendor_group.pk, "reason": "是PACS问题"},
        )

    def visible(self, user: object) -> set[int]:
        return set(Incident.objects.visible_to(user).values_list("pk", flat=True))

    def test_the_vendor_sees_only_incidents_routed_to_his_group_now_or_before(self) -> None:
        self.assertEqual(self.visible(self.reload(self.vendor)), {self.his_fault.pk, self.moved.pk})

    def test_the_other_vendor_does_not_see_the_first_vendors_incidents(self) -> None:
        self.assertEqual(
            self.visible(self.reload(self.other_vendor)), {self.pacs_fault.pk, self.moved.pk}
        )
        self.assertNotIn(self.his_fault.pk, self.visible(self.reload(self.other_vendor)))

    def test_a_requester_sees_only_his_own(self) -> None:
        self.assertEqual(self.visible(self.reload(self.nurse)), {self.nurses.pk, self.moved.pk})
        self.assertEqual(
            self.visible(self.reload(self.doctor)),
            {self.doctors.pk, self.his_fault.pk, self.pacs_fault.pk},
        )

    def test_an_outsider_sees_nothing(self) -> None:
        self.assertEqual(self.visible(self.reload(self.outsider)), set())

    def test_an_anonymous_visitor_sees_nothing(self) -> None:
        from django.contrib.auth.models import AnonymousUser

        self.assertEqual(self.visible(AnonymousUser()), set())

    def test_the_desk_the_front_line_the_managers_and_the_admin_see_everything(self) -> None:
        everything = set(Incident.objects.values_list("pk", flat=True))
        for user in (self.agent, self.engineer, self.manager, self.admin):
            with self.subTest(user=user.username):
                self.assertEqual(self.visible(self.reload(user)), everything)

    def test_a_vendor_who_reports_a_fault_himself_sees_it(self) -> None:
        own = log(self.reload(self.vendor), title="厂商驻场电脑无法上网")
        self.assertIn(own.pk, self.visible(self.reload(self.vendor)))

    def test_the_vendor_keeps_seeing_a_closed_incident_he_worked(self) -> None:
        incident = incident_in(self, S.CLOSED, group=self.vendor_group)
        self.assertIn(incident.pk, self.visible(self.reload(self.vendor)))
        self.assertNotIn(incident.pk, self.visible(self.reload(self.other_vendor)))

    def test_visibility_is_one_query(self) -> None:
        vendor = self.reload(self.vendor)
        vendor.group_ids()
        vendor.get_all_permissions()
        with self.assertNumQueries(1):
            list(Incident.objects.visible_to(vendor))

    def test_visible_keys_name_the_same_incidents_as_visible_to(self) -> None:
        """The search counts and looks up a reader's incidents through visible_keys."""
        from django.contrib.auth.models import AnonymousUser

        for user in (self.vendor, self.other_vendor, self.nurse, self.doctor, self.outsider):
            with self.subTest(user=user.username):
                reader = self.reload(user)
                keys = Incident.objects.visible_keys(reader)
                assert keys is not None
                self.assertEqual({row["pk"] for row in keys}, self.visible(reader))
        self.assertIsNone(Incident.objects.visible_keys(self.reload(self.agent)))
        self.assertEqual(list(Incident.objects.visible_keys(AnonymousUser())), [])

    def test_an_incident_at_his_group_now_is_visible_whatever_its_routing_history(self) -> None:
        """Routed now: the current group alone decides, as the queues show it."""
        from itsm.incidents.models import IncidentAssignment

        IncidentAssignment.objects.filter(incident=self.his_fault).delete()
        self.assertIn(self.his_fault.pk, self.visible(self.reload(self.vendor)))
        self.assertNotIn(self.his_fault.pk, self.visible(self.reload(self.other_vendor)))
