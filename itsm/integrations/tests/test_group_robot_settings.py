"""An administrator configures a support group's chat robot in the API or the administration
pages; the signing secret is written but never read back, not even from the audit log."""

from __future__ import annotations

from django.urls import reverse

from itsm.accounts.choices import RobotKind
from itsm.core.choices import DeliveryChannel
from itsm.core.models import AuditEntry, Delivery
from itsm.core.testing import BaseTestCase

WEBHOOK = "https://oapi.dingtalk.com/robot/send?access_token=T0KEN"


class GroupRobotApiTests(BaseTestCase):
    def url(self) -> str:
        return reverse("api:supportgroup-detail", args=[self.front_group.pk])

    def test_an_administrator_sets_a_robot_and_its_address_and_secret_are_never_read_back(
        self,
    ) -> None:
        response = self.api(self.admin).patch(
            self.url(),
            {
                "robot_kind": RobotKind.DINGTALK,
                "robot_webhook_url": WEBHOOK,
                "robot_secret": "SECsecret",
                "version": self.front_group.version,
            },
            format="json",
        )

        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["robot_kind"], "dingtalk")
        self.assertNotIn("robot_webhook_url", response.json())
        self.assertNotIn("robot_secret", response.json())
        self.front_group.refresh_from_db()
        self.assertEqual(self.front_group.robot_secret, "SECsecret")
        self.assertEqual(self.front_group.robot_webhook_url, WEBHOOK)
        read = self.api(self.admin).get(self.url()).json()
        self.assertNotIn("robot_secret", read)
        listed = self.api(self.vendor).get(reverse("api:supportgroup-list")).content.decode()
        self.assertNotIn("SECsecret", listed)
        self.assertNotIn(WEBHOOK, listed)

    def test_the_audit_log_records_that_the_secret_changed_but_not_its_value(self) -> None:
        self.api(self.admin).patch(
            self.url(),
            {
                "robot_kind": "feishu",
                "robot_webhook_url": WEBHOOK,
                "robot_secret": "s3cr3t",
                "version": self.front_group.version,
            },
            format="json",
        )

        entry = AuditEntry.objects.filter(action="update", object_id=self.front_group.pk).get()
        self.assertEqual(entry.changes["robot_secret"], ["", "***"])
        self.assertEqual(entry.changes["robot_kind"], ["none", "feishu"])
        self.assertNotIn("s3cr3t", str(entry.changes))

    def test_a_robot_without_a_webhook_address_is_refused(self) -> None:
        response = self.api(self.admin).patch(
            self.url(),
            {"robot_kind": RobotKind.WECOM, "version": self.front_group.version},
            format="json",
        )

        self.assertEqual(response.status_code, 400)
        self.assertIn("robot_webhook_url", response.json())

    def test_a_requester_cannot_configure_a_robot(self) -> None:
        response = self.api(self.nurse).patch(
            self.url(),
            {"robot_kind": RobotKind.WECOM, "robot_webhook_url": WEBHOOK},
            format="json",
        )

        self.assertIn(response.status_code, (403, 404))
        self.front_group.refresh_from_db()
        self.assertEqual(self.front_group.robot_kind, RobotKind.NONE)


class GroupRobotAdminTests(BaseTestCase):
    def test_the_test_action_queues_one_post_per_group_with_a_robot(self) -> None:
        self.front_group.robot_kind = RobotKind.WECOM
        self.front_group.robot_webhook_url = (
            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"
        )
        self.front_group.save()
        self.login(self.admin)

        response = self.client.post(
            reverse("admin:accounts_supportgroup_changelist"),
            {
                "action": "send_robot_test",
                "_selected_action": [self.front_group.pk, self.desk_group.pk],
            },
            follow=True,
        )

        self.assertEqual(response.status_code, 200)
        delivery = Delivery.objects.get()
        self.assertEqual(
            (delivery.channel, delivery.group), (DeliveryChannel.WECOM, self.front_group)
        )
        self.assertIn(self.front_group.name, delivery.subject)
        self.assertTrue(
            AuditEntry.objects.filter(action="robot_test", object_id=self.front_group.pk).exists()
        )

    def test_the_group_page_has_the_robot_fields(self) -> None:
        self.login(self.admin)
        response = self.client.get(
            reverse("admin:accounts_supportgroup_change", args=[self.front_group.pk])
        )
        for name in ("robot_kind", "robot_webhook_url", "robot_secret"):
            self.assertContains(response, 'name="%s"' % name)
