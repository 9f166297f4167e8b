"""Group chat robots (群机器人): WeChat Work (企业微信), DingTalk (钉钉) and Feishu (飞书).

Each sender posts one recorded delivery to the webhook of the delivery's support group, in
the message format its platform documents, and raises when the post was not accepted: a
network error, an HTTP error status, or an answer whose error code is not 0. The delivery
task records the error and retries. Error messages never contain the webhook address: it
is itself a credential (it carries the robot's key or access token)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any
from urllib.parse import quote_plus

import httpx
from django.conf import settings

from itsm.core.models import Delivery
from itsm.core.tasks import DeliveryError

# WeChat Work refuses markdown content over 4096 bytes (UTF-8).
WECOM_MAX_BYTES = 4096


def post_json(url: str, payload: dict[str, Any]) -> dict[str, Any]:
    """POST the payload as JSON and return the JSON answer; raise DeliveryError when the
    server cannot be reached, answers with an HTTP error or with something not JSON."""
    try:
        response = httpx.post(url, json=payload, timeout=settings.ITSM_ROBOT_TIMEOUT_SECONDS)
    except httpx.HTTPError as error:
        # Transport errors name the failure (refused, timed out), not the URL.
        raise DeliveryError("%s: %s" % (type(error).__name__, error)) from error
    if response.is_error:
        raise DeliveryError("HTTP %d: %s" % (response.status_code, response.text[:200]))
    try:
        answer = response.json()
    except ValueError as error:
        raise DeliveryError("not a JSON answer: %s" % response.text[:200]) from error
    if not isinstance(answer, dict):
        raise DeliveryError("unexpected answer: %s" % response.text[:200])
    return answer


def _robot(delivery: Delivery) -> tuple[str, str]:
    group = delivery.group
    if group is None or not group.robot_webhook_url:
        raise DeliveryError("the support group has no chat robot any more")
    return group.robot_webhook_url, group.robot_secret


def _check(answer: dict[str, Any], key: str) -> None:
    if answer.get(key) != 0:
        raise DeliveryError(
            "%s %s: %s" % (key, answer.get(key), answer.get("errmsg") or answer.get("msg") or "")
        )


def send_wecom(delivery: Delivery) -> None:
    """WeChat Work: {"msgtype": "markdown", "markdown": {"content": …}}; success is
    errcode 0. Robots are not signed: the key in the webhook address is the credential."""
    url, _secret = _robot(delivery)
    content = "### %s\n%s" % (delivery.subject, delivery.body)
    content = content.encode()[:WECOM_MAX_BYTES].decode(errors="ignore")
    answer = post_json(url, {"msgtype": "markdown", "markdown": {"content": content}})
    _check(answer, "errcode")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: Base64 of HMAC-SHA256 keyed by the secret over "timestamp\\nsecret"
    (the caller URL-encodes it)."""
    string_to_sign = "%d\n%s" % (timestamp_ms, secret)
    digest = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def send_dingtalk(delivery: Delivery) -> None:
    """DingTalk: {"msgtype": "markdown", "markdown": {"title", "text"}}; with a secret the
    address gets &timestamp=<ms>&sign=<urlencoded signature>; success is errcode 0."""
    url, secret = _robot(delivery)
    if secret:
        timestamp = int(time.time() * 1000)
        separator = "&" if "?" in url else "?"
        url = "%s%stimestamp=%d&sign=%s" % (
            url,
            separator,
            timestamp,
            quote_plus(dingtalk_sign(secret, timestamp)),
        )
    text = "### %s\n%s" % (delivery.subject, delivery.body)
    answer = post_json(
        url, {"msgtype": "markdown", "markdown": {"title": delivery.subject, "text": text}}
    )
    _check(answer, "errcode")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's 签名校验: Base64 of HMAC-SHA256 keyed by "timestamp\\nsecret" over an empty
    message (key and message the other way round from DingTalk's)."""
    key = ("%d\n%s" % (timestamp_s, secret)).encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def send_feishu(delivery: Delivery) -> None:
    """Feishu: an interactive card (title header, lark_md body, which renders the link);
    with a secret the body also carries "timestamp" (seconds) and "sign". Success is
    code 0 (older robots answer StatusCode 0)."""
    url, secret = _robot(delivery)
    payload: dict[str, Any] = {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": delivery.subject}},
            "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": delivery.body}}],
        },
    }
    if secret:
        timestamp = int(time.time())
        payload = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **payload}
    answer = post_json(url, payload)
    if "code" not in answer and "StatusCode" in answer:
        answer = {**answer, "code": answer["StatusCode"]}
    _check(answer, "code")
