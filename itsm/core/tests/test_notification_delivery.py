"""Notifications leave the product by e-mail (and chat robots, tested in integrations): each
person reads them in his own language, the deliveries and their tasks are written in the
caller's transaction, and a failing channel is retried with backoff, then recorded."""

from __future__ import annotations

import datetime
import socket
from typing import Any

from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from itsm.accounts.admin import ROBOT_TEST_MESSAGE
from itsm.accounts.choices import RobotKind
from itsm.core.choices import DeliveryChannel, DeliveryStatus
from itsm.core.models import Delivery, Notification
from itsm.core.services import notify, render_delivery
from itsm.core.tasks import deliver
from itsm.core.testing import BaseTestCase

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
DELIVER = ("itsm.core.tasks.deliver_all", "itsm.core.tasks.deliver")


def queued_tasks() -> list[DBTaskResult[Any, Any]]:
    return list(DBTaskResult.objects.filter(task_path__in=DELIVER).order_by("enqueued_at"))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@override_settings(EMAIL_BACKEND=LOCMEM, ITSM_BASE_URL="https://itsm.hospital.test")
class NotificationDeliveryTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.nurse.language = "en"
        cls.nurse.email = "wangfang@hospital.test"
        cls.nurse.save(update_fields=["language", "email"])
        cls.doctor.email = "liqiang@hospital.test"
        cls.doctor.save(update_fields=["email"])

    def notify_about_the_printer(self, *users: Any, groups: Any = ()) -> None:
        notify(
            users,
            self.printer,
            ROBOT_TEST_MESSAGE,
            params={"group": "桌面运维组"},
            groups=groups,
        )

    def test_a_nurse_who_reads_english_gets_english_and_the_default_reader_chinese(self) -> None:
        self.notify_about_the_printer(self.nurse, self.doctor)

        english = Notification.objects.get(recipient=self.nurse).message
        chinese = Notification.objects.get(recipient=self.doctor).message
        self.assertEqual(
            english,
            "Test message for support group 桌面运维组: its notifications reach this chat.",
        )
        self.assertIn("桌面运维组", chinese)
        self.assertNotIn("Test message", chinese)
        self.assertEqual(Delivery.objects.get(recipient=self.nurse).language, "en")
        self.assertEqual(Delivery.objects.get(recipient=self.doctor).language, "zh-hans")

    def test_the_email_is_rendered_in_the_readers_language_with_a_link_to_the_record(
        self,
    ) -> None:
        self.notify_about_the_printer(self.nurse, self.doctor)
        for delivery in Delivery.objects.all():
            deliver.call(delivery.pk)

        by_address = {message.to[0]: message for message in mail.outbox}
        english, chinese = by_address["wangfang@hospital.test"], by_address["liqiang@hospital.test"]
        link = "https://itsm.hospital.test" + self.printer.get_absolute_url()
        self.assertEqual(
            english.subject,
            "[Hospital ITSM] Test message for support group 桌面运维组: its notifications "
            "reach this chat.",
        )
        self.assertIn("Record: %s" % self.printer, english.body)
        self.assertIn(link, english.body)
        html, kind = english.alternatives[0]  # type: ignore[attr-defined]
        self.assertEqual(kind, "text/html")
        self.assertIn('href="%s"' % link, html)
        self.assertIn("Open the record in Hospital ITSM", html)
        self.assertTrue(chinese.subject.startswith("[医院IT服务管理] "))
        self.assertIn(link, chinese.body)
        self.assertNotIn("Record:", chinese.body)
        self.assertEqual(english.from_email, "itsm@hospital.local")

    def test_a_ready_string_is_used_as_given_in_every_language(self) -> None:
        notify([self.nurse, self.doctor], self.printer, "已格式化的消息 100%")
        for delivery in Delivery.objects.all():
            deliver.call(delivery.pk)

        self.assertEqual(
            set(Notification.objects.values_list("message", flat=True)), {"已格式化的消息 100%"}
        )
        self.assertEqual(
            set(Delivery.objects.values_list("subject", flat=True)),
            {"[Hospital ITSM] 已格式化的消息 100%", "[医院IT服务管理] 已格式化的消息 100%"},
        )

    def test_each_email_is_a_delivery_with_its_task_enqueued_in_the_callers_transaction(
        self,
    ) -> None:
        self.notify_about_the_printer(self.nurse, self.doctor, self.agent)

        deliveries = Delivery.objects.order_by("pk")
        self.assertEqual(
            [(d.channel, d.address, d.status, d.attempts) for d in deliveries],
            [
                (DeliveryChannel.EMAIL, "wangfang@hospital.test", DeliveryStatus.PENDING, 0),
                (DeliveryChannel.EMAIL, "liqiang@hospital.test", DeliveryStatus.PENDING, 0),
            ],
        )
        # One task sends every delivery of the notice.
        self.assertEqual(
            [task.args_kwargs["args"] for task in queued_tasks()], [[[d.pk for d in deliveries]]]
        )
        # The agent has no e-mail address: only the in-app notification.
        self.assertTrue(Notification.objects.filter(recipient=self.agent).exists())
        self.assertEqual(mail.outbox, [])  # nothing leaves before the worker runs

    def test_an_inactive_user_gets_no_email(self) -> None:
        self.doctor.is_active = False
        self.doctor.save(update_fields=["is_active"])

        self.notify_about_the_printer(self.doctor)

        self.assertFalse(Delivery.objects.exists())

    def test_a_group_without_a_robot_gets_no_delivery(self) -> None:
        self.notify_about_the_printer(groups=[self.front_group, self.vendor_group])

        self.assertFalse(Delivery.objects.exists())
        self.assertEqual(queued_tasks(), [])

    def test_an_inactive_group_gets_no_robot_post(self) -> None:
        self.front_group.robot_kind = RobotKind.WECOM
        self.front_group.robot_webhook_url = "http://127.0.0.1:9/cgi-bin/webhook/send?key=K"
        self.front_group.active = False
        self.front_group.save()

        self.notify_about_the_printer(groups=[self.front_group])

        self.assertFalse(Delivery.objects.exists())

    def test_a_group_with_a_robot_gets_one_post_in_the_default_language(self) -> None:
        self.front_group.robot_kind = RobotKind.DINGTALK
        self.front_group.robot_webhook_url = "http://127.0.0.1:9/robot/send?access_token=T"
        self.front_group.save()

        self.notify_about_the_printer(groups=[self.front_group, self.front_group])

        delivery = Delivery.objects.get()
        self.assertEqual(
            (delivery.channel, delivery.group, delivery.language, delivery.recipient),
            (DeliveryChannel.DINGTALK, self.front_group, "zh-hans", None),
        )
        render_delivery(delivery)  # what the task does before the first send
        self.assertTrue(delivery.subject.startswith("[医院IT服务管理] "))
        self.assertIn(self.printer.get_absolute_url(), delivery.body)

    def test_a_rolled_back_transaction_leaves_no_notification_delivery_or_task(self) -> None:
        class RolledBack(Exception):
            pass

        with self.assertRaises(RolledBack), transaction.atomic():
            self.notify_about_the_printer(self.nurse, self.doctor)
            self.assertEqual(Delivery.objects.count(), 2)
            raise RolledBack

        self.assertFalse(Notification.objects.exists())
        self.assertFalse(Delivery.objects.exists())
        self.assertEqual(queued_tasks(), [])

    def test_a_sent_delivery_is_not_sent_again_when_its_task_runs_twice(self) -> None:
        self.notify_about_the_printer(self.doctor)
        delivery = Delivery.objects.get()

        deliver.call(delivery.pk)
        deliver.call(delivery.pk)

        self.assertEqual(len(mail.outbox), 1)
        delivery.refresh_from_db()
        self.assertEqual((delivery.status, delivery.attempts), (DeliveryStatus.SENT, 1))
        self.assertIsNotNone(delivery.sent_at)

    def test_a_failing_mail_server_is_retried_with_backoff_then_marked_failed(self) -> None:
        self.notify_about_the_printer(self.doctor)
        delivery = Delivery.objects.get()
        first_task = queued_tasks()[0]
        smtp_refused = override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=closed_port(),
            EMAIL_TIMEOUT=5,
            ITSM_NOTIFICATION_MAX_ATTEMPTS=3,
            ITSM_NOTIFICATION_BACKOFF_SECONDS=60,
        )

        with smtp_refused:
            before = timezone.now()
            deliver.call(delivery.pk)  # no exception: the failure is recorded
            delivery.refresh_from_db()
            self.assertEqual((delivery.status, delivery.attempts), (DeliveryStatus.PENDING, 1))
            self.assertIn("Connection refused", delivery.last_error)
            retry = [t for t in queued_tasks() if t.pk != first_task.pk]
            self.assertEqual(len(retry), 1)
            self.assertEqual(retry[0].args_kwargs["args"], [delivery.pk])
            self.assertEqual(retry[0].run_after, delivery.next_attempt_at)
            assert delivery.next_attempt_at is not None
            wait = delivery.next_attempt_at - before
            self.assertTrue(datetime.timedelta(seconds=59) < wait < datetime.timedelta(seconds=70))

            deliver.call(delivery.pk)
            delivery.refresh_from_db()
            self.assertEqual(delivery.attempts, 2)
            assert delivery.next_attempt_at is not None and delivery.attempted_at is not None
            self.assertEqual(
                delivery.next_attempt_at - delivery.attempted_at, datetime.timedelta(seconds=120)
            )

            deliver.call(delivery.pk)
            delivery.refresh_from_db()
            self.assertEqual((delivery.status, delivery.attempts), (DeliveryStatus.FAILED, 3))
            self.assertIsNone(delivery.next_attempt_at)
            self.assertEqual(len(queued_tasks()), 3)  # the first and two retries, no more

        self.assertEqual(mail.outbox, [])


class DeliveryAdminTests(BaseTestCase):
    def test_an_administrator_sees_failed_deliveries_but_cannot_edit_them(self) -> None:
        self.doctor.email = "liqiang@hospital.test"
        self.doctor.save(update_fields=["email"])
        notify([self.doctor], self.printer, "测试")
        delivery = Delivery.objects.get()
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, attempts=5, last_error="SMTPConnectError: 拒绝连接"
        )
        self.login(self.admin)

        listing = self.client.get(reverse("admin:core_delivery_changelist") + "?status=failed")
        detail = self.client.get(reverse("admin:core_delivery_change", args=[delivery.pk]))

        self.assertContains(listing, "SMTPConnectError")
        self.assertContains(detail, "liqiang@hospital.test")
        self.assertNotContains(detail, 'name="_save"')
        self.assertEqual(self.client.get(reverse("admin:core_delivery_add")).status_code, 403)

    def test_an_outsider_cannot_see_deliveries(self) -> None:
        self.login(self.outsider)
        response = self.client.get(reverse("admin:core_delivery_changelist"))
        self.assertEqual(response.status_code, 302)
