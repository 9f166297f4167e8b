"""The audit log: every write leaves one entry, written in the write's own transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from itsm.core.context import RequestContext, current_request
from itsm.core.models import AuditEntry
from itsm.core.services import SYSTEM, write_audit
from itsm.core.testing import BaseTestCase
from itsm.incidents.choices import IncidentResolutionCode
from itsm.incidents.models import Incident
from itsm.incidents.services import (
    comment_on_incident,
    link_incidents,
    log_incident,
    set_major_incident,
    transition_incident,
    update_incident,
)


def entries(incident: Incident) -> list[str]:
    return list(
        AuditEntry.objects.filter(content_type__model="incident", object_id=incident.pk)
        .order_by("id")
        .values_list("action", flat=True)
    )


class AuditTests(BaseTestCase):
    def test_every_service_verb_writes_one_entry(self) -> None:
        incident = log_incident({"title": "LIS结果无法回传"}, actor=self.agent)
        self.assertEqual(entries(incident), ["create"])
        incident = update_incident(
            incident, {"urgency": 1}, actor=self.agent, version=incident.version
        )
        self.assertEqual(entries(incident)[-1], "update")
        incident = transition_incident(
            incident, "assign", actor=self.agent, data={"assignment_group": self.front_group.pk}
        )
        self.assertEqual(entries(incident)[-1], "transition:assign")
        set_major_incident(incident, actor=self.agent, major=True, reason="全院")
        self.assertEqual(entries(incident)[-1], "update")
        comment_on_incident(incident, actor=self.agent, body="已通知厂商")
        self.assertEqual(entries(incident)[-1], "comment:public")
        other = log_incident({"title": "LIS打印异常"}, actor=self.agent)
        link_incidents(incident, other, actor=self.agent)
        self.assertEqual(entries(incident)[-1], "link")
        self.assertEqual(entries(other)[-1], "link")
        self.assertEqual(len(entries(incident)), 6)

    def test_a_failed_transition_leaves_no_entry(self) -> None:
        incident = log_incident({"title": "LIS结果无法回传"}, actor=self.agent)
        before = entries(incident)
        with self.assertRaises(ValidationError):
            transition_incident(
                incident,
                "resolve",
                actor=self.agent,
                data={"resolution_code": IncidentResolutionCode.FIXED},
            )
        self.assertEqual(entries(incident), before)

    def test_the_entry_rolls_back_with_the_write(self) -> None:
        incident = log_incident({"title": "LIS结果无法回传"}, actor=self.agent)
        try:
            with transaction.atomic():
                transition_incident(
                    incident,
                    "assign",
                    actor=self.agent,
                    data={"assignment_group": self.front_group.pk},
                )
                raise RuntimeError("the caller fails afterwards")
        except RuntimeError:
            pass
        self.assertEqual(entries(incident), ["create"])

    def test_it_records_the_request_id_and_source_address(self) -> None:
        token = current_request.set(RequestContext(request_id="req-1", ip_address="10.1.2.3"))
        try:
            incident = log_incident({"title": "自助机无法打印"}, actor=self.agent)
        finally:
            current_request.reset(token)
        entry = AuditEntry.objects.get(object_id=incident.pk, action="create")
        self.assertEqual((entry.request_id, entry.ip_address), ("req-1", "10.1.2.3"))

    def test_the_system_actor_is_recorded_as_no_user(self) -> None:
        incident = log_incident({"title": "监控告警"}, actor=self.agent)
        entry = write_audit(incident, actor=SYSTEM, action="sweep")
        self.assertIsNone(entry.actor)
        with translation.override("en"):
            self.assertEqual(str(SYSTEM), "System")
        with translation.override("zh-hans"):
            self.assertEqual(str(SYSTEM), "系统")

    def test_changes_are_stored_as_old_and_new_json_values(self) -> None:
        incident = log_incident({"title": "旧标题"}, actor=self.agent)
        update_incident(incident, {"title": "新标题"}, actor=self.agent, version=1)
        entry = AuditEntry.objects.get(object_id=incident.pk, action="update")
        entry.refresh_from_db()
        self.assertEqual(entry.changes["title"], ["旧标题", "新标题"])
        created = AuditEntry.objects.get(object_id=incident.pk, action="create")
        self.assertEqual(created.changes["reported_at"][1], incident.reported_at.isoformat())
