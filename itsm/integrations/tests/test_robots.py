"""Support groups' chat robots get each notification in their platform's documented JSON,
signed where a secret is set; a robot that refuses is retried with backoff and finally
recorded as failed, while the ticket's own write stands."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import time
from typing import Any

from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from itsm.accounts.choices import RobotKind
from itsm.accounts.models import SupportGroup
from itsm.core.choices import DeliveryStatus
from itsm.core.models import Comment, Delivery
from itsm.core.services import add_comment, notify
from itsm.core.tasks import deliver
from itsm.core.testing import BaseTestCase
from itsm.integrations.robots import dingtalk_sign, feishu_sign
from itsm.integrations.tests.stub import RobotStub, refused_url

BASE_URL = "https://itsm.hospital.test"


def set_robot(group: SupportGroup, kind: str, url: str, secret: str = "") -> None:
    group.robot_kind = kind
    group.robot_webhook_url = url
    group.robot_secret = secret
    group.full_clean()
    group.save()


def retries_of(delivery: Delivery) -> list[DBTaskResult[Any, Any]]:
    return [
        task
        for task in DBTaskResult.objects.filter(task_path="itsm.core.tasks.deliver")
        if task.args_kwargs["args"] == [delivery.pk]
        and task.run_after is not None
        # The first task runs at once: its run_after is the backend's "no date" maximum.
        and task.run_after.year < 9999
    ]


@override_settings(ITSM_BASE_URL=BASE_URL)
class RobotFormatTests(BaseTestCase):
    def post(self, kind: str, url: str, secret: str = "") -> Delivery:
        """Notify the front-line group about the printer and run the delivery task."""
        set_robot(self.front_group, kind, url, secret)
        notify(
            [],
            self.printer,
            "打印机故障 %(code)s",
            params={"code": "PRN-ED-001"},
            groups=[self.front_group],
        )
        delivery = Delivery.objects.get(group=self.front_group)
        deliver.call(delivery.pk)
        delivery.refresh_from_db()
        return delivery

    @property
    def link(self) -> str:
        return BASE_URL + self.printer.get_absolute_url()

    def expected_body(self) -> str:
        return "记录: %s\n\n[在医院IT服务管理中打开记录](%s)" % (self.printer, self.link)

    def test_wecom_gets_a_markdown_message_and_errcode_0_means_sent(self) -> None:
        with RobotStub({"errcode": 0, "errmsg": "ok"}) as robot:
            delivery = self.post(RobotKind.WECOM, robot.url("/cgi-bin/webhook/send?key=K3Y"))

        (received,) = robot.received
        self.assertEqual(received.path, "/cgi-bin/webhook/send")
        self.assertEqual(received.query, {"key": ["K3Y"]})
        self.assertEqual(received.content_type, "application/json")
        self.assertEqual(
            received.body,
            {
                "msgtype": "markdown",
                "markdown": {
                    "content": "### [医院IT服务管理] 打印机故障 PRN-ED-001\n" + self.expected_body()
                },
            },
        )
        self.assertEqual((delivery.status, delivery.attempts), (DeliveryStatus.SENT, 1))

    def test_dingtalk_with_a_secret_signs_the_address_with_hmac_of_timestamp_and_secret(
        self,
    ) -> None:
        secret = "SEC0123456789abcdef"
        before = int(time.time() * 1000)
        with RobotStub() as robot:
            delivery = self.post(RobotKind.DINGTALK, robot.url(), secret)
        after = int(time.time() * 1000)

        (received,) = robot.received
        self.assertEqual(set(received.query), {"access_token", "timestamp", "sign"})
        self.assertEqual(received.query["access_token"], ["T0KEN"])
        timestamp = int(received.query["timestamp"][0])
        self.assertTrue(before <= timestamp <= after, "DingTalk timestamps are milliseconds")
        expected = base64.b64encode(
            hmac.new(
                secret.encode(), ("%d\n%s" % (timestamp, secret)).encode(), hashlib.sha256
            ).digest()
        ).decode()
        self.assertEqual(received.query["sign"], [expected])  # parse_qs undid the URL-encoding
        self.assertEqual(dingtalk_sign(secret, timestamp), expected)
        self.assertEqual(
            received.body,
            {
                "msgtype": "markdown",
                "markdown": {
                    "title": "[医院IT服务管理] 打印机故障 PRN-ED-001",
                    "text": "### [医院IT服务管理] 打印机故障 PRN-ED-001\n" + self.expected_body(),
                },
            },
        )
        self.assertEqual(delivery.status, DeliveryStatus.SENT)

    def test_dingtalk_without_a_secret_posts_to_the_address_as_given(self) -> None:
        with RobotStub() as robot:
            self.post(RobotKind.DINGTALK, robot.url())

        self.assertEqual(robot.received[0].query, {"access_token": ["T0KEN"]})

    def test_feishu_with_a_secret_signs_the_body_with_hmac_keyed_by_timestamp_and_secret(
        self,
    ) -> None:
        secret = "feishu-secret"
        before = int(time.time())
        with RobotStub({"code": 0, "msg": "success", "data": {}}) as robot:
            delivery = self.post(RobotKind.FEISHU, robot.url("/open-apis/bot/v2/hook/H00K"), secret)
        after = int(time.time())

        (received,) = robot.received
        self.assertEqual(received.path, "/open-apis/bot/v2/hook/H00K")
        body = dict(received.body)
        timestamp = body.pop("timestamp")
        sign = body.pop("sign")
        self.assertIsInstance(timestamp, str)
        self.assertTrue(before <= int(timestamp) <= after, "Feishu timestamps are seconds")
        key = ("%s\n%s" % (timestamp, secret)).encode()
        expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        self.assertEqual(sign, expected)
        self.assertEqual(feishu_sign(secret, int(timestamp)), expected)
        self.assertEqual(
            body,
            {
                "msg_type": "interactive",
                "card": {
                    "config": {"wide_screen_mode": True},
                    "header": {
                        "title": {
                            "tag": "plain_text",
                            "content": "[医院IT服务管理] 打印机故障 PRN-ED-001",
                        }
                    },
                    "elements": [
                        {"tag": "div", "text": {"tag": "lark_md", "content": self.expected_body()}}
                    ],
                },
            },
        )
        self.assertEqual(delivery.status, DeliveryStatus.SENT)

    def test_feishu_without_a_secret_sends_no_timestamp_or_sign(self) -> None:
        with RobotStub({"StatusCode": 0, "StatusMessage": "success"}) as robot:
            delivery = self.post(RobotKind.FEISHU, robot.url("/open-apis/bot/v2/hook/H00K"))

        self.assertNotIn("sign", robot.received[0].body)
        self.assertNotIn("timestamp", robot.received[0].body)
        self.assertEqual(delivery.status, DeliveryStatus.SENT)


@override_settings(
    ITSM_BASE_URL=BASE_URL, ITSM_NOTIFICATION_MAX_ATTEMPTS=4, ITSM_NOTIFICATION_BACKOFF_SECONDS=60
)
class RobotFailureTests(BaseTestCase):
    def notify_group(self) -> Delivery:
        notify([], self.printer, "打印机故障", groups=[self.front_group])
        return Delivery.objects.get(group=self.front_group)

    def test_a_robot_answering_an_error_code_is_retried_after_1_2_4_minutes_then_failed(
        self,
    ) -> None:
        with RobotStub({"errcode": 93000, "errmsg": "invalid webhook url"}) as robot:
            set_robot(self.front_group, RobotKind.WECOM, robot.url("/send?key=K3Y"))
            delivery = self.notify_group()
            waits = []
            for attempt in (1, 2, 3):
                deliver.call(delivery.pk)
                delivery.refresh_from_db()
                self.assertEqual(delivery.status, DeliveryStatus.PENDING)
                self.assertEqual(delivery.attempts, attempt)
                assert delivery.next_attempt_at and delivery.attempted_at
                waits.append(delivery.next_attempt_at - delivery.attempted_at)
                self.assertEqual(retries_of(delivery)[-1].run_after, delivery.next_attempt_at)
            deliver.call(delivery.pk)
            delivery.refresh_from_db()

        self.assertEqual(
            waits,
            [
                datetime.timedelta(minutes=1),
                datetime.timedelta(minutes=2),
                datetime.timedelta(minutes=4),
            ],
        )
        self.assertEqual((delivery.status, delivery.attempts), (DeliveryStatus.FAILED, 4))
        self.assertEqual(delivery.last_error, "errcode 93000: invalid webhook url")
        self.assertIsNone(delivery.next_attempt_at)
        self.assertEqual(len(retries_of(delivery)), 3)
        self.assertEqual(len(robot.received), 4)

    def test_an_http_error_is_recorded_without_the_webhook_address(self) -> None:
        with RobotStub({"message": "boom"}, status=500) as robot:
            set_robot(self.front_group, RobotKind.DINGTALK, robot.url(), "SECret")
            delivery = self.notify_group()
            deliver.call(delivery.pk)
        delivery.refresh_from_db()

        self.assertEqual(delivery.status, DeliveryStatus.PENDING)
        self.assertTrue(delivery.last_error.startswith("HTTP 500"), delivery.last_error)
        self.assertNotIn("T0KEN", delivery.last_error)
        self.assertNotIn("SECret", delivery.last_error)

    def test_a_feishu_error_code_is_a_failure(self) -> None:
        with RobotStub(
            {
                "code": 19021,
                "msg": "sign match fail or timestamp is not within one hour from current time",
            }
        ) as robot:
            set_robot(self.front_group, RobotKind.FEISHU, robot.url("/hook/H"), "s")
            delivery = self.notify_group()
            deliver.call(delivery.pk)
        delivery.refresh_from_db()

        self.assertTrue(delivery.last_error.startswith("code 19021: sign match fail"))

    def test_a_refused_connection_is_retried_and_the_callers_write_still_commits(self) -> None:
        set_robot(self.front_group, RobotKind.WECOM, refused_url())

        with transaction.atomic():  # a service verb's write, notifying in its transaction
            comment = add_comment(self.printer, actor=self.engineer, body="已更换打印头")
            notify([], self.printer, "打印机已修复", groups=[self.front_group])
        delivery = Delivery.objects.get(group=self.front_group)
        deliver.call(delivery.pk)  # what the worker runs after the commit
        delivery.refresh_from_db()

        self.assertTrue(Comment.objects.filter(pk=comment.pk).exists())
        self.assertEqual((delivery.status, delivery.attempts), (DeliveryStatus.PENDING, 1))
        self.assertIn("ConnectError", delivery.last_error)
        self.assertNotIn("K3Y", delivery.last_error)
        self.assertEqual(len(retries_of(delivery)), 1)

    def test_a_robot_removed_before_sending_fails_the_delivery_without_raising(self) -> None:
        set_robot(self.front_group, RobotKind.WECOM, refused_url())
        delivery = self.notify_group()
        SupportGroup.objects.filter(pk=self.front_group.pk).update(
            robot_kind=RobotKind.NONE, robot_webhook_url=""
        )

        with self.settings(ITSM_NOTIFICATION_MAX_ATTEMPTS=1):
            deliver.call(delivery.pk)
        delivery.refresh_from_db()

        self.assertEqual(delivery.status, DeliveryStatus.FAILED)
        self.assertEqual(delivery.last_error, "the support group has no chat robot any more")
